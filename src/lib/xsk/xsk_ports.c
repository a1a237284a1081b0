// SPDX-License-Identifier: BSD-2-Clause
/* The XSK stage's maps from userspace: DEV's steered port set, its
 * per-port counters, and the sockets' published records. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/pipeline.h>
#include <fastpath/xsk.h>

static const char *const mode_names[] = {
	[FP_XSK_AUTO] = "auto",
	[FP_XSK_ZEROCOPY] = "zero-copy",
	[FP_XSK_COPY] = "copy",
	[FP_XSK_SOCKET] = "socket",
};

const char *fp_xsk_mode_str(enum fp_xsk_mode mode)
{
	return (unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]) ?
	       mode_names[mode] : "?";
}

int fp_xsk_mode_parse(const char *s, enum fp_xsk_mode *mode)
{
	for (unsigned int m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
		if (!strcmp(s, mode_names[m])) {
			*mode = m;
			return 0;
		}
	}
	if (!strcmp(s, "zerocopy")) {
		*mode = FP_XSK_ZEROCOPY;
		return 0;
	}
	return -EINVAL;
}

int fp_xsk_rx_queues(const char *dev)
{
	char path[PATH_MAX];
	int n = 0;

	if (!dev || !*dev || strlen(dev) >= IF_NAMESIZE || strchr(dev, '/'))
		return -ENODEV;
	for (;; n++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%d", dev, n);
		if (access(path, F_OK))
			break;
	}
	if (n)
		return n;
	snprintf(path, sizeof(path), "/sys/class/net/%s", dev);
	return access(path, F_OK) ? -ENODEV : 1;
}

/* The port set's maps, opened together, under DEV's lock when edited. */
struct port_maps {
	int ports, stats, lock;
};

static void maps_close(struct port_maps *m)
{
	if (m->ports >= 0)
		close(m->ports);
	if (m->stats >= 0)
		close(m->stats);
	if (m->lock >= 0)
		close(m->lock);
}

/* maps_open: DEV's xsk_ports and xsk_stats; with LOCK, DEV's directory
 * locked exclusively, so that two editors do not give out one slot. */
static int maps_open(const char *dev, bool lock, struct port_maps *m)
{
	char path[PATH_MAX];
	int err;

	m->ports = m->stats = m->lock = -1;
	if (lock) {
		err = fp_pipeline_path(path, sizeof(path), dev, NULL);
		if (err)
			return err;
		m->lock = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (m->lock < 0 || flock(m->lock, LOCK_EX)) {
			err = -errno;
			maps_close(m);
			return err;
		}
	}
	m->ports = fp_pipeline_obj_get(dev, "xsk_ports");
	m->stats = fp_pipeline_obj_get(dev, "xsk_stats");
	if (m->ports < 0 || m->stats < 0) {
		err = m->ports < 0 ? m->ports : m->stats;
		maps_close(m);
		return err;
	}
	return 0;
}

/* read_ports: the whole port set (FP_XSK_PORTS_MAX entries); caller frees. */
static int read_ports(int fd, struct fp_xsk_port **out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(FP_XSK_PORTS_MAX, sizeof(*keys));
	struct fp_xsk_port *v = calloc(FP_XSK_PORTS_MAX, sizeof(*v));
	__u32 out_batch, count = FP_XSK_PORTS_MAX;
	int err = -ENOMEM;

	if (keys && v) {
		err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, v, &count, &opts);
		if (err == -ENOENT || !err)
			err = count == FP_XSK_PORTS_MAX ? 0 : -EIO;
	}
	free(keys);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	return 0;
}

/* slot_stats: sum a slot's per-CPU counters, or zero them (sum NULL). */
static int slot_stats(int fd, __u32 slot, struct fp_xsk_port_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct fp_xsk_port_stats *v;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (!sum) {
		err = bpf_map_update_elem(fd, &slot, v, BPF_ANY);
	} else {
		memset(sum, 0, sizeof(*sum));
		err = bpf_map_lookup_elem(fd, &slot, v);
		for (int i = 0; !err && i < ncpu; i++) {
			sum->redirected += v[i].redirected;
			sum->bytes += v[i].bytes;
			sum->no_socket += v[i].no_socket;
		}
	}
	free(v);
	return err;
}

static int free_slot(const struct fp_xsk_port *all, __u32 *slot)
{
	static bool used[FP_XSK_SLOTS];

	memset(used, 0, sizeof(used));
	for (__u32 p = 0; p < FP_XSK_PORTS_MAX; p++)
		if (all[p].proto && all[p].slot < FP_XSK_SLOTS)
			used[all[p].slot] = true;
	for (__u32 i = 0; i < FP_XSK_SLOTS; i++) {
		if (!used[i]) {
			*slot = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* add_locked: steer PORT for PROTO in ALL (the set as read), writing the
 * map; ALL is kept up to date for the next call. */
static int add_locked(struct port_maps *m, struct fp_xsk_port *all, uint16_t port,
		      uint32_t proto)
{
	struct fp_xsk_port e = all[port];
	__u32 key = port;
	int err;

	if (e.proto) {
		if ((e.proto | proto) == e.proto)
			return 0;
		e.proto |= proto;
	} else {
		e.proto = proto;
		err = free_slot(all, &e.slot);
		/* Counters start at zero before the port can count. */
		err = err ?: slot_stats(m->stats, e.slot, NULL);
		if (err)
			return err;
	}
	err = bpf_map_update_elem(m->ports, &key, &e, BPF_ANY);
	if (!err)
		all[port] = e;
	return err;
}

int fp_xsk_port_add(const char *dev, uint16_t port, uint32_t proto)
{
	struct fp_xsk_port *all = NULL;
	struct port_maps m;
	int err;

	if (!port || !proto || (proto & ~(FP_XSK_UDP | FP_XSK_TCP)))
		return -EINVAL;
	err = maps_open(dev, true, &m);
	if (err)
		return err;
	err = read_ports(m.ports, &all);
	err = err ?: add_locked(&m, all, port, proto);
	free(all);
	maps_close(&m);
	return err;
}

int fp_xsk_port_remove(const char *dev, uint16_t port)
{
	struct fp_xsk_port e, zero = { 0 };
	__u32 key = port;
	struct port_maps m;
	int err;

	err = maps_open(dev, true, &m);
	if (err)
		return err;
	err = bpf_map_lookup_elem(m.ports, &key, &e) ? -errno : 0;
	if (!err && !e.proto)
		err = -ENOENT;
	err = err ?: bpf_map_update_elem(m.ports, &key, &zero, BPF_ANY);
	maps_close(&m);
	return err;
}

int fp_xsk_port_set(const char *dev, const uint16_t *ports, size_t n, uint32_t proto)
{
	struct fp_xsk_port *all = NULL;
	struct port_maps m;
	bool *want;
	int err;

	want = calloc(FP_XSK_PORTS_MAX, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		want[ports[i]] = ports[i] != 0;
	err = maps_open(dev, true, &m);
	if (err) {
		free(want);
		return err;
	}
	err = read_ports(m.ports, &all);
	/* Removals and protocol changes first: they free the slots the
	 * additions may need; a port that stays keeps its slot. */
	for (__u32 p = 1; !err && p < FP_XSK_PORTS_MAX; p++) {
		struct fp_xsk_port e = { want[p] ? proto : 0, want[p] ? all[p].slot : 0 };

		if (!all[p].proto || all[p].proto == e.proto)
			continue;
		err = bpf_map_update_elem(m.ports, &p, &e, BPF_ANY);
		all[p] = e;
	}
	for (__u32 p = 1; !err && p < FP_XSK_PORTS_MAX; p++)
		if (want[p])
			err = add_locked(&m, all, p, proto);
	free(all);
	free(want);
	maps_close(&m);
	return err;
}

int fp_xsk_port_list(const char *dev, struct fp_xsk_port_record **out, size_t *n)
{
	struct fp_xsk_port_record *recs = NULL;
	struct fp_xsk_port *all = NULL;
	struct port_maps m;
	size_t cnt = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = maps_open(dev, false, &m);
	if (err)
		return err;
	err = read_ports(m.ports, &all);
	for (__u32 p = 1; !err && p < FP_XSK_PORTS_MAX; p++)
		cnt += all[p].proto != 0;
	if (!err && cnt) {
		recs = calloc(cnt, sizeof(*recs));
		if (!recs)
			err = -ENOMEM;
	}
	cnt = 0;
	for (__u32 p = 1; !err && recs && p < FP_XSK_PORTS_MAX; p++) {
		if (!all[p].proto)
			continue;
		recs[cnt].port = p;
		recs[cnt].proto = all[p].proto;
		err = slot_stats(m.stats, all[p].slot, &recs[cnt].stats);
		cnt++;
	}
	free(all);
	maps_close(&m);
	if (err) {
		free(recs);
		return err;
	}
	*out = recs;
	*n = cnt;
	return 0;
}

static bool pid_alive(uint32_t pid)
{
	return pid && (!kill(pid, 0) || errno == EPERM);
}

int fp_xsk_sockets(const char *dev, struct fp_xsk_socket_record **out, size_t *n)
{
	struct fp_xsk_socket_record *recs;
	int fd = fp_pipeline_obj_get(dev, "xsk_sockets"), err = 0;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return fd;
	recs = calloc(FP_XSK_QUEUES_MAX, sizeof(*recs));
	if (!recs) {
		close(fd);
		return -ENOMEM;
	}
	for (__u32 q = 0; !err && q < FP_XSK_QUEUES_MAX; q++) {
		recs[q].queue = q;
		err = bpf_map_lookup_elem(fd, &q, &recs[q].s) ? -errno : 0;
		recs[q].alive = !err && pid_alive(recs[q].s.pid);
	}
	close(fd);
	if (err) {
		free(recs);
		return err;
	}
	*out = recs;
	*n = FP_XSK_QUEUES_MAX;
	return 0;
}
