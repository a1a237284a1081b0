// SPDX-License-Identifier: BSD-2-Clause
/* fastpath ports register|unregister|lookup|list: the port registry. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fastpath/core.h>
#include <fastpath/port_registry.h>
#include "cli.h"

const char ports_usage[] =
	"usage: fastpath ports register PORT --pid PID [--fd N] [--protocol tcp|udp] [--addr IPV4]\n"
	"       count PORT and steer it to PID's listening socket (fd N)\n"
	"       fastpath ports unregister PORT\n"
	"       fastpath ports lookup PORT\n"
	"       fastpath ports list";

static int port_arg(const char *s, uint16_t *port)
{
	if (!fp_port_parse(s, port))
		return 0;
	return fail(EXIT_USAGE, "invalid port '%s': give a number from 1 to 65535", s);
}

static void addr_str(uint32_t addr, char *buf, size_t size)
{
	if (!addr)
		snprintf(buf, size, "any");
	else
		inet_ntop(AF_INET, &addr, buf, size);
}

static const struct out_col record_cols[] = {
	{ "PORT", "port", OUT_U64, 5 },
	{ "PID", "pid", OUT_U64, 8 },
	{ "ADDR", "addr", OUT_STR, -15 },
	{ NULL, "registered_ns", OUT_U64, 0 },
	{ "PACKETS", "packets", OUT_U64, 12 },
	{ "BYTES", "bytes", OUT_U64, 14 },
	{ NULL, "protocol", OUT_STR, 0 },
	{ "PROCESS", "process", OUT_STR, -7 },
	{ "SOCKET", "socket", OUT_STR, -24 },
};

static bool pid_alive(uint32_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	return !access(path, F_OK) && (!kill((pid_t)pid, 0) || errno == EPERM);
}

/* record_vals: ADDR and SOCK are the caller's buffers for the strings. */
static void record_vals(const struct fp_port_record *r, char *addr, char *sock,
			union out_val *v)
{
	addr_str(r->entry.addr, addr, INET_ADDRSTRLEN);
	fp_port_steer_state(r, sock, 96);
	v[0].u = r->port;
	v[1].u = r->entry.pid;
	v[2].s = addr;
	v[3].u = r->entry.registered_ns;
	v[4].u = r->stats.packets;
	v[5].u = r->stats.bytes;
	v[6].s = r->entry.protocol == IPPROTO_TCP ? "tcp" :
		 r->entry.protocol == IPPROTO_UDP ? "udp" : "none";
	v[7].s = pid_alive(r->entry.pid) ? "alive" : "dead";
	v[8].s = sock;
}

static void record_row(struct out_list *l, const struct fp_port_record *r)
{
	char addr[INET_ADDRSTRLEN], sock[96];
	union out_val v[OUT_N(record_cols)];

	record_vals(r, addr, sock, v);
	out_list_row(l, v);
}

static const struct out_col change_cols[] = {
	{ NULL, "port", OUT_U64, 0 },
	{ NULL, "pid", OUT_U64, 0 },
	{ NULL, "registered", OUT_BOOL, 0 },
};

/* The pinned maps exist but were made by a fastpath with another layout. */
static int registry_layout_error(void)
{
	return fail(EXIT_RUNTIME, "the port registry pinned in %s/maps was made "
		    "by another version of fastpath (its maps have another "
		    "layout); remove it with: rm %s/maps/" FP_PORTS_MAP " %s/maps/"
		    FP_PORT_STATS_MAP " (this drops every registration)",
		    FP_PIN_ROOT, FP_PIN_ROOT, FP_PIN_ROOT);
}

static int registry(struct fp_port_registry *reg, int create)
{
	int err = require_bpf();

	if (err)
		return err;
	err = fp_port_registry_open(reg, create);
	if (err == -EPROTO)
		return registry_layout_error();
	if (err)
		return fail_errno(err, "cannot open the port registry in %s/maps",
				  FP_PIN_ROOT);
	return 0;
}

static const struct out_col steer_cols[] = {
	{ NULL, "port", OUT_U64, 0 },
	{ NULL, "pid", OUT_U64, 0 },
	{ NULL, "registered", OUT_BOOL, 0 },
	{ NULL, "steered", OUT_BOOL, 0 },
	{ NULL, "socket", OUT_STR, 0 },
};

/* steer: after registration, steer PORT to PID's socket. Asked for a
 * socket (--fd or --protocol), failing undoes the registration; else a
 * process without a listening TCP socket is only counted, as before. */
static int steer(struct fp_port_registry *reg, uint16_t port, long pid, int fd,
		 int protocol)
{
	bool asked = fd >= 0 || protocol;
	int err = fp_port_steer(reg, port, fd, protocol ? protocol : IPPROTO_TCP);
	const char *kind = protocol == IPPROTO_UDP ? "bound UDP" : "listening TCP";
	struct fp_port_record rec;
	char sock[96] = "-";

	if (err && (asked || err != -ENOENT)) {
		fp_port_unregister(reg, port);
		fp_port_registry_close(reg);
		if (err == -ENOENT)
			return fail(EXIT_RUNTIME, "pid %ld has no %s socket to steer to; "
				    "give the socket's fd (--fd N, see ls -l /proc/%ld/fd)",
				    pid, kind, pid);
		if (err == -EBADF)
			return fail(EXIT_RUNTIME, "pid %ld has no fd %d", pid, fd);
		if (err == -EPROTOTYPE || err == -ENOTSOCK || err == -EINVAL)
			return fail(EXIT_RUNTIME, "fd %d of pid %ld is not a %s socket; "
				    "give a listening TCP socket, or --protocol udp for a "
				    "bound UDP one", fd, pid, kind);
		return fail_errno(err, "cannot steer port %u to pid %ld", port, pid);
	}
	if (!err && !fp_port_lookup(reg, port, &rec))
		fp_port_steer_state(&rec, sock, sizeof(sock));
	fp_port_registry_close(reg);
	{
		union out_val v[] = { { .u = port }, { .u = pid }, { .b = true },
				      { .b = !err }, { .s = sock } };

		if (err)
			out_result(OUT_COLS(steer_cols), v, "registered port %u to pid %ld "
				   "(counted only: it has no listening TCP socket to steer "
				   "to)\n", port, pid);
		else
			out_result(OUT_COLS(steer_cols), v, "registered port %u to pid %ld; "
				   "steered to its fd %u (%s)\n", port, pid, rec.entry.fd, sock);
	}
	return EXIT_OK;
}

static int ports_register(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "fd", required_argument, NULL, 'f' },
		{ "protocol", required_argument, NULL, 'P' },
		{ 0 },
	};
	struct fp_port_entry old;
	struct fp_port_registry reg;
	unsigned long long fdv;
	uint32_t addr = 0;
	long pid = -1;
	int fd = -1, protocol = 0;
	uint16_t port;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "p:a:", lo, NULL)) != -1) {
		if (c == 'f') {
			if (number_arg("--fd", optarg, 65535, &fdv))
				return EXIT_USAGE;
			fd = (int)fdv;
			continue;
		}
		if (c == 'P') {
			if (fp_proto_parse(optarg, &protocol) ||
			    (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP))
				return fail(EXIT_USAGE, "--protocol takes tcp or udp, not '%s'", optarg);
			continue;
		}
		if (c == 'p') {
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0 || pid > 0x7fffffff)
				return fail(EXIT_USAGE, "invalid pid '%s'", optarg);
		} else if (c == 'a') {
			if (inet_pton(AF_INET, optarg, &addr) != 1)
				return fail(EXIT_USAGE, "invalid IPv4 address '%s'", optarg);
		} else {
			return bad_option(argv);
		}
	}
	if (argc - optind != 1 || pid < 0)
		return fail(EXIT_USAGE, "usage: fastpath ports register PORT --pid PID "
			    "[--fd N] [--protocol tcp|udp] [--addr IPV4]");
	if (port_arg(argv[optind], &port))
		return EXIT_USAGE;
	err = registry(&reg, 1);
	if (err)
		return err;
	err = fp_port_register(&reg, port, pid, addr, &old);
	if (!err)
		return steer(&reg, port, pid, fd, protocol);
	fp_port_registry_close(&reg);
	switch (err) {
	case -ESRCH:
		return fail(EXIT_RUNTIME, "no process with pid %ld; register the "
			    "handler's running pid", pid);
	case -EEXIST:
		return fail(EXIT_RUNTIME, "port %u is already registered to pid %u; "
			    "unregister it first (fastpath ports unregister %u)",
			    port, old.pid, port);
	}
	return fail_errno(err, "cannot register port %u", port);
}

static int ports_one(int argc, char **argv, bool remove)
{
	struct fp_port_registry reg;
	struct fp_port_record rec;
	uint16_t port;
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "%s", ports_usage);
	if (port_arg(argv[1], &port))
		return EXIT_USAGE;
	err = require_bpf();
	if (err)
		return err;
	err = fp_port_registry_open(&reg, 0);
	if (!err) {
		if (remove)
			fp_port_unsteer(&reg, port);
		err = remove ? fp_port_unregister(&reg, port)
			     : fp_port_lookup(&reg, port, &rec);
		fp_port_registry_close(&reg);
	}
	if (err == -EPROTO)
		return registry_layout_error();
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "port %u is not registered (see fastpath "
			    "ports list)", port);
	if (err)
		return fail_errno(err, "cannot %s port %u", remove ? "unregister" :
				  "look up", port);
	if (remove) {
		struct out_col c[OUT_N(change_cols)];
		union out_val v[] = { { .u = port }, { .u = 0 }, { .b = false } };

		memcpy(c, change_cols, sizeof(c));
		c[1].key = NULL;
		out_result(OUT_COLS(c), v, "unregistered port %u\n", port);
	} else if (cli.json) {
		char addr[INET_ADDRSTRLEN], sock[96];
		union out_val v[OUT_N(record_cols)];

		record_vals(&rec, addr, sock, v);
		json_print(out_object(OUT_COLS(record_cols), v));
	} else {
		struct out_list l;

		out_list_begin(&l, OUT_COLS(record_cols), 0);
		record_row(&l, &rec);
		out_list_end(&l);
	}
	return EXIT_OK;
}

static int ports_list(int argc)
{
	struct fp_port_record *recs = NULL;
	struct fp_port_registry reg;
	size_t n = 0;
	int err;

	if (argc != 1)
		return fail(EXIT_USAGE, "%s", ports_usage);
	err = require_bpf();
	if (err)
		return err;
	err = fp_port_registry_open(&reg, 0);
	if (!err) {
		err = fp_port_list(&reg, &recs, &n);
		fp_port_registry_close(&reg);
	}
	if (err == -EPROTO)
		return registry_layout_error();
	if (err && err != -ENOENT) /* no maps yet: nothing registered */
		return fail_errno(err, "cannot list the port registry");
	{
		struct out_list l;

		out_list_begin(&l, OUT_COLS(record_cols), 0);
		for (size_t i = 0; i < n; i++)
			record_row(&l, &recs[i]);
		out_list_end(&l);
	}
	free(recs);
	return EXIT_OK;
}

int cmd_ports(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", ports_usage);
	argc--;
	argv++;
	if (!strcmp(argv[0], "register"))
		return ports_register(argc, argv);
	if (!strcmp(argv[0], "unregister"))
		return ports_one(argc, argv, true);
	if (!strcmp(argv[0], "lookup"))
		return ports_one(argc, argv, false);
	if (!strcmp(argv[0], "list"))
		return ports_list(argc);
	return fail(EXIT_USAGE, "unknown ports command '%s'\n%s", argv[0], ports_usage);
}
