// SPDX-License-Identifier: BSD-2-Clause
/* Rate limits for the DHCP server: a GCRA (the token bucket as one time
 * per id) over a fixed table of slots, so a flood from random MACs costs
 * no memory and no more than a lookup a request. */
#include <string.h>
#include "dhcp_server.h"

bool fp_dhcp_limit_allow(struct fp_dhcp_limiter *l, uint32_t id, int64_t now_ns)
{
	uint32_t h = fp_dhcp_hash(&id, sizeof(id));
	size_t slot = (h ^ (h >> 16)) & (FP_DHCP_LIMIT_SLOTS - 1);
	int64_t t, burst;

	if (!l->per_s)
		return true;
	t = 1000000000ll / l->per_s;      /* one request's worth of time */
	burst = t * (int64_t)(l->per_s - 1);  /* a second's worth at once */
	if (l->id[slot] != id || l->tat[slot] < now_ns) {
		l->id[slot] = id;
		l->tat[slot] = now_ns;
	}
	if (l->tat[slot] - now_ns > burst)
		return false;
	l->tat[slot] += t;
	return true;
}
