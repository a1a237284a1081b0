/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The DHCP fast path: what its BPF half (dhcp_stage.h) and the library's
 * DHCPv4 server (src/lib/dhcp/) share. The maps are the pipeline's,
 * pinned under /sys/fs/bpf/fastpath/pipeline/DEV/ without the "fp_"
 * prefix (dhcp_leases, dhcp_pools, dhcp_cfg, dhcp_events, dhcp_stats).
 *
 * The server owns the bindings. It copies every bound lease it wants the
 * kernel to answer for into fp_dhcp_leases; the stage answers DISCOVER
 * and REQUEST from those clients with XDP_TX, extends the lease in the
 * map on each ACK and tells the server through fp_dhcp_events, which the
 * server persists. Everything else goes to XDP_PASS and the server. */
#ifndef FP_DHCP_ABI_H
#define FP_DHCP_ABI_H

#include <linux/types.h>

#define FP_DHCP_SERVER_PORT  67
#define FP_DHCP_CLIENT_PORT  68
#define FP_DHCP_MAGIC        0x63825363u  /* host order */

#define FP_DHCP_ID_MAX       32    /* client identifier bytes in a key; a
				    * longer option 61 goes to the slow path */
#define FP_DHCP_POOLS_MAX    10000
#define FP_DHCP_DNS_MAX      4
#define FP_DHCP_DOMAIN_MAX   256   /* option 15: up to 253 bytes, no NUL */
#define FP_DHCP_EVENTS_BYTES (1u << 20)

/* Message types (option 53). */
enum fp_dhcp_type {
	FP_DHCPDISCOVER = 1,
	FP_DHCPOFFER = 2,
	FP_DHCPREQUEST = 3,
	FP_DHCPDECLINE = 4,
	FP_DHCPACK = 5,
	FP_DHCPNAK = 6,
	FP_DHCPRELEASE = 7,
	FP_DHCPINFORM = 8,
};

enum fp_dhcp_key_kind {
	FP_DHCP_KEY_MAC = 1,       /* id[0..5]: chaddr; no option 61 */
	FP_DHCP_KEY_CLIENT_ID = 2, /* id[0..len-1]: option 61's bytes, type first */
};

/* A subscriber: as RFC 2131 §4.2 says, the client identifier when the
 * client sends one, else chaddr; on its VLAN (the innermost tag, 0 when
 * untagged). Unused id bytes are zero. */
struct fp_dhcp_key {
	__u16 vlan;
	__u8 kind;                 /* enum fp_dhcp_key_kind */
	__u8 len;                  /* id bytes used: 6 for a MAC */
	__u8 id[FP_DHCP_ID_MAX];
};

/* The stage's clock: CLOCK_MONOTONIC ns at a tick's resolution
 * (bpf_ktime_get_coarse_ns(), a read of a variable, where the exact
 * CLOCK_BOOTTIME's helper costs ~30 ns; and called once a tick per CPU,
 * bpf/clock.h). It lags the exact time by a tick or two (4 ms each at
 * HZ=250) when ticks come on time, and by more when they do not:
 * a virtual CPU the host deschedules misses its ticks (a lag past 5 ms
 * was seen in CI). So the stage's "now" is it plus a second of slack: a
 * lease is answered only while it has a second left, and an extension
 * ends a second later than the exact time plus the lease, so the server's
 * expiry never comes before the client's unless ticks stop for a second.
 * Time suspended is not counted: after a resume the leases in the map
 * look longer until the server's expiry pass (on wall-clock expiries)
 * removes the ones past. */
#define FP_DHCP_CLOCK_SLACK_NS 1000000000ull

/* A binding the kernel may answer for. Times are CLOCK_MONOTONIC ns (the
 * stage's clock, above). Addresses are network order. */
struct fp_dhcp_lease {
	__u32 ip;                  /* yiaddr */
	__u32 pool;                /* index into fp_dhcp_pools */
	__u64 expires_ns;          /* 0 or past: not valid, slow path */
	__u8 chaddr[6];            /* the client's MAC (replies go there) */
	__u16 flags;               /* reserved, 0 */
	__u32 pad;
};

/* A pool: one subnet's parameters, written by the server at start and on
 * reload. Network order except the times (seconds, host order). */
struct fp_dhcp_pool_map {
	__u32 subnet;
	__u32 mask;                /* option 1 */
	__u32 router;              /* option 3; 0: none */
	__u32 dns[FP_DHCP_DNS_MAX];/* option 6 */
	__u32 lease_s;             /* option 51 */
	__u32 t1_s;                /* option 58: lease_s / 2 */
	__u32 t2_s;                /* option 59: lease_s * 7 / 8 */
	__u8 n_dns;
	__u8 domain_len;           /* option 15; 0: none */
	__u8 valid;                /* 0: slot unused, slow path */
	__u8 pad;
	char domain[FP_DHCP_DOMAIN_MAX];
};

/* The interface's DHCP facts: the stage answers only when enabled. The
 * server clears enabled when replies sent with XDP_TX could not arrive (a
 * native-mode veth whose peer has no XDP program). */
struct fp_dhcp_cfg {
	__u32 enabled;
	__u32 server_id;           /* option 54 and the reply's source address */
	__u8 server_mac[6];        /* the interface's MAC: the reply's source */
	__u16 flags;               /* FP_DHCP_CFG_* */
	__u32 local_pool;          /* the pool of the server's own network, which
				    * unrelayed requests come from; FP_DHCP_POOL_NONE */
	__u32 leases_max;          /* the most leases the pools can bind (addresses
				    * and reservations); 0: not known. The stage
				    * never reads it: the health check does */
};

#define FP_DHCP_POOL_NONE    0xffffffffu
/* The lease journal cannot be written: no ACK may leave, so REQUESTs go
 * to the server (which withholds its ACKs too until it can write). */
#define FP_DHCP_CFG_NO_ACK   0x1

/* fp_dhcp_events: one per lease the stage extended (an ACK it sent). */
struct fp_dhcp_event {
	struct fp_dhcp_key key;
	__u32 ip;
	__u32 pool;
	__u64 expires_ns;          /* the new expiry, CLOCK_MONOTONIC ns */
	__u8 chaddr[6];
	__u8 msg_type;             /* 5: ACK */
	__u8 pad;
};

/* fp_dhcp_stats: a per-CPU array of __u64 counters, one per index. The
 * stage counts FP_DHCP_RX_* .. FP_DHCP_FAST_ERR; the slow path (the
 * daemon) writes FP_DHCP_SLOW_* in CPU 0's slot. */
enum fp_dhcp_counter {
	/* requests seen by the stage, by message type (option 53) */
	FP_DHCP_RX_DISCOVER = 0,
	FP_DHCP_RX_REQUEST,
	FP_DHCP_RX_DECLINE,
	FP_DHCP_RX_RELEASE,
	FP_DHCP_RX_INFORM,
	FP_DHCP_RX_OTHER,          /* another type, or none */
	/* answered in the kernel */
	FP_DHCP_HIT_OFFER,
	FP_DHCP_HIT_ACK,
	/* passed to the slow path, by reason */
	FP_DHCP_MISS_MALFORMED,    /* not BOOTP/Ethernet, no cookie, bad options */
	FP_DHCP_MISS_OVERLOAD,     /* option 52, or an option in parts (RFC 3396) */
	FP_DHCP_MISS_TYPE,         /* DECLINE, RELEASE, INFORM, other */
	FP_DHCP_MISS_UNKNOWN,      /* no binding for the client */
	FP_DHCP_MISS_EXPIRED,      /* binding past its expiry */
	FP_DHCP_MISS_ADDRESS,      /* asked for an address it is not bound to */
	FP_DHCP_MISS_SERVER,       /* selected another server */
	FP_DHCP_MISS_POOL,         /* binding's pool not valid */
	FP_DHCP_MISS_NETWORK,      /* came from another network than the binding's */
	FP_DHCP_MISS_NOSTORE,      /* REQUEST while the journal cannot be written */
	FP_DHCP_MISS_EVENTS,       /* ring buffer full: ACK left to the server */
	FP_DHCP_FAST_ERR,          /* could not write the reply */
	/* the slow path's, in the daemon */
	FP_DHCP_SLOW_RX,
	FP_DHCP_SLOW_OFFER,
	FP_DHCP_SLOW_ACK,
	FP_DHCP_SLOW_NAK,
	FP_DHCP_SLOW_RELEASE,
	FP_DHCP_SLOW_DECLINE,
	FP_DHCP_SLOW_INFORM,
	FP_DHCP_SLOW_DROPPED,      /* malformed, or not for us */
	FP_DHCP_SLOW_NOSTORE,      /* ACK withheld: the lease could not be stored */
	FP_DHCP_SLOW_LIMITED,      /* dropped by a rate limit */
	FP_DHCP_SLOW_ERR,          /* could not send, no address left */
	FP_DHCP_COUNTERS,
};

#endif
