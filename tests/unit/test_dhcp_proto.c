// SPDX-License-Identifier: BSD-2-Clause
/* DHCP messages (src/lib/dhcp/dhcp_proto.c): what parses, what is refused,
 * and that built replies and frames carry the right bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <fastpath/dhcp.h>

static const uint8_t MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };

struct pkt {
	uint8_t b[700];
	size_t len;
};

static void pkt_init(struct pkt *p, uint8_t type)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 1;
	p->b[1] = 1;
	p->b[2] = 6;
	p->b[4] = 0x12;
	memcpy(p->b + 28, MAC, 6);
	p->b[236] = 0x63;
	p->b[237] = 0x82;
	p->b[238] = 0x53;
	p->b[239] = 0x63;
	p->len = 240;
	p->b[p->len++] = 53;
	p->b[p->len++] = 1;
	p->b[p->len++] = type;
}

static void pkt_opt(struct pkt *p, uint8_t code, const void *v, uint8_t n)
{
	p->b[p->len++] = code;
	p->b[p->len++] = n;
	memcpy(p->b + p->len, v, n);
	p->len += n;
}

static void pkt_end(struct pkt *p)
{
	p->b[p->len++] = 255;
}

static void test_dhcp_parse_reads_discover_options(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;
	uint8_t ip[4] = { 10, 0, 0, 7 }, cid[7] = { 1, 2, 0, 0, 0, 0, 1 };

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	pkt_opt(&p, 50, ip, 4);
	pkt_opt(&p, 61, cid, 7);
	pkt_opt(&p, 12, "host-a", 6);
	pkt_end(&p);
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), 0);
	assert_int_equal(m.type, FP_DHCPDISCOVER);
	assert_true(m.has_requested_ip);
	assert_memory_equal(&m.requested_ip, ip, 4);
	assert_int_equal(m.client_id_len, 7);
	assert_string_equal(m.hostname, "host-a");
	assert_memory_equal(m.chaddr, MAC, 6);
}

static void test_dhcp_parse_rejects_truncated_header(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	pkt_end(&p);
	assert_int_equal(fp_dhcp_parse(p.b, 239, &m), -EINVAL);
}

static void test_dhcp_parse_rejects_bad_cookie(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	pkt_end(&p);
	p.b[239] = 0x64;
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), -EINVAL);
}

static void test_dhcp_parse_rejects_option_past_end(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	p.b[p.len++] = 12;
	p.b[p.len++] = 40;   /* 40 bytes announced, 3 there */
	p.b[p.len++] = 'a';
	p.b[p.len++] = 'b';
	pkt_end(&p);
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), -EINVAL);
}

static void test_dhcp_parse_rejects_missing_end(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), -EINVAL);
}

static void test_dhcp_parse_rejects_wrong_op_htype_hlen(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;

	(void)state;
	for (int field = 0; field < 3; field++) {
		pkt_init(&p, FP_DHCPDISCOVER);
		pkt_end(&p);
		p.b[field] = 2 + (uint8_t)field * 10;
		assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), -EINVAL);
	}
}

static void test_dhcp_parse_reads_overloaded_file_field(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;
	uint8_t ov = 1;

	(void)state;
	pkt_init(&p, FP_DHCPREQUEST);
	pkt_opt(&p, 52, &ov, 1);
	pkt_end(&p);
	/* option 54 and the end in the file field */
	memcpy(p.b + 108, (uint8_t[]){ 54, 4, 10, 0, 0, 1, 255 }, 7);
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), 0);
	assert_true(m.has_server_id);
	assert_int_equal(ntohl(m.server_id.s_addr), 0x0a000001);
}

static void test_dhcp_parse_rejects_overloaded_field_without_end(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;
	uint8_t ov = 2;

	(void)state;
	pkt_init(&p, FP_DHCPREQUEST);
	pkt_opt(&p, 52, &ov, 1);
	pkt_end(&p);
	memset(p.b + 44, 7, 64);  /* sname: options that never end */
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), -EINVAL);
}

static const uint8_t *find_opt(const uint8_t *b, int len, uint8_t code)
{
	for (int i = 240; i < len && b[i] != 255;) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b[i] == code)
			return b + i;
		i += 2 + b[i + 1];
	}
	return NULL;
}

static void test_dhcp_build_ack_carries_lease_options(void **state)
{
	struct fp_dhcp_reply r = { .type = FP_DHCPACK, .lease_s = 3600, .has_mask = true,
				   .n_dns = 2, .domain = "example.org", .relay_len = 3,
				   .relay = { 1, 1, 9 } };
	uint8_t b[FP_DHCP_MSG_MAX];
	const uint8_t *o;
	int len;

	(void)state;
	inet_pton(AF_INET, "10.0.0.5", &r.yiaddr);
	inet_pton(AF_INET, "10.0.0.1", &r.server_id);
	inet_pton(AF_INET, "255.255.255.0", &r.mask);
	inet_pton(AF_INET, "10.0.0.1", &r.router);
	inet_pton(AF_INET, "10.0.0.2", &r.dns[0]);
	inet_pton(AF_INET, "10.0.0.3", &r.dns[1]);
	len = fp_dhcp_build(&r, b, sizeof(b));
	assert_true(len >= 300);
	assert_int_equal(b[0], 2);
	assert_memory_equal(b + 16, &r.yiaddr, 4);
	assert_non_null(o = find_opt(b, len, 53));
	assert_int_equal(o[2], FP_DHCPACK);
	assert_non_null(o = find_opt(b, len, 51));
	assert_int_equal(o[2] << 24 | o[3] << 16 | o[4] << 8 | o[5], 3600);
	assert_non_null(o = find_opt(b, len, 58));
	assert_int_equal(o[4] << 8 | o[5], 1800);
	assert_non_null(o = find_opt(b, len, 59));
	assert_int_equal(o[4] << 8 | o[5], 3150);
	assert_non_null(o = find_opt(b, len, 6));
	assert_int_equal(o[1], 8);
	assert_non_null(o = find_opt(b, len, 15));
	assert_memory_equal(o + 2, "example.org", 11);
	assert_non_null(o = find_opt(b, len, 82));
	assert_non_null(find_opt(b, len, 1));
	assert_non_null(find_opt(b, len, 3));
	assert_non_null(find_opt(b, len, 54));
}

static void test_dhcp_build_nak_has_no_lease_options(void **state)
{
	struct fp_dhcp_reply r = { .type = FP_DHCPNAK, .lease_s = 3600, .has_mask = true };
	uint8_t b[FP_DHCP_MSG_MAX];
	int len;

	(void)state;
	len = fp_dhcp_build(&r, b, sizeof(b));
	assert_true(len > 0);
	assert_null(find_opt(b, len, 51));
	assert_null(find_opt(b, len, 1));
	assert_non_null(find_opt(b, len, 54));
}

static void test_dhcp_key_uses_client_id_with_type_byte(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;
	struct fp_dhcp_key k;
	uint8_t cid[7] = { 1, 2, 0, 0, 0, 0, 9 };

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	pkt_opt(&p, 61, cid, 7);
	pkt_end(&p);
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), 0);
	fp_dhcp_key_make(&m, 42, &k);
	assert_int_equal(k.kind, FP_DHCP_KEY_CLIENT_ID);
	assert_int_equal(k.len, 7);
	assert_int_equal(k.vlan, 42);
	assert_memory_equal(k.id, cid, 7);
	assert_int_equal(k.id[7], 0);
}

static void test_dhcp_key_uses_chaddr_without_client_id(void **state)
{
	struct pkt p;
	struct fp_dhcp_msg m;
	struct fp_dhcp_key k;

	(void)state;
	pkt_init(&p, FP_DHCPDISCOVER);
	pkt_end(&p);
	assert_int_equal(fp_dhcp_parse(p.b, p.len, &m), 0);
	fp_dhcp_key_make(&m, 0, &k);
	assert_int_equal(k.kind, FP_DHCP_KEY_MAC);
	assert_int_equal(k.len, 6);
	assert_memory_equal(k.id, MAC, 6);
}

static uint16_t fold(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_dhcp_frame_build_checksums_verify(void **state)
{
	uint8_t f[1600], payload[301] = { 2, 1, 6 };
	struct in_addr src, dst;
	int len;
	uint32_t pseudo;

	(void)state;
	inet_pton(AF_INET, "10.0.0.1", &src);
	inet_pton(AF_INET, "10.0.0.5", &dst);
	len = fp_dhcp_frame_build(f, sizeof(f), MAC, MAC, 0, src, dst, payload, sizeof(payload));
	assert_int_equal(len, 14 + 20 + 8 + 301);
	assert_int_equal(fold(f + 14, 20, 0), 0xffff);
	pseudo = fold(f + 26, 8, 0) + 17 + 8 + 301;
	assert_int_equal(fold(f + 34, 8 + 301, pseudo), 0xffff);
	assert_int_equal(f[36] << 8 | f[37], 68);
}

static void test_dhcp_frame_parse_finds_payload_behind_vlan_tag(void **state)
{
	uint8_t f[1600], payload[300] = { 1, 1, 6 }, src[6];
	struct in_addr a = { htonl(0x0a000001) };
	const uint8_t *pl;
	size_t plen;
	uint16_t vlan;
	int len;

	(void)state;
	len = fp_dhcp_frame_build(f, sizeof(f), MAC, MAC, 100, a, a, payload, sizeof(payload));
	f[18 + 22] = 0;             /* make it to port 67 */
	f[18 + 23] = 67;
	assert_int_equal(fp_dhcp_frame_parse(f, (size_t)len, 0, &vlan, src, &pl, &plen), 0);
	assert_int_equal(vlan, 100);
	assert_int_equal(plen, 300);
	assert_ptr_equal(pl, f + 18 + 28);
	assert_int_equal(fp_dhcp_frame_parse(f, 40, 0, &vlan, src, &pl, &plen), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_parse_reads_discover_options),
		cmocka_unit_test(test_dhcp_parse_rejects_truncated_header),
		cmocka_unit_test(test_dhcp_parse_rejects_bad_cookie),
		cmocka_unit_test(test_dhcp_parse_rejects_option_past_end),
		cmocka_unit_test(test_dhcp_parse_rejects_missing_end),
		cmocka_unit_test(test_dhcp_parse_rejects_wrong_op_htype_hlen),
		cmocka_unit_test(test_dhcp_parse_reads_overloaded_file_field),
		cmocka_unit_test(test_dhcp_parse_rejects_overloaded_field_without_end),
		cmocka_unit_test(test_dhcp_build_ack_carries_lease_options),
		cmocka_unit_test(test_dhcp_build_nak_has_no_lease_options),
		cmocka_unit_test(test_dhcp_key_uses_client_id_with_type_byte),
		cmocka_unit_test(test_dhcp_key_uses_chaddr_without_client_id),
		cmocka_unit_test(test_dhcp_frame_build_checksums_verify),
		cmocka_unit_test(test_dhcp_frame_parse_finds_payload_behind_vlan_tag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
