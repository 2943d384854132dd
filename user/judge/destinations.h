/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a credential may be sent: the destinations of its rule (the rule files), or those the
 * policy gives the credential instead (cw_exposure_destinations). Each entry is one of:
 *   GLOB                    a server name glob (fnmatch, case-insensitive; '*' crosses dots):
 *                           matched against the SNI, HTTP Host or HTTP/2 :authority
 *   '@kubernetes-apiserver' this cluster's API server, by name or by address (apiserver.h)
 *   '@never'                nowhere: the credential is never sent (an AWS secret access key
 *                           signs requests and stays home). Alone in its list. Judged even
 *                           when the server has no name: every egress is an alert.
 *   '@rule'                 (policy bindings only) the rule's own destinations, '@never'
 *                           aside: a binding that adds a self-hosted GitHub to GitHub's hosts
 *                           says ['@rule', github.example.com].
 * No destinations at all: not judged. Otherwise a connection whose server has no name (an
 * address alone is not a provider's host) is not judged either, except by '@never'.
 */
#ifndef CW_DESTINATIONS_H
#define CW_DESTINATIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/rules.h"
#include "judge/apiserver.h"

#define CW_DEST_APISERVER "@kubernetes-apiserver"
#define CW_DEST_NEVER_TOKEN "@never"
#define CW_DEST_RULE "@rule"

/* Where a credential is being sent: what its connection says. */
struct cw_dest {
	const char *server;  /* SNI, Host or :authority, or an IP literal from them; "" unnamed */
	const char *ip;	     /* connect()'s address as text (a proxy's, through one); "" */
	uint16_t port;	     /* connect()'s port; 0 unknown */
	uint64_t cgroup_id;  /* the sender's */
	uint32_t pid;	     /* the sender (alive while it sends); 0 unknown */
	const char *pod_uid; /* the sender's pod, NULL or "" outside one */
};

enum cw_dest_verdict {
	CW_DEST_UNJUDGED = 0, /* no destinations, or a server without a name */
	CW_DEST_ALLOWED,
	CW_DEST_UNEXPECTED, /* credential-unexpected-destination */
	CW_DEST_NEVER,	    /* likewise: a credential that is never sent ('@never') */
};

/* The verdict on sending a credential with these destinations (rule_dests: its rule's, for
 * '@rule') to d. apis may be NULL: '@kubernetes-apiserver' is then the API server's names. */
enum cw_dest_verdict cw_destinations_judge(const struct cw_strv *dests,
					   const struct cw_strv *rule_dests,
					   const struct cw_dest *d, struct cw_apiservers *apis);

/* Does name match one of the globs ('@' entries: only '@kubernetes-apiserver', by name)? */
bool cw_destinations_match(const struct cw_strv *globs, const char *name);
/* Does name match one of the rule's own destinations? */
bool cw_destination_allowed(const struct cw_rule *r, const char *name);

/* What is wrong with one entry (an unknown '@' word, an empty glob, '@rule' outside a
 * policy), or NULL. */
const char *cw_destination_problem(const char *entry, bool policy);
/* What is wrong with a list: a bad entry (*bad gets it), or '@never' beside others; NULL. */
const char *cw_destinations_problem(const struct cw_strv *dests, bool policy, const char **bad);

#endif
