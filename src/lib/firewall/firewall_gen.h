/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to the firewall: one generation's inner maps (firewall.c) and
 * the counters carried from the old generation to the new one
 * (firewall_carry.c). */
#ifndef FP_LIB_FIREWALL_GEN_H
#define FP_LIB_FIREWALL_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "pipeline_abi.h"
#include "firewall_abi.h"

struct fp_fw_compiled;
struct fp_fw_maps;

/* The inner maps, as bpf/firewall_stage.h declares their templates. */
enum { IN_TABLE, IN_LIST, IN_MAX };

struct gen_maps {
	int fd[IN_MAX];
	__u32 max[IN_MAX];
	int counters;           /* fp_fw_counters (not G's own); -1 until installed */
	__u32 slot;             /* the generation G is, or is installed as */
};

/* fp_fw_gen_make: a generation's inner maps made and filled with C, not
 * installed; fp_fw_gen_close: closed. */
int fp_fw_gen_make(const struct fp_fw_compiled *c, struct gen_maps *g);
void fp_fw_gen_close(struct gen_maps *g);

/* fp_fw_gen_mmap: the whole of G's mmapable array K; its size in *SIZE. */
void *fp_fw_gen_mmap(const struct gen_maps *g, int k, size_t *size);

/* fp_fw_gen_meta: G's meta, from the start of its table, into META. */
int fp_fw_gen_meta(const struct gen_maps *g, struct fp_fw_meta *meta);

/* fp_fw_counters_room: the positions FD, a fp_fw_counters, has room for
 * in each generation; 0 when FD is not one (-1, or a map of another
 * layout: an older build's array of maps). */
__u32 fp_fw_counters_room(int fd);

/* fp_fw_counters_zero: G's counters (at G->slot's places) zeroed for
 * N_POS positions. -ENOSPC when fp_fw_counters has no room for them. */
int fp_fw_counters_zero(const struct gen_maps *g, __u32 n_pos);

/* The old set's counters, and which new position each old one carries to. */
struct carry {
	struct fp_fw_entry *old;        /* the old list, mmapped */
	size_t old_size;
	int cnt_fd;                     /* fp_fw_counters, and the old set's slot */
	__u32 slot;
	struct fp_counter *cnt;         /* by old position: over every CPU */
	__u32 old_pos;
	__u32 *to;                      /* by old position: new position + 1, 0 none */
	struct fp_counter *snap;        /* by old position: live counts carried */
};

/* fp_fw_carry_open: OLD's list and counters, paired with C if given
 * (the k-th old copy of a rule to its k-th new copy). */
int fp_fw_carry_open(const struct gen_maps *old, const struct fp_fw_compiled *c,
		     struct carry *cr);

/* fp_fw_carry_list: C's list into G, each kept rule based on what it had
 * counted so far (that count in SNAP, by old position). */
int fp_fw_carry_list(const struct carry *cr, const struct fp_fw_compiled *c,
		     const struct gen_maps *g, struct fp_counter *snap);

/* fp_fw_carry_rest: once no packet uses the old set, what it counted
 * after the snapshot, added to G's list. */
int fp_fw_carry_rest(struct carry *cr, const struct gen_maps *g);

/* fp_fw_carry_fold: what LIVE (installed) counted in OLD_COUNTERS, a
 * fp_fw_counters no packet counts in any more, added to its list's base:
 * the counters were made again, larger, and start from zero. */
int fp_fw_carry_fold(const struct gen_maps *live, int old_counters);

void fp_fw_carry_free(struct carry *cr);

/* fp_fw_carry_live: what old position POS has counted on every CPU. */
struct fp_counter fp_fw_carry_live(const struct carry *cr, __u32 pos);

/* fp_fw_content_cmp: A and B are the same rule (everything but its
 * place and counts) when 0. */
int fp_fw_content_cmp(const struct fp_fw_entry *a, const struct fp_fw_entry *b);

/* An install in two halves: fp_fw_install_begin makes the set live to a
 * program that reads fw_live; fp_fw_install_end then names its slot in fw_gen
 * and retires the old one, which a program of an older build (reading
 * fw_gen and that slot) runs on until it is swapped out in between
 * (fp_firewall_handover_begin). */
struct fp_fw_install {
	const struct fp_fw_maps *m;
	const struct fp_fw_compiled *c;
	struct gen_maps fresh, old;
	struct carry cr;
	__u32 cur, next;
	bool has_old;
};

/* fp_fw_install_begin: C live to a program that reads fw_live (IN
 * filled); nothing changed on error. fp_fw_install_end: KEEP, C named
 * live and the old set retired, its counts carried; else taken back. */
int fp_fw_install_begin(const struct fp_fw_maps *m, const struct fp_fw_compiled *c,
			struct fp_fw_install *in);
void fp_fw_install_end(struct fp_fw_install *in, bool keep);

/* fp_firewall_handover_begin: with DEV's new program loaded and not yet
 * in its link (the caller holds DEV's lock), DEV's set installed again
 * from its list when the new program cannot read it (a set an older
 * build installed), live to the new program only: the old one reads
 * fw_gen and the old slot, untouched until fp_firewall_handover_end
 * (SWAPPED: the link now runs the new program; else taken back). NULL:
 * nothing to hand over, or it could not be (fp_firewall_renew installs
 * it after the swap). fp_firewall_renew: DEV's set installed again from
 * its own list when the stage cannot read it; nothing to do, or no
 * pipeline, is not an error. firewall.c, for the stage's row. */
struct fp_fw_handover;
struct fp_fw_handover *fp_firewall_handover_begin(const char *dev);
void fp_firewall_handover_end(struct fp_fw_handover *h, bool swapped);
int fp_firewall_renew(const char *dev);

/* fp_fw_outer_fd: M's outer map of inner map K. fp_fw_read_gen: the live
 * generation. fp_fw_gen_open: slot GEN's inner maps; -ENOENT when the
 * slot is empty. fp_fw_gen_stamp: G's meta names SLOT as its generation
 * (C's meta is what G's starts with). firewall.c. */
int fp_fw_outer_fd(const struct fp_fw_maps *m, int k);
int fp_fw_read_gen(const struct fp_fw_maps *m, __u32 *gen);
int fp_fw_gen_open(const struct fp_fw_maps *m, __u32 gen, struct gen_maps *g);
int fp_fw_gen_stamp(const struct gen_maps *g, const struct fp_fw_compiled *c, __u32 slot);

#endif
