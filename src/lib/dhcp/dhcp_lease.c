// SPDX-License-Identifier: BSD-2-Clause
/* The DHCP lease database: entries indexed by client key and by address
 * (one holder per address, always), persisted as an append-only journal
 * of fixed-size records that is replayed at open and compacted (temp
 * file, fsync, rename, fsync of the directory).
 *
 * A record is 136 bytes in host byte order (the file never leaves the
 * machine): magic, state, key, chaddr, ip, pool, expires (time_t as
 * int64), hostname, and a CRC-32 of the rest. A record cut short or with
 * a bad CRC ends the replay: it is the torn tail of a write a crash
 * interrupted, and the compaction at open drops it. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fastpath/dhcp.h>

#define JREC_MAGIC 0x314c5046u /* "FPL1" */
#define JREC_SIZE  136
#define J_STATE    4
#define J_KEY      8
#define J_CHADDR   44
#define J_IP       52
#define J_POOL     56
#define J_EXPIRES  60
#define J_HOST     68
#define J_CRC      132

_Static_assert(sizeof(struct fp_dhcp_key) == 36, "fp_dhcp_key is 36 bytes");

struct ent {
	struct fp_dhcp_lease_rec rec;
	int32_t next_key;       /* chain in bkey, or the free list */
	int32_t next_ip;        /* chain in bip */
	bool used;
	bool in_key;            /* OFFERED or BOUND: the key's entry */
};

struct fp_dhcp_db {
	struct ent *e;
	size_t cap, count;
	int32_t free_head;
	int32_t *bkey, *bip;
	size_t nb;              /* buckets, a power of two */
	int fd;                 /* the journal; -1: memory only */
	char path[PATH_MAX];
	size_t jrecs;
	bool dirty;             /* written since the last fsync */
};

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

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
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

static int rehash(struct fp_dhcp_db *db, size_t nb)
{
	int32_t *bk = malloc(nb * sizeof(*bk)), *bi = malloc(nb * sizeof(*bi));

	if (!bk || !bi) {
		free(bk);
		free(bi);
		return -ENOMEM;
	}
	free(db->bkey);
	free(db->bip);
	db->bkey = bk;
	db->bip = bi;
	db->nb = nb;
	for (size_t i = 0; i < nb; i++)
		bk[i] = bi[i] = -1;
	for (size_t i = 0; i < db->cap; i++) {
		struct ent *x = &db->e[i];
		size_t b;

		if (!x->used)
			continue;
		b = ip_bucket(db, x->rec.ip);
		x->next_ip = bi[b];
		bi[b] = (int32_t)i;
		if (x->in_key) {
			b = key_bucket(db, &x->rec.key);
			x->next_key = bk[b];
			bk[b] = (int32_t)i;
		}
	}
	return 0;
}

static struct ent *find_key(const struct fp_dhcp_db *db, const struct fp_dhcp_key *k)
{
	for (int32_t i = db->bkey[key_bucket(db, k)]; i >= 0; i = db->e[i].next_key)
		if (key_eq(&db->e[i].rec.key, k))
			return &db->e[i];
	return NULL;
}

static struct ent *find_ip(const struct fp_dhcp_db *db, struct in_addr ip)
{
	for (int32_t i = db->bip[ip_bucket(db, ip)]; i >= 0; i = db->e[i].next_ip)
		if (db->e[i].rec.ip.s_addr == ip.s_addr)
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

	unlink_chain(db, &db->bip[ip_bucket(db, x->rec.ip)], idx, false);
	if (x->in_key)
		unlink_chain(db, &db->bkey[key_bucket(db, &x->rec.key)], idx, true);
	memset(x, 0, sizeof(*x));
	x->next_key = db->free_head;
	db->free_head = idx;
	db->count--;
}

/* Insert REC: in the address index always, in the key index when IN_KEY.
 * The caller has made room: nobody else holds the address. */
static int insert_ent(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *rec, bool in_key)
{
	struct ent *x;
	int32_t idx;
	size_t b;

	if (db->free_head < 0) {
		size_t ncap = db->cap ? db->cap * 2 : 64;
		struct ent *ne;

		if (ncap > INT32_MAX)
			return -ENOMEM;
		ne = realloc(db->e, ncap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		memset(ne + db->cap, 0, (ncap - db->cap) * sizeof(*ne));
		for (size_t i = ncap; i-- > db->cap;) {
			ne[i].next_key = db->free_head;
			db->free_head = (int32_t)i;
		}
		db->e = ne;
		db->cap = ncap;
	}
	if (db->count + 1 > db->nb / 2) {
		int err = rehash(db, db->nb * 2);

		if (err)
			return err;
	}
	idx = db->free_head;
	x = &db->e[idx];
	db->free_head = x->next_key;
	x->rec = *rec;
	x->used = true;
	x->in_key = in_key;
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

static void encode(const struct fp_dhcp_lease_rec *r, uint8_t b[JREC_SIZE])
{
	uint32_t magic = JREC_MAGIC, crc;
	int64_t exp = r->expires;

	memset(b, 0, JREC_SIZE);
	memcpy(b, &magic, 4);
	b[J_STATE] = (uint8_t)r->state;
	memcpy(b + J_KEY, &r->key, sizeof(r->key));
	memcpy(b + J_CHADDR, r->chaddr, 6);
	memcpy(b + J_IP, &r->ip.s_addr, 4);
	memcpy(b + J_POOL, &r->pool, 4);
	memcpy(b + J_EXPIRES, &exp, 8);
	memcpy(b + J_HOST, r->hostname, strnlen(r->hostname, FP_DHCP_HOSTNAME_MAX - 1));
	crc = crc32(b, J_CRC);
	memcpy(b + J_CRC, &crc, 4);
}

static int decode(const uint8_t b[JREC_SIZE], struct fp_dhcp_lease_rec *r)
{
	uint32_t magic, crc;
	int64_t exp;

	memcpy(&magic, b, 4);
	memcpy(&crc, b + J_CRC, 4);
	if (magic != JREC_MAGIC || crc != crc32(b, J_CRC) ||
	    b[J_STATE] < FP_DHCP_LEASE_BOUND || b[J_STATE] > FP_DHCP_LEASE_EXPIRED)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->state = b[J_STATE];
	memcpy(&r->key, b + J_KEY, sizeof(r->key));
	memcpy(r->chaddr, b + J_CHADDR, 6);
	memcpy(&r->ip.s_addr, b + J_IP, 4);
	memcpy(&r->pool, b + J_POOL, 4);
	memcpy(&exp, b + J_EXPIRES, 8);
	r->expires = (time_t)exp;
	memcpy(r->hostname, b + J_HOST, FP_DHCP_HOSTNAME_MAX - 1);
	r->hostname[FP_DHCP_HOSTNAME_MAX - 1] = '\0';
	return 0;
}

static int journal(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *r,
		   enum fp_dhcp_lease_state state)
{
	struct fp_dhcp_lease_rec c = *r;
	uint8_t b[JREC_SIZE];
	ssize_t n;

	if (db->fd < 0)
		return 0;
	c.state = state;
	encode(&c, b);
	do {
		n = write(db->fd, b, sizeof(b));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b))
		return n < 0 ? -errno : -EIO;
	db->jrecs++;
	db->dirty = true;
	return 0;
}

static int db_new(struct fp_dhcp_db **out)
{
	struct fp_dhcp_db *db = calloc(1, sizeof(*db));
	int err;

	if (!db)
		return -ENOMEM;
	db->fd = -1;
	db->free_head = -1;
	err = rehash(db, 128);
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
	if (db->fd >= 0)
		close(db->fd);
	free(db->e);
	free(db->bkey);
	free(db->bip);
	free(db);
}

const struct fp_dhcp_lease_rec *fp_dhcp_db_by_key(const struct fp_dhcp_db *db,
						  const struct fp_dhcp_key *key)
{
	struct ent *x = find_key(db, key);

	return x ? &x->rec : NULL;
}

const struct fp_dhcp_lease_rec *fp_dhcp_db_by_ip(const struct fp_dhcp_db *db,
						 struct in_addr ip)
{
	struct ent *x = find_ip(db, ip);

	return x ? &x->rec : NULL;
}

bool fp_dhcp_db_ip_free(const struct fp_dhcp_db *db, struct in_addr ip,
			const struct fp_dhcp_key *key, time_t now)
{
	const struct ent *x = find_ip(db, ip);

	if (!x || x->rec.expires <= now)
		return true;
	return key && x->in_key && key_eq(&x->rec.key, key);
}

/* Room for KEY at IP: the key's own entry goes, and an expired holder of
 * the address; FORCE evicts a live holder too (replay: the journal's
 * order is the truth). */
static int make_room(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		     struct in_addr ip, time_t now, bool force)
{
	struct ent *h = find_ip(db, ip), *own = find_key(db, key);

	if (h && h != own && h->rec.expires > now && !force)
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
	return rec->state == FP_DHCP_LEASE_BOUND ? journal(db, rec, FP_DHCP_LEASE_BOUND) : 0;
}

int fp_dhcp_db_release(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		       enum fp_dhcp_lease_state state)
{
	struct ent *x = find_key(db, key);
	struct fp_dhcp_lease_rec r;

	if (!x)
		return -ENOENT;
	r = x->rec;
	remove_ent(db, x);
	return r.state == FP_DHCP_LEASE_BOUND ? journal(db, &r, state) : 0;
}

int fp_dhcp_db_decline(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		       const uint8_t chaddr[6], struct in_addr ip, time_t until)
{
	struct fp_dhcp_lease_rec r = { .key = *key, .ip = ip, .expires = until,
				       .state = FP_DHCP_LEASE_DECLINED };
	int err;

	memcpy(r.chaddr, chaddr, 6);
	err = make_room(db, key, ip, 0, true);
	if (!err)
		err = insert_ent(db, &r, false);
	return err ? err : journal(db, &r, FP_DHCP_LEASE_DECLINED);
}

int fp_dhcp_db_sync(struct fp_dhcp_db *db)
{
	if (db->fd < 0 || !db->dirty)
		return 0;
	if (fsync(db->fd))
		return -errno;
	db->dirty = false;
	return 0;
}

size_t fp_dhcp_db_expire(struct fp_dhcp_db *db, time_t now,
			 void (*fn)(void *ctx, const struct fp_dhcp_lease_rec *rec),
			 void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < db->cap; i++) {
		struct ent *x = &db->e[i];
		struct fp_dhcp_lease_rec r;

		if (!x->used || x->rec.expires > now)
			continue;
		r = x->rec;
		if (fn)
			fn(ctx, &r);
		remove_ent(db, x);
		if (r.state == FP_DHCP_LEASE_BOUND)
			journal(db, &r, FP_DHCP_LEASE_EXPIRED);
		n++;
	}
	return n;
}

int fp_dhcp_db_each(const struct fp_dhcp_db *db,
		    int (*fn)(void *ctx, const struct fp_dhcp_lease_rec *rec),
		    void *ctx)
{
	for (size_t i = 0; i < db->cap; i++) {
		int rc;

		if (!db->e[i].used)
			continue;
		rc = fn(ctx, &db->e[i].rec);
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
static int replay_one(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *r)
{
	struct ent *own;
	int err;

	switch (r->state) {
	case FP_DHCP_LEASE_BOUND:
		err = make_room(db, &r->key, r->ip, 0, true);
		return err ? err : insert_ent(db, r, true);
	case FP_DHCP_LEASE_DECLINED:
		err = make_room(db, &r->key, r->ip, 0, true);
		return err ? err : insert_ent(db, r, false);
	default:
		own = find_key(db, &r->key);
		if (own && own->rec.ip.s_addr == r->ip.s_addr)
			remove_ent(db, own);
		return 0;
	}
}

static int read_all(int fd, uint8_t **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *nb = realloc(b, cap * 2);

			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(b);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Replay FD into DB; ENDED (may be NULL) gets the last RELEASED/EXPIRED
 * record of each key, in its key index. */
static int replay_fd(int fd, struct fp_dhcp_db *db, struct fp_dhcp_db *ended)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = read_all(fd, &buf, &len);

	if (err)
		return err;
	for (size_t off = 0; off + JREC_SIZE <= len; off += JREC_SIZE) {
		struct fp_dhcp_lease_rec r;

		if (decode(buf + off, &r))
			break;  /* the torn tail */
		err = replay_one(db, &r);
		if (!err && ended && (r.state == FP_DHCP_LEASE_RELEASED ||
				      r.state == FP_DHCP_LEASE_EXPIRED)) {
			struct ent *x = find_key(ended, &r.key);

			if (x)
				remove_ent(ended, x);
			/* ended is looked up by key only: addresses may repeat */
			err = insert_ent(ended, &r, true);
		}
		if (err)
			break;
	}
	free(buf);
	return err;
}

static int fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, err = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int fp_dhcp_db_compact(struct fp_dhcp_db *db)
{
	char tmp[PATH_MAX + 8];
	uint8_t b[JREC_SIZE];
	size_t n = 0;
	int fd, err = 0;

	if (db->fd < 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", db->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < db->cap && !err; i++) {
		const struct ent *x = &db->e[i];
		ssize_t w;

		if (!x->used || (x->rec.state != FP_DHCP_LEASE_BOUND &&
				 x->rec.state != FP_DHCP_LEASE_DECLINED))
			continue;
		encode(&x->rec, b);
		do {
			w = write(fd, b, sizeof(b));
		} while (w < 0 && errno == EINTR);
		if (w != (ssize_t)sizeof(b))
			err = w < 0 ? -errno : -EIO;
		n++;
	}
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && rename(tmp, db->path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	err = fsync_dir(db->path);
	fd = open(db->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(db->fd);
	db->fd = fd;
	db->jrecs = n;
	db->dirty = false;
	return err;
}

static void drop_expired(struct fp_dhcp_db *db, time_t now)
{
	for (size_t i = 0; i < db->cap; i++)
		if (db->e[i].used && db->e[i].rec.expires <= now)
			remove_ent(db, &db->e[i]);
}

int fp_dhcp_db_open(const char *path, time_t now, struct fp_dhcp_db **out)
{
	struct fp_dhcp_db *db;
	int fd, err;

	err = db_new(&db);
	if (err)
		return err;
	if (!path) {
		*out = db;
		return 0;
	}
	if (strlen(path) >= sizeof(db->path)) {
		fp_dhcp_db_close(db);
		return -ENAMETOOLONG;
	}
	strcpy(db->path, path);
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		fp_dhcp_db_close(db);
		return err;
	}
	db->fd = fd;
	err = replay_fd(fd, db, NULL);
	if (!err) {
		drop_expired(db, now);
		err = fp_dhcp_db_compact(db);
	}
	if (err) {
		fp_dhcp_db_close(db);
		return err;
	}
	*out = db;
	return 0;
}

struct collect {
	struct fp_dhcp_lease_rec *v;
	size_t n;
	const struct fp_dhcp_db *live;
	time_t now;
};

static int collect_live(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct collect *c = ctx;

	c->v[c->n] = *r;
	if (r->state == FP_DHCP_LEASE_BOUND && r->expires <= c->now)
		c->v[c->n].state = FP_DHCP_LEASE_EXPIRED;
	c->n++;
	return 0;
}

static int collect_ended(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct collect *c = ctx;

	if (fp_dhcp_db_by_key(c->live, &r->key))
		return 0;
	c->v[c->n++] = *r;
	return 0;
}

int fp_dhcp_leases_read(const char *path, struct fp_dhcp_lease_rec **out, size_t *n)
{
	struct fp_dhcp_db *live = NULL, *ended = NULL;
	struct collect c = { 0 };
	int fd, err;

	*out = NULL;
	*n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = db_new(&live);
	if (!err)
		err = db_new(&ended);
	if (!err)
		err = replay_fd(fd, live, ended);
	close(fd);
	if (!err) {
		c.v = calloc(live->count + ended->count + 1, sizeof(*c.v));
		if (!c.v)
			err = -ENOMEM;
	}
	if (!err) {
		c.live = live;
		c.now = time(NULL);
		fp_dhcp_db_each(live, collect_live, &c);
		fp_dhcp_db_each(ended, collect_ended, &c);
		*out = c.v;
		*n = c.n;
	}
	fp_dhcp_db_close(live);
	fp_dhcp_db_close(ended);
	return err;
}
