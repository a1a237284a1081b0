// SPDX-License-Identifier: BSD-2-Clause
/* The firewall stage's row of the pipeline's stage table: on when the
 * firewall: section has a rule or a drop policy, the rule set checked
 * against the maps before anything is applied, and installed on every
 * interface after up (or removed, where there is none). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include <fastpath/firewall.h>
#include "bpf/pipeline.skel.h"
#include "firewall_abi.h"
#include "firewall/firewall_gen.h"
#include "pipeline/stage.h"

/* A firewall that allows everything with no rule is no firewall. */
static bool firewall_configured(const struct fp_config *cfg)
{
	return cfg->firewall.n_rules || cfg->firewall.policy == FP_FW_DROP;
}

/* The slots and positions the configured set needs: the program is built
 * for them and its counters sized before the set is installed (no reload
 * right after). */
static bool firewall_from_config(const struct fp_config *cfg, const char *dev,
				 struct fp_pipeline_opts *opts)
{
	opts->fw_slots = fp_firewall_slots(&cfg->firewall, dev);
	opts->fw_pos = cfg->firewall.n_rules + 1;
	return firewall_configured(cfg);
}

/* Positions a generation's counters make room for at the least. */
#define COUNTERS_POS_MIN 1024u

static __u32 counters_entries(__u32 fw_pos)
{
	__u32 n = COUNTERS_POS_MIN;

	while (n < fw_pos && n < FP_FW_RULES_SPAN)
		n <<= 1;
	return FP_FW_COUNTER(n, 0);
}

bool fp_firewall_counters_hold(const char *dev, __u32 fw_pos)
{
	int fd = fp_pipeline_obj_get(dev, "fw_counters");
	bool hold = fp_fw_counters_room(fd) >= fw_pos;

	if (fd >= 0)
		close(fd);
	return hold;
}

bool fp_firewall_layout_read(const struct pipeline__rodata *ro)
{
	return ro->fp_fw_layout == FP_FW_LAYOUT;
}

int fp_firewall_counters_grow(struct bpf_object *obj, __u32 fw_pos)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "fp_fw_counters");

	if (!m)
		return -ENOENT;
	if (bpf_map__max_entries(m) >= FP_FW_COUNTER(fw_pos, 0))
		return 0;
	return bpf_map__set_max_entries(m, counters_entries(fw_pos));
}

/* tables_premake: fp_fw_table and fp_fw_live, where the load would make
 * them (no pin to reuse), made here on one template of their inner maps.
 * An array of maps is made with an inner map of its kind, and libbpf
 * makes one for each from the declaration: each a table's 41 MiB,
 * allocated and zeroed (~2 ms), then freed. */
static int tables_premake(struct bpf_object *obj)
{
	static const char *const names[] = { "fp_fw_table", "fp_fw_live" };
	LIBBPF_OPTS(bpf_map_create_opts, to, .map_flags = BPF_F_MMAPABLE);
	LIBBPF_OPTS(bpf_map_create_opts, oo);
	int tmpl = -1, err = 0;

	for (size_t i = 0; !err && i < sizeof(names) / sizeof(names[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, names[i]);
		int fd;

		if (!m) {
			err = -ENOENT;
			break;
		}
		if (fp_pipeline_pin_fits(m))
			continue;
		if (tmpl < 0)
			tmpl = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fp_fw_template", 4,
					      FP_FW_TABLE_BYTES, 1, &to);
		if (tmpl < 0) {
			err = tmpl;
			break;
		}
		oo.inner_map_fd = tmpl;
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, bpf_map__name(m), 4, 4,
				    bpf_map__max_entries(m), &oo);
		err = fd < 0 ? fd : bpf_map__reuse_fd(m, fd);
		if (fd >= 0)
			close(fd);
	}
	if (tmpl >= 0)
		close(tmpl);
	return err;
}

/* fp_fw_counters, per CPU, two entries a position (one a generation):
 * for a set of 100k rules 4 MiB a CPU, for 1,000 32 KiB. As pinned where
 * it is (a reload keeps the counts; fp_pipeline_build_for grows it for a
 * set that does not fit), else room for the configured set and the one
 * live on DEV's tables (its counters' pin gone, or of an older layout);
 * one position while the stage is off and there is no set. */
static int firewall_size(struct bpf_object *obj, const char *dev,
			 const struct fp_pipeline_opts *opts)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "fp_fw_counters");
	__u32 n, pos = opts->stages & FP_STAGE_BIT(FP_STAGE_FIREWALL) ? opts->fw_pos : 0;
	struct fp_fw_listing l;
	struct fp_fw_maps fm;
	int err;

	if (!m)
		return -ENOENT;
	err = tables_premake(obj);
	if (err)
		return err;
	n = fp_pipeline_pinned_entries(m);
	if (n)
		return bpf_map__set_max_entries(m, n);
	/* Under DEV's lock, which every load holds: read by maps. */
	if (!fp_firewall_maps_open(dev, &fm)) {
		if (!fp_firewall_shape_maps(&fm, &l) && l.n + 1 > pos)
			pos = l.n + 1;
		fp_firewall_maps_close(&fm);
	}
	if (!pos && !(opts->stages & FP_STAGE_BIT(FP_STAGE_FIREWALL)))
		return bpf_map__set_max_entries(m, FP_FW_COUNTER(1, 0));
	return bpf_map__set_max_entries(m, counters_entries(pos));
}

/* The probe loop walks at least the slots OPTS asks for and those of the
 * set live on DEV, rounded up to a power of two (the verifier walks the
 * loop once per slot, ~0.8K instructions each: a program built for the
 * 32 a set may have takes 38K instructions to verify, for 8 14K, for one
 * 7K: bench/verifier_bench). */
_Static_assert(!(FP_FW_SLOTS & (FP_FW_SLOTS - 1)), "FP_FW_SLOTS is a power of two");

static void firewall_build(const char *dev, const struct fp_pipeline_opts *opts,
			   struct pipeline__rodata *ro)
{
	struct fp_fw_listing l;
	struct fp_fw_maps m;
	__u32 n = opts->fw_slots;

	/* Under DEV's lock, which every load holds: read by maps. */
	if (!fp_firewall_maps_open(dev, &m)) {
		if (!fp_firewall_shape_maps(&m, &l) && l.slots > n)
			n = l.slots;
		fp_firewall_maps_close(&m);
	}
	ro->fp_fw_slots = 1;
	while (ro->fp_fw_slots < n && ro->fp_fw_slots < FP_FW_SLOTS)
		ro->fp_fw_slots <<= 1;
}

/* With the stage on, after every up: a set the program cannot read (one
 * an older build installed) installed again from its list. Until then
 * the stage sees no set: the window of an upgrade's up. */
static int firewall_enable(const char *dev, int ifindex)
{
	(void)ifindex;
	return fp_firewall_renew(dev);
}

/* On a reload: a set the old program reads and the new one cannot goes
 * in first, so that no packet passes the firewall in between. */
static void *firewall_swap_begin(const char *dev)
{
	return fp_firewall_handover_begin(dev);
}

static void firewall_swap_end(void *held, bool swapped)
{
	fp_firewall_handover_end(held, swapped);
}

/* A rule set that does not fit the maps is refused before any change. */
static int firewall_check(const struct fp_config *cfg, struct fp_config_error *err)
{
	return fp_firewall_check(&cfg->firewall, err);
}

static int firewall_one(const struct fp_config *cfg, const char *dev,
			const struct fp_logger *log)
{
	struct fp_config_error e = { 0 };
	int err;

	if (!firewall_configured(cfg)) {
		struct fp_fw_listing l;

		/* Only a set that is there: a clear waits for RCU grace periods. */
		if (fp_firewall_list(dev, &l))
			return 0;
		fp_fw_listing_free(&l);
		err = fp_firewall_clear(dev);
		if (!err)
			fp_log(log, FP_LOG_INFO, "firewall on %s: removed", dev);
		return err == -ENOENT ? 0 : err;
	}
	err = fp_firewall_apply(dev, &cfg->firewall, &e);
	if (err)
		fp_log(log, FP_LOG_ERROR, "firewall on %s: %s", dev, *e.msg ? e.msg :
		       strerror(-err));
	else
		fp_log(log, FP_LOG_INFO, "firewall on %s: %zu rules, policy %s", dev,
		       fp_firewall_rules_on(&cfg->firewall, dev),
		       cfg->firewall.policy == FP_FW_DROP ? "drop" : "allow");
	return err;
}

/* As many rules as configured for DEV and the same policy (none when
 * there is no firewall): a set cleared or replaced behind our back. */
static bool firewall_applied(const struct fp_config *cfg, const char *dev)
{
	struct fp_fw_listing l;

	if (fp_firewall_shape(dev, &l))
		return !firewall_configured(cfg);
	return firewall_configured(cfg) && l.n == fp_firewall_rules_on(&cfg->firewall, dev) &&
	       l.policy == cfg->firewall.policy;
}

const struct fp_stage_row fp_stage_firewall_row = {
	.name = "firewall",
	.selectable = true,
	.size = firewall_size,
	.from_config = firewall_from_config,
	.build = firewall_build,
	.swap_begin = firewall_swap_begin,
	.swap_end = firewall_swap_end,
	.enable = firewall_enable,
	.check = firewall_check,
	.apply = firewall_one,
	.applied = firewall_applied,
};
