// SPDX-License-Identifier: BSD-2-Clause
/* The DHCP lease database in memory: entries indexed by client key and
 * by address (one holder per address, always). Every change that must
 * outlive the process goes through the journal (dhcp_journal.c). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/mapping.h"
#include "dhcp_db.h"

_Static_assert(sizeof(struct fp_dhcp_key) == 36, "fp_dhcp_key is 36 bytes");
_Static_assert(sizeof(struct fp_dhcp_ent) == 80, "fp_dhcp_ent is 80 bytes");

#define ent fp_dhcp_ent

const char *fp_dhcp_state_str(enum fp_dhcp_lease_state s)
{
	switch (s) {
	case FP_DHCP_LEASE_BOUND: return "bound";
	case FP_DHCP_LEASE_RELEASED: return "released";
	case FP_DHCP_LEASE_DECLINED: return "declined";
	case FP_DHCP_LEASE_EXPIRED: return "expired";
	case FP_DHCP_LEASE_OFFERED: return "offered";
	}
	return "?";
}

uint32_t fp_dhcp_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* A bucket of N bytes at P: the hash's high bits folded into the low ones
 * the mask keeps. */
static size_t bucket(const struct fp_dhcp_db *db, const void *p, size_t n)
{
	uint32_t h = fp_dhcp_hash(p, n);

	return (h ^ (h >> 15)) & (db->nb - 1);
}

static size_t key_bucket(const struct fp_dhcp_db *db, const struct fp_dhcp_key *k)
{
	return bucket(db, k, sizeof(*k));
}

static size_t ip_bucket(const struct fp_dhcp_db *db, struct in_addr ip)
{
	return bucket(db, &ip.s_addr, 4);
}

static bool key_eq(const struct fp_dhcp_key *a, const struct fp_dhcp_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The entries and both indexes live in mappings of their own
 * (core/mapping.h): from the heap, each outgrown index stayed resident in
 * freed blocks (2.7 MB at 100,000 leases). */

static int rehash(struct fp_dhcp_db *db, size_t nb)
{
	int32_t *bk = fp_mapping(nb * sizeof(*bk), false);
	int32_t *bi = fp_mapping(nb * sizeof(*bi), false);

	if (!bk || !bi) {
		fp_mapping_free(bk, nb * sizeof(*bk));
		fp_mapping_free(bi, nb * sizeof(*bi));
		return -ENOMEM;
	}
	fp_mapping_free(db->bkey, db->nb * sizeof(*bk));
	fp_mapping_free(db->bip, db->nb * sizeof(*bi));
	db->bkey = bk;
	db->bip = bi;
	db->nb = nb;
	for (size_t i = 0; i < nb; i++)
		bk[i] = bi[i] = -1;
	for (size_t i = 0; i < db->top; i++) {
		struct ent *x = &db->e[i];
		size_t b;

		if (!x->state)
			continue;
		b = ip_bucket(db, x->ip);
		x->next_ip = bi[b];
		bi[b] = (int32_t)i;
		if (x->in_key) {
			b = key_bucket(db, &x->key);
			x->next_key = bk[b];
			bk[b] = (int32_t)i;
		}
	}
	return 0;
}

static struct ent *find_key(const struct fp_dhcp_db *db, const struct fp_dhcp_key *k)
{
	for (int32_t i = db->bkey[key_bucket(db, k)]; i >= 0; i = db->e[i].next_key)
		if (key_eq(&db->e[i].key, k))
			return &db->e[i];
	return NULL;
}

static struct ent *find_ip(const struct fp_dhcp_db *db, struct in_addr ip)
{
	for (int32_t i = db->bip[ip_bucket(db, ip)]; i >= 0; i = db->e[i].next_ip)
		if (db->e[i].ip.s_addr == ip.s_addr)
			return &db->e[i];
	return NULL;
}

static void unlink_chain(struct fp_dhcp_db *db, int32_t *head, int32_t idx, bool by_key)
{
	for (int32_t *pp = head; *pp >= 0;
	     pp = by_key ? &db->e[*pp].next_key : &db->e[*pp].next_ip) {
		if (*pp == idx) {
			*pp = by_key ? db->e[idx].next_key : db->e[idx].next_ip;
			return;
		}
	}
}

static void remove_ent(struct fp_dhcp_db *db, struct ent *x)
{
	int32_t idx = (int32_t)(x - db->e);

	unlink_chain(db, &db->bip[ip_bucket(db, x->ip)], idx, false);
	if (x->in_key)
		unlink_chain(db, &db->bkey[key_bucket(db, &x->key)], idx, true);
	free(x->hostname);
	memset(x, 0, sizeof(*x));
	x->next_key = db->free_head;
	db->free_head = idx;
	db->count--;
}

/* Insert REC: in the address index always, in the key index when IN_KEY.
 * The caller has made room: nobody else holds the address. */
static int insert_ent(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *rec, bool in_key)
{
	char *host = NULL;
	struct ent *x;
	int32_t idx;
	size_t b;

	if (rec->hostname[0]) {
		host = strndup(rec->hostname, sizeof(rec->hostname) - 1);
		if (!host)
			return -ENOMEM;
	}
	if (db->free_head < 0 && db->top == db->cap) {
		size_t ncap = db->cap ? db->cap * 2 : 64;
		struct ent *ne;

		ne = ncap > INT32_MAX ? NULL :
			fp_mapping_grow(db->e, db->cap * sizeof(*ne), ncap * sizeof(*ne));
		if (!ne) {
			free(host);
			return -ENOMEM;
		}
		db->e = ne;
		db->cap = ncap;
	}
	/* chains of one entry on average: 4 bytes of index a lease each way */
	if (db->count + 1 > db->nb) {
		int err = rehash(db, db->nb * 2);

		if (err) {
			free(host);
			return err;
		}
	}
	if (db->free_head >= 0) {
		idx = db->free_head;
		db->free_head = db->e[idx].next_key;
	} else {
		idx = (int32_t)db->top++;
	}
	x = &db->e[idx];
	x->key = rec->key;
	memcpy(x->chaddr, rec->chaddr, 6);
	x->state = (uint8_t)rec->state;
	x->in_key = in_key;
	x->ip = rec->ip;
	x->pool = rec->pool;
	x->next_key = -1;
	x->expires = rec->expires;
	x->hostname = host;
	b = ip_bucket(db, rec->ip);
	x->next_ip = db->bip[b];
	db->bip[b] = idx;
	if (in_key) {
		b = key_bucket(db, &rec->key);
		x->next_key = db->bkey[b];
		db->bkey[b] = idx;
	}
	db->count++;
	return 0;
}

int fp_dhcp_db_new(struct fp_dhcp_db **out)
{
	struct fp_dhcp_db *db = calloc(1, sizeof(*db));
	int err;

	if (!db)
		return -ENOMEM;
	db->fd = -1;
	db->free_head = -1;
	err = rehash(db, 1024);   /* a page each */
	if (err) {
		free(db);
		return err;
	}
	*out = db;
	return 0;
}

void fp_dhcp_db_close(struct fp_dhcp_db *db)
{
	if (!db)
		return;
	fp_dhcp_journal_close(db);
	for (size_t i = 0; i < db->top; i++)
		free(db->e[i].hostname);
	fp_mapping_free(db->e, db->cap * sizeof(*db->e));
	fp_mapping_free(db->bkey, db->nb * sizeof(*db->bkey));
	fp_mapping_free(db->bip, db->nb * sizeof(*db->bip));
	free(db);
}

struct fp_dhcp_lease_rec *fp_dhcp_ent_rec(const struct ent *x, struct fp_dhcp_lease_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->key = x->key;
	memcpy(r->chaddr, x->chaddr, 6);
	r->ip = x->ip;
	r->pool = x->pool;
	r->expires = x->expires;
	r->state = x->state;
	if (x->hostname)
		strncpy(r->hostname, x->hostname, sizeof(r->hostname) - 1);
	return r;
}

const struct fp_dhcp_lease_rec *fp_dhcp_db_by_key(const struct fp_dhcp_db *db,
						  const struct fp_dhcp_key *key,
						  struct fp_dhcp_lease_rec *out)
{
	struct ent *x = find_key(db, key);

	return x ? fp_dhcp_ent_rec(x, out) : NULL;
}

const struct fp_dhcp_lease_rec *fp_dhcp_db_by_ip(const struct fp_dhcp_db *db,
						 struct in_addr ip, struct fp_dhcp_lease_rec *out)
{
	struct ent *x = find_ip(db, ip);

	return x ? fp_dhcp_ent_rec(x, out) : NULL;
}

bool fp_dhcp_db_ip_free(const struct fp_dhcp_db *db, struct in_addr ip,
			const struct fp_dhcp_key *key, time_t now)
{
	const struct ent *x = find_ip(db, ip);

	if (!x || x->expires <= now)
		return true;
	return key && x->in_key && key_eq(&x->key, key);
}

bool fp_dhcp_db_ip_bindable(const struct fp_dhcp_db *db, struct in_addr ip,
			    const struct fp_dhcp_key *key, time_t now)
{
	const struct ent *x = find_ip(db, ip);

	return fp_dhcp_db_ip_free(db, ip, key, now) || x->state == FP_DHCP_LEASE_OFFERED;
}

struct fp_dhcp_ent *fp_dhcp_db_find_key(const struct fp_dhcp_db *db,
					const struct fp_dhcp_key *key)
{
	return find_key(db, key);
}

int fp_dhcp_db_insert(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *rec, bool in_key)
{
	return insert_ent(db, rec, in_key);
}

void fp_dhcp_db_remove(struct fp_dhcp_db *db, struct fp_dhcp_ent *x)
{
	remove_ent(db, x);
}

/* Room for KEY at IP: the key's own entry goes, and an expired or merely
 * OFFERED holder of the address; FORCE evicts a live holder too (replay:
 * the journal's order is the truth). */
static int make_room(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		     struct in_addr ip, time_t now, bool force)
{
	struct ent *h = find_ip(db, ip), *own = key ? find_key(db, key) : NULL;

	if (h && h != own && h->expires > now && h->state != FP_DHCP_LEASE_OFFERED &&
	    !force)
		return -EADDRINUSE;
	if (own)
		remove_ent(db, own);
	h = find_ip(db, ip);
	if (h)
		remove_ent(db, h);
	return 0;
}

int fp_dhcp_db_put(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *rec, time_t now)
{
	int err;

	if (rec->state != FP_DHCP_LEASE_BOUND && rec->state != FP_DHCP_LEASE_OFFERED)
		return -EINVAL;
	err = make_room(db, &rec->key, rec->ip, now, false);
	if (err)
		return err;
	err = insert_ent(db, rec, true);
	if (err)
		return err;
	return rec->state == FP_DHCP_LEASE_BOUND ? fp_dhcp_journal(db, rec, FP_DHCP_LEASE_BOUND) : 0;
}

int fp_dhcp_db_release(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		       enum fp_dhcp_lease_state state)
{
	struct ent *x = find_key(db, key);
	struct fp_dhcp_lease_rec r;

	if (!x)
		return -ENOENT;
	fp_dhcp_ent_rec(x, &r);
	remove_ent(db, x);
	return r.state == FP_DHCP_LEASE_BOUND ? fp_dhcp_journal(db, &r, state) : 0;
}

int fp_dhcp_db_decline(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		       const uint8_t chaddr[6], struct in_addr ip, time_t until)
{
	struct fp_dhcp_lease_rec r = { .key = *key, .ip = ip, .expires = until,
				       .state = FP_DHCP_LEASE_DECLINED };
	int err;

	memcpy(r.chaddr, chaddr, 6);
	err = make_room(db, NULL, ip, 0, true);
	if (!err)
		err = insert_ent(db, &r, false);
	return err ? err : fp_dhcp_journal(db, &r, FP_DHCP_LEASE_DECLINED);
}

size_t fp_dhcp_db_expire(struct fp_dhcp_db *db, time_t now,
			 void (*fn)(void *ctx, const struct fp_dhcp_lease_rec *rec),
			 void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < db->top; i++) {
		struct ent *x = &db->e[i];
		struct fp_dhcp_lease_rec r;

		if (!x->state || x->expires > now)
			continue;
		fp_dhcp_ent_rec(x, &r);
		if (fn)
			fn(ctx, &r);
		remove_ent(db, x);
		if (r.state == FP_DHCP_LEASE_BOUND)
			fp_dhcp_journal(db, &r, FP_DHCP_LEASE_EXPIRED);
		n++;
	}
	return n;
}

int fp_dhcp_db_each(const struct fp_dhcp_db *db,
		    int (*fn)(void *ctx, const struct fp_dhcp_lease_rec *rec),
		    void *ctx)
{
	struct fp_dhcp_lease_rec r;

	for (size_t i = 0; i < db->top; i++) {
		int rc;

		if (!db->e[i].state)
			continue;
		rc = fn(ctx, fp_dhcp_ent_rec(&db->e[i], &r));
		if (rc)
			return rc;
	}
	return 0;
}

size_t fp_dhcp_db_count(const struct fp_dhcp_db *db)
{
	return db->count;
}

size_t fp_dhcp_db_journal_records(const struct fp_dhcp_db *db)
{
	return db->jrecs;
}

/* Apply one journal record in replay. */
int fp_dhcp_db_replay_one(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *r)
{
	struct ent *own;
	int err;

	switch (r->state) {
	case FP_DHCP_LEASE_BOUND:
		err = make_room(db, &r->key, r->ip, 0, true);
		return err ? err : insert_ent(db, r, true);
	case FP_DHCP_LEASE_DECLINED:
		err = make_room(db, NULL, r->ip, 0, true);
		return err ? err : insert_ent(db, r, false);
	default:
		own = find_key(db, &r->key);
		if (own && own->ip.s_addr == r->ip.s_addr)
			remove_ent(db, own);
		return 0;
	}
}

