// SPDX-License-Identifier: BSD-2-Clause
/* Flows as users see them: read from an interface's table, merged over
 * CPUs, filtered and sorted; idle ones aged out; the table's counters. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/flows.h>
#include <fastpath/pipeline.h>
#include "flows/flow_table.h"

/* ---- words and filters (pure) ---------------------------------------- */

void fp_flow_filter_init(struct fp_flow_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = -1;
	f->port = -1;
}

int fp_flow_prefix_parse(const char *s, struct fp_flow_prefix *p)
{
	struct fp_cidr c;

	memset(p, 0, sizeof(*p));
	if (fp_cidr_parse(s, &c))
		return -EINVAL;
	memcpy(p->addr, c.addr, sizeof(p->addr));
	p->family = c.family == AF_INET ? 4 : 6;
	p->len = c.len;
	p->present = true;
	return 0;
}

/* A name from core's one list, or a number. */
int fp_flow_proto_parse(const char *s, int *proto)
{
	char *end;
	long n;

	if (!fp_proto_parse(s, proto))
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (!*s || *end || errno || n < 0 || n > 255)
		return -EINVAL;
	*proto = n;
	return 0;
}

const char *fp_flow_proto_name(int proto)
{
	return fp_proto_name(proto);
}

int fp_flow_sort_parse(const char *s, enum fp_flow_sort *sort)
{
	if (!strcmp(s, "packets"))
		*sort = FP_FLOW_SORT_PACKETS;
	else if (!strcmp(s, "bytes"))
		*sort = FP_FLOW_SORT_BYTES;
	else if (!strcmp(s, "age"))
		*sort = FP_FLOW_SORT_AGE;
	else
		return -EINVAL;
	return 0;
}

static bool prefix_match(const struct fp_flow_prefix *p, __u8 family, const __u32 *addr)
{
	const __u8 *a = (const __u8 *)addr;
	int full = p->len / 8, rest = p->len % 8;

	if (!p->present)
		return true;
	if (p->family != family || memcmp(a, p->addr, full))
		return false;
	return !rest || !((a[full] ^ p->addr[full]) & (0xff00 >> rest));
}

static bool has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

bool fp_flow_match(const struct fp_flow_info *f, const struct fp_flow_filter *flt)
{
	const struct fp_flow_key *k = &f->key;

	if (flt->proto >= 0 && k->proto != flt->proto)
		return false;
	if (flt->port >= 0 && (!has_ports(k->proto) ||
			       (k->sport != flt->port && k->dport != flt->port)))
		return false;
	if (f->flow.packets < flt->min_packets)
		return false;
	return prefix_match(&flt->src, k->family, k->saddr) &&
	       prefix_match(&flt->dst, k->family, k->daddr);
}

static int by_packets(const void *a, const void *b)
{
	__u64 x = ((const struct fp_flow_info *)a)->flow.packets;
	__u64 y = ((const struct fp_flow_info *)b)->flow.packets;

	return (x < y) - (x > y);
}

static int by_bytes(const void *a, const void *b)
{
	__u64 x = ((const struct fp_flow_info *)a)->flow.bytes;
	__u64 y = ((const struct fp_flow_info *)b)->flow.bytes;

	return (x < y) - (x > y);
}

static int by_first_seen(const void *a, const void *b)
{
	__u64 x = ((const struct fp_flow_info *)a)->flow.first_ns;
	__u64 y = ((const struct fp_flow_info *)b)->flow.first_ns;

	return (x > y) - (x < y);
}

void fp_flows_select(struct fp_flow_info *flows, size_t *n, const struct fp_flow_query *q)
{
	static int (*const cmp[])(const void *, const void *) = {
		[FP_FLOW_SORT_PACKETS] = by_packets,
		[FP_FLOW_SORT_BYTES] = by_bytes,
		[FP_FLOW_SORT_AGE] = by_first_seen,
	};
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++)
		if (fp_flow_match(&flows[i], &q->filter))
			flows[kept++] = flows[i];
	if (q->sort > FP_FLOW_SORT_NONE && q->sort <= FP_FLOW_SORT_AGE)
		qsort(flows, kept, sizeof(*flows), cmp[q->sort]);
	if (q->limit && kept > q->limit)
		kept = q->limit;
	*n = kept;
}

/* ---- reading the table ----------------------------------------------- */

/* One CPU's entry as read, and where it lives (for aging). */
struct slot {
	struct fp_flow_entry e;
	__u32 *tag_ptr;
	__u32 tag;
};

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct slot *)a)->e.key, &((const struct slot *)b)->e.key,
		      sizeof(struct fp_flow_key));
}

/* Copy way w of bucket i if it holds a whole entry: the tag is the same
 * before and after the copy and is the one its key hashes to, in this
 * bucket. A way the data path is rewriting fails one or the other. */
static bool slot_read(const struct fp_flow_table *t, __u32 i, int w, struct slot *s)
{
	struct fp_flow_bucket *b = &t->buckets[i];
	__u32 tag = __atomic_load_n(&b->tag[w], __ATOMIC_ACQUIRE);
	__u64 h;

	if (!tag)
		return false;
	memcpy(&s->e, (const void *)&b->e[w], sizeof(s->e));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&b->tag[w], __ATOMIC_RELAXED) != tag)
		return false;
	h = fp_flow_hash(&s->e.key, t->seed);
	if (fp_flow_tag(h) != tag || fp_flow_bucket_of(h, t->per_cpu) != i % t->per_cpu)
		return false;
	s->tag_ptr = &b->tag[w];
	s->tag = tag;
	return true;
}

/* Every whole entry of the table, sorted by key so that a flow's entries
 * (one per CPU that saw it) are adjacent. */
static int slots_read(const struct fp_flow_table *t, struct slot **out, size_t *n)
{
	size_t total = (size_t)t->cpus * t->per_cpu, cnt = 0, cap = 0;
	struct slot *s = NULL, *p;

	for (size_t i = 0; i < total; i++) {
		for (int w = 0; w < FP_FLOW_WAYS; w++) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 256;
				p = realloc(s, cap * sizeof(*s));
				if (!p) {
					free(s);
					return -ENOMEM;
				}
				s = p;
			}
			if (slot_read(t, i, w, &s[cnt]))
				cnt++;
		}
	}
	qsort(s, cnt, sizeof(*s), by_key);
	*out = s;
	*n = cnt;
	return 0;
}

/* Fold one CPU's entry into the flow: see include/fastpath/flows.h. */
static void flow_merge(struct fp_flow *into, const struct fp_flow *f)
{
	into->packets += f->packets;
	into->bytes += f->bytes;
	if (f->first_ns < into->first_ns)
		into->first_ns = f->first_ns;
	if (f->last_ns >= into->last_ns) {
		into->last_ns = f->last_ns;
		into->verdict = f->verdict;
		into->rule = f->rule;
	}
	into->tcp_flags |= f->tcp_flags;
}

/* The end of the run of slots with s[i]'s key. */
static size_t run_end(const struct slot *s, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && !memcmp(&s[j].e.key, &s[i].e.key, sizeof(s[i].e.key)))
		j++;
	return j;
}

static int flows_append(const char *dev, const struct slot *s, size_t n,
			struct fp_flow_info **flows, size_t *cnt)
{
	struct fp_flow_info *out;
	size_t groups = 0;

	for (size_t i = 0; i < n; i = run_end(s, n, i))
		groups++;
	out = realloc(*flows, (*cnt + groups + 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	*flows = out;
	for (size_t i = 0, j; i < n; i = j) {
		struct fp_flow_info *f = &out[(*cnt)++];

		j = run_end(s, n, i);
		memset(f, 0, sizeof(*f));
		snprintf(f->dev, sizeof(f->dev), "%s", dev);
		f->key = s[i].e.key;
		f->flow = s[i].e.flow;
		for (size_t k = i + 1; k < j; k++)
			flow_merge(&f->flow, &s[k].e.flow);
	}
	return 0;
}

/* Append DEV's flows to *flows. */
static int dev_read(const char *dev, struct fp_flow_info **flows, size_t *n)
{
	struct fp_flow_table t;
	struct slot *s;
	size_t cnt;
	int err = fp_flow_table_open(dev, &t);

	if (err)
		return err;
	err = slots_read(&t, &s, &cnt);
	fp_flow_table_close(&t);
	if (err)
		return err;
	err = flows_append(dev, s, cnt, flows, n);
	free(s);
	return err;
}

int fp_flows_read(const char *dev, struct fp_flow_info **flows, size_t *n)
{
	int err;

	*flows = NULL;
	*n = 0;
	err = dev_read(dev, flows, n);
	if (err) {
		free(*flows);
		*flows = NULL;
		*n = 0;
	}
	return err;
}

int fp_flows_query(const char *dev, const struct fp_flow_query *q,
		   struct fp_flow_info **flows, size_t *n)
{
	char (*devs)[IF_NAMESIZE] = NULL;
	size_t ndev = 0;
	int err = 0;

	*flows = NULL;
	*n = 0;
	if (dev)
		err = dev_read(dev, flows, n);
	else
		err = fp_pipeline_list(&devs, &ndev);
	for (size_t i = 0; !err && i < ndev; i++) {
		err = dev_read(devs[i], flows, n);
		if (err == -ENOENT)
			err = 0; /* a pipeline that has not got a table (yet) */
	}
	free(devs);
	if (err) {
		free(*flows);
		*flows = NULL;
		*n = 0;
		return err;
	}
	fp_flows_select(*flows, n, q);
	return 0;
}

/* ---- aging and counters ---------------------------------------------- */

/* What the last aging pass in this process found on each table, for
 * fp_flows_census: a pass walks the whole table anyway, and a metrics
 * scrape in the daemon that ages would otherwise walk every table again
 * (3-4 ms for 65536 flows a CPU on two CPUs, each time). */
#define CENSUS_MAX 64

static struct census {
	char dev[IF_NAMESIZE];
	__u64 at_ns;            /* fp_flows_now_ns() of the pass; 0: free */
	__u64 period_ns;        /* how soon the next pass is due, and a second */
	__u64 in_use, active;
} census[CENSUS_MAX];
static pthread_mutex_t census_lock = PTHREAD_MUTEX_INITIALIZER;

/* fastpathd's flows service ages every max(1 s, idle / 4). */
static __u64 census_period_ns(__u64 idle_ms)
{
	return ((idle_ms / 4 > 1000 ? idle_ms / 4 : 1000) + 1000) * 1000000ull;
}

static void census_note(const char *dev, __u64 idle_ms, __u64 in_use, __u64 active)
{
	struct census *c = NULL;

	pthread_mutex_lock(&census_lock);
	for (int i = 0; i < CENSUS_MAX && !c; i++)
		if (!strcmp(census[i].dev, dev))
			c = &census[i];
	for (int i = 0; i < CENSUS_MAX && !c; i++)
		if (!census[i].at_ns)
			c = &census[i];
	if (c) {
		snprintf(c->dev, sizeof(c->dev), "%s", dev);
		c->at_ns = fp_flows_now_ns();
		c->period_ns = census_period_ns(idle_ms);
		c->in_use = in_use;
		c->active = active;
	}
	pthread_mutex_unlock(&census_lock);
}

/* The last pass's census of DEV, if the next one is not overdue. */
static bool census_recent(const char *dev, __u64 *in_use, __u64 *active)
{
	__u64 now = fp_flows_now_ns();
	bool found = false;

	pthread_mutex_lock(&census_lock);
	for (int i = 0; i < CENSUS_MAX && !found; i++) {
		const struct census *c = &census[i];

		if (c->at_ns && !strcmp(c->dev, dev) && now - c->at_ns <= c->period_ns) {
			*in_use = c->in_use;
			*active = c->active;
			found = true;
		}
	}
	pthread_mutex_unlock(&census_lock);
	return found;
}

__u64 fp_flows_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Free the ways of one flow. The compare-and-swap fails where the data
 * path has just given the way to another flow, which then stays. */
static size_t flow_remove(struct slot *s, size_t from, size_t to)
{
	size_t removed = 0;

	for (size_t k = from; k < to; k++) {
		__u32 tag = s[k].tag;

		removed += __atomic_compare_exchange_n(s[k].tag_ptr, &tag, 0, false,
						       __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	return removed;
}

int fp_flows_age(const char *dev, __u64 idle_ms, size_t *aged)
{
	struct fp_flow_table t;
	struct slot *s;
	size_t cnt, n = 0, groups = 0, ways = 0, gone;
	/* Saturated: a duration past 584 years is "never", not a wrap to
	 * a few ns that would take every flow. */
	__u64 now = fp_flows_now_ns(), idle_ns = idle_ms > UINT64_MAX / 1000000 ?
						    UINT64_MAX : idle_ms * 1000000ull;
	int err = fp_flow_table_open(dev, &t);

	*aged = 0;
	if (err)
		return err;
	err = slots_read(&t, &s, &cnt);
	for (size_t i = 0, j; !err && i < cnt; i = j) {
		__u64 last = 0;

		j = run_end(s, cnt, i);
		groups++;
		for (size_t k = i; k < j; k++)
			if (s[k].e.flow.last_ns > last)
				last = s[k].e.flow.last_ns;
		/* A flow goes whole or not at all: the CPU that saw it last
		 * decides, or its totals would shrink. */
		if (now > last && now - last >= idle_ns && (gone = flow_remove(s, i, j))) {
			n++;
			ways += gone;
		}
	}
	if (!err) {
		/* Entries, as created, evicted and in use count them. */
		__atomic_fetch_add(&t.meta->aged, ways, __ATOMIC_RELAXED);
		census_note(dev, idle_ms, cnt - ways, groups - n);
		free(s);
		*aged = n;
	}
	fp_flow_table_close(&t);
	return err;
}

/* The per-CPU counters and the aged count, without mapping the table. */
static int counters_read(const char *dev, struct fp_flows_counters *c)
{
	int ncpu = libbpf_num_possible_cpus(), cfd, mfd, err;
	struct fp_flow_meta meta = { 0 };
	struct fp_flow_cpu *v;
	__u32 zero = 0, per_cpu = 0;

	memset(c, 0, sizeof(*c));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	cfd = fp_pipeline_obj_get(dev, "flow_cpu");
	if (cfd < 0)
		return cfd;
	mfd = fp_pipeline_obj_get(dev, "flow_meta");
	if (mfd < 0) {
		close(cfd);
		return mfd;
	}
	v = calloc(ncpu, sizeof(*v));
	err = v ? 0 : -ENOMEM;
	if (!err && (bpf_map_lookup_elem(cfd, &zero, v) || bpf_map_lookup_elem(mfd, &zero, &meta)))
		err = -errno;
	for (int i = 0; !err && i < ncpu; i++) {
		c->created += v[i].created;
		c->evicted += v[i].evicted;
		c->unparsed += v[i].unparsed;
		c->not_ip += v[i].not_ip;
		if (v[i].buckets > per_cpu)
			per_cpu = v[i].buckets;
	}
	c->aged = meta.aged;
	c->capacity = (__u64)ncpu * per_cpu * FP_FLOW_WAYS;
	c->per_cpu = per_cpu * FP_FLOW_WAYS;
	c->cpus = ncpu;
	free(v);
	close(cfd);
	close(mfd);
	return err;
}

int fp_flows_census(const char *dev, struct fp_flows_counters *c, __u64 *active)
{
	struct fp_flow_table t;
	struct slot *s;
	size_t cnt;
	int err = counters_read(dev, c);

	*active = 0;
	if (err || census_recent(dev, &c->in_use, active))
		return err;
	err = fp_flow_table_open(dev, &t);
	if (err)
		return err;
	err = slots_read(&t, &s, &cnt);
	fp_flow_table_close(&t);
	if (err)
		return err;
	c->in_use = cnt;
	for (size_t i = 0; i < cnt; i = run_end(s, cnt, i))
		(*active)++;
	free(s);
	return 0;
}

int fp_flows_counters(const char *dev, struct fp_flows_counters *c)
{
	struct fp_flow_table t;
	struct fp_flow_cpu *v;
	__u32 zero = 0;
	size_t total;
	int err = fp_flow_table_open(dev, &t);

	memset(c, 0, sizeof(*c));
	if (err)
		return err;
	v = calloc(t.cpus, sizeof(*v));
	err = v ? bpf_map_lookup_elem(t.cpu_fd, &zero, v) : -ENOMEM;
	for (__u32 i = 0; !err && i < t.cpus; i++) {
		c->created += v[i].created;
		c->evicted += v[i].evicted;
		c->unparsed += v[i].unparsed;
		c->not_ip += v[i].not_ip;
	}
	total = (size_t)t.cpus * t.per_cpu;
	for (__u32 cpu = 0; !err && cpu < t.cpus; cpu++) {
		__u64 n = 0;

		for (size_t i = (size_t)cpu * t.per_cpu; i < (size_t)(cpu + 1) * t.per_cpu; i++)
			for (int w = 0; w < FP_FLOW_WAYS; w++)
				n += !!__atomic_load_n(&t.buckets[i].tag[w], __ATOMIC_RELAXED);
		c->in_use += n;
		if (n > c->in_use_max)
			c->in_use_max = n;
	}
	c->aged = __atomic_load_n(&t.meta->aged, __ATOMIC_RELAXED);
	c->capacity = (__u64)total * FP_FLOW_WAYS;
	c->per_cpu = t.per_cpu * FP_FLOW_WAYS;
	c->cpus = t.cpus;
	free(v);
	fp_flow_table_close(&t);
	return err;
}
