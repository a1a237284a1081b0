// SPDX-License-Identifier: BSD-2-Clause
/* The firewall compiler's match table: every rule on two fields or more
 * expanded into entries, one per tuple of key classes it covers, and the
 * entries placed in a two-choice hash table of buckets (firewall_compile.c
 * calls fp_fw_expand_rules, then fp_fw_build_table). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/mapping.h"
#include "firewall/firewall_compiler.h"

/* ---- the match table ------------------------------------------------------------ */

static __u32 entry_hash(const struct fp_fw_match_entry *e)
{
	__u64 h = e->k0 * 0x9e3779b97f4a7c15ull ^ e->k1 * 0xc2b2ae3d27d4eb4full ^
		  ((__u64)e->sport_lo << 48 | (__u64)e->sport_hi << 32 |
		   (__u64)e->dport_lo << 16 | e->dport_hi) * 0x165667b19e3779f9ull;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return (__u32)(h ^ h >> 29);
}

static bool entry_same(const struct fp_fw_match_entry *a, const struct fp_fw_match_entry *b)
{
	return a->k0 == b->k0 && a->k1 == b->k1 && a->sport_lo == b->sport_lo &&
	       a->sport_hi == b->sport_hi && a->dport_lo == b->dport_lo &&
	       a->dport_hi == b->dport_hi;
}

static int keyset_grow(struct compiler *cc)
{
	__u32 cap = cc->keyset_cap ? cc->keyset_cap * 2 : 1024, *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (__u32 i = 0; i < cc->n_ment; i++) {
		__u32 h = entry_hash(&cc->ment[i]) & (cap - 1);

		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = i + 1;
	}
	free(cc->keyset);
	cc->keyset = t;
	cc->keyset_cap = cap;
	return 0;
}

/* add_entry: E unless an earlier rule has the same key and ranges. */
static int add_entry(struct compiler *cc, const struct fp_fw_match_entry *e)
{
	__u32 h;
	int err;

	if (2 * (cc->n_ment + 1) > cc->keyset_cap && (err = keyset_grow(cc)))
		return err;
	for (h = entry_hash(e) & (cc->keyset_cap - 1); cc->keyset[h];
	     h = (h + 1) & (cc->keyset_cap - 1))
		if (entry_same(&cc->ment[cc->keyset[h] - 1], e))
			return 0;
	if (cc->n_ment == cc->ment_cap) {
		__u32 cap = cc->ment_cap ? cc->ment_cap * 2 : 1024;
		void *p = realloc(cc->ment, cap * sizeof(*cc->ment));

		if (!p)
			return -ENOMEM;
		cc->ment = p;
		cc->ment_cap = cap;
	}
	cc->ment[cc->n_ment] = *e;
	cc->keyset[h] = ++cc->n_ment;
	return 0;
}

/* key_classes: the key classes below CLS, itself included, into out. */
static __u32 key_classes(const struct compiler *cc, __u32 cls, __u32 *out, __u32 *stack)
{
	__u32 n = 0, top = 0;

	stack[top++] = cls - FP_FW_V_ADDR;
	while (top) {
		__u32 k = stack[--top];

		if (cc->pc[k].key)
			out[n++] = FP_FW_V_ADDR + k;
		for (__u32 ch = cc->pc[k].child; ch; ch = cc->pc[ch - 1].sibling)
			if (cc->pc[ch - 1].keys)
				stack[top++] = ch - 1;
	}
	return n;
}

static __u64 rule_entries(const struct compiler *cc, const struct crule *cr)
{
	__u64 n = 1;

	if (cr->shape & FP_FW_S)
		n *= cc->pc[cr->cls[0] - FP_FW_V_ADDR].keys;
	if (cr->shape & FP_FW_D)
		n *= cc->pc[cr->cls[1] - FP_FW_V_ADDR].keys;
	return cr->shape & (FP_FW_P | FP_FW_PORTS) ? n * cr->n_protos : n;
}

/* expand_proto: the entries of CR for one protocol (0 for a shape with
 * none), every pair of the source and destination key classes given. */
static int expand_proto(struct compiler *cc, const struct crule *cr, __u32 pos, __u8 proto,
		  const __u32 *src, __u32 ns, const __u32 *dst, __u32 nd)
{
	const struct fp_fw_ports *sp = &cr->r->sport, *dp = &cr->r->dport;
	struct fp_fw_match_entry e = {
		.pos = pos,
		.sport_lo = cr->shape & FP_FW_SPR ? sp->lo : 0,
		.sport_hi = cr->shape & FP_FW_SPR ? sp->hi : 65535,
		.dport_lo = cr->shape & FP_FW_DPR ? dp->lo : 0,
		.dport_hi = cr->shape & FP_FW_DPR ? dp->hi : 65535,
		.ranged = !!(cr->shape & (FP_FW_SPR | FP_FW_DPR)),
	};
	int err = 0;

	e.k1 = fp_fw_k1(cr->shape & FP_FW_SPX ? sp->lo : 0, cr->shape & FP_FW_DPX ? dp->lo : 0,
			proto, cr->shape);
	for (__u32 a = 0; !err && a < ns; a++) {
		for (__u32 b = 0; !err && b < nd; b++) {
			e.k0 = fp_fw_k0(src[a], dst[b]);
			err = add_entry(cc, &e);
		}
	}
	return err;
}

/* fp_fw_expand_rules: every rule on two fields or more into cc->ment. */
int fp_fw_expand_rules(struct compiler *cc)
{
	size_t n = (size_t)cc->n_pc + 1;
	__u32 *src = malloc(n * sizeof(*src)), *dst = malloc(n * sizeof(*dst));
	__u32 *stack = malloc(n * sizeof(*stack));
	int err = src && dst && stack ? 0 : -ENOMEM;

	for (__u32 i = 0; !err && i < cc->m; i++) {
		const struct crule *cr = &cc->rules[i];
		__u32 ns = 1, nd = 1;
		__u64 need;

		if (fp_fw_nfields(cr->shape) < 2)
			continue;
		need = rule_entries(cc, cr);
		if (cc->n_ment + need > FP_FW_MATCH_MAX) {
			err = fp_fw_refuse(cc, cr, "expands to %llu entries (limit %u, %u taken by "
				     "the rules before it)", (unsigned long long)need,
				     FP_FW_MATCH_MAX, cc->n_ment);
			break;
		}
		src[0] = dst[0] = 0;
		if (cr->shape & FP_FW_S)
			ns = key_classes(cc, cr->cls[0], src, stack);
		if (cr->shape & FP_FW_D)
			nd = key_classes(cc, cr->cls[1], dst, stack);
		if (!(cr->shape & (FP_FW_P | FP_FW_PORTS)))
			err = expand_proto(cc, cr, i + 1, 0, src, ns, dst, nd);
		for (int p = 0; !err && p < cr->n_protos; p++)
			err = expand_proto(cc, cr, i + 1, cr->protos[p], src, ns, dst, nd);
	}
	free(src);
	free(dst);
	free(stack);
	return err;
}

#define KICKS_MAX 2000

/* room: the first empty entry of bucket B, or -1. */
static int room(const struct fp_fw_bucket *b)
{
	for (int k = 0; k < FP_FW_BUCKET_ENTRIES; k++)
		if (!b->e[k].pos)
			return k;
	return -1;
}

/* place_one: E into one of its two buckets, moving others to their other
 * bucket as needed (a random walk, as cuckoo hashing does); false with
 * the entry left out in *e when the walk gives up. An entry goes to its
 * second bucket only when its first is full, and a full bucket stays
 * full: the stage relies on it to skip the second. */
static bool place_one(struct fp_fw_compiled *c, struct fp_fw_match_entry *e, __u32 *seed)
{
	__u32 mask = c->meta.match_mask, from = FP_FW_NONE;

	for (int kick = 0; kick < KICKS_MAX; kick++) {
		__u64 h = fp_fw_hash(fp_fw_key_mix(e->k0, e->k1));
		__u32 b1 = fp_fw_bucket1(h, mask), b2 = fp_fw_bucket2(h, mask), b;
		struct fp_fw_match_entry out;
		int k;

		b = (k = room(&c->buckets[b1])) >= 0 ? b1 : (k = room(&c->buckets[b2])) >= 0 ? b2 : ~0u;
		if (b != ~0u) {
			c->buckets[b].e[k] = *e;
			return true;
		}
		/* Full: evict from the bucket it did not just come from. */
		b = b1 == from ? b2 : b2 == from ? b1 : (*seed & 1 ? b1 : b2);
		*seed = *seed * 1103515245 + 12345;
		k = (*seed >> 16) % FP_FW_BUCKET_ENTRIES;
		out = c->buckets[b].e[k];
		c->buckets[b].e[k] = *e;
		*e = out;
		from = b;
	}
	return false;
}

/* place: every entry in one of its buckets; false with the rule of the
 * entry that found no room in *failed. */
static bool place(struct fp_fw_compiled *c, const struct fp_fw_match_entry *ment, __u32 n,
		  __u32 *failed)
{
	__u32 seed = 1;

	memset(c->buckets, 0, ((size_t)c->meta.match_mask + 1) * sizeof(*c->buckets));
	for (__u32 i = 0; i < n; i++) {
		struct fp_fw_match_entry e = ment[i];

		if (!place_one(c, &e, &seed)) {
			*failed = e.pos;
			return false;
		}
	}
	return true;
}

/* fp_fw_build_table: buckets for at most half-full, more when the entries do
 * not fit (many rules of one shape that differ only in port ranges share
 * a key, hence two buckets: 8 entries). */
int fp_fw_build_table(struct compiler *cc)
{
	struct fp_fw_compiled *c = cc->c;
	__u32 nb = 1, failed = 0;

	while ((__u64)nb * FP_FW_BUCKET_ENTRIES < 2ull * cc->n_ment && nb < FP_FW_BUCKETS_MAX)
		nb *= 2;
	c->buckets = fp_mapping((size_t)FP_FW_BUCKETS_MAX * sizeof(*c->buckets), true);
	if (!c->buckets)
		return -ENOMEM;
	for (;; nb *= 2) {
		c->meta.match_mask = nb - 1;
		c->n_buckets = nb;
		if (place(c, cc->ment, cc->n_ment, &failed))
			break;
		if (nb == FP_FW_BUCKETS_MAX)
			return fp_fw_refuse(cc, &cc->rules[failed - 1], "finds no room in the match table "
				      "(%u entries in %u buckets of %u; rules of one shape that "
				      "differ only in port ranges share 2 buckets)", cc->n_ment,
				      FP_FW_BUCKETS_MAX, FP_FW_BUCKET_ENTRIES);
	}
	c->n_match = cc->n_ment;
	for (__u32 i = 0; i < cc->n_ment; i++) {
		__u64 x = fp_fw_key_mix(cc->ment[i].k0, cc->ment[i].k1);

		c->meta.filter[fp_fw_filter_word(x)] |= fp_fw_filter_bit(x);
	}
	return 0;
}
