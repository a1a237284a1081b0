/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: between pipeline.c (DEV's pins, up and down,
 * stages, info, the chained program) and pipeline_load.c (which program
 * runs on DEV: loaded against its pins, attached, adopted or reloaded). */
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

#endif
