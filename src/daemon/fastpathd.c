// SPDX-License-Identifier: BSD-2-Clause
/* fastpathd: applies the configuration file to the kernel and keeps it
 * applied. SIGHUP reloads (a bad file keeps what runs), SIGTERM exits and
 * leaves the data plane running; a restarted daemon adopts it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <fastpath/config.h>
#include <fastpath/daemon.h>
#include <fastpath/dhcp.h>
#include <fastpath/flows.h>
#include <fastpath/metrics.h>
#include <fastpath/reconcile.h>

#ifndef FP_VERSION
#define FP_VERSION "unknown"
#endif

static const char usage[] =
	"usage: fastpathd [-c FILE] [--check] [--log-level debug|info|warn|error] [--version]\n"
	"  -c, --config FILE   configuration (default " FP_CONFIG_DEFAULT_PATH ")\n"
	"      --check         validate FILE and exit: 0 valid, 1 not\n"
	"      --log-level L   the least severe events logged (default info)\n";

static const char *const level_words[] = { "debug", "info", "warn", "error" };

struct daemon {
	const char *path;
	enum fp_log_level level;
	struct fp_config cfg;   /* what runs */
	bool have_cfg;
	struct fp_daemon_state state;
	unsigned long long next_age_ms; /* CLOCK_MONOTONIC: the next flow aging */
	unsigned long long next_tick_ms; /* CLOCK_MONOTONIC: the next DHCP tick */
	struct fp_dhcp_server *dhcp;    /* NULL: no DHCP server */
	struct fp_logger log;           /* log_line, for fp_log() and the library */
	struct fp_metrics_http *http;   /* /metrics and /health; NULL: off */
	int http_port;                  /* what http listens on */
	char http_addr[FP_CONFIG_ADDR_MAX];
};

static void log_line(void *ctx, enum fp_log_level level, const char *msg)
{
	const struct daemon *d = ctx;
	char ts[32];
	time_t now = time(NULL);

	if (level < d->level)
		return;
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(stderr, "%s fastpathd %s: %s\n", ts, level_words[level], msg);
}

/* Load, validate whole and check against the system; nothing is applied. */
static int load_config(struct daemon *d, struct fp_config *cfg)
{
	struct fp_config_error err = { 0 };
	int rc = fp_config_load(d->path, cfg, &err);

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
	rc = fp_config_preflight(cfg, &err);
	if (rc) {
		fp_log(&d->log, FP_LOG_ERROR, "%s: %s", d->path, err.msg);
		fp_config_free(cfg);
	}
	return rc;
}

static void write_state(struct daemon *d)
{
	struct fp_daemon_state *st = &d->state;
	size_t off = 0;

	st->pid = getpid();
	snprintf(st->config, sizeof(st->config), "%s", d->path);
	st->interfaces[0] = '\0';
	for (size_t i = 0; st->ebpf && i < d->cfg.ebpf.n_interfaces; i++) {
		int n = snprintf(st->interfaces + off, sizeof(st->interfaces) - off,
				 "%s%s", off ? "," : "", d->cfg.ebpf.interfaces[i]);

		if (n < 0 || (size_t)n >= sizeof(st->interfaces) - off)
			break;
		off += n;
	}
	st->dhcp_interface[0] = st->dhcp_lease_file[0] = '\0';
	if (d->dhcp) {
		snprintf(st->dhcp_interface, sizeof(st->dhcp_interface), "%s",
			 d->cfg.dhcp.interface);
		snprintf(st->dhcp_lease_file, sizeof(st->dhcp_lease_file), "%s",
			 d->cfg.dhcp.lease_file);
	}
	if (fp_daemon_state_write(st))
		fp_log(&d->log, FP_LOG_WARN, "cannot write %s", FP_DAEMON_STATE);
}

/* Decide between the eBPF data plane and userspace-only mode, and say why. */
static bool ebpf_usable(struct daemon *d, const struct fp_config *cfg)
{
	int err;

	d->state.reason[0] = '\0';
	if (!cfg->ebpf.enabled) {
		snprintf(d->state.reason, sizeof(d->state.reason),
			 "orchestrator.ebpf.enabled is false");
	} else if (fp_check_privileges()) {
		snprintf(d->state.reason, sizeof(d->state.reason),
			 "not root and no CAP_BPF + CAP_NET_ADMIN");
	} else if ((err = fp_bpffs_prepare())) {
		snprintf(d->state.reason, sizeof(d->state.reason),
			 "bpffs unavailable: %s", strerror(-err));
	}
	return !d->state.reason[0];
}

/* Apply cfg over what runs; on failure put back what ran. The caller
 * writes the state file once DHCP is in line too (dhcp_apply). */
static int apply(struct daemon *d, struct fp_config *cfg)
{
	const struct fp_config *prev = d->have_cfg ? &d->cfg : NULL;
	bool ebpf = ebpf_usable(d, cfg);
	struct fp_config off;
	int err;

	if (!ebpf) {
		fp_log(&d->log, FP_LOG_WARN, "userspace-only mode: %s", d->state.reason);
		/* Take down what a previous config brought up, if we can. */
		fp_config_defaults(&off);
		off.ebpf.enabled = false;
		if (prev && prev->ebpf.enabled && !fp_check_privileges())
			fp_reconcile(&off, prev, &d->log);
		err = 0;
	} else {
		err = fp_reconcile(cfg, prev, &d->log);
		if (err && prev) {
			fp_log(&d->log, FP_LOG_ERROR, "applying %s failed; restoring the "
			     "previous configuration", d->path);
			fp_reconcile(prev, cfg, &d->log);
			return err;
		}
		if (err)
			return err;
	}
	if (d->have_cfg)
		fp_config_free(&d->cfg);
	d->cfg = *cfg;
	d->have_cfg = true;
	d->state.ebpf = ebpf;
	return 0;
}

/* Bring the DHCP server in line with d->cfg: open it (after reconcile, so
 * the fast path's maps exist), reload it, or stop it. */
static int dhcp_apply(struct daemon *d)
{
	int err;

	if (!d->cfg.dhcp.present) {
		if (d->dhcp)
			fp_log(&d->log, FP_LOG_INFO, "dhcp: no dhcp section any more; server stopped");
		fp_dhcp_server_close(d->dhcp);
		d->dhcp = NULL;
		return 0;
	}
	if (d->dhcp) {
		err = fp_dhcp_server_reload(d->dhcp, &d->cfg.dhcp);
		if (err)
			fp_log(&d->log, FP_LOG_ERROR, "dhcp: reload failed (%s); serving the "
			     "previous DHCP configuration", strerror(-err));
		return err;
	}
	err = fp_dhcp_server_open(&d->cfg.dhcp, &d->log, &d->dhcp);
	if (err)
		fp_log(&d->log, FP_LOG_ERROR, "dhcp: cannot serve on %s: %s", d->cfg.dhcp.interface,
		     strerror(-err));
	return err;
}

/* Serve /metrics and /health on orchestrator.prometheus_address:port
 * (port 0: not at all); restarted only when they change. The endpoint
 * runs on libmicrohttpd's thread, which must not take the signals the
 * loop reads from its signalfd: it starts with them blocked. A port that
 * cannot be bound is logged; the data plane does not depend on it. */
static void metrics_apply(struct daemon *d)
{
	const struct fp_config *c = &d->cfg;
	sigset_t set, old;
	int err;

	if (d->http && d->http_port == c->prometheus_port &&
	    !strcmp(d->http_addr, c->prometheus_address))
		return;
	fp_metrics_http_stop(d->http);
	d->http = NULL;
	d->http_port = 0;
	if (!c->prometheus_port)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	err = fp_metrics_http_start(c->prometheus_address, c->prometheus_port, &d->http);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fp_log(&d->log, FP_LOG_ERROR, "metrics: cannot serve on %s port %d: %s",
		       c->prometheus_address, c->prometheus_port, strerror(-err));
		return;
	}
	d->http_port = c->prometheus_port;
	snprintf(d->http_addr, sizeof(d->http_addr), "%s", c->prometheus_address);
	fp_log(&d->log, FP_LOG_INFO, "metrics: serving /metrics and /health on %s port %d",
	       d->http_addr, d->http_port);
}

static void reload(struct daemon *d)
{
	struct fp_config cfg;

	fp_log(&d->log, FP_LOG_INFO, "SIGHUP: reloading %s", d->path);
	if (load_config(d, &cfg)) {
		fp_log(&d->log, FP_LOG_ERROR, "reload failed; the running configuration stays");
		return;
	}
	if (apply(d, &cfg)) {
		fp_config_free(&cfg);
		fp_log(&d->log, FP_LOG_ERROR, "reload failed; the running configuration stays");
		return;
	}
	dhcp_apply(d);
	metrics_apply(d);
	write_state(d);
	fp_log(&d->log, FP_LOG_INFO, "reloaded %s", d->path);
}

/* One fastpathd at a time: a lock held for the process's life. */
static int single_instance(struct daemon *d)
{
	int fd;

	if (mkdir(FP_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = open(FP_DAEMON_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
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

static unsigned long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Age idle flows on every interface, every max(1 s, idle_timeout / 4): a
 * flow outlives its timeout by a quarter of it at most. */
static void age_flows(struct daemon *d)
{
	const struct fp_flows_config *f = &d->cfg.flows;
	unsigned long long now = monotonic_ms();
	size_t n;
	int err;

	if (!d->have_cfg || !d->state.ebpf || !f->enabled || now < d->next_age_ms)
		return;
	d->next_age_ms = now + (f->idle_timeout_ms / 4 > 1000 ? f->idle_timeout_ms / 4 : 1000);
	for (size_t i = 0; i < d->cfg.ebpf.n_interfaces; i++) {
		const char *dev = d->cfg.ebpf.interfaces[i];

		err = fp_flows_age(dev, f->idle_timeout_ms, &n);
		if (err)
			fp_log(&d->log, FP_LOG_DEBUG, "flows on %s: aging: %s", dev, strerror(-err));
		else if (n)
			fp_log(&d->log, FP_LOG_DEBUG, "flows on %s: %zu idle for %u ms or more aged out",
			     dev, n, f->idle_timeout_ms);
	}
}

/* Serve DHCP: what is readable, and the tick once a second. */
static void dhcp_poll(struct daemon *d, const struct pollfd *fds, int n)
{
	unsigned long long now;
	bool readable = false;

	if (!d->dhcp)
		return;
	for (int i = 0; i < n; i++)
		readable |= (fds[i].revents & (POLLIN | POLLERR)) != 0;
	if (readable)
		fp_dhcp_server_process(d->dhcp);
	now = monotonic_ms();
	if (now >= d->next_tick_ms) {
		d->next_tick_ms = now + 1000;
		fp_dhcp_server_tick(d->dhcp);
	}
}

static int run(struct daemon *d)
{
	struct signalfd_siginfo si;
	struct pollfd fds[8], *pfd = &fds[0];
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
	for (;;) {
		int n = d->dhcp ? fp_dhcp_server_pollfds(d->dhcp, fds + 1, 7) : 0;
		int ready = poll(fds, (nfds_t)(1 + n), 1000);

		age_flows(d);
		dhcp_poll(d, fds + 1, ready > 0 ? n : 0);
		if (ready <= 0 || !(pfd->revents & POLLIN) ||
		    read(pfd->fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(d);
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c, i;

	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->path = optarg;
			break;
		case 'k':
			*check = true;
			break;
		case 'l':
			for (i = 0; i < 4 && strcmp(optarg, level_words[i]); i++)
				;
			if (i == 4) {
				fprintf(stderr, "fastpathd: --log-level takes debug, info, "
					"warn or error, not '%s'\n", optarg);
				return 2;
			}
			d->level = i;
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
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .path = FP_CONFIG_DEFAULT_PATH, .level = FP_LOG_INFO };
	struct fp_config cfg;
	bool check = false;
	int rc, lock;

	d.log = (struct fp_logger){ .fn = log_line, .ctx = &d };
	rc = parse_args(argc, argv, &d, &check);
	if (rc)
		return rc;
	fp_set_verbose(d.level == FP_LOG_DEBUG);
	if (check) {
		rc = load_config(&d, &cfg);
		if (!rc) {
			printf("%s: valid\n", d.path);
			fp_config_free(&cfg);
		}
		return rc ? 1 : 0;
	}
	lock = single_instance(&d);
	if (lock < 0)
		return 1;
	if (load_config(&d, &cfg))
		return 1;
	d.state.started = time(NULL);
	fp_log(&d.log, FP_LOG_INFO, "starting with %s (pid %d)", d.path, getpid());
	if (apply(&d, &cfg)) {
		fp_config_free(&cfg);
		return 1;
	}
	if (dhcp_apply(&d)) {
		fp_daemon_state_remove();
		fp_config_free(&d.cfg);
		return 1;
	}
	write_state(&d);
	metrics_apply(&d);
	rc = run(&d);
	fp_metrics_http_stop(d.http);
	fp_dhcp_server_close(d.dhcp);
	fp_daemon_state_remove();
	fp_config_free(&d.cfg);
	close(lock);
	return rc;
}
