// SPDX-License-Identifier: BSD-2-Clause
/* The server's sockets. Requests arrive on an AF_PACKET socket (clients
 * with no address yet). A UDP socket bound to port 67 keeps the kernel
 * from answering unicast requests with ICMP port unreachable and carries
 * relayed replies; a filter that drops everything keeps it from queueing
 * a second copy of each request, which the packet socket already has. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "dhcp_server.h"

static int attach_filter(int fd)
{
	enum { ACCEPT = 19, DROP = 20 };
#define J(from, to) ((to) - (from) - 1)
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, J(1, 10), 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, J(2, DROP)),
		/* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, J(4, DROP)),
		/* 5 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, J(6, DROP), 0),
		/* 7 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		/* 8 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, J(9, ACCEPT), J(9, DROP)),
		/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, J(11, DROP)),
		/* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 27),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, J(13, DROP)),
		/* 14 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 24),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, J(15, DROP), 0),
		/* 16 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 18),
		/* 17 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 20),
		/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, J(18, ACCEPT), J(18, DROP)),
		/* 19 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),
		/* 20 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
#undef J
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

/* A filter that drops everything: the UDP socket exists for what binding
 * port 67 does (no ICMP port unreachable) and to send, never to receive. */
static int attach_drop_all(int fd)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

void fp_dhcp_sockets_close(struct fp_dhcp_iface *f)
{
	if (f->pkt_fd >= 0)
		close(f->pkt_fd);
	if (f->udp_fd >= 0)
		close(f->udp_fd);
	f->pkt_fd = f->udp_fd = -1;
}

/* fp_dhcp_sockets_open: DEV's index and MAC, and its sockets, into *f; on failure
 * nothing stays open and the reason is logged. */
int fp_dhcp_sockets_open(const char *dev, const struct fp_logger *log, struct fp_dhcp_iface *f)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(FP_DHCP_SERVER_PORT) };
	struct ifreq ifr = { 0 };
	int one = 1, rcvbuf = 8 << 20, err;
	char junk[64];

	f->pkt_fd = f->udp_fd = -1;
	f->ifindex = (int)if_nametoindex(dev);
	if (!f->ifindex) {
		fp_log(log, FP_LOG_ERROR, "dhcp: interface %s does not exist; fix "
		       "dhcp.interface or create it", dev);
		return -ENODEV;
	}
	f->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->udp_fd < 0)
		goto fail;
	if ((err = attach_drop_all(f->udp_fd)))
		goto fail_err;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(f->udp_fd, SIOCGIFHWADDR, &ifr))
		goto fail;
	memcpy(f->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(f->udp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(f->udp_fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(f->udp_fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)))
		goto fail;
	if (bind(f->udp_fd, (struct sockaddr *)&sin, sizeof(sin))) {
		err = -errno;
		fp_log(log, FP_LOG_ERROR, "dhcp: cannot bind UDP port 67 on %s: %s (is another "
		       "DHCP server running?)", dev, strerror(-err));
		fp_dhcp_sockets_close(f);
		return err;
	}
	f->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (f->pkt_fd < 0)
		goto fail;
	if ((err = attach_filter(f->pkt_fd)))
		goto fail_err;
	if (setsockopt(f->pkt_fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		goto fail;
	/* Requests keep arriving while a batch is fsync'ed: room for a few
	 * milliseconds of them at tens of thousands a second (root may go
	 * past net.core.rmem_max; if not, the default stays). */
	if (setsockopt(f->pkt_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(f->pkt_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sll.sll_ifindex = f->ifindex;
	if (bind(f->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	/* What queued before the filter was attached is anything at all. */
	while (recv(f->pkt_fd, junk, sizeof(junk), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
	return 0;
fail:
	err = -errno;
fail_err:
	fp_log(log, FP_LOG_ERROR, "dhcp: cannot open the sockets on %s: %s", dev, strerror(-err));
	fp_dhcp_sockets_close(f);
	return err;
}

int fp_dhcp_recv_batch(struct fp_dhcp_server *s, int max)
{
	struct fp_dhcp_rx *rx = &s->rx;
	int n;

	for (int i = 0; i < max; i++) {
		rx->iov[i] = (struct iovec){ rx->frame[i], sizeof(rx->frame[i]) };
		rx->mh[i].msg_hdr = (struct msghdr){
			.msg_name = &rx->from[i], .msg_namelen = sizeof(rx->from[i]),
			.msg_iov = &rx->iov[i], .msg_iovlen = 1,
			.msg_control = &rx->ctl[i], .msg_controllen = sizeof(rx->ctl[i]) };
	}
	n = recvmmsg(s->ifc.pkt_fd, rx->mh, (unsigned int)max, MSG_DONTWAIT, NULL);
	return n < 0 ? 0 : n;
}

void fp_dhcp_queue_reply(struct fp_dhcp_server *s, const struct fp_dhcp_pending *p)
{
	const struct fp_dhcp_decision *d = &p->d;
	uint8_t payload[FP_DHCP_MSG_MAX];
	int len = fp_dhcp_build(&d->reply, payload, sizeof(payload)), flen;
	struct fp_dhcp_out *o;

	if (len < 0) {
		fp_dhcp_count(s, FP_DHCP_SLOW_ERR);
		return;
	}
	if (s->tx.n == FP_DHCP_OUT_MAX)
		fp_dhcp_send_replies(s);
	o = &s->tx.out[s->tx.n];
	o->relay = d->dest == FP_DHCP_DEST_RELAY;
	if (o->relay) {
		memcpy(o->b, payload, (size_t)len);
		o->len = (size_t)len;
		o->to.in = (struct sockaddr_in){ .sin_family = AF_INET,
						 .sin_port = htons(FP_DHCP_SERVER_PORT),
						 .sin_addr = d->dst_ip };
	} else {
		flen = fp_dhcp_frame_build(o->b, sizeof(o->b), s->ifc.mac, d->dst_mac, p->vlan,
					   s->cfg.server_id, d->dst_ip, payload, (size_t)len);
		if (flen < 0) {
			fp_dhcp_count(s, FP_DHCP_SLOW_ERR);
			return;
		}
		o->len = (size_t)flen;
		o->to.ll = (struct sockaddr_ll){ .sll_family = AF_PACKET,
						 .sll_ifindex = s->ifc.ifindex, .sll_halen = 6,
						 .sll_protocol = htons(ETH_P_IP) };
		memcpy(o->to.ll.sll_addr, d->dst_mac, 6);
	}
	s->tx.n++;
}

/* send_all: the N messages of MH on FD; one that fails is counted and
 * skipped, and the rest still go. */
static void send_all(struct fp_dhcp_server *s, int fd, struct mmsghdr *mh, int n)
{
	while (n > 0) {
		int k = sendmmsg(fd, mh, (unsigned int)n, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fp_dhcp_count(s, FP_DHCP_SLOW_ERR);
			fp_log(&s->log, FP_LOG_DEBUG, "dhcp: cannot send a reply: %s",
			       strerror(errno));
			k = 1;
		}
		mh += k;
		n -= k;
	}
}

void fp_dhcp_send_replies(struct fp_dhcp_server *s)
{
	struct mmsghdr mh[2][FP_DHCP_OUT_MAX];
	struct iovec iov[FP_DHCP_OUT_MAX];
	int n[2] = { 0, 0 };

	for (int i = 0; i < s->tx.n; i++) {
		struct fp_dhcp_out *o = &s->tx.out[i];
		int relay = o->relay;

		iov[i] = (struct iovec){ o->b, o->len };
		mh[relay][n[relay]++].msg_hdr = (struct msghdr){
			.msg_name = &o->to,
			.msg_namelen = relay ? sizeof(o->to.in) : sizeof(o->to.ll),
			.msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	s->tx.n = 0;
	send_all(s, s->ifc.pkt_fd, mh[0], n[0]);
	send_all(s, s->ifc.udp_fd, mh[1], n[1]);
}
