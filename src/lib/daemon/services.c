// SPDX-License-Identifier: BSD-2-Clause
/* The services fastpathd runs. A new one is a row here, defined in its
 * function's folder and declared in include/fastpath/daemon.h. */
#include <stddef.h>
#include <fastpath/daemon.h>

const struct fp_service *const fp_service_table[] = {
	&fp_pipeline_service,   /* first: the others use its maps */
	&fp_flows_service,
	&fp_dhcp_service,
	&fp_shaper_service,
	&fp_proxy_service,
	&fp_functions_service, /* before metrics: blocks SIGCHLD, SIGUSR1 first */
	&fp_metrics_service,    /* last: it reports on what the others set up */
	NULL,
};
