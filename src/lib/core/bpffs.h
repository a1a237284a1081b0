/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: helpers for the pinned tree and its maps. */
#ifndef FP_LIB_BPFFS_H
#define FP_LIB_BPFFS_H

#include <stddef.h>
#include <linux/types.h>

/* fp_rmtree: unpin everything under dir, then dir itself; a missing dir
 * is not an error. */
int fp_rmtree(const char *dir);

/* fp_map_mmap: BYTES of the mmapable map FD, mapped shared read-write,
 * the length rounded up to whole pages in *LEN (for munmap); NULL with
 * errno set on failure. */
void *fp_map_mmap(int fd, size_t bytes, size_t *len);

/* fp_map_mmap_at: the same, of BYTES from offset OFF (a multiple of the
 * page size) on. */
void *fp_map_mmap_at(int fd, size_t off, size_t bytes, size_t *len);

/* fp_obj_id: the id of the BPF object (map, program, link) FD; 0 when
 * FD is -1 or not one. */
__u32 fp_obj_id(int fd);

#endif
