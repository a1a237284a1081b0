/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside fastpathd's repair and alert record: what heal.c and alert.c
 * share. Not public: include/fastpath/daemon.h is the API. */
#ifndef FP_HEAL_INTERNAL_H
#define FP_HEAL_INTERNAL_H

#include <fastpath/core.h>
#include <fastpath/daemon.h>

#define FP_ALERT_SLOTS 32       /* alert and subject pairs remembered */
#define FP_HEAL_TEXT   1024

/* One alert for one subject: on or off, and when its hook last ran. */
struct fp_alert_slot {
	enum fp_alert alert;
	char subject[64];
	bool used, active;
	unsigned long long exec_ms;     /* 0: never */
};

struct fp_heal {
	const struct fp_logger *log;
	int nl_fd;                      /* rtnetlink; -1 without */
	unsigned int interval_ms;       /* 0: no periodic verify */
	unsigned long long next_ms;     /* the next verify; 0: none planned */
	unsigned long long backoff_ms;  /* 0: the last pass put all right */
	bool dirty;
	bool repairing;
	char problems[FP_HEAL_TEXT];    /* published by fp_heal_end */
	char pending[FP_HEAL_TEXT];     /* gathered by the current pass */
	unsigned long long repairs[FP_REPAIR_MAX];
	unsigned long long alerts_total[FP_ALERT_MAX];
	struct fp_alert_slot slots[FP_ALERT_SLOTS];
	struct fp_alerts_config alerts;
};

#endif
