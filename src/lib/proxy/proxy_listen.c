// SPDX-License-Identifier: BSD-2-Clause
/* The proxy's listeners, as the configuration says: fp_proxy_engine_apply
 * opens a listener for each new proxy first (a failure changes nothing),
 * then retires what is gone or moved and updates what stays. A retired
 * proxy runs its connections out and is freed when they have ended. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "proxy/proxy_int.h"

static int listen_on(const struct fp_proxy_addr *a)
{
	struct sockaddr_in sin;
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	proxy_sockaddr(a, &sin);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static struct proxy *find(struct fp_proxy_engine *e, const char *name)
{
	for (struct proxy *p = e->proxies; p; p = p->next)
		if (p->lfd >= 0 && !strcmp(p->cfg.name, name))
			return p;
	return NULL;
}

static bool same_addr(const struct fp_proxy_addr *a, const struct fp_proxy_addr *b)
{
	return a->port == b->port && a->addr.s_addr == b->addr.s_addr;
}

/* take_config: PX serves CFG; a backend that stays keeps its counters,
 * wherever the list now puts it, and E's open connections of PX follow
 * their backend to its new slot (or to PX->gone, when the reload took it
 * out): a backend's counts are its own connections'. */
static void take_config(struct fp_proxy_engine *e, struct proxy *px,
			const struct fp_proxy_config *cfg)
{
	struct backend old[FP_PROXY_BACKENDS_MAX];
	size_t n_old = px->cfg.n_backends, to[FP_PROXY_BACKENDS_MAX];
	bool used[FP_PROXY_BACKENDS_MAX] = { false };

	memcpy(old, px->be, sizeof(old));
	px->cfg = *cfg;
	memset(px->be, 0, sizeof(px->be));
	/* Old slot K goes to new slot to[K] (one to one: a backend listed
	 * twice is two slots), or nowhere (FP_PROXY_BACKENDS_MAX). */
	for (size_t k = 0; k < n_old; k++) {
		to[k] = FP_PROXY_BACKENDS_MAX;
		for (size_t i = 0; i < cfg->n_backends && to[k] == FP_PROXY_BACKENDS_MAX; i++)
			if (!used[i] && same_addr(&old[k].addr, &cfg->backends[i])) {
				used[i] = true;
				to[k] = i;
			}
	}
	for (size_t i = 0; i < cfg->n_backends; i++)
		px->be[i].addr = cfg->backends[i];
	for (size_t k = 0; k < n_old; k++)
		if (to[k] < FP_PROXY_BACKENDS_MAX)
			px->be[to[k]] = old[k];
	for (struct conn *c = e ? e->conns : NULL; c; c = c->next) {
		size_t k;

		if (c->px != px || !c->be || c->be == &px->gone)
			continue;
		k = (size_t)(c->be - px->be);
		if (k < n_old && to[k] < FP_PROXY_BACKENDS_MAX) {
			c->be = &px->be[to[k]];
			continue;
		}
		c->be = &px->gone;
		if (c->state == C_OPEN)
			px->gone.conns_now++; /* as connect_done counted it */
	}
}

/* auto means sockmap where the kernel half loads: it answers requests
 * 4x faster than splice on one connection and ties it in bulk on one
 * (docs/benchmarks.md); splice stays the fallback. */
static bool wants_sockmap(const struct fp_proxy_config *c)
{
	return c->accelerate == FP_PROXY_AUTO || c->accelerate == FP_PROXY_SOCKMAP;
}

void proxy_retire(struct fp_proxy_engine *e, struct proxy *px)
{
	if (px->sockmap)
		proxy_sockmap_listen(e, &px->cfg.listen, false);
	px->sockmap = false;
	close(px->lfd);
	px->lfd = -1;
}

void proxy_sweep_retired(struct fp_proxy_engine *e)
{
	for (struct proxy **pp = &e->proxies; *pp;) {
		struct proxy *p = *pp;

		if (p->lfd < 0 && !p->conns_now) {
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
}

int fp_proxy_engine_apply(struct fp_proxy_engine *e, const struct fp_proxy_config *cfgs,
			  size_t n)
{
	struct proxy *fresh[FP_PROXY_MAX] = { 0 };
	char a[32];
	int err = 0;

	if (!e->sm_tried) {
		for (size_t i = 0; i < n && !e->sm_tried; i++) {
			if (!wants_sockmap(&cfgs[i]))
				continue;
			e->sm_tried = true;
			err = proxy_sockmap_open(e);
			if (err)
				fp_log(e->log, cfgs[i].accelerate == FP_PROXY_SOCKMAP ?
				       FP_LOG_WARN : FP_LOG_INFO, "proxy: sockmap unavailable "
				       "(%s); connections are spliced", e->sm_why);
		}
	}
	/* Open what is new first: a failure changes nothing. */
	for (size_t i = 0; i < n; i++) {
		struct proxy *old = find(e, cfgs[i].name), *px;

		if (old && old->cfg.listen.port == cfgs[i].listen.port &&
		    old->cfg.listen.addr.s_addr == cfgs[i].listen.addr.s_addr)
			continue;
		px = calloc(1, sizeof(*px));
		if (!px) {
			err = -ENOMEM;
			goto undo;
		}
		fresh[i] = px;
		take_config(NULL, px, &cfgs[i]);
		px->lfd = -1;
		/* Addresses another proxy of ours holds now are freed below. */
		for (struct proxy *p = e->proxies; p; p = p->next) {
			if (p->lfd >= 0 && p->cfg.listen.port == cfgs[i].listen.port &&
			    p->cfg.listen.addr.s_addr == cfgs[i].listen.addr.s_addr) {
				fp_log(e->log, FP_LOG_ERROR, "proxy %s: %s is in use by proxy %s; "
				       "rename it in two steps", cfgs[i].name,
				       fp_proxy_addr_str(&cfgs[i].listen, a, sizeof(a)), p->cfg.name);
				err = -EADDRINUSE;
				goto undo;
			}
		}
		px->lfd = listen_on(&cfgs[i].listen);
		if (px->lfd < 0) {
			err = px->lfd;
			fp_log(e->log, FP_LOG_ERROR, "proxy %s: cannot listen on %s: %s",
			       cfgs[i].name, fp_proxy_addr_str(&cfgs[i].listen, a, sizeof(a)),
			       strerror(-err));
			goto undo;
		}
		if (e->sm && wants_sockmap(&cfgs[i]) &&
		    !proxy_sockmap_listen(e, &cfgs[i].listen, true))
			px->sockmap = true;
		if (listen(px->lfd, 4096)) {
			err = -errno;
			goto undo;
		}
		px->ltag = (struct tag){ TAG_LISTEN, 0, px };
		err = proxy_ep_add(e, px->lfd, EPOLLIN, &px->ltag);
		if (err)
			goto undo;
	}
	/* Commit: retire what is gone or moved, update what stays. */
	for (struct proxy *p = e->proxies; p; p = p->next) {
		size_t i;

		if (p->lfd < 0)
			continue;
		for (i = 0; i < n && strcmp(cfgs[i].name, p->cfg.name); i++)
			;
		if (i == n || fresh[i]) {
			proxy_retire(e, p);
			continue;
		}
		take_config(e, p, &cfgs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (!fresh[i])
			continue;
		fresh[i]->next = e->proxies;
		e->proxies = fresh[i];
		fp_log(e->log, FP_LOG_INFO, "proxy %s: listening on %s, %zu backend%s, %s",
		       cfgs[i].name, fp_proxy_addr_str(&cfgs[i].listen, a, sizeof(a)),
		       cfgs[i].n_backends, cfgs[i].n_backends == 1 ? "" : "s",
		       fp_proxy_carrier_str(proxy_carrier_for(e, fresh[i])));
	}
	/* Retired proxies without connections go now. */
	proxy_sweep_retired(e);
	proxy_state_write(e);
	return 0;
undo:
	for (size_t i = 0; i < n; i++) {
		if (!fresh[i])
			continue;
		if (fresh[i]->lfd >= 0)
			proxy_retire(e, fresh[i]);
		free(fresh[i]);
	}
	return err;
}
