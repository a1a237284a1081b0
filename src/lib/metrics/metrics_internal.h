/* SPDX-License-Identifier: BSD-2-Clause */
/* What the metrics folder's files share and no one else needs. */
#ifndef FP_METRICS_INTERNAL_H
#define FP_METRICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* fp_metrics_escape: S for the text format in BUF (cut to SIZE):
 * backslash and newline escaped, and in a label value (QUOTE) the double
 * quote too. Returns BUF. */
const char *fp_metrics_escape(const char *s, bool quote, char *buf, size_t size);

#endif
