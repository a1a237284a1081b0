/* SPDX-License-Identifier: BSD-2-Clause */
/* Egress shaping: a rate limit per interface that holds a latency target,
 * optionally split into classes with their own rate, ceiling and priority
 * (docs/shaper.md).
 *
 * Mechanisms, chosen per interface at apply time and reported:
 *   tbf        no classes: TBF at bandwidth_limit, its queue limited to
 *              latency_target at that rate;
 *   htb        classes: HTB root at bandwidth_limit, one class per entry
 *              and a default class, each with a bfifo leaf of
 *              rate x latency_target bytes; packets are put in their class
 *              by fp_shaper_tc on the tcx egress hook (bpf/shaper_abi.h).
 * EDT (a BPF program setting skb->tstamp, enforced by fq) would need the
 * fq qdisc; fp_shaper_apply probes it and says when it is missing.
 *
 * Rates are bits per second. */
#ifndef FASTPATH_SHAPER_H
#define FASTPATH_SHAPER_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <fastpath/core.h>
#include "shaper_abi.h"

struct fp_cfg_section;

#define FP_SHAPER_MAX 64 /* interfaces in the shaper section */

struct fp_shaper_class {
	/* match: a zero field matches anything */
	struct fp_cidr dest;    /* family 0: any address */
	int proto;              /* IPPROTO_*, 0: any */
	uint16_t port[2];       /* destination port lo, hi; 0-0: any */
	uint64_t rate;          /* guaranteed, bit/s */
	uint64_t ceil;          /* may borrow up to, bit/s; 0: bandwidth_limit */
	uint32_t priority;      /* 0 (first served) .. 7 */
	unsigned int line;
};

struct fp_shaper_iface {
	char interface[IF_NAMESIZE];
	uint64_t bandwidth_limit; /* bit/s */
	uint32_t latency_ms;      /* latency_target */
	struct fp_shaper_class classes[FP_SHAPER_CLASSES_MAX];
	size_t n_classes;
	unsigned int line;
};

/* The config's shaper: section, a list of interfaces. */
struct fp_shaper_config {
	struct fp_shaper_iface *ifaces;
	size_t n;
};

extern const struct fp_cfg_section fp_shaper_section;

enum fp_shaper_mech { FP_SHAPER_NONE = 0, FP_SHAPER_TBF, FP_SHAPER_HTB };

/* fp_shaper_rate_parse: "100mbit", "1gbit", "500kbit", "10mbps" (bytes),
 * "125000bps", or a bare number of bit/s, into bit/s. -EINVAL, -ERANGE. */
int fp_shaper_rate_parse(const char *s, uint64_t *bps);

/* fp_shaper_rate_str: bit/s as tc writes it ("100Mbit"). */
const char *fp_shaper_rate_str(uint64_t bps, char *buf, size_t size);

/* fp_shaper_class_parse: a class as the CLI writes it,
 * "dest=CIDR,protocol=tcp|udp|icmp,port=N[-M],rate=R,ceil=R,priority=0-7"
 * (rate required, the rest optional). -EINVAL with WHY set. */
int fp_shaper_class_parse(const char *spec, struct fp_shaper_class *c, char *why, size_t size);

/* fp_shaper_check: what fp_shaper_apply would refuse, without touching
 * the kernel: a class rate above the limit, rates that add up to more,
 * ceil below rate, a latency that gives a queue under two full frames.
 * WHY gets the reason. -EINVAL. */
int fp_shaper_check(const struct fp_shaper_iface *s, char *why, size_t size);

/* fp_shaper_apply: make S the egress shaping of its interface, replacing
 * what fastpath set there before (the root qdisc is replaced in one
 * request; classes and the classifier follow). On failure nothing of the
 * new setting is left: the old root is restored if it was ours, else the
 * interface's default. *mech (may be NULL) gets the mechanism used, and
 * NOTE a line that says why this one (NULL allowed).
 * -ENODEV, -EINVAL (fp_shaper_check), -EOPNOTSUPP (no tbf/htb), -errno. */
int fp_shaper_apply(const struct fp_shaper_iface *s, enum fp_shaper_mech *mech,
		    char *note, size_t note_size);

/* fp_shaper_remove: the interface's default root qdisc back and the
 * classifier detached. 0 when nothing of ours was there. */
int fp_shaper_remove(const char *dev);

struct fp_shaper_stats {
	uint32_t classid;       /* 0 for the root */
	uint64_t rate, ceil;    /* configured, bit/s */
	uint32_t priority;
	uint64_t bytes, packets, drops, overlimits;
	uint32_t backlog_bytes, qlen;
};

struct fp_shaper_state {
	char dev[IF_NAMESIZE];
	enum fp_shaper_mech mech;
	uint64_t limit;         /* bit/s */
	struct fp_shaper_stats root;
	struct fp_shaper_stats classes[FP_SHAPER_CLASSES_MAX + 1]; /* + default */
	size_t n_classes;
};

/* fp_shaper_read: what the kernel has on DEV: -ENOENT when fastpath's
 * shaper is not its root qdisc (not ours, or replaced behind our back). */
int fp_shaper_read(const char *dev, struct fp_shaper_state *st);

/* fp_shaper_matches: the kernel's setting on DEV is S's (mechanism, rate,
 * classes, classifier attached). For reconcile: false means apply again. */
bool fp_shaper_matches(const struct fp_shaper_iface *s);

/* fp_shaper_list: the interfaces where fastpath's shaper is the root
 * qdisc (names, at most MAX). Returns how many, or -errno. */
int fp_shaper_list(char (*devs)[IF_NAMESIZE], int max);

const char *fp_shaper_mech_str(enum fp_shaper_mech m);

#endif
