// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An sk_skb stream verdict that passes everything: a program type that
 * attaches to a sockmap, not to anything fastpath manages. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("sk_skb/stream_verdict")
int sk_skb_pass(struct __sk_buff *skb)
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
