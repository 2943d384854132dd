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
#include "util/clock.h"
#include "util/log.h"
#include "detect/redact.h"

#define SAVE_INTERVAL 5		/* seconds between saves of a changed store */
#define LONG_LIVED_WINDOW 86400 /* seconds between credential-long-lived of one workload */

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
	x->lineage = cw_lineage_new();
	return x->lineage ? 0 : -ENOMEM;
}

void cw_exposure_free(struct cw_exposure *x)
{
	cw_dedup_clear(&x->dedup);
	cw_lineage_free(x->lineage);
	x->lineage = NULL;
}

void cw_exposure_exec(struct cw_exposure *x, uint32_t pid, uint64_t start_ns, uint64_t exec_ns)
{
	cw_lineage_exec(x->lineage, (struct cw_lineage_proc){ pid, start_ns }, exec_ns);
}

void cw_exposure_exit(struct cw_exposure *x, uint32_t pid)
{
	cw_lineage_exit(x->lineage, pid);
}

bool cw_exposure_dedup(struct cw_exposure *x, const char *fp_hex, const char *workload,
		       const char *action, uint64_t *count)
{
	int64_t window = (int64_t)x->policy->dedup_window;

	/* Age does not change by the minute: a long-lived credential is said once a day. */
	if (!strcmp(action, "credential-long-lived") && window < LONG_LIVED_WINDOW)
		window = LONG_LIVED_WINDOW;
	if (cw_dedup_check(&x->dedup, fp_hex, workload, action, x->now(), window, count))
		return true;
	x->suppressed++;
	return false;
}

void cw_exposure_subject(struct cw_exposure *x, const struct cw_actor *a, struct cw_subject *s,
			 char key[CW_PROV_STR])
{
	const struct cw_workload *wl = cw_workload_get(x->wls, a->cgroup_id, a->pid);
	char root[CW_PROCS_EXE_MAX];

	s->wl = wl;
	s->exe = a->exe ? a->exe : "";
	s->comm = a->comm ? a->comm : "";
	s->uid = a->uid;
	/* The identity the cgroup gives (policy workload names are judged when comparing, on the
	 * live process: a key must not change when the policy does). */
	if (wl->key[0]) {
		snprintf(key, CW_PROV_STR, "%s", wl->key);
		return;
	}
	if (cw_procs_tree_root(x->procs, a->pid, root))
		snprintf(key, CW_PROV_STR, "tree:%s uid:%u", root, a->uid);
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

/* One load being judged: what cw_exposure_load was given, and what it found out. */
struct judged_load {
	struct cw_exposure *x;
	const struct cw_match *m;
	const char *fp_hex;
	const struct cw_actor *a;
	const struct cw_load *l;
	struct cw_subject s;	/* the loader, for policy */
	char key[CW_PROV_STR];	/* the loader's workload */
	struct cw_prov_cred *c; /* the credential's provenance */
};

/* The "credwatch.credential" members of a load alert: the origin and who loaded it. */
static void put_load_origin(struct judged_load *jl)
{
	struct cw_exposure *x = jl->x;
	const struct cw_load *l = jl->l;
	const struct cw_prov_cred *c = jl->c;
	struct cw_json *j = &x->f->j;
	const char *first;

	if (l->source == CW_PROV_FILE)
		cw_json_kstr(j, "path", l->detail);
	else if (l->source == CW_PROV_ENV && l->detail[0])
		cw_json_kstr(j, "variable", l->detail);
	if (owners_by_load(c, &first))
		cw_json_kstr(j, "origin_workload", first);
	cw_json_key(j, "loaded_by");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->norigins; i++)
		if (cw_prov_first_of_workload(c, i, NULL))
			cw_json_str(j, c->origins[i].workload);
	cw_json_arr_end(j);
	cw_json_kint(j, "first_seen_days", (x->now() - c->first_seen) / 86400);
}

/* One exposure alert about a load: credential, origin, the actor's process and workload. */
static int load_alert(struct judged_load *jl, const char *action, enum cw_nhi nhi,
		      const char *message, const char *reason)
{
	struct cw_exposure *x = jl->x;
	const struct cw_load *l = jl->l;
	const struct cw_actor *a = jl->a;
	struct cw_finding_writer *f = x->f;
	struct cw_json *j = &f->j;
	uint64_t count;

	if (!cw_exposure_dedup(x, jl->fp_hex, jl->key, action, &count))
		return 0;
	cw_finding_begin(f, a->ktime_ns, true, action,
			 jl->m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW
								: CW_SEVERITY_HIGH,
			 l->source == CW_PROV_FILE ? "file" : "process",
			 l->source == CW_PROV_FILE ? "access" : "start", jl->m);
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
	cw_finding_host(f, a->pid, a->uid, a->cgroup_id, jl->key);
	cw_finding_credential(f, jl->m, cw_prov_source_name(l->source));
	put_load_origin(jl);
	cw_json_obj_end(j);
	cw_json_kuint(j, "count", count);
	if (reason)
		cw_json_kstr(j, "reason", reason);
	cw_json_obj_end(j);
	cw_finding_threat(f, nhi, message);
	f->alerts++;
	return cw_finding_emit(f);
}

/* credential-unexpected-reader: a reader the policy does not allow, never an owner. */
static int unexpected_reader(struct judged_load *jl, const char *why)
{
	jl->x->reader_alerts++;
	return load_alert(jl, "credential-unexpected-reader", CW_NHI_HUMAN_USE,
			  jl->l->environ_pid
				  ? "credentials read from another process's "
				    "environment by a process outside its allowed readers"
				  : "credential file read by a process outside its "
				    "allowed readers",
			  why);
}

/*
 * Record the load as an origin of the credential, an owning one or not. Owners are the
 * workloads that loaded it first. A container or pod that loads a credential other workloads
 * already own is a latecomer (credential-shared), not an owner, unless the policy binds it:
 * else a stolen token passed in an environment would make its thief an owner. A host
 * process outside any container keeps every load: it inherits its environment from its
 * parent, a different executable. Returns whether the workload is a new loader (a file or
 * env load by a workload that had not loaded it).
 */
static bool record_origin(struct judged_load *jl)
{
	const struct cw_load *l = jl->l;
	const struct cw_prov_cred *c = jl->c;
	const struct cw_workload *wl = jl->s.wl;
	bool seen = false, owner = true, new_loader;
	const char *first;

	for (size_t i = 0; i < c->norigins && !seen; i++)
		seen = loading(&c->origins[i]) && !strcmp(c->origins[i].workload, jl->key);
	new_loader = !seen && l->source != CW_PROV_ARGV;
	if (seen) { /* an owner stays one, a latecomer stays one */
		owner = loaded_by(c, jl->key);
	} else if (new_loader && (wl->pod_uid[0] || wl->container_id[0]) &&
		   owners_by_load(c, &first) > 0) {
		const struct cw_policy *p = jl->x->policy;
		const struct cw_policy_cred *b = cw_policy_cred_for(
			p, jl->m, l->source == CW_PROV_FILE ? l->detail : NULL, jl->fp_hex);

		owner = b && b->owners.n && cw_policy_cred_owner(p, b, &jl->s);
	}
	cw_prov_add_origin_as(jl->x->prov, jl->c, jl->key, l->source, l->detail ? l->detail : "",
			      jl->x->now(), owner);
	return new_loader;
}

/*
 * Why the credential is long-lived, in buf (of len bytes), or NULL: a static kind in use for
 * longer than the threshold, or a JWT issued for longer than the policy allows (or without
 * an expiry).
 */
static const char *long_lived_reason(struct judged_load *jl, char *buf, size_t len)
{
	const struct cw_policy *p = jl->x->policy;
	int64_t age = jl->x->now() - jl->c->first_seen;
	struct cw_class cls;

	cw_classify(jl->m, &cls);
	if (cls.is_jwt && !cls.jwt.has_exp)
		return "JWT without an expiry";
	if (cls.is_jwt && cls.jwt_lifetime > (int64_t)p->jwt_max_lifetime) {
		snprintf(buf, len, "JWT issued for %lld hours (over %llu)",
			 (long long)(cls.jwt_lifetime / 3600), p->jwt_max_lifetime / 3600);
		return buf;
	}
	if (!cls.is_jwt && cls.lifetime == CW_LIFETIME_LONG &&
	    age > (int64_t)(p->long_lived_days * 86400)) {
		snprintf(buf, len, "static credential in use for %lld days (over %llu)",
			 (long long)(age / 86400), p->long_lived_days);
		return buf;
	}
	return NULL;
}

int cw_exposure_load(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
		     const struct cw_actor *a, const struct cw_load *l)
{
	struct judged_load jl = { .x = x, .m = m, .fp_hex = fp_hex, .a = a, .l = l };
	const char *why = NULL, *reason;
	bool denied, new_loader;
	char buf[128];
	int ret;

	x->loads++;
	cw_exposure_subject(x, a, &jl.s, jl.key);
	if (l->workload_out)
		snprintf(l->workload_out, CW_PROV_STR, "%s", jl.key);
	denied = l->source == CW_PROV_FILE &&
		 cw_policy_reader(x->policy, l->detail, &jl.s, &why) == CW_READER_DENIED;
	if (!(jl.c = touch(x, m, fp_hex)))
		return -ENOMEM;
	if (denied)
		return unexpected_reader(&jl, why);
	/* Reading another process's environment is not loading a credential of one's own: the
	 * reader is not an owner. Not denied, so nothing to say. */
	if (l->environ_pid)
		return 0;
	/* Inherited from its parent (or its image before this exec): the same load, by the
	 * workload that first had it. */
	if (l->source == CW_PROV_ENV) {
		const char *held =
			cw_lineage_env(x->lineage, (struct cw_lineage_proc){ a->pid, a->start_ns },
				       (struct cw_lineage_proc){ a->ppid, a->ppid_start_ns },
				       a->ktime_ns, fp_hex, l->detail ? l->detail : "", jl.key);

		if (held != jl.key)
			snprintf(jl.key, sizeof(jl.key), "%s", held);
	}
	if (l->workload_out)
		snprintf(l->workload_out, CW_PROV_STR, "%s", jl.key);
	new_loader = record_origin(&jl);
	if (l->source == CW_PROV_FILE && l->in_image) {
		x->hardcoded_alerts++;
		ret = load_alert(&jl, "credential-hardcoded", CW_NHI_SECRET_LEAKAGE,
				 "credential loaded from a file in the container image, not from a "
				 "mounted secret, a volume or the environment",
				 NULL);
		if (ret)
			return ret;
	}
	if (new_loader && cw_prov_count_workloads(jl.c, loading) >= 2) {
		x->shared_alerts++;
		ret = load_alert(&jl, "credential-shared", CW_NHI_REUSE,
				 "one credential loaded by more than one workload", NULL);
		if (ret)
			return ret;
	}
	if (!(reason = long_lived_reason(&jl, buf, sizeof(buf))))
		return 0;
	x->long_lived_alerts++;
	return load_alert(&jl, "credential-long-lived", CW_NHI_LONG_LIVED,
			  "long-lived credential: rotate it", reason);
}

/*
 * A sender whose environment holds the credential (or, for a child forked without an exec,
 * whose parent's does) sends it for the workload it inherited it from.
 */
static void inherited_sender(struct cw_exposure *x, uint32_t pid, const char *fp_hex,
			     char sender[CW_PROV_STR])
{
	const char *holder = cw_lineage_holder(x->lineage, pid, fp_hex);
	uint32_t ppid;

	if (!holder && x->procs && (ppid = cw_procs_parent(x->procs, pid)))
		holder = cw_lineage_holder(x->lineage, ppid, fp_hex);
	if (holder && strcmp(holder, sender))
		snprintf(sender, CW_PROV_STR, "%s", holder);
}

void cw_exposure_egress(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
			const struct cw_actor *a, const char *destination,
			struct cw_egress_verdict *v)
{
	struct cw_subject s;
	struct cw_prov_cred *c;

	memset(v, 0, sizeof(*v));
	cw_exposure_subject(x, a, &s, v->sender);
	inherited_sender(x, a->pid, fp_hex, v->sender);
	v->binding = cw_policy_cred_for(x->policy, m, NULL, fp_hex);
	if (!v->binding) {
		/* a binding by source: any file this credential was loaded from */
		c = cw_prov_find(x->prov, fp_hex);
		for (size_t i = 0; c && i < c->norigins && !v->binding; i++)
			if (c->origins[i].source == CW_PROV_FILE)
				v->binding = cw_policy_cred_for(x->policy, m, c->origins[i].detail,
								fp_hex);
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
	/* the monotonic clock: a wall clock stepped back must not stop the saves */
	double now = cw_mono_s();

	if (!x->prov->dirty || (x->last_save && now - x->last_save < SAVE_INTERVAL))
		return 0;
	x->last_save = now;
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
