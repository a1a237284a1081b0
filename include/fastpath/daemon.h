/* SPDX-License-Identifier: BSD-2-Clause */
/* What fastpathd tells the CLI about itself: a small JSON file under
 * FP_RUN_DIR, written on every change, removed on a clean exit. */
#ifndef FASTPATH_DAEMON_H
#define FASTPATH_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define FP_RUN_DIR      "/run/fastpath"
#define FP_DAEMON_STATE FP_RUN_DIR "/fastpathd.json"
#define FP_DAEMON_LOCK  FP_RUN_DIR "/fastpathd.lock"

struct fp_daemon_state {
	pid_t pid;
	char config[PATH_MAX];
	bool ebpf;              /* false: userspace-only mode */
	char reason[256];       /* why userspace-only */
	char interfaces[512];   /* "eth0,eth1" */
	long long started;      /* unix seconds */
	char dhcp_interface[16]; /* "" when no DHCP server runs */
	char dhcp_lease_file[PATH_MAX];
};

/* fp_daemon_state_write: replace the state file atomically (rename). */
int fp_daemon_state_write(const struct fp_daemon_state *st);

/* fp_daemon_state_read: -ENOENT when no daemon wrote one, -ESRCH when the
 * daemon that wrote it is gone (killed: a clean exit removes it). */
int fp_daemon_state_read(struct fp_daemon_state *st);

void fp_daemon_state_remove(void);

#endif
