// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's proxy service (a row of fp_service_table), and what the
 * proxy tells `fastpath proxy`: a JSON file (FP_PROXY_STATE)
 * replaced atomically once a second and on every reconfiguration: per
 * proxy its connections and bytes, per backend the same and its health,
 * and up to STATE_CONNS_MAX connections with their carrier. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fastpath/config.h>
#include <fastpath/core.h>
#include <fastpath/daemon.h>
#include "proxy/proxy_int.h"

#define STATE_CONNS_MAX 1000

static struct json_object *jaddr(const struct fp_proxy_addr *a)
{
	char buf[32];

	return json_object_new_string(fp_proxy_addr_str(a, buf, sizeof(buf)));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* carrier_now: sockmap connections whose bytes are being copied for now
 * (the kernel stopped redirecting one direction) say so. */
static const char *carrier_now(const struct conn *c)
{
	if (c->carrier != FP_PROXY_SOCKMAP)
		return fp_proxy_carrier_str(c->carrier);
	for (int s = 0; s < 2; s++)
		if (!c->d[s].eof && (!c->d[s].armed || c->d[s].read != c->d[s].armed_at))
			return "sockmap+copy";
	return "sockmap";
}

static struct json_object *proxy_json(const struct fp_proxy_engine *e, const struct proxy *px,
				      unsigned long long now, size_t *listed)
{
	struct json_object *o = json_object_new_object();
	struct json_object *bes = json_object_new_array();
	struct json_object *cs = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(px->cfg.name));
	json_object_object_add(o, "listen", jaddr(&px->cfg.listen));
	json_object_object_add(o, "listening", json_object_new_boolean(px->lfd >= 0));
	json_object_object_add(o, "accelerate",
			       json_object_new_string(fp_proxy_carrier_str(px->cfg.accelerate)));
	json_object_object_add(o, "sockmap", json_object_new_boolean(px->sockmap));
	json_object_object_add(o, "balance",
			       json_object_new_string(fp_proxy_balance_str(px->cfg.balance)));
	add_u64(o, "connections", px->conns_now);
	add_u64(o, "connections_total", px->conns_total);
	add_u64(o, "refused", px->refused);
	add_u64(o, "no_backend", px->no_backend);
	add_u64(o, "bytes_to_backends", px->bytes_out);
	add_u64(o, "bytes_to_clients", px->bytes_in);
	for (size_t i = 0; i < px->cfg.n_backends; i++) {
		const struct backend *b = &px->be[i];
		struct json_object *bo = json_object_new_object();

		json_object_object_add(bo, "address", jaddr(&b->addr));
		json_object_object_add(bo, "up", json_object_new_boolean(!b->down));
		add_u64(bo, "connections", b->conns_now);
		add_u64(bo, "connections_total", b->conns_total);
		add_u64(bo, "failures", b->fails);
		add_u64(bo, "bytes_to", b->bytes_out);
		add_u64(bo, "bytes_from", b->bytes_in);
		json_object_array_add(bes, bo);
	}
	json_object_object_add(o, "backends", bes);
	for (const struct conn *c = e->conns; c && *listed < STATE_CONNS_MAX; c = c->next) {
		struct json_object *co;

		if (c->px != px)
			continue;
		co = json_object_new_object();
		json_object_object_add(co, "client", jaddr(&c->client));
		/* null: not chosen yet, or taken out by a reload */
		json_object_object_add(co, "backend", c->be && c->be != &px->gone ?
				       jaddr(&c->be->addr) : NULL);
		json_object_object_add(co, "state", json_object_new_string(
			c->state == C_OPEN ? "open" : "connecting"));
		json_object_object_add(co, "carrier", json_object_new_string(carrier_now(c)));
		add_u64(co, "bytes_to_backend", c->d[0].user + c->d[0].redirected);
		add_u64(co, "bytes_to_client", c->d[1].user + c->d[1].redirected);
		add_u64(co, "age_ms", now - c->started_ms);
		for (int k = 0; k < 2; k++) {
			struct json_object *dd = json_object_new_object();

			add_u64(dd, "read", c->d[k].read);
			add_u64(dd, "written", c->d[k].user);
			add_u64(dd, "redirected", c->d[k].redirected);
			add_u64(dd, "buffered", c->d[k].tail - c->d[k].head + c->d[k].in_pipe);
			json_object_object_add(dd, "eof", json_object_new_boolean(c->d[k].eof));
			if (c->carrier == FP_PROXY_SOCKMAP && c->state == C_OPEN)
				add_u64(dd, "unacked", proxy_sockmap_unacked((struct fp_proxy_engine *)e, (struct conn *)c, k));
			if (c->carrier == FP_PROXY_SOCKMAP && c->state == C_OPEN)
				add_u64(dd, "backlog", proxy_sockmap_backlog((struct fp_proxy_engine *)e, (struct conn *)c, k));
			json_object_object_add(co, k ? "to_client" : "to_backend", dd);
		}
		json_object_array_add(cs, co);
		(*listed)++;
	}
	json_object_object_add(o, "conns", cs);
	return o;
}

void proxy_state_write(struct fp_proxy_engine *e)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	unsigned long long now = fp_proxy_now_ms();
	size_t listed = 0;
	const char *s;

	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	json_object_object_add(root, "sockmap", json_object_new_boolean(e->sm != NULL));
	json_object_object_add(root, "sockmap_reason", json_object_new_string(
		e->sm ? "" : e->sm_tried ? e->sm_why : "no proxy asks for it"));
	add_u64(root, "connections", e->n_conns);
	for (const struct proxy *px = e->proxies; px; px = px->next)
		json_object_array_add(arr, proxy_json(e, px, now, &listed));
	json_object_object_add(root, "proxies", arr);
	if (!strcmp(e->state, FP_PROXY_STATE))
		mkdir(FP_RUN_DIR, 0755);
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	if (s)
		fp_file_replace(e->state, s, strlen(s), 0600);
	json_object_put(root);
}

/* ---- the service ------------------------------------------------------- */

struct proxy_service {
	struct fp_proxy_engine *e;      /* NULL until a proxy is configured */
};

static int svc_apply(void *ctx, const struct fp_config *cfg, const struct fp_config *prev,
		     const struct fp_service_env *env)
{
	struct proxy_service *ps = ctx;
	int err;

	(void)prev;
	if (!ps->e && !cfg->n_proxies)
		return 0;
	if (!ps->e && (err = fp_proxy_engine_open(env->log, NULL, &ps->e))) {
		fp_log(env->log, FP_LOG_ERROR, "proxy: %s", strerror(-err));
		return err;
	}
	err = fp_proxy_engine_apply(ps->e, cfg->proxies, cfg->n_proxies);
	if (err)
		fp_log(env->log, FP_LOG_ERROR, "proxy: not applied (%s)", strerror(-err));
	return err;
}

static int svc_fds(void *ctx, struct pollfd *fds, int max)
{
	struct proxy_service *ps = ctx;

	if (!ps->e || max < 1)
		return 0;
	fds[0] = (struct pollfd){ .fd = fp_proxy_engine_fd(ps->e), .events = POLLIN };
	return 1;
}

static void svc_ready(void *ctx, const struct pollfd *fds, int n)
{
	struct proxy_service *ps = ctx;

	(void)fds;
	(void)n;
	if (ps->e)
		fp_proxy_engine_process(ps->e);
}

static long long svc_deadline(void *ctx)
{
	struct proxy_service *ps = ctx;

	return ps->e ? fp_proxy_engine_deadline(ps->e) : -1;
}

static void svc_tick(void *ctx, unsigned long long now_ms)
{
	struct proxy_service *ps = ctx;

	if (ps->e)
		fp_proxy_engine_tick(ps->e, now_ms);
}

/* stop: unlike the kernel-only functions, the proxy's connections live in
 * this process; they end with it (docs/proxy.md). */
static void svc_stop(void *ctx)
{
	struct proxy_service *ps = ctx;

	fp_proxy_engine_close(ps->e);
	ps->e = NULL;
}

const struct fp_service fp_proxy_service = {
	.name = "proxy",
	.ctx_size = sizeof(struct proxy_service),
	.apply = svc_apply,
	.fds = svc_fds,
	.ready = svc_ready,
	.deadline = svc_deadline,
	.tick = svc_tick,
	.stop = svc_stop,
};
