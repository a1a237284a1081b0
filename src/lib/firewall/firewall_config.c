// SPDX-License-Identifier: BSD-2-Clause
/* The firewall: section of the configuration (policy and rules), also
 * read alone from a file of its own by `fastpath firewall check|replace`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fastpath/config.h>
#include "config/schema.h"

_Static_assert(sizeof(struct fp_fw_ports) == 2 * sizeof(uint16_t) &&
	       offsetof(struct fp_fw_ports, hi) == sizeof(uint16_t),
	       "fp_cfg_ports writes lo, hi");

/* p_action: allow or drop, for a rule's action and the policy. */
static int p_action(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		    const struct field *f)
{
	static const char *const words[] = { [FP_FW_ALLOW] = "allow", [FP_FW_DROP] = "drop" };
	int i = fp_cfg_word(w, n, path, words, ARRAY_SIZE(words), "allow or drop");

	(void)f;
	if (i < 0)
		return i;
	*(enum fp_fw_action *)dst = (enum fp_fw_action)i;
	return 0;
}

static int p_fw_prefix(struct walk *w, yaml_node_t *n, const char *path,
		       void *dst, const struct field *f)
{
	struct fp_fw_prefix *p = dst;
	const char *s = fp_cfg_value_of(w, n, path, "an IP address or CIDR");
	struct fp_cidr c;

	(void)f;
	if (!s || fp_cfg_cidr(w, n, path, s, &c))
		return -EINVAL;
	memcpy(p->addr, c.addr, sizeof(p->addr));
	p->len = c.len;
	p->family = c.family;
	p->present = true;
	return 0;
}

enum { R_ACTION, R_SRC, R_DST, R_PROTO, R_PORT, R_DPORT, R_SPORT, R_IFACE };

static void rule_check(struct walk *w, yaml_node_t *map, const char *path,
		       void *dst, const struct seen *seen)
{
	struct fp_fw_rule *r = dst;
	bool ports = seen[R_PORT].key || seen[R_DPORT].key || seen[R_SPORT].key;
	char at[PATH_BUF];

	(void)map;
	if (seen[R_PORT].key && seen[R_DPORT].key) {
		fp_cfg_path_key(at, path, "dest_port");
		fp_cfg_report(w, seen[R_DPORT].key, at, "'port' (line %u) already is the "
		       "destination port; give one of them", fp_cfg_line_of(seen[R_PORT].key));
	}
	if (r->src.present && r->dst.present && r->src.family != r->dst.family) {
		fp_cfg_path_key(at, path, "dest_ip");
		fp_cfg_report(w, seen[R_DST].val, at, "source_ip is %s but dest_ip is %s; "
		       "a rule matches one family, so split it in two",
		       r->src.family == AF_INET ? "IPv4" : "IPv6",
		       r->dst.family == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	r->family = r->src.present ? r->src.family : r->dst.present ? r->dst.family : 0;
	if (!seen[R_PROTO].ok)
		return;
	fp_cfg_path_key(at, path, "protocol");
	if (ports && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP && r->proto) {
		fp_cfg_report(w, seen[R_PROTO].val, at, "ports need protocol tcp, udp or "
		       "any (which means tcp and udp); %s has none",
		       (const char *)seen[R_PROTO].val->data.scalar.value);
	} else if (r->proto == IPPROTO_ICMP && r->family == AF_INET6) {
		fp_cfg_report(w, seen[R_PROTO].val, at, "icmp is IPv4's; the addresses are "
		       "IPv6, so write icmpv6");
	} else if (r->proto == IPPROTO_ICMPV6 && r->family == AF_INET) {
		fp_cfg_report(w, seen[R_PROTO].val, at, "icmpv6 is IPv6's; the addresses are "
		       "IPv4, so write icmp");
	}
}

static const struct field rule_fields[] = {
	[R_ACTION] = { .key = "action", .parse = p_action,
	  .off = offsetof(struct fp_fw_rule, action),
	  .required = true, .hint = "drop or allow" },
	[R_SRC] = { .key = "source_ip", .parse = p_fw_prefix,
	  .off = offsetof(struct fp_fw_rule, src) },
	[R_DST] = { .key = "dest_ip", .parse = p_fw_prefix,
	  .off = offsetof(struct fp_fw_rule, dst) },
	[R_PROTO] = { .key = "protocol", .parse = fp_cfg_proto,
	  .off = offsetof(struct fp_fw_rule, proto) },
	[R_PORT] = { .key = "port", .parse = fp_cfg_ports,
	  .off = offsetof(struct fp_fw_rule, dport) },
	[R_DPORT] = { .key = "dest_port", .parse = fp_cfg_ports,
	  .off = offsetof(struct fp_fw_rule, dport) },
	[R_SPORT] = { .key = "source_port", .parse = fp_cfg_ports,
	  .off = offsetof(struct fp_fw_rule, sport) },
	[R_IFACE] = { .key = "interface", .parse = fp_cfg_ifname,
	  .off = offsetof(struct fp_fw_rule, ifname) },
};

static const struct schema rule_schema = { rule_fields, ARRAY_SIZE(rule_fields), rule_check };

static int rule_item(struct walk *w, yaml_node_t *n, const char *path, void *item)
{
	struct fp_fw_rule *r = item;

	r->line = fp_cfg_line_of(n);
	return fp_cfg_walk_map(w, n, path, &rule_schema, r);
}

static int p_rules(struct walk *w, yaml_node_t *n, const char *path, void *dst,
		   const struct field *f)
{
	struct fp_firewall_config *fw = dst;
	void *arr;
	int ret;

	(void)f;
	ret = fp_cfg_walk_list(w, n, path, "rules", FP_CONFIG_RULES_MAX, sizeof(*fw->rules),
			&arr, &fw->n_rules, rule_item);
	fw->rules = arr;
	return ret;
}

static const struct field firewall_fields[] = {
	{ .key = "policy", .parse = p_action,
	  .off = offsetof(struct fp_firewall_config, policy) },
	{ .key = "rules", .parse = p_rules },
};

static const struct schema firewall_schema = {
	firewall_fields, ARRAY_SIZE(firewall_fields), NULL
};


static void firewall_defaults(void *dst)
{
	struct fp_firewall_config *fw = dst;

	memset(fw, 0, sizeof(*fw));
	fw->policy = FP_FW_ALLOW;
}

static void firewall_free(void *dst)
{
	fp_firewall_config_free(dst);
}

/* A rule for an interface fastpath runs no pipeline on never matches (a
 * typo, most likely): refused. DST is the config's firewall member. */
static void firewall_check(struct walk *w, const struct fp_cfg_root *root,
			   const struct seen *self, void *dst)
{
	const struct fp_firewall_config *fw = dst;
	const struct fp_config *cfg = (const void *)((const char *)dst -
						    offsetof(struct fp_config, firewall));
	char at[PATH_BUF], list[FP_CONFIG_IFACES_MAX * (IF_NAMESIZE + 2)];

	if (!self->ok)
		return;
	for (size_t i = 0; i < fw->n_rules; i++) {
		const struct fp_fw_rule *r = &fw->rules[i];

		if (!r->ifname[0] || fp_cfg_ebpf_serves(root, &cfg->ebpf, r->ifname, list,
							 sizeof(list)))
			continue;
		fp_cfg_path_item(at, "firewall.rules", i, "interface");
		fp_cfg_report_at(w, r->line, at, "'%s' is not one of orchestrator.ebpf's "
				 "interfaces (%s): the rule would never match", r->ifname, list);
	}
}

const struct fp_cfg_section fp_firewall_section = {
	.key = "firewall",
	.schema = &firewall_schema,
	.defaults = firewall_defaults,
	.free = firewall_free,
	.check = firewall_check,
};

int fp_firewall_config_parse(const char *text, size_t len, const char *name,
			     struct fp_firewall_config *fw,
			     struct fp_config_error *err)
{
	struct fp_config_error spare;
	struct walk w;
	int ret;

	fp_cfg_walk_init(&w, name, err, &spare);
	firewall_defaults(fw);
	ret = fp_cfg_walk_file(&w, text, len, &firewall_schema, fw);
	if (ret)
		fp_firewall_config_free(fw);
	return ret;
}

void fp_firewall_config_free(struct fp_firewall_config *fw)
{
	free(fw->rules);
	memset(fw, 0, sizeof(*fw));
}

int fp_firewall_config_load(const char *path, struct fp_firewall_config *fw,
			    struct fp_config_error *err)
{
	size_t len;
	char *text;
	int ret;

	memset(fw, 0, sizeof(*fw));
	ret = fp_cfg_read_file(path, &text, &len, err);
	if (ret)
		return ret;
	ret = fp_firewall_config_parse(text, len, path, fw, err);
	free(text);
	return ret;
}
