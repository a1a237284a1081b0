// SPDX-License-Identifier: BSD-2-Clause
/* The dhcp: section of the configuration: the interface served, pools and
 * reservations, and the checks between them (ranges inside their subnet,
 * no overlaps, reservations unique and inside a pool's subnet). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "config/schema.h"

bool fp_dhcp_pool_in_subnet(const struct fp_dhcp_pool *p, struct in_addr a)
{
	return (fp_ipv4_host(a) & fp_ipv4_mask(p->prefix_len)) == fp_ipv4_host(p->subnet);
}

bool fp_dhcp_pool_in_range(const struct fp_dhcp_pool *p, struct in_addr a)
{
	return fp_ipv4_host(a) >= fp_ipv4_host(p->range_lo) &&
	       fp_ipv4_host(a) <= fp_ipv4_host(p->range_hi);
}

uint32_t fp_dhcp_leases_max(const struct fp_dhcp_config *d)
{
	uint64_t n = d->n_reservations;

	for (size_t i = 0; i < d->n_pools; i++)
		n += (uint64_t)fp_ipv4_host(d->pools[i].range_hi) -
		     fp_ipv4_host(d->pools[i].range_lo) + 1;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t fp_dhcp_lease_cache(const struct fp_dhcp_config *d)
{
	uint32_t n;

	if (d->lease_cache_size)
		return d->lease_cache_size;
	n = fp_dhcp_leases_max(d);
	if (n >= FP_CONFIG_LEASES_MAX)
		return FP_CONFIG_LEASES_MAX;
	return n < 2 ? 1 : 1u << (32 - __builtin_clz(n - 1));
}

static int p_pool_subnet(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	struct fp_dhcp_pool *p = dst;
	const char *s = fp_cfg_value_of(w, n, path, "an IPv4 subnet like 10.0.0.0/24");
	struct fp_cidr c;

	(void)f;
	if (!s || fp_cfg_cidr(w, n, path, s, &c))
		return -EINVAL;
	if (c.family != AF_INET) {
		fp_cfg_report(w, n, path, "'" SHOW "' is IPv6; DHCP pools are IPv4", s);
		return -EINVAL;
	}
	if (!strchr(s, '/') || c.len < 1 || c.len > 30) {
		fp_cfg_report(w, n, path, "'" SHOW "' needs a prefix length of 1-30 "
		       "(like 10.0.0.0/24)", s);
		return -EINVAL;
	}
	memcpy(&p->subnet, c.addr, 4);
	p->prefix_len = c.len;
	return 0;
}

static int p_pool_range(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	struct fp_dhcp_pool *p = dst;
	const char *s = fp_cfg_value_of(w, n, path, "an address range like 10.0.0.100-10.0.0.200");
	char lo[INET_ADDRSTRLEN];
	const char *hi;

	(void)f;
	if (!s)
		return -EINVAL;
	hi = fp_cfg_split_dash(s, lo, sizeof(lo));
	if (!hi || inet_pton(AF_INET, lo, &p->range_lo) != 1 ||
	    inet_pton(AF_INET, hi, &p->range_hi) != 1) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not an address range; write "
		       "FIRST-LAST, like 10.0.0.100-10.0.0.200", s);
		return -EINVAL;
	}
	if (fp_ipv4_host(p->range_lo) > fp_ipv4_host(p->range_hi)) {
		fp_cfg_report(w, n, path, "range '" SHOW "' starts after it ends; write "
		       "%s-%s", s, hi, lo);
		return -EINVAL;
	}
	return 0;
}

static int p_pool_dns(struct walk *w, yaml_node_t *n, const char *path,
		      void *dst, const struct field *f)
{
	struct fp_dhcp_pool *p = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	if (fp_cfg_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of IPv4 addresses like "
		       "[10.0.0.1, 9.9.9.9], got %s", fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > FP_DHCP_DNS_MAX) {
		fp_cfg_report(w, n, path, "has %zu servers; at most %d are allowed",
		       cnt, FP_DHCP_DNS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		fp_cfg_path_item(at, path, i, NULL);
		if (fp_cfg_ipv4(w, fp_cfg_node_at(w, n->data.sequence.items.start[i]), at,
			   &p->dns[i], f))
			ret = -EINVAL;
	}
	p->n_dns = cnt;
	return ret;
}

enum { P_SUBNET, P_RANGE, P_ROUTER, P_DNS, P_DOMAIN, P_LEASE };

static void pool_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	struct fp_dhcp_pool *p = dst;
	struct in_addr fa, la;
	uint32_t first, last;
	char at[PATH_BUF];

	(void)map;
	if (!seen[P_SUBNET].ok)
		return;
	/* The hosts: neither the network nor the broadcast address. */
	first = fp_ipv4_host(p->subnet) + 1;
	last = (fp_ipv4_host(p->subnet) | ~fp_ipv4_mask(p->prefix_len)) - 1;
	fa = fp_ipv4_net(first);
	la = fp_ipv4_net(last);
	fp_cfg_path_key(at, path, "range");
	if (seen[P_RANGE].ok &&
	    (fp_ipv4_host(p->range_lo) < first || fp_ipv4_host(p->range_hi) > last))
		fp_cfg_report(w, seen[P_RANGE].val, at, "%s is outside subnet %s/%u; "
		       "its addresses are %s-%s",
		       (const char *)seen[P_RANGE].val->data.scalar.value,
		       fp_cfg_ntoa(p->subnet, a), p->prefix_len, fp_cfg_ntoa(fa, b), fp_cfg_ntoa(la, c));
	fp_cfg_path_key(at, path, "router");
	if (seen[P_ROUTER].ok && !fp_dhcp_pool_in_subnet(p, p->router))
		fp_cfg_report(w, seen[P_ROUTER].val, at, "%s is outside subnet %s/%u; "
		       "clients could not reach it", fp_cfg_ntoa(p->router, a),
		       fp_cfg_ntoa(p->subnet, b), p->prefix_len);
	else if (seen[P_ROUTER].ok && seen[P_RANGE].ok && fp_dhcp_pool_in_range(p, p->router))
		fp_cfg_report(w, seen[P_ROUTER].val, at, "%s is inside the pool's range, "
		       "so it could be leased to a client; move it or shrink the "
		       "range", fp_cfg_ntoa(p->router, a));
}

static const struct field pool_fields[] = {
	[P_SUBNET] = { .key = "subnet", .parse = p_pool_subnet,
	  .required = true, .hint = "like 10.0.0.0/24" },
	[P_RANGE] = { .key = "range", .parse = p_pool_range,
	  .required = true, .hint = "like 10.0.0.100-10.0.0.200" },
	[P_ROUTER] = { .key = "router", .parse = fp_cfg_ipv4,
	  .off = offsetof(struct fp_dhcp_pool, router) },
	[P_DNS] = { .key = "dns", .parse = p_pool_dns },
	[P_DOMAIN] = { .key = "domain", .parse = fp_cfg_domain,
	  .off = offsetof(struct fp_dhcp_pool, domain) },
	[P_LEASE] = { .key = "lease_time", .parse = fp_cfg_duration_s,
	  .off = offsetof(struct fp_dhcp_pool, lease_time_s),
	  .min = 60, .max = 365 * 86400 },
};

static const struct schema pool_schema = { pool_fields, ARRAY_SIZE(pool_fields), pool_check };

static int pool_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_dhcp_pool *p = item;

	p->line = fp_cfg_line_of(n);
	p->lease_time_s = FP_CONFIG_LEASE_TIME_S;
	return fp_cfg_walk_map(w, n, path, &pool_schema, p);
}

static const struct field reservation_fields[] = {
	{ .key = "mac", .parse = fp_cfg_mac,
	  .off = offsetof(struct fp_dhcp_reservation, mac),
	  .required = true, .hint = "like \"02:00:00:00:00:01\"" },
	{ .key = "ip", .parse = fp_cfg_ipv4,
	  .off = offsetof(struct fp_dhcp_reservation, ip),
	  .required = true, .hint = "an IPv4 address in a pool's subnet" },
};

static const struct schema reservation_schema = {
	reservation_fields, ARRAY_SIZE(reservation_fields), NULL
};

static int reservation_item(struct walk *w, yaml_node_t *n, const char *path,
			    void *item)
{
	struct fp_dhcp_reservation *r = item;

	r->line = fp_cfg_line_of(n);
	return fp_cfg_walk_map(w, n, path, &reservation_schema, r);
}

static int p_pools(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	struct fp_dhcp_config *d = dst;
	void *arr;
	int ret;

	(void)f;
	ret = fp_cfg_walk_list(w, n, path, "pools", FP_CONFIG_POOLS_MAX, sizeof(*d->pools),
			&arr, &d->n_pools, pool_item);
	d->pools = arr;
	return ret;
}

static int p_reservations(struct walk *w, yaml_node_t *n, const char *path,
			  void *dst, const struct field *f)
{
	struct fp_dhcp_config *d = dst;
	void *arr;
	int ret;

	(void)f;
	ret = fp_cfg_walk_list(w, n, path, "reservations", FP_CONFIG_RESERV_MAX,
			sizeof(*d->reservations), &arr, &d->n_reservations,
			reservation_item);
	d->reservations = arr;
	return ret;
}

static int cmp_mac(const void *a, const void *b)
{
	return memcmp(((const struct fp_dhcp_reservation *)a)->mac,
		      ((const struct fp_dhcp_reservation *)b)->mac, 6);
}

static int cmp_ip(const void *a, const void *b)
{
	uint32_t x = fp_ipv4_host(((const struct fp_dhcp_reservation *)a)->ip);
	uint32_t y = fp_ipv4_host(((const struct fp_dhcp_reservation *)b)->ip);

	return x < y ? -1 : x > y;
}

static void say_dup_mac(struct walk *w, const char *path, const void *base,
			size_t later, size_t first)
{
	const struct fp_dhcp_reservation *r = base;
	const uint8_t *m = r[later].mac;
	char at[PATH_BUF], mac[18];

	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return;
	fp_cfg_path_item(at, path, later, "mac");
	fp_cfg_report_at(w, r[later].line, at, "%s is already reserved on line %u; "
		  "one reservation per MAC", fp_dhcp_mac_str(m, mac), r[first].line);
}

static void say_dup_ip(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first)
{
	const struct fp_dhcp_reservation *r = base;
	char at[PATH_BUF], a[INET_ADDRSTRLEN];

	if (!r[later].ip.s_addr)
		return;
	fp_cfg_path_item(at, path, later, "ip");
	fp_cfg_report_at(w, r[later].line, at, "%s is already reserved on line %u; "
		  "two clients cannot share an address", fp_cfg_ntoa(r[later].ip, a),
		  r[first].line);
}

static int p_group(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a group name like fastpath");
	size_t len;

	(void)f;
	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (!len || len >= FP_NAME_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len || s[0] == '-') {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a group name", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

enum { D_IFACE, D_SERVER, D_CACHE, D_FILE, D_POOLS, D_RESERV, D_GROUP, D_OFFER_HOLD,
       D_DECLINE_HOLD, D_CLIENT_RATE, D_RELAY_RATE };

static void dhcp_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	struct fp_dhcp_config *d = dst;
	char at[PATH_BUF], rpath[PATH_BUF], spath[PATH_BUF], a[INET_ADDRSTRLEN];
	char b[INET_ADDRSTRLEN];
	size_t i, j;

	fp_cfg_path_key(at, path, "pools");
	fp_cfg_path_key(spath, path, "server_id");
	fp_cfg_path_key(rpath, path, "reservations");
	/* Items that failed to parse are zero where they failed: skipped. */
	fp_cfg_each_dup(w, rpath, d->reservations, d->n_reservations,
		 sizeof(*d->reservations), cmp_mac, say_dup_mac);
	fp_cfg_each_dup(w, rpath, d->reservations, d->n_reservations,
		 sizeof(*d->reservations), cmp_ip, say_dup_ip);
	if (!seen[D_POOLS].ok)
		return;
	if (!d->n_pools) {
		fp_cfg_report(w, seen[D_POOLS].val ? seen[D_POOLS].val : map, at,
		       "DHCP needs at least one pool (subnet and range)");
		return;
	}
	for (i = 0; i < d->n_pools; i++) {
		for (j = 0; j < i; j++) {
			const struct fp_dhcp_pool *pi = &d->pools[i], *pj = &d->pools[j];

			if (fp_ipv4_host(pi->range_lo) <= fp_ipv4_host(pj->range_hi) &&
			    fp_ipv4_host(pj->range_lo) <= fp_ipv4_host(pi->range_hi)) {
				char p[PATH_BUF];

				fp_cfg_path_item(p, at, i, "range");
				fp_cfg_report_at(w, d->pools[i].line, p, "overlaps the range of "
					  "the pool on line %u", d->pools[j].line);
			}
		}
		if (seen[D_SERVER].ok && fp_dhcp_pool_in_range(&d->pools[i], d->server_id))
			fp_cfg_report(w, seen[D_SERVER].val, spath, "%s is inside "
			       "the range of the pool on line %u, so it could be "
			       "leased to a client", fp_cfg_ntoa(d->server_id, a),
			       d->pools[i].line);
	}
	if (!seen[D_RESERV].ok)
		return;
	for (i = 0; i < d->n_reservations; i++) {
		struct in_addr ip = d->reservations[i].ip;
		uint32_t h = fp_ipv4_host(ip), net, bcast;
		char p[PATH_BUF];

		for (j = 0; j < d->n_pools && !fp_dhcp_pool_in_subnet(&d->pools[j], ip); j++)
			;
		fp_cfg_path_item(p, rpath, i, "ip");
		if (j == d->n_pools) {
			fp_cfg_report_at(w, d->reservations[i].line, p, "%s is in no pool's "
				  "subnet; reserve an address of a pool's subnet",
				  fp_cfg_ntoa(d->reservations[i].ip, a));
			continue;
		}
		net = fp_ipv4_host(d->pools[j].subnet);
		bcast = net | ~fp_ipv4_mask(d->pools[j].prefix_len);
		if (seen[D_SERVER].ok && ip.s_addr == d->server_id.s_addr)
			fp_cfg_report_at(w, d->reservations[i].line, p, "%s is the server's own "
				  "address (server_id); reserve another", fp_cfg_ntoa(ip, a));
		else if (d->pools[j].router.s_addr && ip.s_addr == d->pools[j].router.s_addr)
			fp_cfg_report_at(w, d->reservations[i].line, p, "%s is the router of the "
				  "pool on line %u; reserve another", fp_cfg_ntoa(ip, a),
				  d->pools[j].line);
		else if (h == net || h == bcast)
			fp_cfg_report_at(w, d->reservations[i].line, p, "%s is the %s address of "
				  "subnet %s/%u; no client can use it", fp_cfg_ntoa(ip, a),
				  h == net ? "network" : "broadcast",
				  fp_cfg_ntoa(d->pools[j].subnet, b), d->pools[j].prefix_len);
	}
}

static const struct field dhcp_fields[] = {
	[D_IFACE] = { .key = "interface", .parse = fp_cfg_ifname,
	  .off = offsetof(struct fp_dhcp_config, interface),
	  .required = true, .hint = "the interface to serve, like eth1" },
	[D_SERVER] = { .key = "server_id", .parse = fp_cfg_ipv4,
	  .off = offsetof(struct fp_dhcp_config, server_id),
	  .required = true, .hint = "this server's IPv4 address on that interface" },
	[D_CACHE] = { .key = "lease_cache_size", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_dhcp_config, lease_cache_size),
	  .min = 1, .max = FP_CONFIG_LEASES_MAX },
	[D_FILE] = { .key = "lease_file", .parse = fp_cfg_abspath,
	  .off = offsetof(struct fp_dhcp_config, lease_file) },
	[D_POOLS] = { .key = "pools", .parse = p_pools,
	  .required = true, .hint = "a list of {subnet, range, ...}" },
	[D_RESERV] = { .key = "reservations", .parse = p_reservations },
	[D_GROUP] = { .key = "lease_file_group", .parse = p_group,
	  .off = offsetof(struct fp_dhcp_config, lease_file_group) },
	[D_OFFER_HOLD] = { .key = "offer_hold", .parse = fp_cfg_duration_s,
	  .off = offsetof(struct fp_dhcp_config, offer_hold_s), .min = 1, .max = 3600 },
	[D_DECLINE_HOLD] = { .key = "decline_hold", .parse = fp_cfg_duration_s,
	  .off = offsetof(struct fp_dhcp_config, decline_hold_s), .min = 60,
	  .max = 365 * 86400 },
	[D_CLIENT_RATE] = { .key = "client_rate_limit", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_dhcp_config, client_rate), .min = 0, .max = 1000000 },
	[D_RELAY_RATE] = { .key = "relay_rate_limit", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_dhcp_config, relay_rate), .min = 0, .max = 1000000 },
};

static const struct schema dhcp_schema = { dhcp_fields, ARRAY_SIZE(dhcp_fields), dhcp_check };

static int p_dhcp(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	struct fp_dhcp_config *d = dst;

	(void)f;
	d->present = true;
	return fp_cfg_walk_map(w, n, path, &dhcp_schema, d);
}


static void dhcp_defaults(void *dst)
{
	struct fp_dhcp_config *d = dst;

	strcpy(d->lease_file, FP_CONFIG_LEASE_FILE);
	d->offer_hold_s = FP_DHCP_OFFER_HOLD_S;
	d->client_rate = FP_CONFIG_CLIENT_RATE;
}

static void dhcp_free(void *dst)
{
	struct fp_dhcp_config *d = dst;

	free(d->pools);
	free(d->reservations);
	d->pools = NULL;
	d->reservations = NULL;
	d->n_pools = d->n_reservations = 0;
}

const struct fp_cfg_section fp_dhcp_section = {
	.key = "dhcp",
	.parse = p_dhcp,
	.defaults = dhcp_defaults,
	.free = dhcp_free,
};
