// SPDX-License-Identifier: BSD-2-Clause
/* Address and protocol words, one parser each for the whole project: the
 * configuration file, the CLI's filters and the firewall share them. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <fastpath/core.h>

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

static const struct {
	const char *name;
	int proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
};

#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

int fp_proto_parse(const char *s, int *proto)
{
	for (size_t i = 0; i < N_PROTOS; i++) {
		if (!strcasecmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fp_proto_name(int proto)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

const char *fp_proto_word(size_t i)
{
	return i < N_PROTOS ? protos[i].name : NULL;
}

/* prefix_len: decimal digits only, no sign and no leading zero. */
static int prefix_len(const char *s, unsigned int bits, unsigned int *len)
{
	unsigned int v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -ERANGE;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -ERANGE;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > bits)
			return -ERANGE;
	}
	*len = v;
	return 0;
}

int fp_cidr_parse(const char *s, struct fp_cidr *c)
{
	const char *slash = strchr(s, '/');
	size_t hn = slash ? (size_t)(slash - s) : strlen(s);
	char host[INET6_ADDRSTRLEN + 8];
	unsigned int bits, len, i;
	bool host_bits = false;

	memset(c, 0, sizeof(*c));
	if (!hn || hn >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hn);
	host[hn] = '\0';
	c->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, host, c->addr) != 1)
		return -EINVAL;
	bits = c->family == AF_INET ? 32 : 128;
	len = bits;
	if (slash && prefix_len(slash + 1, bits, &len))
		return -ERANGE;
	c->len = (uint8_t)len;
	for (i = len; i < bits; i++) {
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			host_bits = true;
			c->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		}
	}
	return host_bits ? -EDOM : 0;
}

uint32_t fp_ipv4_host(struct in_addr a)
{
	return ntohl(a.s_addr);
}

struct in_addr fp_ipv4_net(uint32_t host)
{
	struct in_addr a = { htonl(host) };

	return a;
}

uint32_t fp_ipv4_mask(unsigned int prefix_len)
{
	return prefix_len ? 0xffffffffu << (32 - prefix_len) : 0;
}
