// SPDX-License-Identifier: BSD-2-Clause
/* The bpffs tree fastpath pins into. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <fastpath/core.h>
#include "core/bpffs.h"

static int mkdir_private(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int fp_bpffs_prepare(void)
{
	static const char *const dirs[] = {
		FP_PIN_ROOT, FP_PIN_ROOT "/progs", FP_PIN_ROOT "/links",
		FP_PIN_ROOT "/maps",
	};
	struct statfs fs;
	int err;

	if (statfs("/sys/fs/bpf", &fs))
		return -errno;
	if (fs.f_type != BPF_FS_MAGIC &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		err = mkdir_private(dirs[i]);
		if (err)
			return err;
	}
	return 0;
}

int fp_rmtree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			fp_rmtree(path);
		else
			unlink(path);
	}
	closedir(d);
	return rmdir(dir) ? -errno : 0;
}

void *fp_map_mmap_at(int fd, size_t off, size_t bytes, size_t *len)
{
	size_t page = sysconf(_SC_PAGESIZE);
	void *p;

	*len = (bytes + page - 1) / page * page;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	return p == MAP_FAILED ? NULL : p;
}

void *fp_map_mmap(int fd, size_t bytes, size_t *len)
{
	return fp_map_mmap_at(fd, 0, bytes, len);
}

__u32 fp_obj_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}
