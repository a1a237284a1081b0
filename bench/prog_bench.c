// SPDX-License-Identifier: BSD-2-Clause
/* prog_bench: the cost per packet of each XDP program, run by
 * BPF_PROG_TEST_RUN on one 64-byte Ethernet/IPv4/UDP frame, against the
 * empty program in the same run. xdp_port_count sees a registered port;
 * xdp-filter's own UDP port filter, when installed, is the peer, with the
 * port in its list. fp_pipeline runs with no stages, then with the ports
 * stage (port registered), the chain stage (slot 0: xdp_pass), and both.
 *
 *   prog_bench [-n REPEAT] [-r RUNS] [--json]
 *
 * Each program runs RUNS times REPEAT packets; the kernel reports the mean
 * ns per packet of each run (opts.duration, whole ns, time spent scheduled
 * out not counted) and the table shows the median run. Wall-clock time
 * around the syscall is no substitute: on a shared 2-vCPU guest it came
 * out 1.5-6x the kernel's figure, mostly steal. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include "../tests/bpf/bpf_test.h"
#include "stages.h"
#include "bpf/pipeline.skel.h"
#include "tests/progs/xdp_pass.skel.h"
#include "tests/progs/xdp_drop_icmp.skel.h"
#include "examples/xdp_port_count.skel.h"

#define BENCH_PORT 5353
#define RUNS_MAX   15
#define PIPE_GOAL  1.5 /* fp_pipeline with no stages, over the empty program */

struct bench {
	const char *label;
	const void *(*elf)(size_t *size); /* an embedded skeleton, or */
	const char *const *paths;         /* the first of these files */
	const char *prog;
	int (*prime)(const struct bench *b, struct bpf_object *obj);
	/* the packets took the path the row names */
	int (*check)(const struct bench *b, struct bpf_object *obj, uint64_t packets);
	uint32_t stages;                  /* fp_pipeline's fp_config */
};

struct result {
	const char *label;
	unsigned int ns;                  /* per packet, median of the runs */
};

/* xdp_port_count's fast path needs the port registered, as the library
 * would register it. */
static int prime_port_count(const struct bench *b, struct bpf_object *obj)
{
	(void)b;
	return fp_test_port_register(bpf_object__find_map_fd_by_name(obj, FP_PORTS_MAP),
				     bpf_object__find_map_fd_by_name(obj, FP_PORT_STATS_MAP),
				     BENCH_PORT, 0);
}

/* xdp-filter's "dny" programs deny by default and pass what filter_ports
 * lists. It is a per-CPU array: key the destination port as the packet
 * holds it (network order), value its flags on every CPU (xdp-tools
 * common_kern_user.h: MAP_FLAG_DST 1 << 1, MAP_FLAG_UDP 1 << 3). The port
 * is listed, so the frame takes the path it takes in xdp_port_count:
 * parse, one lookup that hits, count, pass. */
static int prime_xdpfilt(const struct bench *b, struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "filter_ports");
	int ncpu = libbpf_num_possible_cpus(), i, err;
	uint32_t key = htons(BENCH_PORT);
	uint64_t *flags;

	(void)b;
	if (ncpu < 0)
		return ncpu;
	flags = calloc(ncpu, sizeof(*flags));
	if (!flags)
		return -ENOMEM;
	for (i = 0; i < ncpu; i++)
		flags[i] = 1 << 1 | 1 << 3;
	err = bpf_map_update_elem(fd, &key, flags, BPF_ANY);
	free(flags);
	return err;
}

/* chain_xdp_pass: xdp_pass in fp_chain slot 0. The slot holds its own
 * reference to the program, so the skeleton can go. */
static int chain_xdp_pass(struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "fp_chain"), prog_fd, err;
	struct xdp_pass *pass = xdp_pass__open_and_load();
	uint32_t zero = 0;

	if (!pass)
		return -errno;
	prog_fd = bpf_program__fd(pass->progs.xdp_pass);
	err = bpf_map_update_elem(fd, &zero, &prog_fd, BPF_ANY);
	xdp_pass__destroy(pass);
	return err;
}

/* prime_pipeline: fp_config set to the row's stages; with ports, the port
 * registered; with the chain, xdp_pass in the slot. */
static int prime_pipeline(const struct bench *b, struct bpf_object *obj)
{
	struct fp_pipeline_cfg cfg = { .stages = b->stages };
	uint32_t zero = 0;
	int err;

	err = bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "fp_config"),
				  &zero, &cfg, BPF_ANY);
	if (!err && (b->stages & FP_STAGE_BIT(FP_STAGE_PORTS)))
		err = prime_port_count(b, obj);
	if (!err && (b->stages & FP_STAGE_BIT(FP_STAGE_CHAIN)))
		err = chain_xdp_pass(obj);
	return err;
}

/* check_port: every packet counted on the registered port. */
static int check_port(const struct bench *b, struct bpf_object *obj, uint64_t packets)
{
	int fd = bpf_object__find_map_fd_by_name(obj, FP_PORT_STATS_MAP);
	int ports_fd = bpf_object__find_map_fd_by_name(obj, FP_PORTS_MAP);
	struct fp_port_stats s;

	(void)b;
	if (fp_test_port_stats(ports_fd, fd, BENCH_PORT, &s) || s.packets != packets)
		return -EPROTO;
	return 0;
}

/* check_pipeline: fp_stats counted every packet in the rows the stages
 * imply: handed to the chain, or passed by the pipeline itself. */
static int check_pipeline(const struct bench *b, struct bpf_object *obj, uint64_t packets)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "fp_stats");
	int ncpu = libbpf_num_possible_cpus(), i, err;
	bool chain = b->stages & FP_STAGE_BIT(FP_STAGE_CHAIN);
	bool ports = b->stages & FP_STAGE_BIT(FP_STAGE_PORTS);
	uint64_t pipe = 0, port_row = 0;
	struct fp_pipeline_stats *st;
	uint32_t zero = 0;

	if (ncpu < 0)
		return ncpu;
	st = calloc(ncpu, sizeof(*st));
	if (!st)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &zero, st);
	for (i = 0; !err && i < ncpu; i++) {
		pipe += st[i].c[FP_STAGE_PIPELINE][chain ? FP_VERDICT_CHAINED : XDP_PASS].packets;
		port_row += st[i].c[FP_STAGE_PORTS][XDP_PASS].packets;
	}
	free(st);
	if (err)
		return err;
	if (pipe != packets || port_row != (ports ? packets : 0))
		return -EPROTO;
	return ports ? check_port(b, obj, packets) : 0;
}

static const char *const xdpfilt_paths[] = {
	"/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_udp.o",
	"/usr/lib/bpf/xdpfilt_dny_udp.o",
	"/usr/local/lib/bpf/xdpfilt_dny_udp.o",
	NULL,
};

#define PIPE_PORTS FP_STAGE_BIT(FP_STAGE_PORTS)
#define PIPE_CHAIN FP_STAGE_BIT(FP_STAGE_CHAIN)
#define PIPE_BARE  "fp_pipeline, no stages"

static const struct bench benches[] = {
	{ .label = "xdp_pass (empty)", .elf = xdp_pass__elf_bytes, .prog = "xdp_pass" },
	{ .label = "xdp_drop_icmp", .elf = xdp_drop_icmp__elf_bytes,
	  .prog = "xdp_drop_icmp" },
	{ .label = "xdp_port_count", .elf = xdp_port_count__elf_bytes,
	  .prog = "xdp_port_count", .prime = prime_port_count, .check = check_port },
	{ .label = "xdp-filter dny_udp", .paths = xdpfilt_paths,
	  .prog = "xdpfilt_dny_udp", .prime = prime_xdpfilt },
	{ .label = PIPE_BARE, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = 0 },
	{ .label = "fp_pipeline, ports", .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = PIPE_PORTS },
	{ .label = "fp_pipeline, chain", .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = PIPE_CHAIN },
	{ .label = "fp_pipeline, ports+chain", .elf = pipeline__elf_bytes,
	  .prog = "fp_pipeline", .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_PORTS | PIPE_CHAIN },
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static const char *first_existing(const char *const *paths)
{
	for (; *paths; paths++)
		if (!access(*paths, R_OK))
			return *paths;
	return NULL;
}

/* open_bench: the loaded object, its maps kept out of bpffs; NULL with a
 * reason in why. */
static struct bpf_object *open_bench(const struct bench *b, const char **why)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = b->prog);
	struct bpf_object *obj;
	const char *path = NULL;
	const void *elf;
	size_t size;

	if (b->elf) {
		elf = b->elf(&size);
		obj = bpf_object__open_mem(elf, size, &opts);
	} else {
		path = first_existing(b->paths);
		if (!path) {
			*why = "not installed (apt install xdp-tools)";
			return NULL;
		}
		obj = bpf_object__open_file(path, NULL);
	}
	if (!obj) {
		*why = "libbpf cannot open it";
		return NULL;
	}
	fp_test_unpin_maps(obj);
	if (bpf_object__load(obj)) {
		*why = "the kernel refused to load it (FP_BENCH_VERBOSE=1 shows why)";
		bpf_object__close(obj);
		return NULL;
	}
	if (b->prime && b->prime(b, obj)) {
		*why = "could not fill its maps";
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* measure: RUNS runs of REPEAT packets; every run must return XDP_PASS. */
static int measure(int prog_fd, const struct fp_pkt *p, unsigned int repeat, int runs,
		   struct result *r)
{
	unsigned int ns[RUNS_MAX];
	int i, err;

	for (i = -1; i < runs; i++) { /* run -1 warms caches and the JIT image */
		LIBBPF_OPTS(bpf_test_run_opts, o,
			.data_in = p->data,
			.data_size_in = p->len,
			.repeat = i < 0 ? 1000 : repeat,
		);

		err = bpf_prog_test_run_opts(prog_fd, &o);
		if (err)
			return err;
		if (o.retval != XDP_PASS)
			return -EPROTO;
		if (i >= 0)
			ns[i] = o.duration;
	}
	qsort(ns, runs, sizeof(ns[0]), cmp_uint);
	r->ns = ns[runs / 2];
	return 0;
}

/* print_goal: whether the pipeline with no stages costs at most PIPE_GOAL
 * times the empty program. */
static void print_goal(const struct result *res, int n)
{
	double ratio;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(res[i].label, PIPE_BARE))
			continue;
		ratio = (double)res[i].ns / res[0].ns;
		printf("\n%s: %.2fx the empty program, goal <= %.1fx: %s\n",
		       PIPE_BARE, ratio, PIPE_GOAL, ratio <= PIPE_GOAL ? "met" : "MISSED");
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: prog_bench [-n REPEAT] [-r RUNS] [--json]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct result res[sizeof(benches) / sizeof(benches[0])];
	unsigned int repeat = 10000000;
	int runs = 5, n = 0, c, err;
	bool json = false;
	struct fp_pkt pkt;
	size_t i;

	while ((c = getopt_long(argc, argv, "n:r:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!repeat || runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "prog_bench: REPEAT must be > 0 and RUNS 1..%d\n", RUNS_MAX);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "prog_bench: run as root: loading BPF programs needs it\n");
		return 1;
	}
	if (!getenv("FP_BENCH_VERBOSE"))
		libbpf_set_print(quiet_print);

	fp_pkt_udp4(&pkt, BENCH_PORT, 64);
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		const char *why = NULL;
		struct bpf_object *obj = open_bench(b, &why);
		struct bpf_program *prog;

		if (!obj) {
			fprintf(stderr, "prog_bench: skipping %s: %s\n", b->label, why);
			continue;
		}
		prog = bpf_object__find_program_by_name(obj, b->prog);
		err = prog ? measure(bpf_program__fd(prog), &pkt, repeat, runs, &res[n])
			   : -ESRCH;
		if (!err && b->check)
			err = b->check(b, obj, 1000 + (uint64_t)repeat * runs);
		bpf_object__close(obj);
		if (err) {
			fprintf(stderr, "prog_bench: %s: %s\n", b->label, strerror(-err));
			return 1;
		}
		res[n++].label = b->label;
	}
	if (!n || strcmp(res[0].label, benches[0].label)) {
		fprintf(stderr, "prog_bench: the empty program did not run: no baseline\n");
		return 1;
	}

	if (json) {
		printf("[");
		for (c = 0; c < n; c++)
			printf("%s\n {\"program\": \"%s\", \"ns_per_pkt\": %u, "
			       "\"over_empty_ns\": %d, \"ratio\": %.2f}",
			       c ? "," : "", res[c].label, res[c].ns,
			       (int)(res[c].ns - res[0].ns), (double)res[c].ns / res[0].ns);
		printf("\n]\n");
		return 0;
	}
	printf("%u packets x %d runs, 64-byte UDP frame, median run\n\n", repeat, runs);
	printf("%-24s %8s %12s %10s\n", "program", "ns/pkt", "over empty", "vs empty");
	for (c = 0; c < n; c++)
		printf("%-24s %8u %12d %9.2fx\n", res[c].label, res[c].ns,
		       (int)(res[c].ns - res[0].ns), (double)res[c].ns / res[0].ns);
	print_goal(res, n);
	return 0;
}
