/* SPDX-License-Identifier: BSD-2-Clause */
/* libfastpath core: open, load, attach, pin, list and detach eBPF objects.
 *
 * Every function returns 0 or a negative errno; text for the user is made
 * once, at the edge (the CLI), from that errno and the context it knows.
 * Everything fastpath keeps lives pinned under FP_PIN_ROOT:
 *   progs/NAME            a loaded program
 *   links/NAME@TARGET     its attachments (a bpf_link, or for TC without
 *                         tcx, the program pinned as a marker)
 *   maps/NAME/MAP         the object's own maps
 *   maps/MAP              maps shared by name (LIBBPF_PIN_BY_NAME) */
#ifndef FASTPATH_CORE_H
#define FASTPATH_CORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/bpf.h>

#define FP_PIN_ROOT    "/sys/fs/bpf/fastpath"
#define FP_NAME_MAX    64
#define FP_MAP_IDS_MAX 16
#define FP_DOMAIN_MAX  254         /* a DNS name: 253 characters and a NUL */

/* What is wrong with a configuration, a rule set or another input the
 * user wrote: one line per error, for the edge to print. */
struct fp_config_error {
	char msg[1024];
};

enum fp_xdp_mode { FP_XDP_AUTO = 0, FP_XDP_NATIVE, FP_XDP_SKB };
enum fp_dir {
	FP_DIR_INGRESS = 0,
	FP_DIR_EGRESS,
	FP_DIR_UNSET, /* TC: ingress; cgroup_skb: must be given */
};
enum fp_target_kind {
	FP_TARGET_NONE = 0, /* the type attaches to nothing fastpath manages */
	FP_TARGET_DEV,      /* XDP, TC */
	FP_TARGET_CGROUP,   /* cgroup_skb */
	FP_TARGET_NETNS,    /* sk_lookup */
};

struct fp_target {
	enum fp_target_kind kind;
	int ifindex;            /* FP_TARGET_DEV */
	char name[PATH_MAX];    /* interface name or path, as given */
};

/* fp_mode_parse and friends: the words the CLI and config accept (for
 * modes also bpftool's "drv" and "generic"). Return -EINVAL for anything
 * else. */
int fp_mode_parse(const char *s, enum fp_xdp_mode *mode);
const char *fp_mode_str(enum fp_xdp_mode mode);
int fp_dir_parse(const char *s, enum fp_dir *dir);
const char *fp_dir_str(enum fp_dir dir);

/* fp_name_valid: NAME is 1..FP_NAME_MAX-1 of [A-Za-z0-9_-] (bpffs refuses
 * '.', and '@' separates names in link pins). */
bool fp_name_valid(const char *name);

/* fp_check_privileges: 0 when root or holding CAP_BPF and CAP_NET_ADMIN
 * (CAP_SYS_ADMIN stands in for CAP_BPF), else -EPERM. */
int fp_check_privileges(void);

/* fp_bpffs_prepare: mount bpffs on /sys/fs/bpf if it is not, and create
 * FP_PIN_ROOT with progs/, links/ and maps/ (mode 0700). */
int fp_bpffs_prepare(void);

/* fp_set_verbose: libbpf's own messages go to stderr only when on. */
void fp_set_verbose(bool on);

/* fp_target_parse: an interface name, a cgroup v2 directory or a network
 * namespace file (/proc/PID/ns/net, /run/netns/NAME). -ENODEV when it is
 * none of them; a path that cannot be looked at gives stat's -errno. */
int fp_target_parse(const char *s, struct fp_target *t);

/* fp_prog_target_kind: what a program type attaches to. */
enum fp_target_kind fp_prog_target_kind(enum bpf_prog_type type);

/* fp_prog_target_hint: for an error, the targets a program type fits. */
const char *fp_prog_target_hint(enum bpf_prog_type type);

/* ---- objects ---------------------------------------------------------- */

struct fp_obj;
struct bpf_object;

/* fp_obj_open_file: open an ELF object and select one program: PROG if
 * given, else the only one. Errors: -ENOENT (no file), -ENOEXEC (not a BPF
 * ELF), -ESRCH (no program PROG), -ENOTUNIQ (several programs, no PROG),
 * -ENODATA (no BTF, which its maps need: built without -g). */
int fp_obj_open_file(const char *path, const char *prog, struct fp_obj **out);

/* fp_obj_open_mem: the same from bytes (an embedded skeleton's ELF). */
int fp_obj_open_mem(const char *name, const void *data, size_t size,
		    const char *prog, struct fp_obj **out);

/* fp_obj_load: load into the kernel. On failure the whole verifier log is
 * kept (the buffer grows until it fits) and fp_obj_log returns it. */
int fp_obj_load(struct fp_obj *o);
const char *fp_obj_log(const struct fp_obj *o);

/* fp_file_prog_names: "a, b, c", the programs of the ELF object FILE, for
 * an error that asks the user to choose one; "" when it cannot be read. */
void fp_file_prog_names(const char *file, char *buf, size_t size);

const char *fp_obj_prog_name(const struct fp_obj *o);
enum bpf_prog_type fp_obj_prog_type(const struct fp_obj *o);
int fp_obj_prog_fd(const struct fp_obj *o);
struct bpf_object *fp_obj_bpf(const struct fp_obj *o);

/* fp_obj_pin: pin the loaded program at progs/NAME and the object's own
 * maps at maps/NAME/. -EEXIST when NAME is taken by a program, -EADDRINUSE
 * by a map shared by name (maps/NAME: no other step of a load gives that
 * code); nothing is left behind on failure. */
int fp_obj_pin(struct fp_obj *o, const char *name);

void fp_obj_close(struct fp_obj *o);

/* ---- attachments ------------------------------------------------------ */

struct fp_attach_opts {
	enum fp_xdp_mode mode; /* XDP only */
	enum fp_dir dir;       /* TC and cgroup_skb */
};

struct fp_attachment {
	int fd;                /* link fd, or -1 for a TC netlink filter */
	enum fp_xdp_mode mode; /* the XDP mode obtained (never AUTO) */
	bool native_failed;    /* auto fell back from native to skb */
	int native_err;        /* why native failed, when it did */
	enum fp_dir dir;       /* the direction obtained (TC, cgroup_skb) */
	bool tc_netlink;       /* no tcx: attached as a clsact filter */
};

/* fp_attach: attach prog_fd, of type type, to t. -EMEDIUMTYPE when the
 * target does not fit the type. XDP mode AUTO tries native, then skb;
 * -EOPNOTSUPP: the driver has no native XDP. TC uses a tcx link where the
 * kernel has tcx, else a clsact filter. cgroup_skb needs a direction
 * (-EDESTADDRREQ): a pinned program no longer tells which it was built for. */
int fp_attach(int prog_fd, enum bpf_prog_type type, const struct fp_target *t,
	      const struct fp_attach_opts *opts, struct fp_attachment *out);

/* fp_attachment_close: detach an attachment that is not pinned. */
void fp_attachment_close(struct fp_attachment *a, int prog_fd,
			 const struct fp_target *t);

/* fp_link_pin_name: "NAME@TARGET", the pin name under links/: for an
 * interface NAME@DEV:xdp, NAME@DEV:tc-DIR (tcx link) or NAME@DEV:clsact-DIR
 * (clsact filter), for a cgroup NAME@cgroup:INODE:DIR, for a namespace
 * NAME@netns:INODE. A '.' in DEV is written ':' (bpffs refuses dots).
 * prog_type tells XDP from TC. */
int fp_link_pin_name(char *buf, size_t size, const char *name,
		     const struct fp_target *t, enum bpf_prog_type prog_type,
		     const struct fp_attachment *a);

/* fp_link_pin_prefix: the prefix of NAME's pins on target (all of NAME's
 * when target is NULL). Test a pin with fp_link_pin_on: the prefix of
 * eth0 begins eth0.5's pins too. */
int fp_link_pin_prefix(char *buf, size_t size, const char *name, const char *target);

/* fp_link_pin_on: PIN (a name under links/) is one of those PREFIX
 * (fp_link_pin_prefix) names: the prefix, then for an interface or a
 * cgroup only the hook, for a namespace nothing. */
bool fp_link_pin_on(const char *pin, const char *prefix);

/* fp_link_pin_dev: for an interface pin, the interface name and the hook
 * part ("xdp", "tc-ingress", "clsact-egress"). */
int fp_link_pin_dev(const char *pin, char dev[16], const char **hook);

/* ---- managed programs (pinned) ---------------------------------------- */

struct fp_load_result {
	char name[FP_NAME_MAX];   /* the name pinned */
	enum bpf_prog_type type;
	__u32 id;                 /* kernel program id */
	char *log;                /* verifier log of a failed load, or NULL */
	char progs[512];          /* on -ENOTUNIQ/-ESRCH: the object's programs */
};

/* fp_prog_load: open FILE, select PROG (or the only program), load it and
 * pin it as NAME (default: FILE's base name without ".bpf.o", as
 * bpftool and xdp-loader users expect). Errors as fp_obj_open_file
 * and fp_obj_load, -EEXIST when NAME is taken, -EINVAL for a bad NAME.
 * Free res with fp_load_result_free whatever the outcome. */
int fp_prog_load(const char *file, const char *prog, const char *name,
		 struct fp_load_result *res);
void fp_load_result_free(struct fp_load_result *res);

/* fp_prog_attach: attach the pinned program NAME to TARGET and pin the
 * attachment. -ENOENT: no program NAME; -EEXIST: already attached there;
 * otherwise as fp_attach. */
int fp_prog_attach(const char *name, const struct fp_target *t,
		   const struct fp_attach_opts *opts, struct fp_attachment *out);

/* fp_prog_detach: remove NAME's attachments, only those to TARGET when it
 * is given. *count gets how many were removed (-ENOENT when none). */
int fp_prog_detach(const char *name, const char *target, int *count);

/* fp_prog_unload: detach everywhere, then unpin the program and its maps. */
int fp_prog_unload(const char *name);

/* fp_prog_type_of: the type of the pinned program NAME. */
int fp_prog_type_of(const char *name, enum bpf_prog_type *type);

/* ---- listings --------------------------------------------------------- */

struct fp_prog_info {
	char name[FP_NAME_MAX];
	__u32 id;
	enum bpf_prog_type type;
	char tag[2 * BPF_TAG_SIZE + 1];
	__u64 run_cnt;
	__u64 run_time_ns;
	__u32 jited_len;
	__u32 xlated_len;
	__u32 verified_insns;
	__u32 nr_map_ids;
	__u32 map_ids[FP_MAP_IDS_MAX];
	__u64 load_time;       /* ns since boot */
};

struct fp_link_info {
	char pin[2 * FP_NAME_MAX + PATH_MAX];
	char prog[FP_NAME_MAX]; /* fastpath name of the program, if known */
	__u32 id;               /* link id; 0 for a TC netlink filter */
	__u32 prog_id;
	const char *hook;       /* "xdp", "tc", "cgroup_skb", "sk_lookup" */
	char target[PATH_MAX];  /* interface name, cgroup id or netns inode */
	int ifindex;
	enum fp_dir dir;
	const char *mode;       /* XDP: "native", "skb", "hw"; else "" */
};

struct fp_map_info {
	char pin[PATH_MAX];     /* relative to maps/ */
	__u32 id;
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	char name[BPF_OBJ_NAME_LEN];
};

/* fp_list_*: what fastpath pinned, with the kernel's facts. The caller
 * frees *out. */
int fp_list_progs(struct fp_prog_info **out, size_t *n);
int fp_list_links(struct fp_link_info **out, size_t *n);
int fp_list_maps(struct fp_map_info **out, size_t *n);

/* fp_bpf_fd_is: FD is a BPF object of KIND ("prog", "map", "link"), as
 * /proc/self/fd names it (the kernel gives a program's, a map's or a
 * link's info alike, its id in the same field); true where /proc cannot
 * tell. */
bool fp_bpf_fd_is(int fd, const char *kind);

/* fp_prog_info_by_fd: the kernel's facts about one program; -EBADF when
 * FD is not a program (a map or a link). */
int fp_prog_info_by_fd(int fd, struct fp_prog_info *info);

/* fp_bpf_stats_enabled: kernel.bpf_stats_enabled (run_cnt, run_time_ns). */
bool fp_bpf_stats_enabled(void);

/* fp_xdp_query: the XDP program on an interface: id (0: none) and mode. */
int fp_xdp_query(int ifindex, __u32 *prog_id, const char **mode);

/* ---- events (log.c) ---------------------------------------------------- */

enum fp_log_level { FP_LOG_DEBUG = 0, FP_LOG_INFO, FP_LOG_WARN, FP_LOG_ERROR };

/* Where the library reports each event of a long-running part, one line
 * each (the daemon's log). */
struct fp_logger {
	void (*fn)(void *ctx, enum fp_log_level level, const char *msg);
	void *ctx;
};

/* fp_log: format one event and hand it to LOG (NULL, or no fn: dropped);
 * longer than 1023 bytes, it is cut. */
void fp_log(const struct fp_logger *log, enum fp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fp_log_level_parse: "debug", "info", "warn" or "error" to *LEVEL;
 * -EINVAL for another word. fp_log_level_str: the word of LEVEL. */
int fp_log_level_parse(const char *s, enum fp_log_level *level);
const char *fp_log_level_str(enum fp_log_level level);

/* ---- files (file.c) ---------------------------------------------------- */

/* fp_file_replace: PATH holds exactly LEN bytes of DATA, with MODE (0600
 * for fastpath's own files), or is left as it was: written to
 * PATH.tmp-PID (O_EXCL|O_NOFOLLOW: a link planted there is removed, never
 * followed), then renamed over PATH (a link there is replaced). */
int fp_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/* ---- address and protocol words (addr.c) ------------------------------- */

/* An address prefix as users write it: 192.168.1.0/24, 2001:db8::/32, or
 * an address alone (a host prefix). */
struct fp_cidr {
	int family;             /* AF_INET or AF_INET6 */
	uint8_t addr[16];       /* network order; IPv4 in the first 4 bytes */
	uint8_t len;            /* 0..32 or 0..128 */
};

/* fp_cidr_parse: S as ADDR/LEN or ADDR into *c. -EINVAL: not an address;
 * -ERANGE: the length is not a plain number within the family's 0-32 or
 * 0-128; -EDOM: host bits are set (*c then holds the address with them
 * cleared, for a "did you mean"). */
int fp_cidr_parse(const char *s, struct fp_cidr *c);

/* fp_proto_parse: "tcp", "udp", "icmp", "icmpv6" (any case) to IPPROTO_*;
 * -EINVAL for anything else. fp_proto_name: the word of PROTO, or NULL.
 * fp_proto_word: the I-th word of that one list, NULL past its end. */
int fp_proto_parse(const char *s, int *proto);
const char *fp_proto_name(int proto);
const char *fp_proto_word(size_t i);

/* fp_ipv4_host / fp_ipv4_net: an IPv4 address in host byte order, and
 * back; fp_ipv4_mask: the netmask of PREFIX_LEN (0-32), host order. */
uint32_t fp_ipv4_host(struct in_addr a);
struct in_addr fp_ipv4_net(uint32_t host);
uint32_t fp_ipv4_mask(unsigned int prefix_len);

#endif
