// SPDX-License-Identifier: BSD-2-Clause
/* xsk_bench: the kernel cost per packet of the XSK stage, run by
 * BPF_PROG_TEST_RUN on one 64-byte Ethernet/IPv4/UDP frame, against
 * xdp-filter's UDP port lookup (xdpfilt_dny_udp, the port listed) and the
 * empty program, in the same run.
 *
 *   xsk_bench [-n REPEAT] [-r RUNS]
 *
 * Rows: the empty program; xdp-filter; the pipeline with no stages; the
 * pipeline with the XSK stage, the frame's port not steered (one lookup
 * that misses), then steered with its queue's
 * slot empty (XDP_PASS) and holding an AF_XDP socket on lo (XDP_REDIRECT:
 * test_run returns the verdict and does not deliver); last libxdp's own
 * default AF_XDP program (xsk_def_prog: every packet of the queue to its
 * socket, no parse, no count), holding the same socket. The stage's own
 * cost is the XSK row less the no-stage row; the goal compares the
 * pipeline's whole XSK row with xdp-filter's whole program, as the two
 * do the same work (parse, one port lookup, count, a verdict), except
 * the redirect, a call xdp-filter never makes: the redirect's own cost
 * is read against libxdp's program, which makes that call and nothing
 * else. */
#include <getopt.h>
#include <stdio.h>
#include <sys/mman.h>
#include <xdp/xsk.h>
#include "../tests/bpf/pipeline_fixture.h"
#include "pipeline_abi.h"
#include "xsk_abi.h"
#include "bpf/pipeline.skel.h"
#include "tests/progs/xdp_pass.skel.h"

#define PORT 5353
#define GOAL 1.2

static const char *const bpf_dirs[] = {
	"/usr/lib/x86_64-linux-gnu/bpf", "/usr/lib/bpf", "/usr/local/lib/bpf", NULL,
};

/* peer_open: the first of bpf_dirs/NAME that exists, opened; NULL (and
 * a row saying which package has it) when none does. */
static struct bpf_object *peer_open(const char *name, const char *label, const char *pkg)
{
	char path[256];

	for (const char *const *d = bpf_dirs; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", *d, name);
		if (!access(path, R_OK))
			return bpf_object__open_file(path, NULL);
	}
	printf("%-36s not installed (apt install %s)\n", label, pkg);
	return NULL;
}

static struct fp_pkt frame;
static unsigned int repeat = 1000000;
static int runs = 5;

static int row(const char *label, int prog_fd, uint32_t verdict, double *ns)
{
	int err = fp_run_median(prog_fd, &frame, repeat, runs, verdict, ns);

	if (err)
		printf("%-36s %s\n", label, strerror(-err));
	else
		printf("%-36s %8.1f\n", label, *ns);
	return err;
}

/* xdp-filter's filter_ports: per-CPU flags by port in network order
 * (MAP_FLAG_DST 1 << 1 | MAP_FLAG_UDP 1 << 3). */
static int xdpfilt(double *ns)
{
	const char *label = "xdp-filter dny_udp (port listed)";
	struct bpf_object *obj;
	struct bpf_program *prog;
	uint64_t flags[1024];
	uint32_t key = htons(PORT);
	int ncpu = libbpf_num_possible_cpus(), err;

	if (ncpu <= 0 || ncpu > 1024)
		return -ERANGE;
	obj = peer_open("xdpfilt_dny_udp.o", label, "xdp-tools");
	if (!obj)
		return -ENOENT;
	fp_test_unpin_maps(obj);
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), "xdpfilt_dny_udp"));
	err = bpf_object__load(obj);
	for (int i = 0; i < ncpu; i++)
		flags[i] = 1 << 1 | 1 << 3;
	err = err ?: bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "filter_ports"),
					 &key, flags, BPF_ANY);
	prog = bpf_object__find_program_by_name(obj, "xdpfilt_dny_udp");
	err = err ?: row(label, bpf_program__fd(prog), XDP_PASS, ns);
	bpf_object__close(obj);
	return err;
}

/* libxdp's default AF_XDP program, made to redirect (its refcnt, which
 * libxdp raises per socket, set to 1) to XSK, the socket on queue 0. */
static int xskdef(struct xsk_socket *xsk, double *ns)
{
	const char *label = "libxdp xsk_def_prog (redirect)";
	struct bpf_object *obj = peer_open("xsk_def_xdp_prog.o", label, "libxdp1");
	struct bpf_map *map, *data = NULL;
	struct bpf_program *prog;
	uint32_t one = 1;
	int err;

	if (!obj)
		return -ENOENT;
	map = bpf_object__find_map_by_name(obj, "xsks_map");
	bpf_object__for_each_map(data, obj)
		if (strstr(bpf_map__name(data), ".data"))
			break;
	prog = bpf_object__find_program_by_name(obj, "xsk_def_prog");
	err = map && data && prog ? 0 : -ENOENT;
	err = err ?: bpf_map__set_max_entries(map, 64);
	err = err ?: bpf_map__set_initial_value(data, &one, sizeof(one));
	err = err ?: bpf_object__load(obj);
	err = err ?: xsk_socket__update_xskmap(xsk, bpf_map__fd(map));
	err = err ?: row(label, bpf_program__fd(prog), XDP_REDIRECT, ns);
	bpf_object__close(obj);
	return err;
}

static int set_stages(struct pipeline *skel, uint32_t stages)
{
	struct fp_pipeline_cfg cfg = { .stages = stages };
	uint32_t zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.fp_config), &zero, &cfg, BPF_ANY);
}

int main(int argc, char **argv)
{
	struct xsk_umem_config uc = { .fill_size = 32, .comp_size = 32, .frame_size = 2048 };
	struct xsk_socket_config sc = {
		.rx_size = 32, .tx_size = 32,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, .bind_flags = XDP_COPY,
	};
	double empty = 0, filt = 0, bare = 0, miss = 0, pass = 0, redir = 0, def = 0;
	struct fp_xsk_port e = { .proto = FP_XSK_UDP, .slot = 0 };
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	struct xsk_socket *xsk = NULL;
	struct xsk_umem *umem = NULL;
	struct xdp_pass *pass_skel;
	struct pipeline *skel;
	uint32_t key = PORT;
	void *area;
	int c, fd, err;

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n')
			repeat = strtoul(optarg, NULL, 10);
		else if (c == 'r')
			runs = atoi(optarg);
		else
			return 2;
	}
	libbpf_set_print(NULL);
	fp_pkt_udp4(&frame, PORT, 64);
	printf("%-36s %8s\n", "program (64-byte UDP frame)", "ns/pkt");
	pass_skel = xdp_pass__open_and_load();
	if (!pass_skel)
		return 1;
	row("xdp_pass (empty)", bpf_program__fd(pass_skel->progs.xdp_pass), XDP_PASS, &empty);
	xdp_pass__destroy(pass_skel);
	xdpfilt(&filt);

	/* Opened for the XSK stage, as the library opens it for an interface. */
	skel = fp_test_pipeline_open_for(FP_STAGE_BIT(FP_STAGE_XSK));
	if (!skel)
		return 1;
	if (pipeline__load(skel))
		return 1;
	fd = bpf_program__fd(skel->progs.fp_pipeline);
	err = set_stages(skel, 0);
	err = err ?: row("fp_pipeline, no stages", fd, XDP_PASS, &bare);
	err = err ?: set_stages(skel, FP_STAGE_BIT(FP_STAGE_XSK));
	err = err ?: row("fp_pipeline, xsk (port not steered)", fd, XDP_PASS, &miss);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.fp_xsk_ports), &key, &e, BPF_ANY);
	err = err ?: set_stages(skel, FP_STAGE_BIT(FP_STAGE_XSK));
	err = err ?: row("fp_pipeline, xsk (slot empty: pass)", fd, XDP_PASS, &pass);
	area = mmap(NULL, 64 * 2048, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	err = err ?: area == MAP_FAILED ? -ENOMEM : 0;
	err = err ?: xsk_umem__create(&umem, area, 64 * 2048, &fq, &cq, &uc);
	err = err ?: xsk_socket__create(&xsk, "lo", 0, umem, &rx, &tx, &sc);
	err = err ?: xsk_socket__update_xskmap(xsk, bpf_map__fd(skel->maps.fp_xsks));
	err = err ?: row("fp_pipeline, xsk (socket: redirect)", fd, XDP_REDIRECT, &redir);
	if (!err)
		xskdef(xsk, &def);
	if (err)
		fprintf(stderr, "xsk_bench: %s\n", strerror(-err));
	if (!err && bare)
		printf("xsk stage alone: %.1f ns (redirect), %.1f ns (pass)\n",
		       redir - bare, pass - bare);
	/* The redirect is a helper call xdp-filter does not make; the
	 * lookup alone is the "not steered" row. */
	if (!err && filt) {
		printf("goal: fp_pipeline xsk (redirect) <= %.1fx xdp-filter: %.2fx, %s\n", GOAL,
		       redir / filt, redir <= GOAL * filt ? "met" : "missed");
		printf("      fp_pipeline xsk (lookup, not steered) vs xdp-filter: %.2fx\n",
		       miss / filt);
	}
	if (!err && def)
		printf("      fp_pipeline xsk (redirect) vs libxdp xsk_def_prog: %.2fx "
		       "(the redirect's call is in both)\n", redir / def);
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	pipeline__destroy(skel);
	return err ? 1 : 0;
}
