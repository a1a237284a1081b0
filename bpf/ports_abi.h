/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Port registry: the maps both halves share. The library creates and pins
 * them under /sys/fs/bpf/fastpath/maps; BPF programs declare them with
 * LIBBPF_PIN_BY_NAME (ports_stage.h) and so reuse the pinned ones. The two
 * declarations (ports_stage.h, src/lib/ports/port_registry.c) must stay equal, or
 * libbpf refuses to reuse the pins.
 *
 * Both maps are arrays, so the data path pays two inlined array lookups
 * and no hashing: fp_ports is indexed by port (65536 entries), and each
 * registered port owns a slot in the per-CPU fp_port_stats, which keeps
 * per-CPU memory at FP_PORT_SLOTS entries rather than 65536. */
#ifndef FP_PORTS_ABI_H
#define FP_PORTS_ABI_H

#include <linux/types.h>

#define FP_PORTS_MAP      "fp_ports"
#define FP_PORT_STATS_MAP "fp_port_stats"
#define FP_PORTS_MAX      65536
#define FP_PORT_SLOTS     1024  /* registered ports at once */

/* fp_ports: key is the destination port (__u32, host byte order). */
struct fp_port_entry {
	__u32 pid;           /* handler process; 0: the port is free */
	__u32 addr;          /* IPv4 destination, network order; 0 = any */
	__u64 registered_ns; /* CLOCK_REALTIME at registration */
	__u32 slot;          /* index into fp_port_stats */
	__u8 protocol;       /* steered: IPPROTO_TCP or _UDP; 0: counted only */
	__u8 reserved;
	__u16 fd;            /* steered: the socket's fd number in pid */
};

/* fp_port_stats: per-CPU, keyed by slot; zeroed when a slot is given out. */
struct fp_port_stats {
	__u64 packets;
	__u64 bytes;
};

#endif
