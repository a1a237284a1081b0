// SPDX-License-Identifier: BSD-2-Clause
/* The flows stage's row of the pipeline's stage table: on with
 * flows.enabled, its table sized for flows.max_flows (one bucket per CPU
 * while the stage is off), each CPU's region seeded after load, the tcx
 * egress program beside it. */
#include <stddef.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include "flows/flow_table.h"
#include "pipeline/stage.h"

static bool flows_from_config(const struct fp_config *cfg, const char *dev,
			      struct fp_pipeline_opts *opts)
{
	(void)dev;
	opts->max_flows = cfg->flows.max_flows;
	return cfg->flows.enabled;
}

/* The flows per CPU the table is sized for: the configured number while
 * the stage is on, else the least, as the maps are part of the pipeline
 * program either way. */
static int flows_size(struct bpf_object *obj, const char *dev,
		      const struct fp_pipeline_opts *opts)
{
	(void)dev;
	__u32 n = 1;

	if (opts->stages & FP_STAGE_BIT(FP_STAGE_FLOWS))
		n = opts->max_flows ? opts->max_flows : FP_FLOWS_DEFAULT;
	return fp_flows_table_size(obj, n);
}

const struct fp_stage_row fp_stage_flows_row = {
	.name = "flows",
	.selectable = true,
	.size = flows_size,
	.init = fp_flows_table_init,
	.enable = fp_flows_egress_attach,
	.disable = fp_flows_egress_detach,
	/* A table of another size gets a fresh region map and counters too:
	 * flows and their counters start over. */
	.together = fp_flow_table_pins,
	.from_config = flows_from_config,
};
