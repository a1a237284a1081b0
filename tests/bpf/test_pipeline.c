// SPDX-License-Identifier: BSD-2-Clause
/* bpf/pipeline.bpf.c on crafted frames, its maps private to the test: the
 * verdict per enabled stage set, the bytes that come out, and every
 * counter of fp_stats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <fastpath/pipeline.h>
#include <fastpath/reconcile.h>
#include "pipeline_fixture.h"
#include "tests/progs/xdp_drop_icmp.skel.h"

#define PORT  5353
#define OTHER 5354

struct fixture {
	struct pipeline *skel;
	struct xdp_drop_icmp *chained;
	int prog_fd, cfg_fd, stats_fd, chain_fd, ports_fd, port_stats_fd;
};

static int setup(void **state)
{
	struct fixture *f;
	int err;

	err = fp_test_fixture(state, sizeof(*f));
	if (err <= 0)
		return err;
	f = *state;
	f->skel = fp_test_pipeline_load(NULL);
	if (!f->skel)
		return -1;
	f->chained = xdp_drop_icmp__open_and_load();
	if (!f->chained)
		return -1;
	f->prog_fd = bpf_program__fd(f->skel->progs.fp_pipeline);
	f->cfg_fd = bpf_map__fd(f->skel->maps.fp_config);
	f->stats_fd = bpf_map__fd(f->skel->maps.fp_stats);
	f->chain_fd = bpf_map__fd(f->skel->maps.fp_chain);
	f->ports_fd = bpf_map__fd(f->skel->maps.fp_ports);
	f->port_stats_fd = bpf_map__fd(f->skel->maps.fp_port_stats);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		pipeline__destroy(f->skel);
		xdp_drop_icmp__destroy(f->chained);
	}
	free(f);
	return 0;
}

static void set_stages(struct fixture *f, uint32_t stages)
{
	assert_int_equal(fp_test_set_stages(f->cfg_fd, stages), 0);
}

/* chain: put xdp_drop_icmp in fp_chain slot 0. */
static void chain(struct fixture *f)
{
	int fd = bpf_program__fd(f->chained->progs.xdp_drop_icmp);
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(f->chain_fd, &zero, &fd, BPF_ANY), 0);
}

/* run: P through the pipeline; returns the verdict. A frame that passes
 * comes out unchanged. */
static uint32_t run(struct fixture *f, const struct fp_pkt *p)
{
	struct fp_run r;

	assert_int_equal(fp_run(f->prog_fd, p->data, p->len, &r), 0);
	if (r.retval == XDP_PASS) {
		assert_int_equal(r.size_out, p->len);
		assert_memory_equal(r.out, p->data, p->len);
	}
	return r.retval;
}

/* assert_stats: fp_stats summed over CPUs is exactly WANT, every stage
 * and verdict. */
static void assert_stats(struct fixture *f, const struct fp_pipeline_stats *want)
{
	struct fp_pipeline_stats sum;
	int s, v;

	assert_int_equal(fp_test_pipeline_stats(f->stats_fd, &sum), 0);
	for (s = 0; s < FP_STAGE_MAX; s++) {
		for (v = 0; v < FP_VERDICT_MAX; v++) {
			if (sum.c[s][v].packets == want->c[s][v].packets &&
			    sum.c[s][v].bytes == want->c[s][v].bytes)
				continue;
			fail_msg("stage %d verdict %d: %llu packets %llu bytes, want %llu, %llu",
				 s, v, (unsigned long long)sum.c[s][v].packets,
				 (unsigned long long)sum.c[s][v].bytes,
				 (unsigned long long)want->c[s][v].packets,
				 (unsigned long long)want->c[s][v].bytes);
		}
	}
}

static void add(struct fp_pipeline_stats *st, int stage, int verdict, const struct fp_pkt *p)
{
	st->c[stage][verdict].packets++;
	st->c[stage][verdict].bytes += p->len;
}

static void assert_port(struct fixture *f, uint16_t port, uint64_t packets, uint64_t bytes)
{
	struct fp_port_stats s;

	assert_int_equal(fp_test_port_stats(f->ports_fd, f->port_stats_fd, port, &s), 0);
	assert_int_equal(s.packets, packets);
	assert_int_equal(s.bytes, bytes);
}

static void icmp_echo(struct fp_pkt *p)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_ipv4(p, 0);
	fp_pkt_icmp(p, ICMP_ECHO);
	fp_pkt_payload(p, 8);
	fp_pkt_finish(p);
}

static void arp(struct fp_pkt *p)
{
	fp_pkt_init(p);
	fp_pkt_eth(p);
	fp_pkt_arp(p);
}

static void test_pipeline_keeps_its_maps_unpinned(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, f->skel->obj) {
		assert_false(bpf_map__is_pinned(map));
		assert_null(bpf_map__pin_path(map));
		n++;
	}
	assert_true(n >= 5);
}

static void test_pipeline_no_stages_passes_every_frame(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt udp, echo, a, bare;

	set_stages(f, 0);
	fp_pkt_udp4(&udp, PORT, 64);
	icmp_echo(&echo);
	arp(&a);
	fp_pkt_init(&bare);
	fp_pkt_eth(&bare);
	assert_int_equal(run(f, &udp), XDP_PASS);
	assert_int_equal(run(f, &echo), XDP_PASS);
	assert_int_equal(run(f, &a), XDP_PASS);
	assert_int_equal(run(f, &bare), XDP_PASS);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &udp);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &echo);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &a);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &bare);
	assert_stats(f, &want);
}

/* Without a config entry written (fresh array: stages 0) the same holds. */
static void test_pipeline_default_config_is_no_stages(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt udp;

	fp_pkt_udp4(&udp, PORT, 100);
	assert_int_equal(run(f, &udp), XDP_PASS);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &udp);
	assert_stats(f, &want);
}

static void test_pipeline_no_stages_ignores_registered_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt udp;

	set_stages(f, 0);
	assert_int_equal(fp_test_port_register(f->ports_fd, f->port_stats_fd, PORT, 0), 0);
	fp_pkt_udp4(&udp, PORT, 64);
	assert_int_equal(run(f, &udp), XDP_PASS);
	assert_port(f, PORT, 0, 0);
}

static void test_pipeline_ports_counts_registered_udp_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt a, b;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_PORTS));
	assert_int_equal(fp_test_port_register(f->ports_fd, f->port_stats_fd, PORT, 0), 0);
	fp_pkt_udp4(&a, PORT, 64);
	fp_pkt_udp4(&b, PORT, 300);
	assert_int_equal(run(f, &a), XDP_PASS);
	assert_int_equal(run(f, &b), XDP_PASS);
	assert_port(f, PORT, 2, 64 + 300);
	add(&want, FP_STAGE_PORTS, XDP_PASS, &a);
	add(&want, FP_STAGE_PORTS, XDP_PASS, &b);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &a);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &b);
	assert_stats(f, &want);
}

/* The ports row counts every frame the stage saw; the port only its own. */
static void test_pipeline_ports_ignores_unregistered_port(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt other;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_PORTS));
	assert_int_equal(fp_test_port_register(f->ports_fd, f->port_stats_fd, PORT, 0), 0);
	fp_pkt_udp4(&other, OTHER, 64);
	assert_int_equal(run(f, &other), XDP_PASS);
	assert_port(f, PORT, 0, 0);
	add(&want, FP_STAGE_PORTS, XDP_PASS, &other);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &other);
	assert_stats(f, &want);
}

/* The chained program's verdict is final: xdp_drop_icmp drops the echo
 * request and passes the UDP frame; the pipeline counts both as chained
 * and neither as its own verdict. */
static void test_pipeline_chain_hands_frames_to_slot_program(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt echo, udp;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_CHAIN));
	chain(f);
	icmp_echo(&echo);
	fp_pkt_udp4(&udp, PORT, 64);
	assert_int_equal(run(f, &echo), XDP_DROP);
	assert_int_equal(run(f, &udp), XDP_PASS);
	assert_int_equal(f->chained->bss->dropped, 1);
	add(&want, FP_STAGE_CHAIN, FP_VERDICT_CHAINED, &echo);
	add(&want, FP_STAGE_CHAIN, FP_VERDICT_CHAINED, &udp);
	add(&want, FP_STAGE_PIPELINE, FP_VERDICT_CHAINED, &echo);
	add(&want, FP_STAGE_PIPELINE, FP_VERDICT_CHAINED, &udp);
	assert_stats(f, &want);
}

/* The bit set and the slot empty: the tail call falls through, the
 * pipeline takes its chained counts back and passes. */
static void test_pipeline_chain_empty_slot_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt echo, udp;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_CHAIN));
	icmp_echo(&echo);
	fp_pkt_udp4(&udp, PORT, 64);
	assert_int_equal(run(f, &echo), XDP_PASS);
	assert_int_equal(run(f, &udp), XDP_PASS);
	assert_int_equal(f->chained->bss->dropped, 0);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &echo);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &udp);
	assert_stats(f, &want);
}

/* A filled slot is not used while the chain stage is off. */
static void test_pipeline_chain_off_ignores_filled_slot(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt echo;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_PORTS));
	chain(f);
	icmp_echo(&echo);
	assert_int_equal(run(f, &echo), XDP_PASS);
	assert_int_equal(f->chained->bss->dropped, 0);
	add(&want, FP_STAGE_PORTS, XDP_PASS, &echo);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &echo);
	assert_stats(f, &want);
}

/* A slot emptied after use behaves as one never filled. */
static void test_pipeline_chain_emptied_slot_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt echo;
	uint32_t zero = 0;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_CHAIN));
	chain(f);
	icmp_echo(&echo);
	assert_int_equal(run(f, &echo), XDP_DROP);
	assert_int_equal(bpf_map_delete_elem(f->chain_fd, &zero), 0);
	assert_int_equal(run(f, &echo), XDP_PASS);
	add(&want, FP_STAGE_CHAIN, FP_VERDICT_CHAINED, &echo);
	add(&want, FP_STAGE_PIPELINE, FP_VERDICT_CHAINED, &echo);
	add(&want, FP_STAGE_PIPELINE, XDP_PASS, &echo);
	assert_stats(f, &want);
}

/* Ports runs first and passes, then the frame goes to the chain. */
static void test_pipeline_ports_then_chain(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats want = { 0 };
	struct fp_pkt udp;

	set_stages(f, FP_STAGE_BIT(FP_STAGE_PORTS) | FP_STAGE_BIT(FP_STAGE_CHAIN));
	chain(f);
	assert_int_equal(fp_test_port_register(f->ports_fd, f->port_stats_fd, PORT, 0), 0);
	fp_pkt_udp4(&udp, PORT, 64);
	assert_int_equal(run(f, &udp), XDP_PASS);
	assert_port(f, PORT, 1, 64);
	add(&want, FP_STAGE_PORTS, XDP_PASS, &udp);
	add(&want, FP_STAGE_CHAIN, FP_VERDICT_CHAINED, &udp);
	add(&want, FP_STAGE_PIPELINE, FP_VERDICT_CHAINED, &udp);
	assert_stats(f, &want);
}

/* Each stage set compiled on its own is what the library opens for
 * exactly those stages: the object says so (fp_compiled), is built for
 * them, and the kernel loads it; stages no set matches get the object
 * compiled for every stage. */
static void test_pipeline_opens_the_object_compiled_for_the_stages(void **state)
{
	__u32 other = FP_STAGE_BIT(FP_STAGE_FIREWALL) | FP_STAGE_BIT(FP_STAGE_PORTS);
	struct pipeline *skel;

	(void)state;
	assert_true(fp_pipeline_compiled_sets() > 0);
	for (int i = 0; i < fp_pipeline_compiled_sets(); i++) {
		__u32 set = fp_pipeline_compiled_set(i);

		skel = fp_test_pipeline_open_for(set);
		assert_non_null(skel);
		assert_int_equal(skel->rodata->fp_compiled, set);
		assert_int_equal(skel->rodata->fp_built, set);
		assert_int_equal(pipeline__load(skel), 0);
		pipeline__destroy(skel);
	}
	skel = fp_test_pipeline_open_for(other);
	assert_non_null(skel);
	assert_int_equal(skel->rodata->fp_compiled, FP_STAGES_BUILT);
	assert_int_equal(skel->rodata->fp_built, other);
	pipeline__destroy(skel);
}

/* verified: the instructions the verifier processed to load the pipeline
 * built for STAGES (with the firewall, its probe loop walking all 32
 * slots); fails the test when the load fails or that is more than
 * BOUND. */
static void verified(__u32 stages, unsigned long bound)
{
	static char log[1 << 16];
	struct pipeline *skel;
	const char *at;
	unsigned long n = 0;

	skel = fp_test_pipeline_open_for(stages);
	assert_non_null(skel);
	bpf_program__set_log_level(skel->progs.fp_pipeline, 4); /* statistics only */
	bpf_program__set_log_buf(skel->progs.fp_pipeline, log, sizeof(log));
	assert_int_equal(pipeline__load(skel), 0);
	at = strstr(log, "processed ");
	assert_non_null(at);
	n = strtoul(at + strlen("processed "), NULL, 10);
	pipeline__destroy(skel);
	if (n == 0 || n > bound)
		fail_msg("the verifier processed %lu instructions (bound %lu): %s", n, bound, log);
}

/* The verifier's walk of the pipeline built for firewall, flows and DHCP
 * (the daemon's example set), its probe loop walking all 32 slots, stays
 * where bpf/pipeline_abi.h's layout of struct fp_parsed and the
 * firewall's per-CPU scratch (struct fp_fw_fields) put it: 55K
 * instructions on this kernel; 109K with the parse status beside the
 * fields the DHCP stage reads after the firewall; no load (1M) with the
 * rule found kept in a register up to its verdict's offset. The bound
 * leaves room for other kernels' verifiers; a value placed so that the
 * firewall's states stay apart again goes past it. */
static void test_pipeline_verifies_firewall_flows_dhcp_in_bounds(void **state)
{
	(void)state;
	verified(FP_STAGE_BIT(FP_STAGE_FIREWALL) | FP_STAGE_BIT(FP_STAGE_FLOWS) |
		 FP_STAGE_BIT(FP_STAGE_DHCP), 85000);
}

/* The parse is walked once past each header whose offset varies (IPv4
 * options, IPv6 extension headers: fp_parse_rebase in bpf/parse.h): the
 * object for the XSK stage alone, which is little more than the parse,
 * verifies in 3.8K instructions on this kernel, 11K when every way
 * through the parse went on as a path of its own. */
static void test_pipeline_verifies_the_parse_once_per_header(void **state)
{
	(void)state;
	verified(FP_STAGE_BIT(FP_STAGE_XSK), 7000);
}

/* id_at: the id of the map pinned at DIR/NAME; 0 when none is. */
static __u32 id_at(const char *dir, const char *name)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

/* The pins of keep_dev(): removed, whatever the test's outcome. */
static const char *const keep_names[2] = { "a", "b" };

static const char *keep_dev(void)
{
	static char dev[IF_NAMESIZE];

	snprintf(dev, sizeof(dev), "fpk%d", (int)getpid() % 100000);
	return dev;
}

static int keep_teardown(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];

	(void)state;
	if (fp_pipeline_path(dir, sizeof(dir), keep_dev(), NULL))
		return 0;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, keep_names[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

/* fastpathd holds what its pipeline pins and takes the pins again after
 * each pass of its checks: a pin removed after a pass looked at the pins
 * but before it took them (so none was missing to that pass) is still
 * held, and the next pass puts the same map back. */
static void test_pipeline_keep_take_holds_a_pin_removed_before_it(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct fp_pipeline_keep *k = NULL;
	__u32 ids[2];

	(void)state;
	assert_int_equal(fp_pipeline_path(dir, sizeof(dir), keep_dev(), NULL), 0);
	mkdir(FP_PIN_ROOT, 0700);
	mkdir(FP_PIPELINE_DIR, 0700);
	assert_int_equal(mkdir(dir, 0700), 0);
	for (int i = 0; i < 2; i++) {
		int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

		assert_true(fd >= 0);
		snprintf(path, sizeof(path), "%s/%s", dir, keep_names[i]);
		assert_int_equal(bpf_obj_pin(fd, path), 0);
		close(fd);
		ids[i] = id_at(dir, keep_names[i]);
		assert_true(ids[i] != 0);
	}
	assert_int_equal(fp_pipeline_keep_take(&k, keep_dev()), 0);
	snprintf(path, sizeof(path), "%s/b", dir);
	unlink(path); /* behind the pass's back */
	assert_int_equal(fp_pipeline_keep_take(&k, keep_dev()), 0);
	assert_int_equal(fp_pipeline_keep_missing(k), 1);
	assert_int_equal(fp_pipeline_keep_repin(k), 1);
	fp_pipeline_keep_free(k);
	assert_int_equal(id_at(dir, "b"), ids[1]);
	assert_int_equal(id_at(dir, "a"), ids[0]);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pipeline_keeps_its_maps_unpinned),
		T(test_pipeline_no_stages_passes_every_frame),
		T(test_pipeline_default_config_is_no_stages),
		T(test_pipeline_no_stages_ignores_registered_port),
		T(test_pipeline_ports_counts_registered_udp_port),
		T(test_pipeline_ports_ignores_unregistered_port),
		T(test_pipeline_chain_hands_frames_to_slot_program),
		T(test_pipeline_chain_empty_slot_passes),
		T(test_pipeline_chain_off_ignores_filled_slot),
		T(test_pipeline_chain_emptied_slot_passes),
		T(test_pipeline_ports_then_chain),
		cmocka_unit_test(test_pipeline_opens_the_object_compiled_for_the_stages),
		cmocka_unit_test(test_pipeline_verifies_firewall_flows_dhcp_in_bounds),
		cmocka_unit_test(test_pipeline_verifies_the_parse_once_per_header),
		cmocka_unit_test_teardown(test_pipeline_keep_take_holds_a_pin_removed_before_it,
					  keep_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
