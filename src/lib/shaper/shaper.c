// SPDX-License-Identifier: BSD-2-Clause
/* Egress shaping: the mechanism chosen per interface, applied, read back
 * and removed (include/fastpath/shaper.h). The qdiscs are shaper_qdisc.c's,
 * the classifier shaper_classify.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include "shaper/shaper_internal.h"

#define FRAME_BITS (1514u * 8)

static const struct {
	const char *unit;
	uint64_t mult;          /* bit/s per unit */
} rate_units[] = {
	{ "bit", 1 },           { "kbit", 1000 },        { "mbit", 1000000 },
	{ "gbit", 1000000000 }, { "tbit", 1000000000000ull },
	{ "bps", 8 },           { "kbps", 8000 },        { "mbps", 8000000 },
	{ "gbps", 8000000000ull },
	{ "", 1 },
};

int fp_shaper_rate_parse(const char *s, uint64_t *bps)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	for (size_t i = 0; i < sizeof(rate_units) / sizeof(rate_units[0]); i++) {
		if (strcasecmp(end, rate_units[i].unit))
			continue;
		if (v > UINT64_MAX / rate_units[i].mult)
			return -ERANGE;
		*bps = v * rate_units[i].mult;
		return *bps ? 0 : -ERANGE;
	}
	return -EINVAL;
}

const char *fp_shaper_rate_str(uint64_t bps, char *buf, size_t size)
{
	if (bps >= 1000000000 && bps % 1000000000 == 0)
		snprintf(buf, size, "%lluGbit", (unsigned long long)(bps / 1000000000));
	else if (bps >= 1000000 && bps % 1000000 == 0)
		snprintf(buf, size, "%lluMbit", (unsigned long long)(bps / 1000000));
	else if (bps >= 1000 && bps % 1000 == 0)
		snprintf(buf, size, "%lluKbit", (unsigned long long)(bps / 1000));
	else
		snprintf(buf, size, "%llubit", (unsigned long long)bps);
	return buf;
}

const char *fp_shaper_mech_str(enum fp_shaper_mech m)
{
	return m == FP_SHAPER_TBF ? "tbf" : m == FP_SHAPER_HTB ? "htb" : "none";
}

int fp_shaper_check(const struct fp_shaper_iface *s, char *why, size_t size)
{
	uint64_t sum = 0;

	if (!s->bandwidth_limit) {
		snprintf(why, size, "bandwidth_limit is required");
		return -EINVAL;
	}
	/* TBF (no classes) takes a 32-bit byte rate: 17 Gbit/s at most. */
	if (!s->n_classes && s->bandwidth_limit / 8 > INT32_MAX) {
		snprintf(why, size, "bandwidth_limit above 17gbit needs classes (htb): tbf, "
			 "used without them, cannot rate more");
		return -ERANGE;
	}
	/* The queue must hold a few frames at the limit, or TBF refuses
	 * (divided, not multiplied: a rate near 2^64 overflows). */
	if (!s->latency_ms || s->bandwidth_limit < (2ull * FRAME_BITS * 1000 + s->latency_ms - 1) /
						  s->latency_ms) {
		snprintf(why, size, "latency_target is shorter than two full frames at "
			 "bandwidth_limit: raise one of them");
		return -EINVAL;
	}
	if (s->n_classes > FP_SHAPER_CLASSES_MAX) {
		snprintf(why, size, "at most %d classes", FP_SHAPER_CLASSES_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_classes; i++) {
		const struct fp_shaper_class *c = &s->classes[i];

		if (!c->rate || c->rate > s->bandwidth_limit) {
			snprintf(why, size, "classes[%zu].rate must be above 0 and at most "
				 "bandwidth_limit", i);
			return -EINVAL;
		}
		if (c->ceil && (c->ceil < c->rate || c->ceil > s->bandwidth_limit)) {
			snprintf(why, size, "classes[%zu].ceil must be between its rate and "
				 "bandwidth_limit", i);
			return -EINVAL;
		}
		if (c->port[0] && c->proto != IPPROTO_TCP && c->proto != IPPROTO_UDP) {
			snprintf(why, size, "classes[%zu]: a port needs protocol tcp or udp", i);
			return -EINVAL;
		}
		if ((c->proto == IPPROTO_ICMPV6 && c->dest.family == AF_INET) ||
		    (c->proto == IPPROTO_ICMP && c->dest.family == AF_INET6)) {
			snprintf(why, size, "classes[%zu]: protocol %s with an IPv%d dest "
				 "matches nothing", i, c->proto == IPPROTO_ICMP ? "icmp" : "icmpv6",
				 c->dest.family == AF_INET ? 4 : 6);
			return -EINVAL;
		}
		if (c->priority > 7) {
			snprintf(why, size, "classes[%zu].priority must be 0..7", i);
			return -EINVAL;
		}
		sum += c->rate;
	}
	if (sum > s->bandwidth_limit) {
		snprintf(why, size, "the classes' rates add up to more than bandwidth_limit");
		return -EINVAL;
	}
	return 0;
}

static int apply_on(struct nl_sock *sk, int ifindex, const struct fp_shaper_iface *s,
		    enum fp_shaper_mech *mech)
{
	char kind[16] = "";
	bool ours = !fp_shaper_root_kind(sk, ifindex, kind, sizeof(kind));
	int err;

	*mech = s->n_classes ? FP_SHAPER_HTB : FP_SHAPER_TBF;
	/* The kernel changes a qdisc in place but will not change its kind
	 * under the same handle: from tbf to htb or back, the root goes and
	 * comes back (a moment at the interface's default). */
	if (ours && strcmp(kind, fp_shaper_mech_str(*mech))) {
		err = fp_shaper_root_delete(sk, ifindex);
		if (err)
			return err;
		ours = false;
	}
	if (!s->n_classes) {
		err = fp_shaper_classify_remove(s->interface);
		return err ?: fp_shaper_tbf_set(sk, ifindex, s->bandwidth_limit, s->latency_ms);
	}
	err = fp_shaper_htb_set(sk, ifindex, s, ours);
	err = err ?: fp_shaper_htb_prune(sk, ifindex, s->n_classes);
	return err ?: fp_shaper_classify_set(s->interface, ifindex, s);
}

int fp_shaper_apply(const struct fp_shaper_iface *s, enum fp_shaper_mech *mech,
		    char *note, size_t note_size)
{
	enum fp_shaper_mech m = FP_SHAPER_NONE;
	struct nl_sock *sk;
	char why[256];
	int ifindex = (int)if_nametoindex(s->interface), err;

	if (!ifindex)
		return -ENODEV;
	err = fp_shaper_check(s, why, sizeof(why));
	if (err) {
		if (note)
			snprintf(note, note_size, "%s", why);
		return err;
	}
	err = fp_shaper_nl_open(&sk);
	if (err)
		return err;
	err = apply_on(sk, ifindex, s, &m);
	if (err) {
		/* Leave nothing half made: the interface's default root. */
		fp_shaper_classify_remove(s->interface);
		fp_shaper_root_delete(sk, ifindex);
	}
	nl_socket_free(sk);
	if (mech)
		*mech = m;
	if (note && !err)
		snprintf(note, note_size, "%s: %s", fp_shaper_mech_str(m),
			 m == FP_SHAPER_TBF ?
			 "no classes, so one token bucket whose queue holds latency_target "
			 "at bandwidth_limit; EDT pacing (fq) is not used by this build" :
			 "HTB classes chosen by fp_shaper_tc on tcx egress, bfifo leaves of "
			 "rate x latency_target; EDT pacing (fq) is not used by this build");
	return err;
}

int fp_shaper_remove(const char *dev)
{
	struct nl_sock *sk;
	int ifindex = (int)if_nametoindex(dev), err, cerr;

	cerr = fp_shaper_classify_remove(dev);
	if (!ifindex)
		return cerr;
	err = fp_shaper_nl_open(&sk);
	if (err)
		return err;
	err = fp_shaper_root_delete(sk, ifindex);
	nl_socket_free(sk);
	if (err == -ENOENT || err == -EINVAL) /* nothing of ours there */
		err = 0;
	return err ?: cerr;
}

int fp_shaper_read(const char *dev, struct fp_shaper_state *st)
{
	struct nl_sock *sk;
	int ifindex = (int)if_nametoindex(dev), err;

	memset(st, 0, sizeof(*st));
	if (!ifindex)
		return -ENODEV;
	snprintf(st->dev, sizeof(st->dev), "%s", dev);
	err = fp_shaper_nl_open(&sk);
	if (err)
		return err;
	err = fp_shaper_qdisc_read(sk, ifindex, st);
	nl_socket_free(sk);
	return err;
}

bool fp_shaper_matches(const struct fp_shaper_iface *s)
{
	struct fp_shaper_state st;
	int ifindex = (int)if_nametoindex(s->interface);

	if (fp_shaper_read(s->interface, &st))
		return false;
	if (!s->n_classes)
		return st.mech == FP_SHAPER_TBF &&
		       st.limit / 8 == s->bandwidth_limit / 8;
	return st.mech == FP_SHAPER_HTB && st.limit / 8 == s->bandwidth_limit / 8 &&
	       st.n_classes == s->n_classes + 1 && fp_shaper_classify_live(s->interface, ifindex);
}

int fp_shaper_list(char (*devs)[IF_NAMESIZE], int max)
{
	struct nl_sock *sk;
	int n = fp_shaper_nl_open(&sk);

	if (n)
		return n;
	n = fp_shaper_qdisc_list(sk, devs, max);
	nl_socket_free(sk);
	return n;
}

static int port_range_parse(const char *s, uint16_t port[2])
{
	unsigned long a, b;
	char *end;

	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-')
		b = strtoul(end + 1, &end, 10);
	if (*end || !a || a > 65535 || b < a || b > 65535)
		return -EINVAL;
	port[0] = (uint16_t)a;
	port[1] = (uint16_t)b;
	return 0;
}

int fp_shaper_class_parse(const char *spec, struct fp_shaper_class *c, char *why, size_t size)
{
	char buf[256], *save = NULL, *kv;

	memset(c, 0, sizeof(*c));
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf)) {
		snprintf(why, size, "class too long");
		return -EINVAL;
	}
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		int err = 0;

		if (!v) {
			snprintf(why, size, "'%s' is not KEY=VALUE", kv);
			return -EINVAL;
		}
		*v++ = '\0';
		if (!strcmp(kv, "dest"))
			err = fp_cidr_parse(v, &c->dest);
		else if (!strcmp(kv, "protocol"))
			err = fp_proto_parse(v, &c->proto);
		else if (!strcmp(kv, "port"))
			err = port_range_parse(v, c->port);
		else if (!strcmp(kv, "rate"))
			err = fp_shaper_rate_parse(v, &c->rate);
		else if (!strcmp(kv, "ceil"))
			err = fp_shaper_rate_parse(v, &c->ceil);
		else if (!strcmp(kv, "priority"))
			err = *v >= '0' && *v <= '7' && !v[1] ? (c->priority = (uint32_t)(*v - '0'), 0)
							     : -EINVAL;
		else {
			snprintf(why, size, "unknown key '%s' (dest, protocol, port, rate, ceil, "
				 "priority)", kv);
			return -EINVAL;
		}
		if (err) {
			snprintf(why, size, "%s: '%s' is not valid", kv, v);
			return -EINVAL;
		}
	}
	if (!c->rate) {
		snprintf(why, size, "rate is required");
		return -EINVAL;
	}
	return 0;
}
