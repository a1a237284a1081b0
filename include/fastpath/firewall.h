/* SPDX-License-Identifier: BSD-2-Clause */
/* The firewall: rules from struct fp_firewall_config (below) compiled
 * per interface into the pipeline's firewall maps (bpf/firewall_abi.h)
 * and replaced atomically: a packet sees the whole old set or the whole
 * new one. Per-rule counters survive a replace for every rule that did
 * not change (same action and match fields). Design and costs:
 * docs/firewall.md.
 *
 * An interface's set is the rules whose interface is empty or names it,
 * in file order; rule numbers are the rule's 1-based index in the file.
 * The active set is pinned with the pipeline (FP_PIPELINE_DIR/DEV/fw_*),
 * so it can be listed without the daemon.
 *
 * Functions return 0 or a negative errno. A set that does not compile
 * (-E2BIG: it does not fit the maps) leaves err->msg naming the rule, its
 * line and the reason, and changes nothing. */
#ifndef FASTPATH_FIREWALL_H
#define FASTPATH_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define FP_CONFIG_RULES_MAX      100000

#include <fastpath/core.h>      /* struct fp_config_error */

/* ---- the configuration's firewall: section ----------------------------- */

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
	unsigned int index;     /* its number in its file, 1-based; 0: its
				 * place in rules (as a parsed file has it) */
};

struct fp_firewall_config {
	enum fp_fw_action policy; /* for packets no rule matches */
	struct fp_fw_rule *rules; /* first match wins, in file order */
	size_t n_rules;
};

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

/* The firewall: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_firewall_section;

/* ---- compiling and installing a rule set -------------------------------- */

/* Entries of the match table (rules on two fields or more, each expanded
 * over the address classes it covers): half its room, so that lookups
 * stay short. */
#define FP_FW_MATCH_MAX (1u << 18)

struct fp_fw_compiled;

/* What a compiled set holds, for messages, tests and the benchmark. */
struct fp_fw_compile_stats {
	size_t rules;           /* of this interface */
	size_t slots;           /* shapes of two fields or more in use */
	size_t match_entries;
	size_t nodes;           /* trie nodes, roots included */
	size_t addr_classes;    /* distinct prefixes */
};

/* fp_firewall_compile: the rules of FW that apply to DEV (NULL: only the
 * rules with no interface) into *out, which the caller frees with
 * fp_fw_compiled_free. Pure: no kernel, no files. -E2BIG with err->msg
 * ("does not fit the maps: rule N at line L ...") when the set needs more
 * than the maps hold; -ENOMEM. err may be NULL. */
int fp_firewall_compile(const struct fp_firewall_config *fw, const char *dev,
			struct fp_fw_compiled **out, struct fp_config_error *err);

void fp_fw_compiled_free(struct fp_fw_compiled *c);

void fp_fw_compiled_stats(const struct fp_fw_compiled *c, struct fp_fw_compile_stats *st);

/* A packet's fields as the stage sees them (bpf/firewall_stage.h). */
struct fp_fw_packet {
	int family;             /* AF_INET, AF_INET6; 0: the IP header did not parse */
	uint8_t src[16];        /* network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint8_t proto;
	bool ports;             /* a TCP or UDP header was read */
	uint16_t sport, dport;
};

/* fp_fw_compiled_match: what the stage decides for PKT under C, computed
 * from the same tables: *rule the rule's index in the file (0: the
 * policy), *action its action. */
void fp_fw_compiled_match(const struct fp_fw_compiled *c, const struct fp_fw_packet *pkt,
			  unsigned int *rule, enum fp_fw_action *action);

/* fp_firewall_check: compile FW for every interface its rules name and
 * for the others; the first error found, as fp_firewall_compile. A set
 * that names no interface is kept compiled (megabytes) for the next
 * fp_firewall_apply of the same rules, which takes it instead of
 * compiling again; the next check replaces it. */
int fp_firewall_check(const struct fp_firewall_config *fw, struct fp_config_error *err);

/* fp_firewall_check_stage: the set fp_firewall_check kept, its maps made
 * and filled now (kernel memory; nothing installed, nothing changes) so
 * that the fp_firewall_apply taking it only puts them in place: for a
 * caller with a core to spare before that apply (fastpathd at start,
 * while its pipeline loads). Nothing when nothing is kept; -errno. */
int fp_firewall_check_stage(void);

/* fp_firewall_check_release: drop what fp_firewall_check kept, once the
 * applies that follow it are done (fastpathd, after applying a config or
 * refusing it): a set no apply took is not held. */
void fp_firewall_check_release(void);

/* The pipeline's firewall maps, by fd: pinned (fp_firewall_maps_open) or
 * a skeleton's own (tests, benchmarks). */
struct fp_fw_maps {
	int gen, table, counters, list, live;
};

/* fp_firewall_maps_open: DEV's pinned maps. -ENOENT: no pipeline there. */
int fp_firewall_maps_open(const char *dev, struct fp_fw_maps *m);

void fp_firewall_maps_close(struct fp_fw_maps *m);

/* fp_firewall_install: build C into the inactive slot of M, flip, wait
 * until no packet uses the old set, carry its counters over, free it.
 * Nothing changes for packets on error. Callers serialise installs. */
int fp_firewall_install(const struct fp_fw_maps *m, const struct fp_fw_compiled *c);

/* fp_firewall_uninstall: empty both slots; the stage then passes all. */
int fp_firewall_uninstall(const struct fp_fw_maps *m);

/* fp_firewall_apply: compile FW for DEV, install it into DEV's pipeline
 * and enable the firewall stage. The same set again changes nothing.
 * -ENOENT: no pipeline on DEV (fastpath up DEV first). */
int fp_firewall_apply(const char *dev, const struct fp_firewall_config *fw,
		      struct fp_config_error *err);

/* fp_firewall_edit_fn: change FW (the live set, rules allocated with room
 * for one more) in place; 0, or a -errno that cancels the edit. */
typedef int (*fp_firewall_edit_fn)(struct fp_firewall_config *fw, void *ctx);

/* fp_firewall_edit: read DEV's live set, let EDIT change it and apply
 * the result, all under DEV's lock, so that two editors (the CLI, the
 * daemon) never lose each other's changes. EDIT sees each rule's number
 * (fp_fw_rule.index, as fp_firewall_list shows it); the result is
 * numbered by place. Errors as fp_firewall_apply. */
int fp_firewall_edit(const char *dev, fp_firewall_edit_fn edit, void *ctx,
		     struct fp_config_error *err);

/* fp_firewall_clear: disable the stage and remove DEV's rule set. */
int fp_firewall_clear(const char *dev);

struct fp_fw_rule_stats {
	struct fp_fw_rule rule; /* as applied; line as in its file */
	unsigned int index;     /* 1-based in its file */
	uint64_t packets, bytes;
};

struct fp_fw_listing {
	enum fp_fw_action policy;
	uint64_t policy_packets, policy_bytes;
	struct fp_fw_rule_stats *rules;
	size_t n;
	unsigned int slots;     /* rule shapes of two fields or more: the
				 * slots the stage probes (fp_firewall_shape) */
};

/* fp_firewall_list: DEV's active set and counters (summed over CPUs).
 * -ENOENT: no pipeline, or no rule set on it. Free with
 * fp_fw_listing_free. */
int fp_firewall_list(const char *dev, struct fp_fw_listing *out);

/* fp_firewall_counts: fp_firewall_list without the rules themselves
 * (each rule field zeroed): index and counters, all metrics export. */
int fp_firewall_counts(const char *dev, struct fp_fw_listing *out);

/* fp_firewall_shape: only how many rules DEV's active set has (n), its
 * policy and its slots; no counter is read and nothing is allocated
 * (rules NULL), so a periodic check costs a few lookups whatever the
 * set's size. */
int fp_firewall_shape(const char *dev, struct fp_fw_listing *out);

/* fp_firewall_rules_on: how many of FW's rules DEV's set holds (those
 * that name no interface or name DEV). */
size_t fp_firewall_rules_on(const struct fp_firewall_config *fw, const char *dev);

/* fp_firewall_slots: the slots FW needs on DEV (NULL: rules naming an
 * interface count on every one), as the compile would assign them. */
unsigned int fp_firewall_slots(const struct fp_firewall_config *fw, const char *dev);

/* fp_firewall_list_maps, fp_firewall_shape_maps: the same from maps by
 * fd, without DEV's lock (the caller's to hold). */
int fp_firewall_list_maps(const struct fp_fw_maps *m, struct fp_fw_listing *out);
int fp_firewall_shape_maps(const struct fp_fw_maps *m, struct fp_fw_listing *out);

void fp_fw_listing_free(struct fp_fw_listing *l);

/* ---- editing the live set (firewall_edit.c) ---------------------------- */

/* fp_fw_rules_insert: RULE into FW's list at 1-based position AT (0, or
 * past the end: last); the rules array grows. -ENOMEM. */
int fp_fw_rules_insert(struct fp_firewall_config *fw, const struct fp_fw_rule *rule,
		       size_t at);

/* fp_fw_rules_remove: rule INDEX (1-based) out of FW's list; -ERANGE when
 * there is no such rule. */
int fp_fw_rules_remove(struct fp_firewall_config *fw, size_t index);

/* fp_firewall_add, fp_firewall_delete, fp_firewall_flush: DEV's live set
 * with RULE inserted before the rule numbered AT (at the end when AT is 0
 * or past the last), without the rule numbered INDEX (-ERANGE, *n_rules
 * the number of rules it has), or with no rules (the policy stays),
 * applied as fp_firewall_edit does. Numbers are fp_firewall_list's (a set
 * from a file keeps its rules' numbers there); the edited set is numbered
 * by place. */
int fp_firewall_add(const char *dev, const struct fp_fw_rule *rule, size_t at,
		    struct fp_config_error *err);
int fp_firewall_delete(const char *dev, size_t index, size_t *n_rules,
		       struct fp_config_error *err);
int fp_firewall_flush(const char *dev, struct fp_config_error *err);

#endif
