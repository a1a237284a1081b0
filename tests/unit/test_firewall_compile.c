// SPDX-License-Identifier: BSD-2-Clause
/* fp_firewall_compile without a kernel: the classes it computes, the
 * first-match answer its tables give (fp_fw_compiled_match, which walks
 * them as the stage does) against a linear scan of the rules, and the
 * sets it refuses because they do not fit the maps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <fastpath/firewall.h>
#include "firewall/firewall_compiled.h"

#define MAX_RULES 64

struct set {
	struct fp_firewall_config fw;
	struct fp_fw_rule r[MAX_RULES];
};

static void set_init(struct set *s, enum fp_fw_action policy)
{
	memset(s, 0, sizeof(*s));
	s->fw.policy = policy;
	s->fw.rules = s->r;
}

static void prefix(struct fp_fw_prefix *p, const char *cidr)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(p, 0, sizeof(*p));
	p->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p->family, buf, p->addr), 1);
	p->len = slash ? atoi(slash + 1) : p->family == AF_INET ? 32 : 128;
	p->present = true;
}

/* add: a rule from "key=value" words: src, dst, proto (tcp, udp, icmp,
 * icmpv6), sport, dport (N or N-M), if. */
static struct fp_fw_rule *add(struct set *s, enum fp_fw_action a, const char *spec)
{
	struct fp_fw_rule *r = &s->r[s->fw.n_rules++];
	char buf[256], *tok, *save;

	assert_true(s->fw.n_rules <= MAX_RULES);
	memset(r, 0, sizeof(*r));
	r->action = a;
	r->line = 10 + s->fw.n_rules;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *v = strchr(tok, '=');
		struct fp_fw_ports *pr = NULL;

		assert_non_null(v);
		*v++ = '\0';
		if (!strcmp(tok, "src"))
			prefix(&r->src, v);
		else if (!strcmp(tok, "dst"))
			prefix(&r->dst, v);
		else if (!strcmp(tok, "proto"))
			r->proto = !strcmp(v, "tcp") ? IPPROTO_TCP : !strcmp(v, "udp") ? IPPROTO_UDP :
				   !strcmp(v, "icmp") ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		else if (!strcmp(tok, "sport"))
			pr = &r->sport;
		else if (!strcmp(tok, "dport"))
			pr = &r->dport;
		else if (!strcmp(tok, "if"))
			snprintf(r->ifname, sizeof(r->ifname), "%s", v);
		else
			fail_msg("unknown key %s", tok);
		if (pr) {
			pr->lo = atoi(v);
			pr->hi = strchr(v, '-') ? atoi(strchr(v, '-') + 1) : pr->lo;
		}
	}
	r->family = r->src.present ? r->src.family : r->dst.present ? r->dst.family : 0;
	return r;
}

/* pkt: "src dst proto [sport dport]"; proto a name or a number. */
static struct fp_fw_packet pkt(const char *src, const char *dst, const char *proto,
			       int sport, int dport)
{
	struct fp_fw_packet p = { 0 };

	p.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p.family, src, p.src), 1);
	assert_int_equal(inet_pton(p.family, dst, p.dst), 1);
	p.proto = !strcmp(proto, "tcp") ? IPPROTO_TCP : !strcmp(proto, "udp") ? IPPROTO_UDP :
		  !strcmp(proto, "icmp") ? IPPROTO_ICMP : !strcmp(proto, "icmpv6") ?
		  IPPROTO_ICMPV6 : atoi(proto);
	p.ports = sport >= 0;
	p.sport = sport < 0 ? 0 : sport;
	p.dport = dport < 0 ? 0 : dport;
	return p;
}

static struct fp_fw_compiled *compile(const struct set *s, const char *dev)
{
	struct fp_config_error err;
	struct fp_fw_compiled *c;
	int ret = fp_firewall_compile(&s->fw, dev, &c, &err);

	if (ret)
		fail_msg("compile: %d: %s", ret, err.msg);
	return c;
}

/* ---- the reference: rules tried one by one ------------------------------- */

static bool prefix_holds(const struct fp_fw_prefix *p, int family, const uint8_t *addr)
{
	if (p->family != family)
		return false;
	for (int b = 0; b < p->len; b++) {
		int mask = 0x80 >> (b % 8);

		if ((p->addr[b / 8] & mask) != (addr[b / 8] & mask))
			return false;
	}
	return true;
}

static bool ports_hold(const struct fp_fw_ports *r, uint16_t port)
{
	return !r->lo || (port >= r->lo && port <= r->hi);
}

static bool rule_matches(const struct fp_fw_rule *r, const struct fp_fw_packet *p)
{
	bool ports = r->sport.lo || r->dport.lo;
	bool l4 = p->family && p->ports && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP);

	if (r->src.present && (!p->family || !prefix_holds(&r->src, p->family, p->src)))
		return false;
	if (r->dst.present && (!p->family || !prefix_holds(&r->dst, p->family, p->dst)))
		return false;
	if (ports)
		return l4 && (!r->proto || r->proto == p->proto) &&
		       ports_hold(&r->sport, p->sport) && ports_hold(&r->dport, p->dport);
	return !r->proto || (p->family && r->proto == p->proto);
}

static unsigned int linear(const struct fp_firewall_config *fw, const char *dev,
			   const struct fp_fw_packet *p)
{
	for (size_t i = 0; i < fw->n_rules; i++) {
		const struct fp_fw_rule *r = &fw->rules[i];

		if (r->ifname[0] && (!dev || strcmp(r->ifname, dev)))
			continue;
		if (rule_matches(r, p))
			return i + 1;
	}
	return 0;
}

static unsigned int first(const struct fp_fw_compiled *c, const struct fp_fw_packet *p)
{
	enum fp_fw_action a;
	unsigned int rule;

	fp_fw_compiled_match(c, p, &rule, &a);
	return rule;
}

static enum fp_fw_action action(const struct fp_fw_compiled *c, const struct fp_fw_packet *p)
{
	enum fp_fw_action a;
	unsigned int rule;

	fp_fw_compiled_match(c, p, &rule, &a);
	return a;
}

/* ---- classes ---------------------------------------------------------------- */

static void test_compile_empty_set_gives_the_policy(void **state)
{
	struct set s;
	struct fp_fw_compiled *c;
	struct fp_fw_packet p = pkt("10.0.0.1", "10.0.0.2", "udp", 1, 2);

	(void)state;
	set_init(&s, FP_FW_DROP);
	c = compile(&s, NULL);
	assert_int_equal(first(c, &p), 0);
	assert_int_equal(action(c, &p), FP_FW_DROP);
	fp_fw_compiled_free(c);
}

/* One field: folded into that field's table, nothing in the match table. */
static void test_compile_one_field_rules_need_no_match_entries(void **state)
{
	struct fp_fw_compile_stats st;
	struct fp_fw_compiled *c;
	struct set s;

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "src=10.0.0.0/8");
	add(&s, FP_FW_DROP, "dst=2001:db8::/32");
	add(&s, FP_FW_DROP, "proto=icmp");
	add(&s, FP_FW_DROP, "proto=tcp dport=22");
	add(&s, FP_FW_DROP, "sport=1000-2000");
	c = compile(&s, NULL);
	fp_fw_compiled_stats(c, &st);
	assert_int_equal(st.rules, 5);
	assert_int_equal(st.slots, 0);
	assert_int_equal(st.match_entries, 0);
	assert_int_equal(st.addr_classes, 2);
	fp_fw_compiled_free(c);
}

/* A prefix's class stands for every rule prefix holding it: a rule on the
 * /8 and a port needs a key for the /8 and one for each prefix inside. */
static void test_compile_nested_prefixes_expand_over_inner_classes(void **state)
{
	struct fp_fw_compile_stats st;
	struct fp_fw_compiled *c;
	struct set s;
	struct fp_fw_packet inner = pkt("10.1.2.3", "192.0.2.1", "tcp", 5, 80);
	struct fp_fw_packet outer = pkt("10.9.9.9", "192.0.2.1", "tcp", 5, 80);

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "src=10.1.2.0/24 dport=443");
	add(&s, FP_FW_DROP, "src=10.1.0.0/16 dport=443");
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 proto=tcp dport=80");
	c = compile(&s, NULL);
	fp_fw_compiled_stats(c, &st);
	assert_int_equal(st.addr_classes, 3);
	assert_int_equal(st.slots, 1);
	/* TCP and UDP for the /24; the /16 adds its own two (the /24's keys
	 * are rule 1's already: the first rule keeps a key); the /8 three. */
	assert_int_equal(st.match_entries, 2 + 2 + 3);
	assert_int_equal(first(c, &inner), 3);
	assert_int_equal(first(c, &outer), 3);
	fp_fw_compiled_free(c);
}

static void test_compile_outer_prefix_first_wins_over_inner(void **state)
{
	struct fp_fw_compiled *c;
	struct set s;
	struct fp_fw_packet in16 = pkt("10.1.5.5", "10.0.0.2", "udp", 1, 2);
	struct fp_fw_packet in8 = pkt("10.2.5.5", "10.0.0.2", "udp", 1, 2);

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "src=10.0.0.0/8");
	add(&s, FP_FW_ALLOW, "src=10.1.0.0/16");
	c = compile(&s, NULL);
	assert_int_equal(first(c, &in16), 1);
	assert_int_equal(action(c, &in16), FP_FW_DROP);
	assert_int_equal(first(c, &in8), 1);
	fp_fw_compiled_free(c);
}

static void test_compile_inner_prefix_first_wins_over_outer(void **state)
{
	struct fp_fw_compiled *c;
	struct set s;
	struct fp_fw_packet in16 = pkt("10.1.5.5", "10.0.0.2", "udp", 1, 2);
	struct fp_fw_packet in8 = pkt("10.2.5.5", "10.0.0.2", "udp", 1, 2);
	struct fp_fw_packet out = pkt("11.0.0.1", "10.0.0.2", "udp", 1, 2);

	(void)state;
	set_init(&s, FP_FW_DROP);
	add(&s, FP_FW_ALLOW, "src=10.1.0.0/16");
	add(&s, FP_FW_DROP, "src=10.0.0.0/8");
	c = compile(&s, NULL);
	assert_int_equal(first(c, &in16), 1);
	assert_int_equal(action(c, &in16), FP_FW_ALLOW);
	assert_int_equal(first(c, &in8), 2);
	assert_int_equal(first(c, &out), 0);
	fp_fw_compiled_free(c);
}

/* A port range is checked against the entry, not spread over classes:
 * overlapping ranges on the same key are one entry each. */
static void test_compile_port_ranges_cost_one_entry_each(void **state)
{
	struct fp_fw_compile_stats st;
	struct fp_fw_compiled *c;
	struct set s;
	struct fp_fw_packet a = pkt("10.0.0.1", "10.0.0.2", "tcp", 9, 1200);
	struct fp_fw_packet ab = pkt("10.0.0.1", "10.0.0.2", "tcp", 9, 1800);
	struct fp_fw_packet b = pkt("10.0.0.1", "10.0.0.2", "tcp", 9, 2500);
	struct fp_fw_packet none = pkt("10.0.0.1", "10.0.0.2", "tcp", 9, 3001);

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 proto=tcp dport=1000-2000");
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 proto=tcp dport=1500-3000");
	c = compile(&s, NULL);
	fp_fw_compiled_stats(c, &st);
	assert_int_equal(st.match_entries, 2);
	assert_int_equal(first(c, &a), 1);
	assert_int_equal(first(c, &ab), 1);
	assert_int_equal(first(c, &b), 2);
	assert_int_equal(first(c, &none), 0);
	fp_fw_compiled_free(c);
}

/* A host alone below a trie entry is one tail; a second prefix beside or
 * inside it splits the tail into nodes, and all three stay exact. */
static void test_compile_host_tails_split_when_prefixes_meet(void **state)
{
	struct fp_fw_compiled *c;
	struct set s;

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "src=10.1.2.3");
	add(&s, FP_FW_DROP, "src=10.1.2.2/31");
	add(&s, FP_FW_DROP, "src=10.1.0.0/17");
	add(&s, FP_FW_DROP, "src=2001:db8::1");
	add(&s, FP_FW_DROP, "src=2001:db8::/120");
	c = compile(&s, NULL);
	assert_int_equal(first(c, &(struct fp_fw_packet){ 0 }), 0);
	{
		struct fp_fw_packet p3 = pkt("10.1.2.3", "1.1.1.1", "udp", 1, 1);
		struct fp_fw_packet p2 = pkt("10.1.2.2", "1.1.1.1", "udp", 1, 1);
		struct fp_fw_packet p17 = pkt("10.1.99.1", "1.1.1.1", "udp", 1, 1);
		struct fp_fw_packet out = pkt("10.1.200.1", "1.1.1.1", "udp", 1, 1);
		struct fp_fw_packet h6 = pkt("2001:db8::1", "::1", "udp", 1, 1);
		struct fp_fw_packet n6 = pkt("2001:db8::ff", "::1", "udp", 1, 1);
		struct fp_fw_packet o6 = pkt("2001:db8::1:1", "::1", "udp", 1, 1);

		assert_int_equal(first(c, &p3), 1);
		assert_int_equal(first(c, &p2), 2);
		assert_int_equal(first(c, &p17), 3);
		assert_int_equal(first(c, &out), 0);
		assert_int_equal(first(c, &h6), 4);
		assert_int_equal(first(c, &n6), 5);
		assert_int_equal(first(c, &o6), 0);
	}
	fp_fw_compiled_free(c);
}

/* ---- what a packet without some fields matches ---------------------------- */

static void test_compile_later_fragment_matches_no_port_rule(void **state)
{
	struct fp_fw_compiled *c;
	struct set s;
	struct fp_fw_packet frag = pkt("10.0.0.1", "10.0.0.2", "udp", -1, -1);

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "proto=udp dport=53");
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 sport=1-65535");
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 proto=udp");
	c = compile(&s, NULL);
	assert_int_equal(first(c, &frag), 3);
	fp_fw_compiled_free(c);
}

static void test_compile_unparsed_ip_matches_only_a_rule_without_fields(void **state)
{
	struct fp_fw_packet bad = { 0 };
	struct fp_fw_compiled *c;
	struct set s;

	(void)state;
	set_init(&s, FP_FW_DROP);
	add(&s, FP_FW_ALLOW, "src=0.0.0.0/0");
	add(&s, FP_FW_ALLOW, "proto=tcp");
	c = compile(&s, NULL);
	assert_int_equal(first(c, &bad), 0);
	assert_int_equal(action(c, &bad), FP_FW_DROP);
	fp_fw_compiled_free(c);
	add(&s, FP_FW_ALLOW, "");
	c = compile(&s, NULL);
	assert_int_equal(first(c, &bad), 3);
	fp_fw_compiled_free(c);
}

/* Rule numbers stay those of the file when an interface's set skips some. */
static void test_compile_leaves_out_other_interfaces_rules(void **state)
{
	struct fp_fw_compile_stats st;
	struct fp_fw_compiled *c;
	struct set s;
	struct fp_fw_packet p = pkt("10.0.0.1", "10.0.0.2", "tcp", 1, 22);

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "proto=tcp dport=22 if=eth1");
	add(&s, FP_FW_DROP, "proto=tcp dport=22 if=eth0");
	c = compile(&s, "eth0");
	fp_fw_compiled_stats(c, &st);
	assert_int_equal(st.rules, 1);
	assert_int_equal(first(c, &p), 2);
	fp_fw_compiled_free(c);
	c = compile(&s, NULL);
	assert_int_equal(first(c, &p), 0);
	fp_fw_compiled_free(c);
}

/* fp_firewall_slots counts the slots the compile assigns: shapes of two
 * fields or more, each once, on the interface asked for (every rule
 * without one); the pipeline is built for them before the set is live. */
static void test_slots_count_what_the_compile_assigns(void **state)
{
	struct fp_fw_compiled *c;
	struct set s;

	(void)state;
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "proto=tcp");                      /* one field: none */
	add(&s, FP_FW_DROP, "src=10.0.0.0/8");
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 proto=icmp");      /* S+P */
	add(&s, FP_FW_DROP, "src=10.1.0.0/16 proto=icmp");     /* S+P again */
	add(&s, FP_FW_DROP, "src=10.0.0.0/8 proto=udp dport=53"); /* S+DPX */
	add(&s, FP_FW_DROP, "proto=udp sport=1-9 dport=53");   /* SPR+DPX */
	add(&s, FP_FW_DROP, "dst=10.0.0.1 proto=udp dport=1-9 if=eth1"); /* D+DPR, eth1 */
	assert_int_equal(fp_firewall_slots(&s.fw, "eth0"), 3);
	assert_int_equal(fp_firewall_slots(&s.fw, "eth1"), 4);
	assert_int_equal(fp_firewall_slots(&s.fw, NULL), 4);
	c = compile(&s, "eth0");
	assert_int_equal(c->meta.n_slots, 3);
	fp_fw_compiled_free(c);
	c = compile(&s, "eth1");
	assert_int_equal(c->meta.n_slots, 4);
	fp_fw_compiled_free(c);
}

/* ---- against the linear scan ------------------------------------------------- */

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Few values per field, so rules overlap, nest and repeat. */
static const char *const v4_pfx[] = {
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.1.2.2/31",
	"10.200.0.0/13", "0.0.0.0/0", "192.0.2.0/28", "10.1.128.0/17",
};
static const char *const v6_pfx[] = {
	"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::1/128", "::/0", "fd00::/8",
	"2001:db8:1::/127",
};
static const char *const v4_addr[] = {
	"10.1.2.3", "10.1.2.2", "10.1.2.9", "10.1.200.1", "10.2.0.1", "10.201.0.1",
	"192.0.2.5", "192.0.2.17", "8.8.8.8",
};
static const char *const v6_addr[] = {
	"2001:db8:1::1", "2001:db8:1::", "2001:db8:2::1", "fd00::1", "fe80::1",
};
static const int ports[] = { 22, 53, 80, 443, 1000, 1500, 2000, 2001, 3000, 65535 };

#define PICK(a) (a)[rnd() % (sizeof(a) / sizeof((a)[0]))]

static void random_rule(struct set *s)
{
	char spec[256] = "";
	bool v6 = rnd() % 3 == 0;
	int n = 0;

	if (rnd() % 2)
		n += snprintf(spec + n, sizeof(spec) - n, "src=%s ", v6 ? PICK(v6_pfx) : PICK(v4_pfx));
	if (rnd() % 3 == 0)
		n += snprintf(spec + n, sizeof(spec) - n, "dst=%s ", v6 ? PICK(v6_pfx) : PICK(v4_pfx));
	switch (rnd() % 6) {
	case 0:
		n += snprintf(spec + n, sizeof(spec) - n, "proto=%s ", v6 ? "icmpv6" : "icmp");
		break;
	case 1:
		n += snprintf(spec + n, sizeof(spec) - n, "proto=%s ", rnd() % 2 ? "tcp" : "udp");
		break;
	case 2:
	case 3: {
		int lo = PICK(ports), hi = rnd() % 2 ? lo : lo + (int)(rnd() % 2000);

		if (hi > 65535)
			hi = 65535;
		n += snprintf(spec + n, sizeof(spec) - n, "%s %s=%d-%d ",
			      rnd() % 3 ? (rnd() % 2 ? "proto=tcp" : "proto=udp") : "",
			      rnd() % 3 ? "dport" : "sport", lo, hi);
		if (rnd() % 4 == 0)
			n += snprintf(spec + n, sizeof(spec) - n, "sport=%d ", PICK(ports));
		break;
	}
	default:
		break;
	}
	if (rnd() % 8 == 0)
		n += snprintf(spec + n, sizeof(spec) - n, "if=%s ", rnd() % 2 ? "eth0" : "eth1");
	add(s, rnd() % 2 ? FP_FW_DROP : FP_FW_ALLOW, spec);
}

static struct fp_fw_packet random_packet(void)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", "icmpv6", "47" };
	bool v6 = rnd() % 3 == 0;
	struct fp_fw_packet p;
	int port_kind = rnd() % 4;

	p = pkt(v6 ? PICK(v6_addr) : PICK(v4_addr), v6 ? PICK(v6_addr) : PICK(v4_addr),
		PICK(protos), port_kind ? (rnd() % 2 ? PICK(ports) : (int)(rnd() % 65536)) : -1,
		port_kind ? (rnd() % 2 ? PICK(ports) + (int)(rnd() % 3) - 1 : (int)(rnd() % 65536))
			  : -1);
	if (rnd() % 20 == 0)
		p.family = 0;
	return p;
}

static void test_compile_agrees_with_linear_scan_on_random_sets(void **state)
{
	static const char *const devs[] = { NULL, "eth0" };

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct set s;
		int n = 1 + rnd() % MAX_RULES;

		set_init(&s, rnd() % 2 ? FP_FW_DROP : FP_FW_ALLOW);
		for (int i = 0; i < n; i++)
			random_rule(&s);
		for (int d = 0; d < 2; d++) {
			struct fp_fw_compiled *c = compile(&s, devs[d]);

			for (int k = 0; k < 300; k++) {
				struct fp_fw_packet p = random_packet();
				unsigned int want = linear(&s.fw, devs[d], &p), got = first(c, &p);

				if (want != got)
					fail_msg("round %d packet %d: rule %u, want %u", round, k,
						 got, want);
			}
			fp_fw_compiled_free(c);
		}
	}
}

/* ---- sets that do not fit ------------------------------------------------------- */

/* 1,100 source and 1,100 destination /24s of two-field rules inside the
 * /8s of a last rule on both: 1,101 x 1,101 key classes, past the match
 * table. */
static void test_compile_refuses_rule_expanding_past_match_table(void **state)
{
	struct fp_firewall_config fw = { .policy = FP_FW_ALLOW };
	struct fp_config_error err;
	struct fp_fw_compiled *c = (void *)1;
	struct fp_fw_rule *r;
	size_t n = 2201;

	(void)state;
	fw.rules = r = calloc(n, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		struct fp_fw_prefix *p = i < 1100 ? &r[i].src : &r[i].dst;

		r[i].action = FP_FW_DROP;
		r[i].line = 3 + i;
		r[i].family = AF_INET;
		r[i].proto = IPPROTO_UDP;
		r[i].dport.lo = r[i].dport.hi = 53;
		p->present = true;
		p->family = AF_INET;
		p->len = 24;
		p->addr[0] = i < 1100 ? 10 : 20;
		p->addr[1] = (i % 1100) / 256;
		p->addr[2] = (i % 1100) % 256;
	}
	memset(&r[n - 1], 0, sizeof(r[n - 1]));
	r[n - 1].line = 3 + n - 1;
	prefix(&r[n - 1].src, "10.0.0.0/8");
	prefix(&r[n - 1].dst, "20.0.0.0/8");
	fw.n_rules = n;
	assert_int_equal(fp_firewall_compile(&fw, NULL, &c, &err), -E2BIG);
	assert_null(c);
	assert_string_equal(err.msg, "does not fit the maps: rule 2201 at line 2203 expands to "
			    "1212201 entries (limit 262144, 2200 taken by the rules before it)");
	assert_int_equal(fp_firewall_check(&fw, &err), -E2BIG);
	free(r);
}

/* IPv6 host pairs that differ in their last bit cannot be tails: each pair
 * needs a node per 4 bits below its /16. */
static void test_compile_refuses_prefixes_that_overflow_the_trie(void **state)
{
	struct fp_firewall_config fw = { .policy = FP_FW_ALLOW };
	struct fp_config_error err;
	struct fp_fw_compiled *c;
	struct fp_fw_rule *r;
	size_t n = 20000;

	(void)state;
	fw.rules = r = calloc(n, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		uint32_t pair = i / 2;

		r[i].action = FP_FW_DROP;
		r[i].line = 1 + i;
		r[i].family = AF_INET6;
		r[i].src.present = true;
		r[i].src.family = AF_INET6;
		r[i].src.len = 128;
		r[i].src.addr[0] = 0x20;
		r[i].src.addr[1] = 0x01;
		memcpy(&r[i].src.addr[2], &pair, sizeof(pair));
		r[i].src.addr[15] = i % 2;
	}
	fw.n_rules = n;
	assert_int_equal(fp_firewall_compile(&fw, NULL, &c, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "does not fit the maps: rule "));
	assert_non_null(strstr(err.msg, "(its source address needs more than 262144 trie nodes)"));
	free(r);
}

/* 100,000 hosts, IPv4 and IPv6, source and destination: tails keep them
 * well inside the trie. */
static void test_compile_fits_a_hundred_thousand_hosts(void **state)
{
	struct fp_firewall_config fw = { .policy = FP_FW_ALLOW };
	struct fp_fw_compile_stats st;
	struct fp_config_error err;
	struct fp_fw_compiled *c;
	struct fp_fw_rule *r;
	size_t n = 100000;

	(void)state;
	fw.rules = r = calloc(n, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		struct fp_fw_prefix *p = i % 2 ? &r[i].dst : &r[i].src;
		bool v6 = i % 4 >= 2;
		uint32_t a = rnd();

		r[i].action = FP_FW_DROP;
		r[i].line = 1 + i;
		r[i].family = p->family = v6 ? AF_INET6 : AF_INET;
		p->present = true;
		p->len = v6 ? 128 : 32;
		memcpy(p->addr + (v6 ? 12 : 0), &a, 4);
		if (v6) {
			p->addr[0] = 0x20;
			p->addr[1] = 0x01;
			p->addr[3] = 0xb8;
		}
	}
	fw.n_rules = n;
	assert_int_equal(fp_firewall_compile(&fw, NULL, &c, &err), 0);
	fp_fw_compiled_stats(c, &st);
	assert_true(st.nodes < 262144);
	fp_fw_compiled_free(c);
	free(r);
}

/* check compiles the set of every interface a rule names, and keeps none
 * for an apply (the set differs by interface), nor the one kept before. */
static void test_check_compiles_every_named_interface(void **state)
{
	struct fp_config_error err;
	struct set s, before;

	(void)state;
	set_init(&before, FP_FW_ALLOW);
	add(&before, FP_FW_DROP, "proto=tcp dport=22");
	assert_int_equal(fp_firewall_check(&before.fw, &err), 0);
	set_init(&s, FP_FW_ALLOW);
	add(&s, FP_FW_DROP, "proto=tcp dport=22 if=eth7");
	assert_int_equal(fp_firewall_check(&s.fw, &err), 0);
	assert_null(fp_fw_kept_take(&s.fw));
	assert_null(fp_fw_kept_take(&before.fw));
}

/* ---- the set fp_firewall_check keeps for the apply after it ------------- */

/* checked: a set of two rules (the second decides port 22), checked. */
static void checked(struct set *s, enum fp_fw_action policy)
{
	struct fp_config_error err;

	set_init(s, policy);
	add(s, FP_FW_ALLOW, "src=10.1.0.0/16");
	add(s, FP_FW_DROP, "proto=tcp dport=22");
	assert_int_equal(fp_firewall_check(&s->fw, &err), 0);
}

static void test_check_keeps_the_set_for_one_apply_of_the_same_rules(void **state)
{
	struct fp_fw_packet ssh = pkt("10.2.0.1", "10.0.0.2", "tcp", 1000, 22);
	struct fp_fw_compiled *c;
	struct set s, same;

	(void)state;
	checked(&s, FP_FW_ALLOW);
	same = s;
	same.fw.rules = same.r; /* another copy of the same rules */
	c = fp_fw_kept_take(&same.fw);
	assert_non_null(c);
	assert_int_equal(first(c, &ssh), 2);
	assert_int_equal(action(c, &ssh), FP_FW_DROP);
	fp_fw_compiled_free(c);
	assert_null(fp_fw_kept_take(&s.fw)); /* taken once */
}

static void test_check_kept_set_is_not_taken_for_other_rules(void **state)
{
	struct set s;

	(void)state;
	checked(&s, FP_FW_ALLOW);
	s.r[1].dport.lo = s.r[1].dport.hi = 23;
	assert_null(fp_fw_kept_take(&s.fw));
	checked(&s, FP_FW_ALLOW);
	s.fw.policy = FP_FW_DROP;
	assert_null(fp_fw_kept_take(&s.fw));
	checked(&s, FP_FW_ALLOW);
	s.fw.n_rules = 1;
	assert_null(fp_fw_kept_take(&s.fw));
}

static void test_check_release_drops_the_kept_set(void **state)
{
	struct set s;

	(void)state;
	checked(&s, FP_FW_ALLOW);
	fp_firewall_check_release();
	assert_null(fp_fw_kept_take(&s.fw));
}

static void test_check_of_another_set_drops_the_kept_one(void **state)
{
	struct set a, b;
	struct fp_fw_compiled *c;

	(void)state;
	checked(&a, FP_FW_ALLOW);
	checked(&b, FP_FW_DROP);
	assert_null(fp_fw_kept_take(&a.fw));
	c = fp_fw_kept_take(&b.fw);
	assert_non_null(c);
	fp_fw_compiled_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_empty_set_gives_the_policy),
		cmocka_unit_test(test_compile_one_field_rules_need_no_match_entries),
		cmocka_unit_test(test_compile_nested_prefixes_expand_over_inner_classes),
		cmocka_unit_test(test_compile_outer_prefix_first_wins_over_inner),
		cmocka_unit_test(test_compile_inner_prefix_first_wins_over_outer),
		cmocka_unit_test(test_compile_port_ranges_cost_one_entry_each),
		cmocka_unit_test(test_compile_host_tails_split_when_prefixes_meet),
		cmocka_unit_test(test_compile_later_fragment_matches_no_port_rule),
		cmocka_unit_test(test_compile_unparsed_ip_matches_only_a_rule_without_fields),
		cmocka_unit_test(test_compile_leaves_out_other_interfaces_rules),
		cmocka_unit_test(test_slots_count_what_the_compile_assigns),
		cmocka_unit_test(test_compile_agrees_with_linear_scan_on_random_sets),
		cmocka_unit_test(test_compile_refuses_rule_expanding_past_match_table),
		cmocka_unit_test(test_compile_refuses_prefixes_that_overflow_the_trie),
		cmocka_unit_test(test_compile_fits_a_hundred_thousand_hosts),
		cmocka_unit_test(test_check_compiles_every_named_interface),
		cmocka_unit_test(test_check_keeps_the_set_for_one_apply_of_the_same_rules),
		cmocka_unit_test(test_check_kept_set_is_not_taken_for_other_rules),
		cmocka_unit_test(test_check_release_drops_the_kept_set),
		cmocka_unit_test(test_check_of_another_set_drops_the_kept_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
