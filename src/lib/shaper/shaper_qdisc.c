// SPDX-License-Identifier: BSD-2-Clause
/* The shaper's qdiscs, through rtnetlink (libnl-route): a TBF root, or an
 * HTB root with a class per configured class, a default class and a
 * bfifo leaf under each. Everything fastpath makes has the root handle
 * FP_SHAPER_HANDLE, which is how it knows its own (and a root replaced
 * behind its back). */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include "shaper/shaper_internal.h"

#define MTU_FRAME  1514u
#define TOP_MINOR  0x1000u   /* the class every other class borrows from */

int fp_shaper_nl_err(int nlerr)
{
	switch (-nlerr) {
	case 0: return 0;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_INVAL: case NLE_RANGE: return -EINVAL;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_BUSY: return -EBUSY;
	default: return -EIO;
	}
}

int fp_shaper_nl_open(struct nl_sock **sk)
{
	int err;

	*sk = nl_socket_alloc();
	if (!*sk)
		return -ENOMEM;
	err = nl_connect(*sk, NETLINK_ROUTE);
	if (err) {
		nl_socket_free(*sk);
		*sk = NULL;
		return fp_shaper_nl_err(err);
	}
	return 0;
}

uint32_t fp_shaper_classid(uint32_t minor)
{
	return TC_H_MAKE(FP_SHAPER_HANDLE, minor);
}

/* A class's minor: FP_SHAPER_DEFAULT, then 0x10 + its index. */
uint32_t fp_shaper_class_minor(size_t i)
{
	return 0x10 + (uint32_t)i;
}

/* Bytes of queue that drain in the latency target at RATE, never less
 * than three full frames. Counting bytes, not packets, is what holds the
 * target: GRO and TSO make skbs of up to 64 KB, so a queue of N packets
 * can hold 40 times the delay of N frames. */
static uint32_t queue_bytes(uint64_t rate, uint32_t latency_ms)
{
	uint64_t b = rate / 8 * latency_ms / 1000;

	return b < 3 * MTU_FRAME ? 3 * MTU_FRAME : b > INT32_MAX ? INT32_MAX : (uint32_t)b;
}

/* Burst of the token buckets: 4 ms at RATE (a 250 Hz tick), at least ten
 * full frames. */
static uint32_t burst_bytes(uint64_t rate)
{
	uint64_t b = rate / 8 / 250;

	return b < 10 * MTU_FRAME ? 10 * MTU_FRAME : b > (64u << 20) ? (64u << 20) : (uint32_t)b;
}

static struct rtnl_qdisc *qdisc_new(int ifindex, uint32_t parent, uint32_t handle,
				    const char *kind)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), parent);
	if (handle)
		rtnl_tc_set_handle(TC_CAST(q), handle);
	if (kind && rtnl_tc_set_kind(TC_CAST(q), kind)) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

int fp_shaper_tbf_set(struct nl_sock *sk, int ifindex, uint64_t rate, uint32_t latency_ms)
{
	struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, FP_SHAPER_HANDLE, "tbf");
	int err;

	if (!q)
		return -ENOMEM;
	if (rate / 8 > INT32_MAX) {
		rtnl_qdisc_put(q);
		return -ERANGE; /* libnl's TBF rate is a 32-bit byte rate */
	}
	rtnl_qdisc_tbf_set_rate(q, (int)(rate / 8), (int)burst_bytes(rate), 0);
	/* tc's "latency" adds the burst to the queue; the target is the
	 * queue alone. */
	rtnl_qdisc_tbf_set_limit(q, (int)queue_bytes(rate, latency_ms));
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	return fp_shaper_nl_err(err);
}

static int htb_class_set(struct nl_sock *sk, int ifindex, uint32_t parent, uint32_t minor,
			 uint64_t rate, uint64_t ceil, uint32_t prio)
{
	struct rtnl_class *c = rtnl_class_alloc();
	uint64_t quantum = rate / 8 / 10;
	int err;

	if (!c)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), parent);
	rtnl_tc_set_handle(TC_CAST(c), fp_shaper_classid(minor));
	err = rtnl_tc_set_kind(TC_CAST(c), "htb");
	err = err ?: rtnl_htb_set_rate64(c, rate / 8);
	err = err ?: rtnl_htb_set_ceil64(c, (ceil ? ceil : rate) / 8);
	err = err ?: rtnl_htb_set_prio(c, prio);
	err = err ?: rtnl_htb_set_rbuffer(c, burst_bytes(rate));
	err = err ?: rtnl_htb_set_cbuffer(c, burst_bytes(ceil ? ceil : rate));
	/* r2q's quantum runs past HTB's bounds at high rates: one MTU to
	 * 200 KB, as tc advises. */
	err = err ?: rtnl_htb_set_quantum(c, quantum < MTU_FRAME ? MTU_FRAME :
					  quantum > 200000 ? 200000 : (uint32_t)quantum);
	err = err ?: rtnl_class_add(sk, c, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_class_put(c);
	return fp_shaper_nl_err(err);
}

static int leaf_set(struct nl_sock *sk, int ifindex, uint32_t minor, uint32_t bytes)
{
	struct rtnl_qdisc *q = qdisc_new(ifindex, fp_shaper_classid(minor),
					 TC_H_MAKE(minor << 16, 0), "bfifo");
	int err;

	if (!q)
		return -ENOMEM;
	err = rtnl_qdisc_fifo_set_limit(q, (int)bytes);
	err = err ?: rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	return fp_shaper_nl_err(err);
}

/* The default class gets what the classes leave of the limit (at least
 * 1%), and may borrow up to the whole limit at the lowest priority. */
static uint64_t default_rate(const struct fp_shaper_iface *s)
{
	uint64_t sum = 0, floor = s->bandwidth_limit / 100;

	for (size_t i = 0; i < s->n_classes; i++)
		sum += s->classes[i].rate;
	return sum + floor >= s->bandwidth_limit ? floor : s->bandwidth_limit - sum;
}

int fp_shaper_htb_set(struct nl_sock *sk, int ifindex, const struct fp_shaper_iface *s,
		      bool keep_root)
{
	uint32_t top = fp_shaper_classid(TOP_MINOR);
	int err = 0;

	if (!keep_root) {
		struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, FP_SHAPER_HANDLE, "htb");

		if (!q)
			return -ENOMEM;
		err = rtnl_htb_set_defcls(q, fp_shaper_classid(FP_SHAPER_DEFAULT));
		err = err ?: rtnl_htb_set_rate2quantum(q, 10);
		err = fp_shaper_nl_err(err ?: rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE));
		rtnl_qdisc_put(q);
		if (err)
			return err;
	}
	err = htb_class_set(sk, ifindex, FP_SHAPER_HANDLE, TOP_MINOR,
			    s->bandwidth_limit, s->bandwidth_limit, 0);
	err = err ?: htb_class_set(sk, ifindex, top, FP_SHAPER_DEFAULT, default_rate(s),
				   s->bandwidth_limit, 7);
	err = err ?: leaf_set(sk, ifindex, FP_SHAPER_DEFAULT,
			      queue_bytes(default_rate(s), s->latency_ms));
	for (size_t i = 0; !err && i < s->n_classes; i++) {
		const struct fp_shaper_class *c = &s->classes[i];
		uint32_t minor = fp_shaper_class_minor(i);

		err = htb_class_set(sk, ifindex, top, minor, c->rate,
				    c->ceil ? c->ceil : s->bandwidth_limit, c->priority);
		err = err ?: leaf_set(sk, ifindex, minor, queue_bytes(c->rate, s->latency_ms));
	}
	return err;
}

/* Classes of ours past the configured ones (a smaller class set than the
 * last one): delete them, leaves go with them. */
int fp_shaper_htb_prune(struct nl_sock *sk, int ifindex, size_t n_classes)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int err = rtnl_class_alloc_cache(sk, ifindex, &cache);

	if (err)
		return fp_shaper_nl_err(err);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_class *c = (struct rtnl_class *)o;
		uint32_t h = rtnl_tc_get_handle(TC_CAST(c)), minor = TC_H_MIN(h);

		if (TC_H_MAJ(h) != FP_SHAPER_HANDLE || minor == TOP_MINOR ||
		    minor == FP_SHAPER_DEFAULT || minor < fp_shaper_class_minor(n_classes))
			continue;
		err = fp_shaper_nl_err(rtnl_class_delete(sk, c));
		if (err)
			break;
	}
	nl_cache_free(cache);
	return err;
}

int fp_shaper_root_kind(struct nl_sock *sk, int ifindex, char *kind, size_t size)
{
	struct nl_cache *cache;
	struct rtnl_qdisc *q;
	int err = rtnl_qdisc_alloc_cache(sk, &cache);

	if (err)
		return fp_shaper_nl_err(err);
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	if (!q || rtnl_tc_get_handle(TC_CAST(q)) != FP_SHAPER_HANDLE) {
		err = -ENOENT;
	} else {
		const char *k = rtnl_tc_get_kind(TC_CAST(q));

		snprintf(kind, size, "%s", k ? k : "");
	}
	if (q)
		rtnl_qdisc_put(q);
	nl_cache_free(cache);
	return err;
}

int fp_shaper_root_delete(struct nl_sock *sk, int ifindex)
{
	/* No kind: the kernel refuses a delete whose kind is not the qdisc's. */
	struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, FP_SHAPER_HANDLE, NULL);
	int err;

	if (!q)
		return -ENOMEM;
	err = fp_shaper_nl_err(rtnl_qdisc_delete(sk, q));
	rtnl_qdisc_put(q);
	return err;
}

static void stats_of(struct rtnl_tc *tc, struct fp_shaper_stats *st)
{
	st->bytes = rtnl_tc_get_stat(tc, RTNL_TC_BYTES);
	st->packets = rtnl_tc_get_stat(tc, RTNL_TC_PACKETS);
	st->drops = rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
	st->overlimits = rtnl_tc_get_stat(tc, RTNL_TC_OVERLIMITS);
	st->backlog_bytes = (uint32_t)rtnl_tc_get_stat(tc, RTNL_TC_BACKLOG);
	st->qlen = (uint32_t)rtnl_tc_get_stat(tc, RTNL_TC_QLEN);
}

static int class_order(const void *a, const void *b)
{
	const struct fp_shaper_stats *x = a, *y = b;

	return (x->classid > y->classid) - (x->classid < y->classid);
}

int fp_shaper_qdisc_read(struct nl_sock *sk, int ifindex, struct fp_shaper_state *st)
{
	struct nl_cache *qcache, *ccache = NULL;
	struct rtnl_qdisc *q;
	struct nl_object *o;
	const char *kind;
	int err = rtnl_qdisc_alloc_cache(sk, &qcache);

	if (err)
		return fp_shaper_nl_err(err);
	q = rtnl_qdisc_get_by_parent(qcache, ifindex, TC_H_ROOT);
	if (!q || rtnl_tc_get_handle(TC_CAST(q)) != FP_SHAPER_HANDLE) {
		err = -ENOENT;
		goto out;
	}
	kind = rtnl_tc_get_kind(TC_CAST(q));
	stats_of(TC_CAST(q), &st->root);
	if (kind && !strcmp(kind, "tbf")) {
		st->mech = FP_SHAPER_TBF;
		st->limit = (uint64_t)rtnl_qdisc_tbf_get_rate(q) * 8;
		st->root.rate = st->root.ceil = st->limit;
		goto out;
	}
	if (!kind || strcmp(kind, "htb")) {
		err = -ENOENT;
		goto out;
	}
	st->mech = FP_SHAPER_HTB;
	err = fp_shaper_nl_err(rtnl_class_alloc_cache(sk, ifindex, &ccache));
	for (o = err ? NULL : nl_cache_get_first(ccache); o; o = nl_cache_get_next(o)) {
		struct rtnl_class *c = (struct rtnl_class *)o;
		uint32_t h = rtnl_tc_get_handle(TC_CAST(c));
		struct fp_shaper_stats *cs;
		uint64_t rate = 0, ceil = 0;

		if (TC_H_MAJ(h) != FP_SHAPER_HANDLE)
			continue;
		rtnl_htb_get_rate64(c, &rate);
		rtnl_htb_get_ceil64(c, &ceil);
		if (TC_H_MIN(h) == TOP_MINOR) {
			st->limit = rate * 8;
			st->root.rate = rate * 8;
			st->root.ceil = ceil * 8;
			continue;
		}
		if (st->n_classes >= FP_SHAPER_CLASSES_MAX + 1)
			continue;
		cs = &st->classes[st->n_classes++];
		memset(cs, 0, sizeof(*cs));
		cs->classid = h;
		cs->rate = rate * 8;
		cs->ceil = ceil * 8;
		cs->priority = rtnl_htb_get_prio(c);
		stats_of(TC_CAST(c), cs);
	}
	qsort(st->classes, st->n_classes, sizeof(st->classes[0]), class_order);
out:
	if (q)
		rtnl_qdisc_put(q);
	if (ccache)
		nl_cache_free(ccache);
	nl_cache_free(qcache);
	return err;
}

int fp_shaper_qdisc_list(struct nl_sock *sk, char (*devs)[IF_NAMESIZE], int max)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int n = 0, err = rtnl_qdisc_alloc_cache(sk, &cache);

	if (err)
		return fp_shaper_nl_err(err);
	for (o = nl_cache_get_first(cache); o && n < max; o = nl_cache_get_next(o)) {
		struct rtnl_tc *tc = (struct rtnl_tc *)o;

		if (rtnl_tc_get_parent(tc) != TC_H_ROOT ||
		    rtnl_tc_get_handle(tc) != FP_SHAPER_HANDLE)
			continue;
		if (if_indextoname(rtnl_tc_get_ifindex(tc), devs[n]))
			n++;
	}
	nl_cache_free(cache);
	return n;
}
