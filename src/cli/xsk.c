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
#include "output.h"

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

/* steered: PORT is among the N records of L. */
static bool steered(const struct fp_xsk_port_record *l, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].port == port)
			return true;
	return false;
}

/* ports_check: the edit of PORTS (N) can be made whole on DEV: every port
 * to remove is steered, or the ports to add fit and the XSK stage is on
 * (a port map left by a stage turned off can still be emptied). Checked
 * before anything changes: an edit is made whole or not at all. */
static int ports_check(const char *dev, const uint16_t *ports, int n, bool add)
{
	struct fp_xsk_port_record *l = NULL;
	struct fp_pipeline_info info;
	size_t have = 0, fresh = 0;
	int err = fp_pipeline_info(dev, &info);

	if (err && err != -ENOENT)
		return xsk_error(err, dev, "read the pipeline");
	if (err || (add && !(info.stages & FP_STAGE_BIT(FP_STAGE_XSK))))
		return xsk_error(-ENOENT, dev, "");
	err = fp_xsk_port_list(dev, &l, &have);
	if (err)
		return xsk_error(err, dev, "list the ports");
	for (int i = 0; !err && i < n; i++) {
		bool dup = false;

		for (int k = 0; k < i; k++)
			dup |= ports[k] == ports[i];
		if (!add && !steered(l, have, ports[i]))
			err = fail(EXIT_RUNTIME, "port %u is not steered on %s (fastpath xsk "
				   "ports list %s); nothing was removed", ports[i], dev, dev);
		fresh += add && !dup && !steered(l, have, ports[i]);
	}
	if (!err && have + fresh > FP_XSK_SLOTS)
		err = fail(EXIT_RUNTIME, "%s: %zu ports are steered and %zu more asked for; "
			   "at most %u: nothing was steered", dev, have, fresh, FP_XSK_SLOTS);
	free(l);
	return err;
}

/* ports add|remove DEV PORT... */
static int ports_edit(int argc, char **argv, bool add)
{
	static const struct option lo[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ 0 },
	};
	static const struct out_col cols[] = {
		{ NULL, "interface", OUT_STR, 0 },
		{ NULL, "done", OUT_STR, 0 },
		{ NULL, "ports", OUT_JSON, 0 },
	};
	uint32_t proto = FP_XSK_UDP;
	struct json_object *done;
	uint16_t *ports;
	const char *dev;
	int c, n, err;

	while ((c = getopt_long(argc, argv, "p:", lo, NULL)) != -1) {
		if (c == 'p' && !add)
			return fail(EXIT_USAGE, "remove takes no --proto: it stops steering "
				    "the port for every protocol");
		if (c == 'p' && !proto_parse(optarg, &proto))
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
	err = err ?: ports_check(dev, ports, n, add);
	done = json_object_new_array();
	for (int i = 0; !err && i < n; i++) {
		err = add ? fp_xsk_port_add(dev, ports[i], proto) : fp_xsk_port_remove(dev, ports[i]);
		if (err == -ENOENT && !add)
			err = 0; /* given twice: removed already */
		if (err) {
			err = xsk_error(err, dev, add ? "steer ports" : "remove ports");
			break;
		}
		json_object_array_add(done, json_object_new_int(ports[i]));
		if (!cli.json)
			printf("%s port %u on %s\n", add ? "steered" : "removed", ports[i], dev);
	}
	if (!err && cli.json) {
		union out_val v[] = { { .s = dev }, { .s = add ? "steered" : "removed" },
				      { .j = done } };

		out_result(OUT_COLS(cols), v, NULL);
		done = NULL;
	}
	json_object_put(done);
	free(ports);
	return err;
}

static const struct out_col port_cols[] = {
	{ "PORT", "port", OUT_U64, 5 },
	{ "PROTO", "proto", OUT_STR, -7 },
	{ "REDIRECTED", "redirected", OUT_U64, 12 },
	{ "BYTES", "bytes", OUT_U64, 14 },
	{ "NO_SOCKET", "no_socket", OUT_U64, 12 },
};

static void port_vals(const struct fp_xsk_port_record *r, union out_val *v)
{
	v[0].u = r->port;
	v[1].s = proto_str(r->proto);
	v[2].u = r->stats.redirected;
	v[3].u = r->stats.bytes;
	v[4].u = r->stats.no_socket;
}

static int ports_list(int argc, char **argv)
{
	struct fp_xsk_port_record *recs;
	struct out_list l;
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
	out_list_begin(&l, OUT_COLS(port_cols), 0);
	for (size_t i = 0; i < n; i++) {
		union out_val v[OUT_N(port_cols)];

		port_vals(&recs[i], v);
		out_list_row(&l, v);
	}
	out_list_end(&l);
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

/* The table shows the sum of the invalid descriptors and, last, whether
 * the socket's process is alive. */
static const struct out_col sock_cols[] = {
	{ "QUEUE", "queue", OUT_U64, 5 },
	{ "PID", "pid", OUT_U64, 8 },
	{ "MODE", "mode", OUT_STR, -9 },
	{ NULL, "updated_ns", OUT_U64, 0 },
	{ "RX", "rx_packets", OUT_U64, 12 },
	{ NULL, "rx_bytes", OUT_U64, 0 },
	{ "TX", "tx_packets", OUT_U64, 12 },
	{ "RING_FULL", "rx_ring_full", OUT_U64, 10 },
	{ "FILL_EMPTY", "rx_fill_ring_empty_descs", OUT_U64, 10 },
	{ "DROPPED", "rx_dropped", OUT_U64, 10 },
	{ "INVALID", NULL, OUT_U64, 10 },
	{ NULL, "rx_invalid_descs", OUT_U64, 0 },
	{ NULL, "tx_invalid_descs", OUT_U64, 0 },
	{ NULL, "tx_ring_empty_descs", OUT_U64, 0 },
	{ "ALIVE", "alive", OUT_BOOL, -5 },
};

static void sock_vals(const struct fp_xsk_socket_record *r, union out_val *v)
{
	const struct fp_xsk_socket *s = &r->s;
	int i = 0;

	v[i++].u = r->queue;
	v[i++].u = s->pid;
	v[i++].s = fp_xsk_mode_str(s->mode);
	v[i++].u = s->updated_ns;
	v[i++].u = s->rx_packets;
	v[i++].u = s->rx_bytes;
	v[i++].u = s->tx_packets;
	v[i++].u = s->rx_ring_full;
	v[i++].u = s->rx_fill_ring_empty_descs;
	v[i++].u = s->rx_dropped;
	v[i++].u = s->rx_invalid_descs + s->tx_invalid_descs;
	v[i++].u = s->rx_invalid_descs;
	v[i++].u = s->tx_invalid_descs;
	v[i++].u = s->tx_ring_empty_descs;
	v[i++].b = r->alive;
}

/* One interface's sockets and ports; into ARR with -j, else printed. */
static int stats_dev(const char *dev, struct json_object *arr)
{
	struct fp_xsk_socket_record *socks;
	struct fp_xsk_port_record *ports;
	struct json_object *o = NULL;
	struct out_list l;
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
		struct json_object *pa = json_object_new_array();

		o = json_object_new_object();
		for (size_t i = 0; i < np; i++) {
			union out_val v[OUT_N(port_cols)];

			port_vals(&ports[i], v);
			json_object_array_add(pa, out_object(OUT_COLS(port_cols), v));
		}
		json_object_object_add(o, "interface", json_object_new_string(dev));
		json_object_object_add(o, "sockets", NULL); /* filled below */
		json_object_object_add(o, "ports", pa);
		json_object_array_add(arr, o);
	} else {
		printf("%s: %zu steered port%s\n", dev, np, np == 1 ? "" : "s");
	}
	/* The sockets: into o's "sockets" with -j, else a table under DEV. */
	out_list_begin(&l, OUT_COLS(sock_cols), 2);
	for (size_t i = 0; i < ns; i++) {
		union out_val v[OUT_N(sock_cols)];

		if (!socks[i].s.pid)
			continue;
		sock_vals(&socks[i], v);
		out_list_row(&l, v);
	}
	if (o)
		json_object_object_add(o, "sockets", out_list_take(&l));
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
