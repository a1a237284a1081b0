/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: a compiled rule set, the contents of every
 * firewall map of bpf/firewall_abi.h, made by firewall_compile.c and
 * written into the kernel by firewall.c. */
#ifndef FP_LIB_FIREWALL_COMPILED_H
#define FP_LIB_FIREWALL_COMPILED_H

#include <fastpath/firewall.h>
#include "firewall_abi.h"

struct gen_maps;

struct fp_fw_compiled {
	struct fp_fw_meta meta;         /* ncpu is the installer's to set */
	struct fp_fw_node *nodes;       /* FP_FW_NODES_MAX entries, core/mapping.h, huge */
	__u32 n_nodes;
	struct fp_fw_class *values;     /* FP_FW_VALUES_MAX entries, core/mapping.h, huge */
	__u32 n_values;                 /* in use, from index 0 */
	struct fp_fw_bucket *buckets;   /* the match table: meta.match_mask + 1 of
					 * FP_FW_BUCKETS_MAX, core/mapping.h, huge */
	__u32 n_buckets;
	__u32 n_match;                  /* entries in it */
	struct fp_fw_verdict *verdicts; /* by position, 0 the policy */
	struct fp_fw_entry *entries;
	__u32 n_pos;                    /* rules + 1 */
	__u32 addr_classes;
	struct gen_maps *staged;        /* its inner maps made and filled ahead
					 * (fp_firewall_check_stage), or NULL */
};

/* fp_fw_trie_init: the four roots, every entry "no prefix" (FP_FW_V_NOSRC
 * or FP_FW_V_NODST). */
int fp_fw_trie_init(struct fp_fw_compiled *c);

/* fp_fw_trie_insert: CLS for every address of the prefix ADDR/LEN under
 * ROOT. Prefixes must come shortest first; -E2BIG when the nodes are full. */
int fp_fw_trie_insert(struct fp_fw_compiled *c, int root, const __u8 *addr, int len, __u32 cls);

/* fp_fw_trie_lookup: the class of ADDR under ROOT, as the stage walks it
 * (bpf/firewall_stage.h: fp_fw_addr_class). */
__u32 fp_fw_trie_lookup(const struct fp_fw_compiled *c, int root, const __u8 *addr);

/* fp_fw_kept_take: the set fp_firewall_check compiled for FW, when it
 * was the last checked and FW names no interface (then it is every
 * interface's): the caller's to install and free. NULL: compile it. */
struct fp_fw_compiled *fp_fw_kept_take(const struct fp_firewall_config *fw);

#endif
