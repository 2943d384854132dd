// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Exposure findings: provenance, ownership and the policy applied to each load and use of a
 * credential (see exposure.h). Ownership is by workload: the pod, container or systemd unit a
 * process runs in, or, for a host process outside any of them, its executable and uid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/classify.h"
#include "judge/exposure.h"
#include "util/hash.h"
#include "util/log.h"
#include "detect/redact.h"

#define DEDUP_BUCKETS 4096
#define DEDUP_MAX 65536		/* entries kept; the oldest window goes first */
#define SAVE_INTERVAL 5		/* seconds between saves of a changed store */
#define LONG_LIVED_WINDOW 86400 /* seconds between credential-long-lived of one workload */

struct dedup_entry {
	struct dedup_entry *next;
	uint64_t hash;
	char fp[17]; /* the fingerprint's first 16 hex: enough to tell them apart */
	char action[40];
	char workload[CW_PROV_STR];
	int64_t window_start;
	uint64_t suppressed;
};

struct cw_dedup {
	struct dedup_entry *b[DEDUP_BUCKETS];
	size_t n;
	int64_t last_save;
};

static int64_t real_now(void)
{
	return (int64_t)time(NULL);
}

int cw_exposure_init(struct cw_exposure *x, struct cw_finding_writer *f, const struct cw_policy *p,
		     struct cw_provenance *prov, struct cw_workloads *wls)
{
	memset(x, 0, sizeof(*x));
	x->f = f;
	x->policy = p;
	x->prov = prov;
	x->wls = wls;
	x->now = real_now;
	x->dedup = calloc(1, sizeof(*x->dedup));
	return x->dedup ? 0 : -ENOMEM;
}

static void dedup_clear(struct cw_dedup *d)
{
	for (size_t i = 0; i < DEDUP_BUCKETS; i++)
		while (d->b[i]) {
			struct dedup_entry *e = d->b[i];

			d->b[i] = e->next;
			free(e);
		}
	d->n = 0;
}

void cw_exposure_free(struct cw_exposure *x)
{
	if (x->dedup)
		dedup_clear(x->dedup);
	free(x->dedup);
	x->dedup = NULL;
}

bool cw_exposure_dedup(struct cw_exposure *x, const char *fp_hex, const char *workload,
		       const char *action, uint64_t *count)
{
	struct cw_dedup *d = x->dedup;
	int64_t now = x->now(), window = (int64_t)x->policy->dedup_window;

	/* Age does not change by the minute: a long-lived credential is said once a day. */
	if (!strcmp(action, "credential-long-lived") && window < LONG_LIVED_WINDOW)
		window = LONG_LIVED_WINDOW;
	char fp[17];
	uint64_t h;
	struct dedup_entry *e;

	snprintf(fp, sizeof(fp), "%s", fp_hex);
	h = cw_fnv1a_field(cw_fnv1a_field(cw_fnv1a_field(CW_FNV_OFFSET, fp), workload), action);
	for (e = d->b[h % DEDUP_BUCKETS]; e; e = e->next)
		if (e->hash == h && !strcmp(e->fp, fp) && !strcmp(e->action, action) &&
		    !strcmp(e->workload, workload))
			break;
	if (e && now - e->window_start < window) {
		e->suppressed++;
		x->suppressed++;
		return false;
	}
	if (e) {
		*count = e->suppressed + 1;
		e->suppressed = 0;
		e->window_start = now;
		return true;
	}
	*count = 1;
	if (d->n >= DEDUP_MAX) /* rare: start over rather than grow without bound */
		dedup_clear(d);
	e = calloc(1, sizeof(*e));
	if (!e)
		return true;
	e->hash = h;
	snprintf(e->fp, sizeof(e->fp), "%s", fp);
	snprintf(e->action, sizeof(e->action), "%s", action);
	snprintf(e->workload, sizeof(e->workload), "%s", workload);
	e->window_start = now;
	e->next = d->b[h % DEDUP_BUCKETS];
	d->b[h % DEDUP_BUCKETS] = e;
	d->n++;
	return true;
}

void cw_exposure_subject(struct cw_exposure *x, const struct cw_actor *a, struct cw_subject *s,
			 char key[CW_PROV_STR])
{
	const struct cw_workload *wl = cw_workload_get(x->wls, a->cgroup_id, a->pid);

	s->wl = wl;
	s->exe = a->exe ? a->exe : "";
	s->comm = a->comm ? a->comm : "";
	s->uid = a->uid;
	/* The identity the cgroup gives (policy workload names are judged when comparing, on the
	 * live process: a key must not change when the policy does). */
	if (wl->key[0])
		snprintf(key, CW_PROV_STR, "%s", wl->key);
	else
		snprintf(key, CW_PROV_STR, "exe:%s uid:%u", s->exe[0] ? s->exe : s->comm, a->uid);
}

/* Does this origin make its workload an owner? A file or env load that was not a latecomer. */
static bool owning(const struct cw_prov_origin *o)
{
	return o->source != CW_PROV_ARGV && !o->not_owner;
}

/* An owner by load: it read the credential from a file or got it in its environment. */
static bool loaded_by(const struct cw_prov_cred *c, const char *workload)
{
	for (size_t i = 0; i < c->norigins; i++)
		if (owning(&c->origins[i]) && !strcmp(c->origins[i].workload, workload))
			return true;
	return false;
}

/* Any file or env load, owning or not. */
static bool loading(const struct cw_prov_origin *o)
{
	return o->source != CW_PROV_ARGV;
}

/* How many owners by load, and the first of them (the origin workload). */
static size_t owners_by_load(const struct cw_prov_cred *c, const char **first)
{
	*first = NULL;
	for (size_t i = 0; i < c->norigins && !*first; i++)
		if (owning(&c->origins[i]))
			*first = c->origins[i].workload;
	return cw_prov_count_workloads(c, owning);
}

static struct cw_prov_cred *touch(struct cw_exposure *x, const struct cw_match *m,
				  const char *fp_hex)
{
	char red[CW_REDACT_MAX];
	struct cw_class cls;

	cw_classify(m, &cls);
	cw_redact(m->secret, m->len, red);
	return cw_prov_touch(x->prov, fp_hex, m->rule->id, cls.kind, cw_lifetime_name(cls.lifetime),
			     red, x->now());
}

/* One exposure alert about a load: credential, origin, the actor's process and workload. */
static int load_alert(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
		      const struct cw_actor *a, const struct cw_load *l, const char *workload,
		      const char *action, enum cw_nhi nhi, const char *message, const char *reason,
		      const struct cw_prov_cred *c)
{
	struct cw_finding_writer *f = x->f;
	struct cw_json *j = &f->j;
	uint64_t count;

	if (!cw_exposure_dedup(x, fp_hex, workload, action, &count))
		return 0;
	cw_finding_begin(f, a->ktime_ns, true, action,
			 m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW : CW_SEVERITY_HIGH,
			 l->source == CW_PROV_FILE ? "file" : "process",
			 l->source == CW_PROV_FILE ? "access" : "start");
	cw_finding_credential(f, m, cw_prov_source_name(l->source));
	if (l->source == CW_PROV_FILE)
		cw_json_kstr(j, "path", l->detail);
	else if (l->source == CW_PROV_ENV && l->detail[0])
		cw_json_kstr(j, "variable", l->detail);
	if (c) {
		const char *first;
		size_t n = owners_by_load(c, &first);

		if (n)
			cw_json_kstr(j, "origin_workload", first);
		cw_json_key(j, "loaded_by");
		cw_json_arr_begin(j);
		for (size_t i = 0; i < c->norigins; i++)
			if (cw_prov_first_of_workload(c, i, NULL))
				cw_json_str(j, c->origins[i].workload);
		cw_json_arr_end(j);
		cw_json_kint(j, "first_seen_days", (x->now() - c->first_seen) / 86400);
	}
	cw_json_obj_end(j);
	if (l->source == CW_PROV_FILE) {
		cw_json_kobj(j, "file");
		cw_json_kstr(j, "path", l->detail);
		cw_json_obj_end(j);
	}
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", a->pid);
	if (a->exe && a->exe[0])
		cw_json_kstr(j, "executable", a->exe);
	if (a->comm && a->comm[0])
		cw_json_kstr(j, "name", a->comm);
	cw_json_obj_end(j);
	cw_finding_host(f, a->pid, a->uid, a->cgroup_id);
	cw_json_kstr(j, "workload", workload);
	cw_json_kuint(j, "count", count);
	if (reason)
		cw_json_kstr(j, "reason", reason);
	cw_json_obj_end(j);
	cw_finding_threat(f, nhi, message);
	f->alerts++;
	return cw_finding_emit(f);
}

int cw_exposure_load(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
		     const struct cw_actor *a, const struct cw_load *l)
{
	const struct cw_policy *p = x->policy;
	struct cw_subject s;
	char key[CW_PROV_STR];
	const char *why = NULL;
	struct cw_prov_cred *c;
	struct cw_class cls;
	bool denied = false, new_loader;
	int ret = 0;

	x->loads++;
	cw_exposure_subject(x, a, &s, key);
	if (l->source == CW_PROV_FILE &&
	    cw_policy_reader(p, l->detail, &s, &why) == CW_READER_DENIED)
		denied = true;
	c = touch(x, m, fp_hex);
	if (!c)
		return -ENOMEM;
	if (denied) {
		/* A reader the policy does not allow does not become an owner. */
		x->reader_alerts++;
		ret = load_alert(
			x, m, fp_hex, a, l, key, "credential-unexpected-reader", CW_NHI_HUMAN_USE,
			l->environ_pid ? "credentials read from another process's "
					 "environment by a process outside its allowed readers"
				       : "credential file read by a process outside its allowed "
					 "readers",
			why, c);
		return ret;
	}
	if (l->environ_pid) {
		/* Reading another process's environment is not loading a credential of one's
		 * own: the reader is not an owner. Not denied, so nothing to say. */
		return 0;
	}
	{
		const char *first;
		bool seen = false, owner = true;

		for (size_t i = 0; i < c->norigins && !seen; i++)
			seen = loading(&c->origins[i]) && !strcmp(c->origins[i].workload, key);
		new_loader = !seen && l->source != CW_PROV_ARGV;
		/*
		 * Owners are the workloads that loaded it first. A container or pod that loads a
		 * credential other workloads already own is a latecomer (credential-shared), not an
		 * owner, unless the policy binds it: else a stolen token passed in an environment
		 * would make its thief an owner. A host process outside any container keeps every
		 * load: it inherits its environment from its parent, a different executable.
		 */
		if (seen) /* an owner stays one, a latecomer stays one */
			owner = loaded_by(c, key);
		else if (new_loader && (s.wl->pod_uid[0] || s.wl->container_id[0]) &&
			 owners_by_load(c, &first) > 0) {
			const struct cw_policy_cred *b = cw_policy_cred_find(
				p, m->rule->id, l->source == CW_PROV_FILE ? l->detail : NULL,
				fp_hex);

			owner = b && b->owners.n && cw_policy_cred_owner(p, b, &s);
		}
		cw_prov_add_origin_as(x->prov, c, key, l->source, l->detail ? l->detail : "",
				      x->now(), owner);
	}
	if (l->source == CW_PROV_FILE && l->in_image) {
		x->hardcoded_alerts++;
		ret = load_alert(x, m, fp_hex, a, l, key, "credential-hardcoded",
				 CW_NHI_SECRET_LEAKAGE,
				 "credential loaded from a file in the container image, not from a "
				 "mounted secret, a volume or the environment",
				 NULL, c);
		if (ret)
			return ret;
	}
	if (new_loader) {
		if (cw_prov_count_workloads(c, loading) >= 2) {
			x->shared_alerts++;
			ret = load_alert(x, m, fp_hex, a, l, key, "credential-shared", CW_NHI_REUSE,
					 "one credential loaded by more than one workload", NULL,
					 c);
			if (ret)
				return ret;
		}
	}
	/* Long-lived: a static kind in use for longer than the threshold, or a JWT issued for
	 * longer than the policy allows (or without an expiry). */
	cw_classify(m, &cls);
	{
		const char *reason = NULL;
		char buf[128];

		if (cls.is_jwt && !cls.jwt.has_exp) {
			reason = "JWT without an expiry";
		} else if (cls.is_jwt && cls.jwt_lifetime > (int64_t)p->jwt_max_lifetime) {
			snprintf(buf, sizeof(buf), "JWT issued for %lld hours (over %llu)",
				 (long long)(cls.jwt_lifetime / 3600), p->jwt_max_lifetime / 3600);
			reason = buf;
		} else if (!cls.is_jwt && cls.lifetime == CW_LIFETIME_LONG &&
			   x->now() - c->first_seen > (int64_t)(p->long_lived_days * 86400)) {
			snprintf(buf, sizeof(buf),
				 "static credential in use for %lld days (over %llu)",
				 (long long)((x->now() - c->first_seen) / 86400),
				 p->long_lived_days);
			reason = buf;
		}
		if (reason) {
			x->long_lived_alerts++;
			ret = load_alert(x, m, fp_hex, a, l, key, "credential-long-lived",
					 CW_NHI_LONG_LIVED, "long-lived credential: rotate it",
					 reason, c);
		}
	}
	return ret;
}

void cw_exposure_egress(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
			const struct cw_actor *a, const char *destination,
			struct cw_egress_verdict *v)
{
	struct cw_subject s;
	struct cw_prov_cred *c;

	memset(v, 0, sizeof(*v));
	cw_exposure_subject(x, a, &s, v->sender);
	v->binding = cw_policy_cred_find(x->policy, m->rule->id, NULL, fp_hex);
	if (!v->binding) {
		/* a binding by source: any file this credential was loaded from */
		c = cw_prov_find(x->prov, fp_hex);
		for (size_t i = 0; c && i < c->norigins && !v->binding; i++)
			if (c->origins[i].source == CW_PROV_FILE)
				v->binding = cw_policy_cred_find(x->policy, m->rule->id,
								 c->origins[i].detail, fp_hex);
	}
	c = cw_prov_find(x->prov, fp_hex);
	if (v->binding && v->binding->owners.n) {
		v->known = true;
		v->not_owner = !cw_policy_cred_owner(x->policy, v->binding, &s);
	} else if (c) {
		const char *first;

		char alias[CW_PROV_STR];

		v->known = owners_by_load(c, &first) > 0;
		/* a pod's loads before its name was known are keyed by its UID */
		snprintf(alias, sizeof(alias), "pod:%s", s.wl->pod_uid);
		v->not_owner = v->known && !loaded_by(c, v->sender) &&
			       !(s.wl->pod_uid[0] && loaded_by(c, alias));
	}
	/* Every credential seen leaving is in the inventory, known or not. */
	c = touch(x, m, fp_hex);
	if (c)
		cw_prov_add_use(x->prov, c, v->sender, destination ? destination : "", x->now());
	v->cred = c;
}

const struct cw_strv *cw_exposure_destinations(const struct cw_egress_verdict *v,
					       const struct cw_rule *r)
{
	if (v->binding && v->binding->destinations.n)
		return &v->binding->destinations;
	return &r->destinations;
}

void cw_exposure_origin_json(struct cw_exposure *x, const struct cw_egress_verdict *v)
{
	struct cw_json *j = &x->f->j;
	const struct cw_prov_cred *c = v->cred;
	const char *first = NULL;

	if (c && owners_by_load(c, &first)) {
		cw_json_kstr(j, "origin_workload", first);
		for (size_t i = 0; i < c->norigins; i++)
			if (!strcmp(c->origins[i].workload, first)) {
				cw_json_kstr(j, "source",
					     cw_prov_source_name(c->origins[i].source));
				if (c->origins[i].detail[0])
					cw_json_kstr(j,
						     c->origins[i].source == CW_PROV_FILE
							     ? "source_path"
							     : "source_variable",
						     c->origins[i].detail);
				break;
			}
	}
	cw_json_key(j, "owners");
	cw_json_arr_begin(j);
	if (v->binding && v->binding->owners.n) {
		for (size_t i = 0; i < v->binding->owners.n; i++) {
			char name[CW_PROV_STR];

			snprintf(name, sizeof(name), "policy:%s", v->binding->owners.v[i]);
			cw_json_str(j, name);
		}
	} else if (c) {
		for (size_t i = 0; i < c->norigins; i++)
			if (cw_prov_first_of_workload(c, i, owning))
				cw_json_str(j, c->origins[i].workload);
	}
	cw_json_arr_end(j);
}

int cw_exposure_tick(struct cw_exposure *x)
{
	char err[512];
	int64_t now = x->now();

	if (!x->prov->dirty || now - x->dedup->last_save < SAVE_INTERVAL)
		return 0;
	x->dedup->last_save = now;
	if (cw_prov_save(x->prov, err, sizeof(err))) {
		/* A full disk must not stop detection: said once per outage, retried. */
		if (!x->save_failing)
			cw_log("cannot save the provenance store (will retry): %s", err);
		x->save_failing = true;
		return 0;
	}
	if (x->save_failing)
		cw_log("provenance store saved again");
	x->save_failing = false;
	return 0;
}
