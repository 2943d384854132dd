/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A cache of compiled Vectorscan databases. Compiling hundreds of rules takes a good part of
 * a second: every `credwatch scan` and every agent start would pay it. The cache is keyed by
 * a hash of the Vectorscan version and every rule pattern, so any rule change misses it; a
 * database the running CPU cannot use fails to load and is rebuilt.
 */
#ifndef CW_DBCACHE_H
#define CW_DBCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <hs.h>

#define CW_DBCACHE_KEY_LEN 32

struct cw_dbcache_entry {
	hs_database_t *bdb, *sdb; /* either may be NULL (no rule for Vectorscan) */
	size_t n;		  /* rules */
	uint8_t *engine;	  /* per rule: enum cw_engine */
	uint32_t *width;	  /* per rule: longest match */
};

/* The directory used: $CREDWATCH_CACHE_DIR, else /var/cache/credwatch for root, else
 * $XDG_CACHE_HOME/credwatch or ~/.cache/credwatch. NULL when caching is off
 * (CREDWATCH_CACHE_DIR set to the empty string). */
const char *cw_dbcache_dir(void);

/* 0 and a filled entry (the caller owns it), or -ENOENT / -EINVAL when there is none usable. */
int cw_dbcache_load(const unsigned char key[CW_DBCACHE_KEY_LEN], size_t nrules,
		    struct cw_dbcache_entry *out);
/* Best effort: failures are not errors, the next run compiles again. */
void cw_dbcache_store(const unsigned char key[CW_DBCACHE_KEY_LEN],
		      const struct cw_dbcache_entry *in);

#endif
