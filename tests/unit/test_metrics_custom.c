// SPDX-License-Identifier: BSD-2-Clause
/* Custom metrics without a kernel: the metrics: section as the file is
 * checked (each mistake refused with its line, key and what to write),
 * keys and per-CPU values as they are read, and the rendering of what
 * was read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fastpath/config.h>
#include <fastpath/metrics.h>

#define NAME "bad.yaml"
#define MAP "/sys/fs/bpf/fastpath/maps/myprog/counts"

/* TEXT after an orchestrator: section the rest of the file needs, so
 * that line numbers in TEXT are the file's. */
static int parse(const char *text, struct fp_config *cfg, struct fp_config_error *err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%sorchestrator: {ebpf: {enabled: false}}\n", text);
	return fp_config_parse(buf, strlen(buf), NAME, cfg, err);
}

/* One entry's keys after "metrics: custom: - ", indented to fit. */
static void expect_rejected(const char *entry, const char *needle)
{
	char text[2048];
	struct fp_config cfg;
	struct fp_config_error err = { 0 };

	snprintf(text, sizeof(text), "metrics:\n  custom:\n    - %s\n", entry);
	memset(&err, 0, sizeof(err));
	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("error lacks \"%s\":\n%s\nfor:\n%s", needle, err.msg, text);
	if (strncmp(err.msg, NAME ":", strlen(NAME ":")))
		fail_msg("error does not start with the file's name: %s", err.msg);
}

static void test_metrics_custom_section_parses_every_field(void **state)
{
	const char *text =
		"metrics:\n"
		"  custom:\n"
		"    - name: myapp_packets_total\n"
		"      type: counter\n"
		"      help: Packets my program counted.\n"
		"      map: " MAP "\n"
		"      key: 3\n"
		"      labels: {program: myapp, dir: in}\n"
		"    - name: myapp_by_proto\n"
		"      type: gauge\n"
		"      map: /sys/fs/bpf/proto\n"
		"      all_keys: true\n"
		"      max_keys: 300\n"
		"    - {name: myapp_addr, type: gauge, map: /sys/fs/bpf/x, key: \"0a 00 00 01\"}\n"
		"    - {name: myapp_hex, type: gauge, map: /sys/fs/bpf/y, key: 0x1F}\n";
	struct fp_config cfg;
	struct fp_config_error err = { 0 };
	const struct fp_metric_custom *m;

	(void)state;
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(cfg.metrics.n_custom, 4);
	m = &cfg.metrics.custom[0];
	assert_string_equal(m->name, "myapp_packets_total");
	assert_int_equal(m->type, FP_METRIC_COUNTER);
	assert_string_equal(m->help, "Packets my program counted.");
	assert_string_equal(m->map, MAP);
	assert_true(m->key_is_int);
	assert_int_equal(m->key_int, 3);
	assert_false(m->all_keys);
	assert_int_equal(m->n_labels, 2);
	assert_string_equal(m->labels[0].name, "program");
	assert_string_equal(m->labels[0].value, "myapp");
	assert_string_equal(m->labels[1].name, "dir");
	assert_int_equal(m->line, 3);
	m = &cfg.metrics.custom[1];
	assert_int_equal(m->type, FP_METRIC_GAUGE);
	assert_true(m->all_keys);
	assert_int_equal(m->max_keys, 300);
	m = &cfg.metrics.custom[2];
	assert_false(m->key_is_int);
	assert_int_equal(m->key_len, 4);
	assert_memory_equal(m->key, "\x0a\x00\x00\x01", 4);
	m = &cfg.metrics.custom[3];
	assert_true(m->key_is_int);
	assert_int_equal(m->key_int, 0x1f);
	fp_config_free(&cfg);
}

static void test_metrics_custom_absent_section_is_empty(void **state)
{
	struct fp_config cfg;
	struct fp_config_error err = { 0 };

	(void)state;
	assert_int_equal(parse("metrics:\n", &cfg, &err), 0);
	assert_int_equal(cfg.metrics.n_custom, 0);
	fp_config_free(&cfg);
	assert_int_equal(parse("flows: {enabled: true}\n", &cfg, &err), 0);
	assert_int_equal(cfg.metrics.n_custom, 0);
	fp_config_free(&cfg);
}

static void test_metrics_custom_all_keys_defaults_to_64(void **state)
{
	struct fp_config cfg;
	struct fp_config_error err = { 0 };

	(void)state;
	assert_int_equal(parse("metrics:\n  custom:\n    - {name: a_b, type: gauge, map: "
			       MAP ", all_keys: true}\n", &cfg, &err), 0);
	assert_int_equal(cfg.metrics.custom[0].max_keys, FP_METRICS_KEYS_DEFAULT);
	fp_config_free(&cfg);
}

static void test_metrics_custom_name_must_be_snake_case(void **state)
{
	(void)state;
	expect_rejected("{name: myApp, type: gauge, map: " MAP ", key: 0}",
			"bad.yaml:3: metrics.custom[0].name: 'myApp' is no metric name: write it in snake_case");
	expect_rejected("{name: 9lives, type: gauge, map: " MAP ", key: 0}", "not starting with a digit");
	expect_rejected("{name: 'a-b', type: gauge, map: " MAP ", key: 0}", "snake_case");
	expect_rejected("{name: 'a:b', type: gauge, map: " MAP ", key: 0}", "snake_case");
}

static void test_metrics_custom_name_of_ours_refused(void **state)
{
	(void)state;
	expect_rejected("{name: fastpath_firewall_rules, type: gauge, map: " MAP ", key: 0}",
			"namespace fastpath exports itself (fastpath_*, ebpf_*); prefix it with your "
			"program's name, e.g. myapp_firewall_rules");
	expect_rejected("{name: ebpf_packets_dropped_total, type: counter, map: " MAP ", key: 0}",
			"myapp_packets_dropped_total");
}

static void test_metrics_custom_counter_name_ends_in_total(void **state)
{
	(void)state;
	expect_rejected("{name: myapp_packets, type: counter, map: " MAP ", key: 0}",
			"name it myapp_packets_total, or make it a gauge");
	expect_rejected("{name: myapp_packets_total, type: gauge, map: " MAP ", key: 0}",
			"a gauge's name does not end in _total");
}

static void test_metrics_custom_type_suggests_near_miss(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: guage, map: " MAP ", key: 0}",
			"metrics.custom[0].type: 'guage' is not one of gauge, counter (did you mean 'gauge'?)");
}

static void test_metrics_custom_unknown_key_suggests_near_miss(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 0, lables: {a: b}}",
			"metrics.custom[0].lables: unknown key 'lables'; did you mean 'labels'?");
}

static void test_metrics_custom_required_keys_named(void **state)
{
	(void)state;
	expect_rejected("{type: gauge, map: " MAP ", key: 0}",
			"missing required key 'name' (the metric's name, e.g. myapp_packets_total)");
	expect_rejected("{name: a_b, map: " MAP ", key: 0}", "missing required key 'type' (counter or gauge)");
	expect_rejected("{name: a_b, type: gauge, key: 0}", "missing required key 'map'");
}

static void test_metrics_custom_map_must_be_a_pin(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: gauge, map: /tmp/counts, key: 0}",
			"'/tmp/counts' is not a pin under /sys/fs/bpf/");
	expect_rejected("{name: a_b, type: gauge, map: /sys/fs/bpf/../etc, key: 0}",
			"is not a pin under /sys/fs/bpf/");
	expect_rejected("{name: a_b, type: gauge, map: counts, key: 0}", "metrics.custom[0].map");
}

static void test_metrics_custom_key_forms_refused(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: -1}",
			"'-1' is no key: write an integer");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: '0a'}", "is no key");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: '0a 0'}", "is no key");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: '0x'}", "is no key");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 18446744073709551616}",
			"is no key");
}

static void test_metrics_custom_key_or_all_keys_required(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: gauge, map: " MAP "}",
			"which value? give key: N (an array map's index, e.g. 0)");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 1, all_keys: true}",
			"key and all_keys: true exclude each other");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 1, max_keys: 5}",
			"max_keys bounds all_keys: true");
}

static void test_metrics_custom_all_keys_bounded(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", all_keys: true, max_keys: 5000}",
			"metrics.custom[0].max_keys");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", all_keys: true, max_keys: 0}",
			"metrics.custom[0].max_keys");
}

static void test_metrics_custom_label_names_checked(void **state)
{
	(void)state;
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 0, labels: {__x: y}}",
			"'__x' is no label name");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 0, labels: {'a-b': y}}",
			"'a-b' is no label name");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 0, labels: {a: y, a: z}}",
			"metrics.custom[0].labels.a: given twice");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 0, labels: [a]}",
			"expected a mapping of label names to values");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", all_keys: true, labels: {key: x}}",
			"'key' is the label all_keys writes");
	expect_rejected("{name: a_b, type: gauge, map: " MAP ", key: 0, labels: {a: [1]}}",
			"metrics.custom[0].labels.a");
}

static void test_metrics_custom_one_name_is_one_family(void **state)
{
	struct fp_config cfg;
	struct fp_config_error err = { 0 };
	const char *two =
		"metrics:\n  custom:\n"
		"    - {name: a_total, type: counter, map: " MAP ", key: 0, labels: {proto: tcp}}\n"
		"    - {name: a_total, type: counter, map: " MAP ", key: 1, labels: {proto: udp}}\n";
	const char *same =
		"metrics:\n  custom:\n"
		"    - {name: a_total, type: counter, map: " MAP ", key: 0, labels: {proto: tcp}}\n"
		"    - {name: a_total, type: counter, map: " MAP ", key: 1, labels: {proto: tcp}}\n";
	const char *types =
		"metrics:\n  custom:\n"
		"    - {name: a_b, type: gauge, map: " MAP ", key: 0, labels: {p: x}}\n"
		"    - {name: a_b, type: counter, map: " MAP ", key: 1}\n";

	(void)state;
	assert_int_equal(parse(two, &cfg, &err), 0);
	fp_config_free(&cfg);
	assert_int_equal(parse(same, &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bad.yaml:4: metrics.custom[1]: 'a_total' with these "
				  "labels is exported already on line 3"));
	assert_int_equal(parse(types, &cfg, &err), -EINVAL);
	/* the _total rule tells the two types' names apart already */
	assert_non_null(strstr(err.msg, "bad.yaml:4: metrics.custom[1].name: a counter's name ends in _total"));
}

static void test_metrics_custom_key_encode_sizes(void **state)
{
	struct fp_metric_custom d = { .key_is_int = true, .key_int = 0x1234 };
	unsigned char k[8];
	__u32 k32;
	__u64 k64;

	(void)state;
	assert_int_equal(fp_metric_key_encode(&d, 4, k), 0);
	memcpy(&k32, k, 4);
	assert_int_equal(k32, 0x1234);
	assert_int_equal(fp_metric_key_encode(&d, 8, k), 0);
	memcpy(&k64, k, 8);
	assert_int_equal(k64, 0x1234);
	assert_int_equal(fp_metric_key_encode(&d, 1, k), -ERANGE);  /* does not fit */
	assert_int_equal(fp_metric_key_encode(&d, 3, k), -ERANGE);  /* no integer's size */
	d.key_int = 0xffffffffull + 1;
	assert_int_equal(fp_metric_key_encode(&d, 4, k), -ERANGE);
	d = (struct fp_metric_custom){ .key = { 1, 2, 3 }, .key_len = 3 };
	assert_int_equal(fp_metric_key_encode(&d, 3, k), 0);
	assert_memory_equal(k, "\x01\x02\x03", 3);
	assert_int_equal(fp_metric_key_encode(&d, 4, k), -EINVAL);
}

/* Per-CPU values come out in 8-byte slots, a u32 padded. */
static void test_metrics_custom_value_sum_over_cpus(void **state)
{
	__u64 slots[3], sum;
	__u32 v32[3] = { 5, 7, 11 };

	(void)state;
	memset(slots, 0xee, sizeof(slots));
	for (int c = 0; c < 3; c++)
		memcpy(&slots[c], &v32[c], 4);
	assert_int_equal(fp_metric_value_sum(slots, 3, 4, &sum), 0);
	assert_int_equal(sum, 23);
	slots[0] = 1ull << 40;
	slots[1] = 2;
	slots[2] = 3;
	assert_int_equal(fp_metric_value_sum(slots, 3, 8, &sum), 0);
	assert_int_equal(sum, (1ull << 40) + 5);
	assert_int_equal(fp_metric_value_sum(slots, 1, 8, &sum), 0);
	assert_int_equal(sum, 1ull << 40);
	assert_int_equal(fp_metric_value_sum(slots, 1, 16, &sum), -EINVAL);
}

static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void test_metrics_custom_render_groups_and_escapes(void **state)
{
	struct fp_metric_custom d[3] = {
		{ .name = "a_total", .type = FP_METRIC_COUNTER, .help = "Back\\slash\nx",
		  .map = MAP, .n_labels = 1, .labels = { { "p", "t\"c\\p" } } },
		{ .name = "k_by", .type = FP_METRIC_GAUGE, .map = MAP, .all_keys = true },
		{ .name = "a_total", .type = FP_METRIC_COUNTER, .map = MAP, .n_labels = 1,
		  .labels = { { "p", "udp" } } },
	};
	struct fp_metric_sample s0 = { .value = 7 }, s1[2] = { { 1, "6" }, { 2, "17" } };
	struct fp_metric_read r[3] = {
		{ .def = &d[0], .samples = &s0, .n = 1 },
		{ .def = &d[1], .samples = s1, .n = 2 },
		{ .def = &d[2], .err = -ENOENT, .why = "map missing" },
	};
	struct fp_metrics_custom_snapshot snap = { r, 3 };
	struct fp_text t = { 0 };
	const char *a, *k;

	(void)state;
	fp_metrics_custom_render(&snap, &t);
	assert_int_equal(t.err, 0);
	assert_line(t.data, "# HELP a_total Back\\\\slash\\nx");
	assert_line(t.data, "# TYPE a_total counter");
	assert_line(t.data, "a_total{p=\"t\\\"c\\\\p\"} 7");
	assert_line(t.data, "# HELP k_by From the BPF map " MAP " (metrics.custom).");
	assert_line(t.data, "k_by{key=\"6\"} 1");
	assert_line(t.data, "k_by{key=\"17\"} 2");
	assert_line(t.data, "fastpath_custom_metric_up{metric=\"a_total\"} 0");
	assert_line(t.data, "fastpath_custom_metric_up{metric=\"k_by\"} 1");
	/* One family per name: a_total's TYPE once, and no sample of the
	 * entry that was skipped. */
	a = strstr(t.data, "# TYPE a_total");
	assert_null(strstr(a + 1, "# TYPE a_total"));
	assert_null(strstr(t.data, "udp"));
	k = strstr(t.data, "# TYPE k_by");
	assert_true(a < k);
	fp_text_free(&t);
}

static void test_metrics_custom_render_nothing_without_entries(void **state)
{
	struct fp_metrics_custom_snapshot snap = { 0 };
	struct fp_text t = { 0 };

	(void)state;
	fp_metrics_custom_render(&snap, &t);
	assert_null(t.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_custom_section_parses_every_field),
		cmocka_unit_test(test_metrics_custom_absent_section_is_empty),
		cmocka_unit_test(test_metrics_custom_all_keys_defaults_to_64),
		cmocka_unit_test(test_metrics_custom_name_must_be_snake_case),
		cmocka_unit_test(test_metrics_custom_name_of_ours_refused),
		cmocka_unit_test(test_metrics_custom_counter_name_ends_in_total),
		cmocka_unit_test(test_metrics_custom_type_suggests_near_miss),
		cmocka_unit_test(test_metrics_custom_unknown_key_suggests_near_miss),
		cmocka_unit_test(test_metrics_custom_required_keys_named),
		cmocka_unit_test(test_metrics_custom_map_must_be_a_pin),
		cmocka_unit_test(test_metrics_custom_key_forms_refused),
		cmocka_unit_test(test_metrics_custom_key_or_all_keys_required),
		cmocka_unit_test(test_metrics_custom_all_keys_bounded),
		cmocka_unit_test(test_metrics_custom_label_names_checked),
		cmocka_unit_test(test_metrics_custom_one_name_is_one_family),
		cmocka_unit_test(test_metrics_custom_key_encode_sizes),
		cmocka_unit_test(test_metrics_custom_value_sum_over_cpus),
		cmocka_unit_test(test_metrics_custom_render_groups_and_escapes),
		cmocka_unit_test(test_metrics_custom_render_nothing_without_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
