// SPDX-License-Identifier: BSD-2-Clause
/* A compiled set installed into the pipeline's firewall maps, and taken
 * out: the idle slot filled, its tables made live in fw_live, fw_gen
 * named, the old slot retired (firewall.c says why a packet never sees a
 * mix). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <bpf/bpf.h>
#include <fastpath/firewall.h>
#include "firewall/firewall_compiled.h"
#include "firewall/firewall_gen.h"

/* One outer map's slot set to an inner map (fd >= 0) or emptied. */
struct slot_op {
	int outer;
	__u32 slot;
	int fd;
	int err;
	pthread_t thread;
	bool started;
};

static void *slot_op_run(void *arg)
{
	struct slot_op *op = arg;
	int r = op->fd >= 0 ? bpf_map_update_elem(op->outer, &op->slot, &op->fd, BPF_ANY) :
			      bpf_map_delete_elem(op->outer, &op->slot);

	op->err = r ? -errno : 0;
	return NULL;
}

/* slot_ops_run: the N ops side by side, an emptying of a slot already
 * empty left out. Each update or delete of an array of maps returns only
 * after an RCU grace period (maybe_wait_bpf_programs): 8 ms apiece where
 * grace periods are not expedited, the kernel's default, so three in a
 * row would take 24 ms of every install. Made side by side, one thread
 * each but the last, which this thread makes, they wait out the same
 * grace period. Returns the first error, the others done all the same. */
static int slot_ops_run(struct slot_op *ops, int n)
{
	int err = 0, last = -1;
	__u32 id;

	for (int k = 0; k < n; k++) {
		if (ops[k].fd >= 0 || !bpf_map_lookup_elem(ops[k].outer, &ops[k].slot, &id))
			last = k;
		else
			ops[k].fd = -2; /* empty already: nothing to do */
	}
	for (int k = 0; k < last; k++) {
		if (ops[k].fd == -2)
			continue;
		ops[k].started = !pthread_create(&ops[k].thread, NULL, slot_op_run, &ops[k]);
		if (!ops[k].started)
			slot_op_run(&ops[k]); /* no thread to be had: in turn */
	}
	if (last >= 0)
		slot_op_run(&ops[last]);
	for (int k = 0; k < n; k++) {
		if (ops[k].started)
			pthread_join(ops[k].thread, NULL);
		err = err ?: ops[k].err;
	}
	return err;
}

/* slot_ops: into OPS, slot SLOT of every outer map set to G's inner map
 * (G NULL: emptied); returns how many. */
static int slot_ops(const struct fp_fw_maps *m, __u32 slot, const struct gen_maps *g,
		    struct slot_op *ops)
{
	for (int k = 0; k < IN_MAX; k++)
		ops[k] = (struct slot_op){ .outer = fp_fw_outer_fd(m, k), .slot = slot,
					   .fd = g ? g->fd[k] : -1 };
	return IN_MAX;
}

/* retire: empty SLOT. Each delete from an array of maps waits out an RCU
 * grace period, so packets that might still use the old maps are done. */
static void retire(const struct fp_fw_maps *m, __u32 slot)
{
	struct slot_op ops[IN_MAX];

	slot_ops_run(ops, slot_ops(m, slot, NULL, ops));
}

/* unpublish: fw_live back to OLD's tables (or emptied), SLOT emptied. */
static void unpublish(const struct fp_fw_maps *m, __u32 slot, const struct gen_maps *old)
{
	struct slot_op live = { .outer = m->live, .fd = old ? old->fd[IN_TABLE] : -1 };

	slot_ops_run(&live, 1);
	retire(m, slot);
}

/* publish: G into slot SLOT of every outer map and its tables live, side
 * by side (the stage reads only fw_live, so the order among them does
 * not matter to a packet); when one fails, none (OLD, the set live
 * before, stays). fw_gen and the old slot are left for fp_fw_install_end. */
static int publish(const struct fp_fw_maps *m, __u32 slot, const struct gen_maps *g,
		   const struct gen_maps *old)
{
	struct slot_op ops[IN_MAX + 1];
	int n = slot_ops(m, slot, g, ops), err;

	if (m->live < 0)
		return -ENOENT; /* a program of an older build: reloaded first */
	ops[n++] = (struct slot_op){ .outer = m->live, .fd = g->fd[IN_TABLE] };
	err = slot_ops_run(ops, n);
	if (err)
		unpublish(m, slot, old);
	return err;
}

static void install_free(struct fp_fw_install *in)
{
	fp_fw_carry_free(&in->cr);
	if (in->has_old)
		fp_fw_gen_close(&in->old);
	if (!in->c->staged)
		fp_fw_gen_close(&in->fresh);
}

int fp_fw_install_begin(const struct fp_fw_maps *m, const struct fp_fw_compiled *c,
			 struct fp_fw_install *in)
{
	int err;

	memset(in, 0, sizeof(*in));
	in->m = m;
	in->c = c;
	err = fp_fw_read_gen(m, &in->cur);
	if (err)
		return err;
	in->next = in->cur ^ 1;
	/* Made ahead, or now; C keeps what it staged (and closes it). */
	if (c->staged)
		in->fresh = *c->staged;
	else
		err = fp_fw_gen_make(c, &in->fresh);
	if (err)
		return err;
	in->fresh.counters = m->counters;
	in->fresh.slot = in->next;
	err = fp_fw_gen_stamp(&in->fresh, c, in->next);
	/* No packet counts there: the last install retired that slot. */
	err = err ?: fp_fw_counters_zero(&in->fresh, c->n_pos);
	in->has_old = !fp_fw_gen_open(m, in->cur, &in->old);
	/* Counters that cannot be carried start from zero; the set still goes in. */
	if (!err && in->has_old && fp_fw_carry_open(&in->old, c, &in->cr))
		fp_fw_carry_free(&in->cr);
	err = err ?: fp_fw_carry_list(&in->cr, c, &in->fresh, in->cr.snap);
	err = err ?: publish(m, in->next, &in->fresh, in->has_old ? &in->old : NULL);
	if (err)
		install_free(in);
	return err;
}

/* fp_fw_install_end: KEEP, the set install_begin made live named live and the
 * old one retired, its counts carried; else taken back. Frees IN. */
void fp_fw_install_end(struct fp_fw_install *in, bool keep)
{
	__u32 zero = 0;

	if (keep) {
		/* The library reads the slot fw_live holds (read_gen): a
		 * failure here only leaves fw_gen behind, as a crash would. */
		bpf_map_update_elem(in->m->gen, &zero, &in->next, BPF_ANY);
		retire(in->m, in->cur);
		if (in->cr.to)
			fp_fw_carry_rest(&in->cr, &in->fresh);
	} else {
		unpublish(in->m, in->next, in->has_old ? &in->old : NULL);
	}
	install_free(in);
}

int fp_firewall_install(const struct fp_fw_maps *m, const struct fp_fw_compiled *c)
{
	struct fp_fw_install in;
	int err = fp_fw_install_begin(m, c, &in);

	if (!err)
		fp_fw_install_end(&in, true);
	return err;
}

int fp_firewall_uninstall(const struct fp_fw_maps *m)
{
	struct slot_op ops[2 * IN_MAX + 1];
	int n = slot_ops(m, 0, NULL, ops);

	n += slot_ops(m, 1, NULL, ops + n);
	if (m->live >= 0)
		ops[n++] = (struct slot_op){ .outer = m->live, .fd = -1 };
	slot_ops_run(ops, n);
	return 0;
}
