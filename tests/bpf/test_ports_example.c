// SPDX-License-Identifier: BSD-2-Clause
/* examples/xdp_port_count.bpf.c on crafted frames: every frame passes
 * unchanged; a registered destination port counts packets and bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "bpf_test.h"
#include "examples/xdp_port_count.skel.h"

#define PORT      5353
#define OTHER     5354
#define OTHER_IP4 htonl(0x0a000003) /* 10.0.0.3 */

struct fixture {
	struct xdp_port_count *skel;
	int prog_fd, ports_fd, stats_fd, totals_fd;
};

static int setup(void **state)
{
	struct fixture *f;

	*state = NULL;
	if (geteuid() != 0)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	*state = f;
	f->skel = xdp_port_count__open();
	if (!f->skel)
		return -1;
	/* The registry maps are LIBBPF_PIN_BY_NAME: keep them private. */
	fp_test_unpin_maps(f->skel->obj);
	if (xdp_port_count__load(f->skel))
		return -1;
	f->prog_fd = bpf_program__fd(f->skel->progs.xdp_port_count);
	f->ports_fd = bpf_map__fd(f->skel->maps.fp_ports);
	f->stats_fd = bpf_map__fd(f->skel->maps.fp_port_stats);
	f->totals_fd = bpf_map__fd(f->skel->maps.totals);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		xdp_port_count__destroy(f->skel);
	free(f);
	return 0;
}

static void register_port(struct fixture *f, uint16_t port, uint32_t addr)
{
	assert_int_equal(fp_test_port_register(f->ports_fd, f->stats_fd, port, addr), 0);
}

/* run_len: the first LEN bytes of P must pass unchanged. */
static void run_len(struct fixture *f, const struct fp_pkt *p, size_t len)
{
	struct fp_run r;

	assert_int_equal(fp_run(f->prog_fd, p->data, len, &r), 0);
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(r.size_out, len);
	assert_memory_equal(r.out, p->data, len);
}

static void run(struct fixture *f, const struct fp_pkt *p)
{
	run_len(f, p, p->len);
}

static void assert_port(struct fixture *f, uint16_t port, uint64_t packets,
			uint64_t bytes)
{
	struct fp_port_stats s;

	assert_int_equal(fp_test_port_stats(f->ports_fd, f->stats_fd, port, &s), 0);
	assert_int_equal(s.packets, packets);
	assert_int_equal(s.bytes, bytes);
}

/* An unregistered port has no slot, and no slot was counted for it. */
static void assert_no_stats_entry(struct fixture *f, uint16_t port)
{
	struct fp_port_stats s;

	assert_int_equal(fp_test_port_stats(f->ports_fd, f->stats_fd, port, &s), -ENOENT);
	for (uint32_t slot = 0; slot < FP_PORT_SLOTS; slot++) {
		assert_int_equal(fp_test_stats_sum(f->stats_fd, &slot, &s), 0);
		assert_int_equal(s.packets, 0);
	}
}

static void assert_totals(struct fixture *f, uint64_t packets, uint64_t bytes)
{
	struct fp_port_stats s;
	uint32_t zero = 0;

	assert_int_equal(fp_test_stats_sum(f->totals_fd, &zero, &s), 0);
	assert_int_equal(s.packets, packets);
	assert_int_equal(s.bytes, bytes);
}

/* Ethernet, TAGS VLAN tags (802.1ad outside, 802.1Q inside), then IP. */
static void eth_tags(struct fp_pkt *p, int tags)
{
	int i;

	fp_pkt_init(p);
	fp_pkt_eth(p);
	for (i = 0; i < tags; i++)
		fp_pkt_vlan(p, i + 1 < tags ? ETH_P_8021AD : ETH_P_8021Q, 100 + i);
}

static void udp4_tagged(struct fp_pkt *p, int tags, uint16_t dport)
{
	eth_tags(p, tags);
	fp_pkt_ipv4(p, 0);
	fp_pkt_udp(p, FP_TEST_SPORT, dport);
	fp_pkt_payload(p, 18);
	fp_pkt_finish(p);
}

static void test_port_count_counts_registered_udp_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt a, b;

	register_port(f, PORT, 0);
	fp_pkt_udp4(&a, PORT, 64);
	fp_pkt_udp4(&b, PORT, 300);
	run(f, &a);
	run(f, &b);
	assert_port(f, PORT, 2, 64 + 300);
}

static void test_port_count_counts_registered_tcp_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv4(&p, 0);
	fp_pkt_tcp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
}

static void test_port_count_ignores_unregistered_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_udp4(&p, OTHER, 64);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
	assert_no_stats_entry(f, OTHER);
}

static void test_port_count_ignores_source_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv4(&p, 0);
	fp_pkt_udp(&p, PORT, OTHER);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
}

static void test_port_count_addr_entry_counts_matching_dst(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, FP_TEST_DADDR4);
	fp_pkt_udp4(&p, PORT, 64);
	run(f, &p);
	assert_port(f, PORT, 1, 64);
}

static void test_port_count_addr_entry_ignores_other_dst(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;
	struct iphdr *ip;

	register_port(f, PORT, FP_TEST_DADDR4);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	ip = fp_pkt_ipv4(&p, 0);
	ip->daddr = OTHER_IP4;
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
}

/* IPv6 has no IPv4 destination, so only "any address" entries match. */
static void test_port_count_addr_entry_ignores_ipv6(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, FP_TEST_DADDR4);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv6(&p);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
}

static void test_port_count_counts_vlan_tagged(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	udp4_tagged(&p, 1, PORT);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
}

static void test_port_count_counts_qinq_tagged(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	udp4_tagged(&p, 2, PORT);
	assert_int_equal(p.data[12], 0x88); /* 802.1ad outer tag */
	assert_int_equal(p.data[13], 0xa8);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
}

/* The parser walks at most two tags; a third leaves no IP to find. */
static void test_port_count_ignores_three_tags(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	udp4_tagged(&p, 3, PORT);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
}

static void test_port_count_counts_ipv4_with_options(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint64_t bytes = 0, n = 0;
	struct fp_pkt p;
	size_t opt;

	register_port(f, PORT, 0);
	for (opt = 4; opt <= 40; opt += 4) {
		fp_pkt_init(&p);
		fp_pkt_eth(&p);
		fp_pkt_ipv4(&p, opt);
		fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
		fp_pkt_finish(&p);
		run(f, &p);
		bytes += p.len;
		n++;
	}
	assert_port(f, PORT, n, bytes);
}

/* IHL 5 with the port read at the options' offset would count OTHER. */
static void test_port_count_reads_port_after_options(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;
	uint16_t *fake;

	register_port(f, PORT, 0);
	register_port(f, OTHER, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv4(&p, 8);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fake = (uint16_t *)(p.data + p.l3 + 20); /* where an IHL 5 UDP header lies */
	fake[1] = htons(OTHER);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
	assert_port(f, OTHER, 0, 0);
}

/* With IHL 0..4 the "UDP header" would lie inside the IPv4 header; the
 * ports found there are registered, and still nothing counts. */
static void test_port_count_ignores_ihl_below_5(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint16_t bogus[5];
	struct fp_pkt p;
	struct iphdr *ip;
	uint8_t *dest;
	int ihl, err;

	for (ihl = 0; ihl < 5; ihl++) {
		fp_pkt_init(&p);
		fp_pkt_eth(&p);
		ip = fp_pkt_ipv4(&p, 0);
		fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
		fp_pkt_finish(&p);
		ip->ihl = ihl;
		dest = p.data + p.l3 + ihl * 4 + offsetof(struct udphdr, dest);
		bogus[ihl] = dest[0] << 8 | dest[1];
		err = fp_test_port_register(f->ports_fd, f->stats_fd, bogus[ihl], 0);
		assert_true(err == 0 || err == -EEXIST);
		run(f, &p);
	}
	for (ihl = 0; ihl < 5; ihl++)
		assert_port(f, bogus[ihl], 0, 0);
}

static void test_port_count_counts_ipv6_udp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv6(&p);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&p, 10);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
}

static void test_port_count_counts_ipv6_tcp(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv6(&p);
	fp_pkt_tcp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
}

static void test_port_count_counts_first_fragment(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;
	struct iphdr *ip;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	ip = fp_pkt_ipv4(&p, 0);
	ip->frag_off = htons(0x2000); /* MF, offset 0 */
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&p, 16);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 1, p.len);
}

/* A later fragment's payload may look like a UDP header to PORT: it is
 * not one. */
static void test_port_count_ignores_later_fragment(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	static const uint16_t offsets[] = { 1, 185, 0x1fff };
	struct fp_pkt p;
	struct iphdr *ip;
	size_t i;

	register_port(f, PORT, 0);
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		fp_pkt_init(&p);
		fp_pkt_eth(&p);
		ip = fp_pkt_ipv4(&p, 0);
		ip->frag_off = htons(offsets[i]);
		fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
		fp_pkt_finish(&p);
		run(f, &p);
	}
	assert_port(f, PORT, 0, 0);
}

static void test_port_count_passes_arp_uncounted(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_arp(&p);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
	assert_totals(f, 1, p.len);
}

static void test_port_count_passes_icmp_uncounted(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv4(&p, 0);
	fp_pkt_icmp(&p, ICMP_ECHO);
	fp_pkt_finish(&p);
	run(f, &p);
	assert_port(f, PORT, 0, 0);
}

static void test_port_count_totals_count_every_frame(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt reg, unreg, arp;

	register_port(f, PORT, 0);
	fp_pkt_udp4(&reg, PORT, 64);
	fp_pkt_udp4(&unreg, OTHER, 100);
	fp_pkt_init(&arp);
	fp_pkt_eth(&arp);
	fp_pkt_arp(&arp);
	run(f, &reg);
	run(f, &unreg);
	run(f, &arp);
	run_len(f, &reg, ETH_HLEN);
	assert_totals(f, 4, reg.len + unreg.len + arp.len + ETH_HLEN);
}

/* Every prefix of P shorter than its last header passes unchanged and
 * counts nothing for the port, only in totals. Prefixes shorter than
 * ETH_HLEN are run too, in case the kernel stops refusing them. */
static void check_truncations(struct fixture *f, const struct fp_pkt *p)
{
	uint64_t bytes = 0, n = 0;
	struct fp_run r;
	size_t len;
	int err;

	assert_int_equal(p->l4 + (p->l4_proto == IPPROTO_TCP ? 20 : 8), p->len);
	for (len = 0; len < p->len; len++) {
		if (len < ETH_HLEN) {
			err = fp_run(f->prog_fd, p->data, len, &r);
			if (err == -EINVAL)
				continue;
			assert_int_equal(err, 0);
		}
		run_len(f, p, len);
		bytes += len;
		n++;
	}
	assert_port(f, PORT, 0, 0);
	assert_totals(f, n, bytes);
	/* the whole frame does count: the prefixes were the reason */
	run(f, p);
	assert_port(f, PORT, 1, p->len);
}

static void test_port_count_truncated_udp_passes_uncounted(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	fp_pkt_udp4(&p, PORT, 42);
	check_truncations(f, &p);
}

static void test_port_count_truncated_qinq_options_udp_passes_uncounted(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	eth_tags(&p, 2);
	fp_pkt_ipv4(&p, 12);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&p);
	check_truncations(f, &p);
}

static void test_port_count_truncated_ipv6_tcp_passes_uncounted(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	register_port(f, PORT, 0);
	eth_tags(&p, 1);
	fp_pkt_ipv6(&p);
	fp_pkt_tcp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_finish(&p);
	check_truncations(f, &p);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_port_count_counts_registered_udp_port),
		T(test_port_count_counts_registered_tcp_port),
		T(test_port_count_ignores_unregistered_port),
		T(test_port_count_ignores_source_port),
		T(test_port_count_addr_entry_counts_matching_dst),
		T(test_port_count_addr_entry_ignores_other_dst),
		T(test_port_count_addr_entry_ignores_ipv6),
		T(test_port_count_counts_vlan_tagged),
		T(test_port_count_counts_qinq_tagged),
		T(test_port_count_ignores_three_tags),
		T(test_port_count_counts_ipv4_with_options),
		T(test_port_count_reads_port_after_options),
		T(test_port_count_ignores_ihl_below_5),
		T(test_port_count_counts_ipv6_udp),
		T(test_port_count_counts_ipv6_tcp),
		T(test_port_count_counts_first_fragment),
		T(test_port_count_ignores_later_fragment),
		T(test_port_count_passes_arp_uncounted),
		T(test_port_count_passes_icmp_uncounted),
		T(test_port_count_totals_count_every_frame),
		T(test_port_count_truncated_udp_passes_uncounted),
		T(test_port_count_truncated_qinq_options_udp_passes_uncounted),
		T(test_port_count_truncated_ipv6_tcp_passes_uncounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
