// SPDX-License-Identifier: BSD-2-Clause
/* An interface's flows table: sized and seeded when the pipeline loads,
 * mapped by its readers, shared with the tcx egress program. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include <fastpath/pipeline.h>
#include "bpf/flows_egress.skel.h"
#include "core/bpffs.h"
#include "flows/flow_table.h"

/* Debian 12's UAPI headers predate tcx (kernel 6.6); these are ABI. */
#define FP_BPF_TCX_EGRESS    47
#define FP_BPF_LINK_TYPE_TCX 11
#define FP_BPF_F_BEFORE      (1U << 3)

_Static_assert(FP_CONFIG_MAX_FLOWS == FP_FLOWS_DEFAULT,
	       "the config's default max_flows is the table's");

const char *const fp_flow_table_pins[] = { "flows", "flow_cpu", "flow_meta", NULL };

static __u32 buckets_for(__u32 max_flows)
{
	if (!max_flows)
		max_flows = FP_FLOWS_DEFAULT;
	return max_flows / FP_FLOW_WAYS + !!(max_flows % FP_FLOW_WAYS);
}

int fp_flows_table_size(struct bpf_object *obj, __u32 max_flows)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "fp_flows");
	int cpus = libbpf_num_possible_cpus();
	__u64 n = (__u64)buckets_for(max_flows) * (cpus > 0 ? cpus : 1);

	if (!m)
		return -ENOENT;
	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	if (n > UINT_MAX / sizeof(struct fp_flow_bucket))
		return -E2BIG;
	return bpf_map__set_max_entries(m, n);
}

/* Each CPU's value: its region and the shared seed; counters zero. */
static int cpu_regions_write(int fd, int cpus, __u32 per_cpu)
{
	struct fp_flow_cpu *v = calloc(cpus, sizeof(*v));
	__u32 zero = 0;
	__u64 seed;
	int err;

	if (!v)
		return -ENOMEM;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < cpus; c++) {
		v[c].base = c * per_cpu;
		v[c].buckets = per_cpu;
		v[c].seed = seed;
	}
	err = bpf_map_update_elem(fd, &zero, v, BPF_ANY);
	free(v);
	return err;
}

int fp_flows_table_init(struct bpf_object *obj)
{
	struct bpf_map *flows = bpf_object__find_map_by_name(obj, "fp_flows");
	int fd = bpf_object__find_map_fd_by_name(obj, "fp_flow_cpu");
	int cpus = libbpf_num_possible_cpus(), err;
	struct fp_flow_cpu *v;
	__u32 zero = 0, per_cpu;

	if (!flows || fd < 0)
		return -ENOENT;
	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	per_cpu = bpf_map__max_entries(flows) / cpus;
	if (!per_cpu)
		return -EINVAL;
	v = calloc(cpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &zero, v);
	/* A reused table keeps its seed: its entries are placed by it. */
	if (!err && v[0].buckets != per_cpu)
		err = cpu_regions_write(fd, cpus, per_cpu);
	free(v);
	return err;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* The geometry is the data path's own: CPU 0's region size and seed. */
static int table_geometry(struct fp_flow_table *t, __u32 max_entries)
{
	int cpus = libbpf_num_possible_cpus(), err;
	struct fp_flow_cpu *v;
	__u32 zero = 0;

	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	v = calloc(cpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(t->cpu_fd, &zero, v);
	if (!err && (!v[0].buckets || (__u64)v[0].buckets * cpus != max_entries))
		err = -EPROTO; /* not set up, or not by this build */
	if (!err) {
		t->cpus = cpus;
		t->per_cpu = v[0].buckets;
		t->seed = v[0].seed;
	}
	free(v);
	return err;
}

int fp_flow_table_open(const char *dev, struct fp_flow_table *t)
{
	int fd = -1, meta_fd = -1, err;
	struct bpf_map_info info;

	memset(t, 0, sizeof(*t));
	t->cpu_fd = -1;
	fd = fp_pipeline_obj_get(dev, "flows");
	if (fd < 0)
		return fd;
	t->cpu_fd = fp_pipeline_obj_get(dev, "flow_cpu");
	meta_fd = fp_pipeline_obj_get(dev, "flow_meta");
	err = t->cpu_fd < 0 ? t->cpu_fd : meta_fd < 0 ? meta_fd : 0;
	err = err ?: map_info(fd, &info);
	err = err ?: table_geometry(t, info.max_entries);
	if (!err) {
		t->buckets = fp_map_mmap(fd, (size_t)info.max_entries * sizeof(struct fp_flow_bucket),
					 &t->map_len);
		t->meta = fp_map_mmap(meta_fd, sizeof(struct fp_flow_meta), &t->meta_len);
		if (!t->buckets || !t->meta)
			err = -errno;
	}
	close(fd);
	if (meta_fd >= 0)
		close(meta_fd);
	if (err)
		fp_flow_table_close(t);
	return err;
}

void fp_flow_table_close(struct fp_flow_table *t)
{
	if (t->buckets)
		munmap(t->buckets, t->map_len);
	if (t->meta)
		munmap(t->meta, t->meta_len);
	if (t->cpu_fd >= 0)
		close(t->cpu_fd);
	memset(t, 0, sizeof(*t));
	t->cpu_fd = -1;
}

/* ---- the egress program --------------------------------------------- */

/* Does the program of link_fd use the map whose id is want? */
static bool link_uses_map(int link_fd, __u32 want)
{
	struct bpf_link_info li = { 0 };
	struct bpf_prog_info pi = { 0 };
	__u32 ids[8], len = sizeof(li);
	int prog_fd;
	bool found = false;

	if (bpf_obj_get_info_by_fd(link_fd, &li, &len))
		return false;
	prog_fd = bpf_prog_get_fd_by_id(li.prog_id);
	if (prog_fd < 0)
		return false;
	pi.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	pi.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pi);
	if (!bpf_obj_get_info_by_fd(prog_fd, &pi, &len))
		for (__u32 i = 0; i < pi.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++)
			found |= ids[i] == want;
	close(prog_fd);
	return found;
}

/* The pinned egress link, if it is still attached to ifindex (a tcx link
 * outlives its interface, detached). */
static int egress_link_live(const char *dev, int ifindex)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = fp_pipeline_obj_get(dev, "egress_link");

	if (fd < 0)
		return fd;
	/* tcx link info is {ifindex, attach_type}, laid out as xdp's. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != FP_BPF_LINK_TYPE_TCX ||
	    (int)info.xdp.ifindex != ifindex) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* Point the egress object's maps at DEV's pinned table. */
static int reuse_table(struct flows_egress *skel, const char *dev)
{
	struct bpf_map *maps[] = {
		skel->maps.fp_flows, skel->maps.fp_flow_cpu, skel->maps.fp_flow_meta,
	};
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(maps) / sizeof(maps[0]); i++) {
		int fd = fp_pipeline_obj_get(dev, fp_flow_table_pins[i]);

		if (fd < 0)
			return fd;
		err = bpf_map__reuse_fd(maps[i], fd);
		close(fd);
	}
	return err;
}

/* Attach prog_fd first on ifindex's egress, or into the link we have. */
static int egress_link_set(const char *dev, int ifindex, int link_fd, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = FP_BPF_F_BEFORE);
	char path[PATH_MAX];
	int fd, err;

	if (link_fd >= 0)
		return bpf_link_update(link_fd, prog_fd, NULL);
	fd = bpf_link_create(prog_fd, ifindex, FP_BPF_TCX_EGRESS, &opts);
	if (fd == -EINVAL)
		return -ENOSYS; /* no tcx: not the EOPNOTSUPP of a driver without XDP */
	if (fd < 0)
		return fd;
	err = fp_pipeline_path(path, sizeof(path), dev, "egress_link");
	if (!err) {
		unlink(path);
		err = bpf_obj_pin(fd, path);
	}
	close(fd);
	return err;
}

int fp_flows_egress_attach(const char *dev, int ifindex)
{
	struct flows_egress *skel;
	struct bpf_map_info flows;
	int link_fd, flows_fd, err;

	flows_fd = fp_pipeline_obj_get(dev, "flows");
	if (flows_fd < 0)
		return flows_fd;
	err = map_info(flows_fd, &flows);
	close(flows_fd);
	if (err)
		return err;
	link_fd = egress_link_live(dev, ifindex);
	if (link_fd >= 0 && link_uses_map(link_fd, flows.id)) {
		close(link_fd);
		return 0;
	}
	skel = flows_egress__open();
	err = skel ? reuse_table(skel, dev) : -errno;
	err = err ?: flows_egress__load(skel);
	err = err ?: egress_link_set(dev, ifindex, link_fd,
				     bpf_program__fd(skel->progs.fp_flows_egress));
	flows_egress__destroy(skel);
	if (link_fd >= 0)
		close(link_fd);
	return err;
}

int fp_flows_egress_detach(const char *dev)
{
	char path[PATH_MAX];
	int err = fp_pipeline_path(path, sizeof(path), dev, "egress_link");

	if (err)
		return err;
	/* Unpinning the last reference detaches. */
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}
