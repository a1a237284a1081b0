// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's flows service: idle flows aged out on every interface
 * every max(1 s, idle_timeout / 4), so a flow outlives its timeout by a
 * quarter of it at most. */
#include <errno.h>
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/flows.h>
#include <fastpath/reconcile.h>

struct flows_service {
	const struct fp_config *cfg;
	const struct fp_logger *log;
	bool ebpf;
	unsigned long long next_ms;     /* the next aging; 0: now */
};

static int flows_apply(void *ctx, const struct fp_config *cfg,
		       const struct fp_config *prev, const struct fp_service_env *env)
{
	struct flows_service *f = ctx;

	(void)prev;
	f->cfg = cfg;
	f->log = env->log;
	f->ebpf = env->ebpf;
	return 0;
}

static long long flows_deadline(void *ctx)
{
	const struct flows_service *f = ctx;

	if (!f->cfg || !f->ebpf || !f->cfg->flows.enabled)
		return -1;
	return (long long)f->next_ms;
}

static void flows_tick(void *ctx, unsigned long long now_ms)
{
	struct flows_service *f = ctx;
	const struct fp_flows_config *c = &f->cfg->flows;
	size_t n;
	int err;

	f->next_ms = now_ms + (c->idle_timeout_ms / 4 > 1000 ? c->idle_timeout_ms / 4 : 1000);
	for (size_t i = 0; i < f->cfg->ebpf.n_interfaces; i++) {
		const char *dev = f->cfg->ebpf.interfaces[i];

		err = fp_flows_age(dev, c->idle_timeout_ms, &n);
		if (err)
			fp_log(f->log, FP_LOG_DEBUG, "flows on %s: aging: %s", dev, strerror(-err));
		else if (n)
			fp_log(f->log, FP_LOG_DEBUG, "flows on %s: %zu idle for %u ms or more "
			       "aged out", dev, n, c->idle_timeout_ms);
	}
}

const struct fp_service fp_flows_service = {
	.name = "flows",
	.ctx_size = sizeof(struct flows_service),
	.apply = flows_apply,
	.deadline = flows_deadline,
	.tick = flows_tick,
};
