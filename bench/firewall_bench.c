// SPDX-License-Identifier: BSD-2-Clause
/* firewall_bench: the cost per packet of the pipeline's firewall stage as
 * rule sets grow, against xdp-filter's all-fields program and the empty
 * program in the same run, under BPF_PROG_TEST_RUN.
 *
 *   firewall_bench [-n REPEAT] [-r RUNS] [--sizes 0,10,1000,10000,100000]
 *
 * Sets are generated, mixed and reproducible (docs/firewall.md): source
 * and destination IPv4 prefixes of varied lengths, protocol and port,
 * port ranges, IPv4 prefixes with ports, both addresses, some IPv6; and
 * a last rule only the last-rule frame matches. Frames, 64 bytes:
 *   no match      every field outside every rule: the policy
 *   worst case    matches no rule, but each of its fields holds in rules
 *                 of every shape the set has ("decoys"), so the stage
 *                 probes every one: the policy, at the highest cost
 *   last rule     matches the last rule and no other
 * Each row checks its verdict and that the rule's counter (or the
 * policy's) counted every packet, or the benchmark stops. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fastpath/firewall.h>
#include "../tests/bpf/pipeline_fixture.h"
#include "tests/progs/xdp_pass.skel.h"

#define GOAL_PEER  1.0  /* 10k rules, over xdp-filter: no match, last rule */
#define GOAL_WORST 1.2  /* 10k rules, over xdp-filter: worst case (issue 18) */
#define GOAL_FLAT  1.5  /* 100k rules, over 10 */
#define XDPFILT_ENTRIES 10000

enum frame { F_NONE, F_WORST, F_LAST, F_MAX };

static const char *const frame_names[F_MAX] = { "no match", "worst case", "last rule" };

/* The frames' fields. Generated rules stay clear of them. */
#define NONE_SRC  "192.0.2.1"
#define NONE_DST  "192.0.2.2"
#define NONE_PORT 7
#define WORST_SRC "198.18.0.1"
#define WORST_DST "198.19.0.1"
#define WORST_PORT 5353
#define LAST_SRC  "100.64.1.1"
#define LAST_DST  "100.65.2.2"
#define LAST_PORT 8443
#define SPORT     40000

struct opts {
	unsigned int repeat;
	int runs;
	size_t sizes[8];
	int n_sizes;
};

/* ---- rule sets ------------------------------------------------------------------ */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state >> 32;
}

static void pfx_set(struct fp_fw_prefix *p, int family, const void *addr, int len)
{
	memset(p, 0, sizeof(*p));
	p->present = true;
	p->family = family;
	p->len = len;
	memcpy(p->addr, addr, family == AF_INET ? 4 : 16);
	for (int b = len; b < (family == AF_INET ? 32 : 128); b++)
		p->addr[b / 8] &= ~(0x80 >> (b % 8));
}

static void pfx_str(struct fp_fw_prefix *p, const char *addr, int len)
{
	uint8_t a[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, addr, a) != 1)
		abort();
	pfx_set(p, family, a, len);
}

/* A /8../32 IPv4 prefix, lengths weighted to /16../32 as real sets are,
 * clear of the frames' addresses (192.0.2/24, 198.18/15, 100.64/10). */
static void random_v4(struct fp_fw_prefix *p)
{
	static const int lens[] = { 8, 12, 16, 20, 22, 24, 24, 24, 26, 28, 30, 32, 32, 32 };
	uint32_t a;
	int len;

	do {
		a = rnd();
		len = lens[rnd() % (sizeof(lens) / sizeof(lens[0]))];
	} while ((a >> 24) == 192 || (a >> 24) == 198 || (a >> 24) == 100 || !(a >> 24));
	a = htonl(a);
	pfx_set(p, AF_INET, &a, len);
}

/* An IPv6 prefix inside one of 256 /32 allocations of 2000::/3: sets
 * name many networks, and each /32 holds the longer prefixes of its own. */
static void random_v6(struct fp_fw_prefix *p)
{
	static const int lens[] = { 32, 48, 56, 64, 64, 128, 128 };
	static uint32_t alloc[256];
	uint32_t base;
	uint8_t a[16];

	if (!alloc[0])
		for (int i = 0; i < 256; i++)
			alloc[i] = 0x20000000u | (rnd() & 0x1fffffffu);
	base = htonl(alloc[rnd() % 256]);
	memcpy(a, &base, 4);
	for (int i = 4; i < 16; i++)
		a[i] = rnd();
	pfx_set(p, AF_INET6, a, lens[rnd() % (sizeof(lens) / sizeof(lens[0]))]);
}

/* A port that is none of the frames'. */
static uint16_t random_port(void)
{
	uint16_t p;

	do
		p = 1 + rnd() % 65535;
	while (p == NONE_PORT || (p >= 5000 && p <= 9000) || p == SPORT);
	return p;
}

/* random_range: 2 to 1,001 ports from 1024 up, none of the frames'. */
static void random_range(struct fp_fw_ports *r)
{
	unsigned int lo = random_port(), hi;

	if (lo < 1024)
		lo += 1024;
	hi = lo + 1 + rnd() % 1000;

	if (hi > 65535 || (lo < 5000 && hi >= 5000) || (lo < SPORT && hi >= SPORT))
		hi = lo + 1;
	if (hi > 65535 || hi == SPORT || (hi >= 5000 && hi <= 9000))
		hi = lo;
	r->lo = lo;
	r->hi = hi;
}

static int random_proto(void)
{
	return rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
}

/* random_rule: one of the mix, drop or allow. */
static void random_rule(struct fp_fw_rule *r)
{
	unsigned int kind = rnd() % 100;

	memset(r, 0, sizeof(*r));
	r->action = rnd() % 2 ? FP_FW_DROP : FP_FW_ALLOW;
	if (kind < 25) {                        /* source prefix */
		random_v4(&r->src);
	} else if (kind < 40) {                 /* destination prefix */
		random_v4(&r->dst);
	} else if (kind < 55) {                 /* protocol and port */
		r->proto = random_proto();
		r->dport.lo = r->dport.hi = random_port();
	} else if (kind < 63) {                 /* port range */
		r->proto = rnd() % 3 ? random_proto() : 0;
		random_range(&r->dport);
	} else if (kind < 75) {                 /* source prefix, protocol, port */
		random_v4(&r->src);
		r->proto = random_proto();
		r->dport.lo = r->dport.hi = random_port();
	} else if (kind < 83) {                 /* destination prefix, port range */
		random_v4(&r->dst);
		r->proto = random_proto();
		random_range(&r->dport);
	} else if (kind < 88) {                 /* both addresses */
		random_v4(&r->src);
		random_v4(&r->dst);
	} else if (kind < 96) {                 /* IPv6, half with a port */
		random_v6(rnd() % 2 ? &r->src : &r->dst);
		if (rnd() % 2) {
			r->proto = random_proto();
			r->dport.lo = r->dport.hi = random_port();
		}
	} else {                                /* ICMP, or a source port */
		if (rnd() % 2) {
			r->proto = IPPROTO_ICMP;
		} else {
			r->proto = random_proto();
			r->sport.lo = r->sport.hi = random_port();
		}
	}
	r->family = r->src.present ? r->src.family : r->dst.present ? r->dst.family : 0;
}

/* decoys: for each shape of two fields the mix has, rules that each hold
 * for all but one of the worst-case frame's fields: the frame passes
 * every field's test of that shape and matches none of its rules. */
static size_t decoys(struct fp_fw_rule *r)
{
	struct fp_fw_rule *d = r;

	/* source + protocol + port */
	pfx_str(&d->src, WORST_SRC, 24), d->proto = IPPROTO_UDP, d->dport.lo = d->dport.hi = 5354, d++;
	pfx_str(&d->src, "198.18.1.0", 24), d->proto = IPPROTO_UDP, d->dport.lo = d->dport.hi = WORST_PORT, d++;
	/* destination + protocol + port range */
	pfx_str(&d->dst, WORST_DST, 24), d->proto = IPPROTO_UDP, d->dport.lo = 6000, d->dport.hi = 6100, d++;
	pfx_str(&d->dst, "198.19.1.0", 24), d->proto = IPPROTO_UDP, d->dport.lo = 5300, d->dport.hi = 5400, d++;
	/* both addresses */
	pfx_str(&d->src, WORST_SRC, 24), pfx_str(&d->dst, "198.19.1.0", 24), d++;
	pfx_str(&d->src, "198.18.1.0", 24), pfx_str(&d->dst, WORST_DST, 24), d++;
	/* source + protocol + source port (the mix's IPv6 rules share the
	 * shapes above; this one adds a fourth) */
	pfx_str(&d->src, WORST_SRC, 24), d->proto = IPPROTO_UDP, d->sport.lo = d->sport.hi = SPORT + 1, d++;
	pfx_str(&d->src, "198.18.1.0", 24), d->proto = IPPROTO_UDP, d->sport.lo = d->sport.hi = SPORT, d++;
	for (struct fp_fw_rule *x = r; x < d; x++) {
		x->action = FP_FW_ALLOW;
		x->family = AF_INET;
	}
	return d - r;
}

/* make_set: N rules (0: none): decoys first, the mix, the last rule. */
static int make_set(size_t n, struct fp_firewall_config *fw)
{
	struct fp_fw_rule *r = calloc(n + 16, sizeof(*r)), *last;
	size_t k = 0;

	memset(fw, 0, sizeof(*fw));
	fw->policy = FP_FW_ALLOW;
	fw->rules = r;
	if (!r)
		return -ENOMEM;
	if (!n)
		return 0;
	if (n >= 10)
		k = decoys(r);
	while (k + 1 < n)
		random_rule(&r[k++]);
	last = &r[k++];
	memset(last, 0, sizeof(*last));
	last->action = FP_FW_DROP;
	pfx_str(&last->src, "100.64.0.0", 16);
	pfx_str(&last->dst, "100.65.2.0", 24);
	last->family = AF_INET;
	last->proto = IPPROTO_TCP;
	last->dport.lo = last->dport.hi = LAST_PORT;
	for (size_t i = 0; i < k; i++)
		r[i].line = i + 3;
	fw->n_rules = k;
	return 0;
}

/* ---- frames and runs ----------------------------------------------------------------- */

static void frame(struct fp_pkt *p, enum frame f)
{
	static const char *const src[F_MAX] = { NONE_SRC, WORST_SRC, LAST_SRC };
	static const char *const dst[F_MAX] = { NONE_DST, WORST_DST, LAST_DST };
	static const uint16_t port[F_MAX] = { NONE_PORT, WORST_PORT, LAST_PORT };
	struct iphdr *ip;

	fp_pkt_init(p);
	fp_pkt_eth(p);
	ip = fp_pkt_ipv4(p, 0);
	inet_pton(AF_INET, src[f], &ip->saddr);
	inet_pton(AF_INET, dst[f], &ip->daddr);
	if (f == F_LAST)
		fp_pkt_tcp(p, SPORT, port[f]);
	else
		fp_pkt_udp(p, SPORT, port[f]);
	fp_pkt_payload(p, 64 - p->len);
	fp_pkt_finish(p);
}

/* measure: the median of o->runs runs of o->repeat packets, each
 * returning VERDICT. */
static int measure(int prog_fd, const struct fp_pkt *p, const struct opts *o,
		   uint32_t verdict, double *median)
{
	return fp_run_median(prog_fd, p, o->repeat, o->runs, verdict, median);
}

static uint64_t packets_of(const struct opts *o)
{
	return fp_run_median_packets(o->repeat, o->runs);
}

/* ---- the rows ------------------------------------------------------------------------- */

struct row {
	char label[64];
	size_t rules;
	int frame;              /* -1: not a firewall row */
	double ns;
};

struct table {
	struct row r[64];
	int n;
};

static struct row *row_add(struct table *t, const char *label, size_t rules, int f,
			   double ns)
{
	struct row *r = &t->r[t->n++];

	snprintf(r->label, sizeof(r->label), "%s", label);
	r->rules = rules;
	r->frame = f;
	r->ns = ns;
	return r;
}

static int bench_empty(const struct opts *o, struct table *t)
{
	struct xdp_pass *s = xdp_pass__open_and_load();
	struct fp_pkt p;
	double ns;
	int err;

	if (!s)
		return -errno;
	frame(&p, F_NONE);
	err = measure(bpf_program__fd(s->progs.xdp_pass), &p, o, XDP_PASS, &ns);
	xdp_pass__destroy(s);
	if (!err)
		row_add(t, "xdp_pass (empty)", 0, -1, ns);
	return err;
}

static const char *const xdpfilt_paths[] = {
	"/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o",
	"/usr/lib/bpf/xdpfilt_alw_all.o",
	"/usr/local/lib/bpf/xdpfilt_alw_all.o",
	NULL,
};

/* xdpfilt_fill: xdp-filter's per-CPU hash and array maps, as its loader
 * fills them (xdp-tools common_kern_user.h): 4,000 IPv4 and 3,000 IPv6
 * addresses (source and destination flags), 3,000 ports (TCP and UDP,
 * both directions), none of them the frame's. */
static int xdpfilt_fill(struct bpf_object *obj, size_t n)
{
	int v4 = bpf_object__find_map_fd_by_name(obj, "filter_ipv4");
	int v6 = bpf_object__find_map_fd_by_name(obj, "filter_ipv6");
	int ports = bpf_object__find_map_fd_by_name(obj, "filter_ports");
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	uint64_t *flags = calloc(ncpu > 0 ? ncpu : 1, sizeof(*flags));

	if (!flags || ncpu <= 0)
		return -ENOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		struct fp_fw_prefix p;
		uint32_t key;

		for (int c = 0; c < ncpu; c++)
			flags[c] = i % 10 < 7 ? 1 | 2 : 1 | 2 | 4 | 8;
		if (i % 10 < 4) {
			random_v4(&p);
			err = bpf_map_update_elem(v4, p.addr, flags, BPF_ANY);
		} else if (i % 10 < 7) {
			random_v6(&p);
			err = bpf_map_update_elem(v6, p.addr, flags, BPF_ANY);
		} else {
			key = htons(random_port());
			err = bpf_map_update_elem(ports, &key, flags, BPF_ANY);
		}
	}
	free(flags);
	return err ? -errno : 0;
}

static int bench_xdpfilt(const struct opts *o, struct table *t)
{
	struct bpf_object *obj = NULL;
	const char *const *path;
	struct fp_pkt p;
	double ns;
	int err;

	for (path = xdpfilt_paths; *path && access(*path, R_OK); path++)
		;
	if (!*path) {
		fprintf(stderr, "firewall_bench: skipping xdp-filter: not installed "
			"(apt install xdp-tools)\n");
		return 0;
	}
	obj = bpf_object__open_file(*path, NULL);
	if (!obj)
		return -errno;
	fp_test_unpin_maps(obj);
	err = bpf_object__load(obj);
	err = err ?: xdpfilt_fill(obj, XDPFILT_ENTRIES);
	frame(&p, F_NONE);
	/* alw: what it lists is dropped, the rest passes, after every lookup */
	err = err ?: measure(bpf_program__fd(bpf_object__next_program(obj, NULL)), &p, o,
			     XDP_PASS, &ns);
	bpf_object__close(obj);
	if (!err)
		row_add(t, "xdp-filter alw_all", XDPFILT_ENTRIES, -1, ns);
	return err;
}

/* counted: the rule RULE (0: the policy) counted PACKETS. */
static int counted(const struct fp_fw_maps *m, unsigned int rule, uint64_t packets)
{
	struct fp_fw_listing l;
	uint64_t got = 0;
	int err = fp_firewall_list_maps(m, &l);

	if (err)
		return err;
	if (!rule)
		got = l.policy_packets;
	for (size_t i = 0; i < l.n; i++)
		if (l.rules[i].index == rule)
			got = l.rules[i].packets;
	fp_fw_listing_free(&l);
	return got == packets ? 0 : -EBADMSG;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

static int bench_pipeline_bare(const struct opts *o, struct table *t)
{
	struct pipeline *s = fp_test_pipeline_load_for(0, NULL);
	struct fp_pkt p;
	double ns;
	int err;

	if (!s)
		return -errno;
	frame(&p, F_NONE);
	err = measure(bpf_program__fd(s->progs.fp_pipeline), &p, o, XDP_PASS, &ns);
	pipeline__destroy(s);
	if (!err)
		row_add(t, "fp_pipeline, no stages", 0, -1, ns);
	return err;
}

/* bench_firewall: a pipeline with the firewall stage and N rules, each
 * frame. */
static int bench_firewall(const struct opts *o, size_t n, struct table *t)
{
	struct fp_fw_compile_stats st;
	struct fp_firewall_config fw;
	struct fp_config_error cerr;
	struct fp_fw_compiled *c = NULL;
	struct pipeline *s = NULL;
	struct fp_fw_maps m;
	struct timespec t0;
	double compile_ms, install_ms;
	int err;

	err = make_set(n, &fw);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = err ?: fp_firewall_compile(&fw, NULL, &c, &cerr);
	compile_ms = ms_since(&t0);
	if (err) {
		fprintf(stderr, "firewall_bench: %zu rules: %s\n", n, cerr.msg);
		goto out;
	}
	s = fp_test_pipeline_load_for(FP_STAGE_BIT(FP_STAGE_FIREWALL), NULL);
	if (!s) {
		err = -errno;
		goto out;
	}
	m = (struct fp_fw_maps){
		.gen = bpf_map__fd(s->maps.fp_fw_gen), .table = bpf_map__fd(s->maps.fp_fw_table),
		.counters = bpf_map__fd(s->maps.fp_fw_counters),
		.list = bpf_map__fd(s->maps.fp_fw_list),
		.live = bpf_map__fd(s->maps.fp_fw_live),
	};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = fp_firewall_install(&m, c);
	install_ms = ms_since(&t0);
	err = err ?: fp_test_set_stages(bpf_map__fd(s->maps.fp_config),
					FP_STAGE_BIT(FP_STAGE_FIREWALL));
	fp_fw_compiled_stats(c, &st);
	fprintf(stderr, "firewall_bench: %zu rules: %zu shapes, %zu match entries, %zu trie "
		"elements, compiled in %.0f ms, installed in %.0f ms\n", n, st.slots,
		st.match_entries, st.nodes, compile_ms, install_ms);
	for (int f = 0; !err && f < F_MAX; f++) {
		bool last = f == F_LAST && n;
		struct fp_pkt p;
		double ns;
		char label[64];

		if (f == F_WORST && n < 10)
			continue;
		frame(&p, f);
		err = measure(bpf_program__fd(s->progs.fp_pipeline), &p, o,
			      last ? XDP_DROP : XDP_PASS, &ns);
		/* counters carry on across frames: check each frame's own rule */
		err = err ?: counted(&m, last ? fw.n_rules : 0,
				     packets_of(o) * (last ? 1 : 1 + (f == F_WORST) +
						      (f == F_LAST && !n)));
		if (err == -EPROTO || err == -EBADMSG)
			fprintf(stderr, "firewall_bench: %zu rules, %s: %s\n", n, frame_names[f],
				err == -EPROTO ? "wrong verdict" : "counted by another rule");
		snprintf(label, sizeof(label), "firewall, %zu rules", n);
		if (!err)
			row_add(t, label, n, f, ns);
	}
out:
	pipeline__destroy(s);
	fp_fw_compiled_free(c);
	free(fw.rules);
	return err;
}

/* ---- output -------------------------------------------------------------------------- */

static const struct row *find(const struct table *t, size_t rules, int f)
{
	for (int i = 0; i < t->n; i++)
		if (t->r[i].frame == f && t->r[i].rules == rules)
			return &t->r[i];
	return NULL;
}

static void print_goals(const struct table *t)
{
	const struct row *peer = NULL;

	for (int i = 0; i < t->n; i++)
		if (!strncmp(t->r[i].label, "xdp-filter", 10))
			peer = &t->r[i];
	printf("\n");
	for (int f = 0; f < F_MAX; f++) {
		const struct row *k10 = find(t, 10000, f), *ten = find(t, 10, f);
		const struct row *k100 = find(t, 100000, f);

		if (k10 && peer) {
			double r = k10->ns / peer->ns, goal = f == F_WORST ? GOAL_WORST : GOAL_PEER;

			printf("10k rules, %s: %.2fx xdp-filter, goal <= %.1fx: %s\n",
			       frame_names[f], r, goal, r <= goal ? "met" : "MISSED");
		}
		if (k100 && ten) {
			double r = k100->ns / ten->ns;

			printf("100k rules, %s: %.2fx 10 rules, goal <= %.1fx: %s\n",
			       frame_names[f], r, GOAL_FLAT, r <= GOAL_FLAT ? "met" : "MISSED");
		}
	}
}

static void print_table(const struct table *t, const struct opts *o)
{
	const struct row *peer = NULL;

	for (int i = 0; i < t->n; i++)
		if (!strncmp(t->r[i].label, "xdp-filter", 10))
			peer = &t->r[i];
	printf("%u packets x %d runs, 64-byte frames, median run\n\n", o->repeat, o->runs);
	printf("%-26s %-11s %7s %11s %9s %12s\n", "program", "frame", "ns/pkt", "over empty",
	       "vs empty", "vs xdp-filter");
	for (int i = 0; i < t->n; i++) {
		const struct row *r = &t->r[i];

		printf("%-26s %-11s %7.1f %11.1f %8.2fx", r->label,
		       r->frame >= 0 ? frame_names[r->frame] : "no match", r->ns,
		       r->ns - t->r[0].ns, r->ns / t->r[0].ns);
		if (peer)
			printf(" %11.2fx", r->ns / peer->ns);
		printf("\n");
	}
	print_goals(t);
}

static int parse_sizes(const char *s, struct opts *o)
{
	char *end;

	o->n_sizes = 0;
	while (*s && o->n_sizes < 8) {
		o->sizes[o->n_sizes++] = strtoul(s, &end, 10);
		if (end == s || o->sizes[o->n_sizes - 1] > FP_CONFIG_RULES_MAX)
			return -EINVAL;
		s = *end == ',' ? end + 1 : end;
	}
	return o->n_sizes ? 0 : -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: firewall_bench [-n REPEAT] [-r RUNS] [--sizes N,N,...]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .repeat = 2000000, .runs = 5 };
	struct table t = { .n = 0 };
	int c, err;

	parse_sizes("0,10,1000,10000,100000", &o);
	while ((c = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.repeat = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o.runs = atoi(optarg);
			break;
		case 's':
			if (parse_sizes(optarg, &o)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.repeat || o.runs < 1 || o.runs > FP_RUNS_MAX) {
		fprintf(stderr, "firewall_bench: REPEAT must be > 0 and RUNS 1..%d\n", FP_RUNS_MAX);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "firewall_bench: run as root: loading BPF programs needs it\n");
		return 1;
	}
	if (!getenv("FP_BENCH_VERBOSE"))
		libbpf_set_print(NULL);
	err = bench_empty(&o, &t);
	err = err ?: bench_xdpfilt(&o, &t);
	err = err ?: bench_pipeline_bare(&o, &t);
	for (int i = 0; !err && i < o.n_sizes; i++)
		err = bench_firewall(&o, o.sizes[i], &t);
	if (err) {
		fprintf(stderr, "firewall_bench: %s\n", strerror(-err));
		return 1;
	}
	print_table(&t, &o);
	return 0;
}
