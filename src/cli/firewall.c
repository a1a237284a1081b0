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

static const char fw_usage[] =
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

static struct json_object *rule_json(const struct fp_fw_rule_stats *r)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

	json_object_object_add(o, "index", json_object_new_int(r->index));
	json_object_object_add(o, "line", json_object_new_int(r->rule.line));
	json_object_object_add(o, "action", json_object_new_string(action_str(r->rule.action)));
	prefix_str(&r->rule.src, buf, sizeof(buf));
	json_object_object_add(o, "source", json_object_new_string(buf));
	prefix_str(&r->rule.dst, buf, sizeof(buf));
	json_object_object_add(o, "dest", json_object_new_string(buf));
	json_object_object_add(o, "protocol", json_object_new_string(proto_str(r->rule.proto)));
	ports_str(&r->rule.sport, buf, sizeof(buf));
	json_object_object_add(o, "source_port", json_object_new_string(buf));
	ports_str(&r->rule.dport, buf, sizeof(buf));
	json_object_object_add(o, "dest_port", json_object_new_string(buf));
	json_object_object_add(o, "packets", json_object_new_int64(r->packets));
	json_object_object_add(o, "bytes", json_object_new_int64(r->bytes));
	return o;
}

static void rule_line(const struct fp_fw_rule_stats *r)
{
	char src[64], dst[64], sp[16], dp[16];

	prefix_str(&r->rule.src, src, sizeof(src));
	prefix_str(&r->rule.dst, dst, sizeof(dst));
	ports_str(&r->rule.sport, sp, sizeof(sp));
	ports_str(&r->rule.dport, dp, sizeof(dp));
	printf("%5u  %-5s  %-22s %-22s %-6s %-11s %-11s %12llu %14llu\n", r->index,
	       action_str(r->rule.action), src, dst, proto_str(r->rule.proto), sp, dp,
	       (unsigned long long)r->packets, (unsigned long long)r->bytes);
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

/* The interfaces a command acts on: DEV, or every pipeline. */
static int target_devs(const char *dev, char (**devs)[IF_NAMESIZE], size_t *n)
{
	int err;

	if (dev) {
		*devs = calloc(1, sizeof(**devs));
		if (!*devs)
			return -ENOMEM;
		snprintf((*devs)[0], IF_NAMESIZE, "%s", dev);
		*n = 1;
		return 0;
	}
	err = fp_pipeline_list(devs, n);
	if (!err && !*n)
		err = -ENOENT;
	return err;
}

static int fw_list(int argc, char **argv)
{
	char (*devs)[IF_NAMESIZE] = NULL;
	struct json_object *arr = NULL;
	size_t n = 0;
	int err;

	if (argc > 2)
		return fail(EXIT_USAGE, "%s", fw_usage);
	err = require_bpf();
	if (err)
		return err;
	err = target_devs(argc == 2 ? argv[1] : NULL, &devs, &n);
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "no pipelines; start one with: fastpath up DEV");
	if (err)
		return fail_errno(err, "cannot list pipelines");
	if (cli.json)
		arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct fp_fw_listing l;
		struct json_object *o, *rules;

		err = fp_firewall_list(devs[i], &l);
		if (err == -ENOENT && argc == 1)
			continue; /* a pipeline with no firewall */
		if (err) {
			json_object_put(arr);
			free(devs);
			return fw_error(err, devs[i], NULL);
		}
		if (arr) {
			o = json_object_new_object();
			rules = json_object_new_array();
			json_object_object_add(o, "interface", json_object_new_string(devs[i]));
			json_object_object_add(o, "policy", json_object_new_string(action_str(l.policy)));
			json_object_object_add(o, "policy_packets", json_object_new_int64(l.policy_packets));
			json_object_object_add(o, "policy_bytes", json_object_new_int64(l.policy_bytes));
			for (size_t r = 0; r < l.n; r++)
				json_object_array_add(rules, rule_json(&l.rules[r]));
			json_object_object_add(o, "rules", rules);
			json_object_array_add(arr, o);
		} else {
			printf("%s: policy %s (%llu packets, %llu bytes), %zu rule%s\n", devs[i],
			       action_str(l.policy), (unsigned long long)l.policy_packets,
			       (unsigned long long)l.policy_bytes, l.n, l.n == 1 ? "" : "s");
			printf("%5s  %-5s  %-22s %-22s %-6s %-11s %-11s %12s %14s\n", "RULE",
			       "DO", "SOURCE", "DEST", "PROTO", "SPORT", "DPORT", "PACKETS", "BYTES");
			for (size_t r = 0; r < l.n; r++)
				rule_line(&l.rules[r]);
		}
		fp_fw_listing_free(&l);
	}
	if (arr)
		json_print(arr);
	free(devs);
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

static int fw_check(int argc, char **argv)
{
	struct fp_firewall_config fw;

	if (argc != 2)
		return fail(EXIT_USAGE, "%s", fw_usage);
	if (load_file(argv[1], &fw))
		return EXIT_RUNTIME;
	if (!cli.json)
		printf("%s: valid, %zu rule%s, policy %s\n", argv[1], fw.n_rules,
		       fw.n_rules == 1 ? "" : "s", action_str(fw.policy));
	fp_firewall_config_free(&fw);
	return EXIT_OK;
}

/* Apply FW to DEV; the set was compiled by fp_firewall_check first, so
 * what is left to fail is the kernel. */
static int apply_one(const struct fp_firewall_config *fw, const char *dev)
{
	struct fp_config_error e = { 0 };
	int err = fp_firewall_apply(dev, fw, &e);

	if (err)
		return fw_error(err, dev, &e);
	if (!cli.json)
		printf("%s: %zu rule%s, policy %s\n", dev, fw->n_rules,
		       fw->n_rules == 1 ? "" : "s", action_str(fw->policy));
	return EXIT_OK;
}

static int fw_replace(int argc, char **argv)
{
	char (*devs)[IF_NAMESIZE] = NULL;
	struct fp_firewall_config fw;
	size_t n = 0;
	int err;

	if (argc < 2 || argc > 3)
		return fail(EXIT_USAGE, "%s", fw_usage);
	if (load_file(argv[1], &fw))
		return EXIT_RUNTIME;
	err = require_bpf();
	if (!err) {
		err = target_devs(argc == 3 ? argv[2] : NULL, &devs, &n);
		if (err == -ENOENT)
			err = fail(EXIT_RUNTIME, "no pipelines; start one with: fastpath up DEV");
		else if (err)
			err = fail_errno(err, "cannot list pipelines");
		for (size_t i = 0; !err && i < n; i++)
			err = apply_one(&fw, devs[i]);
	}
	free(devs);
	fp_firewall_config_free(&fw);
	return err;
}

/* One rule from the command line, through the config parser, so the CLI
 * accepts and refuses exactly what a file does. */
static int parse_rule(int argc, char **argv, struct fp_fw_rule *rule, long *at)
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
		return fail(EXIT_USAGE, "%s", fw_usage);
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
		return fail(EXIT_USAGE, "%s", fw_usage);
	err = fp_firewall_config_parse(yaml, off, "command line", &one, &e);
	if (err)
		return fail(EXIT_USAGE, "%s", e.msg);
	*rule = one.rules[0];
	fp_firewall_config_free(&one);
	return 0;
}

struct edit {
	const char *verb;
	struct fp_fw_rule rule;   /* add */
	long at;                  /* add: 1-based position, 0: at the end */
	long index;               /* delete: 1-based */
	size_t n_rules;           /* how many the live set had */
};

/* Change the live set as the command says; fp_firewall_edit applies it. */
static int edit_set(struct fp_firewall_config *fw, void *ctx)
{
	struct edit *e = ctx;
	size_t pos;

	e->n_rules = fw->n_rules;
	if (!strcmp(e->verb, "flush")) {
		fw->n_rules = 0;
	} else if (!strcmp(e->verb, "delete")) {
		if ((size_t)e->index > fw->n_rules)
			return -ERANGE;
		memmove(&fw->rules[e->index - 1], &fw->rules[e->index],
			(fw->n_rules - e->index) * sizeof(*fw->rules));
		fw->n_rules--;
	} else {
		/* An interface with no set yet has no rule array either. */
		if (!fw->rules && !(fw->rules = calloc(1, sizeof(*fw->rules))))
			return -ENOMEM;
		pos = e->at >= 1 && (size_t)e->at <= fw->n_rules ? (size_t)e->at - 1 : fw->n_rules;
		memmove(&fw->rules[pos + 1], &fw->rules[pos],
			(fw->n_rules - pos) * sizeof(*fw->rules));
		fw->rules[pos] = e->rule;
		fw->n_rules++;
	}
	return 0;
}

/* add, delete and flush edit DEV's live set and put it back whole. */
static int fw_edit(int argc, char **argv, const char *verb)
{
	struct fp_config_error ce = { 0 };
	struct edit e = { .verb = verb };
	int err;

	if (argc < 2)
		return fail(EXIT_USAGE, "%s", fw_usage);
	if (!strcmp(verb, "add") && parse_rule(argc, argv, &e.rule, &e.at))
		return EXIT_USAGE;
	if (!strcmp(verb, "delete")) {
		unsigned long long n;

		if (argc != 3)
			return fail(EXIT_USAGE, "usage: fastpath firewall delete DEV N "
				    "(N from firewall list)");
		if (number_arg("N", argv[2], FP_CONFIG_RULES_MAX, &n))
			return EXIT_USAGE;
		if (n < 1)
			return fail(EXIT_USAGE, "N counts from 1, as fastpath firewall list does");
		e.index = n;
	}
	if (!strcmp(verb, "flush") && argc != 2)
		return fail(EXIT_USAGE, "usage: fastpath firewall flush DEV");
	err = require_bpf();
	if (err)
		return err;
	err = fp_firewall_edit(argv[1], edit_set, &e, &ce);
	if (err == -ERANGE)
		return fail(EXIT_RUNTIME, "%s has no rule %ld (it has %zu; see fastpath "
			    "firewall list %s)", argv[1], e.index, e.n_rules, argv[1]);
	if (err)
		return fw_error(err, argv[1], &ce);
	if (!cli.json)
		printf("%s: %s done\n", argv[1], verb);
	return EXIT_OK;
}

int cmd_firewall(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", fw_usage);
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
	return fail(EXIT_USAGE, "unknown firewall command '%s'\n%s", argv[0], fw_usage);
}
