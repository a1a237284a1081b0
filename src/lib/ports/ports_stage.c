// SPDX-License-Identifier: BSD-2-Clause
/* The ports stage's row of the pipeline's stage table: on wherever
 * fastpathd runs a pipeline, so that every registered port is counted
 * (bpf/ports_stage.h); its maps are the registry's, shared by name. */
#include "pipeline/stage.h"

static bool ports_from_config(const struct fp_config *cfg, const char *dev,
			      struct fp_pipeline_opts *opts)
{
	(void)cfg;
	(void)dev;
	(void)opts;
	return true;
}

const struct fp_stage_row fp_stage_ports_row = {
	.name = "ports",
	.selectable = true,
	.from_config = ports_from_config,
};
