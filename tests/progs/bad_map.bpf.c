// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An array whose key is 8 bytes: the kernel refuses the map when it is
 * created (an array's key is a 4-byte index), before any verifier runs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} bad_key SEC(".maps");

SEC("xdp")
int bad_map(struct xdp_md *ctx)
{
	__u64 k = 0, *v = bpf_map_lookup_elem(&bad_key, &k);

	return v ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
