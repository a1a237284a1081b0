// SPDX-License-Identifier: BSD-2-Clause
/* AF_XDP sockets on libxdp's xsk helpers, with the pipeline as the XDP
 * program (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD), and the plain UDP
 * sockets that stand in for them when AF_XDP is not possible.
 *
 * Frames: the umem holds opts.frames frames. At open, fill_size of them
 * go to the fill ring and the rest wait on a free stack; a received frame
 * goes back to the fill ring when released, or to the TX ring when
 * replied to and from the completion ring to the free stack, which the
 * fill ring is topped up from on every receive. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <xdp/xsk.h>
#include <fastpath/pipeline.h>
#include <fastpath/xsk.h>

#define SOCK_BUF       2048     /* bytes per datagram in socket mode */
#define PUBLISH_NS     200000000ull /* XDP_STATISTICS read at most this often */
#define TX_KICKS_MAX   64

struct fp_xsk {
	char dev[IF_NAMESIZE];
	uint32_t queue;
	enum fp_xsk_mode mode;
	char why[256];
	/* AF_XDP */
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	uint8_t *area;
	size_t area_size;
	uint32_t frame_size, frames, outstanding_tx;
	uint64_t *free_frames;
	uint32_t n_free;
	int xsks_fd;
	/* socket mode */
	int *socks;
	uint16_t *sock_ports;
	size_t n_socks, next_sock;
	uint8_t *bufs;          /* FP_XSK_BATCH_MAX * SOCK_BUF */
	/* what is published in DEV's xsk_sockets (or kept here) */
	struct fp_xsk_socket local, *pub;
	void *pub_map;
	size_t pub_len;
	uint64_t next_publish_ns;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* ---- published record -------------------------------------------------- */

static bool pid_alive(uint32_t pid)
{
	return pid && (!kill(pid, 0) || errno == EPERM);
}

/* publish_open: point x->pub at the queue's record in DEV's mmapable
 * xsk_sockets, or at x->local when there is none. -EBUSY when a live
 * other process holds the record. */
static int publish_open(struct fp_xsk *x)
{
	int fd = fp_pipeline_obj_get(x->dev, "xsk_sockets"), page = getpagesize();
	struct fp_xsk_socket *rec;
	size_t len;
	void *m;

	x->pub = &x->local;
	if (fd < 0)
		return 0;
	len = (sizeof(struct fp_xsk_socket) * FP_XSK_QUEUES_MAX + page - 1) / page * page;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	rec = (struct fp_xsk_socket *)m + x->queue;
	if (rec->pid && rec->pid != (uint32_t)getpid() && pid_alive(rec->pid)) {
		munmap(m, len);
		return -EBUSY;
	}
	x->pub_map = m;
	x->pub_len = len;
	x->pub = rec;
	return 0;
}

static void publish_start(struct fp_xsk *x)
{
	struct fp_xsk_socket s = { 0 };

	s.pid = getpid();
	s.mode = x->mode;
	s.opened_ns = s.updated_ns = now_ns(CLOCK_REALTIME);
	*x->pub = s;
}

/* publish: XDP_STATISTICS into the record, when it is time (or FORCE). */
static void publish(struct fp_xsk *x, bool force)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);
	uint64_t now = now_ns(CLOCK_MONOTONIC_COARSE);

	if (!force && now < x->next_publish_ns)
		return;
	x->next_publish_ns = now + PUBLISH_NS;
	if (x->xsk && !getsockopt(xsk_socket__fd(x->xsk), SOL_XDP, XDP_STATISTICS, &st, &len)) {
		x->pub->rx_dropped = st.rx_dropped;
		x->pub->rx_invalid_descs = st.rx_invalid_descs;
		x->pub->tx_invalid_descs = st.tx_invalid_descs;
		x->pub->rx_ring_full = st.rx_ring_full;
		x->pub->rx_fill_ring_empty_descs = st.rx_fill_ring_empty_descs;
		x->pub->tx_ring_empty_descs = st.tx_ring_empty_descs;
	}
	x->pub->updated_ns = now_ns(CLOCK_REALTIME);
}

int fp_xsk_stats(struct fp_xsk *x, struct fp_xsk_socket *out)
{
	publish(x, true);
	*out = *x->pub;
	return 0;
}

/* ---- AF_XDP ------------------------------------------------------------ */

static void free_push(struct fp_xsk *x, uint64_t addr)
{
	if (x->n_free < x->frames)
		x->free_frames[x->n_free++] = addr;
}

/* refill: as many free frames as fit into the fill ring. */
static void refill(struct fp_xsk *x)
{
	uint32_t n = xsk_prod_nb_free(&x->fq, x->n_free), idx;

	if (n > x->n_free)
		n = x->n_free;
	if (!n || xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = x->free_frames[--x->n_free];
	xsk_ring_prod__submit(&x->fq, n);
}

/* reap: frames the kernel has sent, back to the free stack. */
static void reap(struct fp_xsk *x)
{
	uint32_t idx, n;

	if (!x->outstanding_tx)
		return;
	n = xsk_ring_cons__peek(&x->cq, x->outstanding_tx, &idx);
	for (uint32_t i = 0; i < n; i++)
		free_push(x, *xsk_ring_cons__comp_addr(&x->cq, idx + i));
	if (n) {
		xsk_ring_cons__release(&x->cq, n);
		x->outstanding_tx -= n;
	}
}

static int umem_make(struct fp_xsk *x, const struct fp_xsk_opts *o)
{
	struct xsk_umem_config uc = {
		.fill_size = o->fill_size, .comp_size = o->comp_size,
		.frame_size = x->frame_size, .frame_headroom = 0,
	};

	return xsk_umem__create(&x->umem, x->area, x->area_size, &x->fq, &x->cq, &uc);
}

/* xsk_try: one rung of the ladder, BIND_FLAGS XDP_ZEROCOPY or XDP_COPY. */
static int xsk_try(struct fp_xsk *x, const struct fp_xsk_opts *o, __u16 bind_flags)
{
	struct xsk_socket_config sc = {
		.rx_size = o->rx_size, .tx_size = o->tx_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	int err = umem_make(x, o);

	if (err)
		return err;
	err = xsk_socket__create(&x->xsk, x->dev, x->queue, x->umem, &x->rx, &x->tx, &sc);
	if (err) {
		x->xsk = NULL;
		xsk_umem__delete(x->umem);
		x->umem = NULL;
	}
	return err;
}

static void xsk_teardown(struct fp_xsk *x)
{
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_size);
	free(x->free_frames);
	if (x->xsks_fd >= 0)
		close(x->xsks_fd);
	x->xsk = NULL;
	x->umem = NULL;
	x->area = NULL;
	x->free_frames = NULL;
	x->xsks_fd = -1;
}

static void say_why(struct fp_xsk *x, const char *fmt, const char *what, int err)
{
	size_t at = strlen(x->why);

	snprintf(x->why + at, sizeof(x->why) - at, "%s", at ? "; " : "");
	at = strlen(x->why);
	snprintf(x->why + at, sizeof(x->why) - at, fmt, what, strerror(-err));
}

/* xsk_open: an AF_XDP socket in MODE (AUTO: zero-copy, else copy), in
 * DEV's xsks slot. */
static int xsk_open(struct fp_xsk *x, const struct fp_xsk_opts *o)
{
	struct fp_pipeline_info info;
	int err;

	x->xsks_fd = fp_pipeline_obj_get(x->dev, "xsks");
	if (x->xsks_fd < 0) {
		err = x->xsks_fd;
		say_why(x, "%s: %s (start it with: fastpath up DEV --stages xsk)",
			"no pipeline", err);
		return err;
	}
	if (!fp_pipeline_info(x->dev, &info) && !(info.stages & FP_STAGE_BIT(FP_STAGE_XSK))) {
		say_why(x, "%s: %s (enable it with: fastpath up DEV --stages xsk,...)",
			"the xsk stage is off", -ENOENT);
		xsk_teardown(x);
		return -ENOENT;
	}
	x->area_size = (size_t)x->frames * x->frame_size;
	x->area = mmap(NULL, x->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	x->free_frames = calloc(x->frames, sizeof(*x->free_frames));
	if (x->area == MAP_FAILED || !x->free_frames) {
		if (x->area == MAP_FAILED)
			x->area = NULL;
		xsk_teardown(x);
		return -ENOMEM;
	}
	err = -EOPNOTSUPP;
	if (o->mode == FP_XSK_AUTO || o->mode == FP_XSK_ZEROCOPY) {
		err = xsk_try(x, o, XDP_ZEROCOPY);
		if (!err)
			x->mode = FP_XSK_ZEROCOPY;
		else
			say_why(x, "%s: %s", "zero-copy", err);
	}
	if (err && (o->mode == FP_XSK_AUTO || o->mode == FP_XSK_COPY)) {
		err = xsk_try(x, o, XDP_COPY);
		if (!err)
			x->mode = FP_XSK_COPY;
		else
			say_why(x, "%s: %s", "copy", err);
	}
	/* In the slot before any port is steered to it. */
	err = err ?: xsk_socket__update_xskmap(x->xsk, x->xsks_fd);
	if (err) {
		xsk_teardown(x);
		return err;
	}
	for (uint32_t i = 0; i < x->frames; i++)
		x->free_frames[x->n_free++] = (uint64_t)(x->frames - 1 - i) * x->frame_size;
	refill(x);
	return 0;
}

/* ---- socket mode ------------------------------------------------------- */

static int sock_open(struct fp_xsk *x, const uint16_t *ports, size_t n)
{
	int off = 0, on = 1, err;

	x->socks = calloc(n, sizeof(*x->socks));
	x->sock_ports = calloc(n, sizeof(*x->sock_ports));
	x->bufs = malloc((size_t)FP_XSK_BATCH_MAX * SOCK_BUF);
	if (!x->socks || !x->sock_ports || !x->bufs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(ports[i]) };
		int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		x->socks[x->n_socks++] = fd;
		x->sock_ports[i] = ports[i];
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		/* Only DEV's traffic, as the AF_XDP socket would see; a
		 * process without CAP_NET_RAW takes every interface's. */
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, x->dev, strlen(x->dev));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			return -errno;
	}
	err = 0;
	x->mode = FP_XSK_SOCKET;
	return err;
}

static void sock_close(struct fp_xsk *x)
{
	for (size_t i = 0; i < x->n_socks; i++)
		close(x->socks[i]);
	free(x->socks);
	free(x->sock_ports);
	free(x->bufs);
	x->socks = NULL;
	x->n_socks = 0;
}

/* ---- open, close -------------------------------------------------------- */

static int opts_fill(const struct fp_xsk_opts *in, struct fp_xsk_opts *o)
{
	*o = in ? *in : (struct fp_xsk_opts){ 0 };
	o->fill_size = o->fill_size ?: FP_XSK_FILL_DEFAULT;
	o->comp_size = o->comp_size ?: FP_XSK_COMP_DEFAULT;
	o->rx_size = o->rx_size ?: FP_XSK_RX_DEFAULT;
	o->tx_size = o->tx_size ?: FP_XSK_TX_DEFAULT;
	o->frames = o->frames ?: FP_XSK_FRAMES_DEFAULT;
	o->frame_size = o->frame_size ?: FP_XSK_FRAME_DEFAULT;
	o->proto = o->proto ?: FP_XSK_UDP;
	if (!pow2(o->fill_size) || !pow2(o->comp_size) || !pow2(o->rx_size) ||
	    !pow2(o->tx_size) || (o->frame_size != 2048 && o->frame_size != 4096) ||
	    o->frames < o->fill_size || o->mode > FP_XSK_SOCKET)
		return -EINVAL;
	return 0;
}

int fp_xsk_open(const char *dev, uint32_t queue, const uint16_t *ports, size_t n,
		const struct fp_xsk_opts *opts, struct fp_xsk **out)
{
	struct fp_xsk_opts o;
	struct fp_xsk *x;
	int err;

	*out = NULL;
	if (!dev || strlen(dev) >= IF_NAMESIZE || !n || n > FP_XSK_SLOTS ||
	    queue >= FP_XSK_QUEUES_MAX || opts_fill(opts, &o))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!ports[i])
			return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	snprintf(x->dev, sizeof(x->dev), "%s", dev);
	x->queue = queue;
	x->xsks_fd = -1;
	x->frames = o.frames;
	x->frame_size = o.frame_size;
	err = publish_open(x);
	if (err)
		goto fail;
	err = -EOPNOTSUPP;
	if (o.mode != FP_XSK_SOCKET)
		err = xsk_open(x, &o);
	if (!err && !o.no_steer) {
		for (size_t i = 0; !err && i < n; i++)
			err = fp_xsk_port_add(dev, ports[i], o.proto);
		if (err) {
			say_why(x, "%s: %s", "steering the ports", err);
			bpf_map_delete_elem(x->xsks_fd, &queue);
			xsk_teardown(x);
		}
	}
	if (err && (o.mode == FP_XSK_AUTO || o.mode == FP_XSK_SOCKET))
		err = sock_open(x, ports, n);
	if (err)
		goto fail;
	publish_start(x);
	publish(x, true);
	*out = x;
	return 0;
fail:
	fp_xsk_close(x);
	return err;
}

void fp_xsk_close(struct fp_xsk *x)
{
	if (!x)
		return;
	/* The slot first: from now on the ports' packets reach the stack. */
	if (x->xsk && x->xsks_fd >= 0)
		bpf_map_delete_elem(x->xsks_fd, &x->queue);
	xsk_teardown(x);
	sock_close(x);
	if (x->pub && x->pub->pid == (uint32_t)getpid())
		memset(x->pub, 0, sizeof(*x->pub));
	if (x->pub_map)
		munmap(x->pub_map, x->pub_len);
	free(x);
}

enum fp_xsk_mode fp_xsk_mode(const struct fp_xsk *x)
{
	return x->mode;
}

const char *fp_xsk_why(const struct fp_xsk *x)
{
	return x->why;
}

int fp_xsk_fd(const struct fp_xsk *x)
{
	if (x->xsk)
		return xsk_socket__fd(x->xsk);
	return x->n_socks ? x->socks[0] : -1;
}

/* ---- frames ------------------------------------------------------------ */

/* parse_frame: M's addresses and payload from its Ethernet frame (up to
 * two VLAN tags, IPv4 or IPv6 without extension headers, UDP). */
static void parse_frame(struct fp_xsk_msg *m)
{
	uint8_t *p = m->frame, *end = m->frame + m->frame_len;
	uint16_t proto;
	struct udphdr *uh;
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
		struct iphdr *ip = (void *)p;

		if (p + sizeof(*ip) > end || ip->ihl < 5 || p + ip->ihl * 4 > end ||
		    (ip->frag_off & htons(0x3fff)))
			return;
		m->src.sin6_addr.s6_addr[10] = m->src.sin6_addr.s6_addr[11] = 0xff;
		m->dst.sin6_addr.s6_addr[10] = m->dst.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m->src.sin6_addr.s6_addr[12], &ip->saddr, 4);
		memcpy(&m->dst.sin6_addr.s6_addr[12], &ip->daddr, 4);
		l4 = ip->protocol;
		p += ip->ihl * 4;
	} else if (proto == htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)p;

		if (p + sizeof(*ip6) > end)
			return;
		m->src.sin6_addr = ip6->saddr;
		m->dst.sin6_addr = ip6->daddr;
		l4 = ip6->nexthdr;
		p += sizeof(*ip6);
	} else {
		return;
	}
	if (l4 != IPPROTO_UDP || p + sizeof(*uh) > end)
		return;
	uh = (void *)p;
	m->src.sin6_port = uh->source;
	m->dst.sin6_port = uh->dest;
	m->payload = p + sizeof(*uh);
	m->payload_len = end - m->payload;
	if (ntohs(uh->len) >= sizeof(*uh) && ntohs(uh->len) - sizeof(*uh) < m->payload_len)
		m->payload_len = ntohs(uh->len) - sizeof(*uh);
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
	uint8_t mac[ETH_ALEN], *l3 = NULL, *p = m->frame;
	struct udphdr *uh;
	uint32_t udp_len, tmp4, sum;
	uint16_t proto;

	if (!m->payload || m->payload < m->frame + ETH_HLEN + sizeof(*uh) ||
	    (m->payload - m->frame) + m->payload_len > room)
		return 0;
	memcpy(mac, p, ETH_ALEN);
	memcpy(p, p + ETH_ALEN, ETH_ALEN);
	memcpy(p + ETH_ALEN, mac, ETH_ALEN);
	uh = (struct udphdr *)(m->payload - sizeof(*uh));
	tmp4 = uh->source;
	uh->source = uh->dest;
	uh->dest = tmp4;
	udp_len = sizeof(*uh) + m->payload_len;
	uh->len = htons(udp_len);
	uh->check = 0;
	/* The IP header sits where parse_frame found it: walk again. */
	memcpy(&proto, p + 12, 2);
	l3 = p + ETH_HLEN;
	while (proto == htons(ETH_P_8021Q) || proto == htons(ETH_P_8021AD)) {
		memcpy(&proto, l3 + 2, 2);
		l3 += 4;
	}
	if (proto == htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)l3;

		tmp4 = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = tmp4;
		ip->tot_len = htons(ip->ihl * 4 + udp_len);
		ip->ttl = 64;
		ip->check = 0;
		ip->check = csum_fold(csum_add(0, ip, ip->ihl * 4));
		sum = csum_add(IPPROTO_UDP + udp_len, &ip->saddr, 8);
	} else {
		struct ipv6hdr *ip6 = (void *)l3;
		struct in6_addr a = ip6->saddr;

		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->payload_len = htons(udp_len);
		ip6->hop_limit = 64;
		sum = csum_add(IPPROTO_UDP + udp_len, &ip6->saddr, 32);
	}
	uh->check = csum_fold(csum_add(sum, uh, udp_len));
	if (!uh->check)
		uh->check = 0xffff;
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

	reap(x);
	refill(x);
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
	publish(x, false);
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
		free_push(x, msgs[i].handle - msgs[i].handle % x->frame_size);
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

	reap(x);
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
	reap(x);
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
