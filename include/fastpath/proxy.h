/* SPDX-License-Identifier: BSD-2-Clause */
/* The TCP proxy (issue 15): listeners that dial a backend per client and
 * carry the two streams between them, in the kernel with sockmap (an
 * sk_skb verdict redirects each segment to the peer socket's egress),
 * with splice(2) through a pipe, or by copying in userspace.
 *
 * The kernel path has edges the proxy covers itself (docs/proxy.md): FIN
 * and RST are not passed on, bytes already queued when a socket joins
 * the map stay behind, and nothing pushes back on a fast sender. So
 * sockets join the map the moment they are established (sock_ops), every
 * byte the verdict lets through to the proxy is counted so redirecting
 * starts only once the proxy has forwarded all of them, a FIN is passed
 * on only once every redirected byte is in the peer's send queue, an RST
 * is passed on as an RST, and redirecting stops by itself once more than
 * max_inflight_bytes are unacknowledged by the peer.
 *
 * Addresses are IPv4, stored in network byte order; ports in host order. */
#ifndef FASTPATH_PROXY_H
#define FASTPATH_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <fastpath/core.h>      /* FP_NAME_MAX, struct fp_logger */

#define FP_PROXY_MAX             64      /* proxies in one file */
#define FP_PROXY_BACKENDS_MAX    64
#define FP_PROXY_CONNS_MAX       65536   /* max_connections, over all proxies */
#define FP_PROXY_CONNECT_TIMEOUT_MS 5000
#define FP_PROXY_MAX_CONNECTIONS 4096
#define FP_PROXY_INFLIGHT        (4u << 20)
#define FP_PROXY_INFLIGHT_MIN    (64u << 10)
#define FP_PROXY_STATE           "/run/fastpath/proxy.json"

enum fp_proxy_balance { FP_PROXY_ROUND_ROBIN = 0, FP_PROXY_LEAST_CONN };

/* How a connection's bytes are carried. auto is sockmap where the kernel
 * half loads, else splice. */
enum fp_proxy_carrier {
	FP_PROXY_AUTO = 0,
	FP_PROXY_SOCKMAP,
	FP_PROXY_SPLICE,
	FP_PROXY_COPY,
};

struct fp_proxy_addr {
	struct in_addr addr;
	uint16_t port;
};

/* One item of the configuration's proxy: list. */
struct fp_proxy_config {
	char name[FP_NAME_MAX];         /* fp_name_valid() */
	struct fp_proxy_addr listen;
	struct fp_proxy_addr backends[FP_PROXY_BACKENDS_MAX];
	size_t n_backends;
	enum fp_proxy_balance balance;
	enum fp_proxy_carrier accelerate;
	uint32_t connect_timeout_ms;
	uint32_t idle_timeout_ms;       /* 0: connections never idle out */
	uint32_t max_connections;
	uint32_t max_inflight_bytes;    /* per direction of a connection */
	unsigned int line;
};

/* fp_proxy_carrier_str / fp_proxy_balance_str: the words the file uses. */
const char *fp_proxy_carrier_str(enum fp_proxy_carrier c);
const char *fp_proxy_balance_str(enum fp_proxy_balance b);

/* fp_proxy_addr_str: "A.B.C.D:PORT" into BUF (at least 22 bytes). */
const char *fp_proxy_addr_str(const struct fp_proxy_addr *a, char *buf, size_t size);

/* fp_proxy_addr_parse: "A.B.C.D:PORT", port 1-65535; -EINVAL. */
int fp_proxy_addr_parse(const char *s, struct fp_proxy_addr *a);

/* ---- the running proxies ------------------------------------------------
 * One engine runs every configured proxy on one epoll descriptor, for a
 * caller's poll loop (fastpathd's proxy service). */
struct fp_proxy_engine;

/* fp_proxy_engine_open: an engine with no proxies yet, writing its state
 * to STATE (NULL: FP_PROXY_STATE). -ENOMEM. */
int fp_proxy_engine_open(const struct fp_logger *log, const char *state,
			 struct fp_proxy_engine **out);

/* fp_proxy_engine_apply: run exactly CFGS (N of them): new proxies start
 * listening, removed ones stop listening (their connections run to
 * their end), kept ones take the new settings for new connections.
 * All or nothing: -EADDRINUSE, -EACCES... naming nothing changed. */
int fp_proxy_engine_apply(struct fp_proxy_engine *e, const struct fp_proxy_config *cfgs,
			  size_t n);

/* fp_proxy_engine_fd: the descriptor to poll for POLLIN. */
int fp_proxy_engine_fd(const struct fp_proxy_engine *e);

/* fp_proxy_engine_process: handle what is ready, without blocking. */
void fp_proxy_engine_process(struct fp_proxy_engine *e);

/* fp_proxy_engine_deadline: CLOCK_MONOTONIC ms when fp_proxy_engine_tick
 * wants to run next; fp_proxy_engine_tick: timers (connect and idle
 * timeouts, half-closes waiting for the kernel, backend health, the
 * state file once a second). */
long long fp_proxy_engine_deadline(const struct fp_proxy_engine *e);
void fp_proxy_engine_tick(struct fp_proxy_engine *e, unsigned long long now_ms);

/* fp_proxy_engine_close: close every listener and connection (clients
 * and backends see a FIN, or an RST where bytes were unread), unload
 * the kernel half and remove the state file. NULL is fine. */
void fp_proxy_engine_close(struct fp_proxy_engine *e);

/* The proxy: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_proxy_section;

#endif
