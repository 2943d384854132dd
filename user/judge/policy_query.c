// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The questions the agent asks of a loaded policy (policy.h): is a path watched, which
 * named workload is a subject, which binding covers a credential and who owns it, may a
 * subject read a credential file.
 *
 * Workload selectors are fnmatch(3) globs; '*' crosses '/' in cgroup and image but not in
 * executable (FNM_PATHNAME), which must be an absolute path glob. A selector on a field the
 * agent does not know ("" or uid -1) does not match; in a pod whose metadata is not known
 * yet, one on that metadata is undecided (policy.h, cw_policy_subject_match). Selectors are
 * matched when a binding or a reader is judged, never per event, and allocate nothing. Paths are
 * cleaned lexically before they are matched ("//", "/./", "a/../b"), so another spelling of a path
 * does not dodge a glob.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect/jwt.h"
#include "host/podmeta.h"
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

/*
 * Three-valued matching: a selector on something the agent could not find out does not match
 * (CW_MATCH_NO), except in a pod whose metadata is not known yet, where it is undecided
 * (CW_MATCH_UNKNOWN). Every selector must match: one NO is NO, else one UNKNOWN is UNKNOWN.
 */
static enum cw_policy_match and3(enum cw_policy_match a, enum cw_policy_match b)
{
	if (a == CW_MATCH_NO || b == CW_MATCH_NO)
		return CW_MATCH_NO;
	return a == CW_MATCH_UNKNOWN || b == CW_MATCH_UNKNOWN ? CW_MATCH_UNKNOWN : CW_MATCH_YES;
}

static enum cw_policy_match yes_no(bool b)
{
	return b ? CW_MATCH_YES : CW_MATCH_NO;
}

/* A glob selector: absent matches anything; present, it needs a known value that it
 * matches; an unknown value is undecided when undecided says so. */
static enum cw_policy_match sel(const char *glob, const char *val, int flags, bool undecided)
{
	if (!glob)
		return CW_MATCH_YES;
	if (val && *val)
		return yes_no(fnmatch(glob, val, flags) == 0);
	return undecided ? CW_MATCH_UNKNOWN : CW_MATCH_NO;
}

/* What the subject's pod says, for the selectors on it. */
struct pod_view {
	bool in_pod;			    /* the cgroup (or the metadata) says it is a pod */
	const struct cw_pod *pod;	    /* NULL: not known (yet) */
	const struct cw_pod_container *ctr; /* NULL: not known */
	const char *ns, *name, *container;  /* NULL: not known */
};

/* The process's container in its pod: by id, else (the status not updated yet) by name. */
static const struct cw_pod_container *find_container(const struct cw_pod *p,
						     const struct cw_workload *wl)
{
	const struct cw_pod_container *c = cw_pod_container(p, wl->container_id);

	for (size_t i = 0; !c && wl->container_name[0] && i < p->ncontainers; i++)
		if (p->containers[i].name && !strcmp(p->containers[i].name, wl->container_name))
			c = &p->containers[i];
	return c;
}

static void pod_view(const struct cw_workload *wl, struct pod_view *v)
{
	const struct cw_pod *p = wl->pod;

	v->pod = p;
	v->in_pod = p || wl->pod_uid[0];
	v->ctr = wl->pod_container ? wl->pod_container : p ? find_container(p, wl) : NULL;
	v->ns = wl->pod_namespace[0] ? wl->pod_namespace : p ? p->namespace_ : NULL;
	v->name = wl->pod_name[0] ? wl->pod_name : p ? p->name : NULL;
	v->container = wl->container_name[0] ? wl->container_name : v->ctr ? v->ctr->name : NULL;
}

/* An annotation's value, or NULL (the kept ones are few: a scan). */
static const char *annotation(const struct cw_pod *p, const char *key)
{
	for (size_t i = 0; i < p->nannotations; i++)
		if (p->annotations[i].key && !strcmp(p->annotations[i].key, key))
			return p->annotations[i].value ? p->annotations[i].value : "";
	return NULL;
}

static bool label_req_match(const struct cw_label_req *r, const struct cw_pod *p)
{
	const char *v = cw_pod_label(p, r->key);

	switch (r->op) {
	case CW_LABEL_IN: return v && cw_strv_has(&r->values, v);
	case CW_LABEL_NOT_IN: return !v || !cw_strv_has(&r->values, v);
	case CW_LABEL_EXISTS: return v != NULL;
	case CW_LABEL_DOES_NOT_EXIST: return v == NULL;
	}
	return false;
}

static enum cw_policy_match labels_match(const struct cw_label_selector *ls,
					 const struct pod_view *v)
{
	if (!ls->set)
		return CW_MATCH_YES;
	if (!v->in_pod)
		return CW_MATCH_NO;
	if (!ls->n) /* an empty selector: every pod, metadata or not */
		return CW_MATCH_YES;
	if (!v->pod)
		return CW_MATCH_UNKNOWN;
	for (size_t i = 0; i < ls->n; i++)
		if (!label_req_match(&ls->reqs[i], v->pod))
			return CW_MATCH_NO;
	return CW_MATCH_YES;
}

/* A selector on the pod's own metadata: the pod must be known to decide it. */
static enum cw_policy_match pod_meta(bool given, const struct pod_view *v,
				     bool (*fn)(const struct cw_policy_workload *,
						const struct cw_pod *),
				     const struct cw_policy_workload *w)
{
	if (!given)
		return CW_MATCH_YES;
	if (!v->pod)
		return v->in_pod ? CW_MATCH_UNKNOWN : CW_MATCH_NO;
	return yes_no(fn(w, v->pod));
}

static bool sa_match(const struct cw_policy_workload *w, const struct cw_pod *p)
{
	return p->namespace_ && p->service_account && *p->service_account &&
	       fnmatch(w->sa_namespace, p->namespace_, 0) == 0 &&
	       fnmatch(w->sa_name, p->service_account, 0) == 0;
}

static bool owner_match(const struct cw_policy_workload *w, const struct cw_pod *p)
{
	return p->owner_kind && *p->owner_kind && p->owner_name &&
	       fnmatch(w->owner_kind, p->owner_kind, FNM_CASEFOLD) == 0 &&
	       fnmatch(w->owner_name, p->owner_name, 0) == 0;
}

static bool annotations_match(const struct cw_policy_workload *w, const struct cw_pod *p)
{
	for (size_t i = 0; i < w->ann_keys.n; i++) {
		const char *v = annotation(p, w->ann_keys.v[i]);

		if (!v || fnmatch(w->ann_values.v[i], v, 0))
			return false;
	}
	return true;
}

/*
 * The image glob against the container's image reference as the pod spec gives it, its
 * repository alone, "repository:tag" (":latest" when it names neither tag nor digest) and
 * "repository@sha256:..." (the spec's digest, else the one the node ran: imageID), each
 * also with the repository as Docker names it in full ("nginx": "docker.io/library/nginx").
 */
static bool image_match(const char *glob, const struct cw_pod_container *c)
{
	char repo[512], tag[160], digest[160], buf[1024];
	const char *slash, *pre;
	size_t first;
	bool registry;

	if (!fnmatch(glob, c->image, 0))
		return true;
	cw_image_split(c->image, c->image_id, repo, sizeof(repo), tag, sizeof(tag), digest,
		       sizeof(digest));
	if (!*repo)
		return false;
	/* a first component with '.' or ':', or "localhost", names a registry */
	slash = strchr(repo, '/');
	first = slash ? (size_t)(slash - repo) : strlen(repo);
	registry = slash && (memchr(repo, '.', first) || memchr(repo, ':', first) ||
			     (first == 9 && !strncmp(repo, "localhost", 9)));
	for (int full = 0; full < 2; full++) {
		if (full && registry)
			break;
		pre = !full ? "" : slash ? "docker.io/" : "docker.io/library/";
		snprintf(buf, sizeof(buf), "%s%s", pre, repo);
		if (!fnmatch(glob, buf, 0))
			return true;
		snprintf(buf, sizeof(buf), "%s%s:%s", pre, repo, tag);
		if (*tag && !fnmatch(glob, buf, 0))
			return true;
		snprintf(buf, sizeof(buf), "%s%s@%s", pre, repo, digest);
		if (*digest && !fnmatch(glob, buf, 0))
			return true;
	}
	return false;
}

static enum cw_policy_match image_sel(const char *glob, const struct pod_view *v)
{
	if (!glob)
		return CW_MATCH_YES;
	if (v->ctr && v->ctr->image && *v->ctr->image)
		return yes_no(image_match(glob, v->ctr));
	return v->in_pod ? CW_MATCH_UNKNOWN : CW_MATCH_NO;
}

static enum cw_policy_match workload_match(const struct cw_policy_workload *w,
					   const struct cw_subject *s)
{
	static const struct cw_workload unknown;
	const struct cw_workload *wl = s->wl ? s->wl : &unknown;
	bool meta_unknown;
	struct pod_view v;
	enum cw_policy_match m;

	/* what the agent always knows decides first */
	if (sel(w->container_id, wl->container_id, 0, false) == CW_MATCH_NO ||
	    sel(w->cgroup, wl->cgroup, 0, false) == CW_MATCH_NO ||
	    sel(w->unit, wl->unit, 0, false) == CW_MATCH_NO ||
	    sel(w->executable, s->exe, FNM_PATHNAME, false) == CW_MATCH_NO ||
	    (w->uid >= 0 && (long)s->uid != w->uid)) /* never (uid_t)-1: the loader refuses it */
		return CW_MATCH_NO;
	/* a user names the units and container cgroups in its own slice as it likes: a unit or
	 * container_id selector takes those only when it names the uid too */
	if ((w->unit || w->container_id) && wl->session_uid[0] && w->uid < 0)
		return CW_MATCH_NO;
	pod_view(wl, &v);
	meta_unknown = v.in_pod && !v.pod;
	m = and3(sel(w->namespace_, v.ns, 0, meta_unknown), sel(w->pod, v.name, 0, meta_unknown));
	m = and3(m, sel(w->container, v.container, 0, v.in_pod && !v.ctr));
	m = and3(m, labels_match(&w->selector, &v));
	m = and3(m, pod_meta(w->sa_name != NULL, &v, sa_match, w));
	m = and3(m, pod_meta(w->owner_kind != NULL, &v, owner_match, w));
	m = and3(m, pod_meta(w->ann_keys.n > 0, &v, annotations_match, w));
	return and3(m, image_sel(w->image, &v));
}

enum cw_policy_match cw_policy_subject_match(const struct cw_policy *p, const char *name,
					     const struct cw_subject *s)
{
	const struct cw_policy_workload *w = name ? cw_policy_workload_find(p, name) : NULL;

	return w ? workload_match(w, s) : CW_MATCH_NO;
}

bool cw_policy_subject_is(const struct cw_policy *p, const char *name, const struct cw_subject *s)
{
	return cw_policy_subject_match(p, name, s) == CW_MATCH_YES;
}

const char *cw_policy_workload_name(const struct cw_policy *p, const struct cw_subject *s)
{
	for (size_t i = 0; i < p->nworkloads; i++)
		if (workload_match(&p->workloads[i], s) == CW_MATCH_YES)
			return p->workloads[i].name;
	return NULL;
}

bool cw_policy_uses_pod_metadata(const struct cw_policy *p)
{
	for (size_t i = 0; i < p->nworkloads; i++) {
		const struct cw_policy_workload *w = &p->workloads[i];

		if ((w->selector.set && w->selector.n) || w->sa_name || w->owner_kind || w->image ||
		    w->ann_keys.n)
			return true;
	}
	return false;
}

/* Is sub ("system:serviceaccount:NS:NAME") a token of the binding's service account? */
static bool token_of(const struct cw_policy_cred *c, const char *sub)
{
	static const char pre[] = "system:serviceaccount:";
	const char *ns, *colon;
	char buf[256];

	if (!sub || strncmp(sub, pre, sizeof(pre) - 1))
		return false;
	ns = sub + sizeof(pre) - 1;
	if (!(colon = strchr(ns, ':')) || (size_t)(colon - ns) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)(colon - ns), ns);
	return *buf && colon[1] && fnmatch(c->sa_namespace, buf, 0) == 0 &&
	       fnmatch(c->sa_name, colon + 1, 0) == 0;
}

static const struct cw_policy_cred *cred_find(const struct cw_policy *p, const char *rule_id,
					      const char *source, const char *fp_hex,
					      const char *token_sub)
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
		if (c->sa_name && !token_of(c, token_sub))
			continue;
		return c;
	}
	return NULL;
}

const struct cw_policy_cred *cw_policy_cred_find(const struct cw_policy *p, const char *rule_id,
						 const char *source, const char *fp_hex)
{
	return cred_find(p, rule_id, source, fp_hex, NULL);
}

const struct cw_policy_cred *cw_policy_cred_for(const struct cw_policy *p, const struct cw_match *m,
						const char *source, const char *fp_hex)
{
	struct cw_jwt jwt;
	const char *sub = NULL;

	/* a JWT's header is a JSON object: base64url "eyJ"; anything else is not parsed */
	if (p->token_bindings && m->secret && m->len > 3 && !memcmp(m->secret, "eyJ", 3) &&
	    !cw_jwt_parse(m->secret, m->len, &jwt) && jwt.kubernetes)
		sub = jwt.sub;
	return cred_find(p, m->rule ? m->rule->id : NULL, source, fp_hex, sub);
}

bool cw_policy_cred_owner(const struct cw_policy *p, const struct cw_policy_cred *c,
			  const struct cw_subject *s)
{
	if (!c)
		return false;
	for (size_t i = 0; i < c->owners.n; i++)
		if (cw_policy_subject_match(p, c->owners.v[i], s) != CW_MATCH_NO)
			return true;
	return false;
}

enum cw_reader_verdict cw_policy_reader(const struct cw_policy *p, const char *path,
					const struct cw_subject *s, const char **why)
{
	const char *exe = s->exe ? s->exe : "", *name;
	char buf[CW_POLICY_PATH_MAX];
	bool undecided = false;

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
		for (size_t k = 0; k < r->allow.n; k++) {
			enum cw_policy_match m = cw_policy_subject_match(p, r->allow.v[k], s);

			if (m == CW_MATCH_YES)
				return CW_READER_ALLOWED;
			undecided |= m == CW_MATCH_UNKNOWN;
		}
		if (why)
			*why = undecided ? "the reader's pod metadata is not known yet, and an "
					   "allowed workload selects on it"
					 : r->allow_why;
		return undecided ? CW_READER_UNDECIDED : CW_READER_DENIED;
	}
	return CW_READER_UNCOVERED;
}
