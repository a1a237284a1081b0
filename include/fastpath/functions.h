/* SPDX-License-Identifier: BSD-2-Clause */
/* Functions: fastpathd spawns handler processes and steers their trigger
 * ports to their sockets with an sk_lookup program (the model of
 * Cloudflare's tubular and of systemd socket activation).
 *
 * Three parts:
 *   - steering (steer.c): per network namespace, pinned maps binding
 *     (protocol, port, destination prefix) to a socket in a SOCKMAP, and
 *     the sk_lookup program attached to the namespace with a pinned
 *     bpf_link. The CLI uses it alone (`fastpath ports register`).
 *   - sockets (sockets.c): the listening sockets fastpathd creates and
 *     keeps, one reuseport group per function and protocol.
 *   - the supervisor (supervisor.c): a daemon service that starts the
 *     handlers with their sockets as fd 3 onward (LISTEN_FDS, LISTEN_PID,
 *     LISTEN_FDNAMES; handlers.c), restarts them with backoff, takes over
 *     from a previous fastpathd (takeover.c), and writes their state to
 *     FP_FUNCTIONS_STATE for `fastpath functions list`. */
#ifndef FASTPATH_FUNCTIONS_H
#define FASTPATH_FUNCTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <fastpath/core.h>      /* FP_NAME_MAX, struct fp_cidr, fp_config_error */
#include "functions_abi.h"

#define FP_CONFIG_FUNCTIONS_MAX  4096

#define FP_FN_ID_MAX        FP_NAME_MAX
#define FP_FN_ADDRS_MAX     16
#define FP_FN_ARGS_MAX      64
#define FP_FN_ENV_MAX       64
#define FP_FN_INSTANCES_MAX 64
#define FP_FUNCTIONS_DIR    "/sys/fs/bpf/fastpath/functions"
#define FP_FUNCTIONS_STATE  "/run/fastpath/functions.json"
#define FP_FUNCTIONS_REQ    "/run/fastpath/functions.restart"

/* protocols: a bit set */
#define FP_FN_TCP  1u
#define FP_FN_UDP  2u
#define FP_FN_BOTH (FP_FN_TCP | FP_FN_UDP)

enum fp_fn_restart { FP_FN_RESTART_ON_FAILURE = 0, FP_FN_RESTART_ALWAYS,
		     FP_FN_RESTART_NEVER };

/* One item of the config's functions: section (docs/functions.md). */
struct fp_function_config {
	char id[FP_FN_ID_MAX];  /* fp_name_valid() */
	uint16_t trigger_port;
	char handler_path[PATH_MAX]; /* absolute, executable */
	unsigned int protocols; /* FP_FN_TCP, FP_FN_UDP or both; default TCP */
	struct fp_cidr addresses[FP_FN_ADDRS_MAX]; /* none: any */
	size_t n_addresses;
	char **args;            /* argv[1..], NULL-terminated, or NULL */
	char **env;             /* "KEY=VALUE", NULL-terminated, or NULL */
	uint32_t instances;     /* default 1 */
	char user[33], group[33]; /* "" for the daemon's own */
	uid_t uid;
	gid_t gid;
	enum fp_fn_restart restart;
	char netns[PATH_MAX];   /* "" for the daemon's namespace */
	unsigned int line;
};

/* The functions: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_functions_section;

/* fp_function_config_free: the args and env lists of FN. */
void fp_function_config_free(struct fp_function_config *fn);

/* fp_functions_preflight: check FNS against this system (the handler is
 * executable, the user, group and namespace exist) and resolve user and
 * group to ids. -EINVAL with every problem in err->msg, one line each,
 * as "FILE:LINE: functions[N].KEY: what; what to do". */
int fp_functions_preflight(struct fp_function_config *fns, size_t n, const char *file,
			   struct fp_config_error *err);

const char *fp_fn_protocols_str(unsigned int protocols);
const char *fp_fn_restart_str(enum fp_fn_restart r);

/* ---- steering (per network namespace) --------------------------------- */

struct fp_steer {
	int bindings_fd;
	int sockets_fd;
	int stats_fd;
	unsigned long netns_ino;
	char dir[96];           /* FP_FUNCTIONS_DIR/netns:INODE */
};

/* fp_steer_open: the steering maps of the namespace NETNS (a path like
 * /run/netns/NAME or /proc/PID/ns/net; NULL or "" for our own). With
 * create, loads the sk_lookup program, attaches it to the namespace and
 * pins the link and maps when they are not there yet (needs a prepared
 * bpffs). -ENOENT without create when there is nothing to open. */
int fp_steer_open(struct fp_steer *s, const char *netns, bool create);
void fp_steer_close(struct fp_steer *s);

/* fp_steer_bind: bind (protocol, port, prefix) to the socket at INDEX,
 * replacing any binding of that key (atomically for the data path). */
int fp_steer_bind(struct fp_steer *s, int protocol, uint16_t port,
		  const struct fp_cidr *p, uint32_t index);

/* fp_steer_unbind: -ENOENT when the key is not bound. */
int fp_steer_unbind(struct fp_steer *s, int protocol, uint16_t port,
		    const struct fp_cidr *p);

/* fp_steer_set_socket: put the socket FD at INDEX (replacing the one
 * there: a lookup sees the old or the new one, never none). TCP sockets
 * must listen; UDP sockets must be bound. */
int fp_steer_set_socket(struct fp_steer *s, uint32_t index, int fd);
int fp_steer_clear_socket(struct fp_steer *s, uint32_t index);

/* fp_steer_socket_cookie: the cookie of the socket at INDEX; -ENOENT
 * when there is none (closed: its port answers as closed). */
int fp_steer_socket_cookie(struct fp_steer *s, uint32_t index, uint64_t *cookie);

/* fp_steer_stats: the counters of INDEX, summed over CPUs. */
int fp_steer_stats(struct fp_steer *s, uint32_t index, struct fp_fn_stats *sum);

/* fp_steer_stats_clear: INDEX's counters zero on every CPU, for an index
 * given to a new function (the last one's counts stayed in the map). */
int fp_steer_stats_clear(struct fp_steer *s, uint32_t index);

struct fp_steer_binding {
	struct fp_fn_key key;
	uint32_t index;
};

/* fp_steer_list: every binding; the caller frees *out. */
int fp_steer_list(struct fp_steer *s, struct fp_steer_binding **out, size_t *n);

/* fp_steer_remove_if_unused: when no binding is left, detach the program
 * and remove the namespace's pins (the link, the maps, the directory). */
int fp_steer_remove_if_unused(struct fp_steer *s);

/* fp_fn_prefix_any: 0.0.0.0/0 or ::/0. */
struct fp_cidr fp_fn_prefix_any(int family);

/* ---- sockets ---------------------------------------------------------- */

/* fp_fn_socket: a socket of TYPE (SOCK_STREAM listening, or SOCK_DGRAM)
 * on the loopback address of FAMILY (AF_INET6: dual-stack), created in the
 * namespace NETNS_FD (-1: ours). PORT first, or an ephemeral port when
 * PORT is 0 or taken (*bound says which); with reuseport, SO_REUSEPORT,
 * so that instances share a group. Returns the fd or -errno. */
int fp_fn_socket(int netns_fd, int family, int type, uint16_t port,
		 bool reuseport, uint16_t *bound);

/* fp_fn_socket_check: FD is a socket of TYPE bound to PORT (0: any), and
 * listening when it is a stream socket. -ENOTSOCK, -EPROTOTYPE, -EINVAL. */
int fp_fn_socket_check(int fd, int type, uint16_t port);

/* fp_fn_socket_describe: "tcp listen 127.0.0.1:8080", for listings. */
void fp_fn_socket_describe(int fd, char *buf, size_t size);

/* fp_fn_take_fd: a copy of the file descriptor TARGET_FD of process PID
 * (pidfd_getfd); -ESRCH, -EBADF, -EPERM. */
int fp_fn_take_fd(pid_t pid, int target_fd);

/* fp_fn_find_socket: the first fd of PID that is a socket of TYPE
 * (stream: listening) bound to PORT; its number in *target_fd and a copy
 * returned. -ENOENT when it has none. */
int fp_fn_find_socket(pid_t pid, int type, uint16_t port, int *target_fd);

/* ---- the supervisor (a daemon service) -------------------------------- */

struct fp_logger;
struct fp_functions;

/* fp_functions_start: start the functions of FNS: sockets (or those of
 * the handlers a previous fastpathd left running, taken over with
 * pidfd_getfd; those handlers are then stopped and started anew),
 * bindings, handlers. Returns 0 and *out even when some functions failed
 * (logged; they are retried as crashed handlers are). */
int fp_functions_start(const struct fp_function_config *fns, size_t n,
		       const struct fp_logger *log, struct fp_functions **out);

/* fp_functions_apply: bring the running set in line with FNS: new ones
 * start, removed ones stop, changed ones restart (keeping their sockets
 * when port, protocols, family and instances are the same). */
int fp_functions_apply(struct fp_functions *f, const struct fp_function_config *fns,
		       size_t n);

/* fp_functions_reap: on SIGCHLD: collect exited handlers, schedule
 * restarts by policy with backoff. */
void fp_functions_reap(struct fp_functions *f);

/* fp_functions_timer: start what is due; returns the ms until the next
 * due start, or -1 when none is pending. */
long long fp_functions_timer(struct fp_functions *f);

/* fp_functions_requests: on SIGUSR1: serve `fastpath functions restart`. */
void fp_functions_requests(struct fp_functions *f);

/* fp_functions_stop: stop every handler (SIGTERM, then SIGKILL after 5 s),
 * remove the bindings, close the sockets, remove the state file. */
void fp_functions_stop(struct fp_functions *f);

/* ---- what the CLI reads ----------------------------------------------- */

struct fp_function_status {
	char id[FP_FN_ID_MAX];
	uint16_t port;
	unsigned int protocols;
	char netns[PATH_MAX];
	char state[16];         /* running, starting, backoff, stopped, failed */
	unsigned int restarts;
	size_t n_pids;
	pid_t pids[FP_FN_INSTANCES_MAX]; /* 0: instance not running */
	uint32_t index[2];      /* socket index per protocol (tcp, udp); ~0: none */
	uint64_t steered;       /* from the stats map, summed over protocols */
	uint64_t dropped;
};

/* fp_functions_status_read: the state fastpathd wrote, with counters.
 * -ENOENT when no fastpathd runs functions. The caller frees *out. */
int fp_functions_status_read(struct fp_function_status **out, size_t *n);

/* fp_functions_request_restart: ask the running fastpathd to restart
 * function ID. -ENOENT: no such function; -ESRCH: no fastpathd. */
int fp_functions_request_restart(const char *id);

#endif
