// SPDX-License-Identifier: BSD-2-Clause
/* fastpath load, attach, detach, unload, programs, maps. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include <fastpath/pipeline.h>
#include "cli.h"

#define LOG_TAIL_LINES 20

int bad_option(char **argv)
{
	return fail(EXIT_USAGE, "%s: unknown option or missing value '%s'; "
		    "see fastpath %s --help", argv[0], argv[optind - 1], argv[0]);
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

int mode_arg(const char *s, enum fp_xdp_mode *mode)
{
	if (!fp_mode_parse(s, mode))
		return 0;
	return fail(EXIT_USAGE, "--mode takes native (or drv), skb (or generic) "
		    "or auto, not '%s'", s);
}

const char *type_str(enum bpf_prog_type type)
{
	const char *s = libbpf_bpf_prog_type_str(type);

	return s ? s : "unknown";
}

/* ---- naming a program ----------------------------------------------------- */

/* The fastpath name of the program with kernel id ID, if fastpath loaded it. */
static int name_of_id(__u32 id, char name[], size_t size)
{
	struct fp_prog_info *progs = NULL;
	size_t n = 0;
	int err = fp_list_progs(&progs, &n);

	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (progs[i].id == id) {
			snprintf(name, size, "%s", progs[i].name);
			err = 0;
		}
	free(progs);
	return err;
}

static int not_ours(const char *what)
{
	return fail(EXIT_RUNTIME, "%s is not a program fastpath loaded (fastpath "
		    "programs lists those); load it with fastpath load FILE.o, or "
		    "manage it with bpftool", what);
}

int prog_arg(int argc, char **argv, int *i, char name[], size_t size)
{
	const char *word = *i < argc ? argv[*i] : NULL;
	char what[PATH_MAX + 16];
	struct fp_prog_info info;
	unsigned long long id;
	int fd, err;

	if (!word)
		return fail(EXIT_USAGE, "name the program: NAME, id N or pinned PATH");
	if (strcmp(word, "id") && strcmp(word, "pinned")) {
		snprintf(name, size, "%s", word);
		(*i)++;
		return 0;
	}
	if (*i + 1 >= argc)
		return fail(EXIT_USAGE, "'%s' needs a value: %s", word,
			    strcmp(word, "id") ? "pinned PATH" : "id N");
	*i += 2;
	if (!strcmp(word, "id")) {
		if (number_arg("id", argv[*i - 1], ~0U, &id))
			return EXIT_USAGE;
		snprintf(what, sizeof(what), "program id %llu", id);
	} else {
		const char *path = argv[*i - 1];

		snprintf(what, sizeof(what), "%s", path);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return fail_errno(-errno, "no pinned program at %s", path);
		err = fp_prog_info_by_fd(fd, &info);
		close(fd);
		if (err == -EBADF)
			return fail(EXIT_RUNTIME, "%s is pinned, but not a program (a map or a "
				    "link); name a program's pin", path);
		if (err)
			return fail_errno(err, "%s is not a pinned program", path);
		id = info.id;
	}
	err = name_of_id(id, name, size);
	if (err == -ENOENT)
		return not_ours(what);
	if (err)
		return fail_errno(err, "cannot list %s", FP_PIN_ROOT);
	return 0;
}

/* ---- loading --------------------------------------------------------------- */

/* The last lines say why; the whole log (-v) says how it got there. */
static const char *log_tail(const char *log, char **buf)
{
	const char *p = log + strlen(log), *end;
	int lines = 0;

	while (p > log && (p[-1] == '\n' || p[-1] == '\0'))
		p--;
	end = p;
	if (!cli.verbose) {
		while (p > log && lines <= LOG_TAIL_LINES)
			if (*--p == '\n')
				lines++;
		if (*p == '\n')
			p++;
	} else {
		p = log;
	}
	if (asprintf(buf, "--- verifier log%s ---\n%.*s\n--- end of verifier log ---\n",
		     cli.verbose ? "" : " (last lines; -v shows all)",
		     (int)(end - p), p) < 0)
		*buf = NULL;
	return *buf ? *buf : "";
}

int report_load_error(int err, const char *file, const char *prog,
		      const char *name, const char *progs, const char *log)
{
	char *tail = NULL;

	switch (err) {
	case -ENOENT:
		return fail(EXIT_RUNTIME, "%s: no such file; check the path to "
			    "the compiled BPF object", file);
	case -ENOEXEC:
		return fail(EXIT_RUNTIME, "%s is not a BPF object (an ELF file "
			    "built with clang -target bpf)", file);
	case -ENODATA:
		return fail(EXIT_RUNTIME, "%s has no BTF (type information), which "
			    "its maps need: it was built without -g; rebuild it with "
			    "clang -g -O2 -target bpf -c FILE.bpf.c -o %s", file, file);
	case -ENOTUNIQ:
		return fail(EXIT_RUNTIME, "%s has several programs (%s); choose "
			    "one with --prog FUNC", file, progs);
	case -ESRCH:
		return fail(EXIT_RUNTIME, "%s has no program '%s'; its programs: %s",
			    file, prog, progs);
	case -EADDRINUSE:
		return fail(EXIT_RUNTIME, "the name '%s' is taken by a map shared by name "
			    "(%s/maps/%s); choose another --name", name, FP_PIN_ROOT, name);
	case -EEXIST:
		return fail(EXIT_RUNTIME, "a program named '%s' is already loaded; "
			    "unload it first (fastpath unload %s) or choose "
			    "another --name", name, name);
	case -EINVAL:
		if ((!log || !*log) && name && !fp_name_valid(name))
			return fail(EXIT_USAGE, "invalid name '%s': use up to %d letters, "
				    "digits, '_' or '-' (bpffs refuses '.'); choose "
				    "one with --name", name, FP_NAME_MAX - 1);
		if (!log || !*log)
			return fail(EXIT_RUNTIME, "cannot load %s: the kernel refused it "
				    "before its verifier ran (Invalid argument: a map or "
				    "program attribute it does not accept); run with -v "
				    "for libbpf's messages", file);
		break;
	case -EPERM:
		return fail_errno(err, "cannot load %s", file);
	}
	if (log && *log) {
		/* The verifier says EACCES ("Permission denied") or EINVAL:
		 * neither is about privileges, so its words stay out. */
		fail_detail(EXIT_RUNTIME, "verifier_log", log_tail(log, &tail),
			    "program '%s' in %s was rejected by the verifier "
			    "(verification failed); the log below says why", name, file);
		free(tail);
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
	static const struct out_col cols[] = {
		{ NULL, "name", OUT_STR, 0 },
		{ NULL, "id", OUT_U64, 0 },
		{ NULL, "type", OUT_STR, 0 },
		{ NULL, "pinned", OUT_STR, 0 },
	};
	const char *name = NULL, *prog = NULL, *file;
	struct fp_load_result res;
	char pin[PATH_MAX];
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
	} else {
		union out_val v[] = { { .s = res.name }, { .u = res.id },
				      { .s = type_str(res.type) }, { .s = pin } };

		snprintf(pin, sizeof(pin), "%s/progs/%s", FP_PIN_ROOT, res.name);
		out_result(OUT_COLS(cols), v, "loaded %s: %s program, id %u, pinned at %s\n",
			   res.name, type_str(res.type), res.id, pin);
	}
	fp_load_result_free(&res);
	return err;
}

/* ---- attaching -------------------------------------------------------------- */

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

/* The kernel link that holds ifindex's XDP program, if one does. */
static __u32 xdp_link_id(int ifindex)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_XDP && (int)info.xdp.ifindex == ifindex) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

int xdp_busy(const char *dev, int ifindex)
{
	struct fp_link_info *links = NULL;
	struct fp_pipeline_info pi;
	const char *mode;
	char how[256] = "";
	__u32 prog = 0, link;
	size_t n = 0;

	fp_xdp_query(ifindex, &prog, &mode);
	if (!fp_pipeline_info(dev, &pi) && pi.prog_id == prog)
		snprintf(how, sizeof(how), "it is fastpath's pipeline: fastpath down %s", dev);
	if (!*how && !fp_list_links(&links, &n))
		for (size_t i = 0; i < n; i++)
			if (links[i].ifindex == ifindex && !strcmp(links[i].hook, "xdp"))
				snprintf(how, sizeof(how), "fastpath detach %s %s",
					 links[i].prog, dev);
	free(links);
	if (!*how && (link = xdp_link_id(ifindex)))
		/* ip link set ... xdp off cannot replace a bpf_link. */
		snprintf(how, sizeof(how), "it is held by bpf_link %u: bpftool link "
			 "detach id %u, or remove the link's pin", link, link);
	if (!*how)
		snprintf(how, sizeof(how), "ip link set dev %s xdp off", dev);
	return fail(EXIT_RUNTIME, "%s already has an XDP program (id %u); detach "
		    "it first (%s)", dev, prog, how);
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
		if (type == BPF_PROG_TYPE_XDP)
			return xdp_busy(t->name, t->ifindex);
		return fail(EXIT_RUNTIME, "'%s' is already attached to %s",
			    name, t->name);
	}
	return fail_errno(err, "cannot attach '%s' to %s", name, t->name);
}
static void print_attached(const char *name, const struct fp_target *t,
			   enum bpf_prog_type type, const struct fp_attachment *a)
{
	static const struct out_col cols[] = {
		{ NULL, "name", OUT_STR, 0 },
		{ NULL, "target", OUT_STR, 0 },
		{ NULL, "hook", OUT_STR, 0 },
		{ NULL, "mode", OUT_STR, 0 },
		{ NULL, "direction", OUT_STR, 0 },
		{ NULL, "native_error", OUT_STR, 0 }, /* native failed, skb taken */
	};
	const char *hook = type == BPF_PROG_TYPE_XDP ? "xdp" : type_str(type);
	bool xdp = type == BPF_PROG_TYPE_XDP, dir = !xdp && type != BPF_PROG_TYPE_SK_LOOKUP;
	struct out_col c[OUT_N(cols)];
	union out_val v[] = { { .s = name }, { .s = t->name }, { .s = hook },
			      { .s = fp_mode_str(a->mode) }, { .s = fp_dir_str(a->dir) },
			      { .s = strerror(-a->native_err) } };
	char how[64] = "";

	memcpy(c, cols, sizeof(c));
	if (!xdp)
		c[3].key = NULL;
	if (!dir)
		c[4].key = NULL;
	if (!a->native_failed)
		c[5].key = NULL;
	if (xdp)
		snprintf(how, sizeof(how), ", %s mode", fp_mode_str(a->mode));
	else if (dir)
		snprintf(how, sizeof(how), ", %s%s", fp_dir_str(a->dir),
			 a->tc_netlink ? ", clsact filter: this kernel has no tcx" : "");
	if (a->native_failed && !cli.json)
		printf("native mode failed on %s (%s); fell back to skb (generic) mode\n",
		       t->name, strerror(-a->native_err));
	out_result(OUT_COLS(c), v, "attached %s to %s (%s%s)\n", name, t->name, hook, how);
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
	char name[FP_NAME_MAX];
	bool mode_given = false;
	struct fp_target t;
	int c, i, err;

	while ((c = getopt_long(argc, argv, "m:d:", lo, NULL)) != -1) {
		if (c == 'm' && mode_arg(optarg, &opts.mode))
			return EXIT_USAGE;
		mode_given |= c == 'm';
		if (c == 'd' && fp_dir_parse(optarg, &opts.dir))
			return fail(EXIT_USAGE, "--direction takes ingress or egress, not '%s'", optarg);
		if (c == '?' || c == ':')
			return bad_option(argv);
	}
	/* PROG is one word (NAME) or two (id N, pinned PATH). */
	if (argc - optind < 2 || argc - optind > 3)
		return fail(EXIT_USAGE, "usage: fastpath attach PROG DEV|CGROUP_DIR|NETNS_FILE "
			    "[--mode native|skb|auto] [--direction ingress|egress]");
	err = require_bpf();
	if (err)
		return err;
	i = optind;
	err = prog_arg(argc, argv, &i, name, sizeof(name));
	if (err)
		return err;
	if (argc - i != 1)
		return fail(EXIT_USAGE, "usage: fastpath attach PROG DEV|CGROUP_DIR|NETNS_FILE");
	err = fp_prog_type_of(name, &type);
	if (err == -ENOENT || err == -EINVAL)
		return no_such_program(name);
	if (err)
		return fail_errno(err, "cannot open program '%s'", name);
	/* An option the program's type has no use for is refused, not
	 * ignored. */
	if (mode_given && type != BPF_PROG_TYPE_XDP)
		return fail(EXIT_USAGE, "--mode is for XDP programs; '%s' is of type %s",
			    name, type_str(type));
	if (opts.dir != FP_DIR_UNSET && (type == BPF_PROG_TYPE_XDP ||
					 type == BPF_PROG_TYPE_SK_LOOKUP))
		return fail(EXIT_USAGE, "--direction is for TC and cgroup_skb programs; "
			    "'%s' is of type %s", name, type_str(type));
	err = fp_target_parse(argv[i], &t);
	if (err)
		return target_error(argv[i], err);
	err = fp_prog_attach(name, &t, &opts, &a);
	if (err)
		return attach_error(err, name, &t, type, &opts);
	print_attached(name, &t, type, &a);
	return EXIT_OK;
}

int cmd_detach(int argc, char **argv)
{
	static const struct out_col cols[] = {
		{ NULL, "name", OUT_STR, 0 },
		{ NULL, "target", OUT_STR, 0 },
		{ NULL, "detached", OUT_U64, 0 },
	};
	char name[FP_NAME_MAX];
	const char *target;
	int i = 1, n, err;

	if (argc < 2 || argc > 4)
		return fail(EXIT_USAGE, "usage: fastpath detach PROG [TARGET]");
	err = require_bpf();
	if (err)
		return err;
	err = prog_arg(argc, argv, &i, name, sizeof(name));
	if (err)
		return err;
	if (argc - i > 1)
		return fail(EXIT_USAGE, "usage: fastpath detach PROG [TARGET]");
	target = i < argc ? argv[i] : NULL;
	err = fp_prog_detach(name, target, &n);
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "'%s' is not attached%s%s (see fastpath status)",
			    name, target ? " to " : "", target ? target : "");
	if (err)
		return fail_errno(err, "cannot detach '%s'", name);
	{
		union out_val v[] = { { .s = name }, { .s = target }, { .u = n } };

		out_result(OUT_COLS(cols), v, "detached %s from %d target%s\n", name,
			   n, n == 1 ? "" : "s");
	}
	return EXIT_OK;
}

int cmd_unload(int argc, char **argv)
{
	static const struct out_col cols[] = {
		{ NULL, "name", OUT_STR, 0 },
		{ NULL, "unloaded", OUT_BOOL, 0 },
	};
	char name[FP_NAME_MAX];
	int i = 1, err;

	if (argc < 2 || argc > 3)
		return fail(EXIT_USAGE, "usage: fastpath unload PROG");
	err = require_bpf();
	if (err)
		return err;
	err = prog_arg(argc, argv, &i, name, sizeof(name));
	if (err)
		return err;
	if (i != argc)
		return fail(EXIT_USAGE, "usage: fastpath unload PROG");
	err = fp_prog_unload(name);
	if (err == -ENOENT || err == -EINVAL)
		return fail(EXIT_RUNTIME, "no program named '%s' is loaded (see "
			    "fastpath programs)", name);
	if (err)
		return fail_errno(err, "cannot unload '%s'", name);
	{
		union out_val v[] = { { .s = name }, { .b = true } };

		out_result(OUT_COLS(cols), v, "unloaded %s\n", name);
	}
	return EXIT_OK;
}

/* attachments_of: "veth0 xdp native, /sys/... egress" for one program, in
 * TEXT, and as objects in ARR. */
static void attachments_of(const char *name, const struct fp_link_info *links,
			   size_t n, char *buf, size_t size, struct json_object *arr)
{
	static const struct out_col cols[] = {
		{ NULL, "hook", OUT_STR, 0 },
		{ NULL, "target", OUT_STR, 0 },
		{ NULL, "mode", OUT_STR, 0 },
		{ NULL, "direction", OUT_STR, 0 },
		{ NULL, "link_id", OUT_U64, 0 },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct fp_link_info *l = &links[i];
		const char *extra = *l->mode ? l->mode :
				    strcmp(l->hook, "sk_lookup") ? fp_dir_str(l->dir) : "";
		struct out_col c[OUT_N(cols)];
		union out_val v[] = { { .s = l->hook }, { .s = l->target }, { .s = extra },
				      { .s = extra }, { .u = l->id } };
		int w;

		if (strcmp(l->prog, name))
			continue;
		memcpy(c, cols, sizeof(c));
		c[*l->mode ? 3 : 2].key = NULL; /* a mode or a direction */
		json_object_array_add(arr, out_object(c, OUT_N(c), v));
		w = snprintf(buf + off, size - off, "%s%s %s%s%s", off ? ", " : "",
			     l->hook, l->target, *extra ? " " : "", extra);
		if (w < 0 || (size_t)w >= size - off)
			break;
		off += w;
	}
}

enum { P_NAME, P_ID, P_TYPE, P_TAG, P_RUN_CNT, P_RUN_TIME, P_JITED, P_XLATED,
       P_INSNS, P_MAPS_TEXT, P_MAPS, P_ATT_TEXT, P_ATT, P_N };

static const struct out_col prog_cols[P_N] = {
	[P_NAME] = { "NAME", "name", OUT_STR, -20 },
	[P_ID] = { "ID", "id", OUT_U64, 6 },
	[P_TYPE] = { "TYPE", "type", OUT_STR, -14 },
	[P_TAG] = { "TAG", "tag", OUT_STR, -16 },
	[P_RUN_CNT] = { "RUN_CNT", "run_cnt", OUT_U64, 12 },
	[P_RUN_TIME] = { "RUN_TIME_NS", "run_time_ns", OUT_U64, 12 },
	[P_JITED] = { "JITED", "jited_bytes", OUT_U64, 7 },
	[P_XLATED] = { "XLATED", "xlated_bytes", OUT_U64, 7 },
	[P_INSNS] = { "INSNS", "verified_insns", OUT_U64, 7 },
	[P_MAPS_TEXT] = { "MAPS", NULL, OUT_STR, -12 },
	[P_MAPS] = { NULL, "map_ids", OUT_JSON, 0 },
	[P_ATT_TEXT] = { "ATTACHED", NULL, OUT_STR, -1 },
	[P_ATT] = { NULL, "attached", OUT_JSON, 0 },
};

static void prog_row(struct out_list *l, const struct fp_prog_info *p,
		     const struct fp_link_info *links, size_t nl)
{
	union out_val v[P_N];
	char att[1024], maps[128] = "";
	size_t off = 0;

	v[P_MAPS].j = json_object_new_array();
	for (__u32 i = 0; i < p->nr_map_ids; i++) {
		json_object_array_add(v[P_MAPS].j, json_object_new_int64(p->map_ids[i]));
		if (off < sizeof(maps))
			off += snprintf(maps + off, sizeof(maps) - off, "%s%u",
					i ? "," : "", p->map_ids[i]);
	}
	v[P_ATT].j = json_object_new_array();
	attachments_of(p->name, links, nl, att, sizeof(att), v[P_ATT].j);
	v[P_NAME].s = p->name;
	v[P_ID].u = p->id;
	v[P_TYPE].s = type_str(p->type);
	v[P_TAG].s = p->tag;
	v[P_RUN_CNT].u = p->run_cnt;
	v[P_RUN_TIME].u = p->run_time_ns;
	v[P_JITED].u = p->jited_len;
	v[P_XLATED].u = p->xlated_len;
	v[P_INSNS].u = p->verified_insns;
	v[P_MAPS_TEXT].s = maps;
	v[P_ATT_TEXT].s = att;
	out_list_row(l, v);
}

int cmd_programs(int argc, char **argv)
{
	struct fp_prog_info *progs = NULL;
	struct fp_link_info *links = NULL;
	struct out_col cols[P_N];
	struct out_list l;
	size_t np = 0, nl = 0;
	bool stats = fp_bpf_stats_enabled();
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
	memcpy(cols, prog_cols, sizeof(cols));
	if (!stats) /* no run counts at all: not zeros */
		cols[P_RUN_CNT].head = cols[P_RUN_CNT].key =
			cols[P_RUN_TIME].head = cols[P_RUN_TIME].key = NULL;
	if (!cli.verbose) /* the table's details, with -v */
		cols[P_JITED].head = cols[P_XLATED].head = cols[P_INSNS].head =
			cols[P_MAPS_TEXT].head = NULL;
	out_list_begin(&l, cols, P_N, 0);
	for (size_t i = 0; i < np; i++)
		prog_row(&l, &progs[i], links, nl);
	out_list_end(&l);
	if (!cli.json && !stats)
		printf("(run counts: sysctl -w kernel.bpf_stats_enabled=1)\n");
	free(progs);
	free(links);
	return EXIT_OK;
}

static const struct out_col map_cols[] = {
	{ "PIN", "pin", OUT_STR, -36 },
	{ "ID", "id", OUT_U64, 6 },
	{ NULL, "name", OUT_STR, 0 },
	{ "TYPE", "type", OUT_STR, -16 },
	{ "KEY", "key_size", OUT_U64, 5 },
	{ "VALUE", "value_size", OUT_U64, 6 },
	{ "MAX", "max_entries", OUT_U64, 9 },
};

int cmd_maps(int argc, char **argv)
{
	struct fp_map_info *maps = NULL;
	struct out_list l;
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
	out_list_begin(&l, OUT_COLS(map_cols), 0);
	for (size_t i = 0; i < n; i++) {
		const struct fp_map_info *m = &maps[i];
		const char *type = libbpf_bpf_map_type_str(m->type);
		union out_val v[] = {
			{ .s = m->pin }, { .u = m->id }, { .s = m->name },
			{ .s = type ? type : "unknown" }, { .u = m->key_size },
			{ .u = m->value_size }, { .u = m->max_entries },
		};

		out_list_row(&l, v);
	}
	out_list_end(&l);
	free(maps);
	return EXIT_OK;
}
