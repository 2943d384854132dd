/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The provenance store: for each credential (by keyed fingerprint, never plaintext), its kind,
 * where it was loaded from and by which workloads, which workloads used (sent) it, first and
 * last seen. Bounded (least recently seen evicted, counted), persisted across restarts as one
 * JSON file (mode 0600, written to a temporary file and renamed over the old one). Counts
 * stop at INT64_MAX, the largest integer the file's reader takes. provenance.c holds the
 * store, provenance_file.c its file.
 */
#ifndef CW_PROVENANCE_H
#define CW_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_PROV_DEFAULT_FILE "/var/lib/credwatch/provenance.json"
#define CW_PROV_DEFAULT_MAX 4096 /* credentials kept */
#define CW_PROV_ORIGINS_MAX 8	 /* origins kept per credential (oldest kept) */
#define CW_PROV_WORKLOADS_MAX 8	 /* uses kept per credential (oldest kept) */
#define CW_PROV_STR 320

enum cw_prov_source {
	CW_PROV_FILE = 1, /* detail: the file's path */
	CW_PROV_ENV,	  /* detail: the variable's name */
	CW_PROV_ARGV,	  /* detail: "" */
};

struct cw_prov_origin {
	char workload[CW_PROV_STR]; /* workload key (see workload.h), or "exe:PATH uid:N" */
	enum cw_prov_source source;
	char detail[CW_PROV_STR];
	int64_t first_seen, last_seen; /* unix seconds */
	uint64_t count;
	uint64_t not_owner; /* 1: a load that made no owner (a later workload) */
};

struct cw_prov_use {
	char workload[CW_PROV_STR];
	char destination[CW_PROV_STR]; /* "domain:port" or "ip:port", "" unknown */
	int64_t first_seen, last_seen;
	uint64_t count;
};

struct cw_prov_cred {
	char fingerprint[65]; /* hex HMAC-SHA-256 */
	char rule[128];	      /* rule id */
	char kind[128];
	char lifetime[16]; /* "long-lived", "short-lived", "unknown" */
	char redacted[64]; /* as in findings: never the secret */
	int64_t first_seen, last_seen;
	/*
	 * origins[0..norigins) and uses[0..nuses): allocated as they grow (most credentials have
	 * one origin and at most one use), owned by the store, freed with the credential. They
	 * move as they grow: a pointer into one is good until the next add_origin / add_use on
	 * this credential. A credential is never copied by value: the copy would share them.
	 */
	struct cw_prov_origin *origins;
	size_t norigins;
	struct cw_prov_use *uses;
	size_t nuses;
	/* distinct origins / uses not kept: the arrays were full, or no memory (persisted) */
	uint64_t origins_dropped, uses_dropped;
};

struct cw_prov_entry; /* provenance.c's: a credential in the table and the recency list */

struct cw_provenance {
	char *path; /* NULL: in memory only */
	size_t max; /* 0: not open */
	size_t n;
	uint64_t evictions;
	bool dirty;
	/* internal: the credentials by fingerprint, and most recently seen first */
	struct cw_prov_entry *by_fp, *lru;
};

/*
 * Open the store, loading path when it exists (a missing file is an empty store; a corrupt
 * one is an error naming the file and what is wrong). path NULL: memory only.
 */
int cw_prov_open(struct cw_provenance *p, const char *path, size_t max, char *err, size_t errlen);
void cw_prov_close(struct cw_provenance *p);

/* The credential, or NULL. Does not change its recency. */
struct cw_prov_cred *cw_prov_find(struct cw_provenance *p, const char *fp_hex);
/*
 * The credential, created when new (evicting the least recently seen one when full), its
 * last_seen set to now and made most recent. NULL only on allocation failure.
 */
struct cw_prov_cred *cw_prov_touch(struct cw_provenance *p, const char *fp_hex, const char *rule,
				   const char *kind, const char *lifetime, const char *redacted,
				   int64_t now);

/*
 * Add from (a whole credential, e.g. read from the store's file) as the most recent one,
 * evicting the least recently seen when full; its origins and uses are copied, from keeps its
 * own. NULL when out of memory, or when from has no fingerprint, is already in the store or
 * has more origins or uses than are kept.
 */
struct cw_prov_cred *cw_prov_insert_copy(struct cw_provenance *p, const struct cw_prov_cred *from);

/*
 * Record a load; returns true when workload was not yet among the credential's loaders. A
 * new origin that cannot be kept (no memory for it) is counted in origins_dropped, as are
 * those a full array lets go.
 */
bool cw_prov_add_origin(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
			enum cw_prov_source source, const char *detail, int64_t now);
/* The same, saying whether the load makes the workload an owner (an origin once owning stays
 * so). */
bool cw_prov_add_origin_as(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
			   enum cw_prov_source source, const char *detail, int64_t now, bool owner);
/*
 * Record a use (the credential sent by workload to destination). A new one that cannot be
 * kept (the array is full, or no memory for it) is counted in uses_dropped.
 */
void cw_prov_add_use(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
		     const char *destination, int64_t now);
/* Did workload load the credential (any origin)? */
bool cw_prov_is_loader(const struct cw_prov_cred *c, const char *workload);
/* How many distinct workloads loaded it. */
size_t cw_prov_loaders(const struct cw_prov_cred *c);
/*
 * Is origin i one pred accepts (NULL: any), and the first such of its workload? Walking the
 * origins with it visits each workload once; count_workloads counts them.
 */
bool cw_prov_first_of_workload(const struct cw_prov_cred *c, size_t i,
			       bool (*pred)(const struct cw_prov_origin *));
size_t cw_prov_count_workloads(const struct cw_prov_cred *c,
			       bool (*pred)(const struct cw_prov_origin *));

/*
 * The credentials from the most to the least recently seen: first, then next until NULL; or
 * back from the least recent: last, then prev. Touching or adding one changes the order.
 */
const struct cw_prov_cred *cw_prov_first(const struct cw_provenance *p);
const struct cw_prov_cred *cw_prov_next(const struct cw_provenance *p,
					const struct cw_prov_cred *c);
const struct cw_prov_cred *cw_prov_last(const struct cw_provenance *p);
const struct cw_prov_cred *cw_prov_prev(const struct cw_provenance *p,
					const struct cw_prov_cred *c);

/* Write the store (when it has a path) atomically, mode 0600; clears dirty. */
int cw_prov_save(struct cw_provenance *p, char *err, size_t errlen);

const char *cw_prov_source_name(enum cw_prov_source s); /* "file", "env", "argv" */

#endif
