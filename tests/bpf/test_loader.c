// SPDX-License-Identifier: BSD-2-Clause
/* libfastpath's loader and attach paths against the real kernel: opening
 * objects, the verifier log, XDP mode fallback, pins and their removal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <cmocka.h>
#include <fastpath/core.h>
#include "examples/xdp_port_count.skel.h"

static char progs_dir[256];
static char dummy[16];   /* an ifb interface: no native XDP */
static char name[32];    /* a unique program name for pins */

static const char *prog_path(const char *file)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", progs_dir, file);
	return path;
}

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int group_setup(void **state)
{
	(void)state;
	fp_set_verbose(false);
	snprintf(dummy, sizeof(dummy), "fptl%u", (unsigned)getpid() % 100000);
	snprintf(name, sizeof(name), "fpt_loader_%u", (unsigned)getpid());
	if (geteuid() != 0)
		return 0;
	if (sh("ip link add %s type ifb && ip link set %s up", dummy, dummy))
		return -1;
	return fp_bpffs_prepare();
}

static int group_teardown(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	fp_prog_unload(name);
	sh("ip link del %s 2>/dev/null", dummy);
	return 0;
}

#define REQUIRE_ROOT() do { if (geteuid() != 0) skip(); } while (0)

static void test_open_missing_file_is_enoent(void **state)
{
	struct fp_obj *o;

	(void)state;
	assert_int_equal(fp_obj_open_file(prog_path("no_such.bpf.o"), NULL, &o), -ENOENT);
}

static void test_open_non_bpf_elf_is_enoexec(void **state)
{
	struct fp_obj *o;

	(void)state;
	assert_int_equal(fp_obj_open_file("/bin/true", NULL, &o), -ENOEXEC);
	assert_int_equal(fp_obj_open_file("/etc/hostname", NULL, &o), -ENOEXEC);
}

static void test_open_two_programs_needs_a_choice(void **state)
{
	struct fp_obj *o;

	(void)state;
	assert_int_equal(fp_obj_open_file(prog_path("two_progs.bpf.o"), NULL, &o), -ENOTUNIQ);
	assert_int_equal(fp_obj_open_file(prog_path("two_progs.bpf.o"), "nope", &o), -ESRCH);
	assert_int_equal(fp_obj_open_file(prog_path("two_progs.bpf.o"), "second_drop", &o), 0);
	assert_string_equal(fp_obj_prog_name(o), "second_drop");
	assert_int_equal(fp_obj_prog_type(o), BPF_PROG_TYPE_XDP);
	fp_obj_close(o);
}

static void test_load_keeps_the_whole_verifier_log(void **state)
{
	struct fp_obj *o;
	const char *log;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(fp_obj_open_file(prog_path("bad_verifier_long.bpf.o"), NULL, &o), 0);
	assert_true(fp_obj_load(o) < 0);
	log = fp_obj_log(o);
	/* Longer than the first 64 KiB buffer: it grew, and kept the start. */
	assert_true(strlen(log) > 64 * 1024);
	assert_non_null(strstr(log, "0: R1=ctx"));
	assert_non_null(strstr(log, "invalid access to packet"));
	fp_obj_close(o);
}

static void test_load_success_has_no_log(void **state)
{
	struct fp_obj *o;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(fp_obj_open_file(prog_path("xdp_pass.bpf.o"), NULL, &o), 0);
	assert_int_equal(fp_obj_load(o), 0);
	assert_string_equal(fp_obj_log(o), "");
	assert_true(fp_obj_prog_fd(o) >= 0);
	fp_obj_close(o);
}

static void test_open_embedded_skeleton_loads(void **state)
{
	size_t sz = 0;
	const void *elf = xdp_port_count__elf_bytes(&sz);
	struct fp_obj *o;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(fp_obj_open_mem("xdp_port_count", elf, sz, NULL, &o), 0);
	assert_string_equal(fp_obj_prog_name(o), "xdp_port_count");
	assert_int_equal(fp_obj_load(o), 0);
	fp_obj_close(o);
}

static struct fp_obj *load_xdp_pass(void)
{
	struct fp_obj *o;

	assert_int_equal(fp_obj_open_file(prog_path("xdp_pass.bpf.o"), NULL, &o), 0);
	assert_int_equal(fp_obj_load(o), 0);
	return o;
}

static void test_attach_auto_falls_back_to_skb(void **state)
{
	struct fp_attach_opts opts = { .mode = FP_XDP_AUTO };
	struct fp_attachment a;
	struct fp_target t;
	const char *mode;
	struct fp_obj *o;
	__u32 id;

	(void)state;
	REQUIRE_ROOT();
	o = load_xdp_pass();
	assert_int_equal(fp_target_parse(dummy, &t), 0);
	assert_int_equal(fp_attach(fp_obj_prog_fd(o), BPF_PROG_TYPE_XDP, &t, &opts, &a), 0);
	assert_int_equal(a.mode, FP_XDP_SKB);
	assert_true(a.native_failed);
	assert_int_equal(fp_xdp_query(t.ifindex, &id, &mode), 0);
	assert_string_equal(mode, "skb");
	fp_attachment_close(&a, fp_obj_prog_fd(o), &t);
	assert_int_equal(fp_xdp_query(t.ifindex, &id, &mode), 0);
	assert_int_equal(id, 0);
	fp_obj_close(o);
}

static void test_attach_native_unsupported_is_eopnotsupp(void **state)
{
	struct fp_attach_opts opts = { .mode = FP_XDP_NATIVE };
	struct fp_attachment a;
	struct fp_target t;
	struct fp_obj *o;

	(void)state;
	REQUIRE_ROOT();
	o = load_xdp_pass();
	assert_int_equal(fp_target_parse(dummy, &t), 0);
	assert_int_equal(fp_attach(fp_obj_prog_fd(o), BPF_PROG_TYPE_XDP, &t, &opts, &a),
			 -EOPNOTSUPP);
	fp_obj_close(o);
}

static void test_attach_wrong_target_kind_is_refused(void **state)
{
	struct fp_attach_opts opts = { .dir = FP_DIR_INGRESS };
	struct fp_attachment a;
	struct fp_target t;
	struct fp_obj *o;

	(void)state;
	REQUIRE_ROOT();
	o = load_xdp_pass();
	assert_int_equal(fp_target_parse("/proc/self/ns/net", &t), 0);
	assert_int_equal(fp_attach(fp_obj_prog_fd(o), BPF_PROG_TYPE_XDP, &t, &opts, &a),
			 -EMEDIUMTYPE);
	fp_obj_close(o);
}

static void test_managed_program_pins_and_unpins(void **state)
{
	struct fp_attach_opts opts = { .mode = FP_XDP_SKB };
	struct fp_load_result res;
	struct fp_attachment a;
	struct fp_link_info *links;
	struct fp_target t;
	char path[256];
	size_t n, mine = 0;
	int count;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(fp_prog_load(prog_path("xdp_drop_icmp.bpf.o"), NULL, name, &res), 0);
	fp_load_result_free(&res);
	assert_int_equal(fp_prog_load(prog_path("xdp_drop_icmp.bpf.o"), NULL, name, &res), -EEXIST);
	fp_load_result_free(&res);
	snprintf(path, sizeof(path), FP_PIN_ROOT "/progs/%s", name);
	assert_int_equal(access(path, F_OK), 0);
	/* The .bss map, pinned with its dot replaced. */
	snprintf(path, sizeof(path), FP_PIN_ROOT "/maps/%s/xdp_drop_bss", name);
	assert_int_equal(access(path, F_OK), 0);

	assert_int_equal(fp_target_parse(dummy, &t), 0);
	assert_int_equal(fp_prog_attach(name, &t, &opts, &a), 0);
	assert_int_equal(fp_list_links(&links, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(links[i].prog, name))
			continue;
		mine++;
		assert_string_equal(links[i].hook, "xdp");
		assert_string_equal(links[i].target, dummy);
		assert_string_equal(links[i].mode, "skb");
	}
	free(links);
	assert_int_equal(mine, 1);

	assert_int_equal(fp_prog_unload(name), 0);
	assert_int_equal(fp_prog_detach(name, NULL, &count), -ENOENT);
	snprintf(path, sizeof(path), FP_PIN_ROOT "/progs/%s", name);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), FP_PIN_ROOT "/maps/%s", name);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(fp_prog_unload(name), -ENOENT);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing_file_is_enoent),
		cmocka_unit_test(test_open_non_bpf_elf_is_enoexec),
		cmocka_unit_test(test_open_two_programs_needs_a_choice),
		cmocka_unit_test(test_load_keeps_the_whole_verifier_log),
		cmocka_unit_test(test_load_success_has_no_log),
		cmocka_unit_test(test_open_embedded_skeleton_loads),
		cmocka_unit_test(test_attach_auto_falls_back_to_skb),
		cmocka_unit_test(test_attach_native_unsupported_is_eopnotsupp),
		cmocka_unit_test(test_attach_wrong_target_kind_is_refused),
		cmocka_unit_test(test_managed_program_pins_and_unpins),
	};
	/* BUILD/tests/bpf/test_loader finds BUILD/tests/progs. */
	(void)argc;
	snprintf(progs_dir, sizeof(progs_dir), "%s/../progs", dirname(argv[0]));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
