// SPDX-License-Identifier: BSD-2-Clause
/* The port registry: destination port -> handler process, in pinned maps
 * that XDP programs read (bpf/ports_stage.h) and count into. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include <fastpath/port_registry.h>

#define PORTS_PIN FP_PIN_ROOT "/maps/" FP_PORTS_MAP
#define STATS_PIN FP_PIN_ROOT "/maps/" FP_PORT_STATS_MAP

/* A pin left by another fastpath build may have another layout; using it
 * would read garbage (an older CLI looped forever in `ports list`).
 * -EPROTO unless it is exactly what we would create. */
static int map_check(int fd, enum bpf_map_type type, __u32 value_size,
		     __u32 max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != type || info.key_size != sizeof(__u32) ||
	    info.value_size != value_size || info.max_entries != max_entries)
		return -EPROTO;
	return 0;
}

/* Same type, sizes and flags as the BPF declarations, or libbpf will not
 * reuse the pins. */
static int map_get(const char *path, enum bpf_map_type type, const char *name,
		   __u32 value_size, __u32 max_entries, int create)
{
	int fd = bpf_obj_get(path), err;

	if (fd >= 0) {
		err = map_check(fd, type, value_size, max_entries);
		if (!err)
			return fd;
		close(fd);
		return err;
	}
	if (fd != -ENOENT || !create)
		return fd;
	fd = bpf_map_create(type, name, sizeof(__u32), value_size, max_entries, NULL);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, path);
	if (!err)
		return fd;
	close(fd);
	/* Another process created it first: use theirs. */
	return err == -EEXIST ? bpf_obj_get(path) : err;
}

int fp_port_registry_open(struct fp_port_registry *r, int create)
{
	r->ports_fd = map_get(PORTS_PIN, BPF_MAP_TYPE_ARRAY, FP_PORTS_MAP,
			      sizeof(struct fp_port_entry), FP_PORTS_MAX, create);
	if (r->ports_fd < 0)
		return r->ports_fd;
	r->stats_fd = map_get(STATS_PIN, BPF_MAP_TYPE_PERCPU_ARRAY, FP_PORT_STATS_MAP,
			      sizeof(struct fp_port_stats), FP_PORT_SLOTS, create);
	if (r->stats_fd >= 0)
		return 0;
	close(r->ports_fd);
	r->ports_fd = -1;
	return r->stats_fd;
}

void fp_port_registry_close(struct fp_port_registry *r)
{
	if (r->ports_fd >= 0)
		close(r->ports_fd);
	if (r->stats_fd >= 0)
		close(r->stats_fd);
	r->ports_fd = r->stats_fd = -1;
}

int fp_port_parse(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

static bool pid_exists(pid_t pid)
{
	return pid > 0 && (!kill(pid, 0) || errno == EPERM);
}

/* stats_slot: sum (or, with reset, zero) the per-CPU counters of a slot. */
static int stats_slot(int fd, __u32 slot, struct fp_port_stats *sum, bool reset)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct fp_port_stats *v;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (reset) {
		err = bpf_map_update_elem(fd, &slot, v, BPF_ANY);
	} else {
		memset(sum, 0, sizeof(*sum));
		err = bpf_map_lookup_elem(fd, &slot, v);
		for (int i = 0; !err && i < ncpu; i++) {
			sum->packets += v[i].packets;
			sum->bytes += v[i].bytes;
		}
	}
	free(v);
	return err;
}

/* read_all: every entry of fp_ports, in one batch; the caller frees. */
static int read_all(struct fp_port_registry *r, struct fp_port_entry **out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(FP_PORTS_MAX, sizeof(*keys)), out_batch, count = FP_PORTS_MAX;
	struct fp_port_entry *e = calloc(FP_PORTS_MAX, sizeof(*e));
	int err = -ENOMEM;

	if (keys && e) {
		err = bpf_map_lookup_batch(r->ports_fd, NULL, &out_batch, keys, e,
					   &count, &opts);
		/* ENOENT: the batch reached the end, which is what we asked. */
		if (err == -ENOENT || (!err && count == FP_PORTS_MAX))
			err = count == FP_PORTS_MAX ? 0 : -EIO;
	}
	free(keys);
	if (err) {
		free(e);
		return err;
	}
	*out = e;
	return 0;
}

/* free_slot: the lowest slot no registered port holds. */
static int free_slot(const struct fp_port_entry *all, __u32 *slot)
{
	static bool used[FP_PORT_SLOTS];

	memset(used, 0, sizeof(used));
	for (__u32 p = 0; p < FP_PORTS_MAX; p++)
		if (all[p].pid && all[p].slot < FP_PORT_SLOTS)
			used[all[p].slot] = true;
	for (__u32 i = 0; i < FP_PORT_SLOTS; i++) {
		if (!used[i]) {
			*slot = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Registration reads, then writes: one process at a time, through a lock
 * on the directory that holds the maps. */
static int registry_lock(void)
{
	int fd = open(FP_PIN_ROOT "/maps", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -errno;
	}
	return fd;
}

int fp_port_register(struct fp_port_registry *r, uint16_t port, uint32_t pid,
		     uint32_t addr, struct fp_port_entry *existing)
{
	struct fp_port_entry e = { .pid = pid, .addr = addr }, *all = NULL;
	__u32 key = port;
	struct timespec now;
	int lock, err;

	if (!port)
		return -EINVAL;
	if (!pid_exists(pid))
		return -ESRCH;
	lock = registry_lock();
	if (lock < 0)
		return lock;
	err = read_all(r, &all);
	if (!err && all[port].pid) {
		if (existing)
			*existing = all[port];
		err = -EEXIST;
	}
	if (!err)
		err = free_slot(all, &e.slot);
	if (!err)
		err = stats_slot(r->stats_fd, e.slot, NULL, true);
	if (!err) {
		clock_gettime(CLOCK_REALTIME, &now);
		e.registered_ns = now.tv_sec * 1000000000ull + now.tv_nsec;
		err = bpf_map_update_elem(r->ports_fd, &key, &e, BPF_ANY);
	}
	free(all);
	close(lock);
	return err;
}

int fp_port_unregister(struct fp_port_registry *r, uint16_t port)
{
	struct fp_port_entry e, zero = { 0 };
	__u32 key = port;
	int lock = registry_lock(), err;

	if (lock < 0)
		return lock;
	err = bpf_map_lookup_elem(r->ports_fd, &key, &e);
	if (!err && !e.pid)
		err = -ENOENT;
	if (!err)
		err = bpf_map_update_elem(r->ports_fd, &key, &zero, BPF_ANY);
	close(lock);
	return err;
}

int fp_port_lookup(struct fp_port_registry *r, uint16_t port,
		   struct fp_port_record *rec)
{
	__u32 key = port;
	int err;

	memset(rec, 0, sizeof(*rec));
	rec->port = port;
	err = bpf_map_lookup_elem(r->ports_fd, &key, &rec->entry);
	if (!err && !rec->entry.pid)
		err = -ENOENT;
	if (!err)
		stats_slot(r->stats_fd, rec->entry.slot, &rec->stats, false);
	return err;
}

int fp_port_list(struct fp_port_registry *r, struct fp_port_record **out,
		 size_t *n)
{
	struct fp_port_entry *all;
	struct fp_port_record *recs;
	size_t cnt = 0;
	int err = read_all(r, &all);

	if (err)
		return err;
	for (__u32 p = 0; p < FP_PORTS_MAX; p++)
		cnt += all[p].pid != 0;
	recs = calloc(cnt ? cnt : 1, sizeof(*recs));
	if (!recs) {
		free(all);
		return -ENOMEM;
	}
	cnt = 0;
	for (__u32 p = 0; p < FP_PORTS_MAX; p++) {
		if (!all[p].pid)
			continue;
		recs[cnt].port = p;
		recs[cnt].entry = all[p];
		stats_slot(r->stats_fd, all[p].slot, &recs[cnt].stats, false);
		cnt++;
	}
	free(all);
	*out = recs;
	*n = cnt;
	return 0;
}
