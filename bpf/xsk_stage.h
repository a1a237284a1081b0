/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The XSK stage: UDP (or TCP) datagrams to a steered destination port go
 * to the AF_XDP socket of the rx queue they arrived on. The maps and
 * their meaning are bpf/xsk_abi.h's.
 *
 * bpf_redirect_map's flags are its verdict when the key's slot is empty:
 * XDP_PASS, so that a port steered before its socket is attached, or
 * after its socket died, reaches the kernel stack instead of being
 * dropped. Fragments pass: the later ones carry no port, and a datagram
 * half in a socket, half in the stack is lost either way. */
#ifndef FP_XSK_STAGE_H
#define FP_XSK_STAGE_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "pipeline_abi.h"
#include "xsk_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, FP_XSK_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} fp_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_XSK_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct fp_xsk_port);
} fp_xsk_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_XSK_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_xsk_port_stats);
} fp_xsk_stats SEC(".maps");

/* Never read here: declared so that it is created and pinned with the
 * pipeline's other maps. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_XSK_QUEUES_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fp_xsk_socket);
} fp_xsk_sockets SEC(".maps");

/* fp_xsk_steer: XDP_REDIRECT to the queue's socket when DPORT is steered
 * for L4_PROTO (IPPROTO_UDP or IPPROTO_TCP; no other protocol is), else
 * XDP_PASS; counted for the port. */
static __always_inline int fp_xsk_steer(struct xdp_md *ctx, int l4_proto, __u16 dport, __u32 len)
{
	struct fp_xsk_port_stats *s;
	struct fp_xsk_port *e;
	__u32 key = dport, bit;
	int v;

	if (l4_proto == IPPROTO_UDP)
		bit = FP_XSK_UDP;
	else if (l4_proto == IPPROTO_TCP)
		bit = FP_XSK_TCP;
	else
		return XDP_PASS;
	e = bpf_map_lookup_elem(&fp_xsk_ports, &key);
	if (!e || !(e->proto & bit))
		return XDP_PASS;
	v = bpf_redirect_map(&fp_xsks, ctx->rx_queue_index, XDP_PASS);
	s = bpf_map_lookup_elem(&fp_xsk_stats, &e->slot);
	if (s) {
		if (v == XDP_REDIRECT) {
			s->redirected++;
			s->bytes += len;
		} else {
			s->no_socket++;
		}
	}
	return v;
}

/* fp_stage_xsk: fp_xsk_steer for a parsed frame; a frame with no
 * transport header, a fragment, or IPv6 with extension headers passes
 * (the stack reads those; the library's sockets read a transport header
 * right after the fixed IPv6 header, and a routing header's reply is not
 * a turned-around frame). */
static __always_inline int fp_stage_xsk(struct xdp_md *ctx, const struct fp_parsed *p)
{
	if (!p->has_l4 || p->frag != FP_FRAG_NONE ||
	    (p->ip_version == 6 && p->l4_off != p->l3_off + 40))
		return XDP_PASS;
	return fp_xsk_steer(ctx, p->l4_proto, p->dport, p->len);
}

#endif
