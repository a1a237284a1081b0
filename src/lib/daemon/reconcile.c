// SPDX-License-Identifier: BSD-2-Clause
/* The kernel made to match a configuration, step by idempotent step.
 * Which stages run on an interface, their map sizes and their own maps'
 * contents are each stage's to say (its row in pipeline/stages.c): this
 * file names none. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fastpath/pipeline.h>
#include <fastpath/reconcile.h>
#include "pipeline/stage.h"

int fp_config_preflight(const struct fp_config *cfg, struct fp_config_error *err)
{
	const struct fp_ebpf_config *e = &cfg->ebpf;
	struct fp_obj *o = NULL;
	int rc;

	if (!e->enabled)
		return 0;
	for (int s = 0; s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->check &&
		    fp_stage_rows[s]->check(cfg, err))
			return -EINVAL;
	for (size_t i = 0; i < e->n_interfaces; i++) {
		if (!if_nametoindex(e->interfaces[i])) {
			snprintf(err->msg, sizeof(err->msg), "orchestrator.ebpf.interfaces[%zu]: "
				 "no network interface named '%s' (see ip link show)", i,
				 e->interfaces[i]);
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

static bool has_interface(const struct fp_config *cfg, const char *dev)
{
	if (!cfg || !cfg->ebpf.enabled)
		return false;
	for (size_t i = 0; i < cfg->ebpf.n_interfaces; i++)
		if (!strcmp(cfg->ebpf.interfaces[i], dev))
			return true;
	return false;
}

void fp_config_pipeline_opts(const struct fp_config *cfg, const char *dev,
			     struct fp_pipeline_opts *opts)
{
	*opts = (struct fp_pipeline_opts){ .mode = cfg->ebpf.mode };
	for (int s = 0; s < FP_STAGE_MAX; s++) {
		const struct fp_stage_row *r = fp_stage_rows[s];

		if (r && r->from_config && r->from_config(cfg, dev, opts))
			opts->stages |= FP_STAGE_BIT(s);
	}
}

/* Each stage's own maps on DEV made what CFG says, in the table's order. */
static int stages_apply(const struct fp_config *cfg, const char *dev,
			const struct fp_logger *log)
{
	int err = 0;

	for (int s = 0; !err && s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->apply)
			err = fp_stage_rows[s]->apply(cfg, dev, log);
	return err;
}

static int up_one(const struct fp_config *cfg, const char *dev, enum fp_xdp_mode mode,
		  const struct fp_logger *log)
{
	const char *chain = *cfg->ebpf.xdp_program ? cfg->ebpf.xdp_program : NULL;
	struct fp_pipeline_opts opts;
	struct fp_pipeline_info info;
	struct fp_load_result res;
	int err;

	fp_config_pipeline_opts(cfg, dev, &opts);
	opts.mode = mode;
	err = fp_pipeline_up(dev, &opts, &info);
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
	err = stages_apply(cfg, dev, log);
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

size_t fp_reconcile_fresh(const struct fp_config *cfg)
{
	char path[PATH_MAX];
	size_t n = 0;

	for (size_t i = 0; cfg->ebpf.enabled && i < cfg->ebpf.n_interfaces; i++)
		n += !fp_pipeline_path(path, sizeof(path), cfg->ebpf.interfaces[i], NULL) &&
		     access(path, F_OK) && errno == ENOENT;
	return n;
}

void fp_reconcile_preload(const struct fp_config *cfg)
{
	for (size_t i = 0; cfg->ebpf.enabled && i < cfg->ebpf.n_interfaces; i++) {
		struct fp_pipeline_opts opts;

		fp_config_pipeline_opts(cfg, cfg->ebpf.interfaces[i], &opts);
		fp_pipeline_preload(cfg->ebpf.interfaces[i], &opts);
	}
}

int fp_reconcile_dev(const struct fp_config *cfg, const char *dev, enum fp_xdp_mode mode,
		     const struct fp_logger *log)
{
	return up_one(cfg, dev, mode, log);
}

bool fp_reconcile_applied(const struct fp_config *cfg, const char *dev)
{
	for (int s = 0; s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->applied &&
		    !fp_stage_rows[s]->applied(cfg, dev))
			return false;
	return true;
}
