// SPDX-License-Identifier: BSD-2-Clause
/* fp_parse (bpf/parse.h), run by tests/progs/parse_probe.bpf.c on crafted
 * frames: every field of struct fp_parsed for each kind of frame, and for
 * every prefix of each frame, no field of a header the prefix cuts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <cmocka.h>
#include "bpf_test.h"
#include "pipeline_abi.h"
#include "tests/progs/parse_probe.skel.h"

#define DPORT 5353

/* A frame, what fp_parse must report for it, and where each header the
 * parser reads ends (0: none). A prefix that cuts one of them reports
 * status FP_PARSE_TRUNCATED and none of that header's fields, nor those
 * of the headers after it. */
struct frame {
	struct fp_pkt p;
	struct fp_parsed want;
	size_t vlan_end[2];
	size_t ip_end;   /* IPv4 header with options; IPv6 fixed header */
	size_t frag_end; /* IPv6 fragment header */
	size_t ext_end;  /* the IP header and the extension headers walked */
	size_t l4_end;   /* TCP, UDP or ICMP header, when the parser reads it */
};

static struct parse_probe *probe;

/* The state stays NULL: cmocka would hand it to every test in place of
 * the truncation tests' prestate. */
static int setup(void **state)
{
	*state = NULL;
	if (geteuid() != 0)
		return 0;
	probe = parse_probe__open_and_load();
	return probe ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	parse_probe__destroy(probe);
	return 0;
}

/* ---- frames ----------------------------------------------------------- */

/* eth: Ethernet and TAGS VLAN tags, 802.1ad outside, whose TCIs carry
 * priority and DEI bits that are not part of the id. */
static void eth(struct frame *f, int tags)
{
	static const uint16_t tci[2] = { 0xe000 | 100, 0x1000 | 200 };
	int i;

	memset(f, 0, sizeof(*f));
	fp_pkt_eth(&f->p);
	for (i = 0; i < tags; i++) {
		fp_pkt_vlan(&f->p, i + 1 < tags ? ETH_P_8021AD : ETH_P_8021Q, tci[i]);
		f->want.vlan_id[i] = tci[i] & 0x0fff;
		f->vlan_end[i] = f->p.len;
	}
	f->want.vlans = tags;
}

static struct iphdr *ipv4(struct frame *f, size_t optlen)
{
	struct iphdr *ip = fp_pkt_ipv4(&f->p, optlen);

	f->want.eth_proto = ETH_P_IP;
	f->want.l3_off = f->p.l3;
	f->want.ip_version = 4;
	f->want.saddr[0] = FP_TEST_SADDR4;
	f->want.daddr[0] = FP_TEST_DADDR4;
	f->ip_end = f->ext_end = f->p.len;
	return ip;
}

static void ipv4_frag(struct frame *f, struct iphdr *ip, uint16_t frag_off)
{
	ip->frag_off = htons(frag_off);
	f->want.frag = frag_off & 0x1fff ? FP_FRAG_LATER : FP_FRAG_FIRST;
}

static void ipv6(struct frame *f)
{
	struct ipv6hdr *ip6 = fp_pkt_ipv6(&f->p);

	f->want.eth_proto = ETH_P_IPV6;
	f->want.l3_off = f->p.l3;
	f->want.ip_version = 6;
	memcpy(f->want.saddr, &ip6->saddr, 16);
	memcpy(f->want.daddr, &ip6->daddr, 16);
	f->ip_end = f->ext_end = f->p.len;
}

static void ext(struct frame *f, uint8_t type, size_t len)
{
	fp_pkt_ipv6_ext(&f->p, type, len);
	f->ext_end = f->p.len;
}

static void frag6(struct frame *f, uint16_t offset, int more)
{
	fp_pkt_ipv6_frag(&f->p, offset, more);
	f->want.frag = offset ? FP_FRAG_LATER : FP_FRAG_FIRST;
	f->frag_end = f->ext_end = f->p.len;
}

/* l4: the L4 header just added, SIZE bytes long. False when the frame is
 * a later fragment, whose L4 header the parser must not look for. */
static bool l4(struct frame *f, size_t size)
{
	f->want.l4_proto = f->p.l4_proto;
	f->want.l4_off = f->p.l4;
	if (f->want.frag == FP_FRAG_LATER)
		return false;
	f->want.has_l4 = 1;
	f->l4_end = f->p.l4 + size;
	return true;
}

static void udp(struct frame *f)
{
	fp_pkt_udp(&f->p, FP_TEST_SPORT, DPORT);
	if (l4(f, sizeof(struct udphdr))) {
		f->want.sport = FP_TEST_SPORT;
		f->want.dport = DPORT;
	}
}

static void tcp(struct frame *f)
{
	struct tcphdr *th = fp_pkt_tcp(&f->p, FP_TEST_SPORT, DPORT);

	th->ack = 1;
	if (l4(f, sizeof(*th))) {
		f->want.sport = FP_TEST_SPORT;
		f->want.dport = DPORT;
		f->want.tcp_flags = 0x12; /* SYN, ACK */
	}
}

static void icmp(struct frame *f, uint8_t type, uint8_t code)
{
	fp_pkt_icmp(&f->p, type)->code = code;
	if (l4(f, sizeof(struct icmphdr))) {
		f->want.sport = type;
		f->want.dport = code;
	}
}

static void icmp6(struct frame *f, uint8_t type, uint8_t code)
{
	fp_pkt_icmp6(&f->p, type)->icmp6_code = code;
	if (l4(f, sizeof(struct icmp6hdr))) {
		f->want.sport = type;
		f->want.dport = code;
	}
}

static void finish(struct frame *f, size_t payload)
{
	fp_pkt_payload(&f->p, payload);
	fp_pkt_finish(&f->p);
	f->want.len = f->p.len;
}

/* DF set: not a fragment. */
static void frame_ipv4_udp(struct frame *f)
{
	eth(f, 0);
	ipv4(f, 0)->frag_off = htons(0x4000);
	udp(f);
	finish(f, 10);
}

static void frame_ipv4_tcp(struct frame *f)
{
	eth(f, 0);
	ipv4(f, 0);
	tcp(f);
	finish(f, 0);
}

static void frame_icmp_echo(struct frame *f)
{
	eth(f, 0);
	ipv4(f, 0);
	icmp(f, ICMP_ECHO, 0);
	finish(f, 8);
}

static void frame_icmp_port_unreachable(struct frame *f)
{
	eth(f, 0);
	ipv4(f, 0);
	icmp(f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	finish(f, 28);
}

static void frame_vlan_udp(struct frame *f)
{
	eth(f, 1);
	ipv4(f, 0);
	udp(f);
	finish(f, 4);
}

static void frame_qinq_udp(struct frame *f)
{
	eth(f, 2);
	ipv4(f, 0);
	udp(f);
	finish(f, 4);
}

static void frame_ipv4_ihl(struct frame *f, int ihl)
{
	eth(f, 0);
	ipv4(f, (ihl - 5) * 4);
	udp(f);
	finish(f, 4);
}

static void frame_ipv4_ihl15(struct frame *f)
{
	frame_ipv4_ihl(f, 15);
}

/* IHL 0..4: the header is read (20 bytes), then refused. */
static void frame_ipv4_bad_ihl(struct frame *f, int ihl)
{
	struct iphdr *ip;

	eth(f, 0);
	ip = fp_pkt_ipv4(&f->p, 0);
	fp_pkt_udp(&f->p, FP_TEST_SPORT, DPORT);
	finish(f, 4);
	ip->ihl = ihl;
	f->want.eth_proto = ETH_P_IP;
	f->want.l3_off = f->p.l3;
	f->want.status = FP_PARSE_MALFORMED;
	f->ip_end = f->p.l3 + sizeof(*ip);
}

static void frame_ipv4_ihl4(struct frame *f)
{
	frame_ipv4_bad_ihl(f, 4);
}

static void frame_ipv4_first_fragment(struct frame *f)
{
	eth(f, 0);
	ipv4_frag(f, ipv4(f, 0), 0x2000); /* MF, offset 0 */
	udp(f);
	finish(f, 16);
}

/* What follows the IPv4 header is payload bytes that happen to look like
 * a UDP header: not one. OFFSET in 8-octet units. */
static void frame_ipv4_later_fragment_at(struct frame *f, uint16_t offset)
{
	eth(f, 0);
	ipv4_frag(f, ipv4(f, 0), 0x2000 | offset);
	udp(f);
	finish(f, 16);
}

static void frame_ipv4_later_fragment(struct frame *f)
{
	frame_ipv4_later_fragment_at(f, 185);
}

static void frame_ipv6_udp(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	udp(f);
	finish(f, 10);
}

static void frame_ipv6_tcp(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	tcp(f);
	finish(f, 0);
}

static void frame_icmpv6_unreachable(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	icmp6(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH);
	finish(f, 48);
}

static void frame_ipv6_hopopts(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	ext(f, IPPROTO_HOPOPTS, 8);
	udp(f);
	finish(f, 4);
}

static void frame_ipv6_routing(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	ext(f, IPPROTO_ROUTING, 24);
	udp(f);
	finish(f, 4);
}

static void frame_ipv6_dstopts(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	ext(f, IPPROTO_DSTOPTS, 16);
	tcp(f);
	finish(f, 0);
}

static void frame_ipv6_first_fragment(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	frag6(f, 0, 1);
	udp(f);
	finish(f, 16);
}

static void frame_ipv6_later_fragment_at(struct frame *f, uint16_t offset)
{
	eth(f, 0);
	ipv6(f);
	frag6(f, offset, 1);
	udp(f);
	finish(f, 16);
}

static void frame_ipv6_later_fragment(struct frame *f)
{
	frame_ipv6_later_fragment_at(f, 100);
}

/* A later fragment of a packet whose fragmentable part starts with a
 * destination options header: what follows the fragment header is the
 * middle of the payload, here bytes that would read as a destination
 * options header of 2 KiB. */
static void frame_ipv6_later_fragment_of_dstopts(struct frame *f)
{
	uint8_t *b;

	eth(f, 0);
	ipv6(f);
	frag6(f, 100, 0);
	f->p.data[f->p.type_off] = IPPROTO_DSTOPTS;
	f->want.l4_proto = IPPROTO_DSTOPTS;
	f->want.l4_off = f->p.len;
	b = fp_pkt_put(&f->p, 16);
	b[0] = IPPROTO_DSTOPTS;
	b[1] = 255;
	finish(f, 0);
}

static void frame_ipv6_ext_chain(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	ext(f, IPPROTO_HOPOPTS, 8);
	ext(f, IPPROTO_DSTOPTS, 16);
	ext(f, IPPROTO_ROUTING, 24);
	frag6(f, 0, 1);
	udp(f);
	finish(f, 8);
}

/* FP_IPV6_EXT_MAX extension headers: the most the parser walks. */
static void frame_ipv6_six_ext(struct frame *f)
{
	eth(f, 0);
	ipv6(f);
	ext(f, IPPROTO_HOPOPTS, 8);
	ext(f, IPPROTO_DSTOPTS, 8);
	ext(f, IPPROTO_ROUTING, 16);
	frag6(f, 0, 1);
	ext(f, IPPROTO_DSTOPTS, 8);
	ext(f, IPPROTO_DSTOPTS, 8);
	udp(f);
	finish(f, 8);
}

/* One more: the parser stops before the seventh and reports its type. */
static void frame_ipv6_seven_ext(struct frame *f)
{
	int i;

	eth(f, 0);
	ipv6(f);
	ext(f, IPPROTO_HOPOPTS, 8);
	for (i = 0; i < 5; i++)
		ext(f, IPPROTO_DSTOPTS, 8);
	fp_pkt_ipv6_ext(&f->p, IPPROTO_DSTOPTS, 8);
	fp_pkt_udp(&f->p, FP_TEST_SPORT, DPORT);
	finish(f, 8);
	f->want.l4_proto = IPPROTO_DSTOPTS;
	f->want.status = FP_PARSE_UNSUPPORTED;
}

static void frame_arp(struct frame *f)
{
	eth(f, 0);
	fp_pkt_arp(&f->p);
	f->want.eth_proto = ETH_P_ARP;
	f->want.l3_off = ETH_HLEN;
	finish(f, 0);
}

/* ---- running ---------------------------------------------------------- */

static void dump(const char *what, const struct fp_parsed *p)
{
	print_error("%s: len %u status %u eth_proto %#x vlans %u (%u %u) l3_off %u "
		    "ip_version %u saddr %08x %08x %08x %08x daddr %08x %08x %08x %08x "
		    "l4_proto %u l4_off %u frag %u has_l4 %u ports (or ICMP type, code) %u > %u "
		    "tcp_flags %#x\n",
		    what, p->len, p->status, p->eth_proto, p->vlans, p->vlan_id[0],
		    p->vlan_id[1], p->l3_off, p->ip_version, ntohl(p->saddr[0]),
		    ntohl(p->saddr[1]), ntohl(p->saddr[2]), ntohl(p->saddr[3]),
		    ntohl(p->daddr[0]), ntohl(p->daddr[1]), ntohl(p->daddr[2]),
		    ntohl(p->daddr[3]), p->l4_proto, p->l4_off, p->frag, p->has_l4,
		    p->sport, p->dport, p->tcp_flags);
}

static void assert_parsed(const struct fp_parsed *want, const struct fp_parsed *got)
{
	if (!memcmp(want, got, sizeof(*want)))
		return;
	dump("want", want);
	dump("got ", got);
	fail_msg("fp_parse on %u bytes: not the fields expected", want->len);
}

/* run: parse the first LEN bytes of F, which must pass unchanged; the
 * result is poisoned first so that a stale one cannot pass. -EINVAL when
 * the kernel refuses the length. */
static int run(const struct frame *f, size_t len, struct fp_parsed *got)
{
	struct fp_run r;
	int err;

	FP_TEST_NEED_ROOT();
	memset(&probe->bss->last, 0xa5, sizeof(probe->bss->last));
	err = fp_run(bpf_program__fd(probe->progs.parse_probe), f->p.data, len, &r);
	if (err)
		return err;
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(r.size_out, len);
	assert_memory_equal(r.out, f->p.data, len);
	memcpy(got, &probe->bss->last, sizeof(*got));
	return 0;
}

/* parse: the whole of F, every field as expected. */
static void parse(const struct frame *f, struct fp_parsed *got)
{
	assert_int_equal(run(f, f->p.len, got), 0);
	assert_parsed(&f->want, got);
}

/* ---- one frame each --------------------------------------------------- */

static void test_parse_ipv4_udp_reads_ports_in_host_order(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv4_udp(&f);
	parse(&f, &got);
	assert_int_equal(got.status, FP_PARSE_OK);
	assert_int_equal(got.frag, FP_FRAG_NONE);
	assert_int_equal(got.eth_proto, ETH_P_IP);
	assert_int_equal(got.l3_off, 14);
	assert_int_equal(got.l4_off, 34);
	assert_int_equal(got.l4_proto, IPPROTO_UDP);
	assert_int_equal(got.saddr[0], htonl(0x0a000001));
	assert_int_equal(got.daddr[0], htonl(0x0a000002));
	assert_true(got.has_l4);
	assert_int_equal(got.sport, 40000);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv4_tcp_reads_ports_and_flags(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv4_tcp(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_proto, IPPROTO_TCP);
	assert_int_equal(got.sport, 40000);
	assert_int_equal(got.dport, 5353);
	assert_int_equal(got.tcp_flags, 0x12);
}

static void test_parse_icmp_echo_reads_type_and_code(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_icmp_echo(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_proto, IPPROTO_ICMP);
	assert_true(got.has_l4);
	assert_int_equal(got.sport, ICMP_ECHO); /* the type and code, where ports go */
	assert_int_equal(got.dport, 0);
}

static void test_parse_icmp_unreachable_reads_code(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_icmp_port_unreachable(&f);
	parse(&f, &got);
	assert_int_equal(got.sport, ICMP_DEST_UNREACH);
	assert_int_equal(got.dport, ICMP_PORT_UNREACH);
}

static void test_parse_vlan_reads_id_and_inner_ethertype(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_vlan_udp(&f);
	parse(&f, &got);
	assert_int_equal(got.vlans, 1);
	assert_int_equal(got.vlan_id[0], 100);
	assert_int_equal(got.vlan_id[1], 0);
	assert_int_equal(got.eth_proto, ETH_P_IP);
	assert_int_equal(got.l3_off, 18);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_qinq_reads_both_ids_and_inner_ethertype(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_qinq_udp(&f);
	assert_int_equal(f.p.data[12] << 8 | f.p.data[13], ETH_P_8021AD);
	parse(&f, &got);
	assert_int_equal(got.vlans, 2);
	assert_int_equal(got.vlan_id[0], 100);
	assert_int_equal(got.vlan_id[1], 200);
	assert_int_equal(got.eth_proto, ETH_P_IP);
	assert_int_equal(got.l3_off, 22);
	assert_int_equal(got.l4_off, 42);
}

static void test_parse_ipv4_options_move_l4_offset(void **state)
{
	struct fp_parsed got;
	struct frame f;
	int ihl;

	(void)state;
	for (ihl = 6; ihl <= 15; ihl++) {
		frame_ipv4_ihl(&f, ihl);
		parse(&f, &got);
		assert_int_equal(got.l4_off, 14 + ihl * 4);
		assert_int_equal(got.dport, 5353);
	}
}

static void test_parse_ipv4_ihl_below_5_is_malformed(void **state)
{
	struct fp_parsed got;
	struct frame f;
	int ihl;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		frame_ipv4_bad_ihl(&f, ihl);
		parse(&f, &got);
		assert_int_equal(got.status, FP_PARSE_MALFORMED);
		assert_int_equal(got.ip_version, 0);
		assert_false(got.has_l4);
	}
}

static void test_parse_ip_version_unlike_ethertype_is_malformed(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv4_udp(&f);
	((struct iphdr *)(f.p.data + f.p.l3))->version = 6;
	assert_int_equal(run(&f, f.p.len, &got), 0);
	assert_int_equal(got.status, FP_PARSE_MALFORMED);
	assert_false(got.has_l4);
	frame_ipv6_udp(&f);
	((struct ipv6hdr *)(f.p.data + f.p.l3))->version = 4;
	assert_int_equal(run(&f, f.p.len, &got), 0);
	assert_int_equal(got.status, FP_PARSE_MALFORMED);
	assert_false(got.has_l4);
}

static void test_parse_ipv4_first_fragment_reads_l4(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv4_first_fragment(&f);
	parse(&f, &got);
	assert_int_equal(got.frag, FP_FRAG_FIRST);
	assert_true(got.has_l4);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv4_later_fragment_has_no_l4(void **state)
{

	static const uint16_t offsets[] = { 1, 185, 0x1000, 0x1fff };
	struct fp_parsed got;
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		frame_ipv4_later_fragment_at(&f, offsets[i]);
		parse(&f, &got);
		assert_int_equal(got.status, FP_PARSE_OK);
		assert_int_equal(got.frag, FP_FRAG_LATER);
		assert_int_equal(got.l4_proto, IPPROTO_UDP);
		assert_false(got.has_l4);
		assert_int_equal(got.sport, 0);
		assert_int_equal(got.dport, 0);
	}
}

static void test_parse_ipv6_udp_reads_addresses_and_ports(void **state)
{
	static const uint8_t src[16] = { 0xfd, [15] = 1 }, dst[16] = { 0xfd, [15] = 2 };
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_udp(&f);
	parse(&f, &got);
	assert_int_equal(got.ip_version, 6);
	assert_int_equal(got.eth_proto, ETH_P_IPV6);
	assert_memory_equal(got.saddr, src, 16);
	assert_memory_equal(got.daddr, dst, 16);
	assert_int_equal(got.l4_off, 54);
	assert_int_equal(got.l4_proto, IPPROTO_UDP);
	assert_int_equal(got.sport, 40000);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv6_tcp_reads_ports_and_flags(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_tcp(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_proto, IPPROTO_TCP);
	assert_int_equal(got.dport, 5353);
	assert_int_equal(got.tcp_flags, 0x12);
}

static void test_parse_icmpv6_reads_type_and_code(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_icmpv6_unreachable(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_proto, IPPROTO_ICMPV6);
	assert_int_equal(got.sport, ICMPV6_DEST_UNREACH);
	assert_int_equal(got.dport, ICMPV6_PORT_UNREACH);
}

static void test_parse_ipv6_hopopts_is_skipped(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_hopopts(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_off, 54 + 8);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv6_routing_is_skipped(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_routing(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_off, 54 + 24);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv6_dstopts_is_skipped(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_dstopts(&f);
	parse(&f, &got);
	assert_int_equal(got.l4_off, 54 + 16);
	assert_int_equal(got.tcp_flags, 0x12);
}

static void test_parse_ipv6_first_fragment_reads_l4(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_first_fragment(&f);
	parse(&f, &got);
	assert_int_equal(got.frag, FP_FRAG_FIRST);
	assert_int_equal(got.l4_off, 54 + 8);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv6_later_fragment_has_no_l4(void **state)
{
	static const uint16_t offsets[] = { 1, 100, 0x1000, 0x1fff };
	struct fp_parsed got;
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		frame_ipv6_later_fragment_at(&f, offsets[i]);
		parse(&f, &got);
		assert_int_equal(got.frag, FP_FRAG_LATER);
		assert_int_equal(got.l4_proto, IPPROTO_UDP);
		assert_false(got.has_l4);
		assert_int_equal(got.dport, 0);
	}
}

static void test_parse_ipv6_later_fragment_payload_is_not_a_header(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_later_fragment_of_dstopts(&f);
	parse(&f, &got);
	assert_int_equal(got.status, FP_PARSE_OK);
	assert_int_equal(got.frag, FP_FRAG_LATER);
	assert_int_equal(got.l4_off, 54 + 8);
}

static void test_parse_ipv6_ext_chain_is_walked(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_ext_chain(&f);
	parse(&f, &got);
	assert_int_equal(got.frag, FP_FRAG_FIRST);
	assert_int_equal(got.l4_off, 54 + 8 + 16 + 24 + 8);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv6_six_ext_headers_are_walked(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_six_ext(&f);
	parse(&f, &got);
	assert_int_equal(got.status, FP_PARSE_OK);
	assert_int_equal(got.l4_off, 54 + 56);
	assert_int_equal(got.dport, 5353);
}

static void test_parse_ipv6_seven_ext_headers_are_unsupported(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_ipv6_seven_ext(&f);
	parse(&f, &got);
	assert_int_equal(got.status, FP_PARSE_UNSUPPORTED);
	assert_false(got.has_l4);
	assert_int_equal(got.dport, 0);
}

static void test_parse_arp_is_l2_only(void **state)
{
	struct fp_parsed got;
	struct frame f;

	(void)state;
	frame_arp(&f);
	parse(&f, &got);
	assert_int_equal(got.status, FP_PARSE_OK);
	assert_int_equal(got.eth_proto, ETH_P_ARP);
	assert_int_equal(got.ip_version, 0);
	assert_false(got.has_l4);
}

/* ---- every prefix of each frame --------------------------------------- */

static size_t max(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* want_prefix: what fp_parse must report for the first LEN bytes of F. */
static void want_prefix(const struct frame *f, size_t len, struct fp_parsed *w)
{
	size_t need = max(max(f->vlan_end[0], f->vlan_end[1]),
			  max(max(f->ip_end, f->frag_end), max(f->ext_end, f->l4_end)));
	int i;

	memcpy(w, &f->want, sizeof(*w));
	w->len = len;
	if (len < need)
		w->status = FP_PARSE_TRUNCATED;
	if (len < f->l4_end) {
		w->has_l4 = w->tcp_flags = 0;
		w->sport = w->dport = 0;
	}
	if (len < f->ext_end)
		w->l4_proto = w->l4_off = 0;
	if (len < f->frag_end)
		w->frag = FP_FRAG_NONE;
	if (len < f->ip_end) {
		w->ip_version = w->frag = 0;
		memset(w->saddr, 0, sizeof(w->saddr));
		memset(w->daddr, 0, sizeof(w->daddr));
	}
	for (i = 1; i >= 0; i--) {
		if (len < f->vlan_end[i]) {
			w->vlans = i;
			w->vlan_id[i] = 0;
			w->eth_proto = w->l3_off = 0;
		}
	}
	if (len < ETH_HLEN) {
		memset(w, 0, sizeof(*w));
		w->len = len;
		w->status = FP_PARSE_TRUNCATED;
	}
}

/* The prestate is the frame's builder. Lengths under ETH_HLEN are tried
 * too, in case the kernel stops refusing them. */
static void test_truncated(void **state)
{
	void (*build)(struct frame *) = *state;
	struct fp_parsed got, want;
	struct frame f;
	size_t len;
	int err;

	build(&f);
	for (len = 0; len < f.p.len; len++) {
		err = run(&f, len, &got);
		if (err == -EINVAL && len < ETH_HLEN)
			continue;
		assert_int_equal(err, 0);
		want_prefix(&f, len, &want);
		assert_parsed(&want, &got);
	}
	parse(&f, &got); /* and the whole frame parses */
}

#define T(name) cmocka_unit_test(name)
#define TRUNC(frame) { "test_parse_truncated_" #frame "_reports_no_cut_header", \
		       test_truncated, NULL, NULL, (void *)frame_##frame }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_ipv4_udp_reads_ports_in_host_order),
		T(test_parse_ipv4_tcp_reads_ports_and_flags),
		T(test_parse_icmp_echo_reads_type_and_code),
		T(test_parse_icmp_unreachable_reads_code),
		T(test_parse_vlan_reads_id_and_inner_ethertype),
		T(test_parse_qinq_reads_both_ids_and_inner_ethertype),
		T(test_parse_ipv4_options_move_l4_offset),
		T(test_parse_ipv4_ihl_below_5_is_malformed),
		T(test_parse_ip_version_unlike_ethertype_is_malformed),
		T(test_parse_ipv4_first_fragment_reads_l4),
		T(test_parse_ipv4_later_fragment_has_no_l4),
		T(test_parse_ipv6_udp_reads_addresses_and_ports),
		T(test_parse_ipv6_tcp_reads_ports_and_flags),
		T(test_parse_icmpv6_reads_type_and_code),
		T(test_parse_ipv6_hopopts_is_skipped),
		T(test_parse_ipv6_routing_is_skipped),
		T(test_parse_ipv6_dstopts_is_skipped),
		T(test_parse_ipv6_first_fragment_reads_l4),
		T(test_parse_ipv6_later_fragment_has_no_l4),
		T(test_parse_ipv6_later_fragment_payload_is_not_a_header),
		T(test_parse_ipv6_ext_chain_is_walked),
		T(test_parse_ipv6_six_ext_headers_are_walked),
		T(test_parse_ipv6_seven_ext_headers_are_unsupported),
		T(test_parse_arp_is_l2_only),
		TRUNC(ipv4_udp),
		TRUNC(ipv4_tcp),
		TRUNC(icmp_echo),
		TRUNC(vlan_udp),
		TRUNC(qinq_udp),
		TRUNC(ipv4_ihl15),
		TRUNC(ipv4_ihl4),
		TRUNC(ipv4_first_fragment),
		TRUNC(ipv4_later_fragment),
		TRUNC(ipv6_udp),
		TRUNC(ipv6_tcp),
		TRUNC(icmpv6_unreachable),
		TRUNC(ipv6_hopopts),
		TRUNC(ipv6_routing),
		TRUNC(ipv6_dstopts),
		TRUNC(ipv6_first_fragment),
		TRUNC(ipv6_later_fragment),
		TRUNC(ipv6_later_fragment_of_dstopts),
		TRUNC(ipv6_ext_chain),
		TRUNC(ipv6_six_ext),
		TRUNC(ipv6_seven_ext),
		TRUNC(arp),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
