// SPDX-License-Identifier: BSD-2-Clause
/* The value parsers every section shares (see schema.h): scalars, numbers
 * within a range, durations, words, names, paths and addresses. Each
 * reports what is wrong with the value and what to write instead. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <net/if.h>
#include <sys/socket.h>
#include "config/schema.h"

/* ---- scalars ----------------------------------------------------------- */

const char *fp_cfg_kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a single value";
	}
}

bool fp_cfg_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

bool fp_cfg_is_unset(const yaml_node_t *n)
{
	const char *s;

	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return n->data.sequence.items.top == n->data.sequence.items.start;
	case YAML_MAPPING_NODE:
		return n->data.mapping.pairs.top == n->data.mapping.pairs.start;
	case YAML_SCALAR_NODE:
		s = (const char *)n->data.scalar.value;
		return fp_cfg_is_null(n) || !strcmp(s, "0") || !strcasecmp(s, "false");
	default:
		return true;
	}
}

const char *fp_cfg_value_of(struct walk *w, yaml_node_t *n, const char *path,
			    const char *what)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE) {
		fp_cfg_report(w, n, path, "expected %s, got %s", what, fp_cfg_kind_name(n));
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (fp_cfg_is_null(n)) {
		fp_cfg_report(w, n, path, "needs a value: %s", what);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		fp_cfg_report(w, n, path, "contains a NUL character");
		return NULL;
	}
	return s;
}

int fp_cfg_parse_ull(const char *s, unsigned long long *v)
{
	unsigned long long x = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (x > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (unsigned)(*s - '0');
	}
	*v = x;
	return 0;
}

const char *fp_cfg_split_dash(const char *s, char *buf, size_t size)
{
	const char *dash = strchr(s, '-');

	if (!dash || (size_t)(dash - s) >= size)
		return NULL;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	return dash + 1;
}

static const char *const duration_units[] = { "ms", "s", "m", "h", "d" };
static const unsigned long long duration_ms[] = { 1, 1000, 60000, 3600000, 86400000 };

/* parse_duration: 30s, 5m, 1h, 500ms, 2d, or a bare number of seconds. */
static int parse_duration(const char *s, unsigned long long *ms)
{
	unsigned long long v, mul = 1000;
	char num[24];
	size_t n = strspn(s, "0123456789");
	size_t i;

	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (fp_cfg_parse_ull(num, &v))
		return -EINVAL;
	if (s[n]) {
		for (i = 0; i < ARRAY_SIZE(duration_units); i++)
			if (!strcmp(s + n, duration_units[i]))
				break;
		if (i == ARRAY_SIZE(duration_units))
			return -EINVAL;
		mul = duration_ms[i];
	}
	if (v > ULLONG_MAX / mul)
		return -ERANGE;
	*ms = v * mul;
	return 0;
}

int fp_duration_parse(const char *s, unsigned long long *ms)
{
	return parse_duration(s, ms);
}

/* fmt_duration: the largest unit that divides MS exactly. */
static const char *fmt_duration(char *buf, size_t size, unsigned long long ms)
{
	size_t i = ARRAY_SIZE(duration_ms);

	while (--i > 0 && ms % duration_ms[i])
		;
	snprintf(buf, size, "%llu%s", ms / duration_ms[i], duration_units[i]);
	return buf;
}

static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static bool domain_valid(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (!n || n >= FP_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || !c) {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)c) || (c == '-' && label)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* parse_mac: six hex pairs separated by ':' (or all by '-'). */
static int parse_mac(const char *s, uint8_t mac[6])
{
	char sep;

	if (strlen(s) != 17)
		return -EINVAL;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int fp_cfg_cidr(struct walk *w, yaml_node_t *n, const char *path,
		const char *s, struct fp_cidr *c)
{
	char shown[INET6_ADDRSTRLEN];
	int ret = fp_cidr_parse(s, c);

	if (ret == -EINVAL) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not an IP address or CIDR "
			      "(write 192.168.1.0/24, 10.0.0.1 or 2001:db8::/32)", s);
	} else if (ret == -ERANGE) {
		fp_cfg_report(w, n, path, "'" SHOW "': the prefix length must be 0-%u",
			      s, c->family == AF_INET ? 32 : 128);
	} else if (ret == -EDOM) {
		inet_ntop(c->family, c->addr, shown, sizeof(shown));
		fp_cfg_report(w, n, path, "'" SHOW "' has host bits set; did you mean "
			      "%s/%u?", s, shown, c->len);
	}
	return ret ? -EINVAL : 0;
}

static int ipv4_value(struct walk *w, yaml_node_t *n, const char *path,
		      const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not an IPv4 address (like 10.0.0.1)", s);
		return -EINVAL;
	}
	return 0;
}

/* ---- value parsers ----------------------------------------------------- */

int fp_cfg_map(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	return fp_cfg_walk_map(w, n, path, f->sub, dst);
}

int fp_cfg_bool(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	const char *s = fp_cfg_value_of(w, n, path, "true or false");

	(void)f;
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*(bool *)dst = !strcmp(s, yes[i]);
			return 0;
		}
	}
	fp_cfg_report(w, n, path, "'" SHOW "' is not a boolean; write true or false", s);
	return -EINVAL;
}

/* uint_value: a whole number within the field's min..max. */
static int uint_value(struct walk *w, yaml_node_t *n, const char *path,
		      const struct field *f, unsigned long long *v)
{
	char what[96];
	const char *s;
	int ret;

	snprintf(what, sizeof(what), "a number (%llu-%llu)", f->min, f->max);
	s = fp_cfg_value_of(w, n, path, what);
	if (!s)
		return -EINVAL;
	ret = fp_cfg_parse_ull(s, v);
	if (ret == -EINVAL) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not %s%s", s,
		       s[0] == '0' ? "a number without leading zeros, " : "", what);
		return -EINVAL;
	}
	if (ret || *v < f->min || *v > f->max) {
		fp_cfg_report(w, n, path, SHOW " is out of range (%llu-%llu)", s, f->min, f->max);
		return -EINVAL;
	}
	return 0;
}

int fp_cfg_int(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	unsigned long long v;

	if (uint_value(w, n, path, f, &v))
		return -EINVAL;
	*(int *)dst = (int)v;
	return 0;
}

int fp_cfg_u16(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	unsigned long long v;

	if (uint_value(w, n, path, f, &v))
		return -EINVAL;
	*(uint16_t *)dst = (uint16_t)v;
	return 0;
}

int fp_cfg_u32(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	unsigned long long v;

	if (uint_value(w, n, path, f, &v))
		return -EINVAL;
	*(uint32_t *)dst = (uint32_t)v;
	return 0;
}

/* duration_value: a duration in ms within the field's min..max, which
 * are in ms, or in seconds when the field is (whole) seconds. */
static int duration_value(struct walk *w, yaml_node_t *n, const char *path,
			  const struct field *f, unsigned long long unit,
			  unsigned long long *ms)
{
	char lo[24], hi[24];
	const char *s;
	int ret;

	s = fp_cfg_value_of(w, n, path, "a duration like 30s, 5m, 1h or 500ms");
	if (!s)
		return -EINVAL;
	ret = parse_duration(s, ms);
	if (ret == -EINVAL) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a duration; write a number "
		       "with ms, s, m, h or d (30s, 5m, 1h), or plain seconds", s);
		return -EINVAL;
	}
	if (!ret && *ms % unit) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a whole number of seconds", s);
		return -EINVAL;
	}
	if (ret || *ms < f->min * unit || *ms > f->max * unit) {
		fp_cfg_report(w, n, path, "'" SHOW "' is out of range (%s-%s)", s,
		       fmt_duration(lo, sizeof(lo), f->min * unit),
		       fmt_duration(hi, sizeof(hi), f->max * unit));
		return -EINVAL;
	}
	return 0;
}

int fp_cfg_duration_ms(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	unsigned long long ms;

	if (duration_value(w, n, path, f, 1, &ms))
		return -EINVAL;
	*(uint32_t *)dst = (uint32_t)ms;
	return 0;
}

int fp_cfg_duration_s(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	unsigned long long ms;

	if (duration_value(w, n, path, f, 1000, &ms))
		return -EINVAL;
	*(uint32_t *)dst = (uint32_t)(ms / 1000);
	return 0;
}

int fp_cfg_mode(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	static const char *const words[] = { "native", "skb", "auto" };
	const char *s = fp_cfg_value_of(w, n, path, "native, skb or auto");

	(void)f;
	if (!s)
		return -EINVAL;
	if (fp_mode_parse(s, dst)) {
		fp_cfg_bad_word(w, n, path, s, words, ARRAY_SIZE(words));
		return -EINVAL;
	}
	return 0;
}

/* fp_cfg_proto: core's protocol words, and any (0). */
int fp_cfg_proto(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	const char *words[8], *s = fp_cfg_value_of(w, n, path, "tcp, udp, icmp, icmpv6 or any");
	size_t nw = 0;

	(void)f;
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "any")) {
		*(int *)dst = 0;
		return 0;
	}
	for (const char *word; nw + 1 < ARRAY_SIZE(words) && (word = fp_proto_word(nw)); nw++) {
		if (!strcmp(s, word))
			return fp_proto_parse(word, dst);
		words[nw] = word;
	}
	words[nw++] = "any";
	fp_cfg_bad_word(w, n, path, s, words, nw);
	return -EINVAL;
}

int fp_cfg_ifname(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an interface name");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!ifname_valid(s)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a valid interface name "
		       "(1-15 characters, no '/', ':' or spaces)", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

int fp_cfg_abspath(struct walk *w, yaml_node_t *n, const char *path,
		     void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an absolute path");

	(void)f;
	if (!s)
		return -EINVAL;
	if (s[0] != '/') {
		fp_cfg_report(w, n, path, "'" SHOW "' is not an absolute path; "
		       "start it with /", s);
		return -EINVAL;
	}
	if (strlen(s) >= PATH_MAX) {
		fp_cfg_report(w, n, path, "the path is longer than %d bytes", PATH_MAX - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

int fp_cfg_ipv4(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an IPv4 address");

	(void)f;
	return s ? ipv4_value(w, n, path, s, dst) : -EINVAL;
}

int fp_cfg_domain(struct walk *w, yaml_node_t *n, const char *path,
		    void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a domain name");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!domain_valid(s)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a domain name (labels of "
		       "letters, digits and '-', separated by dots)", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

/* fp_cfg_ports: a port, or a range LO-HI; both ends 1-65535. */
int fp_cfg_ports(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	uint16_t *r = dst;      /* lo, hi */
	unsigned long long lo, hi;
	const char *s = fp_cfg_value_of(w, n, path, "a port (1-65535) or a range like 1000-2000");
	const char *rest;
	char num[24];
	bool bad;

	(void)f;
	if (!s)
		return -EINVAL;
	rest = fp_cfg_split_dash(s, num, sizeof(num));
	if (strchr(s, '-'))
		bad = !rest || fp_cfg_parse_ull(num, &lo) || fp_cfg_parse_ull(rest, &hi);
	else
		bad = fp_cfg_parse_ull(s, &lo);
	if (bad) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a port or a port range "
		       "(write 443 or 1000-2000)", s);
		return -EINVAL;
	}
	if (!rest)
		hi = lo;
	if (!lo || lo > 65535 || !hi || hi > 65535) {
		fp_cfg_report(w, n, path, "'" SHOW "': ports are 1-65535", s);
		return -EINVAL;
	}
	if (lo > hi) {
		fp_cfg_report(w, n, path, "range '" SHOW "' starts after it ends; write %llu-%llu",
		       s, hi, lo);
		return -EINVAL;
	}
	r[0] = (uint16_t)lo;
	r[1] = (uint16_t)hi;
	return 0;
}

int fp_cfg_mac(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a MAC address like \"02:00:00:00:00:01\"");
	uint8_t *mac = dst;

	(void)f;
	if (!s)
		return -EINVAL;
	if (parse_mac(s, mac)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a MAC address; write six hex "
		       "pairs in quotes, like \"02:00:00:00:00:01\"", s);
		return -EINVAL;
	}
	if (mac[0] & 1 || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		fp_cfg_report(w, n, path, "'" SHOW "' is %s address; a client's MAC is a "
		       "unicast one", s, mac[0] & 1 ? "a multicast" : "the zero");
		return -EINVAL;
	}
	return 0;
}

const char *fp_cfg_ntoa(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

