// SPDX-License-Identifier: BSD-2-Clause
/* Health: is what fastpath runs as it should be? Each check has a name
 * and a reason; the interfaces checked are those with a pipeline pinned
 * and those a running fastpathd manages, so that a pipeline removed
 * behind the daemon's back is found missing. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include <fastpath/daemon.h>
#include <fastpath/metrics.h>

static struct fp_health_check *add(struct fp_health *h, bool ok, const char *fmt_name,
				   const char *dev)
{
	struct fp_health_check *p = realloc(h->checks, (h->n + 1) * sizeof(*p));

	if (!p)
		return NULL;
	h->checks = p;
	p = &h->checks[h->n++];
	memset(p, 0, sizeof(*p));
	if (dev)
		snprintf(p->name, sizeof(p->name), "%s:%s", fmt_name, dev);
	else
		snprintf(p->name, sizeof(p->name), "%s", fmt_name);
	p->ok = ok;
	h->ok &= ok;
	return p;
}

/* The interface flags, or -errno (-ENODEV: no such interface). */
static int if_flags(const char *dev, short *flags)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		err = -errno;
	close(fd);
	*flags = ifr.ifr_flags;
	return err;
}

static int check_iface(struct fp_health *h, const char *dev, bool managed)
{
	struct fp_health_check *c;
	struct fp_pipeline_info info;
	struct fp_flows_counters fc;
	short flags = 0;
	int err;

	err = fp_pipeline_info(dev, &info);
	c = add(h, !err && info.link_id && info.mode[0], "pipeline_attached", dev);
	if (!c)
		return -ENOMEM;
	if (err == -ENOENT)
		snprintf(c->reason, sizeof(c->reason), "no pipeline pinned%s",
			 managed ? " (fastpathd manages this interface)" : "");
	else if (err)
		snprintf(c->reason, sizeof(c->reason), "cannot read the pipeline: %s",
			 strerror(-err));
	else if (!info.link_id)
		snprintf(c->reason, sizeof(c->reason), "its link is not pinned");
	else if (!info.mode[0])
		snprintf(c->reason, sizeof(c->reason), "program %u is not the one attached "
			 "to the interface (link %u)", info.prog_id, info.link_id);
	else
		snprintf(c->reason, sizeof(c->reason), "program %u attached in %s mode",
			 info.prog_id, info.mode);

	err = if_flags(dev, &flags);
	c = add(h, !err && (flags & IFF_UP), "interface_up", dev);
	if (!c)
		return -ENOMEM;
	if (err)
		snprintf(c->reason, sizeof(c->reason), "%s", err == -ENODEV ?
			 "no such interface" : strerror(-err));
	else
		snprintf(c->reason, sizeof(c->reason), "%s%s", flags & IFF_UP ? "up" : "down",
			 (flags & IFF_UP) && !(flags & IFF_RUNNING) ? " (no carrier)" : "");

	/* The flows table only fills while the stage is on. */
	if (!(info.stages & FP_STAGE_BIT(FP_STAGE_FLOWS)) || fp_flows_counters(dev, &fc) ||
	    !fc.capacity)
		return 0;
	unsigned long long pct = fc.in_use * 100 / fc.capacity;

	c = add(h, pct < FP_HEALTH_MAP_FILL_PCT, "map_fill", dev);
	if (!c)
		return -ENOMEM;
	snprintf(c->reason, sizeof(c->reason), "flows table %llu%% full (%llu of %llu "
		 "entries; degraded from %d%%)", pct, (unsigned long long)fc.in_use,
		 (unsigned long long)fc.capacity, FP_HEALTH_MAP_FILL_PCT);
	return 0;
}

/* The lease file is writable: the file itself when it exists, else the
 * directory it is to be created in. */
static int check_lease_db(struct fp_health *h, const struct fp_daemon_state *st)
{
	char dir[PATH_MAX];
	const char *what = st->dhcp_lease_file;
	struct fp_health_check *c;
	int err = 0;

	if (access(what, F_OK)) {
		snprintf(dir, sizeof(dir), "%s", st->dhcp_lease_file);
		what = dirname(dir);
	}
	if (access(what, W_OK))
		err = -errno;
	c = add(h, !err, "lease_db", NULL);
	if (!c)
		return -ENOMEM;
	if (err)
		snprintf(c->reason, sizeof(c->reason), "%.200s is not writable: %s", what,
			 strerror(-err));
	else
		snprintf(c->reason, sizeof(c->reason), "%.200s writable", what);
	return 0;
}

static bool listed(char (*devs)[IF_NAMESIZE], size_t n, const char *dev)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(devs[i], dev))
			return true;
	return false;
}

int fp_health_run(struct fp_health *h)
{
	char (*devs)[IF_NAMESIZE] = NULL, (*p)[IF_NAMESIZE];
	struct fp_daemon_state st;
	bool daemon;
	size_t n = 0, pinned;
	int err;

	memset(h, 0, sizeof(*h));
	h->ok = true;
	err = fp_pipeline_list(&devs, &n);
	if (err == -ENOMEM)
		return err;
	pinned = n;
	daemon = !fp_daemon_state_read(&st);
	if (daemon && st.ebpf) {
		char list[sizeof(st.interfaces)], *tok, *save;

		snprintf(list, sizeof(list), "%s", st.interfaces);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (strlen(tok) >= IF_NAMESIZE || listed(devs, n, tok))
				continue;
			p = realloc(devs, (n + 1) * sizeof(*devs));
			if (!p) {
				free(devs);
				return -ENOMEM;
			}
			devs = p;
			snprintf(devs[n++], IF_NAMESIZE, "%s", tok);
		}
	}
	for (size_t i = 0; !err && i < n; i++)
		err = check_iface(h, devs[i], i >= pinned);
	free(devs);
	if (!err && daemon && st.dhcp_interface[0] && st.dhcp_lease_file[0])
		err = check_lease_db(h, &st);
	if (err)
		fp_health_free(h);
	return err == -ENOMEM ? err : 0;
}

void fp_health_free(struct fp_health *h)
{
	free(h->checks);
	memset(h, 0, sizeof(*h));
}

void fp_health_json(const struct fp_health *h, struct fp_text *t)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "ok", json_object_new_boolean(h->ok));
	for (size_t i = 0; i < h->n; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "name", json_object_new_string(h->checks[i].name));
		json_object_object_add(c, "ok", json_object_new_boolean(h->checks[i].ok));
		json_object_object_add(c, "reason", json_object_new_string(h->checks[i].reason));
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "checks", a);
	fp_text_printf(t, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
