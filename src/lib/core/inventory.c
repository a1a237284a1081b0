// SPDX-License-Identifier: BSD-2-Clause
/* What fastpath has pinned, with the kernel's facts about each object. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <fastpath/core.h>

/* Debian 12's UAPI headers predate tcx; its link info is ABI. */
#define FP_BPF_LINK_TYPE_TCX 11
#define FP_BPF_TCX_EGRESS    47

struct pin_walk {
	void *items;
	size_t n, cap, item_size;
};

static void *walk_slot(struct pin_walk *w)
{
	void *p;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;

		p = realloc(w->items, cap * w->item_size);
		if (!p)
			return NULL;
		w->items = p;
		w->cap = cap;
	}
	p = (char *)w->items + w->n * w->item_size;
	memset(p, 0, w->item_size);
	return p;
}

typedef int (*pin_fill_fn)(int fd, const char *rel, void *item);

/* Walk dir (and one level of subdirectories when deep), calling fill for
 * every pinned object; entries fill rejects (> 0) are skipped. */
static int walk_pins(const char *dir, const char *rel, bool deep,
		     pin_fill_fn fill, struct pin_walk *w)
{
	char path[PATH_MAX * 2], sub[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (e = readdir(d))) {
		void *item;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR) {
			if (deep)
				err = walk_pins(path, sub, false, fill, w);
			continue;
		}
		item = walk_slot(w);
		if (!item) {
			err = -ENOMEM;
			break;
		}
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* unpinned while we looked */
		err = fill(fd, sub, item);
		close(fd);
		if (err > 0)
			err = 0;
		else if (!err)
			w->n++;
	}
	closedir(d);
	return err;
}

/* Every listed struct starts with its name, so one compare sorts them. */
static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int walk(const char *dir, bool deep, size_t item_size, pin_fill_fn fill,
		void **out, size_t *n)
{
	struct pin_walk w = { .item_size = item_size };
	int err = walk_pins(dir, "", deep, fill, &w);

	if (err) {
		free(w.items);
		return err;
	}
	if (w.n) /* qsort(NULL, 0, ...) is undefined */
		qsort(w.items, w.n, item_size, by_name);
	*out = w.items;
	*n = w.n;
	return 0;
}

bool fp_bpf_fd_is(int fd, const char *kind)
{
	char path[32], name[64], want[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, name, sizeof(name) - 1);
	if (n <= 0)
		return true; /* no /proc: the kernel's answer stands */
	name[n] = '\0';
	snprintf(want, sizeof(want), "anon_inode:bpf-%s", kind);
	return !strcmp(name, want);
}

int fp_prog_info_by_fd(int fd, struct fp_prog_info *p)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int err;

	if (!fp_bpf_fd_is(fd, "prog"))
		return -EBADF;

	info.nr_map_ids = FP_MAP_IDS_MAX;
	info.map_ids = (__u64)(unsigned long)p->map_ids;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return err;
	p->id = info.id;
	p->type = info.type;
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		sprintf(p->tag + 2 * i, "%02x", info.tag[i]);
	p->run_cnt = info.run_cnt;
	p->run_time_ns = info.run_time_ns;
	p->jited_len = info.jited_prog_len;
	p->xlated_len = info.xlated_prog_len;
	p->verified_insns = info.verified_insns;
	p->nr_map_ids = info.nr_map_ids < FP_MAP_IDS_MAX ? info.nr_map_ids : FP_MAP_IDS_MAX;
	p->load_time = info.load_time;
	return 0;
}

static int fill_prog(int fd, const char *rel, void *item)
{
	struct fp_prog_info *p = item;

	snprintf(p->name, sizeof(p->name), "%s", rel);
	return fp_prog_info_by_fd(fd, p);
}

int fp_list_progs(struct fp_prog_info **out, size_t *n)
{
	return walk(FP_PIN_ROOT "/progs", false, sizeof(**out), fill_prog,
		    (void **)out, n);
}

static void fill_dev_target(struct fp_link_info *l, int ifindex)
{
	char name[IF_NAMESIZE];

	l->ifindex = ifindex;
	snprintf(l->target, sizeof(l->target), "%s",
		 if_indextoname(ifindex, name) ? name : "(gone)");
}

/* A clsact marker (NAME@DEV:clsact-DIR) is the program, not a link. */
static int fill_clsact(int fd, struct fp_link_info *l)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char dev[IF_NAMESIZE];
	const char *hook;
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	if (err)
		return err;
	l->prog_id = info.id;
	l->hook = "tc";
	if (fp_link_pin_dev(l->pin, dev, &hook))
		return 1;
	snprintf(l->target, sizeof(l->target), "%s", dev);
	l->ifindex = if_nametoindex(dev);
	fp_dir_parse(hook + strlen("clsact-"), &l->dir);
	return 0;
}

static int fill_link(int fd, const char *rel, void *item)
{
	struct fp_link_info *l = item;
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info), prog_id;
	const char *at = strchr(rel, '@');
	int err;

	snprintf(l->pin, sizeof(l->pin), "%s", rel);
	snprintf(l->prog, sizeof(l->prog), "%.*s", at ? (int)(at - rel) : 0, rel);
	l->mode = "";
	if (strstr(rel, ":clsact-"))
		return fill_clsact(fd, l);
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return err;
	l->id = info.id;
	l->prog_id = info.prog_id;
	switch (info.type) {
	case BPF_LINK_TYPE_XDP:
		l->hook = "xdp";
		fill_dev_target(l, info.xdp.ifindex);
		fp_xdp_query(l->ifindex, &prog_id, &l->mode);
		break;
	case FP_BPF_LINK_TYPE_TCX:
		/* tcx info is {ifindex, attach_type}, laid out as xdp's. */
		l->hook = "tc";
		fill_dev_target(l, info.xdp.ifindex);
		l->dir = ((__u32 *)&info.xdp)[1] == FP_BPF_TCX_EGRESS ?
			 FP_DIR_EGRESS : FP_DIR_INGRESS;
		break;
	case BPF_LINK_TYPE_CGROUP:
		l->hook = "cgroup_skb";
		snprintf(l->target, sizeof(l->target), "cgroup id %llu",
			 (unsigned long long)info.cgroup.cgroup_id);
		l->dir = info.cgroup.attach_type == BPF_CGROUP_INET_EGRESS ?
			 FP_DIR_EGRESS : FP_DIR_INGRESS;
		break;
	case BPF_LINK_TYPE_NETNS:
		l->hook = "sk_lookup";
		snprintf(l->target, sizeof(l->target), "netns inode %u",
			 info.netns.netns_ino);
		break;
	default:
		l->hook = "other";
	}
	return 0;
}

int fp_list_links(struct fp_link_info **out, size_t *n)
{
	return walk(FP_PIN_ROOT "/links", false, sizeof(**out), fill_link,
		    (void **)out, n);
}

static int fill_map(int fd, const char *rel, void *item)
{
	struct fp_map_info *m = item;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	if (err)
		return err;
	snprintf(m->pin, sizeof(m->pin), "%s", rel);
	m->id = info.id;
	m->type = info.type;
	m->key_size = info.key_size;
	m->value_size = info.value_size;
	m->max_entries = info.max_entries;
	snprintf(m->name, sizeof(m->name), "%s", info.name);
	return 0;
}

int fp_list_maps(struct fp_map_info **out, size_t *n)
{
	return walk(FP_PIN_ROOT "/maps", true, sizeof(**out), fill_map,
		    (void **)out, n);
}

bool fp_bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int on = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &on) != 1)
		on = 0;
	fclose(f);
	return on;
}
