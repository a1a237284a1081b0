// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's functions service: the supervisor (supervisor.c) as a row
 * of the services table. It needs sk_lookup, so it runs only with the
 * eBPF data plane. Its signals, SIGCHLD (a handler exited) and SIGUSR1
 * (fastpath functions restart), are read from a signalfd of its own,
 * polled with the others' descriptors; they are blocked on the first
 * apply, before any handler is forked and before the metrics service
 * (after this one in the table) starts libmicrohttpd's thread, which
 * inherits the mask: no thread takes them, and SIGUSR1's default action
 * (terminate) never runs. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/functions.h>
#include <fastpath/reconcile.h>

struct functions_service {
	struct fp_functions *fns;       /* NULL: not running */
	int sfd;                        /* signalfd; 0 before the first apply */
	bool have_sfd;
};

/* Block SIGCHLD and SIGUSR1 in this thread (and so in every thread it
 * starts from now on) and read them from a signalfd. */
static int signals_open(struct functions_service *s, const struct fp_logger *log)
{
	sigset_t set;

	if (s->have_sfd)
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0) {
		int err = -errno;

		fp_log(log, FP_LOG_ERROR, "functions: signalfd: %s", strerror(errno));
		return err;
	}
	s->have_sfd = true;
	return 0;
}

static int functions_apply(void *ctx, const struct fp_config *cfg,
			   const struct fp_config *prev, const struct fp_service_env *env)
{
	struct functions_service *s = ctx;
	int err;

	(void)prev;
	err = signals_open(s, env->log);
	if (err)
		return err;
	if (!env->ebpf) {
		if (cfg->n_functions)
			fp_log(env->log, FP_LOG_WARN, "functions: not started: they need the "
			       "eBPF data plane (sk_lookup)");
		fp_functions_stop(s->fns);
		s->fns = NULL;
		return 0;
	}
	if (s->fns)
		return fp_functions_apply(s->fns, cfg->functions, cfg->n_functions);
	return fp_functions_start(cfg->functions, cfg->n_functions, env->log, &s->fns);
}

static int functions_fds(void *ctx, struct pollfd *fds, int max)
{
	struct functions_service *s = ctx;

	if (!s->have_sfd || max < 1)
		return 0;
	fds[0] = (struct pollfd){ .fd = s->sfd, .events = POLLIN };
	return 1;
}

static void functions_ready(void *ctx, const struct pollfd *fds, int n)
{
	struct functions_service *s = ctx;
	struct signalfd_siginfo si;
	bool chld = false, usr1 = false;

	if (n < 1 || !(fds[0].revents & POLLIN))
		return;
	while (read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
		chld |= si.ssi_signo == SIGCHLD;
		usr1 |= si.ssi_signo == SIGUSR1;
	}
	if (!s->fns)
		return;
	if (chld)
		fp_functions_reap(s->fns);
	if (usr1)
		fp_functions_requests(s->fns);
}

static long long functions_deadline(void *ctx)
{
	struct functions_service *s = ctx;
	long long in;

	if (!s->fns)
		return -1;
	in = fp_functions_timer(s->fns); /* starts what is due; ms to the next */
	return in < 0 ? -1 : (long long)fp_monotonic_ms() + in;
}

static void functions_tick(void *ctx, unsigned long long now_ms)
{
	struct functions_service *s = ctx;

	(void)now_ms;
	if (s->fns)
		fp_functions_timer(s->fns);
}

static void functions_stop(void *ctx)
{
	struct functions_service *s = ctx;

	fp_functions_stop(s->fns);
	s->fns = NULL;
	if (s->have_sfd)
		close(s->sfd);
	s->have_sfd = false;
}

const struct fp_service fp_functions_service = {
	.name = "functions",
	.ctx_size = sizeof(struct functions_service),
	.apply = functions_apply,
	.fds = functions_fds,
	.ready = functions_ready,
	.deadline = functions_deadline,
	.tick = functions_tick,
	.stop = functions_stop,
};
