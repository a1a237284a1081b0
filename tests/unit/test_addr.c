// SPDX-License-Identifier: BSD-2-Clause
/* Core's address and protocol words (src/lib/core/addr.c): the one CIDR
 * parser and the one protocol list the config, the CLI and flows share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <fastpath/core.h>

static void test_cidr_parse_prefixes_and_hosts(void **state)
{
	struct fp_cidr c;
	uint8_t want[16] = { 10, 1 };

	(void)state;
	assert_int_equal(fp_cidr_parse("10.1.0.0/16", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.len, 16);
	assert_memory_equal(c.addr, want, 16);
	assert_int_equal(fp_cidr_parse("10.1.2.3", &c), 0);
	assert_int_equal(c.len, 32);
	assert_int_equal(fp_cidr_parse("2001:db8::/32", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.len, 32);
	assert_int_equal(fp_cidr_parse("::/0", &c), 0);
	assert_int_equal(c.len, 0);
}

static void test_cidr_parse_says_what_is_wrong(void **state)
{
	static const char *const not_addr[] = { "", "/8", "host", "10.0.0" };
	static const char *const bad_len[] = { "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
					       "10.0.0.0/8x", "10.0.0.0/08", "::/129",
					       "10.0.0.0/8/8" };
	struct fp_cidr c;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(not_addr) / sizeof(not_addr[0]); i++)
		assert_int_equal(fp_cidr_parse(not_addr[i], &c), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++)
		assert_int_equal(fp_cidr_parse(bad_len[i], &c), -ERANGE);
	/* Host bits set: the prefix the user probably meant comes back. */
	assert_int_equal(fp_cidr_parse("192.168.1.7/24", &c), -EDOM);
	inet_ntop(c.family, c.addr, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.1.0");
	assert_int_equal(c.len, 24);
	assert_int_equal(fp_cidr_parse("fd00::1/8", &c), -EDOM);
}

static void test_proto_words_one_list(void **state)
{
	int p;

	(void)state;
	assert_int_equal(fp_proto_parse("TCP", &p), 0);
	assert_int_equal(p, 6);
	assert_int_equal(fp_proto_parse("icmpv6", &p), 0);
	assert_int_equal(p, 58);
	assert_int_equal(fp_proto_parse("any", &p), -EINVAL);
	assert_string_equal(fp_proto_name(17), "udp");
	assert_null(fp_proto_name(47));
	assert_string_equal(fp_proto_word(0), "tcp");
	assert_null(fp_proto_word(4));
}

static void test_ipv4_host_order_and_masks(void **state)
{
	struct in_addr a;

	(void)state;
	inet_pton(AF_INET, "10.0.0.1", &a);
	assert_int_equal(fp_ipv4_host(a), 0x0a000001u);
	assert_int_equal(fp_ipv4_net(0x0a000001u).s_addr, a.s_addr);
	assert_int_equal(fp_ipv4_mask(24), 0xffffff00u);
	assert_int_equal(fp_ipv4_mask(0), 0);
	assert_int_equal(fp_ipv4_mask(32), 0xffffffffu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse_prefixes_and_hosts),
		cmocka_unit_test(test_cidr_parse_says_what_is_wrong),
		cmocka_unit_test(test_proto_words_one_list),
		cmocka_unit_test(test_ipv4_host_order_and_masks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
