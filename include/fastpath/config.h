/* SPDX-License-Identifier: BSD-2-Clause */
/* fastpathd's configuration file: YAML (JSON is YAML too) read into typed
 * structs and validated whole before anything is applied.
 *
 * The schema, every key and the form of errors are in docs/config.md; a
 * complete example is examples/fastpath.yaml. Errors look like
 *
 *   fastpath.yaml:7: orchestrator.ebpf.mode: 'nativ' is not one of native, skb, auto (did you mean 'native'?)
 *
 * one per line, every error found in the file (as many as fit in
 * fp_config_error.msg; a last line says how many more there were). Paths
 * name list items by 0-based index: firewall.rules[3].port.
 *
 * Each function's section (its struct, its limits and defaults) is in its
 * own header; struct fp_config composes them. A document nested deeper
 * than FP_CONFIG_DEPTH_MAX is refused before it is read further.
 *
 * Addresses are stored in network byte order, ports in host byte order. */
#ifndef FASTPATH_CONFIG_H
#define FASTPATH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <fastpath/core.h>      /* struct fp_config_error */
/* The sections it is composed of, each in its function's header. */
#include <fastpath/pipeline.h>   /* struct fp_ebpf_config */
#include <fastpath/firewall.h>   /* struct fp_firewall_config */
#include <fastpath/flows.h>      /* struct fp_flows_config */
#include <fastpath/dhcp.h>       /* struct fp_dhcp_config */
#include <fastpath/functions.h>  /* struct fp_function_config */
#include <fastpath/xsk.h>        /* struct fp_xsk_config */
#include <fastpath/shaper.h>     /* struct fp_shaper_config */
#include <fastpath/proxy.h>      /* struct fp_proxy_config */
#include <fastpath/daemon.h>     /* struct fp_alerts_config */
#include <fastpath/metrics.h>    /* struct fp_metrics_config */

#define FP_CONFIG_DEFAULT_PATH   "/etc/fastpath/fastpath.yaml"
#define FP_CONFIG_FILE_MAX       (64u << 20)   /* bytes fp_*_load reads */
#define FP_CONFIG_DEPTH_MAX      64            /* nested mappings and lists */

#define FP_CONFIG_PROMETHEUS_PORT 9090
#define FP_CONFIG_PROMETHEUS_ADDRESS "127.0.0.1"
#define FP_CONFIG_ADDR_MAX        46    /* INET6_ADDRSTRLEN */
#define FP_CONFIG_MONITORING_MS   10000 /* orchestrator.monitoring_interval */

/* Settings the file may hold that ask for something this build does not
 * do yet: one line each, "NAME:LINE: warning: KEY is accepted but not
 * implemented yet in this build (issue N); nothing is started". Callers
 * show them at start, at reload and in --check. */
struct fp_config_warnings {
	char msg[1024];         /* "" when there are none; cut when full */
	unsigned int n;
};

struct fp_config {
	struct fp_ebpf_config ebpf;     /* orchestrator.ebpf */
	int prometheus_port;            /* orchestrator.prometheus_port; 0: off */
	char prometheus_address[FP_CONFIG_ADDR_MAX]; /* orchestrator.prometheus_address */
	unsigned int monitoring_interval_ms; /* orchestrator.monitoring_interval; 0: off */
	/* orchestrator.health, .latency_stats, .latency_threshold_ms */
	struct fp_health_config health;
	struct fp_firewall_config firewall;
	struct fp_flows_config flows;
	struct fp_dhcp_config dhcp;
	struct fp_function_config *functions;
	size_t n_functions;
	struct fp_xsk_config *xsk;
	size_t n_xsk;
	struct fp_shaper_config shaper;
	struct fp_proxy_config *proxies; /* proxy: */
	size_t n_proxies;
	struct fp_alerts_config alerts; /* alerts: */
	struct fp_metrics_config metrics; /* metrics: */
	struct fp_config_warnings warnings; /* of the file it was parsed from */
};

/* fp_duration_parse: a duration as the file writes them (30s, 5m, 1h,
 * 500ms, 2d, or a bare number of seconds) in ms; -EINVAL, -ERANGE. */
int fp_duration_parse(const char *s, unsigned long long *ms);

/* fp_config_defaults: what an absent key means (eBPF on with no interface
 * yet, mode auto, Prometheus on 9090, policy allow and no rules, flows on,
 * no DHCP, no functions). Allocates nothing. */
void fp_config_defaults(struct fp_config *cfg);

/* fp_config_parse: parse and validate TEXT (LEN bytes, YAML or JSON) into
 * *cfg. NAME stands for the file in messages; cfg->warnings gets what is
 * accepted but not implemented yet. Returns 0, -EINVAL when the
 * text is not a valid configuration (err->msg lists every error, one per
 * line), or -ENOMEM. On error *cfg is zeroed and holds nothing. On success
 * the caller frees *cfg with fp_config_free. err may be NULL. */
int fp_config_parse(const char *text, size_t len, const char *name,
		    struct fp_config *cfg, struct fp_config_error *err);

/* fp_config_load: fp_config_parse on the contents of PATH, which also
 * names it in messages. I/O errors are returned as -errno (-ENOENT,
 * -EACCES, -EISDIR, -EFBIG above FP_CONFIG_FILE_MAX) with err->msg set. */
int fp_config_load(const char *path, struct fp_config *cfg,
		   struct fp_config_error *err);

/* fp_config_free: release what fp_config_parse allocated and zero *cfg.
 * Safe on a zeroed or already freed config. */
void fp_config_free(struct fp_config *cfg);

#endif
