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

static const char ports_usage[] =
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

static struct json_object *record_json(const struct fp_port_record *r)
{
	struct json_object *o = json_object_new_object();
	char addr[INET_ADDRSTRLEN];

	addr_str(r->entry.addr, addr, sizeof(addr));
	json_object_object_add(o, "port", json_object_new_int(r->port));
	json_object_object_add(o, "pid", json_object_new_int64(r->entry.pid));
	json_object_object_add(o, "addr", json_object_new_string(addr));
	json_object_object_add(o, "registered_ns", json_object_new_int64(r->entry.registered_ns));
	json_object_object_add(o, "packets", json_object_new_int64(r->stats.packets));
	json_object_object_add(o, "bytes", json_object_new_int64(r->stats.bytes));
	return o;
}

static void record_line(const struct fp_port_record *r)
{
	char addr[INET_ADDRSTRLEN];

	addr_str(r->entry.addr, addr, sizeof(addr));
	printf("%5u  %8u  %-15s %12llu %14llu\n", r->port, r->entry.pid, addr,
	       (unsigned long long)r->stats.packets,
	       (unsigned long long)r->stats.bytes);
}

static void table_header(void)
{
	printf("%5s  %8s  %-15s %12s %14s\n", "PORT", "PID", "ADDR", "PACKETS", "BYTES");
}

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
	case 0:
		if (!cli.json)
			printf("registered port %u to pid %ld\n", port, pid);
		return EXIT_OK;
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
		if (!cli.json)
			printf("unregistered port %u\n", port);
	} else if (cli.json) {
		json_print(record_json(&rec));
	} else {
		table_header();
		record_line(&rec);
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
	if (cli.json) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, record_json(&recs[i]));
		json_print(arr);
	} else {
		table_header();
		for (size_t i = 0; i < n; i++)
			record_line(&recs[i]);
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
