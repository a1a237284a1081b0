/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The DHCP stage's reply (bpf/dhcp_stage.h): fp_dhcp_build writes the
 * OFFER or ACK, from its IPv4 header, into the per-CPU scratch buffer,
 * in 8-byte words, with its checksums. Included by dhcp_stage.h after
 * the definitions it uses (struct fp_dhcp_scratch, struct fp_dhcp_req,
 * the B_* offsets, fp_dhcp_idx, fp_dhcp_put32); not on its own. */
#ifndef FP_DHCP_REPLY_H
#define FP_DHCP_REPLY_H

/* 8-byte words at any address: one load or store each where clang would
 * otherwise copy byte by byte (x86 and arm64 do unaligned words well and
 * the verifier allows them there; parse.h reads addresses the same way). */
typedef __u64 __attribute__((__may_alias__)) fp_dhcp_w64_t;

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

/* fp_dhcp_fold: fold a bpf_csum_diff() sum to a checksum field. */
static __always_inline __u16 fp_dhcp_fold(__s64 sum)
{
	__u64 s = (__u64)sum;

	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* fp_dhcp_build: the reply to the request in S->in, from its IPv4
 * header, in S->out: S->type to S->yiaddr, sent to S->daddr:S->dport
 * (RFC 2131 §4.1, the caller's choice). Its length, or 0 when it does
 * not fit. A function of its own: its stack is not the stage's, and the
 * pipeline's frame and the stage's must fit in 512 bytes together. */
static __noinline __u32 fp_dhcp_build(struct fp_dhcp_scratch *s, const struct fp_dhcp_req *r,
				      const struct fp_dhcp_cfg *cfg,
				      const struct fp_dhcp_pool_map *pool)
{
	__u8 *out = s->out, *in = s->in, *b = out + FP_DHCP_REPLY_HDRS;
	struct iphdr *ip = (void *)out;
	struct udphdr *uh = (void *)(out + 20);
	__u32 off, n, len, c1, c2, daddr = s->daddr;
	__u16 dport = s->dport;
	__s64 sum;
	int i;

	__builtin_memset(out, 0, FP_DHCP_REPLY_MIN);
	b[0] = 2; /* BOOTREPLY */
	b[1] = 1;
	b[2] = 6;
	__builtin_memcpy(b + 4, &in[B_XID], 4);
	__builtin_memcpy(b + 10, &in[B_FLAGS], 2);
	if (s->type == FP_DHCPACK) /* an OFFER's ciaddr is 0 (RFC 2131 Table 3) */
		__builtin_memcpy(b + 12, &in[B_CIADDR], 4);
	fp_dhcp_put32(b + 16, s->yiaddr);
	__builtin_memcpy(b + 24, &in[B_GIADDR], 4 + 16); /* giaddr, chaddr */
	fp_dhcp_put32(b + FP_DHCP_BOOTP_LEN, bpf_htonl(FP_DHCP_MAGIC));

	off = FP_DHCP_REPLY_OPTS;
	out[off] = 53;
	out[off + 1] = 1;
	out[off + 2] = s->type;
	out[off + 3] = 54;
	out[off + 4] = 4;
	fp_dhcp_put32(&out[off + 5], cfg->server_id);
	out[off + 9] = 51;
	out[off + 10] = 4;
	fp_dhcp_put32(&out[off + 11], bpf_htonl(pool->lease_s));
	out[off + 15] = 58;
	out[off + 16] = 4;
	fp_dhcp_put32(&out[off + 17], bpf_htonl(pool->t1_s));
	out[off + 21] = 59;
	out[off + 22] = 4;
	fp_dhcp_put32(&out[off + 23], bpf_htonl(pool->t2_s));
	out[off + 27] = 1;
	out[off + 28] = 4;
	fp_dhcp_put32(&out[off + 29], pool->mask);
	off += 33;
	if (pool->router) {
		out[off] = 3;
		out[off + 1] = 4;
		fp_dhcp_put32(&out[off + 2], pool->router);
		off += 6;
	}
	n = pool->n_dns;
	if (n > FP_DHCP_DNS_MAX)
		n = FP_DHCP_DNS_MAX;
	if (n) {
		off = fp_dhcp_idx(off); /* at most 307 here */
		out[off] = 6;
		out[off + 1] = n * 4;
		for (i = 0; i < FP_DHCP_DNS_MAX; i++) {
			if (i >= n)
				break;
			fp_dhcp_put32(&out[off + 2 + i * 4], pool->dns[i]);
		}
		off += 2 + n * 4;
	}
	n = pool->domain_len;
	if (n) {
		off = fp_dhcp_idx(off); /* at most 325 */
		out[off] = 15;
		out[off + 1] = n;
		fp_dhcp_copy_words(&out[off + 2], (const __u8 *)pool->domain, n,
				   FP_DHCP_DOMAIN_MAX / 8);
		off += 2 + n;
	}
	/* Option 61 as the client sent it (RFC 6842 §3): code, length and
	 * up to FP_DHCP_ID_MAX bytes (a longer one went to the server). */
	n = r->id_len;
	if (n) {
		__u32 io = r->id_off;

		if (io < 2 || io >= FP_DHCP_IN_MAX || n > FP_DHCP_ID_MAX)
			return 0;
		off = fp_dhcp_idx(off); /* at most 580 */
		io = fp_dhcp_idx(io - 2);
		fp_dhcp_copy_words(&out[off], &in[io], 2 + n, (2 + FP_DHCP_ID_MAX + 7) / 8);
		off += 2 + n;
	}
	n = r->relay_len;
	if (n) {
		__u32 ro = r->relay_off;

		if (ro >= FP_DHCP_IN_MAX)
			return 0;
		/* 82 and its length byte, then the value (up to 255), verbatim. */
		off = fp_dhcp_idx(off); /* at most 614 */
		ro = fp_dhcp_idx(ro);
		fp_dhcp_copy_words(&out[off], &in[ro], 2 + n, (2 + 255 + 7) / 8);
		off += 2 + n;
	}
	if (off > FP_DHCP_OUT_MAX - 8)
		return 0;
	off = fp_dhcp_idx(off);
	out[off++] = 255;
	/* PAD to the 300-byte BOOTP minimum (zeroed above) and to a multiple
	 * of 4, which bpf_csum_diff() wants; the copies above left at most 7
	 * bytes of their sources past END, which go. */
	*(fp_dhcp_w64_t *)&out[off] = 0;
	len = off < FP_DHCP_REPLY_MIN ? FP_DHCP_REPLY_MIN : (off + 3) & ~3u;
	if (len > FP_DHCP_OUT_MAX)
		return 0;

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = bpf_htons(len);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = cfg->server_id;
	ip->daddr = daddr;
	uh->source = bpf_htons(FP_DHCP_SERVER_PORT);
	uh->dest = bpf_htons(dport);
	uh->len = bpf_htons(len - 20);
	/* The IPv4 header's and the UDP pseudo-header's sums from the values
	 * just written, as 32-bit words in memory order like bpf_csum_diff()'s:
	 * the header is 45 00 LEN | 0 | 40 11 00 00 | saddr | daddr, the
	 * pseudo-header saddr | daddr | 00 11 ULEN. */
	sum = (__u64)fp_dhcp_get32(out) + fp_dhcp_get32(out + 8) + ip->saddr + daddr;
	ip->check = fp_dhcp_fold(sum);
	sum = (__u64)ip->saddr + daddr + ((__u32)IPPROTO_UDP << 8 | (__u32)uh->len << 16);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	/* bpf_csum_diff() takes at most 512 bytes a call. */
	n = len - 20;
	if (n < FP_DHCP_FIXED || n > FP_DHCP_OUT_MAX - 20)
		return 0;
	n = fp_dhcp_idx(n);
	c1 = n;
	asm volatile("if %0 <= 512 goto +1; %0 = 512" : "+r"(c1));
	c2 = n - c1;
	asm volatile("%0 &= 0x1ff" : "+r"(c2));
	sum = bpf_csum_diff(NULL, 0, (__be32 *)uh, c1, sum);
	if (c2)
		sum = bpf_csum_diff(NULL, 0, (__be32 *)(out + 20 + 512), c2, sum);
	uh->check = fp_dhcp_fold(sum) ?: 0xffff;
	return len;
}

#endif
