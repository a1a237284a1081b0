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

#endif
