/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Functions: the maps the sk_lookup program (functions_sk_lookup.bpf.c)
 * and the library (src/lib/functions/steer.c) share. One set per network
 * namespace, pinned under /sys/fs/bpf/fastpath/functions/netns:INODE/.
 *
 * A binding is (protocol, family, destination port, destination prefix)
 * -> an index into the sockets SOCKMAP. The longest prefix wins, as in
 * Cloudflare's tubular. A binding whose index holds no socket (its owner
 * closed it, or its process died) answers SK_DROP: the port is closed,
 * and the lookup never falls through to another socket bound to it. */
#ifndef FP_FUNCTIONS_ABI_H
#define FP_FUNCTIONS_ABI_H

#include <linux/types.h>

#define FP_FN_BINDINGS_MAX 4096
#define FP_FN_SOCKETS_MAX  4096
/* Socket indexes: the daemon's functions use [0, FP_FN_PORTS_BASE),
 * `fastpath ports register` uses FP_FN_PORTS_BASE + the port's slot. */
#define FP_FN_PORTS_BASE   2048

/* The fixed part of a key (protocol, family, port) in prefix bits. */
#define FP_FN_KEY_FIXED_BITS 32

struct fp_fn_key {
	__u32 prefixlen;   /* FP_FN_KEY_FIXED_BITS + address prefix length */
	__u8 protocol;     /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;       /* AF_INET (2) or AF_INET6 (10) */
	__u16 port;        /* destination port, host order */
	__u8 addr[16];     /* IPv4 in the first 4 bytes, network order */
};

struct fp_fn_binding {
	__u32 index;       /* into fp_fn_sockets and fp_fn_stats */
	__u32 flags;       /* 0 */
};

/* fp_fn_stats: per-CPU, keyed by socket index. */
struct fp_fn_stats {
	__u64 steered;     /* lookups given to the socket (TCP: SYNs; UDP: datagrams) */
	__u64 dropped;     /* lookups refused: no socket at the index */
};

#endif
