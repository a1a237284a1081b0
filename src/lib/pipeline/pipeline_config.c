// SPDX-License-Identifier: BSD-2-Clause
/* The orchestrator: section of the configuration: the eBPF data plane
 * (orchestrator.ebpf: interfaces, XDP mode, a chained program) and
 * the metrics endpoint (prometheus_port, prometheus_address), how often
 * fastpathd verifies what it applied (monitoring_interval), the kernel's
 * run-time statistics (latency_stats) and the health checks' thresholds
 * (health, latency_threshold_ms). Its values live at the top of struct
 * fp_config. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "config/schema.h"

/* interface and interfaces fill the same list; dst is the ebpf struct. */
static int p_ebpf_interface(struct walk *w, yaml_node_t *n, const char *path,
			    void *dst, const struct field *f)
{
	struct fp_ebpf_config *e = dst;

	e->n_interfaces = 0;
	if (fp_cfg_ifname(w, n, path, e->interfaces[0], f))
		return -EINVAL;
	e->n_interfaces = 1;
	return 0;
}

static int p_ebpf_interfaces(struct walk *w, yaml_node_t *n, const char *path,
			     void *dst, const struct field *f)
{
	struct fp_ebpf_config *e = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	e->n_interfaces = 0;
	if (fp_cfg_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of interface names like "
		       "[eth0, eth1], got %s (for one, 'interface: eth0' works too)",
		       fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > FP_CONFIG_IFACES_MAX) {
		fp_cfg_report(w, n, path, "has %zu interfaces; at most %d are allowed",
		       cnt, FP_CONFIG_IFACES_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = fp_cfg_node_at(w, n->data.sequence.items.start[i]);

		fp_cfg_path_item(at, path, i, NULL);
		if (fp_cfg_ifname(w, item, at, e->interfaces[i], f)) {
			ret = -EINVAL;
			e->interfaces[i][0] = '\0';
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(e->interfaces[i], e->interfaces[j])) {
				fp_cfg_report(w, item, at, "%s is listed twice", e->interfaces[i]);
				ret = -EINVAL;
				break;
			}
		}
	}
	e->n_interfaces = cnt;
	return ret;
}

enum { E_ENABLED, E_IFACE, E_IFACES, E_MODE, E_PROG };

static void ebpf_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	const struct seen *a = &seen[E_IFACE], *b = &seen[E_IFACES];
	char at[PATH_BUF];

	(void)map;
	(void)dst;
	if (!a->key || !b->key)
		return;
	if (fp_cfg_line_of(b->key) < fp_cfg_line_of(a->key))
		a = b, b = &seen[E_IFACE];
	fp_cfg_path_key(at, path, (const char *)b->key->data.scalar.value);
	fp_cfg_report(w, b->key, at, "give either 'interface' or 'interfaces', not both "
	       "('interface' is on line %u)", fp_cfg_line_of(a->key));
}

static const struct field ebpf_fields[] = {
	[E_ENABLED] = { .key = "enabled", .parse = fp_cfg_bool,
	  .off = offsetof(struct fp_ebpf_config, enabled) },
	[E_IFACE] = { .key = "interface", .parse = p_ebpf_interface },
	[E_IFACES] = { .key = "interfaces", .parse = p_ebpf_interfaces },
	[E_MODE] = { .key = "mode", .parse = fp_cfg_mode,
	  .off = offsetof(struct fp_ebpf_config, mode) },
	[E_PROG] = { .key = "xdp_program", .parse = fp_cfg_abspath,
	  .off = offsetof(struct fp_ebpf_config, xdp_program) },
};

static const struct schema ebpf_schema = { ebpf_fields, ARRAY_SIZE(ebpf_fields), ebpf_check };

/* An address to listen on: an IPv4 or IPv6 literal. */
static int p_listen_addr(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an IPv4 or IPv6 address");
	struct in6_addr a;

	(void)f;
	if (!s)
		return -EINVAL;
	if (strlen(s) >= FP_CONFIG_ADDR_MAX ||
	    (inet_pton(AF_INET, s, &a) != 1 && inet_pton(AF_INET6, s, &a) != 1)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not an IPv4 or IPv6 address "
			      "(127.0.0.1, ::1, 0.0.0.0 for every one)", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

/* latency_threshold_ms: milliseconds with up to six decimals (0.05 is
 * 50 us): a pipeline's program runs in well under a microsecond, so a
 * whole number of ms could only say "stuck". Stored in ns. */
static int p_latency_ms(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a number of milliseconds");
	unsigned long long ms = 0, frac = 0, scale = 1000000;
	const char *p;

	(void)f;
	if (!s)
		return -EINVAL;
	for (p = s; *p >= '0' && *p <= '9'; p++)
		if (ms <= 60000)
			ms = ms * 10 + (unsigned long long)(*p - '0');
	if (*p == '.' && p > s)
		for (p++; *p >= '0' && *p <= '9' && scale > 1; p++)
			frac += (unsigned long long)(*p - '0') * (scale /= 10);
	if (p == s || *p || p[-1] == '.') {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a number of milliseconds "
			      "(1, 0.5, 0.05; at most six decimals)", s);
		return -EINVAL;
	}
	if ((!ms && !frac) || ms > 60000 || (ms == 60000 && frac)) {
		fp_cfg_report(w, n, path, SHOW " is out of range (0.000001-60000)", s);
		return -EINVAL;
	}
	*(unsigned long long *)dst = ms * 1000000 + frac;
	return 0;
}

static const struct field health_fields[] = {
	{ .key = "map_fill_percent", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_health_config, map_fill_percent), .min = 1, .max = 100 },
	{ .key = "drop_ratio_percent", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_health_config, drop_ratio_percent), .min = 0, .max = 100 },
	{ .key = "disk_free_mb", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_health_config, disk_free_mb), .min = 0, .max = 1u << 30 },
};

static const struct schema health_schema = { health_fields, ARRAY_SIZE(health_fields), NULL };

static const struct field orchestrator_fields[] = {
	{ .key = "ebpf", .parse = fp_cfg_map,
	  .off = offsetof(struct fp_config, ebpf), .sub = &ebpf_schema },
	{ .key = "prometheus_port", .parse = fp_cfg_int,
	  .off = offsetof(struct fp_config, prometheus_port),
	  .min = 0, .max = 65535 },
	{ .key = "prometheus_address", .parse = p_listen_addr,
	  .off = offsetof(struct fp_config, prometheus_address) },
	/* How often fastpathd checks the kernel against the file; link
	 * events make it look sooner. 0: on link events only. */
	{ .key = "monitoring_interval", .parse = fp_cfg_duration_ms,
	  .off = offsetof(struct fp_config, monitoring_interval_ms),
	  .min = 0, .max = 3600000 },
	/* BPF_ENABLE_STATS held by fastpathd: every program run pays for
	 * two clock reads (docs/metrics.md), so it is asked for. */
	{ .key = "latency_stats", .parse = fp_cfg_bool,
	  .off = offsetof(struct fp_config, health.latency_stats) },
	{ .key = "latency_threshold_ms", .parse = p_latency_ms,
	  .off = offsetof(struct fp_config, health.latency_ns) },
	{ .key = "health", .parse = fp_cfg_map,
	  .off = offsetof(struct fp_config, health), .sub = &health_schema },
};

static const struct schema orchestrator_schema = {
	orchestrator_fields, ARRAY_SIZE(orchestrator_fields), NULL
};


static void orchestrator_defaults(void *dst)
{
	struct fp_config *cfg = dst;

	cfg->ebpf.enabled = true;
	cfg->ebpf.mode = FP_XDP_AUTO;
	cfg->prometheus_port = FP_CONFIG_PROMETHEUS_PORT;
	strcpy(cfg->prometheus_address, FP_CONFIG_PROMETHEUS_ADDRESS);
	cfg->monitoring_interval_ms = FP_CONFIG_MONITORING_MS;
	fp_health_config_defaults(&cfg->health);
}

/* The default is eBPF on: without the section, an interface is missing. */
static void orchestrator_check(struct walk *w, const struct fp_cfg_root *root,
			       const struct seen *self, void *dst)
{
	struct fp_config *cfg = dst;
	yaml_node_t *orch = self->val, *ebpf = fp_cfg_map_get(w, orch, "ebpf");

	if (self->key && !self->ok)
		return;
	/* Functions alone need no interface: sk_lookup hooks the namespace. */
	if (cfg->ebpf.enabled && !cfg->ebpf.n_interfaces && !cfg->n_functions)
		fp_cfg_report(w, ebpf ? ebpf : orch ? orch : fp_cfg_root_map(root),
			      "orchestrator.ebpf", "eBPF is enabled but no interface "
			      "is given; add 'interface: eth0' (or 'interfaces: [eth0, "
			      "eth1]'), or set 'enabled: false' for userspace-only mode");
}

bool fp_cfg_ebpf_serves(const struct fp_cfg_root *root, const struct fp_ebpf_config *e,
			const char *dev, char *list, size_t size)
{
	size_t at = 0;

	if (!fp_cfg_root_usable(root, "orchestrator") || !e->enabled)
		return true;
	list[0] = '\0';
	for (size_t i = 0; i < e->n_interfaces; i++) {
		if (!strcmp(e->interfaces[i], dev))
			return true;
		at = fp_cfg_appendf(list, size, at, "%s%s", i ? ", " : "", e->interfaces[i]);
	}
	if (!at)
		snprintf(list, size, "none");
	return false;
}

const struct fp_cfg_section fp_orchestrator_section = {
	.key = "orchestrator",
	.schema = &orchestrator_schema,
	.defaults = orchestrator_defaults,
	.check = orchestrator_check,
};
