/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flows: what the flows stage (XDP ingress, bpf/flows_stage.h), its TC
 * egress half (bpf/flows_egress.bpf.c) and the library (src/lib/flows/flows.c)
 * share. One table per interface, pinned as pipeline/DEV/flows.
 *
 * Why not a BPF hash map: on the machines we measured (retpolines and
 * return thunks on), an LRU_HASH or LRU_PERCPU_HASH lookup-and-update
 * costs 45-65 ns a packet and an insert 90-130 ns (docs/benchmarks.md),
 * against a budget of 15 ns. The table is therefore an array that the
 * verifier inlines, used as a 4-way set-associative hash table written
 * by this header's hash: no helper call, no lock, no atomic on the path.
 *
 * Each CPU owns a region of fp_flow_cpu.buckets buckets, the only one it
 * writes, so counters need no atomics and a flow seen on two CPUs has an
 * entry in each (the library sums them). A full bucket evicts its least
 * recently seen entry and counts it. The array is BPF_F_MMAPABLE: the
 * library reads it without a syscall per entry and ages an idle entry by
 * a compare-and-swap of its tag, never rewriting a bucket another CPU
 * may be writing. */
#ifndef FP_FLOWS_ABI_H
#define FP_FLOWS_ABI_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define FP_FLOW_WAYS        4
#define FP_FLOW_KEY_WORDS   5     /* sizeof(struct fp_flow_key) / 8 */
#define FP_FLOWS_DEFAULT    65536 /* flows.max_flows when none is given */

enum fp_flow_dir {
	FP_FLOW_INGRESS = 0,    /* the pipeline's XDP program */
	FP_FLOW_EGRESS,         /* fp_flows_egress, tcx egress */
};

/* Compared as five __u64 words: every byte, padding too, is set. Ports
 * are host order; an ICMP or ICMPv6 flow holds type and code in sport
 * and dport; a flow with no L4 header (a later fragment, another
 * protocol) has both 0. IPv4 addresses sit in saddr[0]/daddr[0]. The
 * interface is the table's: each interface has its own. The data path
 * holds the first four words where the parser left them and the fifth,
 * fp_flow_l4_word(), in a register. */
struct fp_flow_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 family;            /* IP version: 4 or 6 */
	__u8 dir;               /* enum fp_flow_dir */
	__u8 pad;
} __attribute__((aligned(8)));

struct fp_flow {
	__u64 packets;
	__u64 bytes;            /* whole frames, Ethernet header included */
	__u64 first_ns;         /* CLOCK_MONOTONIC, to one tick (1/HZ) */
	__u64 last_ns;
	__u32 rule;             /* the last packet's firewall rule, 1-based; 0: policy */
	__u8 verdict;           /* the last packet's: XDP_PASS or XDP_DROP */
	__u8 tcp_flags;         /* every packet's flags, OR-ed */
	__u8 pad[2];
};

struct fp_flow_entry {
	struct fp_flow_key key;
	struct fp_flow flow;
};

/* One value of the fp_flows array. The tags come first so that a lookup
 * that misses reads one cache line. */
struct fp_flow_bucket {
	__u32 tag[FP_FLOW_WAYS]; /* fp_flow_tag() of way i's key; 0: free */
	struct fp_flow_entry e[FP_FLOW_WAYS];
};

/* The key words of a flow, as fp_flow_insert() takes them. */
struct fp_flow_words {
	__u64 w[FP_FLOW_KEY_WORDS];
};

/* A frame the pipeline has taken and not yet recorded
 * (fp_stage_flows_take, fp_stage_flows_commit in flows_stage.h). */
struct fp_flow_pkt {
	struct fp_flow_words k;
	__u64 len;
	__u64 tcp_flags;
	__u64 skip;             /* 0: record; else the counter to bump instead */
};

/* fp_flow_cpu, a per-CPU array of one: this CPU's region of fp_flows and
 * its counters. The library writes base, buckets and seed once, when it
 * creates the table; the data path only reads them. */
struct fp_flow_cpu {
	__u64 tick;             /* bpf_jiffies64() when now_ns was read */
	__u64 now_ns;
	__u32 base;             /* this CPU's first bucket: cpu * buckets */
	__u32 buckets;          /* per CPU; 0: not set up, record nothing */
	__u64 seed;             /* the hash key, the same on every CPU */
	__u64 created;          /* entries written for a new flow */
	__u64 evicted;          /* of those, how many replaced a live entry */
	__u64 unparsed;         /* IP frames cut short or malformed: not recorded */
	__u64 not_ip;           /* ARP and other non-IP frames: not recorded */
	struct fp_flow_pkt pending; /* the pipeline's frame, across its firewall */
};

/* fp_flow_meta, an array of one the data path never touches: what the
 * library keeps with the table. Mmapable, so that two agers (fastpathd
 * and the CLI) add with an atomic. */
struct fp_flow_meta {
	__u64 aged;             /* entries removed by fp_flows_age() */
};

/* May alias anything, so reading a key as words is defined C; and the
 * key is 8-aligned, so each word is one load (a memcpy through char *
 * made clang emit eight byte loads a word for BPF). */
typedef __u64 __attribute__((__may_alias__)) fp_flow_word_t;

/* fp_flow_word: the key's i-th 8 bytes. */
static __always_inline __u64 fp_flow_word(const struct fp_flow_key *k, int i)
{
	return ((const fp_flow_word_t *)k)[i];
}

/* fp_flow_l4_word: the key's fifth word, as struct fp_flow_key lays it
 * out on a little-endian machine. */
static __always_inline __u64 fp_flow_l4_word(__u16 sport, __u16 dport, __u8 proto, __u8 family,
					     __u8 dir)
{
	return (__u64)dir << 48 | (__u64)family << 40 | (__u64)proto << 32 |
	       (__u64)dport << 16 | sport;
}

/* fp_flow_hash_words: a keyed multiply-xorshift hash of a key: its four
 * address words a and its fifth word l4. The three products (source,
 * destination, the rest) are independent, so they run in parallel; the
 * seed goes into each so a sender cannot aim flows at one bucket. The
 * tag is the high half (fp_flow_tag), where each product depends on
 * every bit of its word; the bucket comes from both halves
 * (fp_flow_bucket_of). Not cryptographic; cheap enough for a 15 ns
 * budget. */
static __always_inline __u64 fp_flow_hash_words(const fp_flow_word_t *a, __u64 l4, __u64 seed)
{
	__u64 h = (a[0] ^ a[1] ^ seed) * 0x9e3779b97f4a7c15ULL ^
		  (a[2] ^ a[3] ^ seed) * 0xc2b2ae3d27d4eb4fULL ^
		  (l4 ^ seed) * 0x165667b19e3779f9ULL;

	return h ^ h >> 32;
}

/* fp_flow_hash: the same of a key in memory (the library's side). */
static __always_inline __u64 fp_flow_hash(const struct fp_flow_key *k, __u64 seed)
{
	return fp_flow_hash_words((const fp_flow_word_t *)k, fp_flow_word(k, 4), seed);
}

/* fp_flow_key_is: the key in memory k is the one of address words a and
 * fifth word l4, branch-free. */
static __always_inline int fp_flow_key_is(const struct fp_flow_key *k, const fp_flow_word_t *a,
					  __u64 l4)
{
	return !((fp_flow_word(k, 0) ^ a[0]) | (fp_flow_word(k, 1) ^ a[1]) |
		 (fp_flow_word(k, 2) ^ a[2]) | (fp_flow_word(k, 3) ^ a[3]) |
		 (fp_flow_word(k, 4) ^ l4));
}

/* fp_flow_tag: h's high half, never 0, which marks a free way. */
static __always_inline __u32 fp_flow_tag(__u64 h)
{
	return h >> 32 | 1;
}

/* fp_flow_bucket_of: h's bucket among n, by multiply-shift of its low
 * half (no divide, and n need not be a power of two). */
static __always_inline __u32 fp_flow_bucket_of(__u64 h, __u32 n)
{
	return ((__u64)(__u32)h * n) >> 32;
}

#endif
