/* SPDX-License-Identifier: BSD-2-Clause */
/* Metrics and health, read from the pins: what fastpath's pipelines
 * counted, in the Prometheus text format (version 0.0.4), and whether
 * what fastpath runs is as it should be. Neither needs the daemon (like
 * tubular's collector); fastpathd serves both over HTTP (metrics_http.c).
 * The names and what each counts: docs/metrics.md.
 *
 * Labels stay low-cardinality: interface, stage, verdict, rule index and
 * counter name; never an address, a port or a MAC.
 *
 * Collection (fp_metrics_collect) does the I/O; rendering
 * (fp_metrics_render) is a pure function of the snapshot. */
#ifndef FASTPATH_METRICS_H
#define FASTPATH_METRICS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <fastpath/pipeline.h>
#include <fastpath/firewall.h>
#include <fastpath/flows.h>
#include <dhcp_abi.h>
#include <fastpath/shaper.h>
#include <fastpath/daemon.h>

/* A text that grows; err is set (-ENOMEM) once an append failed, and
 * every later append is a no-op. */
struct fp_text {
	char *data;             /* NUL-terminated; NULL while empty */
	size_t len, cap;
	int err;
};

void fp_text_printf(struct fp_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fp_text_free(struct fp_text *t);

/* One interface's pipeline, as collected. has_* say what was there. */
struct fp_metrics_iface {
	char dev[IF_NAMESIZE];
	bool attached;          /* link pinned and its program on the interface */
	__u32 stages;           /* FP_STAGE_BIT()s enabled */
	bool has_stats;
	struct fp_pipeline_stats stats;  /* summed over CPUs */
	bool has_firewall;
	struct fp_fw_listing fw;
	bool has_flows;
	struct fp_flows_counters flows;
	bool has_flows_active;
	__u64 flows_active;     /* flows in the table, merged over CPUs */
	bool has_dhcp;
	__u64 dhcp[FP_DHCP_COUNTERS];
	bool has_runs;          /* its program's run-time statistics */
	__u64 run_time_ns, run_cnt;
};

/* A program pinned with fastpath load: its run-time statistics. */
struct fp_metrics_prog {
	char name[FP_NAME_MAX];
	__u64 run_time_ns, run_cnt;
};

struct fp_metrics_snapshot {
	size_t programs;        /* pinned programs + pipeline programs */
	/* The kernel's run-time statistics are on now (fastpathd holds them
	 * for orchestrator.latency_stats, or kernel.bpf_stats_enabled is 1):
	 * only then are run times exported, as stale ones would mislead. */
	bool latency_stats;
	struct fp_metrics_prog *progs;  /* while latency_stats */
	size_t n_progs;
	struct fp_metrics_iface *ifaces;
	size_t n;
	struct fp_shaper_state *shapers; /* interfaces fastpath's shaper holds */
	size_t n_shapers;
	bool daemon;            /* a fastpathd runs: its repairs and alerts */
	bool repairing;
	unsigned long long repairs[FP_REPAIR_MAX];
	unsigned long long alerts_total[FP_ALERT_MAX];
	unsigned int alerts_active[FP_ALERT_MAX];
};

/* fp_metrics_collect: read every pipeline's counters (and the pinned
 * programs) into *snap; free it with fp_metrics_snapshot_free. What one
 * pipeline lacks (no firewall set, no DHCP stage) is left out; a pipeline
 * that vanishes while it is read is skipped. -ENOMEM, or the -errno of
 * listing the pins. */
int fp_metrics_collect(struct fp_metrics_snapshot *snap);
void fp_metrics_snapshot_free(struct fp_metrics_snapshot *snap);

/* fp_metrics_render: SNAP in the Prometheus text format, appended to T. */
void fp_metrics_render(const struct fp_metrics_snapshot *snap, struct fp_text *t);

/* fp_metrics_text: collect and render, in one call. */
int fp_metrics_text(struct fp_text *t);

/* ---- health (health.c) ----------------------------------------------- */

/* A drop ratio is not judged on fewer packets than this: 1 of 3 is no
 * signal. */
#define FP_HEALTH_DROP_MIN_PACKETS 100

struct fp_health_check {
	char name[48];          /* "pipeline_attached:eth0", "lease_db" */
	bool ok;
	char reason[256];       /* what was found, failing or not */
};

struct fp_health {
	bool ok;                /* every check ok */
	struct fp_health_check *checks;
	size_t n;
};

/* fp_health_run: the checks, on every interface with a pipeline and every
 * interface a running fastpathd manages (its state file): pipeline
 * attached (link pinned, its program on the interface), interface up,
 * the flows table and DHCP lease cache filled below map_fill_percent,
 * dropped packets below drop_ratio_percent, and while the kernel's
 * run-time statistics are on, the program's mean run time below
 * latency_ns; when the daemon serves DHCP, its lease database writable
 * and disk_free_mb free beside it. The thresholds are the running
 * daemon's (its state file), else the defaults. Free with
 * fp_health_free. -ENOMEM only: a failed check is a result, not an
 * error. */
int fp_health_run(struct fp_health *h);

/* fp_health_run_with: fp_health_run with CFG's thresholds (fastpathd's
 * own, before its state file says them); NULL: as fp_health_run. */
int fp_health_run_with(struct fp_health *h, const struct fp_health_config *cfg);

/* The decisions, pure. fp_health_fill_ok: USED of MAX entries is below
 * PCT percent (a table of no size is never full). fp_health_drops_ok:
 * DROPPED of PROCESSED packets is below PCT percent, or fewer than
 * FP_HEALTH_DROP_MIN_PACKETS were processed (PCT 0: no drop at all).
 * fp_health_latency_ok: RUNS runs took less than THRESHOLD_NS each on
 * average (no run: nothing to judge). fp_health_disk_ok: at least MIN_MB
 * MiB free. */
bool fp_health_fill_ok(__u64 used, __u64 max, unsigned int pct);
bool fp_health_drops_ok(__u64 processed, __u64 dropped, unsigned int pct);
bool fp_health_latency_ok(__u64 run_ns, __u64 runs, __u64 threshold_ns);
bool fp_health_disk_ok(__u64 free_bytes, unsigned int min_mb);
void fp_health_free(struct fp_health *h);

/* fp_health_json: H as {"ok":..,"checks":[{"name","ok","reason"}..]}. */
void fp_health_json(const struct fp_health *h, struct fp_text *t);

/* ---- the HTTP endpoint (metrics_http.c) ------------------------------ */

struct fp_metrics_http;

/* fp_metrics_http_start: serve GET /metrics (fp_metrics_text) and GET
 * /health (fp_health_json; status 200 when ok, 503 when degraded) on
 * ADDRESS:PORT (IPv4 or IPv6 literal) from libmicrohttpd's own thread.
 * -EINVAL: ADDRESS is no address; -EADDRINUSE and friends from bind. */
int fp_metrics_http_start(const char *address, int port, struct fp_metrics_http **out);

/* fp_metrics_http_stop: stop serving and free; NULL is fine. */
void fp_metrics_http_stop(struct fp_metrics_http *srv);

#endif
