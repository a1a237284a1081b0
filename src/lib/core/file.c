// SPDX-License-Identifier: BSD-2-Clause
/* Files fastpath writes outside bpffs: state files, exported metrics.
 * Each is written whole beside its path and renamed over it, never
 * through a link someone planted at either name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fastpath/core.h>

int fp_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	const char *p = data;
	size_t done = 0;
	int fd, err = 0;

	/* This process's own name: two writers never take each other's. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* What a writer of this pid left there goes, not followed. */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* The mode as asked, whatever the umask. */
	if (fchmod(fd, mode))
		err = -errno;
	while (!err && done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (!n)
			err = -EIO;
		else if (n > 0)
			done += (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	/* rename replaces a link at PATH itself, never its target. */
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
