// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fp_shaper_tc: the shaper's classifier, on a tcx egress link of the
 * interface (shaper/DEV/link). It only chooses an HTB class, through
 * skb->priority (shaper_abi.h says why that works), and returns
 * TCX_NEXT so that the programs after it still run and decide. */
#include <linux/pkt_cls.h>
#include "parse.h"
#include "shaper_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_shaper_cfg);
} fp_shaper_classes SEC(".maps");

static __always_inline int addr_fits(const struct fp_shaper_match *m, const struct fp_parsed *p)
{
	if (!m->family)
		return 1;
	if (m->family != p->ip_version)
		return 0;
	if ((p->daddr[0] & m->mask[0]) != m->dst[0])
		return 0;
	if (m->family == 4)
		return 1;
	return (p->daddr[1] & m->mask[1]) == m->dst[1] &&
	       (p->daddr[2] & m->mask[2]) == m->dst[2] &&
	       (p->daddr[3] & m->mask[3]) == m->dst[3];
}

static __always_inline int fits(const struct fp_shaper_match *m, const struct fp_parsed *p)
{
	if (m->proto && m->proto != p->l4_proto)
		return 0;
	if (m->port_hi && (!p->has_l4 || p->dport < m->port_lo || p->dport > m->port_hi))
		return 0;
	return addr_fits(m, p);
}

SEC("tc")
int fp_shaper_tc(struct __sk_buff *skb)
{
	struct fp_shaper_cfg *cfg;
	struct fp_parsed p;
	__u32 zero = 0, n;

	cfg = bpf_map_lookup_elem(&fp_shaper_classes, &zero);
	if (!cfg)
		return TC_ACT_UNSPEC;
	fp_parse_frame((void *)(long)skb->data, (void *)(long)skb->data_end, &p);
	n = cfg->n;
	for (__u32 i = 0; i < FP_SHAPER_CLASSES_MAX; i++) {
		if (i >= n)
			break;
		if (fits(&cfg->m[i], &p)) {
			skb->priority = cfg->m[i].classid;
			return TC_ACT_UNSPEC;
		}
	}
	skb->priority = cfg->default_classid;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
