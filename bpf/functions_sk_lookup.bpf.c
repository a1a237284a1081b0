// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* functions: steer (protocol, destination port, destination prefix) to a
 * socket held in a SOCKMAP, ahead of whatever socket is bound to that
 * port (see functions_abi.h). Attached to a network namespace with a
 * bpf_link; the maps are pinned per namespace by the library. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "functions_abi.h"

#ifndef AF_INET
#define AF_INET  2
#define AF_INET6 10
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_FN_BINDINGS_MAX);
	__type(key, struct fp_fn_key);
	__type(value, struct fp_fn_binding);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} fp_fn_bindings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, FP_FN_SOCKETS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fp_fn_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_FN_SOCKETS_MAX);
	__type(key, __u32);
	__type(value, struct fp_fn_stats);
} fp_fn_stats SEC(".maps");

SEC("sk_lookup")
int fp_functions_lookup(struct bpf_sk_lookup *ctx)
{
	struct fp_fn_key key = {
		.protocol = ctx->protocol,
		.family = ctx->family,
		.port = ctx->local_port,
	};
	struct fp_fn_binding *b;
	struct fp_fn_stats *st;
	struct bpf_sock *sk;
	long err;

	if (ctx->family == AF_INET) {
		key.prefixlen = FP_FN_KEY_FIXED_BITS + 32;
		__builtin_memcpy(key.addr, &ctx->local_ip4, 4);
	} else if (ctx->family == AF_INET6) {
		key.prefixlen = FP_FN_KEY_FIXED_BITS + 128;
		__builtin_memcpy(key.addr, (void *)ctx->local_ip6, 16);
	} else {
		return SK_PASS;
	}
	b = bpf_map_lookup_elem(&fp_fn_bindings, &key);
	if (!b)
		return SK_PASS; /* not ours: the normal lookup */
	st = bpf_map_lookup_elem(&fp_fn_stats, &b->index);
	sk = bpf_map_lookup_elem(&fp_fn_sockets, &b->index);
	if (!sk)
		goto drop;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	if (err)
		goto drop;
	if (st)
		st->steered++;
	return SK_PASS;
drop:
	if (st)
		st->dropped++;
	return SK_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
