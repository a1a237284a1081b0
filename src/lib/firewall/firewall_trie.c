// SPDX-License-Identifier: BSD-2-Clause
/* The address tries of the firewall table's nodes (bpf/firewall_abi.h),
 * built in memory: four roots of 2^16 entries, then nodes of 16 entries
 * (4 bits), leaves pushed down so that every entry holds the class of the
 * longest prefix over it, and tails for a prefix alone below an entry. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/mapping.h"
#include "firewall/firewall_compiled.h"

int fp_fw_trie_init(struct fp_fw_compiled *c)
{
	c->nodes = fp_mapping((size_t)FP_FW_NODES_MAX * sizeof(*c->nodes), true);
	if (!c->nodes)
		return -ENOMEM;
	for (int root = 0; root < FP_FW_ROOTS; root++) {
		__u32 none = root & 1 ? FP_FW_V_NODST : FP_FW_V_NOSRC;

		for (__u32 i = 0; i < FP_FW_ROOT_NODES; i++)
			for (int k = 0; k < FP_FW_FANOUT; k++)
				c->nodes[root * FP_FW_ROOT_NODES + i].e[k] = none;
	}
	c->n_nodes = FP_FW_ROOTS * FP_FW_ROOT_NODES;
	return 0;
}

static __u32 nibble(const __u8 *addr, int bit)
{
	__u8 b = addr[bit / 8];

	return bit % 8 ? b & 15 : b >> 4;
}

static __u32 *root_entry(struct fp_fw_compiled *c, int root, const __u8 *addr)
{
	__u32 top = addr[0] << 8 | addr[1];

	return &c->nodes[root * FP_FW_ROOT_NODES + (top >> 4)].e[top & 15];
}

static int addr_bits(int root)
{
	return root >= FP_FW_ROOT_SRC6 ? 128 : 32;
}

static __u32 addr_word(const __u8 *addr, int i)
{
	return (__u32)addr[4 * i] << 24 | addr[4 * i + 1] << 16 | addr[4 * i + 2] << 8 |
	       addr[4 * i + 3];
}

static struct fp_fw_tail *tail_at(const struct fp_fw_compiled *c, __u32 e)
{
	return (struct fp_fw_tail *)&c->nodes[e & ~FP_FW_REF];
}

/* word_mask: the bits of word I a prefix of LEN bits fixes. */
static __u32 word_mask(int len, int i)
{
	int bits = len - 32 * i;

	return bits >= 32 ? ~0u : bits > 0 ? ~(~0u >> bits) : 0;
}

/* tail_holds: ADDR is in the tail's prefix. */
static bool tail_holds(const struct fp_fw_tail *t, const __u8 *addr)
{
	for (int i = 0; i < 4; i++)
		if ((addr_word(addr, i) & t->mask[i]) != t->addr[i])
			return false;
	return true;
}

__u32 fp_fw_trie_lookup(const struct fp_fw_compiled *c, int root, const __u8 *addr)
{
	__u32 e = *root_entry((struct fp_fw_compiled *)c, root, addr);

	for (int bit = 16; (e & FP_FW_CHILD) && bit < addr_bits(root); bit += 4)
		e = c->nodes[e & ~FP_FW_REF].e[nibble(addr, bit)];
	if (e & FP_FW_TAIL)
		e = tail_holds(tail_at(c, e), addr) ? tail_at(c, e)->cls : tail_at(c, e)->miss;
	return e;
}

/* new_node: an element of the nodes, a node whose 16 entries hold
 * FILL; its index, or -E2BIG when the map is full. */
static int new_node(struct fp_fw_compiled *c, __u32 fill, __u32 *idx)
{
	if (c->n_nodes >= FP_FW_NODES_MAX)
		return -E2BIG;
	for (int i = 0; i < FP_FW_FANOUT; i++)
		c->nodes[c->n_nodes].e[i] = fill;
	*idx = c->n_nodes++;
	return 0;
}

/* set_range: CLS for the entries of NODE the prefix covers, when it ends
 * within the nibble at BIT. Prefixes arrive shortest first, so those
 * entries are leaves of shorter prefixes. */
static void set_range(struct fp_fw_compiled *c, __u32 node, const __u8 *addr, int len,
		      int bit, __u32 cls)
{
	__u32 count = 1u << (4 - (len - bit)), first = nibble(addr, bit) & ~(count - 1);

	for (__u32 i = first; i < first + count; i++)
		c->nodes[node].e[i] = cls;
}

/* split_tail: the entry at (NODE, SLOT), a tail below bit BIT, becomes a
 * node that holds the tail's prefix one level down. */
static int split_tail(struct fp_fw_compiled *c, __u32 node, __u32 slot, int bit)
{
	__u32 tail = c->nodes[node].e[slot], child;
	struct fp_fw_tail t = *tail_at(c, tail);
	__u8 addr[16];
	int err;

	for (int i = 0; i < 4; i++) {
		addr[4 * i] = t.addr[i] >> 24;
		addr[4 * i + 1] = t.addr[i] >> 16;
		addr[4 * i + 2] = t.addr[i] >> 8;
		addr[4 * i + 3] = t.addr[i];
	}
	err = new_node(c, t.miss, &child);
	if (err)
		return err;
	if ((int)t.len - bit <= 4)
		set_range(c, child, addr, t.len, bit, t.cls);
	else
		c->nodes[child].e[nibble(addr, bit)] = tail;
	c->nodes[node].e[slot] = FP_FW_CHILD | child;
	return 0;
}

/* new_tail: the prefix P of class CLS below an entry of class MISS. */
static int new_tail(struct fp_fw_compiled *c, const __u8 *addr, int len, __u32 cls,
		    __u32 miss, __u32 *e)
{
	struct fp_fw_tail *t;
	__u32 idx;
	int err = new_node(c, 0, &idx);

	if (err)
		return err;
	t = tail_at(c, idx);
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 4; i++) {
		t->mask[i] = word_mask(len, i);
		t->addr[i] = addr_word(addr, i) & t->mask[i];
	}
	t->len = len;
	t->cls = cls;
	t->miss = miss;
	*e = FP_FW_TAIL | idx;
	return 0;
}

int fp_fw_trie_insert(struct fp_fw_compiled *c, int root, const __u8 *addr, int len, __u32 cls)
{
	__u32 top = addr[0] << 8 | addr[1], node, slot;
	int bit = 16, err;

	if (len <= 16) {
		__u32 count = 1u << (16 - len), first = top & ~(count - 1);

		for (__u32 i = first; i < first + count; i++)
			c->nodes[root * FP_FW_ROOT_NODES + (i >> 4)].e[i & 15] = cls;
		return 0;
	}
	node = root * FP_FW_ROOT_NODES + (top >> 4);
	slot = top & 15;
	/* Each turn: the entry at (node, slot) covers the bits before BIT,
	 * and the prefix goes on past them. */
	for (;;) {
		__u32 e = c->nodes[node].e[slot];

		if (!(e & FP_FW_REF)) {
			err = new_tail(c, addr, len, cls, e, &e);
			if (!err)
				c->nodes[node].e[slot] = e;
			return err;
		}
		if (e & FP_FW_TAIL) {
			err = split_tail(c, node, slot, bit);
			if (err)
				return err;
			e = c->nodes[node].e[slot];
		}
		node = e & ~FP_FW_REF;
		if (len - bit <= 4) {
			set_range(c, node, addr, len, bit, cls);
			return 0;
		}
		slot = nibble(addr, bit);
		bit += 4;
	}
}
