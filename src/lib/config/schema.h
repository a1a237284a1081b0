/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration engine, inside the library: a YAML document (libyaml's
 * document API) walked against a schema, a table of keys per mapping with
 * one parser per value type and a check per mapping for what involves
 * several keys. The walk does not stop at the first error: every error is
 * reported with the line of its node and the dotted path of its key.
 *
 * A function's configuration is a section (struct fp_cfg_section) in its
 * own folder, src/lib/<fn>/<fn>_config.c; the root schema in
 * config/config.c lists the sections. schema.c holds the walker and the
 * errors, values.c the value parsers every section shares. */
#ifndef FP_CONFIG_SCHEMA_H
#define FP_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <yaml.h>
#include <fastpath/config.h>

#define PATH_BUF          192   /* a key path in messages */
#define SHOW              "%.80s" /* user text in messages, cut short */
#define SCHEMA_FIELDS_MAX 16

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct walk {
	yaml_document_t *doc;
	const char *name;        /* the file, in messages */
	struct fp_config_error *err;
	struct fp_config_warnings *warn; /* NULL: warnings are dropped */
	size_t used;             /* bytes of err->msg in use */
	unsigned int n_errors;
	unsigned int n_lost;     /* errors that did not fit in err->msg */
	bool nomem;
};

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
	/* Accepted but not implemented yet: the issue that will implement
	 * it. A value other than empty, 0 or false gets a warning. */
	unsigned int todo_issue;
};

/* seen: per field of a schema, its key and value nodes if given, and
 * whether the value parsed. */
struct seen {
	yaml_node_t *key;
	yaml_node_t *val;
	bool ok;
};

/* ---- sections: the root schema's rows --------------------------------- */

struct fp_cfg_root;

/* A function's top-level key. dst is its struct inside struct fp_config,
 * at the offset the root table gives. */
struct fp_cfg_section {
	const char *key;
	parse_fn parse;          /* NULL: a mapping of schema's keys */
	const struct schema *schema;
	void (*defaults)(void *dst);  /* what an absent key means; allocates nothing */
	void (*free)(void *dst);      /* release what parsing allocated */
	/* After the whole file, for what involves other sections; SELF is
	 * the section's key and value in the file (both NULL when absent). */
	void (*check)(struct walk *w, const struct fp_cfg_root *root,
		      const struct seen *self, void *dst);
	unsigned int todo_issue; /* as struct field's */
};

/* fp_cfg_root_usable: the section KEY is absent or parsed (not given with
 * errors), so a check may read its values. */
bool fp_cfg_root_usable(const struct fp_cfg_root *root, const char *key);

/* fp_cfg_ebpf_serves: DEV is one of E's interfaces (orchestrator.ebpf),
 * or the orchestrator is unusable or runs no pipelines (nothing to say);
 * else false, the interfaces listed in LIST for the error. */
struct fp_ebpf_config;
bool fp_cfg_ebpf_serves(const struct fp_cfg_root *root, const struct fp_ebpf_config *e,
			const char *dev, char *list, size_t size);

/* fp_cfg_root_map: the file's top-level mapping. */
yaml_node_t *fp_cfg_root_map(const struct fp_cfg_root *root);

/* ---- the document (document.c) ---------------------------------------- */

/* A file's document in libyaml's layout, built by fp_cfg_doc_load in
 * mappings of its own: free it with fp_cfg_doc_free, never with
 * yaml_document_delete. */
struct fp_cfg_doc {
	yaml_document_t doc;
	size_t nodes_bytes;
	struct fp_cfg_chunk *chunks;
};

/* fp_cfg_doc_load: P's next document into D (no node at all when the
 * stream has none), the parser left after its end. -EINVAL: P's error
 * says what (a syntax error, or an alias or anchor as libyaml's loader
 * says it); -E2BIG: collections nested deeper than FP_CONFIG_DEPTH_MAX,
 * the first too deep on *DEEP_LINE; -ENOMEM. D is empty on error. */
int fp_cfg_doc_load(yaml_parser_t *p, struct fp_cfg_doc *d, unsigned int *deep_line);

void fp_cfg_doc_free(struct fp_cfg_doc *d);

/* ---- errors and warnings (schema.c) ----------------------------------- */

unsigned int fp_cfg_line_of(const yaml_node_t *n);

/* fp_cfg_report_at: one error, "NAME:LINE: PATH: what". */
void fp_cfg_report_at(struct walk *w, unsigned int line, const char *path,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define fp_cfg_report(w, node, path, ...) \
	fp_cfg_report_at(w, fp_cfg_line_of(node), path, __VA_ARGS__)

/* fp_cfg_warn_todo: "NAME:LINE: warning: PATH is accepted but not
 * implemented yet in this build (issue N); nothing is started". */
void fp_cfg_warn_todo(struct walk *w, unsigned int line, const char *path,
		      unsigned int issue);

/* fp_cfg_bad_word: S is none of WORDS; say which it could be. */
void fp_cfg_bad_word(struct walk *w, yaml_node_t *n, const char *path,
		     const char *s, const char *const *words, size_t nw);

/* fp_cfg_word: N's value as an index into WORDS, or -EINVAL said (WHAT
 * names them for a value that is no word: "allow or drop"). */
int fp_cfg_word(struct walk *w, yaml_node_t *n, const char *path,
		const char *const *words, size_t nw, const char *what);

size_t fp_cfg_appendf(char *buf, size_t size, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the walker (schema.c) -------------------------------------------- */

void fp_cfg_path_key(char *buf, const char *path, const char *key);

/* fp_cfg_path_item: PATH[I], or PATH[I].KEY when KEY is given. */
void fp_cfg_path_item(char *buf, const char *path, size_t i, const char *key);

yaml_node_t *fp_cfg_node_at(struct walk *w, int index);

/* fp_cfg_map_get: the value of KEY in MAP, NULL when MAP is no mapping
 * or has no KEY. */
yaml_node_t *fp_cfg_map_get(struct walk *w, yaml_node_t *map, const char *key);

/* fp_cfg_walk_map: N is a mapping of S's keys; parse each into DST. A
 * null value stands for an empty mapping. */
int fp_cfg_walk_map(struct walk *w, yaml_node_t *n, const char *path,
		    const struct schema *s, void *dst);

/* fp_cfg_walk_list: N is a list of at most MAX items, each parsed by FN
 * into an array of SIZE-byte items that *arr gets even on error, for the
 * caller to free. A null value stands for an empty list. */
int fp_cfg_walk_list(struct walk *w, yaml_node_t *n, const char *path,
		     const char *what, size_t max, size_t size, void **arr,
		     size_t *count, item_fn fn);

typedef void (*dup_fn)(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first);

/* fp_cfg_each_dup: SAY(later, first) for every item of BASE equal under
 * CMP to an earlier one, first being the earliest in file order. */
void fp_cfg_each_dup(struct walk *w, const char *path, const void *base,
		     size_t n, size_t size, int (*cmp)(const void *, const void *),
		     dup_fn say);

/* fp_cfg_walk_init / fp_cfg_walk_file: load TEXT's one YAML document and
 * walk it with ROOT into DST; 0, -EINVAL (w->err lists why) or -ENOMEM.
 * A document nested deeper than FP_CONFIG_DEPTH_MAX is refused before it
 * is loaded. */
void fp_cfg_walk_init(struct walk *w, const char *name,
		      struct fp_config_error *err, struct fp_config_error *spare);
int fp_cfg_walk_file(struct walk *w, const char *text, size_t len,
		     const struct schema *root, void *dst);

/* fp_cfg_read_file: all of PATH into a new buffer, with a NUL after it;
 * -errno with err->msg naming PATH. */
int fp_cfg_read_file(const char *path, char **out, size_t *len,
		     struct fp_config_error *err);

/* ---- values (values.c) ------------------------------------------------- */

const char *fp_cfg_kind_name(const yaml_node_t *n);

/* fp_cfg_is_null: YAML's null: an empty plain value, ~ or null. */
bool fp_cfg_is_null(const yaml_node_t *n);

/* fp_cfg_is_unset: null, 0, false, [] or {}: a value that asks for
 * nothing. */
bool fp_cfg_is_unset(const yaml_node_t *n);

/* fp_cfg_value_of: the text of a scalar, or NULL once it is reported
 * that N is no scalar (WHAT says what was expected). */
const char *fp_cfg_value_of(struct walk *w, yaml_node_t *n, const char *path,
			    const char *what);

/* fp_cfg_parse_ull: decimal digits only: no sign, no fraction, and no
 * leading zero, which YAML 1.1 would read as octal. */
int fp_cfg_parse_ull(const char *s, unsigned long long *v);

/* fp_cfg_split_dash: FIRST-REST: copy FIRST into buf and return REST, or
 * NULL when there is no '-' or FIRST does not fit. */
const char *fp_cfg_split_dash(const char *s, char *buf, size_t size);

/* fp_cfg_cidr: ADDR/LEN or a plain ADDR (a host prefix), host bits zero.
 * Reports and returns -EINVAL when S is none. */
int fp_cfg_cidr(struct walk *w, yaml_node_t *n, const char *path,
		const char *s, struct fp_cidr *c);

const char *fp_cfg_ntoa(struct in_addr a, char buf[INET_ADDRSTRLEN]);

/* The value parsers, one per type: dst is the field's place. */
int fp_cfg_map(struct walk *w, yaml_node_t *n, const char *path, void *dst,
	       const struct field *f);
int fp_cfg_bool(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		const struct field *f);
int fp_cfg_int(struct walk *w, yaml_node_t *n, const char *path, void *dst,
	       const struct field *f);     /* int, within f->min..max */
int fp_cfg_u16(struct walk *w, yaml_node_t *n, const char *path, void *dst,
	       const struct field *f);
int fp_cfg_u32(struct walk *w, yaml_node_t *n, const char *path, void *dst,
	       const struct field *f);
int fp_cfg_duration_ms(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f); /* uint32_t ms */
int fp_cfg_duration_s(struct walk *w, yaml_node_t *n, const char *path,
		      void *dst, const struct field *f);  /* uint32_t s */
int fp_cfg_mode(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		const struct field *f);    /* enum fp_xdp_mode */
int fp_cfg_proto(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f);   /* int: IPPROTO_*, 0 for any */
int fp_cfg_ports(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		 const struct field *f);   /* uint16_t[2]: a port or LO-HI */
int fp_cfg_ifname(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		  const struct field *f);  /* char[IF_NAMESIZE] */
int fp_cfg_abspath(struct walk *w, yaml_node_t *n, const char *path,
		   void *dst, const struct field *f); /* char[PATH_MAX] */
int fp_cfg_ipv4(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		const struct field *f);    /* struct in_addr */
int fp_cfg_domain(struct walk *w, yaml_node_t *n, const char *path,
		  void *dst, const struct field *f); /* char[FP_DOMAIN_MAX] */
int fp_cfg_mac(struct walk *w, yaml_node_t *n, const char *path, void *dst,
	       const struct field *f);     /* uint8_t[6], unicast */

#endif
