// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Two programs in one object: `fastpath load` needs --prog to choose. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int first_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int second_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
