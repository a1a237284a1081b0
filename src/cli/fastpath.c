// SPDX-License-Identifier: BSD-2-Clause
/* fastpath: manage eBPF programs and fastpath's data plane from the shell. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fastpath/core.h>
#include "cli.h"

struct cli cli;

static const char usage[] =
	"usage: fastpath [-j|--json] [-v|--verbose] COMMAND ...\n"
	"\n"
	"  status [DEV]                       what is loaded and attached, per interface\n"
	"  load FILE.o [--name NAME] [--prog FUNC]\n"
	"                                     load a program and pin it as NAME\n"
	"  attach NAME DEV [--mode native|skb|auto] [--direction ingress|egress]\n"
	"  attach NAME CGROUP_DIR [--direction ingress|egress]\n"
	"  attach NAME NETNS_FILE             attach; the attachment outlives fastpath\n"
	"  detach NAME [TARGET]               remove NAME's attachments (to TARGET)\n"
	"  unload NAME                        detach everywhere, unpin program and maps\n"
	"  programs [-v]                      loaded programs (-v: tag, JIT size, maps)\n"
	"  maps                               pinned maps\n"
	"  run DEV [FILE.o] [--prog FUNC] [--mode M] [--interval S] [--duration S]\n"
	"                                     attach in the foreground; Ctrl+C detaches\n"
	"  ports register PORT --pid PID [--addr IPV4]\n"
	"  ports unregister|lookup PORT       the port registry\n"
	"  ports list\n"
	"  up DEV [--mode M] [--stages LIST] [--chain FILE.o] [--max-flows N]\n"
	"                                     attach (or adopt) the fastpath pipeline\n"
	"  down DEV                           detach and remove it\n"
	"  stats [DEV]                        pipeline counters per stage and verdict\n"
	"  flows [DEV] [--source CIDR] [--dest CIDR] [--protocol P] [--port N]\n"
	"        [--min-packets N] [--sort packets|bytes|age] [--limit N]\n"
	"                                     flows the flows stage recorded\n"
	"  flows [DEV] --counters | DEV --age IDLE\n"
	"                                     its table's counters; remove idle flows\n"
	"  firewall list [DEV] | check FILE | replace FILE [DEV]\n"
	"  firewall add DEV allow|drop [--source CIDR] [--dest CIDR] [--protocol P]\n"
	"           [--port N[-M]] [--sport N[-M]] [--at N]\n"
	"  firewall delete DEV N | flush DEV  the rule set, replaced atomically\n"
	"  dhcp leases [--file PATH] [--all]  the DHCP server's lease database\n"
	"  dhcp stats [DEV]                   DHCP requests, fast-path hits, misses\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 usage error.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },   { "load", cmd_load },
	{ "attach", cmd_attach },   { "detach", cmd_detach },
	{ "unload", cmd_unload },   { "programs", cmd_programs },
	{ "maps", cmd_maps },       { "run", cmd_run },
	{ "ports", cmd_ports },     { "up", cmd_up },
	{ "down", cmd_down },       { "stats", cmd_stats },
	{ "flows", cmd_flows },     { "firewall", cmd_firewall },
	{ "dhcp", cmd_dhcp },
};

int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("fastpath: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void privileges_hint(void)
{
	fputs("  loading and attaching BPF programs needs root, or the capabilities "
	      "CAP_BPF and CAP_NET_ADMIN.\n"
	      "  Run it with sudo, or grant them once: "
	      "sudo setcap cap_bpf,cap_net_admin+ep $(command -v fastpath)\n",
	      stderr);
}

int fail_errno(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("fastpath: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(-err));
	if (err == -EPERM)
		privileges_hint();
	return EXIT_RUNTIME;
}

int require_bpf(void)
{
	int err = fp_check_privileges();

	if (err) {
		fail(EXIT_RUNTIME, "permission denied");
		privileges_hint();
		return EXIT_RUNTIME;
	}
	err = fp_bpffs_prepare();
	if (err)
		return fail_errno(err, "cannot prepare %s (is /sys/fs/bpf a bpffs "
				  "mount point?)", FP_PIN_ROOT);
	return 0;
}

void json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

/* Global flags may stand anywhere before "--"; take them out of argv. */
static int strip_global_flags(int argc, char **argv)
{
	int out = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			cli.json = true;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			cli.verbose = true;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	opterr = 0; /* bad_option() says it once, as "fastpath: ..." */
	argc = strip_global_flags(argc - 1, argv + 1);
	argv++;
	fp_set_verbose(cli.verbose);
	if (argc < 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(argc, argv);
	fail(EXIT_USAGE, "unknown command '%s'; see fastpath help", argv[0]);
	return EXIT_USAGE;
}
