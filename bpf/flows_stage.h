/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The flows stage, BPF side: the per-interface table (flows_abi.h) and the
 * recording of one packet, shared by the pipeline's XDP program (ingress)
 * and fp_flows_egress (TC egress). Both objects declare the same maps;
 * the library pins the pipeline's and makes the egress program reuse them
 * (src/lib/flows/flow_table.c). */
#ifndef FP_FLOWS_STAGE_H
#define FP_FLOWS_STAGE_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "clock.h"
#include "pipeline_abi.h"
#include "flows_abi.h"

/* CPUs x fp_flow_cpu.buckets buckets; the library sets max_entries
 * before load (1 here only so the object loads unsized in tests). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fp_flow_bucket);
} fp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_flow_cpu);
} fp_flow_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fp_flow_meta);
} fp_flow_meta SEC(".maps");

/* fp_flow_cpu_get: this CPU's fp_flow_cpu; never NULL in practice (an
 * array of one), but the verifier wants the check. */
static __always_inline struct fp_flow_cpu *fp_flow_cpu_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fp_flow_cpu, &zero);
}

/* fp_flow_now: CLOCK_MONOTONIC to one tick (bpf_ktime_get_ns(), a call
 * of 37 ns here, once per tick per CPU: bpf/clock.h). */
static __always_inline __u64 fp_flow_now(struct fp_flow_cpu *c)
{
	return fp_tick_clock(&c->tick, &c->now_ns, FP_CLOCK_MONO);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fp_flow_l4_word() lays out struct fp_flow_key as a little-endian machine does"
#endif

/* The flows stage reads a parsed frame's addresses, in place, as its
 * key's first four words. */
_Static_assert(__builtin_offsetof(struct fp_parsed, saddr) == 0 &&
	       __builtin_offsetof(struct fp_parsed, daddr) ==
	       __builtin_offsetof(struct fp_flow_key, daddr),
	       "struct fp_parsed must start with the addresses, as struct fp_flow_key does");

/* fp_flow_addr_of: the key's address words of the frame p describes. */
static __always_inline const fp_flow_word_t *fp_flow_addr_of(const struct fp_parsed *p)
{
	return (const fp_flow_word_t *)p->saddr_w;
}

/* fp_flow_l4_of: the key's fifth word of the frame p describes. */
static __always_inline __u64 fp_flow_l4_of(const struct fp_parsed *p, __u8 dir)
{
	return fp_flow_l4_word(p->sport, p->dport, p->l4_proto, p->ip_version, dir);
}

/* fp_flow_words_set: k, the key of address words a and fifth word l4. */
static __always_inline void fp_flow_words_set(struct fp_flow_words *k, const fp_flow_word_t *a,
					      __u64 l4)
{
	int i;

	for (i = 0; i < FP_FLOW_KEY_WORDS - 1; i++)
		k->w[i] = a[i];
	k->w[i] = l4;
}

/* fp_flow_insert: a new flow in a free way of b, else over the way seen
 * least recently. The tag is cleared first and set last, so a reader
 * that sees a tag sees the key it belongs to (the library re-checks).
 *
 * A global function, verified once on its own: inlined, its paths times
 * those of the firewall before it took the pipeline past the verifier's
 * million instructions. It runs for new flows only, so its call costs
 * nothing on the path of a known flow. Arguments may be NULL to the
 * verifier; they never are. */
__attribute__((noinline)) int fp_flow_insert(struct fp_flow_cpu *c, struct fp_flow_bucket *b,
					     const struct fp_flow_words *k, __u32 tag,
					     const struct fp_flow *f)
{
	__u64 oldest = ~0ULL;
	fp_flow_word_t *key;
	int i, v = 0;

	if (!c || !b || !k || !f)
		return 0;
#pragma unroll
	for (i = 0; i < FP_FLOW_WAYS; i++) {
		if (!b->tag[i]) {
			v = i;
			break;
		}
		if (b->e[i].flow.last_ns < oldest) {
			oldest = b->e[i].flow.last_ns;
			v = i;
		}
	}
	if (b->tag[v])
		c->evicted++;
	c->created++;
	b->tag[v] = 0;
	asm volatile("" ::: "memory");
	key = (fp_flow_word_t *)&b->e[v].key;
#pragma unroll
	for (i = 0; i < FP_FLOW_KEY_WORDS; i++)
		key[i] = k->w[i];
	b->e[v].flow = *f;
	asm volatile("" ::: "memory");
	b->tag[v] = tag;
	return 0;
}

enum { FP_FLOW_RECORD = 0, FP_FLOW_UNPARSED, FP_FLOW_NOT_IP };

/* fp_flow_skip: FP_FLOW_RECORD, or why the frame p describes is counted
 * and not recorded: a non-IP frame, or one the parser could not finish
 * (status other than FP_PARSE_OK), whose key would be partial. */
static __always_inline __u32 fp_flow_skip(const struct fp_parsed *p)
{
	return p->status != FP_PARSE_OK ? FP_FLOW_UNPARSED :
	       !p->ip_version ? FP_FLOW_NOT_IP : FP_FLOW_RECORD;
}

/* fp_flow_commit: count PACKETS packets of LEN bytes and TCP_FLAGS of the
 * flow of address words a and fifth key word l4 in c's region, with the
 * verdict and firewall rule of the last; or, if SKIP, count why not. */
static __always_inline void fp_flow_commit(struct fp_flow_cpu *c, const fp_flow_word_t *a,
					    __u64 l4, __u64 len, __u8 tcp_flags, __u32 skip,
					    __u32 packets, __u8 verdict, __u32 rule)
{
	struct fp_flow_bucket *b;
	__u32 idx, tag;
	__u64 h, now;
	int i;

	if (!c->buckets)
		return;
	if (skip) {
		if (skip == FP_FLOW_UNPARSED)
			c->unparsed++;
		else
			c->not_ip++;
		return;
	}
	h = fp_flow_hash_words(a, l4, c->seed);
	idx = c->base + fp_flow_bucket_of(h, c->buckets);
	b = bpf_map_lookup_elem(&fp_flows, &idx);
	if (!b)
		return;
	tag = fp_flow_tag(h);
	now = fp_flow_now(c);
#pragma unroll
	for (i = 0; i < FP_FLOW_WAYS; i++) {
		struct fp_flow *f = &b->e[i].flow;

		if (b->tag[i] != tag || !fp_flow_key_is(&b->e[i].key, a, l4))
			continue;
		f->packets += packets;
		f->bytes += len;
		f->last_ns = now;
		f->rule = rule;
		f->verdict = verdict;
		f->tcp_flags |= tcp_flags;
		return;
	}
	{
		struct fp_flow f = {
			.packets = packets, .bytes = len, .first_ns = now, .last_ns = now,
			.rule = rule, .verdict = verdict, .tcp_flags = tcp_flags,
		};
		struct fp_flow_words key;

		fp_flow_words_set(&key, a, l4);
		fp_flow_insert(c, b, &key, tag, &f);
	}
}

/* fp_flows_record: the frame p describes, PACKETS packets of LEN bytes,
 * recorded at once, for a program with nothing between parse and record
 * (the egress program). */
static __always_inline void fp_flows_record(const struct fp_parsed *p, __u8 dir, __u64 len,
					    __u32 packets, __u8 verdict, __u32 rule)
{
	struct fp_flow_cpu *c = fp_flow_cpu_get();

	if (c)
		fp_flow_commit(c, fp_flow_addr_of(p), fp_flow_l4_of(p, dir), len, p->tcp_flags,
			       fp_flow_skip(p), packets, verdict, rule);
}

/* fp_stage_flows_pass: the stage as a pipeline without its firewall runs
 * it, in one pass: every packet passes. */
static __always_inline void fp_stage_flows_pass(struct fp_flow_cpu *c, const struct fp_parsed *p)
{
	fp_flow_commit(c, fp_flow_addr_of(p), fp_flow_l4_of(p, FP_FLOW_INGRESS), p->len,
		       p->tcp_flags, fp_flow_skip(p), 1, XDP_PASS, 0);
}

/* fp_stage_flows_take, fp_stage_flows_commit: the stage in two halves, as
 * a pipeline with its firewall runs it: take before the firewall, commit
 * after it with its verdict. The frame waits in this CPU's fp_flow_cpu,
 * not on the stack, and c is looked up once, before the stages branch.
 *
 * Read after the firewall, the parser's fields (zero on some paths,
 * packet data on others) keep the verifier from merging the firewall's
 * paths: with one version of the firewall that took the pipeline past
 * the verifier's million instructions. Map memory is not tracked, so the
 * frame waiting there adds no paths. */
static __always_inline void fp_stage_flows_take(struct fp_flow_cpu *c, const struct fp_parsed *p)
{
	struct fp_flow_pkt *pkt = &c->pending;

	fp_flow_words_set(&pkt->k, fp_flow_addr_of(p), fp_flow_l4_of(p, FP_FLOW_INGRESS));
	pkt->len = p->len;
	pkt->tcp_flags = p->tcp_flags;
	pkt->skip = fp_flow_skip(p);
}

static __always_inline void fp_stage_flows_commit(struct fp_flow_cpu *c,
						  const struct fp_fw_result *fw)
{
	const struct fp_flow_pkt *pkt = &c->pending;

	fp_flow_commit(c, pkt->k.w, pkt->k.w[FP_FLOW_KEY_WORDS - 1], pkt->len, pkt->tcp_flags,
		       pkt->skip, 1, fw->action, fw->rule);
}

#endif
