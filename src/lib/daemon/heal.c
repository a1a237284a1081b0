// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's repair record and its verify schedule: every monitoring
 * interval, shortly after a link event, and with exponential backoff
 * while a repair fails. The services do the checking and repairing
 * (their verify hooks); this counts, logs and plans. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fastpath/daemon.h>
#include "daemon/heal_internal.h"

static const char *const repair_names[FP_REPAIR_MAX] = {
	[FP_REPAIR_BPFFS] = "bpffs",
	[FP_REPAIR_PIN] = "pin",
	[FP_REPAIR_ATTACH] = "attach",
	[FP_REPAIR_MODE_FALLBACK] = "mode_fallback",
	[FP_REPAIR_FIREWALL] = "firewall",
	[FP_REPAIR_DHCP_SOCKETS] = "dhcp_sockets",
	[FP_REPAIR_DHCP_MAPS] = "dhcp_maps",
};

const char *fp_repair_name(enum fp_repair r)
{
	return r < FP_REPAIR_MAX ? repair_names[r] : "?";
}

int fp_heal_open(const struct fp_logger *log, struct fp_heal **out)
{
	struct fp_heal *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->log = log;
	h->nl_fd = fp_link_watch_open();
	if (h->nl_fd < 0)
		fp_log(log, FP_LOG_WARN, "heal: cannot watch link events (%s); interfaces "
		       "are checked every monitoring interval only", strerror(-h->nl_fd));
	h->alerts.min_interval_ms = 60000;
	*out = h;
	return 0;
}

void fp_heal_close(struct fp_heal *h)
{
	if (!h)
		return;
	if (h->nl_fd >= 0)
		close(h->nl_fd);
	free(h);
}

void fp_heal_configure(struct fp_heal *h, unsigned int interval_ms,
		       const struct fp_alerts_config *alerts)
{
	h->interval_ms = interval_ms;
	h->alerts = *alerts;
	/* A new configuration: look again soon, and as it says from then on. */
	h->next_ms = fp_monotonic_ms() + FP_HEAL_EVENT_DELAY_MS;
	h->backoff_ms = 0;
}

int fp_heal_fd(const struct fp_heal *h)
{
	return h->nl_fd;
}

void fp_heal_events(struct fp_heal *h, unsigned long long now_ms)
{
	unsigned long long soon = now_ms + FP_HEAL_EVENT_DELAY_MS;

	if (fp_link_watch_read(h->nl_fd, h->log) <= 0)
		return;
	if (!h->next_ms || h->next_ms > soon)
		h->next_ms = soon;
}

int fp_heal_timeout(const struct fp_heal *h, unsigned long long now_ms)
{
	if (!h->next_ms)
		return -1;
	return h->next_ms <= now_ms ? 0 : (int)(h->next_ms - now_ms);
}

bool fp_heal_due(const struct fp_heal *h, unsigned long long now_ms)
{
	return h->next_ms && h->next_ms <= now_ms;
}

void fp_heal_begin(struct fp_heal *h)
{
	h->pending[0] = '\0';
}

/* The next pass: the interval while all is well (none without one);
 * while not, 1 s, 2 s, 4 s... up to the cap. */
static void plan(struct fp_heal *h, bool failing, unsigned long long now_ms)
{
	if (!failing) {
		h->backoff_ms = 0;
		h->next_ms = h->interval_ms ? now_ms + h->interval_ms : 0;
		return;
	}
	h->backoff_ms = h->backoff_ms ? h->backoff_ms * 2 : FP_HEAL_BACKOFF_MIN_MS;
	if (h->backoff_ms > FP_HEAL_BACKOFF_MAX_MS)
		h->backoff_ms = FP_HEAL_BACKOFF_MAX_MS;
	h->next_ms = now_ms + h->backoff_ms;
	/* Never later than the interval would have looked. */
	if (h->interval_ms && h->backoff_ms > h->interval_ms)
		h->next_ms = now_ms + h->interval_ms;
}

void fp_heal_end(struct fp_heal *h, int err, unsigned long long now_ms)
{
	bool repairing = err || h->pending[0];

	if (repairing != h->repairing || strcmp(h->problems, h->pending)) {
		h->repairing = repairing;
		snprintf(h->problems, sizeof(h->problems), "%s", h->pending);
		h->dirty = true;
	}
	plan(h, err != 0, now_ms);
}

void fp_heal_problem(struct fp_heal *h, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!h)
		return;
	len = strlen(h->pending);
	if (len && len + 2 < sizeof(h->pending)) {
		strcpy(h->pending + len, "; ");
		len += 2;
	}
	if (len + 1 >= sizeof(h->pending))
		return;
	va_start(ap, fmt);
	vsnprintf(h->pending + len, sizeof(h->pending) - len, fmt, ap);
	va_end(ap);
}

void fp_heal_repaired(struct fp_heal *h, enum fp_repair what, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!h || what >= FP_REPAIR_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->repairs[what]++;
	h->dirty = true;
	fp_log(h->log, FP_LOG_WARN, "repaired (%s): %s", fp_repair_name(what), msg);
}

void fp_heal_state(struct fp_heal *h, struct fp_daemon_state *st)
{
	st->repairing = h->repairing;
	snprintf(st->problems, sizeof(st->problems), "%s", h->problems);
	memcpy(st->repairs, h->repairs, sizeof(st->repairs));
	memcpy(st->alerts_total, h->alerts_total, sizeof(st->alerts_total));
	memset(st->alerts_active, 0, sizeof(st->alerts_active));
	for (size_t i = 0; i < FP_ALERT_SLOTS; i++)
		if (h->slots[i].used && h->slots[i].active)
			st->alerts_active[h->slots[i].alert]++;
	h->dirty = false;
}

bool fp_heal_dirty(const struct fp_heal *h)
{
	return h->dirty;
}
