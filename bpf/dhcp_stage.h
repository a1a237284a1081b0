/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The DHCP stage: DHCPv4 DISCOVER and REQUEST from clients the server has
 * bound (fp_dhcp_leases) answered in place with OFFER and ACK (XDP_TX);
 * every other DHCP message, and anything it cannot read, goes on to the
 * server (XDP_PASS). The maps and their meaning are bpf/dhcp_abi.h's.
 *
 * The request is read where it lies in the frame, and the reply written
 * over it: the few request fields the reply needs are kept in a per-CPU
 * scratch value (and option 82, which the reply echoes), the reply's
 * options are built there, the frame is resized, then every byte from
 * the IPv4 header on is written in 8-byte words, the UDP checksum summed
 * from the words as they go. The option walk is a bounded loop in the
 * packet. No helper copies the datagram in or out, and none is called
 * per option (docs/benchmarks.md, DHCP: each call costs). */
#ifndef FP_DHCP_STAGE_H
#define FP_DHCP_STAGE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "clock.h"
#include "pipeline_abi.h"
#include "parse.h"
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
#define FP_DHCP_OPT_OFF    FP_DHCP_FIXED /* the request's options */
#define FP_DHCP_IN_MAX     1024          /* datagram bytes walked; options past
					  * them are not */
#define FP_DHCP_OPT_WALK   160           /* options walked before giving up */
#define FP_DHCP_REPLY_HDRS (20 + FP_DHCP_UDP_HLEN)
#define FP_DHCP_REPLY_OPTS (FP_DHCP_REPLY_HDRS + FP_DHCP_BOOTP_LEN + 4) /* 268 */
#define FP_DHCP_REPLY_MIN  (FP_DHCP_REPLY_HDRS + 300) /* RFC 1542 §3.4 */
#define FP_DHCP_OUT_MAX    1024          /* the reply, from its IPv4 header */
#define FP_DHCP_L3_MAX     (ETH_HLEN + 2 * 4) /* two VLAN tags at most (parse.h) */

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

/* Where the walk records the options the stage reads: the offset of
 * each code's last one and how many there were. */
enum {
	FP_DHCP_AT_OTHER,    /* every other code (and pad): never read */
	FP_DHCP_AT_TYPE,     /* 53 */
	FP_DHCP_AT_REQUESTED, /* 50 */
	FP_DHCP_AT_SERVER,   /* 54 */
	FP_DHCP_AT_ID,       /* 61 */
	FP_DHCP_AT_RELAY,    /* 82 */
	FP_DHCP_AT_OVERLOAD, /* 52 */
	FP_DHCP_AT_MAX = 8,
};

/* What the option walk found, read from the options after it; offsets
 * are from the UDP header. In the scratch value, not on the stack: the
 * verifier follows values on the stack, and the states, one for each mix
 * of options seen, would not prune; it does not follow a map value's. */
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

/* One CPU's scratch: the request's fields the reply needs, kept here
 * rather than on the stack (the pipeline's frame and the stage's share
 * 512 bytes) and because the frame is rewritten before they are used. */
struct fp_dhcp_scratch {
	/* The reply's options (from its byte 268), built before the frame
	 * is resized: 82 is copied in from the request, which the reply then
	 * overwrites. Room past FP_DHCP_OUT_MAX for the masked offsets and
	 * the 8-byte copies that run over. */
	__u8 opt[FP_DHCP_OUT_MAX + 512];
	struct fp_dhcp_key key;
	struct fp_dhcp_req req;
	__u32 xid;
	__u64 chaddr[2];
	__u64 l2[3];             /* the frame's first 24 bytes, when it moves */
	__u64 eth_src;           /* the request's source MAC in the low 6 bytes */
	__u32 ciaddr;
	__u32 giaddr;
	__u32 yiaddr;
	__u32 daddr;
	__u32 walk_len;          /* fp_dhcp_walk's */
	__u16 opt_at[FP_DHCP_AT_MAX]; /* fp_dhcp_walk's: valid where opt_n is 1 */
	__u8 opt_n[FP_DHCP_AT_MAX];   /* byte 0 wraps, never read */
	__u16 flags;             /* as in the packet */
	__u16 dport;
	__u8 type;
	__u8 pad[3];
	__u64 clock_tick;        /* the stage's clock, read once a tick: bpf/clock.h */
	__u64 clock_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_dhcp_scratch);
} fp_dhcp_scratch SEC(".maps");

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

/* 4- and 8-byte words at any address: one load or store each where clang
 * would otherwise copy byte by byte (x86 and arm64 do unaligned words
 * well and the verifier allows them there; parse.h reads addresses the
 * same way). */
typedef __u32 __attribute__((__may_alias__)) fp_dhcp_w32_t;
typedef __u64 __attribute__((__may_alias__)) fp_dhcp_w64_t;

static __always_inline __u32 fp_dhcp_get32(const void *b)
{
	return *(const fp_dhcp_w32_t *)b;
}

static __always_inline __u64 fp_dhcp_get64(const void *b)
{
	return *(const fp_dhcp_w64_t *)b;
}

static __always_inline void fp_dhcp_put32(void *b, __u32 v)
{
	*(fp_dhcp_w32_t *)b = v;
}

static __always_inline void fp_dhcp_put64(void *b, __u64 v)
{
	*(fp_dhcp_w64_t *)b = v;
}

/* Each option code's slot; 0 for a code the stage ignores. Read-only
 * in a section of its own: .rodata keeps one layout in every object (the
 * library reads it back from a running program). */
static const __u8 fp_dhcp_opt_slot[256] SEC(".rodata.dhcp") = {
	[53] = FP_DHCP_AT_TYPE,
	[50] = FP_DHCP_AT_REQUESTED,
	[54] = FP_DHCP_AT_SERVER,
	[61] = FP_DHCP_AT_ID,
	[82] = FP_DHCP_AT_RELAY,
	[52] = FP_DHCP_AT_OVERLOAD,
};

/* fp_dhcp_opt_of: the option the walk recorded in slot AT of S, in the
 * datagram whose UDP header is at U. */
static __always_inline const __u8 *fp_dhcp_opt_of(const __u8 *u, const struct fp_dhcp_scratch *s,
						  int at)
{
	return u + fp_dhcp_idx(s->opt_at[at]);
}

/* fp_dhcp_addr_opt: the address in option slot AT of S (50 or 54) into
 * *V, *HAS set, when the walk found one; -1 when it is not 4 bytes. */
static __always_inline int fp_dhcp_addr_opt(const __u8 *u, const void *end,
					    const struct fp_dhcp_scratch *s, int at, __u32 *v,
					    __u8 *has)
{
	const __u8 *o = fp_dhcp_opt_of(u, s, at);

	if (!s->opt_n[at])
		return 0;
	if ((void *)(o + 6) > end || o[1] != 4)
		return -1;
	*v = fp_dhcp_get32(o + 2);
	*has = 1;
	return 0;
}

/* opt_n's bytes that send a request on as an option in parts: two or
 * more of an option the stage reads (RFC 3396: a repeated option is one
 * option in parts), or any option 52. */
#define FP_DHCP_AT_PARTS 0x00fffefefefefe00ull

/* fp_dhcp_walk: the options of the request whose UDP header is at U,
 * its datagram LEN bytes (at most FP_DHCP_IN_MAX, all in the frame), into
 * S->req. FP_DHCP_WALK_OK at END, else the miss counter of what sends the
 * request to the server. In the packet itself, one option an iteration;
 * the walk never reads past LEN, and each access is checked against END
 * as well, for the verifier.
 *
 * The verifier walks the loop once per iteration and path through it, so
 * an iteration has one path: each option's offset goes to its code's
 * slot of S->opt_at and the slot's count goes up, whatever the code, and
 * the options the stage reads are checked and read after the walk. (A
 * switch on the code, and a branch for pad bytes, were seven paths an
 * iteration: 40K of the stage's 78K verified instructions.) That it
 * checks each iteration once, not once per way into it, rests on POS
 * masked to 0..1023 where it enters the next, LEN unknown to it, and the
 * findings in the map value, whose contents it does not follow. */
static __always_inline int fp_dhcp_walk(const __u8 *u, const void *end, __u32 len,
					struct fp_dhcp_scratch *s)
{
	__u64 pos = FP_DHCP_OPT_OFF, n, i, code, at, option, counts;
	struct fp_dhcp_req *r = &s->req;
	const __u8 *o;

	/* LEN read back from the map value, where the verifier does not
	 * know it: known (1024, say), it would bound POS by it, differently
	 * on each path, and the states would differ again. */
	s->walk_len = len;
	n = *(volatile __u32 *)&s->walk_len;
	fp_dhcp_put64(s->opt_n, 0);
	if (pos >= n)
		return FP_DHCP_MISS_MALFORMED;
	/* Counted up in 64 bits: counted down, clang 14 tested a carry, six
	 * instructions an option where this takes two. */
	for (i = 0; i < FP_DHCP_OPT_WALK; i++) {
		o = u + pos;
		if ((void *)(o + 1) > end)
			return FP_DHCP_MISS_MALFORMED;
		code = o[0];
		if (code == 255)
			goto found;
		/* A pad byte (code 0) is read as an option too, its "length"
		 * the next byte, and steps one byte: without a branch of its
		 * own. An option that does not end before LEN, or a pad in
		 * its last byte, leaves POS at or past LEN: no END. */
		if ((void *)(o + 2) > end)
			return FP_DHCP_MISS_MALFORMED;
		at = fp_dhcp_opt_slot[code] & (FP_DHCP_AT_MAX - 1);
		s->opt_at[at] = pos;
		s->opt_n[at]++;
		option = (code + 255) >> 8; /* 0 for a pad byte */
		asm volatile("" : "+r"(option)); /* else clang branches */
		pos += 1 + ((1 + (__u64)o[1]) & (0 - option));
		if (pos >= n)
			return FP_DHCP_MISS_MALFORMED;
		asm volatile("%0 &= 0x3ff" : "+r"(pos)); /* as fp_dhcp_idx() */
	}
	return FP_DHCP_MISS_MALFORMED; /* more options than we walk */
found:
	counts = fp_dhcp_get64(s->opt_n);
	if (counts & FP_DHCP_AT_PARTS)
		return FP_DHCP_MISS_OVERLOAD;
	/* The options the stage reads, each where the walk found it: within
	 * LEN, so in the frame; the tests against END are for the verifier.
	 * One of the wrong length is a malformed request (RFC 2132). */
	if (s->opt_n[FP_DHCP_AT_TYPE]) {
		o = fp_dhcp_opt_of(u, s, FP_DHCP_AT_TYPE);
		if ((void *)(o + 3) > end || o[1] != 1)
			return FP_DHCP_MISS_MALFORMED;
		r->type = o[2];
	}
	if (fp_dhcp_addr_opt(u, end, s, FP_DHCP_AT_REQUESTED, &r->requested, &r->has_requested) ||
	    fp_dhcp_addr_opt(u, end, s, FP_DHCP_AT_SERVER, &r->server, &r->has_server))
		return FP_DHCP_MISS_MALFORMED;
	if (s->opt_n[FP_DHCP_AT_ID]) {
		o = fp_dhcp_opt_of(u, s, FP_DHCP_AT_ID);
		if ((void *)(o + 2) > end || o[1] < 2) /* RFC 2132 §9.14 */
			return FP_DHCP_MISS_MALFORMED;
		r->id_long = o[1] > FP_DHCP_ID_MAX; /* no key can hold it */
		r->id_off = o + 2 - u;
		r->id_len = o[1];
	}
	if (s->opt_n[FP_DHCP_AT_RELAY]) {
		o = fp_dhcp_opt_of(u, s, FP_DHCP_AT_RELAY);
		if ((void *)(o + 2) > end || !o[1])
			return FP_DHCP_MISS_MALFORMED;
		r->relay_off = o - u;
		r->relay_len = o[1];
	}
	return FP_DHCP_WALK_OK;
}

/* fp_dhcp_id_word: the 8 bytes of a client identifier at W, of which
 * KEEP (any value) belong to it; the rest zero, as a key wants them. */
static __always_inline __u64 fp_dhcp_id_word(__u64 w, int keep)
{
	if (keep <= 0)
		return 0;
	if (keep >= 8)
		return w;
	return w & ((1ull << (keep * 8)) - 1);
}

/* fp_dhcp_key_of: the subscriber key of the request (UDP header at U,
 * L4 its offset in the frame, on VLAN) into K; the chaddr in S. 0, or -1
 * when the client identifier could not be read. */
static __always_inline int fp_dhcp_key_of(struct xdp_md *ctx, const __u8 *u, const void *end,
					  __u32 l4, const struct fp_dhcp_req *r, __u16 vlan,
					  struct fp_dhcp_scratch *s)
{
	struct fp_dhcp_key *k = &s->key;
	__u32 n = r->id_len, off = r->id_off;
	const __u8 *id;

	/* vlan, kind, len: the key's first word; then the id, zero padded. */
	if (!n) {
		fp_dhcp_put32(k, vlan | FP_DHCP_KEY_MAC << 16 | 6u << 24);
		fp_dhcp_put64(k->id, s->chaddr[0] & 0xffffffffffffull);
		fp_dhcp_put64(k->id + 8, 0);
		fp_dhcp_put64(k->id + 16, 0);
		fp_dhcp_put64(k->id + 24, 0);
		return 0;
	}
	fp_dhcp_put32(k, vlan | FP_DHCP_KEY_CLIENT_ID << 16 | n << 24);
	if (off >= FP_DHCP_IN_MAX || n > FP_DHCP_ID_MAX)
		return -1;
	id = u + fp_dhcp_idx(off);
	if ((void *)(id + FP_DHCP_ID_MAX) <= end) {
		fp_dhcp_put64(k->id, fp_dhcp_id_word(fp_dhcp_get64(id), n));
		fp_dhcp_put64(k->id + 8, fp_dhcp_id_word(fp_dhcp_get64(id + 8), (int)n - 8));
		fp_dhcp_put64(k->id + 16, fp_dhcp_id_word(fp_dhcp_get64(id + 16), (int)n - 16));
		fp_dhcp_put64(k->id + 24, fp_dhcp_id_word(fp_dhcp_get64(id + 24), (int)n - 24));
		return 0;
	}
	/* Within 32 bytes of the frame's end: read what there is. */
	fp_dhcp_put64(k->id, 0);
	fp_dhcp_put64(k->id + 8, 0);
	fp_dhcp_put64(k->id + 16, 0);
	fp_dhcp_put64(k->id + 24, 0);
	/* 2..32 (checked above), as 1..32 in the register the helper gets */
	asm volatile("%0 += -1; %0 &= 0x1f; %0 += 1" : "+r"(n));
	return bpf_xdp_load_bytes(ctx, l4 + off, k->id, n) ? -1 : 0;
}

/* The reply: its options, its headers and its checksums, bpf/dhcp_reply.h
 * (it uses the definitions above). */
#include "dhcp_reply.h"

/* fp_dhcp_lease_of: the binding the request's client (key in s->key) may
 * be answered from, or NULL with the miss counter in *miss. */
static __always_inline struct fp_dhcp_lease *
fp_dhcp_lease_of(struct fp_dhcp_scratch *s, __u64 now, struct fp_dhcp_pool_map **pool,
		 int *miss)
{
	struct fp_dhcp_lease *l;
	__u32 idx;

	l = bpf_map_lookup_elem(&fp_dhcp_leases, &s->key);
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

/* fp_dhcp_wants: P is for the DHCP stage to look at: IPv4, UDP, to the
 * server's port (the stage checks the rest). */
static __always_inline int fp_dhcp_wants(const struct fp_parsed *p)
{
	return p->ip_version == 4 && p->has_l4 && p->l4_proto == IPPROTO_UDP &&
	       p->dport == FP_DHCP_SERVER_PORT;
}

/* fp_dhcp_vlan: the innermost VLAN tag of P, 0 when untagged. */
static __always_inline __u32 fp_dhcp_vlan(const struct fp_parsed *p)
{
	return p->vlans == 2 ? p->vlan_id[1] : p->vlans ? p->vlan_id[0] : 0;
}

/* fp_stage_dhcp: XDP_TX when the frame (one fp_dhcp_wants, parsed with
 * its IPv4 header at L3_OFF, UDP at L4_OFF, on VLAN, FRAG its fragment
 * status) was a DHCP request this stage answered (it is now the reply),
 * XDP_PASS otherwise; XDP_DROP only when the frame was changed and the
 * reply could not be written.
 *
 * A global function, verified once on its own: a static one is verified
 * again for each state the pipeline reaches it in (four), and the option
 * walk's 160 iterations with it. It takes scalars, not the parsed frame:
 * a pointer to it would be read whole at the call, and the verifier would
 * keep apart every path of the parse that differs in any field (212K
 * instructions for firewall, flows and DHCP against 159K). The caller
 * holds no packet pointer across the call. */
__attribute__((noinline)) int fp_stage_dhcp(struct xdp_md *ctx, __u32 l3_off, __u32 l4_off,
					    __u32 vlan, __u32 frag)
{
	__u32 zero = 0, avail, len, ulen, tot, l4, ciaddr, giaddr, optlen;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct fp_dhcp_pool_map *pool = NULL;
	struct fp_dhcp_event *ev = NULL;
	struct fp_dhcp_scratch *s;
	struct fp_dhcp_req *r;
	struct fp_dhcp_lease *l;
	struct fp_dhcp_cfg *cfg;
	struct iphdr *ip;
	const __u8 *u;
	__u64 now, dst;
	__u8 type;
	int miss, err;

	cfg = bpf_map_lookup_elem(&fp_dhcp_cfg, &zero);
	if (!cfg || !cfg->enabled)
		return XDP_PASS;
	s = bpf_map_lookup_elem(&fp_dhcp_scratch, &zero);
	if (!s)
		return XDP_PASS;
	miss = FP_DHCP_MISS_MALFORMED;
	/* The parser stops at two VLAN tags and 60 bytes of IPv4 header: a
	 * smaller bound than the u16's lets the verifier follow the pointers. */
	if (frag != FP_FRAG_NONE || l3_off > FP_DHCP_L3_MAX || l4_off > 127)
		goto pass;
	/* Masked where the verifier sees it: clang knows the bounds above and
	 * would drop the masks, and the verifier loses them in the 32-bit
	 * arguments' zero extension. */
	asm volatile("%0 &= 0x1f" : "+r"(l3_off));
	asm volatile("%0 &= 0x7f" : "+r"(l4_off));
	ip = data + l3_off;
	l4 = l4_off;
	u = data + l4;
	if (data + ETH_HLEN > end || (void *)(ip + 1) > end ||
	    (void *)(u + FP_DHCP_FIXED) > end)
		goto pass;
	tot = bpf_ntohs(ip->tot_len);
	avail = end - data;
	if (l3_off + tot > avail)
		goto pass;
	avail -= l4;
	len = avail > FP_DHCP_IN_MAX ? FP_DHCP_IN_MAX : avail;
	ulen = (__u32)u[4] << 8 | u[5];
	if (ulen < FP_DHCP_FIXED || ulen > avail || l4 + ulen > l3_off + tot)
		goto pass;
	if (ulen < len)
		len = ulen;
	if (u[B_OP] != 1 || u[B_HTYPE] != 1 || u[B_HLEN] != 6 ||
	    fp_dhcp_get32(u + B_COOKIE) != bpf_htonl(FP_DHCP_MAGIC))
		goto pass;
	r = &s->req;
	__builtin_memset(r, 0, sizeof(*r));
	miss = fp_dhcp_walk(u, end, len, s);
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
	/* The request's fields the reply needs, before it is overwritten. */
	ciaddr = fp_dhcp_get32(u + B_CIADDR);
	giaddr = fp_dhcp_get32(u + B_GIADDR);
	s->xid = fp_dhcp_get32(u + B_XID);
	s->flags = *(const __u16 *)(u + B_FLAGS);
	s->ciaddr = ciaddr;
	s->giaddr = giaddr;
	s->chaddr[0] = fp_dhcp_get64(u + B_CHADDR);
	s->chaddr[1] = fp_dhcp_get64(u + B_CHADDR + 8);
	s->eth_src = fp_dhcp_get64(data + 6);
	miss = FP_DHCP_MISS_MALFORMED;
	if (fp_dhcp_key_of(ctx, u, end, l4, r, (__u16)vlan, s))
		goto pass;
	now = fp_tick_clock(&s->clock_tick, &s->clock_ns, FP_CLOCK_COARSE) +
	      FP_DHCP_CLOCK_SLACK_NS;
	l = fp_dhcp_lease_of(s, now, &pool, &miss);
	if (!l || !pool)
		goto pass;
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
	s->dport = FP_DHCP_CLIENT_PORT;
	dst = s->chaddr[0];
	if (giaddr) {
		s->daddr = giaddr;
		s->dport = FP_DHCP_SERVER_PORT;
		dst = s->eth_src;
	} else if (ciaddr) {
		s->daddr = ciaddr;
	} else if (u[B_FLAGS] & 0x80) {
		s->daddr = 0xffffffff;
		dst = ~0ull;
	} else {
		s->daddr = l->ip;
	}
	type = type == FP_DHCPDISCOVER ? FP_DHCPOFFER : FP_DHCPACK;
	s->yiaddr = l->ip;
	s->type = type;
	optlen = fp_dhcp_opts(ctx, l4, s, r, cfg, pool);
	if (!optlen) {
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
	err = fp_dhcp_write(ctx, l3_off, s, optlen, dst, cfg);
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
