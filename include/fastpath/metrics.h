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

#include <limits.h>
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

/* fp_metrics_text: collect and render, in one call; then CUSTOM's
 * metrics (may be NULL: none). */
struct fp_metrics_config;
int fp_metrics_text(const struct fp_metrics_config *custom, struct fp_text *t);

/* ---- custom metrics (metrics_custom.c, metrics_config.c) ---------------
 * metrics.custom in the configuration: values a user's own BPF program
 * keeps in a pinned map, exported beside fastpath's own (the seed's
 * add_metric). docs/metrics.md, "Custom metrics". */

#define FP_METRICS_CUSTOM_MAX    64     /* entries in metrics.custom */
#define FP_METRICS_NAME_MAX      128    /* a metric or label name, NUL included */
#define FP_METRICS_HELP_MAX      256
#define FP_METRICS_LABELS_MAX    8      /* constant labels per entry */
#define FP_METRICS_LABEL_VALUE_MAX 128
#define FP_METRICS_KEY_MAX       64     /* bytes of a key written as bytes */
#define FP_METRICS_KEYS_DEFAULT  64     /* all_keys: series exported at most */
#define FP_METRICS_KEYS_MAX      1024   /* ... and the most max_keys may ask */

enum fp_metric_type {
	FP_METRIC_GAUGE,
	FP_METRIC_COUNTER,
};

struct fp_metric_label {
	char name[FP_METRICS_NAME_MAX];
	char value[FP_METRICS_LABEL_VALUE_MAX];
};

/* One metrics.custom entry. The key is either an integer, written in
 * host byte order in the map's key_size (1, 2, 4 or 8 bytes: an array's
 * index), or bytes given one by one (key_len of them); or all_keys: every
 * key, up to max_keys, each a series labelled key="...". */
struct fp_metric_custom {
	char name[FP_METRICS_NAME_MAX];
	enum fp_metric_type type;
	char help[FP_METRICS_HELP_MAX];  /* "": one naming the map */
	char map[PATH_MAX];              /* a pin under /sys/fs/bpf */
	bool key_is_int;
	__u64 key_int;
	__u8 key[FP_METRICS_KEY_MAX];
	__u32 key_len;                   /* 0 when key_is_int or all_keys */
	bool all_keys;
	__u32 max_keys;
	struct fp_metric_label labels[FP_METRICS_LABELS_MAX];
	size_t n_labels;
	unsigned int line;               /* in the file, for messages */
};

/* The metrics: section. */
struct fp_metrics_config {
	struct fp_metric_custom *custom;
	size_t n_custom;
};

/* What one entry read: samples, or why it was skipped. */
struct fp_metric_sample {
	__u64 value;                     /* summed over CPUs for per-CPU maps */
	char key[2 * FP_METRICS_KEY_MAX + 1]; /* all_keys: the label's value */
};

struct fp_metric_read {
	const struct fp_metric_custom *def;
	int err;                         /* 0, or -errno: skipped, why says why */
	char why[256];
	struct fp_metric_sample *samples;
	size_t n;
	bool capped;                     /* all_keys: the map holds more than max_keys */
};

struct fp_metrics_custom_snapshot {
	struct fp_metric_read *reads;    /* one per entry, in file order */
	size_t n;
};

/* fp_metric_name_check: NAME may be exported as a TYPE: snake_case
 * ([a-z_][a-z0-9_]*), outside the names fastpath exports itself
 * (fastpath_*, ebpf_*), a counter's ending in _total and a gauge's not.
 * -EINVAL with WHY saying what to write instead. */
int fp_metric_name_check(const char *name, enum fp_metric_type type, char *why, size_t size);

/* fp_metric_key_encode: DEF's key as KEY_SIZE bytes in KEY. -ERANGE: an
 * integer that does not fit or a key_size that is no integer's; -EINVAL:
 * bytes of another count. */
int fp_metric_key_encode(const struct fp_metric_custom *def, __u32 key_size, void *key);

/* fp_metric_value_sum: VALUE_SIZE-byte values (4: u32, 8: u64) of NCPU
 * CPUs, each in an 8-byte-aligned slot as the kernel copies them out of
 * a per-CPU map (NCPU 1: a plain map), summed. -EINVAL: another size. */
int fp_metric_value_sum(const void *vals, int ncpu, __u32 value_size, __u64 *sum);

/* fp_metrics_custom_read: read every entry of CFG from its map. An entry
 * whose map is missing, of a type or key/value size it cannot be read
 * with, gets err and why and no samples; the others are read. Free with
 * fp_metrics_custom_free. -ENOMEM only. */
int fp_metrics_custom_read(const struct fp_metrics_config *cfg,
			   struct fp_metrics_custom_snapshot *snap);
void fp_metrics_custom_free(struct fp_metrics_custom_snapshot *snap);

/* fp_metrics_custom_render: SNAP appended to T, the entries that share a
 * name as one family, then fastpath_custom_metric_up{metric} (1 when
 * every entry of the name was read). Pure. */
void fp_metrics_custom_render(const struct fp_metrics_custom_snapshot *snap, struct fp_text *t);

/* fp_metrics_config_copy: a deep copy of SRC into DST (freed with
 * fp_metrics_config_free). -ENOMEM. */
int fp_metrics_config_copy(struct fp_metrics_config *dst, const struct fp_metrics_config *src);
void fp_metrics_config_free(struct fp_metrics_config *cfg);

/* fp_metrics_custom_health: one check per custom metric name,
 * "custom_metric:NAME", appended to H: degraded when an entry of the
 * name cannot be read (its map missing, the wrong key or value size).
 * -ENOMEM only. */
struct fp_health;
int fp_metrics_custom_health(const struct fp_metrics_config *cfg, struct fp_health *h);

extern const struct fp_cfg_section fp_metrics_section;

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
 * PCT percent (a table of no size is never full). fp_health_cache_ok: a
 * lease cache of MAX with USED is below PCT percent, or holds NEEDED,
 * every lease its pools can bind (0: not known), and cannot fill.
 * fp_health_drops_ok:
 * DROPPED of PROCESSED packets is below PCT percent, or fewer than
 * FP_HEALTH_DROP_MIN_PACKETS were processed (PCT 0: no drop at all).
 * fp_health_latency_ok: RUNS runs took less than THRESHOLD_NS each on
 * average (no run: nothing to judge). fp_health_disk_ok: at least MIN_MB
 * MiB free. */
bool fp_health_fill_ok(__u64 used, __u64 max, unsigned int pct);
bool fp_health_cache_ok(__u64 used, __u64 max, __u64 needed, unsigned int pct);
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

/* fp_metrics_http_set_custom: the custom metrics (and their health
 * checks) served from now on: a copy of CFG (NULL: none). -ENOMEM, and
 * the previous ones stay. */
int fp_metrics_http_set_custom(struct fp_metrics_http *srv, const struct fp_metrics_config *cfg);

/* fp_metrics_http_stop: stop serving and free; NULL is fine. */
void fp_metrics_http_stop(struct fp_metrics_http *srv);

#endif
