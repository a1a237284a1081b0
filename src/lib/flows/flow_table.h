/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: an interface's flows table (bpf/flows_abi.h) as
 * the pipeline loads it and the readers map it, and the flows stage's
 * tcx egress program. */
#ifndef FP_LIB_FLOW_TABLE_H
#define FP_LIB_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <fastpath/flows.h>

/* A pinned table mapped into this process (read and, for aging, the tags
 * written). */
struct fp_flow_table {
	struct fp_flow_bucket *buckets; /* cpus * per_cpu of them */
	size_t map_len;
	struct fp_flow_meta *meta;
	size_t meta_len;
	int cpu_fd;                     /* fp_flow_cpu */
	__u32 cpus;
	__u32 per_cpu;                  /* buckets per CPU */
	__u64 seed;
};

/* fp_flow_table_pins: the table's maps, by the names the pipeline pins
 * them under (pipeline/DEV/NAME); NULL-ended. */
extern const char *const fp_flow_table_pins[];

/* fp_flow_table_open: map DEV's pinned table. -ENOENT if it has none,
 * -EPROTO if it is not set up (or not by this build). */
int fp_flow_table_open(const char *dev, struct fp_flow_table *t);

/* fp_flow_table_close: unmap it; safe on a closed table. */
void fp_flow_table_close(struct fp_flow_table *t);

/* fp_flows_egress_attach: make sure fp_flows_egress runs on DEV's tcx
 * egress hook, first in line, on DEV's current table, with its link
 * pinned as pipeline/DEV/egress_link. A link on a replaced table gets
 * the new program atomically. -ENOSYS without tcx (kernel < 6.6). */
int fp_flows_egress_attach(const char *dev, int ifindex);

/* fp_flows_egress_detach: remove it; none is not an error. */
int fp_flows_egress_detach(const char *dev);

#endif
