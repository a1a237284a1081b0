// SPDX-License-Identifier: BSD-2-Clause
/* A pipeline checked against its configuration: the facts read from the
 * kernel, and the repairs they call for (a pure decision, tested in
 * tests/unit/test_heal.c). fastpathd's pipeline service does them. */
#include <net/if.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <fastpath/pipeline.h>
#include <fastpath/reconcile.h>

bool fp_bpffs_mounted(void)
{
	struct statfs fs;

	return !statfs("/sys/fs/bpf", &fs) && fs.f_type == BPF_FS_MAGIC;
}

void fp_pipeline_facts(const struct fp_config *cfg, const char *dev,
		       struct fp_pipeline_facts *f)
{
	struct fp_pipeline_info info;

	memset(f, 0, sizeof(*f));
	f->mode = "";
	f->bpffs = fp_bpffs_mounted();
	f->ifindex = (int)if_nametoindex(dev);
	if (!f->bpffs || !f->ifindex || fp_pipeline_info(dev, &info))
		return;
	f->attached = info.ifindex == f->ifindex && info.prog_id && *info.mode;
	f->mode = f->attached ? info.mode : "";
	f->applied = f->attached && fp_reconcile_applied(cfg, dev);
}

unsigned int fp_pipeline_heal_plan(const struct fp_pipeline_facts *f, enum fp_xdp_mode want)
{
	unsigned int plan = 0;

	if (!f->bpffs)
		return FP_HEAL_REMOUNT | FP_HEAL_REPIN | FP_HEAL_ATTACH;
	if (!f->ifindex)
		return FP_HEAL_WAIT;
	if (f->pins_missing)
		plan |= FP_HEAL_REPIN;
	if (!f->attached || (want != FP_XDP_AUTO && strcmp(f->mode, fp_mode_str(want))))
		plan |= FP_HEAL_ATTACH;
	/* An attach fills the stages' maps too. */
	if (!(plan & FP_HEAL_ATTACH) && !f->applied)
		plan |= FP_HEAL_APPLY;
	return plan;
}
