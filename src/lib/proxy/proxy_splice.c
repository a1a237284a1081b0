// SPDX-License-Identifier: BSD-2-Clause
/* The splice carrier: a direction's bytes go from the source socket into
 * a pipe and from the pipe into the destination socket, page references
 * moved, never copied through userspace. The pipe's size bounds what a
 * direction holds. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "proxy/proxy_int.h"

#define PIPE_BYTES (256u << 10)

void proxy_splice_free(struct dir *d)
{
	if (d->pipe[0] >= 0) {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
	d->in_pipe = 0;
}

long proxy_splice_dir(struct conn *c, int side, size_t max)
{
	struct dir *d = &c->d[side];
	int src = c->fd[side], dst = c->fd[!side];
	unsigned int flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
	size_t out = 0;
	bool full = false;

	if (d->pipe[0] < 0) {
		if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC))
			return -errno;
		fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_BYTES);
	}
	while (out < max) {
		bool progress = false;
		ssize_t n;

		if (!d->eof && d->in_pipe < PIPE_BYTES) {
			n = splice(src, NULL, d->pipe[1], NULL, PIPE_BYTES - d->in_pipe, flags);
			if (n > 0) {
				d->in_pipe += n;
				d->read += n;
				progress = true;
			} else if (n == 0) {
				d->eof = true;
			} else if (errno != EAGAIN) {
				return -errno;
			}
		}
		if (d->in_pipe) {
			n = splice(d->pipe[0], NULL, dst, NULL, d->in_pipe, flags);
			if (n > 0) {
				d->in_pipe -= n;
				out += n;
				progress = true;
				full = false;
			} else if (n < 0 && errno != EAGAIN) {
				return -errno;
			} else if (n < 0) {
				full = true;
			}
		}
		if (!progress)
			break;
	}
	d->blocked = full && d->in_pipe;
	return (long)out;
}
