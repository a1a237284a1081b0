// SPDX-License-Identifier: BSD-2-Clause
/* The lease database (src/lib/dhcp/dhcp_lease.c): durable across reopen, a
 * torn tail ignored, compaction, one holder per address, quarantine,
 * expiry. Files live in a mkdtemp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
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
#define REC_SIZE 78 /* a journal record with a 6-byte hostname (src/lib/dhcp/dhcp_journal.c) */

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fp_dhcp_lease_XXXXXX");
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
	snprintf(r.hostname, sizeof(r.hostname), "host-%u", id);
	return r;
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

static struct fp_dhcp_db *open_db(time_t now)
{
	struct fp_dhcp_db *db = NULL;

	assert_int_equal(fp_dhcp_db_open(path, now, &db), 0);
	return db;
}

static void test_dhcp_db_bound_lease_survives_reopen(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);
	const struct fp_dhcp_lease_rec *got;
	struct fp_dhcp_lease_rec by_ip;

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW + 10);
	got = fp_dhcp_db_by_key(db, &a.key, &found);
	assert_non_null(got);
	assert_int_equal(got->ip.s_addr, a.ip.s_addr);
	assert_int_equal(got->expires, NOW + 3600);
	assert_string_equal(got->hostname, "host-1");
	assert_non_null(fp_dhcp_db_by_ip(db, a.ip, &by_ip));
	assert_memory_equal(&by_ip, got, sizeof(by_ip));
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_offer_is_not_persisted(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 60);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	a.state = FP_DHCP_LEASE_OFFERED;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_null(fp_dhcp_db_by_key(db, &a.key, &found));
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_ignores_torn_tail(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000065, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	fp_dhcp_db_put(db, &a, NOW);
	fp_dhcp_db_put(db, &b, NOW);
	fp_dhcp_db_close(db);
	assert_int_equal(truncate(path, 2 * REC_SIZE - 20), 0);  /* b is torn */
	db = open_db(NOW);
	assert_non_null(fp_dhcp_db_by_key(db, &a.key, &found));
	assert_null(fp_dhcp_db_by_key(db, &b.key, &found));
	fp_dhcp_db_close(db);
	assert_journal_holds(path, 1);   /* the compaction dropped the tail */
}

static void test_dhcp_db_skips_corrupt_last_record(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000065, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);
	int fd;

	(void)state;
	fp_dhcp_db_put(db, &a, NOW);
	fp_dhcp_db_put(db, &b, NOW);
	fp_dhcp_db_close(db);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	/* garbage over 4 bytes inside the second record */
	assert_int_equal(pwrite(fd, "\xde\xad\xbe\xef", 4, REC_SIZE + 60), 4);
	close(fd);
	db = open_db(NOW);
	assert_non_null(fp_dhcp_db_by_key(db, &a.key, &found));
	assert_null(fp_dhcp_db_by_key(db, &b.key, &found));
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_compaction_keeps_live_leases_only(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	for (int i = 0; i < 50; i++) {
		a.expires = NOW + 3600 + i;
		assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	}
	assert_int_equal(fp_dhcp_db_journal_records(db), 50);
	assert_int_equal(fp_dhcp_db_compact(db), 0);
	assert_int_equal(fp_dhcp_db_journal_records(db), 1);
	assert_journal_holds(path, 1);
	a = rec(2, 0x0a000065, NOW + 10);
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);   /* appends after compaction */
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_count(db), 2);
	a = rec(1, 0, 0);
	assert_int_equal(fp_dhcp_db_by_key(db, &a.key, &found)->expires, NOW + 3600 + 49);
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_refuses_address_of_another_client(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000064, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), -EADDRINUSE);
	b.state = FP_DHCP_LEASE_OFFERED;
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), -EADDRINUSE);
	assert_false(fp_dhcp_db_ip_free(db, a.ip, &b.key, NOW));
	assert_true(fp_dhcp_db_ip_free(db, a.ip, &a.key, NOW));
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_refuses_double_lease_after_reload(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000064, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), -EADDRINUSE);
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_moving_client_frees_its_old_address(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000064, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	fp_dhcp_db_put(db, &a, NOW);
	a.ip.s_addr = htonl(0x0a000070);
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW);
	assert_int_equal(fp_dhcp_db_by_key(db, &a.key, &found)->ip.s_addr, htonl(0x0a000070));
	assert_int_equal(fp_dhcp_db_by_key(db, &b.key, &found)->ip.s_addr, htonl(0x0a000064));
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_decline_quarantines_address_across_reopen(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000064, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	fp_dhcp_db_put(db, &a, NOW);
	assert_int_equal(fp_dhcp_db_decline(db, &a.key, a.chaddr, a.ip, NOW + 600), 0);
	assert_null(fp_dhcp_db_by_key(db, &a.key, &found));
	fp_dhcp_db_close(db);
	db = open_db(NOW + 1);
	assert_int_equal(fp_dhcp_db_by_ip(db, a.ip, &found)->state, FP_DHCP_LEASE_DECLINED);
	assert_false(fp_dhcp_db_ip_free(db, a.ip, &a.key, NOW + 1));
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW + 1), -EADDRINUSE);
	assert_true(fp_dhcp_db_ip_free(db, a.ip, NULL, NOW + 600));
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW + 600), 0);
	fp_dhcp_db_close(db);
}

/* A DECLINE quarantines the address it names, and only that: the same
 * client's lease on another address stays (a quarantine cut again, as a
 * reload does, named the client's key and took its live lease with it),
 * in memory, after a replay and after a compaction. */
static void test_dhcp_db_decline_keeps_the_clients_other_lease(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000065, NOW + 3600);
	struct in_addr declined = a.ip;
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_decline(db, &a.key, a.chaddr, declined, NOW + 3600), 0);
	a.ip.s_addr = htonl(0x0a000066);
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_decline(db, &a.key, a.chaddr, declined, NOW + 600), 0);
	assert_int_equal(fp_dhcp_db_by_key(db, &a.key, &found)->ip.s_addr, a.ip.s_addr);
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	fp_dhcp_db_close(db);
	for (int pass = 0; pass < 2; pass++) {
		db = open_db(NOW + 1);
		assert_non_null(fp_dhcp_db_by_key(db, &a.key, &found));
		assert_int_equal(found.ip.s_addr, a.ip.s_addr);
		assert_int_equal(found.state, FP_DHCP_LEASE_BOUND);
		assert_int_equal(fp_dhcp_db_by_ip(db, declined, &found)->state,
				 FP_DHCP_LEASE_DECLINED);
		b.ip = a.ip;
		assert_int_equal(fp_dhcp_db_put(db, &b, NOW + 1), -EADDRINUSE);
		if (!pass)
			assert_int_equal(fp_dhcp_db_compact(db), 0);
		fp_dhcp_db_close(db);
	}
}

/* The lease file moved away under the open journal: what is written to it
 * would not be read at the next start, so the sync fails and nothing is
 * acknowledged until a compaction writes the whole database at the path;
 * a file found there then is kept aside first, not written over. */
static void test_dhcp_db_journal_moved_away_stops_until_rewritten(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 3600), b = rec(2, 0x0a000065, NOW + 3600);
	struct fp_dhcp_db *db = open_db(NOW);
	char moved[160], cmd[400];
	int fd;

	(void)state;
	assert_int_equal(fp_dhcp_db_put(db, &a, NOW), 0);
	assert_int_equal(fp_dhcp_db_sync(db), 0);
	snprintf(moved, sizeof(moved), "%s.moved", path);
	assert_int_equal(rename(path, moved), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "backup", 6), 6);
	close(fd);
	assert_int_equal(fp_dhcp_db_put(db, &b, NOW), 0);
	assert_int_equal(fp_dhcp_db_sync(db), -ESTALE);
	assert_false(fp_dhcp_db_writable(db));
	assert_int_equal(fp_dhcp_db_recover(db), 0);
	assert_true(fp_dhcp_db_writable(db));
	/* the file that was at the path, as it was */
	snprintf(cmd, sizeof(cmd), "grep -qx backup %s.replaced-*", path);
	assert_int_equal(system(cmd), 0);
	fp_dhcp_db_close(db);
	db = open_db(NOW + 1);
	assert_int_equal(fp_dhcp_db_count(db), 2);
	assert_non_null(fp_dhcp_db_by_key(db, &b.key, &found));
	fp_dhcp_db_close(db);
}

static void test_dhcp_db_expire_removes_past_leases(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, NOW + 10), b = rec(2, 0x0a000065, NOW + 100);
	struct fp_dhcp_db *db = open_db(NOW);

	(void)state;
	fp_dhcp_db_put(db, &a, NOW);
	fp_dhcp_db_put(db, &b, NOW);
	assert_int_equal(fp_dhcp_db_expire(db, NOW + 10, NULL, NULL), 1);
	assert_null(fp_dhcp_db_by_key(db, &a.key, &found));
	assert_null(fp_dhcp_db_by_ip(db, a.ip, &found));
	assert_non_null(fp_dhcp_db_by_key(db, &b.key, &found));
	fp_dhcp_db_close(db);
	db = open_db(NOW + 100);  /* b expired while closed: dropped */
	assert_int_equal(fp_dhcp_db_count(db), 0);
	fp_dhcp_db_close(db);
}

static int count_live(void *ctx, const struct fp_dhcp_lease_rec *r)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

/* The table grows past its first capacity twice, half its entries are
 * removed and as many new ones take their places: each walk sees exactly
 * the live entries, and every lookup agrees. */
static void test_dhcp_db_reuses_removed_entries_across_growth(void **state)
{
	struct fp_dhcp_db *db = open_db(NOW);
	size_t walked = 0;

	(void)state;
	for (uint32_t i = 0; i < 200; i++) {
		struct fp_dhcp_lease_rec r = rec(0, 0x0a010000 + i, i % 2 ? NOW + 10 : NOW + 100);

		r.key.id[4] = (uint8_t)(i >> 8);
		r.key.id[5] = (uint8_t)i;
		assert_int_equal(fp_dhcp_db_put(db, &r, NOW), 0);
	}
	assert_int_equal(fp_dhcp_db_expire(db, NOW + 10, NULL, NULL), 100);
	for (uint32_t i = 200; i < 300; i++) {
		struct fp_dhcp_lease_rec r = rec(0, 0x0a010000 + i, NOW + 100);

		r.key.id[4] = (uint8_t)(i >> 8);
		r.key.id[5] = (uint8_t)i;
		assert_int_equal(fp_dhcp_db_put(db, &r, NOW + 10), 0);
	}
	assert_int_equal(fp_dhcp_db_count(db), 200);
	assert_int_equal(fp_dhcp_db_each(db, count_live, &walked), 0);
	assert_int_equal(walked, 200);
	for (uint32_t i = 0; i < 300; i++) {
		struct fp_dhcp_lease_rec r = rec(0, 0x0a010000 + i, 0);
		bool live = i >= 200 || i % 2 == 0;

		r.key.id[4] = (uint8_t)(i >> 8);
		r.key.id[5] = (uint8_t)i;
		assert_int_equal(fp_dhcp_db_by_key(db, &r.key, &found) != NULL, live);
		assert_int_equal(fp_dhcp_db_by_ip(db, r.ip, &found) != NULL, live);
	}
	fp_dhcp_db_close(db);
}

static void test_dhcp_leases_read_reports_each_state(void **state)
{
	struct fp_dhcp_lease_rec a = rec(1, 0x0a000064, time(NULL) + 3600),
				 b = rec(2, 0x0a000065, time(NULL) + 3600),
				 c = rec(3, 0x0a000066, time(NULL) + 3600);
	struct fp_dhcp_db *db = open_db(time(NULL));
	struct fp_dhcp_lease_rec *v;
	size_t n;
	int seen = 0;

	(void)state;
	fp_dhcp_db_put(db, &a, time(NULL));
	fp_dhcp_db_put(db, &b, time(NULL));
	fp_dhcp_db_put(db, &c, time(NULL));
	fp_dhcp_db_release(db, &b.key, FP_DHCP_LEASE_RELEASED);
	fp_dhcp_db_decline(db, &c.key, c.chaddr, c.ip, time(NULL) + 60);
	fp_dhcp_db_close(db);
	assert_int_equal(fp_dhcp_leases_read(path, &v, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (v[i].key.id[5] == 1 && v[i].state == FP_DHCP_LEASE_BOUND)
			seen |= 1;
		if (v[i].key.id[5] == 2 && v[i].state == FP_DHCP_LEASE_RELEASED &&
		    v[i].ip.s_addr == b.ip.s_addr)
			seen |= 2;
		if (v[i].key.id[5] == 3 && v[i].state == FP_DHCP_LEASE_DECLINED)
			seen |= 4;
	}
	assert_int_equal(seen, 7);
	free(v);
}

static void test_dhcp_leases_read_absent_file_is_empty(void **state)
{
	struct fp_dhcp_lease_rec *v;
	size_t n = 9;

	(void)state;
	assert_int_equal(fp_dhcp_leases_read("/nonexistent/fp/leases", &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dhcp_db_bound_lease_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_offer_is_not_persisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_ignores_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_skips_corrupt_last_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_compaction_keeps_live_leases_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_refuses_address_of_another_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_refuses_double_lease_after_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_moving_client_frees_its_old_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_decline_quarantines_address_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_decline_keeps_the_clients_other_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_journal_moved_away_stops_until_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_expire_removes_past_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_db_reuses_removed_entries_across_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_leases_read_reports_each_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_leases_read_absent_file_is_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
