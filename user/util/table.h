/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hash tables and lists: uthash and utlist (Debian uthash-dev), configured once for the agent.
 * Include this, not <uthash.h>: by default uthash exits the process when a table cannot grow;
 * here the element is simply not added, and CW_HASH_ADDED tells the caller, who still owns it.
 */
#ifndef CW_UTIL_TABLE_H
#define CW_UTIL_TABLE_H

#define HASH_NONFATAL_OOM 1
#include <uthash.h>
#include <utlist.h>

/* Did the HASH_ADD* just made with handle hh put elt in its table? */
#define CW_HASH_ADDED(elt, hh) ((elt)->hh.tbl != NULL)

#endif
