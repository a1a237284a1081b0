// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Drops IPv4 ICMP echo requests and counts them; everything else passes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "icmp_echo.h"

__u64 dropped = 0;

SEC("xdp")
int xdp_drop_icmp(struct xdp_md *ctx)
{
	if (!is_icmp_echo((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		return XDP_PASS;
	__sync_fetch_and_add(&dropped, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
