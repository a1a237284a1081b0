// SPDX-License-Identifier: BSD-2-Clause
/* What a configuration means for each interface's pipeline
 * (fp_config_pipeline_opts): every stage's row says whether it is on there
 * and sizes its maps. No kernel. */
#include <fastpath/reconcile.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#define BIT(s) FP_STAGE_BIT(FP_STAGE_##s)

static void parse(const char *text, struct fp_config *cfg)
{
	struct fp_config_error err = { 0 };

	if (fp_config_parse(text, strlen(text), "test.yaml", cfg, &err))
		fail_msg("%s", err.msg);
}

static void test_stages_follow_each_section(void **state)
{
	struct fp_config cfg;
	struct fp_pipeline_opts o;

	(void)state;
	parse("orchestrator: {ebpf: {interfaces: [eth0, eth1, eth2], mode: skb}}\n"
	      "flows: {enabled: true, max_flows: 1024}\n"
	      "firewall:\n"
	      "  rules:\n"
	      "    - {action: drop, source_ip: 192.168.1.0/24}\n"
	      "dhcp:\n"
	      "  interface: eth1\n"
	      "  server_id: 10.0.0.1\n"
	      "  lease_cache_size: 5000\n"
	      "  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.200}]\n"
	      "xsk: [{interface: eth2, ports: [7000]}]\n", &cfg);
	fp_config_pipeline_opts(&cfg, "eth0", &o);
	assert_int_equal(o.mode, FP_XDP_SKB);
	assert_int_equal(o.stages, BIT(PORTS) | BIT(FLOWS) | BIT(FIREWALL));
	assert_int_equal(o.max_flows, 1024);
	assert_int_equal(o.lease_cache, 5000);
	fp_config_pipeline_opts(&cfg, "eth1", &o);
	assert_int_equal(o.stages, BIT(PORTS) | BIT(FLOWS) | BIT(FIREWALL) | BIT(DHCP));
	fp_config_pipeline_opts(&cfg, "eth2", &o);
	assert_int_equal(o.stages, BIT(PORTS) | BIT(FLOWS) | BIT(FIREWALL) | BIT(XSK));
	fp_config_free(&cfg);
}

/* An allow policy with no rule is no firewall; flows off is off; the
 * ports stage runs wherever a pipeline does. */
static void test_stages_off_leave_ports_alone(void **state)
{
	struct fp_config cfg;
	struct fp_pipeline_opts o;

	(void)state;
	parse("orchestrator: {ebpf: {interface: eth0}}\n"
	      "flows: {enabled: false}\n"
	      "firewall: {policy: allow}\n", &cfg);
	fp_config_pipeline_opts(&cfg, "eth0", &o);
	assert_int_equal(o.stages, BIT(PORTS));
	fp_config_free(&cfg);
}

static void test_drop_policy_alone_turns_the_firewall_on(void **state)
{
	struct fp_config cfg;
	struct fp_pipeline_opts o;

	(void)state;
	parse("orchestrator: {ebpf: {interface: eth0}}\n"
	      "flows: {enabled: false}\n"
	      "firewall: {policy: drop}\n", &cfg);
	fp_config_pipeline_opts(&cfg, "eth0", &o);
	assert_int_equal(o.stages, BIT(PORTS) | BIT(FIREWALL));
	fp_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stages_follow_each_section),
		cmocka_unit_test(test_stages_off_leave_ports_alone),
		cmocka_unit_test(test_drop_policy_alone_turns_the_firewall_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
