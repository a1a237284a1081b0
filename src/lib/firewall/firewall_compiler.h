/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to the firewall compiler: its working state, shared by
 * firewall_compile.c (rules, classes, values, verdicts) and
 * firewall_table.c (the match table). */
#ifndef FP_LIB_FIREWALL_COMPILER_H
#define FP_LIB_FIREWALL_COMPILER_H

#include <stdbool.h>
#include "firewall/firewall_compiled.h"

enum field { F_S, F_D, F_P, F_SP, F_DP, F_MAX };

static const __u8 field_bits[F_MAX] = {
	FP_FW_S, FP_FW_D, FP_FW_P, FP_FW_SPORT, FP_FW_DPORT,
};

struct crule {
	const struct fp_fw_rule *r;
	__u32 index;            /* 1-based in the file */
	__u8 shape;
	__u8 n_protos;
	__u8 protos[2];         /* with ports: TCP, UDP; with P: the protocol */
	__u32 cls[2];           /* source, destination: index of the values */
};

struct prefix {
	__u8 root;              /* enum fp_fw_root */
	__u8 len;
	__u8 addr[16];
	__u32 rule;
};

/* A distinct rule prefix; its class is FP_FW_V_ADDR + its index. */
struct pclass {
	__u32 parent;           /* class of the longest shorter prefix holding it */
	__u32 child, sibling;   /* pclass index + 1, 0: none */
	__u32 keys;             /* key classes in its subtree, itself included */
	bool key;               /* a rule on two fields or more has it */
};

struct compiler {
	struct fp_fw_compiled *c;
	struct crule *rules;
	__u32 m;
	int slot_of[128];
	__u32 nomask[F_MAX];    /* slots whose shape leaves the field free */
	struct pclass *pc;
	__u32 n_pc;
	struct fp_fw_match_entry *ment; /* the match table's entries, rule order */
	__u32 n_ment, ment_cap;
	__u32 *keyset;          /* open addressing over ment: index + 1 */
	__u32 keyset_cap;
	struct fp_config_error *err;
};

/* fp_fw_nfields: the number of fields in SHAPE (firewall_compile.c). */
int fp_fw_nfields(__u8 shape);

/* fp_fw_refuse: -E2BIG, with the message "does not fit the maps: rule ..."
 * followed by FMT in cc->err (firewall_compile.c). */
int fp_fw_refuse(struct compiler *cc, const struct crule *cr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fp_fw_expand_rules: the match table entries of every rule on two fields
 * or more, into cc->ment (firewall_table.c). */
int fp_fw_expand_rules(struct compiler *cc);

/* fp_fw_build_table: cc->ment placed in the buckets of cc->c (firewall_table.c). */
int fp_fw_build_table(struct compiler *cc);

#endif
