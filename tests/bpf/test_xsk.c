// SPDX-License-Identifier: BSD-2-Clause
/* The XSK stage (bpf/xsk_stage.h) in bpf/pipeline.bpf.c, its maps private
 * to the test: steered UDP (and TCP, when asked) to a queue whose slot
 * holds an AF_XDP socket is XDP_REDIRECT; an empty slot, another port,
 * another protocol, a fragment or a truncated frame is XDP_PASS with the
 * frame unchanged. The socket in the slot is a copy-mode AF_XDP socket
 * on lo's queue 0 (test_run frames arrive on queue 0); nothing is
 * attached to lo, so it never sees a packet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <xdp/xsk.h>
#include "pipeline_fixture.h"
#include "pipeline_abi.h"
#include "xsk_abi.h"
#include "bpf/pipeline.skel.h"

#define PORT   9000
#define OTHER  9001
#define FRAMES 64
#define FRAME  2048

struct fixture {
	struct pipeline *skel;
	int prog_fd, cfg_fd, stats_fd, xsks_fd, ports_fd, port_stats_fd;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	void *area;
};

/* The object the fixture loads: the one compiled for every stage, then
 * (main's second round) the one an interface that only steers to AF_XDP
 * gets. */
static uint32_t opened_for = FP_STAGES_BUILT;

static int setup(void **state)
{
	struct fixture *f;
	int err;

	err = fp_test_fixture(state, sizeof(*f));
	if (err <= 0)
		return err;
	f = *state;
	f->skel = fp_test_pipeline_open_for(opened_for);
	if (!f->skel)
		return -1;
	if (pipeline__load(f->skel))
		return -1;
	f->prog_fd = bpf_program__fd(f->skel->progs.fp_pipeline);
	f->cfg_fd = bpf_map__fd(f->skel->maps.fp_config);
	f->stats_fd = bpf_map__fd(f->skel->maps.fp_stats);
	f->xsks_fd = bpf_map__fd(f->skel->maps.fp_xsks);
	f->ports_fd = bpf_map__fd(f->skel->maps.fp_xsk_ports);
	f->port_stats_fd = bpf_map__fd(f->skel->maps.fp_xsk_stats);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		if (f->xsk)
			xsk_socket__delete(f->xsk);
		if (f->umem)
			xsk_umem__delete(f->umem);
		if (f->area)
			munmap(f->area, FRAMES * FRAME);
		pipeline__destroy(f->skel);
	}
	free(f);
	return 0;
}

/* attach_socket: an AF_XDP socket on lo queue 0 into fp_xsks slot 0. */
static void attach_socket(struct fixture *f)
{
	struct xsk_umem_config uc = { .fill_size = 32, .comp_size = 32, .frame_size = FRAME };
	int err = 0;
	struct xsk_socket_config sc = {
		.rx_size = 32, .tx_size = 32,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};

	f->area = mmap(NULL, FRAMES * FRAME, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->area != MAP_FAILED);
	assert_int_equal(xsk_umem__create(&f->umem, f->area, FRAMES * FRAME, &f->fq, &f->cq, &uc), 0);
	/* The previous test's socket leaves lo's queue when the kernel's
	 * deferred work frees its pool: a bind right after it finds the queue
	 * busy for a moment (the object compiled for the XSK stage alone loads
	 * in a few ms, so the next test comes that soon). */
	for (int i = 0; i < 200; i++) {
		err = xsk_socket__create(&f->xsk, "lo", 0, f->umem, &f->rx, &f->tx, &sc);
		if (err != -EBUSY)
			break;
		usleep(5000);
	}
	assert_int_equal(err, 0);
	assert_int_equal(xsk_socket__update_xskmap(f->xsk, f->xsks_fd), 0);
}

static void set_stages(struct fixture *f, uint32_t stages)
{
	struct fp_pipeline_cfg cfg = { .stages = stages };
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(f->cfg_fd, &zero, &cfg, BPF_ANY), 0);
}

static void steer(struct fixture *f, uint16_t port, uint32_t proto, uint32_t slot)
{
	struct fp_xsk_port e = { .proto = proto, .slot = slot };
	uint32_t key = port;

	assert_int_equal(bpf_map_update_elem(f->ports_fd, &key, &e, BPF_ANY), 0);
}

/* socket_steered: the XSK stage alone on, an AF_XDP socket in queue 0's
 * slot, PORT steered for PROTO to slot 0. */
static void socket_steered(struct fixture *f, uint32_t proto)
{
	attach_socket(f);
	set_stages(f, FP_STAGE_BIT(FP_STAGE_XSK));
	steer(f, PORT, proto, 0);
}

/* run: P through the pipeline; a frame that passes or is redirected
 * comes out unchanged (the stage never writes). */
static uint32_t run(struct fixture *f, const struct fp_pkt *p)
{
	struct fp_run r;

	assert_int_equal(fp_run(f->prog_fd, p->data, p->len, &r), 0);
	assert_int_equal(r.size_out, p->len);
	assert_memory_equal(r.out, p->data, p->len);
	return r.retval;
}

static struct fp_xsk_port_stats slot_stats(struct fixture *f, uint32_t slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fp_xsk_port_stats *v, sum = { 0 };

	assert_true(ncpu > 0);
	v = calloc(ncpu, sizeof(*v));
	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(f->port_stats_fd, &slot, v), 0);
	for (int i = 0; i < ncpu; i++) {
		sum.redirected += v[i].redirected;
		sum.bytes += v[i].bytes;
		sum.no_socket += v[i].no_socket;
	}
	free(v);
	return sum;
}

/* row_count: the pipeline's row of STAGE, verdict V, summed over CPUs. */
static uint64_t row_count(struct fixture *f, int stage, int v)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fp_pipeline_stats *st;
	uint64_t n = 0;
	uint32_t zero = 0;

	st = calloc(ncpu, sizeof(*st));
	assert_non_null(st);
	assert_int_equal(bpf_map_lookup_elem(f->stats_fd, &zero, st), 0);
	for (int i = 0; i < ncpu; i++)
		n += st[i].c[stage][v].packets;
	free(st);
	return n;
}

static uint64_t stage_count(struct fixture *f, int v)
{
	return row_count(f, FP_STAGE_XSK, v);
}

static void test_xsk_redirects_steered_udp_port_to_queue_socket(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_xsk_port_stats s;
	struct fp_pkt p;

	attach_socket(f);
	set_stages(f, FP_STAGE_BIT(FP_STAGE_XSK));
	steer(f, PORT, FP_XSK_UDP, 3);
	fp_pkt_udp4(&p, PORT, 100);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	s = slot_stats(f, 3);
	assert_int_equal(s.redirected, 1);
	assert_int_equal(s.bytes, 100);
	assert_int_equal(s.no_socket, 0);
	assert_int_equal(stage_count(f, XDP_REDIRECT), 1);
	assert_int_equal(row_count(f, FP_STAGE_PIPELINE, XDP_REDIRECT), 1);
	assert_int_equal(row_count(f, FP_STAGE_PIPELINE, XDP_PASS), 0);
}

static void test_xsk_redirects_steered_ipv6_udp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv6(&p);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&p, 20);
	fp_pkt_finish(&p);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	assert_int_equal(slot_stats(f, 0).redirected, 1);
}

/* No socket in the queue's slot: the stack gets it, never a drop. */
static void test_xsk_passes_steered_port_when_slot_empty(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_xsk_port_stats s;
	struct fp_pkt p;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_XSK));
	steer(f, PORT, FP_XSK_UDP, 5);
	fp_pkt_udp4(&p, PORT, 80);
	assert_int_equal(run(f, &p), XDP_PASS);
	s = slot_stats(f, 5);
	assert_int_equal(s.redirected, 0);
	assert_int_equal(s.no_socket, 1);
	assert_int_equal(stage_count(f, XDP_PASS), 1);
}

/* The socket closed: the kernel empties its slot, packets pass again. */
static void test_xsk_passes_after_socket_closed(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_udp4(&p, PORT, 64);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	/* The umem's fd is the socket's: both go before it closes. */
	xsk_socket__delete(f->xsk);
	xsk_umem__delete(f->umem);
	f->xsk = NULL;
	f->umem = NULL;
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).no_socket, 1);
}

static void test_xsk_passes_other_ports(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_udp4(&p, OTHER, 64);
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 0);
}

/* TCP to a port steered for UDP, and ICMP, pass. */
static void test_xsk_passes_non_udp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt tcp, icmp;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_init(&tcp);
	fp_pkt_eth(&tcp);
	fp_pkt_ipv4(&tcp, 0);
	fp_pkt_tcp(&tcp, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&tcp);
	fp_pkt_init(&icmp);
	fp_pkt_eth(&icmp);
	fp_pkt_ipv4(&icmp, 0);
	fp_pkt_icmp(&icmp, 8);
	fp_pkt_finish(&icmp);
	assert_int_equal(run(f, &tcp), XDP_PASS);
	assert_int_equal(run(f, &icmp), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 0);
}

static void test_xsk_redirects_tcp_when_steered_for_tcp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt tcp, udp;

	socket_steered(f, FP_XSK_TCP);
	fp_pkt_init(&tcp);
	fp_pkt_eth(&tcp);
	fp_pkt_ipv4(&tcp, 0);
	fp_pkt_tcp(&tcp, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&tcp);
	fp_pkt_udp4(&udp, PORT, 64);
	assert_int_equal(run(f, &tcp), XDP_REDIRECT);
	assert_int_equal(run(f, &udp), XDP_PASS);
}

/* A frame cut inside its UDP header has no port: it passes. */
static void test_xsk_passes_truncated_frame(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_udp4(&p, PORT, 64);
	p.len = p.l4 + 4;
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 0);
}

/* A first fragment carries the port, the rest do not: both pass. */
static void test_xsk_passes_fragments(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct iphdr *ip;
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	ip = fp_pkt_ipv4(&p, 0);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&p, 32);
	ip->frag_off = htons(0x2000); /* MF, offset 0 */
	fp_pkt_finish(&p);
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 0);
}

/* udp_frame: Ethernet with TAGS VLAN tags, IPv4 with OPTLEN bytes of
 * options (IPV6: IPv6 with an OPTLEN-byte hop-by-hop header, none for
 * 0), UDP to PORT and PAYLOAD bytes. */
static void udp_frame(struct fp_pkt *p, int tags, int ipv6, size_t optlen, size_t payload)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	for (int i = 0; i < tags; i++)
		fp_pkt_vlan(p, ETH_P_8021Q, 10 + i);
	if (!ipv6) {
		fp_pkt_ipv4(p, optlen);
	} else {
		fp_pkt_ipv6(p);
		if (optlen)
			fp_pkt_ipv6_ext(p, IPPROTO_HOPOPTS, optlen);
	}
	fp_pkt_udp(p, FP_TEST_SPORT, PORT);
	fp_pkt_payload(p, payload);
	fp_pkt_finish(p);
}

/* The XSK object reads the port of a plain frame in place and leaves
 * every other shape to the parse: each shape on the far side of that
 * read is steered all the same, but IPv6 with an extension header, which
 * goes to the stack (the library's sockets would not read its payload). */
static void test_xsk_redirects_tagged_optioned_and_extended_frames(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	udp_frame(&p, 1, 0, 0, 16);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	udp_frame(&p, 2, 0, 0, 16);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	udp_frame(&p, 0, 0, 4, 16);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	udp_frame(&p, 0, 1, 8, 16);
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 3);
	assert_int_equal(slot_stats(f, 0).no_socket, 0);
}

/* A frame that ends where its UDP header ends is whole. */
static void test_xsk_redirects_frame_of_headers_alone(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	socket_steered(f, FP_XSK_UDP);
	udp_frame(&p, 0, 0, 0, 0);
	assert_int_equal(p.len, 42);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	udp_frame(&p, 0, 1, 0, 0);
	assert_int_equal(p.len, 62);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
}

/* Cut one byte short of the transport header it needs: IPv6 inside
 * UDP's, IPv4 past UDP's 8 bytes but inside TCP's 20. */
static void test_xsk_passes_frames_cut_inside_the_port_header(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt udp6, tcp;

	socket_steered(f, FP_XSK_UDP | FP_XSK_TCP);
	udp_frame(&udp6, 0, 1, 0, 0);
	udp6.len--;
	fp_pkt_init(&tcp);
	fp_pkt_eth(&tcp);
	fp_pkt_ipv4(&tcp, 0);
	fp_pkt_tcp(&tcp, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&tcp);
	tcp.len--;
	assert_int_equal(run(f, &udp6), XDP_PASS);
	assert_int_equal(run(f, &tcp), XDP_PASS);
	tcp.len++;
	assert_int_equal(run(f, &tcp), XDP_REDIRECT);
	assert_int_equal(slot_stats(f, 0).redirected, 1);
}

/* An IP header whose version is not its EtherType's, or whose IHL is
 * below 5, is malformed: no port is read from it. */
static void test_xsk_passes_malformed_ip_headers(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt v6in4, ihl4, v4in6;

	socket_steered(f, FP_XSK_UDP);
	udp_frame(&v6in4, 0, 0, 0, 16);
	v6in4.data[v6in4.l3] = 0x65;
	udp_frame(&ihl4, 0, 0, 0, 16);
	ihl4.data[ihl4.l3] = 0x44;
	udp_frame(&v4in6, 0, 1, 0, 16);
	v4in6.data[v4in6.l3] = 0x40;
	assert_int_equal(run(f, &v6in4), XDP_PASS);
	assert_int_equal(run(f, &ihl4), XDP_PASS);
	assert_int_equal(run(f, &v4in6), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 0);
}

/* A later fragment whose payload starts like a UDP header to the port
 * carries no port: it passes, IPv4 and IPv6. */
static void test_xsk_passes_later_fragments(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt v4, v6;
	struct iphdr *ip;

	socket_steered(f, FP_XSK_UDP);
	fp_pkt_init(&v4);
	fp_pkt_eth(&v4);
	ip = fp_pkt_ipv4(&v4, 0);
	fp_pkt_udp(&v4, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&v4, 16);
	ip->frag_off = htons(185); /* offset 1480, last */
	fp_pkt_finish(&v4);
	fp_pkt_init(&v6);
	fp_pkt_eth(&v6);
	fp_pkt_ipv6(&v6);
	fp_pkt_ipv6_frag(&v6, 185, 0);
	fp_pkt_udp(&v6, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&v6, 16);
	fp_pkt_finish(&v6);
	assert_int_equal(run(f, &v4), XDP_PASS);
	assert_int_equal(run(f, &v6), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 0);
}

/* A removed port (proto 0) and a stage that is off both pass. */
static void test_xsk_passes_removed_port_and_stage_off(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	attach_socket(f);
	steer(f, PORT, FP_XSK_UDP, 0);
	fp_pkt_udp4(&p, PORT, 64);
	set_stages(f, FP_STAGE_BIT(FP_STAGE_PORTS));
	assert_int_equal(run(f, &p), XDP_PASS);
	set_stages(f, FP_STAGE_BIT(FP_STAGE_XSK));
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	steer(f, PORT, 0, 0);
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(slot_stats(f, 0).redirected, 1);
}

/* With DHCP before it and ports after it on, the redirect ends the run. */
static void test_xsk_runs_after_dhcp_and_before_ports(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	attach_socket(f);
	set_stages(f, FP_STAGE_BIT(FP_STAGE_XSK) | FP_STAGE_BIT(FP_STAGE_PORTS) |
		      FP_STAGE_BIT(FP_STAGE_DHCP));
	steer(f, PORT, FP_XSK_UDP, 0);
	fp_pkt_udp4(&p, PORT, 64);
	assert_int_equal(run(f, &p), XDP_REDIRECT);
	assert_int_equal(stage_count(f, XDP_REDIRECT), 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_xsk_redirects_steered_udp_port_to_queue_socket),
		T(test_xsk_redirects_steered_ipv6_udp),
		T(test_xsk_passes_steered_port_when_slot_empty),
		T(test_xsk_passes_after_socket_closed),
		T(test_xsk_passes_other_ports),
		T(test_xsk_passes_non_udp),
		T(test_xsk_redirects_tcp_when_steered_for_tcp),
		T(test_xsk_passes_truncated_frame),
		T(test_xsk_passes_fragments),
		T(test_xsk_redirects_tagged_optioned_and_extended_frames),
		T(test_xsk_redirects_frame_of_headers_alone),
		T(test_xsk_passes_frames_cut_inside_the_port_header),
		T(test_xsk_passes_malformed_ip_headers),
		T(test_xsk_passes_later_fragments),
		T(test_xsk_passes_removed_port_and_stage_off),
		/* last: it needs the other stages, so the XSK object skips it */
		T(test_xsk_runs_after_dhcp_and_before_ports),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);
	int failed = _cmocka_run_group_tests("every stage's object", tests, n, NULL, NULL);

	opened_for = FP_STAGE_BIT(FP_STAGE_XSK);
	return failed + _cmocka_run_group_tests("the XSK stage's own object", tests, n - 1,
						NULL, NULL);
}
