// SPDX-License-Identifier: BSD-2-Clause
/* Custom metrics: values a user's own BPF program keeps in a pinned map,
 * read at each scrape and exported beside fastpath's own (metrics.custom
 * in the configuration; docs/metrics.md). The map is opened afresh each
 * time, so a program reloaded under the same pin is followed. An entry
 * that cannot be read (map missing, another key or value size) is left
 * out of that scrape with a reason, which fastpath_custom_metric_up and
 * the health check "custom_metric:NAME" carry; nothing else is held back
 * by it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/metrics.h>
#include "metrics/metrics_internal.h"

#define ROUND8(n) (((n) + 7u) & ~7u)

int fp_metric_key_encode(const struct fp_metric_custom *def, __u32 key_size, void *key)
{
	if (!def->key_is_int) {
		if (def->key_len != key_size)
			return -EINVAL;
		memcpy(key, def->key, key_size);
		return 0;
	}
	switch (key_size) {
	case 1: {
		__u8 v = (__u8)def->key_int;

		if (def->key_int > 0xff)
			return -ERANGE;
		memcpy(key, &v, 1);
		return 0;
	}
	case 2: {
		__u16 v = (__u16)def->key_int;

		if (def->key_int > 0xffff)
			return -ERANGE;
		memcpy(key, &v, 2);
		return 0;
	}
	case 4: {
		__u32 v = (__u32)def->key_int;

		if (def->key_int > 0xffffffffull)
			return -ERANGE;
		memcpy(key, &v, 4);
		return 0;
	}
	case 8:
		memcpy(key, &def->key_int, 8);
		return 0;
	}
	return -ERANGE;
}

int fp_metric_value_sum(const void *vals, int ncpu, __u32 value_size, __u64 *sum)
{
	const char *p = vals;

	*sum = 0;
	if (value_size != 4 && value_size != 8)
		return -EINVAL;
	for (int c = 0; c < ncpu; c++, p += ROUND8(value_size)) {
		if (value_size == 4) {
			__u32 v;

			memcpy(&v, p, 4);
			*sum += v;
		} else {
			__u64 v;

			memcpy(&v, p, 8);
			*sum += v;
		}
	}
	return 0;
}

static bool percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool readable(__u32 type)
{
	return percpu(type) || type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_HASH ||
	       type == BPF_MAP_TYPE_LRU_HASH;
}

/* The map pinned at PATH, its info in *INFO; -errno with WHY. */
static int map_open(const char *path, struct bpf_map_info *info, char *why, size_t size)
{
	char proc[32], link[32] = "";
	__u32 len = sizeof(*info);
	int fd = bpf_obj_get(path), err;

	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			snprintf(why, size, "map missing: nothing pinned at %.100s", path);
		else
			snprintf(why, size, "cannot open %.100s: %s", path, strerror(-err));
		return err;
	}
	/* A pinned program or link opens too; only a map's fd says bpf-map. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (readlink(proc, link, sizeof(link) - 1) < 0 || strcmp(link, "anon_inode:bpf-map")) {
		snprintf(why, size, "%.100s is not a map", path);
		close(fd);
		return -EMEDIUMTYPE;
	}
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		err = -errno;
		snprintf(why, size, "cannot read %.100s's info: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* A key as its label value: an integer's decimal, other sizes in hex. */
static void key_label(const void *key, __u32 size, char *buf, size_t cap)
{
	__u64 v = 0;
	size_t o = 0;

	switch (size) {
	case 1: v = *(const __u8 *)key; break;
	case 2: { __u16 x; memcpy(&x, key, 2); v = x; break; }
	case 4: { __u32 x; memcpy(&x, key, 4); v = x; break; }
	case 8: memcpy(&v, key, 8); break;
	default:
		for (__u32 i = 0; i < size && o + 3 <= cap; i++)
			o += snprintf(buf + o, cap - o, "%02x", ((const __u8 *)key)[i]);
		buf[o] = '\0';
		return;
	}
	snprintf(buf, cap, "%llu", (unsigned long long)v);
}

/* Keys in order: integers by value, others by their bytes. */
static int key_cmp(const void *a, const void *b, void *arg)
{
	__u32 size = *(const __u32 *)arg;
	__u64 x = 0, y = 0;

	switch (size) {
	case 1: case 2: case 4: case 8:
		memcpy(&x, a, size);  /* little-endian hosts: the low bytes */
		memcpy(&y, b, size);
		return x < y ? -1 : x > y;
	}
	return memcmp(a, b, size);
}

/* One value, summed over CPUs; a key not in a hash map reads 0. */
static int lookup(int fd, const struct bpf_map_info *info, int ncpu, const void *key,
		  void *buf, __u64 *v, bool *missing)
{
	*v = 0;
	*missing = false;
	if (bpf_map_lookup_elem(fd, key, buf)) {
		if (errno != ENOENT)
			return -errno;
		*missing = true;
		return 0;
	}
	return fp_metric_value_sum(buf, percpu(info->type) ? ncpu : 1, info->value_size, v);
}

static int read_keys(int fd, const struct bpf_map_info *info, int ncpu, void *buf,
		     struct fp_metric_read *r)
{
	__u32 ks = info->key_size, max = r->def->max_keys, n = 0;
	char *keys = malloc((size_t)ks * (max + 1));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (n <= max && !bpf_map_get_next_key(fd, n ? keys + (size_t)(n - 1) * ks : NULL,
						    keys + (size_t)n * ks))
		n++;
	r->capped = n > max;
	if (r->capped)
		n = max;
	qsort_r(keys, n, ks, key_cmp, &ks);
	r->samples = calloc(n ? n : 1, sizeof(*r->samples));
	if (!r->samples) {
		free(keys);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < n && !err; i++) {
		struct fp_metric_sample *s = &r->samples[r->n];
		bool missing;

		err = lookup(fd, info, ncpu, keys + (size_t)i * ks, buf, &s->value, &missing);
		if (err || missing)   /* deleted since: no series */
			continue;
		key_label(keys + (size_t)i * ks, ks, s->key, sizeof(s->key));
		r->n++;
	}
	free(keys);
	if (err)
		snprintf(r->why, sizeof(r->why), "lookup in %.100s: %s", r->def->map, strerror(-err));
	return err;
}

static int read_one(const struct fp_metric_custom *def, int ncpu, struct fp_metric_read *r)
{
	struct bpf_map_info info;
	void *buf = NULL, *key = NULL;
	bool missing;
	int fd, err;

	r->def = def;
	fd = map_open(def->map, &info, r->why, sizeof(r->why));
	if (fd < 0)
		return fd == -ENOMEM ? fd : (r->err = fd, 0);
	err = -EMEDIUMTYPE;
	if (!readable(info.type)) {
		snprintf(r->why, sizeof(r->why), "%.100s is a map of type %u: only array and "
			 "hash maps (per-CPU or not) can be read", def->map, info.type);
		goto out;
	}
	err = -EINVAL;
	if (info.value_size != 4 && info.value_size != 8) {
		snprintf(r->why, sizeof(r->why), "%.100s has %u-byte values: only u32 (4) and "
			 "u64 (8) values can be exported", def->map, info.value_size);
		goto out;
	}
	err = -ENOMEM;
	buf = calloc(percpu(info.type) ? ncpu : 1, ROUND8(info.value_size));
	key = calloc(1, info.key_size ? info.key_size : 1);
	if (!buf || !key)
		goto out;
	if (def->all_keys) {
		err = read_keys(fd, &info, ncpu, buf, r);
		goto out;
	}
	err = fp_metric_key_encode(def, info.key_size, key);
	if (err) {
		snprintf(r->why, sizeof(r->why), "%.100s has %u-byte keys: the key given %s",
			 def->map, info.key_size, def->key_is_int ? "is no integer of that size "
			 "(or does not fit)" : "has another count of bytes");
		goto out;
	}
	r->samples = calloc(1, sizeof(*r->samples));
	err = r->samples ? lookup(fd, &info, ncpu, key, buf, &r->samples[0].value, &missing)
			 : -ENOMEM;
	if (!err)
		r->n = 1;
	else if (err != -ENOMEM)
		snprintf(r->why, sizeof(r->why), "lookup in %.100s: %s", def->map, strerror(-err));
out:
	free(buf);
	free(key);
	close(fd);
	if (err == -ENOMEM)
		return err;
	if (err) {
		r->err = err;
		free(r->samples);
		r->samples = NULL;
		r->n = 0;
	}
	return 0;
}

int fp_metrics_custom_read(const struct fp_metrics_config *cfg,
			   struct fp_metrics_custom_snapshot *snap)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;

	memset(snap, 0, sizeof(*snap));
	if (!cfg || !cfg->n_custom)
		return 0;
	if (ncpu <= 0)
		ncpu = 1; /* only per-CPU maps need it; they will fail to read */
	snap->reads = calloc(cfg->n_custom, sizeof(*snap->reads));
	if (!snap->reads)
		return -ENOMEM;
	snap->n = cfg->n_custom;
	for (size_t i = 0; i < cfg->n_custom && !err; i++)
		err = read_one(&cfg->custom[i], ncpu, &snap->reads[i]);
	if (err)
		fp_metrics_custom_free(snap);
	return err;
}

void fp_metrics_custom_free(struct fp_metrics_custom_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		free(snap->reads[i].samples);
	free(snap->reads);
	memset(snap, 0, sizeof(*snap));
}

/* ---- rendering -------------------------------------------------------- */

static void labels(struct fp_text *t, const struct fp_metric_custom *d, const char *key)
{
	char v[2 * FP_METRICS_LABEL_VALUE_MAX + 1];
	bool any = false;

	for (size_t i = 0; i < d->n_labels; i++, any = true)
		fp_text_printf(t, "%s%s=\"%s\"", any ? "," : "{", d->labels[i].name,
			       fp_metrics_escape(d->labels[i].value, true, v, sizeof(v)));
	if (key) {
		fp_text_printf(t, "%skey=\"%s\"", any ? "," : "{", key);
		any = true;
	}
	if (any)
		fp_text_printf(t, "}");
}

/* The first entry of READS[I]'s name: its family is rendered there. */
static bool first_of_name(const struct fp_metrics_custom_snapshot *s, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(s->reads[j].def->name, s->reads[i].def->name))
			return false;
	return true;
}

static void render_family(const struct fp_metrics_custom_snapshot *s, size_t first,
			  struct fp_text *t)
{
	const struct fp_metric_custom *d = s->reads[first].def;
	char help[2 * FP_METRICS_HELP_MAX + 1], dflt[FP_METRICS_HELP_MAX];
	const char *h = NULL;

	for (size_t j = first; j < s->n && !h; j++)
		if (!strcmp(s->reads[j].def->name, d->name) && *s->reads[j].def->help)
			h = s->reads[j].def->help;
	if (!h) {
		snprintf(dflt, sizeof(dflt), "From the BPF map %.180s (metrics.custom).", d->map);
		h = dflt;
	}
	fp_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", d->name,
		       fp_metrics_escape(h, false, help, sizeof(help)), d->name,
		       d->type == FP_METRIC_COUNTER ? "counter" : "gauge");
	for (size_t j = first; j < s->n; j++) {
		const struct fp_metric_read *r = &s->reads[j];

		if (strcmp(r->def->name, d->name) || r->err)
			continue;
		for (size_t k = 0; k < r->n; k++) {
			fp_text_printf(t, "%s", d->name);
			labels(t, r->def, r->def->all_keys ? r->samples[k].key : NULL);
			fp_text_printf(t, " %llu\n", (unsigned long long)r->samples[k].value);
		}
	}
}

/* Every entry of READS[FIRST]'s name was read. */
static bool name_ok(const struct fp_metrics_custom_snapshot *s, size_t first)
{
	for (size_t j = first; j < s->n; j++)
		if (!strcmp(s->reads[j].def->name, s->reads[first].def->name) && s->reads[j].err)
			return false;
	return true;
}

void fp_metrics_custom_render(const struct fp_metrics_custom_snapshot *s, struct fp_text *t)
{
	if (!s->n)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (first_of_name(s, i))
			render_family(s, i, t);
	fp_text_printf(t, "# HELP fastpath_custom_metric_up 1 when every metrics.custom entry "
		       "of the metric was read from its map, 0 when one was left out (fastpath "
		       "health says why).\n# TYPE fastpath_custom_metric_up gauge\n");
	for (size_t i = 0; i < s->n; i++)
		if (first_of_name(s, i))
			fp_text_printf(t, "fastpath_custom_metric_up{metric=\"%s\"} %d\n",
				       s->reads[i].def->name, name_ok(s, i));
}

/* ---- health ----------------------------------------------------------- */

static struct fp_health_check *add_check(struct fp_health *h, bool ok, const char *name)
{
	struct fp_health_check *p = realloc(h->checks, (h->n + 1) * sizeof(*p));

	if (!p)
		return NULL;
	h->checks = p;
	p = &h->checks[h->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "custom_metric:%.33s", name);
	p->ok = ok;
	h->ok &= ok;
	return p;
}

int fp_metrics_custom_health(const struct fp_metrics_config *cfg, struct fp_health *h)
{
	struct fp_metrics_custom_snapshot s;
	int err = fp_metrics_custom_read(cfg, &s);

	if (err)
		return err;
	for (size_t i = 0; i < s.n; i++) {
		const struct fp_metric_read *bad = NULL, *capped = NULL;
		struct fp_health_check *c;
		size_t series = 0;

		if (!first_of_name(&s, i))
			continue;
		for (size_t j = i; j < s.n; j++) {
			const struct fp_metric_read *r = &s.reads[j];

			if (strcmp(r->def->name, s.reads[i].def->name))
				continue;
			if (r->err && !bad)
				bad = r;
			if (r->capped && !capped)
				capped = r;
			series += r->n;
		}
		c = add_check(h, !bad, s.reads[i].def->name);
		if (!c) {
			err = -ENOMEM;
			break;
		}
		if (bad)
			snprintf(c->reason, sizeof(c->reason), "%.50s (line %u): %.180s", bad->def->name,
				 bad->def->line, bad->why);
		else if (capped)
			snprintf(c->reason, sizeof(c->reason), "%zu series; %.100s holds more "
				 "keys than max_keys (%u): the rest are not exported",
				 series, capped->def->map, capped->def->max_keys);
		else
			snprintf(c->reason, sizeof(c->reason), "%zu series read", series);
	}
	fp_metrics_custom_free(&s);
	return err;
}
