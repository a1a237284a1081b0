/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pipeline's packet parser: Ethernet, up to two VLAN tags (802.1Q,
 * 802.1ad), IPv4 with options and fragments, IPv6 with extension headers,
 * TCP/UDP ports, ICMP/ICMPv6 type and code.
 *
 * Every access is checked against data_end here, once; stages read only
 * struct fp_parsed. A header cut short leaves status FP_PARSE_TRUNCATED
 * and the fields of that header and those after it zero: a truncated
 * packet is never read as a shorter valid one. */
#ifndef FP_PARSE_H
#define FP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pipeline_abi.h"

#define FP_VLAN_MAX     2
#define FP_IPV6_EXT_MAX 6

#ifndef IPPROTO_HOPOPTS
#define IPPROTO_HOPOPTS  0
#endif
#ifndef IPPROTO_ROUTING
#define IPPROTO_ROUTING  43
#endif
#ifndef IPPROTO_FRAGMENT
#define IPPROTO_FRAGMENT 44
#endif
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6   58
#endif
#ifndef IPPROTO_DSTOPTS
#define IPPROTO_DSTOPTS  60
#endif

struct fp_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct fp_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;    /* 8-octet units, not counting the first 8 */
};

struct fp_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

/* An ICMP or ICMPv6 header: 8 bytes in every message type, though only
 * the first two are read. */
struct fp_icmp_hdr {
	__u8 type;
	__u8 code;
	__u16 checksum;
	__u32 rest;
};

/* Above every offset the parse reaches (two VLAN tags, the IPv6 header
 * and FP_IPV6_EXT_MAX extension headers of 2 KB), and far enough below
 * 64 KB for the verifier to bound a packet pointer at that offset plus a
 * header. */
#define FP_PARSE_OFF_MASK 0x3fff
_Static_assert(ETH_HLEN + 4 * FP_VLAN_MAX + 40 + FP_IPV6_EXT_MAX * 2048 <= FP_PARSE_OFF_MASK,
	       "an offset the parse reaches is cut by FP_PARSE_OFF_MASK");

/* fp_ptr_diff: PTR - BASE, two pointers into one frame or map value,
 * computed as the difference of the pointers: to the verifier a number
 * it knows nothing of, however PTR was made. PTR goes through an empty
 * asm first, or clang would compute the difference from what it knows
 * PTR is (BASE plus an offset the verifier tracks). */
static __always_inline __u64 fp_ptr_diff(const void *base, const void *ptr)
{
	asm volatile("" : "+r"(ptr));
	return ptr - base;
}

/* fp_parse_rebase: PTR, a pointer into the frame at DATA, made again
 * from its offset (fp_ptr_diff). The same pointer, but to the verifier
 * one at some offset below FP_PARSE_OFF_MASK. So the paths the parse
 * took to PTR (IPv4 options, each IPv6 extension header) go on from it
 * as one, and what follows is walked once instead of once per path (9K
 * of the 11K instructions the verifier walked for a pipeline with the
 * XSK stage alone were the parse's; docs/benchmarks.md). Three ALU
 * instructions, no memory: at the end of each extension header walked
 * and at the transport header. (Where the L3 header starts it gains
 * nothing: the ways through the VLAN tags differ by a constant only.) */
static __always_inline void *fp_parse_rebase(void *data, void *ptr)
{
	return data + (fp_ptr_diff(data, ptr) & FP_PARSE_OFF_MASK);
}

static __always_inline int fp_parse_l4(struct fp_parsed *p, void *l4, void *end)
{
	switch (p->l4_proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end)
			return FP_PARSE_TRUNCATED;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return FP_PARSE_TRUNCATED;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		struct fp_icmp_hdr *ih = l4;

		if ((void *)(ih + 1) > end)
			return FP_PARSE_TRUNCATED;
		p->sport = ih->type;
		p->dport = ih->code;
		break;
	}
	default:
		return FP_PARSE_OK;
	}
	p->has_l4 = 1;
	return FP_PARSE_OK;
}

static __always_inline int fp_parse_ipv4(struct fp_parsed *p, void *data,
					 void *l3, void *end, void **l4)
{
	struct iphdr *ip = l3;
	__u16 frag;

	if ((void *)(ip + 1) > end)
		return FP_PARSE_TRUNCATED;
	if (ip->version != 4 || ip->ihl < 5)
		return FP_PARSE_MALFORMED;
	if (l3 + ip->ihl * 4 > end)
		return FP_PARSE_TRUNCATED;
	p->ip_version = 4;
	p->l4_proto = ip->protocol;
	p->saddr_w[0] = ip->saddr;
	p->daddr_w[0] = ip->daddr;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff)
		p->frag = FP_FRAG_LATER;
	else if (frag & 0x2000)
		p->frag = FP_FRAG_FIRST;
	*l4 = l3 + ip->ihl * 4;
	p->l4_off = *l4 - data;
	return FP_PARSE_OK;
}

typedef __u64 __attribute__((__may_alias__)) fp_addr_word_t;

/* fp_copy_addr6: an IPv6 address from the packet as two 8-byte words.
 * The loads may be unaligned, which x86 and arm64 do well and the
 * verifier allows there; clang would split a load it knew to be
 * unaligned into bytes. */
static __always_inline void fp_copy_addr6(__u64 *w, const void *addr)
{
	w[0] = ((const fp_addr_word_t *)addr)[0];
	w[1] = ((const fp_addr_word_t *)addr)[1];
}

static __always_inline int fp_ipv6_is_ext(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
	       next == IPPROTO_DSTOPTS || next == IPPROTO_FRAGMENT;
}

/* fp_parse_ipv6: the fixed header, then up to FP_IPV6_EXT_MAX extension
 * headers; *l4 after them. */
static __always_inline int fp_parse_ipv6(struct fp_parsed *p, void *data,
					 void *l3, void *end, void **l4)
{
	struct ipv6hdr *ip6 = l3;
	void *cur = ip6 + 1;
	__u8 next;
	int i;

	if (cur > end)
		return FP_PARSE_TRUNCATED;
	if (ip6->version != 6)
		return FP_PARSE_MALFORMED;
	p->ip_version = 6;
	fp_copy_addr6(p->saddr_w, &ip6->saddr);
	fp_copy_addr6(p->daddr_w, &ip6->daddr);
	next = ip6->nexthdr;
	for (i = 0; i < FP_IPV6_EXT_MAX && fp_ipv6_is_ext(next); i++) {
		/* Every extension header is 8 bytes or more, and its first
		 * byte is the next header's number. */
		struct fp_ipv6_opt_hdr *h = cur;
		__u32 len = 8;

		if ((void *)h + 8 > end)
			return FP_PARSE_TRUNCATED;
		if (next == IPPROTO_FRAGMENT) {
			__u16 off = bpf_ntohs(((struct fp_ipv6_frag_hdr *)h)->frag_off);

			if (off & 0xfff8)
				p->frag = FP_FRAG_LATER;
			else if (off & 1)
				p->frag = FP_FRAG_FIRST;
		} else {
			len = (h->hdrlen + 1) * 8;
		}
		next = h->nexthdr;
		cur = (void *)h + len;
		if (cur > end)
			return FP_PARSE_TRUNCATED; /* the header is cut: next is not its */
		/* After a later fragment's header comes payload, not headers. */
		if (p->frag == FP_FRAG_LATER)
			break;
		cur = fp_parse_rebase(data, cur);
	}
	p->l4_proto = next;
	if (p->frag != FP_FRAG_LATER && fp_ipv6_is_ext(next))
		return FP_PARSE_UNSUPPORTED; /* more extension headers than we walk */
	*l4 = cur;
	p->l4_off = cur - data;
	return FP_PARSE_OK;
}

/* fp_parse_frame: fill p from the Ethernet frame between data and end
 * (XDP, or TC's direct packet access). Returns p->status. */
static __always_inline int fp_parse_frame(void *data, void *end, struct fp_parsed *p)
{
	struct ethhdr *eth = data;
	void *l3, *l4 = 0;
	__u16 proto;
	int i, st;

	__builtin_memset(p, 0, sizeof(*p));
	/* Keep p in memory. Left to itself clang 14 splits it into a dozen
	 * scalars and stores them all again at every early return: with
	 * stages that read every field (flows, firewall) that was 8-10 ns
	 * a frame (docs/benchmarks.md). */
	asm volatile("" : : "r"(p) : "memory");
	p->len = end - data;
	if ((void *)(eth + 1) > end)
		return p->status = FP_PARSE_TRUNCATED;
	/* eth->h_proto, but struct ethhdr is packed: clang would read it a
	 * byte at a time (4 instructions for 1). */
	proto = *(const __be16 *)(data + __builtin_offsetof(struct ethhdr, h_proto));
	l3 = eth + 1;
	for (i = 0; i < FP_VLAN_MAX; i++) {
		struct fp_vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return p->status = FP_PARSE_TRUNCATED;
		p->vlan_id[i] = bpf_ntohs(vh->tci) & 0x0fff;
		p->vlans = i + 1;
		proto = vh->proto;
		l3 = vh + 1;
	}
	p->eth_proto = bpf_ntohs(proto);
	p->l3_off = l3 - data;
	if (proto == bpf_htons(ETH_P_IP))
		st = fp_parse_ipv4(p, data, l3, end, &l4);
	else if (proto == bpf_htons(ETH_P_IPV6))
		st = fp_parse_ipv6(p, data, l3, end, &l4);
	else
		return p->status = FP_PARSE_OK; /* ARP and the rest: L2 only */
	if (st != FP_PARSE_OK || p->frag == FP_FRAG_LATER)
		return p->status = st;
	return p->status = fp_parse_l4(p, fp_parse_rebase(data, l4), end);
}

/* fp_parse_port: the transport protocol and destination port of a frame
 * of the usual shape, read in place with nothing stored: Ethernet with no
 * VLAN tag; IPv4 without options and not a fragment, or IPv6 with UDP or
 * TCP as its first next header; then a whole UDP or TCP header. Returns
 * IPPROTO_UDP or IPPROTO_TCP with *dport in host order, as fp_parse_frame
 * would report them (with has_l4 set and no fragment); 0 for any other
 * shape, which only fp_parse_frame reads. */
static __always_inline int fp_parse_port(void *data, void *end, __u16 *dport)
{
	struct udphdr *uh;
	__u16 proto;
	int l4_proto;

	/* The shortest frame of that shape: Ethernet, IPv4, UDP. */
	if (data + ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) > end)
		return 0;
	proto = *(const __be16 *)(data + __builtin_offsetof(struct ethhdr, h_proto));
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + ETH_HLEN;

		/* Version 4 and IHL 5 are the first byte; MF and the offset
		 * clear. */
		if (*(const __u8 *)ip != 0x45 || (ip->frag_off & bpf_htons(0x3fff)))
			return 0;
		l4_proto = ip->protocol;
		uh = (void *)(ip + 1);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + ETH_HLEN;

		uh = (void *)(ip6 + 1);
		if ((void *)(uh + 1) > end || ip6->version != 6)
			return 0;
		l4_proto = ip6->nexthdr;
	} else {
		return 0;
	}
	if (l4_proto == IPPROTO_TCP) {
		if ((void *)uh + sizeof(struct tcphdr) > end)
			return 0;
	} else if (l4_proto != IPPROTO_UDP) {
		return 0;
	}
	*dport = bpf_ntohs(uh->dest);
	return l4_proto;
}

/* fp_parse: fp_parse_frame on an XDP frame. */
static __always_inline int fp_parse(struct xdp_md *ctx, struct fp_parsed *p)
{
	return fp_parse_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end, p);
}

#endif
