// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd's services run together: applied in order (all or, on a
 * reload, none), polled in one loop, ticked at their deadlines. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <fastpath/daemon.h>

#define FP_SERVICES_MAX 16

struct fp_services {
	size_t n;
	const struct fp_service *svc[FP_SERVICES_MAX];
	void *ctx[FP_SERVICES_MAX];
	int nfds[FP_SERVICES_MAX];      /* of the last fp_services_pollfds */
};

unsigned long long fp_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int fp_services_open(const struct fp_service *const *table, struct fp_services **out)
{
	struct fp_services *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	for (; *table; table++) {
		if (s->n == FP_SERVICES_MAX) {
			fp_services_close(s);
			return -E2BIG;
		}
		s->svc[s->n] = *table;
		s->ctx[s->n] = calloc(1, (*table)->ctx_size ? (*table)->ctx_size : 1);
		if (!s->ctx[s->n]) {
			fp_services_close(s);
			return -ENOMEM;
		}
		s->n++;
	}
	*out = s;
	return 0;
}

int fp_services_apply(struct fp_services *s, const struct fp_config *cfg,
		      const struct fp_config *prev, const struct fp_service_env *env,
		      const struct fp_service_env *prev_env)
{
	size_t i;
	int err = 0;

	for (i = 0; i < s->n && !err; i++)
		err = s->svc[i]->apply(s->ctx[i], cfg, prev, env);
	if (!err || !prev)
		return err;
	while (i-- > 0)
		s->svc[i]->apply(s->ctx[i], prev, cfg, prev_env);
	return err;
}

int fp_services_pollfds(struct fp_services *s, struct pollfd *fds, int max)
{
	int n = 0;

	for (size_t i = 0; i < s->n; i++) {
		s->nfds[i] = s->svc[i]->fds ? s->svc[i]->fds(s->ctx[i], fds + n, max - n) : 0;
		n += s->nfds[i];
	}
	return n;
}

void fp_services_ready(struct fp_services *s, const struct pollfd *fds)
{
	for (size_t i = 0; i < s->n; fds += s->nfds[i], i++) {
		bool any = false;

		for (int k = 0; k < s->nfds[i]; k++)
			any |= fds[k].revents != 0;
		if (any && s->svc[i]->ready)
			s->svc[i]->ready(s->ctx[i], fds, s->nfds[i]);
	}
}

static long long deadline(const struct fp_services *s, size_t i)
{
	return s->svc[i]->deadline && s->svc[i]->tick ? s->svc[i]->deadline(s->ctx[i]) : -1;
}

int fp_services_timeout(const struct fp_services *s, unsigned long long now_ms)
{
	long long first = -1;

	for (size_t i = 0; i < s->n; i++) {
		long long d = deadline(s, i);

		if (d >= 0 && (first < 0 || d < first))
			first = d;
	}
	if (first < 0)
		return -1;
	if ((unsigned long long)first <= now_ms)
		return 0;
	return first - now_ms > INT_MAX ? INT_MAX : (int)(first - now_ms);
}

void fp_services_tick(struct fp_services *s, unsigned long long now_ms)
{
	for (size_t i = 0; i < s->n; i++) {
		long long d = deadline(s, i);

		if (d >= 0 && (unsigned long long)d <= now_ms)
			s->svc[i]->tick(s->ctx[i], now_ms);
	}
}

int fp_services_verify(struct fp_services *s)
{
	int first = 0;

	for (size_t i = 0; i < s->n; i++) {
		int err = s->svc[i]->verify ? s->svc[i]->verify(s->ctx[i]) : 0;

		if (err && !first)
			first = err;
	}
	return first;
}

void fp_services_state(const struct fp_services *s, struct fp_daemon_state *st)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->svc[i]->state)
			s->svc[i]->state(s->ctx[i], st);
}

void fp_services_close(struct fp_services *s)
{
	if (!s)
		return;
	for (size_t i = s->n; i-- > 0;) {
		if (s->svc[i]->stop)
			s->svc[i]->stop(s->ctx[i]);
		free(s->ctx[i]);
	}
	free(s);
}
