// SPDX-License-Identifier: BSD-2-Clause
/* What a restarted fastpathd takes over from the one before it, for the
 * functions supervisor (supervisor.c): the sockets of the handlers it
 * left running (pidfd_getfd of their fd 3 onward), the socket indexes
 * bindings already use, and bindings no function holds any more (left by
 * a fastpathd that was killed). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
