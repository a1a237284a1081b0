/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to libfastpath: TC attachments without tcx. */
#ifndef FP_LIB_ATTACH_H
#define FP_LIB_ATTACH_H

#include <linux/types.h>
#include <fastpath/core.h>

#define FP_TC_HANDLE 0xfa57

/* fp_tc_priority: the clsact filter priority of a program. */
__u32 fp_tc_priority(__u32 prog_id);

/* fp_tc_netlink_detach: remove the clsact filter of prog_id. */
int fp_tc_netlink_detach(int ifindex, enum fp_dir dir, __u32 prog_id);

#endif
