// SPDX-License-Identifier: BSD-2-Clause
/* The RFC 2131 server core (fp_dhcp_decide + fp_dhcp_apply) on an
 * in-memory database: one client state or message per test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <fastpath/dhcp.h>
#include "dhcp/dhcp_server.h" /* the rate limiter, the clocks */

/* where fp_dhcp_db_by_key/_by_ip copy what they find */
static struct fp_dhcp_lease_rec found;

#define NOW 1700000000

static struct fp_dhcp_pool pools[2];
static struct fp_dhcp_reservation res[1];
static struct fp_dhcp_config cfg;
static struct fp_dhcp_db *db;

static struct in_addr A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static int setup(void **state)
{
	(void)state;
	memset(pools, 0, sizeof(pools));
	pools[0] = (struct fp_dhcp_pool){ .subnet = A("10.0.0.0"), .prefix_len = 24,
		.range_lo = A("10.0.0.100"), .range_hi = A("10.0.0.103"),
		.router = A("10.0.0.1"), .dns = { A("10.0.0.1") }, .n_dns = 1,
		.lease_time_s = 3600 };
	pools[1] = (struct fp_dhcp_pool){ .subnet = A("10.1.0.0"), .prefix_len = 24,
		.range_lo = A("10.1.0.100"), .range_hi = A("10.1.0.200"),
		.lease_time_s = 600 };
	res[0] = (struct fp_dhcp_reservation){ .mac = { 2, 0, 0, 0, 0, 0x99 }, .ip = A("10.0.0.50") };
	memset(&cfg, 0, sizeof(cfg));
	cfg.present = true;
	cfg.server_id = A("10.0.0.1");
	cfg.pools = pools;
	cfg.n_pools = 2;
	cfg.reservations = res;
	cfg.n_reservations = 1;
	return fp_dhcp_db_open(NULL, NOW, &db);
}

static int teardown(void **state)
{
	(void)state;
	fp_dhcp_db_close(db);
	return 0;
}

static struct fp_dhcp_request req(uint8_t type, uint8_t id)
{
	struct fp_dhcp_request r = { 0 };

	r.msg.op = 1;
	r.msg.htype = 1;
	r.msg.hlen = 6;
	r.msg.xid = 0x1234;
	r.msg.type = type;
	r.msg.chaddr[0] = 2;
	r.msg.chaddr[5] = id;
	memcpy(r.src_mac, r.msg.chaddr, 6);
	return r;
}

static struct fp_dhcp_decision run(const struct fp_dhcp_request *r, time_t now)
{
	struct fp_dhcp_decision d;

	fp_dhcp_decide(&cfg, db, r, now, &d);
	assert_int_equal(fp_dhcp_apply(db, &d, now), 0);
	return d;
}

/* DISCOVER then REQUEST (SELECTING) from client ID: its bound address. */
static struct in_addr bind_client(uint8_t id)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, id);
	struct fp_dhcp_decision d = run(&r, NOW);

	assert_int_equal(d.reply.type, FP_DHCPOFFER);
	r = req(FP_DHCPREQUEST, id);
	r.msg.has_server_id = true;
	r.msg.server_id = cfg.server_id;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = d.reply.yiaddr;
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPACK);
	return d.reply.yiaddr;
}

static bool in_range0(struct in_addr a)
{
	return ntohl(a.s_addr) >= 0x0a000064 && ntohl(a.s_addr) <= 0x0a000067;
}

static void test_dhcp_discover_offers_free_address_in_range(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d = run(&r, NOW);

	(void)state;
	assert_int_equal(d.reply.type, FP_DHCPOFFER);
	assert_true(in_range0(d.reply.yiaddr));
	assert_int_equal(d.reply.lease_s, 3600);
	assert_int_equal(d.counter, FP_DHCP_SLOW_OFFER);
	assert_int_equal(fp_dhcp_db_by_ip(db, d.reply.yiaddr, &found)->state, FP_DHCP_LEASE_OFFERED);
}

static void test_dhcp_discover_offer_goes_unicast_to_yiaddr_at_chaddr(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d = run(&r, NOW);

	(void)state;
	assert_int_equal(d.dest, FP_DHCP_DEST_UNICAST);
	assert_int_equal(d.dst_ip.s_addr, d.reply.yiaddr.s_addr);
	assert_memory_equal(d.dst_mac, r.msg.chaddr, 6);
}

static void test_dhcp_discover_with_broadcast_bit_is_broadcast(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.flags = 0x8000;
	d = run(&r, NOW);
	assert_int_equal(d.dest, FP_DHCP_DEST_BROADCAST);
	assert_int_equal(d.dst_ip.s_addr, INADDR_BROADCAST);
	assert_int_equal(d.reply.flags, 0x8000);
}

static void test_dhcp_discover_offers_reserved_address_to_reserved_mac(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 0x99);
	struct fp_dhcp_decision d = run(&r, NOW);

	(void)state;
	assert_int_equal(d.reply.yiaddr.s_addr, A("10.0.0.50").s_addr);
}

static void test_dhcp_discover_offers_existing_binding(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d = run(&r, NOW + 5);

	(void)state;
	assert_int_equal(d.reply.yiaddr.s_addr, ip.s_addr);
	assert_int_equal(d.change, FP_DHCP_CHANGE_NONE);   /* the binding stays BOUND */
	assert_int_equal(fp_dhcp_db_by_key(db, &d.rec.key, &found)->state, FP_DHCP_LEASE_BOUND);
}

static void test_dhcp_discover_honours_free_requested_address(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = A("10.0.0.102");
	d = run(&r, NOW);
	assert_int_equal(d.reply.yiaddr.s_addr, A("10.0.0.102").s_addr);
}

static void test_dhcp_discover_ignores_requested_address_outside_range(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = A("10.0.0.20");
	d = run(&r, NOW);
	assert_true(in_range0(d.reply.yiaddr));
}

static void test_dhcp_discover_never_offers_reserved_address_to_others(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = A("10.0.0.50");
	d = run(&r, NOW);
	assert_int_not_equal(d.reply.yiaddr.s_addr, A("10.0.0.50").s_addr);
}

static void test_dhcp_discover_pool_exhausted_sends_nothing_and_counts_error(void **state)
{
	struct fp_dhcp_request r;
	struct fp_dhcp_decision d;

	(void)state;
	for (uint8_t i = 1; i <= 4; i++)
		bind_client(i);
	r = req(FP_DHCPDISCOVER, 5);
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, 0);
	assert_int_equal(d.counter, FP_DHCP_SLOW_ERR);
}

static void test_dhcp_discover_relayed_uses_giaddr_pool_and_echoes_option_82(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.giaddr = A("10.1.0.1");
	r.msg.has_relay = true;
	r.msg.relay_len = 4;
	memcpy(r.msg.relay, "\x01\x02" "ab", 4);
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPOFFER);
	assert_int_equal(ntohl(d.reply.yiaddr.s_addr) >> 8, 0x0a0100);
	assert_int_equal(d.reply.lease_s, 600);
	assert_int_equal(d.dest, FP_DHCP_DEST_RELAY);
	assert_int_equal(d.dst_ip.s_addr, A("10.1.0.1").s_addr);
	assert_int_equal(d.reply.giaddr.s_addr, A("10.1.0.1").s_addr);
	assert_int_equal(d.reply.relay_len, 4);
	assert_memory_equal(d.reply.relay, "\x01\x02" "ab", 4);
}

static void test_dhcp_request_selecting_acks_offered_address(void **state)
{
	struct in_addr ip;

	(void)state;
	ip = bind_client(1);
	assert_true(in_range0(ip));
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->state, FP_DHCP_LEASE_BOUND);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->expires, NOW + 3600);
}

static void test_dhcp_request_selecting_naks_address_leased_to_another(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPREQUEST, 2);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.has_server_id = true;
	r.msg.server_id = cfg.server_id;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = ip;
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPNAK);
	assert_int_equal(d.dest, FP_DHCP_DEST_BROADCAST);
	assert_int_equal(d.reply.yiaddr.s_addr, 0);
	assert_int_equal(d.reply.lease_s, 0);
}

static void test_dhcp_request_selecting_other_server_frees_offer(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d = run(&r, NOW);
	struct in_addr ip = d.reply.yiaddr;

	(void)state;
	r = req(FP_DHCPREQUEST, 1);
	r.msg.has_server_id = true;
	r.msg.server_id = A("10.0.0.254");
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = A("10.0.0.77");
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, 0);
	assert_null(fp_dhcp_db_by_ip(db, ip, &found));
}

static struct fp_dhcp_decision init_reboot(uint8_t id, const char *ip)
{
	struct fp_dhcp_request r = req(FP_DHCPREQUEST, id);

	r.msg.has_requested_ip = true;
	r.msg.requested_ip = A(ip);
	return run(&r, NOW + 10);
}

static void test_dhcp_request_init_reboot_acks_own_binding(void **state)
{
	struct in_addr ip = bind_client(1);
	char s[16];
	struct fp_dhcp_decision d;

	(void)state;
	inet_ntop(AF_INET, &ip, s, sizeof(s));
	d = init_reboot(1, s);
	assert_int_equal(d.reply.type, FP_DHCPACK);
	assert_int_equal(d.reply.yiaddr.s_addr, ip.s_addr);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->expires, NOW + 10 + 3600);
}

static void test_dhcp_request_init_reboot_naks_wrong_subnet(void **state)
{
	(void)state;
	bind_client(1);
	assert_int_equal(init_reboot(1, "10.1.0.150").reply.type, FP_DHCPNAK);
}

/* RFC 2131 §4.3.2: without a record of the client the server MUST stay
 * silent, also when the address is on another network. */
static void test_dhcp_request_init_reboot_silent_for_unknown_client_on_wrong_subnet(void **state)
{
	struct fp_dhcp_decision d = init_reboot(7, "10.1.0.150");

	(void)state;
	assert_int_equal(d.reply.type, 0);
	assert_int_equal(d.change, FP_DHCP_CHANGE_NONE);
}

static void test_dhcp_request_init_reboot_naks_address_of_another(void **state)
{
	struct in_addr ip = bind_client(1);
	char s[16];

	(void)state;
	bind_client(2);
	inet_ntop(AF_INET, &ip, s, sizeof(s));
	assert_int_equal(init_reboot(2, s).reply.type, FP_DHCPNAK);
}

/* RFC 2131 §4.3.2: no record of the client, no answer (never an ACK of a
 * free address it was never given). */
static void test_dhcp_request_init_reboot_silent_for_client_without_binding(void **state)
{
	struct fp_dhcp_decision d = init_reboot(7, "10.0.0.101");

	(void)state;
	assert_int_equal(d.reply.type, 0);
	assert_int_equal(d.change, FP_DHCP_CHANGE_NONE);
	assert_null(fp_dhcp_db_by_ip(db, A("10.0.0.101"), &found));
}

static void test_dhcp_request_init_reboot_silent_for_unknown_address_outside_range(void **state)
{
	struct fp_dhcp_decision d = init_reboot(7, "10.0.0.20");

	(void)state;
	assert_int_equal(d.reply.type, 0);
	assert_int_equal(d.change, FP_DHCP_CHANGE_NONE);
}

static void test_dhcp_request_init_reboot_never_acks_reserved_address_of_another(void **state)
{
	(void)state;
	assert_int_not_equal(init_reboot(7, "10.0.0.50").reply.type, FP_DHCPACK);
	assert_null(fp_dhcp_db_by_ip(db, A("10.0.0.50"), &found));
}

static void test_dhcp_request_renewing_acks_bound_address(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPREQUEST, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.ciaddr = ip;
	d = run(&r, NOW + 1800);
	assert_int_equal(d.reply.type, FP_DHCPACK);
	assert_int_equal(d.reply.yiaddr.s_addr, ip.s_addr);
	assert_int_equal(d.reply.ciaddr.s_addr, ip.s_addr);
	assert_int_equal(d.dest, FP_DHCP_DEST_UNICAST);
	assert_int_equal(d.dst_ip.s_addr, ip.s_addr);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->expires, NOW + 1800 + 3600);
}

static void test_dhcp_request_renewing_naks_address_not_bound_to_client(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPREQUEST, 2);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.ciaddr = ip;
	d = run(&r, NOW + 10);
	assert_int_equal(d.reply.type, FP_DHCPNAK);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->chaddr[5], 1);
}

static void test_dhcp_request_relayed_nak_goes_to_giaddr_with_broadcast_bit(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPREQUEST, 1);
	struct fp_dhcp_decision d;

	(void)state;
	bind_client(1); /* a client with no binding gets no answer */
	r.msg.giaddr = A("10.1.0.1");
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = A("10.0.0.100");
	d = run(&r, NOW + 10);
	assert_int_equal(d.reply.type, FP_DHCPNAK);
	assert_int_equal(d.dest, FP_DHCP_DEST_RELAY);
	assert_int_equal(d.reply.flags & 0x8000, 0x8000);
}

static void test_dhcp_release_frees_binding(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPRELEASE, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.ciaddr = ip;
	d = run(&r, NOW + 5);
	assert_int_equal(d.reply.type, 0);
	assert_int_equal(d.counter, FP_DHCP_SLOW_RELEASE);
	assert_null(fp_dhcp_db_by_ip(db, ip, &found));
}

static void test_dhcp_release_of_another_clients_address_is_ignored(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPRELEASE, 2);

	(void)state;
	r.msg.ciaddr = ip;
	run(&r, NOW + 5);
	assert_non_null(fp_dhcp_db_by_ip(db, ip, &found));
}

static void test_dhcp_decline_quarantines_address_for_lease_time(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPDECLINE, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = ip;
	d = run(&r, NOW);
	assert_int_equal(d.counter, FP_DHCP_SLOW_DECLINE);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->state, FP_DHCP_LEASE_DECLINED);
	/* never offered while quarantined, to anyone */
	for (uint8_t id = 1; id < 40; id++) {
		r = req(FP_DHCPDISCOVER, id);
		r.msg.has_requested_ip = true;
		r.msg.requested_ip = ip;
		fp_dhcp_decide(&cfg, db, &r, NOW + 3599, &d);
		assert_int_not_equal(d.reply.yiaddr.s_addr, ip.s_addr);
	}
	r = req(FP_DHCPDISCOVER, 2);
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = ip;
	fp_dhcp_decide(&cfg, db, &r, NOW + 3600, &d);
	assert_int_equal(d.reply.yiaddr.s_addr, ip.s_addr);
}

static void test_dhcp_inform_acks_without_address_or_lease_time(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPINFORM, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.ciaddr = A("10.0.0.20");
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPACK);
	assert_int_equal(d.reply.yiaddr.s_addr, 0);
	assert_int_equal(d.reply.lease_s, 0);
	assert_true(d.reply.has_mask);
	assert_int_equal(d.dest, FP_DHCP_DEST_UNICAST);
	assert_int_equal(d.dst_ip.s_addr, A("10.0.0.20").s_addr);
	assert_int_equal(d.change, FP_DHCP_CHANGE_NONE);
}

static void test_dhcp_client_id_and_vlan_make_distinct_clients(void **state)
{
	struct fp_dhcp_request a = req(FP_DHCPDISCOVER, 1), b = a;
	struct fp_dhcp_decision da, db2;

	(void)state;
	b.vlan = 10;
	da = run(&a, NOW);
	db2 = run(&b, NOW);
	assert_int_not_equal(da.reply.yiaddr.s_addr, db2.reply.yiaddr.s_addr);
	assert_int_equal(db2.rec.key.vlan, 10);
}


static void test_dhcp_offer_and_ack_echo_client_identifier(void **state)
{
	static const uint8_t id[] = { 0xff, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.has_client_id = true;
	r.msg.client_id_len = sizeof(id);
	memcpy(r.msg.client_id, id, sizeof(id));
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPOFFER);
	assert_int_equal(d.reply.client_id_len, sizeof(id));
	assert_memory_equal(d.reply.client_id, id, sizeof(id));
	r.msg.type = FP_DHCPREQUEST;
	r.msg.has_server_id = true;
	r.msg.server_id = cfg.server_id;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = d.reply.yiaddr;
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPACK);
	assert_memory_equal(d.reply.client_id, id, sizeof(id));
}

static void test_dhcp_offer_has_ciaddr_zero(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.ciaddr = A("10.0.0.77");
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPOFFER);
	assert_int_equal(d.reply.ciaddr.s_addr, 0);
}

static void test_dhcp_offer_is_held_for_offer_hold(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d;

	(void)state;
	cfg.offer_hold_s = 3;
	d = run(&r, NOW);
	assert_int_equal(fp_dhcp_db_by_ip(db, d.reply.yiaddr, &found)->expires, NOW + 3);
}

static void test_dhcp_rebinding_relayed_from_another_network_is_naked(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPREQUEST, 1);
	struct fp_dhcp_decision d;

	(void)state;
	r.msg.ciaddr = ip;
	r.msg.giaddr = A("10.1.0.1");   /* moved behind the relay of pool 1 */
	d = run(&r, NOW + 5);
	assert_int_equal(d.reply.type, FP_DHCPNAK);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->expires, NOW + 3600);
}

static void test_dhcp_decline_of_an_offered_address_is_ignored(void **state)
{
	struct fp_dhcp_request r = req(FP_DHCPDISCOVER, 1);
	struct fp_dhcp_decision d = run(&r, NOW);

	(void)state;
	r = req(FP_DHCPDECLINE, 1);
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = d.reply.yiaddr;
	d = run(&r, NOW);
	assert_int_equal(d.change, FP_DHCP_CHANGE_NONE);
	assert_int_equal(d.counter, FP_DHCP_SLOW_DROPPED);
	assert_int_not_equal(fp_dhcp_db_by_ip(db, r.msg.requested_ip, &found)->state,
			     FP_DHCP_LEASE_DECLINED);
}

static void test_dhcp_decline_quarantine_lasts_decline_hold(void **state)
{
	struct in_addr ip = bind_client(1);
	struct fp_dhcp_request r = req(FP_DHCPDECLINE, 1);

	(void)state;
	cfg.decline_hold_s = 120;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = ip;
	run(&r, NOW);
	assert_int_equal(fp_dhcp_db_by_ip(db, ip, &found)->expires, NOW + 120);
}

/* A flood of DISCOVERs from clients that never REQUEST fills the pool
 * with offers; a client that does REQUEST is still served. */
static void test_dhcp_discover_flood_does_not_starve_a_requesting_client(void **state)
{
	struct fp_dhcp_request r;
	struct fp_dhcp_decision d;

	(void)state;
	for (int i = 0; i < 200; i++) {
		r = req(FP_DHCPDISCOVER, (uint8_t)(100 + i % 100));
		r.msg.chaddr[4] = (uint8_t)(i / 100 + 1);
		run(&r, NOW);
	}
	r = req(FP_DHCPDISCOVER, 1);
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPOFFER);
	for (int i = 0; i < 10; i++) {         /* more flood between OFFER and REQUEST */
		struct fp_dhcp_request f = req(FP_DHCPDISCOVER, (uint8_t)(200 + i));

		run(&f, NOW);
	}
	r = req(FP_DHCPREQUEST, 1);
	r.msg.has_server_id = true;
	r.msg.server_id = cfg.server_id;
	r.msg.has_requested_ip = true;
	r.msg.requested_ip = d.reply.yiaddr;
	d = run(&r, NOW);
	assert_int_equal(d.reply.type, FP_DHCPACK);
	assert_int_equal(fp_dhcp_db_by_ip(db, d.reply.yiaddr, &found)->state, FP_DHCP_LEASE_BOUND);
}

static void test_dhcp_rate_limit_allows_a_burst_then_the_rate(void **state)
{
	static struct fp_dhcp_limiter l;
	int64_t t = 1000000000000ll;
	int ok = 0;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.per_s = 10;
	for (int i = 0; i < 100; i++)
		ok += fp_dhcp_limit_allow(&l, 7, t);
	assert_int_equal(ok, 10);                        /* a second's worth at once */
	assert_true(fp_dhcp_limit_allow(&l, 8, t));      /* another id has its own */
	assert_false(fp_dhcp_limit_allow(&l, 7, t + 50000000));
	assert_true(fp_dhcp_limit_allow(&l, 7, t + 100000000)); /* one each 100 ms */
	assert_false(fp_dhcp_limit_allow(&l, 7, t + 100000000));
}

static void test_dhcp_expiry_survives_the_clock_conversion_exactly(void **state)
{
	time_t wall = fp_dhcp_now() + 3600;

	(void)state;
	/* wall -> CLOCK_MONOTONIC -> wall: the same second, never earlier */
	assert_int_equal(fp_dhcp_mono_ns_to_wall(fp_dhcp_wall_to_mono_ns(wall)), wall);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_dhcp_discover_offers_free_address_in_range),
		T(test_dhcp_discover_offer_goes_unicast_to_yiaddr_at_chaddr),
		T(test_dhcp_discover_with_broadcast_bit_is_broadcast),
		T(test_dhcp_discover_offers_reserved_address_to_reserved_mac),
		T(test_dhcp_discover_offers_existing_binding),
		T(test_dhcp_discover_honours_free_requested_address),
		T(test_dhcp_discover_ignores_requested_address_outside_range),
		T(test_dhcp_discover_never_offers_reserved_address_to_others),
		T(test_dhcp_discover_pool_exhausted_sends_nothing_and_counts_error),
		T(test_dhcp_discover_relayed_uses_giaddr_pool_and_echoes_option_82),
		T(test_dhcp_request_selecting_acks_offered_address),
		T(test_dhcp_request_selecting_naks_address_leased_to_another),
		T(test_dhcp_request_selecting_other_server_frees_offer),
		T(test_dhcp_request_init_reboot_acks_own_binding),
		T(test_dhcp_request_init_reboot_naks_wrong_subnet),
		T(test_dhcp_request_init_reboot_silent_for_unknown_client_on_wrong_subnet),
		T(test_dhcp_request_init_reboot_naks_address_of_another),
		T(test_dhcp_request_init_reboot_silent_for_client_without_binding),
		T(test_dhcp_request_init_reboot_silent_for_unknown_address_outside_range),
		T(test_dhcp_request_init_reboot_never_acks_reserved_address_of_another),
		T(test_dhcp_request_renewing_acks_bound_address),
		T(test_dhcp_request_renewing_naks_address_not_bound_to_client),
		T(test_dhcp_request_relayed_nak_goes_to_giaddr_with_broadcast_bit),
		T(test_dhcp_release_frees_binding),
		T(test_dhcp_release_of_another_clients_address_is_ignored),
		T(test_dhcp_decline_quarantines_address_for_lease_time),
		T(test_dhcp_inform_acks_without_address_or_lease_time),
		T(test_dhcp_client_id_and_vlan_make_distinct_clients),
		T(test_dhcp_offer_and_ack_echo_client_identifier),
		T(test_dhcp_offer_has_ciaddr_zero),
		T(test_dhcp_offer_is_held_for_offer_hold),
		T(test_dhcp_rebinding_relayed_from_another_network_is_naked),
		T(test_dhcp_decline_of_an_offered_address_is_ignored),
		T(test_dhcp_decline_quarantine_lasts_decline_hold),
		T(test_dhcp_discover_flood_does_not_starve_a_requesting_client),
		T(test_dhcp_rate_limit_allows_a_burst_then_the_rate),
		T(test_dhcp_expiry_survives_the_clock_conversion_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
