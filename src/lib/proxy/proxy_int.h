/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the TCP proxy: its connections and the three carriers. proxy.c
 * is the event loop (accepting, dialing, timers), proxy_listen.c the
 * listeners the configuration asks for, proxy_pump.c the pump and the
 * copy carrier, proxy_splice.c the splice(2) carrier, proxy_sockmap.c
 * the kernel half, proxy_service.c the state file and fastpathd's
 * service. */
#ifndef FP_PROXY_INT_H
#define FP_PROXY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <fastpath/proxy.h>

#define PROXY_BUF       (64u << 10)     /* a copy direction's buffer */
#define PROXY_PUMP_MAX  (1u << 20)      /* bytes a direction moves per turn */
#define PROXY_SPARE     16              /* copy buffers kept for reuse */

enum ptag { TAG_LISTEN, TAG_CONN };

struct tag {
	enum ptag kind;
	int side;               /* TAG_CONN: 0 client, 1 backend */
	void *owner;
};

struct backend {
	struct fp_proxy_addr addr;
	bool down;
	unsigned long long retry_ms;    /* down: when to try again */
	unsigned int backoff_ms;
	uint64_t conns_now, conns_total, fails;
	uint64_t bytes_out, bytes_in;   /* to it, from it */
};

struct proxy {
	struct fp_proxy_config cfg;
	struct backend be[FP_PROXY_BACKENDS_MAX];
	struct backend gone;    /* what connections to backends a reload took
				 * out count on: never listed */
	int lfd;                /* -1: retired, runs its connections out */
	struct tag ltag;
	bool sockmap;           /* its listener is in proxy_listen */
	unsigned int rr;
	uint64_t conns_now, conns_total, refused, no_backend;
	uint64_t bytes_out, bytes_in;   /* client to backend, backend to client */
	struct proxy *next;
};

/* One direction of a connection: bytes read from fd[side] and written
 * to fd[!side]. */
struct dir {
	char *buf;              /* copy: PROXY_BUF bytes while in use */
	uint32_t head, tail;
	int pipe[2];            /* splice: -1 when none */
	uint32_t in_pipe;
	uint64_t user;          /* bytes the proxy wrote to the destination */
	uint64_t redirected;    /* bytes the kernel sent on (last seen) */
	uint64_t read;          /* bytes the proxy read from the source */
	uint64_t armed_at;      /* sockmap: read count it is armed at */
	uint64_t limit;         /* sockmap: the redirect limit last set */
	unsigned long long checked_ms;  /* sockmap: when the limit was last
					 * looked at */
	unsigned long long next_check_ms; /* sockmap: when to look again */
	uint64_t checked_redir; /* sockmap: cnt.redirected then */
	bool armed;             /* sockmap: ctl says redirect */
	bool ever_armed;
	bool quiet;             /* sockmap: the kernel redirects what arrives:
				 * fd[side] is not registered for EPOLLIN and a
				 * timer looks at it instead (proxy_pump.c) */
	bool hup;               /* fd[side] reported EPOLLRDHUP or EPOLLHUP */
	bool eof;               /* the source said FIN */
	bool blocked;           /* bytes wait for room in fd[!side]'s send
				 * buffer: fd[!side] wants EPOLLOUT */
	bool shut;              /* the destination's write side is shut */
	bool unflushed;         /* sockmap: read after an arming; not written
				 * before the kernel's bytes are all out */
	bool waiting;           /* sockmap: bytes the kernel sent are not all
				 * in the destination's send queue yet */
};

enum cstate { C_CONNECTING, C_OPEN, C_DEAD };

struct conn {
	struct proxy *px;
	struct backend *be;
	int fd[2];
	uint64_t cookie[2];
	uint64_t base[2];       /* bytes in fd[i]'s send path when it opened */
	struct tag tag[2];
	uint32_t ev[2];         /* the events fd[i] is registered for */
	enum cstate state;
	enum fp_proxy_carrier carrier;
	struct dir d[2];        /* d[0] client to backend, d[1] backend to client */
	unsigned int tries;
	unsigned long long deadline_ms;  /* connecting: connect timeout */
	unsigned long long active_ms;
	unsigned long long started_ms;
	unsigned long long check_ms;    /* a quiet direction's next look; 0: none */
	struct fp_proxy_addr client;
	bool queued;            /* on the engine's again list */
	uint8_t again_dirs;     /* the directions to pump again (bit = side) */
	bool waiting_counted;   /* counted in the engine's n_waiting */
	struct conn *prev, *next;       /* all connections */
	struct conn *again_next;        /* pumps that stopped at PROXY_PUMP_MAX */
};

struct sockmap;

struct fp_proxy_engine {
	const struct fp_logger *log;
	char state[256];                /* the state file */
	int ep;
	struct proxy *proxies;
	struct conn *conns;
	struct conn *again;
	struct conn *dead;              /* freed after the current batch */
	size_t n_conns;
	struct sockmap *sm;             /* NULL: sockmap unavailable */
	bool sm_tried;
	char sm_why[160];
	unsigned long long next_state_ms, next_tick_ms;
	size_t n_waiting;               /* connections waiting on the kernel */
	unsigned long long wait_ms;     /* when to look at them again; 0: unset */
	unsigned long long check_ms;    /* the earliest conn.check_ms; 0: none */
	int reserve_fd;                 /* /dev/null, given up to refuse a
					 * connection when descriptors run out */
	unsigned long long fds_out_ms;  /* when running out was last logged */
	char *spare[PROXY_SPARE];       /* copy buffers freed, for the next */
	unsigned int n_spare;
};

unsigned long long fp_proxy_now_ms(void);

/* proxy.c */
void proxy_conn_kill(struct fp_proxy_engine *e, struct conn *c, bool reset);
struct sockaddr_in;
void proxy_sockaddr(const struct fp_proxy_addr *a, struct sockaddr_in *sin);
/* proxy_ep_add: FD on the engine's epoll with EVENTS, T in its data; -errno */
int proxy_ep_add(struct fp_proxy_engine *e, int fd, uint32_t events, struct tag *t);
/* the carrier a new connection of PX starts with */
enum fp_proxy_carrier proxy_carrier_for(struct fp_proxy_engine *e, const struct proxy *px);

#define PUMP_BOTH 3u

/* proxy_pump.c: move the directions of C in DIRS (bit 1 << side) until
 * they block (or until PROXY_PUMP_MAX, when C is queued to go on), pass
 * a FIN on, end C when both are shut or either fails, and register each
 * socket for EPOLLOUT only while a direction waits for room in it. */
void proxy_pump(struct fp_proxy_engine *e, struct conn *c, unsigned int dirs);
/* a direction's copy buffer (kept as a spare) and pipe, freed */
void proxy_dir_free(struct fp_proxy_engine *e, struct dir *d);
/* the engine's spare copy buffers, freed */
void proxy_spare_free(struct fp_proxy_engine *e);

/* proxy_listen.c: close PX's listener; its connections run out */
void proxy_retire(struct fp_proxy_engine *e, struct proxy *px);
/* free the retired proxies whose connections have ended */
void proxy_sweep_retired(struct fp_proxy_engine *e);

/* proxy_splice.c: move what can move from fd[side] to fd[!side]. Returns
 * bytes moved, 0 when blocked; -errno (an error on either socket). Sets
 * d->eof at the source's end. */
long proxy_splice_dir(struct conn *c, int side, size_t max);
void proxy_splice_free(struct dir *d);

/* proxy_sockmap.c */
int proxy_sockmap_open(struct fp_proxy_engine *e);
void proxy_sockmap_close(struct fp_proxy_engine *e);
int proxy_sockmap_listen(struct fp_proxy_engine *e, const struct fp_proxy_addr *a, bool on);
/* before connect(): ask for fd to join the map when established */
int proxy_sockmap_expect(struct fp_proxy_engine *e, int fd, uint64_t *cookie);
/* accepted fd: did it join? 0 yes, -ENOENT no */
int proxy_sockmap_claim(struct fp_proxy_engine *e, int fd, uint64_t *cookie);
int proxy_sockmap_pair(struct fp_proxy_engine *e, struct conn *c);
void proxy_sockmap_forget(struct fp_proxy_engine *e, struct conn *c);
void proxy_sockmap_forget_cookie(struct fp_proxy_engine *e, uint64_t cookie);
/* sockmap direction: arm it when everything read is forwarded */
void proxy_sockmap_arm(struct fp_proxy_engine *e, struct conn *c, int side);
/* the kernel's count of bytes it sent on from fd[side]; *BROKEN set when
 * the verdict gave up on fd[side] (proxy_sockmap_broken) */
uint64_t proxy_sockmap_redirected(struct fp_proxy_engine *e, struct conn *c, int side,
				  bool *broken);
/* the verdict's count of bytes it left to the proxy to read on fd[side] */
uint64_t proxy_sockmap_passed(struct fp_proxy_engine *e, struct conn *c, int side);
/* the verdict could not cut bytes it saw twice on fd[side] and drops all
 * from there (proxy_sk_skb.bpf.c): the connection must be reset */
bool proxy_sockmap_broken(struct fp_proxy_engine *e, struct conn *c, int side);
/* every byte the kernel sent on from fd[side] is in fd[!side]'s send queue */
bool proxy_sockmap_flushed(struct fp_proxy_engine *e, struct conn *c, int side);
uint64_t proxy_sent_into(int fd);
/* bytes sent on from fd[side] that fd[!side]'s peer has not acknowledged */
uint64_t proxy_sockmap_unacked(struct fp_proxy_engine *e, struct conn *c, int side);
/* bytes redirected from fd[side] not yet in fd[!side]'s send queue: the
 * psock's backlog, memory no socket buffer bounds */
uint64_t proxy_sockmap_backlog(struct fp_proxy_engine *e, struct conn *c, int side);

/* proxy_service.c */
void proxy_state_write(struct fp_proxy_engine *e);

#endif
