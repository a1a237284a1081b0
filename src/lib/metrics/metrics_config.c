// SPDX-License-Identifier: BSD-2-Clause
/* The metrics: section of the configuration: custom metrics, values a
 * user's own BPF program keeps in a pinned map (docs/metrics.md). Only
 * what the file says is checked here; whether the map is there, and of
 * the key and value size the entry needs, is known at each scrape
 * (metrics_custom.c), since a user's program may be loaded after the
 * daemon starts. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fastpath/metrics.h>
#include "config/schema.h"

#define BPFFS "/sys/fs/bpf/"

int fp_metric_name_check(const char *name, enum fp_metric_type type, char *why, size_t size)
{
	size_t n = strlen(name);
	bool total = n >= 6 && !strcmp(name + n - 6, "_total");

	if (!n || n >= FP_METRICS_NAME_MAX) {
		snprintf(why, size, "a metric name has 1 to %d characters", FP_METRICS_NAME_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!(c == '_' || (c >= 'a' && c <= 'z') || (i && c >= '0' && c <= '9'))) {
			snprintf(why, size, "'%.80s' is no metric name: write it in snake_case, "
				 "lowercase letters, digits and '_', not starting with a digit "
				 "(e.g. myapp_packets_total)", name);
			return -EINVAL;
		}
	}
	if (!strncmp(name, "fastpath_", 9) || !strncmp(name, "ebpf_", 5)) {
		snprintf(why, size, "'%.80s' is in a namespace fastpath exports itself "
			 "(fastpath_*, ebpf_*); prefix it with your program's name, e.g. "
			 "myapp_%.80s", name, name + (name[0] == 'f' ? 9 : 5));
		return -EINVAL;
	}
	if (type == FP_METRIC_COUNTER && !total) {
		snprintf(why, size, "a counter's name ends in _total (Prometheus and promtool "
			 "expect it): name it %.80s_total, or make it a gauge", name);
		return -EINVAL;
	}
	if (type == FP_METRIC_GAUGE && total) {
		snprintf(why, size, "a gauge's name does not end in _total (that is for "
			 "counters): make it type: counter, or rename it");
		return -EINVAL;
	}
	return 0;
}

/* A label name: Prometheus's [a-zA-Z_][a-zA-Z0-9_]*, without its
 * reserved __ prefix. */
static bool label_name_ok(const char *s)
{
	if (!*s || !strncmp(s, "__", 2) || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || isalnum((unsigned char)*s)) || (unsigned char)*s > 127)
			return false;
	return true;
}

static int p_name(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a metric name like myapp_packets_total");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!*s || strlen(s) >= FP_METRICS_NAME_MAX) {
		fp_cfg_report(w, n, path, "a metric name has 1 to %d characters",
			      FP_METRICS_NAME_MAX - 1);
		return -EINVAL;
	}
	snprintf(dst, FP_METRICS_NAME_MAX, "%s", s);
	return 0;
}

static int p_type(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	static const char *const words[] = { "gauge", "counter" };
	int i = fp_cfg_word(w, n, path, words, ARRAY_SIZE(words), "counter or gauge");

	(void)f;
	if (i < 0)
		return i;
	*(enum fp_metric_type *)dst = (enum fp_metric_type)i;
	return 0;
}

static int p_help(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "one line of text");

	(void)f;
	if (!s)
		return -EINVAL;
	if (strlen(s) >= FP_METRICS_HELP_MAX || strchr(s, '\n')) {
		fp_cfg_report(w, n, path, "help is one line of at most %d characters",
			      FP_METRICS_HELP_MAX - 1);
		return -EINVAL;
	}
	snprintf(dst, FP_METRICS_HELP_MAX, "%s", s);
	return 0;
}

static int p_map(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	const char *s;

	if (fp_cfg_abspath(w, n, path, dst, f))
		return -EINVAL;
	s = dst;
	if (strncmp(s, BPFFS, strlen(BPFFS)) || !s[strlen(BPFFS)] || strstr(s, "/../") ||
	    strstr(s, "/./")) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a pin under " BPFFS ": give the "
			      "pinned map's path, e.g. /sys/fs/bpf/fastpath/maps/NAME/MAP (where "
			      "`fastpath load FILE --name NAME` pins a program's maps)", s);
		return -EINVAL;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "0a 00 00 01" or "0a:00:00:01": the bytes; -EINVAL for anything else. */
static int key_bytes(const char *s, struct fp_metric_custom *m)
{
	m->key_len = 0;
	while (*s) {
		int hi = hexval((unsigned char)s[0]), lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);

		if (lo < 0 || m->key_len == FP_METRICS_KEY_MAX)
			return -EINVAL;
		m->key[m->key_len++] = (__u8)(hi << 4 | lo);
		s += 2;
		if (*s == ' ' || *s == ':')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return m->key_len >= 2 ? 0 : -EINVAL;
}

/* "0x1f": a hex integer; -EINVAL for anything else. */
static int hex_ull(const char *s, unsigned long long *v)
{
	char *end;

	if (strncasecmp(s, "0x", 2) || !isxdigit((unsigned char)s[2]))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s + 2, &end, 16);
	return *end || errno ? -EINVAL : 0;
}

static int p_key(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f)
{
	struct fp_metric_custom *m = (void *)((char *)dst - offsetof(struct fp_metric_custom, key));
	const char *s = fp_cfg_value_of(w, n, path, "an integer or the key's bytes in hex");
	unsigned long long v;

	(void)f;
	if (!s)
		return -EINVAL;
	if (!fp_cfg_parse_ull(s, &v) || !hex_ull(s, &v)) {
		m->key_is_int = true;
		m->key_int = v;
		return 0;
	}
	if (!key_bytes(s, m))
		return 0;
	fp_cfg_report(w, n, path, "'" SHOW "' is no key: write an integer (an array's index, "
		      "e.g. 0 or 0x1f, stored in the map's key_size in host byte order) or the "
		      "key's bytes in hex, two digits each, as bpftool prints them (e.g. "
		      "\"0a 00 00 01\", at most %d bytes)", s, FP_METRICS_KEY_MAX);
	return -EINVAL;
}

static int p_labels(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	struct fp_metric_custom *m = (void *)((char *)dst - offsetof(struct fp_metric_custom, labels));
	unsigned int before = w->n_errors;
	char at[PATH_BUF];

	(void)f;
	m->n_labels = 0;
	if (fp_cfg_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		fp_cfg_report(w, n, path, "expected a mapping of label names to values "
			      "(e.g. {program: myapp}), got %s", fp_cfg_kind_name(n));
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = fp_cfg_node_at(w, p->key), *v = fp_cfg_node_at(w, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
		const char *val;
		struct fp_metric_label *l;

		if (!key || !label_name_ok(key) || strlen(key) >= FP_METRICS_NAME_MAX) {
			fp_cfg_report(w, k, path, "'" SHOW "' is no label name: letters, digits "
				      "and '_', not starting with a digit or '__'",
				      key ? key : fp_cfg_kind_name(k));
			continue;
		}
		fp_cfg_path_key(at, path, key);
		for (size_t i = 0; i < m->n_labels; i++)
			if (!strcmp(m->labels[i].name, key))
				fp_cfg_report(w, k, at, "given twice; keep one");
		if (m->n_labels == FP_METRICS_LABELS_MAX) {
			fp_cfg_report(w, k, at, "more than %d labels; labels are for telling "
				      "series apart, a few are enough", FP_METRICS_LABELS_MAX);
			break;
		}
		val = fp_cfg_value_of(w, v, at, "a label value");
		if (!val)
			continue;
		if (strlen(val) >= FP_METRICS_LABEL_VALUE_MAX) {
			fp_cfg_report(w, v, at, "a label value has at most %d characters",
				      FP_METRICS_LABEL_VALUE_MAX - 1);
			continue;
		}
		l = &m->labels[m->n_labels++];
		snprintf(l->name, sizeof(l->name), "%s", key);
		snprintf(l->value, sizeof(l->value), "%s", val);
	}
	return w->n_errors == before ? 0 : -EINVAL;
}

enum { F_NAME, F_TYPE, F_HELP, F_MAP, F_KEY, F_ALL_KEYS, F_MAX_KEYS, F_LABELS };

/* What involves several keys: the name against the type, the key's form. */
static void custom_check(struct walk *w, yaml_node_t *map, const char *path, void *dst,
			 const struct seen *seen)
{
	struct fp_metric_custom *m = dst;
	char why[320];

	if (seen[F_NAME].ok && seen[F_TYPE].ok &&
	    fp_metric_name_check(m->name, m->type, why, sizeof(why))) {
		char at[PATH_BUF];

		fp_cfg_path_key(at, path, "name");
		fp_cfg_report(w, seen[F_NAME].val, at, "%s", why);
	}
	if (seen[F_KEY].key && seen[F_ALL_KEYS].key && m->all_keys)
		fp_cfg_report(w, seen[F_KEY].key, path, "key and all_keys: true exclude each "
			      "other; export one key, or every key");
	else if (!seen[F_KEY].key && !m->all_keys && (!seen[F_ALL_KEYS].key || seen[F_ALL_KEYS].ok))
		fp_cfg_report(w, map, path, "which value? give key: N (an array map's index, "
			      "e.g. 0) or the key's bytes, or all_keys: true for every key");
	if (seen[F_MAX_KEYS].key && !m->all_keys)
		fp_cfg_report(w, seen[F_MAX_KEYS].key, path, "max_keys bounds all_keys: true; "
			      "without it there is one key");
	for (size_t i = 0; m->all_keys && i < m->n_labels; i++)
		if (!strcmp(m->labels[i].name, "key"))
			fp_cfg_report(w, seen[F_LABELS].val, path, "labels: 'key' is the label "
				      "all_keys writes; name this one otherwise");
}

static const struct field custom_fields[] = {
	[F_NAME] = { .key = "name", .parse = p_name, .off = offsetof(struct fp_metric_custom, name),
		     .required = true, .hint = "the metric's name, e.g. myapp_packets_total" },
	[F_TYPE] = { .key = "type", .parse = p_type, .off = offsetof(struct fp_metric_custom, type),
		     .required = true, .hint = "counter or gauge" },
	[F_HELP] = { .key = "help", .parse = p_help, .off = offsetof(struct fp_metric_custom, help) },
	[F_MAP] = { .key = "map", .parse = p_map, .off = offsetof(struct fp_metric_custom, map),
		    .required = true, .hint = "the pinned map, e.g. /sys/fs/bpf/fastpath/maps/NAME/MAP" },
	[F_KEY] = { .key = "key", .parse = p_key, .off = offsetof(struct fp_metric_custom, key) },
	[F_ALL_KEYS] = { .key = "all_keys", .parse = fp_cfg_bool,
			 .off = offsetof(struct fp_metric_custom, all_keys) },
	[F_MAX_KEYS] = { .key = "max_keys", .parse = fp_cfg_u32,
			 .off = offsetof(struct fp_metric_custom, max_keys),
			 .min = 1, .max = FP_METRICS_KEYS_MAX },
	[F_LABELS] = { .key = "labels", .parse = p_labels,
		       .off = offsetof(struct fp_metric_custom, labels) },
};

static const struct schema custom_schema = { custom_fields, ARRAY_SIZE(custom_fields), custom_check };

static int custom_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_metric_custom *m = item;

	m->line = fp_cfg_line_of(n);
	m->max_keys = FP_METRICS_KEYS_DEFAULT;
	return fp_cfg_walk_map(w, n, path, &custom_schema, m);
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fp_metric_label *)a)->name,
		      ((const struct fp_metric_label *)b)->name);
}

/* Two entries of one name are one series if their labels are the same. */
static bool same_series(const struct fp_metric_custom *a, const struct fp_metric_custom *b)
{
	struct fp_metric_label x[FP_METRICS_LABELS_MAX], y[FP_METRICS_LABELS_MAX];

	if (a->all_keys != b->all_keys || a->n_labels != b->n_labels)
		return false;
	memcpy(x, a->labels, a->n_labels * sizeof(x[0]));
	memcpy(y, b->labels, b->n_labels * sizeof(y[0]));
	qsort(x, a->n_labels, sizeof(x[0]), label_cmp);
	qsort(y, b->n_labels, sizeof(y[0]), label_cmp);
	for (size_t i = 0; i < a->n_labels; i++)
		if (strcmp(x[i].name, y[i].name) || strcmp(x[i].value, y[i].value))
			return false;
	return true;
}

/* Entries that share a name are one family: one type, one help, and
 * labels that tell their series apart. */
static void family_check(struct walk *w, const char *path, const struct fp_metrics_config *mc)
{
	char at[PATH_BUF];

	for (size_t i = 0; i < mc->n_custom; i++) {
		const struct fp_metric_custom *b = &mc->custom[i];

		for (size_t j = 0; j < i; j++) {
			const struct fp_metric_custom *a = &mc->custom[j];

			if (strcmp(a->name, b->name))
				continue;
			fp_cfg_path_item(at, path, i, NULL);
			if (a->type != b->type)
				fp_cfg_report_at(w, b->line, at, "'%s' is a %s on line %u; one "
						 "name has one type", b->name, a->type ==
						 FP_METRIC_COUNTER ? "counter" : "gauge", a->line);
			else if (*a->help && *b->help && strcmp(a->help, b->help))
				fp_cfg_report_at(w, b->line, at, "'%s' has another help on line "
						 "%u; give it once", b->name, a->line);
			else if (same_series(a, b))
				fp_cfg_report_at(w, b->line, at, "'%s' with these labels is "
						 "exported already on line %u; give one of them "
						 "a label that tells them apart (labels: {...})",
						 b->name, a->line);
			else
				continue;
			break;
		}
	}
}

static int p_custom(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	struct fp_metrics_config *mc = (void *)((char *)dst - offsetof(struct fp_metrics_config, custom));
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	fp_cfg_walk_list(w, n, path, "metrics", FP_METRICS_CUSTOM_MAX, sizeof(*mc->custom), &arr,
			 &mc->n_custom, custom_item);
	mc->custom = arr;
	if (w->nomem)
		return -ENOMEM;
	if (w->n_errors == before)
		family_check(w, path, mc);
	return w->n_errors == before ? 0 : -EINVAL;
}

static const struct field metrics_fields[] = {
	{ .key = "custom", .parse = p_custom, .off = offsetof(struct fp_metrics_config, custom) },
};

static const struct schema metrics_schema = { metrics_fields, ARRAY_SIZE(metrics_fields), NULL };

void fp_metrics_config_free(struct fp_metrics_config *mc)
{
	free(mc->custom);
	mc->custom = NULL;
	mc->n_custom = 0;
}

static void metrics_free(void *dst)
{
	fp_metrics_config_free(dst);
}

int fp_metrics_config_copy(struct fp_metrics_config *dst, const struct fp_metrics_config *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src || !src->n_custom)
		return 0;
	dst->custom = malloc(src->n_custom * sizeof(*dst->custom));
	if (!dst->custom)
		return -ENOMEM;
	memcpy(dst->custom, src->custom, src->n_custom * sizeof(*dst->custom));
	dst->n_custom = src->n_custom;
	return 0;
}

const struct fp_cfg_section fp_metrics_section = {
	.key = "metrics",
	.schema = &metrics_schema,
	.free = metrics_free,
};
