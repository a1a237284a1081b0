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
	if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "interface", json_object_new_string(s.interface));
		json_object_object_add(o, "mechanism", json_object_new_string(fp_shaper_mech_str(mech)));
		json_object_object_add(o, "note", json_object_new_string(note));
		json_print(o);
	} else {
		printf("%s: shaped, %s\n", s.interface, note);
	}
	return EXIT_OK;
}

static int shaper_remove(int argc, char **argv)
{
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "%s", shaper_usage);
	err = require_bpf();
	if (err)
		return err;
	err = fp_shaper_remove(argv[1]);
	if (err)
		return fail_errno(err, "cannot remove the shaper of %s", argv[1]);
	if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "interface", json_object_new_string(argv[1]));
		json_object_object_add(o, "removed", json_object_new_boolean(1));
		json_print(o);
	} else {
		printf("%s: shaper removed\n", argv[1]);
	}
	return EXIT_OK;
}

static struct json_object *stats_json(const struct fp_shaper_stats *s, double rate_bps)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "classid", json_object_new_int64(s->classid));
	json_object_object_add(o, "rate_bps", json_object_new_int64((int64_t)s->rate));
	json_object_object_add(o, "ceil_bps", json_object_new_int64((int64_t)s->ceil));
	json_object_object_add(o, "priority", json_object_new_int64(s->priority));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)s->bytes));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)s->packets));
	json_object_object_add(o, "drops", json_object_new_int64((int64_t)s->drops));
	json_object_object_add(o, "overlimits", json_object_new_int64((int64_t)s->overlimits));
	json_object_object_add(o, "backlog_bytes", json_object_new_int64(s->backlog_bytes));
	if (rate_bps >= 0)
		json_object_object_add(o, "measured_bps", json_object_new_int64((int64_t)rate_bps));
	return o;
}

static void stats_line(const char *name, const struct fp_shaper_stats *s, double rate_bps)
{
	char r[32], c[32], m[32] = "-";

	if (rate_bps >= 0)
		fp_shaper_rate_str((uint64_t)rate_bps / 1000 * 1000, m, sizeof(m));
	printf("  %-8s rate %-9s ceil %-9s prio %u  measured %-9s bytes %llu packets %llu "
	       "drops %llu overlimits %llu backlog %uB\n", name,
	       fp_shaper_rate_str(s->rate, r, sizeof(r)), fp_shaper_rate_str(s->ceil, c, sizeof(c)),
	       s->priority, m, (unsigned long long)s->bytes, (unsigned long long)s->packets,
	       (unsigned long long)s->drops, (unsigned long long)s->overlimits, s->backlog_bytes);
}

static double rate_of(uint64_t before, uint64_t after, double seconds)
{
	return seconds > 0 ? (double)(after - before) * 8 / seconds : -1;
}

/* One interface: the state, and with INTERVAL > 0 the rate measured over
 * it from the byte counters. */
static int show(const char *dev, double interval, struct json_object *arr)
{
	struct fp_shaper_state a, b, *st = &a;
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
#define RATE(f) (interval > 0 ? rate_of(a.f.bytes, b.f.bytes, interval) : -1)
	if (arr) {
		struct json_object *o = json_object_new_object(), *cl = json_object_new_array();

		json_object_object_add(o, "interface", json_object_new_string(dev));
		json_object_object_add(o, "mechanism",
				       json_object_new_string(fp_shaper_mech_str(st->mech)));
		json_object_object_add(o, "bandwidth_limit_bps", json_object_new_int64((int64_t)st->limit));
		json_object_object_add(o, "root", stats_json(&st->root, RATE(root)));
		for (size_t i = 0; i < st->n_classes; i++)
			json_object_array_add(cl, stats_json(&st->classes[i],
				interval > 0 && i < a.n_classes ?
				rate_of(a.classes[i].bytes, b.classes[i].bytes, interval) : -1));
		json_object_object_add(o, "classes", cl);
		json_object_array_add(arr, o);
		return 0;
	}
	printf("%s: %s, limit %s\n", dev, fp_shaper_mech_str(st->mech),
	       fp_shaper_rate_str(st->limit, lim, sizeof(lim)));
	stats_line("root", &st->root, RATE(root));
	for (size_t i = 0; i < st->n_classes; i++) {
		snprintf(name, sizeof(name), "%x:%x", st->classes[i].classid >> 16,
			 st->classes[i].classid & 0xffff);
		stats_line(name, &st->classes[i], interval > 0 && i < a.n_classes ?
			   rate_of(a.classes[i].bytes, b.classes[i].bytes, interval) : -1);
	}
#undef RATE
	return 0;
}

static int shaper_show(int argc, char **argv, double interval)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ 0 },
	};
	char devs[64][IF_NAMESIZE];
	struct json_object *arr = cli.json ? json_object_new_array() : NULL;
	int c, n, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		if (c != 'i') {
			json_object_put(arr);
			return bad_option(argv);
		}
		interval = strtod(optarg, &end);
		if (*end || interval < 0 || interval > 60) {
			json_object_put(arr);
			return fail(EXIT_USAGE, "--interval: '%s' is not 0 to 60 seconds", optarg);
		}
	}
	if (optind + 1 < argc) {
		json_object_put(arr);
		return fail(EXIT_USAGE, "%s", shaper_usage);
	}
	if (optind < argc) {
		snprintf(devs[0], sizeof(devs[0]), "%s", argv[optind]);
		n = 1;
	} else {
		n = fp_shaper_list(devs, 64);
	}
	for (int i = 0; n > 0 && i < n && !err; i++) {
		err = show(devs[i], interval, arr);
		if (err == -ENOENT)
			fail(EXIT_RUNTIME, "%s: no fastpath shaper (fastpath shaper set %s "
			     "--rate RATE, or a shaper: section in fastpathd's config)",
			     devs[i], devs[i]);
		else if (err == -ENODEV)
			fail(EXIT_RUNTIME, "no interface '%s' (ip link show lists them)", devs[i]);
		else if (err)
			fail_errno(err, "cannot read the shaper of %s", devs[i]);
	}
	if (n < 0) {
		json_object_put(arr);
		return fail_errno(n, "cannot list qdiscs");
	}
	if (err) {
		json_object_put(arr);
		return EXIT_RUNTIME;
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
