// SPDX-License-Identifier: BSD-2-Clause
/* The words and names libfastpath accepts, checked against the contracts
 * in include/fastpath/core.h and include/fastpath/port_registry.h: XDP
 * modes, directions, program names, ports, attach targets and link pin
 * names. The CLI and the config file take them through these parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <fastpath/core.h>
#include <fastpath/port_registry.h>

#define CGROUP_ROOT "/sys/fs/cgroup/unified"
#define NETNS_SELF  "/proc/self/ns/net"

/* ---- fp_mode_parse, fp_mode_str --------------------------------------- */

static void test_mode_parse_accepts_native_skb_auto(void **state)
{
	enum fp_xdp_mode m;

	(void)state;
	assert_int_equal(fp_mode_parse("native", &m), 0);
	assert_int_equal(m, FP_XDP_NATIVE);
	assert_int_equal(fp_mode_parse("skb", &m), 0);
	assert_int_equal(m, FP_XDP_SKB);
	assert_int_equal(fp_mode_parse("auto", &m), 0);
	assert_int_equal(m, FP_XDP_AUTO);
}

static void test_mode_parse_rejects_other_words(void **state)
{
	static const char *const bad[] = { "", "nativ", "natives", "skb ", " auto", "hw" };
	enum fp_xdp_mode m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fp_mode_parse(bad[i], &m), -EINVAL);
}

static void test_mode_str_round_trips(void **state)
{
	enum fp_xdp_mode m, back;

	(void)state;
	assert_string_equal(fp_mode_str(FP_XDP_NATIVE), "native");
	assert_string_equal(fp_mode_str(FP_XDP_SKB), "skb");
	assert_string_equal(fp_mode_str(FP_XDP_AUTO), "auto");
	for (m = FP_XDP_AUTO; m <= FP_XDP_SKB; m++) {
		assert_int_equal(fp_mode_parse(fp_mode_str(m), &back), 0);
		assert_int_equal(back, m);
	}
}

/* ---- fp_dir_parse, fp_dir_str ----------------------------------------- */

static void test_dir_parse_accepts_ingress_egress(void **state)
{
	enum fp_dir d;

	(void)state;
	assert_int_equal(fp_dir_parse("ingress", &d), 0);
	assert_int_equal(d, FP_DIR_INGRESS);
	assert_int_equal(fp_dir_parse("egress", &d), 0);
	assert_int_equal(d, FP_DIR_EGRESS);
	assert_string_equal(fp_dir_str(FP_DIR_INGRESS), "ingress");
	assert_string_equal(fp_dir_str(FP_DIR_EGRESS), "egress");
}

static void test_dir_parse_rejects_other_words(void **state)
{
	static const char *const bad[] = { "", "in", "out", "ingres", "egress!" };
	enum fp_dir d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fp_dir_parse(bad[i], &d), -EINVAL);
}

/* ---- fp_name_valid ---------------------------------------------------- */

static void test_name_valid_accepts_letters_digits_dash_underscore(void **state)
{
	(void)state;
	assert_true(fp_name_valid("a"));
	assert_true(fp_name_valid("xdp_port-count2"));
	assert_true(fp_name_valid("ABCxyz_019-"));
}

static void test_name_valid_rejects_empty(void **state)
{
	(void)state;
	assert_false(fp_name_valid(""));
}

static void test_name_valid_limits_length_to_63(void **state)
{
	char name[FP_NAME_MAX + 1];

	(void)state;
	memset(name, 'a', FP_NAME_MAX - 1);
	name[FP_NAME_MAX - 1] = '\0';
	assert_true(fp_name_valid(name));
	name[FP_NAME_MAX - 1] = 'a';
	name[FP_NAME_MAX] = '\0';
	assert_false(fp_name_valid(name));
}

static void test_name_valid_rejects_separators_and_dots(void **state)
{
	static const char *const bad[] = {
		"a/b", "/", "a@b", "@", ".", "..", "a.b", "a b", "a:b", "tab\t",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fp_name_valid(bad[i]))
			fail_msg("fp_name_valid(\"%s\") accepted it", bad[i]);
	}
}

/* ---- fp_port_parse ---------------------------------------------------- */

static void test_port_parse_accepts_1_to_65535(void **state)
{
	uint16_t p;

	(void)state;
	assert_int_equal(fp_port_parse("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(fp_port_parse("8080", &p), 0);
	assert_int_equal(p, 8080);
	assert_int_equal(fp_port_parse("65535", &p), 0);
	assert_int_equal(p, 65535);
}

static void test_port_parse_rejects_out_of_range(void **state)
{
	static const char *const bad[] = { "0", "65536", "-1", "99999999999999999999" };
	uint16_t p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fp_port_parse(bad[i], &p), -EINVAL);
}

static void test_port_parse_rejects_non_numbers(void **state)
{
	static const char *const bad[] = { "", "80x", "x80", " 80", "80 ", "+80", "0x50", "8.0" };
	uint16_t p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fp_port_parse(bad[i], &p) != -EINVAL)
			fail_msg("fp_port_parse(\"%s\") did not return -EINVAL", bad[i]);
	}
}

/* ---- fp_target_parse -------------------------------------------------- */

static void test_target_parse_names_interface(void **state)
{
	struct fp_target t;

	(void)state;
	assert_int_equal(fp_target_parse("lo", &t), 0);
	assert_int_equal(t.kind, FP_TARGET_DEV);
	assert_int_equal(t.ifindex, 1);
	assert_string_equal(t.name, "lo");
}

static void test_target_parse_names_cgroup_directory(void **state)
{
	struct fp_target t;

	(void)state;
	assert_int_equal(fp_target_parse(CGROUP_ROOT, &t), 0);
	assert_int_equal(t.kind, FP_TARGET_CGROUP);
	assert_string_equal(t.name, CGROUP_ROOT);
}

static void test_target_parse_names_netns_file(void **state)
{
	struct fp_target t;

	(void)state;
	assert_int_equal(fp_target_parse(NETNS_SELF, &t), 0);
	assert_int_equal(t.kind, FP_TARGET_NETNS);
	assert_string_equal(t.name, NETNS_SELF);
}

static void test_target_parse_rejects_unknown_interface(void **state)
{
	struct fp_target t;

	(void)state;
	assert_int_equal(fp_target_parse("nosuchdev0", &t), -ENODEV);
}

static void test_target_parse_rejects_other_paths(void **state)
{
	static const char *const bad[] = {
		"/tmp", "/etc/hostname", CGROUP_ROOT "/cgroup.procs",
	};
	struct fp_target t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fp_target_parse(bad[i], &t) != -ENODEV)
			fail_msg("fp_target_parse(\"%s\") did not return -ENODEV", bad[i]);
	}
}

static void test_target_parse_missing_path_is_enoent(void **state)
{
	struct fp_target t;

	(void)state;
	assert_int_equal(fp_target_parse("/nonexistent/path", &t), -ENOENT);
}

/* ---- fp_prog_target_kind ---------------------------------------------- */

static void test_prog_target_kind_by_type(void **state)
{
	(void)state;
	assert_int_equal(fp_prog_target_kind(BPF_PROG_TYPE_XDP), FP_TARGET_DEV);
	assert_int_equal(fp_prog_target_kind(BPF_PROG_TYPE_SCHED_CLS), FP_TARGET_DEV);
	assert_int_equal(fp_prog_target_kind(BPF_PROG_TYPE_CGROUP_SKB), FP_TARGET_CGROUP);
	assert_int_equal(fp_prog_target_kind(BPF_PROG_TYPE_SK_LOOKUP), FP_TARGET_NETNS);
	assert_int_equal(fp_prog_target_kind(BPF_PROG_TYPE_SOCKET_FILTER), FP_TARGET_NONE);
	assert_int_equal(fp_prog_target_kind(BPF_PROG_TYPE_SK_SKB), FP_TARGET_NONE);
}

/* ---- fp_link_pin_name ------------------------------------------------- */

static struct fp_target dev(const char *name)
{
	struct fp_target t = { .kind = FP_TARGET_DEV, .ifindex = 1 };

	snprintf(t.name, sizeof(t.name), "%s", name);
	return t;
}

static struct fp_target path(enum fp_target_kind kind, const char *p)
{
	struct fp_target t = { .kind = kind };

	snprintf(t.name, sizeof(t.name), "%s", p);
	return t;
}

static unsigned long inode_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

static void test_link_pin_name_xdp(void **state)
{
	struct fp_attachment a = { .fd = -1, .mode = FP_XDP_SKB };
	struct fp_target t = dev("lo");
	char buf[256];

	(void)state;
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_XDP, &a), 0);
	assert_string_equal(buf, "prog@lo:xdp");
}

static void test_link_pin_name_tc_tcx_and_clsact(void **state)
{
	struct fp_attachment a = { .fd = -1, .dir = FP_DIR_INGRESS };
	struct fp_target t = dev("lo");
	char buf[256];

	(void)state;
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_SCHED_CLS, &a), 0);
	assert_string_equal(buf, "prog@lo:tc-ingress");
	a.dir = FP_DIR_EGRESS;
	a.tc_netlink = true;
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_SCHED_CLS, &a), 0);
	assert_string_equal(buf, "prog@lo:clsact-egress");
}

static void test_link_pin_name_writes_dev_dots_as_colons(void **state)
{
	struct fp_attachment a = { .fd = -1 };
	struct fp_target t = dev("eth0.100");
	char buf[256];

	(void)state;
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_XDP, &a), 0);
	assert_string_equal(buf, "prog@eth0:100:xdp");
}

static void test_link_pin_name_cgroup_by_inode_and_dir(void **state)
{
	struct fp_attachment a = { .fd = -1, .dir = FP_DIR_EGRESS };
	struct fp_target t = path(FP_TARGET_CGROUP, CGROUP_ROOT);
	char buf[256], want[256];

	(void)state;
	snprintf(want, sizeof(want), "prog@cgroup:%lu:egress", inode_of(CGROUP_ROOT));
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_CGROUP_SKB, &a), 0);
	assert_string_equal(buf, want);
}

/* The inode, not the spelling, names the cgroup. */
static void test_link_pin_name_cgroup_same_for_two_spellings(void **state)
{
	struct fp_attachment a = { .fd = -1, .dir = FP_DIR_INGRESS };
	struct fp_target t1 = path(FP_TARGET_CGROUP, CGROUP_ROOT);
	struct fp_target t2 = path(FP_TARGET_CGROUP, "/sys/fs//cgroup/unified/");
	char b1[256], b2[256];

	(void)state;
	assert_int_equal(fp_link_pin_name(b1, sizeof(b1), "p", &t1,
					  BPF_PROG_TYPE_CGROUP_SKB, &a), 0);
	assert_int_equal(fp_link_pin_name(b2, sizeof(b2), "p", &t2,
					  BPF_PROG_TYPE_CGROUP_SKB, &a), 0);
	assert_string_equal(b1, b2);
}

static void test_link_pin_name_netns_by_inode(void **state)
{
	struct fp_attachment a = { .fd = -1 };
	struct fp_target t = path(FP_TARGET_NETNS, NETNS_SELF);
	char buf[256], want[256];

	(void)state;
	snprintf(want, sizeof(want), "prog@netns:%lu", inode_of(NETNS_SELF));
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_SK_LOOKUP, &a), 0);
	assert_string_equal(buf, want);
}

static void test_link_pin_name_fails_when_buffer_too_small(void **state)
{
	struct fp_attachment a = { .fd = -1 };
	struct fp_target t = dev("lo");
	char buf[sizeof("prog@lo:xdp")];

	(void)state;
	assert_int_equal(fp_link_pin_name(buf, sizeof(buf), "prog", &t,
					  BPF_PROG_TYPE_XDP, &a), 0);
	assert_true(fp_link_pin_name(buf, sizeof(buf) - 1, "prog", &t,
				     BPF_PROG_TYPE_XDP, &a) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_parse_accepts_native_skb_auto),
		cmocka_unit_test(test_mode_parse_rejects_other_words),
		cmocka_unit_test(test_mode_str_round_trips),
		cmocka_unit_test(test_dir_parse_accepts_ingress_egress),
		cmocka_unit_test(test_dir_parse_rejects_other_words),
		cmocka_unit_test(test_name_valid_accepts_letters_digits_dash_underscore),
		cmocka_unit_test(test_name_valid_rejects_empty),
		cmocka_unit_test(test_name_valid_limits_length_to_63),
		cmocka_unit_test(test_name_valid_rejects_separators_and_dots),
		cmocka_unit_test(test_port_parse_accepts_1_to_65535),
		cmocka_unit_test(test_port_parse_rejects_out_of_range),
		cmocka_unit_test(test_port_parse_rejects_non_numbers),
		cmocka_unit_test(test_target_parse_names_interface),
		cmocka_unit_test(test_target_parse_names_cgroup_directory),
		cmocka_unit_test(test_target_parse_names_netns_file),
		cmocka_unit_test(test_target_parse_rejects_unknown_interface),
		cmocka_unit_test(test_target_parse_rejects_other_paths),
		cmocka_unit_test(test_target_parse_missing_path_is_enoent),
		cmocka_unit_test(test_prog_target_kind_by_type),
		cmocka_unit_test(test_link_pin_name_xdp),
		cmocka_unit_test(test_link_pin_name_tc_tcx_and_clsact),
		cmocka_unit_test(test_link_pin_name_writes_dev_dots_as_colons),
		cmocka_unit_test(test_link_pin_name_cgroup_by_inode_and_dir),
		cmocka_unit_test(test_link_pin_name_cgroup_same_for_two_spellings),
		cmocka_unit_test(test_link_pin_name_netns_by_inode),
		cmocka_unit_test(test_link_pin_name_fails_when_buffer_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
