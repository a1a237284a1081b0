// SPDX-License-Identifier: BSD-2-Clause
/* verifier_bench: what the kernel's verifier walks to load the pipeline
 * for a stage set, as the library builds it (the object it opens for the
 * set, fp_built), with the firewall's probe loop bounded for the fewest
 * slots the library loads (1), for 8 and for the most a set may have (32).
 *
 *   verifier_bench [-r RUNS]
 *
 * Per row: the instructions the verifier processed and its own
 * "verification time", the median of RUNS loads. The maps are the
 * object's defaults, not pinned; what is loaded is never attached. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../tests/bpf/pipeline_fixture.h"
#include "firewall_abi.h"

static char vlog[1 << 16];

/* load_once: the pipeline for STAGES, its probe loop bounded at SLOTS:
 * *insns processed, *us of verification. 0 or -1. */
static int load_once(__u32 stages, __u32 slots, unsigned long *insns, unsigned long *us)
{
	struct pipeline *skel = fp_test_pipeline_open_for(stages);
	const char *p, *t;
	int err;

	if (!skel)
		return -1;
	skel->rodata->fp_fw_slots = slots;
	vlog[0] = '\0';
	bpf_program__set_log_level(skel->progs.fp_pipeline, 4); /* statistics only */
	bpf_program__set_log_buf(skel->progs.fp_pipeline, vlog, sizeof(vlog));
	err = pipeline__load(skel);
	pipeline__destroy(skel);
	p = strstr(vlog, "processed ");
	t = strstr(vlog, "verification time ");
	if (err || !p || !t)
		return -1;
	*insns = strtoul(p + strlen("processed "), NULL, 10);
	*us = strtoul(t + strlen("verification time "), NULL, 10);
	return 0;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void row(const char *label, __u32 stages, __u32 slots, int runs)
{
	unsigned long insns = 0, us[64];
	int n = 0;

	for (int i = 0; i < runs && i < 64; i++)
		if (!load_once(stages, slots, &insns, &us[n]))
			n++;
	if (!n) {
		printf("%-34s %6u  load failed\n", label, slots);
		return;
	}
	qsort(us, n, sizeof(us[0]), cmp_ul);
	printf("%-34s %6u %12lu %10.1f\n", label, slots, insns, us[n / 2] / 1000.0);
}

int main(int argc, char **argv)
{
	const __u32 fw = FP_STAGE_BIT(FP_STAGE_FIREWALL), flows = FP_STAGE_BIT(FP_STAGE_FLOWS),
		    dhcp = FP_STAGE_BIT(FP_STAGE_DHCP), xsk = FP_STAGE_BIT(FP_STAGE_XSK);
	int runs = 5, c;

	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c != 'r' || atoi(optarg) < 1) {
			fprintf(stderr, "usage: verifier_bench [-r RUNS]\n");
			return 2;
		}
		runs = atoi(optarg);
	}
	libbpf_set_print(NULL);
	printf("== the verifier's walk of the pipeline, median of %d loads\n", runs);
	printf("%-34s %6s %12s %10s\n", "stages", "slots", "instructions", "ms");
	row("firewall", fw, 1, runs);
	row("firewall", fw, 8, runs);
	row("firewall", fw, FP_FW_SLOTS, runs);
	row("flows", flows, 1, runs);
	row("dhcp", dhcp, 1, runs);
	row("xsk", xsk, 1, runs);
	row("firewall,flows", fw | flows, 1, runs);
	row("firewall,flows,dhcp", fw | flows | dhcp, 1, runs);
	row("firewall,flows,dhcp", fw | flows | dhcp, 8, runs);
	row("firewall,flows,dhcp", fw | flows | dhcp, FP_FW_SLOTS, runs);
	return 0;
}
