/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The metrics endpoint (`run --metrics ADDR:PORT`): a thread that answers GET /metrics with
 * the latest text the main loop published, one connection at a time (a scrape is one small
 * request; a client that stalls is cut after a timeout). The thread never reads a counter:
 * it copies the published buffer under a mutex.
 */
#ifndef CW_AGENT_METRICS_HTTP_H
#define CW_AGENT_METRICS_HTTP_H

#include <stddef.h>

struct cw_metrics_server;

/*
 * Listen on addr ("HOST:PORT", "[V6ADDR]:PORT", or ":PORT" for every address) and start the
 * thread. 0, or -errno with a one-line reason in err (a malformed address, a bind failure).
 */
int cw_metrics_server_start(const char *addr, struct cw_metrics_server **out, char *err,
			    size_t errlen);
/* The port it listens on (useful with port 0). */
unsigned cw_metrics_server_port(const struct cw_metrics_server *s);
/* Replace the text served: a copy is taken. */
void cw_metrics_server_publish(struct cw_metrics_server *s, const char *text, size_t len);
/* Stop the thread and close the socket. NULL is a no-op. */
void cw_metrics_server_stop(struct cw_metrics_server *s);

#endif
