// SPDX-License-Identifier: BSD-2-Clause
/* fastpath functions list|restart: the handlers fastpathd runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fastpath/functions.h>
#include "cli.h"
#include "output.h"

const char functions_usage[] =
	"usage: fastpath functions list          the handlers fastpathd runs: pids, state,\n"
	"                                        restarts, connections steered to them\n"
	"       fastpath functions restart ID    restart function ID's handlers";

static void pids_str(const struct fp_function_status *s, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_pids && at < size; i++) {
		int n = s->pids[i] ? snprintf(buf + at, size - at, "%s%d", at ? "," : "", (int)s->pids[i])
				   : snprintf(buf + at, size - at, "%s-", at ? "," : "");

		if (n < 0)
			break;
		at += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

static const struct out_col status_cols[] = {
	{ "ID", "id", OUT_STR, -20 },
	{ "PORT", "port", OUT_U64, 5 },
	{ "PROTO", "protocol", OUT_STR, -5 },
	{ "PIDS", NULL, OUT_STR, -16 },
	{ NULL, "pids", OUT_JSON, 0 },
	{ "STATE", "state", OUT_STR, -8 },
	{ "RESTARTS", "restarts", OUT_U64, 8 },
	{ "CONNECTIONS", "connections", OUT_U64, 11 },
	{ NULL, "refused", OUT_U64, 0 },
	{ NULL, "netns", OUT_STR, 0 },
};

static int functions_list(int argc)
{
	struct fp_function_status *st = NULL;
	struct out_list l;
	size_t n = 0;
	int err;

	if (argc != 1)
		return fail(EXIT_USAGE, "%s", functions_usage);
	err = fp_functions_status_read(&st, &n);
	if (err && err != -ENOENT) /* no file: no fastpathd runs functions */
		return fail_errno(err, "cannot read %s", FP_FUNCTIONS_STATE);
	out_list_begin(&l, OUT_COLS(status_cols), 0);
	for (size_t i = 0; i < n; i++) {
		struct json_object *pids = json_object_new_array();
		char pidstr[256];
		union out_val v[OUT_N(status_cols)];

		for (size_t k = 0; k < st[i].n_pids; k++)
			json_object_array_add(pids, json_object_new_int(st[i].pids[k]));
		pids_str(&st[i], pidstr, sizeof(pidstr));
		v[0].s = st[i].id;
		v[1].u = st[i].port;
		v[2].s = fp_fn_protocols_str(st[i].protocols);
		v[3].s = pidstr;
		v[4].j = pids;
		v[5].s = st[i].state;
		v[6].u = st[i].restarts;
		v[7].u = st[i].steered;
		v[8].u = st[i].dropped;
		v[9].s = st[i].netns[0] ? st[i].netns : "self";
		out_list_row(&l, v); /* takes pids */
	}
	out_list_end(&l);
	free(st);
	return EXIT_OK;
}

static const struct out_col restart_cols[] = {
	{ NULL, "id", OUT_STR, 0 },
	{ NULL, "restart_requested", OUT_BOOL, 0 },
};

static int functions_restart(int argc, char **argv)
{
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "usage: fastpath functions restart ID");
	err = fp_functions_request_restart(argv[1]);
	if (err == -ESRCH)
		return fail(EXIT_RUNTIME, "no fastpathd is running; functions run "
			    "under fastpathd (fastpathd -c FILE)");
	if (err == -ENOENT)
		return fail(EXIT_RUNTIME, "no function '%s' (see fastpath functions list)",
			    argv[1]);
	if (err)
		return fail_errno(err, "cannot ask fastpathd to restart %s", argv[1]);
	{
		union out_val v[] = { { .s = argv[1] }, { .b = true } };

		out_result(OUT_COLS(restart_cols), v, "asked fastpathd to restart %s\n", argv[1]);
	}
	return EXIT_OK;
}

int cmd_functions(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "%s", functions_usage);
	if (!strcmp(argv[1], "list"))
		return functions_list(argc - 1);
	if (!strcmp(argv[1], "restart"))
		return functions_restart(argc - 1, argv + 1);
	return fail(EXIT_USAGE, "unknown functions command '%s'\n%s", argv[1], functions_usage);
}
