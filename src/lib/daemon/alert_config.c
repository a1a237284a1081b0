// SPDX-License-Identifier: BSD-2-Clause
/* The alerts: section of the configuration: a program fastpathd runs
 * with each alert as JSON on stdin (exec), and how seldom it runs it for
 * one alert (min_interval). The program must exist and be executable
 * when the file is checked, not only when the first alert comes. */
#include <errno.h>
#include <unistd.h>
#include "config/schema.h"

static int p_exec(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	if (fp_cfg_abspath(w, n, path, dst, f))
		return -EINVAL;
	if (access(dst, X_OK)) {
		fp_cfg_report(w, n, path, "%s: %s; give an executable program that "
			      "reads the alert as JSON on stdin", (char *)dst,
			      errno == ENOENT ? "no such file" : "not executable");
		return -EINVAL;
	}
	return 0;
}

static const struct field alerts_fields[] = {
	{ .key = "exec", .parse = p_exec,
	  .off = offsetof(struct fp_alerts_config, exec) },
	{ .key = "min_interval", .parse = fp_cfg_duration_ms,
	  .off = offsetof(struct fp_alerts_config, min_interval_ms),
	  .min = 0, .max = 86400000 },
};

static const struct schema alerts_schema = { alerts_fields, ARRAY_SIZE(alerts_fields), NULL };

static void alerts_defaults(void *dst)
{
	struct fp_alerts_config *a = dst;

	a->exec[0] = '\0';
	a->min_interval_ms = 60000;
}

const struct fp_cfg_section fp_alerts_section = {
	.key = "alerts",
	.schema = &alerts_schema,
	.defaults = alerts_defaults,
};
