/* SPDX-License-Identifier: BSD-2-Clause */
/* The CLI's output: a row is described once, as columns, and printed as
 * an aligned table line or as a JSON object (-j), from the same values. */
#ifndef FP_CLI_OUTPUT_H
#define FP_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

enum out_type {
	OUT_STR,        /* v.s; in a table "" shows as "-"; JSON null for NULL */
	OUT_U64,        /* v.u */
	OUT_I64,        /* v.i */
	OUT_BOOL,       /* v.b */
	OUT_JSON,       /* v.j, a JSON value the row takes over; JSON only */
};

/* One column: its table heading (NULL: JSON only), its JSON key (NULL:
 * table only), its type and its table width (negative: left-aligned). */
struct out_col {
	const char *head;
	const char *key;
	enum out_type type;
	int width;
};

union out_val {
	const char *s;
	unsigned long long u;
	long long i;
	bool b;
	struct json_object *j;
};

/* A list of rows: in table mode the heading is printed by out_list_begin
 * and each row as it comes; in JSON mode the rows gather in an array that
 * out_list_end prints, or out_list_take hands over for nesting. */
struct out_list {
	const struct out_col *cols;
	size_t n;
	int indent;                 /* table: spaces before each line */
	struct json_object *arr;
};

#define OUT_N(a) (sizeof(a) / sizeof((a)[0]))
#define OUT_COLS(a) (a), OUT_N(a)

void out_list_begin(struct out_list *l, const struct out_col *cols, size_t n, int indent);
void out_list_row(struct out_list *l, const union out_val *v);
void out_list_end(struct out_list *l);
struct json_object *out_list_take(struct out_list *l);
/* out_list_drop: forget the rows (on an error part way). */
void out_list_drop(struct out_list *l);

/* out_object: the JSON object of one row (columns with a key). */
struct json_object *out_object(const struct out_col *cols, size_t n,
			       const union out_val *v);

/* out_header, out_line: a table's heading and one line (columns with a
 * heading), indent spaces first. */
void out_header(const struct out_col *cols, size_t n, int indent);
void out_line(const struct out_col *cols, size_t n, const union out_val *v, int indent);

/* out_result: what a verb did. JSON: the object of cols/v; else TEXT, a
 * sentence ending in a newline (nothing when NULL). */
void out_result(const struct out_col *cols, size_t n, const union out_val *v,
		const char *text, ...) __attribute__((format(printf, 4, 5)));

/* json_print: print obj on stdout (pretty with -p) and release it. */
void json_print(struct json_object *obj);

#endif
