// SPDX-License-Identifier: BSD-2-Clause
/* Editing an interface's live rule set: insert a rule at a position,
 * remove one, empty it. The list operations are pure; the rest reads the
 * live set, edits it and applies it whole under DEV's lock
 * (fp_firewall_edit), so edits by the CLI and the daemon never race. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fastpath/firewall.h>

int fp_fw_rules_insert(struct fp_firewall_config *fw, const struct fp_fw_rule *rule,
		       size_t at)
{
	struct fp_fw_rule *rules = realloc(fw->rules, (fw->n_rules + 1) * sizeof(*rules));
	size_t pos = at >= 1 && at <= fw->n_rules ? at - 1 : fw->n_rules;

	if (!rules)
		return -ENOMEM;
	fw->rules = rules;
	memmove(&rules[pos + 1], &rules[pos], (fw->n_rules - pos) * sizeof(*rules));
	rules[pos] = *rule;
	fw->n_rules++;
	return 0;
}

int fp_fw_rules_remove(struct fp_firewall_config *fw, size_t index)
{
	if (index < 1 || index > fw->n_rules)
		return -ERANGE;
	memmove(&fw->rules[index - 1], &fw->rules[index],
		(fw->n_rules - index) * sizeof(*fw->rules));
	fw->n_rules--;
	return 0;
}

struct edit {
	const struct fp_fw_rule *rule;  /* add */
	size_t pos;                     /* add: position; delete: index */
	size_t n_rules;                 /* how many the live set had */
};

/* number_of: the number `firewall list` shows for rule I of the live
 * set FW: its number in its file, where the set keeps one, else its place. */
static size_t number_of(const struct fp_firewall_config *fw, size_t i)
{
	return fw->rules[i].index ? fw->rules[i].index : i + 1;
}

/* place_of: the place (1-based) of the first rule of FW numbered N or
 * more; one past the last when there is none. */
static size_t place_of(const struct fp_firewall_config *fw, size_t n)
{
	size_t i = 0;

	while (i < fw->n_rules && number_of(fw, i) < n)
		i++;
	return i + 1;
}

static int add_one(struct fp_firewall_config *fw, void *ctx)
{
	struct edit *e = ctx;

	e->n_rules = fw->n_rules;
	return fp_fw_rules_insert(fw, e->rule, e->pos ? place_of(fw, e->pos) : 0);
}

static int delete_one(struct fp_firewall_config *fw, void *ctx)
{
	struct edit *e = ctx;
	size_t at = place_of(fw, e->pos);

	e->n_rules = fw->n_rules;
	if (at > fw->n_rules || number_of(fw, at - 1) != e->pos)
		return -ERANGE;
	return fp_fw_rules_remove(fw, at);
}

static int flush_all(struct fp_firewall_config *fw, void *ctx)
{
	(void)ctx;
	fw->n_rules = 0;
	return 0;
}

int fp_firewall_add(const char *dev, const struct fp_fw_rule *rule, size_t at,
		    struct fp_config_error *err)
{
	struct edit e = { .rule = rule, .pos = at };

	return fp_firewall_edit(dev, add_one, &e, err);
}

int fp_firewall_delete(const char *dev, size_t index, size_t *n_rules,
		       struct fp_config_error *err)
{
	struct edit e = { .pos = index };
	int ret = fp_firewall_edit(dev, delete_one, &e, err);

	if (n_rules)
		*n_rules = e.n_rules;
	return ret;
}

int fp_firewall_flush(const char *dev, struct fp_config_error *err)
{
	return fp_firewall_edit(dev, flush_all, NULL, err);
}
