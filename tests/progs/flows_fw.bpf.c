// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The flows stage behind a stand-in firewall, so a test can tell what the
 * stage records from the firewall's result without rules: UDP to port 53
 * is dropped by rule 3, to port 54 by the policy, the rest passes. */
#include "parse.h"
#include "flows_stage.h"

SEC("xdp")
int flows_fw(struct xdp_md *ctx)
{
	struct fp_fw_result fw = { 0, XDP_PASS };
	struct fp_flow_cpu *c = fp_flow_cpu_get();
	struct fp_parsed p;

	if (!c)
		return XDP_ABORTED;
	fp_parse(ctx, &p);
	fp_stage_flows_take(c, &p); /* as the pipeline runs it */
	if (p.l4_proto == IPPROTO_UDP && p.dport == 53) {
		fw.rule = 3;
		fw.action = XDP_DROP;
	} else if (p.l4_proto == IPPROTO_UDP && p.dport == 54) {
		fw.action = XDP_DROP;
	}
	fp_stage_flows_commit(c, &fw);
	return fw.action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
