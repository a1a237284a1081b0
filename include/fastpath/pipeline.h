/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP pipeline: one fp_pipeline program per interface, attached
 * through a pinned bpf_link so it outlives the CLI and the daemon. Its
 * objects live under FP_PIPELINE_DIR/DEV/:
 *   link     the XDP attachment
 *   prog     the pipeline program
 *   built    its .rodata: the stages it is built for (fp_built)
 *   config   stages enabled (struct fp_pipeline_cfg)
 *   stats    per-CPU counters per stage and verdict
 *   chain    PROG_ARRAY slot for a user's XDP program
 *   chained  that program, pinned so it can be named
 *   flows, flow_cpu, flow_meta    the flows table (include/fastpath/flows.h)
 *   egress_link  the flows stage's tcx egress program, while flows is on
 *   dhcp_leases, dhcp_pools, dhcp_cfg, dhcp_events, dhcp_stats
 *                the DHCP stage's (bpf/dhcp_abi.h)
 *   xsks, xsk_ports, xsk_stats, xsk_sockets
 *                the XSK stage's (bpf/xsk_abi.h, include/fastpath/xsk.h)
 *
 * Each stage sizes its maps when the program loads (src/lib/pipeline/
 * stage.h): the flows table for opts.max_flows per CPU and the DHCP lease
 * cache for opts.lease_cache while their stage is on, the least while it
 * is off. When up finds a pinned map that the program cannot reuse (sized
 * otherwise, or of another layout), it loads a fresh program on a fresh
 * map (with the pins its stage says go with it: the flows table's three)
 * and swaps it into the running link (bpf_link_update: no packet goes
 * unfiltered); every other map is kept. Flows and their counters start
 * over; the DHCP server fills its cache again. */
#ifndef FASTPATH_PIPELINE_H
#define FASTPATH_PIPELINE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <fastpath/core.h>
#include "pipeline_abi.h"

#define FP_PIPELINE_DIR FP_PIN_ROOT "/pipeline"
#define FP_CONFIG_IFACES_MAX     16

/* The configuration's orchestrator.ebpf: where and how the pipeline runs. */
struct fp_ebpf_config {
	bool enabled;           /* false: userspace only, no interface needed */
	char interfaces[FP_CONFIG_IFACES_MAX][IF_NAMESIZE];
	size_t n_interfaces;
	enum fp_xdp_mode mode;
	char xdp_program[PATH_MAX]; /* absolute path, "" for none */
};

/* The orchestrator: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_orchestrator_section;

struct fp_pipeline_opts {
	enum fp_xdp_mode mode;
	__u32 stages;           /* FP_STAGE_BIT()s; the chain bit is ignored */
	__u32 max_flows;        /* flows stage: flows per CPU; 0: FP_FLOWS_DEFAULT */
	__u32 lease_cache;      /* DHCP stage: leases in fp_dhcp_leases; 0:
				 * as pinned, else FP_DHCP_CACHE_UNCONFIGURED */
	__u32 fw_slots;         /* firewall stage: the slots (rule shapes) the
				 * program walks at least; 0: as the live set
				 * needs (firewall_stage.h: fp_fw_slots) */
	__u32 fw_pos;           /* firewall stage: the rules (+ 1, the policy)
				 * its counters make room for, where it has
				 * none yet; 0: the least */
};

struct fp_pipeline_info {
	char dev[IF_NAMESIZE];
	int ifindex;
	__u32 prog_id;
	__u32 link_id;
	const char *mode;       /* "native", "skb"; "" when not attached */
	__u32 stages;
	__u32 chain_prog_id;    /* 0: nothing chained */
	char chain_name[BPF_OBJ_NAME_LEN];
	bool adopted;           /* up found it running and kept it */
	bool created;           /* up made DEV's pipeline (it had no pins) */
	bool native_failed;     /* auto fell back to skb */
	int native_err;
	bool kept;              /* up failed to attach in the mode asked for,
				 * and attached DEV's pipeline again in its own */
};

/* fp_stage_parse: "ports,chain" (names as fp_stage_name gives them, or
 * "none") to FP_STAGE_BIT()s; -EINVAL names nothing we know. */
int fp_stage_parse(const char *list, __u32 *stages);
const char *fp_stage_name(enum fp_stage stage);

/* fp_pipeline_path: the pin of OBJ ("flows", "link"...) of DEV's pipeline,
 * or of its directory when OBJ is NULL. -ENODEV for a name that cannot be
 * an interface. */
int fp_pipeline_path(char *buf, size_t size, const char *dev, const char *obj);

/* fp_pipeline_lock: DEV's pipeline directory locked with flock OP
 * (LOCK_EX, LOCK_SH): the fd to close to unlock, or -errno (-ENOENT: no
 * pipeline). Held by `up` across building the program and writing its
 * stages, and by the firewall across an install (which may rebuild the
 * program with its stage), so neither undoes the other; not taken by
 * fp_pipeline_set_stages, whose callers hold it. */
int fp_pipeline_lock(const char *dev, int op);

/* fp_pipeline_obj_get: a new fd of OBJ pinned for DEV's pipeline, or
 * -errno (-ENOENT: not pinned). */
int fp_pipeline_obj_get(const char *dev, const char *obj);

/* fp_pipeline_map_max: *MAX, the max_entries of DEV's pinned map OBJ;
 * -ENOENT when it is not pinned. */
int fp_pipeline_map_max(const char *dev, const char *obj, __u32 *max);

/* fp_stages_available: the stages this build implements. */
__u32 fp_stages_available(void);

/* fp_pipeline_preload: load DEV's pipeline program for OPTS (the
 * verifier's walk done) without attaching it, so that the fp_pipeline_up
 * with the same OPTS that follows only attaches: run on another thread
 * while the caller checks the rest of its configuration. Only where DEV
 * has no pipeline yet, and with no trace until that up takes it: the maps
 * it creates stay unpinned until then (the up pins them), those shared by
 * name that are pinned are reused by fd. fp_pipeline_preload_drop: what
 * was loaded ahead and not taken, released. */
int fp_pipeline_preload(const char *dev, const struct fp_pipeline_opts *opts);
void fp_pipeline_preload_drop(void);

/* fp_pipeline_up: attach the pipeline to DEV, or adopt the one attached
 * there already (no reattach, counters kept), then set the stages. A mode
 * other than AUTO that differs from the running one reattaches. -ENODEV:
 * no such interface; -EBUSY: DEV has another XDP program. A failed up
 * leaves nothing it created: a pipeline it made is taken down again. */
int fp_pipeline_up(const char *dev, const struct fp_pipeline_opts *opts,
		   struct fp_pipeline_info *info);

/* fp_pipeline_down: detach and remove DEV's pipeline; -ENOENT if none. */
int fp_pipeline_down(const char *dev);

/* fp_pipeline_info: facts about DEV's pipeline; -ENOENT if none. */
int fp_pipeline_info(const char *dev, struct fp_pipeline_info *info);

/* fp_pipeline_list: the interfaces that have a pipeline; caller frees. */
int fp_pipeline_list(char (**devs)[IF_NAMESIZE], size_t *n);

/* fp_pipeline_stats: DEV's counters, summed over CPUs. */
int fp_pipeline_stats(const char *dev, struct fp_pipeline_stats *sum);

/* fp_pipeline_set_stages: enable exactly these stages (chain bit kept). */
int fp_pipeline_set_stages(const char *dev, __u32 stages);

/* fp_pipeline_chain: run FILE's XDP program after the stages, replacing
 * what was chained, atomically; the same program (same tag) is left in
 * place. FILE NULL removes it. res as for fp_prog_load. */
int fp_pipeline_chain(const char *dev, const char *file, struct fp_load_result *res);

/* fp_pipeline_chain_load, fp_pipeline_chain_obj: fp_pipeline_chain in two
 * halves, so that a caller can check FILE before it changes anything:
 * FILE's one XDP program opened and loaded into *O (-EMEDIUMTYPE: not
 * XDP; -ENOTUNIQ: several programs, named in res->progs; errors and res
 * as fp_prog_load), then chained on DEV (O NULL: unchained). The caller
 * closes O (fp_obj_close). */
int fp_pipeline_chain_load(const char *file, struct fp_obj **o, struct fp_load_result *res);
int fp_pipeline_chain_obj(const char *dev, const struct fp_obj *o);

#endif
