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
#define FP_CONTROL_SOCK FP_RUN_DIR "/control.sock"
#define FP_CONTROL_MSG_MAX 512  /* a request or a reply, in bytes */

/* What fastpathd repairs (fastpath_repairs_total{what}), in the order of
 * fp_repair_name. */
enum fp_repair {
	FP_REPAIR_BPFFS,        /* bpffs mounted again */
	FP_REPAIR_PIN,          /* pins put back from the objects it holds */
	FP_REPAIR_ATTACH,       /* the pipeline attached again */
	FP_REPAIR_MODE_FALLBACK, /* native kept failing: attached in skb mode */
	FP_REPAIR_FIREWALL,     /* the configured rule set installed again */
	FP_REPAIR_DHCP_SOCKETS, /* DHCP sockets reopened on a new ifindex */
	FP_REPAIR_DHCP_MAPS,    /* DHCP maps reopened and the cache refilled */
	FP_REPAIR_MAX,
};

/* What fastpathd alerts on (fastpath_alerts_{active,total}{alert}). */
enum fp_alert {
	FP_ALERT_INTERFACE_MISSING, /* a configured interface is gone */
	FP_ALERT_REPAIR_FAILED,     /* a repair failed; retried with backoff */
	FP_ALERT_APPLY_FAILED,      /* a load or attach at start or reload failed */
	FP_ALERT_HEALTH,            /* a health check (fp_health_run) fails */
	FP_ALERT_MAX,
};

const char *fp_repair_name(enum fp_repair r);
const char *fp_alert_name(enum fp_alert a);

/* orchestrator.health and the latency keys: below what the health checks
 * pass (fp_health_run). fastpathd writes them in its state file, so
 * that fastpath health judges by the daemon's file. */
#define FP_HEALTH_MAP_FILL_PCT   80     /* a map this full or fuller: degraded */
#define FP_HEALTH_DROP_PCT       5      /* this share of packets dropped or more */
#define FP_HEALTH_DISK_FREE_MB   64     /* less free than this where the leases are */
#define FP_HEALTH_LATENCY_NS     1000000ULL /* orchestrator.latency_threshold_ms: 1 */

struct fp_health_config {
	unsigned int map_fill_percent;  /* 1..100 */
	unsigned int drop_ratio_percent; /* 0..100 */
	unsigned int disk_free_mb;      /* 0: never degraded for disk space */
	unsigned long long latency_ns;  /* a program's mean run time above it */
	bool latency_stats;             /* orchestrator.latency_stats */
};

/* fp_health_config_defaults: the thresholds an absent key means. */
void fp_health_config_defaults(struct fp_health_config *c);

struct fp_daemon_state {
	pid_t pid;
	char config[PATH_MAX];
	bool ebpf;              /* false: userspace-only mode */
	char reason[256];       /* why userspace-only */
	char interfaces[512];   /* "eth0,eth1" */
	long long started;      /* unix seconds */
	char dhcp_interface[16]; /* "" when no DHCP server runs */
	char dhcp_lease_file[PATH_MAX];
	bool dhcp_no_store;     /* the server cannot write it: no ACK leaves */
	char mode[8];           /* orchestrator.ebpf.mode: native, skb, auto */
	bool repairing;         /* the last check found what is not put right yet */
	char problems[1024];    /* what it found: "eth0: interface gone; ..." */
	unsigned long long repairs[FP_REPAIR_MAX];
	unsigned long long alerts_total[FP_ALERT_MAX];
	unsigned int alerts_active[FP_ALERT_MAX];
	/* The health thresholds it runs with; latency_stats: it holds the
	 * kernel's run-time statistics on (BPF_ENABLE_STATS). */
	struct fp_health_config health;
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
struct fp_heal;
struct pollfd;

/* What fastpathd decided for one configuration, for every service. */
struct fp_service_env {
	const struct fp_logger *log;
	bool ebpf;              /* the eBPF data plane runs (false: userspace-only) */
	struct fp_heal *heal;   /* repairs and alerts are counted here; may be NULL */
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
	/* verify: check what it manages against the kernel and repair what
	 * vanished or drifted, each repair through fp_heal_repaired; what it
	 * cannot put right yet goes to fp_heal_problem. 0, or the -errno of
	 * a repair that failed (fastpathd retries with backoff). */
	int (*verify)(void *ctx);
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

/* fp_services_verify: each service's verify, in table order (the
 * pipeline before those that use its maps); the first failure. */
int fp_services_verify(struct fp_services *s);

/* fp_services_state: each service's part of ST. */
void fp_services_state(const struct fp_services *s, struct fp_daemon_state *st);

/* fp_services_close: stop every service, last first, and free them;
 * NULL is fine. */
void fp_services_close(struct fp_services *s);

/* ---- self-healing (heal.c, link_watch.c) and alerts (alert.c) ---------
 * fastpathd's record of what it repaired and alerted on, and when it next
 * verifies: every monitoring interval, soon after a link event on
 * rtnetlink, and with exponential backoff while a repair fails. */

#define FP_HEAL_EVENT_DELAY_MS 300      /* link events come in bursts */
#define FP_HEAL_BACKOFF_MIN_MS 1000
#define FP_HEAL_BACKOFF_MAX_MS 60000

/* The alerts: section: a program run with each alert as JSON on stdin. */
struct fp_alerts_config {
	char exec[PATH_MAX];    /* absolute path; "" for none */
	unsigned int min_interval_ms; /* per alert and subject; default 60 s */
};

/* The alerts: section of the configuration (src/lib/daemon/alert_config.c). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_alerts_section;

/* fp_heal_open: a record with no repair yet, its rtnetlink socket open
 * (when it cannot be, said once: the periodic check remains). -ENOMEM. */
int fp_heal_open(const struct fp_logger *log, struct fp_heal **out);
void fp_heal_close(struct fp_heal *h);

/* fp_heal_configure: verify every INTERVAL_MS (0: only on link events
 * and while repairing); ALERTS (copied) for the hook. */
void fp_heal_configure(struct fp_heal *h, unsigned int interval_ms,
		       const struct fp_alerts_config *alerts);

/* fp_heal_fd: the rtnetlink socket to poll (-1: none). fp_heal_events:
 * it is readable: read it; a link event makes a verify due shortly. */
int fp_heal_fd(const struct fp_heal *h);
void fp_heal_events(struct fp_heal *h, unsigned long long now_ms);

/* fp_heal_timeout: ms from NOW to the next verify (poll's timeout, -1:
 * none); fp_heal_due: it is time. */
int fp_heal_timeout(const struct fp_heal *h, unsigned long long now_ms);
bool fp_heal_due(const struct fp_heal *h, unsigned long long now_ms);

/* fp_heal_begin / fp_heal_end: around one pass of fp_services_verify;
 * end publishes the problems found and schedules the next pass: the
 * interval when ERR is 0, else backoff doubling up to
 * FP_HEAL_BACKOFF_MAX_MS (a failing repair raises FP_ALERT_REPAIR_FAILED
 * through its service). */
void fp_heal_begin(struct fp_heal *h);
void fp_heal_end(struct fp_heal *h, int err, unsigned long long now_ms);

/* fp_heal_problem: something found wrong and not put right yet. */
void fp_heal_problem(struct fp_heal *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* fp_heal_repaired: one repair done: one log line "WHAT: text", counted. */
void fp_heal_repaired(struct fp_heal *h, enum fp_repair what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fp_alert_raise: A is active for SUBJECT (an interface, or ""): when it
 * was not, one error line, counted, and the alerts.exec hook run with
 * the alert as JSON on stdin (at most once per alert and subject per
 * min_interval). fp_alert_clear: it is over (one line when it was on). */
void fp_alert_raise(struct fp_heal *h, enum fp_alert a, const char *subject,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fp_alert_clear(struct fp_heal *h, enum fp_alert a, const char *subject);

/* fp_heal_state: the record's part of ST; fp_heal_dirty: it changed since
 * the state file was last written (fp_heal_state clears it). */
void fp_heal_state(struct fp_heal *h, struct fp_daemon_state *st);
bool fp_heal_dirty(const struct fp_heal *h);

/* fp_link_watch_open: a non-blocking rtnetlink socket subscribed to link
 * events (add, delete, rename, up, down). fp_link_watch_read: drain it;
 * how many link messages came (an overrun counts as one), each logged
 * at debug. */
int fp_link_watch_open(void);
int fp_link_watch_read(int fd, const struct fp_logger *log);

/* ---- the control socket (control.c) -----------------------------------
 * A running fastpathd answers one request per connection on a unix
 * SOCK_SEQPACKET socket, root-only (0600, and a peer of another uid than
 * the daemon's is refused): "log-level LEVEL" sets its log level. */

/* fp_control_listen: a non-blocking listening socket at PATH, made 0600
 * (a stale one is replaced). -errno. */
int fp_control_listen(const char *path);

/* fp_control_serve: FD is readable: accept one peer, read its request,
 * answer with what HANDLE writes into REPLY (NUL-terminated), close. A
 * peer waits at most 1 s to be read. */
typedef void (*fp_control_fn)(void *ctx, const char *req, char *reply, size_t size);
void fp_control_serve(int fd, fp_control_fn handle, void *ctx);

/* fp_control_request: the client: REQ to the daemon at PATH, its answer
 * in REPLY, waited for up to 60 s (a reload applies the whole file
 * before it answers). -ENOENT or -ECONNREFUSED: no daemon listens;
 * -EACCES: not root; -ETIMEDOUT. */
int fp_control_request(const char *path, const char *req, char *reply, size_t size);

#endif
