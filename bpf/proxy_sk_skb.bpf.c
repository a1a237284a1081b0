// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The TCP proxy's kernel half (proxy_abi.h says how the maps fit).
 *
 * fp_proxy_sockops puts a connection's sockets into proxy_socks the moment
 * they are established, before any byte can be queued on them: bytes
 * queued before a socket joins the map stay in its receive queue where
 * the verdict never sees them, and the proxy could not tell them from
 * bytes the verdict let through. Accepted sockets join when their
 * listener is in proxy_listen; the proxy's own connecting sockets when
 * the proxy made a proxy_ctl entry for their cookie before connect().
 *
 * fp_proxy_verdict redirects to the peer's egress (flags 0: BPF_F_INGRESS
 * would put the bytes back in the proxy's own socket) or passes to the
 * proxy, counting bytes either way. A zero-length skb (a bare FIN) is
 * dropped: see the verdict. Bytes the verdict has seen before are cut off
 * an skb first: see cut_seen. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "proxy_abi.h"

#define CUT_STEP 4095           /* the most bpf_skb_adjust_room cuts at once
				 * from an sk_skb */
#define CUT_STEPS 256           /* 1 MiB: more than any skb TCP queues */

/* The kernel's own skb, for the TCP sequence number in its control block:
 * CO-RE finds both fields in the running kernel's BTF. */
struct sk_buff___fp {
	char cb[48];
} __attribute__((preserve_access_index));

struct tcp_skb_cb___fp {
	__u32 seq;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, FP_PROXY_SOCKS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} proxy_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_PROXY_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct fp_proxy_ctl);
} proxy_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_PROXY_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct fp_proxy_cnt);
} proxy_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct fp_proxy_listen_key);
	__type(value, __u32);
} proxy_listen SEC(".maps");

/* cut_seen: cut off the bytes of SKB the verdict has seen before on this
 * socket. 0: SKB holds new bytes only now; 1: it holds none; -1: the cut
 * failed.
 *
 * TCP queues a segment that starts before rcv_nxt and ends after it (a
 * retransmission whose head the receiver already has: a spurious
 * retransmit, or one cut differently from the segments first sent) whole,
 * head included, and out-of-order segments that overlap each other too.
 * recvmsg skips such a head by its sequence number, but tcp_read_skb,
 * which feeds the verdict, hands over whole skbs: the head was redirected
 * a second time (seen on 6.18 on loopback, about 1 bulk run in 30: the
 * far end got 65483 or 130966 bytes, one or two segments, twice). The
 * verdict keeps where the stream it has seen ends and cuts what comes
 * again, before it counts or redirects anything. */
static __always_inline int cut_seen(struct __sk_buff *skb, struct fp_proxy_cnt *cnt)
{
	struct sk_buff___fp *kskb = bpf_cast_to_kern_ctx(skb);
	__u32 seq = ((struct tcp_skb_cb___fp *)kskb->cb)->seq;
	__u32 len = skb->len, over = 0;

	if (cnt->seq_known && (__s32)(cnt->next_seq - seq) > 0)
		over = cnt->next_seq - seq;
	if (over && over >= len)
		return 1;       /* TCP drops such a segment before the queue */
	cnt->next_seq = seq + len;
	cnt->seq_known = 1;
	for (int i = 0; i < CUT_STEPS && over; i++) {
		__u32 n = over < CUT_STEP ? over : CUT_STEP;

		if (bpf_skb_adjust_room(skb, -(__s32)n, 0, 0))
			return -1;
		over -= n;
		cnt->cut += n;
	}
	return over ? -1 : 0;
}

SEC("sk_skb/stream_verdict")
int fp_proxy_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct fp_proxy_ctl *ctl = bpf_map_lookup_elem(&proxy_ctl, &cookie);
	struct fp_proxy_cnt *cnt = bpf_map_lookup_elem(&proxy_cnt, &cookie);
	__u32 len = skb->len;
	__u64 peer;

	/* A bare FIN must not be passed. Passing queues it behind whatever
	 * sits in the socket's psock backlog (bytes redirected into this
	 * socket that its full send buffer has not taken yet), and the
	 * backlog worker takes the 0 its ingress returns for an empty skb as
	 * a hard error: EPIPE on the socket, the psock's transmit disabled,
	 * the connection lost (sk_psock_backlog, seen on 6.18 with a slow
	 * backend that shuts down its write side). The FIN needs no skb: TCP
	 * has set RCV_SHUTDOWN, so the proxy's recv() returns 0 once the
	 * bytes passed before it are read (proxy.c waits for those). */
	if (!len)
		return SK_DROP;
	if (!ctl || !cnt)
		return SK_PASS;
	/* After a failed cut nothing may go on: the proxy resets. */
	if (cnt->broken)
		return SK_DROP;
	switch (cut_seen(skb, cnt)) {
	case 0:
		break;
	case 1:
		return SK_DROP;
	default:
		cnt->broken = 1;
		return SK_DROP;
	}
	len = skb->len;
	peer = ctl->peer;
	if (ctl->armed && peer && cnt->passed == ctl->arm_at &&
	    cnt->redirected + len <= ctl->limit &&
	    bpf_sk_redirect_hash(skb, &proxy_socks, &peer, 0) == SK_PASS) {
		__sync_fetch_and_add(&cnt->redirected, len);
		return SK_PASS;
	}
	__sync_fetch_and_add(&cnt->passed, len);
	return SK_PASS;
}

SEC("sockops")
int fp_proxy_sockops(struct bpf_sock_ops *skops)
{
	struct fp_proxy_listen_key lk;
	struct fp_proxy_ctl ctl = { 0 };
	struct fp_proxy_cnt cnt = { 0 };
	__u64 cookie;

	switch (skops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		lk.addr = skops->local_ip4;
		lk.port = skops->local_port;
		if (skops->family != 2 /* AF_INET */ ||
		    !bpf_map_lookup_elem(&proxy_listen, &lk))
			return 1;
		cookie = bpf_get_socket_cookie(skops);
		/* Counting starts before the socket can see a byte. */
		if (bpf_map_update_elem(&proxy_cnt, &cookie, &cnt, BPF_NOEXIST) ||
		    bpf_map_update_elem(&proxy_ctl, &cookie, &ctl, BPF_NOEXIST))
			return 1;
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		cookie = bpf_get_socket_cookie(skops);
		if (!bpf_map_lookup_elem(&proxy_ctl, &cookie))
			return 1;
		break;
	default:
		return 1;
	}
	bpf_sock_hash_update(skops, &proxy_socks, &cookie, BPF_NOEXIST);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
