// SPDX-License-Identifier: BSD-2-Clause
/* The DHCPv4 server: the RFC 2131 state machine (fp_dhcp_decide, a pure
 * function), and around it the sockets, the lease database, the maps the
 * XDP stage answers from and its ring buffer of extended leases.
 *
 * Requests arrive on an AF_PACKET socket (clients with no address yet).
 * A UDP socket bound to port 67 keeps the kernel from answering unicast
 * requests with ICMP port unreachable and carries relayed replies; a
 * filter that drops everything keeps it from queueing a second copy of
 * each request, which the packet socket already has.
 *
 * A batch of requests is decided and journaled, then fsync'ed once, then
 * answered: no ACK leaves before the lease it grants is on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include <fastpath/dhcp.h>
#include <fastpath/pipeline.h>

/* ---- the state machine ------------------------------------------------ */

static int pool_of(const struct fp_dhcp_config *cfg, struct in_addr a)
{
	if (!a.s_addr)
		return -1;
	for (size_t i = 0; i < cfg->n_pools; i++)
		if (fp_dhcp_pool_in_subnet(&cfg->pools[i], a))
			return (int)i;
	return -1;
}

/* The client's network: the relay's (giaddr) or ours (server_id's). */
static int select_pool(const struct fp_dhcp_config *cfg, const struct fp_dhcp_msg *m)
{
	int pi;

	if (m->giaddr.s_addr)
		return pool_of(cfg, m->giaddr);
	pi = pool_of(cfg, cfg->server_id);
	return pi < 0 && cfg->n_pools == 1 ? 0 : pi;
}

static const struct fp_dhcp_reservation *reservation(const struct fp_dhcp_config *cfg,
						     const uint8_t mac[6])
{
	for (size_t i = 0; i < cfg->n_reservations; i++)
		if (!memcmp(cfg->reservations[i].mac, mac, 6))
			return &cfg->reservations[i];
	return NULL;
}

static bool reserved_for_other(const struct fp_dhcp_config *cfg, struct in_addr a,
			       const uint8_t mac[6])
{
	for (size_t i = 0; i < cfg->n_reservations; i++)
		if (cfg->reservations[i].ip.s_addr == a.s_addr)
			return memcmp(cfg->reservations[i].mac, mac, 6) != 0;
	return false;
}

static bool reserved_for(const struct fp_dhcp_config *cfg, struct in_addr a,
			 const uint8_t mac[6])
{
	const struct fp_dhcp_reservation *r = reservation(cfg, mac);

	return r && r->ip.s_addr == a.s_addr;
}

/* IP may be leased to MAC from pool P: in its range or reserved for MAC
 * (and in P's subnet), not reserved for someone else, not ours. */
static bool allowed(const struct fp_dhcp_config *cfg, const struct fp_dhcp_pool *p,
		    struct in_addr ip, const uint8_t mac[6])
{
	if (!fp_dhcp_pool_in_subnet(p, ip) || ip.s_addr == cfg->server_id.s_addr)
		return false;
	if (reserved_for(cfg, ip, mac))
		return true;
	return fp_dhcp_pool_in_range(p, ip) && !reserved_for_other(cfg, ip, mac);
}

/* A free address of P, probing from a point the key picks: a client
 * tends to get the same address back, and no state is needed. */
static struct in_addr pick_free(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
				const struct fp_dhcp_pool *p, const struct fp_dhcp_key *key,
				const uint8_t mac[6], time_t now)
{
	uint32_t lo = fp_ipv4_host(p->range_lo), size = fp_ipv4_host(p->range_hi) - lo + 1;
	uint32_t start = fp_dhcp_hash(key, sizeof(*key)) % size;

	for (uint32_t i = 0; i < size; i++) {
		struct in_addr a = fp_ipv4_net(lo + (start + i) % size);

		if (a.s_addr == cfg->server_id.s_addr || reserved_for_other(cfg, a, mac))
			continue;
		if (fp_dhcp_db_ip_free(db, a, key, now))
			return a;
	}
	return fp_ipv4_net(0);
}

static void reply_init(const struct fp_dhcp_config *cfg, const struct fp_dhcp_request *req,
		       struct fp_dhcp_decision *d, uint8_t type, struct in_addr yiaddr, int pi)
{
	const struct fp_dhcp_msg *m = &req->msg;
	struct fp_dhcp_reply *r = &d->reply;

	r->type = type;
	r->xid = m->xid;
	r->flags = m->flags & 0x8000;
	r->htype = m->htype;
	r->hlen = m->hlen;
	memcpy(r->chaddr, m->chaddr, 16);
	r->giaddr = m->giaddr;
	r->yiaddr = yiaddr;
	r->server_id = cfg->server_id;
	if (m->has_relay) {
		r->relay_len = m->relay_len;
		memcpy(r->relay, m->relay, m->relay_len);
	}
	if (type != FP_DHCPNAK && pi >= 0) {
		const struct fp_dhcp_pool *p = &cfg->pools[pi];

		r->lease_s = p->lease_time_s;
		r->has_mask = true;
		r->mask = fp_ipv4_net(fp_ipv4_mask(p->prefix_len));
		r->router = p->router;
		r->n_dns = p->n_dns;
		memcpy(r->dns, p->dns, sizeof(r->dns));
		r->domain = p->domain;
	}
	/* RFC 2131 §4.1: to the relay; else to ciaddr; else broadcast when
	 * asked (or a NAK); else to yiaddr at chaddr. */
	if (m->giaddr.s_addr) {
		d->dest = FP_DHCP_DEST_RELAY;
		d->dst_ip = m->giaddr;
		if (type == FP_DHCPNAK)
			r->flags |= 0x8000;
	} else if (type == FP_DHCPNAK) {
		d->dest = FP_DHCP_DEST_BROADCAST;
	} else if (m->ciaddr.s_addr) {
		d->dest = FP_DHCP_DEST_UNICAST;
		d->dst_ip = m->ciaddr;
		memcpy(d->dst_mac, req->src_mac, 6);
	} else if ((m->flags & 0x8000) || !yiaddr.s_addr) {
		d->dest = FP_DHCP_DEST_BROADCAST;
	} else {
		d->dest = FP_DHCP_DEST_UNICAST;
		d->dst_ip = yiaddr;
		memcpy(d->dst_mac, m->chaddr, 6);
	}
	if (d->dest == FP_DHCP_DEST_BROADCAST) {
		d->dst_ip.s_addr = INADDR_BROADCAST;
		memset(d->dst_mac, 0xff, 6);
	}
}

static void nak(const struct fp_dhcp_config *cfg, const struct fp_dhcp_request *req,
		struct fp_dhcp_decision *d, const char *why)
{
	reply_init(cfg, req, d, FP_DHCPNAK, fp_ipv4_net(0), -1);
	d->counter = FP_DHCP_SLOW_NAK;
	d->why = why;
}

static void ignore(struct fp_dhcp_decision *d, const char *why)
{
	d->counter = FP_DHCP_SLOW_DROPPED;
	d->why = why;
}

static void ack(const struct fp_dhcp_config *cfg, const struct fp_dhcp_request *req,
		struct fp_dhcp_decision *d, struct in_addr ip, int pi, time_t now)
{
	reply_init(cfg, req, d, FP_DHCPACK, ip, pi);
	d->reply.ciaddr = req->msg.ciaddr;
	d->change = FP_DHCP_CHANGE_BIND;
	d->rec.ip = ip;
	d->rec.pool = (uint32_t)pi;
	d->rec.expires = now + cfg->pools[pi].lease_time_s;
	d->rec.state = FP_DHCP_LEASE_BOUND;
	memcpy(d->rec.hostname, req->msg.hostname, sizeof(d->rec.hostname));
	d->counter = FP_DHCP_SLOW_ACK;
}

static void discover(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		     const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	const struct fp_dhcp_key *key = &d->rec.key;
	const struct fp_dhcp_reservation *res = reservation(cfg, m->chaddr);
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, key);
	int pi = select_pool(cfg, m);
	const struct fp_dhcp_pool *p;
	struct in_addr ip = fp_ipv4_net(0);

	if (pi < 0)
		return ignore(d, "no pool for the client's network");
	p = &cfg->pools[pi];
	if (res && fp_dhcp_pool_in_subnet(p, res->ip) && fp_dhcp_db_ip_free(db, res->ip, key, now))
		ip = res->ip;
	else if (cur && cur->expires > now && allowed(cfg, p, cur->ip, m->chaddr))
		ip = cur->ip;
	else if (m->has_requested_ip && allowed(cfg, p, m->requested_ip, m->chaddr) &&
		 fp_dhcp_db_ip_free(db, m->requested_ip, key, now))
		ip = m->requested_ip;
	else
		ip = pick_free(cfg, db, p, key, m->chaddr, now);
	if (!ip.s_addr) {
		d->counter = FP_DHCP_SLOW_ERR;
		d->why = "no free address in the pool";
		return;
	}
	reply_init(cfg, req, d, FP_DHCPOFFER, ip, pi);
	d->counter = FP_DHCP_SLOW_OFFER;
	/* An OFFER never downgrades the client's binding of that address. */
	if (cur && cur->state == FP_DHCP_LEASE_BOUND && cur->ip.s_addr == ip.s_addr &&
	    cur->expires > now)
		return;
	d->change = FP_DHCP_CHANGE_OFFER;
	d->rec.ip = ip;
	d->rec.pool = (uint32_t)pi;
	d->rec.expires = now + FP_DHCP_OFFER_HOLD_S;
	d->rec.state = FP_DHCP_LEASE_OFFERED;
}

/* SELECTING or INIT-REBOOT for IP on the client's network: ACK, NAK, or
 * (SILENT_UNKNOWN, no record and not our address) nothing. */
static void confirm(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d,
		    struct in_addr ip, bool silent_unknown)
{
	const struct fp_dhcp_msg *m = &req->msg;
	const struct fp_dhcp_key *key = &d->rec.key;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, key);
	const struct fp_dhcp_reservation *res = reservation(cfg, m->chaddr);
	int pi = select_pool(cfg, m);
	const struct fp_dhcp_pool *p;

	if (pi < 0 || !fp_dhcp_pool_in_subnet(&cfg->pools[pi], ip))
		return nak(cfg, req, d, "address not on the client's network");
	p = &cfg->pools[pi];
	if (res && fp_dhcp_pool_in_subnet(p, res->ip) && res->ip.s_addr != ip.s_addr &&
	    fp_dhcp_db_ip_free(db, res->ip, key, now))
		return nak(cfg, req, d, "the client has another address reserved");
	if (!fp_dhcp_db_ip_free(db, ip, key, now))
		return nak(cfg, req, d, "address leased to another client");
	if (cur && cur->ip.s_addr == ip.s_addr && cur->expires > now) {
		if (!allowed(cfg, p, ip, m->chaddr))
			return nak(cfg, req, d, "address no longer in a pool");
		return ack(cfg, req, d, ip, pi, now);
	}
	if (cur && cur->state == FP_DHCP_LEASE_BOUND && cur->expires > now)
		return nak(cfg, req, d, "the client is bound to another address");
	if (!allowed(cfg, p, ip, m->chaddr)) {
		if (silent_unknown && !cur)
			return ignore(d, "no record of the client, address not ours");
		return nak(cfg, req, d, "address not in a pool");
	}
	ack(cfg, req, d, ip, pi, now);
}

static void request(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, &d->rec.key);
	int pi;

	if (m->has_server_id) {           /* SELECTING */
		if (m->server_id.s_addr != cfg->server_id.s_addr) {
			if (cur && cur->state == FP_DHCP_LEASE_OFFERED)
				d->change = FP_DHCP_CHANGE_UNOFFER;
			d->why = "the client chose another server";
			return;
		}
		if (!m->has_requested_ip && !m->ciaddr.s_addr)
			return ignore(d, "REQUEST with no address");
		return confirm(cfg, db, req, now, d,
			       m->has_requested_ip ? m->requested_ip : m->ciaddr, false);
	}
	if (m->has_requested_ip)          /* INIT-REBOOT */
		return confirm(cfg, db, req, now, d, m->requested_ip, true);
	if (!m->ciaddr.s_addr)
		return ignore(d, "REQUEST with no address");
	/* RENEWING (unicast) or REBINDING: the address names its pool. */
	pi = pool_of(cfg, m->ciaddr);
	if (pi < 0 || !cur || cur->state != FP_DHCP_LEASE_BOUND ||
	    cur->ip.s_addr != m->ciaddr.s_addr || cur->expires <= now ||
	    !allowed(cfg, &cfg->pools[pi], m->ciaddr, m->chaddr))
		return nak(cfg, req, d, "not the client's binding");
	ack(cfg, req, d, m->ciaddr, pi, now);
}

static void release(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, &d->rec.key);

	if (m->has_server_id && m->server_id.s_addr != cfg->server_id.s_addr)
		return ignore(d, "RELEASE for another server");
	if (!cur || cur->ip.s_addr != m->ciaddr.s_addr)
		return ignore(d, "RELEASE of an address the client does not hold");
	d->change = FP_DHCP_CHANGE_RELEASE;
	d->rec.ip = cur->ip;
	d->counter = FP_DHCP_SLOW_RELEASE;
}

static void decline(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, &d->rec.key);
	int pi;

	if (m->has_server_id && m->server_id.s_addr != cfg->server_id.s_addr)
		return ignore(d, "DECLINE for another server");
	if (!m->has_requested_ip || !cur || cur->ip.s_addr != m->requested_ip.s_addr)
		return ignore(d, "DECLINE of an address not offered to the client");
	pi = pool_of(cfg, cur->ip);
	d->change = FP_DHCP_CHANGE_DECLINE;
	d->rec.ip = cur->ip;
	d->rec.pool = pi < 0 ? 0 : (uint32_t)pi;
	d->rec.expires = now + (pi < 0 ? FP_CONFIG_LEASE_TIME_S : cfg->pools[pi].lease_time_s);
	d->rec.state = FP_DHCP_LEASE_DECLINED;
	d->counter = FP_DHCP_SLOW_DECLINE;
}

static void inform(const struct fp_dhcp_config *cfg, const struct fp_dhcp_request *req,
		   struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	int pi = m->giaddr.s_addr ? pool_of(cfg, m->giaddr) : pool_of(cfg, m->ciaddr);

	reply_init(cfg, req, d, FP_DHCPACK, fp_ipv4_net(0), pi);
	d->reply.ciaddr = m->ciaddr;
	d->reply.lease_s = 0;   /* RFC 2131 §3.4: no lease time */
	d->counter = FP_DHCP_SLOW_INFORM;
}

void fp_dhcp_decide(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;

	memset(d, 0, sizeof(*d));
	d->counter = -1;
	fp_dhcp_key_make(m, req->vlan, &d->rec.key);
	memcpy(d->rec.chaddr, m->chaddr, 6);
	if (!cfg->n_pools)
		return ignore(d, "no pools");
	switch (m->type) {
	case FP_DHCPDISCOVER:
		return discover(cfg, db, req, now, d);
	case FP_DHCPREQUEST:
		return request(cfg, db, req, now, d);
	case FP_DHCPRELEASE:
		return release(cfg, db, req, d);
	case FP_DHCPDECLINE:
		return decline(cfg, db, req, now, d);
	case FP_DHCPINFORM:
		return inform(cfg, req, d);
	default:
		return ignore(d, "not a client message");
	}
}

int fp_dhcp_apply(struct fp_dhcp_db *db, const struct fp_dhcp_decision *d, time_t now)
{
	const struct fp_dhcp_lease_rec *cur;

	switch (d->change) {
	case FP_DHCP_CHANGE_OFFER:
	case FP_DHCP_CHANGE_BIND:
		return fp_dhcp_db_put(db, &d->rec, now);
	case FP_DHCP_CHANGE_RELEASE:
		return fp_dhcp_db_release(db, &d->rec.key, FP_DHCP_LEASE_RELEASED);
	case FP_DHCP_CHANGE_DECLINE:
		return fp_dhcp_db_decline(db, &d->rec.key, d->rec.chaddr, d->rec.ip,
					  d->rec.expires);
	case FP_DHCP_CHANGE_UNOFFER:
		cur = fp_dhcp_db_by_key(db, &d->rec.key);
		if (cur && cur->state == FP_DHCP_LEASE_OFFERED)
			return fp_dhcp_db_release(db, &d->rec.key, FP_DHCP_LEASE_RELEASED);
		return 0;
	case FP_DHCP_CHANGE_NONE:
		break;
	}
	return 0;
}

/* ---- the server ------------------------------------------------------- */

#define BATCH      64
#define FRAME_MAX  (FP_DHCP_MSG_MAX + 64)
#define COMPACT_MIN 4096

struct pending {
	struct fp_dhcp_decision d;
	uint16_t vlan;
	bool ok;                 /* applied: may be sent */
};

/* The interface served and the sockets on it. */
struct iface {
	int ifindex;
	uint8_t mac[6];
	int pkt_fd;              /* requests in, unrelayed replies out */
	int udp_fd;              /* port 67, receives nothing: relayed replies out */
};

struct fp_dhcp_server {
	struct fp_dhcp_config cfg;   /* our copy */
	struct fp_logger log;
	struct fp_dhcp_db *db;
	struct iface ifc;
	/* the maps shared with the XDP stage; -1 when userspace-only */
	int leases_fd, pools_fd, cfg_fd, stats_fd;
	struct ring_buffer *rb;
	size_t n_pools_written;
	int ncpus;
	uint64_t cnt[FP_DHCP_COUNTERS];
	bool cnt_dirty;
	struct pending pend[BATCH];
	uint8_t buf[FRAME_MAX];
};

const char *fp_dhcp_mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static void cfg_free(struct fp_dhcp_config *c)
{
	free(c->pools);
	free(c->reservations);
	memset(c, 0, sizeof(*c));
}

static int cfg_copy(struct fp_dhcp_config *dst, const struct fp_dhcp_config *src)
{
	*dst = *src;
	dst->pools = NULL;
	dst->reservations = NULL;
	if (src->n_pools) {
		dst->pools = malloc(src->n_pools * sizeof(*src->pools));
		if (!dst->pools)
			return -ENOMEM;
		memcpy(dst->pools, src->pools, src->n_pools * sizeof(*src->pools));
	}
	if (src->n_reservations) {
		dst->reservations = malloc(src->n_reservations * sizeof(*src->reservations));
		if (!dst->reservations) {
			cfg_free(dst);
			return -ENOMEM;
		}
		memcpy(dst->reservations, src->reservations,
		       src->n_reservations * sizeof(*src->reservations));
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static unsigned long long boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool syncable(const struct fp_dhcp_key *k)
{
	return k->kind == FP_DHCP_KEY_MAC || k->kind == FP_DHCP_KEY_CLIENT_ID;
}

static void map_put_lease(struct fp_dhcp_server *s, const struct fp_dhcp_lease_rec *r)
{
	struct fp_dhcp_lease v = { .ip = r->ip.s_addr, .pool = r->pool };
	time_t now = time(NULL);

	if (s->leases_fd < 0 || !syncable(&r->key) || r->state != FP_DHCP_LEASE_BOUND)
		return;
	if (r->expires > now)
		v.expires_ns = boot_ns() + (unsigned long long)(r->expires - now) * 1000000000ull;
	memcpy(v.chaddr, r->chaddr, 6);
	if (bpf_map_update_elem(s->leases_fd, &r->key, &v, BPF_ANY))
		fp_log(&s->log, FP_LOG_DEBUG, "dhcp: cannot cache the lease of %s: %s",
		       inet_ntoa(r->ip), strerror(errno));
}

static void map_del_lease(struct fp_dhcp_server *s, const struct fp_dhcp_key *k)
{
	if (s->leases_fd >= 0 && syncable(k))
		bpf_map_delete_elem(s->leases_fd, k);
}

static void publish_counters(struct fp_dhcp_server *s)
{
	__u64 *v;

	if (!s->cnt_dirty || s->stats_fd < 0 || s->ncpus <= 0)
		return;
	v = calloc((size_t)s->ncpus, sizeof(*v));
	if (!v)
		return;
	for (__u32 i = FP_DHCP_SLOW_RX; i < FP_DHCP_COUNTERS; i++) {
		v[0] = s->cnt[i];
		bpf_map_update_elem(s->stats_fd, &i, v, BPF_ANY);
	}
	free(v);
	s->cnt_dirty = false;
}

static void count(struct fp_dhcp_server *s, int c)
{
	if (c >= 0 && c < FP_DHCP_COUNTERS) {
		s->cnt[c]++;
		s->cnt_dirty = true;
	}
}

static void write_pools(struct fp_dhcp_server *s)
{
	struct fp_dhcp_cfg c = { .enabled = 1, .server_id = s->cfg.server_id.s_addr };
	__u32 zero = 0;

	memcpy(c.server_mac, s->ifc.mac, 6);
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
	if (bpf_map_update_elem(s->cfg_fd, &zero, &c, BPF_ANY))
		fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot enable the fast path: %s",
		       strerror(errno));
}

static int sync_one(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	map_put_lease(ctx, r);
	return 0;
}

/* The map holds exactly the BOUND leases: stale keys go, all are written. */
static void sync_leases(struct fp_dhcp_server *s)
{
	struct fp_dhcp_key k, next, *stale = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	if (s->leases_fd < 0)
		return;
	while (!bpf_map_get_next_key(s->leases_fd, prev, &next)) {
		const struct fp_dhcp_lease_rec *r = fp_dhcp_db_by_key(s->db, &next);

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
	const struct fp_dhcp_lease_rec *cur;
	unsigned long long b = boot_ns();
	time_t now = time(NULL);
	char m[18];

	if (size < sizeof(*ev))
		return 0;
	cur = fp_dhcp_db_by_key(s->db, &ev->key);
	if (cur)
		r = *cur;
	r.key = ev->key;
	r.ip.s_addr = ev->ip;
	r.pool = ev->pool;
	memcpy(r.chaddr, ev->chaddr, 6);
	r.state = FP_DHCP_LEASE_BOUND;
	r.expires = now + (ev->expires_ns > b ? (time_t)((ev->expires_ns - b) / 1000000000ull) : 0);
	if (fp_dhcp_db_put(s->db, &r, now)) {
		fp_log(&s->log, FP_LOG_WARN, "dhcp: the fast path extended %s for %s, which the "
		       "database gives to another client; dropping it from the cache",
		       inet_ntoa(r.ip), fp_dhcp_mac_str(r.chaddr, m));
		map_del_lease(s, &ev->key);
		return 0;
	}
	fp_log(&s->log, FP_LOG_DEBUG, "dhcp: fast path ACK %s to %s", inet_ntoa(r.ip),
	       fp_dhcp_mac_str(r.chaddr, m));
	return 0;
}

static void close_maps(struct fp_dhcp_server *s)
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
static void open_maps(struct fp_dhcp_server *s)
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
		close_maps(s);
		return;
	}
	s->ncpus = libbpf_num_possible_cpus();
	fp_log(&s->log, FP_LOG_INFO, "dhcp: fast path on %s: bound leases answered in XDP", dev);
}

/* IPv4 UDP to port 67, untagged or with one 802.1Q tag in the frame. */
static int attach_filter(int fd)
{
	enum { ACCEPT = 19, DROP = 20 };
#define J(from, to) ((to) - (from) - 1)
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, J(1, 10), 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, J(2, DROP)),
		/* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, J(4, DROP)),
		/* 5 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, J(6, DROP), 0),
		/* 7 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		/* 8 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, J(9, ACCEPT), J(9, DROP)),
		/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, J(11, DROP)),
		/* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 27),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, J(13, DROP)),
		/* 14 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 24),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, J(15, DROP), 0),
		/* 16 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 18),
		/* 17 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 20),
		/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, J(18, ACCEPT), J(18, DROP)),
		/* 19 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),
		/* 20 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
#undef J
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

/* A filter that drops everything: the UDP socket exists for what binding
 * port 67 does (no ICMP port unreachable) and to send, never to receive. */
static int attach_drop_all(int fd)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

static void close_sockets(struct iface *f)
{
	if (f->pkt_fd >= 0)
		close(f->pkt_fd);
	if (f->udp_fd >= 0)
		close(f->udp_fd);
	f->pkt_fd = f->udp_fd = -1;
}

/* open_sockets: DEV's index and MAC, and its sockets, into *f; on failure
 * nothing stays open and the reason is logged. */
static int open_sockets(const char *dev, const struct fp_logger *log, struct iface *f)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(FP_DHCP_SERVER_PORT) };
	struct ifreq ifr = { 0 };
	int one = 1, err;
	char junk[64];

	f->pkt_fd = f->udp_fd = -1;
	f->ifindex = (int)if_nametoindex(dev);
	if (!f->ifindex) {
		fp_log(log, FP_LOG_ERROR, "dhcp: interface %s does not exist; fix "
		       "dhcp.interface or create it", dev);
		return -ENODEV;
	}
	f->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->udp_fd < 0)
		goto fail;
	if ((err = attach_drop_all(f->udp_fd)))
		goto fail_err;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(f->udp_fd, SIOCGIFHWADDR, &ifr))
		goto fail;
	memcpy(f->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(f->udp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(f->udp_fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(f->udp_fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)))
		goto fail;
	if (bind(f->udp_fd, (struct sockaddr *)&sin, sizeof(sin))) {
		err = -errno;
		fp_log(log, FP_LOG_ERROR, "dhcp: cannot bind UDP port 67 on %s: %s (is another "
		       "DHCP server running?)", dev, strerror(-err));
		close_sockets(f);
		return err;
	}
	f->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (f->pkt_fd < 0)
		goto fail;
	if ((err = attach_filter(f->pkt_fd)))
		goto fail_err;
	if (setsockopt(f->pkt_fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		goto fail;
	sll.sll_ifindex = f->ifindex;
	if (bind(f->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	/* What queued before the filter was attached is anything at all. */
	while (recv(f->pkt_fd, junk, sizeof(junk), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
	return 0;
fail:
	err = -errno;
fail_err:
	fp_log(log, FP_LOG_ERROR, "dhcp: cannot open the sockets on %s: %s", dev, strerror(-err));
	close_sockets(f);
	return err;
}

struct revalidate {
	struct fp_dhcp_lease_rec *v;
	size_t n, cap;
};

static int collect(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct revalidate *c = ctx;

	if (r->state != FP_DHCP_LEASE_BOUND && r->state != FP_DHCP_LEASE_OFFERED)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct fp_dhcp_lease_rec *nv2 = realloc(c->v, cap * sizeof(*nv2));

		if (!nv2)
			return -ENOMEM;
		c->v = nv2;
		c->cap = cap;
	}
	c->v[c->n++] = *r;
	return 0;
}

/* Keep the leases the configuration still allows, with their pool index
 * renumbered; the others end (journaled as EXPIRED). */
static void revalidate(struct fp_dhcp_server *s)
{
	struct revalidate c = { 0 };
	time_t now = time(NULL);
	size_t dropped = 0;

	fp_dhcp_db_each(s->db, collect, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct fp_dhcp_lease_rec *r = &c.v[i];
		int pi = pool_of(&s->cfg, r->ip);

		if (pi < 0 || !allowed(&s->cfg, &s->cfg.pools[pi], r->ip, r->chaddr)) {
			fp_dhcp_db_release(s->db, &r->key, FP_DHCP_LEASE_EXPIRED);
			dropped++;
		} else if (r->pool != (uint32_t)pi) {
			r->pool = (uint32_t)pi;
			fp_dhcp_db_put(s->db, r, now);
		}
	}
	free(c.v);
	fp_dhcp_db_sync(s->db);
	if (dropped)
		fp_log(&s->log, FP_LOG_INFO, "dhcp: %zu leases ended: their address is in "
		       "no pool now", dropped);
}

int fp_dhcp_server_open(const struct fp_dhcp_config *cfg, const struct fp_logger *log,
			struct fp_dhcp_server **out)
{
	struct fp_dhcp_server *s = calloc(1, sizeof(*s));
	char dir[PATH_MAX], *slash;
	int err;

	if (!s)
		return -ENOMEM;
	s->ifc.pkt_fd = s->ifc.udp_fd = -1;
	s->leases_fd = s->pools_fd = s->cfg_fd = s->stats_fd = -1;
	if (log)
		s->log = *log;
	err = cfg_copy(&s->cfg, cfg);
	if (err)
		goto fail;
	snprintf(dir, sizeof(dir), "%s", cfg->lease_file);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		err = mkdir_p(dir);
		if (err) {
			fp_log(&s->log, FP_LOG_ERROR, "dhcp: cannot create %s for the lease "
			       "file: %s", dir, strerror(-err));
			goto fail;
		}
	}
	err = fp_dhcp_db_open(cfg->lease_file, time(NULL), &s->db);
	if (err) {
		fp_log(&s->log, FP_LOG_ERROR, "dhcp: cannot open the lease file %s: %s",
		       cfg->lease_file, strerror(-err));
		goto fail;
	}
	err = open_sockets(s->cfg.interface, &s->log, &s->ifc);
	if (err)
		goto fail;
	revalidate(s);
	open_maps(s);
	if (s->leases_fd >= 0) {
		write_pools(s);
		ring_buffer__consume(s->rb);   /* what the kernel did while we were away */
		fp_dhcp_db_sync(s->db);
		sync_leases(s);
	}
	s->cnt_dirty = true;
	publish_counters(s);
	fp_log(&s->log, FP_LOG_INFO, "dhcp: serving %zu pools on %s as %s, %zu leases from %s",
	       s->cfg.n_pools, s->cfg.interface, inet_ntoa(s->cfg.server_id),
	       fp_dhcp_db_count(s->db), s->cfg.lease_file);
	*out = s;
	return 0;
fail:
	fp_dhcp_server_close(s);
	return err;
}

int fp_dhcp_server_pollfds(const struct fp_dhcp_server *s, struct pollfd *fds, int max)
{
	int n = 0;
	int all[2] = { s->ifc.pkt_fd, s->rb ? ring_buffer__epoll_fd(s->rb) : -1 };

	for (int i = 0; i < 2 && n < max; i++) {
		if (all[i] < 0)
			continue;
		fds[n].fd = all[i];
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		n++;
	}
	return n;
}

static void send_reply(struct fp_dhcp_server *s, const struct pending *p)
{
	const struct fp_dhcp_decision *d = &p->d;
	uint8_t payload[FP_DHCP_MSG_MAX];
	int len = fp_dhcp_build(&d->reply, payload, sizeof(payload)), flen;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = s->ifc.ifindex,
				   .sll_halen = 6, .sll_protocol = htons(ETH_P_IP) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(FP_DHCP_SERVER_PORT),
				   .sin_addr = d->dst_ip };
	ssize_t n;

	if (len < 0) {
		count(s, FP_DHCP_SLOW_ERR);
		return;
	}
	if (d->dest == FP_DHCP_DEST_RELAY) {
		n = sendto(s->ifc.udp_fd, payload, (size_t)len, 0, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		flen = fp_dhcp_frame_build(s->buf, sizeof(s->buf), s->ifc.mac, d->dst_mac, p->vlan,
					   s->cfg.server_id, d->dst_ip, payload, (size_t)len);
		if (flen < 0) {
			count(s, FP_DHCP_SLOW_ERR);
			return;
		}
		memcpy(sll.sll_addr, d->dst_mac, 6);
		n = sendto(s->ifc.pkt_fd, s->buf, (size_t)flen, 0, (struct sockaddr *)&sll, sizeof(sll));
	}
	if (n < 0) {
		count(s, FP_DHCP_SLOW_ERR);
		fp_log(&s->log, FP_LOG_DEBUG, "dhcp: cannot send to %s: %s", inet_ntoa(d->dst_ip),
		       strerror(errno));
	}
}

static void log_decision(struct fp_dhcp_server *s, const struct fp_dhcp_decision *d)
{
	char m[18], a[INET_ADDRSTRLEN];

	fp_dhcp_mac_str(d->rec.chaddr, m);
	inet_ntop(AF_INET, &d->rec.ip, a, sizeof(a));
	switch (d->reply.type) {
	case FP_DHCPOFFER:
		fp_log(&s->log, FP_LOG_DEBUG, "dhcp: OFFER %s to %s", inet_ntoa(d->reply.yiaddr),
		       m);
		return;
	case FP_DHCPACK:
		if (!d->reply.yiaddr.s_addr)
			fp_log(&s->log, FP_LOG_DEBUG, "dhcp: ACK (INFORM) to %s", m);
		else
			fp_log(&s->log, FP_LOG_INFO, "dhcp: ACK %s to %s (lease %us)",
			       a, m, d->reply.lease_s);
		return;
	case FP_DHCPNAK:
		fp_log(&s->log, FP_LOG_INFO, "dhcp: NAK to %s: %s", m, d->why ? d->why : "");
		return;
	default:
		break;
	}
	if (d->change == FP_DHCP_CHANGE_RELEASE)
		fp_log(&s->log, FP_LOG_INFO, "dhcp: RELEASE %s by %s", a, m);
	else if (d->change == FP_DHCP_CHANGE_DECLINE)
		fp_log(&s->log, FP_LOG_INFO, "dhcp: DECLINE %s by %s: quarantined until +%lds",
		       a, m, (long)(d->rec.expires - time(NULL)));
	else if (d->why)
		fp_log(&s->log, FP_LOG_DEBUG, "dhcp: no reply to %s: %s", m, d->why);
}

/* Decide and apply one request into P. */
static void handle(struct fp_dhcp_server *s, const uint8_t *frame, size_t len,
		   uint16_t aux_vlan, struct pending *p, time_t now)
{
	struct fp_dhcp_request req;
	const uint8_t *payload;
	size_t plen;
	struct fp_dhcp_lease_rec prev = { 0 };
	const struct fp_dhcp_lease_rec *cur;
	bool had = false;
	int err;

	p->ok = false;
	count(s, FP_DHCP_SLOW_RX);
	memset(&req, 0, sizeof(req));
	if (fp_dhcp_frame_parse(frame, len, aux_vlan, &req.vlan, req.src_mac, &payload, &plen) ||
	    fp_dhcp_parse(payload, plen, &req.msg)) {
		count(s, FP_DHCP_SLOW_DROPPED);
		return;
	}
	fp_dhcp_decide(&s->cfg, s->db, &req, now, &p->d);
	p->vlan = req.vlan;
	cur = fp_dhcp_db_by_key(s->db, &p->d.rec.key);
	if (cur) {
		prev = *cur;
		had = true;
	}
	err = fp_dhcp_apply(s->db, &p->d, now);
	if (err) {
		count(s, FP_DHCP_SLOW_ERR);
		fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot record the lease of %s: %s",
		       inet_ntoa(p->d.rec.ip), strerror(-err));
		return;
	}
	count(s, p->d.counter);
	log_decision(s, &p->d);
	cur = fp_dhcp_db_by_key(s->db, &p->d.rec.key);
	if (had && prev.state == FP_DHCP_LEASE_BOUND &&
	    (!cur || cur->state != FP_DHCP_LEASE_BOUND || cur->ip.s_addr != prev.ip.s_addr))
		map_del_lease(s, &prev.key);
	if (p->d.change == FP_DHCP_CHANGE_BIND && cur)
		map_put_lease(s, cur);
	p->ok = p->d.reply.type != 0;
}

static void drain_packets(struct fp_dhcp_server *s)
{
	for (int round = 0; round < 4; round++) {
		int n = 0, err;
		time_t now = time(NULL);

		while (n < BATCH) {
			union {
				struct cmsghdr h;
				char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
			} ctl;
			struct sockaddr_ll from;
			struct iovec iov = { s->buf, sizeof(s->buf) };
			struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
					     .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
			uint16_t vlan = 0;
			ssize_t len = recvmsg(s->ifc.pkt_fd, &mh, MSG_DONTWAIT);

			if (len < 0)
				break;
			if (from.sll_pkttype == PACKET_OUTGOING || from.sll_pkttype == PACKET_OTHERHOST)
				continue;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				struct tpacket_auxdata aux;

				if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
					continue;
				memcpy(&aux, CMSG_DATA(c), sizeof(aux));
				if (aux.tp_status & TP_STATUS_VLAN_VALID)
					vlan = aux.tp_vlan_tci & 0x0fff;
			}
			handle(s, s->buf, (size_t)len, vlan, &s->pend[n], now);
			n++;
		}
		if (!n)
			return;
		/* Durable before any reply that commits it leaves. */
		err = fp_dhcp_db_sync(s->db);
		if (err)
			fp_log(&s->log, FP_LOG_ERROR, "dhcp: cannot sync the lease file %s: %s",
			       s->cfg.lease_file, strerror(-err));
		for (int i = 0; i < n; i++)
			if (s->pend[i].ok)
				send_reply(s, &s->pend[i]);
		if (n < BATCH)
			return;
	}
}

void fp_dhcp_server_process(struct fp_dhcp_server *s)
{
	int err;

	if (s->rb && ring_buffer__consume(s->rb) > 0 && (err = fp_dhcp_db_sync(s->db)))
		fp_log(&s->log, FP_LOG_ERROR, "dhcp: cannot sync the lease file %s: %s",
		       s->cfg.lease_file, strerror(-err));
	drain_packets(s);
	publish_counters(s);
}

static void on_expire(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct fp_dhcp_server *s = ctx;
	char m[18];

	if (r->state == FP_DHCP_LEASE_BOUND) {
		map_del_lease(s, &r->key);
		fp_log(&s->log, FP_LOG_INFO, "dhcp: EXPIRED %s of %s", inet_ntoa(r->ip),
		       fp_dhcp_mac_str(r->chaddr, m));
	}
}

void fp_dhcp_server_tick(struct fp_dhcp_server *s)
{
	size_t jr, n;

	if (s->rb)
		ring_buffer__consume(s->rb);
	fp_dhcp_db_expire(s->db, time(NULL), on_expire, s);
	fp_dhcp_db_sync(s->db);
	jr = fp_dhcp_db_journal_records(s->db);
	n = fp_dhcp_db_count(s->db);
	if (jr > COMPACT_MIN && jr > 4 * n) {
		int err = fp_dhcp_db_compact(s->db);

		if (err)
			fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot compact %s: %s",
			       s->cfg.lease_file, strerror(-err));
	}
	publish_counters(s);
}

int fp_dhcp_server_reload(struct fp_dhcp_server *s, const struct fp_dhcp_config *cfg)
{
	struct fp_dhcp_config old = s->cfg, copy;
	struct iface ifc;
	bool new_if = strcmp(cfg->interface, s->cfg.interface) != 0;
	int err;

	if (strcmp(cfg->lease_file, s->cfg.lease_file)) {
		fp_log(&s->log, FP_LOG_WARN, "dhcp: dhcp.lease_file changes at restart; %s stays",
		       s->cfg.lease_file);
	}
	err = cfg_copy(&copy, cfg);
	if (err)
		return err;
	snprintf(copy.lease_file, sizeof(copy.lease_file), "%s", old.lease_file);
	if (new_if) {
		err = open_sockets(copy.interface, &s->log, &ifc);
		if (err) {
			cfg_free(&copy);
			return err;
		}
		close_sockets(&s->ifc);
		s->ifc = ifc;
	}
	s->cfg = copy;
	cfg_free(&old);
	revalidate(s);
	if (new_if) {
		close_maps(s);
		s->n_pools_written = 0;
		open_maps(s);
	}
	if (s->leases_fd >= 0) {
		write_pools(s);
		sync_leases(s);
	}
	s->cnt_dirty = true;
	publish_counters(s);
	fp_log(&s->log, FP_LOG_INFO, "dhcp: reloaded: %zu pools on %s, %zu leases kept",
	       s->cfg.n_pools, s->cfg.interface, fp_dhcp_db_count(s->db));
	return 0;
}

void fp_dhcp_server_close(struct fp_dhcp_server *s)
{
	if (!s)
		return;
	if (s->db) {
		fp_dhcp_db_sync(s->db);
		fp_dhcp_db_close(s->db);
	}
	close_maps(s);
	close_sockets(&s->ifc);
	cfg_free(&s->cfg);
	free(s);
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
