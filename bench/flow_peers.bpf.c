// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flow_peers: the flows stage's table against the BPF hash maps it could
 * have been, for bench/prog_bench. Every program parses the frame, builds
 * the same key, reads the same clock and records the same fields; only the
 * table differs. The *_new programs give each packet new ports (the test
 * run repeats one frame), so they measure the insert path, with
 * eviction once the table is full; the *_same ones the update of an
 * existing flow. */
#include "parse.h"
#include "flows_stage.h"

#define PEER_FLOWS 65536

#define PEER_MAP(name, map_type, flags)				\
	struct {						\
		__uint(type, map_type);				\
		__uint(max_entries, PEER_FLOWS);		\
		__uint(map_flags, flags);			\
		__type(key, struct fp_flow_key);		\
		__type(value, struct fp_flow);			\
	} name SEC(".maps")

PEER_MAP(lru, BPF_MAP_TYPE_LRU_HASH, 0);
PEER_MAP(lru_nocommon, BPF_MAP_TYPE_LRU_HASH, BPF_F_NO_COMMON_LRU);
PEER_MAP(lru_percpu, BPF_MAP_TYPE_LRU_PERCPU_HASH, 0);
PEER_MAP(lru_percpu_nocommon, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_F_NO_COMMON_LRU);

__u32 seq; /* the ports of the next new flow */

/* parse: the frame, and for a new flow each packet, new ports: 2^32
 * flows before one comes back. */
static __always_inline int parse(struct xdp_md *ctx, struct fp_parsed *p, int new_flow)
{
	__u32 ports = seq++;

	fp_parse(ctx, p);
	if (new_flow) {
		p->sport = ports;
		p->dport = ports >> 16;
	}
	return p->status == FP_PARSE_OK && p->ip_version;
}

/* A value shared by every CPU needs atomic counters to stay exact. */
static __always_inline void shared_add(struct fp_flow *f, const struct fp_parsed *p,
				       __u64 now)
{
	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, p->len);
	f->last_ns = now;
	f->verdict = XDP_PASS;
	if ((f->tcp_flags | p->tcp_flags) != f->tcp_flags)
		f->tcp_flags |= p->tcp_flags;
}

static __always_inline void percpu_add(struct fp_flow *f, const struct fp_parsed *p,
				       __u64 now)
{
	if (!f->packets)
		f->first_ns = now; /* this CPU's first packet of a known flow */
	f->packets++;
	f->bytes += p->len;
	f->last_ns = now;
	f->verdict = XDP_PASS;
	f->tcp_flags |= p->tcp_flags;
}

/* record: look the flow up in MAP, update it with ADD, or insert it. */
#define RECORD(map, add)							\
	do {									\
		__u32 zero = 0;							\
		struct fp_flow_cpu *c = bpf_map_lookup_elem(&fp_flow_cpu, &zero); \
		struct fp_flow_key k = {					\
			.sport = p.sport, .dport = p.dport,			\
			.proto = p.l4_proto, .family = p.ip_version,		\
		};								\
		struct fp_flow *f;						\
		__u64 now;							\
									\
		if (!c)								\
			return XDP_PASS;					\
		__builtin_memcpy(k.saddr, p.saddr, sizeof(k.saddr));		\
		__builtin_memcpy(k.daddr, p.daddr, sizeof(k.daddr));		\
		now = fp_flow_now(c);						\
		f = bpf_map_lookup_elem(&map, &k);					\
		if (f) {							\
			add(f, &p, now);					\
		} else {							\
			struct fp_flow n = {					\
				.packets = 1, .bytes = p.len, .first_ns = now,	\
				.last_ns = now, .verdict = XDP_PASS,		\
				.tcp_flags = p.tcp_flags,			\
			};							\
			bpf_map_update_elem(&map, &k, &n, BPF_NOEXIST);		\
		}								\
	} while (0)

#define PEER(name, map, add, new_flow)						\
	SEC("xdp")								\
	int name(struct xdp_md *ctx)						\
	{									\
		struct fp_parsed p;						\
									\
		if (parse(ctx, &p, new_flow))					\
			RECORD(map, add);					\
		return XDP_PASS;						\
	}

PEER(lru_same, lru, shared_add, 0)
PEER(lru_new, lru, shared_add, 1)
PEER(lru_nocommon_same, lru_nocommon, shared_add, 0)
PEER(lru_nocommon_new, lru_nocommon, shared_add, 1)
PEER(lru_percpu_same, lru_percpu, percpu_add, 0)
PEER(lru_percpu_new, lru_percpu, percpu_add, 1)
PEER(lru_percpu_nocommon_same, lru_percpu_nocommon, percpu_add, 0)
PEER(lru_percpu_nocommon_new, lru_percpu_nocommon, percpu_add, 1)

/* The flows stage itself, on its own table (sized by the benchmark). */
static __always_inline int table(struct xdp_md *ctx, int new_flow)
{
	struct fp_flow_cpu *c = fp_flow_cpu_get();
	struct fp_parsed p;

	if (c && parse(ctx, &p, new_flow))
		fp_stage_flows_pass(c, &p);
	return XDP_PASS;
}

SEC("xdp")
int table_same(struct xdp_md *ctx)
{
	return table(ctx, 0);
}

SEC("xdp")
int table_new(struct xdp_md *ctx)
{
	return table(ctx, 1);
}

SEC("xdp")
int parse_only(struct xdp_md *ctx)
{
	struct fp_parsed p;

	return parse(ctx, &p, 1) ? XDP_PASS : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
