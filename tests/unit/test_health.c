// SPDX-License-Identifier: BSD-2-Clause
/* The health checks' decisions and thresholds, and the latency metrics
 * exported only while the kernel measures run times: no kernel. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fastpath/config.h>
#include <fastpath/metrics.h>

static void test_health_fill_degraded_from_threshold(void **state)
{
	(void)state;
	assert_true(fp_health_fill_ok(79, 100, 80));
	assert_false(fp_health_fill_ok(80, 100, 80));       /* 80% full is degraded */
	assert_false(fp_health_fill_ok(100, 100, 80));
	assert_true(fp_health_fill_ok(0, 0, 80));           /* no table, nothing full */
	assert_true(fp_health_fill_ok(99, 100, 100));
	assert_false(fp_health_fill_ok(100, 100, 100));
	/* No overflow on a table of billions. */
	assert_true(fp_health_fill_ok(3000000000ULL, 4000000000ULL, 80));
	assert_false(fp_health_fill_ok(3200000000ULL, 4000000000ULL, 80));
	/* A lease cache with room for every lease its pools can bind cannot
	 * fill, however full; one without, or not known, as any table. */
	assert_true(fp_health_cache_ok(240, 256, 250, 80));
	assert_true(fp_health_cache_ok(256, 256, 256, 80));
	assert_false(fp_health_cache_ok(240, 256, 300, 80));
	assert_false(fp_health_cache_ok(240, 256, 0, 80));
	assert_true(fp_health_cache_ok(100, 256, 300, 80));
}

static void test_health_drops_judged_from_enough_packets(void **state)
{
	(void)state;
	/* 1 of 3 is no signal. */
	assert_true(fp_health_drops_ok(3, 1, 5));
	assert_true(fp_health_drops_ok(FP_HEALTH_DROP_MIN_PACKETS - 1,
					FP_HEALTH_DROP_MIN_PACKETS - 1, 5));
	assert_false(fp_health_drops_ok(FP_HEALTH_DROP_MIN_PACKETS,
					 FP_HEALTH_DROP_MIN_PACKETS, 5));
	assert_true(fp_health_drops_ok(1000, 49, 5));
	assert_false(fp_health_drops_ok(1000, 50, 5));      /* 5% is degraded */
	assert_true(fp_health_drops_ok(1000, 0, 0));        /* 0: no drop at all */
	assert_false(fp_health_drops_ok(1000, 1, 0));
	assert_true(fp_health_drops_ok(1000, 999, 100));
	assert_false(fp_health_drops_ok(1000, 1000, 100));
}

static void test_health_latency_mean_below_threshold(void **state)
{
	(void)state;
	assert_true(fp_health_latency_ok(0, 0, 1000));       /* nothing measured */
	assert_true(fp_health_latency_ok(999 * 10, 10, 1000));
	assert_false(fp_health_latency_ok(1000 * 10, 10, 1000));
	assert_false(fp_health_latency_ok(5000, 1, 1000));
	/* 1 ms threshold, 10^9 runs of 80 ns. */
	assert_true(fp_health_latency_ok(80000000000ULL, 1000000000ULL, 1000000));
}

static void test_health_disk_free_in_mib(void **state)
{
	(void)state;
	assert_true(fp_health_disk_ok(64ULL << 20, 64));
	assert_false(fp_health_disk_ok((64ULL << 20) - 1, 64));
	assert_true(fp_health_disk_ok(0, 0));               /* 0: never degraded */
}

static int parse(const char *orch, struct fp_config *cfg, struct fp_config_error *err)
{
	char text[512];

	snprintf(text, sizeof(text), "orchestrator:\n  ebpf: {enabled: false}\n%s", orch);
	memset(err, 0, sizeof(*err));
	return fp_config_parse(text, strlen(text), "t.yaml", cfg, err);
}

static void test_config_health_defaults(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("", &cfg, &err), 0);
	assert_int_equal(cfg.health.map_fill_percent, 80);
	assert_int_equal(cfg.health.drop_ratio_percent, 5);
	assert_int_equal(cfg.health.disk_free_mb, FP_HEALTH_DISK_FREE_MB);
	assert_true(cfg.health.latency_ns == 1000000);
	assert_false(cfg.health.latency_stats);
	fp_config_free(&cfg);
}

static void test_config_health_thresholds(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("  latency_stats: true\n  latency_threshold_ms: 0.05\n"
			       "  health: {map_fill_percent: 90, drop_ratio_percent: 0, "
			       "disk_free_mb: 1024}\n", &cfg, &err), 0);
	assert_true(cfg.health.latency_stats);
	assert_true(cfg.health.latency_ns == 50000);
	assert_int_equal(cfg.health.map_fill_percent, 90);
	assert_int_equal(cfg.health.drop_ratio_percent, 0);
	assert_int_equal(cfg.health.disk_free_mb, 1024);
	fp_config_free(&cfg);
	assert_int_equal(parse("  latency_threshold_ms: 250\n", &cfg, &err), 0);
	assert_true(cfg.health.latency_ns == 250000000);
	fp_config_free(&cfg);
	assert_int_equal(parse("  latency_threshold_ms: 0.000001\n", &cfg, &err), 0);
	assert_true(cfg.health.latency_ns == 1);
	fp_config_free(&cfg);
}

/* Each bad value is named with its key and what would do. */
static void test_config_health_bad_values(void **state)
{
	static const struct {
		const char *yaml, *says;
	} bad[] = {
		{ "  health: {map_fill_percent: 0}\n", "orchestrator.health.map_fill_percent: 0 is out of range (1-100)" },
		{ "  health: {map_fill_percent: 101}\n", "out of range (1-100)" },
		{ "  health: {drop_ratio_percent: -1}\n", "orchestrator.health.drop_ratio_percent" },
		{ "  health: {disk_free_mb: lots}\n", "orchestrator.health.disk_free_mb" },
		{ "  health: {map_fil_percent: 80}\n", "did you mean 'map_fill_percent'" },
		{ "  latency_threshold_ms: 0\n", "orchestrator.latency_threshold_ms: 0 is out of range" },
		{ "  latency_threshold_ms: fast\n", "'fast' is not a number of milliseconds" },
		{ "  latency_threshold_ms: 1.\n", "is not a number of milliseconds" },
		{ "  latency_threshold_ms: .5\n", "is not a number of milliseconds" },
		{ "  latency_threshold_ms: 0.0000001\n", "at most six decimals" },
		{ "  latency_threshold_ms: 60001\n", "out of range" },
		{ "  latency_threshold_ms: 99999999999999999999999\n", "out of range" },
		{ "  latency_stats: sometimes\n", "orchestrator.latency_stats" },
	};
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].yaml, &cfg, &err), -EINVAL);
		if (!strstr(err.msg, bad[i].says))
			fail_msg("%s: want \"%s\" in: %s", bad[i].yaml, bad[i].says, err.msg);
	}
}

static char *render(struct fp_metrics_snapshot *s)
{
	struct fp_text t = { 0 };

	fp_metrics_render(s, &t);
	assert_int_equal(t.err, 0);
	assert_non_null(t.data);
	return t.data;
}

static void test_metrics_latency_only_while_measured(void **state)
{
	struct fp_metrics_iface m = { .dev = "eth0", .has_stats = true, .has_runs = true,
				      .run_time_ns = 2500, .run_cnt = 20 };
	struct fp_metrics_prog p = { .name = "counter", .run_time_ns = 3000000000ULL,
				     .run_cnt = 7 };
	struct fp_metrics_snapshot s = { .ifaces = &m, .n = 1, .progs = &p, .n_progs = 1 };
	char *t;

	(void)state;
	t = render(&s);
	assert_null(strstr(t, "latency"));
	assert_null(strstr(t, "run_time"));
	assert_null(strstr(t, "run_count"));
	free(t);
	s.latency_stats = true;
	t = render(&s);
	assert_non_null(strstr(t, "\nebpf_latency_microseconds{interface=\"eth0\"} 0.125\n"));
	assert_non_null(strstr(t, "\nfastpath_pipeline_run_time_seconds_total{interface=\"eth0\"} 0.000002500\n"));
	assert_non_null(strstr(t, "\nfastpath_pipeline_run_count_total{interface=\"eth0\"} 20\n"));
	assert_non_null(strstr(t, "\nfastpath_program_run_time_seconds_total{program=\"counter\"} 3.000000000\n"));
	assert_non_null(strstr(t, "\nfastpath_program_run_count_total{program=\"counter\"} 7\n"));
	free(t);
	/* Nothing run yet: no mean to give, the counters say 0. */
	m.run_time_ns = m.run_cnt = 0;
	t = render(&s);
	assert_null(strstr(t, "\nebpf_latency_microseconds{"));
	assert_non_null(strstr(t, "\nfastpath_pipeline_run_count_total{interface=\"eth0\"} 0\n"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_fill_degraded_from_threshold),
		cmocka_unit_test(test_health_drops_judged_from_enough_packets),
		cmocka_unit_test(test_health_latency_mean_below_threshold),
		cmocka_unit_test(test_health_disk_free_in_mib),
		cmocka_unit_test(test_config_health_defaults),
		cmocka_unit_test(test_config_health_thresholds),
		cmocka_unit_test(test_config_health_bad_values),
		cmocka_unit_test(test_metrics_latency_only_while_measured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
