// SPDX-License-Identifier: BSD-2-Clause
/* fastpath up, down, stats: the XDP pipeline on an interface. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/pipeline.h>
#include "cli.h"

static const char *const verdict_names[FP_VERDICT_MAX] = {
	"aborted", "drop", "pass", "tx", "redirect", "chained",
};

/* "ports,chain" for the stages set in mask. */
static void stages_str(__u32 mask, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int s = FP_STAGE_FLOWS; s < FP_STAGE_MAX; s++) {
		int n;

		if (!(mask & FP_STAGE_BIT(s)))
			continue;
		n = snprintf(buf + off, size - off, "%s%s", off ? "," : "", fp_stage_name(s));
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += n;
	}
	if (!off)
		snprintf(buf, size, "none");
}

static struct json_object *stages_json(__u32 mask)
{
	struct json_object *arr = json_object_new_array();

	for (int s = FP_STAGE_FLOWS; s < FP_STAGE_MAX; s++)
		if (mask & FP_STAGE_BIT(s))
			json_object_array_add(arr, json_object_new_string(fp_stage_name(s)));
	return arr;
}

static int pipeline_error(int err, const char *dev)
{
	switch (err) {
	case -ENODEV:
		return fail(EXIT_RUNTIME, "no network interface named '%s'; list them "
			    "with: ip link show", dev);
	case -ENOENT:
		return fail(EXIT_RUNTIME, "no pipeline on %s; start one with: "
			    "fastpath up %s", dev, dev);
	case -EBUSY:
	case -EEXIST:
		if (if_nametoindex(dev))
			return xdp_busy(dev, if_nametoindex(dev));
		break;
	case -EOPNOTSUPP:
		return fail(EXIT_RUNTIME, "native XDP is not supported by the driver "
			    "of %s; use --mode skb, or --mode auto", dev);
	case -ENOSYS:
		return fail(EXIT_RUNTIME, "the flows stage needs tcx (Linux 6.6 or later) "
			    "for its egress program; leave flows out of --stages on this kernel");
	}
	return fail_errno(err, "pipeline on %s", dev);
}

/* The flows stage's table size: flows per CPU, as flows.max_flows. */
static int max_flows_arg(const char *s, __u32 *n)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || !v || v > FP_CONFIG_FLOWS_MAX)
		return -EINVAL;
	*n = v;
	return 0;
}

static const struct out_col up_cols[] = {
	{ NULL, "interface", OUT_STR, 0 },
	{ NULL, "mode", OUT_STR, 0 },
	{ NULL, "adopted", OUT_BOOL, 0 },
	{ NULL, "stages", OUT_JSON, 0 },
	{ NULL, "native_error", OUT_STR, 0 }, /* native failed, skb taken */
};

int cmd_up(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "stages", required_argument, NULL, 's' },
		{ "chain", required_argument, NULL, 'c' },
		{ "max-flows", required_argument, NULL, 'f' },
		{ 0 },
	};
	struct fp_pipeline_opts opts = { .stages = FP_STAGE_BIT(FP_STAGE_PORTS) };
	struct fp_pipeline_info info;
	struct fp_load_result res;
	struct fp_obj *cobj = NULL;
	const char *chain = NULL, *dev;
	char stages[128];
	int c, err;

	while ((c = getopt_long(argc, argv, "m:s:c:f:", lo, NULL)) != -1) {
		if (c == 'm' && mode_arg(optarg, &opts.mode))
			return EXIT_USAGE;
		if (c == 's' && fp_stage_parse(optarg, &opts.stages)) {
			stages_str(fp_stages_available() & ~FP_STAGE_BIT(FP_STAGE_CHAIN),
				   stages, sizeof(stages));
			return fail(EXIT_USAGE, "--stages takes a comma-separated list of "
				    "%s, or none; not '%s'", stages, optarg);
		}
		if (c == 'c')
			chain = optarg;
		if (c == 'f' && max_flows_arg(optarg, &opts.max_flows))
			return fail(EXIT_USAGE, "--max-flows takes a number from 1 to %u, not '%s'",
				    FP_CONFIG_FLOWS_MAX, optarg);
		if (c == '?' || c == ':')
			return bad_option(argv);
	}
	if (argc - optind != 1)
		return fail(EXIT_USAGE, "usage: fastpath up DEV [--mode native|skb|auto] "
			    "[--stages LIST] [--chain FILE.o] [--max-flows N]");
	dev = argv[optind];
	if (opts.max_flows && !(opts.stages & FP_STAGE_BIT(FP_STAGE_FLOWS)))
		return fail(EXIT_USAGE, "--max-flows sizes the flows stage, which --stages "
			    "does not name; add flows to --stages, or leave --max-flows out");
	err = require_bpf();
	if (err)
		return err;
	/* The program to chain is loaded before anything changes: a file
	 * that cannot be chained fails the up whole. */
	if (chain) {
		err = fp_pipeline_chain_load(chain, &cobj, &res);
		if (err == -EMEDIUMTYPE)
			err = fail(EXIT_RUNTIME, "%s: program '%s' is of type %s; only "
				   "XDP programs can be chained", chain, res.name,
				   type_str(res.type));
		else if (err == -ENOTUNIQ)
			err = fail(EXIT_RUNTIME, "%s has several programs (%s); --chain "
				   "takes an object with one XDP program", chain, res.progs);
		else if (err)
			err = report_load_error(err, chain, NULL, res.name, res.progs, res.log);
		fp_load_result_free(&res);
		if (err)
			return err;
	}
	err = fp_pipeline_up(dev, &opts, &info);
	if (err) {
		fp_obj_close(cobj);
		c = pipeline_error(err, dev);
		if (info.kept && !fp_pipeline_info(dev, &info))
			fprintf(stderr, "fastpath: the pipeline on %s runs on as before, in %s "
				"mode\n", dev, info.mode);
		return c;
	}
	if (chain) {
		err = fp_pipeline_chain_obj(dev, cobj);
		fp_obj_close(cobj);
		if (err && info.created)
			fp_pipeline_down(dev); /* a failed up leaves nothing it made */
		if (err)
			return fail_errno(err, "cannot chain %s on %s", chain, dev);
		fp_pipeline_info(dev, &info);
	}
	stages_str(info.stages, stages, sizeof(stages));
	if (info.native_failed && !cli.json)
		printf("native mode failed on %s (%s); fell back to skb (generic) mode\n",
		       dev, strerror(-info.native_err));
	{
		union out_val v[] = { { .s = dev }, { .s = info.mode }, { .b = info.adopted },
				      { .j = stages_json(info.stages) },
				      { .s = strerror(-info.native_err) } };
		struct out_col c[OUT_N(up_cols)];

		memcpy(c, up_cols, sizeof(c));
		if (!info.native_failed)
			c[4].key = NULL;
		out_result(OUT_COLS(c), v, "pipeline %s on %s (%s mode, stages: %s%s%s)\n",
			   info.adopted ? "already up, adopted," : "up", dev, info.mode,
			   stages, info.chain_prog_id ? ", chained: " : "", info.chain_name);
	}
	return EXIT_OK;
}

int cmd_down(int argc, char **argv)
{
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "usage: fastpath down DEV");
	err = require_bpf();
	if (err)
		return err;
	err = fp_pipeline_down(argv[1]);
	if (err)
		return pipeline_error(err, argv[1]);
	{
		static const struct out_col cols[] = {
			{ NULL, "interface", OUT_STR, 0 },
			{ NULL, "down", OUT_BOOL, 0 },
		};
		union out_val v[] = { { .s = argv[1] }, { .b = true } };

		out_result(OUT_COLS(cols), v, "pipeline down on %s\n", argv[1]);
	}
	return EXIT_OK;
}

static struct json_object *counters_json(const struct fp_pipeline_stats *st)
{
	struct json_object *o = json_object_new_object();

	for (int s = 0; s < FP_STAGE_MAX; s++) {
		struct json_object *stage = json_object_new_object();

		for (int v = 0; v < FP_VERDICT_MAX; v++) {
			struct json_object *c = json_object_new_object();

			json_object_object_add(c, "packets", json_object_new_int64(st->c[s][v].packets));
			json_object_object_add(c, "bytes", json_object_new_int64(st->c[s][v].bytes));
			json_object_object_add(stage, verdict_names[v], c);
		}
		json_object_object_add(o, fp_stage_name(s), stage);
	}
	return o;
}

int each_pipeline(const char *dev, int (*fn)(const char *dev, bool named, void *ctx),
		  void *ctx, size_t *shown, size_t *found)
{
	char (*devs)[IF_NAMESIZE] = NULL;
	size_t n = 0, dummy;
	int err, rc = EXIT_OK;

	found = found ? found : &dummy;
	*shown = *found = 0;
	if (dev) {
		*found = 1;
		rc = fn(dev, true, ctx);
		*shown = rc == EXIT_OK;
		return rc == EACH_SKIP ? EXIT_OK : rc;
	}
	err = fp_pipeline_list(&devs, &n);
	if (err)
		return fail_errno(err, "cannot list the pipelines in %s", FP_PIPELINE_DIR);
	*found = n;
	for (size_t i = 0; i < n && rc <= 0; i++) {
		/* fn prints its own errors while devs[i] is still there. */
		rc = fn(devs[i], false, ctx);
		if (rc == EXIT_OK)
			(*shown)++;
	}
	free(devs);
	return rc == EACH_SKIP ? EXIT_OK : rc;
}

static const struct out_col counter_cols[] = {
	{ "STAGE", NULL, OUT_STR, -10 },
	{ "VERDICT", NULL, OUT_STR, -9 },
	{ "PACKETS", NULL, OUT_U64, 14 },
	{ "BYTES", NULL, OUT_U64, 16 },
};

static const struct out_col stats_cols[] = {
	{ NULL, "interface", OUT_STR, 0 },
	{ NULL, "mode", OUT_STR, 0 },
	{ NULL, "stages", OUT_JSON, 0 },
	{ NULL, "counters", OUT_JSON, 0 },
};

static int stats_one(const char *dev, bool named, void *ctx)
{
	struct json_object *arr = ctx;
	struct fp_pipeline_stats st;
	struct fp_pipeline_info info;
	char stages[128];
	int err;

	(void)named;
	err = fp_pipeline_info(dev, &info);
	err = err ?: fp_pipeline_stats(dev, &st);
	if (err)
		return pipeline_error(err, dev);
	if (arr) {
		union out_val v[] = { { .s = dev }, { .s = info.mode },
				      { .j = stages_json(info.stages) },
				      { .j = counters_json(&st) } };

		json_object_array_add(arr, out_object(OUT_COLS(stats_cols), v));
		return EXIT_OK;
	}
	stages_str(info.stages, stages, sizeof(stages));
	printf("%s: %s mode, stages: %s%s%s\n", dev, *info.mode ? info.mode :
	       "detached", stages, info.chain_prog_id ? ", chained: " : "",
	       info.chain_name);
	out_header(OUT_COLS(counter_cols), 2);
	for (int s = 0; s < FP_STAGE_MAX; s++)
		for (int v = 0; v < FP_VERDICT_MAX; v++) {
			union out_val row[] = { { .s = fp_stage_name(s) },
						{ .s = verdict_names[v] },
						{ .u = st.c[s][v].packets },
						{ .u = st.c[s][v].bytes } };

			if (st.c[s][v].packets)
				out_line(OUT_COLS(counter_cols), row, 2);
		}
	return EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
	struct json_object *arr = cli.json ? json_object_new_array() : NULL;
	size_t shown, found;
	int err;

	if (argc > 2)
		return fail(EXIT_USAGE, "usage: fastpath stats [DEV] [-j]");
	err = require_bpf();
	if (!err)
		err = each_pipeline(argc == 2 ? argv[1] : NULL, stats_one, arr, &shown, &found);
	if (err) {
		json_object_put(arr);
		return err;
	}
	if (arr)
		json_print(arr);
	else if (!found)
		printf("no pipelines; start one with: fastpath up DEV\n");
	return EXIT_OK;
}
