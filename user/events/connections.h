/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Outbound connections: where each goes (address, port, server name), the protocol it
 * speaks, and one matcher stream per connection over the bytes the process sends.
 */
#ifndef CW_EGRESS_H
#define CW_EGRESS_H

#include <stdint.h>

#include "events/decoder.h"
#include "output/finding.h"

#define CW_EGRESS_MAX_CONNS 16384 /* connections held at once; the oldest go first */

struct cw_egress_conn;

struct cw_egress {
	struct cw_finding_writer *f;
	int conns_map_fd;    /* the kernel's table: entries of exited processes are deleted */
	int bound_map_fd;    /* TLS sessions bound to a socket: forgotten when they end */
	int captured_map_fd; /* TLS sessions' payload budgets: likewise; -1 when none */
	uint32_t *fd_marks;  /* the kernel's filter in front of conns (kmarks.h); may be NULL */
	struct cw_egress_conn **buckets;
	size_t nbuckets, nconns;
	/* counters */
	uint64_t conns_seen, conns_evicted, bytes, unexpected_destination, foreign_egress;
	uint64_t gaps; /* writes after bytes not copied (the payload budget) */
};

/* The kernel's side of egress tracking, which the agent keeps in step: a map fd is -1 and
 * fd_marks NULL where there is none. */
struct cw_egress_kernel {
	int conns_map_fd, bound_map_fd, captured_map_fd;
	uint32_t *fd_marks;
};

int cw_egress_init(struct cw_egress *e, struct cw_finding_writer *f,
		   const struct cw_egress_kernel *k);
void cw_egress_free(struct cw_egress *e);

/* Each returns 0 or -errno (an output error). */
int cw_egress_conn(struct cw_egress *e, const struct cw_event *ev);
int cw_egress_data(struct cw_egress *e, const struct cw_event *ev);
int cw_egress_close(struct cw_egress *e, uint32_t pid, uint32_t fd, uint64_t conn_id);
/* A TLS session wrote to a socket: its findings get that socket's destination. */
int cw_egress_bind(struct cw_egress *e, const struct cw_event *ev);
/* Findings held for an unbound TLS session go out without a destination after a while. */
int cw_egress_tick(struct cw_egress *e, uint64_t now_ns);
/* A process ended: its connections are closed. */
int cw_egress_exit(struct cw_egress *e, uint32_t pid);
/* A process ran a new image: its TLS sessions (objects in the old image's memory) ended. */
int cw_egress_exec(struct cw_egress *e, uint32_t pid);

/* Does name match one of the rule's destination globs (case-insensitive)? */
bool cw_destination_allowed(const struct cw_rule *r, const char *name);

#endif
