/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Port registry: the maps both halves share. The library creates and pins
 * them under /sys/fs/bpf/fastpath/maps; BPF programs declare them with
 * LIBBPF_PIN_BY_NAME and so reuse the pinned ones. Any change here must keep
 * the two declarations (port_maps.h and src/lib/port_registry.c) equal,
 * or libbpf refuses to reuse the pins. */
#ifndef FP_PORTS_H
#define FP_PORTS_H

#include <linux/types.h>

#define FP_PORTS_MAP      "fp_ports"
#define FP_PORT_STATS_MAP "fp_port_stats"
#define FP_PORTS_MAX      65536

/* fp_ports: key is the destination port (__u16, host byte order). */
struct fp_port_entry {
	__u32 pid;           /* handler process */
	__u32 addr;          /* IPv4 destination, network order; 0 = any */
	__u64 registered_ns; /* CLOCK_REALTIME at registration */
};

/* fp_port_stats: per-CPU, same key; created zeroed at registration so the
 * data path only ever looks up and adds. */
struct fp_port_stats {
	__u64 packets;
	__u64 bytes;
};

#endif
