/* SPDX-License-Identifier: BSD-2-Clause */
/* fastpathd's configuration file: YAML (JSON is YAML too) read into typed
 * structs and validated whole before anything is applied.
 *
 * The schema, every key and the form of errors are in docs/config.md; a
 * complete example is examples/fastpath.yaml. Errors look like
 *
 *   fastpath.yaml:7: orchestrator.ebpf.mode: 'nativ' is not one of native, skb, auto (did you mean 'native'?)
 *
 * one per line, every error found in the file (as many as fit in
 * fp_config_error.msg; a last line says how many more there were). Paths
 * name list items by 0-based index: firewall.rules[3].port.
 *
 * Addresses are stored in network byte order, ports in host byte order. */
#ifndef FASTPATH_CONFIG_H
#define FASTPATH_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <fastpath/core.h>

#define FP_CONFIG_DEFAULT_PATH   "/etc/fastpath/fastpath.yaml"
#define FP_CONFIG_FILE_MAX       (64u << 20)   /* bytes fp_*_load reads */

#define FP_CONFIG_IFACES_MAX     16
#define FP_CONFIG_RULES_MAX      100000
#define FP_CONFIG_FLOWS_MAX      (1u << 24)
#define FP_CONFIG_LEASES_MAX     (1u << 24)
#define FP_CONFIG_POOLS_MAX      10000
#define FP_CONFIG_RESERV_MAX     (1u << 24)
#define FP_CONFIG_FUNCTIONS_MAX  4096
#define FP_DHCP_DNS_MAX          4
#define FP_DOMAIN_MAX            254           /* 253 characters and a NUL */

#define FP_CONFIG_PROMETHEUS_PORT 9090
#define FP_CONFIG_MAX_FLOWS       65536 /* = FP_FLOWS_DEFAULT, bpf/flows_abi.h */
#define FP_CONFIG_IDLE_TIMEOUT_MS 30000
#define FP_CONFIG_LEASE_CACHE     1000000
#define FP_CONFIG_LEASE_TIME_S    3600
#define FP_CONFIG_LEASE_FILE      "/var/lib/fastpath/dhcp4.leases"

struct fp_config_error {
	char msg[1024];
};

/* ---- firewall --------------------------------------------------------- */

enum fp_fw_action { FP_FW_ALLOW = 0, FP_FW_DROP };

struct fp_fw_prefix {
	uint8_t addr[16];       /* IPv4 in the first 4 bytes; host bits are 0 */
	uint8_t len;            /* 0..32 or 0..128 */
	bool present;           /* false: any address */
	int family;             /* AF_INET or AF_INET6 when present */
};

struct fp_fw_ports {
	uint16_t lo, hi;        /* inclusive; 0-0: any port */
};

struct fp_fw_rule {
	enum fp_fw_action action;
	int family;             /* 0 (any), AF_INET or AF_INET6, from the addresses */
	struct fp_fw_prefix src;
	struct fp_fw_prefix dst;
	int proto;              /* 0 (any), IPPROTO_TCP, _UDP, _ICMP, _ICMPV6;
				 * with ports, 0 means TCP or UDP */
	struct fp_fw_ports sport;
	struct fp_fw_ports dport;
	char ifname[IF_NAMESIZE]; /* "" for any interface */
	unsigned int line;      /* where the rule starts in its file */
};

struct fp_firewall_config {
	enum fp_fw_action policy; /* for packets no rule matches */
	struct fp_fw_rule *rules; /* first match wins, in file order */
	size_t n_rules;
};

/* ---- the whole file --------------------------------------------------- */

struct fp_ebpf_config {
	bool enabled;           /* false: userspace only, no interface needed */
	char interfaces[FP_CONFIG_IFACES_MAX][IF_NAMESIZE];
	size_t n_interfaces;
	enum fp_xdp_mode mode;
	char xdp_program[PATH_MAX]; /* absolute path, "" for none */
};

struct fp_flows_config {
	bool enabled;
	uint32_t max_flows;
	uint32_t idle_timeout_ms;
};

struct fp_dhcp_pool {
	struct in_addr subnet;  /* host bits 0 */
	uint8_t prefix_len;
	struct in_addr range_lo; /* inclusive, within the subnet's hosts */
	struct in_addr range_hi;
	struct in_addr router;  /* 0.0.0.0: none */
	struct in_addr dns[FP_DHCP_DNS_MAX];
	size_t n_dns;
	char domain[FP_DOMAIN_MAX]; /* "" for none */
	uint32_t lease_time_s;
	unsigned int line;
};

struct fp_dhcp_reservation {
	uint8_t mac[6];
	struct in_addr ip;
	unsigned int line;
};

struct fp_dhcp_config {
	bool present;           /* the file has a dhcp: section */
	char interface[IF_NAMESIZE];
	struct in_addr server_id;
	uint32_t lease_cache_size;
	char lease_file[PATH_MAX]; /* the lease database, absolute */
	struct fp_dhcp_pool *pools;
	size_t n_pools;
	struct fp_dhcp_reservation *reservations;
	size_t n_reservations;
};

struct fp_function_config {
	char id[FP_NAME_MAX];   /* fp_name_valid() */
	uint16_t trigger_port;
	char handler_path[PATH_MAX]; /* absolute */
	unsigned int line;
};

struct fp_config {
	struct fp_ebpf_config ebpf;     /* orchestrator.ebpf */
	int prometheus_port;            /* orchestrator.prometheus_port; 0: off */
	struct fp_firewall_config firewall;
	struct fp_flows_config flows;
	struct fp_dhcp_config dhcp;
	struct fp_function_config *functions;
	size_t n_functions;
};

/* fp_duration_parse: a duration as the file writes them (30s, 5m, 1h,
 * 500ms, 2d, or a bare number of seconds) in ms; -EINVAL, -ERANGE. */
int fp_duration_parse(const char *s, unsigned long long *ms);

/* fp_config_defaults: what an absent key means (eBPF on with no interface
 * yet, mode auto, Prometheus on 9090, policy allow and no rules, flows on,
 * no DHCP, no functions). Allocates nothing. */
void fp_config_defaults(struct fp_config *cfg);

/* fp_config_parse: parse and validate TEXT (LEN bytes, YAML or JSON) into
 * *cfg. NAME stands for the file in messages. Returns 0, -EINVAL when the
 * text is not a valid configuration (err->msg lists every error, one per
 * line), or -ENOMEM. On error *cfg is zeroed and holds nothing. On success
 * the caller frees *cfg with fp_config_free. err may be NULL. */
int fp_config_parse(const char *text, size_t len, const char *name,
		    struct fp_config *cfg, struct fp_config_error *err);

/* fp_config_load: fp_config_parse on the contents of PATH, which also
 * names it in messages. I/O errors are returned as -errno (-ENOENT,
 * -EACCES, -EISDIR, -EFBIG above FP_CONFIG_FILE_MAX) with err->msg set. */
int fp_config_load(const char *path, struct fp_config *cfg,
		   struct fp_config_error *err);

/* fp_config_free: release what fp_config_parse allocated and zero *cfg.
 * Safe on a zeroed or already freed config. */
void fp_config_free(struct fp_config *cfg);

/* fp_ipv4_host / fp_ipv4_net: an IPv4 address in host byte order, and
 * back; fp_ipv4_mask: the netmask of PREFIX_LEN (0-32), host order. */
uint32_t fp_ipv4_host(struct in_addr a);
struct in_addr fp_ipv4_net(uint32_t host);
uint32_t fp_ipv4_mask(unsigned int prefix_len);

/* fp_dhcp_pool_in_subnet / _in_range: A is in P's subnet; A is in P's
 * range (range_lo..range_hi, inclusive). */
bool fp_dhcp_pool_in_subnet(const struct fp_dhcp_pool *p, struct in_addr a);
bool fp_dhcp_pool_in_range(const struct fp_dhcp_pool *p, struct in_addr a);

/* fp_firewall_config_parse: a file that holds the firewall section alone
 * (a mapping with policy and rules, as under the config's firewall: key),
 * for `fastpath firewall check|replace FILE`. Paths in messages are then
 * relative to the file: rules[2].port. Contract as fp_config_parse. */
int fp_firewall_config_parse(const char *text, size_t len, const char *name,
			     struct fp_firewall_config *fw,
			     struct fp_config_error *err);

/* fp_firewall_config_load: fp_firewall_config_parse on PATH's contents. */
int fp_firewall_config_load(const char *path, struct fp_firewall_config *fw,
			    struct fp_config_error *err);

/* fp_firewall_config_free: release the rules and zero *fw. */
void fp_firewall_config_free(struct fp_firewall_config *fw);

#endif
