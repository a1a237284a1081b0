// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Compiles, but the verifier must reject it: it reads the packet without
 * checking data_end first. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[12] == 0x08 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
