// SPDX-License-Identifier: BSD-2-Clause
/* Batches on an open queue: frames parsed into messages, received,
 * released, and turned around into replies, on the AF_XDP rings or the
 * plain UDP sockets of socket mode. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <sys/socket.h>
#include "xsk/xsk_internal.h"

/* ---- frames ------------------------------------------------------------ */

/* parse_frame: M's addresses and payload from its Ethernet frame (up to
 * two VLAN tags, IPv4 or IPv6 without extension headers, UDP). */
/* Headers are read into locals: in a frame the IP header sits 2 bytes
 * off a 4-byte boundary (after the 14-byte Ethernet header), so a struct
 * pointer into it would be a misaligned access. */
static void parse_frame(struct fp_xsk_msg *m)
{
	uint8_t *p = m->frame, *end = m->frame + m->frame_len;
	uint16_t proto;
	struct udphdr uh;
	uint8_t l4;

	m->payload = NULL;
	m->payload_len = 0;
	memset(&m->src, 0, sizeof(m->src));
	memset(&m->dst, 0, sizeof(m->dst));
	m->src.sin6_family = m->dst.sin6_family = AF_INET6;
	if (p + ETH_HLEN > end)
		return;
	memcpy(&proto, p + 12, 2);
	p += ETH_HLEN;
	for (int i = 0; i < 2 && (proto == htons(ETH_P_8021Q) || proto == htons(ETH_P_8021AD)); i++) {
		if (p + 4 > end)
			return;
		memcpy(&proto, p + 2, 2);
		p += 4;
	}
	if (proto == htons(ETH_P_IP)) {
		struct iphdr ip;

		if (p + sizeof(ip) > end)
			return;
		memcpy(&ip, p, sizeof(ip));
		if (ip.ihl < 5 || p + ip.ihl * 4 > end || (ip.frag_off & htons(0x3fff)))
			return;
		m->src.sin6_addr.s6_addr[10] = m->src.sin6_addr.s6_addr[11] = 0xff;
		m->dst.sin6_addr.s6_addr[10] = m->dst.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m->src.sin6_addr.s6_addr[12], &ip.saddr, 4);
		memcpy(&m->dst.sin6_addr.s6_addr[12], &ip.daddr, 4);
		l4 = ip.protocol;
		p += ip.ihl * 4;
	} else if (proto == htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (p + sizeof(ip6) > end)
			return;
		memcpy(&ip6, p, sizeof(ip6));
		m->src.sin6_addr = ip6.saddr;
		m->dst.sin6_addr = ip6.daddr;
		l4 = ip6.nexthdr;
		p += sizeof(ip6);
	} else {
		return;
	}
	if (l4 != IPPROTO_UDP || p + sizeof(uh) > end)
		return;
	memcpy(&uh, p, sizeof(uh));
	m->src.sin6_port = uh.source;
	m->dst.sin6_port = uh.dest;
	m->payload = p + sizeof(uh);
	m->payload_len = end - m->payload;
	if (ntohs(uh.len) >= sizeof(uh) && ntohs(uh.len) - sizeof(uh) < m->payload_len)
		m->payload_len = ntohs(uh.len) - sizeof(uh);
}

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* turn_around: M's frame into the reply carrying its payload_len bytes:
 * MACs, addresses and ports swapped, lengths and checksums redone.
 * Returns the reply's frame length, 0 when M is not a UDP datagram. */
static uint32_t turn_around(struct fp_xsk_msg *m, uint32_t room)
{
	uint8_t mac[ETH_ALEN], *l3 = NULL, *p = m->frame, *l4;
	struct udphdr uh;
	uint32_t udp_len, tmp4, sum;
	uint16_t proto;

	if (!m->payload || m->payload < m->frame + ETH_HLEN + sizeof(uh) ||
	    (m->payload - m->frame) + m->payload_len > room)
		return 0;
	memcpy(mac, p, ETH_ALEN);
	memcpy(p, p + ETH_ALEN, ETH_ALEN);
	memcpy(p + ETH_ALEN, mac, ETH_ALEN);
	/* Headers are changed in locals and written back (see parse_frame). */
	l4 = m->payload - sizeof(uh);
	memcpy(&uh, l4, sizeof(uh));
	tmp4 = uh.source;
	uh.source = uh.dest;
	uh.dest = (uint16_t)tmp4;
	udp_len = sizeof(uh) + m->payload_len;
	uh.len = htons(udp_len);
	uh.check = 0;
	memcpy(l4, &uh, sizeof(uh));
	/* The IP header sits where parse_frame found it: walk again. */
	memcpy(&proto, p + 12, 2);
	l3 = p + ETH_HLEN;
	while (proto == htons(ETH_P_8021Q) || proto == htons(ETH_P_8021AD)) {
		memcpy(&proto, l3 + 2, 2);
		l3 += 4;
	}
	if (proto == htons(ETH_P_IP)) {
		struct iphdr ip;

		memcpy(&ip, l3, sizeof(ip));
		tmp4 = ip.saddr;
		ip.saddr = ip.daddr;
		ip.daddr = tmp4;
		ip.tot_len = htons(ip.ihl * 4 + udp_len);
		ip.ttl = 64;
		ip.check = 0;
		memcpy(l3, &ip, sizeof(ip));
		ip.check = csum_fold(csum_add(0, l3, ip.ihl * 4));
		memcpy(l3, &ip, sizeof(ip));
		sum = csum_add(IPPROTO_UDP + udp_len, &ip.saddr, 8);
	} else {
		struct ipv6hdr ip6;
		struct in6_addr a;

		memcpy(&ip6, l3, sizeof(ip6));
		a = ip6.saddr;
		ip6.saddr = ip6.daddr;
		ip6.daddr = a;
		ip6.payload_len = htons(udp_len);
		ip6.hop_limit = 64;
		memcpy(l3, &ip6, sizeof(ip6));
		sum = csum_add(IPPROTO_UDP + udp_len, &ip6.saddr, 32);
	}
	uh.check = csum_fold(csum_add(sum, l4, udp_len));
	if (!uh.check)
		uh.check = 0xffff;
	memcpy(l4 + offsetof(struct udphdr, check), &uh.check, sizeof(uh.check));
	return (uint32_t)(m->payload - m->frame) + m->payload_len;
}

/* ---- receive, release, reply -------------------------------------------- */

static int wait_input(struct fp_xsk *x, int timeout_ms)
{
	struct pollfd pfd[FP_XSK_SLOTS];
	nfds_t n = 0;

	if (x->xsk) {
		pfd[n++] = (struct pollfd){ .fd = xsk_socket__fd(x->xsk), .events = POLLIN };
	} else {
		for (size_t i = 0; i < x->n_socks; i++)
			pfd[n++] = (struct pollfd){ .fd = x->socks[i], .events = POLLIN };
	}
	if (poll(pfd, n, timeout_ms) < 0)
		return -errno;
	return 0;
}

static int xsk_recv(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int max)
{
	uint32_t idx, n;

	fp_xsk_reap(x);
	fp_xsk_refill(x);
	/* Zero-copy drivers ask to be woken up to take new fill entries;
	 * copy mode on veth never does. */
	if (xsk_ring_prod__needs_wakeup(&x->fq))
		recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
	n = xsk_ring_cons__peek(&x->rx, max, &idx);
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		struct fp_xsk_msg *m = &msgs[i];

		m->handle = d->addr;
		m->frame = xsk_umem__get_data(x->area, d->addr);
		m->frame_len = d->len;
		parse_frame(m);
		x->pub->rx_bytes += d->len;
	}
	if (n)
		xsk_ring_cons__release(&x->rx, n);
	x->pub->rx_packets += n;
	return n;
}

static int sock_recv(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int max)
{
	struct mmsghdr mh[FP_XSK_BATCH_MAX];
	struct iovec iov[FP_XSK_BATCH_MAX];
	unsigned int got = 0;

	for (size_t k = 0; k < x->n_socks && got < max; k++) {
		size_t s = (x->next_sock + k) % x->n_socks;
		unsigned int want = max - got;
		int n;

		for (unsigned int i = 0; i < want; i++) {
			struct fp_xsk_msg *m = &msgs[got + i];

			memset(m, 0, sizeof(*m));
			iov[i] = (struct iovec){ x->bufs + (size_t)(got + i) * SOCK_BUF, SOCK_BUF };
			mh[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &m->src, .msg_namelen = sizeof(m->src),
				.msg_iov = &iov[i], .msg_iovlen = 1,
			} };
		}
		n = recvmmsg(x->socks[s], mh, want, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct fp_xsk_msg *m = &msgs[got + i];

			m->payload = iov[i].iov_base;
			m->payload_len = mh[i].msg_len;
			m->handle = s;
			m->dst.sin6_family = AF_INET6;
			m->dst.sin6_port = htons(x->sock_ports[s]);
			x->pub->rx_bytes += mh[i].msg_len;
		}
		if (n > 0)
			got += n;
	}
	x->next_sock = x->n_socks ? (x->next_sock + 1) % x->n_socks : 0;
	x->pub->rx_packets += got;
	return got;
}

int fp_xsk_recv(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int max, int timeout_ms)
{
	int n, err;

	if (max > FP_XSK_BATCH_MAX)
		max = FP_XSK_BATCH_MAX;
	fp_xsk_publish(x, false);
	n = x->xsk ? xsk_recv(x, msgs, max) : sock_recv(x, msgs, max);
	if (n || !timeout_ms)
		return n;
	err = wait_input(x, timeout_ms);
	if (err)
		return err;
	return x->xsk ? xsk_recv(x, msgs, max) : sock_recv(x, msgs, max);
}

void fp_xsk_release(struct fp_xsk *x, const struct fp_xsk_msg *msgs, unsigned int n)
{
	uint32_t idx;

	if (!x->xsk || !n)
		return;
	if (xsk_ring_prod__reserve(&x->fq, n, &idx) == n) {
		for (uint32_t i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&x->fq, idx + i) =
				msgs[i].handle - msgs[i].handle % x->frame_size;
		xsk_ring_prod__submit(&x->fq, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		fp_xsk_free_push(x, msgs[i].handle - msgs[i].handle % x->frame_size);
}

/* kick: copy mode sends only from sendto, up to a batch a call; a
 * zero-copy driver wants it when it set need_wakeup. */
static void kick(struct fp_xsk *x)
{
	int fd = xsk_socket__fd(x->xsk);

	for (int i = 0; i < TX_KICKS_MAX; i++) {
		if (x->mode == FP_XSK_ZEROCOPY && !xsk_ring_prod__needs_wakeup(&x->tx))
			return;
		if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != EBUSY && errno != ENOBUFS)
			return;
		if (*x->tx.consumer == *x->tx.producer)
			return;
	}
}

static int xsk_reply(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int n)
{
	uint32_t lens[FP_XSK_BATCH_MAX], idx;
	unsigned int sent = 0, k = 0;

	fp_xsk_reap(x);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t base = msgs[i].handle - msgs[i].handle % x->frame_size;

		lens[i] = turn_around(&msgs[i], x->frame_size - (msgs[i].handle - base));
		sent += lens[i] != 0;
	}
	if (!sent || xsk_ring_prod__reserve(&x->tx, sent, &idx) != sent) {
		fp_xsk_release(x, msgs, n);
		return 0;
	}
	/* What is not a UDP datagram has no reply: its frame goes back. */
	for (unsigned int i = 0; i < n; i++) {
		struct xdp_desc *d;

		if (!lens[i]) {
			fp_xsk_release(x, &msgs[i], 1);
			continue;
		}
		d = xsk_ring_prod__tx_desc(&x->tx, idx + k++);
		d->addr = msgs[i].handle;
		d->len = lens[i];
	}
	xsk_ring_prod__submit(&x->tx, sent);
	x->outstanding_tx += sent;
	x->pub->tx_packets += sent;
	kick(x);
	fp_xsk_reap(x);
	return sent;
}

static int sock_reply(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int n)
{
	struct mmsghdr mh[FP_XSK_BATCH_MAX];
	struct iovec iov[FP_XSK_BATCH_MAX];
	unsigned int i = 0, sent = 0;

	while (i < n) {
		size_t s = msgs[i].handle;
		unsigned int run = 0;
		int r;

		while (i + run < n && msgs[i + run].handle == s) {
			struct fp_xsk_msg *m = &msgs[i + run];

			iov[run] = (struct iovec){ m->payload, m->payload_len };
			mh[run] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &m->src, .msg_namelen = sizeof(m->src),
				.msg_iov = &iov[run], .msg_iovlen = 1,
			} };
			run++;
		}
		r = s < x->n_socks ? sendmmsg(x->socks[s], mh, run, MSG_DONTWAIT) : -1;
		if (r > 0)
			sent += r;
		i += run;
	}
	x->pub->tx_packets += sent;
	return sent;
}

int fp_xsk_reply(struct fp_xsk *x, struct fp_xsk_msg *msgs, unsigned int n)
{
	if (n > FP_XSK_BATCH_MAX)
		n = FP_XSK_BATCH_MAX;
	if (!n)
		return 0;
	return x->xsk ? xsk_reply(x, msgs, n) : sock_reply(x, msgs, n);
}
