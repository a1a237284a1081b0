// SPDX-License-Identifier: BSD-2-Clause
/* udp_flood: send UDP frames as fast as one core can, through an AF_PACKET
 * socket with sendmmsg and the qdisc bypassed, for a fixed time. A bounded
 * load generator for benchmarks on the project's own veth lab: it refuses
 * destinations outside 10.0.0.0/8 and exits after --seconds.
 *
 *   udp_flood --dev DEV --dst-mac MAC --src IP --dst IP --port N
 *             [--flows N] [--seconds S] [--size BYTES]
 * Prints: "sent PACKETS in SECONDS s: PPS pps". */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define BATCH     64
#define FRAME_MAX 1514

struct flood {
	int ifindex;
	unsigned char src_mac[ETH_ALEN], dst_mac[ETH_ALEN];
	struct in_addr src, dst;
	unsigned int port, flows, size, sport;
	double seconds;
	unsigned char payload[FRAME_MAX];   /* --payload: the UDP payload */
	size_t payload_len;
};

static unsigned short csum(const void *buf, size_t len)
{
	const unsigned short *p = buf;
	unsigned int sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const unsigned char *)p;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* One frame; flows vary the source port so that per-flow state sees many
 * flows (unless --sport fixes it). The UDP checksum is 0 (allowed for
 * IPv4). The payload is zeros, or --payload's bytes. */
static size_t build(const struct flood *f, unsigned int flow, unsigned char *buf)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *uh = (void *)(ip + 1);
	size_t payload = f->size - sizeof(*eth) - sizeof(*ip) - sizeof(*uh);

	memset(buf, 0, f->size);
	memcpy(eth->h_dest, f->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, f->src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(f->size - sizeof(*eth));
	ip->saddr = f->src.s_addr;
	ip->daddr = f->dst.s_addr;
	ip->check = csum(ip, sizeof(*ip));
	uh->source = htons(f->sport ? f->sport : 10000 + flow % 50000);
	uh->dest = htons(f->port);
	uh->len = htons(sizeof(*uh) + payload);
	memcpy(uh + 1, f->payload, f->payload_len);
	return f->size;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_socket(const struct flood *f)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = f->ifindex,
	};
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return -errno;
	/* Straight to the driver: the qdisc would be the bottleneck. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int flood(const struct flood *f)
{
	static unsigned char frames[BATCH][FRAME_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0;
	unsigned int flow = 0;
	double start, end;
	int fd = open_socket(f);

	if (fd < 0) {
		fprintf(stderr, "udp_flood: AF_PACKET socket: %s\n", strerror(-fd));
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	start = now();
	end = start + f->seconds;
	while (now() < end) {
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = frames[i];
			iov[i].iov_len = build(f, flow++ % f->flows, frames[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += n;
		else if (errno != ENOBUFS && errno != EAGAIN)
			break;
	}
	end = now() - start;
	close(fd);
	printf("sent %llu in %.2f s: %.0f pps\n", sent, end, sent / end);
	return 0;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
		      &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int dev_mac(const char *dev, unsigned char *mac)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	err = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (fd >= 0)
		close(fd);
	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return err;
}

/* read_payload: FILE's bytes as every frame's UDP payload; the frame's
 * size follows from it. */
static int read_payload(const char *file, struct flood *f)
{
	FILE *in = fopen(file, "rb");
	size_t max = FRAME_MAX - sizeof(struct ethhdr) - sizeof(struct iphdr) -
		     sizeof(struct udphdr);

	if (!in) {
		fprintf(stderr, "udp_flood: %s: %s\n", file, strerror(errno));
		return -1;
	}
	f->payload_len = fread(f->payload, 1, max + 1, in);
	fclose(in);
	if (f->payload_len > max) {
		fprintf(stderr, "udp_flood: %s: more than %zu bytes\n", file, max);
		return -1;
	}
	f->size = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) +
		  f->payload_len;
	if (f->size < 60)
		f->size = 60;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "size", required_argument, NULL, 'z' },
		{ "payload", required_argument, NULL, 'P' },
		{ "sport", required_argument, NULL, 'o' },
		{ 0 },
	};
	struct flood f = { .flows = 1, .seconds = 3, .size = 64, .port = 9 };
	const char *dev = NULL;
	bool mac = false;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'm': mac = !parse_mac(optarg, f.dst_mac); break;
		case 's': inet_pton(AF_INET, optarg, &f.src); break;
		case 't': inet_pton(AF_INET, optarg, &f.dst); break;
		case 'p': f.port = atoi(optarg); break;
		case 'f': f.flows = atoi(optarg); break;
		case 'S': f.seconds = atof(optarg); break;
		case 'z': f.size = atoi(optarg); break;
		case 'P': if (read_payload(optarg, &f)) return 1; break;
		case 'o': f.sport = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!dev || !mac || !f.src.s_addr || !f.dst.s_addr || !f.flows ||
	    f.size < 60 || f.size > FRAME_MAX || f.seconds <= 0 || f.seconds > 60) {
		fprintf(stderr, "usage: udp_flood --dev DEV --dst-mac MAC --src IP --dst IP "
			"--port N [--flows N] [--seconds S<=60] [--size 60..1514]\n"
			"                 [--payload FILE] [--sport N]\n");
		return 2;
	}
	/* Only the lab's own addresses: never a host we do not own. */
	if ((ntohl(f.dst.s_addr) >> 24) != 10) {
		fprintf(stderr, "udp_flood: refusing %s: the lab uses 10.0.0.0/8\n",
			inet_ntoa(f.dst));
		return 2;
	}
	f.ifindex = if_nametoindex(dev);
	if (!f.ifindex || dev_mac(dev, f.src_mac)) {
		fprintf(stderr, "udp_flood: no interface %s\n", dev);
		return 1;
	}
	return flood(&f);
}
