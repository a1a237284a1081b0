// SPDX-License-Identifier: BSD-2-Clause
/* What a restarted fastpathd takes over from the one before it, for the
 * functions supervisor (supervisor.c): the sockets of the handlers it
 * left running (pidfd_getfd of their fd 3 onward), the socket indexes
 * bindings already use, bindings no function holds any more (left by
 * a fastpathd that was killed), and its handlers, told to stop and
 * killed when they outlive their grace. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "functions/functions_state.h"
#include "functions/supervisor.h"

bool fp_fn_adopt(struct fp_functions *f, struct fn *fn, const struct fp_fn_state *old)
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

void fp_fn_reserve_existing(bool *used, const char *netns)
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

void fp_fn_clean_stale(struct fp_functions *f, const char *netns)
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

/* fp_fn_orphan_stop: SIGTERM to PID, when it is a handler of the previous
 * daemon, held by a pidfd until it exits or is killed (fp_fn_orphans_tick). */
void fp_fn_orphan_stop(struct fp_functions *f, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), *v;

	if (fd < 0) {
		if (fp_fn_state_pid_is_handler(pid))
			kill(pid, SIGTERM);
		return;
	}
	/* Checked once held: from here the pid cannot be another's. */
	if (!fp_fn_state_pid_is_handler(pid) ||
	    syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0)) {
		close(fd);
		return;
	}
	v = realloc(f->orphans, (f->n_orphans + 1) * sizeof(*v));
	if (!v) {
		close(fd); /* told to stop, not followed */
		return;
	}
	f->orphans = v;
	f->orphans[f->n_orphans++] = fd;
	f->orphans_kill_ms = now_ms() + STOP_GRACE_MS;
}

/* fp_fn_orphans_tick: those still running past their grace get SIGKILL; the ms
 * to the next look, or -1. A pidfd is readable once its process exits. */
long long fp_fn_orphans_tick(struct fp_functions *f, unsigned long long now)
{
	size_t kept = 0;

	for (size_t i = 0; i < f->n_orphans; i++) {
		struct pollfd p = { .fd = f->orphans[i], .events = POLLIN };
		bool gone = poll(&p, 1, 0) > 0;

		if (!gone && now >= f->orphans_kill_ms) {
			fp_log(f->log, FP_LOG_WARN, "functions: a handler of the previous "
			       "fastpathd outlived its %d ms to stop: killed", STOP_GRACE_MS);
			syscall(SYS_pidfd_send_signal, f->orphans[i], SIGKILL, NULL, 0);
			gone = true;
		}
		if (gone)
			close(f->orphans[i]);
		else
			f->orphans[kept++] = f->orphans[i];
	}
	f->n_orphans = kept;
	return kept ? (long long)(f->orphans_kill_ms > now ? f->orphans_kill_ms - now : 0) : -1;
}

void fp_fn_orphans_kill(struct fp_functions *f)
{
	for (size_t i = 0; i < f->n_orphans; i++) {
		syscall(SYS_pidfd_send_signal, f->orphans[i], SIGKILL, NULL, 0);
		close(f->orphans[i]);
	}
	free(f->orphans);
	f->orphans = NULL;
	f->n_orphans = 0;
}
