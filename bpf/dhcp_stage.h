/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The DHCP stage: DHCPv4 DISCOVER and REQUEST from clients the server has
 * bound (fp_dhcp_leases) answered in place with OFFER and ACK (XDP_TX);
 * every other DHCP message, and anything it cannot read, goes on to the
 * server (XDP_PASS). The maps and their meaning are bpf/dhcp_abi.h's.
 *
 * The UDP datagram is copied into a per-CPU scratch buffer first
 * (bpf_xdp_load_bytes) and read there: options sit at offsets only known
 * at run time, and the verifier follows bounded offsets into a map value
 * far more easily than into the packet. The reply, from its IPv4 header
 * on, is built in the same buffer and written back with
 * bpf_xdp_store_bytes once the frame has its new length. */
#ifndef FP_DHCP_STAGE_H
#define FP_DHCP_STAGE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pipeline_abi.h"
#include "dhcp_abi.h"

/* The library sets max_entries (the lease cache) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fp_dhcp_key);
	__type(value, struct fp_dhcp_lease);
} fp_dhcp_leases SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_DHCP_POOLS_MAX);
	__type(key, __u32);
	__type(value, struct fp_dhcp_pool_map);
} fp_dhcp_pools SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_dhcp_cfg);
} fp_dhcp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FP_DHCP_EVENTS_BYTES);
} fp_dhcp_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_DHCP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} fp_dhcp_stats SEC(".maps");

/* Layout of the datagram (from the UDP header) and of the reply (from
 * the IPv4 header). */
#define FP_DHCP_UDP_HLEN   8
#define FP_DHCP_BOOTP_LEN  236           /* op .. file */
#define FP_DHCP_FIXED      (FP_DHCP_UDP_HLEN + FP_DHCP_BOOTP_LEN + 4) /* + cookie */
#define FP_DHCP_OPT_OFF    FP_DHCP_FIXED /* options, in the request's buffer */
#define FP_DHCP_IN_MAX     1024          /* datagram bytes read; options past
					  * them are not walked */
#define FP_DHCP_SLACK      256           /* constant-size copies may run over */
#define FP_DHCP_OPT_WALK   160           /* options walked before giving up */
#define FP_DHCP_REPLY_HDRS (20 + FP_DHCP_UDP_HLEN)
#define FP_DHCP_REPLY_OPTS (FP_DHCP_REPLY_HDRS + FP_DHCP_BOOTP_LEN + 4)
#define FP_DHCP_REPLY_MIN  (FP_DHCP_REPLY_HDRS + 300) /* RFC 1542 §3.4 */
#define FP_DHCP_OUT_MAX    1024

/* BOOTP field offsets from the UDP header. */
#define B_OP      (FP_DHCP_UDP_HLEN + 0)
#define B_HTYPE   (FP_DHCP_UDP_HLEN + 1)
#define B_HLEN    (FP_DHCP_UDP_HLEN + 2)
#define B_XID     (FP_DHCP_UDP_HLEN + 4)
#define B_FLAGS   (FP_DHCP_UDP_HLEN + 10)
#define B_CIADDR  (FP_DHCP_UDP_HLEN + 12)
#define B_YIADDR  (FP_DHCP_UDP_HLEN + 16)
#define B_GIADDR  (FP_DHCP_UDP_HLEN + 24)
#define B_CHADDR  (FP_DHCP_UDP_HLEN + 28)
#define B_COOKIE  (FP_DHCP_UDP_HLEN + FP_DHCP_BOOTP_LEN)

/* One CPU's buffers: the request's datagram and the reply being built. */
struct fp_dhcp_scratch {
	__u8 in[FP_DHCP_IN_MAX + 2 * FP_DHCP_SLACK];
	__u8 out[FP_DHCP_OUT_MAX + 2 * FP_DHCP_SLACK];
	struct fp_dhcp_key key;  /* here, not on the stack: the pipeline's */
	__u8 eth_src[6];         /* stack and this stage's share 512 bytes */
	__u8 l2[64];             /* Ethernet and VLAN headers, when moved */
	/* the reply's facts, for fp_dhcp_build() */
	__u32 yiaddr;
	__u32 daddr;
	__u16 dport;
	__u8 type;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_dhcp_scratch);
} fp_dhcp_scratch SEC(".maps");

/* What the option walk found; offsets are into scratch.in. */
struct fp_dhcp_req {
	__u32 requested;   /* option 50; valid when has_requested */
	__u32 server;      /* option 54 */
	__u16 id_off;      /* option 61's value */
	__u16 relay_off;   /* option 82, from its code byte */
	__u8 id_len;
	__u8 relay_len;    /* option 82's length byte; 0: absent */
	__u8 type;         /* option 53; 0: absent */
	__u8 has_requested;
	__u8 has_server;
	__u8 id_long;      /* option 61 longer than FP_DHCP_ID_MAX */
};

/* The walk's verdict when it reached END; any other is the miss counter
 * (FP_DHCP_MISS_*) of what sends the request to the server. */
#define FP_DHCP_WALK_OK 0

/* fp_dhcp_idx: V, which the caller has checked is below 1024, masked so
 * that the verifier knows it too (clang drops a plain mask it can prove
 * useless, and may check one copy of a register and index with another). */
static __always_inline __u32 fp_dhcp_idx(__u32 v)
{
	asm volatile("%0 &= 0x3ff" : "+r"(v));
	return v;
}

/* fp_dhcp_len: V, which the caller has checked is 1..1024, so that the
 * verifier sees those bounds in the register a helper gets. */
static __always_inline __u32 fp_dhcp_len(__u32 v)
{
	asm volatile("%0 += -1; %0 &= 0x3ff; %0 += 1" : "+r"(v));
	return v;
}

static __always_inline void fp_dhcp_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&fp_dhcp_stats, &idx);

	if (c)
		*c += 1;
}

static __always_inline __u32 fp_dhcp_get32(const __u8 *b)
{
	__u32 v;

	__builtin_memcpy(&v, b, 4);
	return v;
}

static __always_inline void fp_dhcp_put32(__u8 *b, __u32 v)
{
	__builtin_memcpy(b, &v, 4);
}

/* The walk's state, for bpf_loop(): the options are walked one a call,
 * so that the verifier checks one option, not every path through 160. */
struct fp_dhcp_walk {
	struct fp_dhcp_req r;
	__u32 pos;         /* the next option, in scratch.in */
	__u32 len;         /* datagram bytes in scratch.in */
	int verdict;       /* FP_DHCP_WALK_OK or a miss counter */
};

/* fp_dhcp_walk_one: one option at w->pos; 1 (stop) at END or at
 * anything that sends the request to the server, with w->verdict set. */
static int fp_dhcp_walk_one(__u32 i, struct fp_dhcp_walk *w)
{
	__u32 zero = 0, pos = w->pos, len = w->len, code, olen;
	struct fp_dhcp_scratch *s = bpf_map_lookup_elem(&fp_dhcp_scratch, &zero);
	struct fp_dhcp_req *r = &w->r;
	const __u8 *in;

	(void)i;
	w->verdict = FP_DHCP_MISS_MALFORMED;
	if (!s || pos >= len || pos >= FP_DHCP_IN_MAX)
		return 1; /* no END option */
	in = s->in;
	pos = fp_dhcp_idx(pos);
	code = in[pos];
	if (code == 0) {
		w->pos = pos + 1;
		return 0;
	}
	if (code == 255) {
		w->verdict = FP_DHCP_WALK_OK;
		return 1;
	}
	if (pos + 2 > len)
		return 1;
	olen = in[pos + 1];
	if (pos + 2 + olen > len)
		return 1;
	switch (code) {
	case 53:
		if (olen != 1)
			return 1;
		r->type = in[pos + 2];
		break;
	case 50:
		if (olen != 4)
			return 1;
		r->requested = fp_dhcp_get32(&in[pos + 2]);
		r->has_requested = 1;
		break;
	case 54:
		if (olen != 4)
			return 1;
		r->server = fp_dhcp_get32(&in[pos + 2]);
		r->has_server = 1;
		break;
	case 61:
		if (olen < 2)
			return 1; /* RFC 2132 §9.14 */
		if (r->id_len) {
			w->verdict = FP_DHCP_MISS_OVERLOAD; /* in parts: RFC 3396 */
			return 1;
		}
		if (olen > FP_DHCP_ID_MAX)
			r->id_long = 1; /* no key can hold it */
		r->id_off = pos + 2;
		r->id_len = olen;
		break;
	case 82:
		if (!olen)
			return 1;
		if (r->relay_len) {
			w->verdict = FP_DHCP_MISS_OVERLOAD;
			return 1;
		}
		r->relay_off = pos;
		r->relay_len = olen;
		break;
	case 52:
		w->verdict = FP_DHCP_MISS_OVERLOAD;
		return 1;
	}
	w->pos = pos + 2 + olen;
	w->verdict = FP_DHCP_MISS_MALFORMED; /* more options than we walk */
	return 0;
}

/* fp_dhcp_key_of: the subscriber key of the request in IN. */
static __always_inline void fp_dhcp_key_of(const __u8 *in, const struct fp_dhcp_req *r,
					   const struct fp_parsed *p, struct fp_dhcp_key *k)
{
	__u32 off = r->id_off;
	int i;

	__builtin_memset(k, 0, sizeof(*k));
	k->vlan = p->vlans ? p->vlan_id[(p->vlans - 1) & 1] : 0;
	if (!r->id_len) {
		k->kind = FP_DHCP_KEY_MAC;
		k->len = 6;
		__builtin_memcpy(k->id, &in[B_CHADDR], 6);
		return;
	}
	k->kind = FP_DHCP_KEY_CLIENT_ID;
	k->len = r->id_len;
	if (off >= FP_DHCP_IN_MAX)
		return;
	off = fp_dhcp_idx(off);
	for (i = 0; i < FP_DHCP_ID_MAX; i++)
		k->id[i] = i < r->id_len ? in[off + i] : 0;
}

/* The reply: fp_dhcp_build and its helpers, bpf/dhcp_reply.h (it uses the
 * definitions above). */
#include "dhcp_reply.h"

/* fp_dhcp_lease_of: the binding the request's client may be answered
 * from, or NULL with the miss counter in *miss. */
static __always_inline struct fp_dhcp_lease *
fp_dhcp_lease_of(const __u8 *in, const struct fp_dhcp_req *r, const struct fp_parsed *p,
		 __u64 now, struct fp_dhcp_key *k, struct fp_dhcp_pool_map **pool, int *miss)
{
	struct fp_dhcp_lease *l;
	__u32 idx;

	fp_dhcp_key_of(in, r, p, k);
	l = bpf_map_lookup_elem(&fp_dhcp_leases, k);
	if (!l) {
		*miss = FP_DHCP_MISS_UNKNOWN;
		return NULL;
	}
	if (l->expires_ns <= now) {
		*miss = FP_DHCP_MISS_EXPIRED;
		return NULL;
	}
	idx = l->pool;
	*pool = bpf_map_lookup_elem(&fp_dhcp_pools, &idx);
	if (!*pool || !(*pool)->valid) {
		*miss = FP_DHCP_MISS_POOL;
		return NULL;
	}
	return l;
}

/* fp_dhcp_rx_counter: FP_DHCP_RX_* of a message type. */
static __always_inline __u32 fp_dhcp_rx_counter(__u8 type)
{
	switch (type) {
	case FP_DHCPDISCOVER:
		return FP_DHCP_RX_DISCOVER;
	case FP_DHCPREQUEST:
		return FP_DHCP_RX_REQUEST;
	case FP_DHCPDECLINE:
		return FP_DHCP_RX_DECLINE;
	case FP_DHCPRELEASE:
		return FP_DHCP_RX_RELEASE;
	case FP_DHCPINFORM:
		return FP_DHCP_RX_INFORM;
	}
	return FP_DHCP_RX_OTHER;
}

/* fp_dhcp_request_miss: whether a REQUEST asks for the bound address, as
 * RFC 2131 §4.3.2 tells its states apart: SELECTING (server id and
 * requested address), INIT-REBOOT (requested address, no ciaddr),
 * RENEWING/REBINDING (ciaddr only). 0 when it does, else the miss. */
static __always_inline int fp_dhcp_request_miss(const struct fp_dhcp_req *r, __u32 ciaddr,
						__u32 ip)
{
	if (r->has_server)
		return r->has_requested && r->requested == ip ? 0 : FP_DHCP_MISS_ADDRESS;
	if (r->has_requested)
		return r->requested == ip && !ciaddr ? 0 : FP_DHCP_MISS_ADDRESS;
	return ciaddr == ip ? 0 : FP_DHCP_MISS_ADDRESS;
}

/* fp_dhcp_send: the frame made into the reply in S->out (LEN bytes from
 * the IPv4 header on), Ethernet addresses DST and the server's; VLAN
 * tags stay. 0, or -1 when the frame could not be resized (unchanged),
 * or -2 when it was changed and then could not be written.
 *
 * A reply is usually longer than its request. The frame grows at its tail
 * where the buffer has room there; one that a veth peer's socket sent
 * (perfdhcp's, a relay's) can have almost none, while XDP keeps 256 bytes
 * of headroom: such a frame grows at its head, its L2 header moved. */
static __always_inline int fp_dhcp_send(struct xdp_md *ctx, const struct fp_parsed *p,
					struct fp_dhcp_scratch *s, __u32 len,
					const __u8 *dst, const struct fp_dhcp_cfg *cfg)
{
	__u32 l3 = p->l3_off;
	__u8 *eth;
	int delta = (int)(l3 + len) - (int)(ctx->data_end - ctx->data);
	int moved = 0;

	if (len < FP_DHCP_REPLY_HDRS || len > FP_DHCP_OUT_MAX || l3 < ETH_HLEN || l3 > 64)
		return -1;
	/* 14..64, in a form the verifier can bound for the helpers. */
	asm volatile("%0 += -1; %0 &= 0x3f; %0 += 1" : "+r"(l3));
	if (delta && bpf_xdp_adjust_tail(ctx, delta)) {
		if (delta < 0 || bpf_xdp_load_bytes(ctx, 0, s->l2, l3) ||
		    bpf_xdp_adjust_head(ctx, -delta))
			return -1;
		moved = 1;
	}
	len = fp_dhcp_len(len);
	if ((moved && bpf_xdp_store_bytes(ctx, 0, s->l2, l3)) ||
	    bpf_xdp_store_bytes(ctx, l3, s->out, len))
		return -2;
	/* The Ethernet addresses in place: the frame is at least l3 + len. */
	eth = (void *)(long)ctx->data;
	if ((void *)(eth + 12) > (void *)(long)ctx->data_end)
		return -2;
	__builtin_memcpy(eth, dst, 6);
	__builtin_memcpy(eth + 6, cfg->server_mac, 6);
	return 0;
}

/* fp_stage_dhcp: XDP_TX when the frame was a DHCP request this stage
 * answered (it is now the reply), XDP_PASS otherwise; XDP_DROP only when
 * the frame was changed and the reply could not be written. */
static __noinline int fp_stage_dhcp(struct xdp_md *ctx, const struct fp_parsed *p)
{
	static const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	__u32 zero = 0, avail, len, ulen, tot, ciaddr, giaddr, daddr, out_len;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct fp_dhcp_pool_map *pool = NULL;
	struct fp_dhcp_event *ev = NULL;
	struct fp_dhcp_walk w = { 0 };
	struct fp_dhcp_req *r = &w.r;
	struct fp_dhcp_scratch *s;
	struct fp_dhcp_lease *l;
	struct fp_dhcp_cfg *cfg;
	struct iphdr *ip;
	__u8 type;
	const __u8 *dst;
	__u16 dport;
	__u64 now;
	int miss, err;

	if (p->ip_version != 4 || !p->has_l4 || p->l4_proto != IPPROTO_UDP ||
	    p->dport != FP_DHCP_SERVER_PORT)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&fp_dhcp_cfg, &zero);
	if (!cfg || !cfg->enabled)
		return XDP_PASS;
	s = bpf_map_lookup_elem(&fp_dhcp_scratch, &zero);
	if (!s)
		return XDP_PASS;
	miss = FP_DHCP_MISS_MALFORMED;
	if (p->frag != FP_FRAG_NONE)
		goto pass;
	/* At most 14 + 2 * 4: a smaller bound than the u16 lets the verifier
	 * follow the pointer. */
	if (p->l3_off > 64)
		goto pass;
	ip = data + (p->l3_off & 0x7f);
	if ((void *)(ip + 1) > end || (void *)data + 12 > end)
		goto pass;
	__builtin_memcpy(s->eth_src, (__u8 *)data + 6, 6);
	tot = bpf_ntohs(ip->tot_len);
	avail = end - data;
	if (avail < p->l4_off + FP_DHCP_FIXED || p->l3_off + tot > avail)
		goto pass;
	avail -= p->l4_off;
	len = avail > FP_DHCP_IN_MAX ? FP_DHCP_IN_MAX : avail;
	if (len < FP_DHCP_FIXED ||
	    bpf_xdp_load_bytes(ctx, p->l4_off, s->in, fp_dhcp_len(len)))
		goto pass;
	ulen = (__u32)s->in[4] << 8 | s->in[5];
	if (ulen < FP_DHCP_FIXED || ulen > avail || p->l4_off + ulen > p->l3_off + tot)
		goto pass;
	if (ulen < len)
		len = ulen;
	if (s->in[B_OP] != 1 || s->in[B_HTYPE] != 1 || s->in[B_HLEN] != 6 ||
	    fp_dhcp_get32(&s->in[B_COOKIE]) != bpf_htonl(FP_DHCP_MAGIC))
		goto pass;
	w.pos = FP_DHCP_OPT_OFF;
	w.len = len;
	w.verdict = FP_DHCP_MISS_MALFORMED;
	bpf_loop(FP_DHCP_OPT_WALK, fp_dhcp_walk_one, &w, 0);
	miss = w.verdict;
	if (miss != FP_DHCP_WALK_OK)
		goto pass;
	type = r->type;
	fp_dhcp_count(fp_dhcp_rx_counter(type));
	miss = FP_DHCP_MISS_UNKNOWN; /* a client id longer than any key */
	if (r->id_long)
		goto pass;
	if (type != FP_DHCPDISCOVER && type != FP_DHCPREQUEST) {
		miss = FP_DHCP_MISS_TYPE;
		goto pass;
	}
	if (type == FP_DHCPREQUEST && r->has_server && r->server != cfg->server_id) {
		miss = FP_DHCP_MISS_SERVER;
		goto pass;
	}
	if (type == FP_DHCPREQUEST && (cfg->flags & FP_DHCP_CFG_NO_ACK)) {
		miss = FP_DHCP_MISS_NOSTORE;
		goto pass;
	}
	now = bpf_ktime_get_boot_ns();
	l = fp_dhcp_lease_of(s->in, r, p, now, &s->key, &pool, &miss);
	if (!l || !pool)
		goto pass;
	ciaddr = fp_dhcp_get32(&s->in[B_CIADDR]);
	giaddr = fp_dhcp_get32(&s->in[B_GIADDR]);
	if (type == FP_DHCPREQUEST) {
		miss = fp_dhcp_request_miss(r, ciaddr, l->ip);
		if (miss)
			goto pass;
	}
	/* Only from the binding's network: through a relay on its subnet, or
	 * unrelayed when it is the server's own. A client that moved is the
	 * server's to NAK. */
	miss = FP_DHCP_MISS_NETWORK;
	if (giaddr ? (giaddr & pool->mask) != pool->subnet : l->pool != cfg->local_pool)
		goto pass;
	/* RFC 2131 §4.1: to the relay; to a client that has its address; to
	 * all when it asked for broadcast; else to the address it gets. */
	dport = FP_DHCP_CLIENT_PORT;
	dst = &s->in[B_CHADDR];
	if (giaddr) {
		daddr = giaddr;
		dport = FP_DHCP_SERVER_PORT;
		dst = s->eth_src;
	} else if (ciaddr) {
		daddr = ciaddr;
	} else if (s->in[B_FLAGS] & 0x80) {
		daddr = 0xffffffff;
		dst = bcast;
	} else {
		daddr = l->ip;
	}
	type = type == FP_DHCPDISCOVER ? FP_DHCPOFFER : FP_DHCPACK;
	s->yiaddr = l->ip;
	s->daddr = daddr;
	s->dport = dport;
	s->type = type;
	out_len = fp_dhcp_build(s, r, cfg, pool);
	if (!out_len) {
		miss = FP_DHCP_FAST_ERR;
		goto pass;
	}
	if (type == FP_DHCPACK) {
		ev = bpf_ringbuf_reserve(&fp_dhcp_events, sizeof(*ev), 0);
		if (!ev) {
			miss = FP_DHCP_MISS_EVENTS;
			goto pass;
		}
	}
	/* dst may point into s->in, which the send does not touch. */
	err = fp_dhcp_send(ctx, p, s, out_len, dst, cfg);
	if (err) {
		if (ev)
			bpf_ringbuf_discard(ev, 0);
		fp_dhcp_count(FP_DHCP_FAST_ERR);
		return err == -1 ? XDP_PASS : XDP_DROP;
	}
	if (ev) {
		l->expires_ns = now + (__u64)pool->lease_s * 1000000000ull;
		__builtin_memcpy(&ev->key, &s->key, sizeof(s->key));
		ev->ip = l->ip;
		ev->pool = l->pool;
		ev->expires_ns = l->expires_ns;
		__builtin_memcpy(ev->chaddr, l->chaddr, 6);
		ev->msg_type = FP_DHCPACK;
		ev->pad = 0;
		bpf_ringbuf_submit(ev, 0);
		fp_dhcp_count(FP_DHCP_HIT_ACK);
	} else {
		fp_dhcp_count(FP_DHCP_HIT_OFFER);
	}
	return XDP_TX;
pass:
	fp_dhcp_count(miss);
	return XDP_PASS;
}

#endif
