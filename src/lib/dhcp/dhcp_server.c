// SPDX-License-Identifier: BSD-2-Clause
/* The DHCPv4 server's loop: requests read in batches, decided
 * (dhcp_decide.c), journaled in one write, fsync'ed once, then answered: no ACK leaves
 * before the lease it grants is on disk. Around it: the lease database,
 * the sockets (dhcp_socket.c) and the maps the XDP stage answers from
 * (dhcp_maps.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "dhcp_server.h"

#define COMPACT_MIN 4096

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

struct revalidate {
	struct fp_dhcp_lease_rec *v;
	size_t n, cap;
};

static int collect(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct revalidate *c = ctx;

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
 * renumbered; the others end (journaled as EXPIRED). A quarantine is cut
 * to the configured dhcp.decline_hold. */
static void revalidate(struct fp_dhcp_server *s)
{
	struct revalidate c = { 0 };
	time_t now = fp_dhcp_now();
	size_t dropped = 0;

	fp_dhcp_db_each(s->db, collect, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct fp_dhcp_lease_rec *r = &c.v[i];
		int pi = fp_dhcp_pool_of(&s->cfg, r->ip);
		time_t until;

		if (r->state == FP_DHCP_LEASE_DECLINED) {
			until = now + fp_dhcp_decline_hold(&s->cfg, pi);
			if (r->expires > until)
				fp_dhcp_db_decline(s->db, &r->key, r->chaddr, r->ip, until);
			continue;
		}
		if (pi < 0 || !fp_dhcp_allowed(&s->cfg, &s->cfg.pools[pi], r->ip, r->chaddr)) {
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

/* Whether the journal takes records: the fast path is told to leave
 * REQUESTs to us while it does not, and the change is said once. */
static void check_store(struct fp_dhcp_server *s)
{
	bool no_store = !fp_dhcp_db_writable(s->db);

	if (no_store == s->no_store)
		return;
	s->no_store = no_store;
	if (no_store)
		fp_log(&s->log, FP_LOG_ERROR, "dhcp: the lease file %s cannot be written: no ACK "
		       "is sent, by either path, until it can", s->cfg.lease_file);
	else
		fp_log(&s->log, FP_LOG_INFO, "dhcp: the lease file %s is written again: ACKs "
		       "resume", s->cfg.lease_file);
	fp_dhcp_maps_write_cfg(s);
}

bool fp_dhcp_server_storing(const struct fp_dhcp_server *s)
{
	return fp_dhcp_db_writable(s->db);
}

/* XDP_TX on a native-mode veth whose peer has no XDP program sends
 * nothing: the fast path then answers nothing and we do. Looked at again
 * every few seconds; each change is said once. */
static void check_tx(struct fp_dhcp_server *s, time_t now)
{
	bool blocked;

	if (s->cfg_fd < 0 || (s->tx_checked && now - s->tx_checked < 5))
		return;
	s->tx_checked = now;
	blocked = fp_dhcp_xdp_tx_blocked(s->ifc.ifindex) == 1;
	if (blocked == s->tx_blocked)
		return;
	s->tx_blocked = blocked;
	if (blocked)
		fp_log(&s->log, FP_LOG_WARN, "dhcp: %s is a veth in native XDP mode whose peer has "
		       "no XDP program, so replies sent from XDP would never arrive: the slow "
		       "path answers instead (attach an XDP program to the peer, or run the "
		       "pipeline in skb mode)", s->cfg.interface);
	else
		fp_log(&s->log, FP_LOG_INFO, "dhcp: the fast path on %s answers again",
		       s->cfg.interface);
	fp_dhcp_maps_write_cfg(s);
}

static void limits_set(struct fp_dhcp_server *s)
{
	if (s->client_limit.per_s != s->cfg.client_rate) {
		memset(&s->client_limit, 0, sizeof(s->client_limit));
		s->client_limit.per_s = s->cfg.client_rate;
	}
	if (s->relay_limit.per_s != s->cfg.relay_rate) {
		memset(&s->relay_limit, 0, sizeof(s->relay_limit));
		s->relay_limit.per_s = s->cfg.relay_rate;
	}
}

static int open_db(struct fp_dhcp_server *s)
{
	struct fp_dhcp_db_opts o = { .gid = -1, .log = &s->log };
	struct group *g;

	if (s->cfg.lease_file_group[0]) {
		g = getgrnam(s->cfg.lease_file_group);
		if (!g) {
			fp_log(&s->log, FP_LOG_ERROR, "dhcp: dhcp.lease_file_group %s is no group "
			       "of this system", s->cfg.lease_file_group);
			return -ENOENT;
		}
		o.gid = (long)g->gr_gid;
		o.mode = 0640;
	}
	return fp_dhcp_db_open_opts(s->cfg.lease_file, fp_dhcp_now(), &o, &s->db);
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
	err = open_db(s);
	if (err) {
		if (err == -EBADMSG)
			fp_log(&s->log, FP_LOG_ERROR, "dhcp: refusing to use %s as the lease file: "
			       "it exists and is not a fastpath lease journal", cfg->lease_file);
		else
			fp_log(&s->log, FP_LOG_ERROR, "dhcp: cannot open the lease file %s: %s",
			       cfg->lease_file, strerror(-err));
		goto fail;
	}
	err = fp_dhcp_sockets_open(s->cfg.interface, &s->log, &s->ifc);
	if (err)
		goto fail;
	limits_set(s);
	revalidate(s);
	fp_dhcp_maps_open(s);
	check_store(s);
	check_tx(s, fp_dhcp_now());
	if (s->leases_fd >= 0) {
		fp_dhcp_maps_write_pools(s);
		fp_dhcp_maps_consume(s);   /* what the kernel did while we were away */
		fp_dhcp_db_sync(s->db);
		fp_dhcp_maps_sync_leases(s);
	}
	s->cnt_dirty = true;
	fp_dhcp_maps_publish(s);
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

static void log_decision(struct fp_dhcp_server *s, const struct fp_dhcp_decision *d, time_t now)
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
		       a, m, (long)(d->rec.expires - now));
	else if (d->why)
		fp_log(&s->log, FP_LOG_DEBUG, "dhcp: no reply to %s: %s", m, d->why);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Within the rate limits: a client's requests of any kind, and the
 * DISCOVERs through one relay (giaddr; 0 for the unrelayed ones). */
static bool within_limits(struct fp_dhcp_server *s, const struct fp_dhcp_request *req)
{
	struct fp_dhcp_key key;
	int64_t now = mono_ns();

	if (s->relay_limit.per_s && req->msg.type == FP_DHCPDISCOVER &&
	    !fp_dhcp_limit_allow(&s->relay_limit, req->msg.giaddr.s_addr, now))
		return false;
	if (!s->client_limit.per_s)
		return true;
	fp_dhcp_key_make(&req->msg, req->vlan, &key);
	return fp_dhcp_limit_allow(&s->client_limit, fp_dhcp_hash(&key, sizeof(key)), now);
}

/* Decide and apply one request into P. */
static void handle(struct fp_dhcp_server *s, const uint8_t *frame, size_t len,
		   uint16_t aux_vlan, struct fp_dhcp_pending *p, time_t now)
{
	struct fp_dhcp_request req;
	const uint8_t *payload;
	size_t plen;
	struct fp_dhcp_lease_rec prev = { 0 };
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur;
	bool had = false;
	int err;

	p->ok = false;
	fp_dhcp_count(s, FP_DHCP_SLOW_RX);
	memset(&req, 0, sizeof(req));
	if (fp_dhcp_frame_parse(frame, len, aux_vlan, &req.vlan, req.src_mac, &payload, &plen) ||
	    fp_dhcp_parse(payload, plen, &req.msg)) {
		fp_dhcp_count(s, FP_DHCP_SLOW_DROPPED);
		return;
	}
	if (!within_limits(s, &req)) {
		fp_dhcp_count(s, FP_DHCP_SLOW_LIMITED);
		return;
	}
	fp_dhcp_decide(&s->cfg, s->db, &req, now, &p->d);
	p->vlan = req.vlan;
	cur = fp_dhcp_db_by_key(s->db, &p->d.rec.key, &held);
	if (cur) {
		prev = *cur;
		had = true;
	}
	err = fp_dhcp_apply(s->db, &p->d, now);
	if (err == -EADDRINUSE || err == -ENOMEM || err == -EINVAL) {
		fp_dhcp_count(s, FP_DHCP_SLOW_ERR);
		fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot record the lease of %s: %s",
		       inet_ntoa(p->d.rec.ip), strerror(-err));
		return;
	}
	/* A journal error (err) leaves the change in memory, where it holds
	 * the address; what needed it on disk (an ACK) is not sent below. */
	if (!err)
		fp_dhcp_count(s, p->d.counter);
	log_decision(s, &p->d, now);
	cur = fp_dhcp_db_by_key(s->db, &p->d.rec.key, &held);
	if (had && prev.state == FP_DHCP_LEASE_BOUND &&
	    (!cur || cur->state != FP_DHCP_LEASE_BOUND || cur->ip.s_addr != prev.ip.s_addr))
		fp_dhcp_maps_del_lease(s, &prev.key);
	p->ok = p->d.reply.type != 0;
}

/* Whether P's reply waits for the batch's sync: an ACK that grants a
 * lease does; an OFFER, a NAK or an INFORM's ACK promises nothing that
 * must outlive us and leaves at once. */
static bool needs_sync(const struct fp_dhcp_pending *p)
{
	return p->ok && p->d.change == FP_DHCP_CHANGE_BIND;
}

/* Whether P's reply may leave when the batch's sync gave SYNC_ERR: an
 * ACK that grants a lease only once the lease is durable. */
static bool may_send(struct fp_dhcp_server *s, const struct fp_dhcp_pending *p, int sync_err)
{
	if (!p->ok)
		return false;
	if (p->d.change != FP_DHCP_CHANGE_BIND || !sync_err)
		return true;
	fp_dhcp_count(s, FP_DHCP_SLOW_NOSTORE);
	return false;
}

/* decide_one: frame I of s->rx decided into P; false when it was not
 * for us (our own replies, another host's frames). */
static bool decide_one(struct fp_dhcp_server *s, int i, struct fp_dhcp_pending *p, time_t now)
{
	struct msghdr *mh = &s->rx.mh[i].msg_hdr;
	const struct sockaddr_ll *from = &s->rx.from[i];
	uint16_t vlan = 0;

	p->ok = false;
	if (from->sll_pkttype == PACKET_OUTGOING || from->sll_pkttype == PACKET_OTHERHOST)
		return false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (aux.tp_status & TP_STATUS_VLAN_VALID)
			vlan = aux.tp_vlan_tci & 0x0fff;
	}
	handle(s, s->rx.frame[i], s->rx.mh[i].msg_len, vlan, p, now);
	return true;
}

/* wait_readable: whether FD has something to read before UNTIL_NS
 * (mono_ns). */
static bool wait_readable(int fd, int64_t until_ns)
{
	int64_t left = until_ns - mono_ns();
	struct timespec ts = { left / 1000000000, left % 1000000000 };
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return left > 0 && ppoll(&p, 1, &ts, NULL) == 1;
}

/* ack: P's ACK queued (sent with the batch's), its lease (durable now)
 * into *PUT, for the fast path's map: the stage answers the client's
 * renewals only from there on. */
static void ack(struct fp_dhcp_server *s, const struct fp_dhcp_pending *p,
		struct fp_dhcp_lease_rec *put, int *n_put)
{
	struct fp_dhcp_lease_rec held;
	const struct fp_dhcp_lease_rec *cur = fp_dhcp_db_by_key(s->db, &p->d.rec.key, &held);

	fp_dhcp_queue_reply(s, p);
	if (cur && cur->state == FP_DHCP_LEASE_BOUND)
		put[(*n_put)++] = *cur;
}

/* read_batch: requests read (one recvmmsg for up to a batch) and decided
 * until none is queued (-1) or the batch is full (0), counted in *GOT; a
 * reply that commits nothing leaves with the others read with it (one
 * sendmmsg), an ACK waits in s->pend[*N] for the sync. */
static int read_batch(struct fp_dhcp_server *s, int *n, int *got, time_t now)
{
	while (*n < FP_DHCP_BATCH && *got < 2 * FP_DHCP_BATCH) {
		int want = FP_DHCP_BATCH - *n, k;

		if (want > 2 * FP_DHCP_BATCH - *got)
			want = 2 * FP_DHCP_BATCH - *got;
		k = fp_dhcp_recv_batch(s, want);
		for (int i = 0; i < k; i++) {
			struct fp_dhcp_pending *p = &s->pend[*n];

			if (!decide_one(s, i, p, now) || !p->ok)
				continue;
			if (needs_sync(p))
				(*n)++;
			else
				fp_dhcp_queue_reply(s, p);
		}
		*got += k;
		fp_dhcp_send_replies(s);
		/* Fewer than asked for: the queue is empty (for now). */
		if (k < want)
			return -1;
	}
	return 0;
}

/* Requests are read in batches: each reply that commits nothing leaves
 * as soon as it is decided; the ACKs wait in s->pend for one sync that
 * covers them all. Under load (the last sync ended less than
 * FP_DHCP_BUSY_US before this batch began) a batch keeps reading
 * requests as they come for up to FP_DHCP_LINGER_US before its sync: a
 * sync costs the same for one ACK or fifty (on a VM, tens of us of CPU
 * in exits to the hypervisor), so fewer of them leave the CPU to the
 * requests. A lone client's ACK never waits: its REQUEST comes long after
 * any sync. */
static void drain_packets(struct fp_dhcp_server *s)
{
	for (int round = 0; round < 4; round++) {
		struct fp_dhcp_lease_rec put[FP_DHCP_BATCH];
		int n = 0, got = 0, n_put = 0, r, err;
		time_t now = fp_dhcp_now();
		int64_t start = mono_ns();
		bool busy = start - s->synced_ns < FP_DHCP_BUSY_US * 1000ll;

		fp_dhcp_db_batch(s->db);   /* one write for the batch's records */
		r = read_batch(s, &n, &got, now);
		while (r < 0 && n && busy &&
		       wait_readable(s->ifc.pkt_fd, start + FP_DHCP_LINGER_US * 1000ll))
			r = read_batch(s, &n, &got, now);
		if (!got) {
			fp_dhcp_db_sync(s->db);   /* ends the batch: nothing in it */
			return;
		}
		/* Durable before any reply that commits it leaves. */
		err = fp_dhcp_db_sync(s->db);
		if (n)
			s->synced_ns = mono_ns();
		check_store(s);
		for (int i = 0; i < n; i++)
			if (may_send(s, &s->pend[i], err))
				ack(s, &s->pend[i], put, &n_put);
		fp_dhcp_maps_put_leases(s, put, n_put);
		fp_dhcp_send_replies(s);
		if (r < 0)
			return;
	}
}

void fp_dhcp_server_process(struct fp_dhcp_server *s)
{
	if (fp_dhcp_maps_consume(s) > 0)
		fp_dhcp_db_sync(s->db);
	check_store(s);
	drain_packets(s);
	fp_dhcp_maps_publish(s);
}

static void on_expire(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct fp_dhcp_server *s = ctx;
	char m[18];

	if (r->state == FP_DHCP_LEASE_BOUND) {
		fp_dhcp_maps_del_lease(s, &r->key);
		fp_log(&s->log, FP_LOG_INFO, "dhcp: EXPIRED %s of %s", inet_ntoa(r->ip),
		       fp_dhcp_mac_str(r->chaddr, m));
	}
}

void fp_dhcp_server_tick(struct fp_dhcp_server *s)
{
	time_t now = fp_dhcp_now();
	size_t jr, n;

	fp_dhcp_maps_consume(s);
	fp_dhcp_db_expire(s->db, now, on_expire, s);
	fp_dhcp_db_sync(s->db);
	/* A journal that failed comes back with a rewrite of the whole. */
	if (!fp_dhcp_db_writable(s->db) && !fp_dhcp_db_recover(s->db))
		fp_dhcp_maps_sync_leases(s);
	check_store(s);
	check_tx(s, now);
	jr = fp_dhcp_db_journal_records(s->db);
	n = fp_dhcp_db_count(s->db);
	if (!s->no_store && jr > COMPACT_MIN && jr > 4 * n) {
		int err = fp_dhcp_db_compact(s->db);

		if (err)
			fp_log(&s->log, FP_LOG_WARN, "dhcp: cannot compact %s: %s",
			       s->cfg.lease_file, strerror(-err));
	}
	fp_dhcp_maps_publish(s);
}

int fp_dhcp_server_reload(struct fp_dhcp_server *s, const struct fp_dhcp_config *cfg)
{
	struct fp_dhcp_config old = s->cfg, copy;
	struct fp_dhcp_iface ifc;
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
		err = fp_dhcp_sockets_open(copy.interface, &s->log, &ifc);
		if (err) {
			cfg_free(&copy);
			return err;
		}
		fp_dhcp_sockets_close(&s->ifc);
		s->ifc = ifc;
	}
	s->cfg = copy;
	cfg_free(&old);
	limits_set(s);
	revalidate(s);
	if (new_if) {
		fp_dhcp_maps_close(s);
		s->n_pools_written = 0;
		s->tx_blocked = false;
		s->tx_checked = 0;
		fp_dhcp_maps_open(s);
		check_tx(s, fp_dhcp_now());
	}
	if (s->leases_fd >= 0) {
		fp_dhcp_maps_write_pools(s);
		fp_dhcp_maps_sync_leases(s);
	}
	s->cnt_dirty = true;
	fp_dhcp_maps_publish(s);
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
	fp_dhcp_maps_close(s);
	fp_dhcp_sockets_close(&s->ifc);
	cfg_free(&s->cfg);
	free(s);
}
