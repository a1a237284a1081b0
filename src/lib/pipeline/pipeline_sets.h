/* SPDX-License-Identifier: BSD-2-Clause */
/* Which compiled pipeline object an interface's stages get (the Makefile's
 * PIPE_SETS): internal to libfastpath, and used by the BPF tests and the
 * benchmarks to load what the library loads. */
#ifndef FP_LIB_PIPELINE_SETS_H
#define FP_LIB_PIPELINE_SETS_H

#include <bpf/libbpf.h>

struct pipeline;

/* fp_pipeline_open_for: the pipeline's skeleton opened, not loaded, for
 * the stages STAGES (FP_STAGE_BIT()s): from the object compiled for
 * exactly those when there is one, else from the one compiled for every
 * stage; built for STAGES (.rodata's fp_built). NULL with errno set. */
struct pipeline *fp_pipeline_open_for(__u32 stages, const struct bpf_object_open_opts *oo);

/* fp_pipeline_elf_for: the bytes (*SIZE of them) of the object compiled
 * for exactly STAGES, or of the one compiled for every stage. */
const void *fp_pipeline_elf_for(__u32 stages, size_t *size);

/* fp_pipeline_compiled_sets / fp_pipeline_compiled_set: how many stage
 * sets have an object of their own, and set I's stages (tests load each). */
int fp_pipeline_compiled_sets(void);
__u32 fp_pipeline_compiled_set(int i);

#endif
