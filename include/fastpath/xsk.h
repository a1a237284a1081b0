/* SPDX-License-Identifier: BSD-2-Clause */
/* AF_XDP receive: the pipeline's XSK stage hands datagrams to steered
 * destination ports to an AF_XDP socket on the rx queue they arrived on
 * (bpf/xsk_abi.h), so that an application reads them without the
 * kernel's UDP stack. Two halves:
 *
 *  - the port set of DEV's pipeline (fp_xsk_port_*): which ports are
 *    steered, with per-port counters. The XSK stage must be on
 *    (`fastpath up DEV --stages xsk,...`); the daemon keeps the config
 *    file's `xsk:` section steered.
 *  - sockets (fp_xsk_open ...): on libxdp's xsk helpers with
 *    XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, since the pipeline is the XDP
 *    program. A socket goes into DEV's pinned xsks map before its ports
 *    are steered, so no datagram meets an empty slot on its account; a
 *    slot that is empty (no socket yet, or its process died) passes
 *    packets to the kernel stack.
 *
 * Modes, tried in order under FP_XSK_AUTO: zero-copy, copy, and a plain
 * UDP socket per port when AF_XDP is not possible (no pipeline on DEV,
 * no privileges, an old kernel); fp_xsk_mode says which one runs and
 * fp_xsk_why why the better ones did not. The application's loop is the
 * same in every mode: fp_xsk_recv, then fp_xsk_reply or fp_xsk_release.
 *
 * A struct fp_xsk is used by one thread at a time. */
#ifndef FASTPATH_XSK_H
#define FASTPATH_XSK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include "xsk_abi.h"

/* Defaults: a probe on veth copy mode dropped 20-30% of a one-core flood
 * with libxdp's (fill 2048, 4096 frames) and none with these. */
#define FP_XSK_FILL_DEFAULT    8192
#define FP_XSK_COMP_DEFAULT    2048
#define FP_XSK_RX_DEFAULT      4096
#define FP_XSK_TX_DEFAULT      2048
#define FP_XSK_FRAMES_DEFAULT  16384
#define FP_XSK_FRAME_DEFAULT   2048     /* bytes per umem frame */
#define FP_XSK_BATCH_MAX       256      /* messages one fp_xsk_recv returns */

/* ---- configuration ----------------------------------------------------- */

/* xsk: one entry per interface (docs/config.md): the ports fastpathd keeps
 * steered there, the XSK stage on. */
#define FP_CONFIG_XSK_MAX        16
#define FP_CONFIG_XSK_PORTS_MAX  1024
struct fp_xsk_config {
	char interface[IF_NAMESIZE];
	uint16_t *ports;        /* steered, UDP */
	size_t n_ports;
	uint32_t queue_mask;    /* bit per rx queue its sockets serve; 0: all */
	unsigned int line;
};

/* The xsk: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_xsk_section;

/* ---- the port set ------------------------------------------------------ */

struct fp_xsk_port_record {
	uint16_t port;
	uint32_t proto;         /* FP_XSK_UDP | FP_XSK_TCP */
	struct fp_xsk_port_stats stats; /* summed over CPUs */
};

/* fp_xsk_port_add: steer PORT's PROTO (FP_XSK_UDP, FP_XSK_TCP or both) on
 * DEV to its AF_XDP sockets. A port already steered gets PROTO added and
 * keeps its counters. -ENOENT: DEV has no pipeline (fastpath up DEV);
 * -EINVAL: port 0 or no protocol; -ENOSPC: FP_XSK_SLOTS ports steered. */
int fp_xsk_port_add(const char *dev, uint16_t port, uint32_t proto);

/* fp_xsk_port_remove: stop steering PORT on DEV; its packets go to the
 * stack again. -ENOENT: not steered (or no pipeline). */
int fp_xsk_port_remove(const char *dev, uint16_t port);

/* fp_xsk_port_list: DEV's steered ports, ascending, with counters; the
 * caller frees *out. */
int fp_xsk_port_list(const char *dev, struct fp_xsk_port_record **out, size_t *n);

/* fp_xsk_port_set: make DEV's port set exactly PORTS (N of them, all for
 * PROTO), keeping the counters of ports that stay. For the daemon. */
int fp_xsk_port_set(const char *dev, const uint16_t *ports, size_t n, uint32_t proto);

/* fp_xsk_sockets: what each of DEV's queues' sockets published, for the
 * FP_XSK_QUEUES_MAX queues (pid 0: none; a pid that is gone: stale,
 * *alive false). */
struct fp_xsk_socket_record {
	uint32_t queue;
	bool alive;             /* the owning process still runs */
	struct fp_xsk_socket s;
};
int fp_xsk_sockets(const char *dev, struct fp_xsk_socket_record **out, size_t *n);

/* fp_xsk_rx_queues: DEV's rx queue count (from sysfs); -ENODEV. */
int fp_xsk_rx_queues(const char *dev);

/* fp_xsk_mode_str / _parse: "auto", "zero-copy", "copy", "socket". */
const char *fp_xsk_mode_str(enum fp_xsk_mode mode);
int fp_xsk_mode_parse(const char *s, enum fp_xsk_mode *mode);

/* ---- sockets ----------------------------------------------------------- */

struct fp_xsk_opts {
	enum fp_xsk_mode mode;  /* FP_XSK_AUTO: the ladder; else only that one */
	uint32_t fill_size;     /* ring sizes, powers of two; 0: the defaults */
	uint32_t comp_size;
	uint32_t rx_size;
	uint32_t tx_size;
	uint32_t frames;        /* umem frames; 0: FP_XSK_FRAMES_DEFAULT */
	uint32_t frame_size;    /* 2048 or 4096; 0: FP_XSK_FRAME_DEFAULT */
	uint32_t proto;         /* steer for; 0: FP_XSK_UDP */
	bool no_steer;          /* leave the port set alone (the daemon owns it) */
};

/* A datagram received. In AF_XDP modes frame is the whole Ethernet frame
 * in the umem, and stays valid until released or replied to; in socket
 * mode frame is NULL. payload is the UDP payload in either mode (NULL
 * for a TCP segment, whose frame the application reads itself). */
struct fp_xsk_msg {
	uint8_t *frame;
	uint32_t frame_len;
	uint8_t *payload;
	uint32_t payload_len;
	struct sockaddr_in6 src; /* IPv4 as v4-mapped; port in sin6_port */
	struct sockaddr_in6 dst;
	uint64_t handle;         /* the library's: umem address or buffer */
};

struct fp_xsk;

/* fp_xsk_open: a socket on DEV's rx queue QUEUE receiving PORTS (N of
 * them, 1..FP_XSK_SLOTS), in the best mode OPTS allows (opts may be
 * NULL). The AF_XDP socket goes into DEV's xsks slot QUEUE first, then
 * the ports are steered. -ENOENT: no pipeline on DEV and a mode other
 * than AUTO/SOCKET asked; -EBUSY: QUEUE's slot is held by another live
 * socket; -EINVAL: bad sizes or ports; otherwise what the last rung of
 * the ladder returned. */
int fp_xsk_open(const char *dev, uint32_t queue, const uint16_t *ports, size_t n,
		const struct fp_xsk_opts *opts, struct fp_xsk **out);

/* fp_xsk_close: empty the queue's slot (its ports pass to the stack until
 * another socket comes; the port set is left as it is), free everything. */
void fp_xsk_close(struct fp_xsk *x);

enum fp_xsk_mode fp_xsk_mode(const struct fp_xsk *x);

/* fp_xsk_why: why better modes were not taken ("" when none was refused). */
const char *fp_xsk_why(const struct fp_xsk *x);

/* fp_xsk_recv: up to MAX (<= FP_XSK_BATCH_MAX) datagrams into MSGS,
 * waiting up to TIMEOUT_MS (0: not at all, -1: forever) for the first.
 * Returns how many, 0 on timeout, -EINTR when a signal came. Every
 * message must go back through fp_xsk_release or fp_xsk_reply before
 * its frame is reused. */
int fp_xsk_recv(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int max, int timeout_ms);

/* fp_xsk_release: give N received messages' frames back to the kernel. */
void fp_xsk_release(struct fp_xsk *x, const struct fp_xsk_msg *msgs, unsigned int n);

/* fp_xsk_reply: send each of N messages' payload (payload_len bytes,
 * possibly changed in place, at most what the frame holds) back to its
 * source, from its destination address and port, in one batch; the
 * messages are consumed (no release). In AF_XDP modes the reply is the
 * received frame turned around (MACs, addresses, ports swapped, lengths
 * and checksums redone) on the same queue's TX ring. Returns how many
 * went out; the rest were released. */
int fp_xsk_reply(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int n);

/* fp_xsk_stats: this socket's counters (as published to xsk_sockets). */
int fp_xsk_stats(struct fp_xsk *x, struct fp_xsk_socket *out);

/* fp_xsk_fd: the fd to poll for input (one of them in socket mode with
 * several ports; fp_xsk_recv polls them all). */
int fp_xsk_fd(const struct fp_xsk *x);

#endif
