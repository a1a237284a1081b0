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

static struct json_object *dev_json(const struct inventory *inv, int ifindex,
				    const char *name)
{
	struct json_object *o = json_object_new_object(), *att = json_object_new_array();
	const char *mode, *pname;
	__u32 id;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "ifindex", json_object_new_int(ifindex));
	if (!fp_xdp_query(ifindex, &id, &mode) && id) {
		struct json_object *x = json_object_new_object();

		pname = xdp_owner(inv, name, id);
		json_object_object_add(x, "id", json_object_new_int64(id));
		json_object_object_add(x, "mode", json_object_new_string(mode));
		json_object_object_add(x, "program", pname ? json_object_new_string(pname) : NULL);
		json_object_object_add(o, "xdp", x);
	} else {
		json_object_object_add(o, "xdp", NULL);
	}
	for (size_t i = 0; i < inv->nl; i++) {
		const struct fp_link_info *l = &inv->links[i];
		struct json_object *a;

		if (l->ifindex != ifindex)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "program", json_object_new_string(l->prog));
		json_object_object_add(a, "hook", json_object_new_string(l->hook));
		json_object_object_add(a, *l->mode ? "mode" : "direction",
				       json_object_new_string(*l->mode ? l->mode : fp_dir_str(l->dir)));
		json_object_array_add(att, a);
	}
	json_object_object_add(o, "attachments", att);
	return o;
}

static void dev_line(const struct inventory *inv, int ifindex, const char *name)
{
	const char *mode, *pname;
	char xdp[96] = "-";
	bool any = false;
	__u32 id;

	if (!fp_xdp_query(ifindex, &id, &mode) && id) {
		pname = xdp_owner(inv, name, id);
		snprintf(xdp, sizeof(xdp), "id %u %s%s%s%s", id, mode,
			 pname ? " (" : " (not fastpath's", pname ? pname : "", ")");
	}
	printf("%-16s %-36s", name, xdp);
	for (size_t i = 0; i < inv->nl; i++) {
		const struct fp_link_info *l = &inv->links[i];

		if (l->ifindex != ifindex)
			continue;
		printf("%s%s %s %s", any ? ", " : "", l->prog, l->hook,
		       *l->mode ? l->mode : fp_dir_str(l->dir));
		any = true;
	}
	printf("%s\n", any ? "" : "-");
}

/* The daemon's line: running or not, and in which mode. */
static void daemon_status(struct json_object *o)
{
	struct fp_daemon_state st;
	int err = fp_daemon_state_read(&st);

	if (o) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "running", json_object_new_boolean(!err));
		if (!err) {
			json_object_object_add(d, "pid", json_object_new_int(st.pid));
			json_object_object_add(d, "config", json_object_new_string(st.config));
			json_object_object_add(d, "mode", json_object_new_string(
					       st.ebpf ? "ebpf" : "userspace-only"));
			if (!st.ebpf)
				json_object_object_add(d, "reason", json_object_new_string(st.reason));
		}
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
	printf("%-16s %-36s %s\n", "INTERFACE", "XDP", "FASTPATH ATTACHMENTS");
}

int cmd_status(int argc, char **argv)
{
	struct json_object *o = NULL, *devs = NULL;
	struct if_nameindex *ifs = NULL, one[2] = { 0 };
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
	if (cli.json) {
		o = json_object_new_object();
		devs = json_object_new_array();
	}
	header(&inv, fp_bpf_stats_enabled(), o);
	for (struct if_nameindex *i = ifs ? ifs : one; i->if_index; i++) {
		if (devs)
			json_object_array_add(devs, dev_json(&inv, i->if_index, i->if_name));
		else
			dev_line(&inv, i->if_index, i->if_name);
	}
	if (o) {
		json_object_object_add(o, "interfaces", devs);
		json_print(o);
	}
	if (ifs)
		if_freenameindex(ifs);
	inventory_free(&inv);
	return EXIT_OK;
}
