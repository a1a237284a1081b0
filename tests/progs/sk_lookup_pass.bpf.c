// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sk_lookup: counts lookups and lets the normal lookup proceed. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 lookups = 0;

SEC("sk_lookup")
int sk_lookup_pass(struct bpf_sk_lookup *ctx)
{
	__sync_fetch_and_add(&lookups, 1);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
