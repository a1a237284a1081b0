// SPDX-License-Identifier: BSD-2-Clause
/* The pipeline's stages: a new stage adds its bit to bpf/pipeline_abi.h,
 * its row here, and the row itself in a <fn>_stage.c in its own folder. */
#include "pipeline/stage.h"

/* The pipeline's own verdicts and the chained program: no configuration
 * section turns them on, so a name is all they need. */
#define FP_STAGE_PLAIN(n, sel) (&(const struct fp_stage_row){ .name = (n), .selectable = (sel) })

const struct fp_stage_row *const fp_stage_rows[FP_STAGE_MAX] = {
	[FP_STAGE_PIPELINE] = FP_STAGE_PLAIN("pipeline", false), /* the final verdicts */
	[FP_STAGE_FLOWS] = &fp_stage_flows_row,
	[FP_STAGE_FIREWALL] = &fp_stage_firewall_row,
	[FP_STAGE_DHCP] = &fp_stage_dhcp_row,
	[FP_STAGE_XSK] = &fp_stage_xsk_row,
	[FP_STAGE_PORTS] = &fp_stage_ports_row,
	[FP_STAGE_CHAIN] = FP_STAGE_PLAIN("chain", true), /* orchestrator.ebpf.xdp_program */
};
