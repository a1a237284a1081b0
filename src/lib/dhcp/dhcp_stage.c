// SPDX-License-Identifier: BSD-2-Clause
/* The DHCP stage's row of the pipeline's stage table: on for the
 * interface the dhcp: section serves, its lease cache sized for the
 * configuration (fp_dhcp_lease_cache) while the stage is on, one lease
 * while it is off; on without a configuration (`fastpath up`), as the
 * pinned cache is, else FP_DHCP_CACHE_UNCONFIGURED. A cache of another
 * size cannot be resized (a hash map): the pipeline recreates it empty
 * and the DHCP server fills it again. */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include <fastpath/dhcp.h>
#include "pipeline/stage.h"

static bool dhcp_from_config(const struct fp_config *cfg, const char *dev,
			     struct fp_pipeline_opts *opts)
{
	opts->lease_cache = fp_dhcp_lease_cache(&cfg->dhcp);
	return cfg->dhcp.present && !strcmp(cfg->dhcp.interface, dev);
}

/* The leases the cache pinned for M holds; 0 when there is none, or it
 * is the one lease of a stage that was off. */
static __u32 pinned_leases(const struct bpf_map *m)
{
	__u32 n = fp_pipeline_pinned_entries(m);

	return n > 1 ? n : 0;
}

static int dhcp_size(struct bpf_object *obj, const char *dev,
		     const struct fp_pipeline_opts *opts)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "fp_dhcp_leases");
	__u32 n = 1;

	(void)dev;
	if (!m)
		return -ENOENT;
	if (opts->stages & FP_STAGE_BIT(FP_STAGE_DHCP))
		n = opts->lease_cache ?: pinned_leases(m) ?: FP_DHCP_CACHE_UNCONFIGURED;
	return bpf_map__set_max_entries(m, n);
}

const struct fp_stage_row fp_stage_dhcp_row = {
	.name = "dhcp",
	.selectable = true,
	.size = dhcp_size,
	.from_config = dhcp_from_config,
};
