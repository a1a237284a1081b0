// SPDX-License-Identifier: BSD-2-Clause
/* The configuration file's root: one row per function's section. A new
 * section is one row in `sections` below and its field in struct
 * fp_config (include/fastpath/config.h); the section itself lives in its
 * function's folder (src/lib/<fn>/<fn>_config.c). Nothing is applied
 * here; the caller gets a typed, checked struct or the list of errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config/schema.h"

static const struct {
	const struct fp_cfg_section *section;
	size_t off;             /* its place in struct fp_config */
} sections[] = {
	{ &fp_orchestrator_section, 0 },   /* ebpf, prometheus_port */
	{ &fp_firewall_section, offsetof(struct fp_config, firewall) },
	{ &fp_flows_section, offsetof(struct fp_config, flows) },
	{ &fp_dhcp_section, offsetof(struct fp_config, dhcp) },
	{ &fp_functions_section, 0 },      /* functions, n_functions */
	{ &fp_xsk_section, 0 },            /* xsk, n_xsk */
	{ &fp_shaper_section, offsetof(struct fp_config, shaper) },
	{ &fp_proxy_section, 0 },          /* proxies, n_proxies */
	{ &fp_alerts_section, offsetof(struct fp_config, alerts) },
	{ &fp_metrics_section, offsetof(struct fp_config, metrics) },
};

#define N_SECTIONS ARRAY_SIZE(sections)
_Static_assert(N_SECTIONS <= SCHEMA_FIELDS_MAX, "the root is a schema");

struct fp_cfg_root {
	yaml_node_t *map;
	const struct seen *seen; /* per section, in table order */
};

bool fp_cfg_root_usable(const struct fp_cfg_root *root, const char *key)
{
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (!strcmp(sections[i].section->key, key))
			return !root->seen[i].key || root->seen[i].ok;
	return true;
}

yaml_node_t *fp_cfg_root_map(const struct fp_cfg_root *root)
{
	return root->map;
}

/* root_check: each section's checks against the others, in table order. */
static void root_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	struct fp_cfg_root root = { map, seen };

	(void)path;
	for (size_t i = 0; i < N_SECTIONS && !w->nomem; i++)
		if (sections[i].section->check)
			sections[i].section->check(w, &root, &seen[i],
						   (char *)dst + sections[i].off);
}

static void root_schema(struct field fields[N_SECTIONS], struct schema *s)
{
	for (size_t i = 0; i < N_SECTIONS; i++) {
		const struct fp_cfg_section *sec = sections[i].section;

		fields[i] = (struct field){
			.key = sec->key,
			.parse = sec->parse ? sec->parse : fp_cfg_map,
			.sub = sec->schema,
			.off = sections[i].off,
			.todo_issue = sec->todo_issue,
		};
	}
	*s = (struct schema){ fields, N_SECTIONS, root_check };
}

void fp_config_defaults(struct fp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (sections[i].section->defaults)
			sections[i].section->defaults((char *)cfg + sections[i].off);
}

int fp_config_parse(const char *text, size_t len, const char *name,
		    struct fp_config *cfg, struct fp_config_error *err)
{
	struct field fields[N_SECTIONS];
	struct fp_config_error spare;
	struct schema root;
	struct walk w;
	int ret;

	root_schema(fields, &root);
	fp_cfg_walk_init(&w, name, err, &spare);
	fp_config_defaults(cfg);
	w.warn = &cfg->warnings;
	ret = fp_cfg_walk_file(&w, text, len, &root, cfg);
	if (ret)
		fp_config_free(cfg);
	return ret;
}

void fp_config_free(struct fp_config *cfg)
{
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (sections[i].section->free)
			sections[i].section->free((char *)cfg + sections[i].off);
	memset(cfg, 0, sizeof(*cfg));
}

int fp_config_load(const char *path, struct fp_config *cfg,
		   struct fp_config_error *err)
{
	size_t len;
	char *text;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = fp_cfg_read_file(path, &text, &len, err);
	if (ret)
		return ret;
	ret = fp_config_parse(text, len, path, cfg, err);
	free(text);
	return ret;
}
