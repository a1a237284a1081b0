/* SPDX-License-Identifier: BSD-2-Clause */
/* packets.h: crafted frames for the BPF tests and the benchmarks.
 *
 * A struct fp_pkt is written front to back. Each header function appends
 * its header and fills the type field of the header before it (EtherType,
 * IPv4 protocol, IPv6 next header); fp_pkt_finish() then sets the IP and
 * UDP lengths and every checksum. Fields a test wants to break (ihl,
 * frag_off, daddr) are changed through the returned header before finish. */
#ifndef FP_TEST_PACKETS_H
#define FP_TEST_PACKETS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define FP_PKT_MAX 1536 /* a DHCP request with options past its 1024th byte */

#define FP_TEST_SADDR4 htonl(0x0a000001) /* 10.0.0.1 */
#define FP_TEST_DADDR4 htonl(0x0a000002) /* 10.0.0.2 */
#define FP_TEST_SPORT  40000

/* The frame starts 2 bytes past an 8-byte boundary (the kernel's
 * NET_IP_ALIGN), so that the IP header after 14 bytes of Ethernet, and
 * every header after it, is 4-byte aligned as struct iphdr needs. */
struct fp_pkt {
	uint8_t align[2];
	uint8_t data[FP_PKT_MAX];
	size_t len;
	size_t type_off;  /* the last type field, filled by the next header */
	size_t l3, l4;    /* header offsets; 0 when absent */
	uint16_t l3_proto;
	uint8_t l4_proto;
};

static inline void fp_pkt_init(struct fp_pkt *p)
{
	memset(p, 0, sizeof(*p));
}

/* fp_pkt_put: N zeroed bytes at the end. A test that overflows the buffer
 * is wrong, not failing: abort. */
static inline void *fp_pkt_put(struct fp_pkt *p, size_t n)
{
	void *h = p->data + p->len;

	if (p->len + n > sizeof(p->data))
		abort();
	p->len += n;
	return h;
}

static inline void fp_pkt_set_ethertype(struct fp_pkt *p, uint16_t proto)
{
	uint16_t be = htons(proto);

	memcpy(p->data + p->type_off, &be, sizeof(be));
}

static inline struct ethhdr *fp_pkt_eth(struct fp_pkt *p)
{
	static const uint8_t dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct ethhdr *eth = fp_pkt_put(p, sizeof(*eth));

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	p->type_off = p->len - 2;
	return eth;
}

/* fp_pkt_vlan: an 802.1Q (ETH_P_8021Q) or 802.1ad (ETH_P_8021AD) tag. */
static inline void fp_pkt_vlan(struct fp_pkt *p, uint16_t tpid, uint16_t vid)
{
	uint16_t *tag;

	fp_pkt_set_ethertype(p, tpid);
	tag = fp_pkt_put(p, 4);
	tag[0] = htons(vid);
	p->type_off = p->len - 2;
}

/* fp_pkt_ipv4: a header with OPTLEN bytes of NOP options (0..40, a
 * multiple of 4). */
static inline struct iphdr *fp_pkt_ipv4(struct fp_pkt *p, size_t optlen)
{
	struct iphdr *ip;

	if (optlen > 40 || optlen % 4)
		abort();
	fp_pkt_set_ethertype(p, ETH_P_IP);
	p->l3 = p->len;
	p->l3_proto = ETH_P_IP;
	ip = fp_pkt_put(p, sizeof(*ip) + optlen);
	memset(ip + 1, 1, optlen); /* IPOPT_NOOP */
	ip->version = 4;
	ip->ihl = (sizeof(*ip) + optlen) / 4;
	ip->ttl = 64;
	ip->saddr = FP_TEST_SADDR4;
	ip->daddr = FP_TEST_DADDR4;
	p->type_off = p->l3 + offsetof(struct iphdr, protocol);
	return ip;
}

/* fp_pkt_ipv6: fd00::1 -> fd00::2. */
static inline struct ipv6hdr *fp_pkt_ipv6(struct fp_pkt *p)
{
	struct ipv6hdr *ip6;

	fp_pkt_set_ethertype(p, ETH_P_IPV6);
	p->l3 = p->len;
	p->l3_proto = ETH_P_IPV6;
	ip6 = fp_pkt_put(p, sizeof(*ip6));
	ip6->version = 6;
	ip6->hop_limit = 64;
	ip6->saddr.s6_addr[0] = ip6->daddr.s6_addr[0] = 0xfd;
	ip6->saddr.s6_addr[15] = 1;
	ip6->daddr.s6_addr[15] = 2;
	p->type_off = p->l3 + offsetof(struct ipv6hdr, nexthdr);
	return ip6;
}

/* fp_pkt_ipv6_ext: a hop-by-hop, routing or destination options header of
 * LEN bytes (8..256, a multiple of 8). Options headers hold one PadN
 * option; a routing header is type 0 with no segments left. */
static inline uint8_t *fp_pkt_ipv6_ext(struct fp_pkt *p, uint8_t type, size_t len)
{
	uint8_t *h;

	if (len < 8 || len > 256 || len % 8)
		abort();
	p->data[p->type_off] = type;
	p->type_off = p->len;
	h = fp_pkt_put(p, len);
	h[1] = len / 8 - 1;
	if (type != IPPROTO_ROUTING) {
		h[2] = 1; /* PadN */
		h[3] = len - 4;
	}
	return h;
}

/* fp_pkt_ipv6_frag: a fragment header, OFFSET in 8-octet units, MORE the
 * M flag. */
static inline uint8_t *fp_pkt_ipv6_frag(struct fp_pkt *p, uint16_t offset, int more)
{
	uint16_t off = htons(offset << 3 | !!more);
	uint32_t id = htonl(0x1234);
	uint8_t *h;

	p->data[p->type_off] = IPPROTO_FRAGMENT;
	p->type_off = p->len;
	h = fp_pkt_put(p, 8);
	memcpy(h + 2, &off, sizeof(off));
	memcpy(h + 4, &id, sizeof(id));
	return h;
}

static inline void *fp_pkt_l4(struct fp_pkt *p, uint8_t proto, size_t size)
{
	p->data[p->type_off] = proto;
	p->l4 = p->len;
	p->l4_proto = proto;
	return fp_pkt_put(p, size);
}

static inline struct udphdr *fp_pkt_udp(struct fp_pkt *p, uint16_t sport, uint16_t dport)
{
	struct udphdr *uh = fp_pkt_l4(p, IPPROTO_UDP, sizeof(*uh));

	uh->source = htons(sport);
	uh->dest = htons(dport);
	return uh;
}

static inline struct tcphdr *fp_pkt_tcp(struct fp_pkt *p, uint16_t sport, uint16_t dport)
{
	struct tcphdr *th = fp_pkt_l4(p, IPPROTO_TCP, sizeof(*th));

	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(1);
	th->doff = sizeof(*th) / 4;
	th->syn = 1;
	th->window = htons(65535);
	return th;
}

/* fp_pkt_icmp: ICMPv4, e.g. ICMP_ECHO or ICMP_ECHOREPLY. */
static inline struct icmphdr *fp_pkt_icmp(struct fp_pkt *p, uint8_t type)
{
	struct icmphdr *ic = fp_pkt_l4(p, IPPROTO_ICMP, sizeof(*ic));

	ic->type = type;
	ic->un.echo.id = htons(0x1234);
	ic->un.echo.sequence = htons(1);
	return ic;
}

/* fp_pkt_icmp6: ICMPv6, e.g. ICMPV6_ECHO_REQUEST. */
static inline struct icmp6hdr *fp_pkt_icmp6(struct fp_pkt *p, uint8_t type)
{
	struct icmp6hdr *ic = fp_pkt_l4(p, IPPROTO_ICMPV6, sizeof(*ic));

	ic->icmp6_type = type;
	ic->icmp6_identifier = htons(0x1234);
	ic->icmp6_sequence = htons(1);
	return ic;
}

static inline void fp_pkt_payload(struct fp_pkt *p, size_t n)
{
	uint8_t *b = fp_pkt_put(p, n);
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = 'a' + i % 26;
}

/* fp_pkt_arp: a who-has 10.0.0.2 from 10.0.0.1. */
static inline void fp_pkt_arp(struct fp_pkt *p)
{
	static const uint8_t req[28] = {
		0, 1, 8, 0, 6, 4, 0, 1,          /* Ethernet, IPv4, request */
		0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1,
		0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
	};

	fp_pkt_set_ethertype(p, ETH_P_ARP);
	memcpy(fp_pkt_put(p, sizeof(req)), req, sizeof(req));
}

/* fp_csum_add: one's complement sum of big-endian 16-bit words. */
static inline uint32_t fp_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/* fp_csum_fold: the checksum field's value, in network order. */
static inline uint16_t fp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static inline uint32_t fp_pkt_pseudo_sum(const struct fp_pkt *p, size_t l4len)
{
	const uint8_t *l3 = p->data + p->l3;
	uint32_t sum = p->l4_proto + (uint32_t)l4len;

	if (p->l3_proto == ETH_P_IP)
		return fp_csum_add(sum, l3 + offsetof(struct iphdr, saddr), 8);
	return fp_csum_add(sum, l3 + offsetof(struct ipv6hdr, saddr), 32);
}

/* fp_pkt_finish: IP lengths, UDP length, IPv4/TCP/UDP/ICMP/ICMPv6 checksums. */
static inline void fp_pkt_finish(struct fp_pkt *p)
{
	uint8_t *l4 = p->data + p->l4;
	size_t l4len = p->len - p->l4;
	uint16_t csum;

	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = (void *)(p->data + p->l3);

		ip->tot_len = htons(p->len - p->l3);
		ip->check = 0;
		ip->check = fp_csum_fold(fp_csum_add(0, ip, ip->ihl * 4));
	} else if (p->l3_proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)(p->data + p->l3);

		ip6->payload_len = htons(p->len - p->l3 - sizeof(*ip6));
	}
	if (!p->l4)
		return;
	switch (p->l4_proto) {
	case IPPROTO_UDP:
		((struct udphdr *)l4)->len = htons(l4len);
		((struct udphdr *)l4)->check = 0;
		csum = fp_csum_fold(fp_csum_add(fp_pkt_pseudo_sum(p, l4len), l4, l4len));
		((struct udphdr *)l4)->check = csum ? csum : 0xffff;
		break;
	case IPPROTO_TCP:
		((struct tcphdr *)l4)->check = 0;
		csum = fp_csum_fold(fp_csum_add(fp_pkt_pseudo_sum(p, l4len), l4, l4len));
		((struct tcphdr *)l4)->check = csum;
		break;
	case IPPROTO_ICMP:
		((struct icmphdr *)l4)->checksum = 0;
		((struct icmphdr *)l4)->checksum = fp_csum_fold(fp_csum_add(0, l4, l4len));
		break;
	case IPPROTO_ICMPV6:
		((struct icmp6hdr *)l4)->icmp6_cksum = 0;
		csum = fp_csum_fold(fp_csum_add(fp_pkt_pseudo_sum(p, l4len), l4, l4len));
		((struct icmp6hdr *)l4)->icmp6_cksum = csum;
		break;
	}
}

/* fp_pkt_udp4: Ethernet/IPv4/UDP to FP_TEST_DADDR4:DPORT, LEN bytes in all. */
static inline void fp_pkt_udp4(struct fp_pkt *p, uint16_t dport, size_t len)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, 0);
	fp_pkt_udp(p, FP_TEST_SPORT, dport);
	if (len < p->len)
		abort();
	fp_pkt_payload(p, len - p->len);
	fp_pkt_finish(p);
}

#endif
