// SPDX-License-Identifier: BSD-2-Clause
/* Metrics: every pipeline's counters read from the pins with the
 * library's own readers (fp_pipeline_stats, fp_firewall_counts,
 * fp_flows_census, fp_dhcp_stats_read), rendered in the Prometheus text
 * format. Names and meanings: docs/metrics.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <fastpath/core.h>
#include <fastpath/dhcp.h>
#include <fastpath/metrics.h>
#include "metrics/metrics_internal.h"

void fp_text_printf(struct fp_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->data ? t->data + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			t->len += n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(t->data, cap);
		if (!p) {
			t->err = -ENOMEM;
			return;
		}
		t->data = p;
		t->cap = cap;
	}
}

/* Room for N more bytes and the NUL; -ENOMEM (in t->err too). */
static int text_reserve(struct fp_text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *p;

	if (t->err)
		return t->err;
	if (t->cap - t->len > n)
		return 0;
	while (cap - t->len <= n)
		cap *= 2;
	p = realloc(t->data, cap);
	if (!p)
		return t->err = -ENOMEM;
	t->data = p;
	t->cap = cap;
	return 0;
}

void fp_text_free(struct fp_text *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

static const char *const verdict_names[FP_VERDICT_MAX] = {
	"aborted", "drop", "pass", "tx", "redirect", "chained",
};

/* ---- collection ------------------------------------------------------- */

/* The run-time statistics of program ID. */
static bool collect_runs(__u32 id, __u64 *run_time_ns, __u64 *run_cnt)
{
	struct fp_prog_info p;
	int fd = bpf_prog_get_fd_by_id(id), err;

	if (fd < 0)
		return false;
	err = fp_prog_info_by_fd(fd, &p);
	close(fd);
	*run_time_ns = p.run_time_ns;
	*run_cnt = p.run_cnt;
	return !err;
}

static void collect_iface(struct fp_metrics_iface *m, bool runs)
{
	struct fp_pipeline_info info;

	if (!fp_pipeline_info(m->dev, &info)) {
		m->attached = info.link_id && info.mode[0];
		m->stages = info.stages;
		if (runs && info.prog_id)
			m->has_runs = collect_runs(info.prog_id, &m->run_time_ns, &m->run_cnt);
	}
	m->has_stats = !fp_pipeline_stats(m->dev, &m->stats);
	m->has_firewall = !fp_firewall_counts(m->dev, &m->fw);
	/* One walk of the table at most (none in the fastpathd that ages
	 * it). Its size tells the flows only while the stage is on: it is
	 * one bucket per CPU otherwise, and nothing counts. */
	m->has_flows = !fp_flows_census(m->dev, &m->flows, &m->flows_active);
	m->has_flows_active = m->has_flows && (m->stages & FP_STAGE_BIT(FP_STAGE_FLOWS));
	if (m->stages & FP_STAGE_BIT(FP_STAGE_DHCP))
		m->has_dhcp = !fp_dhcp_stats_read(m->dev, m->dhcp);
}

/* The shaped interfaces: their classes' rates and counters. */
static int collect_shapers(struct fp_metrics_snapshot *snap)
{
	char devs[FP_SHAPER_MAX][IF_NAMESIZE];
	int n = fp_shaper_list(devs, FP_SHAPER_MAX);

	if (n <= 0)
		return 0; /* no shaper, or no rtnetlink: nothing to say */
	snap->shapers = calloc((size_t)n, sizeof(*snap->shapers));
	if (!snap->shapers)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (!fp_shaper_read(devs[i], &snap->shapers[snap->n_shapers]))
			snap->n_shapers++;
	return 0;
}

/* The running fastpathd's repairs and alerts, from its state file. */
static void collect_daemon(struct fp_metrics_snapshot *snap)
{
	struct fp_daemon_state *st = malloc(sizeof(*st));

	if (st && !fp_daemon_state_read(st)) {
		snap->daemon = true;
		snap->latency_stats = st->health.latency_stats;
		snap->repairing = st->repairing;
		memcpy(snap->repairs, st->repairs, sizeof(snap->repairs));
		memcpy(snap->alerts_total, st->alerts_total, sizeof(snap->alerts_total));
		memcpy(snap->alerts_active, st->alerts_active, sizeof(snap->alerts_active));
	}
	free(st);
}

int fp_metrics_collect(struct fp_metrics_snapshot *snap)
{
	char (*devs)[IF_NAMESIZE];
	struct fp_prog_info *progs;
	size_t n, np;
	int err;

	memset(snap, 0, sizeof(*snap));
	collect_daemon(snap);
	snap->latency_stats |= fp_bpf_stats_enabled();
	if (!fp_list_progs(&progs, &np)) {
		snap->programs = np;
		snap->progs = snap->latency_stats ? calloc(np ? np : 1, sizeof(*snap->progs)) : NULL;
		for (size_t i = 0; snap->progs && i < np; i++) {
			struct fp_metrics_prog *p = &snap->progs[snap->n_progs++];

			snprintf(p->name, sizeof(p->name), "%s", progs[i].name);
			p->run_time_ns = progs[i].run_time_ns;
			p->run_cnt = progs[i].run_cnt;
		}
		free(progs);
	}
	err = fp_pipeline_list(&devs, &n);
	if (err)
		return err;
	snap->ifaces = calloc(n ? n : 1, sizeof(*snap->ifaces));
	if (!snap->ifaces) {
		free(devs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct fp_metrics_iface *m = &snap->ifaces[snap->n];

		snprintf(m->dev, sizeof(m->dev), "%s", devs[i]);
		collect_iface(m, snap->latency_stats);
		if (!m->has_stats) {    /* gone while we read it */
			if (m->has_firewall)
				fp_fw_listing_free(&m->fw);
			memset(m, 0, sizeof(*m));
			continue;
		}
		if (m->stages || m->attached)
			snap->programs++;  /* the pipeline's own program */
		snap->n++;
	}
	free(devs);
	return collect_shapers(snap);
}

void fp_metrics_snapshot_free(struct fp_metrics_snapshot *snap)
{
	free(snap->progs);
	free(snap->shapers);
	for (size_t i = 0; i < snap->n; i++)
		if (snap->ifaces[i].has_firewall)
			fp_fw_listing_free(&snap->ifaces[i].fw);
	free(snap->ifaces);
	memset(snap, 0, sizeof(*snap));
}

/* ---- rendering -------------------------------------------------------- */

const char *fp_metrics_escape(const char *s, bool quote, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 3 < size; s++) {
		if (*s == '\\' || (quote && *s == '"')) {
			buf[o++] = '\\';
			buf[o++] = *s;
		} else if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* A label value. Interface and program names are the only values that
 * come from outside. */
static const char *label(const char *s, char *buf, size_t size)
{
	return fp_metrics_escape(s, true, buf, size);
}

static void family(struct fp_text *t, const char *name, const char *type, const char *help)
{
	fp_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static unsigned long long verdicts(const struct fp_metrics_iface *m, int stage, int verdict)
{
	return m->stats.c[stage][verdict].packets;
}

static void render_seed(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	char dev[2 * IF_NAMESIZE + 1];

	family(t, "ebpf_programs_loaded", "gauge",
	       "BPF programs fastpath holds: pinned with fastpath load, and one pipeline program per interface.");
	fp_text_printf(t, "ebpf_programs_loaded %zu\n", s->programs);

	family(t, "ebpf_packets_processed_total", "counter",
	       "Packets the interface's XDP pipeline ran on (every verdict).");
	for (size_t i = 0; i < s->n; i++) {
		const struct fp_metrics_iface *m = &s->ifaces[i];
		unsigned long long sum = 0;

		for (int v = 0; v < FP_VERDICT_MAX; v++)
			sum += verdicts(m, FP_STAGE_PIPELINE, v);
		fp_text_printf(t, "ebpf_packets_processed_total{interface=\"%s\"} %llu\n",
			       label(m->dev, dev, sizeof(dev)), sum);
	}

	family(t, "ebpf_packets_dropped_total", "counter",
	       "Packets the interface's XDP pipeline dropped (verdict XDP_DROP, any stage).");
	for (size_t i = 0; i < s->n; i++)
		fp_text_printf(t, "ebpf_packets_dropped_total{interface=\"%s\"} %llu\n",
			       label(s->ifaces[i].dev, dev, sizeof(dev)),
			       verdicts(&s->ifaces[i], FP_STAGE_PIPELINE, 1 /* XDP_DROP */));

	family(t, "ebpf_flows_active", "gauge",
	       "Flows in the interface's flows table (merged over CPUs; idle ones until aged out).");
	for (size_t i = 0; i < s->n; i++)
		if (s->ifaces[i].has_flows_active)
			fp_text_printf(t, "ebpf_flows_active{interface=\"%s\"} %llu\n",
				       label(s->ifaces[i].dev, dev, sizeof(dev)),
				       (unsigned long long)s->ifaces[i].flows_active);

	family(t, "ebpf_errors_total", "counter",
	       "Packets the pipeline aborted (XDP_ABORTED) plus DHCP replies the fast path or the server could not write.");
	for (size_t i = 0; i < s->n; i++) {
		const struct fp_metrics_iface *m = &s->ifaces[i];
		unsigned long long e = verdicts(m, FP_STAGE_PIPELINE, 0 /* XDP_ABORTED */);

		if (m->has_dhcp)
			e += m->dhcp[FP_DHCP_FAST_ERR] + m->dhcp[FP_DHCP_SLOW_ERR];
		fp_text_printf(t, "ebpf_errors_total{interface=\"%s\"} %llu\n",
			       label(m->dev, dev, sizeof(dev)), e);
	}
}

/* Run times, only while the kernel measures them: the seed's mean in
 * microseconds, and the two counters a rate() of which gives the mean
 * over any window. */
static void render_latency(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	char dev[2 * IF_NAMESIZE + 1], prog[2 * FP_NAME_MAX + 1];

	if (!s->latency_stats)
		return;
	family(t, "ebpf_latency_microseconds", "gauge",
	       "Mean run time of the interface's XDP pipeline program, in microseconds, over the runs the kernel measured (orchestrator.latency_stats).");
	for (size_t i = 0; i < s->n; i++)
		if (s->ifaces[i].has_runs && s->ifaces[i].run_cnt)
			fp_text_printf(t, "ebpf_latency_microseconds{interface=\"%s\"} %.3f\n",
				       label(s->ifaces[i].dev, dev, sizeof(dev)),
				       (double)s->ifaces[i].run_time_ns / (double)s->ifaces[i].run_cnt / 1000.0);
	family(t, "fastpath_pipeline_run_time_seconds_total", "counter",
	       "Time the interface's XDP pipeline program ran, while the kernel measured it.");
	for (size_t i = 0; i < s->n; i++)
		if (s->ifaces[i].has_runs)
			fp_text_printf(t, "fastpath_pipeline_run_time_seconds_total{interface=\"%s\"} %.9f\n",
				       label(s->ifaces[i].dev, dev, sizeof(dev)),
				       (double)s->ifaces[i].run_time_ns / 1e9);
	family(t, "fastpath_pipeline_run_count_total", "counter",
	       "Runs of the interface's XDP pipeline program the kernel measured.");
	for (size_t i = 0; i < s->n; i++)
		if (s->ifaces[i].has_runs)
			fp_text_printf(t, "fastpath_pipeline_run_count_total{interface=\"%s\"} %llu\n",
				       label(s->ifaces[i].dev, dev, sizeof(dev)),
				       (unsigned long long)s->ifaces[i].run_cnt);
	family(t, "fastpath_program_run_time_seconds_total", "counter",
	       "Time a program pinned with fastpath load ran, while the kernel measured it.");
	for (size_t i = 0; i < s->n_progs; i++)
		fp_text_printf(t, "fastpath_program_run_time_seconds_total{program=\"%s\"} %.9f\n",
			       label(s->progs[i].name, prog, sizeof(prog)),
			       (double)s->progs[i].run_time_ns / 1e9);
	family(t, "fastpath_program_run_count_total", "counter",
	       "Runs of a program pinned with fastpath load the kernel measured.");
	for (size_t i = 0; i < s->n_progs; i++)
		fp_text_printf(t, "fastpath_program_run_count_total{program=\"%s\"} %llu\n",
			       label(s->progs[i].name, prog, sizeof(prog)),
			       (unsigned long long)s->progs[i].run_cnt);
}

static void render_pipeline(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	static const char *const what[2] = { "packets", "bytes" };
	char dev[2 * IF_NAMESIZE + 1];

	family(t, "fastpath_pipeline_up", "gauge",
	       "1 when the interface's pipeline link is pinned and its program is attached to the interface.");
	for (size_t i = 0; i < s->n; i++)
		fp_text_printf(t, "fastpath_pipeline_up{interface=\"%s\"} %d\n",
			       label(s->ifaces[i].dev, dev, sizeof(dev)), s->ifaces[i].attached);

	family(t, "fastpath_pipeline_stage_enabled", "gauge",
	       "1 when the stage is enabled on the interface's pipeline.");
	for (size_t i = 0; i < s->n; i++)
		for (int st = FP_STAGE_FLOWS; st < FP_STAGE_MAX; st++)
			fp_text_printf(t, "fastpath_pipeline_stage_enabled{interface=\"%s\",stage=\"%s\"} %d\n",
				       label(s->ifaces[i].dev, dev, sizeof(dev)), fp_stage_name(st),
				       !!(s->ifaces[i].stages & FP_STAGE_BIT(st)));

	for (int w = 0; w < 2; w++) {
		char name[64];

		snprintf(name, sizeof(name), "fastpath_pipeline_%s_total", what[w]);
		fp_text_printf(t, "# HELP %s %s by stage and verdict; stage \"pipeline\" is every "
			       "packet's final verdict, \"chained\" handed to the user's program.\n"
			       "# TYPE %s counter\n", name,
			       w ? "Bytes (frame length)" : "Packets", name);
		for (size_t i = 0; i < s->n; i++) {
			const struct fp_metrics_iface *m = &s->ifaces[i];

			label(m->dev, dev, sizeof(dev));
			for (int st = 0; st < FP_STAGE_MAX; st++)
				for (int v = 0; v < FP_VERDICT_MAX; v++)
					fp_text_printf(t, "%s{interface=\"%s\",stage=\"%s\",verdict=\"%s\"} %llu\n",
						       name, dev, fp_stage_name(st), verdict_names[v],
						       (unsigned long long)(w ? m->stats.c[st][v].bytes
									      : m->stats.c[st][v].packets));
		}
	}
}

/* Decimal digits of V ending at END; the first. */
static char *digits(char *end, unsigned long long v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

/* The rules' samples: two per rule, 80,000 lines for 10,000 rules on
 * four interfaces, the bulk of a scrape. vsnprintf took 90 ns a line
 * (7 ms of such a scrape); with the fixed part written once and the
 * numbers by hand, the whole render takes 1.6 ms. */
static void rule_rows(struct fp_text *t, const char *name, const char *dev,
		      const struct fp_fw_listing *fw, int bytes)
{
	char head[192], num[24];
	int hn = snprintf(head, sizeof(head), "%s{interface=\"%s\",rule=\"", name, dev);
	size_t row = (size_t)hn + 2 * sizeof(num) + 4;

	if (hn < 0 || (size_t)hn >= sizeof(head)) {
		t->err = t->err ?: -EINVAL;
		return;
	}
	for (size_t r = 0; r < fw->n; r++) {
		unsigned long long v = bytes ? fw->rules[r].bytes : fw->rules[r].packets;
		char *p, *d;

		if (text_reserve(t, row))
			return;
		p = t->data + t->len;
		memcpy(p, head, (size_t)hn);
		p += hn;
		d = digits(num + sizeof(num), fw->rules[r].index);
		memcpy(p, d, (size_t)(num + sizeof(num) - d));
		p += num + sizeof(num) - d;
		*p++ = '"';
		*p++ = '}';
		*p++ = ' ';
		d = digits(num + sizeof(num), v);
		memcpy(p, d, (size_t)(num + sizeof(num) - d));
		p += num + sizeof(num) - d;
		*p++ = '\n';
		*p = '\0';
		t->len = (size_t)(p - t->data);
	}
}

static void render_firewall(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	static const char *const what[2] = { "packets", "bytes" };
	char dev[2 * IF_NAMESIZE + 1];

	family(t, "fastpath_firewall_rules", "gauge", "Rules in the interface's active firewall set.");
	for (size_t i = 0; i < s->n; i++)
		if (s->ifaces[i].has_firewall)
			fp_text_printf(t, "fastpath_firewall_rules{interface=\"%s\"} %zu\n",
				       label(s->ifaces[i].dev, dev, sizeof(dev)), s->ifaces[i].fw.n);

	for (int w = 0; w < 2; w++) {
		char name[64];

		snprintf(name, sizeof(name), "fastpath_firewall_rule_%s_total", what[w]);
		fp_text_printf(t, "# HELP %s %s matched by each rule, by its 1-based index in the "
			       "config file; rule \"0\" is the policy.\n# TYPE %s counter\n",
			       name, w ? "Bytes" : "Packets", name);
		for (size_t i = 0; i < s->n; i++) {
			const struct fp_fw_listing *fw = &s->ifaces[i].fw;

			if (!s->ifaces[i].has_firewall)
				continue;
			label(s->ifaces[i].dev, dev, sizeof(dev));
			fp_text_printf(t, "%s{interface=\"%s\",rule=\"0\"} %llu\n", name, dev,
				       (unsigned long long)(w ? fw->policy_bytes : fw->policy_packets));
			rule_rows(t, name, dev, fw, w);
		}
	}
}

static void render_flows(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} rows[] = {
		{ "fastpath_flows_table_entries", "gauge",
		  "Entries in use in the flows table (a flow seen on two CPUs has two).",
		  offsetof(struct fp_flows_counters, in_use) },
		{ "fastpath_flows_table_capacity", "gauge",
		  "Entries the flows table holds, all CPUs.",
		  offsetof(struct fp_flows_counters, capacity) },
		{ "fastpath_flows_created_total", "counter",
		  "Table entries written for a new flow.",
		  offsetof(struct fp_flows_counters, created) },
		{ "fastpath_flows_evicted_total", "counter",
		  "Flows replaced by a new one because their bucket was full (their counts are lost).",
		  offsetof(struct fp_flows_counters, evicted) },
		{ "fastpath_flows_aged_total", "counter",
		  "Flow table entries (one per flow and CPU) removed by aging.",
		  offsetof(struct fp_flows_counters, aged) },
	};
	char dev[2 * IF_NAMESIZE + 1];

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		family(t, rows[r].name, rows[r].type, rows[r].help);
		for (size_t i = 0; i < s->n; i++) {
			const struct fp_metrics_iface *m = &s->ifaces[i];

			if (!m->has_flows || !(m->stages & FP_STAGE_BIT(FP_STAGE_FLOWS)))
				continue;
			fp_text_printf(t, "%s{interface=\"%s\"} %llu\n", rows[r].name,
				       label(m->dev, dev, sizeof(dev)),
				       *(const unsigned long long *)((const char *)&m->flows + rows[r].off));
		}
	}
}

static void render_dhcp(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	char dev[2 * IF_NAMESIZE + 1];

	family(t, "fastpath_dhcp_total", "counter",
	       "The DHCP stage's and server's counters by name (rx_*: requests by type, "
	       "fast_*: answered in the kernel, miss_*: passed to the server by reason, slow_*: the server's).");
	for (size_t i = 0; i < s->n; i++) {
		const struct fp_metrics_iface *m = &s->ifaces[i];

		if (!m->has_dhcp)
			continue;
		label(m->dev, dev, sizeof(dev));
		for (int c = 0; c < FP_DHCP_COUNTERS; c++)
			fp_text_printf(t, "fastpath_dhcp_total{interface=\"%s\",counter=\"%s\"} %llu\n",
				       dev, fp_dhcp_counter_name(c), (unsigned long long)m->dhcp[c]);
	}
}

static void shaper_rows(struct fp_text *t, const struct fp_metrics_snapshot *s,
			const char *name, int field)
{
	char dev[2 * IF_NAMESIZE + 1], cls[16];

	for (size_t i = 0; i < s->n_shapers; i++) {
		const struct fp_shaper_state *st = &s->shapers[i];

		label(st->dev, dev, sizeof(dev));
		for (size_t c = 0; c <= st->n_classes; c++) {
			const struct fp_shaper_stats *x = c ? &st->classes[c - 1] : &st->root;
			const unsigned long long v[] = { x->rate, x->bytes, x->packets, x->drops,
							 x->overlimits, x->backlog_bytes };

			if (c)
				snprintf(cls, sizeof(cls), "%x:%x", x->classid >> 16, x->classid & 0xffff);
			fp_text_printf(t, "%s{interface=\"%s\",class=\"%s\"} %llu\n", name, dev,
				       c ? cls : "root", v[field]);
		}
	}
}

static void render_shaper(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		{ "fastpath_shaper_rate_bps", "gauge", "Configured rate of a shaper class (root: bandwidth_limit), bit/s." },
		{ "fastpath_shaper_bytes_total", "counter", "Bytes a shaper class sent, headers included." },
		{ "fastpath_shaper_packets_total", "counter", "Packets a shaper class sent." },
		{ "fastpath_shaper_drops_total", "counter", "Packets a shaper class dropped (its queue was full)." },
		{ "fastpath_shaper_overlimits_total", "counter", "Times a shaper class was over its rate." },
		{ "fastpath_shaper_backlog_bytes", "gauge", "Bytes queued in a shaper class now." },
	};

	if (!s->n_shapers)
		return;
	for (int f = 0; f < (int)(sizeof(fams) / sizeof(fams[0])); f++) {
		family(t, fams[f].name, fams[f].type, fams[f].help);
		shaper_rows(t, s, fams[f].name, f);
	}
}

static void render_heal(const struct fp_metrics_snapshot *s, struct fp_text *t)
{
	family(t, "fastpath_repairs_total", "counter",
	       "Repairs fastpathd made to what it applied, by what was repaired.");
	for (int r = 0; s->daemon && r < FP_REPAIR_MAX; r++)
		fp_text_printf(t, "fastpath_repairs_total{what=\"%s\"} %llu\n",
			       fp_repair_name(r), s->repairs[r]);
	family(t, "fastpath_repairing", "gauge",
	       "1 while fastpathd has found something it has not put right yet.");
	if (s->daemon)
		fp_text_printf(t, "fastpath_repairing %d\n", s->repairing);
	family(t, "fastpath_alerts_active", "gauge",
	       "Alerts on now, by alert (one per interface or part it is about).");
	for (int a = 0; s->daemon && a < FP_ALERT_MAX; a++)
		fp_text_printf(t, "fastpath_alerts_active{alert=\"%s\"} %u\n",
			       fp_alert_name(a), s->alerts_active[a]);
	family(t, "fastpath_alerts_total", "counter", "Alerts raised, by alert.");
	for (int a = 0; s->daemon && a < FP_ALERT_MAX; a++)
		fp_text_printf(t, "fastpath_alerts_total{alert=\"%s\"} %llu\n",
			       fp_alert_name(a), s->alerts_total[a]);
}

void fp_metrics_render(const struct fp_metrics_snapshot *snap, struct fp_text *t)
{
	render_seed(snap, t);
	render_latency(snap, t);
	render_pipeline(snap, t);
	render_firewall(snap, t);
	render_flows(snap, t);
	render_dhcp(snap, t);
	render_shaper(snap, t);
	render_heal(snap, t);
}

int fp_metrics_text(const struct fp_metrics_config *custom, struct fp_text *t)
{
	struct fp_metrics_custom_snapshot cs;
	struct fp_metrics_snapshot snap;
	int err = fp_metrics_collect(&snap);

	if (err)
		return err;
	fp_metrics_render(&snap, t);
	fp_metrics_snapshot_free(&snap);
	err = fp_metrics_custom_read(custom, &cs);
	if (err)
		return err;
	fp_metrics_custom_render(&cs, t);
	fp_metrics_custom_free(&cs);
	return t->err;
}
