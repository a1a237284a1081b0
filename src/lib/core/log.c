// SPDX-License-Identifier: BSD-2-Clause
/* Events of the library's long-running parts, handed to the caller's log. */
#include <stdarg.h>
#include <stdio.h>
#include <fastpath/core.h>

void fp_log(const struct fp_logger *log, enum fp_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log || !log->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log->fn(log->ctx, level, msg);
}
