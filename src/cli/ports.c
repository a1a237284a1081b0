// SPDX-License-Identifier: BSD-2-Clause
/* fastpath ports register|unregister|lookup|list: the port registry. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fastpath/core.h>
#include <fastpath/port_registry.h>
#include "cli.h"

const char ports_usage[] =
	"usage: fastpath ports register PORT --pid PID [--addr IPV4]\n"
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
};

static void record_vals(const struct fp_port_record *r, char *addr, union out_val *v)
{
	addr_str(r->entry.addr, addr, INET_ADDRSTRLEN);
	v[0].u = r->port;
	v[1].u = r->entry.pid;
	v[2].s = addr;
	v[3].u = r->entry.registered_ns;
	v[4].u = r->stats.packets;
	v[5].u = r->stats.bytes;
}

static void record_row(struct out_list *l, const struct fp_port_record *r)
{
	char addr[INET_ADDRSTRLEN];
	union out_val v[OUT_N(record_cols)];

	record_vals(r, addr, v);
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

static int ports_register(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ 0 },
	};
	struct fp_port_entry old;
	struct fp_port_registry reg;
	uint32_t addr = 0;
	long pid = -1;
	uint16_t port;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "p:a:", lo, NULL)) != -1) {
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
		return fail(EXIT_USAGE, "usage: fastpath ports register PORT --pid PID [--addr IPV4]");
	if (port_arg(argv[optind], &port))
		return EXIT_USAGE;
	err = registry(&reg, 1);
	if (err)
		return err;
	err = fp_port_register(&reg, port, pid, addr, &old);
	fp_port_registry_close(&reg);
	switch (err) {
	case 0: {
		union out_val v[] = { { .u = port }, { .u = pid }, { .b = true } };

		out_result(OUT_COLS(change_cols), v, "registered port %u to pid %ld\n",
			   port, pid);
		return EXIT_OK;
	}
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
		char addr[INET_ADDRSTRLEN];
		union out_val v[OUT_N(record_cols)];

		record_vals(&rec, addr, v);
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
