// SPDX-License-Identifier: BSD-2-Clause
/* The DHCP stage's row of the pipeline's stage table: on for the
 * interface the dhcp: section serves, its lease cache sized for
 * dhcp.lease_cache_size while the stage is on, one lease while it is off.
 * A cache of another size cannot be resized (a hash map): the pipeline
 * recreates it empty and the DHCP server fills it again. */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include <fastpath/dhcp.h>
#include "pipeline/stage.h"

static bool dhcp_from_config(const struct fp_config *cfg, const char *dev,
			     struct fp_pipeline_opts *opts)
{
	opts->lease_cache = cfg->dhcp.lease_cache_size;
	return cfg->dhcp.present && !strcmp(cfg->dhcp.interface, dev);
}

static int dhcp_size(struct bpf_object *obj, const struct fp_pipeline_opts *opts)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "fp_dhcp_leases");
	__u32 n = 1;

	if (!m)
		return -ENOENT;
	if (opts->stages & FP_STAGE_BIT(FP_STAGE_DHCP))
		n = opts->lease_cache ? opts->lease_cache : FP_CONFIG_LEASE_CACHE;
	return bpf_map__set_max_entries(m, n);
}

const struct fp_stage_row fp_stage_dhcp_row = {
	.name = "dhcp",
	.selectable = true,
	.size = dhcp_size,
	.from_config = dhcp_from_config,
};
