// SPDX-License-Identifier: BSD-2-Clause
/* Rule-list editing (src/lib/firewall/firewall_edit.c): insert at a
 * position, remove by index, as fastpath firewall add/delete use them. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include <fastpath/firewall.h>

/* A list of rules told apart by their line. */
static void make(struct fp_firewall_config *fw, unsigned int n)
{
	fw->n_rules = 0;
	fw->rules = NULL;
	for (unsigned int i = 1; i <= n; i++) {
		struct fp_fw_rule r = { .line = i };

		assert_int_equal(fp_fw_rules_insert(fw, &r, 0), 0);
	}
}

static void assert_lines(const struct fp_firewall_config *fw, const unsigned int *want,
			 size_t n)
{
	assert_int_equal(fw->n_rules, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fw->rules[i].line, want[i]);
}

static void test_firewall_insert_at_end_by_default(void **state)
{
	struct fp_firewall_config fw;
	const unsigned int want[] = { 1, 2, 3 };

	(void)state;
	make(&fw, 3);
	assert_lines(&fw, want, 3);
	free(fw.rules);
}

static void test_firewall_insert_at_position(void **state)
{
	struct fp_firewall_config fw;
	struct fp_fw_rule r = { .line = 9 };
	const unsigned int first[] = { 9, 1, 2, 3 }, second[] = { 9, 1, 9, 2, 3 };

	(void)state;
	make(&fw, 3);
	assert_int_equal(fp_fw_rules_insert(&fw, &r, 1), 0);
	assert_lines(&fw, first, 4);
	assert_int_equal(fp_fw_rules_insert(&fw, &r, 3), 0);
	assert_lines(&fw, second, 5);
	free(fw.rules);
}

static void test_firewall_insert_past_end_appends(void **state)
{
	struct fp_firewall_config fw;
	struct fp_fw_rule r = { .line = 9 };
	const unsigned int want[] = { 1, 2, 9 };

	(void)state;
	make(&fw, 2);
	assert_int_equal(fp_fw_rules_insert(&fw, &r, 50), 0);
	assert_lines(&fw, want, 3);
	free(fw.rules);
}

static void test_firewall_insert_into_empty_set(void **state)
{
	struct fp_firewall_config fw = { 0 };
	struct fp_fw_rule r = { .line = 7 };
	const unsigned int want[] = { 7 };

	(void)state;
	assert_int_equal(fp_fw_rules_insert(&fw, &r, 1), 0);
	assert_lines(&fw, want, 1);
	free(fw.rules);
}

static void test_firewall_remove_by_index(void **state)
{
	struct fp_firewall_config fw;
	const unsigned int want[] = { 1, 3 };

	(void)state;
	make(&fw, 3);
	assert_int_equal(fp_fw_rules_remove(&fw, 2), 0);
	assert_lines(&fw, want, 2);
	free(fw.rules);
}

static void test_firewall_remove_out_of_range_changes_nothing(void **state)
{
	struct fp_firewall_config fw;
	const unsigned int want[] = { 1, 2 };

	(void)state;
	make(&fw, 2);
	assert_int_equal(fp_fw_rules_remove(&fw, 3), -ERANGE);
	assert_int_equal(fp_fw_rules_remove(&fw, 0), -ERANGE);
	assert_lines(&fw, want, 2);
	free(fw.rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firewall_insert_at_end_by_default),
		cmocka_unit_test(test_firewall_insert_at_position),
		cmocka_unit_test(test_firewall_insert_past_end_appends),
		cmocka_unit_test(test_firewall_insert_into_empty_set),
		cmocka_unit_test(test_firewall_remove_by_index),
		cmocka_unit_test(test_firewall_remove_out_of_range_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
