// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's control socket: one request, one reply, per connection.
 * SOCK_SEQPACKET keeps each a single message, so neither side parses a
 * stream. Root-only twice over: the socket is 0600, and a peer whose uid
 * is not the daemon's is refused (a descriptor passed on is not enough). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <fastpath/daemon.h>

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int fp_control_listen(const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, err = addr_of(path, &sa);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* 0600 from the start: no moment in which another user may connect. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!err && listen(fd, 8))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) && cr.uid == geteuid();
}

void fp_control_serve(int fd, fp_control_fn handle, void *ctx)
{
	struct timeval tv = { .tv_sec = 1 };
	char req[FP_CONTROL_MSG_MAX], reply[FP_CONTROL_MSG_MAX];
	ssize_t n;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_allowed(c)) {
		snprintf(reply, sizeof(reply), "error: only root may control fastpathd");
	} else {
		n = recv(c, req, sizeof(req) - 1, 0);
		req[n > 0 ? n : 0] = '\0';
		reply[0] = '\0';
		handle(ctx, req, reply, sizeof(reply));
	}
	send(c, reply, strlen(reply), MSG_NOSIGNAL);
	close(c);
}

int fp_control_request(const char *path, const char *req, char *reply, size_t size)
{
	struct timeval tv = { .tv_sec = 60 };
	struct sockaddr_un sa;
	ssize_t n;
	int fd, err = addr_of(path, &sa);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		close(fd);
		return err;
	}
	n = recv(fd, reply, size - 1, 0);
	err = n < 0 ? (errno == EAGAIN ? -ETIMEDOUT : -errno) : 0;
	reply[n > 0 ? n : 0] = '\0';
	close(fd);
	return err;
}
