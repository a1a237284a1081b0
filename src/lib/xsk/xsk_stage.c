// SPDX-License-Identifier: BSD-2-Clause
/* The XSK stage's row of the pipeline's stage table: on for an interface
 * the xsk: section has an entry for, whose port set it steers after up. */
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/xsk.h>
#include "pipeline/stage.h"

static const struct fp_xsk_config *xsk_entry(const struct fp_config *cfg, const char *dev)
{
	for (size_t i = 0; i < cfg->n_xsk; i++)
		if (!strcmp(cfg->xsk[i].interface, dev))
			return &cfg->xsk[i];
	return NULL;
}

static bool xsk_from_config(const struct fp_config *cfg, const char *dev,
			    struct fp_pipeline_opts *opts)
{
	(void)opts;
	return xsk_entry(cfg, dev);
}

/* xsk_one: DEV's steered ports are exactly its xsk: entry's (the
 * applications own their sockets; a port without one passes). */
static int xsk_one(const struct fp_config *cfg, const char *dev,
		   const struct fp_logger *log)
{
	const struct fp_xsk_config *x = xsk_entry(cfg, dev);
	int queues, err;

	if (!x)
		return 0;
	queues = fp_xsk_rx_queues(dev);
	if (queues > 0 && queues < 32 && (x->queue_mask >> queues))
		fp_log(log, FP_LOG_WARN, "xsk on %s: the interface has %d rx queues; "
		       "queues from %d on get no traffic", dev, queues, queues);
	err = fp_xsk_port_set(dev, x->ports, x->n_ports, FP_XSK_UDP);
	if (err)
		fp_log(log, FP_LOG_ERROR, "xsk on %s: %s", dev, strerror(-err));
	else
		fp_log(log, FP_LOG_INFO, "xsk on %s: %zu ports steered to AF_XDP sockets",
		       dev, x->n_ports);
	return err;
}

const struct fp_stage_row fp_stage_xsk_row = {
	.name = "xsk",
	.selectable = true,
	.from_config = xsk_from_config,
	.apply = xsk_one,
};
