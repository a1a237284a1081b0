/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: tables of megabytes in anonymous mappings of
 * their own rather than on the heap. Zeroed; pages never touched cost
 * nothing; a table outgrown or freed goes back to the system at once
 * (from the heap, freed blocks stayed resident). */
#ifndef FP_LIB_MAPPING_H
#define FP_LIB_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

/* fp_mapping: BYTES zeroed, or NULL with errno set. HUGE: for a table
 * written whole or in large runs, advised to transparent huge pages
 * where the kernel gives them on request (madvise mode), so that it is
 * faulted in 2 MB at a time rather than 4 KB: a fault costs ~15 us in a
 * guest without huge pages of its own (16 MB touched page by page took
 * 60 ms there, 1.3 ms in huge pages). Left alone where huge pages are off
 * or always on. */
void *fp_mapping(size_t bytes, bool huge);

/* fp_mapping_grow: P (OLD bytes, or NULL) as BYTES, moved if need be;
 * NULL with errno set, P untouched. */
void *fp_mapping_grow(void *p, size_t old, size_t bytes);

/* fp_mapping_free: P of BYTES, as given; NULL is nothing. */
void fp_mapping_free(void *p, size_t bytes);

#endif
