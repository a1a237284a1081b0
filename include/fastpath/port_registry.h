/* SPDX-License-Identifier: BSD-2-Clause */
/* Port registry: which handler process serves which destination port.
 * Backed by two pinned BPF maps (bpf/ports_abi.h) that XDP programs read and
 * count into, so the registry outlives the CLI and the daemon. */
#ifndef FASTPATH_PORT_REGISTRY_H
#define FASTPATH_PORT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "ports_abi.h"

struct fp_port_registry {
	int ports_fd;
	int stats_fd;
};

struct fp_port_record {
	uint16_t port;
	struct fp_port_entry entry;
	struct fp_port_stats stats; /* summed over CPUs */
};

/* fp_port_registry_open: open the pinned maps, creating them when create
 * is set and they do not exist (needs a prepared bpffs). -ENOENT when they
 * do not exist and create is not set; -EPROTO when the pinned maps have
 * another layout (left by another fastpath version). */
int fp_port_registry_open(struct fp_port_registry *r, int create);
void fp_port_registry_close(struct fp_port_registry *r);

/* fp_port_parse: "1".."65535" only; -EINVAL otherwise. */
int fp_port_parse(const char *s, uint16_t *port);

/* fp_port_register: bind PORT to PID (which must exist: -ESRCH) and an
 * IPv4 destination (network order, 0 = any), with zeroed counters.
 * -EINVAL for port 0; -EEXIST when the port is taken (existing gets its
 * entry); -ENOSPC when FP_PORT_SLOTS ports are registered. Nothing
 * changes on error. */
int fp_port_register(struct fp_port_registry *r, uint16_t port, uint32_t pid,
		     uint32_t addr, struct fp_port_entry *existing);

/* fp_port_unregister: -ENOENT when the port is not registered. */
int fp_port_unregister(struct fp_port_registry *r, uint16_t port);

/* fp_port_lookup: the entry and counters of one port; -ENOENT if none. */
int fp_port_lookup(struct fp_port_registry *r, uint16_t port,
		   struct fp_port_record *rec);

/* fp_port_list: every registered port, sorted; the caller frees *out. */
int fp_port_list(struct fp_port_registry *r, struct fp_port_record **out,
		 size_t *n);

/* ---- steering (ports_steer.c) ------------------------------------------
 * A registered port may also be steered, with the functions' sk_lookup
 * program (fastpath/functions.h), to a listening socket of the process:
 * a copy taken with pidfd_getfd goes into the SOCKMAP at index
 * FP_FN_PORTS_BASE + the port's slot. The process keeps the socket alive;
 * when it dies, the port answers as closed until it is unregistered. */

/* fp_port_steer: steer PORT (registered, to PID) to PID's socket: FD, or
 * (FD < 0) the first socket of PROTOCOL listening on (or bound to) PORT,
 * else on any port. -ENOENT: PID has no such socket; -EPROTOTYPE: FD is
 * not a PROTOCOL socket; -EINVAL: not listening or not bound. On success
 * the entry records protocol and fd. */
int fp_port_steer(struct fp_port_registry *r, uint16_t port, int fd, int protocol);

/* fp_port_unsteer: remove PORT's steering, if it has any. */
int fp_port_unsteer(struct fp_port_registry *r, uint16_t port);

/* fp_port_steer_state: what a listing shows of PORT's steering:
 * "-" (counted only), "tcp listen 127.0.0.1:9000" (the socket), or
 * "closed" (the socket is gone: the port refuses). */
void fp_port_steer_state(const struct fp_port_record *rec, char *buf, size_t size);

#endif
