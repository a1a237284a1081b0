// SPDX-License-Identifier: BSD-2-Clause
/* The DHCP stage of bpf/pipeline.bpf.c on crafted DHCPv4 requests, its
 * maps private to the test: which requests it answers (XDP_TX) and which
 * it leaves to the server (XDP_PASS, and the miss counter that says why),
 * the lease it extends and the event it sends. Every reply is read back
 * by tests/bpf/dhcp_check.py (scapy, a coprocess started once) and
 * checked field by field, checksums included. FP_DHCP_CHECK names the
 * script; by default it is found from the binary, BUILD/tests/bpf/ ->
 * tests/bpf/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <time.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <fastpath/dhcp.h>  /* the slow path, for the differential test; before
                             * the fixture: net/if.h must precede linux/if.h */
#include "pipeline_fixture.h"
#include "dhcp_abi.h"

#define LEASES    64
#define POOL      3
#define SERVER    "10.0.0.1"
#define ROUTER    "10.0.0.1"
#define CLIENT_IP "10.0.0.50"
#define OTHER_IP  "10.0.0.51"
#define RELAY     "10.0.0.254"  /* a relay on the lease's subnet */
#define FAR_RELAY "10.9.9.1"    /* a relay on another network */
#define LEASE_S   3600
#define DOMAIN    "example.org"

static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t relay_mac[6] = { 0x02, 0, 0, 0, 0, 0x77 };

struct fixture {
	struct pipeline *skel;
	int prog_fd, leases_fd, pools_fd, cfg_fd, stats_fd, pstats_fd;
};

/* The scapy coprocess, shared by every test. */
static FILE *check_in, *check_out;
static pid_t check_pid;

static uint32_t a4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

/* clock_ns: CLOCK in ns. */
static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* mono_ns: the stage's clock, exactly (CLOCK_MONOTONIC). */
static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* check_path: $FP_DHCP_CHECK, else ../../../tests/bpf/dhcp_check.py from
 * this binary (BUILD/tests/bpf/test_dhcp). */
static int check_path(char *buf, size_t size)
{
	char exe[PATH_MAX];
	const char *env = getenv("FP_DHCP_CHECK");
	ssize_t n;

	if (env)
		return snprintf(buf, size, "%s", env) < (int)size ? 0 : -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	return snprintf(buf, size, "%s/../../../tests/bpf/dhcp_check.py", dirname(exe)) <
	       (int)size ? 0 : -1;
}

static int check_start(void)
{
	int to[2], from[2];
	char path[PATH_MAX], line[64];

	if (check_path(path, sizeof(path)) || access(path, R_OK)) {
		fprintf(stderr, "test_dhcp: no dhcp_check.py (set FP_DHCP_CHECK)\n");
		return -1;
	}
	if (pipe(to) || pipe(from))
		return -1;
	check_pid = fork();
	if (check_pid < 0)
		return -1;
	if (!check_pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl("/usr/bin/python3", "python3", path, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	check_in = fdopen(to[1], "w");
	check_out = fdopen(from[0], "r");
	if (!check_in || !check_out || !fgets(line, sizeof(line), check_out) ||
	    strcmp(line, "ready\n")) {
		fprintf(stderr, "test_dhcp: dhcp_check.py did not start (python3-scapy?)\n");
		return -1;
	}
	return 0;
}

static void check_stop(void)
{
	if (check_in)
		fclose(check_in);
	if (check_out)
		fclose(check_out);
	if (check_pid > 0)
		waitpid(check_pid, NULL, 0);
}

/* ---- fixture --------------------------------------------------------- */

static struct fp_dhcp_pool_map pool_full(void)
{
	struct fp_dhcp_pool_map p;

	memset(&p, 0, sizeof(p));
	p.subnet = a4("10.0.0.0");
	p.mask = a4("255.255.255.0");
	p.router = a4(ROUTER);
	p.dns[0] = a4("10.0.0.2");
	p.dns[1] = a4("10.0.0.3");
	p.n_dns = 2;
	p.lease_s = LEASE_S;
	p.t1_s = LEASE_S / 2;
	p.t2_s = LEASE_S * 7 / 8;
	p.domain_len = strlen(DOMAIN);
	memcpy(p.domain, DOMAIN, strlen(DOMAIN));
	p.valid = 1;
	return p;
}

static void put_pool(struct fixture *f, uint32_t idx, const struct fp_dhcp_pool_map *p)
{
	assert_int_equal(bpf_map_update_elem(f->pools_fd, &idx, p, BPF_ANY), 0);
}

static struct fp_dhcp_key mac_key(const uint8_t mac[6], uint16_t vlan)
{
	struct fp_dhcp_key k;

	memset(&k, 0, sizeof(k));
	k.vlan = vlan;
	k.kind = FP_DHCP_KEY_MAC;
	k.len = 6;
	memcpy(k.id, mac, 6);
	return k;
}

static struct fp_dhcp_key id_key(const uint8_t *id, uint8_t len, uint16_t vlan)
{
	struct fp_dhcp_key k;

	memset(&k, 0, sizeof(k));
	k.vlan = vlan;
	k.kind = FP_DHCP_KEY_CLIENT_ID;
	k.len = len;
	memcpy(k.id, id, len);
	return k;
}

static void put_lease(struct fixture *f, const struct fp_dhcp_key *k, const char *ip,
		      int64_t expires_in_s)
{
	struct fp_dhcp_lease l;

	memset(&l, 0, sizeof(l));
	l.ip = a4(ip);
	l.pool = POOL;
	l.expires_ns = mono_ns() + expires_in_s * 1000000000ll;
	memcpy(l.chaddr, client_mac, 6);
	assert_int_equal(bpf_map_update_elem(f->leases_fd, k, &l, BPF_ANY), 0);
}

/* size_leases: a lease cache of LEASES, so a test can fill it. */
static int size_leases(struct pipeline *skel)
{
	return bpf_map__set_max_entries(skel->maps.fp_dhcp_leases, LEASES);
}

static int setup(void **state)
{
	struct fp_dhcp_cfg dc = { .enabled = 1, .local_pool = POOL };
	struct fp_dhcp_pool_map pool = pool_full();
	struct fp_dhcp_key k = mac_key(client_mac, 0);
	struct fp_dhcp_lease l = { 0 };
	struct fixture *f;
	int err;
	uint32_t zero = 0, idx = POOL;

	err = fp_test_fixture(state, sizeof(*f));
	if (err <= 0)
		return err;
	f = *state;
	f->skel = fp_test_pipeline_load(size_leases);
	if (!f->skel)
		return -1;
	f->prog_fd = bpf_program__fd(f->skel->progs.fp_pipeline);
	f->leases_fd = bpf_map__fd(f->skel->maps.fp_dhcp_leases);
	f->pools_fd = bpf_map__fd(f->skel->maps.fp_dhcp_pools);
	f->cfg_fd = bpf_map__fd(f->skel->maps.fp_dhcp_cfg);
	f->stats_fd = bpf_map__fd(f->skel->maps.fp_dhcp_stats);
	f->pstats_fd = bpf_map__fd(f->skel->maps.fp_stats);
	dc.server_id = a4(SERVER);
	memcpy(dc.server_mac, server_mac, 6);
	l.ip = a4(CLIENT_IP);
	l.pool = POOL;
	l.expires_ns = mono_ns() + 600 * 1000000000ull;
	memcpy(l.chaddr, client_mac, 6);
	if (fp_test_set_stages(bpf_map__fd(f->skel->maps.fp_config),
			       FP_STAGE_BIT(FP_STAGE_DHCP)) ||
	    bpf_map_update_elem(f->cfg_fd, &zero, &dc, BPF_ANY) ||
	    bpf_map_update_elem(f->pools_fd, &idx, &pool, BPF_ANY) ||
	    bpf_map_update_elem(f->leases_fd, &k, &l, BPF_ANY))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		pipeline__destroy(f->skel);
	free(f);
	return 0;
}

static uint64_t counter(struct fixture *f, uint32_t idx)
{
	uint64_t sum;

	assert_int_equal(fp_test_percpu_sum(f->stats_fd, &idx, &sum, sizeof(sum)), 0);
	return sum;
}

/* Only the counters named (index, value; -1 ends) are non-zero. */
static void assert_counters(struct fixture *f, ...)
{
	uint64_t want[FP_DHCP_COUNTERS] = { 0 };
	va_list ap;
	int idx;

	va_start(ap, f);
	while ((idx = va_arg(ap, int)) >= 0)
		want[idx] = va_arg(ap, int);
	va_end(ap);
	for (idx = 0; idx < FP_DHCP_COUNTERS; idx++) {
		uint64_t got = counter(f, idx);

		if (got != want[idx])
			fail_msg("fp_dhcp_stats[%d] = %llu, expected %llu", idx,
				 (unsigned long long)got, (unsigned long long)want[idx]);
	}
}

/* ---- requests ---------------------------------------------------------- */

struct req {
	uint8_t type;            /* option 53; 0: none */
	uint8_t op, hlen;        /* 0: 1 and 6 */
	uint16_t flags;          /* host order */
	uint32_t xid;
	const char *ciaddr, *giaddr;
	const char *requested;   /* option 50 */
	const char *server;      /* option 54 */
	const uint8_t *client_id;/* option 61 */
	uint8_t client_id_len;
	const uint8_t *relay;    /* option 82's value */
	uint8_t relay_len;
	uint16_t vlan[2];
	int vlans;
	size_t ip_optlen;
	const uint8_t *extra;    /* raw options before END */
	size_t extra_len;
	bool no_end;
	uint32_t cookie;         /* 0: the magic */
};

static uint8_t *put_opt(struct fp_pkt *p, uint8_t code, const void *v, uint8_t len)
{
	uint8_t *o = fp_pkt_put(p, 2 + len);

	o[0] = code;
	o[1] = len;
	memcpy(o + 2, v, len);
	return o;
}

static void build(struct fp_pkt *p, const struct req *q)
{
	uint32_t cookie = htonl(q->cookie ? q->cookie : FP_DHCP_MAGIC), a;
	uint16_t flags = htons(q->flags);
	uint32_t xid = htonl(q->xid ? q->xid : 0x12345678);
	uint8_t *b;

	fp_pkt_init(p);
	memcpy(fp_pkt_eth(p)->h_source, q->giaddr ? relay_mac : client_mac, 6);
	memset(p->data, 0xff, 6);
	for (int i = 0; i < q->vlans; i++)
		fp_pkt_vlan(p, q->vlans == 2 && i == 0 ? ETH_P_8021AD : ETH_P_8021Q, q->vlan[i]);
	fp_pkt_ipv4(p, q->ip_optlen)->daddr = 0xffffffff;
	fp_pkt_udp(p, q->giaddr ? 67 : 68, 67);
	b = fp_pkt_put(p, 236);
	b[0] = q->op ? q->op : 1;
	b[1] = 1;
	b[2] = q->hlen ? q->hlen : 6;
	memcpy(b + 4, &xid, 4);
	memcpy(b + 10, &flags, 2);
	if (q->ciaddr)
		a = a4(q->ciaddr), memcpy(b + 12, &a, 4);
	if (q->giaddr)
		a = a4(q->giaddr), memcpy(b + 24, &a, 4);
	memcpy(b + 28, client_mac, 6);
	memcpy(fp_pkt_put(p, 4), &cookie, 4);
	if (q->type)
		put_opt(p, 53, &q->type, 1);
	if (q->client_id)
		put_opt(p, 61, q->client_id, q->client_id_len);
	if (q->requested)
		a = a4(q->requested), put_opt(p, 50, &a, 4);
	if (q->server)
		a = a4(q->server), put_opt(p, 54, &a, 4);
	put_opt(p, 55, "\x01\x03\x06\x0f", 4); /* parameter request list */
	if (q->extra)
		memcpy(fp_pkt_put(p, q->extra_len), q->extra, q->extra_len);
	if (q->relay)
		put_opt(p, 82, q->relay, q->relay_len);
	if (!q->no_end)
		*(uint8_t *)fp_pkt_put(p, 1) = 255;
	if (p->len - p->l4 - 8 < 300)
		fp_pkt_put(p, 300 - (p->len - p->l4 - 8)); /* PAD, as clients do */
	fp_pkt_finish(p);
}

static uint32_t run(struct fixture *f, const struct fp_pkt *p, struct fp_run *r)
{
	assert_int_equal(fp_run(f->prog_fd, p->data, p->len, r), 0);
	return r->retval;
}

/* ---- replies ------------------------------------------------------------ */

static const char *mac_str(const uint8_t *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* What a reply to Q must say; the addressing is the caller's. */
struct want {
	const char *type;        /* "offer", "ack" */
	const char *ip_dst;
	const uint8_t *eth_dst;
	int dport;
	const char *order;       /* NULL: the full pool's */
	const char *extra;       /* more key=value pairs */
};

static void assert_reply_bytes(const uint8_t *out, uint32_t size_out, const struct req *q,
			       const struct want *w)
{
	char m1[18], m2[18], m3[18], vlans[32] = "-", relay[600] = "-", line[8192];
	char order[64];
	char resp[4096];
	size_t n = 0;

	if (q->vlans == 1)
		sprintf(vlans, "%u", q->vlan[0]);
	else if (q->vlans == 2)
		sprintf(vlans, "%u,%u", q->vlan[0], q->vlan[1]);
	for (int i = 0; q->relay && i < q->relay_len; i++)
		sprintf(relay + 2 * i, "%02x", q->relay[i]);
	snprintf(order, sizeof(order), "53,54,51,58,59,1,3,6,15%s%s,255",
		 q->client_id ? ",61" : "", q->relay ? ",82" : "");
	for (uint32_t i = 0; i < size_out; i++)
		n += sprintf(line + n, "%02x", out[i]);
	n += snprintf(line + n, sizeof(line) - n,
		      " type=%s eth_dst=%s eth_src=%s vlans=%s ip_src=" SERVER " ip_dst=%s"
		      " sport=67 dport=%d xid=%x flags=%x ciaddr=%s yiaddr=" CLIENT_IP
		      " giaddr=%s chaddr=%s server_id=" SERVER " lease=%u t1=%u t2=%u"
		      " relay=%s order=%s %s\n",
		      w->type, mac_str(w->eth_dst, m1), mac_str(server_mac, m2), vlans,
		      w->ip_dst, w->dport, q->xid ? q->xid : 0x12345678, q->flags,
		      q->ciaddr && strcmp(w->type, "offer") ? q->ciaddr : "0.0.0.0",
		      q->giaddr ? q->giaddr : "0.0.0.0",
		      mac_str(client_mac, m3), LEASE_S, LEASE_S / 2, LEASE_S * 7 / 8, relay,
		      w->order ? w->order : order,
		      w->extra ? w->extra : "");
	assert_true(n < sizeof(line));
	assert_non_null(check_in);
	fputs(line, check_in);
	fflush(check_in);
	assert_non_null(fgets(resp, sizeof(resp), check_out));
	if (strcmp(resp, "ok\n"))
		fail_msg("dhcp_check.py: %s", resp);
}

static void assert_reply(const struct fp_run *r, const struct req *q, const struct want *w)
{
	assert_reply_bytes(r->out, r->size_out, q, w);
}

/* The reply to a client on no relay, with no address, not broadcast. */
static const struct want offer_unicast = {
	.type = "offer", .ip_dst = CLIENT_IP, .eth_dst = client_mac, .dport = 68,
	.extra = "mask=255.255.255.0 router=" ROUTER " dns=10.0.0.2,10.0.0.3 domain=" DOMAIN,
};

/* ---- answered ------------------------------------------------------------ */

static void test_dhcp_discover_from_bound_client_gets_offer(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1 };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &offer_unicast);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_HIT_OFFER, 1, -1);
}

static void test_dhcp_offer_leaves_lease_and_events_alone(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 0);
	struct fp_dhcp_lease before, after;
	struct req q = { .type = 1 };
	struct fp_pkt p;
	struct fp_run r;

	assert_int_equal(bpf_map_lookup_elem(f->leases_fd, &k, &before), 0);
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_int_equal(bpf_map_lookup_elem(f->leases_fd, &k, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
}

static void test_dhcp_discover_broadcast_flag_broadcasts(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .flags = 0x8000 };
	struct want w = offer_unicast;
	struct fp_pkt p;
	struct fp_run r;

	w.ip_dst = "255.255.255.255";
	w.eth_dst = bcast;
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &w);
}

static const struct want ack_unicast = {
	.type = "ack", .ip_dst = CLIENT_IP, .eth_dst = client_mac, .dport = 68,
	.extra = "mask=255.255.255.0 router=" ROUTER " dns=10.0.0.2,10.0.0.3 domain=" DOMAIN,
};

static void test_dhcp_request_selecting_gets_ack(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .requested = CLIENT_IP, .server = SERVER };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &ack_unicast);
	assert_counters(f, FP_DHCP_RX_REQUEST, 1, FP_DHCP_HIT_ACK, 1, -1);
}

static void test_dhcp_request_init_reboot_gets_ack(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .requested = CLIENT_IP };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &ack_unicast);
}

static void test_dhcp_request_renewing_unicasts_to_ciaddr(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .ciaddr = CLIENT_IP };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &ack_unicast);
}

static void test_dhcp_request_rebinding_broadcast_flag_still_to_ciaddr(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .ciaddr = CLIENT_IP, .flags = 0x8000 };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &ack_unicast);
}

static void test_dhcp_relayed_request_goes_to_giaddr(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .requested = CLIENT_IP, .server = SERVER,
			 .giaddr = RELAY, .flags = 0x8000 };
	struct want w = ack_unicast;
	struct fp_pkt p;
	struct fp_run r;

	w.ip_dst = RELAY;
	w.eth_dst = relay_mac;
	w.dport = 67;
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &w);
}

static void test_dhcp_relay_agent_option_echoed(void **state)
{
	static const uint8_t relay[] = { 1, 4, 'p', 'o', 'r', 't', 2, 3, 0xaa, 0xbb, 0xcc };
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .giaddr = RELAY, .relay = relay,
			 .relay_len = sizeof(relay) };
	struct want w = offer_unicast;
	struct fp_pkt p;
	struct fp_run r;

	w.ip_dst = RELAY;
	w.eth_dst = relay_mac;
	w.dport = 67;
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &w);
}

static void test_dhcp_long_relay_option_and_domain_grow_reply(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_pool_map pool = pool_full();
	uint8_t relay[120], out[2048];
	struct req q = { .type = 1, .relay = relay, .relay_len = sizeof(relay) };
	struct want w = offer_unicast;
	char extra[600];
	struct fp_pkt p;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = sizeof(out),
		    .repeat = 1);

	for (size_t i = 0; i < sizeof(relay); i++)
		relay[i] = i;
	memset(pool.domain, 'd', 200);
	pool.domain_len = 200;
	put_pool(f, POOL, &pool);
	snprintf(extra, sizeof(extra), "domain=%.200s", pool.domain);
	w.extra = extra;
	build(&p, &q);
	o.data_in = p.data;
	o.data_size_in = p.len;
	assert_int_equal(bpf_prog_test_run_opts(f->prog_fd, &o), 0);
	assert_int_equal(o.retval, XDP_TX);
	assert_true(o.data_size_out - 42 - 8 > 512); /* a UDP datagram past 512 bytes */
	assert_reply_bytes(out, o.data_size_out, &q, &w);
}

static void test_dhcp_pool_without_router_dns_domain_omits_them(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_pool_map pool = pool_full();
	struct req q = { .type = 1 };
	struct want w = offer_unicast;
	struct fp_pkt p;
	struct fp_run r;

	pool.router = 0;
	pool.n_dns = 0;
	pool.domain_len = 0;
	put_pool(f, POOL, &pool);
	w.order = "53,54,51,58,59,1,255";
	w.extra = "router=- dns=- domain=-";
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &w);
}

static void test_dhcp_client_id_is_the_key(void **state)
{
	static const uint8_t id[] = { 0xff, 0x12, 0x34, 0x56, 0x78, 0, 1, 0, 1, 0xde, 0xad };
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = id_key(id, sizeof(id), 0);
	struct req q = { .type = 1, .client_id = id, .client_id_len = sizeof(id) };
	struct want w = offer_unicast;
	struct fp_pkt p;
	struct fp_run r;

	put_lease(f, &k, OTHER_IP, 600);
	w.extra = "yiaddr=" OTHER_IP; /* the later value counts */
	w.ip_dst = OTHER_IP;
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &w);
}

static void test_dhcp_client_id_without_lease_ignores_mac_lease(void **state)
{
	static const uint8_t id[] = { 1, 2, 0, 0, 0, 0, 0x01 };
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .client_id = id, .client_id_len = sizeof(id) };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_UNKNOWN, 1, -1);
}

static void test_dhcp_client_id_longer_than_key_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint8_t id[FP_DHCP_ID_MAX + 1];
	struct req q = { .type = 1, .client_id = id, .client_id_len = sizeof(id) };
	struct fp_pkt p;
	struct fp_run r;

	memset(id, 7, sizeof(id));
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_UNKNOWN, 1, -1);
}

/* assert_answered_at_other_ip: with a lease of OTHER_IP under key k, q
 * gets BASE's reply, for and to OTHER_IP. */
static void assert_answered_at_other_ip(struct fixture *f, const struct fp_dhcp_key *k,
					const struct req *q, const struct want *base)
{
	struct want w = *base;
	char extra[256];
	struct fp_pkt p;
	struct fp_run r;

	put_lease(f, k, OTHER_IP, 600);
	snprintf(extra, sizeof(extra), "%s yiaddr=" OTHER_IP, base->extra);
	w.extra = extra;
	w.ip_dst = OTHER_IP;
	build(&p, q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, q, &w);
}

static void test_dhcp_vlan_tagged_request_gets_tagged_reply(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 100);
	struct req q = { .type = 3, .ciaddr = OTHER_IP, .vlans = 1, .vlan = { 100 } };

	assert_answered_at_other_ip(f, &k, &q, &ack_unicast);
}

static void test_dhcp_double_tagged_request_keys_inner_vlan(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 200);
	struct req q = { .type = 1, .vlans = 2, .vlan = { 10, 200 } };

	assert_answered_at_other_ip(f, &k, &q, &offer_unicast);
}

static void test_dhcp_vlan_without_lease_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .vlans = 1, .vlan = { 300 } };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_UNKNOWN, 1, -1);
}

static void test_dhcp_request_with_ip_options_gets_plain_reply(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .ciaddr = CLIENT_IP, .ip_optlen = 12 };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &ack_unicast);
}

static int count_event(void *ctx, void *data, size_t size)
{
	struct fp_dhcp_event *out = ctx;

	assert_int_equal(size, sizeof(*out));
	memcpy(out, data, sizeof(*out));
	out->pad++; /* how many were seen (the stage writes 0) */
	return 0;
}

static void test_dhcp_ack_extends_lease_and_sends_event(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 0);
	struct req q = { .type = 3, .ciaddr = CLIENT_IP };
	struct fp_dhcp_event ev = { 0 };
	struct fp_dhcp_lease l;
	struct ring_buffer *rb;
	uint64_t t0, t1;
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	t0 = mono_ns();
	assert_int_equal(run(f, &p, &r), XDP_TX);
	t1 = mono_ns();
	assert_int_equal(bpf_map_lookup_elem(f->leases_fd, &k, &l), 0);
	/* never before the exact time plus the lease; at most the clock's
	 * slack after it */
	assert_true(l.expires_ns >= t0 + LEASE_S * 1000000000ull);
	assert_true(l.expires_ns <= t1 + FP_DHCP_CLOCK_SLACK_NS + LEASE_S * 1000000000ull);
	rb = ring_buffer__new(bpf_map__fd(f->skel->maps.fp_dhcp_events), count_event, &ev,
			      NULL);
	assert_non_null(rb);
	assert_int_equal(ring_buffer__consume(rb), 1);
	ring_buffer__free(rb);
	assert_int_equal(ev.pad, 1);
	assert_memory_equal(&ev.key, &k, sizeof(k));
	assert_int_equal(ev.ip, a4(CLIENT_IP));
	assert_int_equal(ev.pool, POOL);
	assert_true(ev.expires_ns == l.expires_ns);
	assert_memory_equal(ev.chaddr, client_mac, 6);
	assert_int_equal(ev.msg_type, 5);
}

static void test_dhcp_events_full_leaves_ack_to_server(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .ciaddr = CLIENT_IP };
	struct fp_dhcp_event ev = { 0 };
	struct ring_buffer *rb;
	int acks = 0, n;
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	while (run(f, &p, &r) == XDP_TX)
		assert_true(++acks < 100000);
	assert_true(acks > 1000);
	assert_int_equal(counter(f, FP_DHCP_MISS_EVENTS), 1);
	assert_int_equal(counter(f, FP_DHCP_HIT_ACK), acks);
	assert_memory_equal(r.out, p.data, p.len); /* passed untouched */
	rb = ring_buffer__new(bpf_map__fd(f->skel->maps.fp_dhcp_events), count_event, &ev,
			      NULL);
	assert_non_null(rb);
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	assert_int_equal(n, acks);
	/* Room again: answered again. */
	assert_int_equal(run(f, &p, &r), XDP_TX);
}

static void test_dhcp_pipeline_counts_tx(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pipeline_stats st;
	struct req q = { .type = 1 };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_int_equal(fp_test_pipeline_stats(f->pstats_fd, &st), 0);
	assert_int_equal(st.c[FP_STAGE_DHCP][XDP_TX].packets, 1);
	assert_int_equal(st.c[FP_STAGE_PIPELINE][XDP_TX].packets, 1);
}

/* ---- left to the server ------------------------------------------------- */

static void assert_pass_untouched(struct fixture *f, const struct fp_pkt *p)
{
	struct fp_run r;

	assert_int_equal(run(f, p, &r), XDP_PASS);
	assert_int_equal(r.size_out, p->len);
	assert_memory_equal(r.out, p->data, p->len);
}

/* assert_malformed_passes: Q, which the stage cannot read as a request it
 * answers, goes to the server untouched, counted as MISS and nothing else. */
static void assert_malformed_passes(struct fixture *f, const struct req *q, int miss)
{
	struct fp_pkt p;

	build(&p, q);
	assert_pass_untouched(f, &p);
	assert_counters(f, miss, 1, -1);
}

static void test_dhcp_stage_off_passes_without_counting(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1 };
	struct fp_pkt p;

	assert_int_equal(fp_test_set_stages(bpf_map__fd(f->skel->maps.fp_config), 0), 0);
	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, -1);
}

static void test_dhcp_disabled_cfg_passes_without_counting(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_cfg dc = { .enabled = 0 };
	struct req q = { .type = 1 };
	uint32_t zero = 0;
	struct fp_pkt p;

	assert_int_equal(bpf_map_update_elem(f->cfg_fd, &zero, &dc, BPF_ANY), 0);
	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, -1);
}

static void test_dhcp_unknown_client_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 0);
	struct req q = { .type = 3, .requested = CLIENT_IP };
	struct fp_pkt p;

	assert_int_equal(bpf_map_delete_elem(f->leases_fd, &k), 0);
	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_REQUEST, 1, FP_DHCP_MISS_UNKNOWN, 1, -1);
}

static void test_dhcp_expired_lease_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 0);
	struct req q = { .type = 1 };
	struct fp_pkt p;

	put_lease(f, &k, CLIENT_IP, -1);
	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_EXPIRED, 1, -1);
}

/* The stage's clock lags by up to a tick: a lease with less than the
 * slack left is the server's to answer. */
static void test_dhcp_lease_ending_within_clock_slack_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = mac_key(client_mac, 0);
	struct req q = { .type = 1 };
	struct fp_pkt p;
	struct fp_dhcp_lease l;

	put_lease(f, &k, CLIENT_IP, 600);
	assert_int_equal(bpf_map_lookup_elem(f->leases_fd, &k, &l), 0);
	/* The coarse clock the stage reads, read before it: the stage's
	 * "now" is this, less a tick it may have read it at, plus the
	 * slack, however late ticks come. */
	l.expires_ns = clock_ns(CLOCK_MONOTONIC_COARSE) + FP_DHCP_CLOCK_SLACK_NS / 2;
	assert_int_equal(bpf_map_update_elem(f->leases_fd, &k, &l, BPF_ANY), 0);
	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_EXPIRED, 1, -1);
}

static void test_dhcp_invalid_pool_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_pool_map pool = pool_full();
	struct req q = { .type = 1 };
	struct fp_pkt p;

	pool.valid = 0;
	put_pool(f, POOL, &pool);
	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_POOL, 1, -1);
}

static void test_dhcp_request_for_other_address_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req sel = { .type = 3, .requested = OTHER_IP, .server = SERVER };
	struct req reboot = { .type = 3, .requested = OTHER_IP };
	struct req renew = { .type = 3, .ciaddr = OTHER_IP };
	struct req reboot_ciaddr = { .type = 3, .requested = CLIENT_IP, .ciaddr = CLIENT_IP };
	struct req sel_no_50 = { .type = 3, .server = SERVER, .ciaddr = CLIENT_IP };
	struct fp_pkt p;

	build(&p, &sel);
	assert_pass_untouched(f, &p);
	build(&p, &reboot);
	assert_pass_untouched(f, &p);
	build(&p, &renew);
	assert_pass_untouched(f, &p);
	build(&p, &reboot_ciaddr);
	assert_pass_untouched(f, &p);
	build(&p, &sel_no_50);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_REQUEST, 5, FP_DHCP_MISS_ADDRESS, 5, -1);
}

static void test_dhcp_request_for_other_server_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .requested = CLIENT_IP, .server = "10.0.0.254" };
	struct fp_pkt p;

	build(&p, &q);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_REQUEST, 1, FP_DHCP_MISS_SERVER, 1, -1);
}

static void test_dhcp_decline_release_inform_other_pass(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req decline = { .type = 4, .requested = CLIENT_IP, .server = SERVER };
	struct req release = { .type = 7, .ciaddr = CLIENT_IP, .server = SERVER };
	struct req inform = { .type = 8, .ciaddr = CLIENT_IP };
	struct req other = { .type = 9 };
	struct req none = { .type = 0 };
	struct fp_pkt p;

	build(&p, &decline);
	assert_pass_untouched(f, &p);
	build(&p, &release);
	assert_pass_untouched(f, &p);
	build(&p, &inform);
	assert_pass_untouched(f, &p);
	build(&p, &other);
	assert_pass_untouched(f, &p);
	build(&p, &none);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_DECLINE, 1, FP_DHCP_RX_RELEASE, 1, FP_DHCP_RX_INFORM, 1,
			FP_DHCP_RX_OTHER, 2, FP_DHCP_MISS_TYPE, 5, -1);
}

/* ---- malformed ---------------------------------------------------------- */

static void test_dhcp_truncated_requests_never_answered(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req reqs[] = {
		{ .type = 1 },
		{ .type = 3, .ciaddr = CLIENT_IP, .vlans = 2, .vlan = { 1, 0 } },
		{ .type = 3, .requested = CLIENT_IP, .ip_optlen = 8 },
	};
	struct fp_pkt p;
	struct fp_run r;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		build(&p, &reqs[i]);
		assert_int_equal(run(f, &p, &r), XDP_TX); /* whole: answered */
		for (size_t len = ETH_HLEN; len < p.len; len++) {
			assert_int_equal(fp_run(f->prog_fd, p.data, len, &r), 0);
			if (r.retval != XDP_PASS)
				fail_msg("request %zu cut at %zu of %zu bytes: verdict %u", i,
					 len, p.len, r.retval);
			assert_memory_equal(r.out, p.data, len);
		}
	}
}

static void test_dhcp_options_without_end_pass(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .no_end = true };
	struct fp_pkt p;

	build(&p, &q);
	/* build() pads with zeros, which are PAD options: cut them off. */
	p.len = p.l4 + 8 + 240 + 3 + 6;
	fp_pkt_finish(&p);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_MISS_MALFORMED, 1, -1);
}

static void test_dhcp_option_past_the_packet_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	static const uint8_t extra[] = { 12, 200, 'h', 'o', 's', 't' };
	struct req q = { .type = 1, .extra = extra, .extra_len = sizeof(extra),
			 .no_end = true };
	struct fp_pkt p;

	build(&p, &q);
	p.len = p.l4 + 8 + 240 + 3 + 6 + sizeof(extra);
	fp_pkt_finish(&p);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_MISS_MALFORMED, 1, -1);
}

static void test_dhcp_option_overload_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	static const uint8_t extra[] = { 52, 1, 3 };
	struct req q = { .type = 1, .extra = extra, .extra_len = sizeof(extra) };

	assert_malformed_passes(f, &q, FP_DHCP_MISS_OVERLOAD);
}

static void test_dhcp_wrong_cookie_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .cookie = 0x63825364 };

	assert_malformed_passes(f, &q, FP_DHCP_MISS_MALFORMED);
}

static void test_dhcp_bootreply_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .op = 2 };

	assert_malformed_passes(f, &q, FP_DHCP_MISS_MALFORMED);
}

static void test_dhcp_hlen_not_6_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .hlen = 8 };

	assert_malformed_passes(f, &q, FP_DHCP_MISS_MALFORMED);
}

static void test_dhcp_udp_length_past_ip_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1 };
	struct iphdr *ip;
	struct fp_pkt p;

	build(&p, &q);
	ip = (void *)(p.data + p.l3);
	ip->tot_len = htons(ntohs(ip->tot_len) - 4);
	ip->check = 0;
	ip->check = fp_csum_fold(fp_csum_add(0, ip, 20));
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_MISS_MALFORMED, 1, -1);
}

static void test_dhcp_other_udp_port_ignored(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;

	fp_pkt_udp4(&p, 68, 342);
	assert_pass_untouched(f, &p);
	assert_counters(f, -1);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	return check_start();
}

static int group_teardown(void **state)
{
	(void)state;
	check_stop();
	return 0;
}

/* ---- the network of the lease, the journal flag, split options ----------- */

static void test_dhcp_relayed_from_another_network_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 3, .ciaddr = CLIENT_IP, .giaddr = FAR_RELAY };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	assert_counters(f, FP_DHCP_RX_REQUEST, 1, FP_DHCP_MISS_NETWORK, 1, -1);
}

static void test_dhcp_unrelayed_from_another_pool_passes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_cfg dc = { .enabled = 1, .local_pool = POOL + 1,
				  .server_id = a4(SERVER) };
	struct req q = { .type = 1 };
	struct fp_pkt p;
	struct fp_run r;
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(f->cfg_fd, &zero, &dc, BPF_ANY), 0);
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_MISS_NETWORK, 1, -1);
}

static void test_dhcp_no_ack_flag_leaves_requests_to_the_server(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_cfg dc = { .enabled = 1, .local_pool = POOL, .server_id = a4(SERVER),
				  .flags = FP_DHCP_CFG_NO_ACK };
	struct req rq = { .type = 3, .ciaddr = CLIENT_IP }, dq = { .type = 1 };
	struct fp_pkt p;
	struct fp_run r;
	uint32_t zero = 0;

	memcpy(dc.server_mac, server_mac, 6);
	assert_int_equal(bpf_map_update_elem(f->cfg_fd, &zero, &dc, BPF_ANY), 0);
	build(&p, &rq);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	build(&p, &dq);
	assert_int_equal(run(f, &p, &r), XDP_TX);   /* an OFFER commits nothing */
	assert_counters(f, FP_DHCP_RX_REQUEST, 1, FP_DHCP_MISS_NOSTORE, 1,
			FP_DHCP_RX_DISCOVER, 1, FP_DHCP_HIT_OFFER, 1, -1);
}

static void test_dhcp_relay_option_of_255_bytes_echoed_whole(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint8_t relay[255];
	struct req q = { .type = 1, .giaddr = RELAY, .relay = relay, .relay_len = 255 };
	struct want w = offer_unicast;
	struct fp_pkt p;
	struct fp_run r;

	for (size_t i = 0; i < sizeof(relay); i++)
		relay[i] = (uint8_t)(0xa0 + i);
	/* an earlier reply leaves other bytes in the scratch buffer */
	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	w.ip_dst = RELAY;
	w.eth_dst = relay_mac;
	w.dport = 67;
	assert_reply(&r, &q, &w);
}

static void test_dhcp_split_relay_option_passes(void **state)
{
	static const uint8_t two[] = { 82, 2, 1, 0, 82, 2, 2, 0 };
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .extra = two, .extra_len = sizeof(two) };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_PASS);
	assert_counters(f, FP_DHCP_MISS_OVERLOAD, 1, -1);
}

/* Each option the stage reads must have its length (RFC 2132): one that
 * does not sends the request to the server. (Option 53 comes from the
 * case alone: with build()'s own, it would be a repeated option.) */
static void test_dhcp_option_of_wrong_length_passes(void **state)
{
	static const uint8_t bad[][6] = {
		{ 53, 2, 1, 0 },       /* message type: 1 byte */
		{ 53, 0 },
		{ 50, 3, 10, 0, 0 },   /* requested address: 4 */
		{ 54, 5, 10, 0, 0, 1 },/* server id: 4 (and a byte over) */
		{ 61, 1, 1 },          /* client id: at least 2 */
		{ 82, 0 },             /* relay agent: at least 1 */
	};
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct req q = { .type = bad[i][0] == 53 ? 0 : 1, .extra = bad[i],
				 .extra_len = 2 + bad[i][1] };

		build(&p, &q);
		assert_pass_untouched(f, &p);
		assert_counters(f, FP_DHCP_MISS_MALFORMED, (int)i + 1, -1);
	}
}

/* An option the stage reads, given twice, is one option in parts (RFC
 * 3396): the server joins them. */
static void test_dhcp_repeated_options_pass_as_in_parts(void **state)
{
	static const struct {
		uint8_t opt[12];
		size_t len;
	} twice[] = {
		{ { 61, 3, 1, 2, 3, 61, 3, 1, 2, 3 }, 10 },
		{ { 53, 1, 1 }, 3 }, /* after build()'s own */
		{ { 50, 4, 10, 0, 0, 9, 50, 4, 10, 0, 0, 9 }, 12 },
	};
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_pkt p;
	size_t i;

	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		struct req q = { .type = 1, .extra = twice[i].opt, .extra_len = twice[i].len };

		build(&p, &q);
		assert_pass_untouched(f, &p);
		assert_counters(f, FP_DHCP_MISS_OVERLOAD, (int)i + 1, -1);
	}
}

/* Pads between options and options of length 0 are stepped over. */
static void test_dhcp_pads_and_empty_options_are_stepped_over(void **state)
{
	static const uint8_t extra[] = { 0, 0, 12, 0, 0, 53, 1, 1, 0, 60, 0, 0 };
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 0, .extra = extra, .extra_len = sizeof(extra) };
	struct fp_pkt p;
	struct fp_run r;

	build(&p, &q);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	q.type = 1; /* the DISCOVER of extra's option 53 */
	assert_reply(&r, &q, &offer_unicast);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_HIT_OFFER, 1, -1);
}

/* ---- the walk and the reply at their edges --------------------------------- */

/* reply_option: option CODE of the untagged reply R (its value, its length
 * in *len), or NULL. */
static const uint8_t *reply_option(const struct fp_run *r, uint8_t code, size_t *len)
{
	const uint8_t *m = r->out + ETH_HLEN + 28;
	size_t n = r->size_out - ETH_HLEN - 28, i = 240;

	while (i + 1 < n && m[i] != 255) {
		if (!m[i]) {
			i++;
			continue;
		}
		if (m[i] == code) {
			*len = m[i + 1];
			return m + i + 2;
		}
		i += 2 + (size_t)m[i + 1];
	}
	return NULL;
}

static void test_dhcp_client_id_at_the_end_of_the_frame_is_the_key(void **state)
{
	static const uint8_t id[] = { 0xff, 0x12, 0x34, 0x56, 0x78, 0, 1, 0xbe, 0xef };
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = id_key(id, sizeof(id), 0);
	struct req q = { .type = 1, .client_id = id, .client_id_len = sizeof(id) };
	struct want w = offer_unicast;
	const uint8_t *v;
	struct fp_pkt p;
	struct fp_run r;
	size_t n;

	put_lease(f, &k, OTHER_IP, 600);
	w.extra = "yiaddr=" OTHER_IP;
	w.ip_dst = OTHER_IP;
	build(&p, &q);
	/* No PAD: the frame ends at END, 16 bytes after the identifier's
	 * value starts (53, 61, 55, END), so that fewer than 32 bytes of
	 * the frame follow it. */
	p.len = p.l4 + 8 + 240 + 3 + 2 + sizeof(id) + 6 + 1;
	fp_pkt_finish(&p);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &w);
	v = reply_option(&r, 61, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(id));
	assert_memory_equal(v, id, sizeof(id));
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_HIT_OFFER, 1, -1);
}

static void test_dhcp_end_past_the_udp_length_is_not_end(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct req q = { .type = 1, .no_end = true };
	struct fp_pkt p;
	uint8_t *trailer;

	build(&p, &q);
	/* The datagram ends after option 55; the frame goes on (an Ethernet
	 * trailer) with what would be END. */
	p.len = p.l4 + 8 + 240 + 3 + 6;
	fp_pkt_finish(&p);
	trailer = fp_pkt_put(&p, 8);
	trailer[0] = 255;
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_MISS_MALFORMED, 1, -1);
}

/* request_with_pads: a DISCOVER with N PAD options between 55 and END. */
static void request_with_pads(struct fp_pkt *p, struct req *q, uint8_t *pads, size_t n)
{
	memset(pads, 0, n);
	*q = (struct req){ .type = 1, .extra = pads, .extra_len = n };
	build(p, q);
}

static void test_dhcp_options_walked_up_to_160(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint8_t pads[160];
	struct fp_pkt p;
	struct fp_run r;
	struct req q;

	/* 53, 55, 157 PAD and END: the 160th option is END. */
	request_with_pads(&p, &q, pads, 157);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_reply(&r, &q, &offer_unicast);
	/* One PAD more: END is the 161st, not walked. */
	request_with_pads(&p, &q, pads, 158);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_HIT_OFFER, 1,
			FP_DHCP_MISS_MALFORMED, 1, -1);
}

/* request_with_end_at: a DISCOVER whose END is at byte AT of its UDP
 * datagram, after options 43 of up to 255 bytes. */
static void request_with_end_at(struct fp_pkt *p, struct req *q, uint8_t *extra, size_t at)
{
	size_t n = at - (8 + 240 + 3 + 6), i = 0;

	memset(extra, 0x5a, n);
	while (n - i > 257) {
		extra[i] = 43;
		extra[i + 1] = 255;
		i += 257;
	}
	extra[i] = 43;
	extra[i + 1] = n - i - 2;
	*q = (struct req){ .type = 1, .extra = extra, .extra_len = n };
	build(p, q);
}

static void test_dhcp_options_walked_up_to_1024_bytes(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	uint8_t extra[1024];
	struct fp_pkt p;
	struct fp_run r;
	struct req q;

	/* END as the datagram's byte 1023: walked, answered; the reply is
	 * shorter than the request. */
	request_with_end_at(&p, &q, extra, 1023);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	assert_true(r.size_out < p.len);
	assert_reply(&r, &q, &offer_unicast);
	/* END as byte 1024: past what the stage walks, to the server. */
	request_with_end_at(&p, &q, extra, 1024);
	assert_pass_untouched(f, &p);
	assert_counters(f, FP_DHCP_RX_DISCOVER, 1, FP_DHCP_HIT_OFFER, 1,
			FP_DHCP_MISS_MALFORMED, 1, -1);
}

static void test_dhcp_every_reply_length_is_whole_and_summed(void **state)
{
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_pool_map pool = pool_full();
	struct req q = { .type = 3, .ciaddr = CLIENT_IP };
	struct want w = ack_unicast;
	char extra[128];
	struct fp_pkt p;
	struct fp_run r;

	/* Domains of 1..40 bytes: the options end at every offset modulo 8,
	 * in the shortest reply (PAD to 300 bytes) and past it. */
	for (int n = 1; n <= 40; n++) {
		memset(pool.domain, 0, sizeof(pool.domain));
		for (int i = 0; i < n; i++)
			pool.domain[i] = 'a' + i % 26;
		pool.domain_len = n;
		put_pool(f, POOL, &pool);
		snprintf(extra, sizeof(extra), "%s domain=%.*s", ack_unicast.extra, n, pool.domain);
		w.extra = extra;
		build(&p, &q);
		assert_int_equal(run(f, &p, &r), XDP_TX);
		assert_reply(&r, &q, &w);
	}
}

/* ---- differential: the fast path writes what the slow path would ---------- */

/* The slow path's reply to the frame P, the lease of its client bound
 * at CLIENT_IP in pool POOL (the fixture's), into OUT; its length. */
static int slow_reply(const struct fp_pkt *p, uint8_t *out, size_t size,
		      struct fp_dhcp_decision *d)
{
	struct fp_dhcp_pool pools[POOL + 1];
	struct fp_dhcp_config cfg = { .present = true, .n_pools = POOL + 1, .pools = pools };
	struct fp_dhcp_lease_rec rec = { .state = FP_DHCP_LEASE_BOUND, .pool = POOL };
	struct fp_dhcp_request req = { 0 };
	struct fp_dhcp_db *db;
	const uint8_t *payload;
	size_t plen;
	time_t now = time(NULL);
	int len;

	memset(pools, 0, sizeof(pools));
	for (int i = 0; i < POOL; i++) {       /* other networks before the lease's */
		pools[i].subnet.s_addr = htonl(0x0a640000 + (i << 8));
		pools[i].prefix_len = 24;
		pools[i].lease_time_s = 60;
	}
	pools[POOL] = (struct fp_dhcp_pool){ .subnet = { a4("10.0.0.0") }, .prefix_len = 24,
		.range_lo = { a4("10.0.0.10") }, .range_hi = { a4("10.0.0.200") },
		.router = { a4(ROUTER) }, .dns = { { a4("10.0.0.2") }, { a4("10.0.0.3") } },
		.n_dns = 2, .lease_time_s = LEASE_S };
	strcpy(pools[POOL].domain, DOMAIN);
	cfg.server_id.s_addr = a4(SERVER);
	assert_int_equal(fp_dhcp_frame_parse(p->data, p->len, 0, &req.vlan, req.src_mac,
					     &payload, &plen), 0);
	assert_int_equal(fp_dhcp_parse(payload, plen, &req.msg), 0);
	assert_int_equal(fp_dhcp_db_open(NULL, now, &db), 0);
	fp_dhcp_key_make(&req.msg, req.vlan, &rec.key);
	memcpy(rec.chaddr, client_mac, 6);
	rec.ip.s_addr = a4(CLIENT_IP);
	rec.expires = now + 600;
	assert_int_equal(fp_dhcp_db_put(db, &rec, now), 0);
	fp_dhcp_decide(&cfg, db, &req, now, d);
	fp_dhcp_db_close(db);
	len = fp_dhcp_build(&d->reply, out, size);
	assert_true(len > 0);
	return len;
}

/* The DHCP message of a reply frame: its bytes through END, and what
 * follows END must be PAD. */
static size_t through_end(const uint8_t *m, size_t len)
{
	size_t i = 240;

	while (i < len && m[i] != 255)
		i += m[i] ? 2 + (size_t)m[i + 1] : 1;
	assert_true(i < len);
	for (size_t k = i + 1; k < len; k++)
		assert_int_equal(m[k], 0);
	return i + 1;
}

static void assert_same_as_slow_path(struct fixture *f, const struct req *q)
{
	uint8_t slow[FP_DHCP_MSG_MAX];
	struct fp_dhcp_decision d;
	struct fp_pkt p;
	struct fp_run r;
	const uint8_t *fast, *ip;
	size_t fast_len, slow_len, l3 = 14;
	uint32_t daddr;

	build(&p, q);
	slow_len = (size_t)slow_reply(&p, slow, sizeof(slow), &d);
	assert_int_equal(run(f, &p, &r), XDP_TX);
	ip = r.out + l3;
	fast = ip + 28;
	fast_len = r.size_out - l3 - 28;
	/* Field by field: op .. file, the cookie, every option in order.
	 * What RFC 2131 lets differ: the IP header's TOS and the PAD after
	 * END (its length only). */
	assert_int_equal(through_end(fast, fast_len), through_end(slow, slow_len));
	assert_memory_equal(fast, slow, through_end(slow, slow_len));
	/* Addressed alike: the IP destination and the UDP ports. */
	memcpy(&daddr, ip + 16, 4);
	assert_int_equal(daddr, d.dst_ip.s_addr);
	assert_int_equal(ip[22] << 8 | ip[23], d.dest == FP_DHCP_DEST_RELAY ? 67 : 68);
	assert_memory_equal(r.out, d.dest == FP_DHCP_DEST_RELAY ? relay_mac : d.dst_mac, 6);
}

static void test_dhcp_fast_and_slow_path_replies_are_the_same(void **state)
{
	static const uint8_t id[] = { 0xff, 0, 0, 0, 1, 0, 1, 0x2a, 0x2b };
	struct fixture *f = FP_TEST_STATE(state);
	struct fp_dhcp_key k = id_key(id, sizeof(id), 0);
	uint8_t relay[255];
	const struct req cases[] = {
		{ .type = 1 },
		{ .type = 1, .flags = 0x8000 },
		{ .type = 1, .ciaddr = CLIENT_IP },
		{ .type = 1, .client_id = id, .client_id_len = sizeof(id) },
		{ .type = 1, .giaddr = RELAY, .relay = relay, .relay_len = sizeof(relay) },
		{ .type = 3, .requested = CLIENT_IP, .server = SERVER },
		{ .type = 3, .requested = CLIENT_IP, .server = SERVER, .flags = 0x8000 },
		{ .type = 3, .requested = CLIENT_IP },
		{ .type = 3, .ciaddr = CLIENT_IP },
		{ .type = 3, .ciaddr = CLIENT_IP, .client_id = id, .client_id_len = sizeof(id) },
		{ .type = 3, .requested = CLIENT_IP, .server = SERVER, .giaddr = RELAY,
		  .relay = relay, .relay_len = 40 },
	};

	for (size_t i = 0; i < sizeof(relay); i++)
		relay[i] = (uint8_t)i;
	put_lease(f, &k, CLIENT_IP, 600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_same_as_slow_path(f, &cases[i]);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dhcp_discover_from_bound_client_gets_offer),
		T(test_dhcp_relayed_from_another_network_passes),
		T(test_dhcp_unrelayed_from_another_pool_passes),
		T(test_dhcp_no_ack_flag_leaves_requests_to_the_server),
		T(test_dhcp_relay_option_of_255_bytes_echoed_whole),
		T(test_dhcp_split_relay_option_passes),
		T(test_dhcp_option_of_wrong_length_passes),
		T(test_dhcp_repeated_options_pass_as_in_parts),
		T(test_dhcp_pads_and_empty_options_are_stepped_over),
		T(test_dhcp_fast_and_slow_path_replies_are_the_same),
		T(test_dhcp_client_id_at_the_end_of_the_frame_is_the_key),
		T(test_dhcp_end_past_the_udp_length_is_not_end),
		T(test_dhcp_options_walked_up_to_160),
		T(test_dhcp_options_walked_up_to_1024_bytes),
		T(test_dhcp_every_reply_length_is_whole_and_summed),
		T(test_dhcp_offer_leaves_lease_and_events_alone),
		T(test_dhcp_discover_broadcast_flag_broadcasts),
		T(test_dhcp_request_selecting_gets_ack),
		T(test_dhcp_request_init_reboot_gets_ack),
		T(test_dhcp_request_renewing_unicasts_to_ciaddr),
		T(test_dhcp_request_rebinding_broadcast_flag_still_to_ciaddr),
		T(test_dhcp_relayed_request_goes_to_giaddr),
		T(test_dhcp_relay_agent_option_echoed),
		T(test_dhcp_long_relay_option_and_domain_grow_reply),
		T(test_dhcp_pool_without_router_dns_domain_omits_them),
		T(test_dhcp_client_id_is_the_key),
		T(test_dhcp_client_id_without_lease_ignores_mac_lease),
		T(test_dhcp_client_id_longer_than_key_passes),
		T(test_dhcp_vlan_tagged_request_gets_tagged_reply),
		T(test_dhcp_double_tagged_request_keys_inner_vlan),
		T(test_dhcp_vlan_without_lease_passes),
		T(test_dhcp_request_with_ip_options_gets_plain_reply),
		T(test_dhcp_ack_extends_lease_and_sends_event),
		T(test_dhcp_events_full_leaves_ack_to_server),
		T(test_dhcp_pipeline_counts_tx),
		T(test_dhcp_stage_off_passes_without_counting),
		T(test_dhcp_disabled_cfg_passes_without_counting),
		T(test_dhcp_unknown_client_passes),
		T(test_dhcp_expired_lease_passes),
		T(test_dhcp_lease_ending_within_clock_slack_passes),
		T(test_dhcp_invalid_pool_passes),
		T(test_dhcp_request_for_other_address_passes),
		T(test_dhcp_request_for_other_server_passes),
		T(test_dhcp_decline_release_inform_other_pass),
		T(test_dhcp_truncated_requests_never_answered),
		T(test_dhcp_options_without_end_pass),
		T(test_dhcp_option_past_the_packet_passes),
		T(test_dhcp_option_overload_passes),
		T(test_dhcp_wrong_cookie_passes),
		T(test_dhcp_bootreply_passes),
		T(test_dhcp_hlen_not_6_passes),
		T(test_dhcp_udp_length_past_ip_passes),
		T(test_dhcp_other_udp_port_ignored),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
