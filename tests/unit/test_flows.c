// SPDX-License-Identifier: BSD-2-Clause
/* The words `fastpath flows` accepts and the filtering and ordering of
 * flows (include/fastpath/flows.h): pure functions, no kernel. */
#include <fastpath/flows.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

static struct fp_flow_info flow4(const char *src, const char *dst, uint8_t proto,
				 uint16_t sport, uint16_t dport, uint64_t packets)
{
	struct fp_flow_info f;

	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, src, f.key.saddr);
	inet_pton(AF_INET, dst, f.key.daddr);
	f.key.family = 4;
	f.key.proto = proto;
	f.key.sport = sport;
	f.key.dport = dport;
	f.flow.packets = packets;
	return f;
}

/* ---- words ---------------------------------------------------------- */

static void test_prefix_parse_accepts_cidrs_and_addresses(void **state)
{
	struct fp_flow_prefix p;
	uint8_t want[16] = { 10, 1 };

	(void)state;
	assert_int_equal(fp_flow_prefix_parse("10.1.0.0/16", &p), 0);
	assert_true(p.present);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.len, 16);
	assert_memory_equal(p.addr, want, 4);
	assert_int_equal(fp_flow_prefix_parse("10.1.2.3", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(fp_flow_prefix_parse("fd00::/8", &p), 0);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.len, 8);
	assert_int_equal(fp_flow_prefix_parse("::1", &p), 0);
	assert_int_equal(p.len, 128);
	assert_int_equal(fp_flow_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(p.len, 0);
}

static void test_prefix_parse_rejects_bad_prefixes(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
		"10.1.0.0/8", "fd00::1/8", "::/129", "10.0.0", "host", "10.0.0.0/8/8",
	};
	struct fp_flow_prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fp_flow_prefix_parse(bad[i], &p), -EINVAL);
}

static void test_proto_parse_names_and_numbers(void **state)
{
	int proto;

	(void)state;
	assert_int_equal(fp_flow_proto_parse("tcp", &proto), 0);
	assert_int_equal(proto, IPPROTO_TCP);
	assert_int_equal(fp_flow_proto_parse("UDP", &proto), 0);
	assert_int_equal(proto, IPPROTO_UDP);
	assert_int_equal(fp_flow_proto_parse("icmpv6", &proto), 0);
	assert_int_equal(proto, 58);
	assert_int_equal(fp_flow_proto_parse("47", &proto), 0);
	assert_int_equal(proto, 47);
	assert_int_equal(fp_flow_proto_parse("256", &proto), -EINVAL);
	assert_int_equal(fp_flow_proto_parse("sctpp", &proto), -EINVAL);
	assert_int_equal(fp_flow_proto_parse("", &proto), -EINVAL);
	assert_string_equal(fp_flow_proto_name(IPPROTO_ICMP), "icmp");
	assert_null(fp_flow_proto_name(47));
}

static void test_sort_parse_takes_three_keys(void **state)
{
	enum fp_flow_sort s;

	(void)state;
	assert_int_equal(fp_flow_sort_parse("packets", &s), 0);
	assert_int_equal(s, FP_FLOW_SORT_PACKETS);
	assert_int_equal(fp_flow_sort_parse("bytes", &s), 0);
	assert_int_equal(s, FP_FLOW_SORT_BYTES);
	assert_int_equal(fp_flow_sort_parse("age", &s), 0);
	assert_int_equal(s, FP_FLOW_SORT_AGE);
	assert_int_equal(fp_flow_sort_parse("size", &s), -EINVAL);
}

/* ---- matching ------------------------------------------------------- */

static void test_match_empty_filter_matches_all(void **state)
{
	struct fp_flow_info f = flow4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2, 0);
	struct fp_flow_filter flt;

	(void)state;
	fp_flow_filter_init(&flt);
	assert_true(fp_flow_match(&f, &flt));
}

static void test_match_source_and_dest_prefixes(void **state)
{
	struct fp_flow_info f = flow4("10.1.2.3", "192.168.7.9", IPPROTO_TCP, 1, 2, 1);
	struct fp_flow_filter flt;

	(void)state;
	fp_flow_filter_init(&flt);
	fp_flow_prefix_parse("10.1.0.0/16", &flt.src);
	assert_true(fp_flow_match(&f, &flt));
	fp_flow_prefix_parse("192.168.6.0/23", &flt.dst);
	assert_true(fp_flow_match(&f, &flt));
	fp_flow_prefix_parse("192.168.6.0/24", &flt.dst);
	assert_false(fp_flow_match(&f, &flt));
	fp_flow_filter_init(&flt);
	fp_flow_prefix_parse("10.1.2.2/31", &flt.src);
	assert_true(fp_flow_match(&f, &flt));
	fp_flow_prefix_parse("10.1.2.4/31", &flt.src);
	assert_false(fp_flow_match(&f, &flt));
}

static void test_match_prefix_of_other_family_never_matches(void **state)
{
	struct fp_flow_info f = flow4("10.1.2.3", "10.1.2.4", IPPROTO_TCP, 1, 2, 1);
	struct fp_flow_filter flt;

	(void)state;
	fp_flow_filter_init(&flt);
	fp_flow_prefix_parse("::/0", &flt.src);
	assert_false(fp_flow_match(&f, &flt));
}

static void test_match_port_either_side_tcp_udp_only(void **state)
{
	struct fp_flow_info udp = flow4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 40000, 53, 1);
	struct fp_flow_info icmp = flow4("10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 53, 0, 1);
	struct fp_flow_filter flt;

	(void)state;
	fp_flow_filter_init(&flt);
	flt.port = 53;
	assert_true(fp_flow_match(&udp, &flt));
	flt.port = 40000;
	assert_true(fp_flow_match(&udp, &flt));
	flt.port = 54;
	assert_false(fp_flow_match(&udp, &flt));
	flt.port = 53; /* ICMP's "ports" are its type and code */
	assert_false(fp_flow_match(&icmp, &flt));
}

static void test_match_protocol_and_min_packets(void **state)
{
	struct fp_flow_info f = flow4("10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2, 5);
	struct fp_flow_filter flt;

	(void)state;
	fp_flow_filter_init(&flt);
	flt.proto = IPPROTO_UDP;
	assert_false(fp_flow_match(&f, &flt));
	flt.proto = IPPROTO_TCP;
	flt.min_packets = 5;
	assert_true(fp_flow_match(&f, &flt));
	flt.min_packets = 6;
	assert_false(fp_flow_match(&f, &flt));
}

/* ---- selecting ------------------------------------------------------ */

static void test_select_sorts_packets_bytes_age_descending(void **state)
{
	struct fp_flow_info f[3] = {
		flow4("10.0.0.1", "10.0.0.9", IPPROTO_UDP, 1, 1, 10),
		flow4("10.0.0.2", "10.0.0.9", IPPROTO_UDP, 1, 1, 30),
		flow4("10.0.0.3", "10.0.0.9", IPPROTO_UDP, 1, 1, 20),
	};
	struct fp_flow_query q = { .sort = FP_FLOW_SORT_PACKETS };
	size_t n = 3;

	(void)state;
	f[0].flow.bytes = 500;
	f[1].flow.bytes = 100;
	f[2].flow.bytes = 300;
	f[0].flow.first_ns = 3000;
	f[1].flow.first_ns = 1000;
	f[2].flow.first_ns = 2000;
	fp_flow_filter_init(&q.filter);
	fp_flows_select(f, &n, &q);
	assert_int_equal(n, 3);
	assert_int_equal(f[0].flow.packets, 30);
	assert_int_equal(f[2].flow.packets, 10);
	q.sort = FP_FLOW_SORT_BYTES;
	fp_flows_select(f, &n, &q);
	assert_int_equal(f[0].flow.bytes, 500);
	assert_int_equal(f[2].flow.bytes, 100);
	q.sort = FP_FLOW_SORT_AGE; /* the oldest first */
	fp_flows_select(f, &n, &q);
	assert_int_equal(f[0].flow.first_ns, 1000);
	assert_int_equal(f[2].flow.first_ns, 3000);
}

static void test_select_filters_then_limits(void **state)
{
	struct fp_flow_info f[4] = {
		flow4("10.0.0.1", "10.0.0.9", IPPROTO_TCP, 1, 80, 1),
		flow4("10.0.0.2", "10.0.0.9", IPPROTO_UDP, 1, 53, 4),
		flow4("10.0.0.3", "10.0.0.9", IPPROTO_UDP, 1, 53, 9),
		flow4("10.0.0.4", "10.0.0.9", IPPROTO_UDP, 1, 53, 2),
	};
	struct fp_flow_query q = { .sort = FP_FLOW_SORT_PACKETS, .limit = 2 };
	size_t n = 4;

	(void)state;
	fp_flow_filter_init(&q.filter);
	q.filter.proto = IPPROTO_UDP;
	fp_flows_select(f, &n, &q);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].flow.packets, 9);
	assert_int_equal(f[1].flow.packets, 4);
}

static void test_select_no_match_leaves_none(void **state)
{
	struct fp_flow_info f[1] = { flow4("10.0.0.1", "10.0.0.9", IPPROTO_TCP, 1, 80, 1) };
	struct fp_flow_query q = { 0 };
	size_t n = 1;

	(void)state;
	fp_flow_filter_init(&q.filter);
	q.filter.min_packets = 2;
	fp_flows_select(f, &n, &q);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_accepts_cidrs_and_addresses),
		cmocka_unit_test(test_prefix_parse_rejects_bad_prefixes),
		cmocka_unit_test(test_proto_parse_names_and_numbers),
		cmocka_unit_test(test_sort_parse_takes_three_keys),
		cmocka_unit_test(test_match_empty_filter_matches_all),
		cmocka_unit_test(test_match_source_and_dest_prefixes),
		cmocka_unit_test(test_match_prefix_of_other_family_never_matches),
		cmocka_unit_test(test_match_port_either_side_tcp_udp_only),
		cmocka_unit_test(test_match_protocol_and_min_packets),
		cmocka_unit_test(test_select_sorts_packets_bytes_age_descending),
		cmocka_unit_test(test_select_filters_then_limits),
		cmocka_unit_test(test_select_no_match_leaves_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
