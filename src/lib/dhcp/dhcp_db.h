/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the lease database: the in-memory index (dhcp_lease.c) and the
 * journal that persists it (dhcp_journal.c) share this. Not public. */
#ifndef FP_DHCP_DB_H
#define FP_DHCP_DB_H

#include <limits.h>
#include <fastpath/dhcp.h>

/* A batch's records wait for its sync in one buffer this long (about a
 * hundred records); a fuller batch writes what it holds and goes on. */
#define FP_DHCP_HELD_MAX 16384

/* An entry: a lease record's fields without its padding, the hostname
 * apart (most clients send none): 80 bytes, where the record is 136. */
struct fp_dhcp_ent {
	struct fp_dhcp_key key;
	uint8_t chaddr[6];
	uint8_t state;          /* enum fp_dhcp_lease_state; 0: not used */
	bool in_key;            /* OFFERED or BOUND: the key's entry */
	struct in_addr ip;
	uint32_t pool;
	int32_t next_key;       /* chain in bkey, or the free list */
	int32_t next_ip;        /* chain in bip */
	time_t expires;
	char *hostname;         /* NULL: none */
};

struct fp_dhcp_db {
	struct fp_dhcp_ent *e;
	size_t cap, count;
	size_t top;             /* e[top..cap) never used: not even written, so
				 * unused capacity costs no memory */
	int32_t free_head;      /* entries used and removed */
	int32_t *bkey, *bip;
	size_t nb;              /* buckets, a power of two */
	/* the journal */
	int fd;                 /* -1: memory only */
	char path[PATH_MAX];
	size_t jrecs;           /* records since the last compaction */
	off_t size;             /* where the next record goes: after the last one */
	off_t room;             /* the file's size: zeros from size to here */
	bool dirty;             /* written since the last fsync */
	bool batch;             /* records wait in held for the next sync */
	size_t held_len;        /* bytes of whole records in held */
	size_t held_recs;
	uint8_t held[FP_DHCP_HELD_MAX];
	int failed;             /* 0, or the -errno that stopped the journal */
	unsigned int mode;
	long gid;
	struct fp_dhcp_file_ops ops;
	struct fp_logger log;
	struct fp_dhcp_db_info info;
};

/* fp_dhcp_db_new: an empty database in memory. */
int fp_dhcp_db_new(struct fp_dhcp_db **out);

/* fp_dhcp_db_replay_one: apply one journal record (the journal's order is
 * the truth: a live holder of the address gives way). */
int fp_dhcp_db_replay_one(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *r);

/* fp_dhcp_ent_rec: X as a record in *R; R. */
struct fp_dhcp_lease_rec *fp_dhcp_ent_rec(const struct fp_dhcp_ent *x, struct fp_dhcp_lease_rec *r);

/* fp_dhcp_db_find_key: KEY's OFFERED or BOUND entry, or NULL. */
struct fp_dhcp_ent *fp_dhcp_db_find_key(const struct fp_dhcp_db *db,
					const struct fp_dhcp_key *key);

/* fp_dhcp_db_insert / _remove: index and unindex one entry. */
int fp_dhcp_db_insert(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *rec, bool in_key);
void fp_dhcp_db_remove(struct fp_dhcp_db *db, struct fp_dhcp_ent *x);

/* ---- records (dhcp_record.c) ---- */

/* The longest record: a v2 record with the longest hostname. */
#define FP_DHCP_REC_MAX (68 + FP_DHCP_HOSTNAME_MAX - 1 + 4)

typedef int (*fp_dhcp_replay_fn)(void *ctx, const struct fp_dhcp_lease_rec *r);

/* fp_dhcp_rec_encode: R as a record in B; its length. */
size_t fp_dhcp_rec_encode(const struct fp_dhcp_lease_rec *r, uint8_t b[FP_DHCP_REC_MAX]);

/* fp_dhcp_rec_decode: the whole, valid record at the start of B's AVAIL
 * bytes into R; its length, 0 when there is none. */
size_t fp_dhcp_rec_decode(const uint8_t *b, size_t avail, struct fp_dhcp_lease_rec *r);

/* fp_dhcp_rec_replay: every valid record of BUF through FN, in order; a
 * damaged stretch is skipped, counted in *INFO and logged with its
 * offset through LOG (NULL: not logged). *END: where the next record
 * goes. */
int fp_dhcp_rec_replay(const char *path, const uint8_t *buf, size_t len, fp_dhcp_replay_fn fn,
		       void *ctx, const struct fp_logger *log, struct fp_dhcp_db_info *info,
		       size_t *end);

/* fp_dhcp_rec_ours: BUF, replayed into INFO, is a lease journal (or
 * empty), not somebody else's file. */
bool fp_dhcp_rec_ours(const uint8_t *buf, size_t len, const struct fp_dhcp_db_info *info);

/* fp_dhcp_read_all: FD's whole content into *BUF (malloc'ed), *LEN. */
int fp_dhcp_read_all(int fd, uint8_t **buf, size_t *len);

/* ---- the journal (dhcp_journal.c) ---- */

/* fp_dhcp_journal: append R with STATE to the journal (nothing when memory
 * only); in a batch (fp_dhcp_db_batch) R waits in db->held for the sync.
 * A failed or short write is cut back to the last whole record and
 * stops the journal (db->failed) until fp_dhcp_db_recover. */
int fp_dhcp_journal(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *r,
		    enum fp_dhcp_lease_state state);

/* fp_dhcp_journal_close: close the file (fp_dhcp_db_close's part). */
void fp_dhcp_journal_close(struct fp_dhcp_db *db);

#endif
