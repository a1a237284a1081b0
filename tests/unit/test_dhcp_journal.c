// SPDX-License-Identifier: BSD-2-Clause
/* The lease journal under faults (src/lib/dhcp/dhcp_journal.c): a damaged
 * middle record, a short write, a failed fsync, a full disk at open, a
 * foreign file or a symbolic link as the lease file, the files' modes.
 * Faults are injected through struct fp_dhcp_file_ops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <fastpath/dhcp.h>

/* where fp_dhcp_db_by_key/_by_ip copy what they find */
static struct fp_dhcp_lease_rec found;

#define NOW 1700000000
#define REC_SIZE 78 /* a record with a 6-byte hostname */

static char dir[64], path[128], logbuf[8192];

static void collect_log(void *ctx, enum fp_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	strncat(logbuf, msg, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
}

static const struct fp_logger logger = { collect_log, NULL };

/* The faults: the next write writes SHORT bytes (0: all) or fails with
 * WRITE_ERR; fsync fails with FSYNC_ERR. */
static size_t short_write;
static int write_err, fsync_err;

static ssize_t faulty_write(int fd, const void *b, size_t n)
{
	if (write_err) {
		errno = write_err;
		return -1;
	}
	if (short_write && short_write < n)
		return write(fd, b, short_write);
	return write(fd, b, n);
}

static int faulty_fsync(int fd)
{
	if (fsync_err) {
		errno = fsync_err;
		return -1;
	}
	return fsync(fd);
}

static const struct fp_dhcp_file_ops faulty = { faulty_write, faulty_fsync };

static int setup(void **state)
{
	(void)state;
	short_write = 0;
	write_err = fsync_err = 0;
	logbuf[0] = '\0';
	snprintf(dir, sizeof(dir), "/tmp/fp_dhcp_journal_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/leases", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static struct fp_dhcp_lease_rec rec(uint8_t id, uint32_t ip, time_t expires)
{
	struct fp_dhcp_lease_rec r = { .state = FP_DHCP_LEASE_BOUND, .expires = expires };

	r.key.kind = FP_DHCP_KEY_MAC;
	r.key.len = 6;
	r.key.id[0] = 2;
	r.key.id[5] = id;
	memcpy(r.chaddr, r.key.id, 6);
	r.ip.s_addr = htonl(ip);
	snprintf(r.hostname, sizeof(r.hostname), "host-%u", id % 10);
	return r;
}

static struct fp_dhcp_db *open_db(time_t now)
{
	struct fp_dhcp_db_opts o = { .gid = -1, .ops = &faulty, .log = &logger };
	struct fp_dhcp_db *db = NULL;

	assert_int_equal(fp_dhcp_db_open_opts(path, now, &o, &db), 0);
	return db;
}

static off_t size_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/* assert_journal_holds: the file at P is N records of REC_SIZE, then
 * zeros to the end of their last 4096-byte block: the room the journal
 * keeps after its last record (nothing when N is 0). */
static void assert_journal_holds(const char *p, size_t n)
{
	size_t used = n * REC_SIZE, want = (used + 4095) / 4096 * 4096;
	uint8_t b[65536];
	int fd = open(p, O_RDONLY);
	ssize_t got;

	assert_true(fd >= 0);
	got = read(fd, b, sizeof(b));
	close(fd);
	assert_int_equal(got, want);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(b + i * REC_SIZE, "FPL2", 4);
	for (size_t i = used; i < want; i++)
		assert_int_equal(b[i], 0);
}

static size_t kept_files(void)
{
	char pat[160];
	glob_t g;
	size_t n;

	snprintf(pat, sizeof(pat), "%s.bad-*", path);
	if (glob(pat, 0, NULL, &g))
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static void test_dhcp_journal_damaged_middle_record_is_skipped_and_the_rest_read(void **state)
{
	struct fp_dhcp_db *db = open_db(NOW);
	char at[64];
	int fd;

	(void)state;
	for (int i = 1; i <= 50; i++) {
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0x0a000000 + (uint32_t)i, NOW + 3600);

		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	fp_dhcp_db_close(db);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, 5 * REC_SIZE + 30), 1); /* record 6 */
	close(fd);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 49);
	for (int i = 1; i <= 50; i++) {
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0, 0);

		if (i == 6)
			assert_null(fp_dhcp_db_by_key(db, &r.key, &found));
		else
			assert_non_null(fp_dhcp_db_by_key(db, &r.key, &found));
	}
	assert_int_equal(fp_dhcp_db_info(db)->damaged, 1);
	assert_int_equal(fp_dhcp_db_info(db)->damaged_bytes, REC_SIZE);
	snprintf(at, sizeof(at), "at offset %d", 5 * REC_SIZE);
	assert_non_null(strstr(logbuf, at));
	/* the original, kept before the compaction dropped the bad bytes */
	assert_int_equal(kept_files(), 1);
	assert_journal_holds(fp_dhcp_db_info(db)->kept, 50);
	assert_journal_holds(path, 49);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_short_write_is_cut_back_and_stops_the_journal(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600), b = rec(2, 0x0a000002, NOW + 3600),
				 c = rec(3, 0x0a000003, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	short_write = 16;
	assert_int_not_equal(fp_dhcp_db_put(db, &b, NOW), 0);
	assert_int_equal(size_of(path), REC_SIZE);      /* no partial record left */
	assert_false(fp_dhcp_db_writable(db));
	assert_int_not_equal(fp_dhcp_db_sync(db), 0);   /* nothing may be ACKed */
	short_write = 0;
	/* still stopped: nothing is appended until a rewrite */
	assert_int_not_equal(fp_dhcp_db_put(db, &c, NOW), 0);
	assert_int_equal(size_of(path), REC_SIZE);
	assert_non_null(strstr(logbuf, "cannot write the lease file"));
	assert_int_equal(fp_dhcp_db_recover(db), 0);
	assert_true(fp_dhcp_db_writable(db));
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	assert_non_null(strstr(logbuf, "writable again"));
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_non_null(fp_dhcp_db_by_key(db, &a.key, &found));
	assert_non_null(fp_dhcp_db_by_key(db, &b.key, &found));
	assert_non_null(fp_dhcp_db_by_key(db, &c.key, &found));
	fp_dhcp_db_close(db);
}

/* A batch written in one write and cut short: the records before it
 * (synced) and the batch's whole records that reached the file stay, the
 * torn one and the rest are cut off, and the sync fails: none of the
 * batch's ACKs may leave. A rewrite brings them all back. */
static void test_dhcp_journal_batch_cut_short_keeps_its_whole_records_and_fails_the_sync(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600), b = rec(2, 0x0a000002, NOW + 3600),
				 c = rec(3, 0x0a000003, NOW + 3600), d = rec(4, 0x0a000004, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	fp_dhcp_db_batch(db);
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), 0);
	assert_int_equal(fp_dhcp_db_put(db, &c, NOW), 0);
	assert_int_equal(fp_dhcp_db_put(db, &d, NOW), 0);
	assert_journal_holds(path, 1);                   /* the batch waits for its sync */
	short_write = REC_SIZE + 16;                     /* b whole, c torn, d never */
	assert_int_equal(fp_dhcp_db_sync(db), -ENOSPC);  /* nothing may be ACKed */
	assert_false(fp_dhcp_db_writable(db));
	assert_int_equal(size_of(path), 2 * REC_SIZE);   /* a and b, no partial record */
	assert_non_null(strstr(logbuf, "cannot write the lease file"));
	short_write = 0;
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_non_null(fp_dhcp_db_by_key(db, &a.key, &found));
	assert_non_null(fp_dhcp_db_by_key(db, &b.key, &found));
	assert_null(fp_dhcp_db_by_key(db, &c.key, &found));
	assert_null(fp_dhcp_db_by_key(db, &d.key, &found));
	assert_int_equal(fp_dhcp_db_info(db)->damaged, 0);
	fp_dhcp_db_close(db);
}

/* A batch's records reach the file in one write, at its sync. */
static void test_dhcp_journal_batch_is_written_at_its_sync(void **state)
{
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	fp_dhcp_db_batch(db);
	for (int i = 1; i <= 60; i++) {
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0x0a000000 + (uint32_t)i, NOW + 3600);

		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	assert_journal_holds(path, 0);
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	assert_journal_holds(path, 60);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 60);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_failed_fsync_is_reported_until_recovered(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600), b = rec(2, 0x0a000002, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	fsync_err = EIO;
	assert_int_equal(fp_dhcp_db_sync(db), -EIO);
	assert_false(fp_dhcp_db_writable(db));
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), -EIO);
	assert_int_equal(fp_dhcp_db_sync(db), -EIO);
	assert_int_equal(fp_dhcp_db_recover(db), -EIO);  /* the rewrite's fsync fails too */
	assert_false(fp_dhcp_db_writable(db));
	fsync_err = 0;
	assert_int_equal(fp_dhcp_db_recover(db), 0);
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_non_null(fp_dhcp_db_by_key(db, &b.key, &found));
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_opens_on_a_full_disk_and_serves_what_it_has(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600), b = rec(2, 0x0a000002, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	fp_dhcp_db_close(db);
	write_err = ENOSPC;
	db = open_db(NOW);
	assert_false(fp_dhcp_db_writable(db));
	assert_non_null(fp_dhcp_db_by_key(db, &a.key, &found));
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), -ENOSPC);
	assert_journal_holds(path, 1);                   /* the journal is intact */
	write_err = 0;
	assert_int_equal(fp_dhcp_db_recover(db), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 2);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_refuses_a_foreign_file_and_leaves_it(void **state)
{
	static const char text[] = "# my notes\nthis is not a lease file\n";
	struct fp_dhcp_db_opts o = { .gid = -1, .log = &logger };
	struct fp_dhcp_db *db = NULL;
	char got[sizeof(text)] = "";
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(fp_dhcp_db_open_opts(path, NOW, &o, &db), -EBADMSG);
	assert_null(db);
	assert_non_null(strstr(logbuf, "is not a fastpath lease file"));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got) - 1, f), sizeof(text) - 1);
	fclose(f);
	assert_string_equal(got, text);
	assert_int_equal(kept_files(), 0);
}

static void test_dhcp_journal_never_follows_a_symbolic_link(void **state)
{
	struct fp_dhcp_db *db = NULL;
	char target[160];

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	close(open(target, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(fp_dhcp_db_open(path, NOW, &db), -ELOOP);
	assert_int_equal(size_of(target), 0);
}

static void test_dhcp_journal_files_are_0600_or_0640_with_a_group(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600);
	struct fp_dhcp_db_opts o = { .mode = 0640, .gid = (long)getgid() };
	struct fp_dhcp_db *db = NULL;
	struct stat st;

	(void)state;
	db = open_db(NOW);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fp_dhcp_db_put(db, &a, NOW);
	assert_int_equal(fp_dhcp_db_compact(db), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fp_dhcp_db_close(db);
	chmod(path, 0666);
	assert_int_equal(fp_dhcp_db_open_opts(path, NOW, &o, &db), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, getgid());
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_compaction_ignores_a_planted_temp_link(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);
	char target[160], link[192];

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	close(open(target, O_CREAT | O_WRONLY, 0644));
	/* the names a compaction of this process would try first */
	for (int i = 0; i < 64; i++) {
		snprintf(link, sizeof(link), "%s.tmp-%d-%d", path, (int)getpid(), i);
		symlink(target, link);
	}
	snprintf(link, sizeof(link), "%s.tmp", path);
	symlink(target, link);
	fp_dhcp_db_put(db, &a, NOW);
	assert_int_equal(fp_dhcp_db_compact(db), 0);
	assert_int_equal(size_of(target), 0);
	assert_journal_holds(path, 1);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_reads_version_1_records(void **state)
{
	/* A version-1 record: "FPL1", state, key, chaddr, ip, pool, expires,
	 * hostname, CRC-32 at 132 (computed here as the old code did). */
	uint8_t b[136] = { 0 };
	uint32_t magic = 0x314c5046u, c = 0xffffffffu, ip = htonl(0x0a000009);
	int64_t exp = NOW + 3600;
	struct fp_dhcp_db *db;
	struct fp_dhcp_lease_rec r = rec(9, 0, 0);
	FILE *f;

	(void)state;
	memcpy(b, &magic, 4);
	b[4] = FP_DHCP_LEASE_BOUND;
	memcpy(b + 8, &r.key, sizeof(r.key));
	memcpy(b + 52, &ip, 4);
	memcpy(b + 60, &exp, 8);
	for (int i = 0; i < 132; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	c = ~c;
	memcpy(b + 132, &c, 4);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(b, 1, sizeof(b), f);
	fclose(f);
	db = open_db(NOW);
	assert_non_null(fp_dhcp_db_by_key(db, &r.key, &found));
	assert_int_equal(fp_dhcp_db_by_key(db, &r.key, &found)->expires, NOW + 3600);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_appends_into_its_room_and_grows_a_block_at_a_time(void **state)
{
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_journal_holds(path, 0);                   /* an empty journal keeps no room */
	for (int i = 1; i <= 3; i++) {
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0x0a000000 + (uint32_t)i, NOW + 3600);

		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	assert_journal_holds(path, 3);
	for (int i = 4; i <= 60; i++) {                  /* past the first block */
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0x0a000000 + (uint32_t)i, NOW + 3600);

		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	assert_journal_holds(path, 60);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 60);
	assert_int_equal(fp_dhcp_db_info(db)->damaged, 0);
	assert_int_equal(kept_files(), 0);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_room_of_any_length_is_read_as_the_end(void **state)
{
	struct fp_dhcp_lease_rec *v = NULL;
	struct fp_dhcp_db *db = open_db(NOW);
	size_t n = 0;

	(void)state;
	for (int i = 1; i <= 3; i++) {
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0x0a000000 + (uint32_t)i, NOW + 3600);

		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	fp_dhcp_db_close(db);
	assert_int_equal(truncate(path, 3 * 4096 + 100), 0);
	assert_int_equal(fp_dhcp_leases_read(path, &v, &n), 0);
	assert_int_equal(n, 3);
	free(v);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 3);
	assert_int_equal(fp_dhcp_db_info(db)->damaged, 0);
	assert_int_equal(kept_files(), 0);
	assert_journal_holds(path, 3);                   /* compacted to one block */
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_torn_record_in_the_room_is_skipped_and_appended_after(void **state)
{
	struct fp_dhcp_lease_rec d = rec(4, 0x0a000004, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);
	uint8_t torn[REC_SIZE];
	int fd;

	(void)state;
	for (int i = 1; i <= 4; i++) {
		struct fp_dhcp_lease_rec r = rec((uint8_t)i, 0x0a000000 + (uint32_t)i, NOW + 3600);

		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	fp_dhcp_db_close(db);
	/* record 4 reached the disk only in part: its first 30 bytes, then
	 * the zeros of the room */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	memset(torn, 0, sizeof(torn));
	assert_int_equal(pread(fd, torn, 30, 3 * REC_SIZE), 30);
	assert_int_equal(pwrite(fd, (uint8_t[REC_SIZE]){ 0 }, REC_SIZE, 3 * REC_SIZE), REC_SIZE);
	assert_int_equal(pwrite(fd, torn, 30, 3 * REC_SIZE), 30);
	close(fd);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 3);
	assert_null(fp_dhcp_db_by_key(db, &d.key, &found));
	assert_int_equal(fp_dhcp_db_info(db)->damaged, 1);
	/* up to its last byte that is not zero: the zeros are room */
	assert_in_range(fp_dhcp_db_info(db)->damaged_bytes, 1, 30);
	assert_int_equal(kept_files(), 1);
	assert_int_equal(fp_dhcp_db_put(db, &d, NOW), 0);
	assert_journal_holds(path, 4);
	fp_dhcp_db_close(db);
}

static void test_dhcp_journal_file_of_zeros_is_an_empty_journal(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000001, NOW + 3600);
	struct fp_dhcp_db *db;

	(void)state;
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(truncate(path, 4096), 0);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 0);
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_journal_holds(path, 1);
	fp_dhcp_db_close(db);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dhcp_journal_damaged_middle_record_is_skipped_and_the_rest_read),
		T(test_dhcp_journal_short_write_is_cut_back_and_stops_the_journal),
		T(test_dhcp_journal_batch_cut_short_keeps_its_whole_records_and_fails_the_sync),
		T(test_dhcp_journal_batch_is_written_at_its_sync),
		T(test_dhcp_journal_failed_fsync_is_reported_until_recovered),
		T(test_dhcp_journal_opens_on_a_full_disk_and_serves_what_it_has),
		T(test_dhcp_journal_refuses_a_foreign_file_and_leaves_it),
		T(test_dhcp_journal_never_follows_a_symbolic_link),
		T(test_dhcp_journal_files_are_0600_or_0640_with_a_group),
		T(test_dhcp_journal_compaction_ignores_a_planted_temp_link),
		T(test_dhcp_journal_reads_version_1_records),
		T(test_dhcp_journal_appends_into_its_room_and_grows_a_block_at_a_time),
		T(test_dhcp_journal_room_of_any_length_is_read_as_the_end),
		T(test_dhcp_journal_torn_record_in_the_room_is_skipped_and_appended_after),
		T(test_dhcp_journal_file_of_zeros_is_an_empty_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
