// SPDX-License-Identifier: BSD-2-Clause
/* hello: a function handler in C, started by fastpathd the systemd way:
 * its sockets are fd 3 .. 3+LISTEN_FDS-1 (LISTEN_PID is its pid).
 *
 * TCP: reads one request (whatever arrives within 200 ms) and answers
 *   "HTTP/1.0 200 OK ... hello from ID instance N pid P".
 * UDP: answers each datagram with the same line, FROM the address and
 *   port the client sent to. The socket is steered to by sk_lookup, so
 *   the datagram's destination is not the socket's bound address: the
 *   reply sets its source address with IP_PKTINFO (ipi_spec_dst = the
 *   destination IP_PKTINFO or IP_RECVORIGDSTADDR reported), and its source
 *   port is the socket's, which fastpathd binds to the trigger port on
 *   loopback. A reply from another address or port would not reach a
 *   client that connect()ed its socket to the trigger address.
 *
 * Build: cc -O2 -o hello hello.c. Run by hand (for a test) with
 * systemd-socket-activate -l 8080 ./hello. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#define FD_START 3
#define FDS_MAX  8

static char greeting[160];
static volatile sig_atomic_t stopping;

/* SIGTERM (fastpathd restarting us): finish the request in hand, then
 * exit; what waits in the backlog stays on the socket fastpathd keeps. */
static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n;

	if (!pid || !fds || atoi(pid) != getpid())
		return 0;
	n = atoi(fds);
	return n > FDS_MAX ? FDS_MAX : n;
}

/* serve_tcp: one connection; -1 when the listening socket is unusable
 * (an error accept cannot recover from: exit rather than spin). */
static int serve_tcp(int lfd)
{
	struct timeval tv = { .tv_usec = 200000 };
	char req[2048], resp[512];
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), n;

	if (c < 0) {
		if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
			return 0;
		fprintf(stderr, "hello: accept on fd %d: %s\n", lfd, strerror(errno));
		return -1;
	}
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(c, req, sizeof(req), 0) < 0 && errno != EAGAIN)
		goto out;
	n = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     strlen(greeting), greeting);
	send(c, resp, n, MSG_NOSIGNAL);
out:
	close(c);
	return 0;
}

/* serve_udp: one datagram, answered from its destination address. */
static void serve_udp(int fd)
{
	char buf[2048], ctl[256];
	struct sockaddr_in peer;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof(peer),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct in_addr dst = { 0 };
	struct in_pktinfo *pi;
	struct cmsghdr *c;
	char octl[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };

	if (recvmsg(fd, &m, MSG_DONTWAIT) < 0 || peer.sin_family != AF_INET)
		return;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
		else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_ORIGDSTADDR)
			dst = ((struct sockaddr_in *)CMSG_DATA(c))->sin_addr;
	}
	iov.iov_base = greeting;
	iov.iov_len = strlen(greeting);
	m.msg_namelen = sizeof(peer);
	m.msg_control = octl;
	m.msg_controllen = sizeof(octl);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)CMSG_DATA(c);
	pi->ipi_spec_dst = dst; /* the reply's source address */
	sendmsg(fd, &m, 0);
}

int main(void)
{
	struct pollfd p[FDS_MAX];
	sigset_t term, waiting;
	int n = listen_fds(), one = 1;
	const char *id = getenv("FASTPATH_FUNCTION"), *inst = getenv("FASTPATH_INSTANCE");

	if (!n) {
		fprintf(stderr, "hello: no sockets passed (LISTEN_FDS); run it from "
			"fastpathd or systemd-socket-activate\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM is taken only while waiting (ppoll): never mid-request. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_term }, NULL);
	snprintf(greeting, sizeof(greeting), "hello from %s instance %s pid %d\n",
		 id ? id : "hello", inst ? inst : "0", (int)getpid());
	for (int i = 0; i < n; i++) {
		int type = 0, listening = 0;
		socklen_t len = sizeof(type), llen = sizeof(listening);

		/* fd 3 onward must be sockets, the stream ones listening: with
		 * anything else poll would report POLLNVAL or POLLHUP forever. */
		if (getsockopt(FD_START + i, SOL_SOCKET, SO_TYPE, &type, &len) ||
		    (type == SOCK_STREAM &&
		     (getsockopt(FD_START + i, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen) ||
		      !listening)) ||
		    (type != SOCK_STREAM && type != SOCK_DGRAM)) {
			fprintf(stderr, "hello: fd %d is not a listening TCP or a UDP socket "
				"(LISTEN_FDS=%d)\n", FD_START + i, n);
			return 1;
		}
		p[i].fd = FD_START + i;
		p[i].events = POLLIN;
		if (type == SOCK_DGRAM) {
			setsockopt(p[i].fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
			setsockopt(p[i].fd, IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof(one));
			p[i].events |= POLLPRI; /* marks UDP for the loop below */
		}
	}
	while (!stopping) {
		if (ppoll(p, n, NULL, &waiting) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "hello: poll: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (p[i].revents & (POLLNVAL | POLLERR | POLLHUP)) {
				fprintf(stderr, "hello: fd %d: %s; exiting\n", p[i].fd,
					p[i].revents & POLLNVAL ? "closed" : "error or hang-up");
				return 1;
			}
			if (!(p[i].revents & POLLIN))
				continue;
			if (p[i].events & POLLPRI)
				serve_udp(p[i].fd);
			else if (serve_tcp(p[i].fd))
				return 1;
		}
	}
	return 0;
}
