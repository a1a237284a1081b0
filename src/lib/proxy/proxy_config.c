// SPDX-License-Identifier: BSD-2-Clause
/* The proxy: section of the configuration: a list of TCP proxies, each a
 * listener, its backends and how connections are carried. Its values
 * live at the top of struct fp_config (proxies, n_proxies). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/schema.h"

static const char *const carrier_words[] = { "auto", "sockmap", "splice", "copy" };
static const char *const balance_words[] = { "round_robin", "least_conn" };

const char *fp_proxy_carrier_str(enum fp_proxy_carrier c)
{
	return (unsigned)c < ARRAY_SIZE(carrier_words) ? carrier_words[c] : "?";
}

const char *fp_proxy_balance_str(enum fp_proxy_balance b)
{
	return (unsigned)b < ARRAY_SIZE(balance_words) ? balance_words[b] : "?";
}

const char *fp_proxy_addr_str(const struct fp_proxy_addr *a, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->addr, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, a->port);
	return buf;
}

int fp_proxy_addr_parse(const char *s, struct fp_proxy_addr *a)
{
	const char *colon = strrchr(s, ':');
	char ip[INET_ADDRSTRLEN];
	unsigned long long port;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, colon - s);
	ip[colon - s] = '\0';
	if (inet_pton(AF_INET, ip, &a->addr) != 1 ||
	    fp_cfg_parse_ull(colon + 1, &port) || port < 1 || port > 65535)
		return -EINVAL;
	a->port = (uint16_t)port;
	return 0;
}

static int p_addr(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "ADDRESS:PORT like 127.0.0.1:8080");

	(void)f;
	if (!s)
		return -EINVAL;
	if (fp_proxy_addr_parse(s, dst)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not ADDRESS:PORT; write an IPv4 "
			      "address and a port 1-65535, like 127.0.0.1:8080", s);
		return -EINVAL;
	}
	return 0;
}

static int p_backends(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		      const struct field *f)
{
	struct fp_proxy_config *p = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of ADDRESS:PORT like "
			      "[10.0.0.2:80, 10.0.0.3:80], got %s", fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!cnt || cnt > FP_PROXY_BACKENDS_MAX) {
		fp_cfg_report(w, n, path, "has %zu backends; give 1 to %d", cnt,
			      FP_PROXY_BACKENDS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		fp_cfg_path_item(at, path, i, NULL);
		if (p_addr(w, fp_cfg_node_at(w, n->data.sequence.items.start[i]), at,
			   &p->backends[i], f))
			ret = -EINVAL;
	}
	p->n_backends = cnt;
	return ret;
}

static int p_word(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const char *const *words, size_t nw, const char *what)
{
	int i = fp_cfg_word(w, n, path, words, nw, what);

	if (i < 0)
		return i;
	*(int *)dst = i;
	return 0;
}

static int p_balance(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		     const struct field *f)
{
	(void)f;
	return p_word(w, n, path, dst, balance_words, ARRAY_SIZE(balance_words),
		      "round_robin or least_conn");
}

static int p_carrier(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		     const struct field *f)
{
	(void)f;
	return p_word(w, n, path, dst, carrier_words, ARRAY_SIZE(carrier_words),
		      "auto, sockmap, splice or copy");
}

static int p_name(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a name like web");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!fp_name_valid(s)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a valid name: 1-%d characters "
			      "of A-Z a-z 0-9 _ -", s, FP_NAME_MAX - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static const struct field proxy_fields[] = {
	{ .key = "name", .parse = p_name, .off = offsetof(struct fp_proxy_config, name),
	  .required = true, .hint = "a name like web" },
	{ .key = "listen", .parse = p_addr, .off = offsetof(struct fp_proxy_config, listen),
	  .required = true, .hint = "ADDRESS:PORT to accept on, like 0.0.0.0:8080" },
	{ .key = "backends", .parse = p_backends, .off = 0,
	  .required = true, .hint = "a list of ADDRESS:PORT to dial" },
	{ .key = "balance", .parse = p_balance,
	  .off = offsetof(struct fp_proxy_config, balance) },
	{ .key = "accelerate", .parse = p_carrier,
	  .off = offsetof(struct fp_proxy_config, accelerate) },
	{ .key = "connect_timeout", .parse = fp_cfg_duration_ms,
	  .off = offsetof(struct fp_proxy_config, connect_timeout_ms),
	  .min = 1, .max = 600000 },
	{ .key = "idle_timeout", .parse = fp_cfg_duration_ms,
	  .off = offsetof(struct fp_proxy_config, idle_timeout_ms),
	  .min = 0, .max = 7 * 86400000u },
	{ .key = "max_connections", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_proxy_config, max_connections),
	  .min = 1, .max = FP_PROXY_CONNS_MAX },
	{ .key = "max_inflight_bytes", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_proxy_config, max_inflight_bytes),
	  .min = FP_PROXY_INFLIGHT_MIN, .max = 1u << 30 },
};

static const struct schema proxy_schema = { proxy_fields, ARRAY_SIZE(proxy_fields), NULL };

static int proxy_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_proxy_config *p = item;

	p->line = fp_cfg_line_of(n);
	p->connect_timeout_ms = FP_PROXY_CONNECT_TIMEOUT_MS;
	p->max_connections = FP_PROXY_MAX_CONNECTIONS;
	p->max_inflight_bytes = FP_PROXY_INFLIGHT;
	return fp_cfg_walk_map(w, n, path, &proxy_schema, p);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct fp_proxy_config *)a)->name,
		      ((const struct fp_proxy_config *)b)->name);
}

static int cmp_listen(const void *a, const void *b)
{
	const struct fp_proxy_addr *x = &((const struct fp_proxy_config *)a)->listen;
	const struct fp_proxy_addr *y = &((const struct fp_proxy_config *)b)->listen;

	if (x->port != y->port)
		return (int)x->port - (int)y->port;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

static void say_dup_name(struct walk *w, const char *path, const void *base,
			 size_t later, size_t first)
{
	const struct fp_proxy_config *p = base;
	char at[PATH_BUF];

	if (!p[later].name[0])
		return;
	fp_cfg_path_item(at, path, later, "name");
	fp_cfg_report_at(w, p[later].line, at, "'%s' is already the name of the proxy on "
			 "line %u; names must be unique", p[later].name, p[first].line);
}

static void say_dup_listen(struct walk *w, const char *path, const void *base,
			   size_t later, size_t first)
{
	const struct fp_proxy_config *p = base;
	char at[PATH_BUF], a[32];

	if (!p[later].listen.port)
		return;
	fp_cfg_path_item(at, path, later, "listen");
	fp_cfg_report_at(w, p[later].line, at, "%s is already where '%s' listens (line %u); "
			 "give each proxy its own address", fp_proxy_addr_str(&p[later].listen,
			 a, sizeof(a)), p[first].name, p[first].line);
}

/* The wildcard address (0.0.0.0) takes its port on every address: a
 * proxy there clashes with any other on that port, which a sort by
 * address does not bring next to it. */
static void say_wildcard_clash(struct walk *w, const char *path,
			       const struct fp_proxy_config *p, size_t n)
{
	char at[PATH_BUF], a[32];

	for (size_t i = 1; i < n; i++) {
		for (size_t k = 0; k < i; k++) {
			const struct fp_proxy_addr *x = &p[i].listen, *y = &p[k].listen;

			if (!x->port || x->port != y->port || x->addr.s_addr == y->addr.s_addr ||
			    (x->addr.s_addr && y->addr.s_addr))
				continue;
			fp_cfg_path_item(at, path, i, "listen");
			fp_cfg_report_at(w, p[i].line, at, "%s clashes with '%s' (line %u): "
					 "0.0.0.0 takes the port on every address; give "
					 "each proxy its own port", fp_proxy_addr_str(x, a,
					 sizeof(a)), p[k].name, p[k].line);
			break;
		}
	}
}

/* addr_is_self: a backend at B reaches a proxy listening at L. */
static bool addr_is_self(const struct fp_proxy_addr *b, const struct fp_proxy_addr *l)
{
	uint32_t h = ntohl(b->addr.s_addr);

	if (b->port != l->port)
		return false;
	return b->addr.s_addr == l->addr.s_addr ||
	       (!l->addr.s_addr && (!h || h >> 24 == 127));
}

/* A proxy must not dial itself: a backend equal to its listen address
 * (or on loopback, when it listens on every address) would accept its
 * own connections until it runs out of descriptors. */
static void say_self_backend(struct walk *w, const char *path,
			     const struct fp_proxy_config *p, size_t i)
{
	char at[PATH_BUF], a[32];

	for (size_t k = 0; k < p->n_backends; k++) {
		if (!addr_is_self(&p->backends[k], &p->listen))
			continue;
		fp_cfg_path_item(at, path, i, "backends");
		fp_cfg_report_at(w, p->line, at, "backend %s is where the proxy itself "
				 "listens; it would dial itself",
				 fp_proxy_addr_str(&p->backends[k], a, sizeof(a)));
	}
}

static int p_proxies(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		     const struct field *f)
{
	struct fp_config *cfg = dst;
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	fp_cfg_walk_list(w, n, path, "proxies", FP_PROXY_MAX, sizeof(*cfg->proxies), &arr,
			 &cfg->n_proxies, proxy_item);
	cfg->proxies = arr;
	if (w->nomem)
		return -ENOMEM;
	fp_cfg_each_dup(w, path, cfg->proxies, cfg->n_proxies, sizeof(*cfg->proxies),
			cmp_name, say_dup_name);
	fp_cfg_each_dup(w, path, cfg->proxies, cfg->n_proxies, sizeof(*cfg->proxies),
			cmp_listen, say_dup_listen);
	say_wildcard_clash(w, path, cfg->proxies, cfg->n_proxies);
	for (size_t i = 0; i < cfg->n_proxies; i++)
		say_self_backend(w, path, &cfg->proxies[i], i);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}

/* fn_takes: function FN (TCP) takes L's connections: its trigger port on
 * L's address (any address when it names none; every one of its prefixes
 * when L is the wildcard). */
static bool fn_takes(const struct fp_function_config *fn, const struct fp_proxy_addr *l)
{
	uint32_t a = ntohl(l->addr.s_addr);

	if (!(fn->protocols & FP_FN_TCP) || fn->trigger_port != l->port || fn->netns[0])
		return false;
	if (!fn->n_addresses || !l->addr.s_addr)
		return true;
	for (size_t i = 0; i < fn->n_addresses; i++) {
		const struct fp_cidr *c = &fn->addresses[i];
		uint32_t net = (uint32_t)c->addr[0] << 24 | c->addr[1] << 16 | c->addr[2] << 8 |
			       c->addr[3];

		if (c->family == AF_INET &&
		    (!c->len || ((a ^ net) >> (32 - c->len)) == 0))
			return true;
	}
	return false;
}

/* metrics_on: the metrics endpoint (ADDR, port PORT) holds L's port on
 * L's address. An IPv6 endpoint clashes only as "::" (both families). */
static bool metrics_on(const char *addr, int port, const struct fp_proxy_addr *l)
{
	struct in_addr m;

	if (!port || l->port != port)
		return false;
	if (inet_pton(AF_INET, addr, &m) != 1) {
		struct in6_addr a6;

		return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&a6);
	}
	return !l->addr.s_addr || !m.s_addr || l->addr.s_addr == m.s_addr;
}

/* A proxy's port must not be the metrics endpoint's (on a clashing
 * address), nor a TCP function's trigger port on its address: sk_lookup
 * steers that to the function, and the proxy would see nothing. */
static void proxy_check(struct walk *w, const struct fp_cfg_root *root,
			const struct seen *self, void *dst)
{
	const struct fp_config *cfg = dst;
	char at[PATH_BUF], a[32];

	if (!self->ok)
		return;
	for (size_t i = 0; i < cfg->n_proxies; i++) {
		const struct fp_proxy_addr *l = &cfg->proxies[i].listen;

		fp_cfg_path_item(at, "proxy", i, "listen");
		if (fp_cfg_root_usable(root, "orchestrator") &&
		    metrics_on(cfg->prometheus_address, cfg->prometheus_port, l))
			fp_cfg_report_at(w, cfg->proxies[i].line, at, "%s is where the metrics "
					 "endpoint listens (orchestrator.prometheus_port); "
					 "pick another port for one of them",
					 fp_proxy_addr_str(l, a, sizeof(a)));
		for (size_t k = 0; fp_cfg_root_usable(root, "functions") && k < cfg->n_functions;
		     k++) {
			const struct fp_function_config *fn = &cfg->functions[k];

			if (!fn_takes(fn, l))
				continue;
			fp_cfg_report_at(w, cfg->proxies[i].line, at, "port %u is the "
					 "trigger_port of function '%s' (line %u), which "
					 "takes it on this address; pick another port",
					 l->port, fn->id, fn->line);
		}
	}
}

static void proxy_free(void *dst)
{
	struct fp_config *cfg = dst;

	free(cfg->proxies);
	cfg->proxies = NULL;
	cfg->n_proxies = 0;
}

const struct fp_cfg_section fp_proxy_section = {
	.key = "proxy",
	.parse = p_proxies,
	.free = proxy_free,
	.check = proxy_check,
};
