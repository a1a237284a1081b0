/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: between pipeline.c (DEV's pins, up and down,
 * stages, info, the chained program), pipeline_load.c (which program
 * runs on DEV: loaded against its pins, attached, adopted or reloaded)
 * and pipeline_ahead.c (a program loaded ahead of its up). */
#ifndef FP_LIB_PIPELINE_INTERNAL_H
#define FP_LIB_PIPELINE_INTERNAL_H

#include <fastpath/pipeline.h>

/* fp_pipeline_pin: pin FD as OBJ of DEV's pipeline, replacing what is
 * pinned there (bpffs will not pin over an existing name); -errno. */
int fp_pipeline_pin(int fd, const char *dev, const char *obj);

/* fp_pipeline_up_link: attach a pipeline to DEV (target T) for OPTS, or
 * adopt the one there (reloaded in place when its pins no longer fit
 * OPTS); sets info's adopted, native_failed and native_err. The stages
 * are left alone. */
int fp_pipeline_up_link(const char *dev, const struct fp_target *t,
			const struct fp_pipeline_opts *opts, struct fp_pipeline_info *info);

/* Between pipeline_load.c and pipeline_ahead.c (the program loaded ahead).
 * fp_pipeline_open_new: a pipeline object for DEV built for BUILT, its
 * maps pinned to DEV's pins where they fit (*stale: how many do not);
 * fp_pipeline_load_opened: load it, fresh maps where the pins do not fit
 * (destroys it on failure); fp_pipeline_pin_stale: 0 when the pin at M's
 * pin path fits M, FP_PIN_ABSENT when there is none, else 1 or -errno;
 * fp_pipeline_ahead_take: the program loaded ahead for DEV and OPTS, or
 * NULL. */
struct pipeline;
struct bpf_map;
#define FP_PIN_ABSENT 2
int fp_pipeline_open_new(const char *dev, const struct fp_pipeline_opts *opts, __u32 built,
			 __u32 fw_slots, struct pipeline **out, int *stale);
int fp_pipeline_load_opened(const char *dev, struct pipeline *skel);
int fp_pipeline_pin_stale(const struct bpf_map *m);
struct pipeline *fp_pipeline_ahead_take(const char *dev, const struct fp_pipeline_opts *opts);

#endif
