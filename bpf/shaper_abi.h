/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The shaper: what its classifier (bpf/shaper_tc.bpf.c) and the library
 * (src/lib/shaper/) share. With classes, the interface's root qdisc is an
 * HTB whose classes the library makes; the classifier, on the tcx egress
 * hook, which runs before the root qdisc's enqueue, writes the class of
 * each packet into skb->priority, which HTB reads before any filter of its
 * own (htb_classify: a priority whose major is the qdisc's handle names
 * the class). The match is the firewall's vocabulary: destination prefix,
 * protocol, destination port or range; the first class that matches wins,
 * else the default class. Pinned as shaper/DEV/classes. */
#ifndef FP_SHAPER_ABI_H
#define FP_SHAPER_ABI_H

#include <linux/types.h>

#define FP_SHAPER_CLASSES_MAX 32
#define FP_SHAPER_HANDLE      0xfa570000u /* the root qdisc's handle, fa57: */
#define FP_SHAPER_DEFAULT     1           /* minor of the default class */

struct fp_shaper_match {
	__u32 dst[4];         /* network order; IPv4 in dst[0] */
	__u32 mask[4];        /* the prefix's mask, network order */
	__u8 family;          /* 0: any, 4, 6 */
	__u8 proto;           /* 0: any; IPPROTO_* */
	__u16 port_lo;        /* destination port, host order; 0-0: any */
	__u16 port_hi;
	__u16 pad;
	__u32 classid;        /* TC_H_MAKE(FP_SHAPER_HANDLE, minor) */
};

/* The one entry of the classes map. */
struct fp_shaper_cfg {
	__u32 n;              /* matches in use, 0..FP_SHAPER_CLASSES_MAX */
	__u32 default_classid;
	struct fp_shaper_match m[FP_SHAPER_CLASSES_MAX];
};

#endif
