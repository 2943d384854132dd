// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Destination globs (see destinations.h). */
#include <fnmatch.h>

#include "judge/destinations.h"

bool cw_destinations_match(const struct cw_strv *globs, const char *name)
{
	for (size_t i = 0; i < globs->n; i++)
		if (!fnmatch(globs->v[i], name, FNM_CASEFOLD))
			return true;
	return false;
}

bool cw_destination_allowed(const struct cw_rule *r, const char *name)
{
	return cw_destinations_match(&r->destinations, name);
}
