// SPDX-License-Identifier: BSD-2-Clause
/* The programs under tests/progs, which the CLI and integration tests load,
 * checked on crafted packets so their own behaviour is known. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <linux/pkt_cls.h>
#include <sys/socket.h>
#include "bpf_test.h"
#include "tests/progs/bad_verifier.skel.h"
#include "tests/progs/cgroup_drop_udp.skel.h"
#include "tests/progs/sk_lookup_pass.skel.h"
#include "tests/progs/socket_filter.skel.h"
#include "tests/progs/tc_drop_icmp.skel.h"
#include "tests/progs/two_progs.skel.h"
#include "tests/progs/xdp_drop_icmp.skel.h"
#include "tests/progs/xdp_pass.skel.h"

struct fixture {
	struct xdp_drop_icmp *xdp_drop;
	struct tc_drop_icmp *tc_drop;
	struct xdp_pass *pass;
	struct socket_filter *sock;
	struct cgroup_drop_udp *cg;
	struct sk_lookup_pass *skl;
	struct two_progs *two;
};

static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_quiet || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int setup(void **state)
{
	struct fixture *f;

	*state = NULL;
	if (geteuid() != 0)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	*state = f;
	f->xdp_drop = xdp_drop_icmp__open_and_load();
	f->tc_drop = tc_drop_icmp__open_and_load();
	f->pass = xdp_pass__open_and_load();
	f->sock = socket_filter__open_and_load();
	f->cg = cgroup_drop_udp__open_and_load();
	f->skl = sk_lookup_pass__open_and_load();
	f->two = two_progs__open_and_load();
	if (!f->xdp_drop || !f->tc_drop || !f->pass || !f->sock || !f->cg ||
	    !f->skl || !f->two)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	xdp_drop_icmp__destroy(f->xdp_drop);
	tc_drop_icmp__destroy(f->tc_drop);
	xdp_pass__destroy(f->pass);
	socket_filter__destroy(f->sock);
	cgroup_drop_udp__destroy(f->cg);
	sk_lookup_pass__destroy(f->skl);
	two_progs__destroy(f->two);
	free(f);
	return 0;
}

static void echo4(struct fp_pkt *p, uint8_t type, size_t optlen)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, optlen);
	fp_pkt_icmp(p, type);
	fp_pkt_payload(p, 56);
	fp_pkt_finish(p);
}

/* run_expect: RETVAL, and the frame comes out as it went in. */
static void run_expect(struct bpf_program *prog, const struct fp_pkt *p, size_t len,
		       uint32_t retval)
{
	struct fp_run r;

	assert_int_equal(fp_run(bpf_program__fd(prog), p->data, len, &r), 0);
	assert_int_equal(r.retval, retval);
	assert_int_equal(r.size_out, len);
	assert_memory_equal(r.out, p->data, len);
}

/* run_expect_l3: the same for a program that starts at the network header
 * (socket filter, cgroup_skb): the kernel hands back the Ethernet header
 * zeroed. */
static void run_expect_l3(struct bpf_program *prog, const struct fp_pkt *p,
			  uint32_t retval)
{
	static const uint8_t zero[ETH_HLEN];
	struct fp_run r;

	assert_int_equal(fp_run(bpf_program__fd(prog), p->data, p->len, &r), 0);
	assert_int_equal(r.retval, retval);
	assert_int_equal(r.size_out, p->len);
	assert_memory_equal(r.out, zero, ETH_HLEN);
	assert_memory_equal(r.out + ETH_HLEN, p->data + ETH_HLEN, p->len - ETH_HLEN);
}

/* ---- xdp_drop_icmp ---------------------------------------------------- */

static void test_xdp_drop_icmp_drops_echo_request(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	echo4(&p, ICMP_ECHO, 0);
	run_expect(f->xdp_drop->progs.xdp_drop_icmp, &p, p.len, XDP_DROP);
	run_expect(f->xdp_drop->progs.xdp_drop_icmp, &p, p.len, XDP_DROP);
	assert_int_equal(f->xdp_drop->bss->dropped, 2);
}

static void test_xdp_drop_icmp_drops_echo_request_with_ip_options(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	echo4(&p, ICMP_ECHO, 40);
	run_expect(f->xdp_drop->progs.xdp_drop_icmp, &p, p.len, XDP_DROP);
	assert_int_equal(f->xdp_drop->bss->dropped, 1);
}

static void test_xdp_drop_icmp_passes_echo_reply(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	echo4(&p, ICMP_ECHOREPLY, 0);
	run_expect(f->xdp_drop->progs.xdp_drop_icmp, &p, p.len, XDP_PASS);
	assert_int_equal(f->xdp_drop->bss->dropped, 0);
}

static void test_xdp_drop_icmp_passes_udp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 7, 64);
	run_expect(f->xdp_drop->progs.xdp_drop_icmp, &p, p.len, XDP_PASS);
	assert_int_equal(f->xdp_drop->bss->dropped, 0);
}

/* Its contract is untagged IPv4 only. */
static void test_xdp_drop_icmp_passes_vlan_tagged_echo_request(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_vlan(&p, ETH_P_8021Q, 10);
	fp_pkt_ipv4(&p, 0);
	fp_pkt_icmp(&p, ICMP_ECHO);
	fp_pkt_finish(&p);
	run_expect(f->xdp_drop->progs.xdp_drop_icmp, &p, p.len, XDP_PASS);
	assert_int_equal(f->xdp_drop->bss->dropped, 0);
}

/* Until the ICMP type byte is in the frame, an echo request passes. */
static void test_xdp_drop_icmp_passes_truncated_echo_request(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct bpf_program *prog = f->xdp_drop->progs.xdp_drop_icmp;
	struct fp_pkt p;
	size_t len;

	echo4(&p, ICMP_ECHO, 0);
	for (len = ETH_HLEN; len < p.l4 + 1; len++)
		run_expect(prog, &p, len, XDP_PASS);
	assert_int_equal(f->xdp_drop->bss->dropped, 0);
	run_expect(prog, &p, p.l4 + 1, XDP_DROP);
	assert_int_equal(f->xdp_drop->bss->dropped, 1);
}

/* ---- tc_drop_icmp ----------------------------------------------------- */

static void test_tc_drop_icmp_shoots_echo_request(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	echo4(&p, ICMP_ECHO, 0);
	run_expect(f->tc_drop->progs.tc_drop_icmp, &p, p.len, TC_ACT_SHOT);
}

static void test_tc_drop_icmp_passes_echo_reply(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	echo4(&p, ICMP_ECHOREPLY, 0);
	run_expect(f->tc_drop->progs.tc_drop_icmp, &p, p.len, TC_ACT_OK);
}

static void test_tc_drop_icmp_passes_udp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 7, 64);
	run_expect(f->tc_drop->progs.tc_drop_icmp, &p, p.len, TC_ACT_OK);
}

/* The kernel runs an skb only with a 20-byte IPv4 header in it; the cut
 * falls in the options. */
static void test_tc_drop_icmp_passes_truncated_echo_request(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct bpf_program *prog = f->tc_drop->progs.tc_drop_icmp;
	struct fp_pkt p;
	size_t len;

	echo4(&p, ICMP_ECHO, 8);
	for (len = p.l3 + sizeof(struct iphdr); len < p.l4 + 1; len++)
		run_expect(prog, &p, len, TC_ACT_OK);
	run_expect(prog, &p, p.l4 + 1, TC_ACT_SHOT);
}

/* ---- xdp_pass, two_progs ---------------------------------------------- */

static void test_xdp_pass_passes_every_frame_unchanged(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 53, 64);
	run_expect(f->pass->progs.xdp_pass, &p, p.len, XDP_PASS);
	run_expect(f->pass->progs.xdp_pass, &p, ETH_HLEN, XDP_PASS);
	echo4(&p, ICMP_ECHO, 0);
	run_expect(f->pass->progs.xdp_pass, &p, p.len, XDP_PASS);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_arp(&p);
	run_expect(f->pass->progs.xdp_pass, &p, p.len, XDP_PASS);
}

static void test_two_progs_first_passes_second_drops(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 53, 64);
	run_expect(f->two->progs.first_pass, &p, p.len, XDP_PASS);
	run_expect(f->two->progs.second_drop, &p, p.len, XDP_DROP);
}

/* ---- socket_filter, cgroup_drop_udp, sk_lookup_pass -------------------- */

/* A socket filter sees the frame from the network header: it keeps all of
 * skb->len, which is the frame less its Ethernet header. */
static void test_socket_filter_keeps_whole_packet(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 53, 100);
	run_expect_l3(f->sock->progs.socket_keep, &p, p.len - ETH_HLEN);
}

static void test_cgroup_drop_udp_drops_port_9999(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 9999, 64);
	run_expect_l3(f->cg->progs.cgroup_drop_udp, &p, 0);
}

static void test_cgroup_drop_udp_drops_port_9999_after_ip_options(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv4(&p, 8);
	fp_pkt_udp(&p, FP_TEST_SPORT, 9999);
	fp_pkt_finish(&p);
	run_expect_l3(f->cg->progs.cgroup_drop_udp, &p, 0);
}

static void test_cgroup_drop_udp_allows_other_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 9998, 64);
	run_expect_l3(f->cg->progs.cgroup_drop_udp, &p, 1);
}

static void test_cgroup_drop_udp_allows_tcp_port_9999(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv4(&p, 0);
	fp_pkt_tcp(&p, FP_TEST_SPORT, 9999);
	fp_pkt_finish(&p);
	run_expect_l3(f->cg->progs.cgroup_drop_udp, &p, 1);
}

static void test_sk_lookup_pass_passes_and_counts(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct bpf_sk_lookup ctx = {
		.family = AF_INET,
		.protocol = IPPROTO_TCP,
		.remote_ip4 = FP_TEST_SADDR4,
		.remote_port = htons(FP_TEST_SPORT),
		.local_ip4 = FP_TEST_DADDR4,
		.local_port = 8080,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skl->progs.sk_lookup_pass),
						&o), 0);
	assert_int_equal(o.retval, SK_PASS);
	assert_int_equal(f->skl->bss->lookups, 1);
}

/* ---- bad_verifier ----------------------------------------------------- */

static void test_bad_verifier_load_fails_with_log(void **state)
{
	static char log[64 * 1024];
	struct bad_verifier *skel;
	int err;

	(void)state;
	FP_TEST_NEED_ROOT();
	skel = bad_verifier__open();
	assert_non_null(skel);
	log[0] = '\0';
	assert_int_equal(bpf_program__set_log_buf(skel->progs.xdp_unchecked, log,
						  sizeof(log)), 0);
	assert_int_equal(bpf_program__set_log_level(skel->progs.xdp_unchecked, 1), 0);
	libbpf_quiet = true;
	err = bad_verifier__load(skel);
	libbpf_quiet = false;
	bad_verifier__destroy(skel);
	assert_true(err < 0);
	assert_true(strlen(log) > 0);
	assert_non_null(strstr(log, "invalid access to packet"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_xdp_drop_icmp_drops_echo_request),
		T(test_xdp_drop_icmp_drops_echo_request_with_ip_options),
		T(test_xdp_drop_icmp_passes_echo_reply),
		T(test_xdp_drop_icmp_passes_udp),
		T(test_xdp_drop_icmp_passes_vlan_tagged_echo_request),
		T(test_xdp_drop_icmp_passes_truncated_echo_request),
		T(test_tc_drop_icmp_shoots_echo_request),
		T(test_tc_drop_icmp_passes_echo_reply),
		T(test_tc_drop_icmp_passes_udp),
		T(test_tc_drop_icmp_passes_truncated_echo_request),
		T(test_xdp_pass_passes_every_frame_unchanged),
		T(test_two_progs_first_passes_second_drops),
		T(test_socket_filter_keeps_whole_packet),
		T(test_cgroup_drop_udp_drops_port_9999),
		T(test_cgroup_drop_udp_drops_port_9999_after_ip_options),
		T(test_cgroup_drop_udp_allows_other_port),
		T(test_cgroup_drop_udp_allows_tcp_port_9999),
		T(test_sk_lookup_pass_passes_and_counts),
		cmocka_unit_test(test_bad_verifier_load_fails_with_log),
	};

	libbpf_set_print(libbpf_print);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
