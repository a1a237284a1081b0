// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The flows stage behind a stand-in firewall, so a test can tell what the
 * stage records from the firewall's result without rules: UDP to port 53
 * is dropped by rule 3, to port 54 by the policy, the rest passes. */
#include "parse.h"
#include "flow_maps.h"

SEC("xdp")
int flows_fw(struct xdp_md *ctx)
{
	struct fp_fw_result fw = { 0, XDP_PASS };
	struct fp_parsed p;

	fp_parse(ctx, &p);
	if (p.l4_proto == IPPROTO_UDP && p.dport == 53) {
		fw.rule = 3;
		fw.action = XDP_DROP;
	} else if (p.l4_proto == IPPROTO_UDP && p.dport == 54) {
		fw.action = XDP_DROP;
	}
	fp_stage_flows(&p, &fw);
	return fw.action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
