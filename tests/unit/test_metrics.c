// SPDX-License-Identifier: BSD-2-Clause
/* The Prometheus text rendering, from hand-made snapshots: no kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <fastpath/config.h>
#include <fastpath/metrics.h>

static struct fp_metrics_iface iface(const char *dev)
{
	struct fp_metrics_iface m = { 0 };

	snprintf(m.dev, sizeof(m.dev), "%s", dev);
	m.attached = true;
	m.has_stats = true;
	return m;
}

static char *render(struct fp_metrics_iface *ifs, size_t n, size_t programs)
{
	struct fp_metrics_snapshot s = { .programs = programs, .ifaces = ifs, .n = n };
	struct fp_text t = { 0 };

	fp_metrics_render(&s, &t);
	assert_int_equal(t.err, 0);
	assert_non_null(t.data);
	return t.data;
}

static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void test_metrics_seed_counters_from_pipeline_row(void **state)
{
	struct fp_metrics_iface m = iface("eth0");
	char *t;

	(void)state;
	m.stats.c[FP_STAGE_PIPELINE][XDP_PASS].packets = 7;
	m.stats.c[FP_STAGE_PIPELINE][XDP_DROP].packets = 3;
	m.stats.c[FP_STAGE_PIPELINE][XDP_ABORTED].packets = 1;
	m.stats.c[FP_STAGE_FIREWALL][XDP_DROP].packets = 3;  /* not counted twice */
	m.has_dhcp = true;
	m.dhcp[FP_DHCP_FAST_ERR] = 2;
	t = render(&m, 1, 4);
	assert_line(t, "ebpf_programs_loaded 4");
	assert_line(t, "ebpf_packets_processed_total{interface=\"eth0\"} 11");
	assert_line(t, "ebpf_packets_dropped_total{interface=\"eth0\"} 3");
	assert_line(t, "ebpf_errors_total{interface=\"eth0\"} 3");
	free(t);
}

static void test_metrics_stage_verdict_labels(void **state)
{
	struct fp_metrics_iface m = iface("veth1");
	char *t;

	(void)state;
	m.stages = FP_STAGE_BIT(FP_STAGE_PORTS);
	m.stats.c[FP_STAGE_PORTS][XDP_PASS].packets = 5;
	m.stats.c[FP_STAGE_PORTS][XDP_PASS].bytes = 500;
	t = render(&m, 1, 1);
	assert_line(t, "fastpath_pipeline_packets_total{interface=\"veth1\",stage=\"ports\",verdict=\"pass\"} 5");
	assert_line(t, "fastpath_pipeline_bytes_total{interface=\"veth1\",stage=\"ports\",verdict=\"pass\"} 500");
	assert_line(t, "fastpath_pipeline_stage_enabled{interface=\"veth1\",stage=\"ports\"} 1");
	assert_line(t, "fastpath_pipeline_stage_enabled{interface=\"veth1\",stage=\"flows\"} 0");
	assert_line(t, "fastpath_pipeline_up{interface=\"veth1\"} 1");
	free(t);
}

static void test_metrics_firewall_rule_index_label(void **state)
{
	struct fp_fw_rule_stats rules[2] = {
		{ .index = 1, .packets = 10, .bytes = 1000 },
		{ .index = 3, .packets = 20, .bytes = 2000 },
	};
	struct fp_metrics_iface m = iface("eth0");
	char *t;

	(void)state;
	m.has_firewall = true;
	m.fw.rules = rules;
	m.fw.n = 2;
	m.fw.policy_packets = 4;
	t = render(&m, 1, 1);
	assert_line(t, "fastpath_firewall_rules{interface=\"eth0\"} 2");
	assert_line(t, "fastpath_firewall_rule_packets_total{interface=\"eth0\",rule=\"0\"} 4");
	assert_line(t, "fastpath_firewall_rule_packets_total{interface=\"eth0\",rule=\"3\"} 20");
	assert_line(t, "fastpath_firewall_rule_bytes_total{interface=\"eth0\",rule=\"1\"} 1000");
	free(t);
}

static void test_metrics_flows_and_dhcp_only_when_enabled(void **state)
{
	struct fp_metrics_iface m[2] = { iface("a"), iface("b") };
	char *t;

	(void)state;
	m[0].stages = FP_STAGE_BIT(FP_STAGE_FLOWS) | FP_STAGE_BIT(FP_STAGE_DHCP);
	m[0].has_flows = m[1].has_flows = true;
	m[0].flows.in_use = 12;
	m[0].flows.capacity = 100;
	m[0].flows.evicted = 2;
	m[0].has_flows_active = true;
	m[0].flows_active = 9;
	m[0].has_dhcp = true;
	m[0].dhcp[FP_DHCP_HIT_ACK] = 6;
	t = render(m, 2, 2);
	assert_line(t, "fastpath_flows_table_entries{interface=\"a\"} 12");
	assert_line(t, "fastpath_flows_table_capacity{interface=\"a\"} 100");
	assert_line(t, "fastpath_flows_evicted_total{interface=\"a\"} 2");
	assert_line(t, "ebpf_flows_active{interface=\"a\"} 9");
	assert_line(t, "fastpath_dhcp_total{interface=\"a\",counter=\"fast_ack\"} 6");
	assert_null(strstr(t, "fastpath_flows_table_entries{interface=\"b\"}"));
	assert_null(strstr(t, "interface=\"b\",counter="));
	free(t);
}

static void test_metrics_shaper_classes(void **state)
{
	struct fp_shaper_state sh = { .dev = "eth0", .mech = FP_SHAPER_HTB, .n_classes = 1 };
	struct fp_metrics_snapshot s = { .shapers = &sh, .n_shapers = 1 };
	struct fp_text t = { 0 };

	(void)state;
	sh.root.rate = 100000000;
	sh.classes[0] = (struct fp_shaper_stats){ .classid = 0xfa570010, .rate = 20000000,
						  .bytes = 1500, .drops = 2 };
	fp_metrics_render(&s, &t);
	assert_line(t.data, "fastpath_shaper_rate_bps{interface=\"eth0\",class=\"root\"} 100000000");
	assert_line(t.data, "fastpath_shaper_rate_bps{interface=\"eth0\",class=\"fa57:10\"} 20000000");
	assert_line(t.data, "fastpath_shaper_bytes_total{interface=\"eth0\",class=\"fa57:10\"} 1500");
	assert_line(t.data, "fastpath_shaper_drops_total{interface=\"eth0\",class=\"fa57:10\"} 2");
	free(t.data);
}

static void test_metrics_label_values_escaped(void **state)
{
	struct fp_metrics_iface m = iface("a\"b\\c");
	char *t;

	(void)state;
	t = render(&m, 1, 0);
	assert_line(t, "fastpath_pipeline_up{interface=\"a\\\"b\\\\c\"} 1");
	free(t);
}

/* Each family once, its HELP and TYPE before its samples, and no sample
 * of another family between them (promtool checks this too). */
static void test_metrics_families_contiguous(void **state)
{
	struct fp_metrics_iface m[2] = { iface("a"), iface("b") };
	char *t, *save, *line, seen[64][64], cur[64] = "";
	size_t n = 0;

	(void)state;
	m[0].stages = m[1].stages = FP_STAGE_BIT(FP_STAGE_FLOWS);
	m[0].has_flows = m[1].has_flows = true;
	t = render(m, 2, 1);
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%63s", cur);
			for (size_t i = 0; i < n; i++)
				assert_string_not_equal(seen[i], cur);
			assert_true(n < 64);
			snprintf(seen[n++], sizeof(seen[0]), "%s", cur);
			continue;
		}
		if (line[0] == '#')
			continue;
		sscanf(line, "%63[^{ ]", name);
		assert_string_equal(name, cur);
	}
	free(t);
}

static void test_metrics_text_grows(void **state)
{
	struct fp_text t = { 0 };

	(void)state;
	for (int i = 0; i < 10000; i++)
		fp_text_printf(&t, "line %d\n", i);
	assert_int_equal(t.err, 0);
	assert_non_null(strstr(t.data, "line 9999\n"));
	assert_int_equal(strlen(t.data), t.len);
	fp_text_free(&t);
}

static void test_health_json(void **state)
{
	struct fp_health_check c[2] = {
		{ .name = "pipeline_attached:eth0", .ok = true, .reason = "ok" },
		{ .name = "interface_up:eth0", .ok = false, .reason = "down" },
	};
	struct fp_health h = { .ok = false, .checks = c, .n = 2 };
	struct fp_text t = { 0 };

	(void)state;
	fp_health_json(&h, &t);
	assert_string_equal(t.data, "{\"ok\":false,\"checks\":["
			    "{\"name\":\"pipeline_attached:eth0\",\"ok\":true,\"reason\":\"ok\"},"
			    "{\"name\":\"interface_up:eth0\",\"ok\":false,\"reason\":\"down\"}]}\n");
	fp_text_free(&t);
}

static void test_config_prometheus_address(void **state)
{
	static const char good[] = "orchestrator:\n  ebpf: {enabled: false}\n"
				   "  prometheus_address: \"::1\"\n";
	static const char dflt[] = "orchestrator:\n  ebpf: {enabled: false}\n";
	static const char bad[] = "orchestrator:\n  ebpf: {enabled: false}\n"
				  "  prometheus_address: localhost\n";
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(fp_config_parse(good, strlen(good), "t.yaml", &cfg, &err), 0);
	assert_string_equal(cfg.prometheus_address, "::1");
	fp_config_free(&cfg);
	assert_int_equal(fp_config_parse(dflt, strlen(dflt), "t.yaml", &cfg, &err), 0);
	assert_string_equal(cfg.prometheus_address, "127.0.0.1");
	fp_config_free(&cfg);
	assert_int_not_equal(fp_config_parse(bad, strlen(bad), "t.yaml", &cfg, &err), 0);
	assert_non_null(strstr(err.msg, "orchestrator.prometheus_address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_seed_counters_from_pipeline_row),
		cmocka_unit_test(test_metrics_stage_verdict_labels),
		cmocka_unit_test(test_metrics_firewall_rule_index_label),
		cmocka_unit_test(test_metrics_flows_and_dhcp_only_when_enabled),
		cmocka_unit_test(test_metrics_shaper_classes),
		cmocka_unit_test(test_metrics_label_values_escaped),
		cmocka_unit_test(test_metrics_families_contiguous),
		cmocka_unit_test(test_metrics_text_grows),
		cmocka_unit_test(test_health_json),
		cmocka_unit_test(test_config_prometheus_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
