// SPDX-License-Identifier: BSD-2-Clause
/* Which program runs on an interface: the pipeline object loaded against
 * DEV's pins (kept where they fit, so counters, config and state survive;
 * recreated, with the pins their stage says go with them, where they do
 * not), every stage's maps sized and seeded through its row, then
 * attached afresh, adopted as it runs, or reloaded into the running link
 * when its pins no longer fit. A program is built for the stages its
 * interface runs (fp_built in bpf/pipeline.bpf.c): the verifier drops the
 * others, so it loads faster and runs fewer instructions; enabling a
 * stage it lacks reloads it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/pipeline.h>
#include "bpf/pipeline.skel.h"
#include "core/bpffs.h"
#include "pipeline/pipeline_internal.h"
#include "pipeline/pipeline_sets.h"
#include "pipeline/stage.h"

/* The attached link, if it still points at DEV (a link outlives the
 * interface it was attached to, detached). */
static int link_live(const char *dev, int ifindex)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = fp_pipeline_obj_get(dev, "link");

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_XDP ||
	    (int)info.xdp.ifindex != ifindex) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static bool mode_matches(enum fp_xdp_mode want, const char *have)
{
	return want == FP_XDP_AUTO || !strcmp(fp_mode_str(want), have);
}

/* Every map of the pipeline that is not shared by name is DEV's own,
 * pinned as FP_PIPELINE_DIR/DEV/MAP without its "fp_" prefix; a pin
 * that exists is reused, so a reattach keeps counters, config and state.
 * The program's own constants (.rodata) are not state: a newer program
 * must not inherit an older one's. */
static int pin_dev_maps(struct bpf_object *obj, const char *dev)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int err;

	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);

		if (bpf_map__pin_path(m) || bpf_map__is_internal(m))
			continue;
		if (!strncmp(name, "fp_", 3))
			name += 3;
		err = fp_pipeline_path(path, sizeof(path), dev, name);
		err = err ?: bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	return 0;
}

/* pinned_info: *INFO of the map pinned at M's pin path; -ENOENT when
 * nothing is pinned there, or -errno. */
static int pinned_info(const struct bpf_map *m, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_obj_get(bpf_map__pin_path(m)), err;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	err = bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
	close(fd);
	return err;
}

/* same_kind: INFO is a map of M's type, key and value size. */
static bool same_kind(const struct bpf_map_info *info, const struct bpf_map *m)
{
	return info->type == bpf_map__type(m) && info->key_size == bpf_map__key_size(m) &&
	       info->value_size == bpf_map__value_size(m);
}

/* 1 when the map pinned at M's pin path cannot be reused for M as
 * declared and sized (libbpf's own test: type, key and value size,
 * max_entries, flags), so the load would fail on it; 0 when it fits;
 * FP_PIN_ABSENT when nothing is pinned there. A hash map cannot be resized,
 * so a table of another size is recreated rather than reused. */
int fp_pipeline_pin_stale(const struct bpf_map *m)
{
	struct bpf_map_info info;
	int err = pinned_info(m, &info);

	if (err)
		return err == -ENOENT ? FP_PIN_ABSENT : err;
	return !same_kind(&info, m) || info.max_entries != bpf_map__max_entries(m) ||
	       info.map_flags != bpf_map__map_flags(m);
}

/* The pin name of M (DEV's own map): its name without "fp_". */
static const char *pin_name(const struct bpf_map *m)
{
	const char *name = bpf_map__name(m);

	return strncmp(name, "fp_", 3) ? name : name + 3;
}

/* A pin a load replaces is set aside in DEV's directory "aside" (bpffs
 * takes no dot in a name; fastpathd's keep skips a directory) until the
 * load is done: the running program still uses the map, and a load that
 * fails puts its pin back. */
#define ASIDE "aside"

static void pin_aside(const char *dev, const char *name)
{
	char path[PATH_MAX], dir[PATH_MAX], aside[PATH_MAX];

	if (fp_pipeline_path(path, sizeof(path), dev, name))
		return;
	if (fp_pipeline_path(dir, sizeof(dir), dev, ASIDE) ||
	    (mkdir(dir, 0700) && errno != EEXIST) ||
	    snprintf(aside, sizeof(aside), "%s/%s", dir, name) >= (int)sizeof(aside) ||
	    rename(path, aside))
		unlink(path);
}

/* asides_end: the pins set aside for DEV dropped (the load took their
 * place) or, with PUT_BACK, put back over what the load pinned. */
static void asides_end(const char *dev, bool put_back)
{
	char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (fp_pipeline_path(dir, sizeof(dir), dev, ASIDE) || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    snprintf(from, sizeof(from), "%s/%s", dir, e->d_name) >= (int)sizeof(from) ||
		    fp_pipeline_path(to, sizeof(to), dev, e->d_name))
			continue;
		if (!put_back || rename(from, to))
			unlink(from);
	}
	closedir(d);
	rmdir(dir);
}

/* DEV's pins that cannot be reused for OBJ; with unpin, set them aside
 * (pin_aside), and with each the pins a stage says go with it. Returns how
 * many were stale (without unpin, absent ones too), or -errno. */
static int pins_stale(struct bpf_object *obj, const char *dev, bool unpin)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct bpf_map *m;
	int n = 0, stale;

	if (fp_pipeline_path(dir, sizeof(dir), dev, NULL))
		return -ENODEV;
	bpf_object__for_each_map(m, obj) {
		const char *pin = bpf_map__pin_path(m);

		if (!pin || strncmp(pin, dir, strlen(dir)) || pin[strlen(dir)] != '/')
			continue; /* shared by name, or .rodata: not DEV's */
		stale = fp_pipeline_pin_stale(m);
		if (stale < 0)
			return stale;
		/* A running pipeline pins every map it has: one this build
		 * declares and DEV lacks means the program predates a stage
		 * (the XSK stage's maps, say), so it is reloaded. */
		if (stale == FP_PIN_ABSENT && !unpin)
			n++;
		if (stale != 1)
			continue;
		n++;
		if (!unpin)
			continue;
		pin_aside(dev, pin_name(m));
		for (int s = 0; s < FP_STAGE_MAX; s++) {
			const struct fp_stage_row *r = fp_stage_rows[s];
			bool member = false;

			for (size_t i = 0; r && r->together && r->together[i]; i++)
				member |= !strcmp(r->together[i], pin_name(m));
			for (size_t i = 0; member && r->together[i]; i++)
				if (!fp_pipeline_path(path, sizeof(path), dev, r->together[i]) &&
				    !access(path, F_OK))
					pin_aside(dev, r->together[i]);
		}
	}
	return n;
}

bool fp_pipeline_pin_fits(const struct bpf_map *m)
{
	return bpf_map__pin_path(m) && !fp_pipeline_pin_stale(m);
}

__u32 fp_pipeline_pinned_entries(const struct bpf_map *m)
{
	struct bpf_map_info info;

	return bpf_map__pin_path(m) && !pinned_info(m, &info) && same_kind(&info, m) ?
	       info.max_entries : 0;
}

/* Every map of OBJ sized as what is pinned at its pin path, when that is
 * a map of the same kind: a program that reuses each of DEV's maps as it
 * stands. A map without such a pin keeps the size it had. */
static int size_from_pins(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		struct bpf_map_info info;
		int err;

		if (!bpf_map__pin_path(m))
			continue;
		err = pinned_info(m, &info);
		if (err == -ENOENT || (!err && !same_kind(&info, m)))
			continue;
		err = err ?: bpf_map__set_max_entries(m, info.max_entries);
		if (err)
			return err;
	}
	return 0;
}

/* Open a pipeline object for DEV, built for the stages BUILT: its own
 * maps pinned to DEV's pins (kept when they fit, so counters and config
 * survive), every stage's maps sized and constants set for opts; without
 * opts, sized as DEV's pins are (a stage's defaults where a pin is
 * missing), walking at least FW_SLOTS of the firewall's slots. *stale:
 * how many of DEV's pins do not fit it. */
int fp_pipeline_open_new(const char *dev, const struct fp_pipeline_opts *opts, __u32 built,
		    __u32 fw_slots, struct pipeline **out, int *stale)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = FP_PIN_ROOT "/maps");
	struct fp_pipeline_opts defaults = { .stages = built, .fw_slots = fw_slots };
	struct pipeline *skel = fp_pipeline_open_for(built, &oo);
	int err;

	if (!skel)
		return -errno;
	err = pin_dev_maps(skel->obj, dev);
	for (int s = 0; !err && s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->size)
			err = fp_stage_rows[s]->size(skel->obj, dev, opts ? opts : &defaults);
	for (int s = 0; !err && s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->build)
			fp_stage_rows[s]->build(dev, opts ? opts : &defaults, skel->rodata);
	if (!err && !opts)
		err = size_from_pins(skel->obj);
	if (!err) {
		*stale = pins_stale(skel->obj, dev, false);
		err = *stale < 0 ? *stale : 0;
	}
	if (err) {
		pipeline__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* unpin_new: on a failed load, the pins it made (libbpf leaves those of
 * maps a stage made before the load, bpf_map__reuse_fd) where NEW says
 * none was before. */
static void unpin_new(struct bpf_object *obj, const bool *was_new)
{
	struct bpf_map *m;
	int i = 0;

	bpf_object__for_each_map(m, obj) {
		if (was_new[i++] && bpf_map__pin_path(m))
			unlink(bpf_map__pin_path(m));
	}
}

/* Load what open_new opened, on fresh maps where DEV's pins do not fit,
 * then let each stage seed its maps. Destroys skel on failure, and puts
 * back the pins it set aside. */
int fp_pipeline_load_opened(const char *dev, struct pipeline *skel)
{
	int err = pins_stale(skel->obj, dev, true), n = 0;
	struct bpf_map *m;
	bool *was_new;

	bpf_object__for_each_map(m, skel->obj)
		n++;
	was_new = calloc(n ? n : 1, sizeof(*was_new));
	if (!was_new)
		err = err < 0 ? err : -ENOMEM;
	n = 0;
	bpf_object__for_each_map(m, skel->obj) {
		const char *pin = bpf_map__pin_path(m);

		if (was_new)
			was_new[n++] = pin && access(pin, F_OK);
	}
	err = err < 0 ? err : pipeline__load(skel);
	for (int s = 0; !err && s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->init)
			err = fp_stage_rows[s]->init(skel->obj);
	if (err && was_new)
		unpin_new(skel->obj, was_new);
	free(was_new);
	asides_end(dev, err);
	if (err)
		pipeline__destroy(skel);
	return err;
}

static int load_new(const char *dev, const struct fp_pipeline_opts *opts,
		    struct pipeline **out)
{
	int stale, err = fp_pipeline_open_new(dev, opts, opts->stages, 0, out, &stale);

	return err ?: fp_pipeline_load_opened(dev, *out);
}

/* Load SKEL (open_new's) and swap it into DEV's running link: the link
 * stays, so no packet goes by without a pipeline. Destroys skel. */
static int reload(const char *dev, struct pipeline *skel)
{
	int fd = fp_pipeline_obj_get(dev, "link"), err;

	if (fd < 0) {
		pipeline__destroy(skel);
		return fd;
	}
	err = fp_pipeline_load_opened(dev, skel);
	if (!err) {
		void *held[FP_STAGE_MAX] = { 0 };

		for (int s = 0; s < FP_STAGE_MAX; s++)
			if (fp_stage_rows[s] && fp_stage_rows[s]->swap_begin)
				held[s] = fp_stage_rows[s]->swap_begin(dev);
		err = bpf_link_update(fd, bpf_program__fd(skel->progs.fp_pipeline), NULL);
		for (int s = 0; s < FP_STAGE_MAX; s++)
			if (held[s])
				fp_stage_rows[s]->swap_end(held[s], !err);
		err = err ?: fp_pipeline_pin(bpf_program__fd(skel->progs.fp_pipeline), dev, "prog");
		err = err ?: fp_pipeline_pin(bpf_map__fd(skel->maps.rodata), dev, "built");
		pipeline__destroy(skel);
	}
	close(fd);
	return err;
}

/* Load a fresh pipeline program (or take the one loaded ahead), attach
 * it, pin link and program. */
static int attach_new(const char *dev, const struct fp_target *t,
		      const struct fp_pipeline_opts *opts, struct fp_pipeline_info *info)
{
	struct fp_attach_opts ao = { .mode = opts->mode };
	char path[PATH_MAX];
	struct fp_attachment a;
	struct pipeline *skel = fp_pipeline_ahead_take(dev, opts);
	int err;

	err = skel ? 0 : load_new(dev, opts, &skel);
	if (err)
		return err;
	err = fp_attach(bpf_program__fd(skel->progs.fp_pipeline),
			BPF_PROG_TYPE_XDP, t, &ao, &a);
	if (err)
		goto out;
	err = fp_pipeline_pin(a.fd, dev, "link");
	err = err ?: fp_pipeline_pin(bpf_program__fd(skel->progs.fp_pipeline), dev, "prog");
	err = err ?: fp_pipeline_pin(bpf_map__fd(skel->maps.rodata), dev, "built");
	if (err) {
		fp_pipeline_path(path, sizeof(path), dev, "link");
		unlink(path);
	}
	info->native_failed = a.native_failed;
	info->native_err = a.native_err;
	close(a.fd);
out:
	pipeline__destroy(skel);
	return err;
}

/* What DEV's running program is built for: its .rodata (the stages it
 * runs, fp_built, and the object it came from, fp_compiled), pinned as
 * "built" beside it (read by pin: no CAP_SYS_ADMIN needed, as looking
 * maps up by id would). -ENOENT when there is none of this layout (a
 * program of an older fastpath), or -errno. */
static int running_built(const char *dev, struct pipeline__rodata *ro)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), zero = 0;
	int fd = fp_pipeline_obj_get(dev, "built"), err;

	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err && info.value_size != sizeof(*ro))
		err = -ENOENT;
	if (!err && bpf_map_lookup_elem(fd, &zero, ro))
		err = -errno;
	close(fd);
	return err;
}

int fp_pipeline_up_link(const char *dev, const struct fp_target *t,
			const struct fp_pipeline_opts *opts, struct fp_pipeline_info *info)
{
	struct fp_attach_opts back = { 0 };
	struct fp_attachment a;
	char path[PATH_MAX];
	struct pipeline *skel;
	const char *mode = NULL;
	struct pipeline__rodata ro;
	__u32 prog_id;
	int fd, stale, err;

	fd = link_live(dev, t->ifindex);
	if (fd >= 0) {
		fp_xdp_query(t->ifindex, &prog_id, &mode);
		info->adopted = mode_matches(opts->mode, mode);
		/* Detached now: a link whose last pin goes is released by a
		 * work item, and a new attach could still find it there. */
		if (!info->adopted)
			bpf_link_detach(fd);
		close(fd);
	}
	if (!info->adopted) {
		int old = fd >= 0 ? fp_pipeline_obj_get(dev, "prog") : -1;

		fp_pipeline_path(path, sizeof(path), dev, "link");
		unlink(path);
		/* Stale or absent: attach afresh. */
		if (old < 0 || !mode || fp_mode_parse(mode, &back.mode)) {
			if (old >= 0)
				close(old);
			return attach_new(dev, t, opts, info);
		}
		/* In another mode: the running program moves to the mode asked
		 * for first (the kernel runs one mode at a time), before
		 * anything is loaded; what else changes is a reload below, on
		 * the link. When the new mode cannot attach, the program goes
		 * back to its own: a failed up leaves DEV as it was. */
		err = fp_attach(old, BPF_PROG_TYPE_XDP, t,
				&(struct fp_attach_opts){ .mode = opts->mode }, &a);
		if (err) {
			if (!fp_attach(old, BPF_PROG_TYPE_XDP, t, &back, &a)) {
				info->kept = !fp_pipeline_pin(a.fd, dev, "link");
				close(a.fd);
			}
			close(old);
			return err;
		}
		close(old);
		info->native_failed = a.native_failed;
		info->native_err = a.native_err;
		err = fp_pipeline_pin(a.fd, dev, "link");
		close(a.fd);
		if (err)
			return err;
	}
	err = fp_pipeline_open_new(dev, opts, opts->stages, 0, &skel, &stale);
	if (err)
		return err;
	/* Reloaded too when built for other stages than these (one built
	 * for more would run, but pay for what it no longer uses), from
	 * another object than the one these stages now get, or walking fewer
	 * of the firewall's slots than its set needs. */
	if (stale || running_built(dev, &ro) ||
	    (ro.fp_built & FP_STAGES_BUILT) != (opts->stages & FP_STAGES_BUILT) ||
	    ro.fp_compiled != skel->rodata->fp_compiled ||
	    ro.fp_fw_slots < skel->rodata->fp_fw_slots)
		return reload(dev, skel);
	pipeline__destroy(skel);
	return 0;
}

int fp_pipeline_build_for(const char *dev, __u32 stages, __u32 fw_slots, __u32 fw_pos)
{
	struct pipeline__rodata ro;
	struct pipeline *skel;
	int stale, err;

	if (!running_built(dev, &ro) && !(stages & FP_STAGES_BUILT & ~ro.fp_built) &&
	    ro.fp_fw_slots >= fw_slots && fp_firewall_layout_read(&ro) &&
	    fp_firewall_counters_hold(dev, fw_pos))
		return 0;
	err = fp_pipeline_open_new(dev, NULL, stages, fw_slots, &skel, &stale);
	if (err)
		return err;
	err = fp_firewall_counters_grow(skel->obj, fw_pos);
	if (err) {
		pipeline__destroy(skel);
		return err;
	}
	return reload(dev, skel);
}
