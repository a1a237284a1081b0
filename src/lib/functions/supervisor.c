// SPDX-License-Identifier: BSD-2-Clause
/* The functions service of fastpathd: per function a reuseport group of
 * sockets per protocol that fastpathd keeps (so a crashed handler loses
 * no connection: they wait in the backlog), bindings steering the trigger
 * port to the group, and N handler processes started the systemd way
 * (handlers.c).
 *
 * A restarted fastpathd takes the sockets of the handlers the previous
 * one left running (pidfd_getfd of their fd 3 onward; takeover.c), steers
 * to them, stops those handlers and starts its own on the same sockets:
 * the port is never steered to nothing and the backlog is kept. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <fastpath/functions.h>
#include <fastpath/reconcile.h>
#include "functions/functions_state.h"
#include "functions/supervisor.h"

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

/* port_held: another function in FN's namespace (one retiring, say, its
 * handlers draining) has sockets of TYPE on PORT. New sockets there with
 * SO_REUSEPORT would join its group, and connections meant for the new
 * handlers would reach the old ones, to be reset when they exit. */
static bool port_held(const struct fp_functions *f, const struct fn *fn, int type,
		      uint16_t port)
{
	for (size_t k = 0; k < f->n; k++) {
		const struct fn *o = f->fns[k];

		if (o == fn || strcmp(o->cfg.netns, fn->cfg.netns))
			continue;
		for (size_t g = 0; g < o->n_groups; g++)
			if (o->groups[g].type == type && o->groups[g].port == port)
				return true;
	}
	return false;
}

/* make_sockets: FN's sockets; OLD_HELD: the previous daemon's handlers of
 * this function (not adopted: its shape changed) still hold its port. */
static int make_sockets(struct fp_functions *f, struct fn *fn, bool old_held)
{
	for (size_t g = 0; g < fn->n_groups; g++) {
		struct sockgroup *gr = &fn->groups[g];
		/* sk_lookup steers the trigger port whatever port the
		 * sockets are on: one of their own when it is held. */
		uint16_t port = old_held || port_held(f, fn, gr->type, fn->cfg.trigger_port) ?
				0 : fn->cfg.trigger_port;

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
		} else if (fp_steer_stats_clear(&fn->steer, fn->groups[g].index)) {
			/* a fresh index: what its last function counted goes */
			fp_log(f->log, FP_LOG_WARN, "function %s: its counters could not be "
			       "zeroed; they may start from another function's", cfg->id);
		}
	}
	if (!fp_fn_adopt(f, fn, old) && make_sockets(f, fn, old != NULL))
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
		fp_fn_spawn(f, fn, i, false);
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
	fp_fn_reserve_existing(reserved, NULL);
	for (size_t k = 0; k < n_old; k++)
		fp_fn_reserve_existing(reserved, old[k].netns);
	for (size_t i = 0; i < n; i++)
		fp_fn_reserve_existing(reserved, fns[i].netns);
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
			if (old[k].pids[i] > 0)
				fp_fn_orphan_stop(f, old[k].pids[i]);
	/* Now only what we bound is used; what else is bound is stale. */
	memset(f->used, 0, sizeof(f->used));
	for (size_t k = 0; k < f->n; k++)
		for (size_t g = 0; g < f->fns[k]->n_groups; g++)
			f->used[f->fns[k]->groups[g].index] = true;
	fp_fn_clean_stale(f, NULL);
	for (size_t k = 0; k < n_old; k++)
		fp_fn_clean_stale(f, old[k].netns);
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
		fp_fn_signal_instance(&fn->inst[i], SIGTERM, false);
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
				fp_fn_signal_instance(&fn->inst[k], SIGTERM, true);
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
					fp_fn_on_exit(f, fn, i, status);
		}
	}
	fp_functions_timer(f);
	sweep(f);
	write_state(f);
}

long long fp_functions_timer(struct fp_functions *f)
{
	unsigned long long now = now_ms();
	long long next = fp_fn_orphans_tick(f, now);
	bool changed = false;

	for (size_t k = 0; k < f->n; k++) {
		struct fn *fn = f->fns[k];

		for (size_t i = 0; i < fn->cfg.instances; i++) {
			struct instance *in = &fn->inst[i];
			unsigned long long due = 0;

			if (in->state == I_PENDING && !fn->removed) {
				if (in->due_ms <= now) {
					fp_fn_spawn(f, fn, i, true);
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
			fp_fn_signal_instance(&fn->inst[i], SIGTERM, true);
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
			fp_fn_signal_instance(&fn->inst[i], SIGTERM, false);
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
	/* The previous daemon's handlers still running were told to stop
	 * at the takeover: the daemon goes, and so do they. */
	fp_fn_orphans_kill(f);
	free(f->fns);
	free(f);
	unlink(FP_FUNCTIONS_STATE);
}
