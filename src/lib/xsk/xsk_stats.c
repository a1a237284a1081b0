// SPDX-License-Identifier: BSD-2-Clause
/* The record of an open AF_XDP or socket-mode queue, published in the
 * pipeline's mmapable xsk_sockets map (or kept in the handle when there
 * is none): who holds the queue, its mode, and XDP_STATISTICS. */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <fastpath/pipeline.h>
#include "xsk/xsk_internal.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- published record -------------------------------------------------- */

static bool pid_alive(uint32_t pid)
{
	return pid && (!kill(pid, 0) || errno == EPERM);
}

/* fp_xsk_publish_open: point x->pub at the queue's record in DEV's mmapable
 * xsk_sockets, or at x->local when there is none. -EBUSY when a live
 * other process holds the record. */
int fp_xsk_publish_open(struct fp_xsk *x)
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

/* fp_xsk_publish_start: the record reset for this process. */
void fp_xsk_publish_start(struct fp_xsk *x)
{
	struct fp_xsk_socket s = { 0 };

	s.pid = getpid();
	s.mode = x->mode;
	s.opened_ns = s.updated_ns = now_ns(CLOCK_REALTIME);
	*x->pub = s;
}

/* fp_xsk_publish: XDP_STATISTICS into the record, when it is time (or FORCE). */
void fp_xsk_publish(struct fp_xsk *x, bool force)
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
	fp_xsk_publish(x, true);
	*out = *x->pub;
	return 0;
}
