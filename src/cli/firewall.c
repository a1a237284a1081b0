// SPDX-License-Identifier: BSD-2-Clause
/* fastpath firewall list|check|replace|add|delete|flush: the rule set of
 * each interface's pipeline, replaced atomically, counters per rule. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <fastpath/firewall.h>
#include <fastpath/pipeline.h>
#include "cli.h"

const char firewall_usage[] =
	"usage: fastpath firewall list [DEV] [-j]\n"
	"       fastpath firewall check FILE\n"
	"       fastpath firewall replace FILE [DEV]\n"
	"       fastpath firewall add DEV allow|drop [--source CIDR] [--dest CIDR]\n"
	"                [--protocol P] [--port N[-M]] [--sport N[-M]] [--at N]\n"
	"       fastpath firewall delete DEV N\n"
	"       fastpath firewall flush DEV";

static const char *action_str(enum fp_fw_action a)
{
	return a == FP_FW_DROP ? "drop" : "allow";
}

static const char *proto_str(int proto)
{
	const char *name = fp_proto_name(proto);

	return name ? name : "any";
}

static void prefix_str(const struct fp_fw_prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (!p->present) {
		snprintf(buf, size, "any");
		return;
	}
	inet_ntop(p->family, p->addr, addr, sizeof(addr));
	snprintf(buf, size, "%s/%u", addr, p->len);
}

static void ports_str(const struct fp_fw_ports *p, char *buf, size_t size)
{
	if (!p->lo && !p->hi)
		snprintf(buf, size, "any");
	else if (p->lo == p->hi)
		snprintf(buf, size, "%u", p->lo);
	else
		snprintf(buf, size, "%u-%u", p->lo, p->hi);
}

enum { R_INDEX, R_LINE, R_ACTION, R_SRC, R_DST, R_PROTO, R_SPORT, R_DPORT,
       R_PACKETS, R_BYTES, R_N };

static const struct out_col rule_cols[R_N] = {
	[R_INDEX] = { "RULE", "index", OUT_U64, 5 },
	[R_LINE] = { NULL, "line", OUT_U64, 0 },
	[R_ACTION] = { "DO", "action", OUT_STR, -5 },
	[R_SRC] = { "SOURCE", "source", OUT_STR, -22 },
	[R_DST] = { "DEST", "dest", OUT_STR, -22 },
	[R_PROTO] = { "PROTO", "protocol", OUT_STR, -6 },
	[R_SPORT] = { "SPORT", "source_port", OUT_STR, -11 },
	[R_DPORT] = { "DPORT", "dest_port", OUT_STR, -11 },
	[R_PACKETS] = { "PACKETS", "packets", OUT_U64, 12 },
	[R_BYTES] = { "BYTES", "bytes", OUT_U64, 14 },
};

static void rule_row(struct out_list *l, const struct fp_fw_rule_stats *r)
{
	char src[64], dst[64], sp[16], dp[16];
	union out_val v[R_N];

	prefix_str(&r->rule.src, src, sizeof(src));
	prefix_str(&r->rule.dst, dst, sizeof(dst));
	ports_str(&r->rule.sport, sp, sizeof(sp));
	ports_str(&r->rule.dport, dp, sizeof(dp));
	v[R_INDEX].u = r->index;
	v[R_LINE].u = r->rule.line;
	v[R_ACTION].s = action_str(r->rule.action);
	v[R_SRC].s = src;
	v[R_DST].s = dst;
	v[R_PROTO].s = proto_str(r->rule.proto);
	v[R_SPORT].s = sp;
	v[R_DPORT].s = dp;
	v[R_PACKETS].u = r->packets;
	v[R_BYTES].u = r->bytes;
	out_list_row(l, v);
}

static int fw_error(int err, const char *dev, const struct fp_config_error *e)
{
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "no firewall on %s: bring the pipeline up "
			    "(fastpath up %s) and replace its rule set", dev, dev);
	if (e && *e->msg)
		return fail(EXIT_RUNTIME, "%s", e->msg);
	return fail_errno(err, "firewall on %s", dev);
}

static const struct out_col set_cols[] = {
	{ NULL, "interface", OUT_STR, 0 },
	{ NULL, "policy", OUT_STR, 0 },
	{ NULL, "policy_packets", OUT_U64, 0 },
	{ NULL, "policy_bytes", OUT_U64, 0 },
	{ NULL, "rules", OUT_JSON, 0 },
};

/* One interface's set; one without a firewall is skipped unless named. */
static int list_one(const char *dev, bool named, void *ctx)
{
	struct json_object *arr = ctx;
	struct fp_fw_listing l;
	struct out_list rules;
	int err = fp_firewall_list(dev, &l);

	if (err == -ENOENT && !named)
		return EACH_SKIP;
	if (err)
		return fw_error(err, dev, NULL);
	if (!arr)
		printf("%s: policy %s (%llu packets, %llu bytes), %zu rule%s\n", dev,
		       action_str(l.policy), (unsigned long long)l.policy_packets,
		       (unsigned long long)l.policy_bytes, l.n, l.n == 1 ? "" : "s");
	out_list_begin(&rules, OUT_COLS(rule_cols), 0);
	for (size_t r = 0; r < l.n; r++)
		rule_row(&rules, &l.rules[r]);
	if (arr) {
		union out_val v[] = { { .s = dev }, { .s = action_str(l.policy) },
				      { .u = l.policy_packets }, { .u = l.policy_bytes },
				      { .j = out_list_take(&rules) } };

		json_object_array_add(arr, out_object(OUT_COLS(set_cols), v));
	}
	fp_fw_listing_free(&l);
	return EXIT_OK;
}

static int fw_list(int argc, char **argv)
{
	struct json_object *arr = cli.json ? json_object_new_array() : NULL;
	size_t shown, found;
	int err;

	if (argc > 2)
		return fail(EXIT_USAGE, "%s", firewall_usage);
	err = require_bpf();
	if (!err)
		err = each_pipeline(argc == 2 ? argv[1] : NULL, list_one, arr, &shown, &found);
	if (!err && !found)
		err = fail(EXIT_RUNTIME, "no pipelines; start one with: fastpath up DEV");
	if (err) {
		json_object_put(arr);
		return err;
	}
	if (arr)
		json_print(arr);
	return EXIT_OK;
}

static int load_file(const char *file, struct fp_firewall_config *fw)
{
	struct fp_config_error e = { 0 };
	int err = fp_firewall_config_load(file, fw, &e);

	if (err == -EINVAL)
		return fail(EXIT_RUNTIME, "%s", e.msg);
	if (err)
		return fail_errno(err, "cannot read %s", file);
	err = fp_firewall_check(fw, &e);
	if (err) {
		fp_firewall_config_free(fw);
		return fail(EXIT_RUNTIME, "%s", e.msg);
	}
	return 0;
}

static const struct out_col applied_cols[] = {
	{ NULL, "interface", OUT_STR, 0 },
	{ NULL, "file", OUT_STR, 0 },
	{ NULL, "valid", OUT_BOOL, 0 },
	{ NULL, "rules", OUT_U64, 0 },
	{ NULL, "policy", OUT_STR, 0 },
};

static int fw_check(int argc, char **argv)
{
	struct fp_firewall_config fw;

	if (argc != 2)
		return fail(EXIT_USAGE, "%s", firewall_usage);
	if (load_file(argv[1], &fw))
		return EXIT_RUNTIME;
	{
		union out_val v[] = { { .s = NULL }, { .s = argv[1] }, { .b = true },
				      { .u = fw.n_rules }, { .s = action_str(fw.policy) } };
		struct out_col c[OUT_N(applied_cols)];

		memcpy(c, applied_cols, sizeof(c));
		c[0].key = NULL;
		out_result(OUT_COLS(c), v, "%s: valid, %zu rule%s, policy %s\n", argv[1],
			   fw.n_rules, fw.n_rules == 1 ? "" : "s", action_str(fw.policy));
	}
	fp_firewall_config_free(&fw);
	return EXIT_OK;
}

/* Apply the set to DEV; it was compiled by fp_firewall_check first, so
 * what is left to fail is the kernel. */
static int apply_one(const char *dev, bool named, void *ctx)
{
	const struct fp_firewall_config *fw = ctx;
	struct fp_config_error e = { 0 };
	int err = fp_firewall_apply(dev, fw, &e);

	(void)named;
	if (err)
		return fw_error(err, dev, &e);
	if (!cli.json)
		printf("%s: %zu rule%s, policy %s\n", dev, fw->n_rules,
		       fw->n_rules == 1 ? "" : "s", action_str(fw->policy));
	return EXIT_OK;
}

static int fw_replace(int argc, char **argv)
{
	struct fp_firewall_config fw;
	size_t shown = 0, found = 0;
	int err;

	if (argc < 2 || argc > 3)
		return fail(EXIT_USAGE, "%s", firewall_usage);
	if (load_file(argv[1], &fw))
		return EXIT_RUNTIME;
	err = require_bpf();
	if (!err)
		err = each_pipeline(argc == 3 ? argv[2] : NULL, apply_one, &fw, &shown, &found);
	if (!err && !found)
		err = fail(EXIT_RUNTIME, "no pipelines; start one with: fastpath up DEV");
	if (!err && cli.json) {
		union out_val v[] = { { .s = argc == 3 ? argv[2] : NULL }, { .s = argv[1] },
				      { .b = true }, { .u = fw.n_rules },
				      { .s = action_str(fw.policy) } };

		json_print(out_object(OUT_COLS(applied_cols), v));
	}
	fp_firewall_config_free(&fw);
	return err;
}

/* One rule from the command line, through the config parser, so the CLI
 * accepts and refuses exactly what a file does. */
static int parse_rule(int argc, char **argv, struct fp_fw_rule *rule, size_t *at)
{
	static const struct option lo[] = {
		{ "source", required_argument, NULL, 's' },
		{ "dest", required_argument, NULL, 'd' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "sport", required_argument, NULL, 'S' },
		{ "at", required_argument, NULL, 'a' },
		{ 0 },
	};
	static const char *const keys[] = {
		['s'] = "source_ip", ['d'] = "dest_ip", ['p'] = "protocol",
		['P'] = "dest_port", ['S'] = "source_port",
	};
	struct fp_config_error e = { 0 };
	struct fp_firewall_config one;
	char yaml[1024];
	size_t off;
	int c, err;

	if (argc < 3 || (strcmp(argv[2], "allow") && strcmp(argv[2], "drop")))
		return fail(EXIT_USAGE, "%s", firewall_usage);
	off = snprintf(yaml, sizeof(yaml), "rules:\n  - action: %s\n", argv[2]);
	optind = 3;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'a') {
			unsigned long long v;

			if (number_arg("--at", optarg, FP_CONFIG_RULES_MAX, &v))
				return EXIT_USAGE;
			*at = v;
			continue;
		}
		if (c == '?' || c == ':')
			return bad_option(argv);
		/* Quoted, so that the value is a string whatever it holds. */
		if (strpbrk(optarg, "\"\\\n") || off >= sizeof(yaml))
			return fail(EXIT_USAGE, "invalid value '%s'", optarg);
		off += snprintf(yaml + off, sizeof(yaml) - off, "    %s: \"%s\"\n",
				keys[c], optarg);
	}
	if (optind != argc || off >= sizeof(yaml))
		return fail(EXIT_USAGE, "%s", firewall_usage);
	err = fp_firewall_config_parse(yaml, off, "command line", &one, &e);
	if (err)
		return fail(EXIT_USAGE, "%s", e.msg);
	*rule = one.rules[0];
	fp_firewall_config_free(&one);
	return 0;
}

/* add, delete and flush edit DEV's live set; the library puts it back
 * whole. */
static int fw_edit(int argc, char **argv, const char *verb)
{
	static const struct out_col cols[] = {
		{ NULL, "interface", OUT_STR, 0 },
		{ NULL, "done", OUT_STR, 0 },
	};
	struct fp_config_error ce = { 0 };
	unsigned long long index = 0;
	struct fp_fw_rule rule;
	size_t at = 0, n_rules = 0;
	int err;

	if (argc < 2)
		return fail(EXIT_USAGE, "%s", firewall_usage);
	if (!strcmp(verb, "add") && parse_rule(argc, argv, &rule, &at))
		return EXIT_USAGE;
	if (!strcmp(verb, "delete")) {
		if (argc != 3)
			return fail(EXIT_USAGE, "usage: fastpath firewall delete DEV N "
				    "(N from firewall list)");
		if (number_arg("N", argv[2], FP_CONFIG_RULES_MAX, &index))
			return EXIT_USAGE;
		if (index < 1)
			return fail(EXIT_USAGE, "N counts from 1, as fastpath firewall list does");
	}
	if (!strcmp(verb, "flush") && argc != 2)
		return fail(EXIT_USAGE, "usage: fastpath firewall flush DEV");
	err = require_bpf();
	if (err)
		return err;
	if (!strcmp(verb, "add"))
		err = fp_firewall_add(argv[1], &rule, at, &ce);
	else if (!strcmp(verb, "delete"))
		err = fp_firewall_delete(argv[1], index, &n_rules, &ce);
	else
		err = fp_firewall_flush(argv[1], &ce);
	if (err == -ERANGE)
		return fail(EXIT_RUNTIME, "%s has no rule %llu (it has %zu; see fastpath "
			    "firewall list %s)", argv[1], index, n_rules, argv[1]);
	if (err)
		return fw_error(err, argv[1], &ce);
	{
		union out_val v[] = { { .s = argv[1] }, { .s = verb } };

		out_result(OUT_COLS(cols), v, "%s: %s done\n", argv[1], verb);
	}
	return EXIT_OK;
}

int cmd_firewall(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", firewall_usage);
	argc--;
	argv++;
	if (!strcmp(argv[0], "list"))
		return fw_list(argc, argv);
	if (!strcmp(argv[0], "check"))
		return fw_check(argc, argv);
	if (!strcmp(argv[0], "replace"))
		return fw_replace(argc, argv);
	if (!strcmp(argv[0], "add") || !strcmp(argv[0], "delete") ||
	    !strcmp(argv[0], "flush"))
		return fw_edit(argc, argv, argv[0]);
	return fail(EXIT_USAGE, "unknown firewall command '%s'\n%s", argv[0], firewall_usage);
}
