// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's pipeline service: the configuration applied to the kernel
 * (fp_reconcile) at start and on every reload; in userspace-only mode,
 * what a previous configuration brought up taken down where it can be.
 * Verified on fastpathd's schedule (link events, every monitoring
 * interval): bpffs mounted, pins present, the pipeline attached in the
 * configured mode with its rule set; what is not is repaired. A native
 * attach that keeps failing falls back to skb mode until the next
 * reload, and says so. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/reconcile.h>

#define NATIVE_TRIES 3  /* native attaches that fail before skb is tried */

struct pipeline_service {
	const struct fp_config *cfg;
	const struct fp_logger *log;
	struct fp_heal *heal;
	bool ebpf;
	struct fp_pipeline_keep *keep[FP_CONFIG_IFACES_MAX];
	unsigned int native_fails[FP_CONFIG_IFACES_MAX];
	bool skb_fallback[FP_CONFIG_IFACES_MAX];
};

static void keep_drop(struct pipeline_service *p)
{
	for (size_t i = 0; i < FP_CONFIG_IFACES_MAX; i++) {
		fp_pipeline_keep_free(p->keep[i]);
		p->keep[i] = NULL;
		p->native_fails[i] = 0;
		p->skb_fallback[i] = false;
	}
}

static void keep_take(struct pipeline_service *p)
{
	for (size_t i = 0; p->ebpf && i < p->cfg->ebpf.n_interfaces; i++)
		fp_pipeline_keep_take(&p->keep[i], p->cfg->ebpf.interfaces[i]);
}

static int pipeline_apply(void *ctx, const struct fp_config *cfg,
			  const struct fp_config *prev, const struct fp_service_env *env)
{
	struct pipeline_service *p = ctx;
	struct fp_config off;
	int err = 0;

	if (env->ebpf) {
		err = fp_reconcile(cfg, prev, env->log);
	} else if (prev && prev->ebpf.enabled && !fp_check_privileges()) {
		fp_config_defaults(&off);
		off.ebpf.enabled = false;
		fp_reconcile(&off, prev, env->log);
	}
	p->cfg = cfg;
	p->log = env->log;
	p->heal = env->heal;
	p->ebpf = env->ebpf;
	keep_drop(p);
	keep_take(p);
	return err;
}

/* The mode DEV (the i-th interface) should run in now. */
static enum fp_xdp_mode want_mode(const struct pipeline_service *p, size_t i)
{
	return p->skb_fallback[i] ? FP_XDP_SKB : p->cfg->ebpf.mode;
}

/* After a failed native attach: after NATIVE_TRIES, skb from now on. */
static void native_failed(struct pipeline_service *p, size_t i, int err)
{
	const char *dev = p->cfg->ebpf.interfaces[i];

	if (want_mode(p, i) != FP_XDP_NATIVE || ++p->native_fails[i] < NATIVE_TRIES)
		return;
	p->skb_fallback[i] = true;
	fp_heal_repaired(p->heal, FP_REPAIR_MODE_FALLBACK, "pipeline on %s: native attach "
			 "failed %u times (%s); falling back to skb mode until the next reload",
			 dev, p->native_fails[i], strerror(-err));
}

static const char *mode_now(const char *dev)
{
	struct fp_pipeline_info pi;

	return fp_pipeline_info(dev, &pi) || !*pi.mode ? "unknown" : pi.mode;
}

static int reattach(struct pipeline_service *p, size_t i, const struct fp_pipeline_facts *f,
		    unsigned int plan)
{
	const char *dev = p->cfg->ebpf.interfaces[i];
	enum fp_xdp_mode mode = want_mode(p, i);
	int err = fp_reconcile_dev(p->cfg, dev, mode, p->log);

	if (err) {
		native_failed(p, i, err);
		return err;
	}
	p->native_fails[i] = 0;
	if (plan & FP_HEAL_ATTACH)
		fp_heal_repaired(p->heal, FP_REPAIR_ATTACH, "pipeline on %s: %s; attached "
				 "again (%s mode)", dev, *f->mode ? "in the wrong mode" :
				 "not attached (taken down, its pins removed, or the "
				 "interface re-created)", mode_now(dev));
	else
		fp_heal_repaired(p->heal, FP_REPAIR_FIREWALL, "firewall on %s: the rule set "
				 "differed from the configuration; installed again", dev);
	return 0;
}

static int repin(struct pipeline_service *p, size_t i)
{
	const char *dev = p->cfg->ebpf.interfaces[i];
	int n = fp_pipeline_keep_repin(p->keep[i]);

	if (n > 0)
		fp_heal_repaired(p->heal, FP_REPAIR_PIN, "pipeline on %s: %d pins were gone; "
				 "pinned again (the same maps: counters and caches kept)", dev, n);
	return n < 0 ? n : 0;
}

/* One interface checked and repaired; -errno of a failed repair. */
static int verify_one(struct pipeline_service *p, size_t i)
{
	const char *dev = p->cfg->ebpf.interfaces[i];
	struct fp_pipeline_facts f;
	unsigned int plan;
	int err = 0;

	fp_pipeline_facts(p->cfg, dev, &f);
	f.pins_missing = fp_pipeline_keep_missing(p->keep[i]);
	plan = fp_pipeline_heal_plan(&f, want_mode(p, i));
	if (plan & FP_HEAL_WAIT) {
		fp_heal_problem(p->heal, "%s: interface gone", dev);
		fp_alert_raise(p->heal, FP_ALERT_INTERFACE_MISSING, dev, "interface %s is "
			       "gone; the pipeline is put back when it reappears", dev);
		return 0;
	}
	fp_alert_clear(p->heal, FP_ALERT_INTERFACE_MISSING, dev);
	if (plan & FP_HEAL_REPIN)
		err = repin(p, i);
	if (!err && (plan & (FP_HEAL_ATTACH | FP_HEAL_APPLY)))
		err = reattach(p, i, &f, plan);
	if (err) {
		fp_heal_problem(p->heal, "%s: pipeline %s, repair failing (%s)", dev,
				*f.mode ? "in the wrong mode" : "missing", strerror(-err));
		fp_alert_raise(p->heal, FP_ALERT_REPAIR_FAILED, dev, "pipeline on %s: repair "
			       "failed: %s; retried with backoff", dev, strerror(-err));
		return err;
	}
	fp_alert_clear(p->heal, FP_ALERT_REPAIR_FAILED, dev);
	/* What is pinned now is what a later repair puts back. */
	fp_pipeline_keep_take(&p->keep[i], dev);
	return 0;
}

/* bpffs gone (unmounted): mounted again; the pins follow per interface. */
static int remount(struct pipeline_service *p)
{
	int err;

	if (fp_bpffs_mounted())
		return 0;
	err = fp_bpffs_prepare();
	if (err) {
		fp_heal_problem(p->heal, "bpffs not mounted on /sys/fs/bpf (%s)", strerror(-err));
		fp_alert_raise(p->heal, FP_ALERT_REPAIR_FAILED, "bpffs", "cannot mount bpffs "
			       "on /sys/fs/bpf: %s", strerror(-err));
		return err;
	}
	fp_alert_clear(p->heal, FP_ALERT_REPAIR_FAILED, "bpffs");
	fp_heal_repaired(p->heal, FP_REPAIR_BPFFS, "bpffs was not mounted on /sys/fs/bpf; "
			 "mounted again");
	return 0;
}

static int pipeline_verify(void *ctx)
{
	struct pipeline_service *p = ctx;
	int err, first;

	if (!p->cfg || !p->ebpf)
		return 0;
	first = remount(p);
	for (size_t i = 0; !first && i < p->cfg->ebpf.n_interfaces; i++) {
		err = verify_one(p, i);
		first = first ?: err;
	}
	return first;
}

/* The interfaces the data plane runs on, "eth0,eth1", and their mode. */
static void pipeline_state(void *ctx, struct fp_daemon_state *st)
{
	const struct pipeline_service *p = ctx;
	size_t off = 0;

	st->interfaces[0] = '\0';
	snprintf(st->mode, sizeof(st->mode), "%s",
		 p->cfg ? fp_mode_str(p->cfg->ebpf.mode) : "");
	for (size_t i = 0; p->cfg && p->ebpf && i < p->cfg->ebpf.n_interfaces; i++) {
		int n = snprintf(st->interfaces + off, sizeof(st->interfaces) - off,
				 "%s%s", off ? "," : "", p->cfg->ebpf.interfaces[i]);

		if (n < 0 || (size_t)n >= sizeof(st->interfaces) - off)
			break;
		off += n;
	}
}

static void pipeline_stop(void *ctx)
{
	keep_drop(ctx);
}

const struct fp_service fp_pipeline_service = {
	.name = "pipeline",
	.ctx_size = sizeof(struct pipeline_service),
	.apply = pipeline_apply,
	.verify = pipeline_verify,
	.state = pipeline_state,
	.stop = pipeline_stop,
};
