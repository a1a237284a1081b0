// SPDX-License-Identifier: BSD-2-Clause
/* The XDP pipeline on an interface: its pins, up and down (the program
 * attached, adopted or reloaded by pipeline_load.c), stages, chained user
 * program, counters. Everything is pinned, so the CLI and the daemon are
 * interchangeable and either may restart without touching traffic. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/config.h>
#include <fastpath/pipeline.h>
#include "core/bpffs.h"
#include "pipeline/pipeline_internal.h"
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

int fp_pipeline_pin(int fd, const char *dev, const char *obj)
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

static int pipe_read_info(const char *dev, struct fp_pipeline_info *info);

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

int fp_pipeline_lock(const char *dev, int op)
{
	char path[PATH_MAX];
	int fd, err = fp_pipeline_path(path, sizeof(path), dev, NULL);

	if (err)
		return err;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (flock(fd, op)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int fp_pipeline_up(const char *dev, const struct fp_pipeline_opts *opts,
		   struct fp_pipeline_info *info)
{
	struct fp_pipeline_cfg cfg = { 0 };
	char path[PATH_MAX];
	struct fp_target t;
	bool created;
	int err, lock;

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

	/* The program and the stages it runs, together: a firewall install
	 * rebuilding the program with its stage waits, and is not undone. */
	lock = fp_pipeline_lock(dev, LOCK_EX);
	if (lock < 0) {
		if (created)
			fp_pipeline_down(dev);
		return lock;
	}
	err = fp_pipeline_up_link(dev, &t, opts, info);
	if (!err) {
		cfg_read(dev, &cfg);
		cfg.stages = (opts->stages & ~FP_STAGE_BIT(FP_STAGE_CHAIN)) |
			     (cfg.stages & FP_STAGE_BIT(FP_STAGE_CHAIN));
		err = cfg_write(dev, &cfg);
	}
	close(lock);
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

	err = err ?: fp_pipeline_build_for(dev, stages, 0, 0);
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

int fp_pipeline_chain_load(const char *file, struct fp_obj **out, struct fp_load_result *res)
{
	struct fp_obj *o = NULL;
	int err;

	memset(res, 0, sizeof(*res));
	*out = NULL;
	err = fp_obj_open_file(file, NULL, &o);
	if (err == -ENOTUNIQ)
		fp_file_prog_names(file, res->progs, sizeof(res->progs));
	if (err)
		return err;
	snprintf(res->name, sizeof(res->name), "%s", fp_obj_prog_name(o));
	res->type = fp_obj_prog_type(o);
	err = res->type == BPF_PROG_TYPE_XDP ? fp_obj_load(o) : -EMEDIUMTYPE;
	if (err && err != -EMEDIUMTYPE && *fp_obj_log(o))
		res->log = strdup(fp_obj_log(o));
	if (err)
		fp_obj_close(o);
	else
		*out = o;
	return err;
}

int fp_pipeline_chain_obj(const char *dev, const struct fp_obj *o)
{
	__u32 zero = 0;
	int chain_fd, fd, err = 0;

	chain_fd = fp_pipeline_obj_get(dev, "chain");
	if (chain_fd < 0)
		return chain_fd;
	if (!o) {
		err = unchain(dev, chain_fd);
		goto out;
	}
	fd = fp_obj_prog_fd(o);
	if (chained_already(chain_fd, fd))
		goto out;
	/* One update swaps the program: a packet sees the old or the new. */
	err = bpf_map_update_elem(chain_fd, &zero, &fd, BPF_ANY);
	err = err ?: fp_pipeline_pin(fd, dev, "chained");
	err = err ?: chain_set(dev, true);
out:
	close(chain_fd);
	return err;
}

int fp_pipeline_chain(const char *dev, const char *file, struct fp_load_result *res)
{
	struct fp_obj *o = NULL;
	int err = 0;

	memset(res, 0, sizeof(*res));
	if (file)
		err = fp_pipeline_chain_load(file, &o, res);
	err = err ?: fp_pipeline_chain_obj(dev, o);
	fp_obj_close(o);
	return err;
}
