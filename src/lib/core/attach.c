// SPDX-License-Identifier: BSD-2-Clause
/* Attaching a loaded program to an interface (XDP, TC), a cgroup
 * (cgroup_skb) or a network namespace (sk_lookup), through bpf_links
 * wherever the kernel has them. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "core/attach.h"

/* Debian 12's UAPI headers predate tcx (kernel 6.6); these are ABI. */
#define FP_BPF_TCX_INGRESS 46
#define FP_BPF_TCX_EGRESS  47

static int xdp_link(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);

	return bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
}

static int attach_xdp(int prog_fd, int ifindex, enum fp_xdp_mode mode,
		      struct fp_attachment *a)
{
	int fd;

	if (mode != FP_XDP_SKB) {
		fd = xdp_link(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		if (fd >= 0 || mode == FP_XDP_NATIVE || fd == -EBUSY || fd == -EEXIST) {
			a->fd = fd;
			a->mode = FP_XDP_NATIVE;
			return fd < 0 ? fd : 0;
		}
		a->native_failed = true;
		a->native_err = fd;
	}
	fd = xdp_link(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
	a->fd = fd;
	a->mode = FP_XDP_SKB;
	return fd < 0 ? fd : 0;
}

/* Without tcx the program is a direct-action classifier on clsact. Its
 * priority comes from the program id, so detach finds it again with
 * nothing stored but the program. */
static void tc_netlink_opts(int ifindex, enum fp_dir dir, struct bpf_tc_hook *hook)
{
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = dir == FP_DIR_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

__u32 fp_tc_priority(__u32 prog_id)
{
	return 1 + prog_id % 0xfffe;
}

static int attach_tc_netlink(int prog_fd, int ifindex, enum fp_dir dir)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	struct bpf_tc_hook hook = { 0 };
	int err;

	err = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (err)
		return err;
	tc_netlink_opts(ifindex, dir, &hook);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = FP_TC_HANDLE,
		    .priority = fp_tc_priority(info.id));
	return bpf_tc_attach(&hook, &opts);
}

int fp_tc_netlink_detach(int ifindex, enum fp_dir dir, __u32 prog_id)
{
	struct bpf_tc_hook hook = { 0 };

	tc_netlink_opts(ifindex, dir, &hook);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FP_TC_HANDLE,
		    .priority = fp_tc_priority(prog_id));
	return bpf_tc_detach(&hook, &opts);
}

static int attach_tc(int prog_fd, int ifindex, enum fp_dir dir,
		     struct fp_attachment *a)
{
	if (dir == FP_DIR_UNSET)
		dir = FP_DIR_INGRESS;
	a->dir = dir;
	a->fd = bpf_link_create(prog_fd, ifindex, dir == FP_DIR_EGRESS ?
				FP_BPF_TCX_EGRESS : FP_BPF_TCX_INGRESS, NULL);
	if (a->fd >= 0)
		return 0;
	if (a->fd != -EINVAL) /* EINVAL: this kernel has no tcx */
		return a->fd;
	a->fd = -1;
	a->tc_netlink = true;
	return attach_tc_netlink(prog_fd, ifindex, dir);
}

static int path_link(int prog_fd, const char *path, enum bpf_attach_type type)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), lfd;

	if (fd < 0)
		return -errno;
	lfd = bpf_link_create(prog_fd, fd, type, NULL);
	close(fd);
	return lfd;
}

static int attach_cgroup(int prog_fd, const char *path, enum fp_dir dir,
			 struct fp_attachment *a)
{
	if (dir == FP_DIR_UNSET)
		return -EDESTADDRREQ;
	a->fd = path_link(prog_fd, path, dir == FP_DIR_EGRESS ?
			  BPF_CGROUP_INET_EGRESS : BPF_CGROUP_INET_INGRESS);
	return a->fd < 0 ? a->fd : 0;
}

int fp_attach(int prog_fd, enum bpf_prog_type type, const struct fp_target *t,
	      const struct fp_attach_opts *opts, struct fp_attachment *out)
{
	*out = (struct fp_attachment){ .fd = -1, .dir = opts->dir };
	if (fp_prog_target_kind(type) != t->kind || t->kind == FP_TARGET_NONE)
		return -EMEDIUMTYPE;
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return attach_xdp(prog_fd, t->ifindex, opts->mode, out);
	case BPF_PROG_TYPE_SCHED_CLS:
		return attach_tc(prog_fd, t->ifindex, opts->dir, out);
	case BPF_PROG_TYPE_CGROUP_SKB:
		return attach_cgroup(prog_fd, t->name, opts->dir, out);
	case BPF_PROG_TYPE_SK_LOOKUP:
		out->fd = path_link(prog_fd, t->name, BPF_SK_LOOKUP);
		return out->fd < 0 ? out->fd : 0;
	default:
		return -EMEDIUMTYPE;
	}
}

void fp_attachment_close(struct fp_attachment *a, int prog_fd,
			 const struct fp_target *t)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (a->fd >= 0) {
		close(a->fd);
	} else if (a->tc_netlink &&
		   !bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		fp_tc_netlink_detach(t->ifindex, a->dir, info.id);
	}
	a->fd = -1;
}

int fp_xdp_query(int ifindex, __u32 *prog_id, const char **mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	*prog_id = 0;
	*mode = "";
	if (err)
		return err;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		*mode = "native";
		*prog_id = q.drv_prog_id;
		break;
	case XDP_ATTACHED_SKB:
		*mode = "skb";
		*prog_id = q.skb_prog_id;
		break;
	case XDP_ATTACHED_HW:
		*mode = "hw";
		*prog_id = q.hw_prog_id;
		break;
	case XDP_ATTACHED_MULTI:
		*mode = "multi";
		*prog_id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
		break;
	}
	return 0;
}
