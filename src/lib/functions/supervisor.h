/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: the functions supervisor's state, shared by
 * supervisor.c (the set of functions: their sockets, bindings and state
 * file), handlers.c (a handler's process: its environment, fork and
 * exec, the signals that stop it, what its exit means) and takeover.c
 * (what a restarted fastpathd takes over from the one before). */
#ifndef FP_LIB_FUNCTIONS_SUPERVISOR_H
#define FP_LIB_FUNCTIONS_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <fastpath/functions.h>
#include "functions/functions_state.h"

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
	/* The previous daemon's handlers, told to stop at a takeover: not our
	 * children, so held by pidfd (a pid may be reused), killed when they
	 * outlive STOP_GRACE_MS. */
	int *orphans;
	size_t n_orphans;
	unsigned long long orphans_kill_ms;
};

static inline unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* fp_fn_spawn: start instance I of FN (RESTART: counted as a restart);
 * when it cannot, the instance is due again in a second. */
void fp_fn_spawn(struct fp_functions *f, struct fn *fn, size_t i, bool restart);

/* fp_fn_signal_instance: send SIG to a running instance, which then has
 * STOP_GRACE_MS to exit; RESTART_AFTER: start it again once it has (one
 * not running is started now, or left idle). */
void fp_fn_signal_instance(struct instance *in, int sig, bool restart_after);

/* fp_fn_on_exit: instance I of FN exited with STATUS (waitpid's): idle,
 * or due again after a backoff its restart policy and failures decide. */
void fp_fn_on_exit(struct fp_functions *f, struct fn *fn, size_t i, int status);

/* fp_fn_adopt: the sockets of the handlers a previous fastpathd left
 * running (OLD, its state), when their function has the same shape;
 * false to make new ones. */
bool fp_fn_adopt(struct fp_functions *f, struct fn *fn, const struct fp_fn_state *old);

/* fp_fn_orphan_stop: SIGTERM to PID when it is a handler of the previous
 * fastpathd, followed by pidfd; fp_fn_orphans_tick: SIGKILL to those past
 * STOP_GRACE_MS, the ms to the next look or -1; fp_fn_orphans_kill: all
 * of them, at stop (takeover.c). */
void fp_fn_orphan_stop(struct fp_functions *f, pid_t pid);
long long fp_fn_orphans_tick(struct fp_functions *f, unsigned long long now);
void fp_fn_orphans_kill(struct fp_functions *f);

/* fp_fn_reserve_existing: mark in USED the indexes existing bindings use
 * in NETNS, so that a new function does not get one before the stale
 * binding is gone. */
void fp_fn_reserve_existing(bool *used, const char *netns);

/* fp_fn_clean_stale: remove the bindings in the daemon's index range that
 * no function of F holds (left by a fastpathd that was killed), in NETNS. */
void fp_fn_clean_stale(struct fp_functions *f, const char *netns);

#endif
