/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The TCP proxy's kernel half and fastpathd share these (proxy_sk_skb.bpf.c,
 * src/lib/proxy/proxy_sockmap.c). Every socket of a spliced connection
 * is keyed by its socket cookie in three maps:
 *
 *   proxy_socks  SOCKHASH  cookie -> the socket (the verdict's target)
 *   proxy_ctl    HASH      cookie -> what the proxy asks (written by it)
 *   proxy_cnt    HASH      cookie -> what the verdict did (written by it)
 *
 * A segment arriving on socket S is redirected to its peer's egress only
 * when the proxy armed S at exactly the number of bytes the verdict has
 * let through to the proxy so far (cnt.passed == ctl.arm_at: the proxy
 * has read and forwarded every one of them, so nothing is reordered) and
 * redirecting it keeps cnt.redirected within ctl.limit (the proxy sets
 * it from the peer's acknowledged bytes: at most max_inflight_bytes are
 * ever unacknowledged). Otherwise it is passed to the proxy and counted,
 * which disarms S until the proxy arms it again. Bytes of a segment that
 * the verdict has seen before (a retransmission overlapping them) are cut
 * off first and counted in cnt.cut, not in either count. */
#ifndef FP_PROXY_ABI_H
#define FP_PROXY_ABI_H

#include <linux/types.h>

#define FP_PROXY_SOCKS_MAX 131072

struct fp_proxy_ctl {
	__u64 peer;             /* the peer's cookie; 0: no peer yet */
	__u64 arm_at;           /* redirect while cnt.passed equals this */
	__u64 limit;            /* redirect while cnt.redirected stays within */
	__u32 armed;
	__u32 pad;
};

struct fp_proxy_cnt {
	__u64 redirected;       /* bytes sent on to the peer's egress */
	__u64 passed;           /* bytes left to the proxy to read */
	__u64 cut;              /* bytes cut as seen before (a retransmission
				 * overlapping them; proxy_sk_skb.bpf.c) */
	__u32 next_seq;         /* TCP sequence number after the last byte seen */
	__u8 seq_known;         /* next_seq is set */
	__u8 broken;            /* a cut failed: everything is dropped from
				 * here on, the proxy resets the connection */
	__u16 pad;
};

/* Listeners whose connections join the map when established: key
 * {address, port}, value unused. */
struct fp_proxy_listen_key {
	__u32 addr;             /* network order */
	__u32 port;             /* host order */
};

#endif
