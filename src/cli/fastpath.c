// SPDX-License-Identifier: BSD-2-Clause
/* fastpath: manage eBPF programs and fastpath's data plane from the shell.
 * The command table, global flags, help and the error edge. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fastpath/core.h>
#include "cli.h"

#ifndef FP_VERSION
#define FP_VERSION "unknown"
#endif

struct cli cli;

/* Each command: its word, its function and its usage (the lines help
 * prints for it, and for all of them). */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "status", cmd_status,
	  "usage: fastpath status [DEV]       what is loaded and attached, per interface" },
	{ "load", cmd_load,
	  "usage: fastpath load FILE.o [--name NAME] [--prog FUNC]\n"
	  "       load a program and pin it as NAME (default: FILE's base name)" },
	{ "attach", cmd_attach,
	  "usage: fastpath attach PROG DEV [--mode native|skb|auto] [--direction ingress|egress]\n"
	  "       fastpath attach PROG CGROUP_DIR [--direction ingress|egress]\n"
	  "       fastpath attach PROG NETNS_FILE\n"
	  "       attach; the attachment outlives fastpath. PROG is NAME, id N or\n"
	  "       pinned PATH; drv and generic are native and skb" },
	{ "detach", cmd_detach,
	  "usage: fastpath detach PROG [TARGET]   remove PROG's attachments (to TARGET)" },
	{ "unload", cmd_unload,
	  "usage: fastpath unload PROG            detach everywhere, unpin program and maps" },
	{ "programs", cmd_programs,
	  "usage: fastpath programs [-v]          loaded programs (-v: JIT size, maps)" },
	{ "maps", cmd_maps,
	  "usage: fastpath maps                   pinned maps" },
	{ "run", cmd_run,
	  "usage: fastpath run DEV [FILE.o] [--prog FUNC] [--mode M] [--interval S] [--duration S]\n"
	  "       attach in the foreground, show counters; Ctrl+C detaches" },
	{ "ports", cmd_ports, ports_usage },
	{ "up", cmd_up,
	  "usage: fastpath up DEV [--mode M] [--stages LIST] [--chain FILE.o] [--max-flows N]\n"
	  "       attach (or adopt) the fastpath pipeline" },
	{ "down", cmd_down,
	  "usage: fastpath down DEV               detach the pipeline and remove it" },
	{ "stats", cmd_stats,
	  "usage: fastpath stats [DEV]            pipeline counters per stage and verdict" },
	{ "flows", cmd_flows, flows_usage },
	{ "firewall", cmd_firewall, firewall_usage },
	{ "dhcp", cmd_dhcp, dhcp_usage },
	{ "proxy", cmd_proxy, proxy_usage },
	{ "metrics", cmd_metrics, metrics_usage },
	{ "health", cmd_health, health_usage },
	{ "debug", cmd_debug, debug_usage },
	{ "reload", cmd_reload, reload_usage },
	{ "xsk", cmd_xsk, xsk_usage },
	{ "shaper", cmd_shaper, shaper_usage },
	{ "functions", cmd_functions, functions_usage },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: fastpath [-j|--json] [-p|--pretty] [-v|--verbose] COMMAND ...\n"
	      "       fastpath --version | help [COMMAND] | COMMAND --help\n\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *u = commands[i].usage;

		/* "usage: fastpath " and its indent are said once, above. */
		for (const char *line = u; line && *line;) {
			const char *end = strchr(line, '\n');
			int len = end ? (int)(end - line) : (int)strlen(line);

			if (!strncmp(line, "usage: fastpath ", 16))
				fprintf(f, "  %.*s\n", len - 16, line + 16);
			else if (!strncmp(line, "       fastpath ", 16))
				fprintf(f, "  %.*s\n", len - 16, line + 16);
			else {
				int sp = strspn(line, " ");

				fprintf(f, "        %.*s\n", len - sp, line + sp);
			}
			line = end ? end + 1 : NULL;
		}
	}
	fputs("\nGlobal flags: -j JSON output (errors too, as {\"error\": ...}); -p "
	      "pretty JSON\n(before COMMAND; --pretty anywhere); -v libbpf's "
	      "messages and whole verifier logs.\n"
	      "Exit status: 0 success, 1 runtime failure, 2 usage error.\n", f);
}

static const struct command *command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* ---- the error edge ------------------------------------------------------ */

/* Every error goes through here: text on stderr, JSON on stdout with -j. */
static int emit_error(int status, const char *msg, const char *key, const char *detail)
{
	fprintf(stderr, "fastpath: %s\n", msg);
	if (detail && *detail)
		fputs(detail, stderr);
	if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		if (key && detail && *detail)
			json_object_object_add(o, key, json_object_new_string(detail));
		fflush(stderr);
		json_print(o);
	}
	return status;
}

int fail(int status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return emit_error(status, msg, NULL, NULL);
}

int fail_detail(int status, const char *key, const char *detail, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return emit_error(status, msg, key, detail);
}

static const char privileges_hint[] =
	"  loading and attaching BPF programs needs root, or the capabilities "
	"CAP_BPF and CAP_NET_ADMIN.\n"
	"  Run it with sudo, or grant them once: "
	"sudo setcap cap_bpf,cap_net_admin+ep $(command -v fastpath)\n";

int fail_errno(int err, const char *fmt, ...)
{
	char msg[2048];
	size_t off;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	off = strlen(msg);
	snprintf(msg + off, sizeof(msg) - off, ": %s", strerror(-err));
	return emit_error(EXIT_RUNTIME, msg, "hint", err == -EPERM ? privileges_hint : NULL);
}

int require_bpf(void)
{
	int err = fp_check_privileges();

	if (err)
		return fail_detail(EXIT_RUNTIME, "hint", privileges_hint, "permission denied");
	err = fp_bpffs_prepare();
	if (err)
		return fail_errno(err, "cannot prepare %s (is /sys/fs/bpf a bpffs "
				  "mount point?)", FP_PIN_ROOT);
	return 0;
}

/* ---- global flags -------------------------------------------------------- */

/* Global flags may stand anywhere before "--" and are taken out of argv;
 * "-p" only before the command, as "load -p FUNC" is the command's own. */
static int strip_global_flags(int argc, char **argv)
{
	bool before_command = true;
	int out = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			cli.json = true;
		} else if (!strcmp(argv[i], "--pretty") ||
			   (before_command && !strcmp(argv[i], "-p"))) {
			cli.json = cli.pretty = true;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			cli.verbose = true;
		} else {
			if (argv[i][0] != '-')
				before_command = false;
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

/* "CMD --help", "CMD -h" and "CMD help" (bpftool's "OBJECT help"). */
static bool wants_help(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "help"))
		return true;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static int help(const char *name)
{
	const struct command *c = name ? command(name) : NULL;

	if (name && !c)
		return fail(EXIT_USAGE, "no command '%s'; see fastpath help", name);
	if (c)
		printf("%s\n", c->usage);
	else
		usage(stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *c;

	opterr = 0; /* bad_option() says it once, as "fastpath: ..." */
	argc = strip_global_flags(argc - 1, argv + 1);
	argv++;
	fp_set_verbose(cli.verbose);
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "--version") || !strcmp(argv[0], "version")) {
		if (cli.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "version", json_object_new_string(FP_VERSION));
			json_print(o);
		} else {
			printf("fastpath %s\n", FP_VERSION);
		}
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help"))
		return help(argc > 1 ? argv[1] : NULL);
	c = command(argv[0]);
	if (!c)
		return fail(EXIT_USAGE, "unknown command '%s'; see fastpath help", argv[0]);
	if (wants_help(argc, argv))
		return help(c->name);
	return c->fn(argc, argv);
}
