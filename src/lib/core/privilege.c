// SPDX-License-Identifier: BSD-2-Clause
/* Whether this process may load and attach BPF programs. */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <fastpath/core.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool cap_effective(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int fp_check_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return -errno;
	if ((cap_effective(d, CAP_BPF) || cap_effective(d, CAP_SYS_ADMIN)) &&
	    cap_effective(d, CAP_NET_ADMIN))
		return 0;
	return -EPERM;
}
