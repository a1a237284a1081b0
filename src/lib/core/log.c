// SPDX-License-Identifier: BSD-2-Clause
/* Events of the library's long-running parts, handed to the caller's log. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fastpath/core.h>

static const char *const level_words[] = { "debug", "info", "warn", "error" };

int fp_log_level_parse(const char *s, enum fp_log_level *level)
{
	for (int i = 0; i < 4; i++) {
		if (s && !strcmp(s, level_words[i])) {
			*level = (enum fp_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fp_log_level_str(enum fp_log_level level)
{
	return level <= FP_LOG_ERROR ? level_words[level] : "?";
}

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
