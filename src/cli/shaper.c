// SPDX-License-Identifier: BSD-2-Clause
/* fastpath shaper: egress shaping of an interface, set by hand or read
 * back (fastpathd applies the config's shaper: section the same way). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fastpath/config.h>
#include <fastpath/shaper.h>
#include "cli.h"
#include "output.h"

const char shaper_usage[] =
	"usage: fastpath shaper set DEV --rate RATE [--latency DURATION] [--class SPEC]...\n"
	"                                                                 shape DEV's egress\n"
	"       fastpath shaper remove DEV                                the default qdisc back\n"
	"       fastpath shaper list [DEV]                                mechanism and classes\n"
	"       fastpath shaper stats [DEV] [--interval SECONDS]          measured rate, drops\n"
	"RATE as tc writes it: 100mbit, 1gbit, 500kbit, 10mbps (bytes); a class SPEC is\n"
	"dest=CIDR,protocol=tcp|udp|icmp,port=N[-M],rate=RATE,ceil=RATE,priority=0-7";

#define DEFAULT_LATENCY_MS 50

static int shaper_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "latency", required_argument, NULL, 'l' },
		{ "class", required_argument, NULL, 'c' },
		{ 0 },
	};
	static const struct out_col cols[] = {
		{ NULL, "interface", OUT_STR, 0 },
		{ NULL, "mechanism", OUT_STR, 0 },
		{ NULL, "note", OUT_STR, 0 },
	};
	struct fp_shaper_iface s = { .latency_ms = DEFAULT_LATENCY_MS };
	enum fp_shaper_mech mech;
	unsigned long long ms;
	char note[512] = "", why[256];
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (fp_shaper_rate_parse(optarg, &s.bandwidth_limit))
				return fail(EXIT_USAGE, "--rate: '%s' is not a rate (e.g. 100mbit)",
					    optarg);
			break;
		case 'l':
			if (fp_duration_parse(optarg, &ms) || !ms || ms > 10000)
				return fail(EXIT_USAGE, "--latency: '%s' is not a duration from "
					    "1ms to 10s (e.g. 50ms)", optarg);
			s.latency_ms = (uint32_t)ms;
			break;
		case 'c':
			if (s.n_classes == FP_SHAPER_CLASSES_MAX)
				return fail(EXIT_USAGE, "--class: at most %d", FP_SHAPER_CLASSES_MAX);
			if (fp_shaper_class_parse(optarg, &s.classes[s.n_classes++], why, sizeof(why)))
				return fail(EXIT_USAGE, "--class '%s': %s", optarg, why);
			break;
		default:
			return bad_option(argv);
		}
	}
	if (optind + 1 != argc || !s.bandwidth_limit)
		return fail(EXIT_USAGE, "%s", shaper_usage);
	snprintf(s.interface, sizeof(s.interface), "%s", argv[optind]);
	err = require_bpf();
	if (err)
		return err;
	err = fp_shaper_apply(&s, &mech, note, sizeof(note));
	if (err == -ENODEV)
		return fail(EXIT_RUNTIME, "no interface '%s' (ip link show lists them)", s.interface);
	if (err == -EINVAL && *note)
		return fail(EXIT_USAGE, "%s: %s", s.interface, note);
	if (err)
		return fail_errno(err, "cannot shape %s", s.interface);
	out_result(cols, OUT_N(cols), (union out_val[]){ { .s = s.interface },
		   { .s = fp_shaper_mech_str(mech) }, { .s = note } },
		   "%s: shaped, %s\n", s.interface, note);
	return EXIT_OK;
}

static int shaper_remove(int argc, char **argv)
{
	static const struct out_col cols[] = {
		{ NULL, "interface", OUT_STR, 0 },
		{ NULL, "removed", OUT_BOOL, 0 },
	};
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "%s", shaper_usage);
	err = require_bpf();
	if (err)
		return err;
	err = fp_shaper_remove(argv[1]);
	if (err)
		return fail_errno(err, "cannot remove the shaper of %s", argv[1]);
	out_result(cols, OUT_N(cols), (union out_val[]){ { .s = argv[1] }, { .b = true } },
		   "%s: shaper removed\n", argv[1]);
	return EXIT_OK;
}

/* A class (or the root) as a row; measured_bps is JSON null and "-" in the
 * table when no interval was given. */
static const struct out_col class_cols[] = {
	{ "CLASS", "class", OUT_STR, -8 },
	{ NULL, "classid", OUT_U64, 0 },
	{ NULL, "rate_bps", OUT_U64, 0 },
	{ "RATE", NULL, OUT_STR, -9 },
	{ NULL, "ceil_bps", OUT_U64, 0 },
	{ "CEIL", NULL, OUT_STR, -9 },
	{ "PRIO", "priority", OUT_U64, 4 },
	{ NULL, "measured_bps", OUT_JSON, 0 },
	{ "MEASURED", NULL, OUT_STR, -9 },
	{ "BYTES", "bytes", OUT_U64, 12 },
	{ "PACKETS", "packets", OUT_U64, 10 },
	{ "DROPS", "drops", OUT_U64, 8 },
	{ "OVERLIMITS", "overlimits", OUT_U64, 10 },
	{ "BACKLOG", "backlog_bytes", OUT_U64, 8 },
};

static void class_row(struct out_list *l, const char *name, const struct fp_shaper_stats *st,
		      double measured)
{
	char r[32], c[32], m[32] = "-";

	if (measured >= 0)
		fp_shaper_rate_str((uint64_t)measured / 1000 * 1000, m, sizeof(m));
	out_list_row(l, (union out_val[]){
		{ .s = name }, { .u = st->classid },
		{ .u = st->rate }, { .s = fp_shaper_rate_str(st->rate, r, sizeof(r)) },
		{ .u = st->ceil }, { .s = fp_shaper_rate_str(st->ceil, c, sizeof(c)) },
		{ .u = st->priority },
		{ .j = measured >= 0 ? json_object_new_int64((int64_t)measured) : NULL },
		{ .s = m }, { .u = st->bytes }, { .u = st->packets }, { .u = st->drops },
		{ .u = st->overlimits }, { .u = st->backlog_bytes },
	});
}

static double rate_of(uint64_t before, uint64_t after, double seconds)
{
	return seconds > 0 && after >= before ? (double)(after - before) * 8 / seconds : -1;
}

/* One interface: the state, and with INTERVAL > 0 the rate measured over
 * it from the kernel's byte counters (headers included). */
static int show(const char *dev, double interval, struct json_object *arr)
{
	static const struct out_col head[] = {
		{ NULL, "interface", OUT_STR, 0 },
		{ NULL, "mechanism", OUT_STR, 0 },
		{ NULL, "bandwidth_limit_bps", OUT_U64, 0 },
		{ NULL, "classes", OUT_JSON, 0 },
	};
	struct fp_shaper_state a, b, *st = &a;
	struct out_list l;
	char lim[32], name[16];
	int err = fp_shaper_read(dev, &a);

	if (err)
		return err;
	if (interval > 0) {
		usleep((useconds_t)(interval * 1e6));
		err = fp_shaper_read(dev, &b);
		if (err)
			return err;
		st = &b;
	}
	if (!arr)
		printf("%s: %s, limit %s\n", dev, fp_shaper_mech_str(st->mech),
		       fp_shaper_rate_str(st->limit, lim, sizeof(lim)));
	out_list_begin(&l, class_cols, OUT_N(class_cols), 2);
	class_row(&l, "root", &st->root,
		  interval > 0 ? rate_of(a.root.bytes, b.root.bytes, interval) : -1);
	for (size_t i = 0; i < st->n_classes; i++) {
		const struct fp_shaper_stats *c = &st->classes[i];

		snprintf(name, sizeof(name), "%x:%x", c->classid >> 16, c->classid & 0xffff);
		class_row(&l, name, c, interval > 0 && i < a.n_classes &&
			  a.classes[i].classid == c->classid ?
			  rate_of(a.classes[i].bytes, c->bytes, interval) : -1);
	}
	if (!arr) {
		out_list_end(&l);
		return 0;
	}
	json_object_array_add(arr, out_object(head, OUT_N(head), (union out_val[]){
		{ .s = dev }, { .s = fp_shaper_mech_str(st->mech) }, { .u = st->limit },
		{ .j = out_list_take(&l) } }));
	return 0;
}

static int shaper_show(int argc, char **argv, double interval)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ 0 },
	};
	char devs[FP_SHAPER_MAX][IF_NAMESIZE];
	struct json_object *arr;
	int c, n, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		if (c != 'i')
			return bad_option(argv);
		interval = strtod(optarg, &end);
		if (*end || interval < 0 || interval > 60)
			return fail(EXIT_USAGE, "--interval: '%s' is not 0 to 60 seconds", optarg);
	}
	if (optind + 1 < argc)
		return fail(EXIT_USAGE, "%s", shaper_usage);
	if (optind < argc) {
		snprintf(devs[0], sizeof(devs[0]), "%s", argv[optind]);
		n = 1;
	} else {
		n = fp_shaper_list(devs, FP_SHAPER_MAX);
		if (n < 0)
			return fail_errno(n, "cannot list qdiscs");
	}
	arr = cli.json ? json_object_new_array() : NULL;
	for (int i = 0; i < n && !err; i++) {
		err = show(devs[i], interval, arr);
		if (!err)
			continue;
		json_object_put(arr);
		if (err == -ENOENT)
			return fail(EXIT_RUNTIME, "%s: no fastpath shaper (fastpath shaper set %s "
				    "--rate RATE, or a shaper: section in fastpathd's config)",
				    devs[i], devs[i]);
		if (err == -ENODEV)
			return fail(EXIT_RUNTIME, "no interface '%s' (ip link show lists them)",
				    devs[i]);
		return fail_errno(err, "cannot read the shaper of %s", devs[i]);
	}
	if (arr)
		json_print(arr);
	else if (!n)
		printf("no interface is shaped\n");
	return EXIT_OK;
}

int cmd_shaper(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", shaper_usage);
	if (!strcmp(argv[1], "set"))
		return shaper_set(argc - 1, argv + 1);
	if (!strcmp(argv[1], "remove"))
		return shaper_remove(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return shaper_show(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "stats"))
		return shaper_show(argc - 1, argv + 1, 1);
	return fail(EXIT_USAGE, "unknown shaper command '%s'\n%s", argv[1], shaper_usage);
}
