// SPDX-License-Identifier: BSD-2-Clause
/* The xsk: section of the configuration: per interface, the UDP ports its
 * pipeline's XSK stage steers to AF_XDP sockets, and the rx queues the
 * application's sockets serve. Its values live at the top of struct
 * fp_config (xsk, n_xsk); fastpathd applies them (src/lib/daemon/). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config/schema.h"

static int p_xsk_ports(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f)
{
	static const struct field port = { .min = 1, .max = 65535 };
	struct fp_xsk_config *x = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	(void)f;
	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of UDP ports like [7000, 7001], "
			      "got %s", fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!cnt || cnt > FP_CONFIG_XSK_PORTS_MAX) {
		fp_cfg_report(w, n, path, "has %zu ports; give 1 to %d", cnt,
			      FP_CONFIG_XSK_PORTS_MAX);
		return -EINVAL;
	}
	x->ports = calloc(cnt, sizeof(*x->ports));
	if (!x->ports) {
		w->nomem = true;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		fp_cfg_path_item(at, path, i, NULL);
		if (fp_cfg_u16(w, fp_cfg_node_at(w, n->data.sequence.items.start[i]), at,
			       &x->ports[i], &port))
			ret = -EINVAL;
	}
	x->n_ports = cnt;
	return ret;
}

static int p_xsk_queues(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	static const struct field queue = { .min = 0, .max = 31 };
	struct fp_xsk_config *x = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	(void)f;
	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of rx queues like [0, 1], got %s",
			      fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	for (size_t i = 0; i < cnt; i++) {
		uint32_t q = 0;

		fp_cfg_path_item(at, path, i, NULL);
		if (fp_cfg_u32(w, fp_cfg_node_at(w, n->data.sequence.items.start[i]), at,
			       &q, &queue))
			ret = -EINVAL;
		else
			x->queue_mask |= 1u << q;
	}
	return ret;
}

static const struct field xsk_fields[] = {
	{ .key = "interface", .parse = fp_cfg_ifname,
	  .off = offsetof(struct fp_xsk_config, interface),
	  .required = true, .hint = "the interface whose pipeline steers, like eth0" },
	{ .key = "ports", .parse = p_xsk_ports, .required = true,
	  .hint = "the UDP ports to steer, like [7000]" },
	{ .key = "queues", .parse = p_xsk_queues,
	  .hint = "the rx queues the application's sockets serve, like [0]" },
};

static const struct schema xsk_schema = { xsk_fields, ARRAY_SIZE(xsk_fields), NULL };

static int xsk_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_xsk_config *x = item;

	x->line = fp_cfg_line_of(n);
	return fp_cfg_walk_map(w, n, path, &xsk_schema, x);
}

static int cmp_xsk_if(const void *a, const void *b)
{
	return strcmp(((const struct fp_xsk_config *)a)->interface,
		      ((const struct fp_xsk_config *)b)->interface);
}

static void say_dup_xsk(struct walk *w, const char *path, const void *base,
			size_t later, size_t first)
{
	const struct fp_xsk_config *x = base;
	char at[PATH_BUF];

	if (!x[later].interface[0])
		return;
	fp_cfg_path_item(at, path, later, "interface");
	fp_cfg_report_at(w, x[later].line, at, "%s already has an entry (line %u); "
			 "list all its ports in one", x[later].interface, x[first].line);
}

static int p_xsk(struct walk *w, yaml_node_t *n, const char *path,
		 void *dst, const struct field *f)
{
	struct fp_config *cfg = dst;
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	fp_cfg_walk_list(w, n, path, "interfaces with ports", FP_CONFIG_XSK_MAX,
			 sizeof(*cfg->xsk), &arr, &cfg->n_xsk, xsk_item);
	cfg->xsk = arr;
	if (w->nomem)
		return -ENOMEM;
	fp_cfg_each_dup(w, path, cfg->xsk, cfg->n_xsk, sizeof(*cfg->xsk), cmp_xsk_if,
			say_dup_xsk);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}

static void xsk_free(void *dst)
{
	struct fp_config *cfg = dst;

	for (size_t i = 0; i < cfg->n_xsk; i++)
		free(cfg->xsk[i].ports);
	free(cfg->xsk);
	cfg->xsk = NULL;
	cfg->n_xsk = 0;
}

/* Ports steered on an interface fastpath runs no pipeline on would steer
 * nothing: refused. */
static void xsk_check(struct walk *w, const struct fp_cfg_root *root,
		      const struct seen *self, void *dst)
{
	const struct fp_config *cfg = dst;
	char at[PATH_BUF], list[FP_CONFIG_IFACES_MAX * (IF_NAMESIZE + 2)];

	if (!self->ok)
		return;
	for (size_t i = 0; i < cfg->n_xsk; i++) {
		if (fp_cfg_ebpf_serves(root, &cfg->ebpf, cfg->xsk[i].interface, list,
				       sizeof(list)))
			continue;
		fp_cfg_path_item(at, "xsk", i, "interface");
		fp_cfg_report_at(w, cfg->xsk[i].line, at, "'%s' is not one of "
				 "orchestrator.ebpf's interfaces (%s): nothing would be "
				 "steered", cfg->xsk[i].interface, list);
	}
}

const struct fp_cfg_section fp_xsk_section = {
	.key = "xsk",
	.parse = p_xsk,
	.free = xsk_free,
	.check = xsk_check,
};
