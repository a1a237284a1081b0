// SPDX-License-Identifier: BSD-2-Clause
/* Opening, loading and pinning one program of an eBPF ELF object. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <elf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fastpath/core.h>
#include "core/bpffs.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* The verifier log starts at 64 KiB and grows 4x per ENOSPC up to this. */
#define FP_LOG_MAX (256u << 20)

struct fp_obj {
	struct bpf_object *obj;
	struct bpf_program *prog;
	char *path;         /* file, or NULL for an object in memory */
	const void *data;   /* object in memory */
	size_t size;
	char *mem_name;
	char *want;         /* the program asked for, or NULL */
	char *log;          /* verifier log of a failed load */
};

static bool verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void fp_set_verbose(bool on)
{
	verbose = on;
	libbpf_set_print(print_libbpf);
}

/* libbpf says -LIBBPF_ERRNO__FORMAT and friends for a bad object. */
static int open_errno(int err)
{
	return err <= -__LIBBPF_ERRNO__START ? -ENOEXEC : err;
}

static int select_prog(struct fp_obj *o)
{
	struct bpf_program *p;
	int n = 0;

	if (o->want) {
		o->prog = bpf_object__find_program_by_name(o->obj, o->want);
		if (!o->prog)
			return -ESRCH;
	} else {
		bpf_object__for_each_program(p, o->obj) {
			o->prog = p;
			n++;
		}
		if (n == 0)
			return -ENOEXEC;
		if (n > 1)
			return -ENOTUNIQ;
	}
	bpf_object__for_each_program(p, o->obj)
		bpf_program__set_autoload(p, p == o->prog);
	return 0;
}

static bool has_btf(const char *path)
{
	struct btf *btf = btf__parse_elf(path, NULL);

	if (!btf)
		return false;
	btf__free(btf);
	return true;
}

static int obj_open(struct fp_obj *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		.object_name = o->mem_name,
		.pin_root_path = FP_PIN_ROOT "/maps",
	);

	o->obj = o->path ? bpf_object__open_file(o->path, &opts)
			 : bpf_object__open_mem(o->data, o->size, &opts);
	if (!o->obj && errno == ENOENT && o->path && !has_btf(o->path))
		return -ENODATA; /* libbpf says ENOENT: the file is there */
	if (!o->obj)
		return open_errno(-errno);
	return select_prog(o);
}

/* A BPF object is an ELF file for machine EM_BPF; say so before libbpf
 * does, in fewer words. */
static int check_elf(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, &eh, sizeof(eh));
	close(fd);
	if (n != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_machine != EM_BPF)
		return -ENOEXEC;
	return 0;
}

static int obj_new(struct fp_obj **out, const char *prog)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (prog && !((*out)->want = strdup(prog)))
		return -ENOMEM;
	return 0;
}

static int obj_finish_open(struct fp_obj *o, struct fp_obj **out, int err)
{
	if (!err)
		err = obj_open(o);
	if (err) {
		fp_obj_close(o);
		*out = NULL;
	}
	return err;
}

int fp_obj_open_file(const char *path, const char *prog, struct fp_obj **out)
{
	int err;

	*out = NULL; /* so that a caller may close it whatever happened */
	err = check_elf(path);
	if (err)
		return err;
	err = obj_new(out, prog);
	if (!err && !((*out)->path = strdup(path)))
		err = -ENOMEM;
	return obj_finish_open(*out, out, err);
}

int fp_obj_open_mem(const char *name, const void *data, size_t size,
		    const char *prog, struct fp_obj **out)
{
	int err = obj_new(out, prog);

	if (!err && !((*out)->mem_name = strdup(name)))
		err = -ENOMEM;
	if (!err) {
		(*out)->data = data;
		(*out)->size = size;
	}
	return obj_finish_open(*out, out, err);
}

/* Load again with a log buffer, growing it until the whole log fits. The
 * first load ran without one, so a program that verifies pays nothing. */
static int load_with_log(struct fp_obj *o)
{
	size_t size = 64 << 10;
	char *buf;
	int err;

	for (;;) {
		bpf_object__close(o->obj);
		o->obj = NULL;
		err = obj_open(o);
		if (err)
			return err;
		buf = calloc(1, size);
		if (!buf)
			return -ENOMEM;
		bpf_program__set_log_buf(o->prog, buf, size);
		bpf_program__set_log_level(o->prog, 1);
		err = bpf_object__load(o->obj);
		if (err != -ENOSPC || size >= FP_LOG_MAX)
			break;
		free(buf);
		size *= 4;
	}
	free(o->log);
	o->log = buf;
	return err;
}

int fp_obj_load(struct fp_obj *o)
{
	int err = bpf_object__load(o->obj);

	if (!err || err == -EPERM)
		return err;
	load_with_log(o);
	return err;
}

const char *fp_obj_log(const struct fp_obj *o)
{
	return o->log ? o->log : "";
}

const char *fp_obj_prog_name(const struct fp_obj *o)
{
	return bpf_program__name(o->prog);
}

enum bpf_prog_type fp_obj_prog_type(const struct fp_obj *o)
{
	return bpf_program__type(o->prog);
}

int fp_obj_prog_fd(const struct fp_obj *o)
{
	return bpf_program__fd(o->prog);
}

struct bpf_object *fp_obj_bpf(const struct fp_obj *o)
{
	return o->obj;
}

/* Internal maps are named like "prog.bss"; bpffs refuses the dot. */
static void map_pin_path(char *buf, size_t size, const char *dir, const char *map)
{
	int n = snprintf(buf, size, "%s/", dir);

	for (; *map && (size_t)n + 1 < size; map++)
		buf[n++] = *map == '.' ? '_' : *map;
	buf[n] = '\0';
}

int fp_obj_pin(struct fp_obj *o, const char *name)
{
	char prog_path[PATH_MAX], dir[PATH_MAX], path[PATH_MAX * 2];
	struct bpf_map *m;
	int err;

	snprintf(prog_path, sizeof(prog_path), FP_PIN_ROOT "/progs/%s", name);
	if (!access(prog_path, F_OK))
		return -EEXIST;
	snprintf(dir, sizeof(dir), FP_PIN_ROOT "/maps/%s", name);
	fp_rmtree(dir); /* left by a crash between the two pins */
	/* Still there: not a directory, but a map pinned by its name. */
	if (mkdir(dir, 0700))
		return errno == EEXIST ? -EADDRINUSE : -errno;
	bpf_object__for_each_map(m, o->obj) {
		if (bpf_map__pin_path(m)) /* shared by name, pinned at load */
			continue;
		map_pin_path(path, sizeof(path), dir, bpf_map__name(m));
		err = bpf_map__pin(m, path);
		if (err)
			goto fail;
	}
	err = bpf_program__pin(o->prog, prog_path);
	if (!err)
		return 0;
fail:
	fp_rmtree(dir);
	return err;
}

void fp_obj_close(struct fp_obj *o)
{
	if (!o)
		return;
	bpf_object__close(o->obj);
	free(o->path);
	free(o->mem_name);
	free(o->want);
	free(o->log);
	free(o);
}
