/* SPDX-License-Identifier: BSD-2-Clause */
/* fastpathd's parts: what it tells the CLI about itself (a small JSON
 * file under FP_RUN_DIR, written on every change, removed on a clean
 * exit), and the services it runs, one poll loop over them all. */
#ifndef FASTPATH_DAEMON_H
#define FASTPATH_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define FP_RUN_DIR      "/run/fastpath"
#define FP_DAEMON_STATE FP_RUN_DIR "/fastpathd.json"
#define FP_DAEMON_LOCK  FP_RUN_DIR "/fastpathd.lock"

struct fp_daemon_state {
	pid_t pid;
	char config[PATH_MAX];
	bool ebpf;              /* false: userspace-only mode */
	char reason[256];       /* why userspace-only */
	char interfaces[512];   /* "eth0,eth1" */
	long long started;      /* unix seconds */
	char dhcp_interface[16]; /* "" when no DHCP server runs */
	char dhcp_lease_file[PATH_MAX];
};

/* fp_daemon_state_write: replace the state file atomically (rename). */
int fp_daemon_state_write(const struct fp_daemon_state *st);

/* fp_daemon_state_read: -ENOENT when no daemon wrote one, -ESRCH when the
 * daemon that wrote it is gone (killed: a clean exit removes it). */
int fp_daemon_state_read(struct fp_daemon_state *st);

void fp_daemon_state_remove(void);

/* ---- services ---------------------------------------------------------
 * Each long-running part of fastpathd is a service (Firedancer's tiles):
 * a row of hooks over a context of its own, which fastpathd allocates
 * zeroed and frees. Every hook but apply may be NULL. A new service is a
 * row in its function's folder (src/lib/<fn>/<fn>_service.c), declared
 * here and listed in fp_service_table (src/lib/daemon/services.c). */

struct fp_config;
struct fp_logger;
struct pollfd;

/* What fastpathd decided for one configuration, for every service. */
struct fp_service_env {
	const struct fp_logger *log;
	bool ebpf;              /* the eBPF data plane runs (false: userspace-only) */
};

struct fp_service {
	const char *name;
	size_t ctx_size;
	/* apply: bring the service in line with CFG; PREV is what ran (NULL
	 * at start). CFG stays valid until the next apply succeeds. On a
	 * failed reload the services applied so far, this one included, get
	 * PREV back: apply must be idempotent. */
	int (*apply)(void *ctx, const struct fp_config *cfg, const struct fp_config *prev,
		     const struct fp_service_env *env);
	/* fds: up to MAX descriptors to poll into FDS; how many. ready: some
	 * of them have events (revents set). */
	int (*fds)(void *ctx, struct pollfd *fds, int max);
	void (*ready)(void *ctx, const struct pollfd *fds, int n);
	/* deadline: when tick wants to run, CLOCK_MONOTONIC ms (as
	 * fp_monotonic_ms); -1: no tick wanted. tick runs once it is due. */
	long long (*deadline)(void *ctx);
	void (*tick)(void *ctx, unsigned long long now_ms);
	/* state: its part of the state file. */
	void (*state)(void *ctx, struct fp_daemon_state *st);
	/* stop: at exit; the data plane stays (a restarted daemon adopts it). */
	void (*stop)(void *ctx);
};

/* The services fastpathd runs, in the order they are applied (the
 * pipeline first: the others work on its maps); NULL-ended. */
extern const struct fp_service *const fp_service_table[];

extern const struct fp_service fp_pipeline_service; /* config to kernel */
extern const struct fp_service fp_flows_service;    /* flow aging */
extern const struct fp_service fp_dhcp_service;     /* DHCP server */
extern const struct fp_service fp_shaper_service;   /* egress shaping */
extern const struct fp_service fp_functions_service; /* sk_lookup functions */
extern const struct fp_service fp_metrics_service;  /* /metrics and /health */
extern const struct fp_service fp_proxy_service;    /* TCP proxies */

/* A running set of services. */
struct fp_services;

/* fp_monotonic_ms: now on CLOCK_MONOTONIC, in ms. */
unsigned long long fp_monotonic_ms(void);

/* fp_services_open: instances of TABLE's services (NULL-ended), contexts
 * zeroed; nothing is applied yet. -ENOMEM, -E2BIG (too many). */
int fp_services_open(const struct fp_service *const *table, struct fp_services **out);

/* fp_services_apply: apply CFG to each service in order. When one fails
 * and PREV is not NULL, that one and those before it get PREV (and
 * PREV_ENV) back, last first, so that what ran keeps running. Returns the
 * first failure. */
int fp_services_apply(struct fp_services *s, const struct fp_config *cfg,
		      const struct fp_config *prev, const struct fp_service_env *env,
		      const struct fp_service_env *prev_env);

/* fp_services_pollfds: every service's descriptors, at most MAX; how
 * many. fp_services_ready: after poll on those, each service with an
 * event gets its own. */
int fp_services_pollfds(struct fp_services *s, struct pollfd *fds, int max);
void fp_services_ready(struct fp_services *s, const struct pollfd *fds);

/* fp_services_timeout: ms from NOW to the first deadline (0 when one is
 * due), -1 when no service wants a tick: poll's timeout. */
int fp_services_timeout(const struct fp_services *s, unsigned long long now_ms);

/* fp_services_tick: tick every service whose deadline is due at NOW. */
void fp_services_tick(struct fp_services *s, unsigned long long now_ms);

/* fp_services_state: each service's part of ST. */
void fp_services_state(const struct fp_services *s, struct fp_daemon_state *st);

/* fp_services_close: stop every service, last first, and free them;
 * NULL is fine. */
void fp_services_close(struct fp_services *s);

#endif
