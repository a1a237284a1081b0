/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* is_icmp_echo: an untagged IPv4 ICMP echo request between data and end. */
#ifndef FP_TEST_ICMP_ECHO_H
#define FP_TEST_ICMP_ECHO_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

static __always_inline int is_icmp_echo(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 *icmp_type; /* linux/icmp.h pulls in libc */

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_ICMP || ip->ihl < 5)
		return 0;
	icmp_type = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp_type + 1) > end)
		return 0;
	return *icmp_type == 8; /* ICMP_ECHO */
}

#endif
