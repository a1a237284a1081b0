/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The XDP pipeline: what its BPF half and the library share. One pipeline
 * program runs per interface; its maps are pinned under
 * /sys/fs/bpf/fastpath/pipeline/DEV/ (config, stats, chain). */
#ifndef FP_PIPELINE_ABI_H
#define FP_PIPELINE_ABI_H

#include <linux/types.h>

/* Stages, in the order they run. Row FP_STAGE_PIPELINE counts the final
 * verdict of every packet. */
enum fp_stage {
	FP_STAGE_PIPELINE = 0,
	FP_STAGE_FLOWS,
	FP_STAGE_FIREWALL,
	FP_STAGE_DHCP,
	FP_STAGE_XSK,
	FP_STAGE_PORTS,
	FP_STAGE_CHAIN,
	FP_STAGE_MAX,
};

#define FP_STAGE_BIT(s) (1u << (s))

/* The stages a pipeline program is built with or without (fp_built in
 * bpf/pipeline.bpf.c): every one but the pipeline's own row and the
 * chain, which are always there. */
#define FP_STAGES_BUILT (~(FP_STAGE_BIT(FP_STAGE_PIPELINE) | FP_STAGE_BIT(FP_STAGE_CHAIN)))

/* XDP_ABORTED..XDP_REDIRECT, and one more: handed to the chained user
 * program, whose verdict the pipeline does not see. */
#define FP_VERDICT_CHAINED 5
#define FP_VERDICT_MAX     6

enum fp_parse_status {
	FP_PARSE_OK = 0,
	FP_PARSE_TRUNCATED,   /* a header ends past the frame */
	FP_PARSE_MALFORMED,   /* IPv4 IHL < 5, a version that does not match */
	FP_PARSE_UNSUPPORTED, /* more IPv6 extension headers than we walk */
};

enum fp_frag {
	FP_FRAG_NONE = 0,
	FP_FRAG_FIRST,        /* offset 0, more fragments: L4 header present */
	FP_FRAG_LATER,        /* offset > 0: no L4 header */
};

/* A parsed frame. Ports are host order, addresses as on the wire; IPv4
 * addresses sit in saddr[0]/daddr[0], the rest 0. The parser stores the
 * addresses as 8-byte words, which is how the flows stage reads them
 * (a wide load of narrower stores waits for them to reach the cache). */
struct fp_parsed {
	union {
		__u32 saddr[4];
		__u64 saddr_w[2];
	};
	union {
		__u32 daddr[4];
		__u64 daddr_w[2];
	};
	__u32 len;
	__u16 eth_proto;      /* host order, after the VLAN tags */
	__u16 vlan_id[2];     /* outer first */
	__u16 l3_off;
	__u16 l4_off;
	__u16 sport;          /* TCP/UDP; ICMP and ICMPv6: the type */
	__u16 dport;          /* TCP/UDP; ICMP and ICMPv6: the code */
	__u8 vlans;
	__u8 ip_version;      /* 4, 6, or 0 for non-IP */
	__u8 l4_proto;
	__u8 frag;            /* enum fp_frag */
	__u8 tcp_flags;
	__u8 has_l4;          /* sport/dport are valid */
	/* Last, in an 8-byte stack slot of its own: the parse writes it as a
	 * known 0 on some paths (the verifier's "zero" byte) and from a
	 * register on others, and the verifier compares states a slot at a
	 * time. Beside dport and the protocol, which the DHCP stage reads
	 * after the firewall, it kept every state of the firewall's probe
	 * loop twice: for firewall, flows and DHCP (all 32 slots), 109K
	 * instructions verified against 71K with it here, before the parse
	 * rebased its pointers (tests/bpf/test_pipeline.c,
	 * bench/verifier_bench). */
	__u8 status;          /* enum fp_parse_status */
} __attribute__((aligned(8)));

/* What the firewall stage decided, for the stages after it (flows records
 * it with each flow). */
struct fp_fw_result {
	__u32 rule;           /* 1-based index of the rule that matched; 0: policy */
	__u32 action;         /* XDP_PASS or XDP_DROP */
};

/* The config map's one entry. */
struct fp_pipeline_cfg {
	__u32 stages;         /* FP_STAGE_BIT()s of the enabled stages */
};

struct fp_counter {
	__u64 packets;
	__u64 bytes;
};

/* The stats map's one per-CPU entry: every stage's verdicts. */
struct fp_pipeline_stats {
	struct fp_counter c[FP_STAGE_MAX][FP_VERDICT_MAX];
};

#endif
