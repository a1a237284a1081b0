// SPDX-License-Identifier: BSD-2-Clause
/* The CLI's output module: rows described once, printed as a table or
 * as JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "output.h"

void json_print(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (cli.pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
				: JSON_C_TO_STRING_PLAIN);

	puts(json_object_to_json_string_ext(obj, flags));
	fflush(stdout);
	json_object_put(obj);
}

static struct json_object *cell_json(enum out_type type, const union out_val *v)
{
	switch (type) {
	case OUT_STR:
		return v->s ? json_object_new_string(v->s) : NULL;
	case OUT_U64:
		return json_object_new_uint64(v->u);
	case OUT_I64:
		return json_object_new_int64(v->i);
	case OUT_BOOL:
		return json_object_new_boolean(v->b);
	case OUT_JSON:
		return v->j;
	}
	return NULL;
}

struct json_object *out_object(const struct out_col *cols, size_t n,
			       const union out_val *v)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		if (cols[i].key)
			json_object_object_add(o, cols[i].key, cell_json(cols[i].type, &v[i]));
		else if (cols[i].type == OUT_JSON)
			json_object_put(v[i].j);
	}
	return o;
}

void out_header(const struct out_col *cols, size_t n, int indent)
{
	bool first = true;

	printf("%*s", indent, "");
	for (size_t i = 0; i < n; i++) {
		int w = cols[i].width < 0 && i + 1 == n ? 0 : cols[i].width;

		if (!cols[i].head)
			continue;
		printf("%s%*s", first ? "" : " ", w, cols[i].head);
		first = false;
	}
	putchar('\n');
}

void out_line(const struct out_col *cols, size_t n, const union out_val *v, int indent)
{
	bool first = true;

	printf("%*s", indent, "");
	for (size_t i = 0; i < n; i++) {
		const char *sep = first ? "" : " ";
		int w = cols[i].width;

		if (cols[i].type == OUT_JSON)
			json_object_put(v[i].j);
		if (!cols[i].head)
			continue;
		first = false;
		/* The last column is not padded: no trailing blanks. */
		if (w < 0 && i + 1 == n)
			w = 0;
		switch (cols[i].type) {
		case OUT_STR:
			printf("%s%*s", sep, w, v[i].s && *v[i].s ? v[i].s : "-");
			break;
		case OUT_U64:
			printf("%s%*llu", sep, w, v[i].u);
			break;
		case OUT_I64:
			printf("%s%*lld", sep, w, v[i].i);
			break;
		case OUT_BOOL:
			printf("%s%*s", sep, w, v[i].b ? "yes" : "no");
			break;
		case OUT_JSON:
			break;
		}
	}
	putchar('\n');
}

void out_list_begin(struct out_list *l, const struct out_col *cols, size_t n, int indent)
{
	l->cols = cols;
	l->n = n;
	l->indent = indent;
	l->arr = NULL;
	if (cli.json)
		l->arr = json_object_new_array();
	else
		out_header(cols, n, indent);
}

void out_list_row(struct out_list *l, const union out_val *v)
{
	if (l->arr)
		json_object_array_add(l->arr, out_object(l->cols, l->n, v));
	else
		out_line(l->cols, l->n, v, l->indent);
}

struct json_object *out_list_take(struct out_list *l)
{
	struct json_object *arr = l->arr;

	l->arr = NULL;
	return arr;
}

void out_list_end(struct out_list *l)
{
	if (l->arr)
		json_print(out_list_take(l));
}

void out_list_drop(struct out_list *l)
{
	json_object_put(out_list_take(l));
}

void out_result(const struct out_col *cols, size_t n, const union out_val *v,
		const char *text, ...)
{
	va_list ap;

	if (cli.json) {
		json_print(out_object(cols, n, v));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (cols[i].type == OUT_JSON)
			json_object_put(v[i].j);
	if (!text)
		return;
	va_start(ap, text);
	vprintf(text, ap);
	va_end(ap);
	fflush(stdout);
}
