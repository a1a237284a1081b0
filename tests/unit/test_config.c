// SPDX-License-Identifier: BSD-2-Clause
/* The configuration file, checked against include/fastpath/config.h and
 * docs/config.md: what parses into which fields, and that each kind of
 * mistake is refused with its line and key. Small samples are inline and
 * named "bad.yaml"; whole files are examples/fastpath.yaml and the files
 * in tests/config/, found from this file's path (run from the top of the
 * repository, as `make test` does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <fastpath/config.h>

#define NAME "bad.yaml"

/* repo_path: PATH relative to the repository top, which is where this
 * file's __FILE__ ("tests/unit/test_config.c" or an absolute one) ends. */
static const char *repo_path(const char *path)
{
	static char buf[PATH_MAX];
	const char *tail = strstr(__FILE__, "tests/unit/test_config.c");
	int top = tail ? (int)(tail - __FILE__) : 0;

	snprintf(buf, sizeof(buf), "%.*s%s", top, __FILE__, path);
	return buf;
}

static int parse(const char *text, struct fp_config *cfg,
		 struct fp_config_error *err)
{
	return fp_config_parse(text, strlen(text), NAME, cfg, err);
}

static int parse_fw(const char *text, struct fp_firewall_config *fw,
		    struct fp_config_error *err)
{
	return fp_firewall_config_parse(text, strlen(text), NAME, fw, err);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void expect_in(const char *msg, const char *needle)
{
	if (!strstr(msg, needle))
		fail_msg("expected \"%s\" in the error:\n%s", needle, msg);
}

/* expect_rejected: TEXT is refused with -EINVAL, the error holds every
 * string given (NULL ends them), and *cfg is left zeroed. */
static void expect_rejected(const char *text, ...)
{
	struct fp_config_error err;
	struct fp_config cfg;
	const char *needle;
	va_list ap;

	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	assert_true(all_zero(&cfg, sizeof(cfg)));
	va_start(ap, text);
	while ((needle = va_arg(ap, const char *)))
		expect_in(err.msg, needle);
	va_end(ap);
}

static void expect_fw_rejected(const char *text, ...)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;
	const char *needle;
	va_list ap;

	memset(&fw, 0xa5, sizeof(fw));
	assert_int_equal(parse_fw(text, &fw, &err), -EINVAL);
	assert_true(all_zero(&fw, sizeof(fw)));
	va_start(ap, text);
	while ((needle = va_arg(ap, const char *)))
		expect_in(err.msg, needle);
	va_end(ap);
}

static size_t count_lines(const char *s)
{
	size_t n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void assert_ipv4(struct in_addr a, const char *want)
{
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void assert_prefix(const struct fp_fw_prefix *p, int family,
			  const char *addr, unsigned int len)
{
	char buf[INET6_ADDRSTRLEN];

	assert_true(p->present);
	assert_int_equal(p->family, family);
	inet_ntop(family, p->addr, buf, sizeof(buf));
	assert_string_equal(buf, addr);
	assert_int_equal(p->len, len);
}

/* ---- files that parse -------------------------------------------------- */

/* The lease cache by default: the pools' addresses and the reservations,
 * to a power of two, at most 2^24; lease_cache_size as it is. */
static void test_lease_cache_sized_from_pools(void **state)
{
	struct fp_dhcp_pool pools[2] = { 0 };
	struct fp_dhcp_config d = { .pools = pools, .n_pools = 2, .n_reservations = 3 };

	(void)state;
	inet_pton(AF_INET, "10.0.0.10", &pools[0].range_lo);
	inet_pton(AF_INET, "10.0.0.109", &pools[0].range_hi);
	inet_pton(AF_INET, "10.1.0.0", &pools[1].range_lo);
	inet_pton(AF_INET, "10.1.0.24", &pools[1].range_hi);
	assert_int_equal(fp_dhcp_lease_cache(&d), 128); /* 100 + 25 + 3 */
	d.n_reservations = 4;
	assert_int_equal(fp_dhcp_lease_cache(&d), 256);
	d.lease_cache_size = 1000;
	assert_int_equal(fp_dhcp_lease_cache(&d), 1000);
	d.lease_cache_size = 0;
	inet_pton(AF_INET, "10.0.0.0", &pools[0].range_lo);
	inet_pton(AF_INET, "10.255.255.255", &pools[0].range_hi);
	assert_int_equal(fp_dhcp_lease_cache(&d), 1u << 24);
	d.n_pools = 0;
	d.n_reservations = 0;
	assert_int_equal(fp_dhcp_lease_cache(&d), 1);
}

static void test_example_file_parses_every_field(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;
	const struct fp_fw_rule *r;
	const struct fp_dhcp_pool *p;
	int ret;

	(void)state;
	ret = fp_config_load(repo_path("examples/fastpath.yaml"), &cfg, &err);
	if (ret)
		fail_msg("examples/fastpath.yaml: %d: %s", ret, err.msg);

	assert_true(cfg.ebpf.enabled);
	assert_int_equal(cfg.ebpf.n_interfaces, 2);
	assert_string_equal(cfg.ebpf.interfaces[0], "eth0");
	assert_string_equal(cfg.ebpf.interfaces[1], "eth1");
	assert_int_equal(cfg.ebpf.mode, FP_XDP_AUTO);
	assert_string_equal(cfg.ebpf.xdp_program, "/opt/fastpath/extra.o");
	assert_int_equal(cfg.prometheus_port, 9090);

	assert_int_equal(cfg.firewall.policy, FP_FW_ALLOW);
	assert_int_equal(cfg.firewall.n_rules, 7);
	r = cfg.firewall.rules;
	assert_int_equal(r[0].action, FP_FW_DROP);
	assert_int_equal(r[0].family, AF_INET);
	assert_prefix(&r[0].src, AF_INET, "192.168.1.0", 24);
	assert_false(r[0].dst.present);
	assert_int_equal(r[0].proto, 0);
	assert_int_equal(r[0].dport.lo, 0);
	assert_int_equal(r[0].dport.hi, 0);
	assert_string_equal(r[0].ifname, "");
	assert_prefix(&r[1].src, AF_INET, "203.0.113.7", 32);
	assert_int_equal(r[2].family, AF_INET6);
	assert_prefix(&r[2].src, AF_INET6, "2001:db8:bad::", 48);
	assert_prefix(&r[2].dst, AF_INET6, "2001:db8::", 32);
	assert_int_equal(r[3].action, FP_FW_ALLOW);
	assert_int_equal(r[3].proto, IPPROTO_TCP);
	assert_int_equal(r[3].dport.lo, 443);
	assert_int_equal(r[3].dport.hi, 443);
	assert_int_equal(r[3].family, 0);
	assert_int_equal(r[4].proto, IPPROTO_UDP);
	assert_int_equal(r[4].dport.lo, 1000);
	assert_int_equal(r[4].dport.hi, 2000);
	assert_string_equal(r[4].ifname, "eth1");
	assert_int_equal(r[5].proto, 0);
	assert_int_equal(r[5].sport.lo, 19);
	assert_int_equal(r[5].sport.hi, 19);
	assert_int_equal(r[6].proto, IPPROTO_ICMPV6);
	assert_prefix(&r[6].dst, AF_INET6, "::", 0);
	assert_true(r[0].line < r[1].line && r[5].line < r[6].line);

	assert_true(cfg.flows.enabled);
	assert_int_equal(cfg.flows.max_flows, 65536);
	assert_int_equal(cfg.flows.idle_timeout_ms, 30000);

	assert_true(cfg.dhcp.present);
	assert_string_equal(cfg.dhcp.interface, "eth1");
	assert_ipv4(cfg.dhcp.server_id, "10.0.0.1");
	assert_int_equal(cfg.dhcp.lease_cache_size, 200);
	assert_int_equal(fp_dhcp_lease_cache(&cfg.dhcp), 200);
	assert_int_equal(cfg.dhcp.n_pools, 1);
	p = &cfg.dhcp.pools[0];
	assert_ipv4(p->subnet, "10.0.0.0");
	assert_int_equal(p->prefix_len, 24);
	assert_ipv4(p->range_lo, "10.0.0.100");
	assert_ipv4(p->range_hi, "10.0.0.200");
	assert_ipv4(p->router, "10.0.0.1");
	assert_int_equal(p->n_dns, 2);
	assert_ipv4(p->dns[0], "10.0.0.1");
	assert_ipv4(p->dns[1], "9.9.9.9");
	assert_string_equal(p->domain, "example.lan");
	assert_int_equal(p->lease_time_s, 3600);
	assert_int_equal(cfg.dhcp.n_reservations, 1);
	assert_memory_equal(cfg.dhcp.reservations[0].mac,
			    ((uint8_t[]){ 2, 0, 0, 0, 0, 1 }), 6);
	assert_ipv4(cfg.dhcp.reservations[0].ip, "10.0.0.50");

	assert_int_equal(cfg.n_functions, 1);
	assert_string_equal(cfg.functions[0].id, "my-api");
	assert_int_equal(cfg.functions[0].trigger_port, 8080);
	assert_string_equal(cfg.functions[0].handler_path, "/opt/handlers/api.py");

	fp_config_free(&cfg);
	assert_true(all_zero(&cfg, sizeof(cfg)));
}

static void test_json_form_parses(void **state)
{
	static const char text[] =
		"{\n"
		"\t\"orchestrator\": {\n"
		"\t\t\"ebpf\": {\"enabled\": true, \"interfaces\": [\"eth0\", \"eth1\"],\n"
		"\t\t         \"mode\": \"native\"},\n"
		"\t\t\"prometheus_port\": 0\n"
		"\t},\n"
		"\t\"firewall\": {\"policy\": \"drop\", \"rules\": [\n"
		"\t\t{\"action\": \"allow\", \"protocol\": \"tcp\", \"port\": 22},\n"
		"\t\t{\"action\": \"allow\", \"source_ip\": \"2001:db8::/32\"}\n"
		"\t]},\n"
		"\t\"flows\": {\"enabled\": false, \"max_flows\": 1024, \"idle_timeout\": \"5m\"},\n"
		"\t\"dhcp\": {\"interface\": \"eth1\", \"server_id\": \"10.1.0.1\",\n"
		"\t\t\"pools\": [{\"subnet\": \"10.1.0.0/16\", \"range\": \"10.1.1.0-10.1.1.255\"}]},\n"
		"\t\"functions\": [{\"id\": \"f1\", \"trigger_port\": 8081,\n"
		"\t\t\"handler_path\": \"/srv/f1\"}]\n"
		"}\n";
	struct fp_config_error err;
	struct fp_config cfg;
	int ret;

	(void)state;
	ret = parse(text, &cfg, &err);
	if (ret)
		fail_msg("%d: %s", ret, err.msg);
	assert_int_equal(cfg.ebpf.n_interfaces, 2);
	assert_string_equal(cfg.ebpf.interfaces[1], "eth1");
	assert_int_equal(cfg.ebpf.mode, FP_XDP_NATIVE);
	assert_int_equal(cfg.prometheus_port, 0);
	assert_int_equal(cfg.firewall.policy, FP_FW_DROP);
	assert_int_equal(cfg.firewall.n_rules, 2);
	assert_int_equal(cfg.firewall.rules[0].dport.lo, 22);
	assert_int_equal(cfg.firewall.rules[1].family, AF_INET6);
	assert_false(cfg.flows.enabled);
	assert_int_equal(cfg.flows.max_flows, 1024);
	assert_int_equal(cfg.flows.idle_timeout_ms, 300000);
	assert_true(cfg.dhcp.present);
	assert_int_equal(cfg.dhcp.pools[0].prefix_len, 16);
	assert_int_equal(cfg.n_functions, 1);
	assert_int_equal(cfg.functions[0].trigger_port, 8081);
	fp_config_free(&cfg);
}

static void test_defaults_when_sections_absent(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator:\n  ebpf:\n    interface: eth0\n",
			       &cfg, &err), 0);
	assert_true(cfg.ebpf.enabled);
	assert_int_equal(cfg.ebpf.n_interfaces, 1);
	assert_string_equal(cfg.ebpf.interfaces[0], "eth0");
	assert_int_equal(cfg.ebpf.mode, FP_XDP_AUTO);
	assert_string_equal(cfg.ebpf.xdp_program, "");
	assert_int_equal(cfg.prometheus_port, 9090);
	assert_int_equal(cfg.firewall.policy, FP_FW_ALLOW);
	assert_int_equal(cfg.firewall.n_rules, 0);
	assert_null(cfg.firewall.rules);
	assert_true(cfg.flows.enabled);
	assert_int_equal(cfg.flows.max_flows, 65536);
	assert_int_equal(cfg.flows.idle_timeout_ms, 30000);
	assert_false(cfg.dhcp.present);
	assert_int_equal(cfg.n_functions, 0);
	assert_string_equal(err.msg, "");
	fp_config_free(&cfg);
}

static void test_dhcp_pool_defaults(void **state)
{
	static const char text[] =
		"orchestrator: {ebpf: {enabled: false}}\n"
		"dhcp:\n"
		"  interface: eth1\n"
		"  server_id: 10.0.0.1\n"
		"  pools:\n"
		"    - {subnet: 10.0.0.0/24, range: 10.0.0.10-10.0.0.20}\n";
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(text, &cfg, &err), 0);
	/* the cache: the range's 11 addresses, to a power of two */
	assert_int_equal(cfg.dhcp.lease_cache_size, 0);
	assert_int_equal(fp_dhcp_lease_cache(&cfg.dhcp), 16);
	assert_int_equal(cfg.dhcp.pools[0].lease_time_s, 3600);
	assert_int_equal(cfg.dhcp.pools[0].router.s_addr, 0);
	assert_int_equal(cfg.dhcp.pools[0].n_dns, 0);
	assert_string_equal(cfg.dhcp.pools[0].domain, "");
	assert_int_equal(cfg.dhcp.n_reservations, 0);
	fp_config_free(&cfg);
}

/* A firewall rule or XSK ports for an interface fastpath runs no pipeline
 * on would do nothing (a typo, most likely): refused, with the line. In
 * userspace-only mode nothing runs anywhere: not said here. */
static void test_rule_and_xsk_for_an_interface_not_served_refused(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	expect_rejected("orchestrator: {ebpf: {interfaces: [eth0, eth1]}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - {action: drop, protocol: icmp, interface: eht1}\n"
			"xsk:\n"
			"  - {interface: eth2, ports: [9]}\n",
			"bad.yaml:4: firewall.rules[0].interface: 'eht1' is not one of "
			"orchestrator.ebpf's interfaces (eth0, eth1)",
			"bad.yaml:6: xsk[0].interface: 'eth2' is not one of orchestrator.ebpf's "
			"interfaces (eth0, eth1)", NULL);
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}}\n"
			       "firewall: {rules: [{action: drop, protocol: icmp, interface: eht1}]}\n",
			       &cfg, &err), 0);
	fp_config_free(&cfg);
}

static void test_userspace_only_needs_no_interface(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}}\n", &cfg, &err), 0);
	assert_false(cfg.ebpf.enabled);
	assert_int_equal(cfg.ebpf.n_interfaces, 0);
	fp_config_free(&cfg);
}

static void test_xsk_section_parses(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator: {ebpf: {interfaces: [eth0, eth1]}}\n"
			       "xsk:\n"
			       "  - {interface: eth0, ports: [7000, 7001], queues: [0, 3]}\n"
			       "  - {interface: eth1, ports: [9]}\n", &cfg, &err), 0);
	assert_int_equal(cfg.n_xsk, 2);
	assert_string_equal(cfg.xsk[0].interface, "eth0");
	assert_int_equal(cfg.xsk[0].n_ports, 2);
	assert_int_equal(cfg.xsk[0].ports[1], 7001);
	assert_int_equal(cfg.xsk[0].queue_mask, 1u << 0 | 1u << 3);
	assert_int_equal(cfg.xsk[1].queue_mask, 0);
	fp_config_free(&cfg);
}

static void test_xsk_section_rejects_bad_entries(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"xsk: [{interface: eth0, ports: [0]}]\n", "xsk[0].ports[0]", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"xsk: [{interface: eth0, ports: []}]\n", "xsk[0].ports", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"xsk: [{interface: eth0, ports: [1], queues: [32]}]\n",
			"xsk[0].queues[0]", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"xsk: [{ports: [1]}]\n", "interface", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"xsk: [{interface: eth0, ports: [1]}, {interface: eth0, ports: [2]}]\n",
			"already has an entry", NULL);
}

static void test_durations_accept_every_unit(void **state)
{
	static const struct {
		const char *text;
		uint32_t ms;
	} cases[] = {
		{ "500ms", 500 }, { "30s", 30000 }, { "5m", 300000 },
		{ "1h", 3600000 }, { "1d", 86400000 }, { "45", 45000 },
		{ "\"45\"", 45000 },
	};
	struct fp_config_error err;
	struct fp_config cfg;
	char text[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "orchestrator: {ebpf: {enabled: false}}\n"
			 "flows: {idle_timeout: %s}\n", cases[i].text);
		assert_int_equal(parse(text, &cfg, &err), 0);
		assert_int_equal(cfg.flows.idle_timeout_ms, cases[i].ms);
		fp_config_free(&cfg);
	}
}

static void test_null_sections_mean_empty(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}}\n"
			       "firewall:\n  rules:\n  # all commented out\n"
			       "functions:\n", &cfg, &err), 0);
	assert_int_equal(cfg.firewall.n_rules, 0);
	assert_int_equal(cfg.n_functions, 0);
	fp_config_free(&cfg);
}

static void test_reservation_mac_forms(void **state)
{
	static const char text[] =
		"orchestrator: {ebpf: {enabled: false}}\n"
		"dhcp:\n"
		"  interface: eth1\n"
		"  server_id: 10.0.0.1\n"
		"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n"
		"  reservations:\n"
		"    - {mac: \"AA:bb:CC:00:11:22\", ip: 10.0.0.5}\n"
		"    - {mac: \"02-00-00-00-00-09\", ip: 10.0.0.6}\n";
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_memory_equal(cfg.dhcp.reservations[0].mac,
			    ((uint8_t[]){ 0xaa, 0xbb, 0xcc, 0x00, 0x11, 0x22 }), 6);
	assert_memory_equal(cfg.dhcp.reservations[1].mac,
			    ((uint8_t[]){ 2, 0, 0, 0, 0, 9 }), 6);
	fp_config_free(&cfg);
}

/* ---- files that do not --------------------------------------------------- */

static void test_unknown_key_suggests_near_miss(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf:\n"
			"    interface: eth0\n"
			"    mdoe: native\n",
			"bad.yaml:4: orchestrator.ebpf.mdoe: unknown key 'mdoe'",
			"did you mean 'mode'?", NULL);
}

static void test_unknown_key_lists_allowed_keys(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"flows:\n"
			"  colour: blue\n",
			"bad.yaml:3: flows.colour: unknown key 'colour'",
			"enabled, max_flows, idle_timeout", NULL);
}

static void test_unknown_top_level_key_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"firewal: {policy: drop}\n",
			"bad.yaml:2: firewal: unknown key 'firewal'",
			"did you mean 'firewall'?", NULL);
}

static void test_bad_mode_names_line_and_key(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf:\n"
			"    interface: eth0\n"
			"    mode: nativ\n",
			"bad.yaml:4: orchestrator.ebpf.mode: 'nativ' is not one of "
			"native, skb, auto", "did you mean 'native'?", NULL);
}

static void test_list_where_mapping_expected_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf: [eth0]\n",
			"bad.yaml:2: orchestrator.ebpf: expected a mapping", "got a list",
			NULL);
}

static void test_mapping_where_value_expected_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf: {interface: eth0}\n"
			"  prometheus_port: {port: 1}\n",
			"bad.yaml:3: orchestrator.prometheus_port: expected a number",
			"got a mapping", NULL);
}

static void test_non_number_port_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf: {interface: eth0}\n"
			"  prometheus_port: http\n",
			"bad.yaml:3: orchestrator.prometheus_port: 'http' is not a number",
			NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}, prometheus_port: 09090}\n",
			"bad.yaml:1: orchestrator.prometheus_port:", "leading zeros", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - {action: allow, protocol: tcp, port: https}\n",
			"bad.yaml:4: firewall.rules[0].port: 'https' is not a port", NULL);
}

static void test_out_of_range_values_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}, prometheus_port: 65536}\n",
			"bad.yaml:1: orchestrator.prometheus_port: 65536 is out of "
			"range (0-65535)", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"flows: {max_flows: 16777217}\n",
			"bad.yaml:2: flows.max_flows: 16777217 is out of range", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"functions:\n"
			"  - {id: x, trigger_port: 0, handler_path: /x}\n",
			"bad.yaml:3: functions[0].trigger_port: 0 is out of range (1-65535)",
			NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall: {rules: [{action: drop, protocol: udp, port: 70000}]}\n",
			"bad.yaml:2: firewall.rules[0].port:", "ports are 1-65535", NULL);
}

static void test_bad_duration_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"flows: {idle_timeout: 30 seconds}\n",
			"bad.yaml:2: flows.idle_timeout: '30 seconds' is not a duration",
			NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"flows: {idle_timeout: 0s}\n",
			"bad.yaml:2: flows.idle_timeout: '0s' is out of range (1ms-1d)", NULL);
}

static void test_bad_boolean_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: yes}}\n",
			"bad.yaml:1: orchestrator.ebpf.enabled: 'yes' is not a boolean",
			"true or false", NULL);
}

static void test_port_range_start_after_end_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - {action: allow, protocol: tcp, port: 80}\n"
			"    - {action: allow, protocol: tcp, source_port: 2000-1000}\n",
			"bad.yaml:5: firewall.rules[1].source_port: range '2000-1000' "
			"starts after it ends; write 1000-2000", NULL);
}

static void test_pool_range_outside_subnet_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools:\n"
			"    - subnet: 10.0.0.0/24\n"
			"      range: 10.0.0.100-10.0.1.20\n",
			"bad.yaml:7: dhcp.pools[0].range:", "outside subnet 10.0.0.0/24",
			"10.0.0.1-10.0.0.254", NULL);
	/* The broadcast address is in the subnet, but no host's. */
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.255}]\n",
			"bad.yaml:5: dhcp.pools[0].range:", "outside subnet", NULL);
}

static void test_pool_range_start_after_end_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools:\n"
			"    - {subnet: 10.0.0.0/24, range: 10.0.0.200-10.0.0.100}\n",
			"bad.yaml:6: dhcp.pools[0].range: range '10.0.0.200-10.0.0.100' "
			"starts after it ends", NULL);
}

static void test_reservation_outside_pools_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n"
			"  reservations:\n"
			"    - {mac: \"02:00:00:00:00:01\", ip: 10.0.0.50}\n"
			"    - {mac: \"02:00:00:00:00:02\", ip: 10.0.9.50}\n",
			"bad.yaml:8: dhcp.reservations[1].ip: 10.0.9.50 is in no pool's "
			"subnet", NULL);
}

static void test_duplicate_reservation_macs_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n"
			"  reservations:\n"
			"    - {mac: \"02:00:00:00:00:01\", ip: 10.0.0.50}\n"
			"    - {mac: \"02:00:00:00:00:02\", ip: 10.0.0.51}\n"
			"    - {mac: \"02:00:00:00:00:01\", ip: 10.0.0.52}\n",
			"bad.yaml:9: dhcp.reservations[2].mac: 02:00:00:00:00:01 is "
			"already reserved on line 7", NULL);
}

static void test_duplicate_reservation_ips_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n"
			"  reservations:\n"
			"    - {mac: \"02:00:00:00:00:01\", ip: 10.0.0.50}\n"
			"    - {mac: \"02:00:00:00:00:02\", ip: 10.0.0.50}\n",
			"bad.yaml:8: dhcp.reservations[1].ip: 10.0.0.50 is already "
			"reserved on line 7", NULL);
}

/* The pool's router cannot be reserved for a client. */
static void test_reservation_of_the_router_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.1\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200, router: 10.0.0.254}]\n"
			"  reservations:\n"
			"    - {mac: \"02:00:00:00:00:01\", ip: 10.0.0.254}\n",
			"bad.yaml:7: dhcp.reservations[0].ip: 10.0.0.254 is the router of the "
			"pool on line 5", NULL);
}

static void test_duplicate_function_ids_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"functions:\n"
			"  - {id: api, trigger_port: 8080, handler_path: /a}\n"
			"  - {id: web, trigger_port: 8081, handler_path: /b}\n"
			"  - {id: api, trigger_port: 8082, handler_path: /c}\n",
			"bad.yaml:5: functions[2].id: 'api' is already the id of the "
			"function on line 3", NULL);
}

static void test_duplicate_trigger_ports_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"functions:\n"
			"  - {id: api, trigger_port: 8080, handler_path: /a}\n"
			"  - {id: web, trigger_port: 8080, handler_path: /b}\n",
			"bad.yaml:4: functions[1].trigger_port: port 8080 already "
			"triggers 'api' (line 3)", NULL);
}

static void test_trigger_port_on_prometheus_port_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"functions:\n"
			"  - {id: api, trigger_port: 9090, handler_path: /a}\n",
			"bad.yaml:3: functions[0].trigger_port: port 9090 is "
			"orchestrator.prometheus_port", NULL);
}

static void test_interface_and_interfaces_together_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf:\n"
			"    interface: eth0\n"
			"    interfaces: [eth1]\n",
			"bad.yaml:4: orchestrator.ebpf.interfaces: give either 'interface' "
			"or 'interfaces', not both", NULL);
}

static void test_duplicate_key_in_mapping_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf: {interface: eth0}\n"
			"firewall:\n"
			"  policy: drop\n"
			"  policy: allow\n",
			"bad.yaml:5: firewall.policy: given twice in one mapping (first "
			"on line 4)", NULL);
}

static void test_enabled_ebpf_without_interface_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf:\n"
			"    mode: skb\n",
			"bad.yaml:3: orchestrator.ebpf: eBPF is enabled but no interface",
			"enabled: false", NULL);
	expect_rejected("flows: {enabled: true}\n",
			"bad.yaml:1: orchestrator.ebpf: eBPF is enabled but no interface",
			NULL);
}

static void test_bad_interface_names_rejected(void **state)
{
	static const char *const bad[] = {
		"eth0123456789012", "a/b", "\"eth0:1\"", "\"eth 0\"", "..",
	};
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "orchestrator:\n  ebpf:\n"
			 "    interfaces: [eth0, %s]\n", bad[i]);
		expect_rejected(text, "bad.yaml:3: orchestrator.ebpf.interfaces[1]:",
				"is not a valid interface name", NULL);
	}
}

static void test_too_many_interfaces_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n  ebpf:\n    interfaces: [a0, a1, a2, a3, a4, "
			"a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6]\n",
			"bad.yaml:3: orchestrator.ebpf.interfaces: has 17 interfaces; "
			"at most 16", NULL);
}

static void test_relative_xdp_program_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n  ebpf:\n    interface: eth0\n"
			"    xdp_program: extra.o\n",
			"bad.yaml:4: orchestrator.ebpf.xdp_program: 'extra.o' is not an "
			"absolute path", NULL);
}

static void test_source_dest_family_mismatch_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - action: drop\n"
			"      source_ip: 10.0.0.0/8\n"
			"      dest_ip: \"2001:db8::/32\"\n",
			"bad.yaml:6: firewall.rules[0].dest_ip: source_ip is IPv4 but "
			"dest_ip is IPv6", NULL);
}

static void test_ports_with_icmp_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - {action: drop, protocol: icmp, port: 80}\n",
			"bad.yaml:4: firewall.rules[0].protocol: ports need protocol tcp, "
			"udp or any", NULL);
}

static void test_host_bits_set_rejected_with_suggestion(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - {action: drop, source_ip: 192.168.1.7/24}\n",
			"bad.yaml:4: firewall.rules[0].source_ip: '192.168.1.7/24' has host "
			"bits set; did you mean 192.168.1.0/24?", NULL);
}

static void test_bad_address_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall: {rules: [{action: drop, dest_ip: 10.0.0.300}]}\n",
			"bad.yaml:2: firewall.rules[0].dest_ip: '10.0.0.300' is not an IP "
			"address", NULL);
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall: {rules: [{action: drop, dest_ip: 10.0.0.0/33}]}\n",
			"bad.yaml:2: firewall.rules[0].dest_ip:", "prefix length must be 0-32",
			NULL);
}

static void test_missing_required_key_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"firewall:\n"
			"  rules:\n"
			"    - {protocol: tcp, port: 22}\n",
			"bad.yaml:4: firewall.rules[0]: missing required key 'action'", NULL);
}

static void test_empty_file_rejected(void **state)
{
	(void)state;
	expect_rejected("", "bad.yaml:1: the file is empty", NULL);
	expect_rejected("# only a comment\n\n", "bad.yaml:1: the file is empty", NULL);
}

static void test_top_level_not_mapping_rejected(void **state)
{
	(void)state;
	expect_rejected("\n- orchestrator\n",
			"bad.yaml:2: the top level must be a mapping", "this is a list", NULL);
	expect_rejected("hello\n", "bad.yaml:1: the top level must be a mapping", NULL);
}

static void test_syntax_error_gives_line_and_column(void **state)
{
	(void)state;
	expect_rejected("orchestrator:\n"
			"  ebpf: {interface: eth0\n"
			"flows: {}\n",
			"bad.yaml:3:", "YAML syntax error: did not find expected ',' or '}'",
			NULL);
	expect_rejected("orchestrator:\n"
			"  ebpf:\n"
			"\tinterface: eth0\n",
			"bad.yaml:3:1: YAML syntax error:", "that is a tab: indent with "
			"spaces", NULL);
}

static void test_second_document_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {interface: eth0}}\n"
			"---\n"
			"flows: {}\n",
			"bad.yaml:3: a second YAML document starts here", NULL);
}

/* The document is built from libyaml's events by our own loader
 * (src/lib/config/document.c): an alias reads as the node its anchor
 * names, and the errors of libyaml's own loader are said as it said them. */
static void test_alias_reads_the_anchored_node(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;
	int ret;

	(void)state;
	ret = parse_fw("policy: drop\n"
		       "rules:\n"
		       "  - &ssh {action: allow, protocol: tcp, port: &port 22}\n"
		       "  - {action: allow, protocol: udp, port: *port}\n"
		       "  - *ssh\n", &fw, &err);
	if (ret)
		fail_msg("%d: %s", ret, err.msg);
	assert_int_equal(fw.n_rules, 3);
	assert_int_equal(fw.rules[1].dport.lo, 22);
	assert_int_equal(fw.rules[1].proto, IPPROTO_UDP);
	assert_int_equal(fw.rules[2].dport.lo, 22);
	assert_int_equal(fw.rules[2].proto, IPPROTO_TCP);
	fp_firewall_config_free(&fw);
}

static void test_alias_without_anchor_rejected(void **state)
{
	(void)state;
	expect_rejected("firewall:\n"
			"  rules:\n"
			"    - {action: drop, protocol: udp}\n"
			"    - *nope\n",
			"bad.yaml:4:7: YAML syntax error: found undefined alias", NULL);
}

static void test_anchor_given_twice_rejected(void **state)
{
	(void)state;
	expect_rejected("firewall:\n"
			"  rules:\n"
			"    - &r {action: drop, protocol: udp}\n"
			"    - &r {action: drop, protocol: tcp}\n",
			"bad.yaml:4:7: YAML syntax error: second occurrence (found duplicate "
			"anchor; first occurrence on line 3)", NULL);
}

/* Many nodes: the loader's arrays grow past their first mapping. */
static void test_large_document_read_whole(void **state)
{
	size_t n = 20000, at = 0, cap = 64 + n * 48;
	struct fp_firewall_config fw;
	struct fp_config_error err;
	char *text = malloc(cap);
	int ret;

	(void)state;
	assert_non_null(text);
	at += (size_t)snprintf(text + at, cap - at, "policy: allow\nrules:\n");
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(text + at, cap - at,
				       "  - {action: drop, source_ip: 10.%zu.%zu.0/24}\n",
				       i / 256 % 256, i % 256);
	ret = parse_fw(text, &fw, &err);
	if (ret)
		fail_msg("%d: %s", ret, err.msg);
	assert_int_equal(fw.n_rules, n);
	assert_int_equal(fw.rules[n - 1].src.addr[1], (n - 1) / 256 % 256);
	assert_int_equal(fw.rules[n - 1].src.addr[2], (n - 1) % 256);
	fp_firewall_config_free(&fw);
	free(text);
}

static void test_too_many_rules_rejected(void **state)
{
	size_t n = FP_CONFIG_RULES_MAX + 1, at;
	char *text = malloc(64 + n * 16);

	(void)state;
	assert_non_null(text);
	at = (size_t)sprintf(text, "orchestrator: {ebpf: {interface: eth0}}\n"
			     "firewall:\n  rules: [");
	for (size_t i = 0; i < n; i++)
		at += (size_t)sprintf(text + at, "%s{action: drop}", i ? ", " : "");
	strcpy(text + at, "]\n");
	expect_rejected(text, "bad.yaml:3: firewall.rules: has 100001 items; at most "
			"100000", NULL);
	free(text);
}

static void test_every_error_reported_one_per_line(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator:\n"
			       "  ebpf: {interface: eth0, mode: fast}\n"
			       "  prometheus_port: -1\n"
			       "flows: {max_flows: lots}\n", &cfg, &err), -EINVAL);
	assert_int_equal(count_lines(err.msg), 3);
	expect_in(err.msg, "bad.yaml:2: orchestrator.ebpf.mode:");
	expect_in(err.msg, "\nbad.yaml:3: orchestrator.prometheus_port:");
	expect_in(err.msg, "\nbad.yaml:4: flows.max_flows:");
}

static void test_errors_beyond_the_buffer_are_counted(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;
	char text[8192];
	size_t at;

	(void)state;
	at = (size_t)snprintf(text, sizeof(text), "orchestrator: {ebpf: {interface: eth0}}\n"
			      "firewall:\n  rules:\n");
	for (int i = 0; i < 100; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
				       "    - {action: nope}\n");
	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	expect_in(err.msg, "bad.yaml:4: firewall.rules[0].action:");
	expect_in(err.msg, "more errors not shown)");
}

#define DHCP_HEAD "orchestrator: {ebpf: {enabled: false}}\n" \
		  "dhcp:\n" \
		  "  interface: eth1\n" \
		  "  server_id: 10.0.0.1\n"

static void test_reservation_mac_multicast_or_zero_rejected(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n"
			"  reservations:\n"
			"    - {mac: \"01:00:5e:00:00:01\", ip: 10.0.0.50}\n"
			"    - {mac: \"00:00:00:00:00:00\", ip: 10.0.0.51}\n"
			"    - {mac: \"02:00:00:00:00\", ip: 10.0.0.52}\n",
			"bad.yaml:7: dhcp.reservations[0].mac: '01:00:5e:00:00:01' is a "
			"multicast address",
			"bad.yaml:8: dhcp.reservations[1].mac: '00:00:00:00:00:00' is the "
			"zero address",
			"bad.yaml:9: dhcp.reservations[2].mac: '02:00:00:00:00' is not a "
			"MAC address", NULL);
}

static void test_dhcp_without_pools_rejected(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD, "bad.yaml:3: dhcp: missing required key 'pools'",
			NULL);
	expect_rejected(DHCP_HEAD "  pools: []\n",
			"bad.yaml:5: dhcp.pools: DHCP needs at least one pool", NULL);
}

static void test_dhcp_missing_interface_and_server_id_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n",
			"bad.yaml:3: dhcp: missing required key 'interface'",
			"bad.yaml:3: dhcp: missing required key 'server_id'", NULL);
}

static void test_pool_router_outside_subnet_rejected(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD
			"  pools:\n"
			"    - subnet: 10.0.0.0/24\n"
			"      range: 10.0.0.100-10.0.0.200\n"
			"      router: 10.0.1.1\n",
			"bad.yaml:8: dhcp.pools[0].router: 10.0.1.1 is outside subnet "
			"10.0.0.0/24", NULL);
}

static void test_pool_router_inside_range_rejected(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200,\n"
			"           router: 10.0.0.150}]\n",
			"bad.yaml:6: dhcp.pools[0].router: 10.0.0.150 is inside the "
			"pool's range", NULL);
}

static void test_server_id_inside_range_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"dhcp:\n"
			"  interface: eth1\n"
			"  server_id: 10.0.0.120\n"
			"  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n",
			"bad.yaml:4: dhcp.server_id: 10.0.0.120 is inside the range of "
			"the pool on line 5", NULL);
}

static void test_overlapping_pool_ranges_rejected(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD
			"  pools:\n"
			"    - {subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}\n"
			"    - {subnet: 10.0.0.0/23, range: 10.0.0.200-10.0.1.200}\n",
			"bad.yaml:7: dhcp.pools[1].range: overlaps the range of the pool "
			"on line 6", NULL);
}

static void test_pool_subnet_must_be_ipv4_with_room(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD
			"  pools: [{subnet: \"2001:db8::/64\", range: 10.0.0.1-10.0.0.2}]\n",
			"bad.yaml:5: dhcp.pools[0].subnet:", "DHCP pools are IPv4", NULL);
	expect_rejected(DHCP_HEAD
			"  pools: [{subnet: 10.0.0.0/31, range: 10.0.0.0-10.0.0.1}]\n",
			"bad.yaml:5: dhcp.pools[0].subnet:", "prefix length of 1-30", NULL);
}

static void test_pool_dns_domain_and_lease_time_checked(void **state)
{
	(void)state;
	expect_rejected(DHCP_HEAD
			"  pools:\n"
			"    - subnet: 10.0.0.0/24\n"
			"      range: 10.0.0.100-10.0.0.200\n"
			"      dns: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4, 9.9.9.9]\n"
			"      domain: -bad-.lan\n"
			"      lease_time: 30s\n",
			"bad.yaml:8: dhcp.pools[0].dns: has 5 servers; at most 4",
			"bad.yaml:9: dhcp.pools[0].domain: '-bad-.lan' is not a domain name",
			"bad.yaml:10: dhcp.pools[0].lease_time: '30s' is out of range (1m-365d)",
			NULL);
}

static void test_bad_function_id_rejected(void **state)
{
	(void)state;
	expect_rejected("orchestrator: {ebpf: {enabled: false}}\n"
			"functions:\n"
			"  - {id: my.api, trigger_port: 8080, handler_path: /a}\n",
			"bad.yaml:3: functions[0].id: 'my.api' is not a valid id", NULL);
}

static void test_merge_key_rejected(void **state)
{
	(void)state;
	expect_rejected("base: &b {enabled: false}\n",
			"bad.yaml:1: base: unknown key 'base'", NULL);
	expect_rejected("orchestrator:\n"
			"  ebpf:\n"
			"    <<: {enabled: false}\n",
			"bad.yaml:3: orchestrator.ebpf: YAML merge keys (<<) are not "
			"supported", NULL);
}

/* ---- the firewall file alone ------------------------------------------- */

static void test_firewall_only_parses_policy_and_rules(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;

	(void)state;
	assert_int_equal(parse_fw("policy: drop\n"
				  "rules:\n"
				  "  - {action: allow, protocol: tcp, port: 22, interface: eth0}\n"
				  "  - {action: drop, protocol: icmp}\n", &fw, &err), 0);
	assert_int_equal(fw.policy, FP_FW_DROP);
	assert_int_equal(fw.n_rules, 2);
	assert_int_equal(fw.rules[0].proto, IPPROTO_TCP);
	assert_int_equal(fw.rules[0].dport.lo, 22);
	assert_string_equal(fw.rules[0].ifname, "eth0");
	assert_int_equal(fw.rules[0].line, 3);
	assert_int_equal(fw.rules[1].proto, IPPROTO_ICMP);
	assert_int_equal(fw.rules[1].line, 4);
	fp_firewall_config_free(&fw);
	assert_true(all_zero(&fw, sizeof(fw)));
}

static void test_firewall_only_defaults_to_allow_and_no_rules(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;

	(void)state;
	memset(&fw, 0xa5, sizeof(fw));
	assert_int_equal(parse_fw("rules: []\n", &fw, &err), 0);
	assert_int_equal(fw.policy, FP_FW_ALLOW);
	assert_int_equal(fw.n_rules, 0);
	assert_null(fw.rules);
	fp_firewall_config_free(&fw);
}

static void test_firewall_only_errors_use_file_paths(void **state)
{
	(void)state;
	expect_fw_rejected("policy: allow\n"
			   "rules:\n"
			   "  - {action: allow, protocol: tcp, prot: 22}\n",
			   "bad.yaml:3: rules[0].prot: unknown key 'prot'; did you mean "
			   "'port'?", NULL);
	expect_fw_rejected("firewall:\n  policy: drop\n",
			   "bad.yaml:1: firewall: unknown key 'firewall'",
			   "policy, rules", NULL);
}

static void test_firewall_ipv6_prefix_lengths_0_and_128(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;

	(void)state;
	assert_int_equal(parse_fw("rules:\n"
				  "  - {action: drop, source_ip: \"::/0\"}\n"
				  "  - {action: drop, source_ip: \"2001:db8::1/128\"}\n"
				  "  - {action: drop, dest_ip: \"2001:db8::2\"}\n"
				  "  - {action: drop, dest_ip: 0.0.0.0/0}\n", &fw, &err), 0);
	assert_prefix(&fw.rules[0].src, AF_INET6, "::", 0);
	assert_int_equal(fw.rules[0].family, AF_INET6);
	assert_prefix(&fw.rules[1].src, AF_INET6, "2001:db8::1", 128);
	assert_prefix(&fw.rules[2].dst, AF_INET6, "2001:db8::2", 128);
	assert_prefix(&fw.rules[3].dst, AF_INET, "0.0.0.0", 0);
	assert_int_equal(fw.rules[3].family, AF_INET);
	fp_firewall_config_free(&fw);
	expect_fw_rejected("rules: [{action: drop, source_ip: \"2001:db8::/129\"}]\n",
			   "prefix length must be 0-128", NULL);
	expect_fw_rejected("rules: [{action: drop, source_ip: \"2001:db8::1/64\"}]\n",
			   "did you mean 2001:db8::/64?", NULL);
}

static void test_firewall_port_range_parsed(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;

	(void)state;
	assert_int_equal(parse_fw("rules:\n"
				  "  - {action: allow, protocol: udp, dest_port: 1000-2000}\n"
				  "  - {action: allow, source_port: \"1-65535\"}\n"
				  "  - {action: allow, protocol: tcp, port: 7-7}\n", &fw, &err), 0);
	assert_int_equal(fw.rules[0].dport.lo, 1000);
	assert_int_equal(fw.rules[0].dport.hi, 2000);
	assert_int_equal(fw.rules[1].proto, 0);
	assert_int_equal(fw.rules[1].sport.lo, 1);
	assert_int_equal(fw.rules[1].sport.hi, 65535);
	assert_int_equal(fw.rules[2].dport.lo, 7);
	assert_int_equal(fw.rules[2].dport.hi, 7);
	fp_firewall_config_free(&fw);
	expect_fw_rejected("rules: [{action: allow, protocol: tcp, port: 0-10}]\n",
			   "ports are 1-65535", NULL);
	expect_fw_rejected("rules: [{action: allow, protocol: tcp, port: 1-2-3}]\n",
			   "is not a port or a port range", NULL);
}

static void test_firewall_port_and_dest_port_together_rejected(void **state)
{
	(void)state;
	expect_fw_rejected("rules:\n"
			   "  - action: allow\n"
			   "    port: 80\n"
			   "    dest_port: 81\n",
			   "bad.yaml:4: rules[0].dest_port: 'port' (line 3) already is the "
			   "destination port", NULL);
}

static void test_firewall_icmp_family_mismatch_rejected(void **state)
{
	(void)state;
	expect_fw_rejected("rules: [{action: drop, protocol: icmp, source_ip: \"fe80::/10\"}]\n",
			   "rules[0].protocol: icmp is IPv4's", "write icmpv6", NULL);
}

static void test_firewall_config_load_reads_file(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;
	int ret;

	(void)state;
	ret = fp_firewall_config_load(repo_path("tests/config/firewall.yaml"), &fw, &err);
	if (ret)
		fail_msg("%d: %s", ret, err.msg);
	assert_int_equal(fw.policy, FP_FW_DROP);
	assert_int_equal(fw.n_rules, 3);
	assert_int_equal(fw.rules[1].sport.lo, 53);
	assert_int_equal(fw.rules[1].dport.lo, 1024);
	assert_int_equal(fw.rules[1].dport.hi, 65535);
	assert_prefix(&fw.rules[2].src, AF_INET6, "fe80::", 10);
	assert_int_equal(fw.rules[2].line, 7);
	fp_firewall_config_free(&fw);
}

static void test_firewall_config_load_names_the_file(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;

	(void)state;
	assert_int_equal(fp_firewall_config_load(repo_path("tests/config/bad_firewall.yaml"),
						 &fw, &err), -EINVAL);
	expect_in(err.msg, "bad_firewall.yaml:4: rules[1].action: 'deny' is not one "
		  "of allow, drop");
	assert_true(all_zero(&fw, sizeof(fw)));
}

/* ---- files ------------------------------------------------------------- */

static void test_config_load_names_the_file(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(fp_config_load(repo_path("tests/config/bad_mode.yaml"),
					&cfg, &err), -EINVAL);
	expect_in(err.msg, "bad_mode.yaml:7: orchestrator.ebpf.mode: 'nativ'");
	assert_true(all_zero(&cfg, sizeof(cfg)));
}

static void test_config_load_missing_file_returns_enoent(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(fp_config_load("/nonexistent/fastpath.yaml", &cfg, &err),
			 -ENOENT);
	expect_in(err.msg, "/nonexistent/fastpath.yaml: No such file or directory");
	assert_true(all_zero(&cfg, sizeof(cfg)));
}

static void test_config_load_directory_returns_eisdir(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(fp_config_load("/", &cfg, &err), -EISDIR);
}

/* ---- settings accepted but not implemented yet ------------------------- */

static void test_unimplemented_settings_warn(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator:\n"
			       "  ebpf: {enabled: false}\n"
			       "  prometheus_port: 9100\n"
			       "functions:\n"
			       "  - {id: api, trigger_port: 8080, handler_path: /opt/api}\n",
			       &cfg, &err), 0);
	/* Both are implemented now (issues 13 and 14): no warning. */
	assert_int_equal(cfg.warnings.n, 0);
	fp_config_free(&cfg);
}

static void test_unset_or_absent_settings_do_not_warn(void **state)
{
	static const char *const texts[] = {
		"orchestrator: {ebpf: {enabled: false}, prometheus_port: 0}\nfunctions: []\n",
		"orchestrator: {ebpf: {enabled: false}}\nfunctions:\n",
		"orchestrator: {ebpf: {enabled: false}}\n",  /* the default 9090 */
	};
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(parse(texts[i], &cfg, &err), 0);
		assert_int_equal(cfg.warnings.n, 0);
		assert_string_equal(cfg.warnings.msg, "");
		fp_config_free(&cfg);
	}
}

/* ---- hostile documents -------------------------------------------------- */

/* nested: "x: " and DEPTH-1 '[' then as many ']': DEPTH levels with the
 * top mapping. */
static char *nested(size_t depth)
{
	size_t n = depth - 1;
	char *t = malloc(3 + 2 * n + 2);

	assert_non_null(t);
	memcpy(t, "x: ", 3);
	memset(t + 3, '[', n);
	memset(t + 3 + n, ']', n);
	memcpy(t + 3 + 2 * n, "\n", 2);
	return t;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_deeply_nested_document_refused_fast(void **state)
{
	size_t n = 400 * 1024;
	struct fp_config_error err;
	struct fp_config cfg;
	char *text = malloc(n + 4);
	double t0;

	(void)state;
	assert_non_null(text);
	memcpy(text, "x: ", 3);
	memset(text + 3, '[', n);
	text[n + 3] = '\0';
	t0 = now_s();
	assert_int_equal(fp_config_parse(text, n + 3, NAME, &cfg, &err), -EINVAL);
	/* A guard, generous for a loaded machine: it took 88 s before. */
	assert_true(now_s() - t0 < 2.0);
	assert_string_equal(err.msg, NAME ":1: nested deeper than 64 levels; a "
			    "configuration needs a few, so this file is refused");
	free(text);
}

static void test_nesting_up_to_the_limit_is_read(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;
	char *ok = nested(FP_CONFIG_DEPTH_MAX), *deep = nested(FP_CONFIG_DEPTH_MAX + 1);

	(void)state;
	/* x is no key of ours: an error, but not the nesting one. */
	assert_int_equal(parse(ok, &cfg, &err), -EINVAL);
	expect_in(err.msg, "unknown key 'x'");
	assert_null(strstr(err.msg, "nested deeper"));
	assert_int_equal(parse(deep, &cfg, &err), -EINVAL);
	expect_in(err.msg, "nested deeper than 64 levels");
	assert_null(strstr(err.msg, "unknown key"));
	free(ok);
	free(deep);
}

static void test_firewall_file_nested_too_deep_refused(void **state)
{
	struct fp_firewall_config fw;
	struct fp_config_error err;
	char *deep = nested(FP_CONFIG_DEPTH_MAX + 1);

	(void)state;
	assert_int_equal(parse_fw(deep, &fw, &err), -EINVAL);
	expect_in(err.msg, NAME ":1: nested deeper than 64 levels");
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file_parses_every_field),
		cmocka_unit_test(test_lease_cache_sized_from_pools),
		cmocka_unit_test(test_json_form_parses),
		cmocka_unit_test(test_defaults_when_sections_absent),
		cmocka_unit_test(test_dhcp_pool_defaults),
		cmocka_unit_test(test_userspace_only_needs_no_interface),
		cmocka_unit_test(test_xsk_section_parses),
		cmocka_unit_test(test_xsk_section_rejects_bad_entries),
		cmocka_unit_test(test_durations_accept_every_unit),
		cmocka_unit_test(test_null_sections_mean_empty),
		cmocka_unit_test(test_reservation_mac_forms),
		cmocka_unit_test(test_unknown_key_suggests_near_miss),
		cmocka_unit_test(test_unknown_key_lists_allowed_keys),
		cmocka_unit_test(test_unknown_top_level_key_rejected),
		cmocka_unit_test(test_bad_mode_names_line_and_key),
		cmocka_unit_test(test_list_where_mapping_expected_rejected),
		cmocka_unit_test(test_mapping_where_value_expected_rejected),
		cmocka_unit_test(test_non_number_port_rejected),
		cmocka_unit_test(test_out_of_range_values_rejected),
		cmocka_unit_test(test_bad_duration_rejected),
		cmocka_unit_test(test_bad_boolean_rejected),
		cmocka_unit_test(test_port_range_start_after_end_rejected),
		cmocka_unit_test(test_pool_range_outside_subnet_rejected),
		cmocka_unit_test(test_pool_range_start_after_end_rejected),
		cmocka_unit_test(test_reservation_outside_pools_rejected),
		cmocka_unit_test(test_duplicate_reservation_macs_rejected),
		cmocka_unit_test(test_duplicate_reservation_ips_rejected),
		cmocka_unit_test(test_reservation_of_the_router_rejected),
		cmocka_unit_test(test_rule_and_xsk_for_an_interface_not_served_refused),
		cmocka_unit_test(test_duplicate_function_ids_rejected),
		cmocka_unit_test(test_duplicate_trigger_ports_rejected),
		cmocka_unit_test(test_trigger_port_on_prometheus_port_rejected),
		cmocka_unit_test(test_interface_and_interfaces_together_rejected),
		cmocka_unit_test(test_duplicate_key_in_mapping_rejected),
		cmocka_unit_test(test_enabled_ebpf_without_interface_rejected),
		cmocka_unit_test(test_bad_interface_names_rejected),
		cmocka_unit_test(test_too_many_interfaces_rejected),
		cmocka_unit_test(test_relative_xdp_program_rejected),
		cmocka_unit_test(test_source_dest_family_mismatch_rejected),
		cmocka_unit_test(test_ports_with_icmp_rejected),
		cmocka_unit_test(test_host_bits_set_rejected_with_suggestion),
		cmocka_unit_test(test_bad_address_rejected),
		cmocka_unit_test(test_missing_required_key_rejected),
		cmocka_unit_test(test_empty_file_rejected),
		cmocka_unit_test(test_top_level_not_mapping_rejected),
		cmocka_unit_test(test_syntax_error_gives_line_and_column),
		cmocka_unit_test(test_second_document_rejected),
		cmocka_unit_test(test_alias_reads_the_anchored_node),
		cmocka_unit_test(test_alias_without_anchor_rejected),
		cmocka_unit_test(test_anchor_given_twice_rejected),
		cmocka_unit_test(test_large_document_read_whole),
		cmocka_unit_test(test_too_many_rules_rejected),
		cmocka_unit_test(test_every_error_reported_one_per_line),
		cmocka_unit_test(test_errors_beyond_the_buffer_are_counted),
		cmocka_unit_test(test_reservation_mac_multicast_or_zero_rejected),
		cmocka_unit_test(test_dhcp_without_pools_rejected),
		cmocka_unit_test(test_dhcp_missing_interface_and_server_id_rejected),
		cmocka_unit_test(test_pool_router_outside_subnet_rejected),
		cmocka_unit_test(test_pool_router_inside_range_rejected),
		cmocka_unit_test(test_server_id_inside_range_rejected),
		cmocka_unit_test(test_overlapping_pool_ranges_rejected),
		cmocka_unit_test(test_pool_subnet_must_be_ipv4_with_room),
		cmocka_unit_test(test_pool_dns_domain_and_lease_time_checked),
		cmocka_unit_test(test_bad_function_id_rejected),
		cmocka_unit_test(test_merge_key_rejected),
		cmocka_unit_test(test_firewall_only_parses_policy_and_rules),
		cmocka_unit_test(test_firewall_only_defaults_to_allow_and_no_rules),
		cmocka_unit_test(test_firewall_only_errors_use_file_paths),
		cmocka_unit_test(test_firewall_ipv6_prefix_lengths_0_and_128),
		cmocka_unit_test(test_firewall_port_range_parsed),
		cmocka_unit_test(test_firewall_port_and_dest_port_together_rejected),
		cmocka_unit_test(test_firewall_icmp_family_mismatch_rejected),
		cmocka_unit_test(test_firewall_config_load_reads_file),
		cmocka_unit_test(test_firewall_config_load_names_the_file),
		cmocka_unit_test(test_config_load_names_the_file),
		cmocka_unit_test(test_config_load_missing_file_returns_enoent),
		cmocka_unit_test(test_config_load_directory_returns_eisdir),
		cmocka_unit_test(test_unimplemented_settings_warn),
		cmocka_unit_test(test_unset_or_absent_settings_do_not_warn),
		cmocka_unit_test(test_deeply_nested_document_refused_fast),
		cmocka_unit_test(test_nesting_up_to_the_limit_is_read),
		cmocka_unit_test(test_firewall_file_nested_too_deep_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
