// SPDX-License-Identifier: BSD-2-Clause
/* The TCP proxy's event loop: listeners, dialing with backend health,
 * and the copy carrier; splice and sockmap directions are pumped from
 * here too. Every descriptor is edge-triggered on one epoll: an event
 * pumps the direction it can move (dirs_of), until it blocks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include "proxy/proxy_int.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define ACCEPT_BATCH   64
#define FDS_OUT_LOG_MS 10000

unsigned long long fp_proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

void proxy_sockaddr(const struct fp_proxy_addr *a, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr = a->addr;
	sin->sin_port = htons(a->port);
}

int proxy_ep_add(struct fp_proxy_engine *e, int fd, uint32_t events, struct tag *t)
{
	struct epoll_event ev = { .events = events, .data.ptr = t };

	return epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* prepare: every socket of a connection is closed with an RST unless the
 * proxy closes it gracefully (abortive(fd, false) first). If fastpathd
 * dies, the kernel closes its sockets: with SO_LINGER 0 both peers get an
 * RST at once. Without it a peer could hang: bytes the verdict left in
 * a socket's sockmap queue are not "unread" to tcp_close, which then
 * ends with a FIN, or with nothing in FIN-WAIT-2, while the peer waits
 * on a zero window. */
static void abortive(int fd, bool on)
{
	struct linger lg = { .l_onoff = on, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void prepare(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	abortive(fd, true);
}

/* ---- connections ------------------------------------------------------- */

/* account: the bytes the kernel sent on since the last look, counted;
 * whether either direction's verdict gave up on a hole (broken), read
 * in the same lookup. */
static bool account(struct fp_proxy_engine *e, struct conn *c)
{
	bool broken = false;

	for (int s = 0; s < 2; s++) {
		struct dir *d = &c->d[s];
		uint64_t r = c->carrier == FP_PROXY_SOCKMAP ?
			     proxy_sockmap_redirected(e, c, s, &broken) : d->redirected;
		uint64_t delta = r - d->redirected;

		d->redirected = r;
		if (!delta)
			continue;
		c->active_ms = fp_proxy_now_ms();
		if (s == 0) {
			c->px->bytes_out += delta;
			if (c->be)
				c->be->bytes_out += delta;
		} else {
			c->px->bytes_in += delta;
			if (c->be)
				c->be->bytes_in += delta;
		}
	}
	return broken;
}

/* proxy_conn_kill: close both sockets, with an RST (SO_LINGER 0) when
 * RESET, and free the connection once the current batch is done. */
void proxy_conn_kill(struct fp_proxy_engine *e, struct conn *c, bool reset)
{
	if (c->state == C_DEAD)
		return;
	if (c->state == C_OPEN && c->carrier == FP_PROXY_SOCKMAP)
		account(e, c);
	if (c->carrier == FP_PROXY_SOCKMAP)
		proxy_sockmap_forget(e, c);
	for (int s = 0; s < 2; s++) {
		if (c->fd[s] < 0)
			continue;
		abortive(c->fd[s], reset);
		close(c->fd[s]);
		c->fd[s] = -1;
		proxy_dir_free(e, &c->d[s]);
	}
	if (c->be && c->state == C_OPEN)
		c->be->conns_now--;
	c->px->conns_now--;
	c->state = C_DEAD;
	/* Off the again list too: reap frees C before that list next runs.
	 * (Not found: C is on the list run_again is walking, which skips
	 * it and ends before reap.) */
	for (struct conn **pp = &e->again; c->queued && *pp; pp = &(*pp)->again_next)
		if (*pp == c) {
			*pp = c->again_next;
			c->queued = false;
			break;
		}
	if (c->waiting_counted) {
		e->n_waiting--;
		c->waiting_counted = false;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	e->n_conns--;
	c->next = e->dead;
	e->dead = c;
}

static void reap(struct fp_proxy_engine *e)
{
	while (e->dead) {
		struct conn *c = e->dead;

		e->dead = c->next;
		free(c);
	}
}

/* ---- backends ---------------------------------------------------------- */

static void backend_failed(struct fp_proxy_engine *e, struct proxy *px, struct backend *b,
			   int err)
{
	char a[32];

	b->fails++;
	b->backoff_ms = b->backoff_ms ? b->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (b->backoff_ms > BACKOFF_MAX_MS)
		b->backoff_ms = BACKOFF_MAX_MS;
	b->retry_ms = fp_proxy_now_ms() + b->backoff_ms;
	if (!b->down)
		fp_log(e->log, FP_LOG_WARN, "proxy %s: backend %s down (%s); retrying in %u ms",
		       px->cfg.name, fp_proxy_addr_str(&b->addr, a, sizeof(a)), strerror(err),
		       b->backoff_ms);
	b->down = true;
}

static void backend_up(struct fp_proxy_engine *e, struct proxy *px, struct backend *b)
{
	char a[32];

	if (b->down)
		fp_log(e->log, FP_LOG_INFO, "proxy %s: backend %s up", px->cfg.name,
		       fp_proxy_addr_str(&b->addr, a, sizeof(a)));
	b->down = false;
	b->backoff_ms = 0;
}

/* pick: the next backend to dial: one that is up (or whose retry is
 * due), by round robin or fewest connections; NULL when none is. */
static struct backend *pick(struct proxy *px, unsigned long long now)
{
	struct backend *best = NULL;
	size_t n = px->cfg.n_backends;

	for (size_t k = 0; k < n; k++) {
		size_t i = (px->rr + k) % n;
		struct backend *b = &px->be[i];

		if (b->down && b->retry_ms > now)
			continue;
		if (px->cfg.balance == FP_PROXY_ROUND_ROBIN) {
			px->rr = (unsigned)(i + 1);
			return b;
		}
		if (!best || b->conns_now < best->conns_now)
			best = b;
	}
	if (best)
		px->rr = (unsigned)((best - px->be) + 1);
	return best;
}

/* fds_short: WHAT failed with ERR, out of descriptors: logged at most
 * every FDS_OUT_LOG_MS, not once per connection. */
static void fds_short(struct fp_proxy_engine *e, struct proxy *px, const char *what, int err)
{
	unsigned long long now = fp_proxy_now_ms();

	if (e->fds_out_ms && now - e->fds_out_ms < FDS_OUT_LOG_MS)
		return;
	fp_log(e->log, FP_LOG_WARN, "proxy %s: %s: %s: new connections are refused while "
	       "descriptors are short (raise LimitNOFILE or ulimit -n)", px->cfg.name, what,
	       strerror(err));
	e->fds_out_ms = now;
}

/* dial: connect to a backend without blocking; false when none is left
 * (the caller closes the client). */
static bool dial(struct fp_proxy_engine *e, struct conn *c)
{
	unsigned long long now = fp_proxy_now_ms();
	struct sockaddr_in sin;
	struct backend *b;
	int fd, err;

	while (c->tries < c->px->cfg.n_backends && (b = pick(c->px, now))) {
		c->tries++;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			fds_short(e, c->px, "socket", errno);
			return false;
		}
		if (fd < 0) {
			fp_log(e->log, FP_LOG_WARN, "proxy %s: socket: %s", c->px->cfg.name,
			       strerror(errno));
			return false;
		}
		prepare(fd);
		if (c->carrier == FP_PROXY_SOCKMAP &&
		    proxy_sockmap_expect(e, fd, &c->cookie[1]))
			c->carrier = FP_PROXY_SPLICE;
		proxy_sockaddr(&b->addr, &sin);
		err = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
		if (err && err != EINPROGRESS) {
			if (c->carrier == FP_PROXY_SOCKMAP)
				proxy_sockmap_forget_cookie(e, c->cookie[1]);
			close(fd);
			backend_failed(e, c->px, b, err);
			continue;
		}
		c->fd[1] = fd;
		c->be = b;
		c->tag[1] = (struct tag){ TAG_CONN, 1, c };
		/* EPOLLOUT says the connect is done; the pump drops it. */
		c->ev[1] = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		if (proxy_ep_add(e, fd, c->ev[1], &c->tag[1])) {
			close(fd);
			c->fd[1] = -1;
			return false;
		}
		c->state = C_CONNECTING;
		c->deadline_ms = now + c->px->cfg.connect_timeout_ms;
		return true;
	}
	return false;
}

static void no_backend(struct fp_proxy_engine *e, struct conn *c)
{
	c->px->no_backend++;
	fp_log(e->log, FP_LOG_DEBUG, "proxy %s: no backend for a client; closed",
	       c->px->cfg.name);
	proxy_conn_kill(e, c, false);
}

/* connect_failed: the dial failed with ERR; try the next backend. */
static void connect_failed(struct fp_proxy_engine *e, struct conn *c, int err)
{
	if (c->carrier == FP_PROXY_SOCKMAP)
		proxy_sockmap_forget_cookie(e, c->cookie[1]);
	epoll_ctl(e->ep, EPOLL_CTL_DEL, c->fd[1], NULL);
	close(c->fd[1]);
	c->fd[1] = -1;
	backend_failed(e, c->px, c->be, err);
	c->be = NULL;
	if (!dial(e, c))
		no_backend(e, c);
}

static void connect_done(struct fp_proxy_engine *e, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		connect_failed(e, c, err);
		return;
	}
	backend_up(e, c->px, c->be);
	c->be->conns_now++;
	c->be->conns_total++;
	c->state = C_OPEN;
	c->active_ms = fp_proxy_now_ms();
	c->base[0] = proxy_sent_into(c->fd[0]);
	c->base[1] = proxy_sent_into(c->fd[1]);
	if (c->carrier == FP_PROXY_SOCKMAP && proxy_sockmap_pair(e, c)) {
		proxy_sockmap_forget(e, c);
		c->carrier = FP_PROXY_SPLICE;
	}
	proxy_pump(e, c, PUMP_BOTH);
}

/* ---- accepting --------------------------------------------------------- */

enum fp_proxy_carrier proxy_carrier_for(struct fp_proxy_engine *e, const struct proxy *px)
{
	switch (px->cfg.accelerate) {
	case FP_PROXY_COPY:
		return FP_PROXY_COPY;
	case FP_PROXY_SPLICE:
		return FP_PROXY_SPLICE;
	default:
		return e->sm && px->sockmap ? FP_PROXY_SOCKMAP : FP_PROXY_SPLICE;
	}
}

/* refuse: accepted connection FD closed at once, counted. */
static void refuse(struct fp_proxy_engine *e, struct proxy *px, int fd)
{
	uint64_t cookie;

	px->refused++;
	if (px->sockmap && !proxy_sockmap_claim(e, fd, &cookie))
		proxy_sockmap_forget_cookie(e, cookie);
	close(fd);
}

static void accept_one(struct fp_proxy_engine *e, struct proxy *px, int fd,
		       const struct sockaddr_in *peer)
{
	struct conn *c;

	if (px->conns_now >= px->cfg.max_connections || !(c = calloc(1, sizeof(*c)))) {
		refuse(e, px, fd);
		return;
	}
	c->px = px;
	c->fd[0] = fd;
	c->fd[1] = -1;
	c->d[0].pipe[0] = c->d[0].pipe[1] = c->d[1].pipe[0] = c->d[1].pipe[1] = -1;
	c->client.addr = peer->sin_addr;
	c->client.port = ntohs(peer->sin_port);
	c->started_ms = fp_proxy_now_ms();
	c->carrier = proxy_carrier_for(e, px);
	c->tag[0] = (struct tag){ TAG_CONN, 0, c };
	prepare(fd);
	if (c->carrier == FP_PROXY_SOCKMAP && proxy_sockmap_claim(e, fd, &c->cookie[0]))
		c->carrier = FP_PROXY_SPLICE;
	px->conns_now++;
	px->conns_total++;
	c->next = e->conns;
	if (e->conns)
		e->conns->prev = c;
	e->conns = c;
	e->n_conns++;
	c->state = C_CONNECTING;
	c->ev[0] = EPOLLIN | EPOLLRDHUP | EPOLLET;
	if (proxy_ep_add(e, fd, c->ev[0], &c->tag[0])) {
		proxy_conn_kill(e, c, false);
		return;
	}
	if (!dial(e, c))
		no_backend(e, c);
}

/* refuse_one: out of descriptors (ERR), the next queued connection is
 * taken with the reserve descriptor and closed at once: its client sees
 * the end instead of waiting in the backlog for as long as descriptors
 * stay short. false when none was taken. */
static bool refuse_one(struct fp_proxy_engine *e, struct proxy *px, int err)
{
	int fd;

	fds_short(e, px, "accept", err);
	if (e->reserve_fd < 0)
		return false;
	close(e->reserve_fd);
	fd = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		refuse(e, px, fd);
	e->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

static void accept_ready(struct fp_proxy_engine *e, struct proxy *px)
{
	for (int i = 0; i < ACCEPT_BATCH && px->lfd >= 0; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(px->lfd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0)
			accept_one(e, px, fd, &peer);
		else if ((errno != EMFILE && errno != ENFILE) || !refuse_one(e, px, errno))
			return;
	}
}

/* ---- events ------------------------------------------------------------ */

static void run_again(struct fp_proxy_engine *e)
{
	struct conn *list = e->again;

	e->again = NULL;
	while (list) {
		struct conn *c = list;
		unsigned int dirs = c->again_dirs;

		list = c->again_next;
		c->queued = false;
		c->again_dirs = 0;
		proxy_pump(e, c, dirs);
	}
}

/* sock_failed: the socket on SIDE has an error (an RST). The pump may
 * not notice by itself: with sockmap the kernel redirects into a socket
 * the peer reset ("successfully"), and a direction already shut reads
 * nothing more from it. */
static bool sock_failed(struct fp_proxy_engine *e, struct conn *c, int side)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd[side], SOL_SOCKET, SO_ERROR, &err, &len) || !err)
		return false;
	fp_log(e->log, FP_LOG_DEBUG, "proxy %s: %s: %s; both reset", c->px->cfg.name,
	       side ? "backend" : "client", strerror(err));
	return true;
}

/* dirs_of: the directions an event on fd[SIDE] can move: its input
 * feeds direction SIDE, its room direction !SIDE (EPOLLOUT is only
 * registered while that one is blocked). */
static unsigned int dirs_of(int side, uint32_t events)
{
	unsigned int dirs = 0;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		dirs |= 1u << side;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		dirs |= 1u << !side;
	return dirs;
}

void fp_proxy_engine_process(struct fp_proxy_engine *e)
{
	struct epoll_event ev[256];
	int n = epoll_wait(e->ep, ev, 256, 0);

	for (int i = 0; i < n; i++) {
		struct tag *t = ev[i].data.ptr;
		struct conn *c;

		if (t->kind == TAG_LISTEN) {
			accept_ready(e, t->owner);
			continue;
		}
		c = t->owner;
		if (ev[i].events & (EPOLLRDHUP | EPOLLHUP))
			c->d[t->side].hup = true;
		if (c->state == C_CONNECTING && t->side == 1)
			connect_done(e, c);
		else if (c->state == C_OPEN && (ev[i].events & EPOLLERR) && sock_failed(e, c, t->side))
			proxy_conn_kill(e, c, true);
		else if (c->state == C_OPEN)
			proxy_pump(e, c, dirs_of(t->side, ev[i].events));
	}
	run_again(e);
	reap(e);
}

/* ---- timers ------------------------------------------------------------ */

long long fp_proxy_engine_deadline(const struct fp_proxy_engine *e)
{
	unsigned long long dl = e->next_tick_ms;

	if (e->again)
		return 0;
	if (e->n_waiting && e->wait_ms && e->wait_ms < dl)
		dl = e->wait_ms;
	if (e->check_ms && e->check_ms < dl)
		dl = e->check_ms;
	return (long long)dl;
}

void fp_proxy_engine_tick(struct fp_proxy_engine *e, unsigned long long now)
{
	bool full = now >= e->next_tick_ms;

	e->wait_ms = 0;
	e->check_ms = 0;        /* the loop and the pumps set it again */
	run_again(e);
	for (struct conn *c = e->conns, *next; c; c = next) {
		next = c->next;
		if (c->state == C_CONNECTING && c->fd[1] >= 0 && now >= c->deadline_ms) {
			connect_failed(e, c, ETIMEDOUT);
			continue;
		}
		if (c->state != C_OPEN)
			continue;
		if (c->d[0].waiting || c->d[1].waiting) {
			c->d[0].waiting = c->d[1].waiting = false;
			proxy_pump(e, c, PUMP_BOTH);
			continue;
		}
		if (c->check_ms && now >= c->check_ms) {
			proxy_pump(e, c, PUMP_BOTH);
			if (c->state != C_OPEN)
				continue;
		} else if (c->check_ms && (!e->check_ms || c->check_ms < e->check_ms)) {
			e->check_ms = c->check_ms;
		}
		if (!full)
			continue;
		/* One lookup a direction: no arming here, a quiet direction
		 * has its own look (check_ms) and a loud one is armed when it
		 * wakes; looking at every armed one each second cost 10,000
		 * idle connections a third of a core. */
		if (c->carrier == FP_PROXY_SOCKMAP && account(e, c)) {
			fp_log(e->log, FP_LOG_WARN, "proxy %s: the kernel could not cut "
			       "bytes a retransmission repeated; connection reset",
			       c->px->cfg.name);
			proxy_conn_kill(e, c, true);
			continue;
		}
		if (c->px->cfg.idle_timeout_ms && now - c->active_ms >= c->px->cfg.idle_timeout_ms) {
			fp_log(e->log, FP_LOG_DEBUG, "proxy %s: a connection idle for %u ms closed",
			       c->px->cfg.name, c->px->cfg.idle_timeout_ms);
			proxy_conn_kill(e, c, false);
		}
	}
	reap(e);
	if (!full)
		return;
	e->next_tick_ms = now + 1000;
	proxy_sweep_retired(e);
	proxy_state_write(e);
}

/* ---- the engine -------------------------------------------------------- */

int fp_proxy_engine_open(const struct fp_logger *log, const char *state,
			 struct fp_proxy_engine **out)
{
	struct fp_proxy_engine *e = calloc(1, sizeof(*e));
	struct rlimit rl;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->log = log;
	snprintf(e->state, sizeof(e->state), "%s", state ? state : FP_PROXY_STATE);
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->ep < 0) {
		free(e);
		return -errno;
	}
	e->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Two descriptors per connection, four more when spliced. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* splice(2) into a socket the peer reset raises SIGPIPE; the proxy
	 * wants the EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	e->next_tick_ms = fp_proxy_now_ms() + 1000;
	*out = e;
	return 0;
}

int fp_proxy_engine_fd(const struct fp_proxy_engine *e)
{
	return e->ep;
}

void fp_proxy_engine_close(struct fp_proxy_engine *e)
{
	if (!e)
		return;
	while (e->conns)
		proxy_conn_kill(e, e->conns, false);
	reap(e);
	while (e->proxies) {
		struct proxy *p = e->proxies;

		e->proxies = p->next;
		if (p->lfd >= 0)
			proxy_retire(e, p);
		free(p);
	}
	proxy_sockmap_close(e);
	proxy_spare_free(e);
	unlink(e->state);
	if (e->reserve_fd >= 0)
		close(e->reserve_fd);
	close(e->ep);
	free(e);
}
