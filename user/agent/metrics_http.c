// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The metrics endpoint's HTTP server thread (metrics_http.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/metrics_http.h"
#include "util/fileio.h"

#define REQUEST_MAX 8192
#define CLIENT_TIMEOUT_S 2
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct cw_metrics_server {
	int fd;
	int stop_pipe[2];
	unsigned port;
	pthread_t thread;
	pthread_mutex_t mu;
	char *text; /* the latest published text, under mu */
	size_t len;
};

/* "HOST:PORT", "[V6]:PORT", ":PORT" into host (empty: any) and port. */
static int split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = addr, *hend;

	if (addr[0] == '[') {
		hend = strchr(addr, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		h = addr + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
			return -EINVAL;
		hend = colon;
	}
	if ((size_t)(hend - h) >= hostlen || strlen(colon + 1) >= portlen || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) > 65535)
		return -EINVAL;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

static int listen_on(const char *addr, int *fd_out, unsigned *port_out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[8];
	int fd = -1, one = 1, ret = 0, gai;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen,
			 "--metrics %s: not ADDR:PORT (e.g. 127.0.0.1:9464, :9464, [::1]:9464)",
			 addr);
		return -EINVAL;
	}
	gai = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "--metrics %s: %s", addr, gai_strerror(gai));
		return -EINVAL;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 16))
			break;
		ret = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "--metrics %s: cannot listen: %s", addr, strerror(-ret));
		return ret ? ret : -EINVAL;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return 0;
}

static void respond(int c, const char *status, const char *type, const char *body, size_t len,
		    bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	if (cw_write_all(c, hdr, (size_t)n) == 0 && !head && len)
		cw_write_all(c, body, len);
}

/* Read the request head; 0 when it ended (\r\n\r\n) within REQUEST_MAX bytes. */
static int read_head(int c, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t n = read(c, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -E2BIG;
}

static void serve_metrics(struct cw_metrics_server *s, int c, bool head)
{
	char *copy = NULL;
	size_t len = 0;

	pthread_mutex_lock(&s->mu);
	if (s->text && (copy = malloc(s->len + 1))) {
		memcpy(copy, s->text, s->len);
		len = s->len;
	}
	pthread_mutex_unlock(&s->mu);
	if (copy)
		respond(c, "200 OK", CONTENT_TYPE, copy, len, head);
	else
		respond(c, "503 Service Unavailable", "text/plain", "starting\n", 9, head);
	free(copy);
}

static void serve(struct cw_metrics_server *s, int c)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	char req[REQUEST_MAX], method[16], path[1024];
	bool head;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_head(c, req, sizeof(req)) || sscanf(req, "%15s %1023s", method, path) != 2) {
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12, false);
		return;
	}
	path[strcspn(path, "?")] = '\0';
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head)
		respond(c, "405 Method Not Allowed", "text/plain", "GET only\n", 9, false);
	else if (!strcmp(path, "/metrics"))
		serve_metrics(s, c, head);
	else if (!strcmp(path, "/"))
		respond(c, "200 OK", "text/plain", "credwatch: metrics at /metrics\n", 31, head);
	else
		respond(c, "404 Not Found", "text/plain", "not found: try /metrics\n", 24, head);
}

static void *server_main(void *arg)
{
	struct cw_metrics_server *s = arg;
	struct pollfd pfd[2] = { { .fd = s->fd, .events = POLLIN },
				 { .fd = s->stop_pipe[0], .events = POLLIN } };

	for (;;) {
		int c;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(s, c);
		close(c);
	}
	return NULL;
}

int cw_metrics_server_start(const char *addr, struct cw_metrics_server **out, char *err,
			    size_t errlen)
{
	struct cw_metrics_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	ret = listen_on(addr, &s->fd, &s->port, err, errlen);
	if (ret) {
		free(s);
		return ret;
	}
	pthread_mutex_init(&s->mu, NULL);
	if (pipe2(s->stop_pipe, O_CLOEXEC) ||
	    (ret = -pthread_create(&s->thread, NULL, server_main, s))) {
		ret = ret ? ret : -errno;
		snprintf(err, errlen, "--metrics %s: cannot start the server: %s", addr,
			 strerror(-ret));
		close(s->fd);
		if (s->stop_pipe[0] >= 0) {
			close(s->stop_pipe[0]);
			close(s->stop_pipe[1]);
		}
		pthread_mutex_destroy(&s->mu);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

unsigned cw_metrics_server_port(const struct cw_metrics_server *s)
{
	return s->port;
}

void cw_metrics_server_publish(struct cw_metrics_server *s, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return; /* the previous text stays */
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->mu);
	free(s->text);
	s->text = copy;
	s->len = len;
	pthread_mutex_unlock(&s->mu);
}

void cw_metrics_server_stop(struct cw_metrics_server *s)
{
	if (!s)
		return;
	/* a pipe with room for a byte: the thread wakes */
	if (write(s->stop_pipe[1], "x", 1) != 1)
		pthread_cancel(s->thread);
	pthread_join(s->thread, NULL);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s->text);
	free(s);
}
