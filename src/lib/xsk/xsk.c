// SPDX-License-Identifier: BSD-2-Clause
/* AF_XDP sockets on libxdp's xsk helpers, with the pipeline as the XDP
 * program (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD), and the plain UDP
 * sockets that stand in for them when AF_XDP is not possible.
 *
 * Frames: the umem holds opts.frames frames. At open, fill_size of them
 * go to the fill ring and the rest wait on a free stack; a received frame
 * goes back to the fill ring when released, or to the TX ring when
 * replied to and from the completion ring to the free stack, which the
 * fill ring is topped up from on every receive.
 *
 * Here: the socket open (the AF_XDP ladder, the socket mode) and close;
 * xsk_io.c: receive, release, reply; xsk_stats.c: the published record. */
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
#include "xsk/xsk_internal.h"

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* ---- AF_XDP ------------------------------------------------------------ */

/* fp_xsk_free_push: ADDR onto the free stack. */
void fp_xsk_free_push(struct fp_xsk *x, uint64_t addr)
{
	if (x->n_free < x->frames)
		x->free_frames[x->n_free++] = addr;
}

/* fp_xsk_refill: as many free frames as fit into the fill ring. */
void fp_xsk_refill(struct fp_xsk *x)
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

/* fp_xsk_reap: frames the kernel has sent, back to the free stack. */
void fp_xsk_reap(struct fp_xsk *x)
{
	uint32_t idx, n;

	if (!x->outstanding_tx)
		return;
	n = xsk_ring_cons__peek(&x->cq, x->outstanding_tx, &idx);
	for (uint32_t i = 0; i < n; i++)
		fp_xsk_free_push(x, *xsk_ring_cons__comp_addr(&x->cq, idx + i));
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

#define XSK_BUSY_WAIT_MS 250
#define XSK_BUSY_STEP_MS 5

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
	/* A socket that just left the queue holds it until the kernel's
	 * deferred work frees its pool: a bind in those milliseconds (an
	 * application restarted at once) finds it busy. Busy for longer, it
	 * is another socket's. */
	for (int ms = 0; ; ms += XSK_BUSY_STEP_MS) {
		err = xsk_socket__create(&x->xsk, x->dev, x->queue, x->umem, &x->rx, &x->tx,
					 &sc);
		if (err != -EBUSY || ms >= XSK_BUSY_WAIT_MS)
			break;
		usleep(XSK_BUSY_STEP_MS * 1000);
	}
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
	fp_xsk_refill(x);
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
	err = fp_xsk_publish_open(x);
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
	fp_xsk_publish_start(x);
	fp_xsk_publish(x, true);
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
