// SPDX-License-Identifier: BSD-2-Clause
/* prog_bench: the cost per packet of each XDP program, run by
 * BPF_PROG_TEST_RUN on one 64-byte Ethernet/IPv4/UDP frame, against the
 * empty program in the same run. xdp_port_count sees a registered port;
 * xdp-filter's own UDP port filter, when installed, is the peer, with the
 * port in its list.
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
#include "tests/progs/xdp_pass.skel.h"
#include "tests/progs/xdp_drop_icmp.skel.h"
#include "examples/xdp_port_count.skel.h"

#define BENCH_PORT 5353
#define RUNS_MAX   15

struct bench {
	const char *label;
	const void *(*elf)(size_t *size); /* an embedded skeleton, or */
	const char *const *paths;         /* the first of these files */
	const char *prog;
	int (*prime)(struct bpf_object *obj);
};

struct result {
	const char *label;
	unsigned int ns;                  /* per packet, median of the runs */
};

/* xdp_port_count's fast path needs the port registered, as the library
 * would register it. */
static int prime_port_count(struct bpf_object *obj)
{
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
static int prime_xdpfilt(struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "filter_ports");
	int ncpu = libbpf_num_possible_cpus(), i, err;
	uint32_t key = htons(BENCH_PORT);
	uint64_t *flags;

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

static const char *const xdpfilt_paths[] = {
	"/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_udp.o",
	"/usr/lib/bpf/xdpfilt_dny_udp.o",
	"/usr/local/lib/bpf/xdpfilt_dny_udp.o",
	NULL,
};

static const struct bench benches[] = {
	{ "xdp_pass (empty)", xdp_pass__elf_bytes, NULL, "xdp_pass", NULL },
	{ "xdp_drop_icmp", xdp_drop_icmp__elf_bytes, NULL, "xdp_drop_icmp", NULL },
	{ "xdp_port_count", xdp_port_count__elf_bytes, NULL, "xdp_port_count",
	  prime_port_count },
	{ "xdp-filter dny_udp", NULL, xdpfilt_paths, "xdpfilt_dny_udp", prime_xdpfilt },
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
	if (b->prime && b->prime(obj)) {
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

/* check_counted: xdp_port_count must have counted every packet on the
 * registered port, or the table measured the wrong path. */
static int check_counted(struct bpf_object *obj, uint64_t want)
{
	int fd = bpf_object__find_map_fd_by_name(obj, FP_PORT_STATS_MAP);
	int ports_fd = bpf_object__find_map_fd_by_name(obj, FP_PORTS_MAP);
	struct fp_port_stats s;

	if (fd < 0 || ports_fd < 0)
		return 0;
	if (fp_test_port_stats(ports_fd, fd, BENCH_PORT, &s) || s.packets != want)
		return -EPROTO;
	return 0;
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
		if (!err)
			err = check_counted(obj, 1000 + (uint64_t)repeat * runs);
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
	printf("%-22s %8s %12s %10s\n", "program", "ns/pkt", "over empty", "vs empty");
	for (c = 0; c < n; c++)
		printf("%-22s %8u %12d %9.2fx\n", res[c].label, res[c].ns,
		       (int)(res[c].ns - res[0].ns), (double)res[c].ns / res[0].ns);
	return 0;
}
