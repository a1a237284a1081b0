// SPDX-License-Identifier: BSD-2-Clause
/* The port registry: destination port -> handler process, in pinned maps
 * that XDP programs read (bpf/port_maps.h) and count into. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include <fastpath/port_registry.h>

#define PORTS_PIN FP_PIN_ROOT "/maps/" FP_PORTS_MAP
#define STATS_PIN FP_PIN_ROOT "/maps/" FP_PORT_STATS_MAP

/* Same type, sizes and flags as the BPF declarations, or libbpf will not
 * reuse the pins. */
static int map_get(const char *path, enum bpf_map_type type, const char *name,
		   __u32 value_size, int create)
{
	int fd = bpf_obj_get(path), err;

	if (fd >= 0 || fd != -ENOENT || !create)
		return fd;
	fd = bpf_map_create(type, name, sizeof(__u16), value_size, FP_PORTS_MAX, NULL);
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
	r->ports_fd = map_get(PORTS_PIN, BPF_MAP_TYPE_HASH, FP_PORTS_MAP,
			      sizeof(struct fp_port_entry), create);
	if (r->ports_fd < 0)
		return r->ports_fd;
	r->stats_fd = map_get(STATS_PIN, BPF_MAP_TYPE_PERCPU_HASH, FP_PORT_STATS_MAP,
			      sizeof(struct fp_port_stats), create);
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

/* stats_sum: add the per-CPU values of one port; absent counts as zero. */
static void stats_sum(int fd, uint16_t port, struct fp_port_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fp_port_stats *v;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return;
	if (!bpf_map_lookup_elem(fd, &port, v)) {
		for (int i = 0; i < ncpu; i++) {
			sum->packets += v[i].packets;
			sum->bytes += v[i].bytes;
		}
	}
	free(v);
}

static int stats_reset(int fd, uint16_t port)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct fp_port_stats *v;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_update_elem(fd, &port, v, BPF_ANY);
	free(v);
	return err;
}

int fp_port_register(struct fp_port_registry *r, uint16_t port, uint32_t pid,
		     uint32_t addr, struct fp_port_entry *existing)
{
	struct fp_port_entry e = { .pid = pid, .addr = addr };
	struct timespec now;
	int err;

	if (!port)
		return -EINVAL;
	if (!pid_exists(pid))
		return -ESRCH;
	clock_gettime(CLOCK_REALTIME, &now);
	e.registered_ns = now.tv_sec * 1000000000ull + now.tv_nsec;
	err = bpf_map_update_elem(r->ports_fd, &port, &e, BPF_NOEXIST);
	if (err == -EEXIST && existing)
		bpf_map_lookup_elem(r->ports_fd, &port, existing);
	if (err)
		return err;
	err = stats_reset(r->stats_fd, port);
	if (err)
		bpf_map_delete_elem(r->ports_fd, &port);
	return err;
}

int fp_port_unregister(struct fp_port_registry *r, uint16_t port)
{
	int err = bpf_map_delete_elem(r->ports_fd, &port);

	if (err)
		return err;
	bpf_map_delete_elem(r->stats_fd, &port);
	return 0;
}

int fp_port_lookup(struct fp_port_registry *r, uint16_t port,
		   struct fp_port_record *rec)
{
	int err;

	memset(rec, 0, sizeof(*rec));
	rec->port = port;
	err = bpf_map_lookup_elem(r->ports_fd, &port, &rec->entry);
	if (err)
		return err;
	stats_sum(r->stats_fd, port, &rec->stats);
	return 0;
}

static int by_port(const void *a, const void *b)
{
	const struct fp_port_record *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

int fp_port_list(struct fp_port_registry *r, struct fp_port_record **out,
		 size_t *n)
{
	struct fp_port_record *recs = NULL, *p;
	uint16_t key, next;
	size_t cnt = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(r->ports_fd, prev, &next)) {
		key = next;
		prev = &key;
		p = realloc(recs, (cnt + 1) * sizeof(*recs));
		if (!p) {
			free(recs);
			return -ENOMEM;
		}
		recs = p;
		if (!fp_port_lookup(r, key, &recs[cnt]))
			cnt++;
	}
	qsort(recs, cnt, sizeof(*recs), by_port);
	*out = recs;
	*n = cnt;
	return 0;
}
