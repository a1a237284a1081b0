/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The firewall stage: the first rule that matches decides, else the
 * policy; per-rule per-CPU counters. The rule set is compiled by the
 * library into the maps of bpf/firewall_abi.h, twice over: the tables
 * (in one value of fp_fw_table) and the list are outer maps of two
 * slots, each position has two counters in fp_fw_counters, and fp_fw_gen
 * names the live generation, for the library. The stage reads the live
 * tables from fp_fw_live, the one slot the library sets to the new
 * generation's tables once they are filled, and the generation from
 * their meta: one lookup a packet, so a packet sees one whole set. The
 * library waits an RCU grace period before it touches the old one again.
 *
 * What is matched (docs/firewall.md):
 *   non-IP frames (ARP, ...)       pass, unmatched and uncounted
 *   IPv4/IPv6 whose header did not parse
 *                                  no field: only a rule with no field,
 *                                  else the policy
 *   later fragments, cut or other L4 headers, too many IPv6 extension
 *   headers                        addresses and protocol; a rule with
 *                                  ports does not match */
#ifndef FP_FIREWALL_STAGE_H
#define FP_FIREWALL_STAGE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pipeline_abi.h"
#include "firewall_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fp_fw_gen SEC(".maps");

/* Inner maps give sizes, not types: clang 14 would leave their value
 * structs as forward declarations in BTF, which libbpf cannot size. The
 * flags must equal those of the maps the library creates. Arrays read
 * per packet keep a fixed size, so the verifier inlines their lookups
 * (about 1 ns against 7 ns for a BPF_F_INNER_MAP array). */
#define FP_FW_OUTER(slots, inner_type, inner_flags, inner_max, inner_key, inner_value) \
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);				\
	__uint(max_entries, slots);						\
	__type(key, __u32);							\
	__array(values, struct {						\
		__uint(type, inner_type);					\
		__uint(map_flags, inner_flags);					\
		__uint(max_entries, inner_max);					\
		__uint(key_size, inner_key);					\
		__uint(value_size, inner_value);				\
	})

/* The tables, in one value (bpf/firewall_abi.h, fp_fw_table), by
 * generation; the stage reads them from fp_fw_live. */
struct {
	FP_FW_OUTER(2, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 1, 4, FP_FW_TABLE_BYTES);
} fp_fw_table SEC(".maps");

/* The live generation's tables, the map in fp_fw_table's slot fp_fw_gen
 * names: what the stage reads, where a lookup of fp_fw_gen, then of
 * fp_fw_table by it, made a chain of three dependent loads. */
struct {
	FP_FW_OUTER(1, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 1, 4, FP_FW_TABLE_BYTES);
} fp_fw_live SEC(".maps");

/* Both generations' counters, by position then generation (index
 * FP_FW_COUNTER(pos, gen)): one map of a fixed size, so its lookup is
 * inlined (an inner map sized to the set is a helper call, ~10 ns where
 * calls are expensive). The library sizes it for the positions the set
 * needs, rounded up to a power of two, and makes it again, larger, for a
 * set that does not fit (firewall_stage.c); left as is, every position. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * FP_FW_RULES_SPAN);
	__type(key, __u32);
	__type(value, struct fp_counter);
} fp_fw_counters SEC(".maps");

struct {
	FP_FW_OUTER(2, BPF_MAP_TYPE_ARRAY, BPF_F_INNER_MAP | BPF_F_MMAPABLE, 1, 4,
		    sizeof(struct fp_fw_entry));
} fp_fw_list SEC(".maps");

/* The slots the probe loop walks at most, set by the library before load
 * (.rodata, frozen: a constant to the verifier, which walks the loop once
 * per slot and path: the whole object 38K instructions for 32 slots, 14K
 * for 8, 7K for one). A set needs fewer than FP_FW_SLOTS in practice; the
 * library loads the program for the slots the live set and the one being
 * installed need, rounded up to a power of two, and reloads it before a
 * set that needs more is installed. Left as is (tests, benchmarks), every
 * slot. */
const volatile __u32 fp_fw_slots = FP_FW_SLOTS;

/* The tables' layout this program reads: the library reloads a program of
 * another layout before it installs a set (pipeline_load.c). */
const volatile __u32 fp_fw_layout = FP_FW_LAYOUT;

/* The live set: its generation and tables. */
struct fp_fw_set {
	const struct fp_fw_meta *meta;  /* at the table's start */
	const __u8 *table;
	__u32 gen;
};

/* fp_fw_set_get: the live generation's tables; -1 when no set is
 * installed, or the set is of another layout (the library installs it
 * again: until then, no set). */
static __always_inline int fp_fw_set_get(struct fp_fw_set *s)
{
	__u32 zero = 0;
	void *table = bpf_map_lookup_elem(&fp_fw_live, &zero);

	if (!table)
		return -1;
	s->table = bpf_map_lookup_elem(table, &zero);
	if (!s->table)
		return -1;
	s->meta = (const void *)(s->table + FP_FW_T_META);
	if (s->meta->layout != FP_FW_LAYOUT)
		return -1;
	s->gen = s->meta->gen & 1;
	return 0;
}

/* fp_fw_at: element IDX of the table at offset OFF of T, its elements
 * SIZE bytes, IDX masked to the table's SPAN (a power of two). The
 * library fills the tables and indexes within them, so the mask only
 * bounds the offset for the verifier, in one instruction. */
static __always_inline const void *fp_fw_at(const __u8 *t, __u64 off, __u32 idx, __u32 span,
					    __u32 size)
{
	return t + off + (__u64)(idx & (span - 1)) * size;
}

static __always_inline const struct fp_fw_node *fp_fw_node(const __u8 *t, __u32 idx)
{
	return fp_fw_at(t, FP_FW_T_NODES, idx, FP_FW_NODES_MAX, sizeof(struct fp_fw_node));
}

static __always_inline const struct fp_fw_class *fp_fw_value(const __u8 *t, __u32 idx)
{
	return fp_fw_at(t, FP_FW_T_VALUES, idx, FP_FW_VALUES_SPAN, sizeof(struct fp_fw_class));
}

static __always_inline const struct fp_fw_bucket *fp_fw_bucket(const __u8 *t, __u32 idx)
{
	return fp_fw_at(t, FP_FW_T_MATCH, idx, FP_FW_BUCKETS_MAX, sizeof(struct fp_fw_bucket));
}

static __always_inline const struct fp_fw_verdict *fp_fw_verdict(const __u8 *t, __u32 pos)
{
	return fp_fw_at(t, FP_FW_T_RULES, pos, FP_FW_RULES_SPAN, sizeof(struct fp_fw_verdict));
}

/* fp_fw_descend: follow child entries through the nibbles of WORD from
 * nibble FIRST (a constant) on; returns the entry where the path ends.
 * Spelt out, each nibble's shift a constant: clang 14 keeps a loop that
 * can exit early rolled, and the verifier then walks it once per nibble
 * and way into it. Entries are 64-bit here (read as 32-bit words, so
 * zero-extended): the child bit, the top one, is then tested with one
 * comparison, where a 32-bit test took a shift up and an arithmetic
 * shift down first. fp_fw_entry_read hides from clang that the entry was
 * a 32-bit word, or it turns the comparison back into that test. */
static __always_inline __u64 fp_fw_entry_read(const __u32 *p)
{
	__u64 e = *p;

	asm volatile("" : "+r"(e));
	return e;
}

#define FP_FW_STEP(i)								\
	do {									\
		if ((i) >= first) {						\
			if (e < FP_FW_CHILD)					\
				return e;					\
			e = fp_fw_entry_read(&fp_fw_node(t, e)->e[(word >> (28 - 4 * (i))) & \
								  (FP_FW_FANOUT - 1)]); \
		}								\
	} while (0)

static __always_inline __u64 fp_fw_descend(const __u8 *t, __u64 e, __u32 word, const int first)
{
	FP_FW_STEP(0);
	FP_FW_STEP(1);
	FP_FW_STEP(2);
	FP_FW_STEP(3);
	FP_FW_STEP(4);
	FP_FW_STEP(5);
	FP_FW_STEP(6);
	FP_FW_STEP(7);
	return e;
}

/* fp_fw_descend6: fp_fw_descend through words 1 to 3 of the IPv6
 * address at A (network order), a word an iteration of a loop kept
 * rolled: the program holds one word's descent, not three, and the
 * verifier walks it once for both addresses (docs/benchmarks.md). */
static __always_inline __u64 fp_fw_descend6(const __u8 *t, __u64 e, const __u32 *a)
{
	int w;

#pragma clang loop unroll(disable)
	for (w = 1; w < 4; w++)
		e = fp_fw_descend(t, e, bpf_ntohl(a[w]), 0);
	return e;
}

/* fp_fw_tail_word: word I of the address (host order) agrees with the
 * tail's prefix. */
static __always_inline int fp_fw_tail_word(const struct fp_fw_tail *t, int i, __u32 word)
{
	return (word & t->mask[i]) == t->addr[i];
}

/* fp_fw_tail: the class an FP_FW_TAIL entry E gives the address A. */
static __always_inline __u32 fp_fw_tail(const __u8 *table, __u64 e, const __u32 *a, int v6)
{
	const struct fp_fw_tail *t = (const void *)fp_fw_node(table, e);

	if (!fp_fw_tail_word(t, 0, bpf_ntohl(a[0])))
		return t->miss;
	if (v6 && (!fp_fw_tail_word(t, 1, bpf_ntohl(a[1])) ||
		   !fp_fw_tail_word(t, 2, bpf_ntohl(a[2])) ||
		   !fp_fw_tail_word(t, 3, bpf_ntohl(a[3]))))
		return t->miss;
	return t->cls;
}

/* fp_fw_addr_class: the class of the longest rule prefix holding the
 * address at A (network order, 1 or 4 words) under ROOT. */
static __always_inline __u32 fp_fw_addr_class(const __u8 *t, __u32 root, const __u32 *a, int v6)
{
	__u32 w0 = bpf_ntohl(a[0]);
	__u64 e;

	e = fp_fw_entry_read(&fp_fw_node(t, root * FP_FW_ROOT_NODES + (w0 >> 20))
				      ->e[(w0 >> 16) & (FP_FW_FANOUT - 1)]);
	e = fp_fw_descend(t, e, w0, 4);
	if (v6)
		e = fp_fw_descend6(t, e, a);
	/* Where a path ends the child bit is clear: the tail bit is the top. */
	return e >= FP_FW_TAIL ? fp_fw_tail(t, e, a, v6) : e;
}

static __always_inline __u64 fp_fw_min(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* fp_fw_admit: fold the fp_fw_values entry IDX into best and cand; its
 * key class to *cls. */
static __always_inline void fp_fw_admit(const __u8 *t, __u32 idx, __u64 *best, __u64 *cand,
					__u32 *cls)
{
	const struct fp_fw_class *c = fp_fw_value(t, idx);

	*best = fp_fw_min(*best, c->min);
	*cand &= c->shapes;
	*cls = c->cls;
}

/* The packet's fields as the match keys need them, and the rule found:
 * one CPU's scratch, in a map value rather than on the stack. The tables
 * are indexed by pointer arithmetic, and the verifier tracks each scalar
 * that reaches it exactly, back to where it was loaded: a key built on
 * the stack from the protocol (TCP, UDP, another) and the rule found
 * (narrowed by each comparison of the probe loop) would keep every way
 * through the stage apart to the end (1M instructions, no load). What is
 * read back from a map value is a fresh value to it. */
struct fp_fw_fields {
	__u64 k0, k1;           /* every field: fp_fw_k0(), fp_fw_k1() */
	__u32 sport, dport;
	__u32 pos;              /* the rule found */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_fw_fields);
} fp_fw_scratch SEC(".maps");

/* fp_fw_entry_fits: E is a rule of key K0/K1 whose port ranges hold F's. */
static __always_inline int fp_fw_entry_fits(const struct fp_fw_match_entry *e, __u64 k0,
					    __u64 k1, const struct fp_fw_fields *f)
{
	return e->k0 == k0 && e->k1 == k1 &&
	       (!e->ranged || (f->sport >= e->sport_lo && f->sport <= e->sport_hi &&
			       f->dport >= e->dport_lo && f->dport <= e->dport_hi));
}

/* fp_fw_bucket_best: the first rule in bucket IDX of key K0/K1 that F
 * matches, if before BEST; else BEST. *full: the bucket has no room. */
static __always_inline __u64 fp_fw_bucket_best(const __u8 *t, __u32 idx, __u64 k0, __u64 k1,
					       const struct fp_fw_fields *f, __u64 best,
					       int *full)
{
	const struct fp_fw_bucket *b = fp_fw_bucket(t, idx);
	int i;

	*full = 0;
	for (i = 0; i < FP_FW_BUCKET_ENTRIES; i++) {
		const struct fp_fw_match_entry *e = &b->e[i];

		if (!e->pos)
			return best; /* entries are packed from the front */
		if (e->pos < best && fp_fw_entry_fits(e, k0, k1, f))
			best = e->pos;
	}
	*full = 1;
	return best;
}

/* fp_fw_probe: the first rule of slot I that F matches, if before BEST;
 * else BEST. A key whose bit in the meta's filter is clear has no entry
 * (the buckets are not read). A key's entries go to its second bucket
 * only when the first is full, and buckets never empty: with room in the
 * first, the second holds none of them. */
static __always_inline __u64 fp_fw_probe(const struct fp_fw_set *s, int i,
					 const struct fp_fw_fields *f, __u64 best)
{
	/* The keys read from the scratch at each probe: clang would keep
	 * them in registers or on the stack, where the verifier tracks them
	 * (struct fp_fw_fields), and walk the probes once per protocol. */
	const struct fp_fw_slot *sl = &s->meta->slot[i];
	__u64 k0 = *(volatile const __u64 *)&f->k0 & sl->mask0;
	__u64 k1 = (*(volatile const __u64 *)&f->k1 & sl->mask1) | sl->k1;
	__u64 x = fp_fw_key_mix(k0, k1);
	int full;

	if (!(s->meta->filter[fp_fw_filter_word(x)] & fp_fw_filter_bit(x)))
		return best;
	x = fp_fw_hash(x);
	best = fp_fw_bucket_best(s->table, fp_fw_bucket1(x, s->meta->match_mask), k0, k1, f,
				 best, &full);
	if (full)
		best = fp_fw_bucket_best(s->table, fp_fw_bucket2(x, s->meta->match_mask), k0, k1,
					 f, best, &full);
	return best;
}

/* fp_fw_first: the position of the first rule P matches, FP_FW_NONE if
 * none. */
static __always_inline __u32 fp_fw_first(const struct fp_parsed *p, const struct fp_fw_set *s,
					 struct fp_fw_fields *f)
{
	__u32 src, dst, sp, dp, pr, skey, dkey, unused;
	int v6 = p->ip_version == 6;
	/* 64-bit: a rule's position and the slots are read as 32-bit words,
	 * and a 32-bit minimum or mask would zero-extend each result again. */
	__u64 best = s->meta->catch_all, cand = ~0u, i, left, found;

	if (p->ip_version) {
		src = fp_fw_addr_class(s->table, v6 ? FP_FW_ROOT_SRC6 : FP_FW_ROOT_SRC4,
				       p->saddr, v6);
		dst = fp_fw_addr_class(s->table, v6 ? FP_FW_ROOT_DST6 : FP_FW_ROOT_DST4,
				       p->daddr, v6);
		pr = FP_FW_V_PROTO + p->l4_proto;
	} else {
		src = FP_FW_V_NOSRC;
		dst = FP_FW_V_NODST;
		pr = FP_FW_V_NOPROTO;
	}
	if (p->has_l4 && (p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP)) {
		__u32 half = p->l4_proto == IPPROTO_UDP ? 65536 : 0;

		f->sport = p->sport;
		f->dport = p->dport;
		sp = FP_FW_V_SPORT + half + p->sport;
		dp = FP_FW_V_DPORT + half + p->dport;
	} else {
		/* Ports only: the parser keeps ICMP's type and code there too. */
		f->sport = 0;
		f->dport = 0;
		sp = FP_FW_V_NOSPORT;
		dp = FP_FW_V_NODPORT;
	}
	fp_fw_admit(s->table, src, &best, &cand, &skey);
	fp_fw_admit(s->table, dst, &best, &cand, &dkey);
	fp_fw_admit(s->table, pr, &best, &cand, &unused);
	fp_fw_admit(s->table, sp, &best, &cand, &unused);
	fp_fw_admit(s->table, dp, &best, &cand, &unused);
	f->k0 = fp_fw_k0(skey, dkey);
	f->k1 = fp_fw_k1(f->sport, f->dport, p->l4_proto, 0);
	/* Slots are in the order of their first rule: once that is not
	 * before the best so far, no later slot can win. The slots left sit
	 * in a 64-bit register the loop shifts down, and the best so far is
	 * 64-bit too: in 32 bits each slot stepped over cost ~18
	 * instructions, and each entry compared a zero extension. They are
	 * cut to the first fp_fw_slots once (the library loads the program
	 * for every slot of the live set), and the loop ends when they are
	 * spent, which bounds it for the verifier too. */
	left = cand & (~0ull >> (64 - fp_fw_slots));
	found = best;
	for (i = 0; left; i++, left >>= 1) {
		if (!(left & 1))
			continue;
		if (s->meta->slot[i].min >= found)
			break;
		found = fp_fw_probe(s, i, f, found);
	}
	return found;
}

/* fp_stage_firewall: XDP_PASS or XDP_DROP for P, and the rule that
 * decided in res (0: the policy, or no firewall loaded). */
static __always_inline int fp_stage_firewall(const struct fp_parsed *p, struct fp_fw_result *res)
{
	const struct fp_fw_verdict *vd;
	struct fp_fw_fields *f;
	struct fp_counter *cnt;
	struct fp_fw_set s;
	__u32 pos, idx, zero = 0;

	res->rule = 0;
	res->action = XDP_PASS;
	if (p->eth_proto != ETH_P_IP && p->eth_proto != ETH_P_IPV6)
		return XDP_PASS;
	f = bpf_map_lookup_elem(&fp_fw_scratch, &zero);
	if (!f || fp_fw_set_get(&s))
		return XDP_PASS; /* no rule set loaded */
	pos = fp_fw_first(p, &s, f);
	/* Read back from the scratch: see struct fp_fw_fields. */
	f->pos = pos == FP_FW_NONE ? 0 : pos;
	pos = *(volatile __u32 *)&f->pos;
	vd = fp_fw_verdict(s.table, pos);
	idx = FP_FW_COUNTER(pos, s.gen);
	cnt = bpf_map_lookup_elem(&fp_fw_counters, &idx);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += p->len;
	}
	res->rule = vd->rule;
	res->action = vd->action;
	return vd->action == XDP_DROP ? XDP_DROP : XDP_PASS;
}

#endif
