/* SPDX-License-Identifier: BSD-2-Clause */
/* Flows: per flow (5-tuple, interface, direction) the packets, bytes,
 * first and last seen, TCP flags and last verdict that the pipeline's
 * flows stage (ingress) and its tcx egress program record in a table per
 * interface (layout and the reasons for it in bpf/flows_abi.h, the guide in
 * docs/flows.md).
 *
 * The table holds entries per CPU: a flow seen on two CPUs has two. Every
 * function here hands out flows merged over CPUs: packets and bytes
 * summed, first seen the earliest, last seen the latest, TCP flags OR-ed,
 * verdict and rule those of the CPU that saw the flow last. Times are
 * CLOCK_MONOTONIC nanoseconds, exact to one kernel tick (1/HZ). */
#ifndef FASTPATH_FLOWS_H
#define FASTPATH_FLOWS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "flows_abi.h"  /* bpf/: the shared ABI */

struct bpf_object;

#define FP_CONFIG_FLOWS_MAX       (1u << 24)
#define FP_CONFIG_MAX_FLOWS       65536 /* = FP_FLOWS_DEFAULT, bpf/flows_abi.h */
#define FP_CONFIG_IDLE_TIMEOUT_MS 30000

/* The configuration's flows: section. */
struct fp_flows_config {
	bool enabled;
	uint32_t max_flows;
	uint32_t idle_timeout_ms;
};

/* The flows: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_flows_section;

struct fp_flow_info {
	char dev[IF_NAMESIZE];
	struct fp_flow_key key;
	struct fp_flow flow;    /* merged over CPUs */
};

/* An address prefix of a filter; present false matches any address. */
struct fp_flow_prefix {
	bool present;
	__u8 family;            /* 4 or 6, as fp_flow_key.family */
	__u8 len;               /* 0..32 or 0..128 */
	__u8 addr[16];          /* network order, host bits 0 */
};

struct fp_flow_filter {
	struct fp_flow_prefix src;
	struct fp_flow_prefix dst;
	int proto;              /* IPPROTO_*; -1: any */
	int port;               /* TCP or UDP port on either side; -1: any */
	__u64 min_packets;
};

enum fp_flow_sort {
	FP_FLOW_SORT_NONE = 0,  /* table order */
	FP_FLOW_SORT_PACKETS,   /* most packets first */
	FP_FLOW_SORT_BYTES,     /* most bytes first */
	FP_FLOW_SORT_AGE,       /* seen first longest ago first */
};

struct fp_flow_query {
	struct fp_flow_filter filter;
	enum fp_flow_sort sort;
	size_t limit;           /* 0: no limit */
};

/* Counters of one interface's table, summed over CPUs. "Evicted" flows
 * were replaced by a new flow because their bucket was full: their counts
 * are lost. "Aged" ones were idle and removed by fp_flows_age. The data
 * path cannot tell an evicted flow that was already idle from a live one;
 * with fastpathd aging every idle_timeout/4, most evicted flows were live. */
struct fp_flows_counters {
	__u64 created;          /* entries written for a new flow */
	__u64 evicted;
	__u64 aged;
	__u64 unparsed;         /* IP frames cut short or malformed: not recorded */
	__u64 not_ip;           /* non-IP frames: not recorded */
	__u64 in_use;           /* entries now (a flow on two CPUs has two) */
	__u64 capacity;         /* entries, all CPUs */
	__u64 in_use_max;       /* entries now in the fullest CPU's region */
	__u32 per_cpu;          /* entries each CPU may hold: max_flows rounded up */
	__u32 cpus;
};

/* fp_flow_filter_init: a filter that matches every flow. */
void fp_flow_filter_init(struct fp_flow_filter *f);

/* fp_flow_prefix_parse: "10.0.0.0/8", "fd00::/16", or an address alone
 * (/32, /128). -EINVAL for anything else, or host bits set. */
int fp_flow_prefix_parse(const char *s, struct fp_flow_prefix *p);

/* fp_flow_proto_parse: "tcp", "udp", "icmp", "icmpv6" or a number 0-255. */
int fp_flow_proto_parse(const char *s, int *proto);

/* fp_flow_proto_name: "tcp", "udp", "icmp", "icmpv6", or NULL. */
const char *fp_flow_proto_name(int proto);

/* fp_flow_sort_parse: "packets", "bytes" or "age". */
int fp_flow_sort_parse(const char *s, enum fp_flow_sort *sort);

/* fp_flow_match: f passes every condition of the filter. */
bool fp_flow_match(const struct fp_flow_info *f, const struct fp_flow_filter *filter);

/* fp_flows_select: keep the flows q's filter matches, in q's order, at
 * most q->limit; *n is updated. Pure: "age" orders by first seen. */
void fp_flows_select(struct fp_flow_info *flows, size_t *n, const struct fp_flow_query *q);

/* fp_flows_now_ns: now on the clock of first_ns and last_ns
 * (CLOCK_MONOTONIC). */
__u64 fp_flows_now_ns(void);

/* fp_flows_read: the flows of DEV's table, merged over CPUs, in no
 * particular order; the caller frees *flows. -ENOENT: no pipeline on DEV
 * (or one that has never had the flows stage). */
int fp_flows_read(const char *dev, struct fp_flow_info **flows, size_t *n);

/* fp_flows_query: fp_flows_read of DEV, or of every interface with a
 * pipeline when DEV is NULL, then fp_flows_select. */
int fp_flows_query(const char *dev, const struct fp_flow_query *q,
		   struct fp_flow_info **flows, size_t *n);

/* fp_flows_age: remove DEV's flows not seen for idle_ms or more (every
 * CPU's entry of a flow goes, or none), adding them to the aged counter.
 * *aged gets how many flows went. A packet of such a flow that arrives
 * while it is being removed is lost with it. */
int fp_flows_age(const char *dev, __u64 idle_ms, size_t *aged);

/* fp_flows_counters: DEV's table counters. */
int fp_flows_counters(const char *dev, struct fp_flows_counters *c);

/* fp_flows_census: DEV's counters and the flows in its table merged over
 * CPUs (*active, as fp_flows_read would count them), in one walk of the
 * table; or in none, when this process aged DEV's table (fp_flows_age)
 * recently enough that the next pass is not overdue (fastpathd ages
 * every max(1 s, idle / 4)): then in_use and *active are what that pass
 * left. For metrics, which would otherwise walk every table each scrape.
 * Errors as fp_flows_counters. */
int fp_flows_census(const char *dev, struct fp_flows_counters *c, __u64 *active);

/* ---- setting up a table (the pipeline does this; tests and benchmarks
 * that load an object of their own too) ------------------------------ */

/* fp_flows_table_size: size the table of an opened, not yet loaded object
 * that includes bpf/flows_stage.h to hold max_flows flows per CPU (rounded
 * up to whole buckets); 0 means FP_FLOWS_DEFAULT. -E2BIG when that many
 * entries do not fit a map. */
int fp_flows_table_size(struct bpf_object *obj, __u32 max_flows);

/* fp_flows_table_init: after load, give each CPU its region of the table
 * and the hash seed. A table that has them (a reused pin) is left alone. */
int fp_flows_table_init(struct bpf_object *obj);

#endif
