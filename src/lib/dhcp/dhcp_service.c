// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's DHCP service: the DHCP server (fp_dhcp_server_*) opened
 * when the configuration has a dhcp: section (after the pipeline service,
 * so the fast path's maps exist), reloaded with it, closed without it;
 * its sockets polled and its tick run once a second. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/dhcp.h>
#include <fastpath/reconcile.h>

struct dhcp_service {
	struct fp_dhcp_server *srv;     /* NULL: no DHCP server */
	const struct fp_config *cfg;
	struct fp_heal *heal;
	unsigned long long next_ms;     /* the next tick; 0: now */
};

static int dhcp_apply(void *ctx, const struct fp_config *cfg,
		      const struct fp_config *prev, const struct fp_service_env *env)
{
	struct dhcp_service *d = ctx;
	int err;

	(void)prev;
	d->cfg = cfg;
	d->heal = env->heal;
	if (!cfg->dhcp.present) {
		if (d->srv)
			fp_log(env->log, FP_LOG_INFO, "dhcp: no dhcp section any more; "
			       "server stopped");
		fp_dhcp_server_close(d->srv);
		d->srv = NULL;
		return 0;
	}
	if (d->srv) {
		err = fp_dhcp_server_reload(d->srv, &cfg->dhcp);
		if (err)
			fp_log(env->log, FP_LOG_ERROR, "dhcp: reload failed (%s); serving the "
			       "previous DHCP configuration", strerror(-err));
		return err;
	}
	err = fp_dhcp_server_open(&cfg->dhcp, env->log, &d->srv);
	if (err)
		fp_log(env->log, FP_LOG_ERROR, "dhcp: cannot serve on %s: %s",
		       cfg->dhcp.interface, strerror(-err));
	return err;
}

static int dhcp_fds(void *ctx, struct pollfd *fds, int max)
{
	const struct dhcp_service *d = ctx;

	return d->srv ? fp_dhcp_server_pollfds(d->srv, fds, max) : 0;
}

static void dhcp_ready(void *ctx, const struct pollfd *fds, int n)
{
	struct dhcp_service *d = ctx;
	bool readable = false;

	for (int i = 0; i < n; i++)
		readable |= (fds[i].revents & (POLLIN | POLLERR)) != 0;
	if (readable && d->srv)
		fp_dhcp_server_process(d->srv);
}

static long long dhcp_deadline(void *ctx)
{
	const struct dhcp_service *d = ctx;

	return d->srv ? (long long)d->next_ms : -1;
}

static void dhcp_tick(void *ctx, unsigned long long now_ms)
{
	struct dhcp_service *d = ctx;

	d->next_ms = now_ms + 1000;
	fp_dhcp_server_tick(d->srv);
}

/* Sockets on the current ifindex, maps the pipeline's pinned ones (the
 * pipeline service, verified first, has put those back). */
static int dhcp_verify(void *ctx)
{
	struct dhcp_service *d = ctx;
	const char *dev;
	unsigned int done;
	int err;

	if (!d->srv)
		return 0;
	dev = d->cfg->dhcp.interface;
	err = fp_dhcp_server_verify(d->srv, &done);
	if (err == -ENODEV) {
		fp_heal_problem(d->heal, "dhcp: %s gone, not serving", dev);
		return 0;
	}
	if (err) {
		fp_heal_problem(d->heal, "dhcp: cannot reopen on %s (%s)", dev, strerror(-err));
		fp_alert_raise(d->heal, FP_ALERT_REPAIR_FAILED, "dhcp", "dhcp on %s: cannot "
			       "reopen the sockets: %s; retried with backoff", dev, strerror(-err));
		return err;
	}
	fp_alert_clear(d->heal, FP_ALERT_REPAIR_FAILED, "dhcp");
	/* Not for heal to repair (the server writes the database afresh
	 * every second until it can), but said while it lasts. */
	if (!fp_dhcp_server_storing(d->srv))
		fp_heal_problem(d->heal, "dhcp: the lease file %s cannot be written; no "
				"ACK is sent", d->cfg->dhcp.lease_file);
	if (done & FP_DHCP_REPAIRED_SOCKETS)
		fp_heal_repaired(d->heal, FP_REPAIR_DHCP_SOCKETS, "dhcp on %s: the interface "
				 "was re-created; sockets bound to its new ifindex", dev);
	if (done & FP_DHCP_REPAIRED_MAPS)
		fp_heal_repaired(d->heal, FP_REPAIR_DHCP_MAPS, "dhcp on %s: the fast path's "
				 "maps were new; reopened, pools written, lease cache refilled", dev);
	return 0;
}

static void dhcp_state(void *ctx, struct fp_daemon_state *st)
{
	const struct dhcp_service *d = ctx;

	st->dhcp_interface[0] = st->dhcp_lease_file[0] = '\0';
	st->dhcp_no_store = false;
	if (!d->srv)
		return;
	snprintf(st->dhcp_interface, sizeof(st->dhcp_interface), "%s", d->cfg->dhcp.interface);
	snprintf(st->dhcp_lease_file, sizeof(st->dhcp_lease_file), "%s",
		 d->cfg->dhcp.lease_file);
	st->dhcp_no_store = !fp_dhcp_server_storing(d->srv);
}

static void dhcp_stop(void *ctx)
{
	struct dhcp_service *d = ctx;

	fp_dhcp_server_close(d->srv);
	d->srv = NULL;
}

const struct fp_service fp_dhcp_service = {
	.name = "dhcp",
	.ctx_size = sizeof(struct dhcp_service),
	.apply = dhcp_apply,
	.fds = dhcp_fds,
	.ready = dhcp_ready,
	.deadline = dhcp_deadline,
	.tick = dhcp_tick,
	.verify = dhcp_verify,
	.state = dhcp_state,
	.stop = dhcp_stop,
};
