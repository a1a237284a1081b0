// SPDX-License-Identifier: BSD-2-Clause
/* A configuration file's YAML document, built from libyaml's events in
 * libyaml's own layout (yaml_document_t, yaml_node_t), which the walker
 * reads as it would libyaml's loader's, but in two mappings of our own
 * instead of a heap block per node, value, tag and list:
 *
 *   - the nodes, one array (the walker reaches nodes by index);
 *   - everything the nodes point to (values, explicit tags, mapping pairs,
 *     sequence items), appended to chunks that never move.
 *
 * For 10,000 firewall rules, libyaml's loader made ~50,000 nodes of
 * ~10 small blocks each: ~10 MB of heap, faulted in a page at a time
 * (~2,500 faults, ~15 us each in a guest), 40 ms of a 48 ms parse; the
 * events alone took 7. Both mappings are advised to transparent huge
 * pages (core/mapping.h). The depth limit is counted on the same events:
 * one pass over the text where there were two (a depth check first, as
 * libyaml takes quadratic time on deep nesting, then the loader). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config/schema.h"
#include "core/mapping.h"

#define CHUNK_BYTES (2u << 20)   /* a huge page */
#define NODES_FIRST (2u << 20)

struct fp_cfg_chunk {
	struct fp_cfg_chunk *next;
	size_t size, used;
};

struct frame {
	int node;                /* the open collection */
	size_t base;             /* its first child in the children stack */
};

struct anchor {
	char *name;              /* in a chunk */
	int node;
};

struct build {
	struct fp_cfg_doc *d;
	yaml_parser_t *p;
	struct frame frames[FP_CONFIG_DEPTH_MAX];
	size_t depth;
	int *children;           /* ids of the open collections' children */
	size_t n_children, cap_children;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
};

static void *bytes(struct fp_cfg_doc *d, size_t n)
{
	struct fp_cfg_chunk *c = d->chunks;
	void *at;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->size - c->used < n) {
		size_t size = n + sizeof(*c) > CHUNK_BYTES ? n + sizeof(*c) : CHUNK_BYTES;

		c = fp_mapping(size, true);
		if (!c)
			return NULL;
		c->size = size;
		c->used = (sizeof(*c) + 7) & ~(size_t)7;
		c->next = d->chunks;
		d->chunks = c;
	}
	at = (char *)c + c->used;
	c->used += n;
	return at;
}

static yaml_char_t *copy_str(struct fp_cfg_doc *d, const yaml_char_t *s, size_t len)
{
	yaml_char_t *out = bytes(d, len + 1);

	if (out) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

/* tag: an explicit tag copied, or libyaml's default for the kind
 * (static: never freed). */
static yaml_char_t *tag(struct fp_cfg_doc *d, const yaml_char_t *given, const char *dflt)
{
	if (!given || !strcmp((const char *)given, "!"))
		return (yaml_char_t *)dflt;
	return copy_str(d, given, strlen((const char *)given));
}

/* new_node: a node of TYPE at the end of the array; its index (from 1),
 * 0 when out of memory. */
static int new_node(struct build *b, yaml_node_type_t type, yaml_char_t *t,
		    const yaml_event_t *ev)
{
	struct fp_cfg_doc *d = b->d;
	yaml_document_t *doc = &d->doc;
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);
	yaml_node_t *node;

	if (!t || n + 1 > INT32_MAX) /* node ids are ints */
		return 0;
	if ((n + 1) * sizeof(*node) > d->nodes_bytes) {
		size_t want = d->nodes_bytes ? 2 * d->nodes_bytes : NODES_FIRST;
		yaml_node_t *moved = d->nodes_bytes ?
			fp_mapping_grow(doc->nodes.start, d->nodes_bytes, want) :
			fp_mapping(want, true);

		if (!moved)
			return 0;
		doc->nodes.start = moved;
		doc->nodes.top = moved + n;
		doc->nodes.end = moved + want / sizeof(*node);
		d->nodes_bytes = want;
	}
	node = doc->nodes.top++;
	memset(node, 0, sizeof(*node));
	node->type = type;
	node->tag = t;
	node->start_mark = ev->start_mark;
	node->end_mark = ev->end_mark;
	return (int)(n + 1);
}

/* add_child: ID into the open collection, if any. */
static int add_child(struct build *b, int id)
{
	if (!b->depth)
		return 0;
	if (b->n_children == b->cap_children) {
		size_t cap = b->cap_children ? 2 * b->cap_children : 256;
		int *c = realloc(b->children, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		b->children = c;
		b->cap_children = cap;
	}
	b->children[b->n_children++] = id;
	return 0;
}

static int add_anchor(struct build *b, const yaml_event_t *ev, const yaml_char_t *name, int id)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < b->n_anchors; i++) {
		if (strcmp(b->anchors[i].name, (const char *)name))
			continue;
		/* As libyaml's loader says it, through the parser's error. */
		b->p->error = YAML_COMPOSER_ERROR;
		b->p->context = "found duplicate anchor; first occurrence";
		b->p->context_mark = b->d->doc.nodes.start[b->anchors[i].node - 1].start_mark;
		b->p->problem = "second occurrence";
		b->p->problem_mark = ev->start_mark;
		return -EINVAL;
	}
	if (b->n_anchors == b->cap_anchors) {
		size_t cap = b->cap_anchors ? 2 * b->cap_anchors : 8;
		struct anchor *a = realloc(b->anchors, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		b->anchors = a;
		b->cap_anchors = cap;
	}
	b->anchors[b->n_anchors].name = (char *)copy_str(b->d, name, strlen((const char *)name));
	if (!b->anchors[b->n_anchors].name)
		return -ENOMEM;
	b->anchors[b->n_anchors++].node = id;
	return 0;
}

static int alias(struct build *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;

	for (size_t i = 0; i < b->n_anchors; i++)
		if (!strcmp(b->anchors[i].name, name))
			return add_child(b, b->anchors[i].node);
	b->p->error = YAML_COMPOSER_ERROR;
	b->p->context = NULL;
	b->p->problem = "found undefined alias";
	b->p->problem_mark = ev->start_mark;
	return -EINVAL;
}

static int open_collection(struct build *b, const yaml_event_t *ev, unsigned int *deep_line)
{
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	const yaml_char_t *t = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
	const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor :
					  ev->data.mapping_start.anchor;
	yaml_node_t *node;
	int id, err;

	if (b->depth == FP_CONFIG_DEPTH_MAX) {
		*deep_line = (unsigned int)ev->start_mark.line + 1;
		return -E2BIG;
	}
	id = new_node(b, seq ? YAML_SEQUENCE_NODE : YAML_MAPPING_NODE,
		      tag(b->d, t, seq ? YAML_DEFAULT_SEQUENCE_TAG : YAML_DEFAULT_MAPPING_TAG), ev);
	if (!id)
		return -ENOMEM;
	node = b->d->doc.nodes.start + id - 1;
	if (seq)
		node->data.sequence.style = ev->data.sequence_start.style;
	else
		node->data.mapping.style = ev->data.mapping_start.style;
	err = add_anchor(b, ev, anchor, id) ?: add_child(b, id);
	if (err)
		return err;
	b->frames[b->depth].node = id;
	b->frames[b->depth++].base = b->n_children;
	return 0;
}

/* close_collection: the open collection's children, copied next to the
 * values, become its items or pairs. */
static int close_collection(struct build *b, const yaml_event_t *ev)
{
	struct frame *f = &b->frames[--b->depth];
	yaml_node_t *node = b->d->doc.nodes.start + f->node - 1;
	size_t n = b->n_children - f->base;
	const int *c = b->children + f->base;

	node->end_mark = ev->end_mark;
	if (node->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *items = bytes(b->d, n * sizeof(*items) + 1);

		if (!items)
			return -ENOMEM;
		memcpy(items, c, n * sizeof(*items));
		node->data.sequence.items.start = items;
		node->data.sequence.items.top = node->data.sequence.items.end = items + n;
	} else {
		yaml_node_pair_t *pairs = bytes(b->d, n / 2 * sizeof(*pairs) + 1);

		if (!pairs)
			return -ENOMEM;
		for (size_t i = 0; i + 1 < n; i += 2) {
			pairs[i / 2].key = c[i];
			pairs[i / 2].value = c[i + 1];
		}
		node->data.mapping.pairs.start = pairs;
		node->data.mapping.pairs.top = node->data.mapping.pairs.end = pairs + n / 2;
	}
	b->n_children = f->base;
	return 0;
}

static int scalar(struct build *b, const yaml_event_t *ev)
{
	yaml_node_t *node;
	int id = new_node(b, YAML_SCALAR_NODE,
			  tag(b->d, ev->data.scalar.tag, YAML_DEFAULT_SCALAR_TAG), ev);

	if (!id)
		return -ENOMEM;
	node = b->d->doc.nodes.start + id - 1;
	node->data.scalar.value = copy_str(b->d, ev->data.scalar.value, ev->data.scalar.length);
	if (!node->data.scalar.value)
		return -ENOMEM;
	node->data.scalar.length = ev->data.scalar.length;
	node->data.scalar.style = ev->data.scalar.style;
	return add_anchor(b, ev, ev->data.scalar.anchor, id) ?: add_child(b, id);
}

/* event: one event of the document into B; 1 at its end. */
static int event(struct build *b, const yaml_event_t *ev, unsigned int *deep_line)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return open_collection(b, ev, deep_line);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_collection(b, ev);
	case YAML_DOCUMENT_END_EVENT:
		b->d->doc.end_mark = ev->end_mark;
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		b->d->doc.start_mark = ev->start_mark;
		return 0;
	default:
		return 0;
	}
}

int fp_cfg_doc_load(yaml_parser_t *p, struct fp_cfg_doc *d, unsigned int *deep_line)
{
	struct build b = { .d = d, .p = p };
	yaml_event_t ev;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	while (!ret) {
		if (!yaml_parser_parse(p, &ev)) {
			ret = p->error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_NO_EVENT)
			ret = 1; /* no document: an empty file */
		else
			ret = event(&b, &ev, deep_line);
		yaml_event_delete(&ev);
	}
	free(b.children);
	free(b.anchors);
	if (ret < 0)
		fp_cfg_doc_free(d);
	return ret < 0 ? ret : 0;
}

void fp_cfg_doc_free(struct fp_cfg_doc *d)
{
	struct fp_cfg_chunk *c = d->chunks, *next;

	fp_mapping_free(d->doc.nodes.start, d->nodes_bytes);
	for (; c; c = next) {
		next = c->next;
		fp_mapping_free(c, c->size);
	}
	memset(d, 0, sizeof(*d));
}
