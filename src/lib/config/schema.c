// SPDX-License-Identifier: BSD-2-Clause
/* The schema walker (see schema.h): errors with their line and key path,
 * did-you-mean for words, mappings and lists walked against their schema,
 * the file loaded and refused whole when it is not one sane document. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/schema.h"

#define TRAILER_ROOM      48    /* room kept for "(N more errors not shown)" */
#define SUGGEST_LEN_MAX   32    /* longer words get no suggestion */

/* ---- errors ------------------------------------------------------------ */

unsigned int fp_cfg_line_of(const yaml_node_t *n)
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

size_t fp_cfg_appendf(char *buf, size_t size, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	at = vappendf(buf, size, at, fmt, ap);
	va_end(ap);
	return at;
}

void fp_cfg_report_at(struct walk *w, unsigned int line, const char *path,
	  const char *fmt, ...)
{
	char buf[sizeof(w->err->msg)];
	size_t at;
	va_list ap;

	at = fp_cfg_appendf(buf, sizeof(buf), 0, "%s:%u: ", w->name, line);
	if (path && *path)
		at = fp_cfg_appendf(buf, sizeof(buf), at, "%s: ", path);
	va_start(ap, fmt);
	vappendf(buf, sizeof(buf), at, fmt, ap);
	va_end(ap);
	add_line(w, buf);
}


/* ---- warnings ---------------------------------------------------------- */

void fp_cfg_warn_todo(struct walk *w, unsigned int line, const char *path,
		      unsigned int issue)
{
	struct fp_config_warnings *c = w->warn;
	size_t at;

	if (!c)
		return;
	at = strlen(c->msg);
	at = fp_cfg_appendf(c->msg, sizeof(c->msg), at, "%s%s:%u: warning: %s is "
			    "accepted but not implemented yet in this build (issue "
			    "%u); nothing is started", at ? "\n" : "", w->name,
			    line, path, issue);
	c->n++;
}

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
		at = fp_cfg_appendf(buf, size, at, "%s%s", i ? ", " : "", words[i]);
	return at;
}

void fp_cfg_bad_word(struct walk *w, yaml_node_t *n, const char *path,
		     const char *s, const char *const *words, size_t nw)
{
	const char *near = suggest(s, words, nw);
	char list[256];

	join_words(list, sizeof(list), words, nw);
	if (near)
		fp_cfg_report(w, n, path, "'" SHOW "' is not one of %s (did you mean '%s'?)",
		       s, list, near);
	else
		fp_cfg_report(w, n, path, "'" SHOW "' is not one of %s", s, list);
}

int fp_cfg_word(struct walk *w, yaml_node_t *n, const char *path,
		const char *const *words, size_t nw, const char *what)
{
	const char *s = fp_cfg_value_of(w, n, path, what);

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < nw; i++)
		if (!strcmp(s, words[i]))
			return (int)i;
	fp_cfg_bad_word(w, n, path, s, words, nw);
	return -EINVAL;
}

/* ---- the walker -------------------------------------------------------- */

void fp_cfg_path_key(char *buf, const char *path, const char *key)
{
	if (*path)
		snprintf(buf, PATH_BUF, "%s.%.64s", path, key);
	else
		snprintf(buf, PATH_BUF, "%.64s", key);
}

void fp_cfg_path_item(char *buf, const char *path, size_t i, const char *key)
{
	size_t at = fp_cfg_appendf(buf, PATH_BUF, 0, "%s[%zu]", path, i);

	if (key)
		fp_cfg_appendf(buf, PATH_BUF, at, ".%s", key);
}

yaml_node_t *fp_cfg_node_at(struct walk *w, int index)
{
	return yaml_document_get_node(w->doc, index);
}

static void unknown_key(struct walk *w, yaml_node_t *k, const char *path,
			const struct schema *s, const char *key)
{
	const char *words[SCHEMA_FIELDS_MAX], *near;
	char list[256], at[PATH_BUF];

	fp_cfg_path_key(at, path, key);
	if (!strcmp(key, "<<")) {
		fp_cfg_report(w, k, path, "YAML merge keys (<<) are not supported; "
		       "write the keys out");
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		words[i] = s->fields[i].key;
	near = suggest(key, words, s->n);
	if (near) {
		fp_cfg_report(w, k, at, "unknown key '" SHOW "'; did you mean '%s'?", key, near);
		return;
	}
	join_words(list, sizeof(list), words, s->n);
	fp_cfg_report(w, k, at, "unknown key '" SHOW "'; %s takes: %s", key,
	       *path ? path : "the top level", list);
}

/* A null value stands for an empty mapping (a section with everything
 * commented out). */
int fp_cfg_walk_map(struct walk *w, yaml_node_t *n, const char *path,
		    const struct schema *s, void *dst)
{
	struct seen seen[SCHEMA_FIELDS_MAX] = { 0 };
	unsigned int before = w->n_errors;
	char at[PATH_BUF];

	if (!fp_cfg_is_null(n) && n->type != YAML_MAPPING_NODE) {
		fp_cfg_report(w, n, path, "expected a mapping (key: value), got %s",
		       fp_cfg_kind_name(n));
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = n->type == YAML_MAPPING_NODE ?
		     n->data.mapping.pairs.start : NULL;
	     p && p < n->data.mapping.pairs.top && !w->nomem; p++) {
		yaml_node_t *k = fp_cfg_node_at(w, p->key), *v = fp_cfg_node_at(w, p->value);
		const char *key;
		size_t i;

		if (k->type != YAML_SCALAR_NODE) {
			fp_cfg_report(w, k, path, "a key must be a word, not %s", fp_cfg_kind_name(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < s->n && strcmp(key, s->fields[i].key); i++)
			;
		if (i == s->n) {
			unknown_key(w, k, path, s, key);
			continue;
		}
		fp_cfg_path_key(at, path, key);
		if (seen[i].key) {
			fp_cfg_report(w, k, at, "given twice in one mapping (first on line "
			       "%u); keep one", fp_cfg_line_of(seen[i].key));
			continue;
		}
		seen[i].key = k;
		seen[i].val = v;
		seen[i].ok = !s->fields[i].parse(w, v, at, (char *)dst + s->fields[i].off,
						 &s->fields[i]);
		if (seen[i].ok && s->fields[i].todo_issue && !fp_cfg_is_unset(v))
			fp_cfg_warn_todo(w, fp_cfg_line_of(k), at, s->fields[i].todo_issue);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->fields[i].required && !seen[i].key)
			fp_cfg_report(w, n, path, "missing required key '%s'%s%s%s",
			       s->fields[i].key, s->fields[i].hint ? " (" : "",
			       s->fields[i].hint ? s->fields[i].hint : "",
			       s->fields[i].hint ? ")" : "");
	if (s->check && !w->nomem)
		s->check(w, n, path, dst, seen);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}

int fp_cfg_walk_list(struct walk *w, yaml_node_t *n, const char *path,
		     const char *what, size_t max, size_t size, void **arr,
		     size_t *count, item_fn fn)
{
	char at[PATH_BUF];
	size_t cnt;
	int ret = 0;

	*arr = NULL;
	*count = 0;
	if (fp_cfg_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of %s, got %s", what, fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > max) {
		fp_cfg_report(w, n, path, "has %zu items; at most %zu are allowed", cnt, max);
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
		fp_cfg_path_item(at, path, i, NULL);
		if (fn(w, fp_cfg_node_at(w, n->data.sequence.items.start[i]), at,
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

void fp_cfg_each_dup(struct walk *w, const char *path, const void *base,
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

yaml_node_t *fp_cfg_map_get(struct walk *w, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = fp_cfg_node_at(w, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return fp_cfg_node_at(w, p->value);
	}
	return NULL;
}

/* ---- the file ---------------------------------------------------------- */

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
		at = fp_cfg_appendf(buf, sizeof(buf), 0, "%s:%u: %s (byte %zu)", w->name,
			     offset_line(text, len, p->problem_offset),
			     p->problem ? p->problem : "cannot read the text",
			     p->problem_offset);
		if (p->problem_value != -1)
			fp_cfg_appendf(buf, sizeof(buf), at, ": #x%X", (unsigned)p->problem_value);
		add_line(w, buf);
		return;
	}
	at = fp_cfg_appendf(buf, sizeof(buf), 0, "%s:%zu:%zu: YAML syntax error: %s",
		     w->name, p->problem_mark.line + 1, p->problem_mark.column + 1,
		     p->problem ? p->problem : "unknown problem");
	if (p->context)
		at = fp_cfg_appendf(buf, sizeof(buf), at, " (%s on line %zu)", p->context,
			     p->context_mark.line + 1);
	if (p->problem_mark.index < len && text[p->problem_mark.index] == '\t')
		fp_cfg_appendf(buf, sizeof(buf), at, "; that is a tab: indent with spaces");
	add_line(w, buf);
}

/* second_document: after the first, the stream holds another; said at
 * its first node, as the walk would. */
static void second_document(struct walk *w, yaml_parser_t *p, const char *text, size_t len)
{
	yaml_event_t ev;
	bool started = false;

	for (;;) {
		if (!yaml_parser_parse(p, &ev)) {
			syntax_error(w, p, text, len);
			return;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			started = true;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (started)
				fp_cfg_report_at(w, (unsigned int)ev.start_mark.line + 1, NULL,
						 "a second YAML document starts here; the "
						 "file must hold one (remove '---')");
			yaml_event_delete(&ev);
			return;
		case YAML_STREAM_END_EVENT:
		case YAML_NO_EVENT:
			yaml_event_delete(&ev);
			return;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
}

int fp_cfg_walk_file(struct walk *w, const char *text, size_t len,
		     const struct schema *root, void *dst)
{
	struct fp_cfg_doc d;
	yaml_parser_t parser;
	yaml_node_t *top;
	unsigned int deep_line = 1;
	int ret;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ret = fp_cfg_doc_load(&parser, &d, &deep_line);
	if (ret) {
		if (ret == -E2BIG)
			fp_cfg_report_at(w, deep_line, NULL, "nested deeper than %d levels; a "
					 "configuration needs a few, so this file is "
					 "refused", FP_CONFIG_DEPTH_MAX);
		else if (ret == -EINVAL)
			syntax_error(w, &parser, text, len);
		yaml_parser_delete(&parser);
		finish_msg(w);
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	w->doc = &d.doc;
	top = yaml_document_get_root_node(&d.doc);
	if (!top || fp_cfg_is_null(top)) {
		fp_cfg_report_at(w, 1, NULL, "the file is empty; it needs a mapping (key: "
			  "value), see examples/fastpath.yaml");
	} else if (top->type != YAML_MAPPING_NODE) {
		char list[256];
		const char *words[SCHEMA_FIELDS_MAX];

		for (size_t i = 0; i < root->n; i++)
			words[i] = root->fields[i].key;
		join_words(list, sizeof(list), words, root->n);
		fp_cfg_report(w, top, NULL, "the top level must be a mapping with keys "
		       "%s; this is %s", list, fp_cfg_kind_name(top));
	} else {
		fp_cfg_walk_map(w, top, "", root, dst);
		/* A second document would be silently ignored: refuse it. */
		second_document(w, &parser, text, len);
	}
	w->doc = NULL;
	fp_cfg_doc_free(&d);
	yaml_parser_delete(&parser);
	finish_msg(w);
	if (w->nomem)
		return -ENOMEM;
	return w->n_errors ? -EINVAL : 0;
}

void fp_cfg_walk_init(struct walk *w, const char *name,
		      struct fp_config_error *err, struct fp_config_error *spare)
{
	memset(w, 0, sizeof(*w));
	w->name = name && *name ? name : "<config>";
	w->err = err ? err : spare;
	w->err->msg[0] = '\0';
}


int fp_cfg_read_file(const char *path, char **out, size_t *len,
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

