// SPDX-License-Identifier: BSD-2-Clause
/* The sockets of functions: created by fastpathd on loopback (the lookup
 * program, not the bound address, brings traffic to them), or taken from
 * a running process with pidfd_getfd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <fastpath/functions.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define FN_BACKLOG 4096

static int bind_loopback(int fd, int family, uint16_t port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (family == AF_INET)
		return bind(fd, (struct sockaddr *)&a4, sizeof(a4)) ? -errno : 0;
	return bind(fd, (struct sockaddr *)&a6, sizeof(a6)) ? -errno : 0;
}

static int bound_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* make_socket: in our namespace; the caller has entered the right one. */
static int make_socket(int family, int type, uint16_t port, bool reuseport,
		       uint16_t *bound)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1, zero = 0, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (type == SOCK_DGRAM) {
		/* What a UDP handler needs to answer from the trigger address. */
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof(one));
	}
	err = port ? bind_loopback(fd, family, port) : -EADDRINUSE;
	if (err == -EADDRINUSE)
		err = bind_loopback(fd, family, 0);
	if (!err && type == SOCK_STREAM && listen(fd, FN_BACKLOG))
		err = -errno;
	err = err ?: bound_port(fd, bound);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int fp_fn_socket(int netns_fd, int family, int type, uint16_t port,
		 bool reuseport, uint16_t *bound)
{
	int self = -1, fd, err;

	if (netns_fd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return -errno;
		if (setns(netns_fd, CLONE_NEWNET)) {
			err = -errno;
			close(self);
			return err;
		}
	}
	fd = make_socket(family, type, port, reuseport, bound);
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) && fd >= 0) {
			close(fd);
			fd = -errno;
		}
		close(self);
	}
	return fd;
}

int fp_fn_socket_check(int fd, int type, uint16_t port)
{
	int v = 0;
	socklen_t len = sizeof(v);
	uint16_t p;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len))
		return errno == ENOTSOCK ? -ENOTSOCK : -errno;
	if (v != type)
		return -EPROTOTYPE;
	if (type == SOCK_STREAM) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) || !v)
			return -EINVAL;
	}
	if (bound_port(fd, &p) || !p || (port && p != port))
		return -EINVAL;
	return 0;
}

void fp_fn_socket_describe(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	int type = 0, listening = 0;
	socklen_t tl = sizeof(type), ll = sizeof(listening);
	uint16_t port = 0;

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll);
	if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
		bound_port(fd, &port);
	}
	snprintf(buf, size, "%s %s %s:%u", type == SOCK_STREAM ? "tcp" : "udp",
		 type == SOCK_STREAM ? (listening ? "listen" : "not-listening") : "bound",
		 addr, port);
}

int fp_fn_take_fd(pid_t pid, int target_fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), fd, err;

	if (pidfd < 0)
		return -errno;
	fd = syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
	err = fd < 0 ? -errno : 0;
	close(pidfd);
	return err ?: fd;
}

int fp_fn_find_socket(pid_t pid, int type, uint16_t port, int *target_fd)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int found = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (found < 0 && (de = readdir(d))) {
		char link[320], target[64];
		ssize_t n;
		int nfd, fd;

		if (de->d_name[0] == '.')
			continue;
		nfd = atoi(de->d_name);
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0 || strncmp(target, "socket:", 7))
			continue;
		fd = fp_fn_take_fd(pid, nfd);
		if (fd < 0) {
			found = fd == -EBADF ? -ENOENT : fd;
			continue;
		}
		if (!fp_fn_socket_check(fd, type, port)) {
			*target_fd = nfd;
			found = fd;
		} else {
			close(fd);
		}
	}
	closedir(d);
	return found;
}
