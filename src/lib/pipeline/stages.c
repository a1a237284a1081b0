// SPDX-License-Identifier: BSD-2-Clause
/* The pipeline's stages: a new stage adds its bit to bpf/pipeline_abi.h,
 * its row here and, if it has hooks, a <fn>_stage.c in its own folder. */
#include "pipeline/stage.h"

/* Stages with nothing to size, seed or attach: a name is all they need. */
#define FP_STAGE_PLAIN(n, sel) (&(const struct fp_stage_row){ .name = (n), .selectable = (sel) })

const struct fp_stage_row *const fp_stage_rows[FP_STAGE_MAX] = {
	[FP_STAGE_PIPELINE] = FP_STAGE_PLAIN("pipeline", false), /* the final verdicts */
	[FP_STAGE_FLOWS] = &fp_stage_flows_row,
	[FP_STAGE_FIREWALL] = FP_STAGE_PLAIN("firewall", true),
	[FP_STAGE_DHCP] = &fp_stage_dhcp_row,
	[FP_STAGE_XSK] = FP_STAGE_PLAIN("xsk", true),
	[FP_STAGE_PORTS] = FP_STAGE_PLAIN("ports", true),
	[FP_STAGE_CHAIN] = FP_STAGE_PLAIN("chain", true),
};
