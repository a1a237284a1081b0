/* SPDX-License-Identifier: BSD-2-Clause */
/* pipeline_fixture.h: bpf/pipeline.bpf.c loaded for a test, its maps the
 * test's own (none pinned), and the stage setup every pipeline test does:
 * which stages run (fp_config) and what fp_stats counted. Shared by the
 * BPF tests of the pipeline and its stages; the benchmarks use the same
 * helpers on a bpf_object. */
#ifndef FP_TEST_PIPELINE_FIXTURE_H
#define FP_TEST_PIPELINE_FIXTURE_H

#include "bpf_test.h"
#include "pipeline_abi.h"
#include "bpf/pipeline.skel.h"
#include "pipeline/pipeline_sets.h"

/* fp_test_pipeline_open_for: the pipeline opened as the library opens it
 * for an interface running STAGES (the object compiled for exactly those
 * when there is one, built for them), every map kept out of /sys/fs/bpf
 * (fp_ports and fp_port_stats are LIBBPF_PIN_BY_NAME, the others are not
 * pinned at all: none may reach bpffs from a test). NULL when libbpf
 * cannot open it. */
static inline struct pipeline *fp_test_pipeline_open_for(uint32_t stages)
{
	struct pipeline *skel = fp_pipeline_open_for(stages, NULL);

	if (skel)
		fp_test_unpin_maps(skel->obj);
	return skel;
}

/* fp_test_pipeline_build_for: OBJ, the pipeline opened and not loaded,
 * built for STAGES as the library builds it for an interface (its
 * .rodata's fp_built); -ENOENT when OBJ has no such constant. */
static inline int fp_test_pipeline_build_for(struct bpf_object *obj, uint32_t stages)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		struct pipeline__rodata ro;
		const void *v;
		size_t size;

		const char *name = bpf_map__name(m), *dot = strrchr(name, '.');

		/* .rodata itself, not .rodata.dhcp beside it */
		if (!bpf_map__is_internal(m) || !dot || strcmp(dot, ".rodata"))
			continue;
		v = bpf_map__initial_value(m, &size);
		if (!v || size != sizeof(ro))
			return -EINVAL;
		memcpy(&ro, v, sizeof(ro));
		ro.fp_built = stages & FP_STAGES_BUILT;
		return bpf_map__set_initial_value(m, &ro, sizeof(ro));
	}
	return -ENOENT;
}

/* fp_test_pipeline_load_for: fp_test_pipeline_open_for(STAGES), then
 * PREPARE (when not NULL) on the opened skeleton, to size maps before the
 * load, then the load. NULL on any failure (libbpf has said why), nothing
 * left open. fp_test_pipeline_load: the same for every stage. */
static inline struct pipeline *fp_test_pipeline_load_for(uint32_t stages,
							 int (*prepare)(struct pipeline *skel))
{
	struct pipeline *skel = fp_test_pipeline_open_for(stages);

	if (!skel)
		return NULL;
	if ((prepare && prepare(skel)) || pipeline__load(skel)) {
		pipeline__destroy(skel);
		return NULL;
	}
	return skel;
}

static inline struct pipeline *fp_test_pipeline_load(int (*prepare)(struct pipeline *skel))
{
	return fp_test_pipeline_load_for(FP_STAGES_BUILT, prepare);
}

/* fp_test_set_stages: the stages the pipeline runs, FP_STAGE_BIT()s in
 * fp_config (CFG_FD), as `fastpath up` writes them. 0 or -errno. */
static inline int fp_test_set_stages(int cfg_fd, uint32_t stages)
{
	struct fp_pipeline_cfg cfg = { .stages = stages };
	uint32_t zero = 0;

	return bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY);
}

/* fp_test_pipeline_stats: fp_stats (STATS_FD) summed over CPUs, every
 * stage and verdict. 0 or -errno. */
static inline int fp_test_pipeline_stats(int stats_fd, struct fp_pipeline_stats *sum)
{
	uint32_t zero = 0;

	return fp_test_percpu_sum(stats_fd, &zero, sum, sizeof(*sum));
}

#endif
