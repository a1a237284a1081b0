// SPDX-License-Identifier: BSD-2-Clause
/* The firewall stage of bpf/pipeline.bpf.c on crafted frames, its maps
 * private to the test: rule sets from YAML, compiled and installed by the
 * library into the skeleton's maps. Each test checks the verdicts, the
 * bytes that come out, every rule's counters and the fp_stats rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <fastpath/firewall.h>
#include "firewall_abi.h"
#include "pipeline_fixture.h"

#define FW      FP_STAGE_BIT(FP_STAGE_FIREWALL)
#define RULES   64

struct fixture {
	struct pipeline *skel;
	struct fp_fw_maps maps;
	int prog_fd, cfg_fd, stats_fd, ports_fd, port_stats_fd;
	/* what the counters must say */
	uint64_t packets[RULES + 1], bytes[RULES + 1];
	struct fp_pipeline_stats stats;
};

/* The object the fixture loads: the one compiled for every stage, then
 * (main's second round) the one an interface running the firewall alone
 * gets. */
static uint32_t opened_for = FP_STAGES_BUILT;

/* setup_with: the fixture, PREPARE (NULL: none) sizing maps before the
 * load. */
static int setup_with(void **state, int (*prepare)(struct pipeline *skel))
{
	struct fixture *f;
	int err;

	err = fp_test_fixture(state, sizeof(*f));
	if (err <= 0)
		return err;
	f = *state;
	f->skel = fp_test_pipeline_load_for(opened_for, prepare);
	if (!f->skel)
		return -1;
	f->prog_fd = bpf_program__fd(f->skel->progs.fp_pipeline);
	f->cfg_fd = bpf_map__fd(f->skel->maps.fp_config);
	f->stats_fd = bpf_map__fd(f->skel->maps.fp_stats);
	f->ports_fd = bpf_map__fd(f->skel->maps.fp_ports);
	f->port_stats_fd = bpf_map__fd(f->skel->maps.fp_port_stats);
	f->maps = (struct fp_fw_maps){
		.gen = bpf_map__fd(f->skel->maps.fp_fw_gen),
		.table = bpf_map__fd(f->skel->maps.fp_fw_table),
		.counters = bpf_map__fd(f->skel->maps.fp_fw_counters),
		.list = bpf_map__fd(f->skel->maps.fp_fw_list),
		.live = bpf_map__fd(f->skel->maps.fp_fw_live),
	};
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

/* Counters with room for two positions: the policy and one rule. */
static int two_positions(struct pipeline *skel)
{
	return bpf_map__set_max_entries(skel->maps.fp_fw_counters, FP_FW_COUNTER(2, 0));
}

static int setup_two_positions(void **state)
{
	return setup_with(state, two_positions);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		pipeline__destroy(f->skel);
	free(f);
	return 0;
}

static void set_stages(struct fixture *f, uint32_t stages)
{
	assert_int_equal(fp_test_set_stages(f->cfg_fd, stages), 0);
}

static void parse(const char *yaml, struct fp_firewall_config *fw)
{
	struct fp_config_error err;

	if (fp_firewall_config_parse(yaml, strlen(yaml), "test.yaml", fw, &err))
		fail_msg("%s", err.msg);
}

static void install(struct fixture *f, const struct fp_firewall_config *fw)
{
	struct fp_config_error err;
	struct fp_fw_compiled *c;

	if (fp_firewall_compile(fw, "test0", &c, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(fp_firewall_install(&f->maps, c), 0);
	fp_fw_compiled_free(c);
}

/* apply: YAML's rule set live, and the firewall the only stage. */
static void apply(struct fixture *f, const char *yaml)
{
	struct fp_firewall_config fw;

	parse(yaml, &fw);
	install(f, &fw);
	fp_firewall_config_free(&fw);
	set_stages(f, FW);
}

/* ---- frames ---------------------------------------------------------------- */

static struct iphdr *ip4(struct fp_pkt *p, const char *src, const char *dst)
{
	struct iphdr *ip;

	fp_pkt_init(p);
	fp_pkt_eth(p);
	ip = fp_pkt_ipv4(p, 0);
	assert_int_equal(inet_pton(AF_INET, src, &ip->saddr), 1);
	assert_int_equal(inet_pton(AF_INET, dst, &ip->daddr), 1);
	return ip;
}

static struct ipv6hdr *ip6(struct fp_pkt *p, const char *src, const char *dst)
{
	struct ipv6hdr *ip;

	fp_pkt_init(p);
	fp_pkt_eth(p);
	ip = fp_pkt_ipv6(p);
	assert_int_equal(inet_pton(AF_INET6, src, &ip->saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, &ip->daddr), 1);
	return ip;
}

/* l4: a TCP or UDP header and 16 bytes of payload, then finish. */
static void l4(struct fp_pkt *p, int proto, uint16_t sport, uint16_t dport)
{
	if (proto == IPPROTO_TCP)
		fp_pkt_tcp(p, sport, dport);
	else
		fp_pkt_udp(p, sport, dport);
	fp_pkt_payload(p, 16);
	fp_pkt_finish(p);
}

static void udp4(struct fp_pkt *p, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport)
{
	ip4(p, src, dst);
	l4(p, IPPROTO_UDP, sport, dport);
}

static void tcp4(struct fp_pkt *p, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport)
{
	ip4(p, src, dst);
	l4(p, IPPROTO_TCP, sport, dport);
}

static void udp6(struct fp_pkt *p, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport)
{
	ip6(p, src, dst);
	l4(p, IPPROTO_UDP, sport, dport);
}

static void tcp6(struct fp_pkt *p, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport)
{
	ip6(p, src, dst);
	l4(p, IPPROTO_TCP, sport, dport);
}

/* ---- running and checking ---------------------------------------------------- */

/* run: P through the pipeline; its verdict. The firewall never writes:
 * what comes out is what went in, dropped or not. */
static uint32_t run(struct fixture *f, const struct fp_pkt *p)
{
	struct fp_run r;

	assert_int_equal(fp_run(f->prog_fd, p->data, p->len, &r), 0);
	assert_int_equal(r.size_out, p->len);
	assert_memory_equal(r.out, p->data, p->len);
	return r.retval;
}

static void count_stage(struct fixture *f, uint32_t verdict, const struct fp_pkt *p)
{
	f->stats.c[FP_STAGE_FIREWALL][verdict].packets++;
	f->stats.c[FP_STAGE_FIREWALL][verdict].bytes += p->len;
	f->stats.c[FP_STAGE_PIPELINE][verdict].packets++;
	f->stats.c[FP_STAGE_PIPELINE][verdict].bytes += p->len;
}

/* expect: P gets VERDICT from rule RULE (0: the policy), and is counted. */
static void expect(struct fixture *f, const struct fp_pkt *p, uint32_t verdict,
		   unsigned int rule)
{
	uint32_t got = run(f, p);

	if (got != verdict)
		fail_msg("verdict %u, want %u (rule %u)", got, verdict, rule);
	f->packets[rule]++;
	f->bytes[rule] += p->len;
	count_stage(f, verdict, p);
}

/* expect_unmatched: P passes without meeting a rule (non-IP). */
static void expect_unmatched(struct fixture *f, const struct fp_pkt *p)
{
	assert_int_equal(run(f, p), XDP_PASS);
	count_stage(f, XDP_PASS, p);
}

/* check: every rule's counters and the policy's, and fp_stats, are what
 * the expects said. */
static void check(struct fixture *f)
{
	struct fp_pipeline_stats sum;
	struct fp_fw_listing l;
	int s, v;

	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), 0);
	if (l.policy_packets != f->packets[0] || l.policy_bytes != f->bytes[0])
		fail_msg("policy: %llu packets %llu bytes, want %llu, %llu",
			 (unsigned long long)l.policy_packets, (unsigned long long)l.policy_bytes,
			 (unsigned long long)f->packets[0], (unsigned long long)f->bytes[0]);
	for (size_t i = 0; i < l.n; i++) {
		unsigned int r = l.rules[i].index;

		assert_true(r <= RULES);
		if (l.rules[i].packets != f->packets[r] || l.rules[i].bytes != f->bytes[r])
			fail_msg("rule %u: %llu packets %llu bytes, want %llu, %llu", r,
				 (unsigned long long)l.rules[i].packets,
				 (unsigned long long)l.rules[i].bytes,
				 (unsigned long long)f->packets[r], (unsigned long long)f->bytes[r]);
	}
	fp_fw_listing_free(&l);

	assert_int_equal(fp_test_pipeline_stats(f->stats_fd, &sum), 0);
	for (s = 0; s < FP_STAGE_MAX; s++)
		for (v = 0; v < FP_VERDICT_MAX; v++)
			if (sum.c[s][v].packets != f->stats.c[s][v].packets ||
			    sum.c[s][v].bytes != f->stats.c[s][v].bytes)
				fail_msg("stats stage %d verdict %d: %llu packets, want %llu", s, v,
					 (unsigned long long)sum.c[s][v].packets,
					 (unsigned long long)f->stats.c[s][v].packets);
}

/* ---- one field ------------------------------------------------------------- */

static void test_firewall_drops_source_cidr_ipv4(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt in, out;

	apply(f, "rules:\n  - {action: drop, source_ip: 192.168.1.0/24}\n");
	udp4(&in, "192.168.1.77", "10.0.0.2", 1000, 53);
	udp4(&out, "192.168.2.77", "10.0.0.2", 1000, 53);
	expect(f, &in, XDP_DROP, 1);
	expect(f, &out, XDP_PASS, 0);
	check(f);
}

static void test_firewall_drops_destination_cidr_ipv4(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt in, out;

	apply(f, "rules:\n  - {action: drop, dest_ip: 172.16.0.0/12}\n");
	tcp4(&in, "10.0.0.1", "172.31.255.255", 1000, 80);
	tcp4(&out, "10.0.0.1", "172.32.0.0", 1000, 80);
	expect(f, &in, XDP_DROP, 1);
	expect(f, &out, XDP_PASS, 0);
	check(f);
}

static void test_firewall_drops_source_cidr_ipv6(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt in, out, v4;

	apply(f, "rules:\n  - {action: drop, source_ip: \"2001:db8:1::/48\"}\n");
	udp6(&in, "2001:db8:1:ffff::9", "fd00::2", 1000, 53);
	udp6(&out, "2001:db8:2::9", "fd00::2", 1000, 53);
	udp4(&v4, "32.1.13.184", "10.0.0.2", 1000, 53); /* 2001:0db8 as IPv4 */
	expect(f, &in, XDP_DROP, 1);
	expect(f, &out, XDP_PASS, 0);
	expect(f, &v4, XDP_PASS, 0);
	check(f);
}

static void test_firewall_drops_destination_cidr_ipv6(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt in, out;

	apply(f, "rules:\n  - {action: drop, dest_ip: \"fd00::/8\"}\n");
	tcp6(&in, "2001:db8::1", "fdff::1", 1000, 22);
	tcp6(&out, "2001:db8::1", "fe00::1", 1000, 22);
	expect(f, &in, XDP_DROP, 1);
	expect(f, &out, XDP_PASS, 0);
	check(f);
}

static void test_firewall_matches_protocol(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt t, u;

	apply(f, "rules:\n  - {action: drop, protocol: tcp}\n");
	tcp4(&t, "10.0.0.1", "10.0.0.2", 1000, 80);
	udp4(&u, "10.0.0.1", "10.0.0.2", 1000, 80);
	expect(f, &t, XDP_DROP, 1);
	expect(f, &u, XDP_PASS, 0);
	check(f);
}

static void test_firewall_drops_destination_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt hit, other_port, other_proto;

	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 53}\n");
	udp4(&hit, "10.0.0.1", "10.0.0.2", 40000, 53);
	udp4(&other_port, "10.0.0.1", "10.0.0.2", 40000, 54);
	tcp4(&other_proto, "10.0.0.1", "10.0.0.2", 40000, 53);
	expect(f, &hit, XDP_DROP, 1);
	expect(f, &other_port, XDP_PASS, 0);
	expect(f, &other_proto, XDP_PASS, 0);
	check(f);
}

/* Without a protocol, ports mean TCP or UDP. */
static void test_firewall_drops_destination_port_range_edges(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n  - {action: drop, port: 1000-2000}\n");
	udp4(&p, "10.0.0.1", "10.0.0.2", 5, 999);
	expect(f, &p, XDP_PASS, 0);
	udp4(&p, "10.0.0.1", "10.0.0.2", 5, 1000);
	expect(f, &p, XDP_DROP, 1);
	tcp4(&p, "10.0.0.1", "10.0.0.2", 5, 2000);
	expect(f, &p, XDP_DROP, 1);
	tcp4(&p, "10.0.0.1", "10.0.0.2", 5, 2001);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

static void test_firewall_drops_source_port_and_range(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n"
		 "  - {action: drop, protocol: udp, source_port: 53}\n"
		 "  - {action: drop, protocol: tcp, source_port: 6000-6010}\n");
	udp4(&p, "10.0.0.1", "10.0.0.2", 53, 40000);
	expect(f, &p, XDP_DROP, 1);
	udp4(&p, "10.0.0.1", "10.0.0.2", 6005, 40000);
	expect(f, &p, XDP_PASS, 0);
	tcp4(&p, "10.0.0.1", "10.0.0.2", 6010, 40000);
	expect(f, &p, XDP_DROP, 2);
	tcp4(&p, "10.0.0.1", "10.0.0.2", 6011, 40000);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

/* ---- fields together, order --------------------------------------------------- */

/* Every field of the rule must hold; any one alone is not enough. */
static void test_firewall_rule_needs_every_field(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n  - {action: drop, source_ip: 10.1.0.0/16, dest_ip: 10.2.0.0/16,"
		 " protocol: tcp, source_port: 1000-1999, port: 443}\n");
	tcp4(&p, "10.1.0.1", "10.2.0.1", 1500, 443);
	expect(f, &p, XDP_DROP, 1);
	tcp4(&p, "10.9.0.1", "10.2.0.1", 1500, 443);
	expect(f, &p, XDP_PASS, 0);
	tcp4(&p, "10.1.0.1", "10.9.0.1", 1500, 443);
	expect(f, &p, XDP_PASS, 0);
	udp4(&p, "10.1.0.1", "10.2.0.1", 1500, 443);
	expect(f, &p, XDP_PASS, 0);
	tcp4(&p, "10.1.0.1", "10.2.0.1", 2000, 443);
	expect(f, &p, XDP_PASS, 0);
	tcp4(&p, "10.1.0.1", "10.2.0.1", 1500, 444);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

static void test_firewall_outer_prefix_before_inner_wins(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n"
		 "  - {action: drop, source_ip: 10.0.0.0/8}\n"
		 "  - {action: allow, source_ip: 10.1.0.0/16}\n");
	udp4(&p, "10.1.2.3", "192.0.2.1", 1, 2);
	expect(f, &p, XDP_DROP, 1);
	udp4(&p, "10.3.2.3", "192.0.2.1", 1, 2);
	expect(f, &p, XDP_DROP, 1);
	check(f);
}

static void test_firewall_inner_prefix_before_outer_wins(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "policy: drop\n"
		 "rules:\n"
		 "  - {action: allow, source_ip: 10.1.0.0/16}\n"
		 "  - {action: drop, source_ip: 10.0.0.0/8}\n"
		 "  - {action: allow, protocol: udp}\n");
	udp4(&p, "10.1.2.3", "192.0.2.1", 1, 2);
	expect(f, &p, XDP_PASS, 1);
	udp4(&p, "10.3.2.3", "192.0.2.1", 1, 2);
	expect(f, &p, XDP_DROP, 2);
	udp4(&p, "11.3.2.3", "192.0.2.1", 1, 2);
	expect(f, &p, XDP_PASS, 3);
	check(f);
}

/* Two-field rules overlapping in both fields: the first holds. */
static void test_firewall_first_of_overlapping_combined_rules_wins(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n"
		 "  - {action: allow, source_ip: 10.1.0.0/16, port: 80}\n"
		 "  - {action: drop, source_ip: 10.0.0.0/8, port: 1-1024}\n"
		 "  - {action: drop, dest_ip: 192.0.2.0/24, protocol: tcp}\n");
	tcp4(&p, "10.1.0.1", "192.0.2.1", 9, 80);
	expect(f, &p, XDP_PASS, 1);
	tcp4(&p, "10.1.0.1", "192.0.2.1", 9, 81);
	expect(f, &p, XDP_DROP, 2);
	tcp4(&p, "11.1.0.1", "192.0.2.1", 9, 80);
	expect(f, &p, XDP_DROP, 3);
	check(f);
}

static void test_firewall_policy_drop_drops_unmatched(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt ok, other;

	apply(f, "policy: drop\nrules:\n  - {action: allow, protocol: tcp, port: 22}\n");
	tcp4(&ok, "10.0.0.1", "10.0.0.2", 40000, 22);
	tcp4(&other, "10.0.0.1", "10.0.0.2", 40000, 23);
	expect(f, &ok, XDP_PASS, 1);
	expect(f, &other, XDP_DROP, 0);
	expect(f, &other, XDP_DROP, 0);
	check(f);
}

static void test_firewall_policy_allow_passes_unmatched(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "policy: allow\nrules: []\n");
	udp6(&p, "2001:db8::1", "2001:db8::2", 1, 2);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

/* /0 is every address of its family, not of the other. */
static void test_firewall_zero_prefix_matches_its_family_only(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt v4, v6;

	apply(f, "rules:\n  - {action: drop, source_ip: 0.0.0.0/0}\n");
	udp4(&v4, "203.0.113.9", "10.0.0.2", 1, 2);
	udp6(&v6, "2001:db8::1", "2001:db8::2", 1, 2);
	expect(f, &v4, XDP_DROP, 1);
	expect(f, &v6, XDP_PASS, 0);
	check(f);
}

static void test_firewall_host_prefixes_match_one_address(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n"
		 "  - {action: drop, source_ip: 198.51.100.7/32}\n"
		 "  - {action: drop, source_ip: \"2001:db8::7/128\"}\n");
	udp4(&p, "198.51.100.7", "10.0.0.2", 1, 2);
	expect(f, &p, XDP_DROP, 1);
	udp4(&p, "198.51.100.6", "10.0.0.2", 1, 2);
	expect(f, &p, XDP_PASS, 0);
	udp6(&p, "2001:db8::7", "fd00::2", 1, 2);
	expect(f, &p, XDP_DROP, 2);
	udp6(&p, "2001:db8::6", "fd00::2", 1, 2);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

/* ---- framing ------------------------------------------------------------------ */

static void test_firewall_reads_ports_past_ipv4_options(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;
	struct iphdr *ip;

	apply(f, "rules:\n  - {action: drop, source_ip: 10.0.0.0/8, protocol: udp, port: 53}\n");
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	ip = fp_pkt_ipv4(&p, 40);
	ip->saddr = htonl(0x0a000005);
	l4(&p, IPPROTO_UDP, 40000, 53);
	expect(f, &p, XDP_DROP, 1);
	check(f);
}

static void test_firewall_matches_vlan_tagged_frames(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt one, two;

	apply(f, "rules:\n  - {action: drop, dest_ip: 10.0.0.2/32, protocol: tcp, port: 80}\n");
	fp_pkt_init(&one);
	fp_pkt_eth(&one);
	fp_pkt_vlan(&one, ETH_P_8021Q, 100);
	fp_pkt_ipv4(&one, 0);
	l4(&one, IPPROTO_TCP, 40000, 80);
	fp_pkt_init(&two);
	fp_pkt_eth(&two);
	fp_pkt_vlan(&two, ETH_P_8021AD, 200);
	fp_pkt_vlan(&two, ETH_P_8021Q, 100);
	fp_pkt_ipv4(&two, 0);
	l4(&two, IPPROTO_TCP, 40000, 80);
	expect(f, &one, XDP_DROP, 1);
	expect(f, &two, XDP_DROP, 1);
	check(f);
}

/* frag4: an IPv4 UDP fragment; a later one carries payload, no header. */
static void frag4(struct fp_pkt *p, int later, uint16_t dport)
{
	struct iphdr *ip = ip4(p, "10.0.0.1", "10.0.0.2");

	if (later) {
		p->data[p->type_off] = IPPROTO_UDP;
		fp_pkt_payload(p, 24);
		ip->frag_off = htons(185); /* offset 1480 */
	} else {
		fp_pkt_udp(p, 40000, dport);
		fp_pkt_payload(p, 16);
		ip->frag_off = htons(0x2000); /* MF */
	}
	fp_pkt_finish(p);
}

/* frag6: the same with an IPv6 fragment header. */
static void frag6(struct fp_pkt *p, int later, uint16_t dport)
{
	ip6(p, "2001:db8::1", "2001:db8::2");
	fp_pkt_ipv6_frag(p, later ? 185 : 0, !later);
	if (later) {
		p->data[p->type_off] = IPPROTO_UDP;
		fp_pkt_payload(p, 24);
		fp_pkt_finish(p);
	} else {
		l4(p, IPPROTO_UDP, 40000, dport);
	}
}

/* A later fragment has no ports: a port rule cannot match it. */
static void test_firewall_later_fragment_skips_port_rules(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "policy: allow\nrules:\n  - {action: drop, protocol: udp, port: 53}\n");
	frag4(&p, 1, 53);
	expect(f, &p, XDP_PASS, 0);
	frag6(&p, 1, 53);
	expect(f, &p, XDP_PASS, 0);
	frag4(&p, 0, 53);
	expect(f, &p, XDP_DROP, 1);
	frag6(&p, 0, 53);
	expect(f, &p, XDP_DROP, 1);
	check(f);
}

/* Addresses and protocol are in the IP header of every fragment. */
static void test_firewall_later_fragment_matches_l3_rules(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "policy: allow\nrules:\n"
		 "  - {action: drop, dest_ip: 10.0.0.2, protocol: udp}\n"
		 "  - {action: drop, source_ip: \"2001:db8::/64\"}\n");
	frag4(&p, 1, 53);
	expect(f, &p, XDP_DROP, 1);
	frag6(&p, 1, 53);
	expect(f, &p, XDP_DROP, 2);
	check(f);
}

static void test_firewall_matches_icmp_and_icmpv6(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n"
		 "  - {action: drop, protocol: icmp}\n"
		 "  - {action: drop, protocol: icmpv6, source_ip: \"fe80::/10\"}\n");
	ip4(&p, "10.0.0.1", "10.0.0.2");
	fp_pkt_icmp(&p, ICMP_ECHO);
	fp_pkt_finish(&p);
	expect(f, &p, XDP_DROP, 1);
	ip6(&p, "fe80::1", "fe80::2");
	fp_pkt_icmp6(&p, ICMPV6_ECHO_REQUEST);
	fp_pkt_finish(&p);
	expect(f, &p, XDP_DROP, 2);
	ip6(&p, "2001:db8::1", "fe80::2");
	fp_pkt_icmp6(&p, ICMPV6_ECHO_REQUEST);
	fp_pkt_finish(&p);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

static void test_firewall_reads_ports_past_ipv6_extension_headers(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "rules:\n  - {action: drop, protocol: tcp, port: 443}\n");
	ip6(&p, "2001:db8::1", "2001:db8::2");
	fp_pkt_ipv6_ext(&p, IPPROTO_HOPOPTS, 8);
	fp_pkt_ipv6_ext(&p, IPPROTO_ROUTING, 24);
	fp_pkt_ipv6_ext(&p, IPPROTO_DSTOPTS, 16);
	l4(&p, IPPROTO_TCP, 40000, 443);
	expect(f, &p, XDP_DROP, 1);
	check(f);
}

/* ARP and other non-IP frames are outside the rules: a host under
 * policy drop still resolves its neighbours. */
static void test_firewall_passes_arp_under_policy_drop(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt a;

	apply(f, "policy: drop\nrules: []\n");
	fp_pkt_init(&a);
	fp_pkt_eth(&a);
	fp_pkt_arp(&a);
	expect_unmatched(f, &a);
	check(f);
}

/* A cut TCP header: the ports were not read, the addresses were. */
static void test_firewall_truncated_l4_matches_l3_rules_only(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "policy: allow\nrules:\n"
		 "  - {action: drop, protocol: tcp, port: 80}\n"
		 "  - {action: drop, source_ip: 10.0.0.1}\n");
	tcp4(&p, "10.0.0.1", "10.0.0.2", 40000, 80);
	p.len = p.l4 + 10;
	expect(f, &p, XDP_DROP, 2);
	check(f);
}

/* An IPv4 header cut short has no fields: only the policy applies. */
static void test_firewall_truncated_ip_header_gets_the_policy(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	apply(f, "policy: drop\nrules:\n"
		 "  - {action: allow, source_ip: 0.0.0.0/0}\n"
		 "  - {action: allow, protocol: udp}\n");
	udp4(&p, "10.0.0.1", "10.0.0.2", 1, 2);
	p.len = p.l3 + 12;
	expect(f, &p, XDP_DROP, 0);
	check(f);
}

/* ---- counters, stages, sets ------------------------------------------------------ */

static void test_firewall_counts_packets_and_bytes_per_rule(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt small, big, other;

	apply(f, "rules:\n"
		 "  - {action: allow, protocol: udp, port: 53}\n"
		 "  - {action: drop, protocol: udp}\n");
	udp4(&small, "10.0.0.1", "10.0.0.2", 1, 53);
	fp_pkt_udp4(&big, 53, 400);
	udp4(&other, "10.0.0.1", "10.0.0.2", 1, 54);
	expect(f, &small, XDP_PASS, 1);
	expect(f, &big, XDP_PASS, 1);
	expect(f, &other, XDP_DROP, 2);
	expect(f, &other, XDP_DROP, 2);
	check(f);
}

/* A drop ends the run: the ports stage never sees the frame. */
static void test_firewall_drop_ends_the_run(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_port_stats ps;
	struct fp_pkt p;

	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 5353}\n");
	set_stages(f, FW | FP_STAGE_BIT(FP_STAGE_PORTS));
	assert_int_equal(fp_test_port_register(f->ports_fd, f->port_stats_fd, 5353, 0), 0);
	fp_pkt_udp4(&p, 5353, 64);
	expect(f, &p, XDP_DROP, 1);
	assert_int_equal(fp_test_port_stats(f->ports_fd, f->port_stats_fd, 5353, &ps), 0);
	assert_int_equal(ps.packets, 0);
	check(f);
}

/* The stage on and no set installed: everything passes, nothing counted
 * but the rows. */
static void test_firewall_without_rule_set_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_fw_listing l;
	struct fp_pkt p;

	set_stages(f, FW);
	fp_pkt_udp4(&p, 53, 64);
	expect_unmatched(f, &p);
	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), -ENOENT);
}

static void test_firewall_uninstall_passes_everything(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_fw_listing l;
	struct fp_pkt p;

	apply(f, "policy: drop\nrules: []\n");
	fp_pkt_udp4(&p, 53, 64);
	assert_int_equal(run(f, &p), XDP_DROP);
	assert_int_equal(fp_firewall_uninstall(&f->maps), 0);
	assert_int_equal(run(f, &p), XDP_PASS);
	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), -ENOENT);
}

/* live_meta: the meta of the tables fp_fw_live holds, mapped (its first
 * page); *id: that map's id. */
static struct fp_fw_meta *live_meta(struct fixture *f, uint32_t *id)
{
	uint32_t zero = 0;
	void *p;
	int fd;

	assert_int_equal(bpf_map_lookup_elem(f->maps.live, &zero, id), 0);
	fd = bpf_map_get_fd_by_id(*id);
	assert_true(fd >= 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	return p;
}

/* Each install makes the other slot live: fp_fw_live holds the tables of
 * the slot fp_fw_gen names, and their meta names that generation (where
 * the stage counts). */
static void test_firewall_live_tables_are_the_installed_slot(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint32_t zero = 0, gen, id, slot_id;
	struct fp_fw_meta *meta;
	struct fp_pkt p;

	for (int i = 0; i < 2; i++) {
		apply(f, i ? "rules:\n  - {action: drop, protocol: udp, port: 54}\n"
			   : "rules:\n  - {action: drop, protocol: udp, port: 53}\n");
		assert_int_equal(bpf_map_lookup_elem(f->maps.gen, &zero, &gen), 0);
		assert_int_equal(gen, i ? 0 : 1);
		assert_int_equal(bpf_map_lookup_elem(f->maps.table, &gen, &slot_id), 0);
		meta = live_meta(f, &id);
		assert_int_equal(id, slot_id);
		assert_int_equal(meta->gen, gen);
		assert_int_equal(meta->layout, FP_FW_LAYOUT);
		munmap(meta, 4096);
	}
	fp_pkt_udp4(&p, 54, 64);
	expect(f, &p, XDP_DROP, 1);
	fp_pkt_udp4(&p, 53, 64);
	expect(f, &p, XDP_PASS, 0);
	check(f);
}

/* An install stopped between fw_live and fw_gen (kill -9): fw_gen still
 * names the old slot, the stage runs the new set. The library takes the
 * stage's: the set lists with its counts, and the next install starts
 * from it, carrying them (from fw_gen's slot it would zero the counters
 * the stage counts in). */
static void test_firewall_live_tables_name_the_generation_when_fw_gen_lags(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint32_t zero = 0, gen;
	struct fp_fw_listing l;
	struct fp_pkt p;

	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 53}\n");
	fp_pkt_udp4(&p, 53, 64);
	expect(f, &p, XDP_DROP, 1);
	assert_int_equal(bpf_map_lookup_elem(f->maps.gen, &zero, &gen), 0);
	gen ^= 1;
	assert_int_equal(bpf_map_update_elem(f->maps.gen, &zero, &gen, BPF_ANY), 0);
	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.rules[0].packets, 1);
	fp_fw_listing_free(&l);
	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 54}\n"
		 "  - {action: drop, protocol: udp, port: 53}\n");
	f->packets[2] = f->packets[1], f->bytes[2] = f->bytes[1];
	f->packets[1] = f->bytes[1] = 0;
	expect(f, &p, XDP_DROP, 2);
	check(f);
}

/* Tables of another layout (an older build's, until fastpath up installs
 * the set again) are no set to the stage: it passes what they would
 * drop, and counts nothing, rather than misread them. */
static void test_firewall_reads_no_set_of_another_layout(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_fw_meta *meta;
	struct fp_pkt p;
	uint32_t id;

	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 53}\n");
	fp_pkt_udp4(&p, 53, 64);
	expect(f, &p, XDP_DROP, 1);
	meta = live_meta(f, &id);
	meta->layout = 0;
	expect_unmatched(f, &p);
	expect_unmatched(f, &p);
	meta->layout = FP_FW_LAYOUT;
	expect(f, &p, XDP_DROP, 1);
	munmap(meta, 4096);
	check(f);
}

/* A set with more positions than fp_fw_counters has room for is refused
 * (the library makes the counters again, larger, first: firewall.c) and
 * the live set goes on dropping and counting; one that fits replaces it. */
static void test_firewall_refuses_a_set_its_counters_cannot_hold(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_firewall_config fw;
	struct fp_config_error err;
	struct fp_fw_compiled *c;
	struct fp_pkt p;

	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 53}\n");
	parse("rules:\n  - {action: drop, protocol: udp, port: 53}\n"
	      "  - {action: drop, protocol: udp, port: 54}\n", &fw);
	if (fp_firewall_compile(&fw, "test0", &c, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(fp_firewall_install(&f->maps, c), -ENOSPC);
	fp_fw_compiled_free(c);
	fp_firewall_config_free(&fw);
	fp_pkt_udp4(&p, 53, 64);
	expect(f, &p, XDP_DROP, 1);
	fp_pkt_udp4(&p, 54, 64);
	expect(f, &p, XDP_PASS, 0);
	check(f);
	apply(f, "rules:\n  - {action: drop, protocol: udp, port: 54}\n");
	assert_int_equal(run(f, &p), XDP_DROP);
}

/* Rule 1 moves to position 2 unchanged and keeps its counts; rule 2
 * changes its action and starts again; the new rule starts at zero; the
 * policy, unchanged, keeps its own. */
static void test_firewall_replace_keeps_counters_of_unchanged_rules(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt dns, web, other;
	struct fp_fw_listing l;

	apply(f, "rules:\n"
		 "  - {action: allow, protocol: udp, port: 53}\n"
		 "  - {action: drop, protocol: tcp, port: 80}\n");
	udp4(&dns, "10.0.0.1", "10.0.0.2", 1, 53);
	tcp4(&web, "10.0.0.1", "10.0.0.2", 1, 80);
	udp4(&other, "10.0.0.1", "10.0.0.2", 1, 99);
	expect(f, &dns, XDP_PASS, 1);
	expect(f, &dns, XDP_PASS, 1);
	expect(f, &web, XDP_DROP, 2);
	expect(f, &other, XDP_PASS, 0);
	apply(f, "rules:\n"
		 "  - {action: drop, protocol: udp, port: 99}\n"
		 "  - {action: allow, protocol: udp, port: 53}\n"
		 "  - {action: allow, protocol: tcp, port: 80}\n");
	expect(f, &web, XDP_PASS, 3);
	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.rules[0].packets, 0);
	assert_int_equal(l.rules[1].index, 2);
	assert_int_equal(l.rules[1].packets, 2);
	assert_int_equal(l.rules[1].bytes, 2 * dns.len);
	assert_int_equal(l.rules[2].packets, 1);
	assert_int_equal(l.policy_packets, 1);
	assert_int_equal(l.rules[1].rule.line, 3);
	fp_fw_listing_free(&l);
}

/* The listing gives each rule back as it was written. */
static void test_firewall_lists_rules_as_applied(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	const struct fp_fw_rule *r;
	struct fp_fw_listing l;

	apply(f, "policy: drop\nrules:\n"
		 "  - {action: allow, source_ip: \"2001:db8::/32\", protocol: tcp,"
		 " source_port: 1000-2000, port: 443, interface: test0}\n");
	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), 0);
	assert_int_equal(l.policy, FP_FW_DROP);
	assert_int_equal(l.n, 1);
	r = &l.rules[0].rule;
	assert_int_equal(l.rules[0].index, 1);
	assert_int_equal(r->action, FP_FW_ALLOW);
	assert_true(r->src.present);
	assert_false(r->dst.present);
	assert_int_equal(r->family, AF_INET6);
	assert_int_equal(r->src.len, 32);
	assert_int_equal(r->src.addr[1], 0x01);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->sport.lo, 1000);
	assert_int_equal(r->sport.hi, 2000);
	assert_int_equal(r->dport.lo, 443);
	assert_string_equal(r->ifname, "test0");
	assert_int_equal(r->line, 3);
	fp_fw_listing_free(&l);
}

/* ---- atomic replace ----------------------------------------------------------------- */

/* Sets A and B both drop frame F, each by a rule of a different shape at
 * a different position, behind different fillers (all allow, none
 * matching F or G); G matches nothing in either. A packet that mixed one
 * set's tables with the other's would look its classes up in the wrong
 * trie, values or match table and fall to the policy (allow) or to an
 * allow filler: F would pass. */
#define FILLERS_A 3000
#define FILLERS_B 1700

static void filler_set(struct fp_firewall_config *fw, int fillers, bool a)
{
	struct fp_config_error err;
	size_t cap = 64 * (size_t)fillers + 256, n = 0;
	char *y = malloc(cap);

	assert_non_null(y);
	n += snprintf(y + n, cap - n, "policy: allow\nrules:\n");
	for (int i = 0; i < fillers; i++) {
		int b = i % 250, c = i / 250;

		switch (i % 3) {
		case 0:
			n += snprintf(y + n, cap - n, "  - {action: allow, source_ip: 172.%d.%d.0/24,"
				      " port: %d}\n", 16 + c, b, 1024 + i);
			break;
		case 1:
			n += snprintf(y + n, cap - n, "  - {action: allow, dest_ip: 172.%d.%d.%d,"
				      " protocol: udp}\n", 16 + c, b, a ? 1 : 2);
			break;
		default:
			n += snprintf(y + n, cap - n, "  - {action: allow, protocol: tcp,"
				      " source_port: %d-%d}\n", 10000 + i, 10000 + i + (a ? 5 : 50));
			break;
		}
	}
	if (a)
		n += snprintf(y + n, cap - n, "  - {action: drop, source_ip: 10.9.9.9,"
			      " protocol: udp, port: 1000}\n");
	else
		n += snprintf(y + n, cap - n, "  - {action: drop, dest_ip: 10.0.0.0/24,"
			      " protocol: udp, source_port: 40000-40010}\n");
	assert_true(n < cap);
	if (fp_firewall_config_parse(y, n, "atomic.yaml", fw, &err))
		fail_msg("%s", err.msg);
	free(y);
}

struct flipper {
	struct fixture *f;
	struct fp_fw_compiled *set[2];
	int flips;
	atomic_int done;
};

static void *flip(void *arg)
{
	struct flipper *fl = arg;

	for (int i = 0; i < fl->flips; i++)
		if (fp_firewall_install(&fl->f->maps, fl->set[i % 2]))
			break;
	atomic_store(&fl->done, 1);
	return NULL;
}

static void test_firewall_replace_is_atomic(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_firewall_config fw[2];
	struct fp_config_error err;
	struct flipper fl = { .f = f, .flips = 16 };
	unsigned long runs = 0, bad_f = 0, bad_g = 0;
	struct fp_pkt F, G;
	pthread_t t;

	filler_set(&fw[0], FILLERS_A, true);
	filler_set(&fw[1], FILLERS_B, false);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fp_firewall_compile(&fw[i], "test0", &fl.set[i], &err), 0);
		fp_firewall_config_free(&fw[i]);
	}
	assert_int_equal(fp_firewall_install(&f->maps, fl.set[1]), 0);
	set_stages(f, FW);
	udp4(&F, "10.9.9.9", "10.0.0.2", 40005, 1000);
	udp4(&G, "10.9.9.8", "10.0.1.2", 40005, 1001);
	assert_int_equal(run(f, &F), XDP_DROP);
	assert_int_equal(pthread_create(&t, NULL, flip, &fl), 0);
	while (!atomic_load(&fl.done)) {
		bad_f += run(f, &F) != XDP_DROP;
		bad_g += run(f, &G) != XDP_PASS;
		runs++;
	}
	pthread_join(t, NULL);
	fp_fw_compiled_free(fl.set[0]);
	fp_fw_compiled_free(fl.set[1]);
	print_message("%lu frame pairs over %d replaces\n", runs, fl.flips);
	assert_true(runs > 100u * fl.flips);
	assert_int_equal(bad_f, 0);
	assert_int_equal(bad_g, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- against the library's model, on random sets -------------------------- */

static uint32_t rnd_state = 2026;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

#define PICK(a) (a)[rnd() % (sizeof(a) / sizeof((a)[0]))]

/* Few values per field, so rules overlap and nest, and many shapes: the
 * sets have up to 20-odd slots, probed in any mix. */
static const char *const v4_pfx[] = { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24",
				      "10.1.2.3/32", "10.1.2.2/31", "0.0.0.0/0" };
static const char *const v6_pfx[] = { "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::1/128",
				      "::/0" };
static const char *const v4_addr[] = { "10.1.2.3", "10.1.2.2", "10.1.9.9", "10.7.0.1",
				       "8.8.8.8" };
static const char *const v6_addr[] = { "2001:db8:1::1", "2001:db8:1::2", "2001:db8:2::1",
				       "fd00::1" };
static const int ports[] = { 22, 53, 80, 443, 1000, 2000 };

static void random_prefix(struct fp_fw_prefix *p, bool v6)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", v6 ? PICK(v6_pfx) : PICK(v4_pfx));
	slash = strchr(buf, '/');
	*slash = 0;
	p->family = v6 ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p->family, buf, p->addr), 1);
	p->len = atoi(slash + 1);
	p->present = true;
}

static void random_ports(struct fp_fw_ports *r)
{
	r->lo = PICK(ports);
	r->hi = rnd() % 2 ? r->lo : r->lo + rnd() % 1500;
}

static void random_rule(struct fp_fw_rule *r, unsigned int line)
{
	bool v6 = rnd() % 3 == 0;

	memset(r, 0, sizeof(*r));
	r->action = rnd() % 2 ? FP_FW_DROP : FP_FW_ALLOW;
	r->line = line;
	if (rnd() % 2)
		random_prefix(&r->src, v6);
	if (rnd() % 3 == 0)
		random_prefix(&r->dst, v6);
	switch (rnd() % 5) {
	case 0:
		r->proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		break;
	case 1:
		r->proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		break;
	case 2:
	case 3:
		r->proto = rnd() % 3 ? (rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP) : 0;
		random_ports(rnd() % 3 ? &r->dport : &r->sport);
		if (rnd() % 4 == 0)
			random_ports(&r->sport);
		break;
	}
	r->family = r->src.present ? r->src.family : r->dst.present ? r->dst.family : 0;
}

/* random_frame: a frame into P and what the model sees of it into M. */
static void random_frame(struct fp_pkt *p, struct fp_fw_packet *m)
{
	bool v6 = rnd() % 3 == 0;
	const char *src = v6 ? PICK(v6_addr) : PICK(v4_addr);
	const char *dst = v6 ? PICK(v6_addr) : PICK(v4_addr);
	int kind = rnd() % 3;

	memset(m, 0, sizeof(*m));
	m->family = v6 ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(m->family, src, m->src), 1);
	assert_int_equal(inet_pton(m->family, dst, m->dst), 1);
	if (v6)
		ip6(p, src, dst);
	else
		ip4(p, src, dst);
	if (kind == 2) {
		m->proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		if (v6)
			fp_pkt_icmp6(p, ICMPV6_ECHO_REQUEST);
		else
			fp_pkt_icmp(p, ICMP_ECHO);
		fp_pkt_finish(p);
		return;
	}
	m->proto = kind ? IPPROTO_UDP : IPPROTO_TCP;
	m->ports = true;
	m->sport = rnd() % 2 ? PICK(ports) : (int)(rnd() % 3000);
	m->dport = rnd() % 2 ? PICK(ports) + (int)(rnd() % 3) : (int)(rnd() % 3000);
	l4(p, m->proto, m->sport, m->dport);
}

/* counts: each rule's packet counter, [0] the policy's. */
static void counts(struct fixture *f, uint64_t *n)
{
	struct fp_fw_listing l;

	memset(n, 0, sizeof(*n) * (RULES + 1));
	assert_int_equal(fp_firewall_list_maps(&f->maps, &l), 0);
	n[0] = l.policy_packets;
	for (size_t i = 0; i < l.n; i++) {
		assert_true(l.rules[i].index <= RULES);
		n[l.rules[i].index] = l.rules[i].packets;
	}
	fp_fw_listing_free(&l);
}

/* The stage decides as the library's model of it (which the unit tests
 * hold to a linear scan of the rules): the same verdict from the same
 * rule, on random sets of every shape and random frames. */
static void test_firewall_agrees_with_its_model_on_random_sets(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_fw_rule rules[RULES];

	for (int round = 0; round < 40; round++) {
		struct fp_firewall_config fw = {
			.policy = rnd() % 2 ? FP_FW_DROP : FP_FW_ALLOW,
			.rules = rules,
			.n_rules = 1 + rnd() % RULES,
		};
		uint64_t want[RULES + 1] = { 0 }, before[RULES + 1], after[RULES + 1];
		struct fp_config_error err;
		struct fp_fw_compiled *c;

		for (size_t i = 0; i < fw.n_rules; i++)
			random_rule(&rules[i], i + 3);
		if (fp_firewall_compile(&fw, "test0", &c, &err))
			fail_msg("round %d: %s", round, err.msg);
		assert_int_equal(fp_firewall_install(&f->maps, c), 0);
		set_stages(f, FW);
		counts(f, before);
		for (int k = 0; k < 200; k++) {
			struct fp_fw_packet m;
			enum fp_fw_action a;
			unsigned int rule;
			struct fp_pkt p;
			uint32_t got;

			random_frame(&p, &m);
			fp_fw_compiled_match(c, &m, &rule, &a);
			got = run(f, &p);
			if (got != (a == FP_FW_DROP ? XDP_DROP : XDP_PASS))
				fail_msg("round %d frame %d: verdict %u, the model's rule %u", round,
					 k, got, rule);
			want[rule]++;
		}
		counts(f, after);
		for (int r = 0; r <= RULES; r++)
			if (after[r] - before[r] != want[r])
				fail_msg("round %d: rule %d met %llu frames, the model %llu", round, r,
					 (unsigned long long)(after[r] - before[r]),
					 (unsigned long long)want[r]);
		fp_fw_compiled_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_firewall_drops_source_cidr_ipv4),
		T(test_firewall_drops_destination_cidr_ipv4),
		T(test_firewall_drops_source_cidr_ipv6),
		T(test_firewall_drops_destination_cidr_ipv6),
		T(test_firewall_matches_protocol),
		T(test_firewall_drops_destination_port),
		T(test_firewall_drops_destination_port_range_edges),
		T(test_firewall_drops_source_port_and_range),
		T(test_firewall_rule_needs_every_field),
		T(test_firewall_outer_prefix_before_inner_wins),
		T(test_firewall_inner_prefix_before_outer_wins),
		T(test_firewall_first_of_overlapping_combined_rules_wins),
		T(test_firewall_policy_drop_drops_unmatched),
		T(test_firewall_policy_allow_passes_unmatched),
		T(test_firewall_zero_prefix_matches_its_family_only),
		T(test_firewall_host_prefixes_match_one_address),
		T(test_firewall_reads_ports_past_ipv4_options),
		T(test_firewall_matches_vlan_tagged_frames),
		T(test_firewall_later_fragment_skips_port_rules),
		T(test_firewall_later_fragment_matches_l3_rules),
		T(test_firewall_matches_icmp_and_icmpv6),
		T(test_firewall_reads_ports_past_ipv6_extension_headers),
		T(test_firewall_passes_arp_under_policy_drop),
		T(test_firewall_truncated_l4_matches_l3_rules_only),
		T(test_firewall_truncated_ip_header_gets_the_policy),
		T(test_firewall_counts_packets_and_bytes_per_rule),
		T(test_firewall_drop_ends_the_run),
		T(test_firewall_without_rule_set_passes),
		T(test_firewall_uninstall_passes_everything),
		T(test_firewall_live_tables_are_the_installed_slot),
		T(test_firewall_reads_no_set_of_another_layout),
		T(test_firewall_live_tables_name_the_generation_when_fw_gen_lags),
		T(test_firewall_replace_keeps_counters_of_unchanged_rules),
		cmocka_unit_test_setup_teardown(test_firewall_refuses_a_set_its_counters_cannot_hold,
						setup_two_positions, teardown),
		T(test_firewall_lists_rules_as_applied),
		T(test_firewall_replace_is_atomic),
		T(test_firewall_agrees_with_its_model_on_random_sets),
	};

	int failed = cmocka_run_group_tests_name("every stage's object", tests, NULL, NULL);

	opened_for = FW;
	return failed + cmocka_run_group_tests_name("the firewall's own object", tests, NULL, NULL);
}
