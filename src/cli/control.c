// SPDX-License-Identifier: BSD-2-Clause
/* The verbs that talk to a running fastpathd over its root-only control
 * socket: fastpath debug --log-level LEVEL (no restart, no reload) and
 * fastpath reload (SIGHUP's work, with its outcome as the answer). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <fastpath/core.h>
#include <fastpath/daemon.h>
#include "cli.h"

const char debug_usage[] =
	"usage: fastpath debug --log-level debug|info|warn|error\n"
	"       set a running fastpathd's log level (root only)";

const char reload_usage[] =
	"usage: fastpath reload\n"
	"       make a running fastpathd read its configuration file again; exit 0\n"
	"       when it applied it, 1 (with the reason) when the running one stays";

static int ask(const char *req)
{
	char reply[FP_CONTROL_MSG_MAX];
	int err = fp_control_request(FP_CONTROL_SOCK, req, reply, sizeof(reply));

	if (err == -ENOENT || err == -ECONNREFUSED)
		return fail(EXIT_RUNTIME, "fastpathd is not running (nothing listens on %s); "
			    "start it, or see fastpath status", FP_CONTROL_SOCK);
	if (err == -EACCES || err == -EPERM)
		return fail(EXIT_RUNTIME, "cannot reach %s: %s; run as root", FP_CONTROL_SOCK,
			    strerror(-err));
	if (err)
		return fail_errno(err, "no answer from fastpathd on %s", FP_CONTROL_SOCK);
	if (strncmp(reply, "ok: ", 4))
		return fail(EXIT_RUNTIME, "fastpathd: %s", reply);
	if (cli.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "reply", json_object_new_string(reply + 4));
		json_print(o);
	} else {
		printf("%s\n", reply + 4);
	}
	return EXIT_OK;
}

int cmd_debug(int argc, char **argv)
{
	enum fp_log_level level;
	char req[64];

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return puts(debug_usage), EXIT_OK;
	if (argc != 3 || strcmp(argv[1], "--log-level"))
		return fail(EXIT_USAGE, "%s", debug_usage);
	if (fp_log_level_parse(argv[2], &level))
		return fail(EXIT_USAGE, "--log-level takes debug, info, warn or error, not "
			    "'%s'", argv[2]);
	snprintf(req, sizeof(req), "log-level %s", fp_log_level_str(level));
	return ask(req);
}

int cmd_reload(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return puts(reload_usage), EXIT_OK;
	if (argc != 1)
		return fail(EXIT_USAGE, "%s", reload_usage);
	return ask("reload");
}
