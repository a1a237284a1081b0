// SPDX-License-Identifier: BSD-2-Clause
/* The functions service of fastpathd: per function a reuseport group of
 * sockets per protocol that fastpathd keeps (so a crashed handler loses
 * no connection: they wait in the backlog), bindings steering the trigger
 * port to the group, and N handler processes started the systemd way.
 *
 * A restarted fastpathd takes the sockets of the handlers the previous
 * one left running (pidfd_getfd of their fd 3 onward), steers to them,
 * stops those handlers and starts its own on the same sockets: the port
 * is never steered to nothing and the backlog is kept. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <fastpath/functions.h>
#include <fastpath/reconcile.h>
#include "functions/functions_state.h"

#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   30000
#define HEALTHY_MS       10000  /* a run this long resets the backoff */
#define FAILING_ALERT    5      /* quick failures in a row that raise an alert */
#define STOP_GRACE_MS    5000

enum inst_state { I_IDLE = 0, I_RUNNING, I_PENDING, I_STOPPING };

struct instance {
	pid_t pid;
	enum inst_state state;
	unsigned long long started_ms, due_ms, kill_ms;
	unsigned int fails;     /* quick failures in a row */
	bool restart_after;     /* I_STOPPING: start again once it exited */
	bool failed;            /* last exit was a failure and no restart follows */
};

struct sockgroup {
	int type;               /* SOCK_STREAM or SOCK_DGRAM */
	int protocol;           /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t index;
	uint16_t port;          /* the port the sockets are bound to */
	int fds[FP_FN_INSTANCES_MAX];
};

struct fn {
	struct fp_function_config cfg; /* deep copy */
	struct fp_steer steer;
	bool steering;
	int netns_fd;
	int family;
	struct sockgroup groups[2];
	size_t n_groups;
	struct instance inst[FP_FN_INSTANCES_MAX];
	unsigned int restarts;
	bool removed;           /* stopping for good; freed once reaped */
};

struct fp_functions {
	const struct fp_logger *log;
	struct fn **fns;
	size_t n;
	bool used[FP_FN_PORTS_BASE]; /* socket indexes in use */
};

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* ---- configuration copies ---------------------------------------------- */

static char **strv_dup(char **v)
{
	size_t n = 0;
	char **c;

	if (!v)
		return NULL;
	while (v[n])
		n++;
	c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c && i < n; i++)
		c[i] = strdup(v[i]);
	return c;
}

static void cfg_copy(struct fp_function_config *dst, const struct fp_function_config *src)
{
	*dst = *src;
	dst->args = strv_dup(src->args);
	dst->env = strv_dup(src->env);
}

static bool strv_eq(char **a, char **b)
{
	size_t i;

	if (!a || !b)
		return (!a || !*a) && (!b || !*b);
	for (i = 0; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return !a[i] && !b[i];
}

static int fn_family(const struct fp_function_config *c)
{
	for (size_t i = 0; i < c->n_addresses; i++)
		if (c->addresses[i].family == AF_INET6)
			return AF_INET6;
	return AF_INET;
}

/* Same sockets and bindings: a change of anything else restarts only
 * the handlers. */
static bool same_shape(const struct fp_function_config *a, const struct fp_function_config *b)
{
	return a->trigger_port == b->trigger_port && a->protocols == b->protocols &&
	       a->instances == b->instances && fn_family(a) == fn_family(b) &&
	       !strcmp(a->netns, b->netns) && a->n_addresses == b->n_addresses &&
	       !memcmp(a->addresses, b->addresses, a->n_addresses * sizeof(a->addresses[0]));
}

static bool same_cfg(const struct fp_function_config *a, const struct fp_function_config *b)
{
	return same_shape(a, b) && !strcmp(a->handler_path, b->handler_path) &&
	       strv_eq(a->args, b->args) && strv_eq(a->env, b->env) &&
	       a->uid == b->uid && a->gid == b->gid && !strcmp(a->user, b->user) &&
	       !strcmp(a->group, b->group) && a->restart == b->restart;
}

/* ---- bindings ---------------------------------------------------------- */

/* fn_prefixes: the function's addresses, or any address of its family
 * (a dual-stack socket takes both). */
static size_t fn_prefixes(const struct fn *fn, struct fp_cidr *out)
{
	size_t n = 0;

	if (fn->cfg.n_addresses) {
		memcpy(out, fn->cfg.addresses, fn->cfg.n_addresses * sizeof(*out));
		return fn->cfg.n_addresses;
	}
	out[n++] = fp_fn_prefix_any(AF_INET);
	if (fn->family == AF_INET6)
		out[n++] = fp_fn_prefix_any(AF_INET6);
	return n;
}

static int fn_bind(struct fp_functions *f, struct fn *fn)
{
	struct fp_cidr p[FP_FN_ADDRS_MAX + 1];
	size_t np = fn_prefixes(fn, p);
	int err = 0;

	for (size_t g = 0; g < fn->n_groups && !err; g++) {
		/* The socket first, then the binding: never a binding to nothing. */
		err = fp_steer_set_socket(&fn->steer, fn->groups[g].index, fn->groups[g].fds[0]);
		for (size_t i = 0; i < np && !err; i++)
			err = fp_steer_bind(&fn->steer, fn->groups[g].protocol,
					    fn->cfg.trigger_port, &p[i], fn->groups[g].index);
	}
	if (err)
		fp_log(f->log, FP_LOG_ERROR, "function %s: cannot steer port %u: %s",
		       fn->cfg.id, fn->cfg.trigger_port, strerror(-err));
	return err;
}

/* unbind_mine: remove the binding of KEY if it still points at INDEX (a
 * newer function may have taken the key over already). */
static void unbind_mine(struct fp_steer *s, const struct fp_fn_key *key, uint32_t index)
{
	struct fp_fn_binding b;

	if (!bpf_map_lookup_elem(s->bindings_fd, key, &b) && b.index == index)
		bpf_map_delete_elem(s->bindings_fd, key);
}

static void fn_unbind(struct fp_functions *f, struct fn *fn)
{
	struct fp_steer_binding *all = NULL;
	size_t n = 0;

	if (!fn->steering)
		return;
	if (!fp_steer_list(&fn->steer, &all, &n)) {
		for (size_t i = 0; i < n; i++)
			for (size_t g = 0; g < fn->n_groups; g++)
				if (all[i].index == fn->groups[g].index)
					unbind_mine(&fn->steer, &all[i].key, all[i].index);
		free(all);
	}
	for (size_t g = 0; g < fn->n_groups; g++) {
		fp_steer_clear_socket(&fn->steer, fn->groups[g].index);
		f->used[fn->groups[g].index] = false;
	}
	fp_steer_remove_if_unused(&fn->steer);
	fp_steer_close(&fn->steer);
	fn->steering = false;
}

static int alloc_index(struct fp_functions *f, uint32_t *index)
{
	for (uint32_t i = 0; i < FP_FN_PORTS_BASE; i++) {
		if (!f->used[i]) {
			f->used[i] = true;
			*index = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* ---- sockets ----------------------------------------------------------- */

/* adopt: the sockets of the handlers a previous fastpathd left running,
 * when their function has the same shape; false to make new ones. */
static bool adopt(struct fp_functions *f, struct fn *fn, const struct fp_fn_state *old)
{
	size_t g, i;

	if (!old || old->port != fn->cfg.trigger_port || old->protocols != fn->cfg.protocols ||
	    old->instances != fn->cfg.instances || strcmp(old->netns, fn->cfg.netns))
		return false;
	for (i = 0; i < fn->cfg.instances; i++)
		if (old->pids[i] <= 0)
			return false;
	for (g = 0; g < fn->n_groups; g++) {
		for (i = 0; i < fn->cfg.instances; i++) {
			int fd = fp_fn_take_fd(old->pids[i], 3 + (int)g);

			if (fd >= 0 && fp_fn_socket_check(fd, fn->groups[g].type, old->ports[g])) {
				close(fd);
				fd = -EINVAL;
			}
			if (fd < 0)
				goto undo;
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			fn->groups[g].fds[i] = fd;
		}
		fn->groups[g].port = old->ports[g];
	}
	fp_log(f->log, FP_LOG_INFO, "function %s: took over the sockets of the running "
	       "handlers (pid %d...); restarting them", fn->cfg.id, (int)old->pids[0]);
	return true;
undo:
	for (g = 0; g < fn->n_groups; g++)
		for (i = 0; i < fn->cfg.instances; i++)
			if (fn->groups[g].fds[i] >= 0) {
				close(fn->groups[g].fds[i]);
				fn->groups[g].fds[i] = -1;
			}
	return false;
}

static int make_sockets(struct fp_functions *f, struct fn *fn)
{
	for (size_t g = 0; g < fn->n_groups; g++) {
		struct sockgroup *gr = &fn->groups[g];
		uint16_t port = fn->cfg.trigger_port;

		for (size_t i = 0; i < fn->cfg.instances; i++) {
			int fd = fp_fn_socket(fn->netns_fd, fn->family, gr->type, port,
					      fn->cfg.instances > 1, &gr->port);

			if (fd < 0) {
				fp_log(f->log, FP_LOG_ERROR, "function %s: cannot create its "
				       "%s socket: %s", fn->cfg.id,
				       gr->protocol == IPPROTO_TCP ? "TCP" : "UDP", strerror(-fd));
				return fd;
			}
			gr->fds[i] = fd;
			port = gr->port; /* the rest join the first one's group */
		}
		if (gr->port != fn->cfg.trigger_port)
			fp_log(f->log, FP_LOG_DEBUG, "function %s: port %u is taken on "
			       "loopback; its %s sockets are on port %u", fn->cfg.id,
			       fn->cfg.trigger_port, gr->protocol == IPPROTO_TCP ? "TCP" : "UDP",
			       gr->port);
	}
	return 0;
}

static void close_sockets(struct fn *fn)
{
	for (size_t g = 0; g < fn->n_groups; g++)
		for (size_t i = 0; i < FP_FN_INSTANCES_MAX; i++)
			if (fn->groups[g].fds[i] >= 0) {
				close(fn->groups[g].fds[i]);
				fn->groups[g].fds[i] = -1;
			}
}

/* ---- handlers ---------------------------------------------------------- */

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

static void spawn(struct fp_functions *f, struct fn *fn, size_t i, bool restart)
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

static void signal_instance(struct instance *in, int sig, bool restart_after)
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

/* ---- the set ----------------------------------------------------------- */

static void fn_free(struct fn *fn)
{
	close_sockets(fn);
	if (fn->steering)
		fp_steer_close(&fn->steer);
	if (fn->netns_fd >= 0)
		close(fn->netns_fd);
	fp_function_config_free(&fn->cfg);
	free(fn);
}

/* fn_new: sockets (new or taken over) and bindings; no handler yet. */
static struct fn *fn_new(struct fp_functions *f, const struct fp_function_config *cfg,
			 const struct fp_fn_state *old)
{
	struct fn *fn = calloc(1, sizeof(*fn));
	int err;

	if (!fn)
		return NULL;
	cfg_copy(&fn->cfg, cfg);
	fn->netns_fd = -1;
	fn->family = fn_family(cfg);
	for (size_t g = 0; g < 2; g++)
		for (size_t i = 0; i < FP_FN_INSTANCES_MAX; i++)
			fn->groups[g].fds[i] = -1;
	if (cfg->protocols & FP_FN_TCP)
		fn->groups[fn->n_groups++] = (struct sockgroup){ .type = SOCK_STREAM,
			.protocol = IPPROTO_TCP, .fds = { -1 } };
	if (cfg->protocols & FP_FN_UDP)
		fn->groups[fn->n_groups++] = (struct sockgroup){ .type = SOCK_DGRAM,
			.protocol = IPPROTO_UDP, .fds = { -1 } };
	for (size_t g = 0; g < fn->n_groups; g++)
		for (size_t i = 1; i < FP_FN_INSTANCES_MAX; i++)
			fn->groups[g].fds[i] = -1;
	if (cfg->netns[0]) {
		fn->netns_fd = open(cfg->netns, O_RDONLY | O_CLOEXEC);
		if (fn->netns_fd < 0) {
			fp_log(f->log, FP_LOG_ERROR, "function %s: cannot open the network "
			       "namespace %s: %s", cfg->id, cfg->netns, strerror(errno));
			goto fail;
		}
	}
	err = fp_steer_open(&fn->steer, cfg->netns, true);
	if (err) {
		fp_log(f->log, FP_LOG_ERROR, "function %s: cannot attach the sk_lookup "
		       "program to %s: %s", cfg->id, cfg->netns[0] ? cfg->netns :
		       "this network namespace", strerror(-err));
		goto fail;
	}
	fn->steering = true;
	for (size_t g = 0; g < fn->n_groups; g++) {
		/* A taken-over function keeps its index: its bindings point there. */
		if (old && old->index[g] < FP_FN_PORTS_BASE && !f->used[old->index[g]] &&
		    old->protocols == cfg->protocols) {
			fn->groups[g].index = old->index[g];
			f->used[old->index[g]] = true;
		} else if (alloc_index(f, &fn->groups[g].index)) {
			goto fail;
		}
	}
	if (!adopt(f, fn, old) && make_sockets(f, fn))
		goto fail;
	if (fn_bind(f, fn))
		goto fail;
	return fn;
fail:
	fn_unbind(f, fn);
	fn_free(fn);
	return NULL;
}

static void fn_start_all(struct fp_functions *f, struct fn *fn)
{
	for (size_t i = 0; i < fn->cfg.instances; i++)
		spawn(f, fn, i, false);
}

static int fn_add(struct fp_functions *f, struct fn *fn)
{
	struct fn **v = realloc(f->fns, (f->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	f->fns = v;
	f->fns[f->n++] = fn;
	return 0;
}

static void write_state(struct fp_functions *f)
{
	struct fp_fn_state *st = calloc(f->n ? f->n : 1, sizeof(*st));
	size_t n = 0;
	unsigned long long now = now_ms();

	if (!st)
		return;
	for (size_t k = 0; k < f->n; k++) {
		const struct fn *fn = f->fns[k];
		struct fp_fn_state *s = &st[n];
		size_t running = 0, pending = 0, failed = 0;

		if (fn->removed)
			continue;
		n++;
		snprintf(s->id, sizeof(s->id), "%s", fn->cfg.id);
		snprintf(s->netns, sizeof(s->netns), "%s", fn->cfg.netns);
		s->port = fn->cfg.trigger_port;
		s->protocols = fn->cfg.protocols;
		s->instances = fn->cfg.instances;
		s->restarts = fn->restarts;
		for (size_t g = 0; g < 2; g++) {
			s->index[g] = g < fn->n_groups ? fn->groups[g].index : ~0u;
			s->ports[g] = g < fn->n_groups ? fn->groups[g].port : 0;
		}
		for (size_t i = 0; i < fn->cfg.instances; i++) {
			const struct instance *in = &fn->inst[i];

			s->pids[i] = in->state == I_RUNNING || in->state == I_STOPPING ? in->pid : 0;
			running += in->state == I_RUNNING;
			pending += in->state == I_PENDING || in->state == I_STOPPING;
			failed += in->failed;
		}
		if (running == fn->cfg.instances)
			snprintf(s->state, sizeof(s->state), "running");
		else if (pending)
			snprintf(s->state, sizeof(s->state), "%s", running ? "starting" : "backoff");
		else
			snprintf(s->state, sizeof(s->state), "%s", failed ? "failed" : "stopped");
	}
	(void)now;
	if (fp_fn_state_write(st, n))
		fp_log(f->log, FP_LOG_WARN, "cannot write %s", FP_FUNCTIONS_STATE);
	free(st);
}

/* clean_stale: bindings in the daemon's index range that no function of
 * ours holds (left by a fastpathd that was killed), in NETNS. */
static void clean_stale(struct fp_functions *f, const char *netns)
{
	struct fp_steer s;
	struct fp_steer_binding *all = NULL;
	size_t n = 0;

	if (fp_steer_open(&s, netns, false))
		return;
	if (!fp_steer_list(&s, &all, &n)) {
		for (size_t i = 0; i < n; i++) {
			if (all[i].index >= FP_FN_PORTS_BASE || f->used[all[i].index])
				continue;
			fp_log(f->log, FP_LOG_INFO, "functions: removing a stale binding "
			       "of port %u to socket %u", all[i].key.port, all[i].index);
			bpf_map_delete_elem(s.bindings_fd, &all[i].key);
			fp_steer_clear_socket(&s, all[i].index);
		}
		free(all);
	}
	fp_steer_remove_if_unused(&s);
	fp_steer_close(&s);
}

/* reserve_existing: mark the indexes existing bindings use, so that a new
 * function does not get one before the stale binding is gone. */
static void reserve_existing(bool *used, const char *netns)
{
	struct fp_steer s;
	struct fp_steer_binding *all = NULL;
	size_t n = 0;

	if (fp_steer_open(&s, netns, false))
		return;
	if (!fp_steer_list(&s, &all, &n))
		for (size_t i = 0; i < n; i++)
			if (all[i].index < FP_FN_PORTS_BASE)
				used[all[i].index] = true;
	free(all);
	fp_steer_close(&s);
}

int fp_functions_start(const struct fp_function_config *fns, size_t n,
		       const struct fp_logger *log, struct fp_functions **out)
{
	struct fp_functions *f = calloc(1, sizeof(*f));
	struct fp_fn_state *old = NULL;
	bool reserved[FP_FN_PORTS_BASE] = { 0 };
	size_t n_old = 0;

	if (!f)
		return -ENOMEM;
	f->log = log;
	fp_fn_state_read(&old, &n_old);
	reserve_existing(reserved, NULL);
	for (size_t k = 0; k < n_old; k++)
		reserve_existing(reserved, old[k].netns);
	for (size_t i = 0; i < n; i++)
		reserve_existing(reserved, fns[i].netns);
	/* Indexes of the old functions we take over stay free for them. */
	for (size_t i = 0; i < n; i++) {
		const struct fp_fn_state *o = fp_fn_state_find(old, n_old, fns[i].id);

		for (size_t g = 0; o && g < 2; g++)
			if (o->index[g] < FP_FN_PORTS_BASE)
				reserved[o->index[g]] = false;
	}
	memcpy(f->used, reserved, sizeof(reserved));
	for (size_t i = 0; i < n; i++) {
		const struct fp_fn_state *o = fp_fn_state_find(old, n_old, fns[i].id);
		struct fn *fn = fn_new(f, &fns[i], o);

		if (!fn)
			continue;
		if (fn_add(f, fn)) {
			fn_unbind(f, fn);
			fn_free(fn);
			continue;
		}
		fn_start_all(f, fn);
	}
	/* The previous daemon's handlers: their sockets are ours now, or
	 * their function is gone. */
	for (size_t k = 0; k < n_old; k++)
		for (size_t i = 0; i < old[k].instances && i < FP_FN_INSTANCES_MAX; i++)
			if (old[k].pids[i] > 0 && fp_fn_state_pid_is_handler(old[k].pids[i]))
				kill(old[k].pids[i], SIGTERM);
	/* Now only what we bound is used; what else is bound is stale. */
	memset(f->used, 0, sizeof(f->used));
	for (size_t k = 0; k < f->n; k++)
		for (size_t g = 0; g < f->fns[k]->n_groups; g++)
			f->used[f->fns[k]->groups[g].index] = true;
	clean_stale(f, NULL);
	for (size_t k = 0; k < n_old; k++)
		clean_stale(f, old[k].netns);
	free(old);
	write_state(f);
	*out = f;
	return 0;
}

static struct fn *find_fn(struct fp_functions *f, const char *id)
{
	for (size_t k = 0; k < f->n; k++)
		if (!f->fns[k]->removed && !strcmp(f->fns[k]->cfg.id, id))
			return f->fns[k];
	return NULL;
}

/* fn_retire: stop for good; the struct goes once every instance is reaped. */
static void fn_retire(struct fp_functions *f, struct fn *fn)
{
	fn->removed = true;
	fn_unbind(f, fn);
	close_sockets(fn);
	for (size_t i = 0; i < fn->cfg.instances; i++)
		signal_instance(&fn->inst[i], SIGTERM, false);
	fp_log(f->log, FP_LOG_INFO, "function %s: stopped (no longer configured)", fn->cfg.id);
}

static void sweep(struct fp_functions *f)
{
	size_t k = 0;

	while (k < f->n) {
		struct fn *fn = f->fns[k];
		bool live = false;

		for (size_t i = 0; i < fn->cfg.instances; i++)
			live |= fn->inst[i].state == I_RUNNING || fn->inst[i].state == I_STOPPING;
		if (fn->removed && !live) {
			fn_free(fn);
			f->fns[k] = f->fns[--f->n];
			continue;
		}
		k++;
	}
}

int fp_functions_apply(struct fp_functions *f, const struct fp_function_config *fns,
		       size_t n)
{
	/* Retire what is gone or changed shape (after the new one is bound,
	 * so that a port that stays is never steered to nothing). */
	struct fn **retire = calloc(f->n + 1, sizeof(*retire));
	size_t n_retire = 0;

	if (!retire)
		return -ENOMEM;
	for (size_t k = 0; k < f->n; k++) {
		struct fn *fn = f->fns[k];
		size_t i;

		if (fn->removed)
			continue;
		for (i = 0; i < n && strcmp(fns[i].id, fn->cfg.id); i++)
			;
		if (i == n || !same_shape(&fn->cfg, &fns[i]))
			retire[n_retire++] = fn;
	}
	for (size_t r = 0; r < n_retire; r++)
		retire[r]->removed = true; /* out of find_fn's sight */
	for (size_t i = 0; i < n; i++) {
		struct fn *fn = find_fn(f, fns[i].id);

		if (fn && same_cfg(&fn->cfg, &fns[i]))
			continue;
		if (fn) {
			/* Same sockets, new handler settings: restart the handlers. */
			fp_function_config_free(&fn->cfg);
			cfg_copy(&fn->cfg, &fns[i]);
			fp_log(f->log, FP_LOG_INFO, "function %s: changed; restarting its "
			       "handlers", fn->cfg.id);
			for (size_t k = 0; k < fn->cfg.instances; k++)
				signal_instance(&fn->inst[k], SIGTERM, true);
			continue;
		}
		fn = fn_new(f, &fns[i], NULL);
		if (fn && fn_add(f, fn)) {
			fn_unbind(f, fn);
			fn_free(fn);
			fn = NULL;
		}
		if (fn)
			fn_start_all(f, fn);
	}
	for (size_t r = 0; r < n_retire; r++)
		fn_retire(f, retire[r]);
	free(retire);
	sweep(f);
	write_state(f);
	return 0;
}

static void on_exit_of(struct fp_functions *f, struct fn *fn, size_t i, int status)
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
	delay = (unsigned long long)BACKOFF_MIN_MS << (in->fails > 9 ? 8 : in->fails - 1);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	in->state = I_PENDING;
	in->due_ms = now + delay;
	fp_log(f->log, in->fails >= FAILING_ALERT ? FP_LOG_ERROR : FP_LOG_WARN,
	       "function %s: instance %zu %s after %llu ms; restarting in %llu ms%s",
	       fn->cfg.id, i, how, ran, delay,
	       in->fails >= FAILING_ALERT ? " (it keeps failing: check its log)" : "");
}

void fp_functions_reap(struct fp_functions *f)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t k = 0; k < f->n; k++) {
			struct fn *fn = f->fns[k];

			for (size_t i = 0; i < fn->cfg.instances; i++)
				if (fn->inst[i].pid == pid &&
				    (fn->inst[i].state == I_RUNNING || fn->inst[i].state == I_STOPPING))
					on_exit_of(f, fn, i, status);
		}
	}
	fp_functions_timer(f);
	sweep(f);
	write_state(f);
}

long long fp_functions_timer(struct fp_functions *f)
{
	unsigned long long now = now_ms();
	long long next = -1;
	bool changed = false;

	for (size_t k = 0; k < f->n; k++) {
		struct fn *fn = f->fns[k];

		for (size_t i = 0; i < fn->cfg.instances; i++) {
			struct instance *in = &fn->inst[i];
			unsigned long long due = 0;

			if (in->state == I_PENDING && !fn->removed) {
				if (in->due_ms <= now) {
					spawn(f, fn, i, true);
					changed = true;
					continue;
				}
				due = in->due_ms;
			} else if (in->state == I_STOPPING) {
				if (in->kill_ms && in->kill_ms <= now) {
					kill(in->pid, SIGKILL);
					in->kill_ms = 0;
					continue;
				}
				due = in->kill_ms;
			}
			if (due && (next < 0 || (long long)(due - now) < next))
				next = (long long)(due - now);
		}
	}
	if (changed)
		write_state(f);
	return next;
}

void fp_functions_requests(struct fp_functions *f)
{
	char line[FP_FN_ID_MAX + 2];
	FILE *req = fopen(FP_FUNCTIONS_REQ, "r");

	if (!req)
		return;
	unlink(FP_FUNCTIONS_REQ);
	while (fgets(line, sizeof(line), req)) {
		struct fn *fn;

		line[strcspn(line, "\n")] = '\0';
		fn = find_fn(f, line);
		if (!fn) {
			fp_log(f->log, FP_LOG_WARN, "functions restart: no function '%s'", line);
			continue;
		}
		fp_log(f->log, FP_LOG_INFO, "function %s: restart requested", fn->cfg.id);
		for (size_t i = 0; i < fn->cfg.instances; i++) {
			fn->inst[i].fails = 0;
			signal_instance(&fn->inst[i], SIGTERM, true);
		}
	}
	fclose(req);
	fp_functions_timer(f);
	write_state(f);
}

void fp_functions_stop(struct fp_functions *f)
{
	unsigned long long deadline = now_ms() + STOP_GRACE_MS;
	bool live = true;
	int status;

	if (!f)
		return;
	for (size_t k = 0; k < f->n; k++) {
		struct fn *fn = f->fns[k];

		fn_unbind(f, fn);
		for (size_t i = 0; i < fn->cfg.instances; i++)
			signal_instance(&fn->inst[i], SIGTERM, false);
	}
	while (live) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		live = false;
		for (size_t k = 0; k < f->n; k++)
			for (size_t i = 0; i < f->fns[k]->cfg.instances; i++) {
				struct instance *in = &f->fns[k]->inst[i];

				if (in->state != I_STOPPING)
					continue;
				if (pid > 0 && in->pid == pid) {
					in->state = I_IDLE;
					continue;
				}
				if (now_ms() >= deadline)
					kill(in->pid, SIGKILL);
				live = true;
			}
		if (live && pid <= 0)
			usleep(20000);
	}
	for (size_t k = 0; k < f->n; k++) {
		fp_log(f->log, FP_LOG_INFO, "function %s: stopped; port %u is no longer "
		       "steered", f->fns[k]->cfg.id, f->fns[k]->cfg.trigger_port);
		fn_free(f->fns[k]);
	}
	free(f->fns);
	free(f);
	unlink(FP_FUNCTIONS_STATE);
}
