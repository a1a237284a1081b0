// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* parse_probe: runs the pipeline's parser on a frame and leaves the result
 * in .bss for tests/bpf/test_parse.c to read. The frame passes unchanged. */
#include "parse.h"

struct fp_parsed last;

SEC("xdp")
int parse_probe(struct xdp_md *ctx)
{
	fp_parse(ctx, &last);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
