// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The questions the agent asks of a loaded policy (policy.h): is a path watched, which
 * named workload is a subject, which binding covers a credential and who owns it, may a
 * subject read a credential file.
 *
 * Workload selectors are fnmatch(3) globs; '*' crosses '/' in cgroup but not in executable
 * (FNM_PATHNAME), which must be an absolute path glob. A selector on a field the agent does
 * not know ("" or uid -1) does not match. Paths are cleaned lexically before they are
 * matched ("//", "/./", "a/../b"), so another spelling of a path does not dodge a glob.
 */
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "judge/policy.h"
#include "util/path.h"

const struct cw_policy_workload *cw_policy_workload_find(const struct cw_policy *p,
							 const char *name)
{
	for (size_t i = 0; i < p->nworkloads; i++)
		if (!strcmp(p->workloads[i].name, name))
			return &p->workloads[i];
	return NULL;
}

static bool any_glob(const struct cw_strv *globs, const char *path)
{
	for (size_t i = 0; i < globs->n; i++)
		if (cw_path_glob_match(globs->v[i], path))
			return true;
	return false;
}

bool cw_policy_watched(const struct cw_policy *p, const char *path)
{
	char buf[CW_POLICY_PATH_MAX];
	bool hit = false;

	if (!path || !*path)
		return false;
	path = cw_path_clean(path, buf, sizeof(buf));
	for (size_t i = 0; i < p->watch.n && !hit; i++)
		hit = p->watch.v[i][0] != '!' && cw_path_glob_match(p->watch.v[i], path);
	for (size_t i = 0; i < p->watch.n && hit; i++)
		hit = !(p->watch.v[i][0] == '!' && cw_path_glob_match(p->watch.v[i] + 1, path));
	return hit;
}

/* A selector: absent matches anything; present, it needs a known value that it matches. */
static bool sel(const char *glob, const char *val, int flags)
{
	if (!glob)
		return true;
	return val && *val && fnmatch(glob, val, flags) == 0;
}

static bool workload_match(const struct cw_policy_workload *w, const struct cw_subject *s)
{
	static const struct cw_workload unknown;
	const struct cw_workload *wl = s->wl ? s->wl : &unknown;

	return sel(w->namespace_, wl->pod_namespace, 0) && sel(w->pod, wl->pod_name, 0) &&
	       sel(w->container, wl->container_name, 0) &&
	       sel(w->container_id, wl->container_id, 0) && sel(w->cgroup, wl->cgroup, 0) &&
	       sel(w->unit, wl->unit, 0) && sel(w->executable, s->exe, FNM_PATHNAME) &&
	       (w->uid < 0 || (long)s->uid == w->uid); /* never (uid_t)-1: the loader refuses it */
}

bool cw_policy_subject_is(const struct cw_policy *p, const char *name, const struct cw_subject *s)
{
	const struct cw_policy_workload *w = name ? cw_policy_workload_find(p, name) : NULL;

	return w && workload_match(w, s);
}

const char *cw_policy_workload_name(const struct cw_policy *p, const struct cw_subject *s)
{
	for (size_t i = 0; i < p->nworkloads; i++)
		if (workload_match(&p->workloads[i], s))
			return p->workloads[i].name;
	return NULL;
}

const struct cw_policy_cred *cw_policy_cred_find(const struct cw_policy *p, const char *rule_id,
						 const char *source, const char *fp_hex)
{
	char buf[CW_POLICY_PATH_MAX];

	if (source && *source)
		source = cw_path_clean(source, buf, sizeof(buf));
	for (size_t i = 0; i < p->ncreds; i++) {
		const struct cw_policy_cred *c = &p->creds[i];

		if (c->rule && !(rule_id && fnmatch(c->rule, rule_id, 0) == 0))
			continue;
		if (c->source && !(source && cw_path_glob_match(c->source, source)))
			continue;
		if (c->fingerprint && !(fp_hex && !strcasecmp(c->fingerprint, fp_hex)))
			continue;
		return c;
	}
	return NULL;
}

bool cw_policy_cred_owner(const struct cw_policy *p, const struct cw_policy_cred *c,
			  const struct cw_subject *s)
{
	if (!c)
		return false;
	for (size_t i = 0; i < c->owners.n; i++)
		if (cw_policy_subject_is(p, c->owners.v[i], s))
			return true;
	return false;
}

enum cw_reader_verdict cw_policy_reader(const struct cw_policy *p, const char *path,
					const struct cw_subject *s, const char **why)
{
	const char *exe = s->exe ? s->exe : "", *name;
	char buf[CW_POLICY_PATH_MAX];

	if (why)
		*why = NULL;
	if (!path || !*path)
		return CW_READER_UNCOVERED;
	path = cw_path_clean(path, buf, sizeof(buf));
	name = *exe ? (strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe) : s->comm ? s->comm : "";
	for (size_t i = 0; i < p->nreaders; i++) {
		const struct cw_policy_readers *r = &p->readers[i];

		if (!any_glob(&r->paths, path))
			continue;
		for (size_t k = 0; k < r->deny_executables.n; k++) {
			const char *g = r->deny_executables.v[k];
			bool hit = strchr(g, '/') ? cw_path_glob_match(g, exe)
						  : *name && fnmatch(g, name, 0) == 0;

			if (hit) {
				if (why)
					*why = r->deny_why.v[k];
				return CW_READER_DENIED;
			}
		}
		if (!r->allow.n)
			return CW_READER_ALLOWED;
		for (size_t k = 0; k < r->allow.n; k++)
			if (cw_policy_subject_is(p, r->allow.v[k], s))
				return CW_READER_ALLOWED;
		if (why)
			*why = r->allow_why;
		return CW_READER_DENIED;
	}
	return CW_READER_UNCOVERED;
}
