// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TC (clsact/tcx): drops IPv4 ICMP echo requests, passes the rest. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "icmp_echo.h"

SEC("tc")
int tc_drop_icmp(struct __sk_buff *skb)
{
	if (is_icmp_echo((void *)(long)skb->data, (void *)(long)skb->data_end))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
