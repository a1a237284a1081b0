/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ports stage, and the BPF-side declarations of the port registry
 * maps (see ports_abi.h) that a user's own XDP program includes to count
 * per registered port as the stage does (examples/xdp_port_count.bpf.c). */
#ifndef FP_PORTS_STAGE_H
#define FP_PORTS_STAGE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ports_abi.h"

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

/* fp_stage_ports: count traffic to registered ports; it never drops.
 * Only for a program that includes parse.h (the pipeline). */
#ifdef FP_PARSE_H
static __always_inline int fp_stage_ports(const struct fp_parsed *p)
{
	if (p->has_l4 && (p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP))
		fp_port_account(p->dport, p->ip_version == 4 ? p->daddr[0] : 0, p->len);
	return XDP_PASS;
}
#endif

#endif
