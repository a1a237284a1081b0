/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* BPF-side declarations of the port registry maps (see ports.h). */
#ifndef FP_PORT_MAPS_H
#define FP_PORT_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ports.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct fp_port_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_port_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_port_stats SEC(".maps");

/* fp_port_account: count one packet for a registered destination port.
 * daddr is network order (0 for IPv6, which matches only "any" entries). */
static __always_inline void fp_port_account(__u16 dport, __u32 daddr, __u32 len)
{
	__u32 key = dport;
	struct fp_port_entry *e = bpf_map_lookup_elem(&fp_ports, &key);
	struct fp_port_stats *s;

	if (!e || !e->pid || (e->addr && e->addr != daddr))
		return;
	s = bpf_map_lookup_elem(&fp_port_stats, &e->slot);
	if (!s)
		return;
	s->packets++;
	s->bytes += len;
}

#endif
