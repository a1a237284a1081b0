// SPDX-License-Identifier: BSD-2-Clause
/* fastpath metrics and fastpath health: what fastpathd serves on /metrics
 * and /health, read from the pins without the daemon. The custom metrics
 * (metrics.custom) come from a configuration file: --config FILE, else
 * the one the running fastpathd was started with, so that both print
 * what its endpoint serves. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/metrics.h>
#include "cli.h"

const char metrics_usage[] =
	"usage: fastpath metrics [--export FILE] [--config FILE]\n"
	"       every pipeline's counters, Prometheus text format (-j: JSON samples);\n"
	"       custom metrics from FILE's metrics: section (default: the running\n"
	"       fastpathd's configuration)";
const char health_usage[] =
	"usage: fastpath health [--config FILE]  checks; exit 0 healthy, 1 degraded";

/* custom_config: the configuration whose metrics.custom to read: FILE,
 * which must be valid; without it the running fastpathd's file, which
 * only costs a warning when it does not load (edited since?); else none
 * (*cfg zeroed). An exit status when FILE does not load. */
static int custom_config(const char *file, struct fp_config *cfg)
{
	struct fp_config_error e = { 0 };
	struct fp_daemon_state *st;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	if (file) {
		err = fp_config_load(file, cfg, &e);
		if (err == -EINVAL)
			return fail(EXIT_RUNTIME, "%s", e.msg);
		if (err)
			return fail_errno(err, "cannot read %s", file);
		return 0;
	}
	st = malloc(sizeof(*st));
	if (!st || fp_daemon_state_read(st) || !st->config[0]) {
		free(st);
		return 0;
	}
	/* A relative path is the daemon's, from its working directory. */
	if (st->config[0] != '/') {
		char path[sizeof(st->config)];

		snprintf(path, sizeof(path), "/proc/%d/cwd/%.4000s", (int)st->pid, st->config);
		snprintf(st->config, sizeof(st->config), "%s", path);
	}
	if (fp_config_load(st->config, cfg, &e)) {
		fprintf(stderr, "fastpath: warning: no custom metrics: the running fastpathd's "
			"configuration does not load now (%s); give --config FILE\n", e.msg);
		memset(cfg, 0, sizeof(*cfg));
	}
	free(st);
	return 0;
}

/* One sample line, "name{a=\"x\",b=\"y\"} 12", as a JSON object. Label
 * values the renderer wrote have \\, \" and \n escaped. */
static struct json_object *sample_json(char *line)
{
	struct json_object *o, *labels;
	char *value = strrchr(line, ' '), *p;

	if (!value)
		return NULL;
	*value++ = '\0';
	labels = json_object_new_object();
	p = strchr(line, '{');
	if (p) {
		*p++ = '\0';
		while (*p && *p != '}') {
			char *key = p, *eq = strchr(p, '='), v[256];
			size_t n = 0;

			if (!eq || eq[1] != '"')
				break;
			*eq = '\0';
			for (p = eq + 2; *p && *p != '"' && n + 1 < sizeof(v); p++) {
				if (*p == '\\' && p[1]) {
					p++;
					v[n++] = *p == 'n' ? '\n' : *p;
				} else {
					v[n++] = *p;
				}
			}
			v[n] = '\0';
			json_object_object_add(labels, key, json_object_new_string(v));
			if (*p == '"')
				p++;
			if (*p == ',')
				p++;
		}
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(line));
	json_object_object_add(o, "labels", labels);
	/* Counts are integers; run times and means are not. */
	json_object_object_add(o, "value", strpbrk(value, ".eE") ?
			       json_object_new_double(strtod(value, NULL)) :
			       json_object_new_uint64(strtoull(value, NULL, 10)));
	return o;
}

static int metrics_json(struct fp_text *t)
{
	struct json_object *a = json_object_new_array();
	char *save, *line;

	for (line = strtok_r(t->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *s;

		if (line[0] == '#')
			continue;
		s = sample_json(line);
		if (s)
			json_object_array_add(a, s);
	}
	json_print(a);
	return EXIT_OK;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "export", required_argument, NULL, 'e' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *file = NULL, *config = NULL;
	struct fp_text t = { 0 };
	struct fp_config cfg;
	int c, err;

	while ((c = getopt_long(argc, argv, "+e:c:h", opts, NULL)) != -1) {
		if (c == 'e')
			file = optarg;
		else if (c == 'c')
			config = optarg;
		else if (c == 'h')
			return puts(metrics_usage), EXIT_OK;
		else
			return bad_option(argv);
	}
	if (optind != argc)
		return fail(EXIT_USAGE, "metrics takes no argument '%s'\n%s", argv[optind],
			    metrics_usage);
	err = require_bpf();
	if (err)
		return err;
	err = custom_config(config, &cfg);
	if (err)
		return err;
	err = fp_metrics_text(&cfg.metrics, &t);
	fp_config_free(&cfg);
	if (err) {
		fp_text_free(&t);
		return fail_errno(err, "cannot read the metrics from %s", FP_PIN_ROOT);
	}
	if (file) {
		/* Written whole, then renamed: a textfile collector never
		 * reads half a file. 0644: the collector runs as its own user,
		 * and the metrics hold no address (no label is one). */
		err = fp_file_replace(file, t.data ? t.data : "", t.len, 0644);
		if (err) {
			fp_text_free(&t);
			return fail_errno(err, "cannot write %s", file);
		}
	} else if (cli.json) {
		metrics_json(&t);
	} else {
		fwrite(t.data, 1, t.len, stdout);
	}
	fp_text_free(&t);
	return EXIT_OK;
}

int cmd_health(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL;
	struct fp_config cfg;
	struct fp_health h;
	struct fp_text t = { 0 };
	int c, err;

	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'h')
			return puts(health_usage), EXIT_OK;
		else
			return bad_option(argv);
	}
	if (optind != argc)
		return fail(EXIT_USAGE, "health takes no argument '%s'\n%s", argv[optind],
			    health_usage);
	err = require_bpf();
	if (err)
		return err;
	err = custom_config(config, &cfg);
	if (err)
		return err;
	err = fp_health_run(&h);
	if (!err && fp_metrics_custom_health(&cfg.metrics, &h)) {
		fp_health_free(&h);
		err = -ENOMEM;
	}
	fp_config_free(&cfg);
	if (err)
		return fail_errno(err, "cannot run the health checks");
	if (cli.json) {
		fp_health_json(&h, &t);
		fputs(t.data ? t.data : "", stdout);
		fp_text_free(&t);
	} else {
		printf("%s\n", h.ok ? "healthy" : "degraded");
		for (size_t i = 0; i < h.n; i++)
			printf("  %-4s %-32s %s\n", h.checks[i].ok ? "ok" : "FAIL",
			       h.checks[i].name, h.checks[i].reason);
	}
	err = h.ok ? EXIT_OK : EXIT_RUNTIME;
	fp_health_free(&h);
	return err;
}
