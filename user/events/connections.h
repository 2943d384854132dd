/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Connections: the TCP sockets a process sends on and the TLS sessions whose plaintext the
 * library probes copy (sent, and received with --capture-inbound): where each goes (address,
 * port, server name), the protocol it speaks, and one matcher stream per connection or session
 * over its bytes. The credentials found are judged by exposure (judge/) and reported.
 */
#ifndef CW_CONNECTIONS_H
#define CW_CONNECTIONS_H

#include <stdint.h>

#include "events/decoder.h"
#include "events/handler.h"
#include "output/finding.h"

#define CW_CONNS_MAX                                                       \
	16384 /* connections and sessions held at once; the least recently \
	       * active goes first */

struct cw_conns_entry;

struct cw_conns {
	struct cw_finding_writer *f;
	struct cw_matcher *matcher;
	struct cw_exposure *x;	/* the judge; NULL: observations and destinations only */
	struct cw_procs *procs; /* executables by pid; may be NULL */
	int conns_map_fd;	/* the kernel's table: entries of exited processes are deleted */
	int bound_map_fd;	/* TLS sessions bound to a socket: forgotten when they end */
	int captured_map_fd;	/* TLS sessions' payload budgets: likewise; -1 when none */
	uint32_t
		*fd_marks; /* the kernel's filter in front of conns (kernel_marks.h); may be NULL */
	struct cw_conns_entry *table; /* internal: connections and sessions (uthash) */
	size_t nconns;
	/* counters */
	uint64_t conns_seen, conns_evicted, bytes, unexpected_destination, foreign_egress;
	uint64_t gaps; /* writes after bytes not copied (the payload budget) */
	/* for the destination @kubernetes-apiserver (judge/apiserver.h); may be NULL */
	struct cw_apiservers *apis;
	struct cw_workloads *wls; /* the sender's pod, for the above; may be NULL */
};

/* The kernel's side of connection tracking, which the agent keeps in step: a map fd is -1 and
 * fd_marks NULL where there is none. */
struct cw_conns_kernel {
	int conns_map_fd, bound_map_fd, captured_map_fd;
	uint32_t *fd_marks;
};

int cw_conns_init(struct cw_conns *e, const struct cw_handler_deps *d,
		  const struct cw_conns_kernel *k);
void cw_conns_free(struct cw_conns *e);

/* Each returns 0 or -errno (an output error). */
int cw_conns_conn(struct cw_conns *e, const struct cw_event *ev);
int cw_conns_data(struct cw_conns *e, const struct cw_event *ev);
int cw_conns_close(struct cw_conns *e, uint32_t pid, uint32_t fd, uint64_t conn_id);
/* A TLS session wrote to a socket: its findings get that socket's destination. */
int cw_conns_bind(struct cw_conns *e, const struct cw_event *ev);
/* Findings held for an unbound TLS session go out without a destination after a while. */
int cw_conns_tick(struct cw_conns *e, uint64_t now_ns);
/* A process ended: its connections are closed. */
int cw_conns_exit(struct cw_conns *e, uint32_t pid);
/* A process ran a new image: its TLS sessions (objects in the old image's memory) ended. */
int cw_conns_exec(struct cw_conns *e, uint32_t pid);

#endif
