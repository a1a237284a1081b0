/* SPDX-License-Identifier: BSD-2-Clause */
/* The fastpath command line: shared state and the error edge. */
#ifndef FP_CLI_H
#define FP_CLI_H

#include <stdbool.h>
#include <net/if.h>
#include <json-c/json.h>
#include <linux/bpf.h>
#include <fastpath/core.h>
#include "output.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct cli {
	bool json;
	bool pretty;
	bool verbose;
};

extern struct cli cli;

/* fail: print "fastpath: MSG" on stderr, and with -j {"error": MSG} on
 * stdout, and return status. */
int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fail_errno: as fail, with ": strerror(-err)" appended, and for EPERM the
 * privileges a user needs and how to get them. Returns EXIT_RUNTIME. */
int fail_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fail_detail: as fail, with a longer text (a hint, a verifier log) that
 * follows the message on stderr and is the value of KEY in the JSON. */
int fail_detail(int status, const char *key, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* bad_option: the error for an option getopt_long did not accept. */
int bad_option(char **argv);

/* number_arg: *v from S, a whole number from 0 to MAX, for option OPT;
 * else prints why and returns EXIT_USAGE. */
int number_arg(const char *opt, const char *s, unsigned long long max,
	       unsigned long long *v);

/* mode_arg: an XDP mode word for --mode (native/drv, skb/generic, auto);
 * else prints why and returns EXIT_USAGE. */
int mode_arg(const char *s, enum fp_xdp_mode *mode);

/* prog_arg: the program a command names at argv[*i], as bpftool does:
 * NAME, "id N" or "pinned PATH"; NAME gets fastpath's name for it and *i
 * moves past the words used. Prints why not and returns an exit status. */
int prog_arg(int argc, char **argv, int *i, char name[], size_t size);

/* xdp_busy: the error for DEV (IFINDEX) that has an XDP program already,
 * with the command that removes it (which depends on who attached it). */
int xdp_busy(const char *dev, int ifindex);

/* require_bpf: root or CAP_BPF+CAP_NET_ADMIN, and a prepared bpffs;
 * prints why not and returns EXIT_RUNTIME, else 0. */
int require_bpf(void);

/* report_load_error: explain why FILE (program PROG, named NAME) did not
 * load; progs lists the object's programs, log is the verifier's. */
int report_load_error(int err, const char *file, const char *prog,
		      const char *name, const char *progs, const char *log);

/* type_str: a program type's name, as libbpf spells it. */
const char *type_str(enum bpf_prog_type type);

/* each_pipeline: run FN on DEV, or with DEV NULL on every interface with a
 * pipeline. FN returns an exit status (it printed why), or EACH_SKIP when
 * the interface has nothing to show (only asked when DEV is NULL: named is
 * false). *shown counts the interfaces FN showed; *found (may be NULL)
 * the interfaces looked at. Stops at the first failure and returns it. */
#define EACH_SKIP (-1)
int each_pipeline(const char *dev, int (*fn)(const char *dev, bool named, void *ctx),
		  void *ctx, size_t *shown, size_t *found);

/* Commands: argv[0] is the command word. */
int cmd_load(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_programs(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_firewall(int argc, char **argv);
int cmd_dhcp(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_xsk(int argc, char **argv);
int cmd_shaper(int argc, char **argv);

/* Each command's usage, for fastpath help CMD and CMD --help. */
extern const char firewall_usage[], flows_usage[], dhcp_usage[], ports_usage[];
extern const char debug_usage[];
extern const char reload_usage[];
extern const char metrics_usage[], health_usage[], xsk_usage[], shaper_usage[];
extern const char proxy_usage[];
int cmd_proxy(int argc, char **argv);
int cmd_functions(int argc, char **argv);
extern const char functions_usage[];

#endif
