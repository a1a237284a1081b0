// SPDX-License-Identifier: BSD-2-Clause
/* fastpath load, attach, detach, unload, programs, maps. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "cli.h"

#define LOG_TAIL_LINES 20

int bad_option(char **argv)
{
	return fail(EXIT_USAGE, "%s: unknown option or missing value '%s'; "
		    "see fastpath help", argv[0], argv[optind - 1]);
}

int number_arg(const char *opt, const char *s, unsigned long long max,
	       unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *v > max)
		return fail(EXIT_USAGE, "%s takes a number from 0 to %llu, not '%s'",
			    opt, max, s);
	return 0;
}

const char *type_str(enum bpf_prog_type type)
{
	const char *s = libbpf_bpf_prog_type_str(type);

	return s ? s : "unknown";
}

/* The last lines say why; the whole log (-v) says how it got there. */
static void print_log(const char *log)
{
	const char *p = log + strlen(log);
	int lines = 0;

	while (p > log && (p[-1] == '\n' || p[-1] == '\0'))
		p--;
	if (!cli.verbose) {
		while (p > log && lines <= LOG_TAIL_LINES)
			if (*--p == '\n')
				lines++;
		if (*p == '\n')
			p++;
	} else {
		p = log;
	}
	fprintf(stderr, "--- verifier log%s ---\n%s\n--- end of verifier log ---\n",
		cli.verbose ? "" : " (last lines; -v shows all)", p);
}

int report_load_error(int err, const char *file, const char *prog,
		      const char *name, const char *progs, const char *log)
{
	switch (err) {
	case -ENOENT:
		return fail(EXIT_RUNTIME, "%s: no such file; check the path to "
			    "the compiled BPF object", file);
	case -ENOEXEC:
		return fail(EXIT_RUNTIME, "%s is not a BPF object (an ELF file "
			    "built with clang -target bpf)", file);
	case -ENOTUNIQ:
		return fail(EXIT_RUNTIME, "%s has several programs (%s); choose "
			    "one with --prog FUNC", file, progs);
	case -ESRCH:
		return fail(EXIT_RUNTIME, "%s has no program '%s'; its programs: %s",
			    file, prog, progs);
	case -EEXIST:
		return fail(EXIT_RUNTIME, "a program named '%s' is already loaded; "
			    "unload it first (fastpath unload %s) or choose "
			    "another --name", name, name);
	case -EPERM:
		return fail_errno(err, "cannot load %s", file);
	}
	if (log && *log) {
		fail(EXIT_RUNTIME, "verification failed: the kernel rejected "
		     "program '%s' in %s (%s)", name, file, strerror(-err));
		print_log(log);
		return EXIT_RUNTIME;
	}
	return fail_errno(err, "cannot load %s", file);
}

int cmd_load(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "prog", required_argument, NULL, 'p' },
		{ 0 },
	};
	const char *name = NULL, *prog = NULL, *file;
	struct fp_load_result res;
	int c, err;

	while ((c = getopt_long(argc, argv, "n:p:", lo, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'p')
			prog = optarg;
		else
			return bad_option(argv);
	}
	if (argc - optind != 1)
		return fail(EXIT_USAGE, "usage: fastpath load FILE.o [--name NAME] [--prog FUNC]");
	file = argv[optind];
	if (name && !fp_name_valid(name))
		return fail(EXIT_USAGE, "invalid name '%s': use up to %d letters, "
			    "digits, '_' or '-' (bpffs refuses '.')", name, FP_NAME_MAX - 1);
	err = require_bpf();
	if (err)
		return err;
	err = fp_prog_load(file, prog, name, &res);
	if (err) {
		err = report_load_error(err, file, prog, res.name, res.progs, res.log);
	} else if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(res.name));
		json_object_object_add(o, "id", json_object_new_int64(res.id));
		json_object_object_add(o, "type", json_object_new_string(type_str(res.type)));
		json_print(o);
	} else {
		printf("loaded %s: %s program, id %u, pinned at %s/progs/%s\n",
		       res.name, type_str(res.type), res.id, FP_PIN_ROOT, res.name);
	}
	fp_load_result_free(&res);
	return err;
}

static int no_such_program(const char *name)
{
	return fail(EXIT_RUNTIME, "no program named '%s' is loaded; load it with "
		    "fastpath load FILE.o --name %s (see fastpath programs)",
		    name, name);
}

static int target_error(const char *target, int err)
{
	if (target[0] == '/' && err != -ENODEV)
		return fail_errno(err, "%s", target);
	if (target[0] == '/')
		return fail(EXIT_RUNTIME, "%s is neither a cgroup v2 directory nor "
			    "a network namespace file", target);
	return fail(EXIT_RUNTIME, "no network interface named '%s'; list them "
		    "with: ip link show", target);
}

static int attach_error(int err, const char *name, const struct fp_target *t,
			enum bpf_prog_type type, const struct fp_attach_opts *opts)
{
	switch (err) {
	case -EDESTADDRREQ:
		return fail(EXIT_USAGE, "attaching to a cgroup needs --direction "
			    "ingress or egress (the one the program was written for)");
	case -EMEDIUMTYPE:
		return fail(EXIT_RUNTIME, "program '%s' is of type %s and cannot "
			    "attach to %s; it attaches to %s", name, type_str(type),
			    t->name, fp_prog_target_hint(type));
	case -EOPNOTSUPP:
		if (type == BPF_PROG_TYPE_XDP && opts->mode == FP_XDP_NATIVE)
			return fail(EXIT_RUNTIME, "native XDP is not supported by "
				    "the driver of %s; use --mode skb, or --mode "
				    "auto to fall back", t->name);
		break;
	case -EBUSY:
	case -EEXIST:
		if (type == BPF_PROG_TYPE_XDP) {
			__u32 id = 0;
			const char *mode;

			fp_xdp_query(t->ifindex, &id, &mode);
			return fail(EXIT_RUNTIME, "%s already has an XDP program "
				    "(id %u); detach it first (fastpath detach NAME "
				    "%s, or ip link set dev %s xdp off)", t->name,
				    id, t->name, t->name);
		}
		return fail(EXIT_RUNTIME, "'%s' is already attached to %s",
			    name, t->name);
	}
	return fail_errno(err, "cannot attach '%s' to %s", name, t->name);
}

static void print_attached(const char *name, const struct fp_target *t,
			   enum bpf_prog_type type, const struct fp_attachment *a)
{
	const char *hook = type == BPF_PROG_TYPE_XDP ? "xdp" : type_str(type);
	char how[64] = "";

	if (type == BPF_PROG_TYPE_XDP)
		snprintf(how, sizeof(how), ", %s mode", fp_mode_str(a->mode));
	else if (type != BPF_PROG_TYPE_SK_LOOKUP)
		snprintf(how, sizeof(how), ", %s%s", fp_dir_str(a->dir),
			 a->tc_netlink ? ", clsact filter: this kernel has no tcx" : "");
	if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "target", json_object_new_string(t->name));
		json_object_object_add(o, "hook", json_object_new_string(hook));
		if (type == BPF_PROG_TYPE_XDP)
			json_object_object_add(o, "mode", json_object_new_string(fp_mode_str(a->mode)));
		else if (type != BPF_PROG_TYPE_SK_LOOKUP)
			json_object_object_add(o, "direction", json_object_new_string(fp_dir_str(a->dir)));
		json_print(o);
		return;
	}
	if (a->native_failed)
		printf("native mode failed on %s (%s); fell back to skb (generic) mode\n",
		       t->name, strerror(-a->native_err));
	printf("attached %s to %s (%s%s)\n", name, t->name, hook, how);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "direction", required_argument, NULL, 'd' },
		{ 0 },
	};
	struct fp_attach_opts opts = { .mode = FP_XDP_AUTO, .dir = FP_DIR_UNSET };
	struct fp_attachment a;
	enum bpf_prog_type type;
	struct fp_target t;
	const char *name;
	int c, err;

	while ((c = getopt_long(argc, argv, "m:d:", lo, NULL)) != -1) {
		if (c == 'm' && !fp_mode_parse(optarg, &opts.mode))
			continue;
		if (c == 'm')
			return fail(EXIT_USAGE, "--mode takes native, skb or auto, not '%s'", optarg);
		if (c == 'd' && !fp_dir_parse(optarg, &opts.dir))
			continue;
		if (c == 'd')
			return fail(EXIT_USAGE, "--direction takes ingress or egress, not '%s'", optarg);
		return bad_option(argv);
	}
	if (argc - optind != 2)
		return fail(EXIT_USAGE, "usage: fastpath attach NAME DEV|CGROUP_DIR|NETNS_FILE "
			    "[--mode native|skb|auto] [--direction ingress|egress]");
	name = argv[optind];
	err = require_bpf();
	if (err)
		return err;
	err = fp_prog_type_of(name, &type);
	if (err == -ENOENT || err == -EINVAL)
		return no_such_program(name);
	if (err)
		return fail_errno(err, "cannot open program '%s'", name);
	err = fp_target_parse(argv[optind + 1], &t);
	if (err)
		return target_error(argv[optind + 1], err);
	err = fp_prog_attach(name, &t, &opts, &a);
	if (err)
		return attach_error(err, name, &t, type, &opts);
	print_attached(name, &t, type, &a);
	return EXIT_OK;
}

int cmd_detach(int argc, char **argv)
{
	const char *target;
	int n, err;

	if (argc < 2 || argc > 3)
		return fail(EXIT_USAGE, "usage: fastpath detach NAME [TARGET]");
	target = argc == 3 ? argv[2] : NULL;
	err = require_bpf();
	if (err)
		return err;
	err = fp_prog_detach(argv[1], target, &n);
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "'%s' is not attached%s%s (see fastpath status)",
			    argv[1], target ? " to " : "", target ? target : "");
	if (err)
		return fail_errno(err, "cannot detach '%s'", argv[1]);
	if (!cli.json)
		printf("detached %s from %d target%s\n", argv[1], n, n == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_unload(int argc, char **argv)
{
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "usage: fastpath unload NAME");
	err = require_bpf();
	if (err)
		return err;
	err = fp_prog_unload(argv[1]);
	if (err == -ENOENT || err == -EINVAL)
		return fail(EXIT_RUNTIME, "no program named '%s' is loaded (see "
			    "fastpath programs)", argv[1]);
	if (err)
		return fail_errno(err, "cannot unload '%s'", argv[1]);
	if (!cli.json)
		printf("unloaded %s\n", argv[1]);
	return EXIT_OK;
}

/* attachments_of: "veth0 xdp native, /sys/... egress" for one program. */
static void attachments_of(const char *name, const struct fp_link_info *links,
			   size_t n, char *buf, size_t size, struct json_object *arr)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct fp_link_info *l = &links[i];
		const char *extra = *l->mode ? l->mode :
				    strcmp(l->hook, "sk_lookup") ? fp_dir_str(l->dir) : "";
		int w;

		if (strcmp(l->prog, name))
			continue;
		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "hook", json_object_new_string(l->hook));
			json_object_object_add(o, "target", json_object_new_string(l->target));
			json_object_object_add(o, *l->mode ? "mode" : "direction",
					       json_object_new_string(extra));
			json_object_object_add(o, "link_id", json_object_new_int64(l->id));
			json_object_array_add(arr, o);
		}
		w = snprintf(buf + off, size - off, "%s%s %s%s%s", off ? ", " : "",
			     l->hook, l->target, *extra ? " " : "", extra);
		if (w < 0 || (size_t)w >= size - off)
			break;
		off += w;
	}
}

static struct json_object *prog_json(const struct fp_prog_info *p, bool stats)
{
	struct json_object *o = json_object_new_object(), *maps;

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "id", json_object_new_int64(p->id));
	json_object_object_add(o, "type", json_object_new_string(type_str(p->type)));
	json_object_object_add(o, "tag", json_object_new_string(p->tag));
	if (stats) {
		json_object_object_add(o, "run_cnt", json_object_new_int64(p->run_cnt));
		json_object_object_add(o, "run_time_ns", json_object_new_int64(p->run_time_ns));
	}
	json_object_object_add(o, "jited_bytes", json_object_new_int64(p->jited_len));
	json_object_object_add(o, "xlated_bytes", json_object_new_int64(p->xlated_len));
	json_object_object_add(o, "verified_insns", json_object_new_int64(p->verified_insns));
	maps = json_object_new_array();
	for (__u32 i = 0; i < p->nr_map_ids; i++)
		json_object_array_add(maps, json_object_new_int64(p->map_ids[i]));
	json_object_object_add(o, "map_ids", maps);
	return o;
}

static void prog_line(const struct fp_prog_info *p, bool stats, const char *att)
{
	printf("%-20s %6u  %-14s %-16s", p->name, p->id, type_str(p->type), p->tag);
	if (stats)
		printf(" %12llu %12llu", (unsigned long long)p->run_cnt,
		       (unsigned long long)p->run_time_ns);
	printf("  %s\n", *att ? att : "-");
	if (!cli.verbose)
		return;
	printf("%20s jited %u bytes, xlated %u bytes, verified %u insns, maps",
	       "", p->jited_len, p->xlated_len, p->verified_insns);
	for (__u32 i = 0; i < p->nr_map_ids; i++)
		printf(" %u", p->map_ids[i]);
	printf("%s\n", p->nr_map_ids ? "" : " none");
}

int cmd_programs(int argc, char **argv)
{
	struct fp_prog_info *progs = NULL;
	struct fp_link_info *links = NULL;
	struct json_object *arr = NULL;
	size_t np = 0, nl = 0;
	bool stats = fp_bpf_stats_enabled();
	char att[1024];
	int err;

	(void)argv;
	if (argc != 1)
		return fail(EXIT_USAGE, "usage: fastpath programs [-v] [-j]");
	err = require_bpf();
	if (err)
		return err;
	err = fp_list_progs(&progs, &np);
	if (!err)
		err = fp_list_links(&links, &nl);
	if (err) {
		free(progs);
		return fail_errno(err, "cannot list %s", FP_PIN_ROOT);
	}
	if (cli.json)
		arr = json_object_new_array();
	else
		printf("%-20s %6s  %-14s %-16s%s  %s\n", "NAME", "ID", "TYPE", "TAG",
		       stats ? "      RUN_CNT  RUN_TIME_NS" : "", "ATTACHED");
	for (size_t i = 0; i < np; i++) {
		struct json_object *o = NULL, *at = NULL;

		if (arr) {
			o = prog_json(&progs[i], stats);
			at = json_object_new_array();
		}
		attachments_of(progs[i].name, links, nl, att, sizeof(att), at);
		if (o) {
			json_object_object_add(o, "attached", at);
			json_object_array_add(arr, o);
		} else {
			prog_line(&progs[i], stats, att);
		}
	}
	if (arr)
		json_print(arr);
	else if (!stats)
		printf("(run counts: sysctl -w kernel.bpf_stats_enabled=1)\n");
	free(progs);
	free(links);
	return EXIT_OK;
}

int cmd_maps(int argc, char **argv)
{
	struct fp_map_info *maps = NULL;
	struct json_object *arr = NULL;
	size_t n = 0;
	int err;

	(void)argv;
	if (argc != 1)
		return fail(EXIT_USAGE, "usage: fastpath maps [-j]");
	err = require_bpf();
	if (err)
		return err;
	err = fp_list_maps(&maps, &n);
	if (err)
		return fail_errno(err, "cannot list %s/maps", FP_PIN_ROOT);
	if (cli.json)
		arr = json_object_new_array();
	else
		printf("%-36s %6s  %-16s %5s %6s %9s\n", "PIN", "ID", "TYPE", "KEY",
		       "VALUE", "MAX");
	for (size_t i = 0; i < n; i++) {
		const struct fp_map_info *m = &maps[i];
		const char *type = libbpf_bpf_map_type_str(m->type);

		if (!arr) {
			printf("%-36s %6u  %-16s %5u %6u %9u\n", m->pin, m->id,
			       type ? type : "unknown", m->key_size, m->value_size,
			       m->max_entries);
			continue;
		}
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "pin", json_object_new_string(m->pin));
		json_object_object_add(o, "id", json_object_new_int64(m->id));
		json_object_object_add(o, "name", json_object_new_string(m->name));
		json_object_object_add(o, "type", json_object_new_string(type ? type : "unknown"));
		json_object_object_add(o, "key_size", json_object_new_int64(m->key_size));
		json_object_object_add(o, "value_size", json_object_new_int64(m->value_size));
		json_object_object_add(o, "max_entries", json_object_new_int64(m->max_entries));
		json_object_array_add(arr, o);
	}
	if (arr)
		json_print(arr);
	free(maps);
	return EXIT_OK;
}
