// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's service runner (include/fastpath/daemon.h) over fake
 * services: order of apply, a failed reload put back, poll descriptors
 * handed to their own service, ticks at deadlines. No kernel. */
#include <fastpath/daemon.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

/* What every fake service did, in order: "A+1" applied config 1 to A. */
static char trail[256];

struct fake {
	int fail_on;            /* the config id whose apply fails; 0: none */
	int fd;                 /* one descriptor to poll; -1: none */
	long long deadline;
	int ready, ticks;
	unsigned long long ticked_at;
};

/* A config is its id: these fakes never look inside. */
#define CFG(n) ((const struct fp_config *)(uintptr_t)(n))
static int cfg_id(const struct fp_config *c) { return (int)(uintptr_t)c; }

static struct fake fakes[3];

static void note(const char *fmt, ...)
{
	size_t len = strlen(trail);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(trail + len, sizeof(trail) - len, fmt, ap);
	va_end(ap);
}

#define FAKE(i, letter)                                                              \
	static int apply_##i(void *ctx, const struct fp_config *cfg,                      \
			     const struct fp_config *prev, const struct fp_service_env *env) \
	{                                                                            \
		(void)ctx; (void)prev; (void)env;                                    \
		note(letter "+%d ", cfg_id(cfg));                                     \
		return fakes[i].fail_on == cfg_id(cfg) ? -EIO : 0;                   \
	}                                                                            \
	static int fds_##i(void *ctx, struct pollfd *fds, int max)                   \
	{                                                                            \
		(void)ctx;                                                           \
		if (fakes[i].fd < 0 || max < 1)                                      \
			return 0;                                                    \
		fds[0] = (struct pollfd){ .fd = fakes[i].fd, .events = POLLIN };     \
		return 1;                                                            \
	}                                                                            \
	static void ready_##i(void *ctx, const struct pollfd *fds, int n)            \
	{                                                                            \
		(void)ctx;                                                           \
		assert_int_equal(n, 1);                                              \
		assert_int_equal(fds[0].fd, fakes[i].fd);                            \
		fakes[i].ready++;                                                    \
	}                                                                            \
	static long long deadline_##i(void *ctx) { (void)ctx; return fakes[i].deadline; } \
	static void tick_##i(void *ctx, unsigned long long now)                      \
	{                                                                            \
		(void)ctx;                                                           \
		fakes[i].ticks++;                                                    \
		fakes[i].ticked_at = now;                                            \
	}                                                                            \
	static void stop_##i(void *ctx) { (void)ctx; note(letter "stop "); }          \
	static const struct fp_service svc_##i = {                                   \
		.name = letter, .ctx_size = 8, .apply = apply_##i, .fds = fds_##i,   \
		.ready = ready_##i, .deadline = deadline_##i, .tick = tick_##i,      \
		.stop = stop_##i,                                                    \
	}

FAKE(0, "A");
FAKE(1, "B");
FAKE(2, "C");

static const struct fp_service *const table[] = { &svc_0, &svc_1, &svc_2, NULL };
static const struct fp_service_env env = { 0 };

static int setup(void **state)
{
	(void)state;
	trail[0] = '\0';
	memset(fakes, 0, sizeof(fakes));
	for (int i = 0; i < 3; i++) {
		fakes[i].fd = -1;
		fakes[i].deadline = -1;
	}
	return 0;
}

static void test_services_apply_in_table_order_and_stop_last_first(void **state)
{
	struct fp_services *s;

	(void)state;
	assert_int_equal(fp_services_open(table, &s), 0);
	assert_int_equal(fp_services_apply(s, CFG(1), NULL, &env, &env), 0);
	fp_services_close(s);
	assert_string_equal(trail, "A+1 B+1 C+1 Cstop Bstop Astop ");
}

static void test_services_failed_reload_puts_back_what_ran(void **state)
{
	struct fp_services *s;

	(void)state;
	fakes[1].fail_on = 2;
	assert_int_equal(fp_services_open(table, &s), 0);
	assert_int_equal(fp_services_apply(s, CFG(1), NULL, &env, &env), 0);
	trail[0] = '\0';
	assert_int_equal(fp_services_apply(s, CFG(2), CFG(1), &env, &env), -EIO);
	/* B failed: B and A get config 1 back, last first; C never saw 2. */
	assert_string_equal(trail, "A+2 B+2 B+1 A+1 ");
	fp_services_close(s);
}

static void test_services_failed_start_is_not_undone(void **state)
{
	struct fp_services *s;

	(void)state;
	fakes[0].fail_on = 1;
	assert_int_equal(fp_services_open(table, &s), 0);
	assert_int_equal(fp_services_apply(s, CFG(1), NULL, &env, &env), -EIO);
	assert_string_equal(trail, "A+1 ");
	fp_services_close(s);
}

static void test_services_poll_descriptors_go_to_their_service(void **state)
{
	struct pollfd fds[4] = { 0 };
	struct fp_services *s;

	(void)state;
	fakes[0].fd = 10;
	fakes[2].fd = 12;
	assert_int_equal(fp_services_open(table, &s), 0);
	assert_int_equal(fp_services_pollfds(s, fds, 4), 2);
	assert_int_equal(fds[0].fd, 10);
	assert_int_equal(fds[1].fd, 12);
	fds[1].revents = POLLIN;
	fp_services_ready(s, fds);
	assert_int_equal(fakes[0].ready, 0);
	assert_int_equal(fakes[2].ready, 1);
	/* No room: nothing is written past max. */
	assert_int_equal(fp_services_pollfds(s, fds, 1), 1);
	fp_services_close(s);
}

static void test_services_tick_at_the_first_deadline(void **state)
{
	struct fp_services *s;

	(void)state;
	assert_int_equal(fp_services_open(table, &s), 0);
	assert_int_equal(fp_services_timeout(s, 1000), -1);
	fakes[0].deadline = 5000;
	fakes[2].deadline = 3000;
	assert_int_equal(fp_services_timeout(s, 1000), 2000);
	fp_services_tick(s, 2999);
	assert_int_equal(fakes[2].ticks, 0);
	fp_services_tick(s, 3000);
	assert_int_equal(fakes[2].ticks, 1);
	assert_int_equal(fakes[0].ticks, 0);
	assert_int_equal(fp_services_timeout(s, 6000), 0);
	fp_services_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_services_apply_in_table_order_and_stop_last_first, setup),
		cmocka_unit_test_setup(test_services_failed_reload_puts_back_what_ran, setup),
		cmocka_unit_test_setup(test_services_failed_start_is_not_undone, setup),
		cmocka_unit_test_setup(test_services_poll_descriptors_go_to_their_service, setup),
		cmocka_unit_test_setup(test_services_tick_at_the_first_deadline, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
