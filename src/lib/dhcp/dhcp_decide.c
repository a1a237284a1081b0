// SPDX-License-Identifier: BSD-2-Clause
/* The RFC 2131 server as a pure function: fp_dhcp_decide reads the
 * configuration and the lease database and says what to answer and what
 * to change; fp_dhcp_apply makes the change. No I/O. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <fastpath/core.h>
#include "dhcp_server.h"

int fp_dhcp_pool_of(const struct fp_dhcp_config *cfg, struct in_addr a)
{
	if (!a.s_addr)
		return -1;
	for (size_t i = 0; i < cfg->n_pools; i++)
		if (fp_dhcp_pool_in_subnet(&cfg->pools[i], a))
			return (int)i;
	return -1;
}

int fp_dhcp_local_pool(const struct fp_dhcp_config *cfg)
{
	int pi = fp_dhcp_pool_of(cfg, cfg->server_id);

	return pi < 0 && cfg->n_pools == 1 ? 0 : pi;
}

/* The client's network: the relay's (giaddr) or ours (server_id's). */
static int select_pool(const struct fp_dhcp_config *cfg, const struct fp_dhcp_msg *m)
{
	if (m->giaddr.s_addr)
		return fp_dhcp_pool_of(cfg, m->giaddr);
	return fp_dhcp_local_pool(cfg);
}

time_t fp_dhcp_decline_hold(const struct fp_dhcp_config *cfg, int pi)
{
	if (cfg->decline_hold_s)
		return cfg->decline_hold_s;
	return pi < 0 || (size_t)pi >= cfg->n_pools ? FP_CONFIG_LEASE_TIME_S
						   : cfg->pools[pi].lease_time_s;
}

static time_t offer_hold(const struct fp_dhcp_config *cfg)
{
	return cfg->offer_hold_s ? cfg->offer_hold_s : FP_DHCP_OFFER_HOLD_S;
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
bool fp_dhcp_allowed(const struct fp_dhcp_config *cfg, const struct fp_dhcp_pool *p,
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

	/* A free address; else one only offered to another client: offers
	 * are no promise, and a flood of DISCOVERs from clients that never
	 * REQUEST must not starve the ones that do. */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < size; i++) {
			struct in_addr a = fp_ipv4_net(lo + (start + i) % size);

			if (a.s_addr == cfg->server_id.s_addr || reserved_for_other(cfg, a, mac))
				continue;
			if (pass ? fp_dhcp_db_ip_bindable(db, a, key, now)
				 : fp_dhcp_db_ip_free(db, a, key, now))
				return a;
		}
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
	if (m->has_client_id) {       /* RFC 6842 §3: echoed unchanged */
		r->client_id_len = m->client_id_len;
		memcpy(r->client_id, m->client_id, m->client_id_len);
	}
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
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, key, &held);
	int pi = select_pool(cfg, m);
	const struct fp_dhcp_pool *p;
	struct in_addr ip = fp_ipv4_net(0);

	if (pi < 0)
		return ignore(d, "no pool for the client's network");
	p = &cfg->pools[pi];
	if (res && fp_dhcp_pool_in_subnet(p, res->ip) && fp_dhcp_db_ip_free(db, res->ip, key, now))
		ip = res->ip;
	else if (cur && cur->expires > now && fp_dhcp_allowed(cfg, p, cur->ip, m->chaddr))
		ip = cur->ip;
	else if (m->has_requested_ip && fp_dhcp_allowed(cfg, p, m->requested_ip, m->chaddr) &&
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
	d->rec.expires = now + offer_hold(cfg);
	d->rec.state = FP_DHCP_LEASE_OFFERED;
}

/* SELECTING or INIT-REBOOT for IP on the client's network: ACK, NAK, or
 * (INIT_REBOOT and no record of the client) nothing: RFC 2131 §4.3.2
 * says a server without a binding for the client MUST stay silent. */
static void confirm(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d,
		    struct in_addr ip, bool init_reboot)
{
	const struct fp_dhcp_msg *m = &req->msg;
	const struct fp_dhcp_key *key = &d->rec.key;
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, key, &held);
	const struct fp_dhcp_reservation *res = reservation(cfg, m->chaddr);
	int pi = select_pool(cfg, m);
	const struct fp_dhcp_pool *p;

	/* Before any NAK: whatever the address, even on another network. */
	if (init_reboot && !cur)
		return ignore(d, "INIT-REBOOT from a client with no binding on record");
	if (pi < 0 || !fp_dhcp_pool_in_subnet(&cfg->pools[pi], ip))
		return nak(cfg, req, d, "address not on the client's network");
	p = &cfg->pools[pi];
	if (res && fp_dhcp_pool_in_subnet(p, res->ip) && res->ip.s_addr != ip.s_addr &&
	    fp_dhcp_db_ip_free(db, res->ip, key, now))
		return nak(cfg, req, d, "the client has another address reserved");
	if (!fp_dhcp_db_ip_bindable(db, ip, key, now))
		return nak(cfg, req, d, "address leased to another client");
	if (cur && cur->ip.s_addr == ip.s_addr && cur->expires > now) {
		if (!fp_dhcp_allowed(cfg, p, ip, m->chaddr))
			return nak(cfg, req, d, "address no longer in a pool");
		return ack(cfg, req, d, ip, pi, now);
	}
	if (cur && cur->state == FP_DHCP_LEASE_BOUND && cur->expires > now)
		return nak(cfg, req, d, "the client is bound to another address");
	if (!fp_dhcp_allowed(cfg, p, ip, m->chaddr))
		return nak(cfg, req, d, "address not in a pool");
	ack(cfg, req, d, ip, pi, now);
}

static void request(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, &d->rec.key, &held);
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
	/* RENEWING (unicast) or REBINDING: the address names its pool; a
	 * relayed one must come from that pool's network. */
	pi = fp_dhcp_pool_of(cfg, m->ciaddr);
	if (m->giaddr.s_addr && fp_dhcp_pool_of(cfg, m->giaddr) != pi)
		return nak(cfg, req, d, "not on the network of the client's binding");
	if (pi < 0 || !cur || cur->state != FP_DHCP_LEASE_BOUND ||
	    cur->ip.s_addr != m->ciaddr.s_addr || cur->expires <= now ||
	    !fp_dhcp_allowed(cfg, &cfg->pools[pi], m->ciaddr, m->chaddr))
		return nak(cfg, req, d, "not the client's binding");
	ack(cfg, req, d, m->ciaddr, pi, now);
}

static void release(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, &d->rec.key, &held);

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
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(db, &d->rec.key, &held);
	int pi;

	if (m->has_server_id && m->server_id.s_addr != cfg->server_id.s_addr)
		return ignore(d, "DECLINE for another server");
	/* Only a client that holds the address may say it is in use: one
	 * that was merely offered it could otherwise quarantine the pool. */
	if (!m->has_requested_ip || !cur || cur->state != FP_DHCP_LEASE_BOUND ||
	    cur->ip.s_addr != m->requested_ip.s_addr || cur->expires <= now)
		return ignore(d, "DECLINE of an address not bound to the client");
	pi = fp_dhcp_pool_of(cfg, cur->ip);
	d->change = FP_DHCP_CHANGE_DECLINE;
	d->rec.ip = cur->ip;
	d->rec.pool = pi < 0 ? 0 : (uint32_t)pi;
	d->rec.expires = now + fp_dhcp_decline_hold(cfg, pi);
	d->rec.state = FP_DHCP_LEASE_DECLINED;
	d->counter = FP_DHCP_SLOW_DECLINE;
}

static void inform(const struct fp_dhcp_config *cfg, const struct fp_dhcp_request *req,
		   struct fp_dhcp_decision *d)
{
	const struct fp_dhcp_msg *m = &req->msg;
	int pi = m->giaddr.s_addr ? fp_dhcp_pool_of(cfg, m->giaddr) : fp_dhcp_pool_of(cfg, m->ciaddr);

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
	struct fp_dhcp_lease_rec held;
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
		cur = fp_dhcp_db_by_key(db, &d->rec.key, &held);
		if (cur && cur->state == FP_DHCP_LEASE_OFFERED)
			return fp_dhcp_db_release(db, &d->rec.key, FP_DHCP_LEASE_RELEASED);
		return 0;
	case FP_DHCP_CHANGE_NONE:
		break;
	}
	return 0;
}

