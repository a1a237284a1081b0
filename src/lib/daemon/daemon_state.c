// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's state file, shared with the CLI. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <fastpath/core.h>
#include <fastpath/daemon.h>

/* {"name": count, ...} of N counters named by NAME(i). */
static struct json_object *counts(const unsigned long long *v, size_t n,
				  const char *(*name)(int))
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, name((int)i), json_object_new_int64((int64_t)v[i]));
	return o;
}

static const char *repair_name(int i)
{
	return fp_repair_name((enum fp_repair)i);
}

static const char *alert_name(int i)
{
	return fp_alert_name((enum fp_alert)i);
}

static void counts_read(struct json_object *o, const char *key, unsigned long long *v,
			size_t n, const char *(*name)(int))
{
	struct json_object *c, *x;

	if (!json_object_object_get_ex(o, key, &c))
		return;
	for (size_t i = 0; i < n; i++)
		if (json_object_object_get_ex(c, name((int)i), &x))
			v[i] = (unsigned long long)json_object_get_int64(x);
}

static void heal_write(struct json_object *o, const struct fp_daemon_state *st)
{
	unsigned long long active[FP_ALERT_MAX];

	for (size_t i = 0; i < FP_ALERT_MAX; i++)
		active[i] = st->alerts_active[i];
	json_object_object_add(o, "mode", json_object_new_string(st->mode));
	json_object_object_add(o, "repairing", json_object_new_boolean(st->repairing));
	json_object_object_add(o, "problems", json_object_new_string(st->problems));
	json_object_object_add(o, "repairs", counts(st->repairs, FP_REPAIR_MAX, repair_name));
	json_object_object_add(o, "alerts_total", counts(st->alerts_total, FP_ALERT_MAX,
							 alert_name));
	json_object_object_add(o, "alerts_active", counts(active, FP_ALERT_MAX, alert_name));
}

/* The thresholds it runs with: the health checks of fastpath health and
 * /health judge by them. */
static void health_write(struct json_object *o, const struct fp_health_config *c)
{
	struct json_object *h = json_object_new_object();

	json_object_object_add(h, "map_fill_percent", json_object_new_int64(c->map_fill_percent));
	json_object_object_add(h, "drop_ratio_percent",
			       json_object_new_int64(c->drop_ratio_percent));
	json_object_object_add(h, "disk_free_mb", json_object_new_int64(c->disk_free_mb));
	json_object_object_add(h, "latency_ns", json_object_new_int64((int64_t)c->latency_ns));
	json_object_object_add(h, "latency_stats", json_object_new_boolean(c->latency_stats));
	json_object_object_add(o, "health", h);
}

/* What is absent keeps its default (a state file of an older daemon). */
static void health_read(struct json_object *o, struct fp_health_config *c)
{
	struct json_object *h, *v;

	fp_health_config_defaults(c);
	if (!json_object_object_get_ex(o, "health", &h))
		return;
	if (json_object_object_get_ex(h, "map_fill_percent", &v))
		c->map_fill_percent = (unsigned int)json_object_get_int64(v);
	if (json_object_object_get_ex(h, "drop_ratio_percent", &v))
		c->drop_ratio_percent = (unsigned int)json_object_get_int64(v);
	if (json_object_object_get_ex(h, "disk_free_mb", &v))
		c->disk_free_mb = (unsigned int)json_object_get_int64(v);
	if (json_object_object_get_ex(h, "latency_ns", &v))
		c->latency_ns = (unsigned long long)json_object_get_int64(v);
	if (json_object_object_get_ex(h, "latency_stats", &v))
		c->latency_stats = json_object_get_boolean(v);
}

static void heal_read(struct json_object *o, struct fp_daemon_state *st)
{
	unsigned long long active[FP_ALERT_MAX] = { 0 };
	struct json_object *v;

	if (json_object_object_get_ex(o, "repairing", &v))
		st->repairing = json_object_get_boolean(v);
	counts_read(o, "repairs", st->repairs, FP_REPAIR_MAX, repair_name);
	counts_read(o, "alerts_total", st->alerts_total, FP_ALERT_MAX, alert_name);
	counts_read(o, "alerts_active", active, FP_ALERT_MAX, alert_name);
	for (size_t i = 0; i < FP_ALERT_MAX; i++)
		st->alerts_active[i] = (unsigned int)active[i];
}

int fp_daemon_state_write(const struct fp_daemon_state *st)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	int err;

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
	json_object_object_add(o, "dhcp_no_store", json_object_new_boolean(st->dhcp_no_store));
	heal_write(o, st);
	health_write(o, &st->health);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	err = s ? fp_file_replace(FP_DAEMON_STATE, s, strlen(s), 0600) : -ENOMEM;
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
	if (json_object_object_get_ex(o, "dhcp_no_store", &v))
		st->dhcp_no_store = json_object_get_boolean(v);
	copy_str(o, "config", st->config, sizeof(st->config));
	copy_str(o, "reason", st->reason, sizeof(st->reason));
	copy_str(o, "interfaces", st->interfaces, sizeof(st->interfaces));
	copy_str(o, "dhcp_interface", st->dhcp_interface, sizeof(st->dhcp_interface));
	copy_str(o, "dhcp_lease_file", st->dhcp_lease_file, sizeof(st->dhcp_lease_file));
	copy_str(o, "mode", st->mode, sizeof(st->mode));
	copy_str(o, "problems", st->problems, sizeof(st->problems));
	heal_read(o, st);
	health_read(o, &st->health);
	json_object_put(o);
	if (!pid_alive(st->pid))
		return -ESRCH;
	return 0;
}

void fp_daemon_state_remove(void)
{
	unlink(FP_DAEMON_STATE);
}
