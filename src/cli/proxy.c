// SPDX-License-Identifier: BSD-2-Clause
/* fastpath proxy list | stats [NAME]: the TCP proxies fastpathd runs, read
 * from the state file it writes once a second (FP_PROXY_STATE). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <fastpath/proxy.h>
#include "cli.h"

const char proxy_usage[] =
	"usage: fastpath proxy list              proxies, connections, backends up\n"
	"       fastpath proxy stats [NAME]      bytes each way, per backend, and\n"
	"                                        each connection with its carrier";

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static long long num(struct json_object *o, const char *k)
{
	return json_object_get_int64(get(o, k));
}

static const char *str(struct json_object *o, const char *k)
{
	const char *s = json_object_get_string(get(o, k));

	return s ? s : "-";
}

static int load(struct json_object **out)
{
	struct json_object *st = json_object_from_file(FP_PROXY_STATE);
	int pid;

	if (!st && access(FP_PROXY_STATE, R_OK) && errno == EACCES)
		return fail(EXIT_RUNTIME, "cannot read %s (it is root's): run as root",
			    FP_PROXY_STATE);
	if (!st)
		return fail(EXIT_RUNTIME, "no proxy state in %s: fastpathd is not running, or "
			    "its configuration has no proxy: section", FP_PROXY_STATE);
	pid = (int)num(st, "pid");
	if (pid > 0 && kill(pid, 0) && errno == ESRCH) {
		json_object_put(st);
		return fail(EXIT_RUNTIME, "%s is from fastpathd pid %d, which is gone; "
			    "start fastpathd", FP_PROXY_STATE, pid);
	}
	*out = st;
	return 0;
}

static int list(struct json_object *st)
{
	struct json_object *px = get(st, "proxies");
	size_t n = json_object_array_length(px);

	if (cli.json) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			struct json_object *p = json_object_array_get_idx(px, i);

			json_object_object_del(p, "conns");
			json_object_array_add(arr, json_object_get(p));
		}
		json_print(arr);
		return 0;
	}
	printf("%-16s %-21s %-8s %7s %9s %s\n", "NAME", "LISTEN", "CARRIER", "CONNS",
	       "TOTAL", "BACKENDS UP");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(px, i);
		struct json_object *bes = get(p, "backends");
		size_t nb = json_object_array_length(bes), up = 0;

		for (size_t k = 0; k < nb; k++)
			up += json_object_get_boolean(get(json_object_array_get_idx(bes, k), "up"));
		printf("%-16s %-21s %-8s %7lld %9lld %zu/%zu%s\n", str(p, "name"), str(p, "listen"),
		       json_object_get_boolean(get(p, "sockmap")) ? "sockmap" :
		       !strcmp(str(p, "accelerate"), "copy") ? "copy" : "splice",
		       num(p, "connections"), num(p, "connections_total"), up, nb,
		       json_object_get_boolean(get(p, "listening")) ? "" : " (stopping)");
	}
	if (!json_object_get_boolean(get(st, "sockmap")) && *str(st, "sockmap_reason"))
		printf("sockmap: %s\n", str(st, "sockmap_reason"));
	return 0;
}

static int stats(struct json_object *st, const char *name)
{
	struct json_object *px = get(st, "proxies"), *sel = json_object_new_array();
	size_t n = json_object_array_length(px);

	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(px, i);

		if (!name || !strcmp(str(p, "name"), name))
			json_object_array_add(sel, json_object_get(p));
	}
	if (name && !json_object_array_length(sel)) {
		json_object_put(sel);
		return fail(EXIT_RUNTIME, "no proxy named '%s'; see fastpath proxy list", name);
	}
	if (cli.json) {
		json_print(sel);
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(sel); i++) {
		struct json_object *p = json_object_array_get_idx(sel, i);
		struct json_object *bes = get(p, "backends"), *cs = get(p, "conns");

		printf("%s on %s: %lld connections (%lld total, %lld refused, %lld without a "
		       "backend), %lld bytes to backends, %lld to clients\n", str(p, "name"),
		       str(p, "listen"), num(p, "connections"), num(p, "connections_total"),
		       num(p, "refused"), num(p, "no_backend"), num(p, "bytes_to_backends"),
		       num(p, "bytes_to_clients"));
		printf("  %-21s %-4s %7s %9s %8s %14s %14s\n", "BACKEND", "UP", "CONNS", "TOTAL",
		       "FAILURES", "BYTES TO", "BYTES FROM");
		for (size_t k = 0; k < json_object_array_length(bes); k++) {
			struct json_object *b = json_object_array_get_idx(bes, k);

			printf("  %-21s %-4s %7lld %9lld %8lld %14lld %14lld\n", str(b, "address"),
			       json_object_get_boolean(get(b, "up")) ? "yes" : "no",
			       num(b, "connections"), num(b, "connections_total"), num(b, "failures"),
			       num(b, "bytes_to"), num(b, "bytes_from"));
		}
		if (!json_object_array_length(cs))
			continue;
		printf("  %-21s %-21s %-12s %14s %14s %9s\n", "CLIENT", "BACKEND", "CARRIER",
		       "TO BACKEND", "TO CLIENT", "AGE MS");
		for (size_t k = 0; k < json_object_array_length(cs); k++) {
			struct json_object *c = json_object_array_get_idx(cs, k);

			printf("  %-21s %-21s %-12s %14lld %14lld %9lld\n", str(c, "client"),
			       str(c, "backend"), str(c, "carrier"), num(c, "bytes_to_backend"),
			       num(c, "bytes_to_client"), num(c, "age_ms"));
		}
	}
	json_object_put(sel);
	return 0;
}

int cmd_proxy(int argc, char **argv)
{
	struct json_object *st = NULL;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "%s\n", proxy_usage);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "list") && strcmp(argv[1], "stats"))
		return fail(EXIT_USAGE, "proxy: unknown verb '%s'; use list or stats", argv[1]);
	if (argc > (strcmp(argv[1], "stats") ? 2 : 3))
		return fail(EXIT_USAGE, "proxy %s: too many arguments", argv[1]);
	rc = load(&st);
	if (rc)
		return rc;
	rc = !strcmp(argv[1], "list") ? list(st) : stats(st, argc == 3 ? argv[2] : NULL);
	json_object_put(st);
	return rc;
}
