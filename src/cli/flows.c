// SPDX-License-Identifier: BSD-2-Clause
/* fastpath flows: the flows the pipeline's flows stage recorded, filtered
 * and sorted; their table's counters; idle flows aged out on demand. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fastpath/config.h>
#include <fastpath/flows.h>
#include <fastpath/pipeline.h>
#include "cli.h"

const char flows_usage[] =
	"usage: fastpath flows [DEV] [--source CIDR] [--dest CIDR] [--protocol P] "
	"[--port N]\n"
	"                      [--min-packets N] [--sort packets|bytes|age] [--limit N]\n"
	"       fastpath flows [DEV] --counters\n"
	"       fastpath flows DEV --age IDLE      remove flows idle for IDLE (30s, 500ms...)";

enum flows_action { LIST = 0, COUNTERS, AGE };

struct flows_args {
	const char *dev;        /* NULL: every interface with a pipeline */
	enum flows_action action;
	struct fp_flow_query q;
	unsigned long long idle_ms;
};

/* ---- options --------------------------------------------------------- */

static int prefix_arg(const char *opt, const char *s, struct fp_flow_prefix *p)
{
	if (!fp_flow_prefix_parse(s, p))
		return 0;
	return fail(EXIT_USAGE, "%s takes an address or a prefix (10.0.0.0/8, fd00::/16) "
		    "with no host bits set, not '%s'", opt, s);
}

/* One option of getopt_long into a; nonzero: the exit status. */
static int flows_option(int c, const char *arg, struct flows_args *a)
{
	struct fp_flow_filter *f = &a->q.filter;
	unsigned long long v;
	int err = 0;

	switch (c) {
	case 's':
		return prefix_arg("--source", arg, &f->src);
	case 'd':
		return prefix_arg("--dest", arg, &f->dst);
	case 'p':
		if (fp_flow_proto_parse(arg, &f->proto))
			return fail(EXIT_USAGE, "--protocol takes tcp, udp, icmp, icmpv6 or "
				    "a number from 0 to 255, not '%s'", arg);
		return 0;
	case 'P':
		err = number_arg("--port", arg, 65535, &v);
		f->port = v;
		return err;
	case 'm':
		return number_arg("--min-packets", arg, ~0ULL, &f->min_packets);
	case 'S':
		if (fp_flow_sort_parse(arg, &a->q.sort))
			return fail(EXIT_USAGE, "--sort takes packets, bytes or age, not '%s'", arg);
		return 0;
	case 'l':
		err = number_arg("--limit", arg, ~0U, &v);
		if (!err && !v)
			return fail(EXIT_USAGE, "--limit takes a number of flows from 1; leave "
				    "it out for all of them");
		a->q.limit = v;
		return err;
	case 'c':
		if (a->action == AGE)
			return fail(EXIT_USAGE, "give --counters or --age, not both");
		a->action = COUNTERS;
		return 0;
	case 'a':
		if (a->action == COUNTERS)
			return fail(EXIT_USAGE, "give --counters or --age, not both");
		a->action = AGE;
		if (fp_duration_parse(arg, &a->idle_ms) || !a->idle_ms)
			return fail(EXIT_USAGE, "--age takes a duration such as 30s, 5m or "
				    "500ms, not '%s'", arg);
		return 0;
	}
	return EXIT_USAGE;
}

static int flows_args_parse(int argc, char **argv, struct flows_args *a)
{
	static const struct option lo[] = {
		{ "source", required_argument, NULL, 's' },
		{ "dest", required_argument, NULL, 'd' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "min-packets", required_argument, NULL, 'm' },
		{ "sort", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'l' },
		{ "counters", no_argument, NULL, 'c' },
		{ "age", required_argument, NULL, 'a' },
		{ 0 },
	};
	bool listing = false; /* a filter, --sort or --limit */
	int c, err;

	memset(a, 0, sizeof(*a));
	fp_flow_filter_init(&a->q.filter);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == '?' || c == ':')
			return bad_option(argv);
		err = flows_option(c, optarg, a);
		if (err)
			return err;
		listing |= c != 'c' && c != 'a';
	}
	if (listing && a->action != LIST)
		return fail(EXIT_USAGE, "--%s lists no flows: it takes no filter, --sort or "
			    "--limit", a->action == COUNTERS ? "counters" : "age");
	if (argc - optind > 1)
		return fail(EXIT_USAGE, "%s", flows_usage);
	a->dev = argc - optind ? argv[optind] : NULL;
	if (a->action == AGE && !a->dev)
		return fail(EXIT_USAGE, "--age needs the interface: fastpath flows DEV --age IDLE");
	return 0;
}

/* ---- words ----------------------------------------------------------- */

static const char *proto_str(int proto, char *buf, size_t size)
{
	const char *name = fp_flow_proto_name(proto);

	if (name)
		return name;
	snprintf(buf, size, "%d", proto);
	return buf;
}

static void addr_str(const struct fp_flow_key *k, const __u32 *addr, char *buf, size_t size)
{
	inet_ntop(k->family == 4 ? AF_INET : AF_INET6, addr, buf, size);
}

/* "SAF": the TCP flags seen, in the order a connection shows them. */
static void tcp_flags_str(__u8 flags, char *buf)
{
	static const struct {
		__u8 bit;
		char c;
	} names[] = {
		{ 0x02, 'S' }, { 0x10, 'A' }, { 0x08, 'P' }, { 0x01, 'F' },
		{ 0x04, 'R' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'C' },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			buf[n++] = names[i].c;
	buf[n] = '\0';
}

static void verdict_str(const struct fp_flow *f, char *buf, size_t size)
{
	if (f->verdict != XDP_DROP)
		snprintf(buf, size, "pass");
	else if (f->rule)
		snprintf(buf, size, "drop rule %u", f->rule);
	else
		snprintf(buf, size, "drop policy");
}

/* "4.2s", "3m07s", "2h05m": how long ago, to the table's resolution. */
static void ago_str(__u64 ns, char *buf, size_t size)
{
	__u64 s = ns / 1000000000ull;

	if (s < 60)
		snprintf(buf, size, "%.1fs", ns / 1e9);
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, size, "%lluh%02llum", s / 3600, s % 3600 / 60);
}

static __u64 ago(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

static bool is_icmp(const struct fp_flow_key *k)
{
	return k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;
}

/* ---- output ---------------------------------------------------------- */

enum { F_DEV, F_DIR_TEXT, F_DIR, F_FAMILY, F_PROTO, F_SRC, F_SPORT, F_DST, F_DPORT,
       F_PACKETS, F_BYTES, F_AGE_TEXT, F_AGE, F_IDLE_TEXT, F_IDLE, F_FLAGS,
       F_VERDICT_TEXT, F_VERDICT, F_RULE, F_N };

static const struct out_col flow_cols[F_N] = {
	[F_DEV] = { "IFACE", "interface", OUT_STR, -15 },
	[F_DIR_TEXT] = { "DIR", NULL, OUT_STR, -3 },
	[F_DIR] = { NULL, "direction", OUT_STR, 0 },
	[F_FAMILY] = { NULL, "family", OUT_U64, 0 },
	[F_PROTO] = { "PROTO", "protocol", OUT_STR, -6 },
	[F_SRC] = { "SOURCE", "source", OUT_STR, -39 },
	[F_SPORT] = { "SPORT", "sport", OUT_U64, 5 },
	[F_DST] = { "DEST", "destination", OUT_STR, -39 },
	[F_DPORT] = { "DPORT", "dport", OUT_U64, 5 },
	[F_PACKETS] = { "PACKETS", "packets", OUT_U64, 10 },
	[F_BYTES] = { "BYTES", "bytes", OUT_U64, 12 },
	[F_AGE_TEXT] = { "AGE", NULL, OUT_STR, 7 },
	[F_AGE] = { NULL, "age_ms", OUT_U64, 0 },
	[F_IDLE_TEXT] = { "IDLE", NULL, OUT_STR, 7 },
	[F_IDLE] = { NULL, "idle_ms", OUT_U64, 0 },
	[F_FLAGS] = { "FLAGS", "tcp_flags", OUT_STR, -5 },
	[F_VERDICT_TEXT] = { "VERDICT", NULL, OUT_STR, -1 },
	[F_VERDICT] = { NULL, "verdict", OUT_STR, 0 },
	[F_RULE] = { NULL, "rule", OUT_U64, 0 },
};

/* One flow; an ICMP flow's type and code stand in its port columns. */
static void flow_row(struct out_list *l, const struct out_col *cols,
		     const struct fp_flow_info *f, __u64 now)
{
	const struct fp_flow_key *k = &f->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[9], proto[8];
	char age[16], idle[16], verdict[24];
	struct out_col c[F_N];
	union out_val v[F_N];

	memcpy(c, cols, sizeof(c));
	if (is_icmp(k)) {
		c[F_SPORT].key = "icmp_type";
		c[F_DPORT].key = "icmp_code";
	}
	addr_str(k, k->saddr, src, sizeof(src));
	addr_str(k, k->daddr, dst, sizeof(dst));
	tcp_flags_str(f->flow.tcp_flags, flags);
	ago_str(ago(now, f->flow.first_ns), age, sizeof(age));
	ago_str(ago(now, f->flow.last_ns), idle, sizeof(idle));
	verdict_str(&f->flow, verdict, sizeof(verdict));
	v[F_DEV].s = f->dev;
	v[F_DIR_TEXT].s = k->dir == FP_FLOW_EGRESS ? "out" : "in";
	v[F_DIR].s = k->dir == FP_FLOW_EGRESS ? "egress" : "ingress";
	v[F_FAMILY].u = k->family;
	v[F_PROTO].s = proto_str(k->proto, proto, sizeof(proto));
	v[F_SRC].s = src;
	v[F_SPORT].u = k->sport;
	v[F_DST].s = dst;
	v[F_DPORT].u = k->dport;
	v[F_PACKETS].u = f->flow.packets;
	v[F_BYTES].u = f->flow.bytes;
	v[F_AGE_TEXT].s = age;
	v[F_AGE].u = ago(now, f->flow.first_ns) / 1000000;
	v[F_IDLE_TEXT].s = idle;
	v[F_IDLE].u = ago(now, f->flow.last_ns) / 1000000;
	v[F_FLAGS].s = flags;
	v[F_VERDICT_TEXT].s = verdict;
	v[F_VERDICT].s = f->flow.verdict == XDP_DROP ? "drop" : "pass";
	v[F_RULE].u = f->flow.rule;
	if (l->arr)
		json_object_array_add(l->arr, out_object(c, F_N, v));
	else
		out_line(c, F_N, v, 0);
}

static int flows_error(int err, const char *dev)
{
	if (err == -ENOENT && dev)
		return fail(EXIT_RUNTIME, "no flows table on %s; start the flows stage "
			    "with: fastpath up %s --stages flows", dev, dev);
	if (err == -EPROTO)
		return fail(EXIT_RUNTIME, "the flows table on %s was not made by this "
			    "fastpath; reload it with: fastpath up %s --stages flows",
			    dev ? dev : "an interface", dev ? dev : "DEV");
	return fail_errno(err, "flows%s%s", dev ? " on " : "", dev ? dev : "");
}

/* A named interface must have the stage on: else its table is empty for
 * a reason worth saying. */
static int stage_check(const char *dev)
{
	struct fp_pipeline_info info;
	int err = fp_pipeline_info(dev, &info);

	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "no pipeline on %s; start one with: "
			    "fastpath up %s --stages flows", dev, dev);
	if (err)
		return fail_errno(err, "pipeline on %s", dev);
	if (!(info.stages & FP_STAGE_BIT(FP_STAGE_FLOWS)))
		return fail(EXIT_RUNTIME, "the flows stage is off on %s; turn it on with: "
			    "fastpath up %s --stages flows (with the other stages you want)",
			    dev, dev);
	return 0;
}

static int flows_list(const struct flows_args *a)
{
	struct fp_flow_info *flows;
	struct out_list l;
	__u64 now = fp_flows_now_ns();
	size_t n;
	int err = fp_flows_query(a->dev, &a->q, &flows, &n);

	if (err)
		return flows_error(err, a->dev);
	if (!cli.json && !n) {
		printf("no flows\n");
	} else {
		out_list_begin(&l, flow_cols, F_N, 0);
		for (size_t i = 0; i < n; i++)
			flow_row(&l, flow_cols, &flows[i], now);
		out_list_end(&l);
	}
	free(flows);
	return EXIT_OK;
}

enum { C_DEV, C_CREATED, C_EVICTED, C_AGED, C_UNPARSED, C_NOT_IP, C_IN_USE,
       C_CAPACITY, C_PER_CPU, C_CPUS, C_N };

static const struct out_col counter_cols[C_N] = {
	[C_DEV] = { NULL, "interface", OUT_STR, 0 },
	[C_CREATED] = { NULL, "created", OUT_U64, 0 },
	[C_EVICTED] = { NULL, "evicted", OUT_U64, 0 },
	[C_AGED] = { NULL, "aged", OUT_U64, 0 },
	[C_UNPARSED] = { NULL, "unparsed", OUT_U64, 0 },
	[C_NOT_IP] = { NULL, "not_ip", OUT_U64, 0 },
	[C_IN_USE] = { NULL, "in_use", OUT_U64, 0 },
	[C_CAPACITY] = { NULL, "capacity", OUT_U64, 0 },
	[C_PER_CPU] = { NULL, "per_cpu", OUT_U64, 0 },
	[C_CPUS] = { NULL, "cpus", OUT_U64, 0 },
};

/* One interface's table counters; one without a table is skipped unless
 * named. They read as a sentence, not a table row. */
static int counters_one(const char *dev, bool named, void *ctx)
{
	struct json_object *arr = ctx;
	struct fp_flows_counters c;
	int err = fp_flows_counters(dev, &c);

	if (err == -ENOENT && !named)
		return EACH_SKIP;
	if (err)
		return flows_error(err, named ? dev : NULL);
	if (arr) {
		union out_val v[C_N] = {
			[C_DEV] = { .s = dev }, [C_CREATED] = { .u = c.created },
			[C_EVICTED] = { .u = c.evicted }, [C_AGED] = { .u = c.aged },
			[C_UNPARSED] = { .u = c.unparsed }, [C_NOT_IP] = { .u = c.not_ip },
			[C_IN_USE] = { .u = c.in_use }, [C_CAPACITY] = { .u = c.capacity },
			[C_PER_CPU] = { .u = c.per_cpu }, [C_CPUS] = { .u = c.cpus },
		};

		json_object_array_add(arr, out_object(counter_cols, C_N, v));
		return EXIT_OK;
	}
	printf("%s: %llu entries in use of %llu (%u per CPU x %u CPUs)\n"
	       "  created %llu, evicted %llu, aged %llu; not recorded: %llu cut short or "
	       "malformed, %llu not IP\n", dev, (unsigned long long)c.in_use,
	       (unsigned long long)c.capacity, c.per_cpu, c.cpus,
	       (unsigned long long)c.created, (unsigned long long)c.evicted,
	       (unsigned long long)c.aged, (unsigned long long)c.unparsed,
	       (unsigned long long)c.not_ip);
	return EXIT_OK;
}

static int flows_counters(const struct flows_args *a)
{
	struct json_object *arr = cli.json ? json_object_new_array() : NULL;
	size_t shown = 0;
	int err = each_pipeline(a->dev, counters_one, arr, &shown, NULL);

	if (err) {
		json_object_put(arr);
		return err;
	}
	if (arr)
		json_print(arr);
	else if (!shown)
		printf("no flows tables; start one with: fastpath up DEV --stages flows\n");
	return EXIT_OK;
}

static int flows_age(const struct flows_args *a)
{
	size_t aged;
	int err = fp_flows_age(a->dev, a->idle_ms, &aged);

	if (err)
		return flows_error(err, a->dev);
	{
		static const struct out_col cols[] = {
			{ NULL, "interface", OUT_STR, 0 },
			{ NULL, "aged", OUT_U64, 0 },
		};
		union out_val v[] = { { .s = a->dev }, { .u = aged } };

		out_result(OUT_COLS(cols), v, "%zu flow%s idle for %llu ms or more "
			   "removed from %s\n", aged, aged == 1 ? "" : "s",
			   a->idle_ms, a->dev);
	}
	return EXIT_OK;
}

int cmd_flows(int argc, char **argv)
{
	struct flows_args a;
	int err = flows_args_parse(argc, argv, &a);

	if (err)
		return err;
	err = require_bpf();
	if (!err && a.dev)
		err = stage_check(a.dev);
	if (err)
		return err;
	switch (a.action) {
	case COUNTERS:
		return flows_counters(&a);
	case AGE:
		return flows_age(&a);
	default:
		return flows_list(&a);
	}
}
