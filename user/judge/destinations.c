// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Destinations of a credential (see destinations.h): globs and '@' words. */
#include <fnmatch.h>
#include <string.h>

#include "judge/destinations.h"

static bool is_never(const struct cw_strv *dests)
{
	return cw_strv_has(dests, CW_DEST_NEVER_TOKEN);
}

/* Does one entry stand for d's server? ('@rule' and '@never' are the lists' business.) */
static bool entry_matches(const char *g, const struct cw_dest *d, struct cw_apiservers *apis)
{
	if (g[0] != '@')
		return !fnmatch(g, d->server, FNM_CASEFOLD);
	return !strcmp(g, CW_DEST_APISERVER) && cw_apiservers_match(apis, d);
}

bool cw_destinations_match(const struct cw_strv *globs, const char *name)
{
	struct cw_dest d = { .server = name, .ip = "" };

	for (size_t i = 0; i < globs->n; i++)
		if (entry_matches(globs->v[i], &d, NULL))
			return true;
	return false;
}

bool cw_destination_allowed(const struct cw_rule *r, const char *name)
{
	return cw_destinations_match(&r->destinations, name);
}

enum cw_dest_verdict cw_destinations_judge(const struct cw_strv *dests,
					   const struct cw_strv *rule_dests,
					   const struct cw_dest *d, struct cw_apiservers *apis)
{
	bool with_rule = rule_dests && rule_dests != dests && cw_strv_has(dests, CW_DEST_RULE);

	if (!dests->n)
		return CW_DEST_UNJUDGED;
	/* Never sent: by a process to a server it connected to. A session without a connect()
	 * (a TLS server answering on an accepted socket: a credential-vending endpoint handing
	 * out keys) is not sending the credential anywhere it chose. */
	if (is_never(dests))
		return d->ip && d->ip[0] ? CW_DEST_NEVER : CW_DEST_UNJUDGED;
	if (!d->server || !d->server[0])
		return CW_DEST_UNJUDGED;
	for (size_t i = 0; i < dests->n; i++)
		if (entry_matches(dests->v[i], d, apis))
			return CW_DEST_ALLOWED;
	for (size_t i = 0; with_rule && i < rule_dests->n; i++)
		if (entry_matches(rule_dests->v[i], d, apis))
			return CW_DEST_ALLOWED;
	return CW_DEST_UNEXPECTED;
}

const char *cw_destination_problem(const char *entry, bool policy)
{
	if (!entry[0])
		return "an empty destination";
	if (!strcmp(entry, CW_DEST_RULE) && !policy)
		return "'" CW_DEST_RULE "' is for policy bindings (the rule's own destinations)";
	if (entry[0] == '@' && strcmp(entry, CW_DEST_APISERVER) &&
	    strcmp(entry, CW_DEST_NEVER_TOKEN) && strcmp(entry, CW_DEST_RULE))
		return "an unknown destination word (there are '" CW_DEST_APISERVER
		       "', '" CW_DEST_NEVER_TOKEN "' and, in a policy, '" CW_DEST_RULE "')";
	return NULL;
}

const char *cw_destinations_problem(const struct cw_strv *dests, bool policy, const char **bad)
{
	const char *why;

	for (size_t i = 0; i < dests->n; i++)
		if ((why = cw_destination_problem(dests->v[i], policy))) {
			if (bad)
				*bad = dests->v[i];
			return why;
		}
	if (is_never(dests) && dests->n > 1) {
		if (bad)
			*bad = CW_DEST_NEVER_TOKEN;
		return "'" CW_DEST_NEVER_TOKEN "' means nowhere: it stands alone";
	}
	return NULL;
}
