/* SPDX-License-Identifier: BSD-2-Clause */
/* Making the kernel match a configuration: what fastpathd does at start
 * and on every reload, idempotently (a second run changes nothing). */
#ifndef FASTPATH_RECONCILE_H
#define FASTPATH_RECONCILE_H

#include <fastpath/config.h>

/* fp_config_preflight: check what the kernel will be asked for before it
 * is asked: interfaces exist, xdp_program is an XDP object, each stage
 * can hold its part (the firewall's rules fit its maps). -EINVAL with
 * err->msg saying what is wrong. Call it before fp_reconcile. */
int fp_config_preflight(const struct fp_config *cfg, struct fp_config_error *err);

/* fp_config_pipeline_opts: the pipeline DEV runs under CFG: its mode,
 * the stages on there and their map sizes, as each stage says (its row in
 * the stage table). */
void fp_config_pipeline_opts(const struct fp_config *cfg, const char *dev,
			     struct fp_pipeline_opts *opts);

/* fp_reconcile: bring up (or adopt) a pipeline on each configured
 * interface with the configured mode, stages and chained program; take
 * down those prev had and cfg has not. With ebpf disabled, only the
 * latter. Stops at the first failure (reported through log). */
int fp_reconcile(const struct fp_config *cfg, const struct fp_config *prev,
		 const struct fp_logger *log);

/* fp_reconcile_fresh: how many configured interfaces have no pipeline
 * yet. fp_reconcile_preload: their pipeline programs loaded ahead
 * (fp_pipeline_preload) for the fp_reconcile that follows; run beside
 * fp_config_preflight, and followed by fp_pipeline_preload_drop once the
 * reconcile ran or the check failed. Its failures are left for the
 * reconcile to meet and report. */
size_t fp_reconcile_fresh(const struct fp_config *cfg);
void fp_reconcile_preload(const struct fp_config *cfg);

/* fp_reconcile_dev: fp_reconcile's work for one configured interface DEV
 * (attach or adopt, stages, firewall, xsk ports, chained program), in
 * MODE rather than the configured one (a repair falling back to skb). */
int fp_reconcile_dev(const struct fp_config *cfg, const char *dev, enum fp_xdp_mode mode,
		     const struct fp_logger *log);

/* fp_reconcile_applied: every stage's maps on DEV still hold what CFG
 * says (e.g. the firewall: as many rules, the same policy). */
bool fp_reconcile_applied(const struct fp_config *cfg, const char *dev);

/* ---- verifying a pipeline (src/lib/pipeline/pipeline_heal.c) ---------- */

/* What one look at DEV's pipeline found. */
struct fp_pipeline_facts {
	bool bpffs;             /* bpffs is mounted on /sys/fs/bpf */
	int ifindex;            /* 0: no interface of that name */
	bool attached;          /* DEV's pinned link is live on it, its program there */
	const char *mode;       /* what it is attached in; "" when not */
	bool applied;           /* fp_reconcile_applied */
	unsigned int pins_missing; /* objects fastpathd holds whose pins are gone */
};

/* What a repair of DEV does, in this order. */
#define FP_HEAL_REMOUNT  0x1u   /* mount bpffs again */
#define FP_HEAL_REPIN    0x2u   /* pin the held objects again */
#define FP_HEAL_ATTACH   0x4u   /* attach (or reattach in the wanted mode) */
#define FP_HEAL_APPLY    0x8u   /* fill the stages' maps again (rule set) */
#define FP_HEAL_WAIT     0x10u  /* nothing can be done: the interface is gone */

/* fp_pipeline_facts: look at DEV (ifindex, link, mode, rule set). */
void fp_pipeline_facts(const struct fp_config *cfg, const char *dev,
		       struct fp_pipeline_facts *f);

/* fp_bpffs_mounted: bpffs is mounted on /sys/fs/bpf. */
bool fp_bpffs_mounted(void);

/* fp_pipeline_heal_plan: the FP_HEAL_* repairs F calls for when the
 * pipeline should run in WANT (AUTO: either mode will do); 0: all is as
 * it should be. Pure. */
unsigned int fp_pipeline_heal_plan(const struct fp_pipeline_facts *f, enum fp_xdp_mode want);

/* ---- the objects fastpathd holds (src/lib/pipeline/pipeline_keep.c) ----
 * An fd on each pinned object of DEV's pipeline but its links (a link
 * held would stay attached after `fastpath down`), so that pins removed
 * behind its back, or a bpffs unmounted, can be put back with the same
 * maps: counters, lease cache and flows survive, and the DHCP server's
 * map fds stay the pipeline's. */
struct fp_pipeline_keep;

/* fp_pipeline_keep_take: hold what is pinned under DEV now, replacing
 * what *K held (allocated when NULL); an object *K held under a name
 * that is not pinned now is still held, so that a pin removed while the
 * caller looked elsewhere is put back, not forgotten. -ENOMEM. */
int fp_pipeline_keep_take(struct fp_pipeline_keep **k, const char *dev);

/* fp_pipeline_keep_missing: held objects whose pin is gone. */
unsigned int fp_pipeline_keep_missing(const struct fp_pipeline_keep *k);

/* fp_pipeline_keep_repin: pin every held object whose pin is gone; how
 * many were, or -errno. */
int fp_pipeline_keep_repin(const struct fp_pipeline_keep *k);

/* fp_pipeline_keep_free: close and free; NULL is fine. */
void fp_pipeline_keep_free(struct fp_pipeline_keep *k);

#endif
