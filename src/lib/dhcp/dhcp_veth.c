// SPDX-License-Identifier: BSD-2-Clause
/* Whether XDP_TX works on the served interface. On a veth whose XDP
 * program runs in native mode, a frame sent back with XDP_TX goes to the
 * peer's XDP receive queue, which exists only while the peer has a native
 * XDP program of its own: without one the kernel drops it and the reply
 * counted as sent never arrives. The peer may sit in another network
 * namespace; rtnetlink names it by the namespace id our side reports
 * (IFLA_LINK_NETNSID) and answers for it (IFLA_TARGET_NETNSID). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "dhcp_server.h"

struct link_facts {
	char kind[16];               /* IFLA_INFO_KIND: "veth" */
	int peer;                    /* IFLA_LINK: the peer's ifindex; 0 none */
	int netnsid;                 /* IFLA_LINK_NETNSID; -1: ours */
	int xdp;                     /* IFLA_XDP_ATTACHED: XDP_ATTACHED_* */
	unsigned int xdp_drv;        /* IFLA_XDP_DRV_PROG_ID (multi-attach) */
};

static void parse_attrs(struct rtattr *rta, int len, struct link_facts *f, int level)
{
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		void *d = RTA_DATA(rta);
		int n = (int)RTA_PAYLOAD(rta);

		if (level == 0 && rta->rta_type == IFLA_LINK && n >= 4)
			memcpy(&f->peer, d, 4);
		else if (level == 0 && rta->rta_type == IFLA_LINK_NETNSID && n >= 4)
			memcpy(&f->netnsid, d, 4);
		else if (level == 0 && rta->rta_type == IFLA_LINKINFO)
			parse_attrs(d, n, f, 1);
		else if (level == 0 && rta->rta_type == IFLA_XDP)
			parse_attrs(d, n, f, 2);
		else if (level == 1 && rta->rta_type == IFLA_INFO_KIND)
			memcpy(f->kind, d, (size_t)(n < (int)sizeof(f->kind) ? n : (int)sizeof(f->kind) - 1));
		else if (level == 2 && rta->rta_type == IFLA_XDP_ATTACHED && n >= 1)
			f->xdp = *(unsigned char *)d;
		else if (level == 2 && rta->rta_type == IFLA_XDP_DRV_PROG_ID && n >= 4)
			memcpy(&f->xdp_drv, d, 4);
	}
}

/* link_get: the facts of IFINDEX, in the namespace NETNSID (-1: ours). */
static int link_get(int ifindex, int netnsid, struct link_facts *f)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req = { 0 };
	struct timeval tv = { .tv_sec = 1 };
	char buf[16384];
	struct rtattr *rta;
	int fd, err = -ENOENT;
	ssize_t n;

	memset(f, 0, sizeof(*f));
	f->netnsid = -1;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	if (netnsid >= 0) {
		rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = IFLA_TARGET_NETNSID;
		rta->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(rta), &netnsid, 4);
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (struct nlmsghdr *nh = (void *)buf; NLMSG_OK(nh, (unsigned int)n);
	     nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			err = e->error ? e->error : -ENOENT;
			break;
		}
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		parse_attrs(IFLA_RTA(NLMSG_DATA(nh)), (int)IFLA_PAYLOAD(nh), f, 0);
		err = 0;
		break;
	}
out:
	close(fd);
	return err;
}

static bool native(const struct link_facts *f)
{
	return f->xdp == XDP_ATTACHED_DRV || (f->xdp == XDP_ATTACHED_MULTI && f->xdp_drv);
}

int fp_dhcp_xdp_tx_blocked(int ifindex)
{
	struct link_facts me, peer;
	int err = link_get(ifindex, -1, &me);

	if (err)
		return err;
	if (strcmp(me.kind, "veth") || !native(&me) || !me.peer)
		return 0;
	err = link_get(me.peer, me.netnsid, &peer);
	if (err)
		return err;
	return !native(&peer);
}
