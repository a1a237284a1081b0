/* SPDX-License-Identifier: BSD-2-Clause */
/* Functions: handler programs started for a port (issue 14). Today only
 * their configuration, the functions: list, which is read and checked
 * but starts nothing yet (the configuration warns so). */
#ifndef FASTPATH_FUNCTIONS_H
#define FASTPATH_FUNCTIONS_H

#include <limits.h>
#include <stdint.h>
#include <fastpath/core.h>      /* FP_NAME_MAX */

#define FP_CONFIG_FUNCTIONS_MAX  4096

/* One item of the configuration's functions: list. */
struct fp_function_config {
	char id[FP_NAME_MAX];   /* fp_name_valid() */
	uint16_t trigger_port;
	char handler_path[PATH_MAX]; /* absolute */
	unsigned int line;
};

/* The functions: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_functions_section;

#endif
