// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* dhcp_floor: the helper calls the DHCP stage (bpf/dhcp_stage.h) makes
 * for an answered ACK, and nothing else, for bench/prog_bench: the clock,
 * the lease lookup, the ring buffer's reserve and submit, the resize by
 * what the benchmark's reply adds. The pipeline's DHCP ACK row over this
 * one is what the pipeline and the stage's own code cost; this row over
 * the empty program, what a host charges for the calls (issue 18). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "dhcp_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fp_dhcp_key);
	__type(value, struct fp_dhcp_lease);
} fp_dhcp_leases SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FP_DHCP_EVENTS_BYTES);
} fp_dhcp_events SEC(".maps");

/* The client's key, as the stage would have built it from the request. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_dhcp_key);
} floor_key SEC(".maps");

#define FLOOR_GROW 4 /* the benchmark's ACK is 4 bytes longer than its REQUEST */

SEC("xdp")
int dhcp_floor(struct xdp_md *ctx)
{
	struct fp_dhcp_event *ev;
	struct fp_dhcp_lease *l;
	struct fp_dhcp_key *k;
	__u32 zero = 0;
	__u64 now;

	k = bpf_map_lookup_elem(&floor_key, &zero);
	if (!k)
		return XDP_PASS;
	now = bpf_ktime_get_coarse_ns() + FP_DHCP_CLOCK_SLACK_NS;
	l = bpf_map_lookup_elem(&fp_dhcp_leases, k);
	if (!l || l->expires_ns <= now)
		return XDP_PASS;
	ev = bpf_ringbuf_reserve(&fp_dhcp_events, sizeof(*ev), 0);
	if (!ev)
		return XDP_PASS;
	if (bpf_xdp_adjust_tail(ctx, FLOOR_GROW)) {
		bpf_ringbuf_discard(ev, 0);
		return XDP_PASS;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ip = l->ip;
	ev->expires_ns = now;
	ev->msg_type = FP_DHCPACK;
	bpf_ringbuf_submit(ev, 0);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
