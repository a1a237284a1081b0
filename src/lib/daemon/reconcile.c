// SPDX-License-Identifier: BSD-2-Clause
/* The kernel made to match a configuration, step by idempotent step. */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fastpath/firewall.h>
#include <fastpath/pipeline.h>
#include <fastpath/reconcile.h>
#include <fastpath/xsk.h>

int fp_config_preflight(const struct fp_config *cfg, struct fp_config_error *err)
{
	const struct fp_ebpf_config *e = &cfg->ebpf;
	struct fp_obj *o = NULL;
	int rc;

	if (!e->enabled)
		return 0;
	/* A rule set that does not fit the maps is refused before any change. */
	if (fp_firewall_check(&cfg->firewall, err))
		return -EINVAL;
	for (size_t i = 0; i < e->n_interfaces; i++) {
		if (!if_nametoindex(e->interfaces[i])) {
			snprintf(err->msg, sizeof(err->msg), "orchestrator.ebpf: no network "
				 "interface named '%s' (see ip link show)", e->interfaces[i]);
			return -EINVAL;
		}
	}
	if (!*e->xdp_program)
		return 0;
	rc = fp_obj_open_file(e->xdp_program, NULL, &o);
	if (!rc && fp_obj_prog_type(o) != BPF_PROG_TYPE_XDP)
		rc = -EMEDIUMTYPE;
	fp_obj_close(o);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "orchestrator.ebpf.xdp_program: %.900s: %s",
			 e->xdp_program, rc == -ENOENT ? "no such file" :
			 rc == -ENOEXEC ? "not a BPF object" :
			 rc == -ENOTUNIQ ? "has several programs; give it one" :
			 rc == -EMEDIUMTYPE ? "not an XDP program" : strerror(-rc));
		return -EINVAL;
	}
	return 0;
}

/* A firewall that allows everything with no rule is no firewall. */
static bool firewall_configured(const struct fp_config *cfg)
{
	return cfg->firewall.n_rules || cfg->firewall.policy == FP_FW_DROP;
}

__u32 fp_config_stages(const struct fp_config *cfg)
{
	__u32 stages = FP_STAGE_BIT(FP_STAGE_PORTS);

	if (cfg->flows.enabled)
		stages |= FP_STAGE_BIT(FP_STAGE_FLOWS);
	if (firewall_configured(cfg))
		stages |= FP_STAGE_BIT(FP_STAGE_FIREWALL);
	return stages;
}

static bool has_interface(const struct fp_config *cfg, const char *dev)
{
	if (!cfg || !cfg->ebpf.enabled)
		return false;
	for (size_t i = 0; i < cfg->ebpf.n_interfaces; i++)
		if (!strcmp(cfg->ebpf.interfaces[i], dev))
			return true;
	return false;
}

static int firewall_one(const struct fp_config *cfg, const char *dev,
			const struct fp_logger *log)
{
	struct fp_config_error e = { 0 };
	int err;

	if (!firewall_configured(cfg)) {
		struct fp_fw_listing l;

		/* Only a set that is there: a clear waits for RCU grace periods. */
		if (fp_firewall_list(dev, &l))
			return 0;
		fp_fw_listing_free(&l);
		err = fp_firewall_clear(dev);
		if (!err)
			fp_log(log, FP_LOG_INFO, "firewall on %s: removed", dev);
		return err == -ENOENT ? 0 : err;
	}
	err = fp_firewall_apply(dev, &cfg->firewall, &e);
	if (err)
		fp_log(log, FP_LOG_ERROR, "firewall on %s: %s", dev, *e.msg ? e.msg :
		       strerror(-err));
	else
		fp_log(log, FP_LOG_INFO, "firewall on %s: %zu rules, policy %s", dev,
		       cfg->firewall.n_rules,
		       cfg->firewall.policy == FP_FW_DROP ? "drop" : "allow");
	return err;
}

static const struct fp_xsk_config *xsk_entry(const struct fp_config *cfg, const char *dev)
{
	for (size_t i = 0; i < cfg->n_xsk; i++)
		if (!strcmp(cfg->xsk[i].interface, dev))
			return &cfg->xsk[i];
	return NULL;
}

/* The stages of DEV's pipeline: the configuration's, and DHCP on the
 * interface the dhcp: section serves. */
static __u32 dev_stages(const struct fp_config *cfg, const char *dev)
{
	__u32 stages = fp_config_stages(cfg);

	if (cfg->dhcp.present && !strcmp(cfg->dhcp.interface, dev))
		stages |= FP_STAGE_BIT(FP_STAGE_DHCP);
	if (xsk_entry(cfg, dev))
		stages |= FP_STAGE_BIT(FP_STAGE_XSK);
	return stages;
}

/* xsk_one: DEV's steered ports are exactly its xsk: entry's (the
 * applications own their sockets; a port without one passes). */
static int xsk_one(const struct fp_config *cfg, const char *dev,
		   const struct fp_logger *log)
{
	const struct fp_xsk_config *x = xsk_entry(cfg, dev);
	int queues, err;

	if (!x)
		return 0;
	queues = fp_xsk_rx_queues(dev);
	if (queues > 0 && queues < 32 && (x->queue_mask >> queues))
		fp_log(log, FP_LOG_WARN, "xsk on %s: the interface has %d rx queues; "
		       "queues from %d on get no traffic", dev, queues, queues);
	err = fp_xsk_port_set(dev, x->ports, x->n_ports, FP_XSK_UDP);
	if (err)
		fp_log(log, FP_LOG_ERROR, "xsk on %s: %s", dev, strerror(-err));
	else
		fp_log(log, FP_LOG_INFO, "xsk on %s: %zu ports steered to AF_XDP sockets",
		       dev, x->n_ports);
	return err;
}

static int up_one(const struct fp_config *cfg, const char *dev, enum fp_xdp_mode mode,
		  const struct fp_logger *log)
{
	struct fp_pipeline_opts opts = {
		.mode = mode, .stages = dev_stages(cfg, dev),
		.max_flows = cfg->flows.max_flows,
		.lease_cache = cfg->dhcp.lease_cache_size,
	};
	const char *chain = *cfg->ebpf.xdp_program ? cfg->ebpf.xdp_program : NULL;
	struct fp_pipeline_info info;
	struct fp_load_result res;
	int err = fp_pipeline_up(dev, &opts, &info);

	if (err) {
		fp_log(log, FP_LOG_ERROR, "pipeline on %s: %s", dev, strerror(-err));
		return err;
	}
	if (info.native_failed)
		fp_log(log, FP_LOG_WARN, "pipeline on %s: native mode failed (%s); "
		       "running in skb mode", dev, strerror(-info.native_err));
	fp_log(log, FP_LOG_INFO, "pipeline on %s: %s (%s mode, prog id %u)", dev,
	       info.adopted ? "adopted, already running" : "attached", info.mode,
	       info.prog_id);
	err = firewall_one(cfg, dev, log);
	err = err ?: xsk_one(cfg, dev, log);
	if (err)
		return err;
	if (!chain && !info.chain_prog_id)
		return 0;
	err = fp_pipeline_chain(dev, chain, &res);
	if (err)
		fp_log(log, FP_LOG_ERROR, "pipeline on %s: chaining %s: %s%s%s", dev,
		       chain ? chain : "(none)", strerror(-err),
		       res.log ? "; verifier: " : "", res.log ? res.log : "");
	else if (chain)
		fp_log(log, FP_LOG_INFO, "pipeline on %s: %s chained", dev, res.name);
	else
		fp_log(log, FP_LOG_INFO, "pipeline on %s: chained program removed", dev);
	fp_load_result_free(&res);
	return err;
}

int fp_reconcile(const struct fp_config *cfg, const struct fp_config *prev,
		 const struct fp_logger *log)
{
	int err;

	for (size_t i = 0; prev && prev->ebpf.enabled && i < prev->ebpf.n_interfaces; i++) {
		const char *dev = prev->ebpf.interfaces[i];

		if (has_interface(cfg, dev))
			continue;
		err = fp_pipeline_down(dev);
		if (err && err != -ENOENT) {
			fp_log(log, FP_LOG_ERROR, "pipeline on %s: down: %s", dev, strerror(-err));
			return err;
		}
		fp_log(log, FP_LOG_INFO, "pipeline on %s: down (no longer configured)", dev);
	}
	if (!cfg->ebpf.enabled)
		return 0;
	for (size_t i = 0; i < cfg->ebpf.n_interfaces; i++) {
		err = up_one(cfg, cfg->ebpf.interfaces[i], cfg->ebpf.mode, log);
		if (err)
			return err;
	}
	return 0;
}

int fp_reconcile_dev(const struct fp_config *cfg, const char *dev, enum fp_xdp_mode mode,
		     const struct fp_logger *log)
{
	return up_one(cfg, dev, mode, log);
}

bool fp_reconcile_firewall_ok(const struct fp_config *cfg, const char *dev)
{
	struct fp_fw_listing l;
	bool ok;

	if (fp_firewall_list(dev, &l))
		return !firewall_configured(cfg);
	ok = firewall_configured(cfg) && l.n == cfg->firewall.n_rules &&
	     l.policy == cfg->firewall.policy;
	fp_fw_listing_free(&l);
	return ok;
}
