// SPDX-License-Identifier: BSD-2-Clause
/* The functions state file, and what the CLI reads and asks through it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <fastpath/core.h>
#include <fastpath/daemon.h>
#include <fastpath/functions.h>
#include "functions/functions_state.h"

static const char *const proto_words[] = { "none", "tcp", "udp", "both" };
static const char *const restart_words[] = { "on-failure", "always", "never" };

const char *fp_fn_protocols_str(unsigned int protocols)
{
	return proto_words[protocols & 3];
}

const char *fp_fn_restart_str(enum fp_fn_restart r)
{
	return (unsigned int)r < 3 ? restart_words[r] : "?";
}

void fp_function_config_free(struct fp_function_config *fn)
{
	char **lists[] = { fn->args, fn->env };

	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			free(lists[l][i]);
		free(lists[l]);
	}
	fn->args = fn->env = NULL;
}

int fp_fn_state_write(const struct fp_fn_state *st, size_t n)
{
	struct json_object *arr = json_object_new_array();
	const char *s;
	int err;

	if (mkdir(FP_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	for (size_t k = 0; k < n; k++) {
		struct json_object *o = json_object_new_object(), *pids, *idx, *ports;

		json_object_object_add(o, "id", json_object_new_string(st[k].id));
		json_object_object_add(o, "netns", json_object_new_string(st[k].netns));
		json_object_object_add(o, "state", json_object_new_string(st[k].state));
		json_object_object_add(o, "port", json_object_new_int(st[k].port));
		json_object_object_add(o, "protocols", json_object_new_int(st[k].protocols));
		json_object_object_add(o, "instances", json_object_new_int(st[k].instances));
		json_object_object_add(o, "restarts", json_object_new_int(st[k].restarts));
		pids = json_object_new_array();
		for (size_t i = 0; i < st[k].instances && i < FP_FN_INSTANCES_MAX; i++)
			json_object_array_add(pids, json_object_new_int(st[k].pids[i]));
		json_object_object_add(o, "pids", pids);
		idx = json_object_new_array();
		ports = json_object_new_array();
		for (size_t g = 0; g < 2; g++) {
			json_object_array_add(idx, json_object_new_int64(st[k].index[g]));
			json_object_array_add(ports, json_object_new_int(st[k].ports[g]));
		}
		json_object_object_add(o, "index", idx);
		json_object_object_add(o, "socket_ports", ports);
		json_object_array_add(arr, o);
	}
	s = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
	err = s ? fp_file_replace(FP_FUNCTIONS_STATE, s, strlen(s), 0600) : -ENOMEM;
	json_object_put(arr);
	return err;
}

static long long get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void get_str(struct json_object *o, const char *key, char *dst, size_t size)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(o, key, &v))
		snprintf(dst, size, "%s", json_object_get_string(v));
}

int fp_fn_state_read(struct fp_fn_state **out, size_t *n)
{
	struct json_object *arr, *v;
	struct fp_fn_state *st;
	size_t cnt;

	*out = NULL;
	*n = 0;
	if (access(FP_FUNCTIONS_STATE, F_OK))
		return -ENOENT;
	arr = json_object_from_file(FP_FUNCTIONS_STATE);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -EINVAL;
	}
	cnt = json_object_array_length(arr);
	st = calloc(cnt ? cnt : 1, sizeof(*st));
	if (!st) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t k = 0; k < cnt; k++) {
		struct json_object *o = json_object_array_get_idx(arr, k);

		get_str(o, "id", st[k].id, sizeof(st[k].id));
		get_str(o, "netns", st[k].netns, sizeof(st[k].netns));
		get_str(o, "state", st[k].state, sizeof(st[k].state));
		st[k].port = get_int(o, "port");
		st[k].protocols = get_int(o, "protocols");
		st[k].instances = get_int(o, "instances");
		st[k].restarts = get_int(o, "restarts");
		if (st[k].instances > FP_FN_INSTANCES_MAX)
			st[k].instances = FP_FN_INSTANCES_MAX;
		if (json_object_object_get_ex(o, "pids", &v))
			for (size_t i = 0; i < json_object_array_length(v) && i < FP_FN_INSTANCES_MAX; i++)
				st[k].pids[i] = json_object_get_int(json_object_array_get_idx(v, i));
		st[k].index[0] = st[k].index[1] = ~0u;
		if (json_object_object_get_ex(o, "index", &v))
			for (size_t g = 0; g < 2 && g < json_object_array_length(v); g++)
				st[k].index[g] = json_object_get_int64(json_object_array_get_idx(v, g));
		if (json_object_object_get_ex(o, "socket_ports", &v))
			for (size_t g = 0; g < 2 && g < json_object_array_length(v); g++)
				st[k].ports[g] = json_object_get_int(json_object_array_get_idx(v, g));
	}
	json_object_put(arr);
	*out = st;
	*n = cnt;
	return 0;
}

const struct fp_fn_state *fp_fn_state_find(const struct fp_fn_state *st, size_t n,
					   const char *id)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(st[k].id, id))
			return &st[k];
	return NULL;
}

bool fp_fn_state_pid_is_handler(pid_t pid)
{
	char path[64], buf[8192];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		buf[len] = '\0';
		if (!strncmp(buf + i, "LISTEN_FDS=", 11))
			return true;
	}
	return false;
}

int fp_functions_status_read(struct fp_function_status **out, size_t *n)
{
	struct fp_fn_state *st;
	struct fp_function_status *s;
	size_t cnt;
	int err = fp_fn_state_read(&st, &cnt);

	if (err)
		return err;
	s = calloc(cnt ? cnt : 1, sizeof(*s));
	if (!s) {
		free(st);
		return -ENOMEM;
	}
	for (size_t k = 0; k < cnt; k++) {
		struct fp_steer steer;

		memcpy(s[k].id, st[k].id, sizeof(s[k].id));
		memcpy(s[k].netns, st[k].netns, sizeof(s[k].netns));
		memcpy(s[k].state, st[k].state, sizeof(s[k].state));
		s[k].port = st[k].port;
		s[k].protocols = st[k].protocols;
		s[k].restarts = st[k].restarts;
		s[k].n_pids = st[k].instances;
		memcpy(s[k].pids, st[k].pids, sizeof(s[k].pids));
		s[k].index[0] = st[k].index[0];
		s[k].index[1] = st[k].index[1];
		if (fp_steer_open(&steer, st[k].netns, false))
			continue;
		for (size_t g = 0; g < 2; g++) {
			struct fp_fn_stats sum;

			if (st[k].index[g] < FP_FN_SOCKETS_MAX &&
			    !fp_steer_stats(&steer, st[k].index[g], &sum)) {
				s[k].steered += sum.steered;
				s[k].dropped += sum.dropped;
			}
		}
		fp_steer_close(&steer);
	}
	free(st);
	*out = s;
	*n = cnt;
	return 0;
}

int fp_functions_request_restart(const char *id)
{
	struct fp_daemon_state d;
	struct fp_fn_state *st;
	size_t n;
	FILE *f;
	int fd, err = fp_daemon_state_read(&d);

	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = fp_fn_state_read(&st, &n);
	if (err)
		return err == -ENOENT ? -ENOENT : err;
	err = fp_fn_state_find(st, n, id) ? 0 : -ENOENT;
	free(st);
	if (err)
		return err;
	fd = open(FP_FUNCTIONS_REQ, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "a");
	if (!f) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	fprintf(f, "%s\n", id);
	if (fclose(f))
		return -errno;
	return kill(d.pid, SIGUSR1) ? -errno : 0;
}
