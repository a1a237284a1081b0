// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's self-healing without a kernel: the repairs a pipeline's
 * facts call for (fp_pipeline_heal_plan), the verify schedule (interval,
 * link events, backoff), alerts raised once and counted, repairs counted
 * and published; the configuration keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/reconcile.h>

static const struct fp_pipeline_facts healthy = {
	.bpffs = true, .ifindex = 7, .attached = true, .mode = "native", .applied = true,
};

static void test_heal_plan_nothing_when_as_configured(void **state)
{
	(void)state;
	assert_int_equal(fp_pipeline_heal_plan(&healthy, FP_XDP_NATIVE), 0);
	assert_int_equal(fp_pipeline_heal_plan(&healthy, FP_XDP_AUTO), 0);
}

static void test_heal_plan_waits_for_a_gone_interface(void **state)
{
	struct fp_pipeline_facts f = healthy;

	(void)state;
	f.ifindex = 0;
	f.attached = false;
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO), FP_HEAL_WAIT);
}

static void test_heal_plan_repins_before_attaching(void **state)
{
	struct fp_pipeline_facts f = healthy;

	(void)state;
	f.pins_missing = 3;
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO), FP_HEAL_REPIN);
	f.attached = false;
	f.mode = "";
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO), FP_HEAL_REPIN | FP_HEAL_ATTACH);
}

static void test_heal_plan_reattaches_in_the_wrong_mode_only_when_one_is_asked(void **state)
{
	struct fp_pipeline_facts f = healthy;

	(void)state;
	f.mode = "skb";
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_NATIVE), FP_HEAL_ATTACH);
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_SKB), 0);
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO), 0);
}

static void test_heal_plan_remounts_a_gone_bpffs(void **state)
{
	struct fp_pipeline_facts f = healthy;

	(void)state;
	f.bpffs = false;
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO),
			 FP_HEAL_REMOUNT | FP_HEAL_REPIN | FP_HEAL_ATTACH);
}

static void test_heal_plan_firewall_alone_when_attached(void **state)
{
	struct fp_pipeline_facts f = healthy;

	(void)state;
	f.applied = false;
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO), FP_HEAL_APPLY);
	f.attached = false;
	f.mode = "";
	assert_int_equal(fp_pipeline_heal_plan(&f, FP_XDP_AUTO), FP_HEAL_ATTACH);
}

static const struct fp_logger quiet = { 0 };
static const struct fp_alerts_config no_hook = { .min_interval_ms = 60000 };

static void test_heal_schedule_interval_then_backoff_doubling_to_the_cap(void **state)
{
	struct fp_heal *h;
	unsigned long long now = 1000000;

	(void)state;
	assert_int_equal(fp_heal_open(&quiet, &h), 0);
	fp_heal_configure(h, 0, &no_hook);
	/* A failing pass: 1 s, 2 s, 4 s ... capped. */
	fp_heal_end(h, -EBUSY, now);
	assert_int_equal(fp_heal_timeout(h, now), FP_HEAL_BACKOFF_MIN_MS);
	fp_heal_end(h, -EBUSY, now);
	assert_int_equal(fp_heal_timeout(h, now), 2 * FP_HEAL_BACKOFF_MIN_MS);
	for (int i = 0; i < 20; i++)
		fp_heal_end(h, -EBUSY, now);
	assert_int_equal(fp_heal_timeout(h, now), FP_HEAL_BACKOFF_MAX_MS);
	/* Put right: no pass planned without an interval; the interval with one. */
	fp_heal_end(h, 0, now);
	assert_int_equal(fp_heal_timeout(h, now), -1);
	assert_false(fp_heal_due(h, now + 3600000));
	fp_heal_configure(h, 10000, &no_hook);
	fp_heal_end(h, 0, now);
	assert_int_equal(fp_heal_timeout(h, now), 10000);
	/* Backoff never waits longer than the interval would. */
	for (int i = 0; i < 10; i++)
		fp_heal_end(h, -EBUSY, now);
	assert_int_equal(fp_heal_timeout(h, now), 10000);
	fp_heal_close(h);
}

static void test_heal_repairs_counted_and_problems_published(void **state)
{
	struct fp_daemon_state *st = calloc(1, sizeof(*st));
	struct fp_heal *h;

	(void)state;
	assert_int_equal(fp_heal_open(&quiet, &h), 0);
	fp_heal_configure(h, 10000, &no_hook);
	fp_heal_begin(h);
	fp_heal_repaired(h, FP_REPAIR_ATTACH, "pipeline on %s", "eth0");
	fp_heal_repaired(h, FP_REPAIR_ATTACH, "pipeline on %s", "eth0");
	fp_heal_problem(h, "%s: interface gone", "eth1");
	fp_heal_problem(h, "dhcp: %s gone", "eth1");
	fp_heal_end(h, 0, 5000);
	assert_true(fp_heal_dirty(h));
	fp_heal_state(h, st);
	assert_false(fp_heal_dirty(h));
	assert_int_equal(st->repairs[FP_REPAIR_ATTACH], 2);
	assert_int_equal(st->repairs[FP_REPAIR_PIN], 0);
	assert_true(st->repairing);
	assert_string_equal(st->problems, "eth1: interface gone; dhcp: eth1 gone");
	/* All well again: no longer repairing. */
	fp_heal_begin(h);
	fp_heal_end(h, 0, 6000);
	fp_heal_state(h, st);
	assert_false(st->repairing);
	assert_string_equal(st->problems, "");
	assert_string_equal(fp_repair_name(FP_REPAIR_DHCP_SOCKETS), "dhcp_sockets");
	fp_heal_close(h);
	free(st);
}

static void test_alert_raised_once_until_cleared(void **state)
{
	struct fp_daemon_state *st = calloc(1, sizeof(*st));
	struct fp_heal *h;

	(void)state;
	assert_int_equal(fp_heal_open(&quiet, &h), 0);
	fp_heal_configure(h, 10000, &no_hook);
	for (int i = 0; i < 5; i++)
		fp_alert_raise(h, FP_ALERT_INTERFACE_MISSING, "eth0", "gone");
	fp_alert_raise(h, FP_ALERT_INTERFACE_MISSING, "eth1", "gone");
	fp_heal_state(h, st);
	assert_int_equal(st->alerts_total[FP_ALERT_INTERFACE_MISSING], 2);
	assert_int_equal(st->alerts_active[FP_ALERT_INTERFACE_MISSING], 2);
	fp_alert_clear(h, FP_ALERT_INTERFACE_MISSING, "eth0");
	fp_alert_clear(h, FP_ALERT_REPAIR_FAILED, "eth0"); /* never raised: nothing */
	fp_heal_state(h, st);
	assert_int_equal(st->alerts_active[FP_ALERT_INTERFACE_MISSING], 1);
	fp_alert_raise(h, FP_ALERT_INTERFACE_MISSING, "eth0", "gone again");
	fp_heal_state(h, st);
	assert_int_equal(st->alerts_total[FP_ALERT_INTERFACE_MISSING], 3);
	assert_int_equal(st->alerts_active[FP_ALERT_INTERFACE_MISSING], 2);
	fp_heal_close(h);
	free(st);
}

static int parse(const char *text, struct fp_config *cfg, struct fp_config_error *err)
{
	memset(err, 0, sizeof(*err));
	return fp_config_parse(text, strlen(text), "t.yaml", cfg, err);
}

static void test_config_monitoring_interval_and_alerts(void **state)
{
	struct fp_config cfg;
	struct fp_config_error err;

	(void)state;
	if (parse("orchestrator: {ebpf: {interface: lo}}\n", &cfg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.monitoring_interval_ms, 10000);
	assert_string_equal(cfg.alerts.exec, "");
	assert_int_equal(cfg.alerts.min_interval_ms, 60000);
	fp_config_free(&cfg);
	assert_int_equal(parse("orchestrator: {ebpf: {interface: lo}, monitoring_interval: 2s}\n"
			       "alerts: {exec: /bin/true, min_interval: 5m}\n", &cfg, &err), 0);
	assert_int_equal(cfg.monitoring_interval_ms, 2000);
	assert_string_equal(cfg.alerts.exec, "/bin/true");
	assert_int_equal(cfg.alerts.min_interval_ms, 300000);
	fp_config_free(&cfg);
	assert_int_equal(parse("orchestrator: {ebpf: {interface: lo}, monitoring_interval: 2h}\n",
			       &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "t.yaml:1: orchestrator.monitoring_interval: '2h' is out of range"));
	assert_int_equal(parse("orchestrator: {ebpf: {interface: lo}}\nalerts: {exec: hook.sh}\n",
			       &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "t.yaml:2: alerts.exec: 'hook.sh' is not an absolute path"));
	assert_int_equal(parse("orchestrator: {ebpf: {interface: lo}}\n"
			       "alerts: {exec: /nonexistent/fastpath-hook}\n", &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "alerts.exec: /nonexistent/fastpath-hook: no such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heal_plan_nothing_when_as_configured),
		cmocka_unit_test(test_heal_plan_waits_for_a_gone_interface),
		cmocka_unit_test(test_heal_plan_repins_before_attaching),
		cmocka_unit_test(test_heal_plan_reattaches_in_the_wrong_mode_only_when_one_is_asked),
		cmocka_unit_test(test_heal_plan_remounts_a_gone_bpffs),
		cmocka_unit_test(test_heal_plan_firewall_alone_when_attached),
		cmocka_unit_test(test_heal_schedule_interval_then_backoff_doubling_to_the_cap),
		cmocka_unit_test(test_heal_repairs_counted_and_problems_published),
		cmocka_unit_test(test_alert_raised_once_until_cleared),
		cmocka_unit_test(test_config_monitoring_interval_and_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
