/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: the shaper's qdiscs (shaper_qdisc.c) and its
 * classifier (shaper_classify.c).
 * Every function returns 0 or -errno. */
#ifndef FP_LIB_SHAPER_INTERNAL_H
#define FP_LIB_SHAPER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <fastpath/shaper.h>

struct nl_sock;

int fp_shaper_nl_open(struct nl_sock **sk);
int fp_shaper_nl_err(int nlerr);
uint32_t fp_shaper_classid(uint32_t minor);
uint32_t fp_shaper_class_minor(size_t i);

/* fp_shaper_root_kind: the kind of DEV's root qdisc when it is ours
 * (handle FP_SHAPER_HANDLE), else -ENOENT. */
int fp_shaper_root_kind(struct nl_sock *sk, int ifindex, char *kind, size_t size);
int fp_shaper_root_delete(struct nl_sock *sk, int ifindex);

int fp_shaper_tbf_set(struct nl_sock *sk, int ifindex, uint64_t rate, uint32_t latency_ms);
/* fp_shaper_htb_set: root (unless KEEP_ROOT: ours is HTB already, change
 * its classes in place), top class, default class, S's classes, leaves. */
int fp_shaper_htb_set(struct nl_sock *sk, int ifindex, const struct fp_shaper_iface *s,
		      bool keep_root);
int fp_shaper_htb_prune(struct nl_sock *sk, int ifindex, size_t n_classes);

int fp_shaper_qdisc_read(struct nl_sock *sk, int ifindex, struct fp_shaper_state *st);
int fp_shaper_qdisc_list(struct nl_sock *sk, char (*devs)[IF_NAMESIZE], int max);

/* The classifier (shaper_classify.c). fp_shaper_cfg_build: S's classes
 * as the classifier's map entry, in order, class i at minor 0x10 + i. */
void fp_shaper_cfg_build(const struct fp_shaper_iface *s, struct fp_shaper_cfg *cfg);
int fp_shaper_classify_set(const char *dev, int ifindex, const struct fp_shaper_iface *s);
int fp_shaper_classify_remove(const char *dev);
bool fp_shaper_classify_live(const char *dev, int ifindex);

#endif
