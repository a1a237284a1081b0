/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath's AF_XDP sockets: struct fp_xsk, shared by
 * xsk.c (open, close), xsk_io.c (receive, release, reply) and
 * xsk_stats.c (the record published in xsk_sockets). */
#ifndef FP_LIB_XSK_INTERNAL_H
#define FP_LIB_XSK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <xdp/xsk.h>
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

/* fp_xsk_free_push: ADDR onto the free stack (xsk.c). */
void fp_xsk_free_push(struct fp_xsk *x, uint64_t addr);
/* fp_xsk_refill: as many free frames as fit into the fill ring (xsk.c). */
void fp_xsk_refill(struct fp_xsk *x);
/* fp_xsk_reap: frames the kernel has sent, back to the free stack (xsk.c). */
void fp_xsk_reap(struct fp_xsk *x);

/* fp_xsk_publish_open: x->pub at the queue's record in xsk_sockets, or at
 * x->local; -EBUSY when a live other process holds it (xsk_stats.c). */
int fp_xsk_publish_open(struct fp_xsk *x);
/* fp_xsk_publish_start: the record reset for this process (xsk_stats.c). */
void fp_xsk_publish_start(struct fp_xsk *x);
/* fp_xsk_publish: XDP_STATISTICS into the record, when due or FORCE (xsk_stats.c). */
void fp_xsk_publish(struct fp_xsk *x, bool force);

#endif
