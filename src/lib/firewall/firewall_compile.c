// SPDX-License-Identifier: BSD-2-Clause
/* fp_firewall_compile: a rule set to the contents of the firewall maps of
 * bpf/firewall_abi.h, in memory; no kernel involved.
 *
 * Every field of a packet maps to a class: an address to the longest rule
 * prefix that holds it (a multibit trie), a port and a protocol to
 * themselves. A rule's shape is the set of fields it constrains. A rule
 * on one field is folded into that field's entries of the values (min); a
 * rule on no field into meta.catch_all; a rule on two fields or more is
 * expanded into the match table, one entry per tuple of key classes it
 * covers (an address's key class is the longest prefix of such a rule
 * that holds it), so the stage finds the first rule of each shape with
 * one lookup in its own hash table.
 *
 * The match table is built in firewall_table.c; what the stage decides
 * for a packet, computed in userspace, is firewall_eval.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include "core/mapping.h"
#include "firewall/firewall_compiled.h"
#include "firewall/firewall_gen.h"
#include "firewall/firewall_compiler.h"

_Static_assert(FP_FW_RULES_MAX == FP_CONFIG_RULES_MAX, "one rule limit");

/* fp_fw_nfields: how many fields SHAPE constrains. */
int fp_fw_nfields(__u8 shape)
{
	int n = 0;

	for (int f = 0; f < F_MAX; f++)
		n += !!(shape & field_bits[f]);
	return n;
}

/* fp_fw_refuse: -E2BIG, why CR does not fit the maps in cc->err. */
int fp_fw_refuse(struct compiler *cc, const struct crule *cr, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!cc->err)
		return -E2BIG;
	n = snprintf(cc->err->msg, sizeof(cc->err->msg),
		     "does not fit the maps: rule %u at line %u ", cr->index, cr->r->line);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(cc->err->msg))
		vsnprintf(cc->err->msg + n, sizeof(cc->err->msg) - n, fmt, ap);
	va_end(ap);
	return -E2BIG;
}

/* ---- rules and shapes ---------------------------------------------------- */

static void rule_shape(struct crule *cr)
{
	const struct fp_fw_rule *r = cr->r;
	__u8 s = 0;

	if (r->src.present)
		s |= FP_FW_S;
	if (r->dst.present)
		s |= FP_FW_D;
	if (r->sport.lo)
		s |= r->sport.lo == r->sport.hi ? FP_FW_SPX : FP_FW_SPR;
	if (r->dport.lo)
		s |= r->dport.lo == r->dport.hi ? FP_FW_DPX : FP_FW_DPR;
	/* Ports mean TCP or UDP, and fold the protocol into the port
	 * tables; a protocol other than those with ports matches nothing. */
	if (s & FP_FW_PORTS) {
		if (!r->proto || r->proto == IPPROTO_TCP)
			cr->protos[cr->n_protos++] = IPPROTO_TCP;
		if (!r->proto || r->proto == IPPROTO_UDP)
			cr->protos[cr->n_protos++] = IPPROTO_UDP;
	} else if (r->proto) {
		s |= FP_FW_P;
		cr->protos[cr->n_protos++] = r->proto;
	}
	cr->shape = s;
}

static bool rule_applies(const struct fp_fw_rule *r, const char *dev)
{
	return !r->ifname[0] || (dev && !strcmp(r->ifname, dev));
}

size_t fp_firewall_rules_on(const struct fp_firewall_config *fw, const char *dev)
{
	size_t n = 0;

	for (size_t i = 0; i < fw->n_rules; i++)
		n += rule_applies(&fw->rules[i], dev);
	return n;
}

unsigned int fp_firewall_slots(const struct fp_firewall_config *fw, const char *dev)
{
	bool seen[128] = { false };
	unsigned int n = 0;

	for (size_t i = 0; i < fw->n_rules; i++) {
		struct crule cr = { .r = &fw->rules[i] };

		if (dev && !rule_applies(cr.r, dev))
			continue;
		rule_shape(&cr);
		if (fp_fw_nfields(cr.shape) >= 2 && !seen[cr.shape]) {
			seen[cr.shape] = true;
			n++;
		}
	}
	return n;
}

static int select_rules(struct compiler *cc, const struct fp_firewall_config *fw,
			const char *dev)
{
	cc->rules = calloc(fw->n_rules ? fw->n_rules : 1, sizeof(*cc->rules));
	if (!cc->rules)
		return -ENOMEM;
	for (size_t i = 0; i < fw->n_rules; i++) {
		struct crule *cr = &cc->rules[cc->m];

		if (!rule_applies(&fw->rules[i], dev))
			continue;
		cr->r = &fw->rules[i];
		cr->index = fw->rules[i].index ? fw->rules[i].index : i + 1;
		rule_shape(cr);
		cc->m++;
	}
	return 0;
}

/* Slots: the shapes of two fields or more in use, in the order of their
 * first rule, so the stage can stop at the first slot that starts after
 * the best rule found. */
static void assign_slots(struct compiler *cc)
{
	__u32 first[128], order[FP_FW_SLOTS], n = 0;
	struct fp_fw_meta *meta = &cc->c->meta;

	for (int s = 0; s < 128; s++) {
		first[s] = FP_FW_NONE;
		cc->slot_of[s] = -1;
	}
	for (__u32 i = 0; i < cc->m; i++) {
		__u8 s = cc->rules[i].shape;

		if (fp_fw_nfields(s) >= 2 && first[s] == FP_FW_NONE) {
			first[s] = i + 1;
			order[n++] = s;  /* rules run in order: firsts ascend */
		}
	}
	for (__u32 k = 0; k < FP_FW_SLOTS; k++)
		meta->slot[k].min = FP_FW_NONE;
	for (__u32 k = 0; k < n; k++) {
		struct fp_fw_slot *sl = &meta->slot[k];

		cc->slot_of[order[k]] = k;
		sl->min = first[order[k]];
		sl->shape = order[k];
		fp_fw_slot_masks(order[k], &sl->mask0, &sl->mask1, &sl->k1);
		for (int f = 0; f < F_MAX; f++)
			if (!(order[k] & field_bits[f]))
				cc->nomask[f] |= 1u << k;
	}
	meta->n_slots = n;
	meta->layout = FP_FW_LAYOUT;
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->root != y->root)
		return x->root - y->root;
	if (x->len != y->len)
		return x->len - y->len;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* classify_prefixes: one class per distinct prefix, the trie, and each
 * class's parent (the longest shorter rule prefix holding it). */
static int classify_prefixes(struct compiler *cc)
{
	struct prefix *pfx = calloc(2 * (size_t)cc->m + 1, sizeof(*pfx));
	__u32 n = 0, k = 0;
	int err = 0;

	if (!pfx)
		return -ENOMEM;
	for (__u32 i = 0; i < cc->m; i++) {
		const struct fp_fw_rule *r = cc->rules[i].r;
		const struct fp_fw_prefix *side[2] = { &r->src, &r->dst };

		for (int d = 0; d < 2; d++) {
			if (!side[d]->present)
				continue;
			pfx[n].root = (side[d]->family == AF_INET6 ? FP_FW_ROOT_SRC6 : 0) + d;
			pfx[n].len = side[d]->len;
			memcpy(pfx[n].addr, side[d]->addr, 16);
			pfx[n++].rule = i;
		}
	}
	qsort(pfx, n, sizeof(*pfx), prefix_cmp);
	cc->pc = calloc(n + 1, sizeof(*cc->pc));
	err = cc->pc ? fp_fw_trie_init(cc->c) : -ENOMEM;
	for (__u32 i = 0; !err && i < n; i++) {
		struct crule *cr = &cc->rules[pfx[i].rule];

		if (i && !prefix_cmp(&pfx[i - 1], &pfx[i])) {
			cr->cls[pfx[i].root & 1] = FP_FW_V_ADDR + k - 1;
			cc->pc[k - 1].key |= fp_fw_nfields(cr->shape) >= 2;
			continue;
		}
		cc->pc[k].key = fp_fw_nfields(cr->shape) >= 2;
		cc->pc[k].parent = fp_fw_trie_lookup(cc->c, pfx[i].root, pfx[i].addr);
		err = fp_fw_trie_insert(cc->c, pfx[i].root, pfx[i].addr, pfx[i].len, FP_FW_V_ADDR + k);
		if (err == -E2BIG)
			err = fp_fw_refuse(cc, cr, "(its %s address needs more than %u trie nodes)",
				     pfx[i].root & 1 ? "destination" : "source",
				     FP_FW_NODES_MAX);
		cr->cls[pfx[i].root & 1] = FP_FW_V_ADDR + k;
		k++;
	}
	cc->n_pc = k;
	cc->c->addr_classes = k;
	/* Parents sort before their children: sizes add up from the end. */
	for (__u32 i = k; !err && i-- > 0;) {
		__u32 par = cc->pc[i].parent;

		cc->pc[i].keys += cc->pc[i].key;
		if (par >= FP_FW_V_ADDR) {
			struct pclass *pp = &cc->pc[par - FP_FW_V_ADDR];

			pp->keys += cc->pc[i].keys;
			cc->pc[i].sibling = pp->child;
			pp->child = i + 1;
		}
	}
	free(pfx);
	return err;
}

/* ---- the values ---------------------------------------------------------------- */

static __u32 umin(__u32 a, __u32 b)
{
	return a < b ? a : b;
}

static void values_init(struct compiler *cc)
{
	struct fp_fw_class *v = cc->c->values;

	for (__u32 p = 0; p < 2 * 65536; p++) {
		v[FP_FW_V_SPORT + p] = (struct fp_fw_class){ cc->nomask[F_SP], FP_FW_NONE, 0, 0 };
		v[FP_FW_V_DPORT + p] = (struct fp_fw_class){ cc->nomask[F_DP], FP_FW_NONE, 0, 0 };
	}
	for (__u32 p = 0; p < 256; p++)
		v[FP_FW_V_PROTO + p] = (struct fp_fw_class){ cc->nomask[F_P], FP_FW_NONE, 0, 0 };
	v[FP_FW_V_NOSPORT] = (struct fp_fw_class){ cc->nomask[F_SP], FP_FW_NONE, 0, 0 };
	v[FP_FW_V_NODPORT] = (struct fp_fw_class){ cc->nomask[F_DP], FP_FW_NONE, 0, 0 };
	v[FP_FW_V_NOPROTO] = (struct fp_fw_class){ cc->nomask[F_P], FP_FW_NONE, 0, 0 };
	v[FP_FW_V_NOSRC] = (struct fp_fw_class){ cc->nomask[F_S], FP_FW_NONE, 0, 0 };
	v[FP_FW_V_NODST] = (struct fp_fw_class){ cc->nomask[F_D], FP_FW_NONE, 0, 0 };
	for (__u32 k = 0; k < cc->n_pc; k++)
		v[FP_FW_V_ADDR + k] = (struct fp_fw_class){ 0, FP_FW_NONE, 0, 0 };
	cc->c->n_values = FP_FW_V_ADDR + cc->n_pc;
}

/* fold: a rule of position POS on field value V: the first of its one
 * field, or one more admitted slot. */
static void fold(struct compiler *cc, struct fp_fw_class *v, const struct crule *cr, __u32 pos)
{
	if (fp_fw_nfields(cr->shape) == 1)
		v->min = umin(v->min, pos);
	else
		v->shapes |= 1u << cc->slot_of[cr->shape];
}

/* Addresses and protocols: own rules, then what every holding prefix
 * admits (parents come first). */
static void values_addr_proto(struct compiler *cc)
{
	struct fp_fw_class *v = cc->c->values;

	cc->c->meta.catch_all = FP_FW_NONE;
	for (__u32 i = 0; i < cc->m; i++) {
		const struct crule *cr = &cc->rules[i];

		if (!cr->shape)
			cc->c->meta.catch_all = umin(cc->c->meta.catch_all, i + 1);
		if (cr->shape & FP_FW_S)
			fold(cc, &v[cr->cls[0]], cr, i + 1);
		if (cr->shape & FP_FW_D)
			fold(cc, &v[cr->cls[1]], cr, i + 1);
		if (cr->shape & FP_FW_P)
			fold(cc, &v[FP_FW_V_PROTO + cr->protos[0]], cr, i + 1);
	}
	for (__u32 k = 0; k < cc->n_pc; k++) {
		struct fp_fw_class *c = &v[FP_FW_V_ADDR + k];
		const struct fp_fw_class *par = &v[cc->pc[k].parent];

		c->shapes |= par->shapes;
		c->min = umin(c->min, par->min);
		c->cls = cc->pc[k].key ? FP_FW_V_ADDR + k : par->cls;
	}
}

static bool has_proto(const struct crule *cr, __u8 proto)
{
	for (int i = 0; i < cr->n_protos; i++)
		if (cr->protos[i] == proto)
			return true;
	return false;
}

static const struct fp_fw_ports *rule_ports(const struct crule *cr, int dim)
{
	return dim ? &cr->r->dport : &cr->r->sport;
}

static __u32 paint_find(__u32 *next, __u32 p)
{
	while (next[p] != p) {
		next[p] = next[next[p]];
		p = next[p];
	}
	return p;
}

/* The port passes' scratch, one mapping for the four: fresh memory is
 * what they cost (a first touch is a fault), not their loops. */
struct port_scratch {
	__u32 next[65537];      /* paint_find's: the next port not painted */
	__u32 imask[65537];     /* per elementary interval: admitted slots */
	__u32 iv[65536];        /* per port: its elementary interval */
	__u8 bnd[65537];        /* an interval starts at this port */
};

/* values_ports: the entries of one port dimension (0 source, 1
 * destination) and half (0 TCP, 1 UDP): admitted slots, the first rule on
 * this field alone. A port is admitted by a slot's range rules through
 * the elementary interval it lies in (between two ends of such ranges). */
static void values_ports(struct compiler *cc, struct port_scratch *ps, int dim, int half)
{
	__u8 proto = half ? IPPROTO_UDP : IPPROTO_TCP;
	__u8 x = dim ? FP_FW_DPX : FP_FW_SPX, rng = dim ? FP_FW_DPR : FP_FW_SPR;
	struct fp_fw_class *v = cc->c->values + (dim ? FP_FW_V_DPORT : FP_FW_V_SPORT) +
				half * 65536;
	__u32 *next = ps->next, *imask = ps->imask, *iv = ps->iv;
	__u8 *bnd = ps->bnd;
	__u32 n = 0;

	memset(imask, 0, sizeof(ps->imask));
	memset(bnd, 0, sizeof(ps->bnd));
	for (__u32 i = 0; i < cc->m; i++) {
		const struct crule *cr = &cc->rules[i];

		if ((cr->shape & rng) && fp_fw_nfields(cr->shape) >= 2 && has_proto(cr, proto)) {
			bnd[rule_ports(cr, dim)->lo] = 1;
			bnd[rule_ports(cr, dim)->hi + 1] = 1;
		}
	}
	for (__u32 p = 0; p < 65536; p++) {
		n += bnd[p];
		iv[p] = n;
		next[p] = p;
	}
	next[65536] = 65536;
	for (__u32 i = 0; i < cc->m; i++) {
		const struct crule *cr = &cc->rules[i];
		const struct fp_fw_ports *pr = rule_ports(cr, dim);

		if (!(cr->shape & (x | rng)) || !has_proto(cr, proto))
			continue;
		if (fp_fw_nfields(cr->shape) == 1) {
			/* Rules come in order: the first to paint a port wins. */
			for (__u32 p = paint_find(next, pr->lo); p <= pr->hi;
			     p = paint_find(next, p + 1)) {
				v[p].min = i + 1;
				next[p] = p + 1;
			}
		} else if (cr->shape & x) {
			v[pr->lo].shapes |= 1u << cc->slot_of[cr->shape];
		} else {
			for (__u32 k = iv[pr->lo]; k <= iv[pr->hi]; k++)
				imask[k] |= 1u << cc->slot_of[cr->shape];
		}
	}
	for (__u32 p = 0; p < 65536; p++)
		v[p].shapes |= imask[iv[p]];
}

/* ---- verdicts and the listing --------------------------------------------------- */

static __u32 xdp_action(enum fp_fw_action a)
{
	return a == FP_FW_DROP ? XDP_DROP : XDP_PASS;
}

static void entry_of(struct fp_fw_entry *e, const struct fp_fw_rule *r, __u32 index)
{
	memset(e, 0, sizeof(*e));
	e->rule = index;
	e->line = r->line;
	e->action = r->action;
	e->family = r->family;
	e->proto = r->proto;
	if (r->src.present) {
		e->flags |= FP_FW_ENTRY_SRC;
		e->src_len = r->src.len;
		memcpy(e->src, r->src.addr, 16);
	}
	if (r->dst.present) {
		e->flags |= FP_FW_ENTRY_DST;
		e->dst_len = r->dst.len;
		memcpy(e->dst, r->dst.addr, 16);
	}
	e->sport_lo = r->sport.lo;
	e->sport_hi = r->sport.hi;
	e->dport_lo = r->dport.lo;
	e->dport_hi = r->dport.hi;
	memcpy(e->ifname, r->ifname, sizeof(e->ifname));
}

static int fill_rules(struct compiler *cc, enum fp_fw_action policy)
{
	struct fp_fw_compiled *c = cc->c;

	c->n_pos = cc->m + 1;
	c->meta.n_pos = c->n_pos;
	c->verdicts = calloc(c->n_pos, sizeof(*c->verdicts));
	c->entries = calloc(c->n_pos, sizeof(*c->entries));
	if (!c->verdicts || !c->entries)
		return -ENOMEM;
	c->verdicts[0].action = xdp_action(policy);
	c->entries[0].action = policy;
	for (__u32 i = 0; i < cc->m; i++) {
		c->verdicts[i + 1].action = xdp_action(cc->rules[i].r->action);
		c->verdicts[i + 1].rule = cc->rules[i].index;
		entry_of(&c->entries[i + 1], cc->rules[i].r, cc->rules[i].index);
	}
	return 0;
}

/* ---- the whole --------------------------------------------------------------------- */

void fp_fw_compiled_free(struct fp_fw_compiled *c)
{
	if (!c)
		return;
	fp_mapping_free(c->nodes, (size_t)FP_FW_NODES_MAX * sizeof(*c->nodes));
	fp_mapping_free(c->values, (size_t)FP_FW_VALUES_MAX * sizeof(*c->values));
	fp_mapping_free(c->buckets, (size_t)FP_FW_BUCKETS_MAX * sizeof(*c->buckets));
	free(c->verdicts);
	free(c->entries);
	if (c->staged)
		fp_fw_gen_close(c->staged);
	free(c->staged);
	free(c);
}

static void compiler_free(struct compiler *cc)
{
	free(cc->rules);
	free(cc->pc);
	free(cc->keyset);
	free(cc->ment);
}

int fp_firewall_compile(const struct fp_firewall_config *fw, const char *dev,
			struct fp_fw_compiled **out, struct fp_config_error *err)
{
	struct compiler cc = { .err = err };
	int ret;

	*out = NULL;
	if (err)
		err->msg[0] = '\0';
	cc.c = calloc(1, sizeof(*cc.c));
	if (!cc.c)
		return -ENOMEM;
	cc.c->values = fp_mapping((size_t)FP_FW_VALUES_MAX * sizeof(*cc.c->values), true);
	ret = cc.c->values ? select_rules(&cc, fw, dev) : -ENOMEM;
	if (!ret) {
		assign_slots(&cc);
		ret = classify_prefixes(&cc);
	}
	if (!ret) {
		struct port_scratch *ps = fp_mapping(sizeof(*ps), true);

		values_init(&cc);
		values_addr_proto(&cc);
		for (int d = 0; ps && d < 2; d++)
			for (int h = 0; h < 2; h++)
				values_ports(&cc, ps, d, h);
		ret = ps ? 0 : -ENOMEM;
		fp_mapping_free(ps, sizeof(*ps));
	}
	ret = ret ?: fp_fw_expand_rules(&cc);
	ret = ret ?: fp_fw_build_table(&cc);
	ret = ret ?: fill_rules(&cc, fw->policy);
	compiler_free(&cc);
	if (ret) {
		fp_fw_compiled_free(cc.c);
		return ret;
	}
	*out = cc.c;
	return 0;
}

void fp_fw_compiled_stats(const struct fp_fw_compiled *c, struct fp_fw_compile_stats *st)
{
	st->rules = c->n_pos - 1;
	st->slots = c->meta.n_slots;
	st->match_entries = c->n_match;
	st->nodes = c->n_nodes;
	st->addr_classes = c->addr_classes;
}
