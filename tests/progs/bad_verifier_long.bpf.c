// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Rejected like bad_verifier, but only after thousands of instructions, so
 * the verifier log outgrows the loader's first buffer (64 KiB). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_long_unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	__u64 acc = ctx->ingress_ifindex;

#pragma clang loop unroll(full)
	for (int i = 0; i < 3000; i++)
		acc = (acc ^ (acc >> 7)) * 31 + i;
	return data[acc & 7] ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
