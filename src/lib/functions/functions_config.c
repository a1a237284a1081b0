// SPDX-License-Identifier: BSD-2-Clause
/* The functions: section of the configuration: handlers started by a
 * port (issue 14). Read and checked; nothing runs them yet, which the
 * section's warning says. Its values live at the top of struct
 * fp_config (functions, n_functions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config/schema.h"

static int p_function_id(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an id like my-api");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!fp_name_valid(s)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a valid id: 1-%d characters "
		       "of A-Z a-z 0-9 _ -", s, FP_NAME_MAX - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static const struct field function_fields[] = {
	{ .key = "id", .parse = p_function_id,
	  .off = offsetof(struct fp_function_config, id),
	  .required = true, .hint = "a name like my-api" },
	{ .key = "trigger_port", .parse = fp_cfg_u16,
	  .off = offsetof(struct fp_function_config, trigger_port),
	  .required = true, .hint = "the TCP port that starts it, 1-65535",
	  .min = 1, .max = 65535 },
	{ .key = "handler_path", .parse = fp_cfg_abspath,
	  .off = offsetof(struct fp_function_config, handler_path),
	  .required = true, .hint = "the absolute path of the handler program" },
};

static const struct schema function_schema = {
	function_fields, ARRAY_SIZE(function_fields), NULL
};

static int function_item(struct walk *w, yaml_node_t *n, const char *path,
			 void *item)
{
	struct fp_function_config *fn = item;

	fn->line = fp_cfg_line_of(n);
	return fp_cfg_walk_map(w, n, path, &function_schema, fn);
}

static int cmp_fn_id(const void *a, const void *b)
{
	return strcmp(((const struct fp_function_config *)a)->id,
		      ((const struct fp_function_config *)b)->id);
}

static int cmp_fn_port(const void *a, const void *b)
{
	return (int)((const struct fp_function_config *)a)->trigger_port -
	       (int)((const struct fp_function_config *)b)->trigger_port;
}

static void say_dup_id(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first)
{
	const struct fp_function_config *fn = base;
	char at[PATH_BUF];

	if (!fn[later].id[0])
		return;
	fp_cfg_path_item(at, path, later, "id");
	fp_cfg_report_at(w, fn[later].line, at, "'%s' is already the id of the function "
		  "on line %u; ids must be unique", fn[later].id, fn[first].line);
}

static void say_dup_port(struct walk *w, const char *path, const void *base,
			 size_t later, size_t first)
{
	const struct fp_function_config *fn = base;
	char at[PATH_BUF];

	if (!fn[later].trigger_port)
		return;
	fp_cfg_path_item(at, path, later, "trigger_port");
	fp_cfg_report_at(w, fn[later].line, at, "port %u already triggers '%s' (line %u); "
		  "give each function its own port", fn[later].trigger_port,
		  fn[first].id, fn[first].line);
}

static int p_functions(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f)
{
	struct fp_config *cfg = dst;
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	fp_cfg_walk_list(w, n, path, "functions", FP_CONFIG_FUNCTIONS_MAX,
		  sizeof(*cfg->functions), &arr, &cfg->n_functions, function_item);
	cfg->functions = arr;
	if (w->nomem)
		return -ENOMEM;
	/* Items that failed to parse are zero where they failed: skipped. */
	fp_cfg_each_dup(w, path, cfg->functions, cfg->n_functions, sizeof(*cfg->functions),
		 cmp_fn_id, say_dup_id);
	fp_cfg_each_dup(w, path, cfg->functions, cfg->n_functions, sizeof(*cfg->functions),
		 cmp_fn_port, say_dup_port);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}


static void functions_free(void *dst)
{
	struct fp_config *cfg = dst;

	free(cfg->functions);
	cfg->functions = NULL;
	cfg->n_functions = 0;
}

/* A trigger port must not be the metrics endpoint's. */
static void functions_check(struct walk *w, const struct fp_cfg_root *root,
			    const struct seen *self, void *dst)
{
	struct fp_config *cfg = dst;

	if (!self->ok || !fp_cfg_root_usable(root, "orchestrator"))
		return;
	for (size_t i = 0; i < cfg->n_functions; i++) {
		char at[PATH_BUF];

		if (!cfg->prometheus_port ||
		    cfg->functions[i].trigger_port != cfg->prometheus_port)
			continue;
		fp_cfg_path_item(at, "functions", i, "trigger_port");
		fp_cfg_report_at(w, cfg->functions[i].line, at, "port %d is "
				 "orchestrator.prometheus_port; pick another port for "
				 "one of them", cfg->prometheus_port);
	}
}

const struct fp_cfg_section fp_functions_section = {
	.key = "functions",
	.parse = p_functions,
	.free = functions_free,
	.check = functions_check,
	.todo_issue = 14,       /* nothing starts the handlers; remove when it lands */
};
