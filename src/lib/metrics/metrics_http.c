// SPDX-License-Identifier: BSD-2-Clause
/* The metrics endpoint: /metrics and /health over HTTP, served by
 * libmicrohttpd from its own thread (MHD_USE_INTERNAL_POLLING_THREAD),
 * so the daemon needs only a start and a stop. Each request reads the
 * pins afresh; nothing is cached. The one thing shared with the daemon's
 * loop is the custom metrics' definitions, a copy swapped under a lock
 * on reload. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <fastpath/metrics.h>

struct fp_metrics_http {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;           /* custom */
	struct fp_metrics_config custom;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, struct fp_text *t)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	/* MUST_FREE: the response owns the text from here. */
	r = MHD_create_response_from_buffer(t->len, t->data ? t->data : (char *)"",
					    t->data ? MHD_RESPMEM_MUST_FREE
						    : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		fp_text_free(t);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* RFC 9110 §15.5.6: a 405 says which methods are. */
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **req)
{
	struct fp_metrics_http *srv = cls;
	struct fp_text t = { 0 };
	struct fp_health h;
	int err;

	(void)version; (void)upload; (void)upload_size; (void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		fp_text_printf(&t, "only GET\n");
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", &t);
	}
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&srv->lock);
		err = fp_metrics_text(&srv->custom, &t);
		pthread_mutex_unlock(&srv->lock);
		if (err) {
			fp_text_free(&t);
			fp_text_printf(&t, "cannot read the metrics: %s\n", strerror(-err));
			return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", &t);
		}
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &t);
	}
	if (!strcmp(url, "/health")) {
		if (fp_health_run(&h))
			return MHD_NO;
		pthread_mutex_lock(&srv->lock);
		err = fp_metrics_custom_health(&srv->custom, &h);
		pthread_mutex_unlock(&srv->lock);
		if (err) {
			fp_health_free(&h);
			return MHD_NO;
		}
		fp_health_json(&h, &t);
		err = h.ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
		fp_health_free(&h);
		return reply(conn, err, "application/json", &t);
	}
	fp_text_printf(&t, "not found: try /metrics or /health\n");
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", &t);
}

int fp_metrics_http_start(const char *address, int port, struct fp_metrics_http **out)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct fp_metrics_http *srv;

	*out = NULL;
	if (port <= 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		return -EINVAL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	pthread_mutex_init(&srv->lock, NULL);
	errno = 0;
	srv->mhd = MHD_start_daemon(flags, port, NULL, NULL, handle, srv,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_CONNECTION_LIMIT, 64u,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		int err = errno ? -errno : -EADDRNOTAVAIL;

		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return err;
	}
	*out = srv;
	return 0;
}

int fp_metrics_http_set_custom(struct fp_metrics_http *srv, const struct fp_metrics_config *cfg)
{
	struct fp_metrics_config copy, old;
	int err = fp_metrics_config_copy(&copy, cfg);

	if (err)
		return err;
	pthread_mutex_lock(&srv->lock);
	old = srv->custom;
	srv->custom = copy;
	pthread_mutex_unlock(&srv->lock);
	fp_metrics_config_free(&old);
	return 0;
}

void fp_metrics_http_stop(struct fp_metrics_http *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->mhd);
	fp_metrics_config_free(&srv->custom);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
