// SPDX-License-Identifier: BSD-2-Clause
/* The lease journal: an append-only file of self-delimiting records,
 * replayed at open and compacted (temp file, fsync, rename, fsync of the
 * directory).
 *
 * A record (host byte order: the file never leaves the machine):
 *
 *   0  magic "FPL2"   4  length (u16, the whole record)   6  state
 *   7  hostname bytes 8  key (36)   44 chaddr   52 ip   56 pool
 *   60 expires (int64)   68 hostname   then a CRC-32 of all before it
 *
 * Magic, length and checksum make each record stand alone: a damaged or
 * torn record is skipped and the replay finds the next one by its magic,
 * so one bad byte never loses what follows it. A failed or short write is
 * cut back to the last whole record, and the journal then takes nothing
 * more until a compaction has written the whole database afresh: after a
 * failed fsync the kernel may have dropped pages we cannot name. Version
 * 1 records (fixed 136 bytes, "FPL1") are still read.
 *
 * The file ends in zeros up to the end of the block its last record
 * reaches: records are written into that room, so most appends leave the
 * file's size alone and fdatasync writes the one data block and no inode
 * (on ext4 on a virtio disk: ~280 us against fsync's ~425 us when each
 * append grew the file). The room never takes a block the file would
 * not take anyway, so a full disk fails the same writes as before. A
 * record never starts with a zero byte, so replay ends where only zeros
 * are left; a file of nothing but zeros is an empty journal. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "dhcp_db.h"

#define V2_MAGIC   0x324c5046u /* "FPL2" */
#define V2_HEAD    68          /* up to the hostname */
#define V2_MIN     (V2_HEAD + 4)
#define V2_MAX     (V2_HEAD + FP_DHCP_HOSTNAME_MAX - 1 + 4)
#define V1_MAGIC   0x314c5046u /* "FPL1" */
#define V1_SIZE    136
#define J_STATE    6
#define J_HLEN     7
#define J_KEY      8
#define J_CHADDR   44
#define J_IP       52
#define J_POOL     56
#define J_EXPIRES  60
#define J_BLOCK    4096        /* the room at the end reaches a multiple of this */

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

/* encode: R as a record in B; returns its length. */
static size_t encode(const struct fp_dhcp_lease_rec *r, uint8_t b[V2_MAX])
{
	size_t hl = strnlen(r->hostname, FP_DHCP_HOSTNAME_MAX - 1), len = V2_MIN + hl;
	uint32_t magic = V2_MAGIC, crc;
	uint16_t l16 = (uint16_t)len;
	int64_t exp = r->expires;

	memset(b, 0, V2_MAX);
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

/* decode_at: the record at B (AVAIL bytes to the end of the file) into
 * *r; its length, or 0 when there is no whole valid record there. */
static size_t decode_at(const uint8_t *b, size_t avail, struct fp_dhcp_lease_rec *r)
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
	if (len < V2_MIN || len > V2_MAX || len > avail || len != V2_MIN + hl ||
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

typedef int (*replay_fn)(void *ctx, const struct fp_dhcp_lease_rec *r);

/* zeros_from: where the zeros that end BUF begin (LEN when it does not
 * end in a zero): the room kept after the last record. */
static size_t zeros_from(const uint8_t *buf, size_t len)
{
	while (len && !buf[len - 1])
		len--;
	return len;
}

/* replay: every valid record of BUF through FN, in order; a damaged
 * stretch is skipped (the next record found by its magic), counted in
 * *info and logged with its offset through LOG. The zeros at the end are
 * room, not damage. *END: where the next record goes (after the last
 * record and anything unreadable, where the room begins). */
static int replay(const char *path, const uint8_t *buf, size_t len, replay_fn fn, void *ctx,
		  const struct fp_logger *log, struct fp_dhcp_db_info *info, size_t *end)
{
	size_t off = 0, bad_at = 0, room = zeros_from(buf, len);
	bool in_bad = false;

	*end = room;
	while (off < len) {
		struct fp_dhcp_lease_rec r;
		size_t n = decode_at(buf + off, len - off, &r);
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

/* ours: BUF is a lease journal (or empty): a record was read, or it
 * starts with a record's magic (one torn record and nothing else), or it
 * is nothing but zeros (room whose first record never reached the disk:
 * it holds nothing to lose). */
static bool ours(const uint8_t *buf, size_t len, const struct fp_dhcp_db_info *info)
{
	if (!zeros_from(buf, len) || info->records)
		return true;
	return len >= 4 && (get32(buf) == V2_MAGIC || get32(buf) == V1_MAGIC);
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

static ssize_t do_write(const struct fp_dhcp_db *db, int fd, const void *b, size_t n)
{
	ssize_t w;

	do {
		w = db->ops.write ? db->ops.write(fd, b, n) : write(fd, b, n);
	} while (w < 0 && errno == EINTR);
	return w;
}

/* do_fsync: FD's data and what reading it back needs (its size when it
 * changed); its times are not worth a second write. */
static int do_fsync(const struct fp_dhcp_db *db, int fd)
{
	return db->ops.fsync ? db->ops.fsync(fd) : fdatasync(fd);
}

/* make_room: FD, whose records end at SIZE, filled with zeros to the
 * end of that block; the file's new size. Room that cannot be written
 * (a full disk) is only a dearer sync later: what was written stays. */
static off_t make_room(int fd, off_t size)
{
	static const uint8_t zeros[J_BLOCK];
	off_t want = (size + J_BLOCK - 1) / J_BLOCK * J_BLOCK;
	ssize_t n;

	if (want == size)
		return size;
	do {
		n = pwrite(fd, zeros, (size_t)(want - size), size);
	} while (n < 0 && errno == EINTR);
	return n > 0 ? size + n : size;
}

/* stop: the journal failed with ERR; said once. */
static int stop(struct fp_dhcp_db *db, int err, const char *what)
{
	if (!db->failed)
		fp_log(&db->log, FP_LOG_ERROR, "dhcp: cannot %s the lease file %s: %s; no new "
		       "lease is granted until it can be written", what, db->path, strerror(-err));
	db->failed = err;
	return err;
}

/* whole_prefix: how many of B's first N bytes (whole records encoded one
 * after another) are whole records; their count in *RECS. */
static size_t whole_prefix(const uint8_t *b, size_t n, size_t *recs)
{
	struct fp_dhcp_lease_rec r;
	size_t off = 0, len;

	*recs = 0;
	while ((len = decode_at(b + off, n - off, &r))) {
		off += len;
		(*recs)++;
	}
	return off;
}

/* append: LEN bytes of RECS whole records written at the journal's end,
 * in one write. A short write keeps the whole records it wrote and cuts
 * the rest off, so nothing half-written stays in front of the next
 * record (the room after it goes too); it and a failed one stop the
 * journal. */
static int append(struct fp_dhcp_db *db, const uint8_t *b, size_t len, size_t recs)
{
	ssize_t n = do_write(db, db->fd, b, len);

	if (n != (ssize_t)len) {
		int err = n < 0 ? -errno : -ENOSPC;
		size_t keep = 0, kept = 0;

		if (n > 0) {
			keep = whole_prefix(b, (size_t)n, &kept);
			if (ftruncate(db->fd, db->size + (off_t)keep))
				fp_log(&db->log, FP_LOG_WARN, "dhcp: cannot cut the torn record "
				       "off %s: %s; the next replay skips it", db->path,
				       strerror(errno));
			db->size += (off_t)keep;
			db->room = db->size;
			db->jrecs += kept;
			db->dirty = db->dirty || kept;
			lseek(db->fd, db->size, SEEK_SET);
		}
		return stop(db, err, "write");
	}
	db->size += (off_t)len;
	if (db->size > db->room)
		db->room = make_room(db->fd, db->size);
	db->jrecs += recs;
	db->dirty = true;
	return 0;
}

/* flush_held: the batch's records so far, written. */
static int flush_held(struct fp_dhcp_db *db)
{
	size_t len = db->held_len, recs = db->held_recs;

	db->held_len = db->held_recs = 0;
	return len ? append(db, db->held, len, recs) : 0;
}

int fp_dhcp_journal(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *r,
		    enum fp_dhcp_lease_state state)
{
	struct fp_dhcp_lease_rec c = *r;
	uint8_t b[V2_MAX];
	size_t len;

	if (db->fd < 0)
		return 0;
	if (db->failed)
		return db->failed;
	c.state = state;
	len = encode(&c, b);
	if (!db->batch)
		return append(db, b, len, 1);
	if (db->held_len + len > sizeof(db->held) && flush_held(db))
		return 0;   /* the batch's sync reports it */
	memcpy(db->held + db->held_len, b, len);
	db->held_len += len;
	db->held_recs++;
	return 0;
}

void fp_dhcp_db_batch(struct fp_dhcp_db *db)
{
	db->batch = db->fd >= 0;
}

int fp_dhcp_db_sync(struct fp_dhcp_db *db)
{
	db->batch = false;
	if (db->fd < 0)
		return 0;
	if (db->failed) {
		db->held_len = db->held_recs = 0;
		return db->failed;
	}
	if (flush_held(db))
		return db->failed;
	if (!db->dirty)
		return 0;
	if (do_fsync(db, db->fd))
		return stop(db, -errno, "sync");
	db->dirty = false;
	return 0;
}

bool fp_dhcp_db_writable(const struct fp_dhcp_db *db)
{
	return !db->failed;
}

const struct fp_dhcp_db_info *fp_dhcp_db_info(const struct fp_dhcp_db *db)
{
	return &db->info;
}

void fp_dhcp_journal_close(struct fp_dhcp_db *db)
{
	/* A batch's records reach the file as unbatched ones would have. */
	if (db->fd >= 0 && !db->failed)
		flush_held(db);
	db->held_len = db->held_recs = 0;
	if (db->fd >= 0)
		close(db->fd);
	db->fd = -1;
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

/* set_owner: FD gets the database's mode and group. */
static int set_owner(const struct fp_dhcp_db *db, int fd)
{
	if (db->gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)db->gid))
		return -errno;
	return fchmod(fd, db->mode) ? -errno : 0;
}

/* create_new: a new file beside the journal, O_EXCL|O_NOFOLLOW: nothing
 * planted there (a symbolic link, an older file) is ever opened. */
static int create_new(const struct fp_dhcp_db *db, char *tmp, size_t size)
{
	static unsigned int seq;

	for (int i = 0; i < 100; i++) {
		int fd, err;

		snprintf(tmp, size, "%s.tmp-%d-%u", db->path, (int)getpid(), ++seq);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, db->mode);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		err = set_owner(db, fd);
		if (err) {
			close(fd);
			unlink(tmp);
			return err;
		}
		return fd;
	}
	return -EEXIST;
}

struct writer {
	struct fp_dhcp_db *db;
	int fd, err;
	size_t n;
	off_t size;
};

static int write_entry(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	struct writer *w = ctx;
	uint8_t b[V2_MAX];
	size_t len;

	if (r->state != FP_DHCP_LEASE_BOUND && r->state != FP_DHCP_LEASE_DECLINED)
		return 0;
	len = encode(r, b);
	errno = 0;
	if (do_write(w->db, w->fd, b, len) != (ssize_t)len) {
		w->err = errno ? -errno : -ENOSPC;
		return 1;
	}
	w->n++;
	w->size += (off_t)len;
	return 0;
}

int fp_dhcp_db_compact(struct fp_dhcp_db *db)
{
	char tmp[PATH_MAX + 32];
	struct writer w = { .db = db };
	bool was_failed = db->failed != 0;
	off_t room = 0;
	int err;

	if (db->fd < 0)
		return 0;
	w.fd = create_new(db, tmp, sizeof(tmp));
	if (w.fd < 0)
		return w.fd;
	fp_dhcp_db_each(db, write_entry, &w);
	err = w.err;
	if (!err)
		room = make_room(w.fd, w.size);
	if (!err && do_fsync(db, w.fd))
		err = -errno;
	if (!err && rename(tmp, db->path))
		err = -errno;
	if (err) {
		close(w.fd);
		unlink(tmp);
		return err;
	}
	err = fsync_dir(db->path);
	close(db->fd);
	db->fd = w.fd;
	db->jrecs = w.n;
	db->held_len = db->held_recs = 0;   /* in the new file already */
	db->size = w.size;
	db->room = room;
	db->dirty = false;
	if (err)
		return stop(db, err, "sync the directory of");
	db->failed = 0;
	if (was_failed)
		fp_log(&db->log, FP_LOG_INFO, "dhcp: the lease file %s is writable again: %zu "
		       "records written", db->path, w.n);
	return 0;
}

int fp_dhcp_db_recover(struct fp_dhcp_db *db)
{
	return db->fd < 0 || !db->failed ? 0 : fp_dhcp_db_compact(db);
}

/* keep_aside: the journal as it is, under PATH.bad-TIMESTAMP (a hard
 * link: no byte of the disk needed), before compaction drops bytes. */
static int keep_aside(struct fp_dhcp_db *db)
{
	char *kept = db->info.kept, stamp[20];
	size_t size = sizeof(db->info.kept);
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(kept, size, "%s.bad-%s-%d", db->path, stamp, i & 0xff);
		else
			snprintf(kept, size, "%s.bad-%s", db->path, stamp);
		if (!link(db->path, kept)) {
			fp_log(&db->log, FP_LOG_WARN, "dhcp: the damaged lease file is kept as %s",
			       kept);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	kept[0] = '\0';
	return -errno;
}

/* open_file: the journal PATH, opened without following a link, or
 * created (O_EXCL|O_NOFOLLOW) when absent. Not O_APPEND: records go
 * into the room before the end of the file. */
static int open_file(struct fp_dhcp_db *db, bool *created)
{
	struct stat st;
	int fd, err;

	*created = false;
	fd = open(db->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(db->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, db->mode);
		*created = fd >= 0;
	}
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP)
			fp_log(&db->log, FP_LOG_ERROR, "dhcp: the lease file %s is a symbolic link; "
			       "it is never followed: name the real file in dhcp.lease_file", db->path);
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fp_log(&db->log, FP_LOG_ERROR, "dhcp: the lease file %s is not a regular file",
		       db->path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int replay_into(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	return fp_dhcp_db_replay_one(ctx, r);
}

static void drop_expired(struct fp_dhcp_db *db, time_t now)
{
	for (size_t i = 0; i < db->cap; i++)
		if (db->e[i].used && db->e[i].rec.expires <= now)
			fp_dhcp_db_remove(db, &db->e[i]);
}

/* load: replay the open journal into DB; -EBADMSG when it is not one. */
static int load(struct fp_dhcp_db *db)
{
	uint8_t *buf = NULL;
	size_t len = 0, end;
	int err = read_all(db->fd, &buf, &len);

	if (err)
		return err;
	err = replay(db->path, buf, len, replay_into, db, &db->log, &db->info, &end);
	if (!err && !ours(buf, len, &db->info)) {
		fp_log(&db->log, FP_LOG_ERROR, "dhcp: %s is not a fastpath lease file (%zu bytes, "
		       "no lease record); it is left as it is: name another dhcp.lease_file or "
		       "move it away", db->path, len);
		err = -EBADMSG;
	}
	free(buf);
	db->size = (off_t)end;
	db->room = (off_t)len;
	if (!err && lseek(db->fd, db->size, SEEK_SET) < 0)
		err = -errno;
	if (!err)
		err = set_owner(db, db->fd);
	return err;
}

int fp_dhcp_db_open_opts(const char *path, time_t now, const struct fp_dhcp_db_opts *opts,
			 struct fp_dhcp_db **out)
{
	struct fp_dhcp_db *db;
	bool created;
	int err;

	err = fp_dhcp_db_new(&db);
	if (err)
		return err;
	db->mode = opts && opts->mode ? opts->mode : 0600;
	db->gid = opts ? opts->gid : -1;
	if (opts && opts->ops)
		db->ops = *opts->ops;
	if (opts && opts->log)
		db->log = *opts->log;
	if (!path) {
		*out = db;
		return 0;
	}
	if (strlen(path) >= sizeof(db->path)) {
		fp_dhcp_db_close(db);
		return -ENAMETOOLONG;
	}
	strcpy(db->path, path);
	err = open_file(db, &created);
	if (err < 0) {
		fp_dhcp_db_close(db);
		return err;
	}
	db->fd = err;
	(void)created;
	err = load(db);
	if (err) {
		fp_dhcp_db_close(db);
		return err;
	}
	drop_expired(db, now);
	/* Unreadable bytes are kept aside before the compaction drops them;
	 * when they cannot be, the file stays as it is and grows. */
	if (db->info.damaged && keep_aside(db)) {
		fp_log(&db->log, FP_LOG_WARN, "dhcp: cannot keep the damaged %s aside (%s): "
		       "not compacting it", path, strerror(errno));
		*out = db;
		return 0;
	}
	err = fp_dhcp_db_compact(db);
	if (err)
		stop(db, err, "rewrite");
	*out = db;
	return 0;
}

int fp_dhcp_db_open(const char *path, time_t now, struct fp_dhcp_db **out)
{
	return fp_dhcp_db_open_opts(path, now, NULL, out);
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

	if (fp_dhcp_db_by_key(c->live, &r->key))
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
	err = read_all(fd, &buf, &len);
	close(fd);
	if (!err)
		err = fp_dhcp_db_new(&t.live);
	if (!err)
		err = fp_dhcp_db_new(&t.ended);
	if (!err)
		err = replay(path, buf, len, replay_two, &t, NULL, &info, &end);
	if (!err && !ours(buf, len, &info))
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
