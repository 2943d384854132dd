// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The policy's YAML loader (policy.h). Like the rules loader, a malformed file is an error
 * naming FILE:LINE and the field, and nothing is half-loaded: the file is parsed into a
 * fresh policy that replaces *p only when all of it is valid, so a failed reload leaves the
 * agent on the policy it had. Every value is checked as it is read: path globs
 * (path_glob.h), watch globs the kernel prefilter can use, workload names that are defined
 * somewhere in the file.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "judge/destinations.h"
#include "judge/policy.h"
#include "util/fileio.h"
#include "util/yaml_reader.h"

#define POLICY_MAX_BYTES (16u << 20) /* a policy file larger than this is a mistake */
#define UID_UNKNOWN UINT32_MAX
#define SA_EXAMPLE "'NAMESPACE/NAME' (e.g. payments/api; '*/api' for that name in any namespace)"

static int append(void *v, size_t *n, const void *item, size_t size);

struct ref {
	char *name; /* a workload name used by owners or allow */
	const char *field;
	size_t line0;
};

struct loader {
	struct cw_yaml y;
	struct cw_policy *pol; /* being loaded */
	struct ref *refs;      /* checked once every workload is known */
	size_t nrefs;
};

/* The loader whose reader y is (the checks are handed the reader). */
static struct loader *loader_of(struct cw_yaml *y)
{
	return (struct loader *)((char *)y - offsetof(struct loader, y));
}

#define fail(l, ...) cw_yaml_fail(&(l)->y, __VA_ARGS__)
#define next(l) cw_yaml_next(&(l)->y)
#define line_of(l) cw_yaml_line(&(l)->y)

static int want_str(struct loader *l, const char *field, char **out, cw_yaml_check_fn check)
{
	const char *v;
	int ret = cw_yaml_want_string(&l->y, field, &v);

	if (ret)
		return ret;
	if (cw_yaml_is_null(&l->y))
		return fail(l, line_of(l), "field '%s' has no value", field);
	if (check && (ret = check(&l->y, field, v)))
		return ret;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

static int check_nonempty(struct cw_yaml *y, const char *field, const char *v)
{
	return *v ? 0 : cw_yaml_fail(y, cw_yaml_line(y), "field '%s': empty glob", field);
}

static int check_path_glob(struct cw_yaml *y, const char *field, const char *v)
{
	const char *why = cw_path_glob_problem(v);

	return why ? cw_yaml_fail(y, cw_yaml_line(y), "field '%s': '%s': %s", field, v, why) : 0;
}

static int check_watch(struct cw_yaml *y, const char *field, const char *v)
{
	char buf[CW_POLICY_PATH_MAX];
	int ret;

	if (v[0] == '!')
		return check_path_glob(y, field, v + 1);
	if ((ret = check_path_glob(y, field, v)))
		return ret;
	if (cw_prefilter_entry(v, buf, sizeof(buf)) == CW_PF_NONE)
		return cw_yaml_fail(
			y, cw_yaml_line(y),
			"field '%s': '%s' leaves the kernel filter nothing to "
			"go by: give a literal file name, '*.ext' or a literal directory",
			field, v);
	return 0;
}

static int check_executable(struct cw_yaml *y, const char *field, const char *v)
{
	if (!*v)
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s': empty glob", field);
	if (v[0] != '/')
		return cw_yaml_fail(y, cw_yaml_line(y),
				    "field '%s': '%s' is not an absolute path glob "
				    "(e.g. /usr/bin/python3*)",
				    field, v);
	return 0;
}

static int check_deny(struct cw_yaml *y, const char *field, const char *v)
{
	return strchr(v, '/') ? check_path_glob(y, field, v) : check_nonempty(y, field, v);
}

static int check_destination(struct cw_yaml *y, const char *field, const char *v)
{
	const char *why = cw_destination_problem(v, true);

	return why ? cw_yaml_fail(y, cw_yaml_line(y), "field '%s': '%s': %s", field, v, why) : 0;
}

static int check_fingerprint(struct cw_yaml *y, const char *field, const char *v)
{
	if (strlen(v) != 64 || strspn(v, "0123456789abcdefABCDEF") != 64)
		/* not echoed: someone may have pasted the secret itself here */
		return cw_yaml_fail(y, cw_yaml_line(y),
				    "field '%s': a value of %zu characters is not 64 hex "
				    "digits (the fingerprint findings report)",
				    field, strlen(v));
	return 0;
}

static int check_name(struct cw_yaml *y, const char *field, const char *v)
{
	if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
			   strlen(v))
		return cw_yaml_fail(y, cw_yaml_line(y),
				    "field '%s': '%s': use only letters, digits, '.', "
				    "'-' and '_'",
				    field, v);
	return 0;
}

/* A workload name in owners or allow: remembered, checked at the end. */
static int check_ref(struct cw_yaml *y, const char *field, const char *v)
{
	struct loader *l = loader_of(y);
	struct ref *nr;

	if (!*v)
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s': empty workload name", field);
	nr = realloc(l->refs, (l->nrefs + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	l->refs = nr;
	if (!(nr[l->nrefs].name = strdup(v)))
		return -ENOMEM;
	nr[l->nrefs].field = field;
	nr[l->nrefs].line0 = cw_yaml_line(y);
	l->nrefs++;
	return 0;
}

static void label_selector_free(struct cw_label_selector *sel)
{
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->reqs[i].key);
		cw_strv_free(&sel->reqs[i].values);
	}
	free(sel->reqs);
	memset(sel, 0, sizeof(*sel));
}

static void workload_free(struct cw_policy_workload *w)
{
	label_selector_free(&w->selector);
	free(w->sa_namespace);
	free(w->sa_name);
	free(w->owner_kind);
	free(w->owner_name);
	free(w->image);
	cw_strv_free(&w->ann_keys);
	cw_strv_free(&w->ann_values);
	free(w->name);
	free(w->namespace_);
	free(w->pod);
	free(w->container);
	free(w->container_id);
	free(w->cgroup);
	free(w->executable);
	free(w->unit);
}

static void cred_free(struct cw_policy_cred *c)
{
	free(c->sa_namespace);
	free(c->sa_name);
	free(c->rule);
	free(c->source);
	free(c->fingerprint);
	cw_strv_free(&c->owners);
	cw_strv_free(&c->destinations);
}

static void readers_free(struct cw_policy_readers *r)
{
	cw_strv_free(&r->paths);
	cw_strv_free(&r->allow);
	cw_strv_free(&r->deny_executables);
	cw_strv_free(&r->deny_why);
	free(r->allow_why);
}

/*
 * Kubernetes names, checked as the API server checks them, so that a selector that could
 * never match (a glob where labels take exact values, a typo'd key) is an error here.
 */
static bool label_name_ok(const char *v, size_t n)
{
	if (!n || n > 63 || !isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
			return false;
	return true;
}

static bool dns_subdomain_ok(const char *v, size_t n)
{
	if (!n || n > 253 || !isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) || v[i] == '-' ||
		      v[i] == '.'))
			return false;
	return true;
}

/* A label or annotation key: [DNS-subdomain '/'] name. NULL, or what is wrong. */
static const char *label_key_problem(const char *k)
{
	const char *slash = strchr(k, '/');

	if (!*k)
		return "an empty key";
	if (slash && !dns_subdomain_ok(k, (size_t)(slash - k)))
		return "the prefix before '/' is not a DNS subdomain (lower case letters, digits, "
		       "'-' and '.', at most 253)";
	if (!label_name_ok(slash ? slash + 1 : k, strlen(slash ? slash + 1 : k)))
		return "not a label name (at most 63 letters, digits, '-', '_' or '.', starting "
		       "and ending with a letter or digit)";
	return NULL;
}

static const char *label_value_problem(const char *v)
{
	if (!*v || label_name_ok(v, strlen(v)))
		return NULL;
	if (strpbrk(v, "*?["))
		return "label values are exact, not globs (use matchExpressions with In for a "
		       "set of values)";
	return "not a label value (at most 63 letters, digits, '-', '_' or '.', starting and "
	       "ending with a letter or digit)";
}

/* Field paths for messages: "selector.matchExpressions[0].operator". */
static int check_label_value(struct cw_yaml *y, const char *field, const char *v)
{
	const char *why = label_value_problem(v);

	return why ? cw_yaml_fail(y, cw_yaml_line(y), "%s: '%s': %s", field, v, why) : 0;
}

static int req_add(struct cw_label_selector *sel, struct cw_label_req *r)
{
	int ret = append(&sel->reqs, &sel->n, r, sizeof(*r));

	if (ret) {
		free(r->key);
		cw_strv_free(&r->values);
	}
	return ret;
}

/* matchLabels: {KEY: VALUE, ...}, each an In requirement of one value. */
static int parse_match_labels(struct loader *l, struct cw_label_selector *sel)
{
	char fld[400];
	int ret;

	if ((ret = next(l)))
		return ret;
	if (cw_yaml_is_null(&l->y))
		return 0;
	if (l->y.ev.type != YAML_MAPPING_START_EVENT)
		return fail(l, line_of(l), "selector.matchLabels must be a mapping of labels");
	for (;;) {
		struct cw_label_req r = { .op = CW_LABEL_IN };
		const char *why, *v;

		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if ((ret = cw_yaml_string_event(&l->y, "selector.matchLabels", "a label")))
			return ret;
		if ((why = label_key_problem(cw_yaml_scalar(&l->y))))
			return fail(l, line_of(l), "selector.matchLabels: '%s': %s",
				    cw_yaml_scalar(&l->y), why);
		for (size_t i = 0; i < sel->n; i++)
			if (!strcmp(sel->reqs[i].key, cw_yaml_scalar(&l->y)))
				return fail(l, line_of(l),
					    "selector.matchLabels: label '%s' given twice",
					    cw_yaml_scalar(&l->y));
		if (!(r.key = strdup(cw_yaml_scalar(&l->y))))
			return -ENOMEM;
		snprintf(fld, sizeof(fld), "selector.matchLabels.%s", r.key);
		if (!(ret = cw_yaml_want_string(&l->y, fld, &v)) &&
		    !(ret = check_label_value(&l->y, fld, v)))
			ret = cw_strv_push(&r.values, v);
		if (ret) {
			free(r.key);
			cw_strv_free(&r.values);
			return ret;
		}
		if ((ret = req_add(sel, &r)))
			return ret;
	}
}

static int parse_operator(struct loader *l, const char *fld, enum cw_label_op *op)
{
	static const char *const names[] = { "In", "NotIn", "Exists", "DoesNotExist" };
	const char *v;
	int ret = cw_yaml_want_string(&l->y, fld, &v);

	if (ret)
		return ret;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i])) {
			*op = (enum cw_label_op)i;
			return 0;
		}
	return fail(l, line_of(l), "%s: '%s' is not In, NotIn, Exists or DoesNotExist", fld, v);
}

/* One requirement of matchExpressions: {key, operator, values}. */
static int parse_expression(struct loader *l, size_t idx, struct cw_label_req *r)
{
	size_t start = line_of(l), vline = 0;
	struct cw_yaml_keys k = { 0 };
	bool have_op = false, have_values = false;
	char key[64], fld[96];
	const char *v, *why;
	int ret;

	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		snprintf(fld, sizeof(fld), "selector.matchExpressions[%zu].%s", idx, key);
		if (!strcmp(key, "key")) {
			if ((ret = cw_yaml_want_string(&l->y, fld, &v)))
				return ret;
			if ((why = label_key_problem(v)))
				return fail(l, line_of(l), "%s: '%s': %s", fld, v, why);
			if (!(r->key = strdup(v)))
				return -ENOMEM;
		} else if (!strcmp(key, "operator")) {
			ret = parse_operator(l, fld, &r->op);
			have_op = true;
		} else if (!strcmp(key, "values")) {
			vline = line_of(l);
			ret = cw_yaml_want_strv(&l->y, fld, &r->values, check_label_value);
			have_values = true;
		} else {
			return fail(l, line_of(l),
				    "selector.matchExpressions[%zu]: unknown field '%s' (it takes "
				    "key, operator, values)",
				    idx, key);
		}
		if (ret)
			return ret;
	}
	snprintf(fld, sizeof(fld), "selector.matchExpressions[%zu]", idx);
	if (!r->key)
		return fail(l, start, "%s has no 'key'", fld);
	if (!have_op)
		return fail(l, start, "%s has no 'operator' (In, NotIn, Exists or DoesNotExist)",
			    fld);
	if ((r->op == CW_LABEL_IN || r->op == CW_LABEL_NOT_IN) && !r->values.n)
		return fail(l, have_values ? vline : start, "%s: operator %s needs 'values'", fld,
			    r->op == CW_LABEL_IN ? "In" : "NotIn");
	if ((r->op == CW_LABEL_EXISTS || r->op == CW_LABEL_DOES_NOT_EXIST) && have_values &&
	    r->values.n)
		return fail(l, vline, "%s: operator %s takes no 'values'", fld,
			    r->op == CW_LABEL_EXISTS ? "Exists" : "DoesNotExist");
	return 0;
}

static int parse_match_expressions(struct loader *l, struct cw_label_selector *sel)
{
	int ret;

	if ((ret = next(l)))
		return ret;
	if (cw_yaml_is_null(&l->y))
		return 0;
	if (l->y.ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(l, line_of(l),
			    "selector.matchExpressions must be a list of "
			    "{key, operator, values}");
	for (size_t idx = 0;; idx++) {
		struct cw_label_req r = { .op = CW_LABEL_IN };

		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (l->y.ev.type != YAML_MAPPING_START_EVENT)
			return fail(l, line_of(l),
				    "selector.matchExpressions[%zu] must be a mapping "
				    "{key, operator, values}",
				    idx);
		if ((ret = parse_expression(l, idx, &r))) {
			free(r.key);
			cw_strv_free(&r.values);
			return ret;
		}
		if ((ret = req_add(sel, &r)))
			return ret;
	}
}

/* selector: {matchLabels, matchExpressions}, a Kubernetes LabelSelector. */
static int parse_label_selector(struct loader *l, struct cw_label_selector *sel)
{
	struct cw_yaml_keys k = { 0 };
	char key[64];
	int ret;

	if ((ret = next(l)))
		return ret;
	if (cw_yaml_is_null(&l->y))
		return fail(l, line_of(l),
			    "field 'selector' has no value (write '{}' to select every pod)");
	if (l->y.ev.type != YAML_MAPPING_START_EVENT)
		return fail(l, line_of(l),
			    "field 'selector' must be a mapping (matchLabels, matchExpressions)");
	sel->set = true;
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		if (!strcmp(key, "matchLabels"))
			ret = parse_match_labels(l, sel);
		else if (!strcmp(key, "matchExpressions"))
			ret = parse_match_expressions(l, sel);
		else
			return fail(l, line_of(l),
				    "selector: unknown field '%s' (it takes matchLabels, "
				    "matchExpressions)",
				    key);
		if (ret)
			return ret;
	}
}

/* annotations: {KEY: VALUE-GLOB, ...} */
static int parse_annotations(struct loader *l, struct cw_policy_workload *w)
{
	const char *why, *v;
	char fld[400];
	int ret;

	if ((ret = next(l)))
		return ret;
	if (l->y.ev.type != YAML_MAPPING_START_EVENT || cw_yaml_is_null(&l->y))
		return fail(l, line_of(l),
			    "field 'annotations' must be a mapping of "
			    "annotation: value glob");
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			return w->ann_keys.n ? 0
					     : fail(l, line_of(l), "field 'annotations' is empty");
		if ((ret = cw_yaml_string_event(&l->y, "annotations", "an annotation")))
			return ret;
		if ((why = label_key_problem(cw_yaml_scalar(&l->y))))
			return fail(l, line_of(l), "annotations: '%s': %s", cw_yaml_scalar(&l->y),
				    why);
		if (cw_strv_has(&w->ann_keys, cw_yaml_scalar(&l->y)))
			return fail(l, line_of(l), "annotations: '%s' given twice",
				    cw_yaml_scalar(&l->y));
		if ((ret = cw_strv_push(&w->ann_keys, cw_yaml_scalar(&l->y))))
			return ret;
		snprintf(fld, sizeof(fld), "annotations.%s", w->ann_keys.v[w->ann_keys.n - 1]);
		if ((ret = cw_yaml_want_string(&l->y, fld, &v)) ||
		    (ret = cw_strv_push(&w->ann_values, v)))
			return ret;
	}
}

/*
 * "A/B" into two globs, both non-empty, for service_account ('NS/NAME'; also the
 * "system:serviceaccount:NS:NAME" form Kubernetes names it by) and owner ('Kind/name').
 */
static int want_pair(struct loader *l, const char *field, const char *example, char **a, char **b)
{
	static const char sa_user[] = "system:serviceaccount:";
	const char *v, *sep;
	char buf[600];
	int ret = cw_yaml_want_string(&l->y, field, &v);

	if (ret)
		return ret;
	if (cw_yaml_is_null(&l->y))
		return fail(l, line_of(l), "field '%s' has no value", field);
	snprintf(buf, sizeof(buf), "%s", v);
	if (!strcmp(field, "service_account") && !strncmp(buf, sa_user, sizeof(sa_user) - 1) &&
	    (sep = strchr(buf + sizeof(sa_user) - 1, ':'))) {
		memmove(buf, buf + sizeof(sa_user) - 1, strlen(buf + sizeof(sa_user) - 1) + 1);
		*strchr(buf, ':') = '/';
	}
	sep = strchr(buf, '/');
	if (!sep || sep == buf || !sep[1] || strchr(sep + 1, '/'))
		return fail(l, line_of(l), "field '%s': '%s' is not %s", field, v, example);
	*a = strndup(buf, (size_t)(sep - buf));
	*b = strdup(sep + 1);
	return *a && *b ? 0 : -ENOMEM;
}

static int parse_workload(struct loader *l, struct cw_policy *pol, struct cw_policy_workload *w)
{
	size_t start = line_of(l);
	const struct cw_policy_workload *prev;
	struct cw_yaml_keys k = { 0 };
	char key[64];
	unsigned long long uid;
	int ret;

	w->uid = -1;
	w->line = (int)start + 1;
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		if (!strcmp(key, "name")) {
			ret = want_str(l, "name", &w->name, check_name);
		} else if (!strcmp(key, "namespace")) {
			ret = want_str(l, "namespace", &w->namespace_, check_nonempty);
		} else if (!strcmp(key, "pod")) {
			ret = want_str(l, "pod", &w->pod, check_nonempty);
		} else if (!strcmp(key, "container")) {
			ret = want_str(l, "container", &w->container, check_nonempty);
		} else if (!strcmp(key, "container_id")) {
			ret = want_str(l, "container_id", &w->container_id, check_nonempty);
		} else if (!strcmp(key, "cgroup")) {
			ret = want_str(l, "cgroup", &w->cgroup, check_nonempty);
		} else if (!strcmp(key, "executable")) {
			ret = want_str(l, "executable", &w->executable, check_executable);
		} else if (!strcmp(key, "unit")) {
			ret = want_str(l, "unit", &w->unit, check_nonempty);
		} else if (!strcmp(key, "selector")) {
			ret = parse_label_selector(l, &w->selector);
		} else if (!strcmp(key, "service_account")) {
			ret = want_pair(l, key, SA_EXAMPLE, &w->sa_namespace, &w->sa_name);
		} else if (!strcmp(key, "owner")) {
			ret = want_pair(
				l, key,
				"'Kind/name' (e.g. Deployment/payments, 'CronJob/backup-*', "
				"'*/payments')",
				&w->owner_kind, &w->owner_name);
		} else if (!strcmp(key, "image")) {
			ret = want_str(l, "image", &w->image, check_nonempty);
		} else if (!strcmp(key, "annotations")) {
			ret = parse_annotations(l, w);
		} else if (!strcmp(key, "uid")) {
			/* (uid_t)-1 is no uid: the agent's "unknown" */
			ret = cw_yaml_want_uint(&l->y, "uid", 0, UID_UNKNOWN - 1, &uid);
			w->uid = (long)uid;
		} else {
			return fail(l, line_of(l),
				    "unknown field '%s' in a workload (it takes "
				    "name, namespace, pod, container, container_id, cgroup, "
				    "executable, unit, uid, selector, service_account, owner, "
				    "image, annotations)",
				    key);
		}
		if (ret)
			return ret;
	}
	if (!w->name)
		return fail(l, start, "workload has no 'name'");
	if ((prev = cw_policy_workload_find(pol, w->name)))
		return fail(l, start, "duplicate workload name '%s' (first defined at %s:%d)",
			    w->name, l->y.file, prev->line);
	if (!w->namespace_ && !w->pod && !w->container && !w->container_id && !w->cgroup &&
	    !w->executable && !w->unit && w->uid < 0 && !w->selector.set && !w->sa_name &&
	    !w->owner_kind && !w->image && !w->ann_keys.n)
		return fail(l, start,
			    "workload '%s' has no selector (give namespace, pod, "
			    "container, container_id, cgroup, executable, unit, uid, selector, "
			    "service_account, owner, image or annotations)",
			    w->name);
	return 0;
}

static int parse_cred(struct loader *l, struct cw_policy_cred *c)
{
	size_t start = line_of(l);
	struct cw_yaml_keys k = { 0 };
	char key[64];
	int ret;

	c->line = (int)start + 1;
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		if (!strcmp(key, "rule")) {
			ret = want_str(l, "rule", &c->rule, check_nonempty);
		} else if (!strcmp(key, "service_account")) {
			ret = want_pair(l, key, SA_EXAMPLE, &c->sa_namespace, &c->sa_name);
		} else if (!strcmp(key, "source")) {
			ret = want_str(l, "source", &c->source, check_path_glob);
		} else if (!strcmp(key, "fingerprint")) {
			ret = want_str(l, "fingerprint", &c->fingerprint, check_fingerprint);
			for (char *h = c->fingerprint; !ret && *h; h++)
				if (*h >= 'A' && *h <= 'F')
					*h = (char)(*h - 'A' + 'a');
		} else if (!strcmp(key, "owners")) {
			ret = cw_yaml_want_strv(&l->y, "owners", &c->owners, check_ref);
		} else if (!strcmp(key, "destinations")) {
			size_t kline = line_of(l);
			const char *why;

			ret = cw_yaml_want_strv(&l->y, "destinations", &c->destinations,
						check_destination);
			if (!ret && (why = cw_destinations_problem(&c->destinations, true, NULL)))
				return fail(l, kline, "field 'destinations': %s", why);
		} else {
			return fail(l, line_of(l),
				    "unknown field '%s' in a credential binding (it "
				    "takes rule, source, fingerprint, service_account, owners, "
				    "destinations)",
				    key);
		}
		if (ret)
			return ret;
	}
	if (!c->rule && !c->source && !c->fingerprint && !c->sa_name)
		return fail(l, start,
			    "credential binding has no selector (give rule, source, "
			    "fingerprint or service_account)");
	if (!c->owners.n && !c->destinations.n)
		return fail(l, start,
			    "credential binding sets neither 'owners' nor "
			    "'destinations'");
	return 0;
}

static int parse_readers(struct loader *l, struct cw_policy_readers *r)
{
	size_t start = line_of(l);
	struct cw_yaml_keys k = { 0 };
	bool have_path = false;
	char key[64];
	int ret;

	r->line = (int)start + 1;
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		if (!strcmp(key, "paths") || !strcmp(key, "path")) {
			if (have_path)
				return fail(l, line_of(l), "give 'path' or 'paths', not both");
			have_path = true;
			if (!strcmp(key, "paths")) {
				ret = cw_yaml_want_strv(&l->y, "paths", &r->paths, check_path_glob);
			} else {
				char *one = NULL;

				ret = want_str(l, "path", &one, check_path_glob);
				if (!ret)
					ret = cw_strv_push(&r->paths, one);
				free(one);
			}
		} else if (!strcmp(key, "allow")) {
			ret = cw_yaml_want_strv(&l->y, "allow", &r->allow, check_ref);
		} else if (!strcmp(key, "deny_executables")) {
			ret = cw_yaml_want_strv(&l->y, "deny_executables", &r->deny_executables,
						check_deny);
		} else {
			return fail(l, line_of(l),
				    "unknown field '%s' in a readers entry (it "
				    "takes paths or path, allow, deny_executables)",
				    key);
		}
		if (ret)
			return ret;
	}
	if (!r->paths.n)
		return fail(l, start, "readers entry has no 'paths'");
	return 0;
}

static int parse_thresholds(struct loader *l, struct cw_policy *pol)
{
	struct cw_yaml_keys k = { 0 };
	unsigned long long v;
	char key[64];
	int ret;

	if ((ret = next(l)))
		return ret;
	if (cw_yaml_is_null(&l->y))
		return 0;
	if (l->y.ev.type != YAML_MAPPING_START_EVENT)
		return fail(l, line_of(l), "'thresholds' must be a mapping");
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		if (!strcmp(key, "long_lived_days")) {
			ret = cw_yaml_want_uint(&l->y, "long_lived_days", 1, 36500, &v);
			pol->long_lived_days = v;
		} else if (!strcmp(key, "jwt_max_lifetime_hours")) {
			ret = cw_yaml_want_uint(&l->y, "jwt_max_lifetime_hours", 1, 87600, &v);
			pol->jwt_max_lifetime = v * 3600;
		} else if (!strcmp(key, "dedup_window_seconds")) {
			ret = cw_yaml_want_uint(&l->y, "dedup_window_seconds", 0, 604800, &v);
			pol->dedup_window = v;
		} else {
			return fail(l, line_of(l),
				    "unknown field '%s' in thresholds (it takes "
				    "long_lived_days, jwt_max_lifetime_hours, "
				    "dedup_window_seconds)",
				    key);
		}
		if (ret)
			return ret;
	}
}

/* Append the element at item (size bytes) to the array *v of *n: 0 or -ENOMEM. */
static int append(void *v, size_t *n, const void *item, size_t size)
{
	void **pv = v;
	char *nv = realloc(*pv, (*n + 1) * size);

	if (!nv)
		return -ENOMEM;
	memcpy(nv + *n * size, item, size);
	*pv = nv;
	(*n)++;
	return 0;
}

static int add_workload(struct loader *l, struct cw_policy *pol)
{
	struct cw_policy_workload w = { 0 };
	int ret = parse_workload(l, pol, &w);

	if (!ret)
		ret = append(&pol->workloads, &pol->nworkloads, &w, sizeof(w));
	if (ret)
		workload_free(&w);
	return ret;
}

static int add_cred(struct loader *l, struct cw_policy *pol)
{
	struct cw_policy_cred c = { 0 };
	int ret = parse_cred(l, &c);

	if (!ret && c.sa_name)
		pol->token_bindings = true;
	if (!ret)
		ret = append(&pol->creds, &pol->ncreds, &c, sizeof(c));
	if (ret)
		cred_free(&c);
	return ret;
}

static int add_readers(struct loader *l, struct cw_policy *pol)
{
	struct cw_policy_readers r = { 0 };
	int ret = parse_readers(l, &r);

	if (!ret)
		ret = append(&pol->readers, &pol->nreaders, &r, sizeof(r));
	if (ret)
		readers_free(&r);
	return ret;
}

/* A top-level list of mappings (an empty value: none), each entry passed to add. */
static int parse_entries(struct loader *l, struct cw_policy *pol, const char *field,
			 const char *what, int (*add)(struct loader *, struct cw_policy *))
{
	int ret = next(l);

	if (ret || cw_yaml_is_null(&l->y))
		return ret;
	if (l->y.ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(l, line_of(l), "'%s' must be a list of %s", field, what);
	while (!(ret = next(l)) && l->y.ev.type != YAML_SEQUENCE_END_EVENT) {
		if (l->y.ev.type != YAML_MAPPING_START_EVENT)
			return fail(l, line_of(l), "each entry of '%s' must be a mapping", field);
		if ((ret = add(l, pol)))
			return ret;
	}
	return ret;
}

/* What cw_policy_reader says, per deny glob and for the allow list. */
static int reader_reasons(const char *file, struct cw_policy_readers *r)
{
	char buf[512];
	size_t n;

	for (size_t i = 0; i < r->deny_executables.n; i++) {
		const char *g = r->deny_executables.v[i];

		snprintf(buf, sizeof(buf), "executable %s'%s' is denied reading this file by %s:%d",
			 strpbrk(g, "*?[") ? "matching " : "", g, file, r->line);
		if (cw_strv_push(&r->deny_why, buf))
			return -ENOMEM;
	}
	if (!r->allow.n)
		return 0;
	n = (size_t)snprintf(buf, sizeof(buf),
			     "only workloads allowed by %s:%d may read this "
			     "file (",
			     file, r->line);
	for (size_t i = 0; i < r->allow.n && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
				      r->allow.v[i]);
	if (n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ")");
	r->allow_why = strdup(buf);
	return r->allow_why ? 0 : -ENOMEM;
}

static int parse_top(struct loader *l, struct cw_policy *pol)
{
	struct cw_yaml_keys k = { 0 };
	char key[64];
	int ret;

	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))))
			return ret;
		if (!strcmp(key, "watch"))
			ret = cw_yaml_want_strv(&l->y, "watch", &pol->watch, check_watch);
		else if (!strcmp(key, "workloads"))
			ret = parse_entries(l, pol, "workloads", "workloads", add_workload);
		else if (!strcmp(key, "credentials"))
			ret = parse_entries(l, pol, "credentials", "credential bindings", add_cred);
		else if (!strcmp(key, "readers"))
			ret = parse_entries(l, pol, "readers", "readers entries", add_readers);
		else if (!strcmp(key, "thresholds"))
			ret = parse_thresholds(l, pol);
		else
			return fail(l, line_of(l),
				    "unknown top-level field '%s' (a policy has "
				    "watch, workloads, credentials, readers, thresholds)",
				    key);
		if (ret)
			return ret;
	}
	/* Workloads may be defined after the entries naming them. */
	for (size_t i = 0; i < l->nrefs; i++)
		if (!cw_policy_workload_find(pol, l->refs[i].name))
			return fail(l, l->refs[i].line0,
				    "field '%s': no workload named '%s' "
				    "(define it under 'workloads')",
				    l->refs[i].field, l->refs[i].name);
	for (size_t i = 0; i < pol->nreaders; i++)
		if ((ret = reader_reasons(pol->file, &pol->readers[i])))
			return ret;
	return 0;
}

static int parse_top_arg(void *arg)
{
	struct loader *l = arg;

	return parse_top(l, l->pol);
}

static int parse_doc(void *arg)
{
	struct loader *l = arg;

	return cw_yaml_one_mapping(&l->y, parse_top_arg, l, "policy",
				   "a policy must be a mapping (of watch, workloads, credentials, "
				   "readers, thresholds)");
}

void cw_policy_free(struct cw_policy *p)
{
	free(p->file);
	cw_strv_free(&p->watch);
	for (size_t i = 0; i < p->nworkloads; i++)
		workload_free(&p->workloads[i]);
	free(p->workloads);
	for (size_t i = 0; i < p->ncreds; i++)
		cred_free(&p->creds[i]);
	free(p->creds);
	for (size_t i = 0; i < p->nreaders; i++)
		readers_free(&p->readers[i]);
	free(p->readers);
	memset(p, 0, sizeof(*p));
}

int cw_policy_load_buf(struct cw_policy *p, const char *file, const char *buf, size_t len,
		       char *err, size_t errlen)
{
	/* an unquoted glob starting with '*' reads as an alias */
	struct loader l = { .y = { .file = file,
				   .doc = "a policy",
				   .err = err,
				   .errlen = errlen,
				   .syntax_hint = " (quote globs that start with '*')" } };
	struct cw_policy tmp = {
		.long_lived_days = 30,
		.jwt_max_lifetime = 24 * 3600,
		.dedup_window = 600,
	};
	int ret;

	l.pol = &tmp;
	if (!(tmp.file = strdup(file))) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	ret = cw_yaml_parse(&l.y, buf, len, parse_doc, &l);
	for (size_t i = 0; i < l.nrefs; i++)
		free(l.refs[i].name);
	free(l.refs);
	if (ret) {
		cw_policy_free(&tmp);
		return ret;
	}
	cw_policy_free(p);
	*p = tmp;
	return 0;
}

int cw_policy_load_file(struct cw_policy *p, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret = cw_read_file(path, POLICY_MAX_BYTES, &buf, &len);

	if (ret == -EFBIG)
		snprintf(err, errlen, "%s: larger than %u bytes", path, POLICY_MAX_BYTES);
	else if (ret)
		snprintf(err, errlen, "%s: %s", path,
			 ret == -ENOMEM ? "out of memory" : strerror(-ret));
	if (ret)
		return ret;
	ret = cw_policy_load_buf(p, path, buf, len, err, errlen);
	free(buf);
	return ret;
}

int cw_policy_load_embedded(struct cw_policy *p, char *err, size_t errlen)
{
	return cw_policy_load_buf(p, "<embedded>", cw_embedded_policy, cw_embedded_policy_len, err,
				  errlen);
}

int cw_policy_load_default(struct cw_policy *p, const char *path, char *err, size_t errlen)
{
	return path ? cw_policy_load_file(p, path, err, errlen)
		    : cw_policy_load_embedded(p, err, errlen);
}
