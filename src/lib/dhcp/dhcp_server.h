/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the DHCP server: what its loop (dhcp_server.c), the RFC decision
 * (dhcp_decide.c), the kernel-map sync (dhcp_maps.c), the sockets
 * (dhcp_socket.c), the rate limits (dhcp_limit.c) and the veth probe
 * (dhcp_veth.c) share. Not public: include/fastpath/dhcp.h is the API. */
#ifndef FP_DHCP_SERVER_H
#define FP_DHCP_SERVER_H

#include <linux/if_packet.h>
#include <sys/socket.h>
#include <fastpath/dhcp.h>

#define FP_DHCP_BATCH      64
#define FP_DHCP_LINGER_US  500   /* a batch's wait for more ACKs under load */
#define FP_DHCP_BUSY_US    1000  /* under load: the last sync this recent */
#define FP_DHCP_FRAME_MAX  (FP_DHCP_MSG_MAX + 64)
#define FP_DHCP_OUT_MAX    (2 * FP_DHCP_BATCH) /* replies sent in one sendmmsg */
#define FP_DHCP_LIMIT_SLOTS 4096

/* ---- the decision (dhcp_decide.c) ---- */

/* fp_dhcp_pool_of: the index of the pool whose subnet holds A, or -1. */
int fp_dhcp_pool_of(const struct fp_dhcp_config *cfg, struct in_addr a);

/* fp_dhcp_local_pool: the pool of the server's own network (what an
 * unrelayed request is served from), or -1. */
int fp_dhcp_local_pool(const struct fp_dhcp_config *cfg);

/* fp_dhcp_allowed: IP may be leased to MAC from pool P. */
bool fp_dhcp_allowed(const struct fp_dhcp_config *cfg, const struct fp_dhcp_pool *p,
		     struct in_addr ip, const uint8_t mac[6]);

/* fp_dhcp_decline_hold: how long a declined address of pool PI stays
 * quarantined: dhcp.decline_hold, else the pool's lease time. */
time_t fp_dhcp_decline_hold(const struct fp_dhcp_config *cfg, int pi);

/* ---- rate limits (dhcp_limit.c) ---- */

/* A rate limit of PER_S requests a second (a second's worth in a burst)
 * for each of many ids, GCRA-style: one time per slot. Ids that share a
 * slot share its budget until one of them is quiet. */
struct fp_dhcp_limiter {
	uint32_t per_s;              /* 0: no limit */
	uint32_t id[FP_DHCP_LIMIT_SLOTS];
	int64_t tat[FP_DHCP_LIMIT_SLOTS]; /* theoretical arrival time, ns */
};

/* fp_dhcp_limit_allow: whether one more request of ID at NOW_NS (any
 * monotonic clock) fits L's rate; counts it when it does. */
bool fp_dhcp_limit_allow(struct fp_dhcp_limiter *l, uint32_t id, int64_t now_ns);

/* ---- the server ---- */

struct fp_dhcp_pending {
	struct fp_dhcp_decision d;
	uint16_t vlan;
	bool ok;                     /* applied: may be sent */
};

/* The interface served and the sockets on it. */
struct fp_dhcp_iface {
	int ifindex;
	uint8_t mac[6];
	int pkt_fd;                  /* requests in, unrelayed replies out */
	int udp_fd;                  /* port 67, receives nothing: relayed replies out */
};

/* A batch's requests as one recvmmsg reads them. */
struct fp_dhcp_rx {
	struct mmsghdr mh[FP_DHCP_BATCH];
	struct iovec iov[FP_DHCP_BATCH];
	struct sockaddr_ll from[FP_DHCP_BATCH];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl[FP_DHCP_BATCH];
	uint8_t frame[FP_DHCP_BATCH][FP_DHCP_FRAME_MAX];
};

/* Replies built and waiting for one sendmmsg per socket. */
struct fp_dhcp_tx {
	int n;
	struct fp_dhcp_out {
		bool relay;                  /* to giaddr on the UDP socket */
		size_t len;
		union {
			struct sockaddr_in in;
			struct sockaddr_ll ll;
		} to;
		uint8_t b[FP_DHCP_FRAME_MAX];
	} out[FP_DHCP_OUT_MAX];
};

struct fp_dhcp_server {
	struct fp_dhcp_config cfg;   /* our copy */
	struct fp_logger log;
	struct fp_dhcp_db *db;
	struct fp_dhcp_iface ifc;
	/* the maps shared with the XDP stage; -1 when userspace-only */
	int leases_fd, pools_fd, cfg_fd, stats_fd;
	struct ring_buffer *rb;
	size_t n_pools_written;
	int ncpus;
	uint64_t cnt[FP_DHCP_COUNTERS];
	bool cnt_dirty;
	bool no_store;               /* the journal cannot be written */
	bool tx_blocked;             /* XDP_TX replies could not arrive (veth) */
	time_t tx_checked;           /* when tx_blocked was last looked at */
	struct fp_dhcp_limiter client_limit, relay_limit;
	int64_t synced_ns;           /* when the last sync for ACKs ended */
	struct fp_dhcp_pending pend[FP_DHCP_BATCH];
	struct fp_dhcp_rx rx;
	struct fp_dhcp_tx tx;
};

/* fp_dhcp_count: one more of counter C (-1: none). */
void fp_dhcp_count(struct fp_dhcp_server *s, int c);

/* ---- the maps (dhcp_maps.c) ---- */

/* fp_dhcp_maps_open / _close: DEV's DHCP maps when the pipeline there has
 * them all, else none (userspace only, logged). */
void fp_dhcp_maps_open(struct fp_dhcp_server *s);
void fp_dhcp_maps_close(struct fp_dhcp_server *s);

/* fp_dhcp_maps_write_pools: the pools and the interface's facts. */
void fp_dhcp_maps_write_pools(struct fp_dhcp_server *s);

/* fp_dhcp_maps_write_cfg: the interface's facts alone: enabled unless
 * XDP_TX is blocked, NO_ACK while the journal cannot be written. */
void fp_dhcp_maps_write_cfg(struct fp_dhcp_server *s);

/* fp_dhcp_maps_sync_leases: the lease map holds exactly the BOUND leases. */
void fp_dhcp_maps_sync_leases(struct fp_dhcp_server *s);

/* fp_dhcp_maps_put_lease / _del_lease: one lease in or out of the map. */
void fp_dhcp_maps_put_lease(struct fp_dhcp_server *s, const struct fp_dhcp_lease_rec *r);
void fp_dhcp_maps_del_lease(struct fp_dhcp_server *s, const struct fp_dhcp_key *k);

/* fp_dhcp_maps_put_leases: the N leases R in one batch (one system call;
 * one at a time where the kernel takes no batch). */
void fp_dhcp_maps_put_leases(struct fp_dhcp_server *s, const struct fp_dhcp_lease_rec *r, int n);

/* fp_dhcp_maps_consume: read the stage's events; how many. */
int fp_dhcp_maps_consume(struct fp_dhcp_server *s);

/* fp_dhcp_maps_publish: the slow path's counters into the stats map. */
void fp_dhcp_maps_publish(struct fp_dhcp_server *s);

/* fp_dhcp_wall_to_mono_ns / fp_dhcp_mono_ns_to_wall: a wall-clock expiry
 * (seconds) as CLOCK_MONOTONIC ns, and back, rounded up: a lease is never
 * stored as ending before the moment its client was given. */
uint64_t fp_dhcp_wall_to_mono_ns(time_t wall);
time_t fp_dhcp_mono_ns_to_wall(uint64_t mono_ns);

/* fp_dhcp_now: the wall clock in whole seconds, rounded up. */
time_t fp_dhcp_now(void);

/* ---- the veth probe (dhcp_veth.c) ---- */

/* fp_dhcp_xdp_tx_blocked: 1 when IFINDEX is a veth whose XDP program runs
 * in native mode and whose peer has no native XDP program: XDP_TX there
 * sends nothing (the kernel drops the frame). 0 otherwise or when it
 * cannot tell (-errno). */
int fp_dhcp_xdp_tx_blocked(int ifindex);

/* ---- the sockets (dhcp_socket.c) ---- */

int fp_dhcp_sockets_open(const char *dev, const struct fp_logger *log,
			 struct fp_dhcp_iface *f);
void fp_dhcp_sockets_close(struct fp_dhcp_iface *f);

/* fp_dhcp_recv_batch: up to MAX (<= FP_DHCP_BATCH) frames from the packet
 * socket into s->rx in one recvmmsg; how many (0 when none is queued). */
int fp_dhcp_recv_batch(struct fp_dhcp_server *s, int max);

/* fp_dhcp_queue_reply: P's reply built into s->tx (counted on failure);
 * sent by fp_dhcp_send_replies, or here when s->tx is full. */
void fp_dhcp_queue_reply(struct fp_dhcp_server *s, const struct fp_dhcp_pending *p);

/* fp_dhcp_send_replies: what s->tx holds, sent: one sendmmsg per socket
 * (a reply that cannot be sent is counted and skipped). */
void fp_dhcp_send_replies(struct fp_dhcp_server *s);

#endif
