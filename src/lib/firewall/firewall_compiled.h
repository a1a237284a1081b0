/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: a compiled rule set, the contents of every
 * firewall map of bpf/firewall_abi.h, made by firewall_compile.c and
 * written into the kernel by firewall.c. */
#ifndef FP_LIB_FIREWALL_COMPILED_H
#define FP_LIB_FIREWALL_COMPILED_H

#include <fastpath/firewall.h>
#include "firewall_abi.h"

struct fp_fw_compiled {
	struct fp_fw_meta meta;         /* ncpu is the installer's to set */
	struct fp_fw_node *nodes;       /* FP_FW_NODES_MAX entries, fp_fw_big_alloc */
	__u32 n_nodes;
	struct fp_fw_class *values;     /* FP_FW_VALUES_MAX entries, fp_fw_big_alloc */
	__u32 n_values;                 /* in use, from index 0 */
	struct fp_fw_bucket *buckets;   /* the match table: meta.match_mask + 1 of
					 * FP_FW_BUCKETS_MAX, fp_fw_big_alloc */
	__u32 n_buckets;
	__u32 n_match;                  /* entries in it */
	struct fp_fw_verdict *verdicts; /* by position, 0 the policy */
	struct fp_fw_entry *entries;
	__u32 n_pos;                    /* rules + 1 */
	__u32 addr_classes;
};

/* fp_fw_big_alloc: SIZE zeroed bytes for a table of the compiled set,
 * the size of its map (megabytes: the port values alone are 4 MB written
 * whole), of which the compile touches what it fills. Mapped with
 * transparent huge pages where the kernel gives them on request, so that
 * they are faulted in 2 MB at a time rather than 4 KB: a fault costs
 * ~15 us in a guest without huge pages of its own, and 16 MB touched
 * page by page took 60 ms there, 1.3 ms in huge pages. NULL with errno
 * set. fp_fw_big_free: what it gave, SIZE as given. */
void *fp_fw_big_alloc(size_t size);
void fp_fw_big_free(void *p, size_t size);

/* fp_fw_trie_init: the four roots, every entry "no prefix" (FP_FW_V_NOSRC
 * or FP_FW_V_NODST). */
int fp_fw_trie_init(struct fp_fw_compiled *c);

/* fp_fw_trie_insert: CLS for every address of the prefix ADDR/LEN under
 * ROOT. Prefixes must come shortest first; -E2BIG when fw_nodes is full. */
int fp_fw_trie_insert(struct fp_fw_compiled *c, int root, const __u8 *addr, int len, __u32 cls);

/* fp_fw_trie_lookup: the class of ADDR under ROOT, as the stage walks it
 * (bpf/firewall_stage.h: fp_fw_addr_class). */
__u32 fp_fw_trie_lookup(const struct fp_fw_compiled *c, int root, const __u8 *addr);

/* fp_fw_kept_take: the set fp_firewall_check compiled for FW, when it
 * was the last checked and FW names no interface (then it is every
 * interface's): the caller's to install and free. NULL: compile it. */
struct fp_fw_compiled *fp_fw_kept_take(const struct fp_firewall_config *fw);

#endif
