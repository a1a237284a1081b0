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
#include <bpf/libbpf.h>
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

/* ---- fp_fw_counters ---------------------------------------------------------- */

/* Per-CPU values go to and from the kernel CHUNK positions at a time. */
#define CHUNK 4096u

__u32 fp_fw_counters_room(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(struct fp_counter))
		return 0;
	return info.max_entries / 2;
}

struct chunk {
	int ncpu;
	__u32 *keys;            /* 2 * CHUNK at most */
	struct fp_counter *v;   /* as many keys' values, ncpu each, zeroed */
};

/* chunk_open: buffers for N_POS positions' counters, CHUNK at a time. */
static int chunk_open(struct chunk *k, __u32 n_pos)
{
	size_t n = 2 * (n_pos < CHUNK ? n_pos : CHUNK);

	memset(k, 0, sizeof(*k));
	k->ncpu = libbpf_num_possible_cpus();
	if (k->ncpu <= 0)
		return k->ncpu ? k->ncpu : -EINVAL;
	k->keys = calloc(n ? n : 1, sizeof(*k->keys));
	k->v = calloc(n ? n * k->ncpu : 1, sizeof(*k->v));
	return k->keys && k->v ? 0 : -ENOMEM;
}

static void chunk_close(struct chunk *k)
{
	free(k->keys);
	free(k->v);
}

/* counters_read: the N_POS positions of generation SLOT in FD, each
 * summed over CPUs, into SUM; positions FD has no room for (or no FD:
 * counters of another layout, or none pinned) read as zero. A batch
 * lookup walks the keys in order from the one after its in_batch: both
 * generations of a position are read, SLOT's kept. */
static int counters_read(int fd, __u32 slot, __u32 n_pos, struct fp_counter *sum)
{
	__u32 room = fp_fw_counters_room(fd), n_read = n_pos < room ? n_pos : room;
	struct chunk k;
	int err = chunk_open(&k, n_read);

	memset(sum, 0, (size_t)n_pos * sizeof(*sum));
	for (__u32 at = 0; !err && at < n_read; at += CHUNK) {
		__u32 n = n_read - at < CHUNK ? n_read - at : CHUNK;
		__u32 prev = FP_FW_COUNTER(at, 0) - 1, next, done = FP_FW_COUNTER(n, 0);

		/* The map's end (ENOENT) may come with the last of them. */
		if (bpf_map_lookup_batch(fd, at ? &prev : NULL, &next, k.keys, k.v, &done, NULL) &&
		    errno != ENOENT)
			err = -errno;
		else if (done < FP_FW_COUNTER(n, 0))
			err = -EIO;
		for (__u32 i = 0; !err && i < n; i++) {
			const struct fp_counter *c = &k.v[(size_t)FP_FW_COUNTER(i, slot) * k.ncpu];

			for (int cpu = 0; cpu < k.ncpu; cpu++) {
				sum[at + i].packets += c[cpu].packets;
				sum[at + i].bytes += c[cpu].bytes;
			}
		}
	}
	chunk_close(&k);
	return err;
}

int fp_fw_counters_zero(const struct gen_maps *g, __u32 n_pos)
{
	struct chunk k;
	int err = fp_fw_counters_room(g->counters) < n_pos ? -ENOSPC : chunk_open(&k, n_pos);

	if (err)
		return err;
	for (__u32 at = 0; !err && at < n_pos; at += CHUNK) {
		__u32 n = n_pos - at < CHUNK ? n_pos - at : CHUNK, done = n;

		for (__u32 i = 0; i < n; i++)
			k.keys[i] = FP_FW_COUNTER(at + i, g->slot);
		if (bpf_map_update_batch(g->counters, k.keys, k.v, &done, NULL))
			err = -errno;
	}
	chunk_close(&k);
	return err;
}

struct fp_counter fp_fw_carry_live(const struct carry *cr, __u32 pos)
{
	return cr->cnt[pos];
}

void fp_fw_carry_free(struct carry *cr)
{
	if (cr->old)
		munmap(cr->old, cr->old_size);
	free(cr->cnt);
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
	if (meta.n_pos != cr->old_pos)
		return -EPROTO;
	cr->cnt_fd = old->counters;
	cr->slot = old->slot;
	cr->old = fp_fw_gen_mmap(old, IN_LIST, &cr->old_size);
	cr->cnt = calloc(cr->old_pos, sizeof(*cr->cnt));
	cr->to = calloc(cr->old_pos, sizeof(*cr->to));
	cr->snap = calloc(cr->old_pos, sizeof(*cr->snap));
	err = cr->old && cr->cnt && cr->to && cr->snap ? 0 : -ENOMEM;
	err = err ?: counters_read(cr->cnt_fd, cr->slot, cr->old_pos, cr->cnt);
	err = err ?: c ? pair(cr, c) : 0;
	if (err)
		fp_fw_carry_free(cr);
	return err;
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
 * snapshot, read again. */
int fp_fw_carry_rest(struct carry *cr, const struct gen_maps *g)
{
	size_t size;
	struct fp_fw_entry *list;
	int err = counters_read(cr->cnt_fd, cr->slot, cr->old_pos, cr->cnt);

	if (err)
		return err;
	list = fp_fw_gen_mmap(g, IN_LIST, &size);
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

int fp_fw_carry_fold(const struct gen_maps *live, int old_counters)
{
	struct gen_maps g = *live;
	struct carry cr;
	int err;

	g.counters = old_counters;
	err = fp_fw_carry_open(&g, NULL, &cr);
	if (err)
		return err;
	/* Every position to itself, from nothing: all it counted is added. */
	for (__u32 pos = 0; pos < cr.old_pos; pos++)
		cr.to[pos] = pos + 1;
	err = fp_fw_carry_rest(&cr, live);
	fp_fw_carry_free(&cr);
	return err;
}
