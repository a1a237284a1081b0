// SPDX-License-Identifier: BSD-2-Clause
/* Targets and the words that name them: interfaces, cgroups, namespaces,
 * XDP modes and directions. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <fastpath/core.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static const char *const mode_words[] = {
	[FP_XDP_AUTO] = "auto",
	[FP_XDP_NATIVE] = "native",
	[FP_XDP_SKB] = "skb",
};

static const char *const dir_words[] = {
	[FP_DIR_INGRESS] = "ingress",
	[FP_DIR_EGRESS] = "egress",
	[FP_DIR_UNSET] = "",
};

static int word_index(const char *s, const char *const *words, int n)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, words[i]))
			return i;
	return -EINVAL;
}

int fp_mode_parse(const char *s, enum fp_xdp_mode *mode)
{
	int i = word_index(s, mode_words, 3);

	/* bpftool's and ip's words for the same modes. */
	if (i < 0 && s && !strcmp(s, "drv"))
		i = FP_XDP_NATIVE;
	if (i < 0 && s && !strcmp(s, "generic"))
		i = FP_XDP_SKB;
	if (i < 0)
		return i;
	*mode = i;
	return 0;
}

const char *fp_mode_str(enum fp_xdp_mode mode)
{
	return mode <= FP_XDP_SKB ? mode_words[mode] : "?";
}

int fp_dir_parse(const char *s, enum fp_dir *dir)
{
	int i = word_index(s, dir_words, 2);

	if (i < 0)
		return i;
	*dir = i;
	return 0;
}

const char *fp_dir_str(enum fp_dir dir)
{
	return dir <= FP_DIR_UNSET ? dir_words[dir] : "?";
}

bool fp_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= FP_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

int fp_target_parse(const char *s, struct fp_target *t)
{
	struct statfs fs;
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (!s || !*s || strlen(s) >= sizeof(t->name))
		return -ENODEV;
	strcpy(t->name, s);
	if (s[0] != '/') {
		t->ifindex = if_nametoindex(s);
		if (!t->ifindex)
			return -ENODEV;
		t->kind = FP_TARGET_DEV;
		return 0;
	}
	if (statfs(s, &fs) || stat(s, &st))
		return -errno;
	if (fs.f_type == CGROUP2_SUPER_MAGIC && S_ISDIR(st.st_mode))
		t->kind = FP_TARGET_CGROUP;
	else if (fs.f_type == NSFS_MAGIC)
		t->kind = FP_TARGET_NETNS;
	else
		return -ENODEV;
	return 0;
}

enum fp_target_kind fp_prog_target_kind(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_SCHED_CLS:
		return FP_TARGET_DEV;
	case BPF_PROG_TYPE_CGROUP_SKB:
		return FP_TARGET_CGROUP;
	case BPF_PROG_TYPE_SK_LOOKUP:
		return FP_TARGET_NETNS;
	default:
		return FP_TARGET_NONE;
	}
}

const char *fp_prog_target_hint(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return "a network interface (e.g. eth0), with --mode native|skb|auto";
	case BPF_PROG_TYPE_SCHED_CLS:
		return "a network interface (e.g. eth0), with --direction ingress|egress";
	case BPF_PROG_TYPE_CGROUP_SKB:
		return "a cgroup v2 directory (e.g. /sys/fs/cgroup/unified/app), "
		       "with --direction ingress|egress";
	case BPF_PROG_TYPE_SK_LOOKUP:
		return "a network namespace (/proc/PID/ns/net or /run/netns/NAME)";
	case BPF_PROG_TYPE_SOCKET_FILTER:
		return "a socket: your application attaches the pinned program "
		       "with setsockopt(SO_ATTACH_BPF)";
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_SK_MSG:
		/* fastpath has no proxy yet to attach these itself. */
		return "a sockmap or sockhash map, not to an interface; fastpath "
		       "does not attach these yet: attach it with bpftool prog "
		       "attach pinned " FP_PIN_ROOT "/progs/NAME stream_verdict "
		       "pinned MAP (msg_verdict for sk_msg), which calls "
		       "bpf_prog_attach";
	default:
		return "no target fastpath manages; use bpftool for this type";
	}
}

/* bpffs refuses names with a '.', which interface names may have (eth0.100)
 * and may not have ':' (alias syntax); so ':' stands for '.' in a pin. */
static void dev_encode(char *dst, const char *dev)
{
	for (; *dev; dev++)
		*dst++ = *dev == '.' ? ':' : *dev;
	*dst = '\0';
}

int fp_link_pin_dev(const char *pin, char dev[IF_NAMESIZE], const char **hook)
{
	const char *at = strchr(pin, '@'), *colon = strrchr(pin, ':');
	size_t n;

	if (!at || !colon || colon < at || (n = colon - at - 1) >= IF_NAMESIZE)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		dev[i] = at[1 + i] == ':' ? '.' : at[1 + i];
	dev[n] = '\0';
	*hook = colon + 1;
	return 0;
}

/* Interfaces are named by name, paths by the kernel's identity (cgroup or
 * netns inode), so that two spellings of one target give one pin. */
int fp_link_pin_name(char *buf, size_t size, const char *name,
		     const struct fp_target *t, enum bpf_prog_type prog_type,
		     const struct fp_attachment *a)
{
	const char *dir = fp_dir_str(a->dir);
	char dev[IF_NAMESIZE];
	struct stat st = { 0 };
	int n;

	if (t->kind != FP_TARGET_DEV && stat(t->name, &st))
		return -errno;
	switch (t->kind) {
	case FP_TARGET_DEV:
		if (strlen(t->name) >= IF_NAMESIZE)
			return -ENAMETOOLONG;
		dev_encode(dev, t->name);
		if (prog_type == BPF_PROG_TYPE_XDP)
			n = snprintf(buf, size, "%s@%s:xdp", name, dev);
		else
			n = snprintf(buf, size, "%s@%s:%s-%s", name, dev,
				     a->tc_netlink ? "clsact" : "tc", dir);
		break;
	case FP_TARGET_CGROUP:
		n = snprintf(buf, size, "%s@cgroup:%lu:%s", name,
			     (unsigned long)st.st_ino, dir);
		break;
	case FP_TARGET_NETNS:
		n = snprintf(buf, size, "%s@netns:%lu", name, (unsigned long)st.st_ino);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int fp_link_pin_prefix(char *buf, size_t size, const char *name, const char *target)
{
	struct fp_target t;
	char dev[IF_NAMESIZE];
	struct stat st;
	int n;

	if (!target) {
		n = snprintf(buf, size, "%s@", name);
	} else if (fp_target_parse(target, &t) || t.kind == FP_TARGET_DEV ||
		   stat(target, &st)) {
		/* An interface, or one that went away: match by name. */
		if (strlen(target) >= IF_NAMESIZE)
			return -ENODEV;
		dev_encode(dev, target);
		n = snprintf(buf, size, "%s@%s:", name, dev);
	} else {
		n = snprintf(buf, size, "%s@%s:%lu%s", name,
			     t.kind == FP_TARGET_CGROUP ? "cgroup" : "netns",
			     (unsigned long)st.st_ino,
			     t.kind == FP_TARGET_CGROUP ? ":" : "");
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool fp_link_pin_on(const char *pin, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *rest = pin + n;

	if (!n || strncmp(pin, prefix, n))
		return false;
	if (prefix[n - 1] == '@')
		return true;
	return prefix[n - 1] == ':' ? !strchr(rest, ':') : !*rest;
}
