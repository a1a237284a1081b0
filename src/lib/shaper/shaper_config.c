// SPDX-License-Identifier: BSD-2-Clause
/* The shaper: section of the configuration: per interface a bandwidth
 * limit, a latency target and optional classes, each checked as
 * fp_shaper_apply would check it, so that a file fastpathd accepts is one
 * the kernel will take. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fastpath/shaper.h>
#include "config/schema.h"

#define LATENCY_DEFAULT_MS 50

static int p_rate(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a rate like 100mbit");

	(void)f;
	if (!s)
		return -EINVAL;
	if (fp_shaper_rate_parse(s, dst)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a rate: write it as tc does, "
			      "e.g. 100mbit, 1gbit, 500kbit or 10mbps (bytes)", s);
		return -EINVAL;
	}
	return 0;
}

static int p_dest(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an address or a prefix like 10.0.0.0/8");

	(void)f;
	return s ? fp_cfg_cidr(w, n, path, s, dst) : -EINVAL;
}

static const struct field match_fields[] = {
	{ .key = "dest", .parse = p_dest, .off = offsetof(struct fp_shaper_class, dest) },
	{ .key = "protocol", .parse = fp_cfg_proto,
	  .off = offsetof(struct fp_shaper_class, proto) },
	{ .key = "port", .parse = fp_cfg_ports, .off = offsetof(struct fp_shaper_class, port) },
};

static const struct schema match_schema = { match_fields, ARRAY_SIZE(match_fields), NULL };

static const struct field class_fields[] = {
	{ .key = "match", .parse = fp_cfg_map, .off = 0, .sub = &match_schema },
	{ .key = "rate", .parse = p_rate, .off = offsetof(struct fp_shaper_class, rate),
	  .required = true, .hint = "the class's guaranteed rate, e.g. 20mbit" },
	{ .key = "ceil", .parse = p_rate, .off = offsetof(struct fp_shaper_class, ceil) },
	{ .key = "priority", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_shaper_class, priority), .min = 0, .max = 7 },
};

static const struct schema class_schema = { class_fields, ARRAY_SIZE(class_fields), NULL };

static int class_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_shaper_class *c = item;

	c->line = fp_cfg_line_of(n);
	return fp_cfg_walk_map(w, n, path, &class_schema, c);
}

static int p_classes(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		     const struct field *f)
{
	struct fp_shaper_iface *s = (void *)((char *)dst - offsetof(struct fp_shaper_iface, classes));
	unsigned int before = w->n_errors;
	size_t count = 0;
	void *arr = NULL;

	(void)f;
	fp_cfg_walk_list(w, n, path, "classes", FP_SHAPER_CLASSES_MAX, sizeof(s->classes[0]),
			 &arr, &count, class_item);
	if (arr && count)
		memcpy(s->classes, arr, count * sizeof(s->classes[0]));
	s->n_classes = count;
	free(arr);
	if (w->nomem)
		return -ENOMEM;
	return w->n_errors == before ? 0 : -EINVAL;
}

enum { F_INTERFACE, F_LIMIT, F_LATENCY, F_CLASSES };

/* What fp_shaper_apply would refuse, said at the interface's line. */
static void iface_check(struct walk *w, yaml_node_t *map, const char *path, void *dst,
			const struct seen *seen)
{
	struct fp_shaper_iface *s = dst;
	char why[256];

	(void)map;
	if (!seen[F_LIMIT].ok || (seen[F_LATENCY].key && !seen[F_LATENCY].ok) ||
	    (seen[F_CLASSES].key && !seen[F_CLASSES].ok))
		return; /* reported already */
	if (fp_shaper_check(s, why, sizeof(why)))
		fp_cfg_report_at(w, s->line, path, "%s", why);
}

static const struct field iface_fields[] = {
	[F_INTERFACE] = { .key = "interface", .parse = fp_cfg_ifname,
			  .off = offsetof(struct fp_shaper_iface, interface),
			  .required = true, .hint = "the interface whose egress to shape" },
	[F_LIMIT] = { .key = "bandwidth_limit", .parse = p_rate,
		      .off = offsetof(struct fp_shaper_iface, bandwidth_limit),
		      .required = true, .hint = "a rate like 100mbit" },
	[F_LATENCY] = { .key = "latency_target", .parse = fp_cfg_duration_ms,
			.off = offsetof(struct fp_shaper_iface, latency_ms),
			.min = 1, .max = 10000 },
	[F_CLASSES] = { .key = "classes", .parse = p_classes,
			.off = offsetof(struct fp_shaper_iface, classes) },
};

static const struct schema iface_schema = { iface_fields, ARRAY_SIZE(iface_fields), iface_check };

static int iface_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_shaper_iface *s = item;

	s->line = fp_cfg_line_of(n);
	s->latency_ms = LATENCY_DEFAULT_MS;
	return fp_cfg_walk_map(w, n, path, &iface_schema, s);
}

static int cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct fp_shaper_iface *)a)->interface,
		      ((const struct fp_shaper_iface *)b)->interface);
}

static void say_dup_iface(struct walk *w, const char *path, const void *base,
			  size_t later, size_t first)
{
	const struct fp_shaper_iface *s = base;
	char at[PATH_BUF];

	if (!s[later].interface[0])
		return;
	fp_cfg_path_item(at, path, later, "interface");
	fp_cfg_report_at(w, s[later].line, at, "'%s' is shaped already on line %u; give "
			 "each interface one entry", s[later].interface, s[first].line);
}

static int p_shaper(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	struct fp_shaper_config *sh = dst;
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	fp_cfg_walk_list(w, n, path, "interfaces", FP_SHAPER_MAX, sizeof(*sh->ifaces), &arr,
			 &sh->n, iface_item);
	sh->ifaces = arr;
	if (w->nomem)
		return -ENOMEM;
	fp_cfg_each_dup(w, path, sh->ifaces, sh->n, sizeof(*sh->ifaces), cmp_iface,
			say_dup_iface);
	return w->n_errors == before ? 0 : -EINVAL;
}

static void shaper_free(void *dst)
{
	struct fp_shaper_config *sh = dst;

	free(sh->ifaces);
	sh->ifaces = NULL;
	sh->n = 0;
}

const struct fp_cfg_section fp_shaper_section = {
	.key = "shaper",
	.parse = p_shaper,
	.free = shaper_free,
};
