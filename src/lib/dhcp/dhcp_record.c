// SPDX-License-Identifier: BSD-2-Clause
/* The lease journal's records and reading them (dhcp_journal.c writes
 * them).
 *
 * A record (host byte order: the file never leaves the machine):
 *
 *   0  magic "FPL2"   4  length (u16, the whole record)   6  state
 *   7  hostname bytes 8  key (36)   44 chaddr   52 ip   56 pool
 *   60 expires (int64)   68 hostname   then a CRC-32 of all before it
 *
 * Magic, length and checksum make each record stand alone: a damaged or
 * torn record is skipped and the replay finds the next one by its magic,
 * so one bad byte never loses what follows it. Version 1 records (fixed
 * 136 bytes, "FPL1") are still read. A record never starts with a zero
 * byte, so replay ends where only zeros are left; a file of nothing but
 * zeros is an empty journal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dhcp_db.h"

#define V2_MAGIC   0x324c5046u /* "FPL2" */
#define V2_HEAD    68          /* up to the hostname */
#define V2_MIN     (V2_HEAD + 4)
#define V1_MAGIC   0x314c5046u /* "FPL1" */
#define V1_SIZE    136
#define J_STATE    6
#define J_HLEN     7
#define J_KEY      8
#define J_CHADDR   44
#define J_IP       52
#define J_POOL     56
#define J_EXPIRES  60

_Static_assert(FP_DHCP_REC_MAX == V2_HEAD + FP_DHCP_HOSTNAME_MAX - 1 + 4, "record size");

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

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* fp_dhcp_rec_encode: R as a record in B; returns its length. */
size_t fp_dhcp_rec_encode(const struct fp_dhcp_lease_rec *r, uint8_t b[FP_DHCP_REC_MAX])
{
	size_t hl = strnlen(r->hostname, FP_DHCP_HOSTNAME_MAX - 1), len = V2_MIN + hl;
	uint32_t magic = V2_MAGIC, crc;
	uint16_t l16 = (uint16_t)len;
	int64_t exp = r->expires;

	memset(b, 0, FP_DHCP_REC_MAX);
	memcpy(b, &magic, 4);
	memcpy(b + 4, &l16, 2);
	b[J_STATE] = (uint8_t)r->state;
	b[J_HLEN] = (uint8_t)hl;
	memcpy(b + J_KEY, &r->key, sizeof(r->key));
	memcpy(b + J_CHADDR, r->chaddr, 6);
	memcpy(b + J_IP, &r->ip.s_addr, 4);
	memcpy(b + J_POOL, &r->pool, 4);
	memcpy(b + J_EXPIRES, &exp, 8);
	memcpy(b + V2_HEAD, r->hostname, hl);
	crc = crc32(b, len - 4);
	memcpy(b + len - 4, &crc, 4);
	return len;
}

static bool state_ok(uint8_t s)
{
	return s >= FP_DHCP_LEASE_BOUND && s <= FP_DHCP_LEASE_EXPIRED;
}

/* fp_dhcp_rec_decode: the record at B (AVAIL bytes to the end of the file) into
 * *r; its length, or 0 when there is no whole valid record there. */
size_t fp_dhcp_rec_decode(const uint8_t *b, size_t avail, struct fp_dhcp_lease_rec *r)
{
	uint32_t magic;
	uint16_t len;
	int64_t exp;
	size_t hl;

	if (avail < 8)
		return 0;
	magic = get32(b);
	memset(r, 0, sizeof(*r));
	if (magic == V1_MAGIC) {
		if (avail < V1_SIZE || get32(b + 132) != crc32(b, 132) || !state_ok(b[4]))
			return 0;
		r->state = b[4];
		memcpy(&r->key, b + 8, sizeof(r->key));
		memcpy(r->chaddr, b + 44, 6);
		memcpy(&r->ip.s_addr, b + 52, 4);
		memcpy(&r->pool, b + 56, 4);
		memcpy(&exp, b + 60, 8);
		r->expires = (time_t)exp;
		memcpy(r->hostname, b + 68, FP_DHCP_HOSTNAME_MAX - 1);
		r->hostname[FP_DHCP_HOSTNAME_MAX - 1] = '\0';
		return V1_SIZE;
	}
	if (magic != V2_MAGIC)
		return 0;
	memcpy(&len, b + 4, 2);
	hl = b[J_HLEN];
	if (len < V2_MIN || len > FP_DHCP_REC_MAX || len > avail || len != V2_MIN + hl ||
	    get32(b + len - 4) != crc32(b, len - 4) || !state_ok(b[J_STATE]))
		return 0;
	r->state = b[J_STATE];
	memcpy(&r->key, b + J_KEY, sizeof(r->key));
	memcpy(r->chaddr, b + J_CHADDR, 6);
	memcpy(&r->ip.s_addr, b + J_IP, 4);
	memcpy(&r->pool, b + J_POOL, 4);
	memcpy(&exp, b + J_EXPIRES, 8);
	r->expires = (time_t)exp;
	memcpy(r->hostname, b + V2_HEAD, hl);
	for (size_t i = 0; i < hl; i++)
		if (!r->hostname[i])
			return 0;
	return len;
}

/* zeros_from: where the zeros that end BUF begin (LEN when it does not
 * end in a zero): the room kept after the last record. */
static size_t zeros_from(const uint8_t *buf, size_t len)
{
	while (len && !buf[len - 1])
		len--;
	return len;
}

/* fp_dhcp_rec_replay: every valid record of BUF through FN, in order; a damaged
 * stretch is skipped (the next record found by its magic), counted in
 * *info and logged with its offset through LOG. The zeros at the end are
 * room, not damage. *END: where the next record goes (after the last
 * record and anything unreadable, where the room begins). */
int fp_dhcp_rec_replay(const char *path, const uint8_t *buf, size_t len, fp_dhcp_replay_fn fn,
		       void *ctx, const struct fp_logger *log, struct fp_dhcp_db_info *info, size_t *end)
{
	size_t off = 0, bad_at = 0, room = zeros_from(buf, len);
	bool in_bad = false;

	*end = room;
	while (off < len) {
		struct fp_dhcp_lease_rec r;
		size_t n = fp_dhcp_rec_decode(buf + off, len - off, &r);
		int err;

		if (!n) {
			if (off >= room)
				break;
			if (!in_bad)
				bad_at = off;
			in_bad = true;
			off++;
			continue;
		}
		if (in_bad) {
			info->damaged++;
			info->damaged_bytes += off - bad_at;
			fp_log(log, FP_LOG_WARN, "dhcp: lease file %s: %zu damaged bytes at offset "
			       "%zu skipped; the records after them are read", path, off - bad_at,
			       bad_at);
			in_bad = false;
		}
		err = fn(ctx, &r);
		if (err)
			return err;
		info->records++;
		off += n;
		if (off > *end)
			*end = off;   /* a record may end in zero bytes */
	}
	if (in_bad) {
		info->damaged++;
		info->damaged_bytes += off - bad_at;
		fp_log(log, FP_LOG_WARN, "dhcp: lease file %s: %zu unreadable bytes at its end "
		       "(offset %zu) skipped", path, off - bad_at, bad_at);
	}
	return 0;
}

/* fp_dhcp_rec_ours: BUF is a lease journal (or empty): a record was read, or it
 * starts with a record's magic (one torn record and nothing else), or it
 * is nothing but zeros (room whose first record never reached the disk:
 * it holds nothing to lose). */
bool fp_dhcp_rec_ours(const uint8_t *buf, size_t len, const struct fp_dhcp_db_info *info)
{
	if (!zeros_from(buf, len) || info->records)
		return true;
	return len >= 4 && (get32(buf) == V2_MAGIC || get32(buf) == V1_MAGIC);
}

int fp_dhcp_read_all(int fd, uint8_t **buf, size_t *len)
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

struct two {
	struct fp_dhcp_db *live, *ended;
};

/* Into LIVE; ENDED gets each key's last RELEASED/EXPIRED record. */
static int replay_two(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct two *t = ctx;
	struct fp_dhcp_ent *x;
	int err = fp_dhcp_db_replay_one(t->live, r);

	if (err || (r->state != FP_DHCP_LEASE_RELEASED && r->state != FP_DHCP_LEASE_EXPIRED))
		return err;
	x = fp_dhcp_db_find_key(t->ended, &r->key);
	if (x)
		fp_dhcp_db_remove(t->ended, x);
	/* ended is looked up by key only: addresses may repeat */
	return fp_dhcp_db_insert(t->ended, r, true);
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

	if (fp_dhcp_db_find_key(c->live, &r->key))
		return 0;
	c->v[c->n++] = *r;
	return 0;
}

int fp_dhcp_leases_read(const char *path, struct fp_dhcp_lease_rec **out, size_t *n)
{
	struct two t = { 0 };
	struct fp_dhcp_db_info info = { 0 };
	struct collect c = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0, end;
	int fd, err;

	*out = NULL;
	*n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = fp_dhcp_read_all(fd, &buf, &len);
	close(fd);
	if (!err)
		err = fp_dhcp_db_new(&t.live);
	if (!err)
		err = fp_dhcp_db_new(&t.ended);
	if (!err)
		err = fp_dhcp_rec_replay(path, buf, len, replay_two, &t, NULL, &info, &end);
	if (!err && !fp_dhcp_rec_ours(buf, len, &info))
		err = -EBADMSG;
	if (!err) {
		c.v = calloc(fp_dhcp_db_count(t.live) + fp_dhcp_db_count(t.ended) + 1, sizeof(*c.v));
		if (!c.v)
			err = -ENOMEM;
	}
	if (!err) {
		c.live = t.live;
		c.now = time(NULL);
		fp_dhcp_db_each(t.live, collect_live, &c);
		fp_dhcp_db_each(t.ended, collect_ended, &c);
		*out = c.v;
		*n = c.n;
	}
	free(buf);
	fp_dhcp_db_close(t.live);
	fp_dhcp_db_close(t.ended);
	return err;
}
