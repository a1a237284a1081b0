// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fp_pipeline: fastpath's XDP program, one per interface. It parses each
 * frame once and runs the stages the config map enables, in a fixed order:
 *   firewall -> flows -> DHCP -> AF_XDP -> ports -> chained user program
 * counting packets and bytes per stage and verdict in a per-CPU map.
 * Flows runs after the firewall so that it records the firewall's verdict,
 * drops included. */
#include "parse.h"
#include "ports_stage.h"
#include "firewall_stage.h"
#include "flows_stage.h"
#include "dhcp_stage.h"
#include "xsk_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_pipeline_cfg);
} fp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_pipeline_stats);
} fp_stats SEC(".maps");

/* The stages this program is built for, set by the library before load
 * (.rodata, frozen, so a constant to the verifier): fp_config.stages is
 * masked with it, and the verifier drops the code of every stage outside
 * it, so a program loads only what its interface uses. Left as is,
 * every stage. */
const volatile __u32 fp_built = ~0u;

/* The stages this object is compiled for: every one, or a set the
 * Makefile names (FP_COMPILED_FOR, one object per set in PIPE_SETS). Then
 * clang, not only the verifier, drops the other stages' code, and the
 * ones kept get registers of their own: fewer values spilled around the
 * firewall's probe loop. fp_compiled tells the library which object it
 * opened. */
#ifndef FP_COMPILED_FOR
#define FP_COMPILED_FOR FP_STAGES_BUILT
#endif
const volatile __u32 fp_compiled = FP_COMPILED_FOR;

/* Slot 0: the user's own XDP program (orchestrator.ebpf.xdp_program). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fp_chain SEC(".maps");

/* verdict_row: stage 0's counter of verdict V, V held in range: the
 * counter of V in any stage's row is at a constant offset from it, so a
 * packet's stage and pipeline counts share one range check and one
 * index. */
static __always_inline struct fp_counter *verdict_row(struct fp_pipeline_stats *st, int v)
{
	__u64 i = (__u32)v;

	/* One register for the check and the index: clang would check a
	 * 32-bit copy and index with the 64-bit original. */
	asm volatile("" : "+r"(i));
	if (i >= FP_VERDICT_MAX)
		i = XDP_ABORTED;
	return &st->c[0][i];
}

static __always_inline void count(struct fp_counter *row, int stage, __u32 len)
{
	struct fp_counter *c = row + stage * FP_VERDICT_MAX;

	c->packets++;
	c->bytes += len;
}

#define FLOWS_FW (FP_STAGE_BIT(FP_STAGE_FLOWS) | FP_STAGE_BIT(FP_STAGE_FIREWALL))

/* The stages that need the parsed frame, in order; the first verdict
 * other than XDP_PASS ends the run. */
static __always_inline int run_stages(struct xdp_md *ctx, struct fp_pipeline_stats *st,
				      __u32 stages, __u32 len)
{
	struct fp_fw_result fw = { 0, XDP_PASS }; /* the firewall's, when it runs */
	struct fp_counter *pass = &st->c[0][XDP_PASS];
	struct fp_flow_cpu *fc = 0;
	struct fp_parsed p;
	int v = XDP_PASS;

	/* In an object with flows, looked up whether flows runs or not, and
	 * its (impossible) failure handled like fp_config's: a NULL fc
	 * carried past the firewall would double the states the verifier
	 * walks (331K instructions against 225K), for about one ns a
	 * packet. */
	if (FP_COMPILED_FOR & FP_STAGE_BIT(FP_STAGE_FLOWS)) {
		fc = fp_flow_cpu_get();
		if (!fc)
			return XDP_PASS;
	}
	fp_parse(ctx, &p);
	/* With the firewall, flows takes the frame before it and records it
	 * after, with its verdict (flows_stage.h says why in two halves);
	 * without, it records in one pass. */
	if ((stages & FLOWS_FW) == FLOWS_FW)
		fp_stage_flows_take(fc, &p);
	if (stages & FP_STAGE_BIT(FP_STAGE_FIREWALL)) {
		v = fp_stage_firewall(&p, &fw);
		count(&st->c[0][v == XDP_DROP ? XDP_DROP : XDP_PASS], FP_STAGE_FIREWALL, len);
	}
	if (stages & FP_STAGE_BIT(FP_STAGE_FLOWS)) {
		if (stages & FP_STAGE_BIT(FP_STAGE_FIREWALL))
			fp_stage_flows_commit(fc, &fw);
		else
			fp_stage_flows_pass(fc, &p);
		count(pass, FP_STAGE_FLOWS, len);
	}
	if (v != XDP_PASS)
		return v;
	if (stages & FP_STAGE_BIT(FP_STAGE_DHCP)) {
		/* The stage is a function of its own, a call: only a frame to
		 * the server's port goes in (the stage checks the rest). */
		if (fp_dhcp_wants(&p))
			v = fp_stage_dhcp(ctx, p.l3_off, p.l4_off, fp_dhcp_vlan(&p), p.frag);
		/* A global function: the verifier does not know what it returns,
		 * clang does, and would drop verdict_row()'s range check. */
		asm volatile("" : "+r"(v));
		if (v != XDP_PASS) {
			count(verdict_row(st, v), FP_STAGE_DHCP, len);
			return v;
		}
		count(pass, FP_STAGE_DHCP, len);
	}
	if (stages & FP_STAGE_BIT(FP_STAGE_XSK)) {
		v = fp_stage_xsk(ctx, &p);
		if (v != XDP_PASS) {
			count(verdict_row(st, v), FP_STAGE_XSK, len);
			return v;
		}
		count(pass, FP_STAGE_XSK, len);
	}
	if (stages & FP_STAGE_BIT(FP_STAGE_PORTS)) {
		v = fp_stage_ports(&p);
		count(pass, FP_STAGE_PORTS, len);
	}
	return v;
}

/* run_xsk_alone: the pipeline of an object compiled for the XSK stage
 * alone, which reads a frame's port and nothing else: a frame of the
 * usual shape is steered from the port read in place, any other goes
 * through the parse. */
static __always_inline int run_xsk_alone(struct xdp_md *ctx, struct fp_pipeline_stats *st,
					 __u32 len)
{
	__u16 dport;
	int l4_proto = fp_parse_port((void *)(long)ctx->data, (void *)(long)ctx->data_end, &dport);
	int v;

	if (!l4_proto)
		return run_stages(ctx, st, FP_STAGE_BIT(FP_STAGE_XSK), len);
	/* The redirect's verdict when the slot is empty is its flags,
	 * XDP_PASS: it has no other. Said so, the verdict's row is at a
	 * constant offset, with no range check. */
	v = fp_xsk_steer(ctx, l4_proto, dport, len) == XDP_REDIRECT ? XDP_REDIRECT : XDP_PASS;
	count(&st->c[0][v], FP_STAGE_XSK, len);
	return v;
}

SEC("xdp")
int fp_pipeline(struct xdp_md *ctx)
{
	__u32 zero = 0, len = ctx->data_end - ctx->data, stages;
	struct fp_pipeline_cfg *cfg = bpf_map_lookup_elem(&fp_config, &zero);
	struct fp_pipeline_stats *st = bpf_map_lookup_elem(&fp_stats, &zero);
	int v = XDP_PASS;

	if (!cfg || !st)
		return XDP_PASS;
	stages = cfg->stages & ((fp_built & FP_COMPILED_FOR) | FP_STAGE_BIT(FP_STAGE_CHAIN));
	/* Only the chain needs no parse: an empty pipeline costs two lookups. */
	if (FP_COMPILED_FOR == FP_STAGE_BIT(FP_STAGE_XSK) && (stages & FP_STAGE_BIT(FP_STAGE_XSK)))
		v = run_xsk_alone(ctx, st, len);
	else if (stages & ~FP_STAGE_BIT(FP_STAGE_CHAIN))
		v = run_stages(ctx, st, stages, len);
	if (v == XDP_PASS && (stages & FP_STAGE_BIT(FP_STAGE_CHAIN))) {
		struct fp_counter *c = &st->c[FP_STAGE_CHAIN][FP_VERDICT_CHAINED];
		struct fp_counter *t = &st->c[FP_STAGE_PIPELINE][FP_VERDICT_CHAINED];

		c->packets++;
		c->bytes += len;
		t->packets++;
		t->bytes += len;
		bpf_tail_call(ctx, &fp_chain, 0);
		/* The slot was emptied under us: take the counts back, pass. */
		c->packets--;
		c->bytes -= len;
		t->packets--;
		t->bytes -= len;
	}
	count(v == XDP_PASS ? &st->c[0][XDP_PASS] : verdict_row(st, v), FP_STAGE_PIPELINE, len);
	return v;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
