// SPDX-License-Identifier: BSD-2-Clause
/* Files fastpath writes outside bpffs: state files, exported metrics.
 * Each is written whole beside its path and renamed over it, created
 * 0600 and never through a link someone planted at either name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <fastpath/core.h>

int fp_file_replace(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	const char *p = data;
	size_t done = 0;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* A file or link left at the temporary name goes, not followed. */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (!err && done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno != EINTR)
			err = -errno;
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
