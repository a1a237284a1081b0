// SPDX-License-Identifier: BSD-2-Clause
/* The configuration file, read with libyaml's document API and walked
 * against a schema: a table of keys per mapping, one parser per value
 * type, and a check per mapping for what involves several keys. The walk
 * does not stop at the first error: every error is reported, with the
 * line of its node and the dotted path of its key, so one check shows
 * all that is wrong. Nothing is applied here; the caller gets a typed,
 * checked struct or the list of errors. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml.h>
#include <fastpath/config.h>
#include <fastpath/dhcp.h>   /* fp_dhcp_mac_str */

#define PATH_BUF          192   /* a key path in messages */
#define SHOW              "%.80s" /* user text in messages, cut short */
#define TRAILER_ROOM      48    /* room kept for "(N more errors not shown)" */
#define SCHEMA_FIELDS_MAX 16
#define SUGGEST_LEN_MAX   32    /* longer words get no suggestion */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ------------------------------------------------------------ */

struct walk {
	yaml_document_t *doc;
	const char *name;        /* the file, in messages */
	struct fp_config_error *err;
	size_t used;             /* bytes of err->msg in use */
	unsigned int n_errors;
	unsigned int n_lost;     /* errors that did not fit in err->msg */
	bool nomem;
};

static unsigned int line_of(const yaml_node_t *n)
{
	return n ? (unsigned int)n->start_mark.line + 1 : 1;
}

/* add_line: the first error always gets in (cut if it must); later ones
 * only whole, leaving room to say how many did not fit. */
static void add_line(struct walk *w, const char *line)
{
	size_t cap = sizeof(w->err->msg) - TRAILER_ROOM;
	size_t n = strlen(line);
	char *msg = w->err->msg;

	w->n_errors++;
	if (!w->used) {
		if (n >= cap)
			n = cap - 1;
		memcpy(msg, line, n);
		msg[n] = '\0';
		w->used = n;
		return;
	}
	if (w->used + 1 + n >= cap) {
		w->n_lost++;
		return;
	}
	msg[w->used++] = '\n';
	memcpy(msg + w->used, line, n + 1);
	w->used += n;
}

static void finish_msg(struct walk *w)
{
	if (w->n_lost)
		snprintf(w->err->msg + w->used, sizeof(w->err->msg) - w->used,
			 "\n(%u more error%s not shown)", w->n_lost,
			 w->n_lost == 1 ? "" : "s");
}

static size_t vappendf(char *buf, size_t size, size_t at, const char *fmt,
		       va_list ap)
{
	int k;

	if (at >= size)
		return at;
	k = vsnprintf(buf + at, size - at, fmt, ap);
	if (k < 0)
		return at;
	return at + (size_t)k >= size ? size - 1 : at + (size_t)k;
}

static size_t __attribute__((format(printf, 4, 5)))
appendf(char *buf, size_t size, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	at = vappendf(buf, size, at, fmt, ap);
	va_end(ap);
	return at;
}

/* report_at: one error, "NAME:LINE: PATH: what". */
static void __attribute__((format(printf, 4, 5)))
report_at(struct walk *w, unsigned int line, const char *path,
	  const char *fmt, ...)
{
	char buf[sizeof(w->err->msg)];
	size_t at;
	va_list ap;

	at = appendf(buf, sizeof(buf), 0, "%s:%u: ", w->name, line);
	if (path && *path)
		at = appendf(buf, sizeof(buf), at, "%s: ", path);
	va_start(ap, fmt);
	vappendf(buf, sizeof(buf), at, fmt, ap);
	va_end(ap);
	add_line(w, buf);
}

#define report(w, node, path, ...) report_at(w, line_of(node), path, __VA_ARGS__)

/* ---- words ------------------------------------------------------------- */

/* edit_distance: optimal string alignment distance (a swap of two
 * neighbours counts one: "mdoe" is 1 from "mode"), case-insensitive. */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int d[SUGGEST_LEN_MAX + 1][SUGGEST_LEN_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
		return UINT_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			unsigned int cost = tolower(a[i - 1]) != tolower(b[j - 1]);
			unsigned int v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    tolower(a[i - 1]) == tolower(b[j - 2]) &&
			    tolower(a[i - 2]) == tolower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* suggest: the nearest of words within 2 edits, or NULL. A short word is
 * not "near" a candidate it would have to be mostly rewritten into. */
static const char *suggest(const char *s, const char *const *words, size_t n)
{
	unsigned int best = 3, d;
	const char *hit = NULL;

	for (size_t i = 0; i < n; i++) {
		d = edit_distance(s, words[i]);
		if (d < best && d < strlen(words[i]) && d < strlen(s)) {
			best = d;
			hit = words[i];
		}
	}
	return hit;
}

static size_t join_words(char *buf, size_t size, const char *const *words,
			 size_t n)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		at = appendf(buf, size, at, "%s%s", i ? ", " : "", words[i]);
	return at;
}

/* bad_word: S is none of WORDS; say which it could be. */
static void bad_word(struct walk *w, yaml_node_t *n, const char *path,
		     const char *s, const char *const *words, size_t nw)
{
	const char *near = suggest(s, words, nw);
	char list[256];

	join_words(list, sizeof(list), words, nw);
	if (near)
		report(w, n, path, "'" SHOW "' is not one of %s (did you mean '%s'?)",
		       s, list, near);
	else
		report(w, n, path, "'" SHOW "' is not one of %s", s, list);
}

/* ---- scalars ----------------------------------------------------------- */

static const char *kind_name(const yaml_node_t *n)
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

/* is_null: YAML's null: an empty plain value, ~ or null. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* value_of: the text of a scalar, or NULL once it is reported that N is
 * no scalar (WHAT says what was expected). */
static const char *value_of(struct walk *w, yaml_node_t *n, const char *path,
			    const char *what)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE) {
		report(w, n, path, "expected %s, got %s", what, kind_name(n));
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (is_null(n)) {
		report(w, n, path, "needs a value: %s", what);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		report(w, n, path, "contains a NUL character");
		return NULL;
	}
	return s;
}

/* parse_ull: decimal digits only: no sign, no fraction, and no leading
 * zero, which YAML 1.1 would read as octal. */
static int parse_ull(const char *s, unsigned long long *v)
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

/* split_dash: FIRST-REST: copy FIRST into buf and return REST, or NULL
 * when there is no '-' or FIRST does not fit. */
static const char *split_dash(const char *s, char *buf, size_t size)
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
	if (parse_ull(num, &v))
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

/* parse_ip: an IPv4 or IPv6 address (a ':' says which). */
static int parse_ip(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(*family, s, addr) == 1 ? 0 : -EINVAL;
}

static void mask_addr(uint8_t addr[16], unsigned int len, unsigned int bits)
{
	for (unsigned int i = 0; i < bits / 8; i++) {
		if (len >= 8 * (i + 1))
			continue;
		addr[i] &= len > 8 * i ? (uint8_t)(0xff << (8 - (len - 8 * i))) : 0;
	}
}

/* cidr_value: ADDR/LEN or a plain ADDR (a host prefix), host bits zero.
 * Reports and returns -EINVAL when S is none. */
static int cidr_value(struct walk *w, yaml_node_t *n, const char *path,
		      const char *s, int *family, uint8_t addr[16], uint8_t *plen)
{
	const char *slash = strchr(s, '/');
	char host[INET6_ADDRSTRLEN + 8], shown[INET6_ADDRSTRLEN];
	size_t hn = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long long len;
	uint8_t masked[16];
	unsigned int bits;
	int ret = -EINVAL;

	if (hn < sizeof(host)) {
		memcpy(host, s, hn);
		host[hn] = '\0';
		ret = parse_ip(host, family, addr);
	}
	if (ret) {
		report(w, n, path, "'" SHOW "' is not an IP address or CIDR "
		       "(write 192.168.1.0/24, 10.0.0.1 or 2001:db8::/32)", s);
		return -EINVAL;
	}
	bits = *family == AF_INET ? 32 : 128;
	len = bits;
	if (slash && (parse_ull(slash + 1, &len) || len > bits)) {
		report(w, n, path, "'" SHOW "': the prefix length must be 0-%u",
		       s, bits);
		return -EINVAL;
	}
	memcpy(masked, addr, sizeof(masked));
	mask_addr(masked, (unsigned int)len, bits);
	if (memcmp(masked, addr, 16)) {
		inet_ntop(*family, masked, shown, sizeof(shown));
		report(w, n, path, "'" SHOW "' has host bits set; did you mean %s/%llu?",
		       s, shown, len);
		return -EINVAL;
	}
	*plen = (uint8_t)len;
	return 0;
}

static int ipv4_value(struct walk *w, yaml_node_t *n, const char *path,
		      const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1) {
		report(w, n, path, "'" SHOW "' is not an IPv4 address (like 10.0.0.1)", s);
		return -EINVAL;
	}
	return 0;
}

/* ---- the schema walker ------------------------------------------------- */

struct field;
struct seen;

typedef int (*parse_fn)(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f);
typedef void (*check_fn)(struct walk *w, yaml_node_t *map, const char *path,
			 void *dst, const struct seen *seen);
typedef int (*item_fn)(struct walk *w, yaml_node_t *n, const char *path,
		       void *item);

struct schema {
	const struct field *fields;
	size_t n;
	check_fn check;          /* after the keys, for what spans several */
};

struct field {
	const char *key;
	parse_fn parse;
	size_t off;              /* where the value goes in the mapping's struct */
	bool required;
	const char *hint;        /* what to write, when it is missing */
	unsigned long long min, max; /* numbers and durations */
	const struct schema *sub;    /* nested mappings */
};

/* seen: per field of a schema, its key and value nodes if given, and
 * whether the value parsed. */
struct seen {
	yaml_node_t *key;
	yaml_node_t *val;
	bool ok;
};

static void path_key(char *buf, const char *path, const char *key)
{
	if (*path)
		snprintf(buf, PATH_BUF, "%s.%.64s", path, key);
	else
		snprintf(buf, PATH_BUF, "%.64s", key);
}

/* path_item: PATH[I], or PATH[I].KEY when KEY is given. */
static void path_item(char *buf, const char *path, size_t i, const char *key)
{
	size_t at = appendf(buf, PATH_BUF, 0, "%s[%zu]", path, i);

	if (key)
		appendf(buf, PATH_BUF, at, ".%s", key);
}

static yaml_node_t *node_at(struct walk *w, int index)
{
	return yaml_document_get_node(w->doc, index);
}

static void unknown_key(struct walk *w, yaml_node_t *k, const char *path,
			const struct schema *s, const char *key)
{
	const char *words[SCHEMA_FIELDS_MAX], *near;
	char list[256], at[PATH_BUF];

	path_key(at, path, key);
	if (!strcmp(key, "<<")) {
		report(w, k, path, "YAML merge keys (<<) are not supported; "
		       "write the keys out");
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		words[i] = s->fields[i].key;
	near = suggest(key, words, s->n);
	if (near) {
		report(w, k, at, "unknown key '" SHOW "'; did you mean '%s'?", key, near);
		return;
	}
	join_words(list, sizeof(list), words, s->n);
	report(w, k, at, "unknown key '" SHOW "'; %s takes: %s", key,
	       *path ? path : "the top level", list);
}

/* walk_map: N is a mapping of S's keys; parse each into DST. A null value
 * stands for an empty mapping (a section with everything commented out). */
static int walk_map(struct walk *w, yaml_node_t *n, const char *path,
		    const struct schema *s, void *dst)
{
	struct seen seen[SCHEMA_FIELDS_MAX] = { 0 };
	unsigned int before = w->n_errors;
	char at[PATH_BUF];

	if (!is_null(n) && n->type != YAML_MAPPING_NODE) {
		report(w, n, path, "expected a mapping (key: value), got %s",
		       kind_name(n));
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = n->type == YAML_MAPPING_NODE ?
		     n->data.mapping.pairs.start : NULL;
	     p && p < n->data.mapping.pairs.top && !w->nomem; p++) {
		yaml_node_t *k = node_at(w, p->key), *v = node_at(w, p->value);
		const char *key;
		size_t i;

		if (k->type != YAML_SCALAR_NODE) {
			report(w, k, path, "a key must be a word, not %s", kind_name(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < s->n && strcmp(key, s->fields[i].key); i++)
			;
		if (i == s->n) {
			unknown_key(w, k, path, s, key);
			continue;
		}
		path_key(at, path, key);
		if (seen[i].key) {
			report(w, k, at, "given twice in one mapping (first on line "
			       "%u); keep one", line_of(seen[i].key));
			continue;
		}
		seen[i].key = k;
		seen[i].val = v;
		seen[i].ok = !s->fields[i].parse(w, v, at, (char *)dst + s->fields[i].off,
						 &s->fields[i]);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->fields[i].required && !seen[i].key)
			report(w, n, path, "missing required key '%s'%s%s%s",
			       s->fields[i].key, s->fields[i].hint ? " (" : "",
			       s->fields[i].hint ? s->fields[i].hint : "",
			       s->fields[i].hint ? ")" : "");
	if (s->check && !w->nomem)
		s->check(w, n, path, dst, seen);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}

/* walk_list: N is a list of at most MAX items, each parsed by FN into an
 * array of SIZE-byte items that *arr gets even on error, for the caller
 * to free. A null value stands for an empty list. */
static int walk_list(struct walk *w, yaml_node_t *n, const char *path,
		     const char *what, size_t max, size_t size, void **arr,
		     size_t *count, item_fn fn)
{
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	*arr = NULL;
	*count = 0;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		report(w, n, path, "expected a list of %s, got %s", what, kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > max) {
		report(w, n, path, "has %zu items; at most %zu are allowed", cnt, max);
		return -EINVAL;
	}
	if (!cnt)
		return 0;
	*arr = calloc(cnt, size);
	if (!*arr) {
		w->nomem = true;
		return -ENOMEM;
	}
	*count = cnt;
	for (size_t i = 0; i < cnt && !w->nomem; i++) {
		path_item(at, path, i, NULL);
		if (fn(w, node_at(w, n->data.sequence.items.start[i]), at,
		       (char *)*arr + i * size))
			ret = -EINVAL;
	}
	return w->nomem ? -ENOMEM : ret;
}

struct dup_order {
	int (*cmp)(const void *, const void *);
};

static int dup_cmp(const void *a, const void *b, void *arg)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int c = ((const struct dup_order *)arg)->cmp(x, y);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

typedef void (*dup_fn)(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first);

/* each_dup: SAY(later, first) for every item of BASE equal under CMP to
 * an earlier one, first being the earliest in file order. */
static void each_dup(struct walk *w, const char *path, const void *base,
		     size_t n, size_t size, int (*cmp)(const void *, const void *),
		     dup_fn say)
{
	struct dup_order order = { cmp };
	const char **v;
	size_t run = 0;

	if (n < 2)
		return;
	v = malloc(n * sizeof(*v));
	if (!v) {
		w->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (const char *)base + i * size;
	qsort_r(v, n, sizeof(*v), dup_cmp, &order);
	for (size_t i = 1; i < n; i++) {
		if (cmp(v[i], v[run])) {
			run = i;
			continue;
		}
		say(w, path, base, (size_t)(v[i] - (const char *)base) / size,
		    (size_t)(v[run] - (const char *)base) / size);
	}
	free(v);
}

/* ---- value parsers ----------------------------------------------------- */

static int p_map(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	return walk_map(w, n, path, f->sub, dst);
}

static int p_bool(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	const char *s = value_of(w, n, path, "true or false");

	(void)f;
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*(bool *)dst = !strcmp(s, yes[i]);
			return 0;
		}
	}
	report(w, n, path, "'" SHOW "' is not a boolean; write true or false", s);
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
	s = value_of(w, n, path, what);
	if (!s)
		return -EINVAL;
	ret = parse_ull(s, v);
	if (ret == -EINVAL) {
		report(w, n, path, "'" SHOW "' is not %s%s", s,
		       s[0] == '0' ? "a number without leading zeros, " : "", what);
		return -EINVAL;
	}
	if (ret || *v < f->min || *v > f->max) {
		report(w, n, path, SHOW " is out of range (%llu-%llu)", s, f->min, f->max);
		return -EINVAL;
	}
	return 0;
}

static int p_int(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	unsigned long long v;

	if (uint_value(w, n, path, f, &v))
		return -EINVAL;
	*(int *)dst = (int)v;
	return 0;
}

static int p_u16(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	unsigned long long v;

	if (uint_value(w, n, path, f, &v))
		return -EINVAL;
	*(uint16_t *)dst = (uint16_t)v;
	return 0;
}

static int p_u32(struct walk *w, yaml_node_t *n, const char *path, void *dst,
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

	s = value_of(w, n, path, "a duration like 30s, 5m, 1h or 500ms");
	if (!s)
		return -EINVAL;
	ret = parse_duration(s, ms);
	if (ret == -EINVAL) {
		report(w, n, path, "'" SHOW "' is not a duration; write a number "
		       "with ms, s, m, h or d (30s, 5m, 1h), or plain seconds", s);
		return -EINVAL;
	}
	if (!ret && *ms % unit) {
		report(w, n, path, "'" SHOW "' is not a whole number of seconds", s);
		return -EINVAL;
	}
	if (ret || *ms < f->min * unit || *ms > f->max * unit) {
		report(w, n, path, "'" SHOW "' is out of range (%s-%s)", s,
		       fmt_duration(lo, sizeof(lo), f->min * unit),
		       fmt_duration(hi, sizeof(hi), f->max * unit));
		return -EINVAL;
	}
	return 0;
}

static int p_duration_ms(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	unsigned long long ms;

	if (duration_value(w, n, path, f, 1, &ms))
		return -EINVAL;
	*(uint32_t *)dst = (uint32_t)ms;
	return 0;
}

static int p_duration_s(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	unsigned long long ms;

	if (duration_value(w, n, path, f, 1000, &ms))
		return -EINVAL;
	*(uint32_t *)dst = (uint32_t)(ms / 1000);
	return 0;
}

static int p_mode(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	static const char *const words[] = { "native", "skb", "auto" };
	const char *s = value_of(w, n, path, "native, skb or auto");

	(void)f;
	if (!s)
		return -EINVAL;
	if (fp_mode_parse(s, dst)) {
		bad_word(w, n, path, s, words, ARRAY_SIZE(words));
		return -EINVAL;
	}
	return 0;
}

/* p_action: allow or drop, for a rule's action and the policy. */
static int p_action(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	static const char *const words[] = { [FP_FW_ALLOW] = "allow", [FP_FW_DROP] = "drop" };
	const char *s = value_of(w, n, path, "allow or drop");

	(void)f;
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (!strcmp(s, words[i])) {
			*(enum fp_fw_action *)dst = (enum fp_fw_action)i;
			return 0;
		}
	}
	bad_word(w, n, path, s, words, ARRAY_SIZE(words));
	return -EINVAL;
}

static int p_proto(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	static const char *const words[] = { "tcp", "udp", "icmp", "icmpv6", "any" };
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				      IPPROTO_ICMPV6, 0 };
	const char *s = value_of(w, n, path, "tcp, udp, icmp, icmpv6 or any");

	(void)f;
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (!strcmp(s, words[i])) {
			*(int *)dst = protos[i];
			return 0;
		}
	}
	bad_word(w, n, path, s, words, ARRAY_SIZE(words));
	return -EINVAL;
}

static int p_ifname(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	const char *s = value_of(w, n, path, "an interface name");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!ifname_valid(s)) {
		report(w, n, path, "'" SHOW "' is not a valid interface name "
		       "(1-15 characters, no '/', ':' or spaces)", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static int p_abspath(struct walk *w, yaml_node_t *n, const char *path,
		     void *dst, const struct field *f)
{
	const char *s = value_of(w, n, path, "an absolute path");

	(void)f;
	if (!s)
		return -EINVAL;
	if (s[0] != '/') {
		report(w, n, path, "'" SHOW "' is not an absolute path; "
		       "start it with /", s);
		return -EINVAL;
	}
	if (strlen(s) >= PATH_MAX) {
		report(w, n, path, "the path is longer than %d bytes", PATH_MAX - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static int p_ipv4(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = value_of(w, n, path, "an IPv4 address");

	(void)f;
	return s ? ipv4_value(w, n, path, s, dst) : -EINVAL;
}

static int p_domain(struct walk *w, yaml_node_t *n, const char *path,
		    void *dst, const struct field *f)
{
	const char *s = value_of(w, n, path, "a domain name");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!domain_valid(s)) {
		report(w, n, path, "'" SHOW "' is not a domain name (labels of "
		       "letters, digits and '-', separated by dots)", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

/* ---- orchestrator ------------------------------------------------------ */

/* interface and interfaces fill the same list; dst is the ebpf struct. */
static int p_ebpf_interface(struct walk *w, yaml_node_t *n, const char *path,
			    void *dst, const struct field *f)
{
	struct fp_ebpf_config *e = dst;

	e->n_interfaces = 0;
	if (p_ifname(w, n, path, e->interfaces[0], f))
		return -EINVAL;
	e->n_interfaces = 1;
	return 0;
}

static int p_ebpf_interfaces(struct walk *w, yaml_node_t *n, const char *path,
			     void *dst, const struct field *f)
{
	struct fp_ebpf_config *e = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	e->n_interfaces = 0;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		report(w, n, path, "expected a list of interface names like "
		       "[eth0, eth1], got %s (for one, 'interface: eth0' works too)",
		       kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > FP_CONFIG_IFACES_MAX) {
		report(w, n, path, "has %zu interfaces; at most %d are allowed",
		       cnt, FP_CONFIG_IFACES_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = node_at(w, n->data.sequence.items.start[i]);

		path_item(at, path, i, NULL);
		if (p_ifname(w, item, at, e->interfaces[i], f)) {
			ret = -EINVAL;
			e->interfaces[i][0] = '\0';
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(e->interfaces[i], e->interfaces[j])) {
				report(w, item, at, "%s is listed twice", e->interfaces[i]);
				ret = -EINVAL;
				break;
			}
		}
	}
	e->n_interfaces = cnt;
	return ret;
}

enum { E_ENABLED, E_IFACE, E_IFACES, E_MODE, E_PROG };

static void ebpf_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	const struct seen *a = &seen[E_IFACE], *b = &seen[E_IFACES];
	char at[PATH_BUF];

	(void)map;
	(void)dst;
	if (!a->key || !b->key)
		return;
	if (line_of(b->key) < line_of(a->key))
		a = b, b = &seen[E_IFACE];
	path_key(at, path, (const char *)b->key->data.scalar.value);
	report(w, b->key, at, "give either 'interface' or 'interfaces', not both "
	       "('interface' is on line %u)", line_of(a->key));
}

static const struct field ebpf_fields[] = {
	[E_ENABLED] = { .key = "enabled", .parse = p_bool,
	  .off = offsetof(struct fp_ebpf_config, enabled) },
	[E_IFACE] = { .key = "interface", .parse = p_ebpf_interface },
	[E_IFACES] = { .key = "interfaces", .parse = p_ebpf_interfaces },
	[E_MODE] = { .key = "mode", .parse = p_mode,
	  .off = offsetof(struct fp_ebpf_config, mode) },
	[E_PROG] = { .key = "xdp_program", .parse = p_abspath,
	  .off = offsetof(struct fp_ebpf_config, xdp_program) },
};

static const struct schema ebpf_schema = { ebpf_fields, ARRAY_SIZE(ebpf_fields), ebpf_check };

static const struct field orchestrator_fields[] = {
	{ .key = "ebpf", .parse = p_map,
	  .off = offsetof(struct fp_config, ebpf), .sub = &ebpf_schema },
	{ .key = "prometheus_port", .parse = p_int,
	  .off = offsetof(struct fp_config, prometheus_port),
	  .min = 0, .max = 65535 },
};

static const struct schema orchestrator_schema = {
	orchestrator_fields, ARRAY_SIZE(orchestrator_fields), NULL
};

/* ---- firewall ---------------------------------------------------------- */

static int p_fw_prefix(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f)
{
	struct fp_fw_prefix *p = dst;
	const char *s = value_of(w, n, path, "an IP address or CIDR");

	(void)f;
	if (!s || cidr_value(w, n, path, s, &p->family, p->addr, &p->len))
		return -EINVAL;
	p->present = true;
	return 0;
}

/* p_ports: a port, or a range LO-HI; both ends 1-65535. */
static int p_ports(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	struct fp_fw_ports *r = dst;
	unsigned long long lo, hi;
	const char *s = value_of(w, n, path, "a port (1-65535) or a range like 1000-2000");
	const char *rest;
	char num[24];
	bool bad;

	(void)f;
	if (!s)
		return -EINVAL;
	rest = split_dash(s, num, sizeof(num));
	if (strchr(s, '-'))
		bad = !rest || parse_ull(num, &lo) || parse_ull(rest, &hi);
	else
		bad = parse_ull(s, &lo);
	if (bad) {
		report(w, n, path, "'" SHOW "' is not a port or a port range "
		       "(write 443 or 1000-2000)", s);
		return -EINVAL;
	}
	if (!rest)
		hi = lo;
	if (!lo || lo > 65535 || !hi || hi > 65535) {
		report(w, n, path, "'" SHOW "': ports are 1-65535", s);
		return -EINVAL;
	}
	if (lo > hi) {
		report(w, n, path, "range '" SHOW "' starts after it ends; write %llu-%llu",
		       s, hi, lo);
		return -EINVAL;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

enum { R_ACTION, R_SRC, R_DST, R_PROTO, R_PORT, R_DPORT, R_SPORT, R_IFACE };

static void rule_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	struct fp_fw_rule *r = dst;
	bool ports = seen[R_PORT].key || seen[R_DPORT].key || seen[R_SPORT].key;
	char at[PATH_BUF];

	(void)map;
	if (seen[R_PORT].key && seen[R_DPORT].key) {
		path_key(at, path, "dest_port");
		report(w, seen[R_DPORT].key, at, "'port' (line %u) already is the "
		       "destination port; give one of them", line_of(seen[R_PORT].key));
	}
	if (r->src.present && r->dst.present && r->src.family != r->dst.family) {
		path_key(at, path, "dest_ip");
		report(w, seen[R_DST].val, at, "source_ip is %s but dest_ip is %s; "
		       "a rule matches one family, so split it in two",
		       r->src.family == AF_INET ? "IPv4" : "IPv6",
		       r->dst.family == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	r->family = r->src.present ? r->src.family : r->dst.present ? r->dst.family : 0;
	if (!seen[R_PROTO].ok)
		return;
	path_key(at, path, "protocol");
	if (ports && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP && r->proto) {
		report(w, seen[R_PROTO].val, at, "ports need protocol tcp, udp or "
		       "any (which means tcp and udp); %s has none",
		       (const char *)seen[R_PROTO].val->data.scalar.value);
	} else if (r->proto == IPPROTO_ICMP && r->family == AF_INET6) {
		report(w, seen[R_PROTO].val, at, "icmp is IPv4's; the addresses are "
		       "IPv6, so write icmpv6");
	} else if (r->proto == IPPROTO_ICMPV6 && r->family == AF_INET) {
		report(w, seen[R_PROTO].val, at, "icmpv6 is IPv6's; the addresses are "
		       "IPv4, so write icmp");
	}
}

static const struct field rule_fields[] = {
	[R_ACTION] = { .key = "action", .parse = p_action,
	  .off = offsetof(struct fp_fw_rule, action),
	  .required = true, .hint = "drop or allow" },
	[R_SRC] = { .key = "source_ip", .parse = p_fw_prefix,
	  .off = offsetof(struct fp_fw_rule, src) },
	[R_DST] = { .key = "dest_ip", .parse = p_fw_prefix,
	  .off = offsetof(struct fp_fw_rule, dst) },
	[R_PROTO] = { .key = "protocol", .parse = p_proto,
	  .off = offsetof(struct fp_fw_rule, proto) },
	[R_PORT] = { .key = "port", .parse = p_ports,
	  .off = offsetof(struct fp_fw_rule, dport) },
	[R_DPORT] = { .key = "dest_port", .parse = p_ports,
	  .off = offsetof(struct fp_fw_rule, dport) },
	[R_SPORT] = { .key = "source_port", .parse = p_ports,
	  .off = offsetof(struct fp_fw_rule, sport) },
	[R_IFACE] = { .key = "interface", .parse = p_ifname,
	  .off = offsetof(struct fp_fw_rule, ifname) },
};

static const struct schema rule_schema = { rule_fields, ARRAY_SIZE(rule_fields), rule_check };

static int rule_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_fw_rule *r = item;

	r->line = line_of(n);
	return walk_map(w, n, path, &rule_schema, r);
}

static int p_rules(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	struct fp_firewall_config *fw = dst;
	void *arr;
	int ret;

	(void)f;
	ret = walk_list(w, n, path, "rules", FP_CONFIG_RULES_MAX, sizeof(*fw->rules),
			&arr, &fw->n_rules, rule_item);
	fw->rules = arr;
	return ret;
}

static const struct field firewall_fields[] = {
	{ .key = "policy", .parse = p_action,
	  .off = offsetof(struct fp_firewall_config, policy) },
	{ .key = "rules", .parse = p_rules },
};

static const struct schema firewall_schema = {
	firewall_fields, ARRAY_SIZE(firewall_fields), NULL
};

/* ---- flows ------------------------------------------------------------- */

static const struct field flows_fields[] = {
	{ .key = "enabled", .parse = p_bool,
	  .off = offsetof(struct fp_flows_config, enabled) },
	{ .key = "max_flows", .parse = p_u32,
	  .off = offsetof(struct fp_flows_config, max_flows),
	  .min = 1, .max = FP_CONFIG_FLOWS_MAX },
	{ .key = "idle_timeout", .parse = p_duration_ms,
	  .off = offsetof(struct fp_flows_config, idle_timeout_ms),
	  .min = 1, .max = 86400000 },
};

static const struct schema flows_schema = { flows_fields, ARRAY_SIZE(flows_fields), NULL };

/* ---- dhcp -------------------------------------------------------------- */

uint32_t fp_ipv4_host(struct in_addr a)
{
	return ntohl(a.s_addr);
}

struct in_addr fp_ipv4_net(uint32_t host)
{
	struct in_addr a = { htonl(host) };

	return a;
}

uint32_t fp_ipv4_mask(unsigned int prefix_len)
{
	return prefix_len ? 0xffffffffu << (32 - prefix_len) : 0;
}

bool fp_dhcp_pool_in_subnet(const struct fp_dhcp_pool *p, struct in_addr a)
{
	return (fp_ipv4_host(a) & fp_ipv4_mask(p->prefix_len)) == fp_ipv4_host(p->subnet);
}

bool fp_dhcp_pool_in_range(const struct fp_dhcp_pool *p, struct in_addr a)
{
	return fp_ipv4_host(a) >= fp_ipv4_host(p->range_lo) &&
	       fp_ipv4_host(a) <= fp_ipv4_host(p->range_hi);
}

static const char *ntoa(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int p_pool_subnet(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	struct fp_dhcp_pool *p = dst;
	const char *s = value_of(w, n, path, "an IPv4 subnet like 10.0.0.0/24");
	uint8_t addr[16], len;
	int family;

	(void)f;
	if (!s || cidr_value(w, n, path, s, &family, addr, &len))
		return -EINVAL;
	if (family != AF_INET) {
		report(w, n, path, "'" SHOW "' is IPv6; DHCP pools are IPv4", s);
		return -EINVAL;
	}
	if (!strchr(s, '/') || len < 1 || len > 30) {
		report(w, n, path, "'" SHOW "' needs a prefix length of 1-30 "
		       "(like 10.0.0.0/24)", s);
		return -EINVAL;
	}
	memcpy(&p->subnet, addr, 4);
	p->prefix_len = len;
	return 0;
}

static int p_pool_range(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	struct fp_dhcp_pool *p = dst;
	const char *s = value_of(w, n, path, "an address range like 10.0.0.100-10.0.0.200");
	char lo[INET_ADDRSTRLEN];
	const char *hi;

	(void)f;
	if (!s)
		return -EINVAL;
	hi = split_dash(s, lo, sizeof(lo));
	if (!hi || inet_pton(AF_INET, lo, &p->range_lo) != 1 ||
	    inet_pton(AF_INET, hi, &p->range_hi) != 1) {
		report(w, n, path, "'" SHOW "' is not an address range; write "
		       "FIRST-LAST, like 10.0.0.100-10.0.0.200", s);
		return -EINVAL;
	}
	if (fp_ipv4_host(p->range_lo) > fp_ipv4_host(p->range_hi)) {
		report(w, n, path, "range '" SHOW "' starts after it ends; write "
		       "%s-%s", s, hi, lo);
		return -EINVAL;
	}
	return 0;
}

static int p_pool_dns(struct walk *w, yaml_node_t *n, const char *path,
		      void *dst, const struct field *f)
{
	struct fp_dhcp_pool *p = dst;
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		report(w, n, path, "expected a list of IPv4 addresses like "
		       "[10.0.0.1, 9.9.9.9], got %s", kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > FP_DHCP_DNS_MAX) {
		report(w, n, path, "has %zu servers; at most %d are allowed",
		       cnt, FP_DHCP_DNS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		path_item(at, path, i, NULL);
		if (p_ipv4(w, node_at(w, n->data.sequence.items.start[i]), at,
			   &p->dns[i], f))
			ret = -EINVAL;
	}
	p->n_dns = cnt;
	return ret;
}

enum { P_SUBNET, P_RANGE, P_ROUTER, P_DNS, P_DOMAIN, P_LEASE };

static void pool_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	struct fp_dhcp_pool *p = dst;
	struct in_addr fa, la;
	uint32_t first, last;
	char at[PATH_BUF];

	(void)map;
	if (!seen[P_SUBNET].ok)
		return;
	/* The hosts: neither the network nor the broadcast address. */
	first = fp_ipv4_host(p->subnet) + 1;
	last = (fp_ipv4_host(p->subnet) | ~fp_ipv4_mask(p->prefix_len)) - 1;
	fa = fp_ipv4_net(first);
	la = fp_ipv4_net(last);
	path_key(at, path, "range");
	if (seen[P_RANGE].ok &&
	    (fp_ipv4_host(p->range_lo) < first || fp_ipv4_host(p->range_hi) > last))
		report(w, seen[P_RANGE].val, at, "%s is outside subnet %s/%u; "
		       "its addresses are %s-%s",
		       (const char *)seen[P_RANGE].val->data.scalar.value,
		       ntoa(p->subnet, a), p->prefix_len, ntoa(fa, b), ntoa(la, c));
	path_key(at, path, "router");
	if (seen[P_ROUTER].ok && !fp_dhcp_pool_in_subnet(p, p->router))
		report(w, seen[P_ROUTER].val, at, "%s is outside subnet %s/%u; "
		       "clients could not reach it", ntoa(p->router, a),
		       ntoa(p->subnet, b), p->prefix_len);
	else if (seen[P_ROUTER].ok && seen[P_RANGE].ok && fp_dhcp_pool_in_range(p, p->router))
		report(w, seen[P_ROUTER].val, at, "%s is inside the pool's range, "
		       "so it could be leased to a client; move it or shrink the "
		       "range", ntoa(p->router, a));
}

static const struct field pool_fields[] = {
	[P_SUBNET] = { .key = "subnet", .parse = p_pool_subnet,
	  .required = true, .hint = "like 10.0.0.0/24" },
	[P_RANGE] = { .key = "range", .parse = p_pool_range,
	  .required = true, .hint = "like 10.0.0.100-10.0.0.200" },
	[P_ROUTER] = { .key = "router", .parse = p_ipv4,
	  .off = offsetof(struct fp_dhcp_pool, router) },
	[P_DNS] = { .key = "dns", .parse = p_pool_dns },
	[P_DOMAIN] = { .key = "domain", .parse = p_domain,
	  .off = offsetof(struct fp_dhcp_pool, domain) },
	[P_LEASE] = { .key = "lease_time", .parse = p_duration_s,
	  .off = offsetof(struct fp_dhcp_pool, lease_time_s),
	  .min = 60, .max = 365 * 86400 },
};

static const struct schema pool_schema = { pool_fields, ARRAY_SIZE(pool_fields), pool_check };

static int pool_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_dhcp_pool *p = item;

	p->line = line_of(n);
	p->lease_time_s = FP_CONFIG_LEASE_TIME_S;
	return walk_map(w, n, path, &pool_schema, p);
}

static int p_mac(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	const char *s = value_of(w, n, path, "a MAC address like \"02:00:00:00:00:01\"");
	uint8_t *mac = dst;

	(void)f;
	if (!s)
		return -EINVAL;
	if (parse_mac(s, mac)) {
		report(w, n, path, "'" SHOW "' is not a MAC address; write six hex "
		       "pairs in quotes, like \"02:00:00:00:00:01\"", s);
		return -EINVAL;
	}
	if (mac[0] & 1 || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		report(w, n, path, "'" SHOW "' is %s address; a client's MAC is a "
		       "unicast one", s, mac[0] & 1 ? "a multicast" : "the zero");
		return -EINVAL;
	}
	return 0;
}

static const struct field reservation_fields[] = {
	{ .key = "mac", .parse = p_mac,
	  .off = offsetof(struct fp_dhcp_reservation, mac),
	  .required = true, .hint = "like \"02:00:00:00:00:01\"" },
	{ .key = "ip", .parse = p_ipv4,
	  .off = offsetof(struct fp_dhcp_reservation, ip),
	  .required = true, .hint = "an IPv4 address in a pool's subnet" },
};

static const struct schema reservation_schema = {
	reservation_fields, ARRAY_SIZE(reservation_fields), NULL
};

static int reservation_item(struct walk *w, yaml_node_t *n, const char *path,
			    void *item)
{
	struct fp_dhcp_reservation *r = item;

	r->line = line_of(n);
	return walk_map(w, n, path, &reservation_schema, r);
}

static int p_pools(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	struct fp_dhcp_config *d = dst;
	void *arr;
	int ret;

	(void)f;
	ret = walk_list(w, n, path, "pools", FP_CONFIG_POOLS_MAX, sizeof(*d->pools),
			&arr, &d->n_pools, pool_item);
	d->pools = arr;
	return ret;
}

static int p_reservations(struct walk *w, yaml_node_t *n, const char *path,
			  void *dst, const struct field *f)
{
	struct fp_dhcp_config *d = dst;
	void *arr;
	int ret;

	(void)f;
	ret = walk_list(w, n, path, "reservations", FP_CONFIG_RESERV_MAX,
			sizeof(*d->reservations), &arr, &d->n_reservations,
			reservation_item);
	d->reservations = arr;
	return ret;
}

static int cmp_mac(const void *a, const void *b)
{
	return memcmp(((const struct fp_dhcp_reservation *)a)->mac,
		      ((const struct fp_dhcp_reservation *)b)->mac, 6);
}

static int cmp_ip(const void *a, const void *b)
{
	uint32_t x = fp_ipv4_host(((const struct fp_dhcp_reservation *)a)->ip);
	uint32_t y = fp_ipv4_host(((const struct fp_dhcp_reservation *)b)->ip);

	return x < y ? -1 : x > y;
}

static void say_dup_mac(struct walk *w, const char *path, const void *base,
			size_t later, size_t first)
{
	const struct fp_dhcp_reservation *r = base;
	const uint8_t *m = r[later].mac;
	char at[PATH_BUF], mac[18];

	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return;
	path_item(at, path, later, "mac");
	report_at(w, r[later].line, at, "%s is already reserved on line %u; "
		  "one reservation per MAC", fp_dhcp_mac_str(m, mac), r[first].line);
}

static void say_dup_ip(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first)
{
	const struct fp_dhcp_reservation *r = base;
	char at[PATH_BUF], a[INET_ADDRSTRLEN];

	if (!r[later].ip.s_addr)
		return;
	path_item(at, path, later, "ip");
	report_at(w, r[later].line, at, "%s is already reserved on line %u; "
		  "two clients cannot share an address", ntoa(r[later].ip, a),
		  r[first].line);
}

enum { D_IFACE, D_SERVER, D_CACHE, D_FILE, D_POOLS, D_RESERV };

static void dhcp_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	struct fp_dhcp_config *d = dst;
	char at[PATH_BUF], rpath[PATH_BUF], spath[PATH_BUF], a[INET_ADDRSTRLEN];
	size_t i, j;

	path_key(at, path, "pools");
	path_key(spath, path, "server_id");
	path_key(rpath, path, "reservations");
	/* Items that failed to parse are zero where they failed: skipped. */
	each_dup(w, rpath, d->reservations, d->n_reservations,
		 sizeof(*d->reservations), cmp_mac, say_dup_mac);
	each_dup(w, rpath, d->reservations, d->n_reservations,
		 sizeof(*d->reservations), cmp_ip, say_dup_ip);
	if (!seen[D_POOLS].ok)
		return;
	if (!d->n_pools) {
		report(w, seen[D_POOLS].val ? seen[D_POOLS].val : map, at,
		       "DHCP needs at least one pool (subnet and range)");
		return;
	}
	for (i = 0; i < d->n_pools; i++) {
		for (j = 0; j < i; j++) {
			const struct fp_dhcp_pool *pi = &d->pools[i], *pj = &d->pools[j];

			if (fp_ipv4_host(pi->range_lo) <= fp_ipv4_host(pj->range_hi) &&
			    fp_ipv4_host(pj->range_lo) <= fp_ipv4_host(pi->range_hi)) {
				char p[PATH_BUF];

				path_item(p, at, i, "range");
				report_at(w, d->pools[i].line, p, "overlaps the range of "
					  "the pool on line %u", d->pools[j].line);
			}
		}
		if (seen[D_SERVER].ok && fp_dhcp_pool_in_range(&d->pools[i], d->server_id))
			report(w, seen[D_SERVER].val, spath, "%s is inside "
			       "the range of the pool on line %u, so it could be "
			       "leased to a client", ntoa(d->server_id, a),
			       d->pools[i].line);
	}
	if (!seen[D_RESERV].ok)
		return;
	for (i = 0; i < d->n_reservations; i++) {
		struct in_addr ip = d->reservations[i].ip;

		for (j = 0; j < d->n_pools && !fp_dhcp_pool_in_subnet(&d->pools[j], ip); j++)
			;
		if (j == d->n_pools) {
			char p[PATH_BUF];

			path_item(p, rpath, i, "ip");
			report_at(w, d->reservations[i].line, p, "%s is in no pool's "
				  "subnet; reserve an address of a pool's subnet",
				  ntoa(d->reservations[i].ip, a));
		}
	}
}

static const struct field dhcp_fields[] = {
	[D_IFACE] = { .key = "interface", .parse = p_ifname,
	  .off = offsetof(struct fp_dhcp_config, interface),
	  .required = true, .hint = "the interface to serve, like eth1" },
	[D_SERVER] = { .key = "server_id", .parse = p_ipv4,
	  .off = offsetof(struct fp_dhcp_config, server_id),
	  .required = true, .hint = "this server's IPv4 address on that interface" },
	[D_CACHE] = { .key = "lease_cache_size", .parse = p_u32,
	  .off = offsetof(struct fp_dhcp_config, lease_cache_size),
	  .min = 1, .max = FP_CONFIG_LEASES_MAX },
	[D_FILE] = { .key = "lease_file", .parse = p_abspath,
	  .off = offsetof(struct fp_dhcp_config, lease_file) },
	[D_POOLS] = { .key = "pools", .parse = p_pools,
	  .required = true, .hint = "a list of {subnet, range, ...}" },
	[D_RESERV] = { .key = "reservations", .parse = p_reservations },
};

static const struct schema dhcp_schema = { dhcp_fields, ARRAY_SIZE(dhcp_fields), dhcp_check };

static int p_dhcp(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	struct fp_dhcp_config *d = dst;

	(void)f;
	d->present = true;
	return walk_map(w, n, path, &dhcp_schema, d);
}

/* ---- functions --------------------------------------------------------- */

static int p_function_id(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	const char *s = value_of(w, n, path, "an id like my-api");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!fp_name_valid(s)) {
		report(w, n, path, "'" SHOW "' is not a valid id: 1-%d characters "
		       "of A-Z a-z 0-9 _ -", s, FP_NAME_MAX - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static const struct field function_fields[] = {
	{ .key = "id", .parse = p_function_id,
	  .off = offsetof(struct fp_function_config, id),
	  .required = true, .hint = "a name like my-api" },
	{ .key = "trigger_port", .parse = p_u16,
	  .off = offsetof(struct fp_function_config, trigger_port),
	  .required = true, .hint = "the TCP port that starts it, 1-65535",
	  .min = 1, .max = 65535 },
	{ .key = "handler_path", .parse = p_abspath,
	  .off = offsetof(struct fp_function_config, handler_path),
	  .required = true, .hint = "the absolute path of the handler program" },
};

static const struct schema function_schema = {
	function_fields, ARRAY_SIZE(function_fields), NULL
};

static int function_item(struct walk *w, yaml_node_t *n, const char *path,
			 void *item)
{
	struct fp_function_config *fn = item;

	fn->line = line_of(n);
	return walk_map(w, n, path, &function_schema, fn);
}

static int cmp_fn_id(const void *a, const void *b)
{
	return strcmp(((const struct fp_function_config *)a)->id,
		      ((const struct fp_function_config *)b)->id);
}

static int cmp_fn_port(const void *a, const void *b)
{
	return (int)((const struct fp_function_config *)a)->trigger_port -
	       (int)((const struct fp_function_config *)b)->trigger_port;
}

static void say_dup_id(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first)
{
	const struct fp_function_config *fn = base;
	char at[PATH_BUF];

	if (!fn[later].id[0])
		return;
	path_item(at, path, later, "id");
	report_at(w, fn[later].line, at, "'%s' is already the id of the function "
		  "on line %u; ids must be unique", fn[later].id, fn[first].line);
}

static void say_dup_port(struct walk *w, const char *path, const void *base,
			 size_t later, size_t first)
{
	const struct fp_function_config *fn = base;
	char at[PATH_BUF];

	if (!fn[later].trigger_port)
		return;
	path_item(at, path, later, "trigger_port");
	report_at(w, fn[later].line, at, "port %u already triggers '%s' (line %u); "
		  "give each function its own port", fn[later].trigger_port,
		  fn[first].id, fn[first].line);
}

static int p_functions(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f)
{
	struct fp_config *cfg = dst;
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	walk_list(w, n, path, "functions", FP_CONFIG_FUNCTIONS_MAX,
		  sizeof(*cfg->functions), &arr, &cfg->n_functions, function_item);
	cfg->functions = arr;
	if (w->nomem)
		return -ENOMEM;
	/* Items that failed to parse are zero where they failed: skipped. */
	each_dup(w, path, cfg->functions, cfg->n_functions, sizeof(*cfg->functions),
		 cmp_fn_id, say_dup_id);
	each_dup(w, path, cfg->functions, cfg->n_functions, sizeof(*cfg->functions),
		 cmp_fn_port, say_dup_port);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}

/* ---- the whole file ---------------------------------------------------- */

enum { C_ORCH, C_FIREWALL, C_FLOWS, C_DHCP, C_FUNCTIONS };

static yaml_node_t *map_get(struct walk *w, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(w, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return node_at(w, p->value);
	}
	return NULL;
}

static void config_check(struct walk *w, yaml_node_t *map, const char *path,
			 void *dst, const struct seen *seen)
{
	struct fp_config *cfg = dst;
	yaml_node_t *orch = seen[C_ORCH].val, *ebpf = map_get(w, orch, "ebpf");

	(void)path;
	if (seen[C_ORCH].key && !seen[C_ORCH].ok)
		return;
	if (cfg->ebpf.enabled && !cfg->ebpf.n_interfaces)
		report(w, ebpf ? ebpf : orch ? orch : map, "orchestrator.ebpf",
		       "eBPF is enabled but no interface is given; add "
		       "'interface: eth0' (or 'interfaces: [eth0, eth1]'), or set "
		       "'enabled: false' for userspace-only mode");
	for (size_t i = 0; seen[C_FUNCTIONS].ok && i < cfg->n_functions; i++) {
		char at[PATH_BUF];

		if (!cfg->prometheus_port ||
		    cfg->functions[i].trigger_port != cfg->prometheus_port)
			continue;
		path_item(at, "functions", i, "trigger_port");
		report_at(w, cfg->functions[i].line, at, "port %d is "
			  "orchestrator.prometheus_port; pick another port for "
			  "one of them", cfg->prometheus_port);
	}
}

static const struct field config_fields[] = {
	[C_ORCH] = { .key = "orchestrator", .parse = p_map,
	  .sub = &orchestrator_schema },
	[C_FIREWALL] = { .key = "firewall", .parse = p_map,
	  .off = offsetof(struct fp_config, firewall), .sub = &firewall_schema },
	[C_FLOWS] = { .key = "flows", .parse = p_map,
	  .off = offsetof(struct fp_config, flows), .sub = &flows_schema },
	[C_DHCP] = { .key = "dhcp", .parse = p_dhcp,
	  .off = offsetof(struct fp_config, dhcp) },
	[C_FUNCTIONS] = { .key = "functions", .parse = p_functions },
};

static const struct schema config_schema = {
	config_fields, ARRAY_SIZE(config_fields), config_check
};

/* offset_line: the line of byte OFF in TEXT, for reader errors, which
 * libyaml gives as an offset. */
static unsigned int offset_line(const char *text, size_t len, size_t off)
{
	unsigned int line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static void syntax_error(struct walk *w, const yaml_parser_t *p,
			 const char *text, size_t len)
{
	char buf[sizeof(w->err->msg)];
	size_t at;

	if (p->error == YAML_READER_ERROR) {
		at = appendf(buf, sizeof(buf), 0, "%s:%u: %s (byte %zu)", w->name,
			     offset_line(text, len, p->problem_offset),
			     p->problem ? p->problem : "cannot read the text",
			     p->problem_offset);
		if (p->problem_value != -1)
			appendf(buf, sizeof(buf), at, ": #x%X", (unsigned)p->problem_value);
		add_line(w, buf);
		return;
	}
	at = appendf(buf, sizeof(buf), 0, "%s:%zu:%zu: YAML syntax error: %s",
		     w->name, p->problem_mark.line + 1, p->problem_mark.column + 1,
		     p->problem ? p->problem : "unknown problem");
	if (p->context)
		at = appendf(buf, sizeof(buf), at, " (%s on line %zu)", p->context,
			     p->context_mark.line + 1);
	if (p->problem_mark.index < len && text[p->problem_mark.index] == '\t')
		appendf(buf, sizeof(buf), at, "; that is a tab: indent with spaces");
	add_line(w, buf);
}

/* walk_file: load TEXT's one YAML document and walk it with ROOT. */
static int walk_file(struct walk *w, const char *text, size_t len,
		     const struct schema *root, void *dst)
{
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	yaml_node_t *top;
	int ret = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		syntax_error(w, &parser, text, len);
		yaml_parser_delete(&parser);
		return ret;
	}
	w->doc = &doc;
	top = yaml_document_get_root_node(&doc);
	if (!top || is_null(top)) {
		report_at(w, 1, NULL, "the file is empty; it needs a mapping (key: "
			  "value), see examples/fastpath.yaml");
	} else if (top->type != YAML_MAPPING_NODE) {
		char list[256];
		const char *words[SCHEMA_FIELDS_MAX];

		for (size_t i = 0; i < root->n; i++)
			words[i] = root->fields[i].key;
		join_words(list, sizeof(list), words, root->n);
		report(w, top, NULL, "the top level must be a mapping with keys "
		       "%s; this is %s", list, kind_name(top));
	} else {
		walk_map(w, top, "", root, dst);
		/* A second document would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			syntax_error(w, &parser, text, len);
		} else {
			top = yaml_document_get_root_node(&extra);
			if (top)
				report(w, top, NULL, "a second YAML document starts "
				       "here; the file must hold one (remove '---')");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	finish_msg(w);
	if (w->nomem)
		return -ENOMEM;
	return w->n_errors ? -EINVAL : 0;
}

static void walk_init(struct walk *w, const char *name,
		      struct fp_config_error *err, struct fp_config_error *spare)
{
	memset(w, 0, sizeof(*w));
	w->name = name && *name ? name : "<config>";
	w->err = err ? err : spare;
	w->err->msg[0] = '\0';
}

void fp_config_defaults(struct fp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ebpf.enabled = true;
	cfg->ebpf.mode = FP_XDP_AUTO;
	cfg->prometheus_port = FP_CONFIG_PROMETHEUS_PORT;
	cfg->firewall.policy = FP_FW_ALLOW;
	cfg->flows.enabled = true;
	cfg->flows.max_flows = FP_CONFIG_MAX_FLOWS;
	cfg->flows.idle_timeout_ms = FP_CONFIG_IDLE_TIMEOUT_MS;
	cfg->dhcp.lease_cache_size = FP_CONFIG_LEASE_CACHE;
	strcpy(cfg->dhcp.lease_file, FP_CONFIG_LEASE_FILE);
}

int fp_config_parse(const char *text, size_t len, const char *name,
		    struct fp_config *cfg, struct fp_config_error *err)
{
	struct fp_config_error spare;
	struct walk w;
	int ret;

	walk_init(&w, name, err, &spare);
	fp_config_defaults(cfg);
	ret = walk_file(&w, text, len, &config_schema, cfg);
	if (ret)
		fp_config_free(cfg);
	return ret;
}

void fp_config_free(struct fp_config *cfg)
{
	fp_firewall_config_free(&cfg->firewall);
	free(cfg->dhcp.pools);
	free(cfg->dhcp.reservations);
	free(cfg->functions);
	memset(cfg, 0, sizeof(*cfg));
}

int fp_firewall_config_parse(const char *text, size_t len, const char *name,
			     struct fp_firewall_config *fw,
			     struct fp_config_error *err)
{
	struct fp_config_error spare;
	struct walk w;
	int ret;

	walk_init(&w, name, err, &spare);
	memset(fw, 0, sizeof(*fw));
	fw->policy = FP_FW_ALLOW;
	ret = walk_file(&w, text, len, &firewall_schema, fw);
	if (ret)
		fp_firewall_config_free(fw);
	return ret;
}

void fp_firewall_config_free(struct fp_firewall_config *fw)
{
	free(fw->rules);
	memset(fw, 0, sizeof(*fw));
}

/* read_file: all of PATH into a new buffer, with a NUL after it. */
static int read_file(const char *path, char **out, size_t *len,
		     struct fp_config_error *err)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *grown;
	ssize_t got;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap ? 2 * cap : 65536;
			if (cap > (size_t)FP_CONFIG_FILE_MAX + 1) {
				if (n > FP_CONFIG_FILE_MAX) {
					ret = -EFBIG;
					break;
				}
				cap = (size_t)FP_CONFIG_FILE_MAX + 2;
			}
			grown = realloc(buf, cap);
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			buf = grown;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			ret = -errno;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
out:
	if (ret) {
		free(buf);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s: %s%s", path,
				 strerror(-ret), ret == -EFBIG ?
				 " (a configuration is at most 64 MiB)" : "");
		return ret;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int fp_config_load(const char *path, struct fp_config *cfg,
		   struct fp_config_error *err)
{
	size_t len;
	char *text;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = read_file(path, &text, &len, err);
	if (ret)
		return ret;
	ret = fp_config_parse(text, len, path, cfg, err);
	free(text);
	return ret;
}

int fp_firewall_config_load(const char *path, struct fp_firewall_config *fw,
			    struct fp_config_error *err)
{
	size_t len;
	char *text;
	int ret;

	memset(fw, 0, sizeof(*fw));
	ret = read_file(path, &text, &len, err);
	if (ret)
		return ret;
	ret = fp_firewall_config_parse(text, len, path, fw, err);
	free(text);
	return ret;
}
