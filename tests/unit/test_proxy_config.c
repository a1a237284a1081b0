// SPDX-License-Identifier: BSD-2-Clause
/* The proxy: section of the configuration, validated whole. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fastpath/config.h>

#define HEAD "orchestrator: {ebpf: {enabled: false}}\nproxy:\n"

static int parse(const char *text, struct fp_config *cfg, struct fp_config_error *err)
{
	return fp_config_parse(text, strlen(text), "f.yaml", cfg, err);
}

static void test_proxy_parses_every_key_and_defaults(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(HEAD
		"  - {name: web, listen: 127.0.0.1:8080, backends: [10.0.0.2:80, 10.0.0.3:81],\n"
		"     balance: least_conn, accelerate: splice, connect_timeout: 2s,\n"
		"     idle_timeout: 1m, max_connections: 10, max_inflight_bytes: 1048576}\n"
		"  - {name: db, listen: 0.0.0.0:5432, backends: [10.0.0.9:5432]}\n",
		&cfg, &err), 0);
	assert_int_equal(cfg.n_proxies, 2);
	assert_string_equal(cfg.proxies[0].name, "web");
	assert_int_equal(cfg.proxies[0].listen.port, 8080);
	assert_int_equal(cfg.proxies[0].listen.addr.s_addr, inet_addr("127.0.0.1"));
	assert_int_equal(cfg.proxies[0].n_backends, 2);
	assert_int_equal(cfg.proxies[0].backends[1].port, 81);
	assert_int_equal(cfg.proxies[0].balance, FP_PROXY_LEAST_CONN);
	assert_int_equal(cfg.proxies[0].accelerate, FP_PROXY_SPLICE);
	assert_int_equal(cfg.proxies[0].connect_timeout_ms, 2000);
	assert_int_equal(cfg.proxies[0].idle_timeout_ms, 60000);
	assert_int_equal(cfg.proxies[0].max_connections, 10);
	assert_int_equal(cfg.proxies[0].max_inflight_bytes, 1048576);
	assert_int_equal(cfg.proxies[1].accelerate, FP_PROXY_AUTO);
	assert_int_equal(cfg.proxies[1].balance, FP_PROXY_ROUND_ROBIN);
	assert_int_equal(cfg.proxies[1].connect_timeout_ms, FP_PROXY_CONNECT_TIMEOUT_MS);
	assert_int_equal(cfg.proxies[1].idle_timeout_ms, 0);
	assert_int_equal(cfg.proxies[1].max_connections, FP_PROXY_MAX_CONNECTIONS);
	assert_int_equal(cfg.proxies[1].max_inflight_bytes, FP_PROXY_INFLIGHT);
	fp_config_free(&cfg);
}

static void test_proxy_errors_all_reported(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(HEAD
		"  - {name: a, listen: 127.0.0.1:80, backends: [127.0.0.1:80]}\n"
		"  - {name: a, listen: 127.0.0.1:80, backends: [1.2.3.4:99999], accelerate: sockmapp}\n"
		"  - {name: c, listen: nowhere, backends: []}\n",
		&cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "it would dial itself"));
	assert_non_null(strstr(err.msg, "'a' is already the name"));
	assert_non_null(strstr(err.msg, "is already where 'a' listens"));
	assert_non_null(strstr(err.msg, "proxy[1].backends[0]: '1.2.3.4:99999' is not ADDRESS:PORT"));
	assert_non_null(strstr(err.msg, "did you mean 'sockmap'"));
	assert_non_null(strstr(err.msg, "proxy[2].listen"));
	assert_non_null(strstr(err.msg, "has 0 backends"));
}

static void test_proxy_inflight_has_a_floor(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(HEAD
		"  - {name: a, listen: 127.0.0.1:80, backends: [127.0.0.1:81], max_inflight_bytes: 1000}\n",
		&cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "max_inflight_bytes"));
}

/* 0.0.0.0 takes its port on every address: a proxy on 127.0.0.1 and one
 * on 0.0.0.0 with one port clash (the apply failed to listen, after the
 * rest of the config had been applied); a proxy on 0.0.0.0 whose backend
 * is on loopback at its port dials itself. Other ports are fine. */
static void test_proxy_wildcard_clashes_and_dials_itself(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse(HEAD
		"  - {name: a, listen: 127.0.0.1:8080, backends: [10.0.0.2:80]}\n"
		"  - {name: b, listen: 0.0.0.0:8080, backends: [10.0.0.3:80]}\n"
		"  - {name: c, listen: 0.0.0.0:9090, backends: [127.0.0.1:9090]}\n",
		&cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "f.yaml:4: proxy[1].listen: 0.0.0.0:8080 clashes with 'a'"));
	assert_non_null(strstr(err.msg, "backend 127.0.0.1:9090 is where the proxy itself listens"));
	assert_int_equal(parse(HEAD
		"  - {name: a, listen: 127.0.0.1:8080, backends: [10.0.0.2:80]}\n"
		"  - {name: b, listen: 0.0.0.0:8081, backends: [127.0.0.1:8080]}\n",
		&cfg, &err), 0);
	fp_config_free(&cfg);
}

/* A proxy on the metrics endpoint's port (its address or every one), or
 * on a TCP function's trigger port, is refused; a UDP function's port is
 * not the proxy's. */
static void test_proxy_port_of_metrics_or_function_refused(void **state)
{
	struct fp_config_error err = { 0 };
	struct fp_config cfg;

	(void)state;
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}, prometheus_port: 9100,\n"
			       "               prometheus_address: 127.0.0.1}\n"
			       "functions: [{id: api, trigger_port: 8080, handler_path: /bin/true}]\n"
			       "proxy:\n"
			       "  - {name: a, listen: 0.0.0.0:9100, backends: [10.0.0.2:80]}\n"
			       "  - {name: b, listen: 127.0.0.1:8080, backends: [10.0.0.2:80]}\n",
			       &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "f.yaml:5: proxy[0].listen: 0.0.0.0:9100 is where the "
				       "metrics endpoint listens"));
	assert_non_null(strstr(err.msg, "f.yaml:6: proxy[1].listen: port 8080 is the trigger_port "
				       "of function 'api'"));
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}, prometheus_port: 9100}\n"
			       "functions: [{id: dns, trigger_port: 8080, protocol: udp,\n"
			       "             handler_path: /bin/true}]\n"
			       "proxy:\n"
			       "  - {name: b, listen: 127.0.0.1:8080, backends: [10.0.0.2:80]}\n",
			       &cfg, &err), 0);
	fp_config_free(&cfg);
	/* Metrics on IPv6 loopback, a function on other addresses: no clash. */
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}, prometheus_port: 8080,\n"
			       "               prometheus_address: \"::1\"}\n"
			       "proxy:\n"
			       "  - {name: b, listen: 127.0.0.1:8080, backends: [10.0.0.2:80]}\n",
			       &cfg, &err), 0);
	fp_config_free(&cfg);
	assert_int_equal(parse("orchestrator: {ebpf: {enabled: false}}\n"
			       "functions: [{id: api, trigger_port: 8081, addresses: [10.9.0.0/16],\n"
			       "             handler_path: /bin/true}]\n"
			       "proxy:\n"
			       "  - {name: b, listen: 127.0.0.1:8081, backends: [10.0.0.2:80]}\n",
			       &cfg, &err), 0);
	fp_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_parses_every_key_and_defaults),
		cmocka_unit_test(test_proxy_errors_all_reported),
		cmocka_unit_test(test_proxy_inflight_has_a_floor),
		cmocka_unit_test(test_proxy_wildcard_clashes_and_dials_itself),
		cmocka_unit_test(test_proxy_port_of_metrics_or_function_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
