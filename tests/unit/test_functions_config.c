// SPDX-License-Identifier: BSD-2-Clause
/* The config's functions section (docs/functions.md): defaults, every
 * key, and each mistake refused with its line and key; then the checks
 * against the system (fp_functions_preflight). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <fastpath/config.h>

static int parse(const char *text, struct fp_config *cfg, struct fp_config_error *err)
{
	return fp_config_parse(text, strlen(text), "f.yaml", cfg, err);
}

static void expect_error(const char *text, const char *needle)
{
	struct fp_config_error err;
	struct fp_config cfg;

	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("expected \"%s\" in the error:\n%s", needle, err.msg);
}

static void test_function_defaults(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("functions:\n  - {id: a, trigger_port: 8080, "
			       "handler_path: /bin/true}\n", &cfg, &err), 0);
	assert_int_equal(cfg.n_functions, 1);
	assert_int_equal(cfg.functions[0].protocols, FP_FN_TCP);
	assert_int_equal(cfg.functions[0].instances, 1);
	assert_int_equal(cfg.functions[0].restart, FP_FN_RESTART_ON_FAILURE);
	assert_int_equal(cfg.functions[0].n_addresses, 0);
	assert_null(cfg.functions[0].args);
	assert_string_equal(cfg.functions[0].netns, "");
	fp_config_free(&cfg);
}

static void test_function_every_key(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;
	const struct fp_function_config *f;

	(void)state;
	assert_int_equal(parse("functions:\n"
			       "  - id: a\n"
			       "    trigger_port: 53\n"
			       "    handler_path: /bin/true\n"
			       "    protocol: both\n"
			       "    addresses: [192.0.2.0/24, \"2001:db8::/32\"]\n"
			       "    args: [-v, --port, \"53\"]\n"
			       "    env: {A: b, LOG_LEVEL: debug}\n"
			       "    instances: 4\n"
			       "    user: root\n"
			       "    group: root\n"
			       "    restart: always\n"
			       "    netns: blue\n", &cfg, &err), 0);
	f = &cfg.functions[0];
	assert_int_equal(f->protocols, FP_FN_BOTH);
	assert_int_equal(f->n_addresses, 2);
	assert_int_equal(f->addresses[0].family, AF_INET);
	assert_int_equal(f->addresses[0].len, 24);
	assert_int_equal(f->addresses[1].family, AF_INET6);
	assert_string_equal(f->args[2], "53");
	assert_null(f->args[3]);
	assert_string_equal(f->env[1], "LOG_LEVEL=debug");
	assert_int_equal(f->instances, 4);
	assert_string_equal(f->user, "root");
	assert_int_equal(f->restart, FP_FN_RESTART_ALWAYS);
	assert_string_equal(f->netns, "/run/netns/blue");
	fp_config_free(&cfg);
}

static void test_function_mistakes_refused(void **state)
{
	(void)state;
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, protocol: tpc}\n",
		     "f.yaml:2: functions[0].protocol: 'tpc' is not one of");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, restart: sometimes}\n",
		     "functions[0].restart");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, instances: 0}\n",
		     "functions[0].instances");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, addresses: [10.1.0.0/8]}\n",
		     "functions[0].addresses[0]: '10.1.0.0/8' has host bits set");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, env: {1A: b}}\n",
		     "functions[0].env.1A");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, env: {A: b, A: c}}\n",
		     "functions[0].env.A: given twice");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, args: -v}\n",
		     "functions[0].args: expected a list");
	expect_error("functions:\n  - {id: a, trigger_port: 1, handler_path: /x, netns: a/b}\n",
		     "functions[0].netns");
}

static void test_function_port_clashes(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	expect_error("functions:\n  - {id: a, trigger_port: 80, handler_path: /x, protocol: both}\n"
		     "  - {id: b, trigger_port: 80, handler_path: /x, protocol: udp}\n",
		     "f.yaml:3: functions[1].trigger_port: port 80 already triggers 'a' (line 2) over udp");
	/* TCP and UDP on one port are two functions' to have. */
	assert_int_equal(parse("functions:\n  - {id: a, trigger_port: 80, handler_path: /x}\n"
			       "  - {id: b, trigger_port: 80, handler_path: /x, protocol: udp}\n",
			       &cfg, &err), 0);
	fp_config_free(&cfg);
	expect_error("dhcp:\n  interface: eth0\n  server_id: 10.0.0.1\n"
		     "  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.10-10.0.0.20}]\n"
		     "functions:\n  - {id: a, trigger_port: 67, handler_path: /x, protocol: udp}\n",
		     "f.yaml:6: functions[0].trigger_port: UDP port 67 is the DHCP server's");
}

static void test_function_preflight(void **state)
{
	struct fp_config_error err;
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("functions:\n"
			       "  - {id: a, trigger_port: 1, handler_path: /nonexistent/h}\n"
			       "  - {id: b, trigger_port: 2, handler_path: /bin/true, user: no-such-user-x}\n"
			       "  - {id: c, trigger_port: 3, handler_path: /bin/true, user: root, group: root}\n",
			       &cfg, &err), 0);
	assert_int_equal(fp_functions_preflight(cfg.functions, cfg.n_functions, "f.yaml", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "f.yaml:2: functions[0].handler_path: /nonexistent/h: "
				       "No such file or directory"));
	assert_non_null(strstr(err.msg, "f.yaml:3: functions[1].user: no user 'no-such-user-x'"));
	assert_null(strstr(err.msg, "functions[2]"));
	assert_int_equal(cfg.functions[2].uid, 0);
	assert_int_equal(cfg.functions[2].gid, 0);
	fp_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_function_defaults),
		cmocka_unit_test(test_function_every_key),
		cmocka_unit_test(test_function_mistakes_refused),
		cmocka_unit_test(test_function_port_clashes),
		cmocka_unit_test(test_function_preflight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
