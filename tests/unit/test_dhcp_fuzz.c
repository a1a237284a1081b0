// SPDX-License-Identifier: BSD-2-Clause
/* A deterministic mutation fuzzer for the DHCP parser and server core,
 * built with ASan and UBSan (see the Makefile): valid DISCOVER, REQUEST,
 * relayed and INFORM messages are bit-flipped, truncated, have length
 * bytes corrupted, or are replaced by random bytes; whatever parses goes
 * through fp_dhcp_decide and fp_dhcp_apply on an in-memory database.
 * Invariants: no crash; replies only to well-formed client messages;
 * every yiaddr in a pool's range or reserved; no address held twice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <fastpath/dhcp.h>

#define ITERATIONS 250000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static size_t seed_msg(uint8_t *b, int kind)
{
	size_t n = 240;

	memset(b, 0, 600);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	b[28] = 2;
	b[33] = (uint8_t)(rnd() % 8);
	memcpy(b + 236, "\x63\x82\x53\x63", 4);
	b[n++] = 53;
	b[n++] = 1;
	b[n++] = (uint8_t)(kind == 0 ? 1 : kind == 1 ? 3 : kind == 2 ? 1 : 8);
	if (kind == 1) {
		memcpy(b + n, "\x36\x04\x0a\x00\x00\x01\x32\x04\x0a\x00\x00\x65", 12);
		n += 12;
	}
	if (kind == 2) {
		memcpy(b + 24, "\x0a\x01\x00\x01", 4);
		memcpy(b + n, "\x52\x06\x01\x04" "abcd", 8);
		n += 8;
	}
	if (kind == 3)
		memcpy(b + 12, "\x0a\x00\x00\x14", 4);
	if (rnd() & 1) {
		memcpy(b + n, "\x3d\x07\x01\x02\x00\x00\x00\x00", 8);
		b[n + 8 - 1] = (uint8_t)(rnd() % 8);
		n += 8;
	}
	b[n++] = 255;
	return n;
}

struct check {
	const struct fp_dhcp_db *db;
	size_t n;
};

static int check_entry(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct check *c = ctx;
	struct fp_dhcp_lease_rec got;

	/* the address index names exactly this holder: no address twice */
	assert_non_null(fp_dhcp_db_by_ip(c->db, r->ip, &got));
	assert_memory_equal(&got, r, sizeof(got));
	if (r->state != FP_DHCP_LEASE_DECLINED) {
		assert_non_null(fp_dhcp_db_by_key(c->db, &r->key, &got));
		assert_memory_equal(&got, r, sizeof(got));
	}
	c->n++;
	return 0;
}

static bool yiaddr_ok(const struct fp_dhcp_config *cfg, struct in_addr a)
{
	for (size_t i = 0; i < cfg->n_pools; i++)
		if (ntohl(a.s_addr) >= ntohl(cfg->pools[i].range_lo.s_addr) &&
		    ntohl(a.s_addr) <= ntohl(cfg->pools[i].range_hi.s_addr))
			return true;
	for (size_t i = 0; i < cfg->n_reservations; i++)
		if (cfg->reservations[i].ip.s_addr == a.s_addr)
			return true;
	return false;
}

static void test_dhcp_fuzz_parse_and_decide_keep_invariants(void **state)
{
	struct fp_dhcp_pool pools[2] = {
		{ .subnet = A("10.0.0.0"), .prefix_len = 24, .range_lo = A("10.0.0.100"),
		  .range_hi = A("10.0.0.110"), .lease_time_s = 60, .domain = "example.org" },
		{ .subnet = A("10.1.0.0"), .prefix_len = 24, .range_lo = A("10.1.0.100"),
		  .range_hi = A("10.1.0.104"), .lease_time_s = 120 },
	};
	struct fp_dhcp_reservation res[1] = { { .mac = { 2, 0, 0, 0, 0, 3 }, .ip = A("10.0.0.50") } };
	struct fp_dhcp_config cfg = { .present = true, .server_id = A("10.0.0.1"),
				      .pools = pools, .n_pools = 2,
				      .reservations = res, .n_reservations = 1 };
	struct fp_dhcp_db *db;
	uint8_t b[600], out[FP_DHCP_MSG_MAX];
	time_t now = 1700000000;
	size_t parsed = 0, replies = 0;

	(void)state;
	assert_int_equal(fp_dhcp_db_open(NULL, now, &db), 0);
	for (long it = 0; it < ITERATIONS; it++) {
		struct fp_dhcp_request req = { 0 };
		struct fp_dhcp_decision d;
		size_t n = seed_msg(b, (int)(rnd() % 4));
		uint32_t how = rnd() % 8;

		if (how == 0) {
			n = rnd() % sizeof(b);
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)rnd();
		} else if (how == 1) {
			n = rnd() % (n + 1);                       /* truncation */
		} else if (how == 2) {
			b[240 + 1 + rnd() % 4] = (uint8_t)rnd();     /* a length byte */
		} else if (how <= 5) {
			for (uint32_t k = rnd() % 4 + 1; k; k--)
				b[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		}                                                /* else: intact */
		if (fp_dhcp_parse(b, n, &req.msg))
			continue;
		parsed++;
		req.vlan = (uint16_t)(rnd() % 2);
		fp_dhcp_decide(&cfg, db, &req, now, &d);
		if (d.reply.type) {
			replies++;
			assert_true(req.msg.op == 1 && req.msg.htype == 1 && req.msg.hlen == 6);
			assert_true(req.msg.type == FP_DHCPDISCOVER || req.msg.type == FP_DHCPREQUEST ||
				    req.msg.type == FP_DHCPINFORM);
			if (d.reply.yiaddr.s_addr)
				assert_true(yiaddr_ok(&cfg, d.reply.yiaddr));
			assert_true(fp_dhcp_build(&d.reply, out, sizeof(out)) >= 300);
		}
		assert_int_equal(fp_dhcp_apply(db, &d, now), 0);
		if (it % 97 == 0)
			now++;
		if (it % 1000 == 0) {
			struct check c = { db, 0 };

			fp_dhcp_db_expire(db, now, NULL, NULL);
			fp_dhcp_db_each(db, check_entry, &c);
			assert_int_equal(c.n, fp_dhcp_db_count(db));
		}
	}
	print_message("%d iterations, %zu parsed, %zu replies\n", ITERATIONS, parsed, replies);
	assert_true(parsed > 1000 && replies > 1000);
	fp_dhcp_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_fuzz_parse_and_decide_keep_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
