/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The DHCP stage's reply (bpf/dhcp_stage.h): fp_dhcp_opts builds the
 * OFFER's or ACK's options in the per-CPU scratch value, fp_dhcp_write
 * resizes the frame and writes the reply over the request, in 8-byte
 * words, with its checksums. Included by dhcp_stage.h after the
 * definitions it uses (struct fp_dhcp_scratch, struct fp_dhcp_req, the
 * word helpers); not on its own. */
#ifndef FP_DHCP_REPLY_H
#define FP_DHCP_REPLY_H

/* fp_dhcp_copy_words: the N bytes at SRC to DST in 8-byte words, for N
 * up to WORDS * 8; up to 7 bytes past DST + N get what follows SRC. */
#define FP_DHCP_W(i)								\
	do {									\
		if ((i) >= words || (i) >= w)					\
			return;							\
		((fp_dhcp_w64_t *)dst)[i] = ((const fp_dhcp_w64_t *)src)[i];	\
	} while (0)
#define FP_DHCP_W4(i) FP_DHCP_W(i); FP_DHCP_W(i + 1); FP_DHCP_W(i + 2); FP_DHCP_W(i + 3)

static __always_inline void fp_dhcp_copy_words(__u8 *dst, const __u8 *src, __u32 n,
					       const int words)
{
	/* The words to copy, in a register of its own: the verifier learns
	 * its bounds at each exit below, not N's, so the paths after the copy
	 * are one again. */
	__u32 w = (n + 7) / 8;

	asm volatile("" : "+r"(w));
	/* Spelt out: clang 14 will not unroll a loop that can exit early. */
	FP_DHCP_W4(0);
	FP_DHCP_W4(4);
	FP_DHCP_W4(8);
	FP_DHCP_W4(12);
	FP_DHCP_W4(16);
	FP_DHCP_W4(20);
	FP_DHCP_W4(24);
	FP_DHCP_W4(28);
	FP_DHCP_W(32);
}

/* fp_dhcp_opt_off: OFF (below 1024, which the caller has checked) into
 * the options at O, masked as fp_dhcp_idx() does, and made a number the
 * verifier knows nothing of but those bounds (fp_ptr_diff, bpf/parse.h).
 * Else it keeps each way the options before took to OFF (a router or
 * none, 0 to 3 DNS servers, ...) apart, and walks what follows, the
 * copies of the domain and option 61, once for each. */
static __always_inline __u32 fp_dhcp_opt_off(const __u8 *o, __u32 off)
{
	return fp_dhcp_idx(fp_ptr_diff(o, o + off));
}

/* fp_dhcp_fold: fold a sum of 32-bit words to a checksum field. */
static __always_inline __u16 fp_dhcp_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* fp_dhcp_opts: the reply's options, from its byte FP_DHCP_REPLY_OPTS, in
 * S->opt: S->type's, for S->key's client, the pool's parameters, then
 * options 61 and 82 as the request (UDP header at offset L4 of the frame)
 * sent them, END and PAD. Their length, PAD included (at least the 60
 * bytes that make the 300-byte BOOTP minimum, a multiple of 4), or 0 when
 * they do not fit or option 82 could not be read. */
static __always_inline __u32 fp_dhcp_opts(struct xdp_md *ctx, __u32 l4,
					  struct fp_dhcp_scratch *s, const struct fp_dhcp_req *r,
					  const struct fp_dhcp_cfg *cfg,
					  const struct fp_dhcp_pool_map *pool)
{
	__u8 *o = s->opt;
	__u32 off, n;
	int i;

	/* The PAD of the shortest reply, cleared first. */
	for (i = 0; i < 64; i += 8)
		fp_dhcp_put64(o + i, 0);
	o[0] = 53;
	o[1] = 1;
	o[2] = s->type;
	o[3] = 54;
	o[4] = 4;
	fp_dhcp_put32(o + 5, cfg->server_id);
	o[9] = 51;
	o[10] = 4;
	fp_dhcp_put32(o + 11, bpf_htonl(pool->lease_s));
	o[15] = 58;
	o[16] = 4;
	fp_dhcp_put32(o + 17, bpf_htonl(pool->t1_s));
	o[21] = 59;
	o[22] = 4;
	fp_dhcp_put32(o + 23, bpf_htonl(pool->t2_s));
	o[27] = 1;
	o[28] = 4;
	fp_dhcp_put32(o + 29, pool->mask);
	off = 33;
	if (pool->router) {
		o[off] = 3;
		o[off + 1] = 4;
		fp_dhcp_put32(o + off + 2, pool->router);
		off += 6;
	}
	n = pool->n_dns;
	if (n > FP_DHCP_DNS_MAX)
		n = FP_DHCP_DNS_MAX;
	if (n) {
		off = fp_dhcp_idx(off); /* at most 39 here */
		o[off] = 6;
		o[off + 1] = n * 4;
		for (i = 0; i < FP_DHCP_DNS_MAX; i++) {
			if (i >= n)
				break;
			fp_dhcp_put32(o + off + 2 + i * 4, pool->dns[i]);
		}
		off += 2 + n * 4;
	}
	n = pool->domain_len;
	if (n) {
		off = fp_dhcp_opt_off(o, off); /* at most 57 */
		o[off] = 15;
		o[off + 1] = n;
		fp_dhcp_copy_words(o + off + 2, (const __u8 *)pool->domain, n,
				   FP_DHCP_DOMAIN_MAX / 8);
		off += 2 + n;
	}
	/* Option 61 as the client sent it (RFC 6842 §3), from the key: code,
	 * length and up to FP_DHCP_ID_MAX bytes (a longer one went to the
	 * server), zero padded there. */
	n = r->id_len;
	if (n) {
		if (n > FP_DHCP_ID_MAX)
			return 0;
		off = fp_dhcp_opt_off(o, off); /* at most 314 */
		o[off] = 61;
		o[off + 1] = n;
		fp_dhcp_copy_words(o + off + 2, s->key.id, n, FP_DHCP_ID_MAX / 8);
		off += 2 + n;
	}
	/* 82 and its length byte, then the value (up to 255), verbatim: read
	 * here, before the reply overwrites it. */
	n = r->relay_len;
	if (n) {
		off = fp_dhcp_opt_off(o, off); /* at most 348 */
		/* 3..257, as 1..512 in the register the helper gets */
		n += 2;
		asm volatile("%0 += -1; %0 &= 0x1ff; %0 += 1" : "+r"(n));
		if (bpf_xdp_load_bytes(ctx, l4 + r->relay_off, o + off, n))
			return 0;
		off += n;
	}
	if (off > FP_DHCP_OUT_MAX - FP_DHCP_REPLY_OPTS - 8)
		return 0;
	off = fp_dhcp_idx(off);
	o[off++] = 255;
	/* What the copies above left past END (at most 7 bytes) goes. */
	fp_dhcp_put64(o + off, 0);
	return off < FP_DHCP_REPLY_MIN - FP_DHCP_REPLY_OPTS ?
	       FP_DHCP_REPLY_MIN - FP_DHCP_REPLY_OPTS : (off + 3) & ~3u;
}

#define FP_DHCP_OPT_WORDS ((FP_DHCP_OUT_MAX - FP_DHCP_REPLY_OPTS) / 8)

/* fp_dhcp_write: the frame made into the reply: S's facts, the options
 * in S->opt (OPTLEN bytes, fp_dhcp_opts), Ethernet addresses DST (the
 * low 6 bytes) and the server's; VLAN tags stay. 0, or -1 when the frame
 * could not be resized (unchanged), or -2 when it was changed and then
 * could not be written.
 *
 * A reply is usually longer than its request. The frame grows at its tail
 * where the buffer has room there; one that a veth peer's socket sent
 * (perfdhcp's, a relay's) can have almost none, while XDP keeps 256 bytes
 * of headroom: such a frame grows at its head, its L2 header moved. Every
 * byte from the IPv4 header on is written from S, so where the request's
 * bytes went does not matter.
 *
 * The checksums are summed from the words as they are written, as 32-bit
 * words in memory order: the sum is byte-order independent, so the folded
 * sum stored as it is reads right on the wire. */
static __always_inline int fp_dhcp_write(struct xdp_md *ctx, __u32 l3,
					 struct fp_dhcp_scratch *s, __u32 optlen, __u64 dst,
					 const struct fp_dhcp_cfg *cfg)
{
	__u32 len = FP_DHCP_REPLY_OPTS + optlen, saddr = cfg->server_id;
	/* An OFFER's ciaddr is 0 (RFC 2131 Table 3). */
	__u32 daddr = s->daddr, ciaddr = s->type == FP_DHCPACK ? s->ciaddr : 0;
	__u32 tot_be, ulen_be, dport_be, tail, i;
	__u64 sum, w, src;
	void *data, *end;
	__u8 *h, *o;
	int delta;

	if (l3 < ETH_HLEN || l3 > FP_DHCP_L3_MAX || len > FP_DHCP_OUT_MAX ||
	    optlen < FP_DHCP_REPLY_MIN - FP_DHCP_REPLY_OPTS)
		return -1;
	delta = (int)(l3 + len) - (int)(ctx->data_end - ctx->data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta)) {
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		if (delta < 0 || data + 24 > end)
			return -1;
		s->l2[0] = fp_dhcp_get64(data);
		s->l2[1] = fp_dhcp_get64(data + 8);
		s->l2[2] = fp_dhcp_get64(data + 16);
		if (bpf_xdp_adjust_head(ctx, -delta))
			return -1;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		if (data + 24 > end)
			return -2;
		/* l3 <= 22: what this puts past it is overwritten below */
		fp_dhcp_put64(data, s->l2[0]);
		fp_dhcp_put64(data + 8, s->l2[1]);
		fp_dhcp_put64(data + 16, s->l2[2]);
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	asm volatile("%0 &= 0x1f" : "+r"(l3));
	h = data + l3;
	/* One register for every access below: the verifier knows the
	 * bound it checks only in the pointer it checked. */
	asm volatile("" : "+r"(h));
	if ((void *)(h + FP_DHCP_REPLY_OPTS) > end || data + ETH_HLEN > end)
		return -2;

	tot_be = bpf_htons(len);
	ulen_be = bpf_htons(len - 20);
	dport_be = bpf_htons(s->dport);
	/* The UDP pseudo-header (saddr | daddr | 00 11 ULEN), the UDP header
	 * without its checksum, and the BOOTP header: 02 01 06 00 | xid |
	 * 00 00 flags | ciaddr | yiaddr | 0 | giaddr | chaddr | 192 zero
	 * bytes | the cookie. */
	sum = (__u64)saddr + daddr + (0x1100 | ulen_be << 16) + (0x4300 | dport_be << 16) +
	      ulen_be + 0x00060102 + s->xid + ((__u32)s->flags << 16) + ciaddr + s->yiaddr +
	      s->giaddr + (s->chaddr[0] & 0xffffffff) + (s->chaddr[0] >> 32) +
	      (s->chaddr[1] & 0xffffffff) + (s->chaddr[1] >> 32) +
	      bpf_htonl(FP_DHCP_MAGIC);
	/* The options, copied in words, summed as they go; through a pointer
	 * of its own (a fresh offset, not H + 268): the verifier leaves the
	 * loop with a different checked length in it at each exit, which in H
	 * would make every exit a state of its own for the rest of the
	 * program. */
	tail = l3 + FP_DHCP_REPLY_OPTS;
	asm volatile("" : "+r"(tail));
	o = data + tail;
	for (i = 0; i < FP_DHCP_OPT_WORDS; i++) {
		if (i * 8 + 8 > optlen)
			break;
		if ((void *)(o + i * 8 + 8) > end)
			return -2;
		w = fp_dhcp_get64(s->opt + i * 8);
		fp_dhcp_put64(o + i * 8, w);
		sum += (w & 0xffffffff) + (w >> 32);
	}
	/* The last 4 bytes, when the length is not a multiple of 8, through
	 * the pointer made afresh: the loop leaves it checked to another
	 * length at each exit, and each exit went on as a path of its own
	 * (2K of the stage's 24K verified instructions). */
	asm volatile("" : "+r"(tail));
	o = data + tail;
	if (optlen & 4) {
		tail = optlen & ~7u;
		asm volatile("%0 &= 0x3f8" : "+r"(tail));
		if ((void *)(o + tail + 4) > end)
			return -2;
		w = fp_dhcp_get32(s->opt + tail);
		fp_dhcp_put32(o + tail, w);
		sum += w;
	}

	/* IPv4: 45 00 LEN | 0 | 40 11 CHECK | saddr | daddr. */
	fp_dhcp_put64(h, 0x45 | tot_be << 16);
	w = fp_dhcp_fold((__u64)(0x45 | tot_be << 16) + 0x1140 + saddr + daddr);
	fp_dhcp_put64(h + 8, (0x1140 | w << 16) | (__u64)saddr << 32);
	/* UDP: 67 -> dport, then BOOTP from byte 28. */
	fp_dhcp_put64(h + 16, daddr | (__u64)(0x4300 | dport_be << 16) << 32);
	w = fp_dhcp_fold(sum) ?: 0xffff;
	fp_dhcp_put64(h + 24, (ulen_be | w << 16) | 0x00060102ull << 32);
	fp_dhcp_put64(h + 32, s->xid | (__u64)s->flags << 48);
	fp_dhcp_put64(h + 40, ciaddr | (__u64)s->yiaddr << 32);
	fp_dhcp_put64(h + 48, (__u64)s->giaddr << 32);
	fp_dhcp_put64(h + 56, s->chaddr[0]);
	fp_dhcp_put64(h + 64, s->chaddr[1]);
	/* sname and file */
	for (i = 72; i < FP_DHCP_REPLY_OPTS - 4; i += 8)
		fp_dhcp_put64(h + i, 0);
	fp_dhcp_put32(h + FP_DHCP_REPLY_OPTS - 4, bpf_htonl(FP_DHCP_MAGIC));

	/* Ethernet: DST, then the server's MAC (6 bytes of the 8 at
	 * cfg->server_mac; the frame is at least 14 + 268 bytes). */
	src = fp_dhcp_get64(cfg->server_mac);
	fp_dhcp_put64(data, (dst & 0xffffffffffffull) | src << 48);
	fp_dhcp_put32(data + 8, src >> 16);
	return 0;
}

#endif
