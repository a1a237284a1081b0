// SPDX-License-Identifier: BSD-2-Clause
/* Every public header (include/fastpath, each .h) compiles on its own: a file
 * that includes only it (twice: the include guard holds) builds with the
 * project's warnings as errors. One test per header, found when the test
 * runs, so a header added later is checked without touching this file.
 * The compiler is $CC (default cc); the tree is $FP_SRCDIR (default the
 * current directory: the top of the repository, as `make test` runs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

static const char *srcdir(void)
{
	const char *d = getenv("FP_SRCDIR");

	return d && *d ? d : ".";
}

/* compile: HEADER included twice into an empty C file, warnings as
 * errors, only the public and the shared ABI directories on the include
 * path. Returns the compiler's exit status (its messages go to stderr). */
static int compile(const char *header)
{
	const char *cc = getenv("CC");
	char inc[4096], abi[4096];
	pid_t pid;
	int status;

	snprintf(inc, sizeof(inc), "-I%s/include", srcdir());
	snprintf(abi, sizeof(abi), "-I%s/bpf", srcdir());
	if (!cc || !*cc)
		cc = "cc";
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execlp(cc, cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", inc, abi,
		       "-fsyntax-only", "-include", header, "-include", header,
		       "-x", "c", "/dev/null", (char *)NULL);
		perror(cc);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_header_compiles_alone(void **state)
{
	const char *header = *state;

	if (compile(header))
		fail_msg("%s does not compile on its own", header);
}

int main(void)
{
	struct CMUnitTest *tests;
	char pattern[4096];
	glob_t g;
	int rc;

	snprintf(pattern, sizeof(pattern), "%s/include/fastpath/*.h", srcdir());
	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
		fprintf(stderr, "test_headers: no %s (run from the top of the tree, "
			"or set FP_SRCDIR)\n", pattern);
		return 1;
	}
	tests = calloc(g.gl_pathc, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *name = strstr(g.gl_pathv[i], "include/fastpath/");

		tests[i].name = name ? name + strlen("include/") : g.gl_pathv[i];
		tests[i].test_func = test_header_compiles_alone;
		tests[i].initial_state = g.gl_pathv[i];
	}
	rc = _cmocka_run_group_tests("test_headers", tests, g.gl_pathc, NULL, NULL);
	free(tests);
	globfree(&g);
	return rc;
}
