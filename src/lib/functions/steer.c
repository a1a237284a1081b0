// SPDX-License-Identifier: BSD-2-Clause
/* Steering: the sk_lookup program of a network namespace and its maps,
 * pinned under FP_FUNCTIONS_DIR/netns:INODE/ (link, bindings, sockets,
 * stats). The link keeps the program attached when no process holds it,
 * so steering outlives the CLI and a restarting fastpathd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include <fastpath/functions.h>
#include "bpf/functions_sk_lookup.skel.h"

static const char *const map_pins[] = { "bindings", "sockets", "stats" };

struct fp_cidr fp_fn_prefix_any(int family)
{
	struct fp_cidr p = { .family = family };

	return p;
}

static int pin_path(char *buf, size_t size, const struct fp_steer *s, const char *obj)
{
	int n = snprintf(buf, size, "%s/%s", s->dir, obj);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int open_maps(struct fp_steer *s)
{
	int *fds[] = { &s->bindings_fd, &s->sockets_fd, &s->stats_fd };
	char path[160];

	for (size_t i = 0; i < 3; i++) {
		pin_path(path, sizeof(path), s, map_pins[i]);
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			int err = *fds[i];

			fp_steer_close(s);
			return err;
		}
	}
	return 0;
}

/* load_and_attach: the program, its maps pinned in s->dir, its link to
 * the namespace NS_FD pinned as s->dir/link. */
static int load_and_attach(struct fp_steer *s, int ns_fd)
{
	struct functions_sk_lookup *skel = functions_sk_lookup__open();
	struct bpf_map *maps[3];
	char path[160];
	int err, link;

	if (!skel)
		return -errno;
	maps[0] = skel->maps.fp_fn_bindings;
	maps[1] = skel->maps.fp_fn_sockets;
	maps[2] = skel->maps.fp_fn_stats;
	for (size_t i = 0; i < 3; i++) {
		pin_path(path, sizeof(path), s, map_pins[i]);
		err = bpf_map__set_pin_path(maps[i], path);
		if (err)
			goto out;
	}
	err = functions_sk_lookup__load(skel);
	if (err)
		goto out;
	link = bpf_link_create(bpf_program__fd(skel->progs.fp_functions_lookup),
			       ns_fd, BPF_SK_LOOKUP, NULL);
	if (link < 0) {
		err = link;
		goto out;
	}
	pin_path(path, sizeof(path), s, "link");
	err = bpf_obj_pin(link, path);
	close(link);
out:
	functions_sk_lookup__destroy(skel);
	return err;
}

int fp_steer_open(struct fp_steer *s, const char *netns, bool create)
{
	char path[160];
	struct stat st;
	int ns_fd, dir_fd = -1, err;

	memset(s, 0, sizeof(*s));
	s->bindings_fd = s->sockets_fd = s->stats_fd = -1;
	ns_fd = open(netns && *netns ? netns : "/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0)
		return -errno;
	if (fstat(ns_fd, &st)) {
		err = -errno;
		goto out;
	}
	s->netns_ino = st.st_ino;
	snprintf(s->dir, sizeof(s->dir), FP_FUNCTIONS_DIR "/netns:%lu", s->netns_ino % 100000000000ul);
	pin_path(path, sizeof(path), s, "link");
	if (!access(path, F_OK) || !create) {
		err = open_maps(s);
		goto out;
	}
	if ((mkdir(FP_FUNCTIONS_DIR, 0700) && errno != EEXIST) ||
	    (mkdir(s->dir, 0700) && errno != EEXIST)) {
		err = -errno;
		goto out;
	}
	/* One creator at a time; a second finds the link and opens the maps. */
	dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || flock(dir_fd, LOCK_EX)) {
		err = -errno;
		goto out;
	}
	err = access(path, F_OK) ? load_and_attach(s, ns_fd) : 0;
	err = err ?: open_maps(s);
out:
	if (dir_fd >= 0)
		close(dir_fd);
	close(ns_fd);
	return err;
}

void fp_steer_close(struct fp_steer *s)
{
	int *fds[] = { &s->bindings_fd, &s->sockets_fd, &s->stats_fd };

	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int make_key(struct fp_fn_key *k, int protocol, uint16_t port,
		    const struct fp_cidr *p)
{
	unsigned int bits = p->family == AF_INET ? 32 : 128;

	if ((p->family != AF_INET && p->family != AF_INET6) || p->len > bits)
		return -EAFNOSUPPORT;
	memset(k, 0, sizeof(*k));
	k->prefixlen = FP_FN_KEY_FIXED_BITS + p->len;
	k->protocol = protocol;
	k->family = p->family;
	k->port = port;
	memcpy(k->addr, p->addr, p->family == AF_INET ? 4 : 16);
	return 0;
}

int fp_steer_bind(struct fp_steer *s, int protocol, uint16_t port,
		  const struct fp_cidr *p, uint32_t index)
{
	struct fp_fn_binding b = { .index = index };
	struct fp_fn_key k;
	int err = make_key(&k, protocol, port, p);

	if (index >= FP_FN_SOCKETS_MAX)
		return -ERANGE;
	return err ?: bpf_map_update_elem(s->bindings_fd, &k, &b, BPF_ANY);
}

int fp_steer_unbind(struct fp_steer *s, int protocol, uint16_t port,
		    const struct fp_cidr *p)
{
	struct fp_fn_key k;
	int err = make_key(&k, protocol, port, p);

	return err ?: bpf_map_delete_elem(s->bindings_fd, &k);
}

int fp_steer_set_socket(struct fp_steer *s, uint32_t index, int fd)
{
	__u64 v = (__u64)fd;

	return bpf_map_update_elem(s->sockets_fd, &index, &v, BPF_ANY);
}

int fp_steer_clear_socket(struct fp_steer *s, uint32_t index)
{
	int err = bpf_map_delete_elem(s->sockets_fd, &index);

	return err == -ENOENT ? 0 : err;
}

int fp_steer_socket_cookie(struct fp_steer *s, uint32_t index, uint64_t *cookie)
{
	__u64 v = 0;
	int err = bpf_map_lookup_elem(s->sockets_fd, &index, &v);

	if (!err)
		*cookie = v;
	return err;
}

/* stats_slot: sum INDEX's per-CPU counters into SUM, or zero them (SUM
 * NULL). */
static int stats_slot(struct fp_steer *s, uint32_t index, struct fp_fn_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct fp_fn_stats *v;

	if (sum)
		memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (!sum)
		err = bpf_map_update_elem(s->stats_fd, &index, v, BPF_ANY) ? -errno : 0;
	else
		err = bpf_map_lookup_elem(s->stats_fd, &index, v);
	for (int i = 0; sum && !err && i < ncpu; i++) {
		sum->steered += v[i].steered;
		sum->dropped += v[i].dropped;
	}
	free(v);
	return err;
}

int fp_steer_stats(struct fp_steer *s, uint32_t index, struct fp_fn_stats *sum)
{
	return stats_slot(s, index, sum);
}

int fp_steer_stats_clear(struct fp_steer *s, uint32_t index)
{
	return stats_slot(s, index, NULL);
}

int fp_steer_list(struct fp_steer *s, struct fp_steer_binding **out, size_t *n)
{
	struct fp_steer_binding *v = NULL, *nv;
	struct fp_fn_key k, next;
	size_t cnt = 0, cap = 0;
	struct fp_fn_binding b;
	void *prev = NULL;

	while (!bpf_map_get_next_key(s->bindings_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(s->bindings_fd, &k, &b))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt].key = k;
		v[cnt].index = b.index;
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int fp_steer_remove_if_unused(struct fp_steer *s)
{
	struct fp_fn_key k;
	char path[160];

	if (!bpf_map_get_next_key(s->bindings_fd, NULL, &k))
		return 0;
	fp_steer_close(s);
	pin_path(path, sizeof(path), s, "link");
	unlink(path); /* detaches the program */
	for (size_t i = 0; i < 3; i++) {
		pin_path(path, sizeof(path), s, map_pins[i]);
		unlink(path);
	}
	if (rmdir(s->dir) && errno != ENOENT)
		return -errno;
	return 0;
}
