// SPDX-License-Identifier: BSD-2-Clause
/* fastpath xsk: the XSK stage's steered ports and the AF_XDP sockets that
 * receive them (include/fastpath/xsk.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fastpath/pipeline.h>
#include <fastpath/port_registry.h>
#include <fastpath/xsk.h>
#include "cli.h"

const char xsk_usage[] =
	"usage: fastpath xsk ports add DEV PORT... [--proto udp|tcp|udp,tcp]\n"
	"       fastpath xsk ports remove DEV PORT...\n"
	"       fastpath xsk ports list DEV\n"
	"       fastpath xsk stats [DEV]";

static int xsk_error(int err, const char *dev, const char *what)
{
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "no XSK stage on %s; start it with: "
			    "fastpath up %s --stages xsk,ports (a pipeline that "
			    "predates the stage is reloaded by the same command)", dev, dev);
	if (err == -ENOSPC)
		return fail(EXIT_RUNTIME, "%s: %u ports are steered already; remove "
			    "some first (fastpath xsk ports remove %s PORT)", dev,
			    FP_XSK_SLOTS, dev);
	return fail_errno(err, "cannot %s on %s", what, dev);
}

static const char *proto_str(uint32_t proto)
{
	switch (proto) {
	case FP_XSK_UDP: return "udp";
	case FP_XSK_TCP: return "tcp";
	case FP_XSK_UDP | FP_XSK_TCP: return "udp,tcp";
	}
	return "-";
}

static int proto_parse(const char *s, uint32_t *proto)
{
	for (uint32_t p = 1; p <= (FP_XSK_UDP | FP_XSK_TCP); p++) {
		if (!strcmp(s, proto_str(p))) {
			*proto = p;
			return 0;
		}
	}
	if (!strcmp(s, "tcp,udp")) {
		*proto = FP_XSK_UDP | FP_XSK_TCP;
		return 0;
	}
	return -EINVAL;
}

/* ports add|remove DEV PORT... */
static int ports_edit(int argc, char **argv, bool add)
{
	static const struct option lo[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ 0 },
	};
	uint32_t proto = FP_XSK_UDP;
	uint16_t *ports;
	const char *dev;
	int c, n, err;

	while ((c = getopt_long(argc, argv, "p:", lo, NULL)) != -1) {
		if (c == 'p' && add && !proto_parse(optarg, &proto))
			continue;
		if (c == 'p')
			return fail(EXIT_USAGE, "--proto takes udp, tcp or udp,tcp, not '%s'",
				    optarg);
		return bad_option(argv);
	}
	if (argc - optind < 2)
		return fail(EXIT_USAGE, "%s", xsk_usage);
	dev = argv[optind];
	n = argc - optind - 1;
	ports = calloc(n, sizeof(*ports));
	if (!ports)
		return fail_errno(-ENOMEM, "cannot steer");
	for (int i = 0; i < n; i++) {
		if (fp_port_parse(argv[optind + 1 + i], &ports[i])) {
			free(ports);
			return fail(EXIT_USAGE, "invalid port '%s': give a number from 1 "
				    "to 65535", argv[optind + 1 + i]);
		}
	}
	err = require_bpf();
	for (int i = 0; !err && i < n; i++) {
		err = add ? fp_xsk_port_add(dev, ports[i], proto) : fp_xsk_port_remove(dev, ports[i]);
		if (err == -ENOENT && !add && !fp_pipeline_map_max(dev, "xsk_ports", &(__u32){ 0 })) {
			err = fail(EXIT_RUNTIME, "port %u is not steered on %s "
				   "(fastpath xsk ports list %s)", ports[i], dev, dev);
			break;
		}
		if (err) {
			err = xsk_error(err, dev, add ? "steer ports" : "remove ports");
			break;
		}
		if (!cli.json)
			printf("%s port %u on %s\n", add ? "steered" : "removed", ports[i], dev);
	}
	free(ports);
	return err;
}

static struct json_object *port_json(const struct fp_xsk_port_record *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "port", json_object_new_int(r->port));
	json_object_object_add(o, "proto", json_object_new_string(proto_str(r->proto)));
	json_object_object_add(o, "redirected", json_object_new_int64(r->stats.redirected));
	json_object_object_add(o, "bytes", json_object_new_int64(r->stats.bytes));
	json_object_object_add(o, "no_socket", json_object_new_int64(r->stats.no_socket));
	return o;
}

static int ports_list(int argc, char **argv)
{
	struct fp_xsk_port_record *recs;
	struct json_object *arr;
	size_t n;
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "%s", xsk_usage);
	err = require_bpf();
	if (err)
		return err;
	err = fp_xsk_port_list(argv[1], &recs, &n);
	if (err)
		return xsk_error(err, argv[1], "list ports");
	if (cli.json) {
		arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, port_json(&recs[i]));
		json_print(arr);
	} else {
		printf("%5s  %-7s %12s %14s %12s\n", "PORT", "PROTO", "REDIRECTED",
		       "BYTES", "NO_SOCKET");
		for (size_t i = 0; i < n; i++)
			printf("%5u  %-7s %12llu %14llu %12llu\n", recs[i].port,
			       proto_str(recs[i].proto),
			       (unsigned long long)recs[i].stats.redirected,
			       (unsigned long long)recs[i].stats.bytes,
			       (unsigned long long)recs[i].stats.no_socket);
	}
	free(recs);
	return EXIT_OK;
}

static int cmd_xsk_ports(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", xsk_usage);
	if (!strcmp(argv[1], "add"))
		return ports_edit(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "remove"))
		return ports_edit(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "list"))
		return ports_list(argc - 1, argv + 1);
	return fail(EXIT_USAGE, "unknown xsk ports verb '%s'\n%s", argv[1], xsk_usage);
}

/* ---- stats ------------------------------------------------------------- */

#define SOCK_FIELDS(X)                                             \
	X(rx_packets) X(rx_bytes) X(tx_packets) X(rx_dropped)      \
	X(rx_invalid_descs) X(tx_invalid_descs) X(rx_ring_full)    \
	X(rx_fill_ring_empty_descs) X(tx_ring_empty_descs)

static struct json_object *socket_json(const struct fp_xsk_socket_record *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "queue", json_object_new_int(r->queue));
	json_object_object_add(o, "pid", json_object_new_int64(r->s.pid));
	json_object_object_add(o, "alive", json_object_new_boolean(r->alive));
	json_object_object_add(o, "mode", json_object_new_string(fp_xsk_mode_str(r->s.mode)));
	json_object_object_add(o, "updated_ns", json_object_new_int64(r->s.updated_ns));
#define X(f) json_object_object_add(o, #f, json_object_new_int64(r->s.f));
	SOCK_FIELDS(X)
#undef X
	return o;
}

/* One interface's sockets and ports; into ARR with -j, else printed. */
static int stats_dev(const char *dev, struct json_object *arr)
{
	struct fp_xsk_socket_record *socks;
	struct fp_xsk_port_record *ports;
	size_t ns, np;
	int err;

	err = fp_xsk_sockets(dev, &socks, &ns);
	if (err)
		return err;
	err = fp_xsk_port_list(dev, &ports, &np);
	if (err) {
		free(socks);
		return err;
	}
	if (arr) {
		struct json_object *o = json_object_new_object(), *sa, *pa;

		sa = json_object_new_array();
		pa = json_object_new_array();
		for (size_t i = 0; i < ns; i++)
			if (socks[i].s.pid)
				json_object_array_add(sa, socket_json(&socks[i]));
		for (size_t i = 0; i < np; i++)
			json_object_array_add(pa, port_json(&ports[i]));
		json_object_object_add(o, "interface", json_object_new_string(dev));
		json_object_object_add(o, "sockets", sa);
		json_object_object_add(o, "ports", pa);
		json_object_array_add(arr, o);
	} else {
		printf("%s: %zu steered port%s\n", dev, np, np == 1 ? "" : "s");
		printf("  %5s %8s %-9s %12s %12s %10s %10s %10s %10s\n", "QUEUE", "PID",
		       "MODE", "RX", "TX", "RING_FULL", "FILL_EMPTY", "DROPPED", "INVALID");
		for (size_t i = 0; i < ns; i++) {
			const struct fp_xsk_socket *s = &socks[i].s;

			if (!s->pid)
				continue;
			printf("  %5u %8u %-9s %12llu %12llu %10llu %10llu %10llu %10llu%s\n",
			       socks[i].queue, s->pid, fp_xsk_mode_str(s->mode),
			       (unsigned long long)s->rx_packets,
			       (unsigned long long)s->tx_packets,
			       (unsigned long long)s->rx_ring_full,
			       (unsigned long long)s->rx_fill_ring_empty_descs,
			       (unsigned long long)s->rx_dropped,
			       (unsigned long long)(s->rx_invalid_descs + s->tx_invalid_descs),
			       socks[i].alive ? "" : "  (process gone)");
		}
	}
	free(socks);
	free(ports);
	return 0;
}

static int cmd_xsk_stats(int argc, char **argv)
{
	char (*devs)[IF_NAMESIZE] = NULL;
	struct json_object *arr = cli.json ? json_object_new_array() : NULL;
	size_t n = 0, shown = 0;
	int err;

	if (argc > 2) {
		json_object_put(arr);
		return fail(EXIT_USAGE, "%s", xsk_usage);
	}
	err = require_bpf();
	if (err) {
		json_object_put(arr);
		return err;
	}
	if (argc == 2) {
		err = stats_dev(argv[1], arr);
		if (err) {
			json_object_put(arr);
			return xsk_error(err, argv[1], "read the XSK stage");
		}
	} else {
		err = fp_pipeline_list(&devs, &n);
		if (err) {
			json_object_put(arr);
			return fail_errno(err, "cannot list the pipelines");
		}
		for (size_t i = 0; i < n; i++)
			shown += !stats_dev(devs[i], arr);
		free(devs);
		if (!shown && !arr)
			printf("no XSK stage on any interface; start one with: "
			       "fastpath up DEV --stages xsk,ports\n");
	}
	if (arr)
		json_print(arr);
	return EXIT_OK;
}

int cmd_xsk(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", xsk_usage);
	if (!strcmp(argv[1], "ports"))
		return cmd_xsk_ports(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_xsk_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		puts(xsk_usage);
		return EXIT_OK;
	}
	return fail(EXIT_USAGE, "unknown xsk command '%s'\n%s", argv[1], xsk_usage);
}
