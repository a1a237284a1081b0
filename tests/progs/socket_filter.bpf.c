// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A socket filter that keeps whole packets: loads, but attaches only to a
 * socket, which fastpath does not own. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int socket_keep(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
