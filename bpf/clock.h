/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A clock read once per tick per CPU. bpf_jiffies64() is inlined (a
 * load); a clock helper is a call (10-40 ns here, more where calls are
 * dear). A stage keeps the last tick's reading in its per-CPU state and
 * calls the helper only when jiffies has moved: the value is the one the
 * helper gave at the start of this tick on this CPU. */
#ifndef FP_CLOCK_H
#define FP_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum fp_clock {
	FP_CLOCK_MONO,          /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	FP_CLOCK_COARSE,        /* bpf_ktime_get_coarse_ns(): the same, at the last tick */
};

/* fp_tick_clock: clock KIND (a constant), read at most once per tick,
 * cached in *TICK (the jiffies of the reading) and *NS. */
static __always_inline __u64 fp_tick_clock(__u64 *tick, __u64 *ns, const enum fp_clock kind)
{
	__u64 now = bpf_jiffies64();

	if (now != *tick) {
		*tick = now;
		*ns = kind == FP_CLOCK_COARSE ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();
	}
	return *ns;
}

#endif
