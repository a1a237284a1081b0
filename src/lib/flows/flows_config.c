// SPDX-License-Identifier: BSD-2-Clause
/* The flows: section of the configuration: the flows stage on or off, its
 * table's size and how long an idle flow is kept. */
#include "config/schema.h"

static const struct field flows_fields[] = {
	{ .key = "enabled", .parse = fp_cfg_bool,
	  .off = offsetof(struct fp_flows_config, enabled) },
	{ .key = "max_flows", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_flows_config, max_flows),
	  .min = 1, .max = FP_CONFIG_FLOWS_MAX },
	{ .key = "idle_timeout", .parse = fp_cfg_duration_ms,
	  .off = offsetof(struct fp_flows_config, idle_timeout_ms),
	  .min = 1, .max = 86400000 },
};

static const struct schema flows_schema = { flows_fields, ARRAY_SIZE(flows_fields), NULL };


static void flows_defaults(void *dst)
{
	struct fp_flows_config *fl = dst;

	fl->enabled = true;
	fl->max_flows = FP_CONFIG_MAX_FLOWS;
	fl->idle_timeout_ms = FP_CONFIG_IDLE_TIMEOUT_MS;
}

const struct fp_cfg_section fp_flows_section = {
	.key = "flows",
	.schema = &flows_schema,
	.defaults = flows_defaults,
};
