// SPDX-License-Identifier: BSD-2-Clause
/* fastpath status [DEV]: what is loaded and attached, per interface. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <fastpath/core.h>
#include <fastpath/daemon.h>
#include <fastpath/pipeline.h>
#include <fastpath/port_registry.h>
#include "cli.h"

struct inventory {
	struct fp_prog_info *progs;
	struct fp_link_info *links;
	struct fp_map_info *maps;
	size_t np, nl, nm, nports;
};

static int inventory_read(struct inventory *inv)
{
	struct fp_port_registry reg;
	struct fp_port_record *ports;
	int err;

	memset(inv, 0, sizeof(*inv));
	err = fp_list_progs(&inv->progs, &inv->np);
	if (!err)
		err = fp_list_links(&inv->links, &inv->nl);
	if (!err)
		err = fp_list_maps(&inv->maps, &inv->nm);
	if (!err && !fp_port_registry_open(&reg, 0)) {
		if (!fp_port_list(&reg, &ports, &inv->nports))
			free(ports);
		fp_port_registry_close(&reg);
	}
	return err;
}

static void inventory_free(struct inventory *inv)
{
	free(inv->progs);
	free(inv->links);
	free(inv->maps);
}

/* The fastpath name of a kernel program id, if it is one of ours. */
static const char *prog_name(const struct inventory *inv, __u32 id)
{
	for (size_t i = 0; i < inv->np; i++)
		if (inv->progs[i].id == id)
			return inv->progs[i].name;
	return NULL;
}

/* Who owns the XDP program on an interface: a loaded program, or the
 * fastpath pipeline; NULL for somebody else's. */
static const char *xdp_owner(const struct inventory *inv, const char *dev, __u32 id)
{
	struct fp_pipeline_info pi;

	if (!fp_pipeline_info(dev, &pi) && pi.prog_id == id)
		return "fastpath pipeline";
	return prog_name(inv, id);
}

static const struct out_col dev_cols[] = {
	{ "INTERFACE", "name", OUT_STR, -16 },
	{ NULL, "ifindex", OUT_U64, 0 },
	{ "XDP", NULL, OUT_STR, -36 },
	{ NULL, "xdp", OUT_JSON, 0 },
	{ "FASTPATH ATTACHMENTS", NULL, OUT_STR, -1 },
	{ NULL, "attachments", OUT_JSON, 0 },
};

/* One interface: its XDP program (whose, in which mode) and what fastpath
 * attached to it. */
static void dev_row(struct out_list *l, const struct inventory *inv, int ifindex,
		    const char *name)
{
	struct json_object *att = json_object_new_array(), *x = NULL;
	char xdp[96] = "", links[1024] = "";
	const char *mode, *pname;
	size_t off = 0;
	__u32 id;

	if (!fp_xdp_query(ifindex, &id, &mode) && id) {
		pname = xdp_owner(inv, name, id);
		snprintf(xdp, sizeof(xdp), "id %u %s%s%s%s", id, mode,
			 pname ? " (" : " (not fastpath's", pname ? pname : "", ")");
		x = out_object((const struct out_col[]){ { NULL, "id", OUT_U64, 0 },
							 { NULL, "mode", OUT_STR, 0 },
							 { NULL, "program", OUT_STR, 0 } }, 3,
			       (const union out_val[]){ { .u = id }, { .s = mode },
							{ .s = pname } });
	}
	for (size_t i = 0; i < inv->nl; i++) {
		const struct fp_link_info *k = &inv->links[i];
		const char *how = *k->mode ? k->mode : fp_dir_str(k->dir);

		if (k->ifindex != ifindex)
			continue;
		json_object_array_add(att, out_object(
			(const struct out_col[]){ { NULL, "program", OUT_STR, 0 },
						  { NULL, "hook", OUT_STR, 0 },
						  { NULL, *k->mode ? "mode" : "direction",
						    OUT_STR, 0 } }, 3,
			(const union out_val[]){ { .s = k->prog }, { .s = k->hook },
						 { .s = how } }));
		if (off < sizeof(links))
			off += snprintf(links + off, sizeof(links) - off, "%s%s %s %s",
					off ? ", " : "", k->prog, k->hook, how);
	}
	out_list_row(l, (const union out_val[]){ { .s = name }, { .u = ifindex },
						 { .s = xdp }, { .j = x }, { .s = links },
						 { .j = att } });
}

/* What is wrong with DEV, one of the daemon's interfaces, seen from
 * here: gone, no pipeline, or one in another mode than configured
 * (WANT: "native", "skb", "auto"); "" when nothing is. */
static void dev_truth(const char *dev, const char *want, char *buf, size_t size)
{
	struct fp_pipeline_info pi;

	buf[0] = '\0';
	if (!if_nametoindex(dev))
		snprintf(buf, size, "%s: interface gone", dev);
	else if (fp_pipeline_info(dev, &pi) || !*pi.mode ||
		 pi.ifindex != (int)if_nametoindex(dev))
		snprintf(buf, size, "%s: pipeline missing", dev);
	else if (*want && strcmp(want, "auto") && strcmp(want, pi.mode))
		snprintf(buf, size, "%s: pipeline in %s mode, configured %s", dev, pi.mode, want);
}

/* The problems of the daemon's interfaces, each added to ARR (JSON) or
 * printed; how many. */
static int daemon_truth(const struct fp_daemon_state *st, struct json_object *arr)
{
	char list[sizeof(st->interfaces)], *dev, *save, what[128];
	int n = 0;

	if (!st->ebpf)
		return 0;
	snprintf(list, sizeof(list), "%s", st->interfaces);
	for (dev = strtok_r(list, ",", &save); dev; dev = strtok_r(NULL, ",", &save)) {
		dev_truth(dev, st->mode, what, sizeof(what));
		if (!*what)
			continue;
		n++;
		if (arr)
			json_object_array_add(arr, json_object_new_string(what));
		else
			printf("  %s\n", what);
	}
	return n;
}

static void daemon_json(const struct fp_daemon_state *st, struct json_object *d)
{
	struct json_object *p = json_object_new_array(), *r = json_object_new_object();

	json_object_object_add(d, "pid", json_object_new_int(st->pid));
	json_object_object_add(d, "config", json_object_new_string(st->config));
	json_object_object_add(d, "mode", json_object_new_string(
			       st->ebpf ? "ebpf" : "userspace-only"));
	if (!st->ebpf)
		json_object_object_add(d, "reason", json_object_new_string(st->reason));
	daemon_truth(st, p);
	json_object_object_add(d, "problems", p);
	json_object_object_add(d, "repairing", json_object_new_boolean(st->repairing));
	json_object_object_add(d, "daemon_problems", json_object_new_string(st->problems));
	for (int i = 0; i < FP_REPAIR_MAX; i++)
		json_object_object_add(r, fp_repair_name(i),
				       json_object_new_int64((int64_t)st->repairs[i]));
	json_object_object_add(d, "repairs", r);
}

/* The daemon's line: running or not, and in which mode; then what is
 * wrong with what it manages, and whether it is repairing. */
static void daemon_status(struct json_object *o)
{
	struct fp_daemon_state st;
	int err = fp_daemon_state_read(&st);

	if (o) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "running", json_object_new_boolean(!err));
		if (!err)
			daemon_json(&st, d);
		json_object_object_add(o, "daemon", d);
		return;
	}
	if (err == -ENOENT)
		printf("  daemon: not running\n");
	else if (err == -ESRCH)
		printf("  daemon: not running (pid %d ended without cleaning up; what "
		       "it attached keeps running)\n", st.pid);
	else if (err)
		printf("  daemon: unknown (%s)\n", strerror(-err));
	else if (st.ebpf)
		printf("  daemon: running (pid %d, %s), eBPF data plane on %s\n",
		       st.pid, st.config, *st.interfaces ? st.interfaces : "no interface");
	else
		printf("  daemon: running (pid %d, %s), userspace-only mode: %s\n",
		       st.pid, st.config, st.reason);
	if (err)
		return;
	daemon_truth(&st, NULL);
	if (st.repairing)
		printf("  daemon: repairing: %s\n", *st.problems ? st.problems :
		       "a repair failed; retrying");
}

static void header(const struct inventory *inv, bool stats, struct json_object *o)
{
	struct utsname u;

	uname(&u);
	if (o) {
		daemon_status(o);
		json_object_object_add(o, "kernel", json_object_new_string(u.release));
		json_object_object_add(o, "pin_root", json_object_new_string(FP_PIN_ROOT));
		json_object_object_add(o, "bpf_stats", json_object_new_boolean(stats));
		json_object_object_add(o, "programs", json_object_new_int64(inv->np));
		json_object_object_add(o, "links", json_object_new_int64(inv->nl));
		json_object_object_add(o, "maps", json_object_new_int64(inv->nm));
		json_object_object_add(o, "ports", json_object_new_int64(inv->nports));
		return;
	}
	printf("fastpath: kernel %s, pins under %s\n", u.release, FP_PIN_ROOT);
	daemon_status(NULL);
	printf("  %zu program%s, %zu attachment%s, %zu map%s, %zu registered port%s\n",
	       inv->np, inv->np == 1 ? "" : "s", inv->nl, inv->nl == 1 ? "" : "s",
	       inv->nm, inv->nm == 1 ? "" : "s", inv->nports, inv->nports == 1 ? "" : "s");
	printf("  run counts: %s\n\n", stats ? "on" :
	       "off (sysctl -w kernel.bpf_stats_enabled=1)");
}

int cmd_status(int argc, char **argv)
{
	struct if_nameindex *ifs = NULL, one[2] = { 0 };
	struct json_object *o = NULL;
	struct out_list l;
	struct inventory inv;
	int err;

	if (argc > 2)
		return fail(EXIT_USAGE, "usage: fastpath status [DEV] [-j]");
	if (argc == 2) {
		one[0].if_index = if_nametoindex(argv[1]);
		one[0].if_name = argv[1];
		if (!one[0].if_index)
			return fail(EXIT_RUNTIME, "no network interface named '%s'; "
				    "list them with: ip link show", argv[1]);
	}
	err = require_bpf();
	if (err)
		return err;
	err = inventory_read(&inv);
	if (err) {
		inventory_free(&inv);
		return fail_errno(err, "cannot read %s", FP_PIN_ROOT);
	}
	if (argc == 1 && !(ifs = if_nameindex())) {
		inventory_free(&inv);
		return fail_errno(-errno, "cannot list interfaces");
	}
	if (cli.json)
		o = json_object_new_object();
	header(&inv, fp_bpf_stats_enabled(), o);
	out_list_begin(&l, OUT_COLS(dev_cols), 0);
	for (struct if_nameindex *i = ifs ? ifs : one; i->if_index; i++)
		dev_row(&l, &inv, i->if_index, i->if_name);
	if (o) {
		json_object_object_add(o, "interfaces", out_list_take(&l));
		json_print(o);
	}
	if (ifs)
		if_freenameindex(ifs);
	inventory_free(&inv);
	return EXIT_OK;
}
