// SPDX-License-Identifier: BSD-2-Clause
/* The server's side of the maps it shares with the XDP stage: pools and
 * the interface's facts written, bound leases copied in, the leases the
 * stage extended read back from its ring buffer, counters published. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include <fastpath/pipeline.h>
#include "dhcp_server.h"

static int64_t ns_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

time_t fp_dhcp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + (ts.tv_nsec > 0);
}

/* The two clocks are read back to back: their offset is what converts,
 * to the nanosecond, not two roundings to whole seconds. */
uint64_t fp_dhcp_wall_to_mono_ns(time_t wall)
{
	int64_t mono = ns_of(CLOCK_MONOTONIC), real = ns_of(CLOCK_REALTIME);
	int64_t v = (int64_t)wall * 1000000000ll - real + mono;

	return v > 0 ? (uint64_t)v : 0;
}

time_t fp_dhcp_mono_ns_to_wall(uint64_t mono_ns)
{
	int64_t mono = ns_of(CLOCK_MONOTONIC), real = ns_of(CLOCK_REALTIME);
	int64_t v = (int64_t)mono_ns - mono + real;

	/* Up, but not for the few ns the two reads of the clocks differ by:
	 * a whole second converted back stays that second. */
	return (time_t)((v + 999999999ll - 1000000ll) / 1000000000ll);
}

static bool syncable(const struct fp_dhcp_key *k)
{
	return k->kind == FP_DHCP_KEY_MAC || k->kind == FP_DHCP_KEY_CLIENT_ID;
}

/* lease_value: R as the stage's map holds it; false when R is not for
 * the map (a key the stage does not look up, or not BOUND). */
static bool lease_value(const struct fp_dhcp_lease_rec *r, struct fp_dhcp_lease *v)
{
	if (!syncable(&r->key) || r->state != FP_DHCP_LEASE_BOUND)
		return false;
	*v = (struct fp_dhcp_lease){ .ip = r->ip.s_addr, .pool = r->pool };
	v->expires_ns = fp_dhcp_wall_to_mono_ns(r->expires);
	memcpy(v->chaddr, r->chaddr, 6);
	return true;
}

void fp_dhcp_maps_put_lease(struct fp_dhcp_server *s, const struct fp_dhcp_lease_rec *r)
{
	struct fp_dhcp_lease v;

	if (s->leases_fd < 0 || !lease_value(r, &v))
		return;
	if (bpf_map_update_elem(s->leases_fd, &r->key, &v, BPF_ANY))
		fp_log(&s->log, FP_LOG_DEBUG, "dhcp: cannot cache the lease of %s: %s",
		       inet_ntoa(r->ip), strerror(errno));
}

void fp_dhcp_maps_put_leases(struct fp_dhcp_server *s, const struct fp_dhcp_lease_rec *r, int n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	struct fp_dhcp_key keys[FP_DHCP_BATCH];
	struct fp_dhcp_lease vals[FP_DHCP_BATCH];
	__u32 count = 0;

	if (s->leases_fd < 0)
		return;
	for (int i = 0; i < n && count < FP_DHCP_BATCH; i++)
		if (lease_value(&r[i], &vals[count]))
			keys[count++] = r[i].key;
	if (!count || !bpf_map_update_batch(s->leases_fd, keys, vals, &count, &o))
		return;
	/* A kernel without batches, or a lease that failed: all of them one
	 * at a time (writing one twice does no harm). */
	for (int i = 0; i < n; i++)
		fp_dhcp_maps_put_lease(s, &r[i]);
}

void fp_dhcp_maps_del_lease(struct fp_dhcp_server *s, const struct fp_dhcp_key *k)
{
	if (s->leases_fd >= 0 && syncable(k))
		bpf_map_delete_elem(s->leases_fd, k);
}

/* The counters go in one batch: one system call each time they change,
 * not one per counter. */
void fp_dhcp_maps_publish(struct fp_dhcp_server *s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	enum { N = FP_DHCP_COUNTERS - FP_DHCP_SLOW_RX };
	__u32 keys[N], count = N;
	__u64 *v;

	if (!s->cnt_dirty || s->stats_fd < 0 || s->ncpus <= 0)
		return;
	v = calloc((size_t)s->ncpus * N, sizeof(*v));
	if (!v)
		return;
	for (__u32 i = 0; i < N; i++) {
		keys[i] = FP_DHCP_SLOW_RX + i;
		v[(size_t)i * s->ncpus] = s->cnt[keys[i]];
	}
	if (bpf_map_update_batch(s->stats_fd, keys, v, &count, &o))
		for (__u32 i = 0; i < N; i++)
			bpf_map_update_elem(s->stats_fd, &keys[i], v + (size_t)i * s->ncpus,
					    BPF_ANY);
	free(v);
	s->cnt_dirty = false;
}

void fp_dhcp_count(struct fp_dhcp_server *s, int c)
{
	if (c >= 0 && c < FP_DHCP_COUNTERS) {
		s->cnt[c]++;
		s->cnt_dirty = true;
	}
}

void fp_dhcp_maps_write_cfg(struct fp_dhcp_server *s)
{
	struct fp_dhcp_cfg c = { .enabled = !s->tx_blocked, .server_id = s->cfg.server_id.s_addr,
				 .flags = s->no_store ? FP_DHCP_CFG_NO_ACK : 0 };
	int lp = fp_dhcp_local_pool(&s->cfg);
	__u32 zero = 0;

	if (s->cfg_fd < 0)
		return;
	c.local_pool = lp < 0 ? FP_DHCP_POOL_NONE : (__u32)lp;
	c.leases_max = fp_dhcp_leases_max(&s->cfg);
	memcpy(c.server_mac, s->ifc.mac, 6);
	if (bpf_map_update_elem(s->cfg_fd, &zero, &c, BPF_ANY))
		fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot set the fast path's flags: %s",
		       strerror(errno));
}

void fp_dhcp_maps_write_pools(struct fp_dhcp_server *s)
{
	for (size_t i = 0; i < s->cfg.n_pools || i < s->n_pools_written; i++) {
		struct fp_dhcp_pool_map v = { 0 };
		__u32 idx = (__u32)i;

		if (i < s->cfg.n_pools) {
			const struct fp_dhcp_pool *p = &s->cfg.pools[i];
			size_t dl = strnlen(p->domain, sizeof(p->domain));

			v.subnet = p->subnet.s_addr;
			v.mask = htonl(fp_ipv4_mask(p->prefix_len));
			v.router = p->router.s_addr;
			for (size_t k = 0; k < p->n_dns && k < FP_DHCP_DNS_MAX; k++)
				v.dns[k] = p->dns[k].s_addr;
			v.n_dns = (__u8)(p->n_dns < FP_DHCP_DNS_MAX ? p->n_dns : FP_DHCP_DNS_MAX);
			v.lease_s = p->lease_time_s;
			v.t1_s = p->lease_time_s / 2;
			v.t2_s = (__u32)((uint64_t)p->lease_time_s * 7 / 8);
			v.domain_len = (__u8)(dl > 253 ? 253 : dl);
			memcpy(v.domain, p->domain, v.domain_len);
			v.valid = 1;
		}
		if (bpf_map_update_elem(s->pools_fd, &idx, &v, BPF_ANY))
			fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot write pool %zu to the "
			       "fast path: %s", i, strerror(errno));
	}
	s->n_pools_written = s->cfg.n_pools;
	fp_dhcp_maps_write_cfg(s);
}

static int sync_one(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	fp_dhcp_maps_put_lease(ctx, r);
	return 0;
}

/* The map holds exactly the BOUND leases: stale keys go, all are written. */
void fp_dhcp_maps_sync_leases(struct fp_dhcp_server *s)
{
	struct fp_dhcp_key k, next, *stale = NULL;
	struct fp_dhcp_lease_rec held;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	if (s->leases_fd < 0)
		return;
	while (!bpf_map_get_next_key(s->leases_fd, prev, &next)) {
		const struct fp_dhcp_lease_rec *r = fp_dhcp_db_by_key(s->db, &next, &held);

		if (!r || r->state != FP_DHCP_LEASE_BOUND) {
			if (n == cap) {
				struct fp_dhcp_key *ns = realloc(stale, (cap ? cap * 2 : 64) * sizeof(*ns));

				if (!ns)
					break;
				stale = ns;
				cap = cap ? cap * 2 : 64;
			}
			stale[n++] = next;
		}
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(s->leases_fd, &stale[i]);
	free(stale);
	fp_dhcp_db_each(s->db, sync_one, s);
}

/* The kernel ACKed and extended a lease: make it ours and durable. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct fp_dhcp_server *s = ctx;
	const struct fp_dhcp_event *ev = data;
	struct fp_dhcp_lease_rec r = { 0 };
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur;
	int err;
	time_t now = fp_dhcp_now();
	char m[18];

	if (size < sizeof(*ev))
		return 0;
	cur = fp_dhcp_db_by_key(s->db, &ev->key, &held);
	if (cur)
		r = *cur;
	r.key = ev->key;
	r.ip.s_addr = ev->ip;
	r.pool = ev->pool;
	memcpy(r.chaddr, ev->chaddr, 6);
	r.state = FP_DHCP_LEASE_BOUND;
	r.expires = fp_dhcp_mono_ns_to_wall(ev->expires_ns);
	err = fp_dhcp_db_put(s->db, &r, now);
	if (err == -EADDRINUSE) {
		fp_log(&s->log, FP_LOG_WARN, "dhcp: the fast path extended %s for %s, which the "
		       "database gives to another client; dropping it from the cache",
		       inet_ntoa(r.ip), fp_dhcp_mac_str(r.chaddr, m));
		fp_dhcp_maps_del_lease(s, &ev->key);
		return 0;
	}
	/* A journal error here stops the journal; the server sees it. */
	fp_log(&s->log, FP_LOG_DEBUG, "dhcp: fast path ACK %s to %s", inet_ntoa(r.ip),
	       fp_dhcp_mac_str(r.chaddr, m));
	return 0;
}

void fp_dhcp_maps_close(struct fp_dhcp_server *s)
{
	ring_buffer__free(s->rb);
	s->rb = NULL;
	if (s->leases_fd >= 0)
		close(s->leases_fd);
	if (s->pools_fd >= 0)
		close(s->pools_fd);
	if (s->cfg_fd >= 0)
		close(s->cfg_fd);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->leases_fd = s->pools_fd = s->cfg_fd = s->stats_fd = -1;
}

/* open_maps: the maps the DHCP stage shares with the server, when DEV's
 * pipeline has them all; else none (userspace only, counters in memory). */
void fp_dhcp_maps_open(struct fp_dhcp_server *s)
{
	const char *dev = s->cfg.interface;
	int fd;

	s->rb = NULL;
	s->leases_fd = fp_pipeline_obj_get(dev, "dhcp_leases");
	s->pools_fd = fp_pipeline_obj_get(dev, "dhcp_pools");
	s->cfg_fd = fp_pipeline_obj_get(dev, "dhcp_cfg");
	s->stats_fd = fp_pipeline_obj_get(dev, "dhcp_stats");
	fd = fp_pipeline_obj_get(dev, "dhcp_events");
	if (s->leases_fd < 0) {
		fp_log(&s->log, FP_LOG_INFO, "dhcp: no DHCP fast path on %s (%s): serving from "
		       "userspace only", dev, strerror(-s->leases_fd));
	} else if (s->pools_fd < 0 || s->cfg_fd < 0 || s->stats_fd < 0 || fd < 0) {
		fp_log(&s->log, FP_LOG_WARN, "dhcp: the DHCP maps on %s are incomplete: serving "
		       "from userspace only", dev);
	} else {
		s->rb = ring_buffer__new(fd, on_event, s, NULL);
		if (!s->rb)
			fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot read the fast path's events on "
			       "%s: serving from userspace only", dev);
	}
	if (fd >= 0)
		close(fd);
	if (!s->rb) {
		fp_dhcp_maps_close(s);
		return;
	}
	s->ncpus = libbpf_num_possible_cpus();
	fp_log(&s->log, FP_LOG_INFO, "dhcp: fast path on %s: bound leases answered in XDP", dev);
}

/* IPv4 UDP to port 67, untagged or with one 802.1Q tag in the frame. */
/* The counters' names, in bpf/dhcp_abi.h's order. */
static const char *const counter_names[FP_DHCP_COUNTERS] = {
	[FP_DHCP_RX_DISCOVER] = "rx_discover",   [FP_DHCP_RX_REQUEST] = "rx_request",
	[FP_DHCP_RX_DECLINE] = "rx_decline",     [FP_DHCP_RX_RELEASE] = "rx_release",
	[FP_DHCP_RX_INFORM] = "rx_inform",       [FP_DHCP_RX_OTHER] = "rx_other",
	[FP_DHCP_HIT_OFFER] = "fast_offer",      [FP_DHCP_HIT_ACK] = "fast_ack",
	[FP_DHCP_MISS_MALFORMED] = "miss_malformed",
	[FP_DHCP_MISS_OVERLOAD] = "miss_overload", [FP_DHCP_MISS_TYPE] = "miss_type",
	[FP_DHCP_MISS_UNKNOWN] = "miss_unknown", [FP_DHCP_MISS_EXPIRED] = "miss_expired",
	[FP_DHCP_MISS_ADDRESS] = "miss_address", [FP_DHCP_MISS_SERVER] = "miss_server",
	[FP_DHCP_MISS_POOL] = "miss_pool",       [FP_DHCP_MISS_NETWORK] = "miss_network",
	[FP_DHCP_MISS_NOSTORE] = "miss_nostore", [FP_DHCP_MISS_EVENTS] = "miss_events",
	[FP_DHCP_FAST_ERR] = "fast_errors",      [FP_DHCP_SLOW_RX] = "slow_rx",
	[FP_DHCP_SLOW_OFFER] = "slow_offer",     [FP_DHCP_SLOW_ACK] = "slow_ack",
	[FP_DHCP_SLOW_NAK] = "slow_nak",         [FP_DHCP_SLOW_RELEASE] = "slow_release",
	[FP_DHCP_SLOW_DECLINE] = "slow_decline", [FP_DHCP_SLOW_INFORM] = "slow_inform",
	[FP_DHCP_SLOW_DROPPED] = "slow_dropped", [FP_DHCP_SLOW_NOSTORE] = "slow_nostore",
	[FP_DHCP_SLOW_LIMITED] = "slow_limited", [FP_DHCP_SLOW_ERR] = "slow_errors",
};

const char *fp_dhcp_counter_name(unsigned int i)
{
	return i < FP_DHCP_COUNTERS ? counter_names[i] : NULL;
}

int fp_dhcp_stats_read(const char *dev, __u64 out[FP_DHCP_COUNTERS])
{
	int fd, ncpus = libbpf_num_possible_cpus(), err = 0;
	__u64 *v;

	memset(out, 0, FP_DHCP_COUNTERS * sizeof(*out));
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	fd = fp_pipeline_obj_get(dev, "dhcp_stats");
	if (fd < 0)
		return fd;
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < FP_DHCP_COUNTERS; i++) {
		if (bpf_map_lookup_elem(fd, &i, v)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpus; c++)
			out[i] += v[c];
	}
	free(v);
	close(fd);
	return err;
}


int fp_dhcp_maps_consume(struct fp_dhcp_server *s)
{
	return s->rb ? ring_buffer__consume(s->rb) : 0;
}
