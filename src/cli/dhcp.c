// SPDX-License-Identifier: BSD-2-Clause
/* fastpath dhcp: the DHCP server's leases (from its lease database) and
 * its counters (the fast path's per-CPU map, and the slow path's). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/dhcp.h>
#include <fastpath/pipeline.h>
#include "cli.h"

const char dhcp_usage[] =
	"usage: fastpath dhcp leases [--file PATH] [--all]   the lease database\n"
	"       fastpath dhcp stats [DEV]                   requests, fast-path hits, misses";


/* The table's rows: a title and the counters it shows, by their name
 * after the prefix. */
static const struct {
	const char *title;
	int first, last;        /* inclusive */
	size_t skip;            /* prefix left out in the table */
} rows[] = {
	{ "requests", FP_DHCP_RX_DISCOVER, FP_DHCP_RX_OTHER, 3 },
	{ "fast path", FP_DHCP_HIT_OFFER, FP_DHCP_HIT_ACK, 5 },
	{ "to slow path", FP_DHCP_MISS_MALFORMED, FP_DHCP_MISS_EVENTS, 5 },
	{ "slow path", FP_DHCP_SLOW_RX, FP_DHCP_SLOW_ERR, 5 },
};

/* The daemon's DHCP facts when one runs, else the defaults. */
static void daemon_dhcp(char *dev, size_t dev_size, char *file, size_t file_size)
{
	struct fp_daemon_state st;

	snprintf(file, file_size, "%s", FP_CONFIG_LEASE_FILE);
	*dev = '\0';
	if (fp_daemon_state_read(&st))
		return;
	if (*st.dhcp_lease_file)
		snprintf(file, file_size, "%s", st.dhcp_lease_file);
	snprintf(dev, dev_size, "%s", st.dhcp_interface);
}

/* The client identifier as hex, or "" when the key is the MAC. */
static void client_id_str(const struct fp_dhcp_key *k, char *buf, size_t size)
{
	size_t at = 0;

	*buf = '\0';
	if (k->kind == FP_DHCP_KEY_MAC)
		return;
	for (unsigned int i = 0; i < k->len && i < FP_DHCP_ID_MAX && at + 4 <= size; i++)
		at += snprintf(buf + at, size - at, "%s%02x", i ? ":" : "", k->id[i]);
}

static int by_ip(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct fp_dhcp_lease_rec *)a)->ip.s_addr);
	uint32_t y = ntohl(((const struct fp_dhcp_lease_rec *)b)->ip.s_addr);

	return x < y ? -1 : x > y;
}

static const struct out_col lease_cols[] = {
	{ "ADDRESS", "ip", OUT_STR, -15 },
	{ "MAC", "mac", OUT_STR, -17 },
	{ NULL, "client_id", OUT_STR, 0 },
	{ NULL, "vlan", OUT_U64, 0 },
	{ "STATE", "state", OUT_STR, -8 },
	{ "EXPIRES", NULL, OUT_STR, 9 },
	{ NULL, "expires", OUT_I64, 0 },
	{ "HOSTNAME", "hostname", OUT_STR, -20 },
	{ "CLIENT-ID", NULL, OUT_STR, -1 },
};

static void print_leases(const struct fp_dhcp_lease_rec *r, size_t n, time_t now)
{
	char ip[INET_ADDRSTRLEN], mac[18], cid[3 * FP_DHCP_ID_MAX + 1], left[24];
	struct out_list l;

	out_list_begin(&l, OUT_COLS(lease_cols), 0);
	for (size_t i = 0; i < n; i++) {
		union out_val v[] = {
			{ .s = ip }, { .s = mac }, { .s = cid }, { .u = r[i].key.vlan },
			{ .s = fp_dhcp_state_str(r[i].state) }, { .s = left },
			{ .i = r[i].expires }, { .s = r[i].hostname }, { .s = cid },
		};

		inet_ntop(AF_INET, &r[i].ip, ip, sizeof(ip));
		fp_dhcp_mac_str(r[i].chaddr, mac);
		client_id_str(&r[i].key, cid, sizeof(cid));
		if (r[i].expires > now)
			snprintf(left, sizeof(left), "%llds", (long long)(r[i].expires - now));
		else
			snprintf(left, sizeof(left), "-");
		out_list_row(&l, v);
	}
	out_list_end(&l);
}

static int dhcp_leases(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ 0 },
	};
	char dev[IF_NAMESIZE], file[PATH_MAX];
	struct fp_dhcp_lease_rec *r;
	bool all = false;
	size_t n, kept = 0;
	int c, err;

	daemon_dhcp(dev, sizeof(dev), file, sizeof(file));
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'f')
			snprintf(file, sizeof(file), "%s", optarg);
		else if (c == 'a')
			all = true;
		else
			return bad_option(argv);
	}
	if (optind < argc)
		return fail(EXIT_USAGE, "dhcp leases takes no argument '%s'\n%s",
			    argv[optind], dhcp_usage);
	/* The library reads an absent file as no leases (a server that has
	 * not started yet); asked here, it is a wrong path. */
	if (access(file, F_OK))
		return fail_errno(-errno, "cannot read the lease database %s (--file "
				  "PATH names another; fastpathd writes it when its "
				  "dhcp: section is on)", file);
	err = fp_dhcp_leases_read(file, &r, &n);
	if (err)
		return fail_errno(err, "cannot read the lease database %s (--file PATH "
				  "names another)", file);
	/* Released and expired records are history: shown with --all. */
	for (size_t i = 0; i < n; i++)
		if (all || r[i].state == FP_DHCP_LEASE_BOUND ||
		    r[i].state == FP_DHCP_LEASE_DECLINED)
			r[kept++] = r[i];
	if (kept) /* qsort's base must not be NULL, even for 0 items */
		qsort(r, kept, sizeof(*r), by_ip);
	print_leases(r, kept, time(NULL));
	free(r);
	return EXIT_OK;
}

/* An interface with a DHCP stage: the first one found is kept. */
static int dhcp_found(const char *dev, bool named, void *ctx)
{
	__u64 v[FP_DHCP_COUNTERS];
	char *keep = ctx;

	(void)named;
	if (fp_dhcp_stats_read(dev, v))
		return EACH_SKIP;
	if (!*keep)
		snprintf(keep, IF_NAMESIZE, "%s", dev);
	return EXIT_OK;
}

/* The interface whose stats to show: DEV, the daemon's DHCP interface, or
 * the only pipeline with a DHCP stage. */
static int stats_dev(const char *arg, char *dev, size_t size)
{
	char file[PATH_MAX];
	size_t found = 0;
	int err;

	if (arg) {
		snprintf(dev, size, "%s", arg);
		return 0;
	}
	daemon_dhcp(dev, size, file, sizeof(file));
	if (*dev)
		return 0;
	err = each_pipeline(NULL, dhcp_found, dev, &found, NULL);
	if (err || found == 1)
		return err;
	return fail(EXIT_USAGE, found ? "several interfaces run DHCP; name one: "
		    "fastpath dhcp stats DEV" : "no interface runs the DHCP stage "
		    "(see the dhcp: section of the daemon's configuration)");
}

static int dhcp_stats(int argc, char **argv)
{
	__u64 v[FP_DHCP_COUNTERS];
	char dev[IF_NAMESIZE];
	int err;

	if (argc > 2)
		return fail(EXIT_USAGE, "%s", dhcp_usage);
	err = stats_dev(argc == 2 ? argv[1] : NULL, dev, sizeof(dev));
	if (err)
		return err;
	err = fp_dhcp_stats_read(dev, v);
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "%s runs no DHCP stage (is the daemon's "
			    "dhcp.interface %s?)", dev, dev);
	if (err)
		return fail_errno(err, "cannot read the DHCP counters of %s", dev);
	if (cli.json) {
		struct json_object *o = json_object_new_object(), *c = json_object_new_object();

		for (int i = 0; i < FP_DHCP_COUNTERS; i++)
			json_object_object_add(c, fp_dhcp_counter_name(i), json_object_new_uint64(v[i]));
		json_object_object_add(o, "interface", json_object_new_string(dev));
		json_object_object_add(o, "counters", c);
		json_print(o);
		return EXIT_OK;
	}
	printf("DHCP on %s\n", dev);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		printf("  %-13s", rows[r].title);
		for (int i = rows[r].first; i <= rows[r].last; i++)
			printf(" %s %llu", fp_dhcp_counter_name(i) + rows[r].skip,
			       (unsigned long long)v[i]);
		putchar('\n');
	}
	printf("  %-13s fast %llu\n", "errors", (unsigned long long)v[FP_DHCP_FAST_ERR]);
	return EXIT_OK;
}

int cmd_dhcp(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", dhcp_usage);
	if (!strcmp(argv[1], "leases"))
		return dhcp_leases(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return dhcp_stats(argc - 1, argv + 1);
	return fail(EXIT_USAGE, "unknown dhcp command '%s'\n%s", argv[1], dhcp_usage);
}
