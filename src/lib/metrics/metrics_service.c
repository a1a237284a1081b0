// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's metrics service: /metrics and /health served on
 * orchestrator.prometheus_address:port (port 0: not at all), restarted
 * only when they change. The endpoint runs on libmicrohttpd's thread,
 * which must not take the signals fastpathd's loop reads from its
 * signalfd: it starts with them blocked. A port that cannot be bound is
 * logged; the data plane does not depend on it, so apply never fails.
 * On fastpathd's verify schedule, after the other services have repaired
 * what they could, a failing health check raises an alert (one per
 * check, cleared when it passes): so a custom metric whose map is
 * missing is logged once, when its alert is raised, not at each scrape.
 *
 * With orchestrator.latency_stats it holds the kernel's run-time
 * statistics on (BPF_ENABLE_STATS: on while one such fd is open, for
 * every program on the machine), which the latency metrics and check
 * read; without, it closes the fd, so nothing pays for them. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/metrics.h>
#include <fastpath/reconcile.h>

struct metrics_service {
	struct fp_heal *heal;
	struct fp_metrics_http *http;   /* NULL: off */
	int port;                       /* what http listens on */
	char addr[FP_CONFIG_ADDR_MAX];
	int stats_fd;                   /* BPF_ENABLE_STATS; 0: not held */
	struct fp_health_config health; /* latency_stats: stats_fd is held */
	const struct fp_metrics_config *custom; /* the applied config's */
};

/* Hold the run-time statistics on while the file asks for them (and the
 * eBPF data plane runs); a kernel that refuses is said, not fatal. */
static void stats_apply(struct metrics_service *m, const struct fp_config *cfg,
			const struct fp_service_env *env)
{
	bool want = cfg->health.latency_stats && env->ebpf;

	if (want && m->stats_fd <= 0) {
		int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

		if (fd < 0)
			fp_log(env->log, FP_LOG_ERROR, "metrics: cannot turn the kernel's run-time "
			       "statistics on (BPF_ENABLE_STATS): %s; no latency metrics",
			       strerror(errno));
		else
			fp_log(env->log, FP_LOG_INFO, "metrics: the kernel's run-time statistics "
			       "are on (orchestrator.latency_stats); every BPF program run pays "
			       "for them");
		m->stats_fd = fd < 0 ? 0 : fd;
	} else if (!want && m->stats_fd > 0) {
		close(m->stats_fd);
		m->stats_fd = 0;
		fp_log(env->log, FP_LOG_INFO, "metrics: the kernel's run-time statistics are off");
	}
	m->health = cfg->health;
	m->health.latency_stats = m->stats_fd > 0;
}

static int set_custom(struct metrics_service *m, const struct fp_config *cfg,
		      const struct fp_service_env *env)
{
	if (fp_metrics_http_set_custom(m->http, &cfg->metrics))
		fp_log(env->log, FP_LOG_ERROR, "metrics: no memory for the custom metrics; "
		       "the previous ones are served");
	else if (cfg->metrics.n_custom)
		fp_log(env->log, FP_LOG_INFO, "metrics: %zu custom metric entr%s from "
		       "metrics.custom", cfg->metrics.n_custom,
		       cfg->metrics.n_custom == 1 ? "y" : "ies");
	return 0;
}

/* serve: the HTTP server on ADDR, PORT, its threads started with the
 * daemon's signals blocked (they are the main thread's to take). */
static int serve(const char *addr, int port, struct fp_metrics_http **http)
{
	sigset_t set, old;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD); /* the functions service's signalfd */
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	err = fp_metrics_http_start(addr, port, http);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static int metrics_apply(void *ctx, const struct fp_config *cfg,
			 const struct fp_config *prev, const struct fp_service_env *env)
{
	struct metrics_service *m = ctx;
	struct fp_metrics_http *next = NULL;
	int err;

	(void)prev;
	m->heal = env->heal;
	stats_apply(m, cfg, env);
	m->custom = &cfg->metrics;
	if (m->http && m->port == cfg->prometheus_port &&
	    !strcmp(m->addr, cfg->prometheus_address))
		return set_custom(m, cfg, env);
	if (!cfg->prometheus_port) {
		fp_metrics_http_stop(m->http);
		m->http = NULL;
		m->port = 0;
		return 0;
	}
	/* The new endpoint first: one that cannot serve leaves the old one
	 * serving. Only the same port on another address needs the old one
	 * closed first (and opened again if the new one fails). */
	err = serve(cfg->prometheus_address, cfg->prometheus_port, &next);
	if (err == -EADDRINUSE && m->http && m->port == cfg->prometheus_port) {
		fp_metrics_http_stop(m->http);
		m->http = NULL;
		err = serve(cfg->prometheus_address, cfg->prometheus_port, &next);
		if (err && serve(m->addr, m->port, &m->http))
			m->port = 0;
	}
	if (err) {
		fp_log(env->log, FP_LOG_ERROR, "metrics: cannot serve on %s port %d: %s",
		       cfg->prometheus_address, cfg->prometheus_port, strerror(-err));
		if (m->http)
			fp_log(env->log, FP_LOG_ERROR, "metrics: serving on %s port %d as before",
			       m->addr, m->port);
		return 0;
	}
	fp_metrics_http_stop(m->http);
	m->http = next;
	m->port = cfg->prometheus_port;
	snprintf(m->addr, sizeof(m->addr), "%s", cfg->prometheus_address);
	fp_log(env->log, FP_LOG_INFO, "metrics: serving /metrics and /health on %s port %d",
	       m->addr, m->port);
	return set_custom(m, cfg, env);
}

static int metrics_verify(void *ctx)
{
	struct metrics_service *m = ctx;
	struct fp_health h;

	if (!m->heal || fp_health_run_with(&h, &m->health))
		return 0;
	if (m->custom && fp_metrics_custom_health(m->custom, &h)) {
		fp_health_free(&h);
		return 0;
	}
	for (size_t i = 0; i < h.n; i++) {
		const struct fp_health_check *c = &h.checks[i];

		if (c->ok)
			fp_alert_clear(m->heal, FP_ALERT_HEALTH, c->name);
		else
			fp_alert_raise(m->heal, FP_ALERT_HEALTH, c->name, "%s", c->reason);
	}
	fp_health_free(&h);
	return 0;
}

static void metrics_state(void *ctx, struct fp_daemon_state *st)
{
	struct metrics_service *m = ctx;

	st->health = m->health;
}

static void metrics_stop(void *ctx)
{
	struct metrics_service *m = ctx;

	if (m->stats_fd > 0)
		close(m->stats_fd);
	m->stats_fd = 0;

	fp_metrics_http_stop(m->http);
	m->http = NULL;
}

const struct fp_service fp_metrics_service = {
	.name = "metrics",
	.ctx_size = sizeof(struct metrics_service),
	.apply = metrics_apply,
	.verify = metrics_verify,
	.state = metrics_state,
	.stop = metrics_stop,
};
