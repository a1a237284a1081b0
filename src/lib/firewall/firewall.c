// SPDX-License-Identifier: BSD-2-Clause
/* The firewall in the kernel: the pipeline's firewall maps, one
 * generation's inner maps made and filled; listing; applying, renewing
 * and clearing a set by interface. A compiled set (firewall_compile.c)
 * is written into the inactive slot of the maps, then made live by
 * setting fw_live to its tables (firewall_install.c).
 *
 * Why a packet never sees a mix: the stage looks fw_live up once and
 * takes every table from that map, and counts at the places of
 * fw_counters its meta names (the generation). The new slot is filled
 * while no packet reads it, its counters zeroed, fw_live is set in one
 * write, which for map-in-maps returns only after an RCU grace period
 * (kernel/bpf/syscall.c, maybe_wait_bpf_programs): by then no packet
 * still holds the old set, so its counters are final. fw_gen then names
 * the new slot for the library, and the old slot is emptied (another
 * grace period), so the next install may fill it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/firewall.h>
#include <fastpath/pipeline.h>
#include "core/bpffs.h"
#include "firewall/firewall_compiled.h"
#include "firewall/firewall_gen.h"
#include "pipeline/stage.h"

/* The inner maps (firewall_gen.h), as bpf/firewall_stage.h declares their
 * templates; what the kernel compares (type, sizes, flags) must match. */

struct inner_spec {
	const char *pin;        /* the outer map's pin in the pipeline's directory */
	enum bpf_map_type type;
	__u32 flags;
	__u32 key_size, value_size;
	size_t fd_off;          /* in struct fp_fw_maps */
};

static const struct inner_spec specs[IN_MAX] = {
	[IN_TABLE] = { "fw_table", BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 4, FP_FW_TABLE_BYTES,
		       offsetof(struct fp_fw_maps, table) },
	[IN_LIST] = { "fw_list", BPF_MAP_TYPE_ARRAY, BPF_F_INNER_MAP | BPF_F_MMAPABLE, 4,
		      sizeof(struct fp_fw_entry), offsetof(struct fp_fw_maps, list) },
};

int fp_fw_outer_fd(const struct fp_fw_maps *m, int k)
{
	return *(const int *)((const char *)m + specs[k].fd_off);
}

/* ---- maps by pin ------------------------------------------------------------ */

int fp_firewall_maps_open(const char *dev, struct fp_fw_maps *m)
{
	int err;

	memset(m, -1, sizeof(*m));
	m->gen = fp_pipeline_obj_get(dev, "fw_gen");
	if (m->gen < 0) {
		err = m->gen;
		goto fail;
	}
	/* None on a pipeline an older build left, until the next up: the set
	 * reads, lists and clears all the same; installs reload first. */
	m->live = fp_pipeline_obj_get(dev, "fw_live");
	for (int k = 0; k < IN_MAX; k++) {
		int *fd = (int *)((char *)m + specs[k].fd_off);

		*fd = fp_pipeline_obj_get(dev, specs[k].pin);
		if (*fd < 0) {
			err = *fd;
			goto fail;
		}
	}
	/* None, or of an older layout: counts read as zero, and an install
	 * waits for the map fp_pipeline_build_for makes (fp_firewall_apply). */
	m->counters = fp_pipeline_obj_get(dev, "fw_counters");
	if (m->counters >= 0 && !fp_fw_counters_room(m->counters)) {
		close(m->counters);
		m->counters = -1;
	}
	return 0;
fail:
	fp_firewall_maps_close(m);
	return err == -ENOENT || err == -ENODEV ? -ENOENT : err;
}

void fp_firewall_maps_close(struct fp_fw_maps *m)
{
	int *fds = (int *)m;

	for (size_t i = 0; i < sizeof(*m) / sizeof(int); i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* ---- one generation's inner maps --------------------------------------------- */

void fp_fw_gen_close(struct gen_maps *g)
{
	for (int k = 0; k < IN_MAX; k++)
		if (g->fd[k] >= 0)
			close(g->fd[k]);
}

/* fp_fw_read_gen: the live generation: the slot of fw_table whose map fw_live
 * holds, which is what the stage reads; fw_gen, written after fw_live,
 * names it too unless an install stopped between the two (then the
 * stage's is the truth: listings show it, the next install starts from
 * it and leaves its counters alone). fw_gen alone when fw_live holds none
 * of them (no set, or a pipeline an older build left). */
int fp_fw_read_gen(const struct fp_fw_maps *m, __u32 *gen)
{
	__u32 zero = 0, live, id;
	int err = bpf_map_lookup_elem(m->gen, &zero, gen);

	*gen &= 1;
	if (m->live >= 0 && !bpf_map_lookup_elem(m->live, &zero, &live))
		for (__u32 k = 0; k < 2; k++)
			if (!bpf_map_lookup_elem(m->table, &k, &id) && id == live)
				*gen = k;
	return err ? -errno : 0;
}

/* fp_fw_gen_open: slot GEN's inner maps; -ENOENT when the slot is empty. */
int fp_fw_gen_open(const struct fp_fw_maps *m, __u32 gen, struct gen_maps *g)
{
	g->counters = m->counters;
	g->slot = gen;
	for (int k = 0; k < IN_MAX; k++)
		g->fd[k] = -1;
	for (int k = 0; k < IN_MAX; k++) {
		struct bpf_map_info info = { 0 };
		__u32 id, len = sizeof(info);

		if (bpf_map_lookup_elem(fp_fw_outer_fd(m, k), &gen, &id))
			goto fail;
		g->fd[k] = bpf_map_get_fd_by_id(id);
		if (g->fd[k] < 0 || bpf_obj_get_info_by_fd(g->fd[k], &info, &len))
			goto fail;
		g->max[k] = info.max_entries;
	}
	return 0;
fail:
	fp_fw_gen_close(g);
	return errno ? -errno : -ENOENT;
}

static int gen_create(const struct fp_fw_compiled *c, struct gen_maps *g)
{
	g->counters = -1;
	for (int k = 0; k < IN_MAX; k++)
		g->fd[k] = -1;
	for (int k = 0; k < IN_MAX; k++) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = specs[k].flags);

		g->max[k] = k == IN_TABLE ? 1 : c->n_pos;
		g->fd[k] = bpf_map_create(specs[k].type, specs[k].pin, specs[k].key_size,
					  specs[k].value_size, g->max[k], &o);
		if (g->fd[k] < 0) {
			int err = g->fd[k];

			fp_fw_gen_close(g);
			return err;
		}
	}
	return 0;
}

void *fp_fw_gen_mmap(const struct gen_maps *g, int k, size_t *size)
{
	return fp_map_mmap(g->fd[k], (size_t)g->max[k] * specs[k].value_size, size);
}

/* table_io: LEN bytes at offset OFF (a multiple of the page size) of G's
 * table, written from or read into BUF, through a mapping of those bytes
 * alone: mapping the table maps every page of it at once (41 MiB, however
 * little of it the set fills). */
static int table_io(const struct gen_maps *g, __u64 off, void *buf, size_t len, bool write)
{
	size_t size;
	void *p;

	if (!len)
		return 0;
	p = fp_map_mmap_at(g->fd[IN_TABLE], off, len, &size);
	if (!p)
		return -errno;
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	munmap(p, size);
	return 0;
}

int fp_fw_gen_meta(const struct gen_maps *g, struct fp_fw_meta *meta)
{
	return table_io(g, FP_FW_T_META, meta, sizeof(*meta), false);
}

static int gen_fill(const struct fp_fw_compiled *c, const struct gen_maps *g)
{
	struct fp_fw_meta meta = c->meta;
	int err = table_io(g, FP_FW_T_META, &meta, sizeof(meta), true);

	err = err ?: table_io(g, FP_FW_T_NODES, c->nodes, (size_t)c->n_nodes * sizeof(*c->nodes),
			      true);
	err = err ?: table_io(g, FP_FW_T_VALUES, c->values,
			      (size_t)c->n_values * sizeof(*c->values), true);
	err = err ?: table_io(g, FP_FW_T_RULES, c->verdicts,
			      (size_t)c->n_pos * sizeof(*c->verdicts), true);
	err = err ?: table_io(g, FP_FW_T_MATCH, c->buckets,
			      (size_t)c->n_buckets * sizeof(*c->buckets), true);
	return err;
}

/* fp_fw_gen_stamp: G's meta names SLOT as its generation (its rules count at
 * SLOT's places of fw_counters). C's meta is what G's starts with. */
int fp_fw_gen_stamp(const struct gen_maps *g, const struct fp_fw_compiled *c, __u32 slot)
{
	struct fp_fw_meta head;

	memcpy(&head, &c->meta, offsetof(struct fp_fw_meta, slot));
	head.gen = slot;
	return table_io(g, FP_FW_T_META, &head, offsetof(struct fp_fw_meta, slot), true);
}

int fp_fw_gen_make(const struct fp_fw_compiled *c, struct gen_maps *g)
{
	int err = gen_create(c, g);

	if (err)
		return err;
	err = gen_fill(c, g);
	if (err)
		fp_fw_gen_close(g);
	return err;
}

/* ---- listing ------------------------------------------------------------------------ */

static void rule_of(struct fp_fw_rule *r, const struct fp_fw_entry *e)
{
	memset(r, 0, sizeof(*r));
	r->action = e->action;
	r->family = e->family;
	r->proto = e->proto;
	r->line = e->line;
	r->src.present = e->flags & FP_FW_ENTRY_SRC;
	r->dst.present = e->flags & FP_FW_ENTRY_DST;
	if (r->src.present) {
		r->src.family = e->family;
		r->src.len = e->src_len;
		memcpy(r->src.addr, e->src, 16);
	}
	if (r->dst.present) {
		r->dst.family = e->family;
		r->dst.len = e->dst_len;
		memcpy(r->dst.addr, e->dst, 16);
	}
	r->sport.lo = e->sport_lo;
	r->sport.hi = e->sport_hi;
	r->dport.lo = e->dport_lo;
	r->dport.hi = e->dport_hi;
	memcpy(r->ifname, e->ifname, sizeof(r->ifname));
	r->ifname[sizeof(r->ifname) - 1] = '\0';
}

/* RULES: the rules themselves too, not only their index and counters. */
enum list_what {
	LIST_RULES,             /* rules and counters */
	LIST_COUNTS,            /* counters, each rule's fields zeroed */
	LIST_SHAPE,             /* how many rules and the policy: no counter
				 * read, nothing allocated (a health check's) */
};

/* list_shape: from G's meta and the policy's entry, the first. */
static int list_shape(const struct gen_maps *g, struct fp_fw_listing *out)
{
	struct fp_fw_meta meta;
	struct fp_fw_entry policy;
	__u32 zero = 0;
	int err = fp_fw_gen_meta(g, &meta);

	if (err)
		return err;
	if (bpf_map_lookup_elem(g->fd[IN_LIST], &zero, &policy))
		return -errno;
	out->n = meta.n_pos ? meta.n_pos - 1 : 0;
	out->policy = policy.action;
	out->slots = meta.n_slots;
	return 0;
}

static int list_maps(const struct fp_fw_maps *m, struct fp_fw_listing *out, enum list_what what)
{
	struct gen_maps g;
	struct carry cr = { 0 };
	__u32 gen;
	int err;

	memset(out, 0, sizeof(*out));
	err = fp_fw_read_gen(m, &gen);
	err = err ?: fp_fw_gen_open(m, gen, &g);
	if (err)
		return err;
	if (what == LIST_SHAPE) {
		err = list_shape(&g, out);
		fp_fw_gen_close(&g);
		return err;
	}
	err = fp_fw_carry_open(&g, NULL, &cr);
	fp_fw_gen_close(&g);
	if (err)
		return err;
	out->rules = calloc(cr.old_pos, sizeof(*out->rules));
	if (!out->rules) {
		fp_fw_carry_free(&cr);
		return -ENOMEM;
	}
	out->policy = cr.old[0].action;
	out->policy_packets = cr.old[0].base_packets + fp_fw_carry_live(&cr, 0).packets;
	out->policy_bytes = cr.old[0].base_bytes + fp_fw_carry_live(&cr, 0).bytes;
	for (__u32 pos = 1; pos < cr.old_pos; pos++) {
		struct fp_fw_rule_stats *s = &out->rules[out->n++];
		struct fp_counter l = fp_fw_carry_live(&cr, pos);

		if (what == LIST_RULES)
			rule_of(&s->rule, &cr.old[pos]);
		s->index = cr.old[pos].rule;
		s->packets = cr.old[pos].base_packets + l.packets;
		s->bytes = cr.old[pos].base_bytes + l.bytes;
	}
	fp_fw_carry_free(&cr);
	return 0;
}

int fp_firewall_list_maps(const struct fp_fw_maps *m, struct fp_fw_listing *out)
{
	return list_maps(m, out, LIST_RULES);
}

int fp_firewall_shape_maps(const struct fp_fw_maps *m, struct fp_fw_listing *out)
{
	return list_maps(m, out, LIST_SHAPE);
}

void fp_fw_listing_free(struct fp_fw_listing *l)
{
	free(l->rules);
	memset(l, 0, sizeof(*l));
}

/* ---- by interface ------------------------------------------------------------------- */

/* stage_reads: G, the set fw_gen names, is what the stage reads: in
 * fw_live, and of this build's layout. Not so after an upgrade (an older
 * build had no fw_live, or laid its tables out otherwise): the stage
 * then sees no set until it is installed again (fp_firewall_renew). */
static bool stage_reads(const struct fp_fw_maps *m, const struct gen_maps *g)
{
	struct fp_fw_meta head;
	__u32 zero = 0, id;

	return m->live >= 0 && !bpf_map_lookup_elem(m->live, &zero, &id) &&
	       id == fp_obj_id(g->fd[IN_TABLE]) &&
	       !table_io(g, FP_FW_T_META, &head, offsetof(struct fp_fw_meta, slot), false) &&
	       head.layout == FP_FW_LAYOUT;
}

/* same_as_live: C is what runs already, rule for rule. */
static bool same_as_live(const struct fp_fw_maps *m, const struct fp_fw_compiled *c)
{
	struct fp_fw_entry *old = NULL;
	struct gen_maps g;
	size_t size;
	bool same;
	__u32 gen;

	if (fp_fw_read_gen(m, &gen) || fp_fw_gen_open(m, gen, &g))
		return false;
	if (g.max[IN_LIST] == c->n_pos && stage_reads(m, &g))
		old = fp_fw_gen_mmap(&g, IN_LIST, &size);
	same = old;
	for (__u32 pos = 0; same && pos < c->n_pos; pos++)
		same = !fp_fw_content_cmp(&old[pos], &c->entries[pos]) &&
		       old[pos].rule == c->entries[pos].rule && old[pos].line == c->entries[pos].line;
	if (old)
		munmap(old, size);
	fp_fw_gen_close(&g);
	return same;
}

static int stage_off(const char *dev)
{
	struct fp_pipeline_info info;
	int err = fp_pipeline_info(dev, &info);

	return err ?: fp_pipeline_set_stages(dev, info.stages & ~FP_STAGE_BIT(FP_STAGE_FIREWALL));
}

/* counters_fold: when M's counters are not OLD (made again, larger, for a
 * set that did not fit), what the live set counted in OLD, added to its
 * list. The pipeline that counted there was replaced in its link; an
 * update of an array of maps returns after an RCU grace period (see the
 * top of this file), so setting the live table's slot to itself waits
 * until no packet counts there any more. */
static int counters_fold(const struct fp_fw_maps *m, int old)
{
	struct gen_maps live;
	__u32 cur;
	int err;

	if (!fp_fw_counters_room(old) || fp_obj_id(old) == fp_obj_id(m->counters))
		return 0; /* an older layout's: not carried */
	err = fp_fw_read_gen(m, &cur);
	if (err || fp_fw_gen_open(m, cur, &live))
		return err; /* no set: nothing counted */
	if (bpf_map_update_elem(m->table, &cur, &live.fd[IN_TABLE], BPF_ANY))
		err = -errno;
	err = err ?: fp_fw_carry_fold(&live, old);
	fp_fw_gen_close(&live);
	return err;
}

/* Compile FW for DEV (or take what fp_firewall_check compiled of it) and
 * install it, under DEV's lock (held by the caller). */
static int apply_locked(const char *dev, const struct fp_firewall_config *fw,
			struct fp_config_error *err)
{
	struct fp_fw_compiled *c = fp_fw_kept_take(fw);
	struct fp_pipeline_info info = { 0 };
	struct fp_fw_maps m;
	int ret = c ? 0 : fp_firewall_compile(fw, dev, &c, err), old_counters;
	__u32 stages;

	/* The program is built for the firewall and walks every slot of the
	 * set before the set is live: reloaded first when it is not; the
	 * stage is turned on once the set is installed. */
	ret = ret ?: fp_pipeline_info(dev, &info);
	stages = info.stages | FP_STAGE_BIT(FP_STAGE_FIREWALL);
	old_counters = ret ? -1 : fp_pipeline_obj_get(dev, "fw_counters");
	ret = ret ?: fp_pipeline_build_for(dev, stages, c->meta.n_slots, c->n_pos);
	ret = ret ?: fp_firewall_maps_open(dev, &m);
	if (!ret) {
		/* Counts that cannot be carried start from zero; the set still
		 * goes in (as fp_firewall_install's). */
		if (old_counters >= 0)
			counters_fold(&m, old_counters);
		if (!same_as_live(&m, c))
			ret = fp_firewall_install(&m, c);
		fp_firewall_maps_close(&m);
	}
	if (old_counters >= 0)
		close(old_counters);
	ret = ret ?: fp_pipeline_set_stages(dev, stages);
	fp_fw_compiled_free(c);
	return ret;
}

int fp_firewall_apply(const char *dev, const struct fp_firewall_config *fw,
		      struct fp_config_error *err)
{
	int lock = fp_pipeline_lock(dev, LOCK_EX), ret;

	if (lock < 0)
		return lock;
	ret = apply_locked(dev, fw, err);
	close(lock);
	return ret;
}

/* The set live on DEV as a config, each rule with the number it has in
 * its file (rules for other interfaces leave gaps); none yet is an empty
 * one. The caller holds DEV's lock, so this reads the maps without taking
 * it. */
static int live_config(const char *dev, struct fp_firewall_config *fw)
{
	struct fp_fw_listing l;
	struct fp_fw_maps m;
	int err = fp_firewall_maps_open(dev, &m);

	memset(fw, 0, sizeof(*fw));
	if (!err) {
		err = fp_firewall_list_maps(&m, &l);
		fp_firewall_maps_close(&m);
	}
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	fw->policy = l.policy;
	fw->rules = calloc(l.n + 1, sizeof(*fw->rules));
	for (size_t i = 0; fw->rules && i < l.n; i++) {
		fw->rules[i] = l.rules[i].rule;
		fw->rules[i].index = l.rules[i].index;
	}
	fw->n_rules = fw->rules ? l.n : 0;
	fp_fw_listing_free(&l);
	return fw->rules ? 0 : -ENOMEM;
}

int fp_firewall_edit(const char *dev, fp_firewall_edit_fn edit, void *ctx,
		     struct fp_config_error *err)
{
	struct fp_firewall_config fw;
	int lock = fp_pipeline_lock(dev, LOCK_EX), ret;

	if (lock < 0)
		return lock;
	ret = live_config(dev, &fw);
	ret = ret ?: edit(&fw, ctx);
	/* An edited set is numbered by place: it is no file's any more. */
	for (size_t i = 0; !ret && i < fw.n_rules; i++)
		fw.rules[i].index = 0;
	ret = ret ?: apply_locked(dev, &fw, err);
	free(fw.rules);
	close(lock);
	return ret;
}

/* The set a reload hands over: made live to the new program before the
 * link swaps to it. */
struct fp_fw_handover {
	struct fp_fw_maps m;
	struct fp_fw_compiled *c;
	struct fp_fw_install in;
};

/* set_unread: M holds a set the stage does not read. */
static bool set_unread(const struct fp_fw_maps *m)
{
	struct gen_maps g;
	bool reads = true;
	__u32 gen;

	if (!fp_fw_read_gen(m, &gen) && !fp_fw_gen_open(m, gen, &g)) {
		reads = stage_reads(m, &g);
		fp_fw_gen_close(&g);
	}
	return !reads;
}

struct fp_fw_handover *fp_firewall_handover_begin(const char *dev)
{
	struct fp_fw_handover *h = calloc(1, sizeof(*h));
	struct fp_firewall_config fw = { 0 };

	if (!h || fp_firewall_maps_open(dev, &h->m)) {
		free(h);
		return NULL;
	}
	if (!set_unread(&h->m) || live_config(dev, &fw) ||
	    fp_firewall_compile(&fw, dev, &h->c, NULL) ||
	    fp_fw_install_begin(&h->m, h->c, &h->in)) {
		free(fw.rules);
		fp_fw_compiled_free(h->c);
		fp_firewall_maps_close(&h->m);
		free(h);
		return NULL;
	}
	free(fw.rules);
	return h;
}

void fp_firewall_handover_end(struct fp_fw_handover *h, bool swapped)
{
	if (!h)
		return;
	fp_fw_install_end(&h->in, swapped);
	fp_fw_compiled_free(h->c);
	fp_firewall_maps_close(&h->m);
	free(h);
}

int fp_firewall_renew(const char *dev)
{
	struct fp_firewall_config fw;
	struct fp_fw_maps m;
	int lock = fp_pipeline_lock(dev, LOCK_EX), ret;
	bool unread = false;

	if (lock < 0)
		return lock == -ENOENT ? 0 : lock;
	ret = fp_firewall_maps_open(dev, &m);
	if (!ret) {
		unread = set_unread(&m);
		fp_firewall_maps_close(&m);
	}
	ret = ret == -ENOENT ? 0 : ret;
	if (!ret && unread) {
		ret = live_config(dev, &fw);
		ret = ret ?: apply_locked(dev, &fw, NULL);
		free(fw.rules);
	}
	close(lock);
	return ret;
}

int fp_firewall_clear(const char *dev)
{
	struct fp_fw_maps m;
	int lock = fp_pipeline_lock(dev, LOCK_EX), err;

	if (lock < 0)
		return lock;
	/* The bit first: the stage then passes before the set goes. */
	err = stage_off(dev);
	if (!err && !(err = fp_firewall_maps_open(dev, &m))) {
		err = fp_firewall_uninstall(&m);
		fp_firewall_maps_close(&m);
	}
	close(lock);
	return err;
}

static int list_dev(const char *dev, struct fp_fw_listing *out, enum list_what what)
{
	struct fp_fw_maps m;
	int lock = fp_pipeline_lock(dev, LOCK_SH), err;

	memset(out, 0, sizeof(*out));
	if (lock < 0)
		return lock;
	err = fp_firewall_maps_open(dev, &m);
	if (!err) {
		err = list_maps(&m, out, what);
		fp_firewall_maps_close(&m);
	}
	close(lock);
	return err;
}

int fp_firewall_list(const char *dev, struct fp_fw_listing *out)
{
	return list_dev(dev, out, LIST_RULES);
}

int fp_firewall_counts(const char *dev, struct fp_fw_listing *out)
{
	return list_dev(dev, out, LIST_COUNTS);
}

int fp_firewall_shape(const char *dev, struct fp_fw_listing *out)
{
	return list_dev(dev, out, LIST_SHAPE);
}
