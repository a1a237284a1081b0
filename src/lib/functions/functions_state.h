/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: what the functions service writes to
 * FP_FUNCTIONS_STATE, for the CLI and for the next fastpathd. */
#ifndef FP_LIB_FUNCTIONS_STATE_H
#define FP_LIB_FUNCTIONS_STATE_H

#include <fastpath/functions.h>

struct fp_fn_state {
	char id[FP_FN_ID_MAX];
	char netns[PATH_MAX];
	char state[16];
	uint16_t port;
	unsigned int protocols;
	uint32_t instances;
	unsigned int restarts;
	pid_t pids[FP_FN_INSTANCES_MAX];
	uint32_t index[2];      /* per socket group (tcp first), ~0: none */
	uint16_t ports[2];      /* the port each group's sockets are bound to */
};

int fp_fn_state_write(const struct fp_fn_state *st, size_t n);
/* fp_fn_state_read: -ENOENT when there is no file; the caller frees. */
int fp_fn_state_read(struct fp_fn_state **out, size_t *n);
const struct fp_fn_state *fp_fn_state_find(const struct fp_fn_state *st, size_t n,
					   const char *id);
/* fp_fn_state_pid_is_handler: PID runs and has LISTEN_FDS in its
 * environment (guards against a recycled pid). */
bool fp_fn_state_pid_is_handler(pid_t pid);

#endif
