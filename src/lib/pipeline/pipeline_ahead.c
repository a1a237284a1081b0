// SPDX-License-Identifier: BSD-2-Clause
/* The pipeline program loaded ahead (fp_pipeline_preload): a start's
 * verifier walk while its caller checks the configuration, taken by the
 * fp_pipeline_up that follows (pipeline_load.c). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fastpath/pipeline.h>
#include "bpf/pipeline.skel.h"
#include "core/bpffs.h"
#include "pipeline/pipeline_internal.h"

/* Programs fp_pipeline_preload loaded for the fp_pipeline_up that
 * follows: a start's verifier walk (tens of ms) while its caller checks
 * its configuration. Only for an interface with no pins yet, and without
 * a trace until it is taken: no map is pinned, reused or created through
 * a pin path. The maps shared by name that are pinned are reused by fd
 * (checked again at the take); the others are created and pinned by the
 * take. */
#define AHEAD_MAX 16
#define AHEAD_MAPS 64

struct ahead {
	char dev[IF_NAMESIZE];
	struct fp_pipeline_opts opts;
	struct pipeline *skel;
	struct bpf_map *map[AHEAD_MAPS];
	char *pin[AHEAD_MAPS];          /* where map[i] belongs */
	bool made[AHEAD_MAPS];          /* created here: pinned by the take;
					 * else reused: still pinned there? */
	int n;
};

static struct ahead ahead[AHEAD_MAX];
static pthread_mutex_t ahead_lock = PTHREAD_MUTEX_INITIALIZER;

static void ahead_free(struct ahead *a)
{
	pipeline__destroy(a->skel);
	for (int i = 0; i < a->n; i++)
		free(a->pin[i]);
	memset(a, 0, sizeof(*a));
}

/* made_ahead: a new fd of the map an earlier preload created for PIN (a
 * map shared by name, which every interface's program must share), or
 * -1; under ahead_lock. */
static int made_ahead(const char *pin)
{
	for (int i = 0; i < AHEAD_MAX; i++)
		for (int j = 0; ahead[i].skel && j < ahead[i].n; j++)
			if (ahead[i].made[j] && !strcmp(ahead[i].pin[j], pin))
				return fcntl(bpf_map__fd(ahead[i].map[j]), F_DUPFD_CLOEXEC, 0);
	return -1;
}

/* hold_pins: every map of OBJ with a pin path taken off it and kept in A:
 * a pinned one that fits reused by fd, an absent one left to be created
 * (or the one an earlier preload created for it reused). -EEXIST when
 * DEV has pins after all, or a pin does not fit: the up does it all. */
static int hold_pins(struct bpf_object *obj, const char *dir, struct ahead *a)
{
	struct bpf_map *m;
	int err = 0;

	pthread_mutex_lock(&ahead_lock);
	bpf_object__for_each_map(m, obj) {
		const char *pin = bpf_map__pin_path(m);
		int stale, fd;

		if (!pin)
			continue;
		stale = fp_pipeline_pin_stale(m);
		if (stale < 0 || stale == 1 || a->n == AHEAD_MAPS ||
		    (stale == 0 && !strncmp(pin, dir, strlen(dir)))) {
			err = stale < 0 ? stale : -EEXIST;
			break;
		}
		fd = stale == 0 ? bpf_obj_get(pin) : made_ahead(pin);
		a->pin[a->n] = strdup(pin);
		err = a->pin[a->n] ? 0 : -ENOMEM;
		a->made[a->n] = fd < 0;
		a->map[a->n++] = m;
		if (!err && fd >= 0)
			err = bpf_map__reuse_fd(m, fd);
		if (fd >= 0)
			close(fd);
		err = err ?: bpf_map__set_pin_path(m, NULL);
		if (err)
			break;
	}
	pthread_mutex_unlock(&ahead_lock);
	return err;
}

/* What a load depends on; the mode is the attach's. */
static bool same_build(const struct fp_pipeline_opts *a, const struct fp_pipeline_opts *b)
{
	return a->stages == b->stages && a->max_flows == b->max_flows &&
	       a->lease_cache == b->lease_cache && a->fw_slots == b->fw_slots;
}

/* pins_fit: what A reused is still pinned where it was (or the map
 * another take pinned there is A's own), and nothing is pinned where A's
 * new maps go. */
static bool pins_fit(const struct ahead *a)
{
	for (int i = 0; i < a->n; i++) {
		int fd = bpf_obj_get(a->pin[i]);
		bool fit = a->made[i] ? fd < 0 && errno == ENOENT :
			   fp_obj_id(fd) == fp_obj_id(bpf_map__fd(a->map[i]));

		if (fd >= 0)
			close(fd);
		if (!fit)
			return false;
	}
	return true;
}

/* pin_made: A's new maps pinned where they belong; on failure none. */
static int pin_made(struct ahead *a)
{
	int i, err = 0;

	for (i = 0; i < a->n; i++) {
		err = a->made[i] ? bpf_map__pin(a->map[i], a->pin[i]) : 0;
		if (err)
			break;
	}
	if (err)
		while (i-- > 0)
			if (a->made[i])
				bpf_map__unpin(a->map[i], NULL);
	return err;
}

int fp_pipeline_preload(const char *dev, const struct fp_pipeline_opts *opts)
{
	struct ahead a = { .opts = *opts };
	char dir[PATH_MAX];
	int stale, err = fp_pipeline_path(dir, sizeof(dir), dev, NULL);

	if (err)
		return err;
	if (!access(dir, F_OK) || errno != ENOENT)
		return 0;       /* pins to reuse: up adopts, reloads or loads then */
	snprintf(a.dev, sizeof(a.dev), "%s", dev);
	err = fp_pipeline_open_new(dev, opts, opts->stages, 0, &a.skel, &stale);
	err = err ?: hold_pins(a.skel->obj, dir, &a);
	if (!err) {
		err = fp_pipeline_load_opened(dev, a.skel);
		if (err)
			a.skel = NULL;  /* destroyed */
	}
	pthread_mutex_lock(&ahead_lock);
	for (int i = 0; !err && i < AHEAD_MAX; i++) {
		if (ahead[i].skel && strcmp(ahead[i].dev, dev))
			continue;
		ahead_free(&ahead[i]);
		ahead[i] = a;
		a.skel = NULL, a.n = 0;
		break;
	}
	pthread_mutex_unlock(&ahead_lock);
	ahead_free(&a);
	return err;
}

/* ahead_take: the program loaded ahead for DEV and OPTS, its new maps now
 * pinned; NULL when there is none, or it no longer fits DEV's pins (load
 * it now). Under DEV's lock, its directory made. */
struct pipeline *fp_pipeline_ahead_take(const char *dev, const struct fp_pipeline_opts *opts)
{
	struct pipeline *skel = NULL;
	struct ahead a = { 0 };

	pthread_mutex_lock(&ahead_lock);
	for (int i = 0; i < AHEAD_MAX; i++) {
		if (ahead[i].skel && !strcmp(ahead[i].dev, dev)) {
			a = ahead[i];
			memset(&ahead[i], 0, sizeof(ahead[i]));
			break;
		}
	}
	pthread_mutex_unlock(&ahead_lock);
	if (a.skel && same_build(&a.opts, opts) && pins_fit(&a) && !pin_made(&a)) {
		skel = a.skel;
		a.skel = NULL;
	}
	ahead_free(&a);
	return skel;
}

void fp_pipeline_preload_drop(void)
{
	pthread_mutex_lock(&ahead_lock);
	for (int i = 0; i < AHEAD_MAX; i++)
		ahead_free(&ahead[i]);
	pthread_mutex_unlock(&ahead_lock);
}

/* ---- attach ------------------------------------------------------------------ */

