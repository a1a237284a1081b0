// SPDX-License-Identifier: BSD-2-Clause
/* What the firewall stage decides for a packet, computed in userspace on a
 * compiled rule set (as bpf/firewall_stage.h walks the maps), and
 * fp_firewall_check: a rule set compiled for every device it names, the
 * compiled set kept for the apply that follows. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "firewall/firewall_compiled.h"
#include "firewall/firewall_gen.h"

static __u32 umin(__u32 a, __u32 b)
{
	return a < b ? a : b;
}

static const struct fp_fw_class *admit(const struct fp_fw_compiled *c, __u32 idx,
				       __u32 *best, __u32 *cand)
{
	const struct fp_fw_class *v = &c->values[idx];

	*best = umin(*best, v->min);
	*cand &= v->shapes;
	return v;
}

static bool bucket_full(const struct fp_fw_bucket *b)
{
	return b->e[FP_FW_BUCKET_ENTRIES - 1].pos != 0;
}

static __u32 bucket_best(const struct fp_fw_bucket *b, __u64 k0, __u64 k1,
			 const struct fp_fw_packet *pkt, __u32 best)
{
	for (int i = 0; i < FP_FW_BUCKET_ENTRIES && b->e[i].pos; i++) {
		const struct fp_fw_match_entry *e = &b->e[i];

		if (e->pos < best && e->k0 == k0 && e->k1 == k1 &&
		    (!e->ranged || (pkt->sport >= e->sport_lo && pkt->sport <= e->sport_hi &&
				    pkt->dport >= e->dport_lo && pkt->dport <= e->dport_hi)))
			best = e->pos;
	}
	return best;
}

/* probe: as the stage's fp_fw_probe, for slot I. */
static __u32 probe(const struct fp_fw_compiled *c, int i, __u32 src, __u32 dst,
		   const struct fp_fw_packet *pkt, __u32 best)
{
	const struct fp_fw_slot *sl = &c->meta.slot[i];
	__u64 k0 = fp_fw_k0(src, dst) & sl->mask0;
	__u64 k1 = (fp_fw_k1(pkt->sport, pkt->dport, pkt->proto, 0) & sl->mask1) | sl->k1;
	__u64 x = fp_fw_key_mix(k0, k1);
	__u32 b1, b2;

	if (!(c->meta.filter[fp_fw_filter_word(x)] & fp_fw_filter_bit(x)))
		return best;
	x = fp_fw_hash(x);
	b1 = fp_fw_bucket1(x, c->meta.match_mask);
	b2 = fp_fw_bucket2(x, c->meta.match_mask);
	best = bucket_best(&c->buckets[b1], k0, k1, pkt, best);
	if (!bucket_full(&c->buckets[b1]))
		return best;
	return bucket_best(&c->buckets[b2], k0, k1, pkt, best);
}

static __u32 first_match(const struct fp_fw_compiled *c, const struct fp_fw_packet *pkt)
{
	__u32 best = c->meta.catch_all, cand = ~0u, src, dst, pr, sp, dp, skey, dkey;
	bool v6 = pkt->family == AF_INET6;

	if (pkt->family) {
		src = fp_fw_trie_lookup(c, v6 ? FP_FW_ROOT_SRC6 : FP_FW_ROOT_SRC4, pkt->src);
		dst = fp_fw_trie_lookup(c, v6 ? FP_FW_ROOT_DST6 : FP_FW_ROOT_DST4, pkt->dst);
		pr = FP_FW_V_PROTO + pkt->proto;
	} else {
		src = FP_FW_V_NOSRC;
		dst = FP_FW_V_NODST;
		pr = FP_FW_V_NOPROTO;
	}
	if (pkt->family && pkt->ports &&
	    (pkt->proto == IPPROTO_TCP || pkt->proto == IPPROTO_UDP)) {
		__u32 half = pkt->proto == IPPROTO_UDP ? 65536 : 0;

		sp = FP_FW_V_SPORT + half + pkt->sport;
		dp = FP_FW_V_DPORT + half + pkt->dport;
	} else {
		sp = FP_FW_V_NOSPORT;
		dp = FP_FW_V_NODPORT;
	}
	skey = admit(c, src, &best, &cand)->cls;
	dkey = admit(c, dst, &best, &cand)->cls;
	admit(c, pr, &best, &cand);
	admit(c, sp, &best, &cand);
	admit(c, dp, &best, &cand);
	for (__u32 i = 0; i < FP_FW_SLOTS && cand; i++) {
		if (!(cand & (1u << i)))
			continue;
		cand &= ~(1u << i);
		if (c->meta.slot[i].min >= best)
			break;
		best = probe(c, i, skey, dkey, pkt, best);
	}
	return best;
}

void fp_fw_compiled_match(const struct fp_fw_compiled *c, const struct fp_fw_packet *pkt,
			  unsigned int *rule, enum fp_fw_action *action)
{
	__u32 pos = first_match(c, pkt);

	if (pos == FP_FW_NONE)
		pos = 0;
	*rule = c->entries[pos].rule;
	*action = c->entries[pos].action;
}

/* The set fp_firewall_check compiled last, kept for the fp_firewall_apply
 * that follows it (fastpathd checks a config whole, then applies it, and
 * compiling 10,000 rules takes ~20 ms): only a set that names no
 * interface, which is then every interface's, with a copy of its rules
 * that an apply's must equal byte for byte. Taken by that apply, or
 * dropped by the next check or fp_firewall_check_release. */
static struct {
	pthread_mutex_t lock;
	struct fp_fw_compiled *c;
	enum fp_fw_action policy;
	struct fp_fw_rule *rules;
	size_t n;
} kept = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool names_an_interface(const struct fp_firewall_config *fw)
{
	for (size_t i = 0; i < fw->n_rules; i++)
		if (fw->rules[i].ifname[0])
			return true;
	return false;
}

static bool kept_is(const struct fp_firewall_config *fw)
{
	return kept.c && kept.policy == fw->policy && kept.n == fw->n_rules &&
	       (!fw->n_rules || !memcmp(kept.rules, fw->rules, fw->n_rules * sizeof(*fw->rules)));
}

static void kept_drop(void)
{
	fp_fw_compiled_free(kept.c);
	free(kept.rules);
	kept.c = NULL;
	kept.rules = NULL;
	kept.n = 0;
}

/* keep: C (FW compiled for every interface) in place of what was kept;
 * C NULL: nothing. C is freed when FW cannot be copied. */
static void keep(const struct fp_firewall_config *fw, struct fp_fw_compiled *c)
{
	struct fp_fw_rule *copy = c && fw->n_rules ? malloc(fw->n_rules * sizeof(*copy)) : NULL;

	pthread_mutex_lock(&kept.lock);
	kept_drop();
	if (!c || (fw->n_rules && !copy)) {
		fp_fw_compiled_free(c);
	} else {
		if (copy)
			memcpy(copy, fw->rules, fw->n_rules * sizeof(*copy));
		kept.c = c;
		kept.policy = fw->policy;
		kept.rules = copy;
		kept.n = fw->n_rules;
	}
	pthread_mutex_unlock(&kept.lock);
}

void fp_firewall_check_release(void)
{
	pthread_mutex_lock(&kept.lock);
	kept_drop();
	pthread_mutex_unlock(&kept.lock);
}

int fp_firewall_check_stage(void)
{
	struct gen_maps *g = NULL;
	int err = 0;

	pthread_mutex_lock(&kept.lock);
	if (kept.c && !kept.c->staged) {
		g = malloc(sizeof(*g));
		err = g ? fp_fw_gen_make(kept.c, g) : -ENOMEM;
		if (err)
			free(g);
		else
			kept.c->staged = g;
	}
	pthread_mutex_unlock(&kept.lock);
	return err;
}

struct fp_fw_compiled *fp_fw_kept_take(const struct fp_firewall_config *fw)
{
	struct fp_fw_compiled *c = NULL;

	pthread_mutex_lock(&kept.lock);
	if (kept_is(fw)) {
		c = kept.c;
		kept.c = NULL;
		kept_drop();
	}
	pthread_mutex_unlock(&kept.lock);
	return c;
}

int fp_firewall_check(const struct fp_firewall_config *fw, struct fp_config_error *err)
{
	bool named = names_an_interface(fw);
	struct fp_fw_compiled *c;
	int ret = fp_firewall_compile(fw, NULL, &c, err);

	if (ret || named) {
		fp_fw_compiled_free(c);
		c = NULL;
	}
	keep(fw, c);
	for (size_t i = 0; !ret && named && i < fw->n_rules; i++) {
		const char *dev = fw->rules[i].ifname;
		bool seen = !*dev;

		for (size_t j = 0; !seen && j < i; j++)
			seen = !strcmp(fw->rules[j].ifname, dev);
		if (seen)
			continue;
		ret = fp_firewall_compile(fw, dev, &c, err);
		fp_fw_compiled_free(c);
	}
	return ret;
}
