// SPDX-License-Identifier: BSD-2-Clause
/* Programs fastpath manages: loaded and pinned as progs/NAME, attached
 * through pins under links/ that outlive the process that made them. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "core/attach.h"
#include "core/bpffs.h"

#define LINKS_DIR FP_PIN_ROOT "/links"

static int prog_pin_path(char *buf, size_t size, const char *name)
{
	if (!fp_name_valid(name))
		return -EINVAL;
	snprintf(buf, size, FP_PIN_ROOT "/progs/%s", name);
	return 0;
}

void fp_file_prog_names(const char *file, char *buf, size_t size)
{
	struct bpf_object *obj = bpf_object__open_file(file, NULL);
	struct bpf_program *p;
	size_t off = 0;

	buf[0] = '\0';
	if (!obj)
		return;
	bpf_object__for_each_program(p, obj) {
		int n = snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
				 bpf_program__name(p));

		if (n < 0 || (size_t)n >= size - off)
			break;
		off += n;
	}
	bpf_object__close(obj);
}

/* file_name: "xdp_fw" from "dir/xdp_fw.bpf.o": the base name without
 * ".o" and ".bpf", other characters bpffs refuses made '_'. */
static void file_name(const char *file, char *buf, size_t size)
{
	const char *base = strrchr(file, '/');
	size_t n;

	snprintf(buf, size, "%s", base ? base + 1 : file);
	n = strlen(buf);
	if (n > 2 && !strcmp(buf + n - 2, ".o"))
		buf[n -= 2] = '\0';
	if (n > 4 && !strcmp(buf + n - 4, ".bpf"))
		buf[n -= 4] = '\0';
	for (char *p = buf; *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			*p = '_';
}

int fp_prog_load(const char *file, const char *prog, const char *name,
		 struct fp_load_result *res)
{
	char path[PATH_MAX];
	struct fp_obj *o;
	int err;

	memset(res, 0, sizeof(*res));
	err = fp_obj_open_file(file, prog, &o);
	if (err == -ENOTUNIQ || err == -ESRCH)
		fp_file_prog_names(file, res->progs, sizeof(res->progs));
	if (err)
		return err;
	if (name)
		snprintf(res->name, sizeof(res->name), "%s", name);
	else
		file_name(file, res->name, sizeof(res->name));
	res->type = fp_obj_prog_type(o);
	err = prog_pin_path(path, sizeof(path), res->name);
	if (!err && !access(path, F_OK))
		err = -EEXIST;
	if (!err)
		err = fp_obj_load(o);
	if (err && *fp_obj_log(o))
		res->log = strdup(fp_obj_log(o));
	if (!err)
		err = fp_obj_pin(o, res->name);
	if (!err) {
		struct fp_prog_info info;

		if (!fp_prog_info_by_fd(fp_obj_prog_fd(o), &info))
			res->id = info.id;
	}
	fp_obj_close(o);
	return err;
}

void fp_load_result_free(struct fp_load_result *res)
{
	free(res->log);
	res->log = NULL;
}

static int prog_get(const char *name, int *fd, struct bpf_prog_info *info)
{
	char path[PATH_MAX];
	__u32 len = sizeof(*info);
	int err = prog_pin_path(path, sizeof(path), name);

	if (err)
		return err;
	*fd = bpf_obj_get(path);
	if (*fd < 0)
		return *fd;
	memset(info, 0, sizeof(*info));
	err = bpf_obj_get_info_by_fd(*fd, info, &len);
	if (err)
		close(*fd);
	return err;
}

int fp_prog_type_of(const char *name, enum bpf_prog_type *type)
{
	struct bpf_prog_info info;
	int fd, err = prog_get(name, &fd, &info);

	if (err)
		return err;
	close(fd);
	*type = info.type;
	return 0;
}

/* Debian 12's UAPI headers predate tcx; its link type is ABI. */
#define FP_BPF_LINK_TYPE_TCX 11

/* link_defunct: the pin at PATH is a link whose target went away (the
 * interface or namespace deleted, and maybe made again under its name):
 * it attaches nothing any more. */
static bool link_defunct(const char *path)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool gone = false;

	if (fd < 0)
		return false;
	/* A link's info only: a program's would read as one (an XDP
	 * program's type is the XDP link's). */
	if (fp_bpf_fd_is(fd, "link") && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		switch (info.type) {
		case BPF_LINK_TYPE_XDP:
		case FP_BPF_LINK_TYPE_TCX: /* {ifindex, ...}, laid out as xdp's */
			gone = !info.xdp.ifindex;
			break;
		case BPF_LINK_TYPE_NETNS:
			gone = !info.netns.netns_ino;
			break;
		default:
			break;
		}
	}
	close(fd);
	return gone;
}

int fp_prog_attach(const char *name, const struct fp_target *t,
		   const struct fp_attach_opts *opts, struct fp_attachment *out)
{
	char pin[FP_NAME_MAX * 2 + PATH_MAX], path[sizeof(pin) + sizeof(LINKS_DIR)];
	struct bpf_prog_info info;
	int fd, err = prog_get(name, &fd, &info);

	if (err)
		return err;
	err = fp_attach(fd, info.type, t, opts, out);
	if (err)
		goto out;
	err = fp_link_pin_name(pin, sizeof(pin), name, t, info.type, out);
	snprintf(path, sizeof(path), LINKS_DIR "/%s", pin);
	/* A link pin left by an attachment whose target went away goes: the
	 * new attachment takes its name. (Only a link attachment can meet a
	 * link's pin; a clsact marker on a kernel without tcx is not.) */
	if (!err && out->fd >= 0 && !access(path, F_OK) && link_defunct(path))
		unlink(path);
	if (!err && !access(path, F_OK))
		err = -EEXIST;
	if (!err)
		err = bpf_obj_pin(out->fd >= 0 ? out->fd : fd, path);
	if (err)
		fp_attachment_close(out, fd, t);
	else if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
out:
	close(fd);
	return err;
}

/* A clsact marker is the program itself, pinned as NAME@DEV:clsact-DIR. */
static int detach_clsact(const char *path, const char *pin)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char dev[IF_NAMESIZE];
	const char *hook;
	enum fp_dir dir;
	int fd, err;

	if (fp_link_pin_dev(pin, dev, &hook) || strncmp(hook, "clsact-", 7) ||
	    fp_dir_parse(hook + 7, &dir))
		return -EINVAL;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return err;
	if (!if_nametoindex(dev)) /* the interface went, and its filters */
		return 0;
	return fp_tc_netlink_detach(if_nametoindex(dev), dir, info.id);
}

int fp_prog_detach(const char *name, const char *target, int *count)
{
	char prefix[FP_NAME_MAX + PATH_MAX + 32], path[PATH_MAX * 2];
	struct dirent *e;
	int err = 0;
	DIR *d;

	*count = 0;
	if (!fp_name_valid(name))
		return -EINVAL;
	err = fp_link_pin_prefix(prefix, sizeof(prefix), name, target);
	if (err)
		return err;
	d = opendir(LINKS_DIR);
	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while ((e = readdir(d))) {
		if (!fp_link_pin_on(e->d_name, prefix))
			continue;
		snprintf(path, sizeof(path), LINKS_DIR "/%s", e->d_name);
		if (strstr(e->d_name, ":clsact-"))
			err = detach_clsact(path, e->d_name);
		/* Unpinning the last reference to a link detaches it. */
		if (unlink(path) && !err)
			err = -errno;
		if (err)
			break;
		(*count)++;
	}
	closedir(d);
	if (!err && !*count)
		err = -ENOENT;
	return err;
}

int fp_prog_unload(const char *name)
{
	char path[PATH_MAX];
	int n, err = prog_pin_path(path, sizeof(path), name);

	if (err)
		return err;
	if (access(path, F_OK))
		return -ENOENT;
	err = fp_prog_detach(name, NULL, &n);
	if (err && err != -ENOENT)
		return err;
	if (unlink(path))
		return -errno;
	snprintf(path, sizeof(path), FP_PIN_ROOT "/maps/%s", name);
	return fp_rmtree(path);
}
