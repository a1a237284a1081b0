// SPDX-License-Identifier: BSD-2-Clause
/* The lease journal: an append-only file of self-delimiting records
 * (dhcp_record.c), replayed at open and compacted (temp file, fsync,
 * rename, fsync of the directory).
 *
 * A failed or short write is cut back to the last whole record, and the
 * journal then takes nothing more until a compaction has written the
 * whole database afresh: after a failed fsync the kernel may have
 * dropped pages we cannot name.
 *
 * The file ends in zeros up to the end of the block its last record
 * reaches: records are written into that room, so most appends leave the
 * file's size alone and fdatasync writes the one data block and no inode
 * (on ext4 on a virtio disk: ~280 us against fsync's ~425 us when each
 * append grew the file). The room never takes a block the file would
 * not take anyway, so a full disk fails the same writes as before. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "dhcp_db.h"

#define J_BLOCK    4096        /* the room at the end reaches a multiple of this */

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
	while ((len = fp_dhcp_rec_decode(b + off, n - off, &r))) {
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
	uint8_t b[FP_DHCP_REC_MAX];
	size_t len;

	if (db->fd < 0)
		return 0;
	if (db->failed)
		return db->failed;
	c.state = state;
	len = fp_dhcp_rec_encode(&c, b);
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

/* replaced: the journal's path no longer names the file we write (moved,
 * removed or replaced under us): what we write would not be read at the
 * next start. The journal then stops (no ACK leaves) until a compaction
 * writes the whole database at the path again. */
static bool replaced(const struct fp_dhcp_db *db)
{
	struct stat a, b;

	if (fstat(db->fd, &a))
		return true;
	return a.st_nlink == 0 || lstat(db->path, &b) || a.st_dev != b.st_dev ||
	       a.st_ino != b.st_ino;
}

int fp_dhcp_db_sync(struct fp_dhcp_db *db)
{
	db->batch = false;
	if (db->fd < 0)
		return 0;
	if (!db->failed && (db->held_len || db->dirty) && replaced(db))
		stop(db, -ESTALE, "find (it was moved or replaced)");
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
	uint8_t b[FP_DHCP_REC_MAX];
	size_t len;

	if (r->state != FP_DHCP_LEASE_BOUND && r->state != FP_DHCP_LEASE_DECLINED)
		return 0;
	len = fp_dhcp_rec_encode(r, b);
	errno = 0;
	if (do_write(w->db, w->fd, b, len) != (ssize_t)len) {
		w->err = errno ? -errno : -ENOSPC;
		return 1;
	}
	w->n++;
	w->size += (off_t)len;
	return 0;
}

static int keep_aside(struct fp_dhcp_db *db, const char *why, const char *what);

int fp_dhcp_db_compact(struct fp_dhcp_db *db)
{
	char tmp[PATH_MAX + 32];
	struct writer w = { .db = db };
	bool was_failed = db->failed != 0;
	off_t room = 0;
	int err;

	if (db->fd < 0)
		return 0;
	/* A file put at the path while the journal was elsewhere (moved,
	 * replaced: fp_dhcp_db_sync) is not ours to write over. */
	if (db->failed == -ESTALE && !access(db->path, F_OK)) {
		err = keep_aside(db, "replaced", "file found at the lease file's path");
		if (err)
			return err;
	}
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

/* keep_aside: the file at the journal's path as it is, under
 * PATH.WHY-TIMESTAMP (a hard link: no byte of the disk needed), before a
 * compaction drops bytes of it or writes over it; WHAT names it in the log. */
static int keep_aside(struct fp_dhcp_db *db, const char *why, const char *what)
{
	char *kept = db->info.kept, stamp[20];
	size_t size = sizeof(db->info.kept);
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(kept, size, "%s.%s-%s-%d", db->path, why, stamp, i & 0xff);
		else
			snprintf(kept, size, "%s.%s-%s", db->path, why, stamp);
		if (!link(db->path, kept)) {
			fp_log(&db->log, FP_LOG_WARN, "dhcp: the %s is kept as %s", what, kept);
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
	for (size_t i = 0; i < db->top; i++)
		if (db->e[i].state && db->e[i].expires <= now)
			fp_dhcp_db_remove(db, &db->e[i]);
}

/* load: replay the open journal into DB; -EBADMSG when it is not one. */
static int load(struct fp_dhcp_db *db)
{
	uint8_t *buf = NULL;
	size_t len = 0, end;
	int err = fp_dhcp_read_all(db->fd, &buf, &len);

	if (err)
		return err;
	err = fp_dhcp_rec_replay(db->path, buf, len, replay_into, db, &db->log, &db->info, &end);
	if (!err && !fp_dhcp_rec_ours(buf, len, &db->info)) {
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
	if (db->info.damaged && keep_aside(db, "bad", "damaged lease file")) {
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
