// SPDX-License-Identifier: BSD-2-Clause
/* DHCPv4 messages: parse a BOOTREQUEST, build a BOOTREPLY and the frame
 * around it. Pure functions: no I/O, no allocation. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <fastpath/dhcp.h>

#define OFF_SNAME   44
#define OFF_FILE    108
#define OFF_COOKIE  236
#define OFF_OPTIONS 240

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* join: option bytes V (N) after the LEN already in BUF: an option given
 * in parts is their concatenation (RFC 3396 §7). */
static int join(uint8_t *buf, uint16_t *len, const uint8_t *v, size_t n)
{
	if (*len + n > FP_DHCP_LONGOPT_MAX)
		return -EINVAL;
	memcpy(buf + *len, v, n);
	*len = (uint16_t)(*len + n);
	return 0;
}

/* One option area [p, p+len): -EINVAL when an option runs past it or it
 * has no end option. *overload gets option 52's value when seen. */
static int parse_options(const uint8_t *p, size_t len, struct fp_dhcp_msg *m,
			 uint8_t *overload)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i], olen;
		const uint8_t *v;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255)
			return 0;
		if (i + 1 >= len || i + 2 + (size_t)p[i + 1] > len)
			return -EINVAL;
		olen = p[i + 1];
		v = p + i + 2;
		switch (code) {
		case 53:
			if (olen != 1)
				return -EINVAL;
			m->type = v[0];
			break;
		case 50:
			if (olen != 4)
				return -EINVAL;
			m->has_requested_ip = true;
			memcpy(&m->requested_ip, v, 4);
			break;
		case 54:
			if (olen != 4)
				return -EINVAL;
			m->has_server_id = true;
			memcpy(&m->server_id, v, 4);
			break;
		case 61:
			if (olen < 2 && !m->has_client_id)
				return -EINVAL;
			if (join(m->client_id, &m->client_id_len, v, olen))
				return -EINVAL;
			m->has_client_id = true;
			break;
		case 82:
			if (join(m->relay, &m->relay_len, v, olen))
				return -EINVAL;
			m->has_relay = true;
			break;
		case 55:
			m->prl_len = olen;
			memcpy(m->prl, v, olen);
			break;
		case 12: {
			size_t n = olen < FP_DHCP_HOSTNAME_MAX - 1 ? olen : FP_DHCP_HOSTNAME_MAX - 1;

			for (size_t k = 0; k < n; k++)
				m->hostname[k] = (v[k] >= 0x20 && v[k] < 0x7f) ? (char)v[k] : '?';
			m->hostname[n] = '\0';
			break;
		}
		case 52:
			if (olen != 1 || v[0] < 1 || v[0] > 3)
				return -EINVAL;
			*overload = v[0];
			break;
		default:
			break;
		}
		i += 2 + (size_t)olen;
	}
	return -EINVAL;
}

int fp_dhcp_parse(const void *buf, size_t len, struct fp_dhcp_msg *m)
{
	const uint8_t *p = buf;
	uint8_t overload = 0, ignored = 0;

	memset(m, 0, sizeof(*m));
	if (!buf || len < OFF_OPTIONS)
		return -EINVAL;
	m->op = p[0];
	m->htype = p[1];
	m->hlen = p[2];
	m->hops = p[3];
	if (m->op != 1 || m->htype != 1 || m->hlen != 6)
		return -EINVAL;
	memcpy(&m->xid, p + 4, 4);
	m->secs = get16(p + 8);
	m->flags = get16(p + 10);
	memcpy(&m->ciaddr, p + 12, 4);
	memcpy(&m->yiaddr, p + 16, 4);
	memcpy(&m->siaddr, p + 20, 4);
	memcpy(&m->giaddr, p + 24, 4);
	memcpy(m->chaddr, p + 28, 16);
	if (get32(p + OFF_COOKIE) != FP_DHCP_MAGIC)
		return -EINVAL;
	if (parse_options(p + OFF_OPTIONS, len - OFF_OPTIONS, m, &overload))
		return -EINVAL;
	/* RFC 2131 §4.1: file first, then sname; option 52 counts only in
	 * the options field. */
	if ((overload & 1) && parse_options(p + OFF_FILE, 128, m, &ignored))
		return -EINVAL;
	if ((overload & 2) && parse_options(p + OFF_SNAME, 64, m, &ignored))
		return -EINVAL;
	return 0;
}

/* FNV-1a, 64 bits: the tail of a client identifier too long for a key. */
static uint64_t fnv64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void fp_dhcp_key_make(const struct fp_dhcp_msg *m, uint16_t vlan,
		      struct fp_dhcp_key *key)
{
	memset(key, 0, sizeof(*key));
	key->vlan = vlan;
	if (!m->has_client_id) {
		key->kind = FP_DHCP_KEY_MAC;
		key->len = 6;
		memcpy(key->id, m->chaddr, 6);
	} else if (m->client_id_len <= FP_DHCP_ID_MAX) {
		key->kind = FP_DHCP_KEY_CLIENT_ID;
		key->len = m->client_id_len;
		memcpy(key->id, m->client_id, m->client_id_len);
	} else {
		uint64_t h = fnv64(m->client_id, m->client_id_len);

		key->kind = FP_DHCP_KEY_CLIENT_ID_HASH;
		key->len = FP_DHCP_ID_MAX;
		memcpy(key->id, m->client_id, FP_DHCP_ID_MAX - 8);
		memcpy(key->id + FP_DHCP_ID_MAX - 8, &h, 8);
	}
}

struct out {
	uint8_t *p;
	size_t size, len;
	bool full;
};

static void opt(struct out *o, uint8_t code, const void *v, size_t n)
{
	if (o->full || n > 255 || o->len + 2 + n > o->size) {
		o->full = true;
		return;
	}
	o->p[o->len++] = code;
	o->p[o->len++] = (uint8_t)n;
	memcpy(o->p + o->len, v, n);
	o->len += n;
}

/* long_opt: an option of any length, in parts of up to 255 bytes (RFC
 * 3396 §5). */
static void long_opt(struct out *o, uint8_t code, const uint8_t *v, size_t n)
{
	do {
		size_t part = n > 255 ? 255 : n;

		opt(o, code, v, part);
		v += part;
		n -= part;
	} while (n);
}

static void opt32(struct out *o, uint8_t code, uint32_t host)
{
	uint32_t v = htonl(host);

	opt(o, code, &v, 4);
}

int fp_dhcp_build(const struct fp_dhcp_reply *r, uint8_t *buf, size_t size)
{
	struct out o = { .p = buf, .size = size };
	uint32_t cookie = htonl(FP_DHCP_MAGIC);

	if (size < OFF_OPTIONS + 1)
		return -ENOSPC;
	memset(buf, 0, OFF_OPTIONS);
	buf[0] = 2;
	buf[1] = r->htype ? r->htype : 1;
	buf[2] = r->hlen ? r->hlen : 6;
	memcpy(buf + 4, &r->xid, 4);
	put16(buf + 10, r->flags);
	memcpy(buf + 12, &r->ciaddr, 4);
	memcpy(buf + 16, &r->yiaddr, 4);
	memcpy(buf + 24, &r->giaddr, 4);
	memcpy(buf + 28, r->chaddr, 16);
	memcpy(buf + OFF_COOKIE, &cookie, 4);
	o.len = OFF_OPTIONS;
	opt(&o, 53, &r->type, 1);
	opt(&o, 54, &r->server_id, 4);
	if (r->type != FP_DHCPNAK) {
		if (r->lease_s) {
			opt32(&o, 51, r->lease_s);
			opt32(&o, 58, r->lease_s / 2);
			opt32(&o, 59, (uint32_t)((uint64_t)r->lease_s * 7 / 8));
		}
		if (r->has_mask)
			opt(&o, 1, &r->mask, 4);
		if (r->router.s_addr)
			opt(&o, 3, &r->router, 4);
		if (r->n_dns)
			opt(&o, 6, r->dns, 4 * (r->n_dns > FP_DHCP_DNS_MAX ? FP_DHCP_DNS_MAX : r->n_dns));
		if (r->domain && r->domain[0])
			opt(&o, 15, r->domain, strnlen(r->domain, 253));
	}
	if (r->client_id_len)
		long_opt(&o, 61, r->client_id, r->client_id_len);
	if (r->relay_len)
		long_opt(&o, 82, r->relay, r->relay_len);
	if (o.full || o.len + 1 > size)
		return -ENOSPC;
	buf[o.len++] = 255;
	/* BOOTP relays and old clients drop messages shorter than 300. */
	while (o.len < 300 && o.len < size)
		buf[o.len++] = 0;
	return (int)o.len;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int fp_dhcp_frame_build(uint8_t *buf, size_t size, const uint8_t src_mac[6],
			const uint8_t dst_mac[6], uint16_t vlan,
			struct in_addr src_ip, struct in_addr dst_ip,
			const uint8_t *payload, size_t len)
{
	size_t eth = vlan ? 18 : 14, total = eth + 20 + 8 + len;
	uint8_t *ip, *udp;
	uint32_t sum;
	uint16_t c;

	if (total > size || 20 + 8 + len > 65535)
		return -ENOSPC;
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	if (vlan) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, vlan & 0x0fff);
	}
	put16(buf + eth - 2, 0x0800);
	ip = buf + eth;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = 0x10;              /* low delay, as ISC dhcpd does */
	put16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	udp = ip + 20;
	put16(udp, FP_DHCP_SERVER_PORT);
	put16(udp + 2, FP_DHCP_CLIENT_PORT);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	sum = csum_add(0, ip + 12, 8);     /* pseudo-header: addresses */
	sum += 17 + 8 + (uint32_t)len;     /* protocol, UDP length */
	sum = csum_add(sum, udp, 8 + len);
	c = csum_fold(sum);
	put16(udp + 6, c ? c : 0xffff);
	return (int)total;
}

int fp_dhcp_frame_parse(const uint8_t *frame, size_t len, uint16_t aux_vlan,
			uint16_t *vlan, uint8_t src_mac[6],
			const uint8_t **payload, size_t *plen)
{
	size_t off = 12, ihl, ulen;
	uint16_t proto, tag = 0;
	const uint8_t *ip, *udp;

	if (len < 14)
		return -EINVAL;
	memcpy(src_mac, frame + 6, 6);
	proto = get16(frame + 12);
	for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (len < off + 6)
			return -EINVAL;
		tag = get16(frame + off + 2) & 0x0fff;
		off += 4;
		proto = get16(frame + off);
	}
	if (proto != 0x0800)
		return -EINVAL;
	*vlan = tag ? tag : aux_vlan;
	ip = frame + off + 2;
	if ((size_t)(ip - frame) + 20 > len || (ip[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ip[9] != 17 || (get16(ip + 6) & 0x3fff))
		return -EINVAL;      /* not UDP, or a fragment */
	if ((size_t)(ip - frame) + ihl + 8 > len)
		return -EINVAL;
	udp = ip + ihl;
	if (get16(udp + 2) != FP_DHCP_SERVER_PORT)
		return -EINVAL;
	ulen = get16(udp + 4);
	if (ulen < 8 || (size_t)(udp - frame) + ulen > len)
		return -EINVAL;
	*payload = udp + 8;
	*plen = ulen - 8;
	return 0;
}
