/* SPDX-License-Identifier: BSD-2-Clause */
/* bpf_test.h: BPF_PROG_TEST_RUN on crafted frames (packets.h), per-CPU
 * sums, the port registry as the library fills it, and the cmocka
 * fixture conventions; shared by the BPF tests and the benchmarks (so it
 * does not depend on cmocka). The pipeline's own fixture is in
 * pipeline_fixture.h. */
#ifndef FP_BPF_TEST_H
#define FP_BPF_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "packets.h"
#include "ports_abi.h"

/* ---- running programs ------------------------------------------------- */

struct fp_run {
	uint32_t retval;
	uint32_t size_out;
	uint8_t align[2];          /* out aligned as struct fp_pkt's data */
	uint8_t out[FP_PKT_MAX];
};

/* fp_run: run a program once on LEN bytes (XDP, TC, socket filter,
 * cgroup_skb). The kernel refuses, with -EINVAL, frames shorter than
 * ETH_HLEN (for XDP on 6.18 even when part of the input is declared
 * metadata) and, for skb programs, IPv4 frames without a whole 20-byte
 * IPv4 header. */
static inline int fp_run(int prog_fd, const void *pkt, size_t len, struct fp_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt,
		.data_size_in = len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &o);
	if (err)
		return err;
	r->retval = o.retval;
	r->size_out = o.data_size_out;
	return 0;
}

/* ---- benchmarks -------------------------------------------------------- */

#define FP_RUNS_MAX 15

static inline int fp_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline int fp_cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

static inline double fp_thread_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* fp_test_run_cpu: one test run of REPEAT copies of P; the thread's CPU
 * time it took in *NS (kernel side included, other tasks' time not). */
static inline int fp_test_run_cpu(int prog_fd, const struct fp_pkt *p, unsigned int repeat,
				  struct bpf_test_run_opts *o, double *ns)
{
	double t0;
	int err;

	o->data_in = p->data;
	o->data_size_in = p->len;
	o->repeat = repeat;
	t0 = fp_thread_ns();
	err = bpf_prog_test_run_opts(prog_fd, o);
	*ns = fp_thread_ns() - t0;
	return err;
}

/* fp_run_median_packets: how many packets fp_run_median runs, warm-up
 * and fixed-cost runs included (for benchmarks that check counters). */
static inline uint64_t fp_run_median_packets(unsigned int repeat, int runs)
{
	return 1000 + 3 * 2 + (uint64_t)repeat * runs;
}

/* fp_run_median: the median ns/packet of RUNS (<= FP_RUNS_MAX) test runs
 * of REPEAT packets each, after a warm-up run of 1,000 that fills caches
 * and the JIT image. Every run must return VERDICT (-EPROTO otherwise),
 * or the benchmark would time another path than the one it names.
 *
 * The kernel's figure (opts.duration) times only the loop, leaves out
 * the time spent scheduled out, and is right to the ns, but truncated to
 * it: 5.9 ns reads 5, too coarse for programs of 5-20 ns. Wall-clock
 * time around the syscall is no substitute (on a shared 2-vCPU guest it
 * came out 1.5-6x the kernel's figure). The thread's CPU time leaves out
 * other tasks too, but holds each run's fixed cost (about 1.2 ms here:
 * for REPEAT > 1 the kernel switches the XDP dispatcher to the program
 * and back), taken off as measured by a run of 2 packets. Its jitter
 * (+-0.2 ms) is what is left, so each run's figure is held within the
 * kernel's own: at least DURATION, less than DURATION + 1. */
static inline int fp_run_median(int prog_fd, const struct fp_pkt *p, unsigned int repeat,
				int runs, uint32_t verdict, double *median)
{
	double ns[FP_RUNS_MAX], fixed[3], t;
	int err;

	if (runs < 1 || runs > FP_RUNS_MAX || repeat < 3)
		return -EINVAL;
	for (int i = -1; i < 3; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);

		err = fp_test_run_cpu(prog_fd, p, i < 0 ? 1000 : 2, &o, &t);
		if (err)
			return err;
		if (o.retval != verdict)
			return -EPROTO;
		if (i >= 0)
			fixed[i] = t;
	}
	qsort(fixed, 3, sizeof(fixed[0]), fp_cmp_double);
	for (int i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);
		double lo, hi;

		err = fp_test_run_cpu(prog_fd, p, repeat, &o, &t);
		if (err)
			return err;
		if (o.retval != verdict)
			return -EPROTO;
		lo = o.duration;
		hi = lo + 0.99;
		ns[i] = (t - fixed[1]) / (repeat - 2);
		ns[i] = ns[i] < lo ? lo : ns[i] > hi ? hi : ns[i];
	}
	qsort(ns, runs, sizeof(ns[0]), fp_cmp_double);
	*median = ns[runs / 2];
	return 0;
}

/* ---- per-CPU values ---------------------------------------------------- */

/* fp_test_percpu_lookup: KEY's value in the per-CPU map FD, one SIZE-byte
 * value per possible CPU (SIZE a multiple of 8, as the kernel lays them
 * out), in an array the caller frees at *VALUES. Returns the number of
 * CPUs, or -errno (-ENOENT when KEY has none) with *VALUES NULL. */
static inline int fp_test_percpu_lookup(int fd, const void *key, size_t size, void **values)
{
	int ncpu = libbpf_num_possible_cpus(), err;

	*values = NULL;
	if (ncpu < 0)
		return ncpu;
	if (!size || size % 8)
		return -EINVAL;
	*values = calloc(ncpu, size);
	if (!*values)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, key, *values);
	if (err) {
		free(*values);
		*values = NULL;
		return err;
	}
	return ncpu;
}

/* A 64-bit counter word read and written inside a struct of __u64 (an
 * unsigned long long, where uint64_t is an unsigned long): may_alias, or
 * the compiler may assume the struct's members never changed. */
typedef uint64_t __attribute__((__may_alias__)) fp_test_word;

/* fp_test_percpu_sum: KEY's value in the per-CPU map FD summed over CPUs
 * into SUM, for values made of 64-bit counters only (a __u64, struct
 * fp_port_stats, struct fp_pipeline_stats): each word is summed. 0, or
 * -errno with SUM zeroed. */
static inline int fp_test_percpu_sum(int fd, const void *key, void *sum, size_t size)
{
	fp_test_word *v, *s = sum;
	void *values;
	int ncpu;

	memset(sum, 0, size);
	ncpu = fp_test_percpu_lookup(fd, key, size, &values);
	if (ncpu < 0)
		return ncpu;
	v = values;
	for (int c = 0; c < ncpu; c++)
		for (size_t w = 0; w < size / 8; w++)
			s[w] += v[c * (size / 8) + w];
	free(v);
	return 0;
}

/* ---- port registry ---------------------------------------------------- */

/* fp_test_port_register: what the library does for `ports register`: a
 * zeroed per-CPU stats slot, then the fp_ports entry that points at it.
 * Tests use few ports, so the slot is the port modulo the slot count. */
static inline int fp_test_port_register(int ports_fd, int stats_fd, uint16_t port,
					uint32_t addr)
{
	struct fp_port_entry e = {
		.pid = getpid(), .addr = addr, .slot = port % FP_PORT_SLOTS,
	};
	int ncpu = libbpf_num_possible_cpus();
	struct fp_port_stats *zero;
	uint32_t key = port;
	int err;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(stats_fd, &e.slot, zero, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(ports_fd, &key, &e, BPF_ANY);
	free(zero);
	return err;
}

/* fp_test_stats_sum: a per-CPU struct fp_port_stats value summed over
 * CPUs; -ENOENT when KEY has none. */
static inline int fp_test_stats_sum(int fd, const void *key, struct fp_port_stats *sum)
{
	return fp_test_percpu_sum(fd, key, sum, sizeof(*sum));
}

/* fp_test_port_stats: the counters of a registered port, through its
 * slot; -ENOENT when the port is not registered. */
static inline int fp_test_port_stats(int ports_fd, int stats_fd, uint16_t port,
				     struct fp_port_stats *sum)
{
	struct fp_port_entry e;
	uint32_t key = port;
	int err = bpf_map_lookup_elem(ports_fd, &key, &e);

	memset(sum, 0, sizeof(*sum));
	if (err)
		return err;
	if (!e.pid)
		return -ENOENT;
	return fp_test_stats_sum(stats_fd, &e.slot, sum);
}

/* fp_test_unpin_maps: keep a test's maps out of /sys/fs/bpf. */
static inline void fp_test_unpin_maps(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
}

/* fp_test_fixture: for a cmocka setup, a zeroed fixture of SIZE bytes in
 * *STATE. Returns 1 when there is one; 0 when not root, with *STATE NULL
 * (the tests then skip: FP_TEST_STATE); -1 when out of memory. */
static inline int fp_test_fixture(void **state, size_t size)
{
	*state = NULL;
	if (geteuid() != 0)
		return 0;
	*state = calloc(1, size);
	return *state ? 1 : -1;
}

/* FP_TEST_NEED_ROOT: in a cmocka test, skip when BPF_PROG_LOAD would be
 * refused for lack of privileges. */
#define FP_TEST_NEED_ROOT()			\
	do {					\
		if (geteuid() != 0)		\
			skip();			\
	} while (0)

/* FP_TEST_STATE: in a cmocka test, the fixture its setup left in *STATE,
 * or a skip when not root (setups leave NULL then, loading nothing). A
 * macro, like FP_TEST_NEED_ROOT: the benchmarks share this header without
 * cmocka. */
#define FP_TEST_STATE(state)			\
	({					\
		FP_TEST_NEED_ROOT();		\
		assert_non_null(*(state));	\
		*(state);			\
	})

#endif
