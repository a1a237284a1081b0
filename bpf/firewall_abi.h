/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The firewall's compiled rule set: the layout of its maps, shared by the
 * stage (bpf/firewall_stage.h) and the compiler (src/lib/firewall/firewall_compile.c).
 * docs/firewall.md explains the design and its numbers.
 *
 * A packet's fields are mapped to classes with array lookups only:
 *   addresses  a multibit trie (16-bit root, then 4-bit strides) in
 *              the nodes, whose leaves are the class of the longest rule
 *              prefix holding the address: an index into the values
 *   ports      the values indexed by protocol half and port
 *   protocol   the values indexed by the IP protocol number
 * Each entry of the values says which rule shapes the field admits and
 * the first rule that constrains this field alone. Rules that constrain
 * two fields or more are found in the match table, a hash table of our
 * own in a fixed-size array (no call, which costs more than the lookup
 * on some CPUs), probed once per admitted shape ("slot"), slots in the
 * order of their first rule. The tables share one map value
 * (fp_fw_table, below). */
#ifndef FP_FIREWALL_ABI_H
#define FP_FIREWALL_ABI_H

#include <linux/types.h>

#define FP_FW_RULES_MAX   100000 /* = FP_CONFIG_RULES_MAX */
#define FP_FW_NONE        0xffffffffu

/* The layout of a generation's tables (fp_fw_meta.layout): a stage of
 * another layout reads a set as no set, and the library installs a set
 * of an older layout again from its list (firewall_stage.c). 0: the
 * layouts before this field, whose meta had padding there. */
#define FP_FW_LAYOUT      1

/* Which fields a rule constrains: its shape. Ports are exact (X) or a
 * range (R) and imply TCP or UDP; P is a protocol with no ports. */
#define FP_FW_S   0x01
#define FP_FW_D   0x02
#define FP_FW_P   0x04
#define FP_FW_SPX 0x08
#define FP_FW_SPR 0x10
#define FP_FW_DPX 0x20
#define FP_FW_DPR 0x40
#define FP_FW_SPORT (FP_FW_SPX | FP_FW_SPR)
#define FP_FW_DPORT (FP_FW_DPX | FP_FW_DPR)
#define FP_FW_PORTS (FP_FW_SPORT | FP_FW_DPORT)

/* Shapes of two fields or more, in fp_fw_meta.slot_*; there are 32. */
#define FP_FW_SLOTS 32

/* The trie: 4 roots (src4, dst4, src6, dst6) of 2^16 entries, then nodes
 * of 16 entries, one 64-byte array element each. An entry is a leaf (an
 * fp_fw_values index), FP_FW_CHILD | a node index, or FP_FW_TAIL | the
 * index of an element holding a struct fp_fw_tail: the one prefix below
 * that entry, checked whole, so that a lone long prefix (a host) costs
 * one element instead of a node per 4 bits. */
#define FP_FW_FANOUT      16
#define FP_FW_ROOT_NODES  (65536 / FP_FW_FANOUT)
#define FP_FW_ROOTS       4
#define FP_FW_NODES_MAX   (1u << 18)  /* 16 MiB */
#define FP_FW_CHILD       0x80000000u
#define FP_FW_TAIL        0x40000000u
#define FP_FW_REF         (FP_FW_CHILD | FP_FW_TAIL)

enum fp_fw_root {
	FP_FW_ROOT_SRC4 = 0,
	FP_FW_ROOT_DST4,
	FP_FW_ROOT_SRC6,
	FP_FW_ROOT_DST6,
};

struct fp_fw_node {
	__u32 e[FP_FW_FANOUT];
};

struct fp_fw_tail {
	__u32 addr[4];  /* host order, bits past len zero */
	__u32 mask[4];  /* the prefix's bits of each word */
	__u32 len;
	__u32 cls;      /* the class of an address in the prefix */
	__u32 miss;     /* the class of the others */
	__u32 pad[5];   /* an element of the nodes */
};

/* The values, by index: ports of TCP then UDP, source then destination;
 * protocols; what a packet without the field sees; address classes. */
#define FP_FW_V_SPORT    0u
#define FP_FW_V_DPORT    (2u * 65536)
#define FP_FW_V_PROTO    (4u * 65536)
#define FP_FW_V_NOSPORT  (FP_FW_V_PROTO + 256)
#define FP_FW_V_NODPORT  (FP_FW_V_NOSPORT + 1)
#define FP_FW_V_NOPROTO  (FP_FW_V_NOSPORT + 2)
#define FP_FW_V_NOSRC    (FP_FW_V_NOSPORT + 3)
#define FP_FW_V_NODST    (FP_FW_V_NOSPORT + 4)
#define FP_FW_V_ADDR     (FP_FW_V_NOSPORT + 8)
#define FP_FW_VALUES_MAX (FP_FW_V_ADDR + 2 * FP_FW_RULES_MAX)

struct fp_fw_class {
	__u32 shapes;   /* bit i: slot i is admitted (has a rule this value fits,
			 * or does not constrain this field) */
	__u32 min;      /* the first rule constraining this field alone that
			 * this value fits; FP_FW_NONE if none */
	__u32 cls;      /* addresses: the key class */
	__u32 pad;
};

/* The match table: buckets of entries, one entry per (rule, tuple of classes
 * it covers). The key holds the classes of the fields the shape
 * constrains, 0 for the others: addresses by their key class (the longest
 * prefix of a rule on two fields or more that holds them), exact ports by
 * value; port ranges are not in the key but checked against the entry,
 * so a range costs one entry, not one per class it spans. An entry lives
 * in one of the two buckets fp_fw_bucket1() and fp_fw_bucket2() give its key (cuckoo
 * hashing: the compiler moves entries between their two buckets until
 * all fit), packed from the front, so a lookup reads two buckets and
 * stops in each at its first empty entry. */
#define FP_FW_BUCKET_ENTRIES 4
#define FP_FW_BUCKETS_MAX    (1u << 17)  /* 16 MiB */

struct fp_fw_match_entry {
	__u64 k0;       /* src key class | dst key class << 32 */
	__u64 k1;       /* sport | dport << 16 | proto << 32 | shape << 40 */
	__u32 pos;      /* the rule; 0: an empty entry */
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u32 ranged;   /* the rule has a port range: compare the ports (an
			 * entry of exact ports matches on its key alone) */
};

struct fp_fw_bucket {
	struct fp_fw_match_entry e[FP_FW_BUCKET_ENTRIES];
};

static inline __u64 fp_fw_k0(__u32 src, __u32 dst)
{
	return (__u64)src | (__u64)dst << 32;
}

static inline __u64 fp_fw_k1(__u16 sport, __u16 dport, __u8 proto, __u8 shape)
{
	return (__u64)sport | (__u64)dport << 16 | (__u64)proto << 32 | (__u64)shape << 40;
}

/* fp_fw_slot_masks: the masks and constant of fp_fw_meta for SHAPE. */
static inline void fp_fw_slot_masks(__u8 shape, __u64 *mask0, __u64 *mask1, __u64 *k1)
{
	*mask0 = fp_fw_k0(shape & FP_FW_S ? ~0u : 0, shape & FP_FW_D ? ~0u : 0);
	*mask1 = fp_fw_k1(shape & FP_FW_SPX ? 0xffff : 0, shape & FP_FW_DPX ? 0xffff : 0,
			  shape & (FP_FW_P | FP_FW_PORTS) ? 0xff : 0, 0);
	*k1 = fp_fw_k1(0, 0, 0, shape);
}

/* fp_fw_key_mix: a key's two products folded, the same in the stage and
 * the compiler. Its high bits depend on every bit of the key (a multiply
 * carries upward): the filter below is indexed by them, so that a probe
 * for a key no rule has (most probes) costs two multiplies. Its low bits
 * do not mix (they depend only on the key's low bits), so the buckets
 * come from fp_fw_hash, which finishes the mix: only a probe the filter
 * lets through pays for it. */
static inline __u64 fp_fw_key_mix(__u64 k0, __u64 k1)
{
	return k0 * 0x9e3779b97f4a7c15ull ^ k1 * 0xc2b2ae3d27d4eb4full;
}

/* fp_fw_hash: the hash of a key whose fp_fw_key_mix is X. */
static inline __u64 fp_fw_hash(__u64 x)
{
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ x >> 32;
}

/* fp_fw_bucket1, fp_fw_bucket2: the two buckets of a key of hash H, of
 * MASK + 1; they differ when there are two buckets or more. The second
 * is only read when the first is full (the stage works it out then). */
static inline __u32 fp_fw_bucket1(__u64 h, __u32 mask)
{
	return (__u32)h & mask;
}

static inline __u32 fp_fw_bucket2(__u64 h, __u32 mask)
{
	__u32 b = (__u32)(h >> 32) & mask;

	return b ^ (b == fp_fw_bucket1(h, mask) ? mask & 1 : 0);
}

/* fp_fw_meta's filter: one bit per value of a key mix's top
 * FP_FW_FILTER_ORDER bits, set for every entry's key, so that a probe
 * for a key no rule has (most probes a packet makes) skips its buckets:
 * their lines and up to eight entries compared. 32 KB: with 10,000
 * entries, a probe for a key that is not there reads its buckets once in
 * 27. */
#define FP_FW_FILTER_ORDER 18
#define FP_FW_FILTER_WORDS (1u << (FP_FW_FILTER_ORDER - 6))

static inline __u32 fp_fw_filter_word(__u64 h)
{
	return h >> (64 - FP_FW_FILTER_ORDER) & (FP_FW_FILTER_WORDS - 1);
}

/* The bit within the word from the top six bits: a shift, no mask. */
static inline __u64 fp_fw_filter_bit(__u64 h)
{
	return 1ull << (h >> 58);
}

/* A slot: what the probe for it reads, in one place. Its key from a
 * packet's: fp_fw_k0(src, dst) & mask0, fp_fw_k1(sport, dport, proto, 0)
 * & mask1 | k1 (the shape, << 40). */
struct fp_fw_slot {
	__u64 mask0;
	__u64 mask1;
	__u64 k1;
	__u32 min;      /* the slot's first rule: ascending from slot to slot */
	__u8 shape;
	__u8 pad[3];
};

/* The meta, at the table's start. Positions count from 1 in rule order; the
 * stage reports the rule's index in its file from the verdicts. The first
 * five fields keep their places from layout to layout: a set of an older
 * layout is read for its shape (firewall_stage.c). */
struct fp_fw_meta {
	__u32 catch_all;                /* first rule with no field; FP_FW_NONE */
	__u32 n_slots;
	__u32 n_pos;                    /* positions: rules + 1 for the policy */
	__u32 layout;                   /* FP_FW_LAYOUT */
	__u32 match_mask;               /* buckets in use - 1 (a power of 2) */
	__u32 gen;                      /* the generation installed as: where its
					 * rules count (FP_FW_COUNTER) */
	struct fp_fw_slot slot[FP_FW_SLOTS];
	__u64 filter[FP_FW_FILTER_WORDS];
};

/* The verdicts, by position; position 0 is the policy. */
struct fp_fw_verdict {
	__u32 action;   /* XDP_PASS or XDP_DROP */
	__u32 rule;     /* 1-based index in the file; 0: the policy */
};

/* fp_fw_table: one generation's tables in the one value of one array,
 * each at its own offset: the meta, the trie's nodes, the match table's
 * buckets, the field values and the verdicts. The stage looks the value
 * up once a packet and indexes each table within it, an index masked to
 * its table (the verifier checks the offset against the value's size),
 * where a lookup per element took an outer map lookup per table, a store
 * and a load of the key and a bounds test at every step. The library
 * writes each table through a mapping of its pages alone: every offset
 * is a multiple of the page size. The spans of values and verdicts are
 * their maxima rounded up to powers of two, so that a mask bounds them. */
#define FP_FW_VALUES_SPAN (1u << 19)
#define FP_FW_RULES_SPAN  (1u << 17)
#define FP_FW_T_META      0ull
#define FP_FW_T_NODES     (1ull << 16)
#define FP_FW_T_MATCH     (FP_FW_T_NODES + (__u64)FP_FW_NODES_MAX * sizeof(struct fp_fw_node))
#define FP_FW_T_VALUES    (FP_FW_T_MATCH + (__u64)FP_FW_BUCKETS_MAX * sizeof(struct fp_fw_bucket))
#define FP_FW_T_RULES     (FP_FW_T_VALUES + (__u64)FP_FW_VALUES_SPAN * sizeof(struct fp_fw_class))
#define FP_FW_TABLE_BYTES (FP_FW_T_RULES + (__u64)FP_FW_RULES_SPAN * sizeof(struct fp_fw_verdict))

_Static_assert(sizeof(struct fp_fw_meta) <= FP_FW_T_NODES, "the meta fits before the nodes");
_Static_assert(!(FP_FW_T_MATCH % 65536) && !(FP_FW_T_VALUES % 65536) && !(FP_FW_T_RULES % 65536),
	       "each table starts on a page, of any page size up to 64 KiB");
_Static_assert(FP_FW_VALUES_MAX <= FP_FW_VALUES_SPAN, "values fit their span");
_Static_assert(FP_FW_RULES_MAX + 1 <= FP_FW_RULES_SPAN, "verdicts fit their span");
_Static_assert(sizeof(struct fp_fw_node) == 64 && sizeof(struct fp_fw_tail) == 64 &&
	       sizeof(struct fp_fw_bucket) == 128 && sizeof(struct fp_fw_class) == 16 &&
	       sizeof(struct fp_fw_verdict) == 8, "table elements");

/* fp_fw_counters, a per-CPU array of struct fp_counter: position POS of
 * generation GEN counts at FP_FW_COUNTER(POS, GEN), so the two
 * generations share one map (of a size fixed when it is made, which
 * keeps its lookup inlined) and keep their places when it is made again
 * larger. */
#define FP_FW_COUNTER(pos, gen) ((pos) * 2 + (gen))

/* fp_fw_list, by position: the rule as applied, for listings without the
 * daemon, and counts carried over from the set it replaced. The stage
 * never reads it. */
struct fp_fw_entry {
	__u32 rule;
	__u32 line;
	__u8 action;    /* enum fp_fw_action */
	__u8 family;    /* 0, AF_INET, AF_INET6 */
	__u8 proto;
	__u8 flags;     /* FP_FW_ENTRY_SRC, FP_FW_ENTRY_DST */
	__u8 src_len;
	__u8 dst_len;
	__u16 pad;
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u8 src[16];
	__u8 dst[16];
	char ifname[16];
	__u64 base_packets;
	__u64 base_bytes;
};

#define FP_FW_ENTRY_SRC 0x01
#define FP_FW_ENTRY_DST 0x02

#endif
