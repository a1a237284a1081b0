// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xdp_port_count: counts packets and bytes per registered destination port.
 *
 * Ports are registered with `fastpath ports register PORT --pid PID`; this
 * program reads the pinned registry (fp_ports) and adds to fp_port_stats.
 * It only observes: every packet passes. `fastpath run DEV` embeds it. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ports_stage.h"

#define VLAN_MAX 2

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Totals for the `fastpath run` banner, kept apart from the registry. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_port_stats);
} totals SEC(".maps");

SEC("xdp")
int xdp_port_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len = end - data, zero = 0, daddr = 0;
	struct fp_port_stats *t;
	struct ethhdr *eth = data;
	void *l3, *l4;
	__u16 proto;
	__u8 l4proto;
	int i;

	t = bpf_map_lookup_elem(&totals, &zero);
	if (t) {
		t->packets++;
		t->bytes += len;
	}
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	proto = eth->h_proto;
	l3 = eth + 1;
	for (i = 0; i < VLAN_MAX; i++) {
		struct vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return XDP_PASS;
		proto = vh->proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return XDP_PASS;
		/* Later fragments carry no L4 header. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return XDP_PASS;
		l4 = l3 + ip->ihl * 4;
		l4proto = ip->protocol;
		daddr = ip->daddr;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		l4 = ip6 + 1;
		l4proto = ip6->nexthdr;
	} else {
		return XDP_PASS;
	}

	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end)
			return XDP_PASS;
		fp_port_account(bpf_ntohs(th->dest), daddr, len);
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return XDP_PASS;
		fp_port_account(bpf_ntohs(uh->dest), daddr, len);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
