// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd: applies the configuration file to the kernel and keeps it
 * applied. Signals and one poll loop; the work is done by the services of
 * fp_service_table (include/fastpath/daemon.h): the pipeline, flow aging,
 * the DHCP server, /metrics and /health. SIGHUP reloads (a bad file keeps
 * what runs), SIGTERM exits and leaves the data plane running; a
 * restarted daemon adopts it. What it applied is verified against the
 * kernel on link events (rtnetlink) and every monitoring interval, and
 * repaired (fp_heal_*, each service's verify). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/firewall.h>
#include <fastpath/functions.h>
#include <fastpath/reconcile.h>

#ifndef FP_VERSION
#define FP_VERSION "unknown"
#endif

static const char usage[] =
	"usage: fastpathd [-c FILE] [--check] [--log-level debug|info|warn|error]\n"
	"                 [--log-file PATH | --syslog] [--version]\n"
	"  -c, --config FILE   configuration (default " FP_CONFIG_DEFAULT_PATH ")\n"
	"      --check         validate FILE and exit: 0 valid, 1 not\n"
	"      --log-level L   the least severe events logged (default info; a running\n"
	"                      daemon's: fastpath debug --log-level L)\n"
	"      --log-file PATH log there, appended (reopened on SIGHUP), not on stderr\n"
	"      --syslog        log to syslog (facility daemon), not on stderr\n";

#define FP_POLL_MAX 64     /* signalfd, rtnetlink, control, every service's */
#define FP_POLL_OWN 3      /* the first three: fastpathd's own */

struct daemon {
	const char *path;
	enum fp_log_level level;
	const char *log_path;           /* --log-file; NULL: stderr */
	FILE *log_file;
	bool syslog;                    /* --syslog */
	int ctl;                        /* the control socket; -1 without */
	struct fp_config *cfg;          /* what runs; NULL before the first apply */
	struct fp_service_env env;      /* what was decided for it */
	struct fp_services *svc;
	struct fp_heal *heal;           /* repairs, alerts, when to verify */
	struct fp_daemon_state state;
	struct fp_logger log;           /* log_line, for fp_log() and the library */
	char *why;                      /* non-NULL: the first error logged goes here */
	size_t why_size;
};

static void log_line(void *ctx, enum fp_log_level level, const char *msg)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	const struct daemon *d = ctx;
	char ts[32];
	time_t now = time(NULL);

	if (level == FP_LOG_ERROR && d->why && !d->why[0])
		snprintf(d->why, d->why_size, "%s", msg);
	if (level < d->level)
		return;
	if (d->syslog) {
		syslog(prio[level], "%s: %s", fp_log_level_str(level), msg);
		return;
	}
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(d->log_file ? d->log_file : stderr, "%s fastpathd %s: %s\n", ts,
		fp_log_level_str(level), msg);
	if (d->log_file)
		fflush(d->log_file);
}

/* --log-file: (re)opened at start and on SIGHUP, so logrotate may move it. */
static int log_open(struct daemon *d)
{
	int fd;
	FILE *f;

	if (!d->log_path)
		return 0;
	fd = open(d->log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "a");
	if (!f) {
		fprintf(stderr, "fastpathd: cannot open the log file %s: %s\n", d->log_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (d->log_file)
		fclose(d->log_file);
	d->log_file = f;
	return 0;
}

static int reload(struct daemon *d, const char *why);

/* A control request: "log-level LEVEL" or "reload". */
static void control(void *ctx, const char *req, char *reply, size_t size)
{
	struct daemon *d = ctx;
	enum fp_log_level level, was = d->level;
	char why[FP_CONTROL_MSG_MAX - 64] = "";

	if (!strcmp(req, "reload")) {
		d->why = why;
		d->why_size = sizeof(why);
		if (reload(d, "asked on " FP_CONTROL_SOCK))
			snprintf(reply, size, "error: the running configuration stays: %s",
				 why[0] ? why : "see fastpathd's log");
		else
			snprintf(reply, size, "ok: reloaded %s", d->path);
		d->why = NULL;
		return;
	}
	if (strncmp(req, "log-level ", 10)) {
		snprintf(reply, size, "error: unknown request '%.64s' (known: log-level LEVEL, "
			 "reload)", req);
		return;
	}
	if (fp_log_level_parse(req + 10, &level)) {
		snprintf(reply, size, "error: log level '%.32s' is not debug, info, warn or "
			 "error", req + 10);
		return;
	}
	d->level = FP_LOG_DEBUG;        /* the change is said whatever the levels */
	fp_log(&d->log, FP_LOG_INFO, "log level %s (was %s), asked on %s",
	       fp_log_level_str(level), fp_log_level_str(was), FP_CONTROL_SOCK);
	d->level = level;
	fp_set_verbose(level == FP_LOG_DEBUG);
	snprintf(reply, size, "ok: log level %s (was %s)", fp_log_level_str(level),
		 fp_log_level_str(was));
}

/* The second thread of load_config: the programs of the interfaces with
 * no pipeline yet loaded, nothing pinned or attached. */
static void *preload(void *arg)
{
	fp_reconcile_preload(arg);
	return NULL;
}

/* Checked against the system, nothing applied. */
static int check_config(struct daemon *d, struct fp_config *cfg)
{
	struct fp_config_error err = { 0 };
	int rc = fp_config_preflight(cfg, &err);

	if (rc) {
		fp_log(&d->log, FP_LOG_ERROR, "%s: %s", d->path, err.msg);
		return rc;
	}
	/* Handlers, users, namespaces exist; users and groups to ids. */
	rc = fp_functions_preflight(cfg->functions, cfg->n_functions, d->path, &err);
	if (rc)
		fp_log(&d->log, FP_LOG_ERROR, "%s", err.msg);
	return rc;
}

/* Load, validate whole and check against the system; nothing is applied.
 * AHEAD (at start): the programs of interfaces with no pipeline yet load
 * on a second thread while the configuration is checked (the verifier's
 * walk beside the rule set's compile, tens of ms each), and the rule
 * set's maps are made meanwhile; none of it is pinned, attached or
 * published before the apply, and it is dropped if the check fails. */
static int load_config(struct daemon *d, struct fp_config *cfg, bool ahead)
{
	struct fp_config_error err = { 0 };
	int rc = fp_config_load(d->path, cfg, &err);
	pthread_t thread;

	if (rc == -EINVAL) {
		fp_log(&d->log, FP_LOG_ERROR, "%s", err.msg);
		return rc;
	}
	if (rc) {
		fp_log(&d->log, FP_LOG_ERROR, "cannot read %s: %s", d->path, strerror(-rc));
		return rc;
	}
	if (cfg->warnings.n)
		fp_log(&d->log, FP_LOG_WARN, "%s", cfg->warnings.msg);
	ahead = ahead && cfg->ebpf.enabled && !fp_check_privileges() &&
		fp_reconcile_fresh(cfg) && !pthread_create(&thread, NULL, preload, cfg);
	rc = check_config(d, cfg);
	/* While the pipeline loads: the rule set's maps, made and filled
	 * (an interface with no pipeline has no set to keep). */
	if (ahead && !rc)
		fp_firewall_check_stage();
	if (ahead)
		pthread_join(thread, NULL);
	if (!rc)
		return 0;
	if (ahead)
		fp_pipeline_preload_drop();
	fp_config_free(cfg);
	fp_firewall_check_release();
	return rc;
}

static void write_state(struct daemon *d)
{
	struct fp_daemon_state *st = &d->state;

	st->pid = getpid();
	snprintf(st->config, sizeof(st->config), "%s", d->path);
	st->ebpf = d->env.ebpf;
	fp_services_state(d->svc, st);
	fp_heal_state(d->heal, st);
	if (fp_daemon_state_write(st))
		fp_log(&d->log, FP_LOG_WARN, "cannot write %s", FP_DAEMON_STATE);
}

/* Decide between the eBPF data plane and userspace-only mode; REASON
 * says why the latter ("" for the former). */
static bool ebpf_usable(const struct fp_config *cfg, char *reason, size_t size)
{
	int err;

	reason[0] = '\0';
	if (!cfg->ebpf.enabled)
		snprintf(reason, size, "orchestrator.ebpf.enabled is false");
	else if (fp_check_privileges())
		snprintf(reason, size, "not root and no CAP_BPF + CAP_NET_ADMIN");
	else if ((err = fp_bpffs_prepare()))
		snprintf(reason, size, "bpffs unavailable: %s", strerror(-err));
	return !reason[0];
}

/* Apply CFG (allocated; taken on success) through every service; on
 * failure what ran keeps running (fp_services_apply puts it back). */
static int apply(struct daemon *d, struct fp_config *cfg)
{
	struct fp_service_env env = { .log = &d->log, .heal = d->heal };
	char reason[sizeof(d->state.reason)];
	int err;

	env.ebpf = ebpf_usable(cfg, reason, sizeof(reason));
	if (!env.ebpf)
		fp_log(&d->log, FP_LOG_WARN, "userspace-only mode: %s", reason);
	err = fp_services_apply(d->svc, cfg, d->cfg, &env, &d->env);
	/* The firewall the check compiled, when no interface took it (the
	 * data plane in userspace-only mode, say): not held. */
	fp_firewall_check_release();
	if (err && d->cfg)
		fp_log(&d->log, FP_LOG_ERROR, "applying %s failed; restoring the "
		       "previous configuration", d->path);
	if (err) {
		fp_alert_raise(d->heal, FP_ALERT_APPLY_FAILED, "", "applying %s failed: %s",
			       d->path, strerror(-err));
		return err;
	}
	fp_alert_clear(d->heal, FP_ALERT_APPLY_FAILED, "");
	fp_heal_configure(d->heal, cfg->monitoring_interval_ms, &cfg->alerts);
	if (d->cfg) {
		fp_config_free(d->cfg);
		free(d->cfg);
	}
	d->cfg = cfg;
	d->env = env;
	snprintf(d->state.reason, sizeof(d->state.reason), "%s", reason);
	/* What compiling and loading freed in smaller blocks, back too. */
	malloc_trim(0);
	return 0;
}

/* Reload the file (SIGHUP, or `fastpath reload`: WHY says which); on
 * failure what runs stays. */
static int reload(struct daemon *d, const char *why)
{
	struct fp_config *cfg = malloc(sizeof(*cfg));

	log_open(d);
	fp_log(&d->log, FP_LOG_INFO, "%s: reloading %s", why, d->path);
	if (!cfg || load_config(d, cfg, false)) {
		free(cfg);
		fp_log(&d->log, FP_LOG_ERROR, "reload failed; the running configuration stays");
		return -EINVAL;
	}
	if (apply(d, cfg)) {
		fp_config_free(cfg);
		free(cfg);
		fp_log(&d->log, FP_LOG_ERROR, "reload failed; the running configuration stays");
		return -EIO;
	}
	write_state(d);
	fp_log(&d->log, FP_LOG_INFO, "reloaded %s", d->path);
	return 0;
}

/* Why the lock cannot be had, said once. */
static int lock_error(struct daemon *d, const char *path)
{
	int err = -errno;

	if (err == -EACCES || err == -EPERM || err == -EROFS)
		fp_log(&d->log, FP_LOG_ERROR, "cannot create %s: %s; fastpathd needs root "
		       "(or CAP_BPF and CAP_NET_ADMIN, and %s writable by its user)", path,
		       strerror(-err), FP_RUN_DIR);
	else
		fp_log(&d->log, FP_LOG_ERROR, "cannot create %s: %s", path, strerror(-err));
	return err;
}

/* One fastpathd at a time: a lock held for the process's life. */
static int single_instance(struct daemon *d)
{
	int fd;

	if (mkdir(FP_RUN_DIR, 0755) && errno != EEXIST)
		return lock_error(d, FP_RUN_DIR);
	fd = open(FP_DAEMON_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return lock_error(d, FP_DAEMON_LOCK);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		struct fp_daemon_state st;

		fp_daemon_state_read(&st);
		fp_log(&d->log, FP_LOG_ERROR, "another fastpathd is running (pid %d); stop "
		     "it first, or send it SIGHUP to reload", st.pid);
		close(fd);
		return -EBUSY;
	}
	return fd;
}

/* poll's timeout: the first of the services' deadlines and the next verify. */
static int loop_timeout(const struct daemon *d)
{
	unsigned long long now = fp_monotonic_ms();
	int a = fp_services_timeout(d->svc, now), b = fp_heal_timeout(d->heal, now);

	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Link events read; when due, every service verifies and repairs. */
static void heal(struct daemon *d, const struct pollfd *nl)
{
	if (nl->revents)
		fp_heal_events(d->heal, fp_monotonic_ms());
	if (fp_heal_due(d->heal, fp_monotonic_ms())) {
		fp_heal_begin(d->heal);
		fp_heal_end(d->heal, fp_services_verify(d->svc), fp_monotonic_ms());
	}
	if (fp_heal_dirty(d->heal))
		write_state(d);
}

static int run(struct daemon *d)
{
	struct signalfd_siginfo si;
	struct pollfd fds[FP_POLL_MAX], *pfd = &fds[0], *nl = &fds[1], *ctl = &fds[2];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pfd->fd = signalfd(-1, &set, SFD_CLOEXEC);
	pfd->events = POLLIN;
	if (pfd->fd < 0) {
		fp_log(&d->log, FP_LOG_ERROR, "signalfd: %s", strerror(errno));
		return 1;
	}
	nl->fd = fp_heal_fd(d->heal);
	nl->events = POLLIN;
	ctl->fd = d->ctl;
	ctl->events = POLLIN;
	for (;;) {
		int n = fp_services_pollfds(d->svc, fds + FP_POLL_OWN, FP_POLL_MAX - FP_POLL_OWN);
		int ready = poll(fds, (nfds_t)(FP_POLL_OWN + n), loop_timeout(d));

		if (ready > 0)
			fp_services_ready(d->svc, fds + FP_POLL_OWN);
		else
			nl->revents = ctl->revents = 0;
		if (ctl->revents & POLLIN)
			fp_control_serve(ctl->fd, control, d);
		fp_services_tick(d->svc, fp_monotonic_ms());
		heal(d, nl);
		if (ready <= 0 || !(pfd->revents & POLLIN) ||
		    read(pfd->fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(d, "SIGHUP");
			continue;
		}
		fp_log(&d->log, FP_LOG_INFO, "%s: exiting; the data plane keeps running "
		     "(fastpath down DEV removes it)", strsignal(si.ssi_signo));
		return 0;
	}
}

static int parse_args(int argc, char **argv, struct daemon *d, bool *check)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-file", required_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->path = optarg;
			break;
		case 'k':
			*check = true;
			break;
		case 'l':
			if (fp_log_level_parse(optarg, &d->level)) {
				fprintf(stderr, "fastpathd: --log-level takes debug, info, "
					"warn or error, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'f':
			d->log_path = optarg;
			break;
		case 's':
			d->syslog = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			printf("fastpathd %s\n", FP_VERSION);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (d->syslog && d->log_path) {
		fprintf(stderr, "fastpathd: give --log-file or --syslog, not both\n");
		return 2;
	}
	return 0;
}

/* The control socket; without it fastpathd runs on (said once). */
static void control_open(struct daemon *d)
{
	d->ctl = fp_control_listen(FP_CONTROL_SOCK);
	if (d->ctl < 0)
		fp_log(&d->log, FP_LOG_WARN, "cannot listen on %s: %s; fastpath debug will "
		       "not reach this daemon", FP_CONTROL_SOCK, strerror(-d->ctl));
}

int main(int argc, char **argv)
{
	struct daemon d = { .path = FP_CONFIG_DEFAULT_PATH, .level = FP_LOG_INFO, .ctl = -1 };
	struct fp_config *cfg;
	bool check = false;
	int rc, lock;

	/* Blocks of 128 KiB or more straight from mmap, so that they go back
	 * to the system when freed: a rule set's compile (MBs) and a walk of
	 * the leases are transient. glibc's own threshold grows after the
	 * first such free and would keep them in the heap (10k rules and
	 * 110k leases: 42 -> 30 MB resident). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	d.log = (struct fp_logger){ .fn = log_line, .ctx = &d };
	d.env.log = &d.log;
	rc = parse_args(argc, argv, &d, &check);
	if (rc)
		return rc;
	/* --check answers whoever ran it, on stderr. */
	if (check)
		d.syslog = false, d.log_path = NULL;
	if (d.syslog)
		openlog("fastpathd", LOG_PID, LOG_DAEMON);
	if (log_open(&d))
		return 1;
	fp_set_verbose(d.level == FP_LOG_DEBUG);
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		fp_log(&d.log, FP_LOG_ERROR, "out of memory");
		return 1;
	}
	if (check) {
		rc = load_config(&d, cfg, false);
		if (!rc) {
			printf("%s: valid\n", d.path);
			fp_config_free(cfg);
		}
		free(cfg);
		return rc ? 1 : 0;
	}
	lock = single_instance(&d);
	if (lock < 0 || load_config(&d, cfg, true)) {
		free(cfg);
		return 1;
	}
	rc = fp_heal_open(&d.log, &d.heal);
	rc = rc ?: fp_services_open(fp_service_table, &d.svc);
	if (rc) {
		fp_log(&d.log, FP_LOG_ERROR, "cannot start the services: %s", strerror(-rc));
		fp_pipeline_preload_drop();
		fp_firewall_check_release();
		fp_heal_close(d.heal);
		fp_config_free(cfg);
		free(cfg);
		return 1;
	}
	d.state.started = time(NULL);
	fp_log(&d.log, FP_LOG_INFO, "starting with %s (pid %d)", d.path, getpid());
	rc = apply(&d, cfg);
	/* What was loaded ahead and not taken (a load that failed ahead is
	 * tried again by the apply, which reports it). */
	fp_pipeline_preload_drop();
	if (rc) {
		fp_services_close(d.svc);
		fp_heal_close(d.heal);
		fp_daemon_state_remove();
		fp_config_free(cfg);
		free(cfg);
		return 1;
	}
	write_state(&d);
	control_open(&d);
	rc = run(&d);
	if (d.ctl >= 0) {
		close(d.ctl);
		unlink(FP_CONTROL_SOCK);
	}
	fp_services_close(d.svc);
	fp_heal_close(d.heal);
	fp_daemon_state_remove();
	fp_config_free(d.cfg);
	free(d.cfg);
	close(lock);
	return rc;
}
