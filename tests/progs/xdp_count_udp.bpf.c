// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A user's own XDP program, as custom metrics expect one: it counts and
 * passes everything. counts[0]: IPv4 UDP packets (u64, array);
 * cpu_counts[0]: the same per CPU (u32, per-CPU array); by_proto: IPv4
 * packets by IP protocol (u64, hash); wide: a value too wide to export,
 * for the refusal. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cpu_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

struct wide_value {
	__u64 packets, bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wide_value);
} wide SEC(".maps");

SEC("xdp")
int xdp_count_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 zero = 0, proto;
	__u64 one = 1, *v;
	__u32 *c;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	proto = ip->protocol;
	v = bpf_map_lookup_elem(&by_proto, &proto);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&by_proto, &proto, &one, BPF_NOEXIST);
	if (proto != IPPROTO_UDP)
		return XDP_PASS;
	v = bpf_map_lookup_elem(&counts, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	c = bpf_map_lookup_elem(&cpu_counts, &zero);
	if (c)
		*c += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
