// SPDX-License-Identifier: BSD-2-Clause
/* Counters that survive a replace: a rule kept from the old set (same
 * content, wherever it moved) starts from what it had counted, and what
 * packets count in the old set after the snapshot is added once no
 * packet uses it any more (firewall.c installs, this pairs and sums). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "firewall/firewall_compiled.h"
#include "firewall/firewall_gen.h"

/* A rule's identity for carrying counters: everything but its place. */
int fp_fw_content_cmp(const struct fp_fw_entry *a, const struct fp_fw_entry *b)
{
	size_t from = offsetof(struct fp_fw_entry, action);
	size_t to = offsetof(struct fp_fw_entry, base_packets);

	return memcmp((const char *)a + from, (const char *)b + from, to - from);
}

struct ranked {
	const struct fp_fw_entry *e;
	__u32 pos;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = fp_fw_content_cmp(x->e, y->e);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static struct ranked *rank(const struct fp_fw_entry *e, __u32 n)
{
	struct ranked *r = calloc(n ? n : 1, sizeof(*r));

	for (__u32 i = 0; r && i < n; i++)
		r[i] = (struct ranked){ &e[i + 1], i + 1 };
	if (r)
		qsort(r, n, sizeof(*r), ranked_cmp);
	return r;
}

/* pair: the k-th old copy of a rule carries to its k-th new copy; the
 * policy carries to the policy when its action is the same. */
static int pair(struct carry *cr, const struct fp_fw_compiled *c)
{
	struct ranked *o = rank(cr->old, cr->old_pos - 1), *n = rank(c->entries, c->n_pos - 1);
	__u32 i = 0, j = 0;

	if (!o || !n) {
		free(o);
		free(n);
		return -ENOMEM;
	}
	if (cr->old[0].action == c->entries[0].action)
		cr->to[0] = 1;
	while (i < cr->old_pos - 1 && j < c->n_pos - 1) {
		int d = fp_fw_content_cmp(o[i].e, n[j].e);

		if (!d)
			cr->to[o[i].pos] = n[j].pos + 1;
		i += d <= 0;
		j += d >= 0;
	}
	free(o);
	free(n);
	return 0;
}

struct fp_counter fp_fw_carry_live(const struct carry *cr, __u32 pos)
{
	struct fp_counter sum = { 0 };

	for (__u32 cpu = 0; cpu < cr->old_ncpu; cpu++) {
		sum.packets += cr->cnt[cpu * cr->old_pos + pos].packets;
		sum.bytes += cr->cnt[cpu * cr->old_pos + pos].bytes;
	}
	return sum;
}

void fp_fw_carry_free(struct carry *cr)
{
	if (cr->old)
		munmap(cr->old, cr->old_size);
	if (cr->cnt)
		munmap(cr->cnt, cr->cnt_size);
	free(cr->to);
	free(cr->snap);
	memset(cr, 0, sizeof(*cr));
}

/* carry_open: the old set's list and counters, paired with C if given. */
int fp_fw_carry_open(const struct gen_maps *old, const struct fp_fw_compiled *c,
		      struct carry *cr)
{
	struct fp_fw_meta meta;
	int err;

	memset(cr, 0, sizeof(*cr));
	err = fp_fw_gen_meta(old, &meta);
	if (err)
		return err;
	cr->old_pos = old->max[IN_LIST];
	cr->old_ncpu = meta.ncpu;
	if (meta.n_pos != cr->old_pos || (__u64)meta.ncpu * meta.n_pos > old->max[IN_COUNTERS])
		return -EPROTO;
	cr->old = fp_fw_gen_mmap(old, IN_LIST, &cr->old_size);
	cr->cnt = fp_fw_gen_mmap(old, IN_COUNTERS, &cr->cnt_size);
	cr->to = calloc(cr->old_pos, sizeof(*cr->to));
	cr->snap = calloc(cr->old_pos, sizeof(*cr->snap));
	if (!cr->old || !cr->cnt || !cr->to || !cr->snap) {
		fp_fw_carry_free(cr);
		return -ENOMEM;
	}
	return c ? pair(cr, c) : 0;
}

/* carry_list: the new list, with what each kept rule had counted so far
 * as its base. */
int fp_fw_carry_list(const struct carry *cr, const struct fp_fw_compiled *c,
		      const struct gen_maps *g, struct fp_counter *snap)
{
	size_t size;
	struct fp_fw_entry *list = fp_fw_gen_mmap(g, IN_LIST, &size);

	if (!list)
		return -errno;
	memcpy(list, c->entries, (size_t)c->n_pos * sizeof(*list));
	for (__u32 pos = 0; cr->to && pos < cr->old_pos; pos++) {
		struct fp_fw_entry *e;

		if (!cr->to[pos])
			continue;
		e = &list[cr->to[pos] - 1];
		snap[pos] = fp_fw_carry_live(cr, pos);
		e->base_packets = cr->old[pos].base_packets + snap[pos].packets;
		e->base_bytes = cr->old[pos].base_bytes + snap[pos].bytes;
	}
	munmap(list, size);
	return 0;
}

/* carry_rest: once no packet uses the old set, what it counted after the
 * snapshot. */
int fp_fw_carry_rest(const struct carry *cr, const struct gen_maps *g)
{
	size_t size;
	struct fp_fw_entry *list = fp_fw_gen_mmap(g, IN_LIST, &size);

	if (!list)
		return -errno;
	for (__u32 pos = 0; pos < cr->old_pos; pos++) {
		struct fp_counter now;
		struct fp_fw_entry *e;

		if (!cr->to[pos])
			continue;
		now = fp_fw_carry_live(cr, pos);
		e = &list[cr->to[pos] - 1];
		e->base_packets += now.packets - cr->snap[pos].packets;
		e->base_bytes += now.bytes - cr->snap[pos].bytes;
	}
	munmap(list, size);
	return 0;
}
