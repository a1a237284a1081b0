// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's shaper service: the config's shaper: section applied at
 * start and on reload (an interface dropped from it gets its default
 * qdisc back), and checked every few seconds: a root qdisc replaced or
 * deleted behind fastpathd's back is put back, with one log line. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/shaper.h>

#define CHECK_MS 2000

struct shaper_service {
	const struct fp_config *cfg;
	const struct fp_logger *log;
	unsigned long long next_ms;
	uint64_t missing;       /* bit i: ifaces[i] was not there, said once */
	bool ebpf;
};

static const struct fp_shaper_iface *find(const struct fp_config *cfg, const char *dev)
{
	for (size_t i = 0; cfg && i < cfg->shaper.n; i++)
		if (!strcmp(cfg->shaper.ifaces[i].interface, dev))
			return &cfg->shaper.ifaces[i];
	return NULL;
}

static int shape(struct shaper_service *s, size_t idx, const char *why)
{
	const struct fp_shaper_iface *i = &s->cfg->shaper.ifaces[idx];
	enum fp_shaper_mech mech;
	char note[512] = "", rate[32];
	int err = fp_shaper_apply(i, &mech, note, sizeof(note));

	if (err == -ENODEV) {
		/* Not there yet: the check puts it on once it is. */
		if (!(s->missing & (1ull << idx)))
			fp_log(s->log, FP_LOG_WARN, "shaper on %s: no such interface yet; "
			       "shaped when it appears", i->interface);
		s->missing |= 1ull << idx;
		return 0;
	}
	s->missing &= ~(1ull << idx);
	if (err) {
		fp_log(s->log, FP_LOG_ERROR, "shaper on %s: %s%s%s", i->interface, strerror(-err),
		       *note ? ": " : "", note);
		return err;
	}
	fp_log(s->log, FP_LOG_INFO, "shaper on %s: %s, %s at %s, latency target %u ms (%s)",
	       i->interface, why, fp_shaper_mech_str(mech),
	       fp_shaper_rate_str(i->bandwidth_limit, rate, sizeof(rate)), i->latency_ms, note);
	return 0;
}

static int shaper_apply(void *ctx, const struct fp_config *cfg, const struct fp_config *prev,
			const struct fp_service_env *env)
{
	struct shaper_service *s = ctx;
	bool shaped = s->ebpf; /* the last config was applied */
	int err = 0;

	s->log = env->log;
	s->cfg = cfg;
	s->ebpf = env->ebpf;
	/* What the last config shaped and this one does not (or cannot: in
	 * userspace-only mode nothing is) goes back to its default qdisc. */
	for (size_t i = 0; prev && shaped && i < prev->shaper.n; i++) {
		const char *dev = prev->shaper.ifaces[i].interface;
		int rc;

		if (env->ebpf && find(cfg, dev))
			continue;
		rc = fp_shaper_remove(dev);
		fp_log(s->log, rc ? FP_LOG_ERROR : FP_LOG_INFO, "shaper on %s: %s", dev,
		       rc ? strerror(-rc) : env->ebpf ? "removed (no longer configured)" :
		       "removed (fastpathd runs in userspace-only mode)");
	}
	if (!env->ebpf) {
		/* Qdiscs need CAP_NET_ADMIN and classes a BPF classifier. */
		if (cfg->shaper.n)
			fp_log(s->log, FP_LOG_WARN, "shaper: not applied: fastpathd runs "
			       "in userspace-only mode");
		return 0;
	}
	s->missing = 0;
	for (size_t i = 0; !err && i < cfg->shaper.n; i++)
		err = shape(s, i, "applied");
	s->next_ms = fp_monotonic_ms() + CHECK_MS;
	return err;
}

static long long shaper_deadline(void *ctx)
{
	const struct shaper_service *s = ctx;

	return s->ebpf && s->cfg && s->cfg->shaper.n ? (long long)s->next_ms : -1;
}

static void shaper_tick(void *ctx, unsigned long long now_ms)
{
	struct shaper_service *s = ctx;

	s->next_ms = now_ms + CHECK_MS;
	for (size_t i = 0; i < s->cfg->shaper.n; i++) {
		const struct fp_shaper_iface *iface = &s->cfg->shaper.ifaces[i];

		if (fp_shaper_matches(iface))
			continue;
		shape(s, i, "not as configured (replaced or removed behind fastpathd's "
		      "back, or the interface came back), put back");
	}
}

const struct fp_service fp_shaper_service = {
	.name = "shaper",
	.ctx_size = sizeof(struct shaper_service),
	.apply = shaper_apply,
	.deadline = shaper_deadline,
	.tick = shaper_tick,
};
