// SPDX-License-Identifier: BSD-2-Clause
/* rtnetlink link events for fastpathd: an interface added, deleted,
 * renamed, set up or down makes it check what it manages within a few
 * hundred ms, instead of at the next monitoring interval. The messages
 * only say "look now"; the check reads the kernel itself. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <fastpath/core.h>
#include <fastpath/daemon.h>

int fp_link_watch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rcvbuf = 1 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The interface name in a link message, "?" when it has none. */
static const char *link_name(struct nlmsghdr *nh)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));

	for (struct rtattr *a = IFLA_RTA(ifi); len > 0 && RTA_OK(a, len);
	     a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			return RTA_DATA(a);
	return "?";
}

static int count_links(char *buf, ssize_t n, const struct fp_logger *log)
{
	int links = 0;

	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
	     nh = NLMSG_NEXT(nh, n)) {
		struct ifinfomsg *ifi = NLMSG_DATA(nh);

		if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
			continue;
		links++;
		fp_log(log, FP_LOG_DEBUG, "netlink: link %s (ifindex %d) %s%s", link_name(nh),
		       ifi->ifi_index, nh->nlmsg_type == RTM_DELLINK ? "deleted" : "changed",
		       nh->nlmsg_type == RTM_DELLINK ? "" :
		       ifi->ifi_flags & IFF_UP ? ", up" : ", down");
	}
	return links;
}

int fp_link_watch_read(int fd, const struct fp_logger *log)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int links = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		/* Overrun: events were lost; that alone says "look". */
		if (n < 0 && errno == ENOBUFS) {
			links++;
			continue;
		}
		if (n <= 0)
			return links;
		links += count_links(buf, n, log);
	}
}
