// SPDX-License-Identifier: BSD-2-Clause
/* fastpath run DEV [FILE.o]: attach an XDP program in the foreground, show
 * what it sees, detach on Ctrl+C or SIGTERM. Without BPF (no privileges,
 * no kernel support) it says why and shows the interface's own counters. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "ports_abi.h"
#include "cli.h"
#include "examples/xdp_port_count.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct run {
	struct fp_target t;
	const char *file;       /* NULL: the built-in xdp_port_count */
	const char *prog;
	struct fp_attach_opts opts;
	double interval;
	double duration;        /* 0: until a signal */
	struct fp_obj *obj;
	struct fp_attachment a;
	int totals_fd;          /* built-in only */
	char reason[256];       /* why BPF is not used; "" when it is */
};

struct counters {
	unsigned long long rx_packets, rx_bytes, prog_packets, prog_bytes;
	bool counted;           /* prog_packets means something */
};

static unsigned long long sysfs_counter(const char *dev, const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* What the program saw: the built-in keeps totals; any program has a run
 * count while BPF stats are on. */
static void read_counters(const struct run *r, struct counters *c)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fp_prog_info info;
	__u32 zero = 0;

	c->rx_packets = sysfs_counter(r->t.name, "rx_packets");
	c->rx_bytes = sysfs_counter(r->t.name, "rx_bytes");
	c->prog_packets = c->prog_bytes = 0;
	c->counted = false;
	if (*r->reason)
		return;
	if (r->totals_fd >= 0 && ncpu > 0) {
		struct fp_port_stats v[ncpu];

		if (!bpf_map_lookup_elem(r->totals_fd, &zero, v)) {
			c->counted = true;
			for (int i = 0; i < ncpu; i++) {
				c->prog_packets += v[i].packets;
				c->prog_bytes += v[i].bytes;
			}
		}
	} else if (fp_bpf_stats_enabled() &&
		   !fp_prog_info_by_fd(fp_obj_prog_fd(r->obj), &info)) {
		/* Without kernel.bpf_stats_enabled the run count stays 0. */
		c->prog_packets = info.run_cnt;
		c->counted = true;
	}
}

static void print_counters(const struct run *r, const struct counters *c,
			   const struct counters *prev, double secs)
{
	double rate = secs > 0 ? (c->rx_packets - prev->rx_packets) / secs : 0;

	static const struct out_col cols[] = {
		{ NULL, "rx_packets", OUT_U64, 0 },
		{ NULL, "rx_bytes", OUT_U64, 0 },
		{ NULL, "rx_pps", OUT_JSON, 0 },
		{ NULL, "program_packets", OUT_JSON, 0 },
	};
	union out_val v[] = { { .u = c->rx_packets }, { .u = c->rx_bytes },
			      { .j = json_object_new_double(rate) },
			      { .j = c->counted ? json_object_new_int64(c->prog_packets) : NULL } };
	struct out_col col[OUT_N(cols)];

	memcpy(col, cols, sizeof(col));
	if (*r->reason)
		col[3].key = NULL;
	if (*r->reason)
		out_result(OUT_COLS(col), v, "  rx %llu packets (%.0f/s), %llu bytes\n",
			   c->rx_packets, rate, c->rx_bytes);
	else if (!c->counted)
		out_result(OUT_COLS(col), v, "  rx %llu packets (%.0f/s), %llu bytes; "
			   "program: run counts are off (sysctl -w "
			   "kernel.bpf_stats_enabled=1 turns them on)\n",
			   c->rx_packets, rate, c->rx_bytes);
	else
		out_result(OUT_COLS(col), v, "  rx %llu packets (%.0f/s), %llu bytes; "
			   "program saw %llu packets%s\n", c->rx_packets, rate,
			   c->rx_bytes, c->prog_packets,
			   r->totals_fd >= 0 ? "" : " (run count)");
	fflush(stdout);
}

static void banner(const struct run *r)
{
	const char *prog = *r->reason ? "-" : fp_obj_prog_name(r->obj);
	const char *mode = *r->reason ? "userspace-only" : fp_mode_str(r->a.mode);

	if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "interface", json_object_new_string(r->t.name));
		json_object_object_add(o, "program", json_object_new_string(prog));
		json_object_object_add(o, "mode", json_object_new_string(mode));
		if (*r->reason)
			json_object_object_add(o, "bpf_unavailable",
					       json_object_new_string(r->reason));
		json_print(o);
		return;
	}
	printf("fastpath run: interface %s (ifindex %d)\n", r->t.name, r->t.ifindex);
	if (*r->reason) {
		printf("  BPF is not used: %s\n", r->reason);
		printf("  mode: userspace-only (the interface's own counters)\n");
	} else {
		printf("  program: %s (%s)\n", prog, r->file ? r->file : "built-in");
		printf("  mode: %s%s\n", mode, r->a.native_failed ?
		       " (native failed, fell back)" : "");
	}
	printf("  Ctrl+C %s and exits\n", *r->reason ? "stops" : "detaches");
	fflush(stdout);
}

/* Load and attach; an error that means "no BPF here" turns into
 * userspace-only mode, anything else is the user's to fix. */
static int start_bpf(struct run *r)
{
	size_t sz = 0;
	const void *elf = xdp_port_count__elf_bytes(&sz);
	int err;

	err = fp_check_privileges();
	if (err) {
		snprintf(r->reason, sizeof(r->reason), "not root and no CAP_BPF + "
			 "CAP_NET_ADMIN (run with sudo, or setcap "
			 "cap_bpf,cap_net_admin+ep on the binary)");
		return 0;
	}
	err = fp_bpffs_prepare();
	if (err) {
		snprintf(r->reason, sizeof(r->reason), "bpffs unavailable: %s",
			 strerror(-err));
		return 0;
	}
	err = r->file ? fp_obj_open_file(r->file, r->prog, &r->obj)
		      : fp_obj_open_mem("xdp_port_count", elf, sz, NULL, &r->obj);
	if (err) {
		char progs[512] = "";

		if (err == -ENOTUNIQ || err == -ESRCH)
			fp_file_prog_names(r->file, progs, sizeof(progs));
		return report_load_error(err, r->file, r->prog, r->prog, progs, NULL);
	}
	if (fp_obj_prog_type(r->obj) != BPF_PROG_TYPE_XDP)
		return fail(EXIT_RUNTIME, "run attaches XDP programs; '%s' is of type "
			    "%s: use fastpath load and attach", fp_obj_prog_name(r->obj),
			    type_str(fp_obj_prog_type(r->obj)));
	err = fp_obj_load(r->obj);
	if (err == -EPERM || err == -ENOSYS) {
		snprintf(r->reason, sizeof(r->reason), "the kernel refused to load "
			 "BPF programs: %s", strerror(-err));
		return 0;
	}
	if (err)
		return report_load_error(err, r->file ? r->file : "built-in", r->prog,
					 fp_obj_prog_name(r->obj), "", fp_obj_log(r->obj));
	err = fp_attach(fp_obj_prog_fd(r->obj), BPF_PROG_TYPE_XDP, &r->t, &r->opts, &r->a);
	if (err == -EOPNOTSUPP && r->opts.mode == FP_XDP_NATIVE)
		return fail(EXIT_RUNTIME, "native XDP is not supported by the driver "
			    "of %s; use --mode skb, or --mode auto", r->t.name);
	if (err == -EBUSY || err == -EEXIST)
		return xdp_busy(r->t.name, r->t.ifindex);
	if (err)
		return fail_errno(err, "cannot attach to %s", r->t.name);
	if (!r->file)
		r->totals_fd = bpf_map__fd(bpf_object__find_map_by_name(fp_obj_bpf(r->obj),
									 "totals"));
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void watch(const struct run *r)
{
	struct counters prev, cur;
	double start = now_s(), last = start;

	read_counters(r, &prev);
	while (!stop && (!r->duration || now_s() - start < r->duration)) {
		struct timespec ts = {
			.tv_sec = (time_t)r->interval,
			.tv_nsec = (long)((r->interval - (time_t)r->interval) * 1e9),
		};

		nanosleep(&ts, NULL); /* a signal cuts it short */
		read_counters(r, &cur);
		print_counters(r, &cur, &prev, now_s() - last);
		last = now_s();
		prev = cur;
	}
}

static int seconds_arg(const char *s, double *v, const char *opt)
{
	char *end;

	*v = strtod(s, &end);
	/* Written as ! (in range), so that NaN is out of it too. */
	if (end == s || *end || !(*v >= 0 && *v <= 86400 * 365))
		return fail(EXIT_USAGE, "%s takes seconds, not '%s'", opt, s);
	return 0;
}

static int parse_run(int argc, char **argv, struct run *r)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "prog", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "m:p:i:d:", lo, NULL)) != -1) {
		if (c == 'm' && mode_arg(optarg, &r->opts.mode))
			return EXIT_USAGE;
		if (c == 'p')
			r->prog = optarg;
		if ((c == 'i' && seconds_arg(optarg, &r->interval, "--interval")) ||
		    (c == 'd' && seconds_arg(optarg, &r->duration, "--duration")))
			return EXIT_USAGE;
		if (c == '?' || c == ':')
			return bad_option(argv);
	}
	if (argc - optind < 1 || argc - optind > 2)
		return fail(EXIT_USAGE, "usage: fastpath run DEV [FILE.o] [--prog FUNC] "
			    "[--mode native|skb|auto] [--interval S] [--duration S]");
	if (r->interval < 0.1)
		r->interval = 0.1;
	r->file = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (fp_target_parse(argv[optind], &r->t) || r->t.kind != FP_TARGET_DEV)
		return fail(EXIT_RUNTIME, "no network interface named '%s'; list "
			    "them with: ip link show", argv[optind]);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run r = { .interval = 1, .totals_fd = -1, .a.fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	int err = parse_run(argc, argv, &r);

	if (err)
		return err;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = start_bpf(&r);
	if (!err) {
		banner(&r);
		watch(&r);
		if (!*r.reason) {
			fp_attachment_close(&r.a, fp_obj_prog_fd(r.obj), &r.t);
			static const struct out_col cols[] = {
				{ NULL, "detached", OUT_STR, 0 },
			};
			union out_val v[] = { { .s = r.t.name } };

			out_result(OUT_COLS(cols), v, "detached from %s\n", r.t.name);
		}
	}
	fp_obj_close(r.obj);
	return err;
}
