// SPDX-License-Identifier: BSD-2-Clause
/* A handler's process, for the functions supervisor (supervisor.c): its
 * environment, arguments and groups made before fork, the child's side
 * up to exec (its sockets as fd 3 onward, the systemd way), the signals
 * that stop or restart it, and what its exit means: restarted after a
 * backoff or left down, as its restart policy says. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "functions/supervisor.h"

#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   30000
#define HEALTHY_MS       10000  /* a run this long resets the backoff */
#define FAILING_ALERT    5      /* quick failures in a row that raise an alert */

/* What a handler's process gets, all made before fork: fastpathd has
 * threads (libmicrohttpd's), so the child calls nothing that allocates
 * or takes a lock (no setenv, no initgroups) between fork and exec. */
struct launch {
	char **envp;            /* environ without what we set, then ours */
	char *own[5];           /* the strings of ours, allocated */
	char *listen_pid;       /* own[1]: "LISTEN_PID=" and room for the pid */
	char *argv[FP_FN_ARGS_MAX + 2];
	gid_t *groups;          /* supplementary groups of cfg.user */
	int n_groups;
};

extern char **environ;

/* env_ours: VAR ("KEY=VALUE") sets one of the variables fastpathd
 * gives every handler; those win over environ and the configured env. */
static bool env_ours(const char *var)
{
	static const char *const ours[] = { "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
					    "FASTPATH_INSTANCE=", "FASTPATH_FUNCTION=" };

	for (size_t k = 0; k < sizeof(ours) / sizeof(ours[0]); k++)
		if (!strncmp(var, ours[k], strlen(ours[k])))
			return true;
	return false;
}

/* env_overridden: VAR, of fastpathd's environ, is set by us or by the
 * function's env. */
static bool env_overridden(const struct fn *fn, const char *var)
{
	if (env_ours(var))
		return true;
	for (size_t e = 0; fn->cfg.env && fn->cfg.env[e]; e++) {
		size_t klen = strcspn(fn->cfg.env[e], "=");

		if (!strncmp(var, fn->cfg.env[e], klen) && var[klen] == '=')
			return true;
	}
	return false;
}

static void launch_free(struct launch *l)
{
	for (size_t k = 0; k < sizeof(l->own) / sizeof(l->own[0]); k++)
		free(l->own[k]);
	free(l->envp);
	free(l->groups);
}

static int launch_prepare(const struct fn *fn, size_t i, struct launch *l)
{
	size_t n_env = 0, n_cfg = 0, e = 0, a = 0;
	int n = (int)fn->n_groups;

	memset(l, 0, sizeof(*l));
	while (environ && environ[n_env])
		n_env++;
	while (fn->cfg.env && fn->cfg.env[n_cfg])
		n_cfg++;
	l->envp = calloc(n_env + n_cfg + 6, sizeof(*l->envp));
	if (asprintf(&l->own[0], "LISTEN_FDS=%d", n) < 0)
		l->own[0] = NULL;
	l->own[1] = calloc(1, sizeof("LISTEN_PID=") + 24);
	if (asprintf(&l->own[2], "LISTEN_FDNAMES=%s%s%s", fn->cfg.id, n > 1 ? ":" : "",
		     n > 1 ? fn->cfg.id : "") < 0)
		l->own[2] = NULL;
	if (asprintf(&l->own[3], "FASTPATH_INSTANCE=%zu", i) < 0)
		l->own[3] = NULL;
	if (asprintf(&l->own[4], "FASTPATH_FUNCTION=%s", fn->cfg.id) < 0)
		l->own[4] = NULL;
	for (size_t k = 0; k < 5; k++)
		if (!l->own[k])
			goto nomem;
	if (!l->envp)
		goto nomem;
	strcpy(l->own[1], "LISTEN_PID=");
	l->listen_pid = l->own[1];
	for (size_t k = 0; k < n_env; k++)
		if (!env_overridden(fn, environ[k]))
			l->envp[e++] = environ[k];
	for (size_t k = 0; k < n_cfg; k++)
		if (!env_ours(fn->cfg.env[k]))
			l->envp[e++] = fn->cfg.env[k];
	for (size_t k = 0; k < 5; k++)
		l->envp[e++] = l->own[k];
	l->argv[a++] = (char *)fn->cfg.handler_path;
	for (size_t k = 0; fn->cfg.args && fn->cfg.args[k] && a <= FP_FN_ARGS_MAX; k++)
		l->argv[a++] = fn->cfg.args[k];
	l->argv[a] = NULL;
	if (fn->cfg.user[0]) {
		int ng = 32;

		for (;;) {
			gid_t *g = realloc(l->groups, (size_t)ng * sizeof(*g));

			if (!g)
				goto nomem;
			l->groups = g;
			if (getgrouplist(fn->cfg.user, fn->cfg.gid, g, &ng) >= 0)
				break;
			if (ng > 65536) {
				launch_free(l);
				return -E2BIG;
			}
		}
		l->n_groups = ng;
	}
	return 0;
nomem:
	launch_free(l);
	return -ENOMEM;
}

/* put_pid: "LISTEN_PID=" followed by PID, without snprintf (after fork). */
static void put_pid(char *s, pid_t pid)
{
	char digits[24];
	int n = 0;

	s += sizeof("LISTEN_PID=") - 1;
	do {
		digits[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid);
	while (n)
		*s++ = digits[--n];
	*s = '\0';
}

static void say(const char *a, const char *b, const char *c)
{
	if (write(2, a, strlen(a)) < 0 || write(2, b, strlen(b)) < 0 ||
	    write(2, c, strlen(c)) < 0)
		return;
}

/* child: never returns. The sockets become fd 3 onward, the systemd way.
 * Only async-signal-safe calls: L was made before fork. */
static void child(const struct fn *fn, size_t i, struct launch *l)
{
	int tmp[2], n = (int)fn->n_groups, null;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	for (int g = 0; g < n; g++)
		tmp[g] = fcntl(fn->groups[g].fds[i], F_DUPFD, 3 + n);
	for (int g = 0; g < n; g++)
		if (tmp[g] < 0 || dup2(tmp[g], 3 + g) < 0)
			_exit(126);
	syscall(SYS_close_range, 3 + n, ~0u, 0);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	put_pid(l->listen_pid, getpid());
	if (fn->cfg.group[0] || fn->cfg.user[0]) {
		if (fn->cfg.user[0] ? setgroups((size_t)l->n_groups, l->groups)
				    : setgroups(0, NULL))
			_exit(126);
		if (setgid(fn->cfg.gid))
			_exit(126);
	}
	if (fn->cfg.user[0] && setuid(fn->cfg.uid))
		_exit(126);
	execve(fn->cfg.handler_path, l->argv, l->envp);
	say("fastpathd: function ", fn->cfg.id, ": cannot run ");
	say(fn->cfg.handler_path, ": ", errno == ENOENT ? "no such file\n" :
	    errno == EACCES ? "permission denied\n" : "exec failed\n");
	_exit(127);
}

void fp_fn_spawn(struct fp_functions *f, struct fn *fn, size_t i, bool restart)
{
	struct instance *in = &fn->inst[i];
	struct launch l;
	int err = launch_prepare(fn, i, &l);
	pid_t pid = err ? -1 : fork();

	if (pid < 0) {
		fp_log(f->log, FP_LOG_ERROR, "function %s: %s: %s; retrying", fn->cfg.id,
		       err ? "preparing its environment" : "fork", strerror(err ? -err : errno));
		if (!err)
			launch_free(&l);
		in->state = I_PENDING;
		in->due_ms = now_ms() + 1000;
		return;
	}
	if (!pid)
		child(fn, i, &l);
	launch_free(&l);
	in->pid = pid;
	in->state = I_RUNNING;
	in->started_ms = now_ms();
	in->failed = false;
	if (restart)
		fn->restarts++;
	fp_log(f->log, FP_LOG_INFO, "function %s: %s instance %zu, pid %d (port %u %s)",
	       fn->cfg.id, restart ? "restarted" : "started", i, (int)pid,
	       fn->cfg.trigger_port, fp_fn_protocols_str(fn->cfg.protocols));
}

void fp_fn_signal_instance(struct instance *in, int sig, bool restart_after)
{
	if (in->state == I_RUNNING || in->state == I_STOPPING) {
		kill(in->pid, sig);
		if (in->state == I_RUNNING)
			in->kill_ms = now_ms() + STOP_GRACE_MS;
		in->state = I_STOPPING;
		in->restart_after = restart_after;
	} else if (in->state == I_PENDING && !restart_after) {
		in->state = I_IDLE;
	} else if (in->state == I_PENDING || in->state == I_IDLE) {
		in->state = I_PENDING;
		in->due_ms = now_ms();
	}
}

void fp_fn_on_exit(struct fp_functions *f, struct fn *fn, size_t i, int status)
{
	struct instance *in = &fn->inst[i];
	unsigned long long now = now_ms(), ran = now - in->started_ms, delay;
	bool failure = !WIFEXITED(status) || WEXITSTATUS(status);
	bool restart;
	char how[64];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	in->pid = 0;
	if (in->state == I_STOPPING) {
		fp_log(f->log, FP_LOG_INFO, "function %s: instance %zu %s (stopped)",
		       fn->cfg.id, i, how);
		in->state = in->restart_after && !fn->removed ? I_PENDING : I_IDLE;
		in->due_ms = now;
		in->fails = 0;
		return;
	}
	restart = fn->cfg.restart == FP_FN_RESTART_ALWAYS ||
		  (fn->cfg.restart == FP_FN_RESTART_ON_FAILURE && failure);
	if (fn->removed)
		restart = false;
	in->fails = ran >= HEALTHY_MS ? 1 : in->fails + 1;
	if (!restart) {
		in->state = I_IDLE;
		in->failed = failure;
		fp_log(f->log, failure ? FP_LOG_ERROR : FP_LOG_INFO, "function %s: instance "
		       "%zu %s; restart: %s, so it stays down (its connections wait in "
		       "the backlog: fastpath functions restart %s)", fn->cfg.id, i, how,
		       fp_fn_restart_str(fn->cfg.restart), fn->cfg.id);
		return;
	}
	/* Doubling from BACKOFF_MIN_MS, clamped to BACKOFF_MAX_MS (the shift
	 * only kept from overflowing: at 8 it stopped at 25.6 s). */
	delay = (unsigned long long)BACKOFF_MIN_MS << (in->fails > 20 ? 19 : in->fails - 1);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	in->state = I_PENDING;
	in->due_ms = now + delay;
	fp_log(f->log, in->fails >= FAILING_ALERT ? FP_LOG_ERROR : FP_LOG_WARN,
	       "function %s: instance %zu %s after %llu ms; restarting in %llu ms%s",
	       fn->cfg.id, i, how, ran, delay,
	       in->fails >= FAILING_ALERT ? " (it keeps failing: check its log)" : "");
}
