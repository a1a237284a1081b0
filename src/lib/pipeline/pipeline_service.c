// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's pipeline service: the configuration applied to the kernel
 * (fp_reconcile) at start and on every reload; in userspace-only mode,
 * what a previous configuration brought up taken down where it can be. */
#include <stdio.h>
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/reconcile.h>

struct pipeline_service {
	const struct fp_config *cfg;
	bool ebpf;
};

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
	p->ebpf = env->ebpf;
	return err;
}

/* The interfaces the data plane runs on, "eth0,eth1". */
static void pipeline_state(void *ctx, struct fp_daemon_state *st)
{
	const struct pipeline_service *p = ctx;
	size_t off = 0;

	st->interfaces[0] = '\0';
	for (size_t i = 0; p->cfg && p->ebpf && i < p->cfg->ebpf.n_interfaces; i++) {
		int n = snprintf(st->interfaces + off, sizeof(st->interfaces) - off,
				 "%s%s", off ? "," : "", p->cfg->ebpf.interfaces[i]);

		if (n < 0 || (size_t)n >= sizeof(st->interfaces) - off)
			break;
		off += n;
	}
}

const struct fp_service fp_pipeline_service = {
	.name = "pipeline",
	.ctx_size = sizeof(struct pipeline_service),
	.apply = pipeline_apply,
	.state = pipeline_state,
};
