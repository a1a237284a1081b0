// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's alerts: a health check or a load, attach or repair failed.
 * Raised once (one log line, counted, active until cleared) however
 * often the check fails again, and handed to the alerts.exec hook as
 * JSON on stdin, at most once per alert and subject per min_interval. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <fastpath/daemon.h>
#include "daemon/heal_internal.h"

static const char *const alert_names[FP_ALERT_MAX] = {
	[FP_ALERT_INTERFACE_MISSING] = "interface_missing",
	[FP_ALERT_REPAIR_FAILED] = "repair_failed",
	[FP_ALERT_APPLY_FAILED] = "apply_failed",
	[FP_ALERT_HEALTH] = "health_check_failed",
};

const char *fp_alert_name(enum fp_alert a)
{
	return a < FP_ALERT_MAX ? alert_names[a] : "?";
}

/* The slot of A for SUBJECT; with make, a free one (or the oldest
 * inactive) when it has none; NULL when none can be had. */
static struct fp_alert_slot *slot_of(struct fp_heal *h, enum fp_alert a,
				     const char *subject, bool make)
{
	struct fp_alert_slot *free_slot = NULL;

	for (size_t i = 0; i < FP_ALERT_SLOTS; i++) {
		struct fp_alert_slot *s = &h->slots[i];

		if (s->used && s->alert == a && !strncmp(s->subject, subject, sizeof(s->subject) - 1))
			return s;
		if (!free_slot && (!s->used || !s->active))
			free_slot = s;
	}
	if (!make || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->alert = a;
	snprintf(free_slot->subject, sizeof(free_slot->subject), "%s", subject);
	return free_slot;
}

static char *alert_json(enum fp_alert a, const char *subject, const char *msg)
{
	struct json_object *o = json_object_new_object();
	char host[256] = "";
	char *text;

	gethostname(host, sizeof(host) - 1);
	json_object_object_add(o, "alert", json_object_new_string(fp_alert_name(a)));
	json_object_object_add(o, "subject", json_object_new_string(subject));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/* Run PROG with TEXT on stdin, not waited for: the child forks the
 * hook and exits at once, so no zombie is left and the loop never
 * blocks on it. Only async-signal-safe calls after fork (fastpathd has
 * threads); TEXT is short, so it fits the pipe before the hook reads. */
static int run_hook(const char *prog, const char *text)
{
	size_t len = strlen(text);
	int p[2], status;
	pid_t pid;

	if (len > 4000 || pipe2(p, O_CLOEXEC))
		return -EMSGSIZE;
	if (write(p[1], text, len) != (ssize_t)len || write(p[1], "\n", 1) != 1) {
		close(p[0]);
		close(p[1]);
		return -EIO;
	}
	close(p[1]);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	if (!pid) {
		pid_t g = fork();

		if (g)
			_exit(g < 0 ? 1 : 0);
		dup2(p[0], 0);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static void hook(struct fp_heal *h, struct fp_alert_slot *s, const char *msg)
{
	unsigned long long now = fp_monotonic_ms();
	char *text;
	int err;

	if (!h->alerts.exec[0])
		return;
	if (s->exec_ms && now - s->exec_ms < h->alerts.min_interval_ms) {
		fp_log(h->log, FP_LOG_DEBUG, "alert %s: hook not run again within %u ms",
		       fp_alert_name(s->alert), h->alerts.min_interval_ms);
		return;
	}
	s->exec_ms = now;
	text = alert_json(s->alert, s->subject, msg);
	err = text ? run_hook(h->alerts.exec, text) : -ENOMEM;
	free(text);
	if (err)
		fp_log(h->log, FP_LOG_ERROR, "alert %s: cannot run %s: %s",
		       fp_alert_name(s->alert), h->alerts.exec, strerror(-err));
}

void fp_alert_raise(struct fp_heal *h, enum fp_alert a, const char *subject,
		    const char *fmt, ...)
{
	struct fp_alert_slot *s;
	char msg[512];
	va_list ap;

	if (!h || a >= FP_ALERT_MAX)
		return;
	s = slot_of(h, a, subject ? subject : "", true);
	if (s && s->active)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->alerts_total[a]++;
	h->dirty = true;
	fp_log(h->log, FP_LOG_ERROR, "alert %s%s%s: %s", fp_alert_name(a),
	       subject && *subject ? " on " : "", subject ? subject : "", msg);
	if (!s)
		return;
	s->active = true;
	hook(h, s, msg);
}

void fp_alert_clear(struct fp_heal *h, enum fp_alert a, const char *subject)
{
	struct fp_alert_slot *s;

	if (!h || a >= FP_ALERT_MAX)
		return;
	s = slot_of(h, a, subject ? subject : "", false);
	if (!s || !s->active)
		return;
	s->active = false;
	h->dirty = true;
	fp_log(h->log, FP_LOG_INFO, "alert %s%s%s: cleared", fp_alert_name(a),
	       subject && *subject ? " on " : "", subject ? subject : "");
}
