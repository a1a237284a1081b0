// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fp_flows_egress: the flows stage's egress half, on a tcx egress link of
 * the interface (pipeline/DEV/egress_link) while the flows stage is on.
 * It records into the interface's own table, which the library makes it
 * share with the pipeline (pinned maps reused), with direction egress.
 *
 * It only observes: it returns TCX_NEXT (TC_ACT_UNSPEC), so the programs
 * after it on the hook still run and decide; TC_ACT_OK would end the tcx
 * chain there. */
#include <linux/pkt_cls.h>
#include "parse.h"
#include "flows_stage.h"

SEC("tc")
int fp_flows_egress(struct __sk_buff *skb)
{
	struct fp_parsed p;
	__u32 segs = skb->gso_segs;

	fp_parse_frame((void *)(long)skb->data, (void *)(long)skb->data_end, &p);
	/* The parser sees the linear part; the skb may hold more. A GSO
	 * packet is still one skb here, segmented after this hook: count its
	 * segments as packets and its length, headers once, as bytes. */
	fp_flows_record(&p, FP_FLOW_EGRESS, skb->len, segs ? segs : 1, XDP_PASS, 0);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
