// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's state file, shared with the CLI. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <fastpath/daemon.h>

int fp_daemon_state_write(const struct fp_daemon_state *st)
{
	struct json_object *o = json_object_new_object();
	const char *tmp = FP_DAEMON_STATE ".tmp";
	int err = 0;

	if (mkdir(FP_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "config", json_object_new_string(st->config));
	json_object_object_add(o, "ebpf", json_object_new_boolean(st->ebpf));
	json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "interfaces", json_object_new_string(st->interfaces));
	json_object_object_add(o, "started", json_object_new_int64(st->started));
	json_object_object_add(o, "dhcp_interface", json_object_new_string(st->dhcp_interface));
	json_object_object_add(o, "dhcp_lease_file", json_object_new_string(st->dhcp_lease_file));
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) ||
	    rename(tmp, FP_DAEMON_STATE))
		err = errno ? -errno : -EIO;
	json_object_put(o);
	return err;
}

static void copy_str(struct json_object *o, const char *key, char *dst, size_t size)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(o, key, &v))
		snprintf(dst, size, "%s", json_object_get_string(v));
}

/* A killed daemon may linger as a zombie until its parent reaps it. */
static bool pid_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z' && state != 'X';
}

int fp_daemon_state_read(struct fp_daemon_state *st)
{
	struct json_object *o, *v;

	memset(st, 0, sizeof(*st));
	if (access(FP_DAEMON_STATE, F_OK))
		return -ENOENT;
	o = json_object_from_file(FP_DAEMON_STATE);
	if (!o)
		return -EINVAL;
	if (json_object_object_get_ex(o, "pid", &v))
		st->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "ebpf", &v))
		st->ebpf = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "started", &v))
		st->started = json_object_get_int64(v);
	copy_str(o, "config", st->config, sizeof(st->config));
	copy_str(o, "reason", st->reason, sizeof(st->reason));
	copy_str(o, "interfaces", st->interfaces, sizeof(st->interfaces));
	copy_str(o, "dhcp_interface", st->dhcp_interface, sizeof(st->dhcp_interface));
	copy_str(o, "dhcp_lease_file", st->dhcp_lease_file, sizeof(st->dhcp_lease_file));
	json_object_put(o);
	if (!pid_alive(st->pid))
		return -ESRCH;
	return 0;
}

void fp_daemon_state_remove(void)
{
	unlink(FP_DAEMON_STATE);
}
