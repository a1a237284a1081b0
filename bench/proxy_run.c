// SPDX-License-Identifier: BSD-2-Clause
/* proxy_run: the proxies of a configuration file, in the foreground,
 * without fastpathd: for benchmarks and for developing the proxy next to
 * a running daemon. `proxy_run FILE STATE.json`; SIGINT/SIGTERM stop. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fastpath/config.h>
#include <fastpath/proxy.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void log_line(void *ctx, enum fp_log_level level, const char *msg)
{
	(void)ctx;
	if (level >= FP_LOG_INFO || getenv("PXDEBUG"))
		fprintf(stderr, "proxy_run: %s\n", msg);
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct fp_logger log = { .fn = log_line };
	struct fp_config_error err = { 0 };
	struct fp_proxy_engine *e;
	struct fp_config cfg;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: proxy_run CONFIG STATE.json\n");
		return 2;
	}
	if (fp_config_load(argv[1], &cfg, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	rc = fp_proxy_engine_open(&log, argv[2], &e);
	rc = rc ?: fp_proxy_engine_apply(e, cfg.proxies, cfg.n_proxies);
	if (rc) {
		fprintf(stderr, "proxy_run: %s\n", strerror(-rc));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!stop) {
		struct pollfd p = { .fd = fp_proxy_engine_fd(e), .events = POLLIN };
		long long dl = fp_proxy_engine_deadline(e);
		unsigned long long now = now_ms();
		int timeout = dl < 0 ? 1000 : (unsigned long long)dl <= now ? 0 : (int)(dl - now);

		if (poll(&p, 1, timeout) > 0)
			fp_proxy_engine_process(e);
		dl = fp_proxy_engine_deadline(e);
		if (dl >= 0 && (unsigned long long)dl <= now_ms())
			fp_proxy_engine_tick(e, now_ms());
	}
	fp_proxy_engine_close(e);
	fp_config_free(&cfg);
	return 0;
}
