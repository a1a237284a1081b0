// SPDX-License-Identifier: BSD-2-Clause
/* Pumping a connection: each direction moved by its carrier, copied here
 * (the copy carrier, and the bytes the kernel leaves to the proxy under
 * sockmap), spliced (proxy_splice.c) or armed for the kernel to redirect
 * (proxy_sockmap.c); a direction's FIN passed on once every byte before
 * it is. proxy.c pumps a connection on any event of either socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "proxy/proxy_int.h"

/* A direction's buffer goes when it empties (10,000 idle connections
 * hold none), but freed and taken again on every request, malloc gave
 * the 64 KiB back to the kernel and took it again, page faults and all:
 * a few are kept. */
static char *buf_get(struct fp_proxy_engine *e)
{
	return e->n_spare ? e->spare[--e->n_spare] : malloc(PROXY_BUF);
}

static void buf_put(struct fp_proxy_engine *e, struct dir *d)
{
	if (d->buf && e->n_spare < PROXY_SPARE)
		e->spare[e->n_spare++] = d->buf;
	else
		free(d->buf);
	d->buf = NULL;
	d->head = d->tail = 0;
}

void proxy_spare_free(struct fp_proxy_engine *e)
{
	while (e->n_spare)
		free(e->spare[--e->n_spare]);
}

void proxy_dir_free(struct fp_proxy_engine *e, struct dir *d)
{
	buf_put(e, d);
	proxy_splice_free(d);
}

static void moved(struct conn *c, int side, uint64_t n)
{
	c->d[side].user += n;
	if (side == 0) {
		c->px->bytes_out += n;
		c->be->bytes_out += n;
	} else {
		c->px->bytes_in += n;
		c->be->bytes_in += n;
	}
}

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

/* copy_dir: the copy carrier, and a sockmap direction's bytes the kernel
 * left to the proxy. Moves at most MAX bytes; how many, or -errno. */
static long copy_dir(struct fp_proxy_engine *e, struct conn *c, int side, size_t max)
{
	struct dir *d = &c->d[side];
	int src = c->fd[side], dst = c->fd[!side];
	size_t total = 0;
	bool full = false;

	while (total < max) {
		bool progress = false;
		ssize_t n;

		/* Bytes the kernel redirected before it passed these must all
		 * be in the destination's send queue first. */
		if (d->tail > d->head && d->unflushed) {
			if (proxy_sockmap_flushed(e, c, side))
				d->unflushed = false;
			else
				d->waiting = true;
		}
		if (d->tail > d->head && !d->unflushed && c->carrier == FP_PROXY_SOCKMAP &&
		    proxy_sockmap_unacked(e, c, side) >= c->px->cfg.max_inflight_bytes) {
			d->waiting = true;      /* the peer is not draining */
			break;
		}
		if (d->tail > d->head && !d->unflushed) {
			n = send(dst, d->buf + d->head, d->tail - d->head, MSG_NOSIGNAL);
			if (n > 0) {
				d->head += n;
				total += n;
				moved(c, side, n);
				progress = true;
				full = false;
				if (d->head == d->tail)
					d->head = d->tail = 0;
			} else if (n < 0 && !would_block(errno)) {
				return -errno;
			} else if (n < 0) {
				full = true;
			}
		}
		if (!d->eof && d->tail < PROXY_BUF) {
			if (!d->buf && !(d->buf = buf_get(e)))
				return -ENOMEM;
			n = recv(src, d->buf + d->tail, PROXY_BUF - d->tail, MSG_DONTWAIT);
			if (n > 0) {
				d->tail += n;
				d->read += n;
				progress = true;
				d->unflushed = d->ever_armed;
			} else if (n == 0 && c->carrier == FP_PROXY_SOCKMAP &&
				   proxy_sockmap_passed(e, c, side) != d->read) {
				/* The FIN is known (RCV_SHUTDOWN) but bytes the
				 * verdict passed before it are still in the psock
				 * backlog, behind bytes redirected into this socket;
				 * their arrival wakes the proxy. Not the end yet. */
				break;
			} else if (n == 0) {
				d->eof = true;
			} else if (!would_block(errno)) {
				return -errno;
			}
		}
		if (!progress)
			break;
	}
	d->blocked = full && d->tail > d->head;
	if (d->buf && d->head == d->tail)
		buf_put(e, d);
	return (long)total;
}

/* finish_dir: the source said FIN and every byte of it is forwarded:
 * pass the FIN on. For sockmap that means every byte the kernel
 * redirected is in the destination's send queue, or it would be cut. */
static int finish_dir(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct dir *d = &c->d[side];

	if (!d->eof || d->shut || d->tail > d->head || d->in_pipe)
		return 0;
	/* A stream with a hole must not end as if whole. */
	if (c->carrier == FP_PROXY_SOCKMAP && proxy_sockmap_broken(e, c, side))
		return -EIO;
	if (c->carrier == FP_PROXY_SOCKMAP && d->ever_armed &&
	    !proxy_sockmap_flushed(e, c, side)) {
		d->waiting = true;
		return 0;
	}
	if (shutdown(c->fd[!side], SHUT_WR) && errno != ENOTCONN)
		return -errno;
	d->shut = true;
	proxy_dir_free(e, d);
	return 0;
}

static void set_waiting(struct fp_proxy_engine *e, struct conn *c)
{
	bool w = c->d[0].waiting || c->d[1].waiting;

	if (w && !e->wait_ms)
		e->wait_ms = fp_proxy_now_ms() + 2;
	if (w && !c->waiting_counted)
		e->n_waiting++;
	else if (!w && c->waiting_counted)
		e->n_waiting--;
	c->waiting_counted = w;
}

/* want_events: FD[F]'s interest: its end always, its input unless the
 * kernel redirects it (quiet), its room only while the direction writing
 * into it is blocked (edge-triggered). Registered for EPOLLOUT all the
 * time, every wake-up of the socket also reported it writable and the
 * proxy pumped the other direction for nothing; registered for EPOLLIN
 * under sockmap, the psock woke the proxy for every segment it
 * redirected (sk_psock_verdict_data_ready calls the socket's
 * data_ready), to read nothing. */
static void want_events(struct fp_proxy_engine *e, struct conn *c)
{
	for (int f = 0; f < 2; f++) {
		uint32_t want = EPOLLRDHUP | EPOLLET;
		struct epoll_event ev;

		if (!c->d[f].quiet)
			want |= EPOLLIN;
		if (c->d[!f].blocked && !c->d[!f].shut)
			want |= EPOLLOUT;
		if (want == c->ev[f])
			continue;
		ev = (struct epoll_event){ .events = want, .data.ptr = &c->tag[f] };
		/* MOD polls the socket again: room that came meanwhile is
		 * reported, not lost. */
		if (!epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd[f], &ev))
			c->ev[f] = want;
	}
}

/* schedule_check: a quiet direction learns of nothing by itself: the
 * bytes the verdict passes at its limit and the limit's refresh wait for
 * the engine's timer (proxy_sockmap.c says when). */
static void schedule_check(struct fp_proxy_engine *e, struct conn *c)
{
	c->check_ms = 0;
	for (int s = 0; s < 2; s++)
		if (c->d[s].quiet && (!c->check_ms || c->d[s].next_check_ms < c->check_ms))
			c->check_ms = c->d[s].next_check_ms;
	if (c->check_ms && (!e->check_ms || c->check_ms < e->check_ms))
		e->check_ms = c->check_ms;
}

void proxy_pump(struct fp_proxy_engine *e, struct conn *c, unsigned int dirs)
{
	unsigned int more = 0;

	if (c->state != C_OPEN)
		return;
	for (int side = 0; side < 2; side++) {
		struct dir *d = &c->d[side];
		long n;

		if (d->shut || !(dirs & (1u << side)))
			continue;
		if (c->carrier == FP_PROXY_SPLICE)
			n = proxy_splice_dir(c, side, PROXY_PUMP_MAX);
		else
			n = copy_dir(e, c, side, PROXY_PUMP_MAX);
		if (n < 0) {
			/* One side failed or was reset: the other gets an RST too,
			 * since what it sent may not have arrived. */
			fp_log(e->log, FP_LOG_DEBUG, "proxy %s: %s to %s: %s; both reset",
			       c->px->cfg.name, side ? "backend" : "client",
			       side ? "client" : "backend", strerror((int)-n));
			proxy_conn_kill(e, c, true);
			return;
		}
		if (n > 0) {
			c->active_ms = fp_proxy_now_ms();
			if (c->carrier == FP_PROXY_SPLICE)
				moved(c, side, (uint64_t)n);
		}
		if (n >= (long)PROXY_PUMP_MAX)
			more |= 1u << side;
		if (c->carrier == FP_PROXY_SOCKMAP && !d->eof && d->head == d->tail &&
		    !d->waiting)
			proxy_sockmap_arm(e, c, side);
		else
			d->quiet = false;
		/* The end comes with bytes the verdict passed still on their
		 * way (copy_dir): their arrival must wake the proxy. */
		if (d->hup)
			d->quiet = false;
		if (finish_dir(e, c, side)) {
			proxy_conn_kill(e, c, true);
			return;
		}
	}
	set_waiting(e, c);
	if (c->d[0].shut && c->d[1].shut) {
		proxy_conn_kill(e, c, false);
		return;
	}
	want_events(e, c);
	schedule_check(e, c);
	c->again_dirs |= more;
	if (more && !c->queued) {
		c->queued = true;
		c->again_next = e->again;
		e->again = c;
	}
}
