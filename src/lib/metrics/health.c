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
#include <sys/statvfs.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include <fastpath/daemon.h>
#include <fastpath/dhcp.h>
#include <fastpath/metrics.h>

void fp_health_config_defaults(struct fp_health_config *c)
{
	*c = (struct fp_health_config){
		.map_fill_percent = FP_HEALTH_MAP_FILL_PCT,
		.drop_ratio_percent = FP_HEALTH_DROP_PCT,
		.disk_free_mb = FP_HEALTH_DISK_FREE_MB,
		.latency_ns = FP_HEALTH_LATENCY_NS,
	};
}

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

bool fp_health_fill_ok(__u64 used, __u64 max, unsigned int pct)
{
	return !max || used * 100 < (__u64)pct * max;
}

bool fp_health_cache_ok(__u64 used, __u64 max, __u64 needed, unsigned int pct)
{
	return (needed && needed <= max) || fp_health_fill_ok(used, max, pct);
}

bool fp_health_drops_ok(__u64 processed, __u64 dropped, unsigned int pct)
{
	if (processed < FP_HEALTH_DROP_MIN_PACKETS)
		return true;
	return !dropped || dropped * 100 < (__u64)pct * processed;
}

bool fp_health_latency_ok(__u64 run_ns, __u64 runs, __u64 threshold_ns)
{
	return !runs || run_ns < threshold_ns * runs;
}

bool fp_health_disk_ok(__u64 free_bytes, unsigned int min_mb)
{
	return free_bytes >= (__u64)min_mb << 20;
}

/* Entries in use in the hash map FD, counted key by key. */
static int hash_count(int fd, __u32 key_size, __u64 *n)
{
	char key[2][256];
	int i = 0;
	void *prev = NULL;

	*n = 0;
	if (key_size > sizeof(key[0]))
		return -E2BIG;
	while (!bpf_map_get_next_key(fd, prev, key[i])) {
		(*n)++;
		prev = key[i];
		i ^= 1;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* The DHCP stage's lease cache: entries in use, its size, and the most
 * leases the server's pools can bind (0: not known). */
static int lease_cache_fill(const char *dev, __u64 *used, __u64 *max, __u64 *needed)
{
	struct bpf_map_info info = { 0 };
	struct fp_dhcp_cfg c = { 0 };
	__u32 len = sizeof(info), zero = 0;
	int fd = fp_pipeline_obj_get(dev, "dhcp_cfg"), err;

	if (fd >= 0) {
		if (bpf_map_lookup_elem(fd, &zero, &c))
			c.leases_max = 0;
		close(fd);
	}
	*needed = c.leases_max;
	fd = fp_pipeline_obj_get(dev, "dhcp_leases");
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	*max = info.max_entries;
	err = err ?: hash_count(fd, info.key_size, used);
	close(fd);
	return err;
}

/* map_fill:DEV: every table of DEV's pipeline that fills up (the flows
 * table, the DHCP lease cache; the firewall's maps are sized to the rule
 * set they hold), each below the threshold. */
static int check_fill(struct fp_health *h, const char *dev, __u32 stages,
		      const struct fp_health_config *cfg)
{
	struct fp_health_check *c;
	struct fp_flows_counters fc;
	char what[2][112];
	int n = 0, bad = 0;
	__u64 used, max, needed;

	/* Each CPU has its own region of the flows table and evicts when it
	 * is full, whatever the others hold: the fullest one is judged. */
	if ((stages & FP_STAGE_BIT(FP_STAGE_FLOWS)) && !fp_flows_counters(dev, &fc) &&
	    fc.per_cpu) {
		bool ok = fp_health_fill_ok(fc.in_use_max, fc.per_cpu, cfg->map_fill_percent);

		snprintf(what[n++], sizeof(what[0]), "flows table %llu%% full on the fullest "
			 "CPU (%llu of %u entries; %llu of %llu on all)",
			 (unsigned long long)(fc.in_use_max * 100 / fc.per_cpu),
			 (unsigned long long)fc.in_use_max, fc.per_cpu,
			 (unsigned long long)fc.in_use, (unsigned long long)fc.capacity);
		bad |= !ok;
	}
	if ((stages & FP_STAGE_BIT(FP_STAGE_DHCP)) &&
	    !lease_cache_fill(dev, &used, &max, &needed) && max) {
		bool ok = fp_health_cache_ok(used, max, needed, cfg->map_fill_percent);

		snprintf(what[n++], sizeof(what[0]), "DHCP lease cache %llu%% full (%llu of %llu%s)",
			 (unsigned long long)(used * 100 / max), (unsigned long long)used,
			 (unsigned long long)max, needed && needed <= max ?
			 ": room for every lease the pools can bind" : "");
		bad |= !ok << 1;
	}
	if (!n)
		return 0;
	c = add(h, !bad, "map_fill", dev);
	if (!c)
		return -ENOMEM;
	snprintf(c->reason, sizeof(c->reason), "%s%s%s (degraded from %u%%)", what[0],
		 n > 1 ? "; " : "", n > 1 ? what[1] : "", cfg->map_fill_percent);
	return 0;
}

/* drop_ratio:DEV: the share of the packets the pipeline ran on that it
 * dropped, over the counters' whole life (they start at zero when the
 * pipeline is made; reloads keep them), judged from
 * FP_HEALTH_DROP_MIN_PACKETS packets on. */
static int check_drops(struct fp_health *h, const char *dev,
		       const struct fp_health_config *cfg)
{
	struct fp_pipeline_stats *s = malloc(sizeof(*s));
	struct fp_health_check *c;
	__u64 all = 0, drop;

	if (!s)
		return -ENOMEM;
	if (fp_pipeline_stats(dev, s)) {
		free(s);
		return 0;
	}
	for (int v = 0; v < FP_VERDICT_MAX; v++)
		all += s->c[FP_STAGE_PIPELINE][v].packets;
	drop = s->c[FP_STAGE_PIPELINE][1 /* XDP_DROP */].packets;
	free(s);
	c = add(h, fp_health_drops_ok(all, drop, cfg->drop_ratio_percent), "drop_ratio", dev);
	if (!c)
		return -ENOMEM;
	if (all < FP_HEALTH_DROP_MIN_PACKETS)
		snprintf(c->reason, sizeof(c->reason), "%llu of %llu packets dropped since the "
			 "pipeline was made; judged from %d packets on",
			 (unsigned long long)drop, (unsigned long long)all,
			 FP_HEALTH_DROP_MIN_PACKETS);
	else
		snprintf(c->reason, sizeof(c->reason), "%.1f%% of packets dropped since the "
			 "pipeline was made (%llu of %llu; degraded from %u%%)",
			 100.0 * (double)drop / (double)all, (unsigned long long)drop,
			 (unsigned long long)all, cfg->drop_ratio_percent);
	return 0;
}

/* latency:DEV: the mean run time of DEV's pipeline program, from the
 * kernel's run-time statistics, while they are on. */
static int check_latency(struct fp_health *h, const char *dev, __u32 prog_id,
			 const struct fp_health_config *cfg)
{
	struct fp_health_check *c;
	struct fp_prog_info p;
	int fd = bpf_prog_get_fd_by_id(prog_id), err;

	if (fd < 0)
		return 0;
	err = fp_prog_info_by_fd(fd, &p);
	close(fd);
	if (err)
		return 0;
	c = add(h, fp_health_latency_ok(p.run_time_ns, p.run_cnt, cfg->latency_ns), "latency", dev);
	if (!c)
		return -ENOMEM;
	if (!p.run_cnt)
		snprintf(c->reason, sizeof(c->reason), "no run measured yet");
	else
		snprintf(c->reason, sizeof(c->reason), "program %u runs in %.3f us on average "
			 "(%llu runs measured; degraded from %.3f us)", prog_id,
			 (double)p.run_time_ns / (double)p.run_cnt / 1000.0,
			 (unsigned long long)p.run_cnt, (double)cfg->latency_ns / 1000.0);
	return 0;
}

static int check_iface(struct fp_health *h, const char *dev, bool managed,
		       const struct fp_health_config *cfg, bool stats_on)
{
	struct fp_health_check *c;
	struct fp_pipeline_info info;
	short flags = 0;
	int err, perr;

	perr = err = fp_pipeline_info(dev, &info);
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

	if (perr)
		return 0;
	err = check_fill(h, dev, info.stages, cfg);
	err = err ?: check_drops(h, dev, cfg);
	if (!err && stats_on && info.prog_id)
		err = check_latency(h, dev, info.prog_id, cfg);
	return err;
}

/* The lease file is writable: the file itself when it exists, else the
 * directory it is to be created in; and the server writes it (its journal
 * stopped after a failed write or sync, or the file moved under it). */
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
	c = add(h, !err && !st->dhcp_no_store, "lease_db", NULL);
	if (!c)
		return -ENOMEM;
	if (!err && st->dhcp_no_store)
		snprintf(c->reason, sizeof(c->reason), "fastpathd cannot write %.150s: no "
			 "ACK is sent until it can (its log says why)", st->dhcp_lease_file);
	else if (err)
		snprintf(c->reason, sizeof(c->reason), "%.200s is not writable: %s", what,
			 strerror(-err));
	else
		snprintf(c->reason, sizeof(c->reason), "%.200s writable", what);
	return 0;
}

/* disk_space: free space where the lease file is, for its journal to
 * grow and be compacted. */
static int check_disk(struct fp_health *h, const struct fp_daemon_state *st,
		      const struct fp_health_config *cfg)
{
	char buf[PATH_MAX], *dir;
	struct fp_health_check *c;
	struct statvfs fs;
	__u64 free_b;

	snprintf(buf, sizeof(buf), "%s", st->dhcp_lease_file);
	dir = dirname(buf);
	if (statvfs(dir, &fs))
		return 0; /* lease_db says what is wrong with the directory */
	free_b = (__u64)fs.f_bavail * fs.f_frsize;
	c = add(h, fp_health_disk_ok(free_b, cfg->disk_free_mb), "disk_space", NULL);
	if (!c)
		return -ENOMEM;
	snprintf(c->reason, sizeof(c->reason), "%llu MB free on %.200s (degraded below %u MB)",
		 (unsigned long long)(free_b >> 20), dir, cfg->disk_free_mb);
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
	return fp_health_run_with(h, NULL);
}

int fp_health_run_with(struct fp_health *h, const struct fp_health_config *cfg)
{
	struct fp_health_config def;
	bool stats_on;
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
	if (!cfg) {
		fp_health_config_defaults(&def);
		cfg = daemon ? &st.health : &def;
	}
	stats_on = cfg->latency_stats || fp_bpf_stats_enabled();
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
		err = check_iface(h, devs[i], i >= pinned, cfg, stats_on);
	free(devs);
	if (!err && daemon && st.dhcp_interface[0] && st.dhcp_lease_file[0]) {
		err = check_lease_db(h, &st);
		err = err ?: check_disk(h, &st, cfg);
	}
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
