// SPDX-License-Identifier: BSD-2-Clause
/* The config's shaper: section (src/lib/shaper/shaper_config.c): what
 * parses into which fields, the defaults, and each mistake refused with
 * its line, as fp_shaper_apply would refuse it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <fastpath/config.h>

#define HEAD "orchestrator: {ebpf: {enabled: false}}\n"

static int parse(const char *text, struct fp_config *cfg, struct fp_config_error *err)
{
	return fp_config_parse(text, strlen(text), "shaper.yaml", cfg, err);
}

static void refused(const char *text, const char *needle)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("error lacks \"%s\": %s", needle, err.msg);
}

static void test_shaper_section_parses_every_field(void **state)
{
	static const char text[] = HEAD
		"shaper:\n"
		"  - interface: eth0\n"
		"    bandwidth_limit: 100mbit\n"
		"    latency_target: 20ms\n"
		"    classes:\n"
		"      - match: {dest: 10.1.0.0/16, protocol: tcp, port: 443}\n"
		"        rate: 60mbit\n"
		"        ceil: 100mbit\n"
		"        priority: 1\n"
		"      - {match: {protocol: udp, port: 1000-2000}, rate: 10mbit}\n"
		"  - {interface: eth1, bandwidth_limit: 1gbit}\n";
	struct fp_config_error err = { 0 };
	struct fp_config cfg;
	const struct fp_shaper_class *c;

	(void)state;
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(cfg.shaper.n, 2);
	assert_string_equal(cfg.shaper.ifaces[0].interface, "eth0");
	assert_int_equal(cfg.shaper.ifaces[0].bandwidth_limit, 100000000);
	assert_int_equal(cfg.shaper.ifaces[0].latency_ms, 20);
	assert_int_equal(cfg.shaper.ifaces[0].n_classes, 2);
	c = &cfg.shaper.ifaces[0].classes[0];
	assert_int_equal(c->dest.family, AF_INET);
	assert_int_equal(c->dest.len, 16);
	assert_int_equal(c->dest.addr[0], 10);
	assert_int_equal(c->dest.addr[1], 1);
	assert_int_equal(c->proto, IPPROTO_TCP);
	assert_int_equal(c->port[0], 443);
	assert_int_equal(c->port[1], 443);
	assert_int_equal(c->rate, 60000000);
	assert_int_equal(c->ceil, 100000000);
	assert_int_equal(c->priority, 1);
	assert_int_equal(c->line, 7);
	c = &cfg.shaper.ifaces[0].classes[1];
	assert_int_equal(c->port[0], 1000);
	assert_int_equal(c->port[1], 2000);
	assert_int_equal(c->dest.family, 0);
	/* latency_target defaults to 50 ms. */
	assert_int_equal(cfg.shaper.ifaces[1].latency_ms, 50);
	assert_int_equal(cfg.shaper.ifaces[1].n_classes, 0);
	fp_config_free(&cfg);
	assert_null(cfg.shaper.ifaces);
}

static void test_shaper_absent_means_none(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(HEAD, &cfg, &err), 0);
	assert_int_equal(cfg.shaper.n, 0);
	fp_config_free(&cfg);
}

static void test_shaper_bad_rate_named(void **state)
{
	(void)state;
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: fast}]\n",
		"shaper.yaml:2: shaper[0].bandwidth_limit: 'fast' is not a rate");
}

static void test_shaper_limit_required(void **state)
{
	(void)state;
	refused(HEAD "shaper: [{interface: eth0}]\n", "bandwidth_limit");
}

static void test_shaper_oversubscribed_classes_refused_at_their_line(void **state)
{
	(void)state;
	refused(HEAD "shaper:\n"
		"  - interface: eth0\n"
		"    bandwidth_limit: 100mbit\n"
		"    classes: [{rate: 60mbit}, {rate: 60mbit}]\n",
		"shaper.yaml:3: shaper[0]: the classes' rates add up to more than bandwidth_limit");
}

static void test_shaper_port_without_protocol_refused(void **state)
{
	(void)state;
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: 10mbit,\n"
		"          classes: [{match: {port: 80}, rate: 1mbit}]}]\n",
		"a port needs protocol tcp or udp");
}

static void test_shaper_duplicate_interface_refused(void **state)
{
	(void)state;
	refused(HEAD "shaper:\n"
		"  - {interface: eth0, bandwidth_limit: 10mbit}\n"
		"  - {interface: eth0, bandwidth_limit: 20mbit}\n",
		"'eth0' is shaped already on line 3");
}

static void test_shaper_bad_match_key_suggested(void **state)
{
	(void)state;
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: 10mbit,\n"
		"          classes: [{match: {destination: 10.0.0.0/8}, rate: 1mbit}]}]\n",
		"unknown key 'destination'; shaper[0].classes[0].match takes: dest, protocol, port");
}

static void test_shaper_icmp_of_the_other_family_refused(void **state)
{
	(void)state;
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: 10mbit,\n"
		"          classes: [{match: {dest: 10.1.0.0/16, protocol: icmpv6}, rate: 1mbit}]}]\n",
		"protocol icmpv6 with an IPv4 dest matches nothing");
}

static void test_shaper_priority_range(void **state)
{
	(void)state;
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: 10mbit,\n"
		"          classes: [{rate: 1mbit, priority: 8}]}]\n",
		"priority");
}

/* TBF's rate is 32-bit bytes a second: a limit it cannot hold is refused
 * by the check, not by the kernel at apply time; with classes (HTB, 64-bit
 * rates) it is taken. A rate near 2^64 does not overflow the queue's
 * check, which still refuses a queue of less than two frames. */
static void test_shaper_tbf_limit_above_its_range_refused(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: 20gbit}]\n",
		"bandwidth_limit above 17gbit needs classes");
	assert_int_equal(parse(HEAD "shaper: [{interface: eth0, bandwidth_limit: 20gbit,\n"
			       "          classes: [{rate: 1gbit}]}]\n", &cfg, &err), 0);
	fp_config_free(&cfg);
	assert_int_equal(parse(HEAD "shaper: [{interface: eth0, bandwidth_limit: "
			       "18446744073709551615,\n          latency_target: 1ms, "
			       "classes: [{rate: 1gbit}]}]\n", &cfg, &err), 0);
	fp_config_free(&cfg);
	refused(HEAD "shaper: [{interface: eth0, bandwidth_limit: 10mbit, latency_target: 1ms}]\n",
		"latency_target is shorter than two full frames");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shaper_section_parses_every_field),
		cmocka_unit_test(test_shaper_absent_means_none),
		cmocka_unit_test(test_shaper_bad_rate_named),
		cmocka_unit_test(test_shaper_limit_required),
		cmocka_unit_test(test_shaper_oversubscribed_classes_refused_at_their_line),
		cmocka_unit_test(test_shaper_port_without_protocol_refused),
		cmocka_unit_test(test_shaper_duplicate_interface_refused),
		cmocka_unit_test(test_shaper_bad_match_key_suggested),
		cmocka_unit_test(test_shaper_priority_range),
		cmocka_unit_test(test_shaper_icmp_of_the_other_family_refused),
		cmocka_unit_test(test_shaper_tbf_limit_above_its_range_refused),
	};

	return cmocka_run_group_tests_name("shaper config", tests, NULL, NULL);
}
