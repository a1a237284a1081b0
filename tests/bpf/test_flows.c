// SPDX-License-Identifier: BSD-2-Clause
/* The flows stage on crafted frames: bpf/pipeline.bpf.c with the flows
 * stage (ingress), bpf/flows_egress.bpf.c on the same table (egress), and
 * tests/progs/flows_fw.bpf.c for the firewall's verdict, their maps
 * private to the test. Then the library's reader and ager on that table,
 * pinned under a made-up interface name. The process stays on CPU 0 so
 * that every frame lands in the same CPU's region, except where a test
 * moves it on purpose. */
#include <fastpath/flows.h> /* first: net/if.h before linux/if.h */
#include <fastpath/pipeline.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/pkt_cls.h>
#include <cmocka.h>
#include "pipeline_fixture.h"
#include "bpf/flows_egress.skel.h"
#include "tests/progs/flows_fw.skel.h"

#define MAX_FLOWS  1024
#define PORT       5353
#define TICK_NS    (10 * 1000000ull) /* one tick at HZ >= 100, and some */

struct fixture {
	struct pipeline *skel;
	struct flows_egress *egress;
	int xdp_fd, tc_fd, cpu_fd;
	struct fp_flow_bucket *table; /* fp_flows, mapped */
	size_t table_len;
	__u32 buckets;                /* all CPUs' */
};

static int on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The egress program on the pipeline's own table, as the library does
 * it with pins. */
static int egress_open(struct fixture *f)
{
	struct bpf_map *from[] = {
		f->skel->maps.fp_flows, f->skel->maps.fp_flow_cpu, f->skel->maps.fp_flow_meta,
	};
	struct bpf_map *to[3];
	int err = 0;

	f->egress = flows_egress__open();
	if (!f->egress)
		return -1;
	to[0] = f->egress->maps.fp_flows;
	to[1] = f->egress->maps.fp_flow_cpu;
	to[2] = f->egress->maps.fp_flow_meta;
	for (int i = 0; !err && i < 3; i++)
		err = bpf_map__reuse_fd(to[i], bpf_map__fd(from[i]));
	return err ?: flows_egress__load(f->egress);
}

static int table_map(struct fixture *f, struct bpf_map *m)
{
	size_t page = sysconf(_SC_PAGESIZE);

	f->buckets = bpf_map__max_entries(m);
	f->table_len = (f->buckets * sizeof(struct fp_flow_bucket) + page - 1) / page * page;
	f->table = mmap(NULL, f->table_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(m), 0);
	return f->table == MAP_FAILED ? -1 : 0;
}

/* size_flows: a table of MAX_FLOWS per CPU. */
static int size_flows(struct pipeline *skel)
{
	return fp_flows_table_size(skel->obj, MAX_FLOWS);
}

static int setup(void **state)
{
	struct fixture *f;
	int err;

	err = fp_test_fixture(state, sizeof(*f));
	if (err <= 0)
		return err;
	f = *state;
	if (on_cpu(0))
		return -1;
	f->skel = fp_test_pipeline_load(size_flows);
	if (!f->skel || fp_flows_table_init(f->skel->obj) || egress_open(f) ||
	    table_map(f, f->skel->maps.fp_flows))
		return -1;
	f->xdp_fd = bpf_program__fd(f->skel->progs.fp_pipeline);
	f->tc_fd = bpf_program__fd(f->egress->progs.fp_flows_egress);
	f->cpu_fd = bpf_map__fd(f->skel->maps.fp_flow_cpu);
	return fp_test_set_stages(bpf_map__fd(f->skel->maps.fp_config),
				  FP_STAGE_BIT(FP_STAGE_FLOWS));
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		if (f->table && f->table != MAP_FAILED)
			munmap(f->table, f->table_len);
		flows_egress__destroy(f->egress);
		pipeline__destroy(f->skel);
	}
	free(f);
	on_cpu(0);
	return 0;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- frames and keys ---------------------------------------------- */

static void udp4(struct fp_pkt *p, uint16_t sport, uint16_t dport, size_t payload)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, 0);
	fp_pkt_udp(p, sport, dport);
	fp_pkt_payload(p, payload);
	fp_pkt_finish(p);
}

static void tcp4(struct fp_pkt *p, uint8_t flags)
{
	struct tcphdr *th;

	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, 0);
	th = fp_pkt_tcp(p, FP_TEST_SPORT, 80);
	((uint8_t *)th)[13] = flags;
	fp_pkt_finish(p);
}

static void icmp4(struct fp_pkt *p, uint8_t type)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, 0);
	fp_pkt_icmp(p, type);
	fp_pkt_payload(p, 8);
	fp_pkt_finish(p);
}

/* The key of a frame from FP_TEST_SADDR4 to FP_TEST_DADDR4. */
static struct fp_flow_key key4(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t dir)
{
	struct fp_flow_key k;

	memset(&k, 0, sizeof(k));
	k.saddr[0] = FP_TEST_SADDR4;
	k.daddr[0] = FP_TEST_DADDR4;
	k.sport = sport;
	k.dport = dport;
	k.family = 4;
	k.proto = proto;
	k.dir = dir;
	return k;
}

/* ---- running and reading ---------------------------------------------- */

static uint32_t run_xdp(struct fixture *f, const struct fp_pkt *p)
{
	struct fp_run r;

	assert_int_equal(fp_run(f->xdp_fd, p->data, p->len, &r), 0);
	return r.retval;
}

static uint32_t run_tc(struct fixture *f, const struct fp_pkt *p)
{
	struct fp_run r;

	assert_int_equal(fp_run(f->tc_fd, p->data, p->len, &r), 0);
	return r.retval;
}

/* flow_get: k's entries in the table, merged as the library merges them;
 * returns how many CPUs hold one. */
static int flow_get(struct fixture *f, const struct fp_flow_key *k, struct fp_flow *out)
{
	int found = 0;

	memset(out, 0, sizeof(*out));
	for (__u32 i = 0; i < f->buckets; i++) {
		for (int w = 0; w < FP_FLOW_WAYS; w++) {
			const struct fp_flow *e = &f->table[i].e[w].flow;

			if (!f->table[i].tag[w] || memcmp(&f->table[i].e[w].key, k, sizeof(*k)))
				continue;
			if (!found++ || e->first_ns < out->first_ns)
				out->first_ns = e->first_ns;
			if (e->last_ns > out->last_ns)
				out->last_ns = e->last_ns;
			out->packets += e->packets;
			out->bytes += e->bytes;
			out->tcp_flags |= e->tcp_flags;
			out->verdict = e->verdict;
			out->rule = e->rule;
		}
	}
	return found;
}

static int entries(struct fixture *f)
{
	int n = 0;

	for (__u32 i = 0; i < f->buckets; i++)
		for (int w = 0; w < FP_FLOW_WAYS; w++)
			n += !!f->table[i].tag[w];
	return n;
}

static void counters(int cpu_fd, struct fp_flow_cpu *sum)
{
	__u32 zero = 0;
	void *values;
	int ncpu = fp_test_percpu_lookup(cpu_fd, &zero, sizeof(struct fp_flow_cpu), &values);
	struct fp_flow_cpu *v = values;

	assert_true(ncpu > 0);
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		sum->created += v[c].created;
		sum->evicted += v[c].evicted;
		sum->unparsed += v[c].unparsed;
		sum->not_ip += v[c].not_ip;
	}
	free(v);
}

/* ---- the stage ---------------------------------------------------------- */

static void test_flows_udp_frame_creates_one_flow(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key k = key4(IPPROTO_UDP, FP_TEST_SPORT, PORT, FP_FLOW_INGRESS);
	struct fp_flow fl;
	struct fp_pkt p;
	__u64 t0, t1;

	udp4(&p, FP_TEST_SPORT, PORT, 58);
	t0 = monotonic_ns();
	assert_int_equal(run_xdp(f, &p), XDP_PASS);
	t1 = monotonic_ns();
	assert_int_equal(flow_get(f, &k, &fl), 1);
	assert_int_equal(entries(f), 1);
	assert_int_equal(fl.packets, 1);
	assert_int_equal(fl.bytes, p.len);
	assert_int_equal(fl.first_ns, fl.last_ns);
	assert_true(fl.first_ns + TICK_NS >= t0 && fl.first_ns <= t1);
	assert_int_equal(fl.verdict, XDP_PASS);
	assert_int_equal(fl.rule, 0);
	assert_int_equal(fl.tcp_flags, 0);
}

static void test_flows_repeated_frames_add_up(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key k = key4(IPPROTO_UDP, FP_TEST_SPORT, PORT, FP_FLOW_INGRESS);
	struct fp_pkt a, b;
	struct fp_flow fl;
	struct fp_flow_cpu c;

	udp4(&a, FP_TEST_SPORT, PORT, 18);
	udp4(&b, FP_TEST_SPORT, PORT, 300);
	assert_int_equal(run_xdp(f, &a), XDP_PASS);
	usleep(20000); /* a few ticks: last seen must move */
	assert_int_equal(run_xdp(f, &b), XDP_PASS);
	assert_int_equal(run_xdp(f, &a), XDP_PASS);
	assert_int_equal(flow_get(f, &k, &fl), 1);
	assert_int_equal(fl.packets, 3);
	assert_int_equal(fl.bytes, 2 * a.len + b.len);
	assert_true(fl.last_ns > fl.first_ns);
	counters(f->cpu_fd, &c);
	assert_int_equal(c.created, 1);
	assert_int_equal(c.evicted, 0);
}

static void test_flows_tcp_flags_are_ored(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key k = key4(IPPROTO_TCP, FP_TEST_SPORT, 80, FP_FLOW_INGRESS);
	struct fp_pkt syn, ack, fin;
	struct fp_flow fl;

	tcp4(&syn, 0x02);
	tcp4(&ack, 0x10);
	tcp4(&fin, 0x11);
	run_xdp(f, &syn);
	run_xdp(f, &ack);
	assert_int_equal(flow_get(f, &k, &fl), 1);
	assert_int_equal(fl.tcp_flags, 0x12);
	run_xdp(f, &fin);
	assert_int_equal(flow_get(f, &k, &fl), 1);
	assert_int_equal(fl.tcp_flags, 0x13);
	assert_int_equal(fl.packets, 3);
}

/* ICMP has no ports: type and code stand in for them, so an echo request
 * and its reply are two flows, and two requests one. */
static void test_flows_icmp_keyed_by_type_and_code(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key req = key4(IPPROTO_ICMP, ICMP_ECHO, 0, FP_FLOW_INGRESS);
	struct fp_flow_key rep = key4(IPPROTO_ICMP, ICMP_ECHOREPLY, 0, FP_FLOW_INGRESS);
	struct fp_pkt a, b;
	struct fp_flow fl;

	icmp4(&a, ICMP_ECHO);
	icmp4(&b, ICMP_ECHOREPLY);
	run_xdp(f, &a);
	run_xdp(f, &a);
	run_xdp(f, &b);
	assert_int_equal(flow_get(f, &req, &fl), 1);
	assert_int_equal(fl.packets, 2);
	assert_int_equal(flow_get(f, &rep, &fl), 1);
	assert_int_equal(fl.packets, 1);
	assert_int_equal(entries(f), 2);
}

static void test_flows_ipv6_udp_frame_recorded(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key k;
	struct fp_flow fl;
	struct fp_pkt p;

	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_ipv6(&p);
	fp_pkt_udp(&p, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&p, 10);
	fp_pkt_finish(&p);
	memset(&k, 0, sizeof(k));
	((uint8_t *)k.saddr)[0] = ((uint8_t *)k.daddr)[0] = 0xfd;
	((uint8_t *)k.saddr)[15] = 1;
	((uint8_t *)k.daddr)[15] = 2;
	k.sport = FP_TEST_SPORT;
	k.dport = PORT;
	k.family = 6;
	k.proto = IPPROTO_UDP;
	assert_int_equal(run_xdp(f, &p), XDP_PASS);
	assert_int_equal(flow_get(f, &k, &fl), 1);
	assert_int_equal(fl.packets, 1);
	assert_int_equal(fl.bytes, p.len);
}

/* The VLAN is not part of the key: a tagged frame counts in the flow of
 * its 5-tuple, with the tag's bytes. */
static void test_flows_vlan_frame_joins_its_5tuple(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key k = key4(IPPROTO_UDP, FP_TEST_SPORT, PORT, FP_FLOW_INGRESS);
	struct fp_pkt plain, tagged;
	struct fp_flow fl;

	udp4(&plain, FP_TEST_SPORT, PORT, 20);
	fp_pkt_init(&tagged);
	fp_pkt_eth(&tagged);
	fp_pkt_vlan(&tagged, ETH_P_8021Q, 42);
	fp_pkt_ipv4(&tagged, 0);
	fp_pkt_udp(&tagged, FP_TEST_SPORT, PORT);
	fp_pkt_payload(&tagged, 20);
	fp_pkt_finish(&tagged);
	run_xdp(f, &plain);
	run_xdp(f, &tagged);
	assert_int_equal(flow_get(f, &k, &fl), 1);
	assert_int_equal(fl.packets, 2);
	assert_int_equal(fl.bytes, plain.len + tagged.len);
	assert_int_equal(tagged.len, plain.len + 4);
}

/* The egress program returns TC_ACT_UNSPEC (tcx: next program) and keys
 * the same frame apart, by direction. */
static void test_flows_directions_are_different_flows(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_key in = key4(IPPROTO_UDP, FP_TEST_SPORT, PORT, FP_FLOW_INGRESS);
	struct fp_flow_key out = key4(IPPROTO_UDP, FP_TEST_SPORT, PORT, FP_FLOW_EGRESS);
	struct fp_flow fl;
	struct fp_pkt p;

	udp4(&p, FP_TEST_SPORT, PORT, 40);
	assert_int_equal(run_xdp(f, &p), XDP_PASS);
	assert_int_equal((int32_t)run_tc(f, &p), TC_ACT_UNSPEC);
	assert_int_equal((int32_t)run_tc(f, &p), TC_ACT_UNSPEC);
	assert_int_equal(flow_get(f, &in, &fl), 1);
	assert_int_equal(fl.packets, 1);
	assert_int_equal(flow_get(f, &out, &fl), 1);
	assert_int_equal(fl.packets, 2);
	assert_int_equal(fl.bytes, 2 * p.len);
	assert_int_equal(fl.verdict, XDP_PASS);
}

static void test_flows_non_ip_frame_not_recorded(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_cpu c;
	struct fp_pkt p;

	fp_pkt_init(&p);
	fp_pkt_eth(&p);
	fp_pkt_arp(&p);
	assert_int_equal(run_xdp(f, &p), XDP_PASS);
	assert_int_equal(run_tc(f, &p), (uint32_t)TC_ACT_UNSPEC);
	assert_int_equal(entries(f), 0);
	counters(f->cpu_fd, &c);
	assert_int_equal(c.not_ip, 2);
	assert_int_equal(c.created, 0);
}

/* A header cut short would make a key of what was there and zeros: such
 * frames are counted, not recorded. */
static void test_flows_truncated_frames_not_recorded(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt ip_cut, udp_cut;
	struct fp_flow_cpu c;

	udp4(&ip_cut, FP_TEST_SPORT, PORT, 0);
	ip_cut.len = ETH_HLEN + 12;        /* in the middle of the addresses */
	udp4(&udp_cut, FP_TEST_SPORT, PORT, 0);
	udp_cut.len = ETH_HLEN + 20 + 4;   /* ports, no length or checksum */
	assert_int_equal(run_xdp(f, &ip_cut), XDP_PASS);
	assert_int_equal(run_xdp(f, &udp_cut), XDP_PASS);
	assert_int_equal(entries(f), 0);
	counters(f->cpu_fd, &c);
	assert_int_equal(c.unparsed, 2);
}

static void test_flows_stage_off_records_nothing(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	assert_int_equal(fp_test_set_stages(bpf_map__fd(f->skel->maps.fp_config), 0), 0);
	udp4(&p, FP_TEST_SPORT, PORT, 40);
	assert_int_equal(run_xdp(f, &p), XDP_PASS);
	assert_int_equal(entries(f), 0);
}

/* flows_fw_open: the stand-in firewall with a table of one bucket (four
 * flows) per CPU. */
static struct flows_fw *flows_fw_open(void)
{
	struct flows_fw *skel = flows_fw__open();

	assert_non_null(skel);
	fp_test_unpin_maps(skel->obj);
	assert_int_equal(fp_flows_table_size(skel->obj, FP_FLOW_WAYS), 0);
	assert_int_equal(flows_fw__load(skel), 0);
	assert_int_equal(fp_flows_table_init(skel->obj), 0);
	return skel;
}

/* CPU 0's one bucket. */
static void bucket0(struct flows_fw *skel, struct fp_flow_bucket *b)
{
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.fp_flows), &zero, b), 0);
}

static bool bucket_has_sport(const struct fp_flow_bucket *b, uint16_t sport)
{
	for (int w = 0; w < FP_FLOW_WAYS; w++)
		if (b->tag[w] && b->e[w].key.sport == sport)
			return true;
	return false;
}

/* Five flows into one bucket of four: the least recently seen goes, and
 * is counted. */
static void test_flows_full_bucket_evicts_least_recent(void **state)
{
	struct flows_fw *skel;
	struct fp_flow_bucket b;
	struct fp_flow_cpu c;
	struct fp_pkt p;
	struct fp_run r;
	int fd, i;

	FP_TEST_STATE(state);
	skel = flows_fw_open();
	fd = bpf_program__fd(skel->progs.flows_fw);
	for (i = 0; i < FP_FLOW_WAYS + 1; i++) {
		udp4(&p, 1000 + i, PORT, 10);
		assert_int_equal(fp_run(fd, p.data, p.len, &r), 0);
		if (i == 1)
			usleep(20000); /* 1000 and 1001 are older than the rest */
		if (i == 2) {
			udp4(&p, 1000, PORT, 10); /* 1000 seen again: 1001 is oldest */
			assert_int_equal(fp_run(fd, p.data, p.len, &r), 0);
		}
	}
	bucket0(skel, &b);
	assert_false(bucket_has_sport(&b, 1001));
	for (i = 0; i < FP_FLOW_WAYS + 1; i++)
		if (i != 1)
			assert_true(bucket_has_sport(&b, 1000 + i));
	counters(bpf_map__fd(skel->maps.fp_flow_cpu), &c);
	assert_int_equal(c.created, FP_FLOW_WAYS + 1);
	assert_int_equal(c.evicted, 1);
	flows_fw__destroy(skel);
}

/* The stage records the firewall's result of the flow's last packet. */
static void test_flows_verdict_is_the_firewalls(void **state)
{
	struct fp_pkt rule3, policy, pass;
	struct flows_fw *skel;
	struct fp_flow_bucket b;
	struct fp_run r;
	int fd, seen = 0;

	FP_TEST_STATE(state);
	skel = flows_fw_open();
	fd = bpf_program__fd(skel->progs.flows_fw);
	udp4(&rule3, FP_TEST_SPORT, 53, 10);
	udp4(&policy, FP_TEST_SPORT, 54, 10);
	udp4(&pass, FP_TEST_SPORT, 55, 10);
	assert_int_equal(fp_run(fd, rule3.data, rule3.len, &r), 0);
	assert_int_equal(r.retval, XDP_DROP);
	assert_int_equal(fp_run(fd, policy.data, policy.len, &r), 0);
	assert_int_equal(r.retval, XDP_DROP);
	assert_int_equal(fp_run(fd, pass.data, pass.len, &r), 0);
	assert_int_equal(r.retval, XDP_PASS);
	bucket0(skel, &b);
	for (int w = 0; w < FP_FLOW_WAYS; w++) {
		const struct fp_flow *fl = &b.e[w].flow;

		if (!b.tag[w])
			continue;
		seen++;
		assert_int_equal(fl->verdict, b.e[w].key.dport == 55 ? XDP_PASS : XDP_DROP);
		assert_int_equal(fl->rule, b.e[w].key.dport == 53 ? 3 : 0);
	}
	assert_int_equal(seen, 3);
	flows_fw__destroy(skel);
}

/* ---- the library on a pinned table ------------------------------------- */

static char pin_dev[IF_NAMESIZE];

/* Pin the fixture's table as the pipeline of a made-up interface. */
static void pin_table(struct fixture *f)
{
	struct { struct bpf_map *m; const char *name; } pins[] = {
		{ f->skel->maps.fp_flows, "flows" },
		{ f->skel->maps.fp_flow_cpu, "flow_cpu" },
		{ f->skel->maps.fp_flow_meta, "flow_meta" },
	};
	char path[PATH_MAX];

	snprintf(pin_dev, sizeof(pin_dev), "fpt%d", getpid() % 1000000);
	assert_int_equal(fp_bpffs_prepare(), 0);
	assert_int_equal(fp_pipeline_path(path, sizeof(path), pin_dev, NULL), 0);
	mkdir(FP_PIPELINE_DIR, 0700);
	mkdir(path, 0700);
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		assert_int_equal(fp_pipeline_path(path, sizeof(path), pin_dev, pins[i].name), 0);
		unlink(path);
		assert_int_equal(bpf_obj_pin(bpf_map__fd(pins[i].m), path), 0);
	}
}

static int unpin_teardown(void **state)
{
	char path[PATH_MAX];
	const char *names[] = { "flows", "flow_cpu", "flow_meta" };

	if (*pin_dev) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!fp_pipeline_path(path, sizeof(path), pin_dev, names[i]))
				unlink(path);
		if (!fp_pipeline_path(path, sizeof(path), pin_dev, NULL))
			rmdir(path);
		*pin_dev = '\0';
	}
	return teardown(state);
}

/* A flow seen on two CPUs has two entries; the reader gives one flow:
 * sums, the earliest first seen, the latest last seen. */
static void test_flows_reader_merges_cpus(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flow_info *flows;
	struct fp_flow fl0;
	struct fp_flow_key k = key4(IPPROTO_UDP, FP_TEST_SPORT, PORT, FP_FLOW_INGRESS);
	struct fp_pkt a, b;
	size_t n;

	if (libbpf_num_possible_cpus() < 2)
		skip();
	udp4(&a, FP_TEST_SPORT, PORT, 10);
	udp4(&b, FP_TEST_SPORT, PORT, 100);
	run_xdp(f, &a);
	assert_int_equal(flow_get(f, &k, &fl0), 1);
	usleep(20000);
	assert_int_equal(on_cpu(1), 0);
	run_xdp(f, &b);
	run_xdp(f, &b);
	assert_int_equal(flow_get(f, &k, &fl0), 2);
	pin_table(f);
	assert_int_equal(fp_flows_read(pin_dev, &flows, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&flows[0].key, &k, sizeof(k));
	assert_string_equal(flows[0].dev, pin_dev);
	assert_int_equal(flows[0].flow.packets, 3);
	assert_int_equal(flows[0].flow.bytes, a.len + 2 * b.len);
	assert_int_equal(flows[0].flow.first_ns, fl0.first_ns);
	assert_int_equal(flows[0].flow.last_ns, fl0.last_ns);
	assert_true(flows[0].flow.last_ns > flows[0].flow.first_ns);
	free(flows);
}

/* Aging takes a flow whole (both CPUs' entries) once its latest packet is
 * older than the idle time: it reports the flows, and counts the entries
 * in aged, as created counts them. */
static void test_flows_age_removes_idle_flows_whole(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flows_counters c;
	struct fp_pkt a, b;
	size_t aged;

	udp4(&a, FP_TEST_SPORT, PORT, 10);
	udp4(&b, FP_TEST_SPORT + 1, PORT, 10);
	run_xdp(f, &a);
	run_xdp(f, &b);
	if (libbpf_num_possible_cpus() >= 2) {
		assert_int_equal(on_cpu(1), 0);
		run_xdp(f, &a);
	}
	pin_table(f);
	assert_int_equal(fp_flows_age(pin_dev, 60000, &aged), 0);
	assert_int_equal(aged, 0);
	/* An idle time past what ns hold is never, not a wrap to a few ns. */
	assert_int_equal(fp_flows_age(pin_dev, 18446744073710ull, &aged), 0);
	assert_int_equal(aged, 0);
	usleep(30000);
	assert_int_equal(fp_flows_age(pin_dev, 20, &aged), 0);
	assert_int_equal(aged, 2);
	assert_int_equal(entries(f), 0);
	assert_int_equal(fp_flows_counters(pin_dev, &c), 0);
	assert_int_equal(c.aged, libbpf_num_possible_cpus() >= 2 ? 3 : 2);
	assert_int_equal(c.in_use, 0);
	assert_int_equal(c.created, libbpf_num_possible_cpus() >= 2 ? 3 : 2);
	/* The same flow again: a new entry, first seen now. */
	run_xdp(f, &a);
	assert_int_equal(entries(f), 1);
}

static void test_flows_counters_sum_cpus(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_flows_counters c;
	struct fp_pkt p, arp;

	udp4(&p, FP_TEST_SPORT, PORT, 10);
	fp_pkt_init(&arp);
	fp_pkt_eth(&arp);
	fp_pkt_arp(&arp);
	run_xdp(f, &p);
	run_xdp(f, &arp);
	pin_table(f);
	assert_int_equal(fp_flows_counters(pin_dev, &c), 0);
	assert_int_equal(c.created, 1);
	assert_int_equal(c.not_ip, 1);
	assert_int_equal(c.in_use, 1);
	assert_int_equal(c.cpus, libbpf_num_possible_cpus());
	assert_int_equal(c.per_cpu, MAX_FLOWS);
	assert_int_equal(c.capacity, (__u64)MAX_FLOWS * c.cpus);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TP(name) cmocka_unit_test_setup_teardown(name, setup, unpin_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_flows_udp_frame_creates_one_flow),
		T(test_flows_repeated_frames_add_up),
		T(test_flows_tcp_flags_are_ored),
		T(test_flows_icmp_keyed_by_type_and_code),
		T(test_flows_ipv6_udp_frame_recorded),
		T(test_flows_vlan_frame_joins_its_5tuple),
		T(test_flows_directions_are_different_flows),
		T(test_flows_non_ip_frame_not_recorded),
		T(test_flows_truncated_frames_not_recorded),
		T(test_flows_stage_off_records_nothing),
		T(test_flows_full_bucket_evicts_least_recent),
		T(test_flows_verdict_is_the_firewalls),
		TP(test_flows_reader_merges_cpus),
		TP(test_flows_age_removes_idle_flows_whole),
		TP(test_flows_counters_sum_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
