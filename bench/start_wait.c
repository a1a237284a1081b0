// SPDX-License-Identifier: BSD-2-Clause
/* start_wait: run a daemon and time it from exec to serving, serving
 * being a file it writes (its state file) naming its pid as "pid":PID,.
 * The file is looked at every 100 us with two system calls, where a
 * shell loop (grep and sleep each time) would take one of this host's
 * two cores from the daemon it times.
 *
 *   start_wait FILE CMD [ARG...]
 *
 * Prints "PID MS" (MS with one decimal) once FILE names the daemon, and
 * leaves it running (its stdout goes to our stderr); exits 1 if it dies
 * first, or is not serving within 10 s (then it is killed). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* names: FILE holds "pid":PID, (fastpathd's state file is one line). */
static int names(const char *file, const char *want)
{
	char buf[4096];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, want) != NULL;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { 0, 100 * 1000 };
	char want[64];
	double t0;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: start_wait FILE CMD [ARG...]\n");
		return 2;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("start_wait: fork");
		return 1;
	}
	if (!pid) {
		dup2(2, 1); /* the caller reads our stdout alone */
		execvp(argv[2], argv + 2);
		perror("start_wait: exec");
		_exit(127);
	}
	snprintf(want, sizeof(want), "\"pid\":%d,", (int)pid);
	while (!names(argv[1], want)) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "start_wait: %s exited before serving\n", argv[2]);
			return 1;
		}
		if (now_ms() - t0 > 10000) {
			fprintf(stderr, "start_wait: %s not serving after 10 s\n", argv[2]);
			kill(pid, SIGKILL);
			return 1;
		}
		nanosleep(&tick, NULL);
	}
	printf("%d %.1f\n", (int)pid, now_ms() - t0);
	return 0;
}
