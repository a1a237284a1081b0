// SPDX-License-Identifier: BSD-2-Clause
/* The objects of a pipeline fastpathd holds open, to pin them again
 * when their pins are removed or their bpffs is unmounted. Links are
 * not held: unpinning a link must still detach it (`fastpath down`). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <fastpath/pipeline.h>
#include <fastpath/reconcile.h>

#define KEEP_MAX 48

struct fp_pipeline_keep {
	char dev[IF_NAMESIZE];
	size_t n;
	struct {
		char name[64];
		int fd;
	} obj[KEEP_MAX];
};

static void keep_close(struct fp_pipeline_keep *k)
{
	for (size_t i = 0; i < k->n; i++)
		close(k->obj[i].fd);
	k->n = 0;
}

/* A link's pin ("link", "egress_link"): not held. */
static bool is_link(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && !strcmp(name + n - 4, "link");
}

static bool held(const struct fp_pipeline_keep *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->obj[i].name, name))
			return true;
	return false;
}

/* What DEV's pins hold now, and what was held under a name that is no
 * longer pinned: a pin removed between a check of the pins and this take
 * is put back by the next check, not forgotten. */
int fp_pipeline_keep_take(struct fp_pipeline_keep **kp, const char *dev)
{
	struct fp_pipeline_keep *k = *kp ? *kp : calloc(1, sizeof(*k)), old;
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *e;
	bool same;
	DIR *d;

	if (!k)
		return -ENOMEM;
	*kp = k;
	old = *k;
	same = !strcmp(old.dev, dev); /* else another interface's: none carries */
	k->n = 0;
	snprintf(k->dev, sizeof(k->dev), "%s", dev);
	if (!fp_pipeline_path(dir, sizeof(dir), dev, NULL) && (d = opendir(dir))) {
		while ((e = readdir(d)) && k->n < KEEP_MAX) {
			int fd;

			if (e->d_name[0] == '.' || is_link(e->d_name) ||
			    strlen(e->d_name) >= sizeof(k->obj[0].name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			fd = bpf_obj_get(path);
			if (fd < 0)
				continue;
			strcpy(k->obj[k->n].name, e->d_name);
			k->obj[k->n++].fd = fd;
		}
		closedir(d);
	}
	for (size_t i = 0; i < old.n; i++) {
		if (same && k->n < KEEP_MAX && !held(k, old.obj[i].name))
			k->obj[k->n++] = old.obj[i];
		else
			close(old.obj[i].fd);
	}
	return 0;
}

static bool pinned(const struct fp_pipeline_keep *k, size_t i)
{
	char path[PATH_MAX];

	return !fp_pipeline_path(path, sizeof(path), k->dev, k->obj[i].name) &&
	       !access(path, F_OK);
}

unsigned int fp_pipeline_keep_missing(const struct fp_pipeline_keep *k)
{
	unsigned int n = 0;

	for (size_t i = 0; k && i < k->n; i++)
		n += !pinned(k, i);
	return n;
}

int fp_pipeline_keep_repin(const struct fp_pipeline_keep *k)
{
	char path[PATH_MAX];
	int n = 0;

	if (!k || !k->n)
		return 0;
	if (mkdir(FP_PIPELINE_DIR, 0700) && errno != EEXIST)
		return -errno;
	if (fp_pipeline_path(path, sizeof(path), k->dev, NULL) ||
	    (mkdir(path, 0700) && errno != EEXIST))
		return -errno;
	for (size_t i = 0; i < k->n; i++) {
		if (pinned(k, i))
			continue;
		fp_pipeline_path(path, sizeof(path), k->dev, k->obj[i].name);
		if (bpf_obj_pin(k->obj[i].fd, path))
			return -errno;
		n++;
	}
	return n;
}

void fp_pipeline_keep_free(struct fp_pipeline_keep *k)
{
	if (!k)
		return;
	keep_close(k);
	free(k);
}
