// SPDX-License-Identifier: BSD-2-Clause
/* The shaper's classifier: fp_shaper_tc on a tcx egress link, pinned with
 * its classes map under FP_PIN_ROOT/shaper/DEV/. A new class set is a new
 * program and map swapped in with one bpf_link_update, so a packet is
 * classified by the old set or the new one, never half of each. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "bpf/shaper_tc.skel.h"
#include "core/bpffs.h"
#include "shaper/shaper_internal.h"

/* Debian 12's UAPI headers predate tcx (kernel 6.6); these are ABI. */
#define FP_BPF_TCX_EGRESS    47
#define FP_BPF_LINK_TYPE_TCX 11

static int shaper_path(char *buf, size_t size, const char *dev, const char *obj)
{
	int n = snprintf(buf, size, FP_PIN_ROOT "/shaper/%s%s%s", dev, obj ? "/" : "",
			 obj ? obj : "");

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int shaper_dir(const char *dev)
{
	char path[PATH_MAX];
	int err = fp_bpffs_prepare();

	if (err)
		return err;
	if (mkdir(FP_PIN_ROOT "/shaper", 0700) && errno != EEXIST)
		return -errno;
	err = shaper_path(path, sizeof(path), dev, NULL);
	if (!err && mkdir(path, 0700) && errno != EEXIST)
		err = -errno;
	return err;
}

static void match_of(const struct fp_shaper_class *c, uint32_t classid, struct fp_shaper_match *m)
{
	memset(m, 0, sizeof(*m));
	m->classid = classid;
	m->proto = (__u8)c->proto;
	m->port_lo = c->port[0];
	m->port_hi = c->port[1];
	if (!c->dest.family)
		return;
	m->family = c->dest.family == AF_INET ? 4 : 6;
	for (unsigned int w = 0, left = c->dest.len; w < (c->dest.family == AF_INET ? 1u : 4u); w++) {
		uint32_t bits = left >= 32 ? 32 : left, mask = bits ? htonl(~0u << (32 - bits)) : 0;

		memcpy(&m->dst[w], c->dest.addr + 4 * w, 4);
		m->mask[w] = mask;
		m->dst[w] &= mask;
		left -= bits;
	}
}

static int pin_replace(int fd, const char *dev, const char *obj)
{
	char path[PATH_MAX];
	int err = shaper_path(path, sizeof(path), dev, obj);

	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

static int link_get(const char *dev, int ifindex)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err = shaper_path(path, sizeof(path), dev, "link");

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* tcx link info is {ifindex, attach_type}, laid out as xdp's; a
	 * link of an interface that went away reads ifindex 0. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != FP_BPF_LINK_TYPE_TCX ||
	    (int)info.xdp.ifindex != ifindex) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

bool fp_shaper_classify_live(const char *dev, int ifindex)
{
	int fd = link_get(dev, ifindex);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void fp_shaper_cfg_build(const struct fp_shaper_iface *s, struct fp_shaper_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n = (__u32)s->n_classes;
	cfg->default_classid = fp_shaper_classid(FP_SHAPER_DEFAULT);
	for (size_t i = 0; i < s->n_classes; i++)
		match_of(&s->classes[i], fp_shaper_classid(fp_shaper_class_minor(i)), &cfg->m[i]);
}

int fp_shaper_classify_set(const char *dev, int ifindex, const struct fp_shaper_iface *s)
{
	struct fp_shaper_cfg cfg;
	struct shaper_tc *skel;
	int link_fd, prog_fd, err, zero = 0;

	fp_shaper_cfg_build(s, &cfg);
	err = shaper_dir(dev);
	if (err)
		return err;
	skel = shaper_tc__open_and_load();
	if (!skel)
		return -errno;
	prog_fd = bpf_program__fd(skel->progs.fp_shaper_tc);
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.fp_shaper_classes), &zero, &cfg, 0)
		? -errno : 0;
	link_fd = err ? -1 : link_get(dev, ifindex);
	if (!err && link_fd >= 0) {
		err = bpf_link_update(link_fd, prog_fd, NULL) ? -errno : 0;
	} else if (!err) {
		link_fd = bpf_link_create(prog_fd, ifindex, FP_BPF_TCX_EGRESS, NULL);
		if (link_fd < 0)
			err = link_fd == -EINVAL ? -ENOSYS : link_fd; /* no tcx */
		else
			err = pin_replace(link_fd, dev, "link");
	}
	err = err ?: pin_replace(bpf_map__fd(skel->maps.fp_shaper_classes), dev, "classes");
	if (link_fd >= 0)
		close(link_fd);
	shaper_tc__destroy(skel);
	return err;
}

int fp_shaper_classify_remove(const char *dev)
{
	char path[PATH_MAX];
	int err = shaper_path(path, sizeof(path), dev, NULL);

	/* Unpinning the link's last reference detaches it. */
	return err ?: fp_rmtree(path);
}
