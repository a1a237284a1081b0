/* SPDX-License-Identifier: BSD-2-Clause */
/* The fastpath command line: shared state and the error edge. */
#ifndef FP_CLI_H
#define FP_CLI_H

#include <stdbool.h>
#include <json-c/json.h>
#include <linux/bpf.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct cli {
	bool json;
	bool verbose;
};

extern struct cli cli;

/* fail: print "fastpath: MSG" on stderr and return status. */
int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fail_errno: as fail, with ": strerror(-err)" appended, and for EPERM the
 * privileges a user needs and how to get them. Returns EXIT_RUNTIME. */
int fail_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bad_option: the error for an option getopt_long did not accept. */
int bad_option(char **argv);

/* number_arg: *v from S, a whole number from 0 to MAX, for option OPT;
 * else prints why and returns EXIT_USAGE. */
int number_arg(const char *opt, const char *s, unsigned long long max,
	       unsigned long long *v);

/* require_bpf: root or CAP_BPF+CAP_NET_ADMIN, and a prepared bpffs;
 * prints why not and returns EXIT_RUNTIME, else 0. */
int require_bpf(void);

/* report_load_error: explain why FILE (program PROG, named NAME) did not
 * load; progs lists the object's programs, log is the verifier's. */
int report_load_error(int err, const char *file, const char *prog,
		      const char *name, const char *progs, const char *log);

/* type_str: a program type's name, as libbpf spells it. */
const char *type_str(enum bpf_prog_type type);

/* json_print: print obj on stdout and release it. */
void json_print(struct json_object *obj);

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

#endif
