// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cgroup_skb: drops UDP to port 9999 sent or received by the cgroup. */
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define BLOCKED_PORT 9999

SEC("cgroup_skb/egress")
int cgroup_drop_udp(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct udphdr udp;

	if (skb->protocol != bpf_htons(0x0800))
		return 1;
	/* cgroup_skb data starts at the network header. */
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != IPPROTO_UDP)
		return 1;
	if (bpf_skb_load_bytes(skb, ip.ihl * 4, &udp, sizeof(udp)))
		return 1;
	return udp.dest != bpf_htons(BLOCKED_PORT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
