// SPDX-License-Identifier: BSD-2-Clause
/* The functions: section of the configuration (docs/functions.md): the
 * handlers fastpathd starts and the ports steered to them. Its values
 * live at the top of struct fp_config (functions, n_functions). What the
 * file alone cannot tell (the handler is executable, the user exists) is
 * fp_functions_preflight's, at the end. */
#include <errno.h>
#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "config/schema.h"

static int p_function_id(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "an id like my-api");

	(void)f;
	if (!s)
		return -EINVAL;
	if (!fp_name_valid(s)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a valid id: 1-%d characters "
		       "of A-Z a-z 0-9 _ -", s, FP_NAME_MAX - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static int p_fn_protocol(struct walk *w, yaml_node_t *n, const char *path,
			 void *dst, const struct field *f)
{
	static const char *const words[] = { "tcp", "udp", "both" };
	static const unsigned int protos[] = { FP_FN_TCP, FP_FN_UDP, FP_FN_BOTH };
	int i = fp_cfg_word(w, n, path, words, ARRAY_SIZE(words), "tcp, udp or both");

	(void)f;
	if (i < 0)
		return i;
	*(unsigned int *)dst = protos[i];
	return 0;
}

static int p_fn_restart(struct walk *w, yaml_node_t *n, const char *path,
			void *dst, const struct field *f)
{
	static const char *const words[] = { "on-failure", "always", "never" };
	int i = fp_cfg_word(w, n, path, words, ARRAY_SIZE(words), "always, on-failure or never");

	(void)f;
	if (i < 0)
		return i;
	*(enum fp_fn_restart *)dst = (enum fp_fn_restart)i;
	return 0;
}

/* p_fn_addresses: a list of CIDRs (or one), into fn->addresses. */
static int p_fn_addresses(struct walk *w, yaml_node_t *n, const char *path,
			  void *dst, const struct field *f)
{
	struct fp_function_config *fn = dst;
	bool list = n->type == YAML_SEQUENCE_NODE;
	size_t cnt = list ? (size_t)(n->data.sequence.items.top -
				     n->data.sequence.items.start) : 1;
	int ret = 0;

	(void)f;
	if (cnt > FP_FN_ADDRS_MAX) {
		fp_cfg_report(w, n, path, "has %zu addresses; at most %d are allowed",
			      cnt, FP_FN_ADDRS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = list ? fp_cfg_node_at(w, n->data.sequence.items.start[i]) : n;
		char at[PATH_BUF];
		const char *s;

		fp_cfg_path_item(at, path, i, NULL);
		s = fp_cfg_value_of(w, item, list ? at : path, "an IP address or CIDR");
		if (!s || fp_cfg_cidr(w, item, list ? at : path, s,
				      &fn->addresses[fn->n_addresses])) {
			ret = -EINVAL;
			continue;
		}
		fn->n_addresses++;
	}
	return ret;
}

/* p_fn_args: a list of words, into a NULL-terminated array. */
static int p_fn_args(struct walk *w, yaml_node_t *n, const char *path,
		     void *dst, const struct field *f)
{
	char ***out = dst;
	size_t cnt;

	(void)f;
	if (fp_cfg_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		fp_cfg_report(w, n, path, "expected a list of arguments, got %s; write "
			      "[--port, \"8080\"]", fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > FP_FN_ARGS_MAX) {
		fp_cfg_report(w, n, path, "has %zu arguments; at most %d are allowed",
			      cnt, FP_FN_ARGS_MAX);
		return -EINVAL;
	}
	*out = calloc(cnt + 1, sizeof(char *));
	if (!*out) {
		w->nomem = true;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = fp_cfg_node_at(w, n->data.sequence.items.start[i]);
		char at[PATH_BUF];
		const char *s;

		fp_cfg_path_item(at, path, i, NULL);
		s = fp_cfg_value_of(w, item, at, "a word");
		if (!s)
			return -EINVAL;
		(*out)[i] = strdup(s);
		if (!(*out)[i]) {
			w->nomem = true;
			return -ENOMEM;
		}
	}
	return 0;
}

static bool env_name_valid(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* p_fn_env: a mapping NAME: value, into "NAME=value" strings. */
static int p_fn_env(struct walk *w, yaml_node_t *n, const char *path,
		    void *dst, const struct field *f)
{
	char ***out = dst;
	size_t cnt, i = 0;

	(void)f;
	if (fp_cfg_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		fp_cfg_report(w, n, path, "expected a mapping NAME: value, got %s",
			      fp_cfg_kind_name(n));
		return -EINVAL;
	}
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (cnt > FP_FN_ENV_MAX) {
		fp_cfg_report(w, n, path, "has %zu variables; at most %d are allowed",
			      cnt, FP_FN_ENV_MAX);
		return -EINVAL;
	}
	*out = calloc(cnt + 1, sizeof(char *));
	if (!*out) {
		w->nomem = true;
		return -ENOMEM;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = fp_cfg_node_at(w, p->key), *v = fp_cfg_node_at(w, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ?
				  (const char *)k->data.scalar.value : "";
		char at[PATH_BUF];
		const char *val;

		fp_cfg_path_key(at, path, key);
		if (!env_name_valid(key)) {
			fp_cfg_report(w, k, at, "'" SHOW "' is not a variable name (letters, "
				      "digits and _, not starting with a digit)", key);
			return -EINVAL;
		}
		val = fp_cfg_value_of(w, v, at, "a value");
		if (!val)
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			size_t len = strlen(key);

			if (!strncmp((*out)[j], key, len) && (*out)[j][len] == '=') {
				fp_cfg_report(w, k, at, "given twice in one mapping; keep one");
				return -EINVAL;
			}
		}
		if (asprintf(&(*out)[i], "%s=%s", key, val) < 0) {
			(*out)[i] = NULL;
			w->nomem = true;
			return -ENOMEM;
		}
		i++;
	}
	return 0;
}

static int p_fn_name(struct walk *w, yaml_node_t *n, const char *path,
		     void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, f->hint);

	if (!s)
		return -EINVAL;
	if (!*s || strlen(s) > 32) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a user or group name", s);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

/* p_fn_netns: NAME (as `ip netns add NAME` makes) or a path. */
static int p_fn_netns(struct walk *w, yaml_node_t *n, const char *path,
		      void *dst, const struct field *f)
{
	const char *s = fp_cfg_value_of(w, n, path, "a network namespace name or path");

	(void)f;
	if (!s)
		return -EINVAL;
	if (s[0] == '/' ? strlen(s) >= PATH_MAX : !fp_name_valid(s)) {
		fp_cfg_report(w, n, path, "'" SHOW "' is not a namespace name (as `ip "
			      "netns add NAME` makes) or an absolute path", s);
		return -EINVAL;
	}
	snprintf(dst, PATH_MAX, "%s%s", s[0] == '/' ? "" : "/run/netns/", s);
	return 0;
}

static const struct field function_fields[] = {
	{ .key = "id", .parse = p_function_id,
	  .off = offsetof(struct fp_function_config, id),
	  .required = true, .hint = "a name like my-api" },
	{ .key = "trigger_port", .parse = fp_cfg_u16,
	  .off = offsetof(struct fp_function_config, trigger_port),
	  .required = true, .hint = "the port that reaches it, 1-65535",
	  .min = 1, .max = 65535 },
	{ .key = "handler_path", .parse = fp_cfg_abspath,
	  .off = offsetof(struct fp_function_config, handler_path),
	  .required = true, .hint = "the absolute path of the handler program" },
	{ .key = "protocol", .parse = p_fn_protocol,
	  .off = offsetof(struct fp_function_config, protocols) },
	{ .key = "addresses", .parse = p_fn_addresses },
	{ .key = "args", .parse = p_fn_args,
	  .off = offsetof(struct fp_function_config, args) },
	{ .key = "env", .parse = p_fn_env,
	  .off = offsetof(struct fp_function_config, env) },
	{ .key = "instances", .parse = fp_cfg_u32,
	  .off = offsetof(struct fp_function_config, instances),
	  .min = 1, .max = FP_FN_INSTANCES_MAX },
	{ .key = "user", .parse = p_fn_name, .hint = "a user name",
	  .off = offsetof(struct fp_function_config, user) },
	{ .key = "group", .parse = p_fn_name, .hint = "a group name",
	  .off = offsetof(struct fp_function_config, group) },
	{ .key = "restart", .parse = p_fn_restart,
	  .off = offsetof(struct fp_function_config, restart) },
	{ .key = "netns", .parse = p_fn_netns,
	  .off = offsetof(struct fp_function_config, netns) },
};

static const struct schema function_schema = {
	function_fields, ARRAY_SIZE(function_fields), NULL
};

static int function_item(struct walk *w, yaml_node_t *n, const char *path,
			 void *item)
{
	struct fp_function_config *fn = item;

	fn->line = fp_cfg_line_of(n);
	fn->protocols = FP_FN_TCP;
	fn->instances = 1;
	fn->restart = FP_FN_RESTART_ON_FAILURE;
	fn->uid = getuid();
	fn->gid = getgid();
	return fp_cfg_walk_map(w, n, path, &function_schema, fn);
}

static int cmp_fn_id(const void *a, const void *b)
{
	return strcmp(((const struct fp_function_config *)a)->id,
		      ((const struct fp_function_config *)b)->id);
}

static void say_dup_id(struct walk *w, const char *path, const void *base,
		       size_t later, size_t first)
{
	const struct fp_function_config *fn = base;
	char at[PATH_BUF];

	if (!fn[later].id[0])
		return;
	fp_cfg_path_item(at, path, later, "id");
	fp_cfg_report_at(w, fn[later].line, at, "'%s' is already the id of the function "
		  "on line %u; ids must be unique", fn[later].id, fn[first].line);
}

/* port_clashes: two functions on one port and protocol in one namespace
 * (their addresses may differ, but one socket group per port keeps it
 * simple). TCP and UDP on one port may be two functions'. */
static void port_clashes(struct walk *w, const char *path,
			 const struct fp_function_config *fn, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			char at[PATH_BUF];

			if (!fn[i].trigger_port || fn[i].trigger_port != fn[j].trigger_port ||
			    !(fn[i].protocols & fn[j].protocols) || strcmp(fn[i].netns, fn[j].netns))
				continue;
			fp_cfg_path_item(at, path, i, "trigger_port");
			fp_cfg_report_at(w, fn[i].line, at, "port %u already triggers '%s' "
					 "(line %u) over %s; give each function its own port",
					 fn[i].trigger_port, fn[j].id, fn[j].line,
					 fp_fn_protocols_str(fn[i].protocols & fn[j].protocols));
			break;
		}
	}
}

static int p_functions(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f)
{
	struct fp_config *cfg = dst;
	unsigned int before = w->n_errors;
	void *arr;

	(void)f;
	fp_cfg_walk_list(w, n, path, "functions", FP_CONFIG_FUNCTIONS_MAX,
		  sizeof(*cfg->functions), &arr, &cfg->n_functions, function_item);
	cfg->functions = arr;
	if (w->nomem)
		return -ENOMEM;
	/* Items that failed to parse are zero where they failed: skipped. */
	fp_cfg_each_dup(w, path, cfg->functions, cfg->n_functions, sizeof(*cfg->functions),
		 cmp_fn_id, say_dup_id);
	port_clashes(w, path, cfg->functions, cfg->n_functions);
	return w->n_errors == before && !w->nomem ? 0 : -EINVAL;
}

static void functions_free(void *dst)
{
	struct fp_config *cfg = dst;

	for (size_t i = 0; cfg->functions && i < cfg->n_functions; i++)
		fp_function_config_free(&cfg->functions[i]);
	free(cfg->functions);
	cfg->functions = NULL;
	cfg->n_functions = 0;
}

/* A trigger port must not be the metrics endpoint's (TCP), nor (UDP) the
 * DHCP server's in the daemon's own namespace. */
static void functions_check(struct walk *w, const struct fp_cfg_root *root,
			    const struct seen *self, void *dst)
{
	struct fp_config *cfg = dst;

	if (!self->ok)
		return;
	for (size_t i = 0; fp_cfg_root_usable(root, "orchestrator") && i < cfg->n_functions; i++) {
		char at[PATH_BUF];

		if (!cfg->prometheus_port || !(cfg->functions[i].protocols & FP_FN_TCP) ||
		    cfg->functions[i].trigger_port != cfg->prometheus_port)
			continue;
		fp_cfg_path_item(at, "functions", i, "trigger_port");
		fp_cfg_report_at(w, cfg->functions[i].line, at, "port %d is "
				 "orchestrator.prometheus_port; pick another port for "
				 "one of them", cfg->prometheus_port);
	}
	for (size_t i = 0; fp_cfg_root_usable(root, "dhcp") && cfg->dhcp.present &&
	     i < cfg->n_functions; i++) {
		const struct fp_function_config *fn = &cfg->functions[i];
		char at[PATH_BUF];

		if (!(fn->protocols & FP_FN_UDP) || (fn->trigger_port != 67 &&
						     fn->trigger_port != 68) || fn->netns[0])
			continue;
		fp_cfg_path_item(at, "functions", i, "trigger_port");
		fp_cfg_report_at(w, fn->line, at, "UDP port %u is the DHCP server's (the "
				 "dhcp section); pick another port, or protocol: tcp",
				 fn->trigger_port);
	}
}

const struct fp_cfg_section fp_functions_section = {
	.key = "functions",
	.parse = p_functions,
	.free = functions_free,
	.check = functions_check,
};

/* ---- against this system ------------------------------------------------ */

static void __attribute__((format(printf, 5, 6)))
add(struct fp_config_error *err, const char *file, const struct fp_function_config *fn,
    size_t i, const char *fmt, ...)
{
	size_t used = strlen(err->msg);
	va_list ap;
	int n;

	if (used + 2 >= sizeof(err->msg))
		return;
	n = snprintf(err->msg + used, sizeof(err->msg) - used, "%s%s:%u: functions[%zu].",
		     used ? "\n" : "", file, fn->line, i);
	if (n < 0 || (size_t)n >= sizeof(err->msg) - used)
		return;
	used += (size_t)n;
	va_start(ap, fmt);
	vsnprintf(err->msg + used, sizeof(err->msg) - used, fmt, ap);
	va_end(ap);
}

int fp_functions_preflight(struct fp_function_config *fns, size_t n, const char *file,
			   struct fp_config_error *err)
{
	err->msg[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct fp_function_config *fn = &fns[i];

		if (access(fn->handler_path, X_OK))
			add(err, file, fn, i, "handler_path: %.512s: %s; give the path of an "
			    "executable handler (chmod +x it if it is a script)",
			    fn->handler_path, strerror(errno));
		if (fn->user[0]) {
			struct passwd *pw = getpwnam(fn->user);

			if (!pw) {
				add(err, file, fn, i, "user: no user '%s' on this system; "
				    "create it or name an existing one", fn->user);
			} else {
				fn->uid = pw->pw_uid;
				fn->gid = pw->pw_gid;
			}
		}
		if (fn->group[0]) {
			struct group *gr = getgrnam(fn->group);

			if (!gr)
				add(err, file, fn, i, "group: no group '%s' on this system; "
				    "create it or name an existing one", fn->group);
			else
				fn->gid = gr->gr_gid;
		}
		if (fn->netns[0] && access(fn->netns, F_OK))
			add(err, file, fn, i, "netns: %.512s: %s; create the namespace "
			    "first (ip netns add NAME)", fn->netns, strerror(errno));
	}
	return err->msg[0] ? -EINVAL : 0;
}
