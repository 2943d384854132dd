/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A credential's story in time order: where it was loaded from and by which workload, who read
 * it, who sent it where (and through which TLS library), which alerts it raised. Built from
 * finding lines (ECS, or OCSF, as `run --events` writes them or a SIEM exports them) fed one at
 * a time, or, with less detail (first and last seen and a count per origin and use, no
 * alerts), from the provenance store. Never holds a plaintext secret: findings carry only the
 * redacted form and the keyed fingerprint.
 *
 * A trace becomes a timeline the same way: `credwatch replay` with observations on hands each
 * finding line it makes to cw_timeline_add_finding() (its line callback's arg is the timeline).
 */
#ifndef CW_TIMELINE_H
#define CW_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "judge/provenance.h"
#include "util/strv.h"
#include "util/table.h"

/* What happened to the credential at one point of its story. */
enum cw_tl_what {
	CW_TL_LOADED,	/* from the environment or argv of an exec */
	CW_TL_READ,	/* from a file */
	CW_TL_SENT,	/* out on a connection */
	CW_TL_RECEIVED, /* in on a connection */
	CW_TL_SEEN,	/* a finding of an action this build does not know */
};

struct cw_tl_event {
	int64_t time_ms; /* unix ms: the finding's time, or the store's first_seen */
	int64_t last_ms; /* the store's last_seen; time_ms for a finding */
	uint64_t count;	 /* the store's count; a finding's credwatch.count, else 1 */
	enum cw_tl_what what;
	bool alert;
	int severity; /* ECS event.severity; -1 unknown (OCSF: see severity_name) */
	/* Strings: never NULL ("" when absent). */
	char *action;	     /* event.action ("" from the store) */
	char *severity_name; /* OCSF severity ("High"), "" from ECS */
	char *event_id;
	char *workload;
	char *process; /* process.name */
	char *executable;
	uint32_t pid; /* 0 unknown */
	char *source; /* "env", "file", "argv", "" */
	char *detail; /* the variable's name, the file's path, "argv[N]" */
	char *dest_domain, *dest_ip;
	uint32_t dest_port; /* 0 unknown */
	char *destination;  /* the store's "domain:port", "" from findings */
	char *tls_library;  /* credwatch.tls.library */
	char *trace_path;   /* credwatch.trace.path: the flight recorder's file */
	uint64_t seq;	    /* arrival order: equal times keep it */
};

/* One credential: what every finding of it says about it, and its events. */
struct cw_tl_cred {
	char fingerprint[65];
	char *rule, *kind, *lifetime, *redacted; /* "" when no finding said */
	struct cw_strv owners; /* credwatch.credential.owners, or the store's owning loaders */
	struct cw_tl_event *ev;
	size_t nev, cap;
	uint64_t origins_dropped, uses_dropped; /* the store's */
	UT_hash_handle hh;
};

/* Which credentials to show; every filter given must hold (AND). NULL: no such filter. */
struct cw_tl_filter {
	const char *fingerprint; /* a prefix of the hex fingerprint (case-insensitive) */
	const char *rule;	 /* a rule id, exactly */
	/*
	 * A workload key, exactly, or a shell glob when it has * ? or [: a credential whose story
	 * names it (an event's workload, or an owner) is shown, with its whole story.
	 */
	const char *workload;
};

struct cw_timeline {
	struct cw_tl_filter filter;
	struct cw_tl_cred *by_fp; /* uthash, by fingerprint */
	size_t ncreds;
	uint64_t seq;
	/* Finding lines fed, and those not taken (numbers are 1-based, counting every call). */
	uint64_t lines;
	uint64_t malformed;	       /* not JSON, or not a credwatch finding */
	uint64_t first_malformed;      /* the first such line's number, 0 none */
	char first_malformed_why[192]; /* what was wrong with it */
	uint64_t filtered;	       /* findings (store: credentials) the filter leaves out */
	bool from_store;	       /* built from the provenance store */
};

void cw_timeline_init(struct cw_timeline *t, const struct cw_tl_filter *f);
void cw_timeline_free(struct cw_timeline *t);

/*
 * One finding line (len bytes, a trailing newline allowed; an empty line is ignored): ECS or
 * OCSF (class 2006). 0 taken (or left out by the filter); -EINVAL not JSON or not a credwatch
 * finding (counted in malformed, the first one's number and why kept); -ENOMEM.
 */
int cw_timeline_add_finding(struct cw_timeline *t, const char *line, size_t len);
/* Every line of in. 0, -ENOMEM, or -EIO when in cannot be read. */
int cw_timeline_read_findings(struct cw_timeline *t, FILE *in);
/* Every credential of the store, its origins and uses as events. 0 or -ENOMEM. */
int cw_timeline_add_store(struct cw_timeline *t, const struct cw_provenance *p);

/*
 * The credentials the filter keeps, by first sighting (ties: arrival), each one's events put
 * in time order; *n of them. A new array (free it; the credentials stay t's), NULL when out
 * of memory.
 */
struct cw_tl_cred **cw_timeline_sorted(struct cw_timeline *t, size_t *n);

/*
 * The stories, credentials by first sighting, events in time order: a table for a person,
 * lines at most CW_TL_WIDTH columns, what watched processes named (paths, variables) made safe
 * for a terminal; or one JSON object per credential per line (docs/forensics.md "Timeline").
 * 0, -ENOMEM, or -EIO when out fails.
 */
#define CW_TL_WIDTH 100
int cw_timeline_write_table(FILE *out, struct cw_timeline *t);
int cw_timeline_write_json(FILE *out, struct cw_timeline *t);

const char *cw_tl_what_name(enum cw_tl_what w); /* "loaded", "read", "sent", ... */

#endif
