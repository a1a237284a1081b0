// SPDX-License-Identifier: BSD-2-Clause
/* The pipeline compiled for a stage set: bpf/pipeline.bpf.c built once
 * for every stage (bpf/pipeline.skel.h) and once for each set of the
 * Makefile's PIPE_SETS, where clang drops the other stages' code and the
 * stages kept get registers of their own. Each set's object is embedded
 * as its own skeleton; the generic skeleton is opened on its bytes (the
 * maps, programs and .rodata are the same by construction, and checked:
 * the object's fp_compiled names its set). */
#include <errno.h>
#include <stdlib.h>
#include "pipeline_abi.h"
#include "bpf/pipeline.skel.h"
#include "bpf/sets/pipeline_firewall.skel.h"
#include "bpf/sets/pipeline_xsk.skel.h"
#include "pipeline/pipeline_sets.h"

#define BIT FP_STAGE_BIT

static const struct {
	__u32 stages;
	const void *(*elf)(size_t *size);
} sets[] = {
	{ BIT(FP_STAGE_FIREWALL), pipeline_firewall__elf_bytes },
	{ BIT(FP_STAGE_XSK), pipeline_xsk__elf_bytes },
};

int fp_pipeline_compiled_sets(void)
{
	return (int)(sizeof(sets) / sizeof(sets[0]));
}

__u32 fp_pipeline_compiled_set(int i)
{
	return i >= 0 && i < fp_pipeline_compiled_sets() ? sets[i].stages : 0;
}

const void *fp_pipeline_elf_for(__u32 stages, size_t *size)
{
	for (int i = 0; i < fp_pipeline_compiled_sets(); i++)
		if (sets[i].stages == (stages & FP_STAGES_BUILT))
			return sets[i].elf(size);
	return pipeline__elf_bytes(size);
}

/* open_elf: the generic skeleton on ELF's SIZE bytes. */
static struct pipeline *open_elf(const void *elf, size_t size,
				 const struct bpf_object_open_opts *oo)
{
	struct pipeline *skel = calloc(1, sizeof(*skel));
	int err;

	if (!skel) {
		errno = ENOMEM;
		return NULL;
	}
	err = pipeline__create_skeleton(skel);
	if (!err) {
		skel->skeleton->data = (void *)elf;
		skel->skeleton->data_sz = size;
	}
	err = err ?: bpf_object__open_skeleton(skel->skeleton, oo);
	if (err) {
		pipeline__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

struct pipeline *fp_pipeline_open_for(__u32 stages, const struct bpf_object_open_opts *oo)
{
	__u32 want = stages & FP_STAGES_BUILT;
	size_t size;
	const void *elf = fp_pipeline_elf_for(want, &size);
	struct pipeline *skel = open_elf(elf, size, oo);

	/* An object that is not the set it is listed for (another .rodata,
	 * or fp_compiled missing a stage): the generic one instead. */
	if (skel && (bpf_map__value_size(skel->maps.rodata) != sizeof(*skel->rodata) ||
		     (want & ~skel->rodata->fp_compiled))) {
		pipeline__destroy(skel);
		elf = pipeline__elf_bytes(&size);
		skel = open_elf(elf, size, oo);
	}
	if (skel)
		skel->rodata->fp_built = want;
	return skel;
}
