// SPDX-License-Identifier: BSD-2-Clause
/* The shaper's classifier (bpf/shaper_tc.bpf.c) on crafted frames: the
 * class it writes into skb->priority, read back through ctx_out. Classes
 * are built by the library from the CLI's words (fp_shaper_class_parse,
 * fp_shaper_cfg_build), so the test covers the translation too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/pkt_cls.h>
#include <fastpath/shaper.h>
#include "bpf_test.h"
#include "shaper/shaper_internal.h"
#include "bpf/shaper_tc.skel.h"

#define CLASS(i)  (FP_SHAPER_HANDLE | (0x10u + (i)))
#define DEFAULT   (FP_SHAPER_HANDLE | FP_SHAPER_DEFAULT)

struct fixture {
	struct shaper_tc *skel;
	struct fp_shaper_iface s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->skel = shaper_tc__open_and_load();
	if (!f->skel) {
		free(f);
		return -1;
	}
	f->s.bandwidth_limit = 100000000;
	f->s.latency_ms = 50;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	shaper_tc__destroy(f->skel);
	free(f);
	return 0;
}

/* Add a class from its CLI spec and write the whole set to the map. */
static void classes(struct fixture *f, const char *const *specs, size_t n)
{
	struct fp_shaper_cfg cfg;
	char why[256];
	int zero = 0;

	f->s.n_classes = 0;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fp_shaper_class_parse(specs[i], &f->s.classes[f->s.n_classes++],
						       why, sizeof(why)), 0);
	fp_shaper_cfg_build(&f->s, &cfg);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f->skel->maps.fp_shaper_classes),
					     &zero, &cfg, 0), 0);
}

/* The priority the classifier leaves on PKT (its verdict must be
 * TC_ACT_UNSPEC: the shaper only classifies). */
static uint32_t classify(struct fixture *f, const struct fp_pkt *p)
{
	struct __sk_buff ctx = { .priority = 0xdead };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = (__u32)p->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .ctx_out = &ctx,
		    .ctx_size_out = sizeof(ctx));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.fp_shaper_tc),
						&opts), 0);
	assert_int_equal((int)opts.retval, TC_ACT_UNSPEC);
	return ctx.priority;
}

static void tcp4(struct fp_pkt *p, uint32_t daddr, uint16_t dport)
{
	struct iphdr *ip;

	fp_pkt_init(p);
	fp_pkt_eth(p);
	ip = fp_pkt_ipv4(p, 0);
	fp_pkt_tcp(p, FP_TEST_SPORT, dport);
	fp_pkt_payload(p, 32);
	ip->daddr = daddr;
	fp_pkt_finish(p);
}

static void udp4(struct fp_pkt *p, uint16_t dport)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, 0);
	fp_pkt_udp(p, FP_TEST_SPORT, dport);
	fp_pkt_payload(p, 32);
	fp_pkt_finish(p);
}

static void test_shaper_tcp_port_goes_to_its_class(void **state)
{
	static const char *const specs[] = { "protocol=tcp,port=5201,rate=70mbit" };
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, specs, 1);
	tcp4(&p, FP_TEST_DADDR4, 5201);
	assert_int_equal(classify(f, &p), CLASS(0));
	tcp4(&p, FP_TEST_DADDR4, 5202);
	assert_int_equal(classify(f, &p), DEFAULT);
}

static void test_shaper_protocol_must_match(void **state)
{
	static const char *const specs[] = { "protocol=tcp,port=5201,rate=70mbit" };
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, specs, 1);
	udp4(&p, 5201);
	assert_int_equal(classify(f, &p), DEFAULT);
}

static void test_shaper_port_range(void **state)
{
	static const char *const specs[] = { "protocol=udp,port=1000-2000,rate=10mbit" };
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, specs, 1);
	udp4(&p, 1000);
	assert_int_equal(classify(f, &p), CLASS(0));
	udp4(&p, 2000);
	assert_int_equal(classify(f, &p), CLASS(0));
	udp4(&p, 2001);
	assert_int_equal(classify(f, &p), DEFAULT);
	udp4(&p, 999);
	assert_int_equal(classify(f, &p), DEFAULT);
}

static void test_shaper_dest_prefix_v4(void **state)
{
	static const char *const specs[] = { "dest=10.0.0.0/24,rate=10mbit" };
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, specs, 1);
	tcp4(&p, htonl(0x0a0000fe), 80);   /* 10.0.0.254 */
	assert_int_equal(classify(f, &p), CLASS(0));
	tcp4(&p, htonl(0x0a000101), 80);   /* 10.0.1.1 */
	assert_int_equal(classify(f, &p), DEFAULT);
}

static void test_shaper_dest_prefix_v6(void **state)
{
	static const char *const specs[] = { "dest=2001:db8::/48,rate=10mbit",
					     "dest=10.0.0.0/8,rate=10mbit" };
	struct fixture *f = *state;
	struct ipv6hdr *ip6;
	struct fp_pkt p;

	classes(f, specs, 2);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	ip6 = fp_pkt_ipv6(&p);
	fp_pkt_udp(&p, FP_TEST_SPORT, 53);
	inet_pton(AF_INET6, "2001:db8:0:ffff::1", &ip6->daddr);
	fp_pkt_finish(&p);
	assert_int_equal(classify(f, &p), CLASS(0));
	inet_pton(AF_INET6, "2001:db8:1::1", &ip6->daddr);
	assert_int_equal(classify(f, &p), DEFAULT);
}

static void test_shaper_first_match_wins(void **state)
{
	static const char *const specs[] = { "dest=10.0.0.2/32,rate=10mbit",
					     "protocol=tcp,port=80,rate=10mbit" };
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, specs, 2);
	tcp4(&p, FP_TEST_DADDR4, 80);
	assert_int_equal(classify(f, &p), CLASS(0));
	tcp4(&p, htonl(0x0a000003), 80);
	assert_int_equal(classify(f, &p), CLASS(1));
}

static void test_shaper_no_classes_is_default(void **state)
{
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, NULL, 0);
	tcp4(&p, FP_TEST_DADDR4, 5201);
	assert_int_equal(classify(f, &p), DEFAULT);
}

/* A frame cut in its L4 header is classified by what parsed: a rule with
 * a port never matches a frame whose ports are missing. (test_run will
 * not build an skb of an IPv4 frame shorter than its IP header.) */
static void test_shaper_truncated_frames_take_the_default(void **state)
{
	static const char *const specs[] = { "protocol=tcp,port=5201,rate=10mbit" };
	struct fixture *f = *state;
	struct fp_pkt p, cut;

	classes(f, specs, 1);
	tcp4(&p, FP_TEST_DADDR4, 5201);
	for (size_t len = p.l4; len < p.l4 + sizeof(struct tcphdr); len++) {
		cut = p;
		cut.len = len;
		assert_int_equal(classify(f, &cut), DEFAULT);
	}
}

static void test_shaper_arp_takes_the_default(void **state)
{
	static const char *const specs[] = { "rate=10mbit" }; /* matches any IP */
	struct fixture *f = *state;
	struct fp_pkt p;

	classes(f, specs, 1);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_arp(&p);
	/* A class with no field matches every frame, ARP included. */
	assert_int_equal(classify(f, &p), CLASS(0));
}

static void test_shaper_class_words_refused(void **state)
{
	struct fp_shaper_class c;
	char why[256];

	(void)state;
	assert_int_equal(fp_shaper_class_parse("protocol=tcp", &c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "rate"));
	assert_int_equal(fp_shaper_class_parse("dest=10.0.0.0/33,rate=1mbit", &c, why,
					       sizeof(why)), -EINVAL);
	assert_int_equal(fp_shaper_class_parse("rate=1mbit,colour=red", &c, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "colour"));
	assert_int_equal(fp_shaper_class_parse("rate=1mbit,priority=8", &c, why, sizeof(why)),
			 -EINVAL);
}

static void test_shaper_check_refuses_oversubscription(void **state)
{
	struct fixture *f = *state;
	char why[256];

	f->s.n_classes = 2;
	f->s.classes[0] = (struct fp_shaper_class){ .rate = 60000000 };
	f->s.classes[1] = (struct fp_shaper_class){ .rate = 60000000 };
	assert_int_equal(fp_shaper_check(&f->s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "add up"));
	f->s.classes[1].rate = 40000000;
	assert_int_equal(fp_shaper_check(&f->s, why, sizeof(why)), 0);
	f->s.classes[1].ceil = 20000000; /* below its rate */
	assert_int_equal(fp_shaper_check(&f->s, why, sizeof(why)), -EINVAL);
	f->s.n_classes = 0;
	f->s.latency_ms = 0; /* nothing queued: under two frames */
	assert_int_equal(fp_shaper_check(&f->s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "latency_target"));
}

static void test_shaper_rate_words(void **state)
{
	uint64_t r;

	(void)state;
	assert_int_equal(fp_shaper_rate_parse("100mbit", &r), 0);
	assert_int_equal(r, 100000000);
	assert_int_equal(fp_shaper_rate_parse("1Gbit", &r), 0);
	assert_int_equal(r, 1000000000);
	assert_int_equal(fp_shaper_rate_parse("10mbps", &r), 0);
	assert_int_equal(r, 80000000);
	assert_int_equal(fp_shaper_rate_parse("125000", &r), 0);
	assert_int_equal(r, 125000);
	assert_int_equal(fp_shaper_rate_parse("fast", &r), -EINVAL);
	assert_int_equal(fp_shaper_rate_parse("100 mbit", &r), -EINVAL);
	assert_int_equal(fp_shaper_rate_parse("0mbit", &r), -ERANGE);
	assert_int_equal(fp_shaper_rate_parse("99999999999999999999bit", &r), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shaper_tcp_port_goes_to_its_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_protocol_must_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_port_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_dest_prefix_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_dest_prefix_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_first_match_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_no_classes_is_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_truncated_frames_take_the_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_arp_takes_the_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shaper_check_refuses_oversubscription, setup, teardown),
		cmocka_unit_test(test_shaper_class_words_refused),
		cmocka_unit_test(test_shaper_rate_words),
	};

	return cmocka_run_group_tests_name("shaper", tests, NULL, NULL);
}
