// SPDX-License-Identifier: BSD-2-Clause
/* The sockmap carrier's userspace half: load proxy_sk_skb.bpf.c, attach
 * its verdict to the sockhash (bpf_prog_attach: libbpf 1.1 has no
 * sockmap link) and its sock_ops to fastpathd's own cgroup (a link, so
 * it goes with the process), and keep each connection's proxy_ctl entry:
 * its peer, and when it may redirect (proxy_abi.h). Nothing is pinned:
 * the sockets live in this process, and so does what splices them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "proxy/proxy_int.h"
#include "proxy_abi.h"
#include "bpf/proxy_sk_skb.skel.h"

#define CHECK_MIN_MS 1
#define CHECK_MAX_MS 25 /* a quiet direction's bytes passed at its limit
			 * wait at most this long (proxy_pump.c) */

struct sockmap {
	struct proxy_sk_skb *skel;
	struct bpf_link *sockops;
	int socks, ctl, cnt, listen;
	bool verdict_attached;
};

/* own_cgroup: the cgroup v2 directory this process is in. */
static int own_cgroup(char *path, size_t size)
{
	char line[4096], mnt[1024] = "";
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *dash = strstr(line, " - cgroup2 ");
			char p[1024];

			if (dash && sscanf(line, "%*s %*s %*s %*s %1023s", p) == 1) {
				snprintf(mnt, sizeof(mnt), "%s", p);
				break;
			}
		}
		fclose(f);
	}
	if (!mnt[0])
		return -ENOENT;
	f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, size, "%s%s", mnt, line + 3);
		fclose(f);
		return 0;
	}
	fclose(f);
	return -ENOENT;
}

void proxy_sockmap_close(struct fp_proxy_engine *e)
{
	struct sockmap *sm = e->sm;

	if (!sm)
		return;
	bpf_link__destroy(sm->sockops);
	if (sm->verdict_attached)
		bpf_prog_detach2(bpf_program__fd(sm->skel->progs.fp_proxy_verdict), sm->socks,
				 BPF_SK_SKB_STREAM_VERDICT);
	proxy_sk_skb__destroy(sm->skel);
	free(sm);
	e->sm = NULL;
}

int proxy_sockmap_open(struct fp_proxy_engine *e)
{
	struct sockmap *sm = calloc(1, sizeof(*sm));
	char cg[PATH_MAX];
	int err, cfd;

	if (!sm)
		return -ENOMEM;
	e->sm = sm;
	sm->skel = proxy_sk_skb__open_and_load();
	if (!sm->skel) {
		err = -errno;
		snprintf(e->sm_why, sizeof(e->sm_why), "its BPF programs did not load: %s",
			 strerror(-err));
		goto fail;
	}
	sm->socks = bpf_map__fd(sm->skel->maps.proxy_socks);
	sm->ctl = bpf_map__fd(sm->skel->maps.proxy_ctl);
	sm->cnt = bpf_map__fd(sm->skel->maps.proxy_cnt);
	sm->listen = bpf_map__fd(sm->skel->maps.proxy_listen);
	if (bpf_prog_attach(bpf_program__fd(sm->skel->progs.fp_proxy_verdict), sm->socks,
			    BPF_SK_SKB_STREAM_VERDICT, 0)) {
		err = -errno;
		snprintf(e->sm_why, sizeof(e->sm_why), "stream verdict attach: %s",
			 strerror(-err));
		goto fail;
	}
	sm->verdict_attached = true;
	err = own_cgroup(cg, sizeof(cg));
	if (err) {
		snprintf(e->sm_why, sizeof(e->sm_why), "no cgroup v2 for sock_ops");
		goto fail;
	}
	cfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		err = -errno;
		snprintf(e->sm_why, sizeof(e->sm_why), "%.100s: %s", cg, strerror(-err));
		goto fail;
	}
	sm->sockops = bpf_program__attach_cgroup(sm->skel->progs.fp_proxy_sockops, cfd);
	err = libbpf_get_error(sm->sockops);
	close(cfd);
	if (err) {
		sm->sockops = NULL;
		snprintf(e->sm_why, sizeof(e->sm_why), "sock_ops on %.100s: %s", cg, strerror(-err));
		goto fail;
	}
	fp_log(e->log, FP_LOG_INFO, "proxy: sockmap ready (sock_ops on %s)", cg);
	return 0;
fail:
	proxy_sockmap_close(e);
	return err;
}

int proxy_sockmap_listen(struct fp_proxy_engine *e, const struct fp_proxy_addr *a, bool on)
{
	struct fp_proxy_listen_key k = { .addr = a->addr.s_addr, .port = a->port };
	__u32 one = 1;

	if (!e->sm)
		return -ENOENT;
	if (!on)
		return bpf_map_delete_elem(e->sm->listen, &k) ? -errno : 0;
	return bpf_map_update_elem(e->sm->listen, &k, &one, BPF_ANY) ? -errno : 0;
}

static int cookie_of(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) ? -errno : 0;
}

int proxy_sockmap_expect(struct fp_proxy_engine *e, int fd, uint64_t *cookie)
{
	struct fp_proxy_ctl ctl = { 0 };
	struct fp_proxy_cnt cnt = { 0 };
	int err = cookie_of(fd, cookie);

	if (err)
		return err;
	if (bpf_map_update_elem(e->sm->cnt, cookie, &cnt, BPF_NOEXIST) ||
	    bpf_map_update_elem(e->sm->ctl, cookie, &ctl, BPF_NOEXIST)) {
		err = -errno;
		proxy_sockmap_forget_cookie(e, *cookie);
		return err;
	}
	return 0;
}

static bool in_map(struct sockmap *sm, uint64_t cookie)
{
	uint64_t v;

	return !bpf_map_lookup_elem(sm->socks, &cookie, &v);
}

int proxy_sockmap_claim(struct fp_proxy_engine *e, int fd, uint64_t *cookie)
{
	struct fp_proxy_ctl ctl;
	int one = 1, err = cookie_of(fd, cookie);

	if (err)
		return err;
	if (bpf_map_lookup_elem(e->sm->ctl, cookie, &ctl) || !in_map(e->sm, *cookie)) {
		proxy_sockmap_forget_cookie(e, *cookie);
		return -ENOENT;
	}
	/* Bytes that arrived before accept() sit in the receive queue: the
	 * verdict skips a socket that has no struct socket yet. A read now
	 * would take them past the verdict, uncounted, and the next segment
	 * could be redirected ahead of them. Setting SO_RCVLOWAT runs the
	 * socket's data_ready (tcp_set_rcvlowat), which hands the whole queue
	 * to the verdict: from here on every byte is counted. */
	return setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)) ? -errno : 0;
}

int proxy_sockmap_pair(struct fp_proxy_engine *e, struct conn *c)
{
	for (int s = 0; s < 2; s++) {
		struct fp_proxy_ctl ctl = { .peer = c->cookie[!s] };

		if (!in_map(e->sm, c->cookie[s]) ||
		    bpf_map_update_elem(e->sm->ctl, &c->cookie[s], &ctl, BPF_EXIST))
			return -ENOENT;
	}
	return 0;
}

void proxy_sockmap_forget_cookie(struct fp_proxy_engine *e, uint64_t cookie)
{
	if (!e->sm || !cookie)
		return;
	bpf_map_delete_elem(e->sm->ctl, &cookie);
	bpf_map_delete_elem(e->sm->cnt, &cookie);
}

void proxy_sockmap_forget(struct fp_proxy_engine *e, struct conn *c)
{
	for (int s = 0; s < 2; s++) {
		proxy_sockmap_forget_cookie(e, c->cookie[s]);
		c->cookie[s] = 0;
	}
}

static int counts(struct fp_proxy_engine *e, const struct conn *c, int side,
		  struct fp_proxy_cnt *cnt)
{
	memset(cnt, 0, sizeof(*cnt));
	if (!e->sm || !c->cookie[side])
		return -ENOENT;
	return bpf_map_lookup_elem(e->sm->cnt, &c->cookie[side], cnt) ? -errno : 0;
}

uint64_t proxy_sockmap_redirected(struct fp_proxy_engine *e, struct conn *c, int side,
				  bool *broken)
{
	struct fp_proxy_cnt cnt;

	if (counts(e, c, side, &cnt))
		return c->d[side].redirected;
	*broken |= cnt.broken;
	return cnt.redirected;
}

uint64_t proxy_sockmap_passed(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct fp_proxy_cnt cnt;

	if (counts(e, c, side, &cnt))
		return c->d[side].read;
	return cnt.passed;
}

bool proxy_sockmap_broken(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct fp_proxy_cnt cnt;

	return !counts(e, c, side, &cnt) && cnt.broken;
}

static uint64_t acked(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_bytes_acked;
}

/* proxy_sent_into: the bytes FD's send path has taken in so far: acked
 * plus still queued (SIOCOUTQ). Compared with the same at the start. */
uint64_t proxy_sent_into(int fd)
{
	/* Acked first: an ACK landing between the two reads then makes the
	 * sum smaller than the truth, never larger (write_seq only grows). */
	uint64_t a = acked(fd);
	int outq = 0;

	if (ioctl(fd, SIOCOUTQ, &outq))
		outq = 0;
	return a + (uint64_t)outq;
}

bool proxy_sockmap_flushed(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct fp_proxy_cnt cnt;
	int dst = !side;

	if (counts(e, c, side, &cnt))
		return true;    /* nothing can be redirected any more */
	return proxy_sent_into(c->fd[dst]) - c->base[dst] >= c->d[side].user + cnt.redirected;
}

/* next_check: when to look at armed direction D again: before half the
 * room under its limit is used at the rate it moved since the last look
 * (at first in CHECK_MIN_MS, the rate unknown), within CHECK_MAX_MS; 0
 * when it moved nothing for CHECK_MAX_MS: an idle direction is not
 * looked at (ten thousand idle connections kept the proxy busy), it goes
 * loud again and its next segment wakes the proxy. */
static unsigned long long next_check(struct dir *d, uint64_t redirected,
				     unsigned long long now)
{
	uint64_t room = d->limit > redirected ? d->limit - redirected : 0;
	uint64_t ms = now - d->checked_ms, rate, wait = CHECK_MIN_MS;

	if (d->checked_ms) {
		if (redirected == d->checked_redir && ms >= CHECK_MAX_MS) {
			d->checked_ms = 0;
			return 0;
		}
		/* Quiet for less than that: a request/response connection
		 * between two requests. Looked at once more, the rate then
		 * taken over the whole wait. */
		if (redirected == d->checked_redir)
			return d->checked_ms + CHECK_MAX_MS;
		rate = (redirected - d->checked_redir) / (ms ? ms : 1);
		wait = rate ? room / 2 / rate : CHECK_MAX_MS;
	}
	if (wait < CHECK_MIN_MS)
		wait = CHECK_MIN_MS;
	if (wait > CHECK_MAX_MS)
		wait = CHECK_MAX_MS;
	d->checked_ms = now;
	d->checked_redir = redirected;
	return now + wait;
}

void proxy_sockmap_arm(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct dir *d = &c->d[side];
	uint64_t max = c->px->cfg.max_inflight_bytes, q, acked_now;
	unsigned long long now = fp_proxy_now_ms();
	struct fp_proxy_ctl ctl;
	struct fp_proxy_cnt cnt;

	/* Armed at what was read and not due: nothing to look at. */
	if (d->armed && d->armed_at == d->read && now < d->next_check_ms)
		return;
	d->quiet = false;
	if (counts(e, c, side, &cnt))
		return;
	/* Bytes the verdict passed that are not read yet: arming now would
	 * let later bytes overtake them. Their arrival wakes the proxy. */
	if (cnt.passed != d->read)
		return;
	acked_now = acked(c->fd[!side]) - c->base[!side];
	q = d->user + cnt.redirected - acked_now;
	if (q >= max) {
		d->waiting = true;      /* the peer is not draining: try later */
		return;
	}
	ctl = (struct fp_proxy_ctl){
		.peer = c->cookie[!side],
		.arm_at = d->read,
		.limit = cnt.redirected + (max - q),
		.armed = 1,
	};
	/* Within a quarter of the bound of what is set: not worth a write. */
	if (!(d->armed && d->armed_at == d->read && ctl.limit < d->limit + max / 4)) {
		if (bpf_map_update_elem(e->sm->ctl, &c->cookie[side], &ctl, BPF_EXIST))
			return;
		d->armed = d->ever_armed = true;
		d->armed_at = d->read;
		d->limit = ctl.limit;
	}
	d->next_check_ms = next_check(d, cnt.redirected, now);
	d->quiet = d->next_check_ms != 0;
}

uint64_t proxy_sockmap_unacked(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct fp_proxy_cnt cnt;

	if (counts(e, c, side, &cnt) || c->fd[!side] < 0)
		return 0;
	return c->d[side].user + cnt.redirected - (acked(c->fd[!side]) - c->base[!side]);
}

uint64_t proxy_sockmap_backlog(struct fp_proxy_engine *e, struct conn *c, int side)
{
	struct fp_proxy_cnt cnt;
	uint64_t in;

	if (counts(e, c, side, &cnt) || c->fd[!side] < 0)
		return 0;
	in = proxy_sent_into(c->fd[!side]) - c->base[!side];
	return c->d[side].user + cnt.redirected > in ? c->d[side].user + cnt.redirected - in : 0;
}
