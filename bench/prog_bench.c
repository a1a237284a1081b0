// SPDX-License-Identifier: BSD-2-Clause
/* prog_bench: the cost per packet of each XDP program, run by
 * BPF_PROG_TEST_RUN on one 64-byte Ethernet/IPv4/UDP frame, against the
 * empty program in the same run. xdp_port_count sees a registered port;
 * xdp-filter's own UDP port filter, when installed, is the peer, with the
 * port in its list. fp_pipeline runs with no stages, then with the ports
 * stage (port registered), the chain stage (slot 0: xdp_pass), and both,
 * the firewall stage (a few rules the frame does not match), and each
 * of no stages, ports and firewall with the flows stage added, which is
 * how the flows stage's cost is read. bench/flow_peers.bpf.c sets the flows stage's
 * table beside the LRU hash maps it could have been, for a new flow each
 * packet and for an existing one. The empty program and the pipeline with
 * firewall+flows run again with the kernel's run-time statistics on
 * (BPF_ENABLE_STATS, what orchestrator.latency_stats asks fastpathd to
 * hold): what they cost each run.
 *
 *   prog_bench [-n REPEAT] [-r RUNS] [--only TEXT] [--json]
 *
 * Each program runs RUNS times REPEAT packets, timed to a tenth of a ns
 * as fp_run_median (tests/bpf/bpf_test.h) says, and the table shows the
 * median run. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <fastpath/config.h>
#include <fastpath/firewall.h>
#include <fastpath/flows.h> /* before bpf_test.h: net/if.h, then linux/if.h */
#include "../tests/bpf/pipeline_fixture.h"
#include "tests/progs/xdp_pass.skel.h"
#include "tests/progs/xdp_drop_icmp.skel.h"
#include "examples/xdp_port_count.skel.h"
#include "bench/flow_peers.skel.h"
#include "bench/dhcp_floor.skel.h"
#include "dhcp_abi.h"
#include <time.h>

#define BENCH_PORT 5353
#define PIPE_GOAL  1.5 /* fp_pipeline with no stages, over the empty program */
#define FLOWS_GOAL 15  /* ns the flows stage adds to the pipeline with the firewall */
#define DHCP_GOAL  150 /* ns an answered ACK adds to the empty program, one frame a run */

/* The firewall rows' rule set: none matches the frame (UDP 10.0.0.1 ->
 * 10.0.0.2 port 5353), so the policy passes it after the stage has
 * looked at every field. */
static const char fw_rules[] =
	"policy: allow\n"
	"rules:\n"
	"  - {action: drop, source_ip: 192.168.1.0/24}\n"
	"  - {action: drop, dest_ip: 172.16.0.0/12, protocol: udp, port: 53}\n"
	"  - {action: drop, protocol: tcp, port: 23}\n"
	"  - {action: allow, protocol: tcp, port: 22}\n";

struct bench {
	const char *label;
	const void *(*elf)(size_t *size); /* an embedded skeleton, or */
	const char *const *paths;         /* the first of these files */
	const char *prog;
	int (*prepare)(const struct bench *b, struct bpf_object *obj); /* before load */
	int (*prime)(const struct bench *b, struct bpf_object *obj);
	/* the packets took the path the row names */
	int (*check)(const struct bench *b, struct bpf_object *obj, uint64_t packets);
	uint32_t stages;                  /* fp_pipeline's fp_config */
	/* A row of its own frame, timed one frame a test run (a program
	 * that rewrites the frame cannot be repeated on it): */
	void (*frame)(struct fp_pkt *p);
	uint32_t verdict;                 /* every run returns it */
	bool stats;                       /* with BPF_STATS_RUN_TIME held */
};

struct result {
	const char *label;
	double ns;                        /* per packet, median of the runs */
};

/* xdp_port_count's fast path needs the port registered, as the library
 * would register it. */
static int prime_port_count(const struct bench *b, struct bpf_object *obj)
{
	(void)b;
	return fp_test_port_register(bpf_object__find_map_fd_by_name(obj, FP_PORTS_MAP),
				     bpf_object__find_map_fd_by_name(obj, FP_PORT_STATS_MAP),
				     BENCH_PORT, 0);
}

/* xdp-filter's "dny" programs deny by default and pass what filter_ports
 * lists. It is a per-CPU array: key the destination port as the packet
 * holds it (network order), value its flags on every CPU (xdp-tools
 * common_kern_user.h: MAP_FLAG_DST 1 << 1, MAP_FLAG_UDP 1 << 3). The port
 * is listed, so the frame takes the path it takes in xdp_port_count:
 * parse, one lookup that hits, count, pass. */
static int prime_xdpfilt(const struct bench *b, struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "filter_ports");
	int ncpu = libbpf_num_possible_cpus(), i, err;
	uint32_t key = htons(BENCH_PORT);
	uint64_t *flags;

	(void)b;
	if (ncpu < 0)
		return ncpu;
	flags = calloc(ncpu, sizeof(*flags));
	if (!flags)
		return -ENOMEM;
	for (i = 0; i < ncpu; i++)
		flags[i] = 1 << 1 | 1 << 3;
	err = bpf_map_update_elem(fd, &key, flags, BPF_ANY);
	free(flags);
	return err;
}

/* chain_xdp_pass: xdp_pass in fp_chain slot 0. The slot holds its own
 * reference to the program, so the skeleton can go. */
static int chain_xdp_pass(struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "fp_chain"), prog_fd, err;
	struct xdp_pass *pass = xdp_pass__open_and_load();
	uint32_t zero = 0;

	if (!pass)
		return -errno;
	prog_fd = bpf_program__fd(pass->progs.xdp_pass);
	err = bpf_map_update_elem(fd, &zero, &prog_fd, BPF_ANY);
	xdp_pass__destroy(pass);
	return err;
}

/* install_rules: fw_rules live in the object's firewall maps. */
static int install_rules(struct bpf_object *obj)
{
	struct fp_fw_maps m = {
		.gen = bpf_object__find_map_fd_by_name(obj, "fp_fw_gen"),
		.table = bpf_object__find_map_fd_by_name(obj, "fp_fw_table"),
		.counters = bpf_object__find_map_fd_by_name(obj, "fp_fw_counters"),
		.list = bpf_object__find_map_fd_by_name(obj, "fp_fw_list"),
		.live = bpf_object__find_map_fd_by_name(obj, "fp_fw_live"),
	};
	struct fp_firewall_config fw;
	struct fp_config_error cerr;
	struct fp_fw_compiled *c = NULL;
	int err;

	err = fp_firewall_config_parse(fw_rules, strlen(fw_rules), "prog_bench", &fw, &cerr);
	if (err)
		return err;
	err = fp_firewall_compile(&fw, NULL, &c, &cerr);
	err = err ?: fp_firewall_install(&m, c);
	fp_fw_compiled_free(c);
	fp_firewall_config_free(&fw);
	return err;
}

/* prime_pipeline: fp_config set to the row's stages; with ports, the port
 * registered; with the chain, xdp_pass in the slot; with flows, the table
 * set up; with the firewall, fw_rules installed. */
static int prime_pipeline(const struct bench *b, struct bpf_object *obj)
{
	int err;

	err = fp_test_set_stages(bpf_object__find_map_fd_by_name(obj, "fp_config"), b->stages);
	if (!err && (b->stages & FP_STAGE_BIT(FP_STAGE_PORTS)))
		err = prime_port_count(b, obj);
	if (!err && (b->stages & FP_STAGE_BIT(FP_STAGE_CHAIN)))
		err = chain_xdp_pass(obj);
	if (!err && (b->stages & FP_STAGE_BIT(FP_STAGE_FLOWS)))
		err = fp_flows_table_init(obj);
	if (!err && (b->stages & FP_STAGE_BIT(FP_STAGE_FIREWALL)))
		err = install_rules(obj);
	return err;
}

/* size_flows: the flows table at its default size (65,536 flows per CPU). */
static int size_flows(const struct bench *b, struct bpf_object *obj)
{
	(void)b;
	return fp_flows_table_size(obj, 0);
}

/* prime_flows: each CPU given its region of the table. */
static int prime_flows(const struct bench *b, struct bpf_object *obj)
{
	(void)b;
	return fp_flows_table_init(obj);
}

/* flows_created: flows the table created, summed over CPUs. */
static int flows_created(struct bpf_object *obj, uint64_t *created)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "fp_flow_cpu");
	uint32_t zero = 0;
	void *values;
	int ncpu = fp_test_percpu_lookup(fd, &zero, sizeof(struct fp_flow_cpu), &values);
	struct fp_flow_cpu *v = values;

	*created = 0;
	if (ncpu < 0)
		return ncpu;
	for (int i = 0; i < ncpu; i++)
		*created += v[i].created;
	free(v);
	return 0;
}

/* check_same_flow: one flow took every packet: created once on each CPU
 * the runs happened to use, and no more. */
static int check_same_flow(const struct bench *b, struct bpf_object *obj, uint64_t packets)
{
	uint64_t created;
	int err = flows_created(obj, &created);

	(void)b;
	(void)packets;
	if (err)
		return err;
	return created >= 1 && created <= (uint64_t)libbpf_num_possible_cpus() ? 0 : -EPROTO;
}

/* check_new_flow: a flow created for every packet. */
static int check_new_flow(const struct bench *b, struct bpf_object *obj, uint64_t packets)
{
	uint64_t created;
	int err = flows_created(obj, &created);

	(void)b;
	return err ? err : created == packets ? 0 : -EPROTO;
}

/* check_port: every packet counted on the registered port. */
static int check_port(const struct bench *b, struct bpf_object *obj, uint64_t packets)
{
	int fd = bpf_object__find_map_fd_by_name(obj, FP_PORT_STATS_MAP);
	int ports_fd = bpf_object__find_map_fd_by_name(obj, FP_PORTS_MAP);
	struct fp_port_stats s;

	(void)b;
	if (fp_test_port_stats(ports_fd, fd, BENCH_PORT, &s) || s.packets != packets)
		return -EPROTO;
	return 0;
}

/* check_pipeline: fp_stats counted every packet in the rows the stages
 * imply: handed to the chain, or passed by the pipeline itself; passed
 * by the firewall when it is on. */
static int check_pipeline(const struct bench *b, struct bpf_object *obj, uint64_t packets)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "fp_stats");
	bool chain = b->stages & FP_STAGE_BIT(FP_STAGE_CHAIN);
	bool ports = b->stages & FP_STAGE_BIT(FP_STAGE_PORTS);
	bool flows = b->stages & FP_STAGE_BIT(FP_STAGE_FLOWS);
	bool fw = b->stages & FP_STAGE_BIT(FP_STAGE_FIREWALL);
	uint64_t pipe, port_row, flow_row, fw_row;
	struct fp_pipeline_stats st;
	int err = fp_test_pipeline_stats(fd, &st);

	if (err)
		return err;
	pipe = st.c[FP_STAGE_PIPELINE][chain ? FP_VERDICT_CHAINED : XDP_PASS].packets;
	port_row = st.c[FP_STAGE_PORTS][XDP_PASS].packets;
	flow_row = st.c[FP_STAGE_FLOWS][XDP_PASS].packets;
	fw_row = st.c[FP_STAGE_FIREWALL][XDP_PASS].packets;
	if (pipe != packets || port_row != (ports ? packets : 0) ||
	    flow_row != (flows ? packets : 0) || fw_row != (fw ? packets : 0))
		return -EPROTO;
	err = flows ? check_same_flow(b, obj, packets) : 0;
	return err ?: ports ? check_port(b, obj, packets) : 0;
}

/* ---- DHCP rows: a bound client's DISCOVER (OFFER) and renewal (ACK),
 * answered with XDP_TX, one frame a run, beside the empty program timed
 * the same way. */
#define DHCP_SERVER  htonl(0x0a000001) /* 10.0.0.1 */
#define DHCP_CLIENT  htonl(0x0a000032) /* 10.0.0.50 */
#define DHCP_POOL    0
#define DHCP_ONE     "xdp_pass, 1 frame/run"
#define DHCP_OFFER   "fp_pipeline, dhcp OFFER"
#define DHCP_ACK     "fp_pipeline, dhcp ACK"
#define DHCP_FLOOR   "dhcp ACK's helper calls alone"

static const uint8_t dhcp_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void dhcp_frame(struct fp_pkt *p, uint8_t type, uint32_t ciaddr)
{
	static const uint8_t prl[] = { 55, 4, 1, 3, 6, 15, 255 };
	uint32_t cookie = htonl(FP_DHCP_MAGIC), xid = htonl(0x12345678);
	uint8_t *b;

	fp_pkt_init(p);
	memcpy(fp_pkt_eth(p)->h_source, dhcp_mac, 6);
	memset(p->data, 0xff, 6);
	fp_pkt_ipv4(p, 0)->daddr = 0xffffffff;
	fp_pkt_udp(p, 68, 67);
	b = fp_pkt_put(p, 300); /* BOOTP, options padded to 300 bytes */
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, &xid, 4);
	memcpy(b + 12, &ciaddr, 4);
	memcpy(b + 28, dhcp_mac, 6);
	memcpy(b + 236, &cookie, 4);
	b[240] = 53;
	b[241] = 1;
	b[242] = type;
	memcpy(b + 243, prl, sizeof(prl));
	fp_pkt_finish(p);
}

static void dhcp_discover(struct fp_pkt *p)
{
	dhcp_frame(p, 1, 0);
}

/* A renewal: REQUEST from the bound address, no option 50 or 54. */
static void dhcp_renew(struct fp_pkt *p)
{
	dhcp_frame(p, 3, DHCP_CLIENT);
}

static void udp64(struct fp_pkt *p)
{
	fp_pkt_udp4(p, BENCH_PORT, 64);
}

static int size_leases(const struct bench *b, struct bpf_object *obj)
{
	(void)b;
	return bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "fp_dhcp_leases"),
					1024);
}

static int size_flows_leases(const struct bench *b, struct bpf_object *obj)
{
	return size_flows(b, obj) ?: size_leases(b, obj);
}

/* dhcp_bound: the benchmark's client, bound for a day. */
static void dhcp_bound(struct fp_dhcp_key *key, struct fp_dhcp_lease *lease)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	*key = (struct fp_dhcp_key){ .kind = FP_DHCP_KEY_MAC, .len = 6 };
	memcpy(key->id, dhcp_mac, 6);
	*lease = (struct fp_dhcp_lease){ .ip = DHCP_CLIENT, .pool = DHCP_POOL,
		.expires_ns = (ts.tv_sec + 86400) * 1000000000ull };
	memcpy(lease->chaddr, dhcp_mac, 6);
}

/* prime_dhcp: the stage on, the server's facts, one pool, the client
 * bound for a day. */
static int prime_dhcp(const struct bench *b, struct bpf_object *obj)
{
	struct fp_dhcp_cfg cfg = { .enabled = 1, .server_id = DHCP_SERVER,
				   .server_mac = { 0x02, 0, 0, 0, 0, 0xfe } };
	struct fp_dhcp_pool_map pool = {
		.subnet = htonl(0x0a000000), .mask = htonl(0xffffff00),
		.router = DHCP_SERVER, .dns = { DHCP_SERVER }, .n_dns = 1,
		.lease_s = 3600, .t1_s = 1800, .t2_s = 3150, .valid = 1,
		.domain_len = 11, .domain = "example.org",
	};
	struct fp_dhcp_lease lease;
	struct fp_dhcp_key key;
	uint32_t zero = 0, idx = DHCP_POOL;
	int err;

	dhcp_bound(&key, &lease);
	err = prime_pipeline(b, obj);
	err = err ?: bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "fp_dhcp_cfg"),
					 &zero, &cfg, BPF_ANY);
	err = err ?: bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "fp_dhcp_pools"),
					 &idx, &pool, BPF_ANY);
	return err ?: bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj,
					  "fp_dhcp_leases"), &key, &lease, BPF_ANY);
}

/* prime_dhcp_floor: the same client, its key where dhcp_floor reads it. */
static int prime_dhcp_floor(const struct bench *b, struct bpf_object *obj)
{
	struct fp_dhcp_lease lease;
	struct fp_dhcp_key key;
	uint32_t zero = 0;
	int err;

	(void)b;
	dhcp_bound(&key, &lease);
	err = bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "floor_key"), &zero,
				  &key, BPF_ANY);
	return err ?: bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj,
					  "fp_dhcp_leases"), &key, &lease, BPF_ANY);
}

static int drop_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* measure_single: the median kernel-measured ns of N test runs of one
 * frame each (BPF_PROG_TEST_RUN restores the frame between syscalls, not
 * between repeats); every run must return b->verdict. The DHCP events
 * of ACKs are drained as they come, as the server would. */
static int measure_single(const struct bench *b, struct bpf_object *obj, int prog_fd,
			  unsigned int n, struct result *r)
{
	int ev_fd = bpf_object__find_map_fd_by_name(obj, "fp_dhcp_events");
	struct ring_buffer *rb = ev_fd >= 0 ?
		ring_buffer__new(ev_fd, drop_event, NULL, NULL) : NULL;
	unsigned int *ns = calloc(n, sizeof(*ns));
	uint8_t out[FP_PKT_MAX * 2];
	struct fp_pkt p;
	int err = ns ? 0 : -ENOMEM;

	b->frame(&p);
	for (unsigned int i = 0; !err && i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.data, .data_size_in = p.len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		err = bpf_prog_test_run_opts(prog_fd, &o);
		if (!err && o.retval != b->verdict)
			err = -EPROTO;
		ns[i] = o.duration;
		if (rb && !(i % 1024))
			ring_buffer__consume(rb);
	}
	if (!err) {
		qsort(ns, n, sizeof(ns[0]), fp_cmp_uint);
		r->ns = ns[n / 2]; /* whole ns: one frame a run */
	}
	ring_buffer__free(rb);
	free(ns);
	return err;
}

static const char *const xdpfilt_paths[] = {
	"/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_udp.o",
	"/usr/lib/bpf/xdpfilt_dny_udp.o",
	"/usr/local/lib/bpf/xdpfilt_dny_udp.o",
	NULL,
};

#define PIPE_PORTS FP_STAGE_BIT(FP_STAGE_PORTS)
#define PIPE_CHAIN FP_STAGE_BIT(FP_STAGE_CHAIN)
#define PIPE_FLOWS FP_STAGE_BIT(FP_STAGE_FLOWS)
#define PIPE_FW    FP_STAGE_BIT(FP_STAGE_FIREWALL)
#define PIPE_BARE  "fp_pipeline, no stages"
#define PIPE_FLOW  "fp_pipeline, flows"
#define PIPE_FLOWP "fp_pipeline, flows+ports"
#define PIPE_PORT  "fp_pipeline, ports"
#define PIPE_FWALL "fp_pipeline, firewall"
#define PIPE_FLOWF "fp_pipeline, firewall+flows"
#define PIPE_FFD   "fp_pipeline, fw+flows+dhcp"
#define STATS_EMPTY "xdp_pass, run-time stats on"
#define STATS_FLOWF "firewall+flows, stats on"
#define TABLE_SAME "flows table, same flow"
#define TABLE_NEW  "flows table, new flow"

/* A flow_peers row: one of its programs, the others not loaded. */
#define PEER(lbl, name, chk)						\
	{ .label = lbl, .elf = flow_peers__elf_bytes, .prog = name,	\
	  .prepare = size_flows, .prime = prime_flows, .check = chk }

static const struct bench benches[] = {
	{ .label = "xdp_pass (empty)", .elf = xdp_pass__elf_bytes, .prog = "xdp_pass" },
	{ .label = "xdp_drop_icmp", .elf = xdp_drop_icmp__elf_bytes,
	  .prog = "xdp_drop_icmp" },
	{ .label = "xdp_port_count", .elf = xdp_port_count__elf_bytes,
	  .prog = "xdp_port_count", .prime = prime_port_count, .check = check_port },
	{ .label = "xdp-filter dny_udp", .paths = xdpfilt_paths,
	  .prog = "xdpfilt_dny_udp", .prime = prime_xdpfilt },
	{ .label = PIPE_BARE, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = 0 },
	{ .label = PIPE_PORT, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = PIPE_PORTS },
	{ .label = "fp_pipeline, chain", .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = PIPE_CHAIN },
	{ .label = "fp_pipeline, ports+chain", .elf = pipeline__elf_bytes,
	  .prog = "fp_pipeline", .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_PORTS | PIPE_CHAIN },
	{ .label = PIPE_FLOW, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_flows, .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_FLOWS },
	{ .label = PIPE_FLOWP, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_flows, .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_FLOWS | PIPE_PORTS },
	{ .label = PIPE_FWALL, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prime = prime_pipeline, .check = check_pipeline, .stages = PIPE_FW },
	{ .label = PIPE_FLOWF, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_flows, .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_FLOWS | PIPE_FW },
	/* a frame that is not DHCP, on an interface that serves DHCP */
	{ .label = PIPE_FFD, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_flows_leases, .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_FLOWS | PIPE_FW | FP_STAGE_BIT(FP_STAGE_DHCP) },
	{ .label = STATS_EMPTY, .elf = xdp_pass__elf_bytes, .prog = "xdp_pass", .stats = true },
	{ .label = STATS_FLOWF, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_flows, .prime = prime_pipeline, .check = check_pipeline,
	  .stages = PIPE_FLOWS | PIPE_FW, .stats = true },
	PEER("parse (flow_peers floor)", "parse_only", NULL),
	PEER(TABLE_SAME, "table_same", check_same_flow),
	PEER(TABLE_NEW, "table_new", check_new_flow),
	PEER("LRU_HASH, same flow", "lru_same", NULL),
	PEER("LRU_HASH, new flow", "lru_new", NULL),
	PEER("LRU_HASH no-common, same", "lru_nocommon_same", NULL),
	PEER("LRU_HASH no-common, new", "lru_nocommon_new", NULL),
	PEER("LRU_PERCPU_HASH, same", "lru_percpu_same", NULL),
	PEER("LRU_PERCPU_HASH, new", "lru_percpu_new", NULL),
	PEER("LRU_PERCPU no-common, same", "lru_percpu_nocommon_same", NULL),
	PEER("LRU_PERCPU no-common, new", "lru_percpu_nocommon_new", NULL),
	{ .label = DHCP_ONE, .elf = xdp_pass__elf_bytes, .prog = "xdp_pass",
	  .frame = udp64, .verdict = XDP_PASS },
	{ .label = DHCP_OFFER, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_leases, .prime = prime_dhcp, .stages = FP_STAGE_BIT(FP_STAGE_DHCP),
	  .frame = dhcp_discover, .verdict = XDP_TX },
	{ .label = DHCP_ACK, .elf = pipeline__elf_bytes, .prog = "fp_pipeline",
	  .prepare = size_leases, .prime = prime_dhcp, .stages = FP_STAGE_BIT(FP_STAGE_DHCP),
	  .frame = dhcp_renew, .verdict = XDP_TX },
	{ .label = DHCP_FLOOR, .elf = dhcp_floor__elf_bytes, .prog = "dhcp_floor",
	  .prime = prime_dhcp_floor, .frame = dhcp_renew, .verdict = XDP_TX },
};

static const char *first_existing(const char *const *paths)
{
	for (; *paths; paths++)
		if (!access(*paths, R_OK))
			return *paths;
	return NULL;
}

/* open_bench: the loaded object, its maps kept out of bpffs; NULL with a
 * reason in why. */
static struct bpf_object *open_bench(const struct bench *b, const char **why)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = b->prog);
	struct bpf_program *prog;
	struct bpf_object *obj;
	const char *path = NULL;
	const void *elf;
	size_t size;

	/* The pipeline as the library opens it for an interface running the
	 * row's stages: the object compiled for them when there is one. */
	if (b->elf == pipeline__elf_bytes) {
		elf = fp_pipeline_elf_for(b->stages, &size);
		obj = bpf_object__open_mem(elf, size, &opts);
	} else if (b->elf) {
		elf = b->elf(&size);
		obj = bpf_object__open_mem(elf, size, &opts);
	} else {
		path = first_existing(b->paths);
		if (!path) {
			*why = "not installed (apt install xdp-tools)";
			return NULL;
		}
		obj = bpf_object__open_file(path, NULL);
	}
	if (!obj) {
		*why = "libbpf cannot open it";
		return NULL;
	}
	fp_test_unpin_maps(obj);
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), b->prog));
	/* The pipeline as the library loads it: built for the row's stages. */
	if (!strcmp(b->prog, "fp_pipeline") && fp_test_pipeline_build_for(obj, b->stages)) {
		*why = "has no fp_built to build it for its stages";
		bpf_object__close(obj);
		return NULL;
	}
	if (b->prepare && b->prepare(b, obj)) {
		*why = "could not size its maps";
		bpf_object__close(obj);
		return NULL;
	}
	if (bpf_object__load(obj)) {
		*why = "the kernel refused to load it (FP_BENCH_VERBOSE=1 shows why)";
		bpf_object__close(obj);
		return NULL;
	}
	if (b->prime && b->prime(b, obj)) {
		*why = "could not fill its maps";
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

/* measure: RUNS runs of REPEAT packets; every run must return XDP_PASS. */
static int measure(int prog_fd, const struct fp_pkt *p, unsigned int repeat, int runs,
		   struct result *r)
{
	return fp_run_median(prog_fd, p, repeat, runs, XDP_PASS, &r->ns);
}

static const struct result *find_result(const struct result *res, int n, const char *label)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(res[i].label, label))
			return &res[i];
	return NULL;
}

/* print_dhcp: the DHCP rows over the empty program timed as they are,
 * one frame a run (the timer's own cost is in both). */
static void print_dhcp(const struct result *res, int n)
{
	const struct result *one = find_result(res, n, DHCP_ONE), *ack, *floor;
	const char *rows[] = { DHCP_OFFER, DHCP_ACK };

	for (size_t i = 0; one && i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct result *r = find_result(res, n, rows[i]);

		if (r)
			printf("%s answered (XDP_TX): %+.0f ns over the empty program, %.2fx "
			       "(both one frame a run)\n", rows[i], r->ns - one->ns,
			       r->ns / one->ns);
	}
	ack = find_result(res, n, DHCP_ACK);
	floor = find_result(res, n, DHCP_FLOOR);
	if (one && floor)
		printf("%s: %+.0f ns over the empty program; the pipeline and the stage's "
		       "own code: %+.0f ns\n", DHCP_FLOOR, floor->ns - one->ns,
		       ack ? ack->ns - floor->ns : 0);
	if (one && ack)
		printf("%s: %+.0f ns over the empty program, goal <= %d ns: %s\n", DHCP_ACK,
		       ack->ns - one->ns, DHCP_GOAL,
		       ack->ns - one->ns <= DHCP_GOAL ? "met" : "MISSED");
}

/* added: row WITH minus row WITHOUT, in ns; NAN if either is missing. */
static double added(const struct result *res, int n, const char *with, const char *without)
{
	const struct result *a = find_result(res, n, with), *b = find_result(res, n, without);

	return a && b ? a->ns - b->ns : NAN;
}

/* print_stats: what the kernel's run-time statistics add to a run, on the
 * empty program and on the pipeline fastpathd ships. */
static void print_stats(const struct result *res, int n)
{
	const struct result *a = find_result(res, n, STATS_EMPTY), *b = find_result(res, n, PIPE_FLOWF);
	const struct result *c = find_result(res, n, STATS_FLOWF);

	if (a)
		printf("run-time stats (orchestrator.latency_stats): %+.1f ns a run on the empty "
		       "program, %.2fx\n", a->ns - res[0].ns, a->ns / res[0].ns);
	if (b && c)
		printf("run-time stats on the pipeline, firewall+flows: %+.1f ns a run, %.2fx\n",
		       c->ns - b->ns, c->ns / b->ns);
}

/* print_goal: whether the pipeline with no stages costs at most PIPE_GOAL
 * times the empty program, and what the flows stage adds to the same
 * pipeline without it. The test run repeats one frame, so the flows rows
 * take a known flow's path; a new flow costs what the table rows differ
 * by on top.
 *
 * Each comparison is held against FLOWS_GOAL: beside the firewall (the
 * configuration fastpathd ships: the stage records its verdict), beside
 * ports, and alone, where it also pays for the parse, which the pipeline
 * skips when no stage needs it (the parse row). */
static void print_goal(const struct result *res, int n)
{
	const struct result *bare = find_result(res, n, PIPE_BARE);
	double fw = added(res, n, PIPE_FLOWF, PIPE_FWALL);
	double ports = added(res, n, PIPE_FLOWP, PIPE_PORT);
	double alone = added(res, n, PIPE_FLOW, PIPE_BARE);
	double insert = added(res, n, TABLE_NEW, TABLE_SAME);
	double dhcp = added(res, n, PIPE_FFD, PIPE_FLOWF);
	double ratio;

	if (bare) {
		ratio = bare->ns / res[0].ns;
		printf("\n%s: %.2fx the empty program, goal <= %.1fx: %s\n",
		       PIPE_BARE, ratio, PIPE_GOAL, ratio <= PIPE_GOAL ? "met" : "MISSED");
	}
	if (!isnan(fw))
		printf("flows stage, known flow (firewall+flows - firewall): %+.1f ns, "
		       "goal <= %d ns: %s\n", fw, FLOWS_GOAL, fw <= FLOWS_GOAL ? "met" : "MISSED");
	if (!isnan(ports))
		printf("  beside ports (flows+ports - ports): %+.1f ns: %s\n", ports,
		       ports <= FLOWS_GOAL ? "within the goal" : "OVER the goal");
	if (!isnan(alone))
		printf("  alone (flows - no stages, with the parse): %+.1f ns: %s\n", alone,
		       alone <= FLOWS_GOAL ? "within the goal" : "OVER the goal");
	if (!isnan(insert))
		printf("flows stage, new flow (table full, evicting): %+.1f ns more than a "
		       "known flow\n", insert);
	if (!isnan(dhcp))
		printf("DHCP stage on, a frame that is not DHCP (fw+flows+dhcp - "
		       "firewall+flows): %+.1f ns\n", dhcp);
	print_dhcp(res, n);
	print_stats(res, n);
}

/* stats_counted: the program's run count reached RUNS. */
static int stats_counted(int prog_fd, uint64_t runs)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	return info.run_cnt >= runs ? 0 : -ENODATA;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: prog_bench [-n REPEAT] [-r RUNS] [--only TEXT] [--json]\n"
		"  --only TEXT  the empty program and the rows whose name holds TEXT\n"
		"               (with the DHCP rows, the empty program one frame a run;\n"
		"               with the stats rows, the pipeline they are compared to)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct result res[sizeof(benches) / sizeof(benches[0])];
	unsigned int repeat = 10000000;
	int runs = 5, n = 0, c, err;
	const char *only = NULL;
	bool json = false;
	int stats_fd;
	struct fp_pkt pkt;
	size_t i;

	while ((c = getopt_long(argc, argv, "n:r:o:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!repeat || runs < 1 || runs > FP_RUNS_MAX) {
		fprintf(stderr, "prog_bench: REPEAT must be > 0 and RUNS 1..%d\n", FP_RUNS_MAX);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "prog_bench: run as root: loading BPF programs needs it\n");
		return 1;
	}
	if (!getenv("FP_BENCH_VERBOSE"))
		libbpf_set_print(NULL);

	fp_pkt_udp4(&pkt, BENCH_PORT, 64);
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		const char *why = NULL;
		struct bpf_program *prog;
		struct bpf_object *obj;

		/* The DHCP rows come with the empty program timed their way,
		 * the stats rows with the pipeline they are compared to. */
		if (only && i && !strstr(b->label, only) &&
		    !(!strcmp(b->label, DHCP_ONE) &&
		      (strstr(DHCP_OFFER, only) || strstr(DHCP_ACK, only))) &&
		    !(!strcmp(b->label, PIPE_FLOWF) && strstr(STATS_FLOWF, only)))
			continue;
		obj = open_bench(b, &why);
		if (!obj) {
			fprintf(stderr, "prog_bench: skipping %s: %s\n", b->label, why);
			continue;
		}
		prog = bpf_object__find_program_by_name(obj, b->prog);
		stats_fd = b->stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
		if (b->stats && stats_fd < 0) {
			fprintf(stderr, "prog_bench: skipping %s: BPF_ENABLE_STATS: %s\n",
				b->label, strerror(errno));
			bpf_object__close(obj);
			continue;
		}
		if (prog && b->frame)
			err = measure_single(b, obj, bpf_program__fd(prog),
					     repeat < 200000 ? repeat : 200000, &res[n]);
		else
			err = prog ? measure(bpf_program__fd(prog), &pkt, repeat, runs, &res[n])
				   : -ESRCH;
		if (!err && b->check)
			err = b->check(b, obj, fp_run_median_packets(repeat, runs));
		/* The kernel counted the runs: the statistics were on. */
		if (!err && b->stats)
			err = stats_counted(bpf_program__fd(prog), (uint64_t)repeat * runs);
		if (stats_fd >= 0)
			close(stats_fd);
		bpf_object__close(obj);
		if (err) {
			fprintf(stderr, "prog_bench: %s: %s\n", b->label, strerror(-err));
			return 1;
		}
		res[n++].label = b->label;
	}
	if (!n || strcmp(res[0].label, benches[0].label)) {
		fprintf(stderr, "prog_bench: the empty program did not run: no baseline\n");
		return 1;
	}

	if (json) {
		printf("[");
		for (c = 0; c < n; c++)
			printf("%s\n {\"program\": \"%s\", \"ns_per_pkt\": %.1f, "
			       "\"over_empty_ns\": %.1f, \"ratio\": %.2f}",
			       c ? "," : "", res[c].label, res[c].ns,
			       res[c].ns - res[0].ns, res[c].ns / res[0].ns);
		printf("\n]\n");
		return 0;
	}
	printf("%u packets x %d runs, 64-byte UDP frame, median run\n\n", repeat, runs);
	printf("%-28s %8s %12s %10s\n", "program", "ns/pkt", "over empty", "vs empty");
	for (c = 0; c < n; c++)
		printf("%-28s %8.1f %12.1f %9.2fx\n", res[c].label, res[c].ns,
		       res[c].ns - res[0].ns, res[c].ns / res[0].ns);
	print_goal(res, n);
	return 0;
}
