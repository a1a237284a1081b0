// SPDX-License-Identifier: BSD-2-Clause
/* The XDP pipeline on an interface: attach or adopt, stages, chained user
 * program, counters. Everything is pinned, so the CLI and the daemon are
 * interchangeable and either may restart without touching traffic. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include <fastpath/pipeline.h>
#include "bpf/pipeline.skel.h"
#include "core/bpffs.h"
#include "pipeline/stage.h"

const char *fp_stage_name(enum fp_stage stage)
{
	return stage < FP_STAGE_MAX && fp_stage_rows[stage] ? fp_stage_rows[stage]->name : "?";
}

__u32 fp_stages_available(void)
{
	__u32 stages = 0;

	for (int s = 0; s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->selectable)
			stages |= FP_STAGE_BIT(s);
	return stages;
}

int fp_stage_parse(const char *list, __u32 *stages)
{
	char buf[256], *tok, *save;

	*stages = 0;
	if (!list || strlen(list) >= sizeof(buf))
		return -EINVAL;
	if (!strcmp(list, "none"))
		return 0;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int s;

		for (s = 0; s < FP_STAGE_MAX; s++)
			if (fp_stage_rows[s] && !strcmp(tok, fp_stage_rows[s]->name))
				break;
		if (s == FP_STAGE_MAX || !(fp_stages_available() & FP_STAGE_BIT(s)))
			return -EINVAL;
		*stages |= FP_STAGE_BIT(s);
	}
	return 0;
}

/* The pin directory of DEV: bpffs refuses '.', which ':' stands for. */
static int pipe_path(char *buf, size_t size, const char *dev, const char *obj)
{
	char enc[IF_NAMESIZE];
	size_t i;
	int n;

	if (!dev || !*dev || strlen(dev) >= IF_NAMESIZE || strchr(dev, '/'))
		return -ENODEV;
	for (i = 0; dev[i]; i++)
		enc[i] = dev[i] == '.' ? ':' : dev[i];
	enc[i] = '\0';
	n = snprintf(buf, size, FP_PIPELINE_DIR "/%s%s%s", enc, obj ? "/" : "", obj ? obj : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int fp_pipeline_path(char *buf, size_t size, const char *dev, const char *obj)
{
	return pipe_path(buf, size, dev, obj);
}

int fp_pipeline_obj_get(const char *dev, const char *obj)
{
	char path[PATH_MAX];
	int fd, err = pipe_path(path, sizeof(path), dev, obj);

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int fp_pipeline_map_max(const char *dev, const char *obj, __u32 *max)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = fp_pipeline_obj_get(dev, obj), err;

	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	*max = info.max_entries;
	return err;
}

/* Replace a pin: bpffs will not pin over an existing name. */
static int pipe_pin(int fd, const char *dev, const char *obj)
{
	char path[PATH_MAX];
	int err = pipe_path(path, sizeof(path), dev, obj);

	if (err)
		return err;
	unlink(path);
	return bpf_obj_pin(fd, path);
}

static int cfg_read(const char *dev, struct fp_pipeline_cfg *cfg)
{
	__u32 zero = 0;
	int fd = fp_pipeline_obj_get(dev, "config"), err;

	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &zero, cfg);
	close(fd);
	return err;
}

static int cfg_write(const char *dev, const struct fp_pipeline_cfg *cfg)
{
	__u32 zero = 0;
	int fd = fp_pipeline_obj_get(dev, "config"), err;

	if (fd < 0)
		return fd;
	err = bpf_map_update_elem(fd, &zero, cfg, BPF_ANY);
	close(fd);
	return err;
}

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

static int pipe_read_info(const char *dev, struct fp_pipeline_info *info);

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
		err = pipe_path(path, sizeof(path), dev, name);
		err = err ?: bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	return 0;
}

#define PIN_ABSENT 2

/* 1 when the map pinned at M's pin path cannot be reused for M as
 * declared and sized (libbpf's own test: type, key and value size,
 * max_entries, flags), so the load would fail on it; 0 when it fits;
 * PIN_ABSENT when nothing is pinned there. A hash map cannot be resized,
 * so a table of another size is recreated rather than reused. */
static int pin_stale(const struct bpf_map *m)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(bpf_map__pin_path(m)), err;

	if (fd < 0)
		return errno == ENOENT ? PIN_ABSENT : -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	return info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
	       info.value_size != bpf_map__value_size(m) ||
	       info.max_entries != bpf_map__max_entries(m) ||
	       info.map_flags != bpf_map__map_flags(m);
}

/* The pin name of M (DEV's own map): its name without "fp_". */
static const char *pin_name(const struct bpf_map *m)
{
	const char *name = bpf_map__name(m);

	return strncmp(name, "fp_", 3) ? name : name + 3;
}

/* DEV's pins that cannot be reused for OBJ; with unpin, remove them, and
 * with each the pins a stage says go with it. Returns how many were stale
 * (without unpin, absent ones too), or -errno. */
static int pins_stale(struct bpf_object *obj, const char *dev, bool unpin)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct bpf_map *m;
	int n = 0, stale;

	if (pipe_path(dir, sizeof(dir), dev, NULL))
		return -ENODEV;
	bpf_object__for_each_map(m, obj) {
		const char *pin = bpf_map__pin_path(m);

		if (!pin || strncmp(pin, dir, strlen(dir)) || pin[strlen(dir)] != '/')
			continue; /* shared by name, or .rodata: not DEV's */
		stale = pin_stale(m);
		if (stale < 0)
			return stale;
		/* A running pipeline pins every map it has: one this build
		 * declares and DEV lacks means the program predates a stage
		 * (the XSK stage's maps, say), so it is reloaded. */
		if (stale == PIN_ABSENT && !unpin)
			n++;
		if (stale != 1)
			continue;
		n++;
		if (!unpin)
			continue;
		unlink(pin);
		for (int s = 0; s < FP_STAGE_MAX; s++) {
			const struct fp_stage_row *r = fp_stage_rows[s];
			bool member = false;

			for (size_t i = 0; r && r->together && r->together[i]; i++)
				member |= !strcmp(r->together[i], pin_name(m));
			for (size_t i = 0; member && r->together[i]; i++)
				if (!pipe_path(path, sizeof(path), dev, r->together[i]))
					unlink(path);
		}
	}
	return n;
}

/* Open a pipeline object for DEV: its own maps pinned to DEV's pins (kept
 * when they fit, so counters and config survive), every stage's maps
 * sized for opts. *stale: how many of DEV's pins do not fit it. */
static int open_new(const char *dev, const struct fp_pipeline_opts *opts,
		    struct pipeline **out, int *stale)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = FP_PIN_ROOT "/maps");
	struct pipeline *skel = pipeline__open_opts(&oo);
	int err;

	if (!skel)
		return -errno;
	err = pin_dev_maps(skel->obj, dev);
	for (int s = 0; !err && s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->size)
			err = fp_stage_rows[s]->size(skel->obj, opts);
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

/* Load what open_new opened, on fresh maps where DEV's pins do not fit,
 * then let each stage seed its maps. Destroys skel on failure. */
static int load_opened(const char *dev, struct pipeline *skel)
{
	int err = pins_stale(skel->obj, dev, true);

	err = err < 0 ? err : pipeline__load(skel);
	for (int s = 0; !err && s < FP_STAGE_MAX; s++)
		if (fp_stage_rows[s] && fp_stage_rows[s]->init)
			err = fp_stage_rows[s]->init(skel->obj);
	if (err)
		pipeline__destroy(skel);
	return err;
}

static int load_new(const char *dev, const struct fp_pipeline_opts *opts,
		    struct pipeline **out)
{
	int stale, err = open_new(dev, opts, out, &stale);

	return err ?: load_opened(dev, *out);
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
	err = load_opened(dev, skel);
	if (!err) {
		err = bpf_link_update(fd, bpf_program__fd(skel->progs.fp_pipeline), NULL);
		err = err ?: pipe_pin(bpf_program__fd(skel->progs.fp_pipeline), dev, "prog");
		pipeline__destroy(skel);
	}
	close(fd);
	return err;
}

/* Load a fresh pipeline program, attach it, pin link and program. */
static int attach_new(const char *dev, const struct fp_target *t,
		      const struct fp_pipeline_opts *opts, struct fp_pipeline_info *info)
{
	struct fp_attach_opts ao = { .mode = opts->mode };
	char path[PATH_MAX];
	struct fp_attachment a;
	struct pipeline *skel;
	int err;

	err = load_new(dev, opts, &skel);
	if (err)
		return err;
	err = fp_attach(bpf_program__fd(skel->progs.fp_pipeline),
			BPF_PROG_TYPE_XDP, t, &ao, &a);
	if (err)
		goto out;
	err = pipe_pin(a.fd, dev, "link");
	err = err ?: pipe_pin(bpf_program__fd(skel->progs.fp_pipeline), dev, "prog");
	if (err) {
		pipe_path(path, sizeof(path), dev, "link");
		unlink(path);
	}
	info->native_failed = a.native_failed;
	info->native_err = a.native_err;
	close(a.fd);
out:
	pipeline__destroy(skel);
	return err;
}

/* Attach a pipeline to DEV, or adopt the one there (reloaded in place
 * when its pins no longer fit opts); the stages are left alone. */
static int up_link(const char *dev, const struct fp_target *t,
		   const struct fp_pipeline_opts *opts, struct fp_pipeline_info *info)
{
	char path[PATH_MAX];
	struct pipeline *skel;
	const char *mode;
	__u32 prog_id;
	int fd, stale, err;

	fd = link_live(dev, t->ifindex);
	if (fd >= 0) {
		fp_xdp_query(t->ifindex, &prog_id, &mode);
		info->adopted = mode_matches(opts->mode, mode);
		close(fd);
	}
	if (!info->adopted) {
		/* Stale, absent, or in the wrong mode: attach afresh. */
		pipe_path(path, sizeof(path), dev, "link");
		unlink(path);
		return attach_new(dev, t, opts, info);
	}
	err = open_new(dev, opts, &skel, &stale);
	if (err)
		return err;
	if (stale)
		return reload(dev, skel);
	pipeline__destroy(skel);
	return 0;
}

/* Each stage's programs beside the pipeline: on with its bit, off without. */
static int stages_attach(const char *dev, int ifindex, __u32 stages)
{
	int err = 0;

	for (int s = 0; !err && s < FP_STAGE_MAX; s++) {
		const struct fp_stage_row *r = fp_stage_rows[s];

		if (!r)
			continue;
		if (stages & FP_STAGE_BIT(s))
			err = r->enable ? r->enable(dev, ifindex) : 0;
		else
			err = r->disable ? r->disable(dev) : 0;
	}
	return err;
}

int fp_pipeline_up(const char *dev, const struct fp_pipeline_opts *opts,
		   struct fp_pipeline_info *info)
{
	struct fp_pipeline_cfg cfg = { 0 };
	char path[PATH_MAX];
	struct fp_target t;
	bool created;
	int err;

	memset(info, 0, sizeof(*info));
	if (fp_target_parse(dev, &t) || t.kind != FP_TARGET_DEV)
		return -ENODEV;
	err = pipe_path(path, sizeof(path), dev, NULL);
	if (err)
		return err;
	if (mkdir(FP_PIPELINE_DIR, 0700) && errno != EEXIST)
		return -errno;
	created = !mkdir(path, 0700);
	if (!created && errno != EEXIST)
		return -errno;

	err = up_link(dev, &t, opts, info);
	if (!err) {
		cfg_read(dev, &cfg);
		cfg.stages = (opts->stages & ~FP_STAGE_BIT(FP_STAGE_CHAIN)) |
			     (cfg.stages & FP_STAGE_BIT(FP_STAGE_CHAIN));
		err = cfg_write(dev, &cfg);
	}
	err = err ?: stages_attach(dev, t.ifindex, opts->stages);
	err = err ?: pipe_read_info(dev, info);
	info->created = created;
	/* A failed up leaves nothing it created: no pins, no half pipeline
	 * that `stats` would show detached. */
	if (err && created)
		fp_pipeline_down(dev);
	return err;
}

int fp_pipeline_down(const char *dev)
{
	char path[PATH_MAX];
	int err = pipe_path(path, sizeof(path), dev, NULL);

	if (err)
		return err;
	if (access(path, F_OK))
		return -ENOENT;
	/* The link first: unpinning its last reference detaches. */
	pipe_path(path, sizeof(path), dev, "link");
	unlink(path);
	pipe_path(path, sizeof(path), dev, NULL);
	return fp_rmtree(path);
}

static void chain_facts(const char *dev, struct fp_pipeline_info *info)
{
	struct bpf_prog_info pi = { 0 };
	__u32 len = sizeof(pi), zero = 0, id = 0;
	int fd = fp_pipeline_obj_get(dev, "chain"), pfd;

	if (fd < 0)
		return;
	if (!bpf_map_lookup_elem(fd, &zero, &id) && id) {
		info->chain_prog_id = id;
		pfd = bpf_prog_get_fd_by_id(id);
		if (pfd >= 0 && !bpf_obj_get_info_by_fd(pfd, &pi, &len))
			snprintf(info->chain_name, sizeof(info->chain_name), "%s", pi.name);
		if (pfd >= 0)
			close(pfd);
	}
	close(fd);
}

/* What the kernel says of DEV's pipeline; the flags of up are left alone. */
static int pipe_read_info(const char *dev, struct fp_pipeline_info *info)
{
	struct bpf_link_info li = { 0 };
	struct fp_pipeline_cfg cfg = { 0 };
	__u32 len = sizeof(li), prog_id;
	int fd;

	snprintf(info->dev, sizeof(info->dev), "%s", dev);
	info->mode = "";
	fd = fp_pipeline_obj_get(dev, "link");
	if (fd == -ENOENT) {
		char path[PATH_MAX];

		if (pipe_path(path, sizeof(path), dev, NULL) || access(path, F_OK))
			return -ENOENT;
	}
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &li, &len)) {
			info->link_id = li.id;
			info->prog_id = li.prog_id;
			info->ifindex = li.xdp.ifindex;
		}
		close(fd);
	}
	if (info->ifindex && !fp_xdp_query(info->ifindex, &prog_id, &info->mode) &&
	    prog_id != info->prog_id)
		info->mode = "";
	if (!cfg_read(dev, &cfg))
		info->stages = cfg.stages;
	chain_facts(dev, info);
	return 0;
}

int fp_pipeline_info(const char *dev, struct fp_pipeline_info *info)
{
	memset(info, 0, sizeof(*info));
	return pipe_read_info(dev, info);
}

int fp_pipeline_list(char (**devs)[IF_NAMESIZE], size_t *n)
{
	DIR *d = opendir(FP_PIPELINE_DIR);
	char (*out)[IF_NAMESIZE] = NULL, (*p)[IF_NAMESIZE];
	struct dirent *e;
	size_t cnt = 0;

	*devs = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= IF_NAMESIZE)
			continue;
		p = realloc(out, (cnt + 1) * sizeof(*out));
		if (!p) {
			free(out);
			closedir(d);
			return -ENOMEM;
		}
		out = p;
		for (size_t i = 0; i <= strlen(e->d_name); i++)
			out[cnt][i] = e->d_name[i] == ':' ? '.' : e->d_name[i];
		cnt++;
	}
	closedir(d);
	*devs = out;
	*n = cnt;
	return 0;
}

int fp_pipeline_stats(const char *dev, struct fp_pipeline_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err;
	struct fp_pipeline_stats *v;
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	fd = fp_pipeline_obj_get(dev, "stats");
	if (fd < 0)
		return fd;
	v = calloc(ncpu, sizeof(*v));
	err = v ? bpf_map_lookup_elem(fd, &zero, v) : -ENOMEM;
	for (int c = 0; !err && c < ncpu; c++) {
		for (int s = 0; s < FP_STAGE_MAX; s++) {
			for (int k = 0; k < FP_VERDICT_MAX; k++) {
				sum->c[s][k].packets += v[c].c[s][k].packets;
				sum->c[s][k].bytes += v[c].c[s][k].bytes;
			}
		}
	}
	free(v);
	close(fd);
	return err;
}

int fp_pipeline_set_stages(const char *dev, __u32 stages)
{
	struct fp_pipeline_cfg cfg;
	int err = cfg_read(dev, &cfg);

	if (err)
		return err;
	cfg.stages = (stages & ~FP_STAGE_BIT(FP_STAGE_CHAIN)) |
		     (cfg.stages & FP_STAGE_BIT(FP_STAGE_CHAIN));
	return cfg_write(dev, &cfg);
}

static int chain_set(const char *dev, bool on)
{
	struct fp_pipeline_cfg cfg;
	int err = cfg_read(dev, &cfg);

	if (err)
		return err;
	if (on)
		cfg.stages |= FP_STAGE_BIT(FP_STAGE_CHAIN);
	else
		cfg.stages &= ~FP_STAGE_BIT(FP_STAGE_CHAIN);
	return cfg_write(dev, &cfg);
}

static int prog_tag(int fd, __u8 tag[BPF_TAG_SIZE])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	if (!err)
		memcpy(tag, info.tag, BPF_TAG_SIZE);
	return err;
}

/* Is the program in the chain slot the one at fd (same tag)? */
static bool chained_already(int chain_fd, int fd)
{
	__u8 a[BPF_TAG_SIZE], b[BPF_TAG_SIZE];
	__u32 zero = 0, id = 0;
	int cur;
	bool same;

	if (bpf_map_lookup_elem(chain_fd, &zero, &id) || !id)
		return false;
	cur = bpf_prog_get_fd_by_id(id);
	if (cur < 0)
		return false;
	same = !prog_tag(cur, a) && !prog_tag(fd, b) && !memcmp(a, b, sizeof(a));
	close(cur);
	return same;
}

static int unchain(const char *dev, int chain_fd)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int err = chain_set(dev, false);

	/* The bit first, so no packet tail-calls into an emptied slot. */
	if (!err) {
		err = bpf_map_delete_elem(chain_fd, &zero);
		if (err == -ENOENT)
			err = 0;
	}
	pipe_path(path, sizeof(path), dev, "chained");
	unlink(path);
	return err;
}

int fp_pipeline_chain(const char *dev, const char *file, struct fp_load_result *res)
{
	struct fp_obj *o = NULL;
	__u32 zero = 0;
	int chain_fd, fd, err;

	memset(res, 0, sizeof(*res));
	chain_fd = fp_pipeline_obj_get(dev, "chain");
	if (chain_fd < 0)
		return chain_fd;
	if (!file) {
		err = unchain(dev, chain_fd);
		goto out;
	}
	err = fp_obj_open_file(file, NULL, &o);
	if (err)
		goto out;
	snprintf(res->name, sizeof(res->name), "%s", fp_obj_prog_name(o));
	res->type = fp_obj_prog_type(o);
	if (res->type != BPF_PROG_TYPE_XDP) {
		err = -EMEDIUMTYPE;
		goto out;
	}
	err = fp_obj_load(o);
	if (err) {
		if (*fp_obj_log(o))
			res->log = strdup(fp_obj_log(o));
		goto out;
	}
	fd = fp_obj_prog_fd(o);
	if (chained_already(chain_fd, fd))
		goto out;
	/* One update swaps the program: a packet sees the old or the new. */
	err = bpf_map_update_elem(chain_fd, &zero, &fd, BPF_ANY);
	err = err ?: pipe_pin(fd, dev, "chained");
	err = err ?: chain_set(dev, true);
out:
	fp_obj_close(o);
	close(chain_fd);
	return err;
}
