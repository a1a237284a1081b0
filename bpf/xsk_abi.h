/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* AF_XDP receive: what the XSK stage (xsk_stage.h) and the library
 * (src/lib/xsk/, include/fastpath/xsk.h) share. The maps are the
 * pipeline's, pinned under /sys/fs/bpf/fastpath/pipeline/DEV/ without the
 * "fp_" prefix:
 *   xsks          XSKMAP: one AF_XDP socket per rx queue, inserted by the
 *                 application that owns it (another process: hence pinned)
 *   xsk_ports     the steered port set, indexed by destination port
 *   xsk_stats     per-CPU counters per steered port, by its slot
 *   xsk_sockets   what each queue's socket publishes about itself (pid,
 *                 mode, rx/tx, XDP_STATISTICS), mmapable: the library
 *                 writes it without a system call
 *
 * A packet to a steered port goes to the socket of the queue it arrived
 * on; where that slot is empty it passes to the kernel stack, never drops. */
#ifndef FP_XSK_ABI_H
#define FP_XSK_ABI_H

#include <linux/types.h>

#define FP_XSK_PORTS_MAX   65536
#define FP_XSK_SLOTS       1024   /* steered ports at once */
#define FP_XSK_QUEUES_MAX  64     /* rx queues with a socket slot */

/* struct fp_xsk_port.proto: the transport protocols a port is steered for. */
#define FP_XSK_UDP  (1u << 0)
#define FP_XSK_TCP  (1u << 1)

/* xsk_ports: key is the destination port (__u32, host order). */
struct fp_xsk_port {
	__u32 proto;          /* FP_XSK_UDP | FP_XSK_TCP; 0: not steered */
	__u32 slot;           /* index into xsk_stats */
};

/* xsk_stats: per-CPU, keyed by slot; zeroed when a slot is given out. */
struct fp_xsk_port_stats {
	__u64 redirected;     /* handed to the queue's socket */
	__u64 bytes;          /* of those */
	__u64 no_socket;      /* the queue's slot was empty: passed to the stack */
};

/* struct fp_xsk_socket.mode */
enum fp_xsk_mode {
	FP_XSK_AUTO = 0,      /* ask: zero-copy, else copy, else a UDP socket */
	FP_XSK_ZEROCOPY,
	FP_XSK_COPY,
	FP_XSK_SOCKET,        /* a plain UDP socket: not AF_XDP at all */
};

/* xsk_sockets: keyed by rx queue; written by the process that owns the
 * queue's socket, cleared when it closes. A pid that no longer runs
 * means the socket died with it (the kernel empties its xsks slot). */
struct fp_xsk_socket {
	__u32 pid;            /* 0: no socket on this queue */
	__u32 mode;           /* enum fp_xsk_mode */
	__u64 opened_ns;      /* CLOCK_REALTIME */
	__u64 updated_ns;     /* CLOCK_REALTIME of the last publish */
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	/* struct xdp_statistics, as getsockopt(XDP_STATISTICS) gives it */
	__u64 rx_dropped;             /* dropped for other reasons */
	__u64 rx_invalid_descs;
	__u64 tx_invalid_descs;
	__u64 rx_ring_full;
	__u64 rx_fill_ring_empty_descs;
	__u64 tx_ring_empty_descs;
};

#endif
