/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: helpers for the pinned tree. */
#ifndef FP_LIB_BPFFS_H
#define FP_LIB_BPFFS_H

/* fp_rmtree: unpin everything under dir, then dir itself; a missing dir
 * is not an error. */
int fp_rmtree(const char *dir);

#endif
