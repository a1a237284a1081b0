/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: the pipeline's stage table. pipeline.c runs
 * every stage through its row and knows none by name, nor does
 * reconcile.c, which asks each row what the configuration means for it.
 * A stage fills the hooks it needs in a file of its own function's folder
 * (src/lib/flows/flows_stage.c) and stages.c lists it. */
#ifndef FP_LIB_PIPELINE_STAGE_H
#define FP_LIB_PIPELINE_STAGE_H

#include <stdbool.h>
#include <fastpath/pipeline.h>

struct bpf_map;
struct bpf_object;
struct fp_config;
struct pipeline__rodata;

struct fp_stage_row {
	const char *name;       /* as fp_stage_parse takes it */
	bool selectable;        /* built, and `up --stages` may name it */
	/* size: before the pipeline object loads, set the max_entries of the
	 * stage's maps in OBJ for DEV under OPTS (whether or not the stage is
	 * on: its maps are part of the program either way), or make them
	 * (bpf_map__reuse_fd) where the load would make them dearly. A pinned
	 * map that no longer fits is recreated (pipeline_load.c: pins_stale). */
	int (*size)(struct bpf_object *obj, const char *dev, const struct fp_pipeline_opts *opts);
	/* build: before the pipeline object loads, after size: the stage's
	 * constants in the program's .rodata (RO) for DEV under OPTS. */
	void (*build)(const char *dev, const struct fp_pipeline_opts *opts,
		      struct pipeline__rodata *ro);
	/* init: after load, on fresh or reused maps: seed what they need. */
	int (*init)(struct bpf_object *obj);
	/* swap_begin: on a reload, the new program loaded and not yet in
	 * DEV's link (DEV's lock held): make ready what it must find when it
	 * runs, without changing what the old one reads; returns what
	 * swap_end finishes once the link has swapped (SWAPPED) or not.
	 * NULL: nothing to finish. */
	void *(*swap_begin)(const char *dev);
	void (*swap_end)(void *held, bool swapped);
	/* enable: on every up with the stage on, after its bit is set:
	 * attach what runs beside the pipeline; idempotent. disable: on every
	 * up with the stage off; nothing to remove is not an error. */
	int (*enable)(const char *dev, int ifindex);
	int (*disable)(const char *dev);
	/* together: the stage's pins (names under pipeline/DEV/) that only
	 * make sense together: when one is recreated, all are. NULL-ended. */
	const char *const *together;
	/* from_config: whether the stage runs on DEV under CFG, the parsed
	 * configuration; its map sizes go into OPTS either way (size reads
	 * them). NULL: no configuration turns it on. */
	bool (*from_config)(const struct fp_config *cfg, const char *dev,
			    struct fp_pipeline_opts *opts);
	/* check: before anything is applied (fp_config_preflight), refuse
	 * what the stage cannot hold: -EINVAL with err->msg set. */
	int (*check)(const struct fp_config *cfg, struct fp_config_error *err);
	/* apply: after every up of DEV, on or off, make the stage's own maps
	 * hold what CFG says (rules, ports); idempotent, failures logged. */
	int (*apply)(const struct fp_config *cfg, const char *dev, const struct fp_logger *log);
	/* applied: DEV's maps still hold what apply put there (a look, for
	 * fastpathd's checks; cheap, never changes anything). NULL: nothing
	 * the stage holds can be lost on its own. */
	bool (*applied)(const struct fp_config *cfg, const char *dev);
};

/* fp_pipeline_pinned_entries: the max_entries of the map pinned at M's
 * pin path (a size hook runs after the pins are set), when it is a map of
 * M's kind; 0 when there is none. */
__u32 fp_pipeline_pinned_entries(const struct bpf_map *m);

/* fp_pipeline_pin_fits: the load will reuse the map pinned at M's pin
 * path (libbpf's test: type, sizes, max_entries, flags). */
bool fp_pipeline_pin_fits(const struct bpf_map *m);

/* fp_pipeline_build_for: make DEV's running program one built for at
 * least STAGES that walks at least FW_SLOTS of the firewall's slots and
 * has counters for at least FW_POS of its positions, reloaded in place on
 * the same maps and link when it is not (the counters made again, larger,
 * where they have too little room: the caller carries their counts,
 * fp_fw_carry_fold). The caller holds DEV's lock (fp_pipeline_lock). */
int fp_pipeline_build_for(const char *dev, __u32 stages, __u32 fw_slots, __u32 fw_pos);

/* fp_firewall_counters_hold: DEV's pinned fp_fw_counters has room for
 * FW_POS positions (firewall_stage.c). fp_firewall_counters_grow: OBJ's
 * made room for FW_POS where it has less (the pin then goes stale, and
 * the load makes the map again). */
bool fp_firewall_counters_hold(const char *dev, __u32 fw_pos);
int fp_firewall_counters_grow(struct bpf_object *obj, __u32 fw_pos);

/* fp_firewall_layout_read: the program of .rodata RO reads the tables
 * this build lays out (firewall_stage.c). */
bool fp_firewall_layout_read(const struct pipeline__rodata *ro);


/* fp_stage_rows: one row per enum fp_stage, in the order they run. */
extern const struct fp_stage_row *const fp_stage_rows[FP_STAGE_MAX];

/* The rows defined in their function's folder. */
extern const struct fp_stage_row fp_stage_flows_row;
extern const struct fp_stage_row fp_stage_firewall_row;
extern const struct fp_stage_row fp_stage_dhcp_row;
extern const struct fp_stage_row fp_stage_xsk_row;
extern const struct fp_stage_row fp_stage_ports_row;

#endif
