// SPDX-License-Identifier: BSD-2-Clause
/* xsk_echo: a UDP echo (or, with --count, a counter) on fastpath's AF_XDP
 * API. It receives the datagrams to PORT... that DEV's pipeline steers to
 * its queue's socket, and falls back to a plain UDP socket when AF_XDP is
 * not possible (no pipeline, no XSK stage, no privileges).
 *
 *   fastpath up veth0 --stages xsk,ports
 *   xsk_echo veth0 7000 [7001 ...] [--queue Q] [--mode auto|zero-copy|copy|socket]
 *            [--count] [--duration S]
 *
 * It prints the mode it runs in on start, and what it received on exit
 * (SIGINT, SIGTERM or --duration):
 *   xsk_echo: veth0 queue 0: copy mode
 *   xsk_echo: received 1000 datagrams, 64000 payload bytes, replied 1000 in 2.00 s */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fastpath/xsk.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fputs("usage: xsk_echo DEV PORT... [--queue Q] [--mode auto|zero-copy|copy|socket]\n"
	      "                [--count] [--duration S]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "mode", required_argument, NULL, 'm' },
		{ "count", no_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ 0 },
	};
	struct fp_xsk_msg msgs[FP_XSK_BATCH_MAX];
	struct fp_xsk_opts opts = { 0 };
	unsigned long long rx = 0, bytes = 0, tx = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	double duration = 0, start;
	unsigned int queue = 0;
	bool count_only = false;
	uint16_t ports[64];
	struct fp_xsk *x;
	int c, n = 0, err;

	while ((c = getopt_long(argc, argv, "q:m:cd:", lo, NULL)) != -1) {
		if (c == 'q')
			queue = strtoul(optarg, NULL, 10);
		else if (c == 'm' && fp_xsk_mode_parse(optarg, &opts.mode))
			return usage();
		else if (c == 'c')
			count_only = true;
		else if (c == 'd')
			duration = strtod(optarg, NULL);
		else if (c != 'm')
			return usage();
	}
	if (argc - optind < 2 || argc - optind - 1 > 64)
		return usage();
	for (int i = optind + 1; i < argc; i++) {
		unsigned long p = strtoul(argv[i], NULL, 10);

		if (!p || p > 65535)
			return usage();
		ports[n++] = p;
	}
	err = fp_xsk_open(argv[optind], queue, ports, n, &opts, &x);
	if (err) {
		fprintf(stderr, "xsk_echo: cannot open %s queue %u: %s\n", argv[optind],
			queue, strerror(-err));
		return 1;
	}
	printf("xsk_echo: %s queue %u: %s mode%s%s%s\n", argv[optind], queue,
	       fp_xsk_mode_str(fp_xsk_mode(x)), *fp_xsk_why(x) ? " (" : "",
	       fp_xsk_why(x), *fp_xsk_why(x) ? ")" : "");
	fflush(stdout);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	start = now_s();
	while (!stop && (!duration || now_s() - start < duration)) {
		int got = fp_xsk_recv(x, msgs, FP_XSK_BATCH_MAX, 100);

		if (got < 0 && got != -EINTR) {
			fprintf(stderr, "xsk_echo: receive: %s\n", strerror(-got));
			break;
		}
		if (got <= 0)
			continue;
		rx += got;
		for (int i = 0; i < got; i++)
			bytes += msgs[i].payload_len;
		if (count_only)
			fp_xsk_release(x, msgs, got);
		else
			tx += fp_xsk_reply(x, msgs, got);
	}
	printf("xsk_echo: received %llu datagrams, %llu payload bytes, replied %llu in %.2f s\n",
	       rx, bytes, tx, now_s() - start);
	fp_xsk_close(x);
	return 0;
}
