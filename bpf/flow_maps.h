/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The flows stage, BPF side: the per-interface table (flows.h) and the
 * recording of one packet, shared by the pipeline's XDP program (ingress)
 * and fp_flows_egress (TC egress). Both objects declare the same maps;
 * the library pins the pipeline's and makes the egress program reuse them
 * (src/lib/flow_table.c). */
#ifndef FP_FLOW_MAPS_H
#define FP_FLOW_MAPS_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "stages.h"
#include "flows.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

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

/* fp_flow_now: CLOCK_MONOTONIC to one tick. bpf_ktime_get_ns() is a
 * helper call of 37 ns here; bpf_jiffies64() is inlined, so the clock is
 * read once per tick per CPU and reused until jiffies moves. */
static __always_inline __u64 fp_flow_now(struct fp_flow_cpu *c)
{
	__u64 tick = bpf_jiffies64();

	if (tick != c->tick) {
		c->tick = tick;
		c->now_ns = bpf_ktime_get_ns();
	}
	return c->now_ns;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fp_flow_key_words() lays out struct fp_flow_key as a little-endian machine does"
#endif

/* fp_flow_key_words: the struct fp_flow_key of the frame, as its six
 * words, in registers. Built in memory and read back as words, the key
 * cost a store-forwarding stall (narrow stores, wide loads) each packet.
 * The parser leaves absent fields 0, so ports and ICMP type/code can be
 * OR-ed in without asking which protocol it is. */
static __always_inline void fp_flow_key_words(const struct fp_parsed *p, __u32 ifindex,
					      __u8 dir, __u64 *w)
{
	w[0] = (__u64)p->saddr[1] << 32 | p->saddr[0];
	w[1] = (__u64)p->saddr[3] << 32 | p->saddr[2];
	w[2] = (__u64)p->daddr[1] << 32 | p->daddr[0];
	w[3] = (__u64)p->daddr[3] << 32 | p->daddr[2];
	w[4] = (__u64)(__u16)(p->dport | p->icmp_code) << 48 |
	       (__u64)(__u16)(p->sport | p->icmp_type) << 32 | ifindex;
	w[5] = (__u64)dir << 16 | (__u64)p->l4_proto << 8 | p->ip_version;
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

/* fp_flow_take: what to record of the frame p describes. Non-IP frames
 * and frames the parser could not finish (status other than FP_PARSE_OK)
 * are counted, not recorded: their key would be partial. Reads p only. */
static __always_inline void fp_flow_take(const struct fp_parsed *p, __u32 ifindex, __u8 dir,
					 __u32 len, struct fp_flow_pkt *pkt)
{
	fp_flow_key_words(p, ifindex, dir, pkt->k.w);
	pkt->len = len;
	pkt->tcp_flags = p->tcp_flags;
	pkt->skip = p->status != FP_PARSE_OK ? FP_FLOW_UNPARSED :
		    !p->ip_version ? FP_FLOW_NOT_IP : FP_FLOW_RECORD;
}

/* fp_flow_commit: count PACKETS packets of pkt's flow in c's region, with
 * the verdict and firewall rule of the last. */
static __always_inline void fp_flow_commit(struct fp_flow_cpu *c, const struct fp_flow_pkt *pkt,
					   __u32 packets, __u8 verdict, __u32 rule)
{
	struct fp_flow_bucket *b;
	__u32 idx, tag;
	__u64 h, now;
	int i;

	if (!c->buckets)
		return;
	if (pkt->skip) {
		if (pkt->skip == FP_FLOW_UNPARSED)
			c->unparsed++;
		else
			c->not_ip++;
		return;
	}
	h = fp_flow_hash_words(pkt->k.w, c->seed);
	idx = c->base + fp_flow_bucket_of(h, c->buckets);
	b = bpf_map_lookup_elem(&fp_flows, &idx);
	if (!b)
		return;
	tag = fp_flow_tag(h);
	now = fp_flow_now(c);
#pragma unroll
	for (i = 0; i < FP_FLOW_WAYS; i++) {
		struct fp_flow *f = &b->e[i].flow;

		if (b->tag[i] != tag || !fp_flow_key_is(&b->e[i].key, pkt->k.w))
			continue;
		f->packets += packets;
		f->bytes += pkt->len;
		f->last_ns = now;
		f->rule = rule;
		f->verdict = verdict;
		f->tcp_flags |= pkt->tcp_flags;
		return;
	}
	{
		struct fp_flow f = {
			.packets = packets, .bytes = pkt->len, .first_ns = now, .last_ns = now,
			.rule = rule, .verdict = verdict, .tcp_flags = pkt->tcp_flags,
		};
		/* A copy for the insert alone: were pkt's address taken, a
		 * pkt on the stack would be stored there for every packet. */
		struct fp_flow_words k = pkt->k;

		fp_flow_insert(c, b, &k, tag, &f);
	}
}

/* fp_flows_record: take and commit at once, for a program with nothing
 * between the two (the egress program; tests). */
static __always_inline void fp_flows_record(const struct fp_parsed *p, __u32 ifindex,
					    __u8 dir, __u32 len, __u32 packets,
					    __u8 verdict, __u32 rule)
{
	struct fp_flow_cpu *c = fp_flow_cpu_get();
	struct fp_flow_pkt pkt;

	if (!c)
		return;
	fp_flow_take(p, ifindex, dir, len, &pkt);
	fp_flow_commit(c, &pkt, packets, verdict, rule);
}

/* fp_stage_flows: the flows stage in one call. It records the firewall's
 * decision, so it runs after the firewall; fw is {0, XDP_PASS} when the
 * firewall stage is off. It never changes the verdict. */
static __always_inline void fp_stage_flows(const struct fp_parsed *p, __u32 ifindex,
					   __u8 dir, const struct fp_fw_result *fw)
{
	fp_flows_record(p, ifindex, dir, p->len, 1, fw->action, fw->rule);
}

/* fp_stage_flows_pass: the stage as a pipeline without its firewall runs
 * it, in one pass: every packet passes. pkt's address is never taken, so
 * the compiler keeps it in registers. */
static __always_inline void fp_stage_flows_pass(struct fp_flow_cpu *c, const struct fp_parsed *p,
						__u32 ifindex, __u8 dir)
{
	struct fp_flow_pkt pkt;

	fp_flow_take(p, ifindex, dir, p->len, &pkt);
	fp_flow_commit(c, &pkt, 1, XDP_PASS, 0);
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
 * frame waiting there adds no paths: with the firewall of 2026-11-24 the
 * pipeline verifies in 160K instructions this way, 289K in one call after
 * the firewall, 80K without flows. */
static __always_inline void fp_stage_flows_take(struct fp_flow_cpu *c, const struct fp_parsed *p,
						__u32 ifindex, __u8 dir)
{
	fp_flow_take(p, ifindex, dir, p->len, &c->pending);
}

static __always_inline void fp_stage_flows_commit(struct fp_flow_cpu *c,
						  const struct fp_fw_result *fw)
{
	fp_flow_commit(c, &c->pending, 1, fw->action, fw->rule);
}

#endif
