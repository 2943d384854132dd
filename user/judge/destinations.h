/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a credential may be sent: the destination globs of its rule (the rule files), or those
 * the policy gives the credential instead (cw_exposure_destinations). A server name matches
 * one glob, case-insensitively.
 */
#ifndef CW_DESTINATIONS_H
#define CW_DESTINATIONS_H

#include <stdbool.h>

#include "detect/rules.h"

/* Does name match one of the globs? */
bool cw_destinations_match(const struct cw_strv *globs, const char *name);
/* Does name match one of the rule's own destinations? */
bool cw_destination_allowed(const struct cw_rule *r, const char *name);

#endif
