// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: a rules file (byte 0 even) or a policy file (odd), as --rules DIR and
 * --policy FILE give them. The loader must take it whole or refuse it with a message naming
 * where; what it took is walked field by field, and the policy's watch list asked about a
 * path and turned into the kernel's prefilter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rules.h"
#include "judge/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

static void str(const char *s)
{
	sink += s ? (unsigned)strlen(s) : 0;
}

static void strv(const struct cw_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		str(v->v[i]);
}

static void rules(const char *buf, size_t len)
{
	struct cw_ruleset rs = { 0 };
	char err[512] = "";

	if (cw_rules_load_buf(&rs, "fuzz.yaml", buf, len, err, sizeof(err))) {
		if (!err[0])
			abort(); /* every refusal says why */
		cw_rules_free(&rs);
		return;
	}
	for (size_t i = 0; i < rs.n; i++) {
		const struct cw_rule *r = &rs.rules[i];

		if (!r->id || !r->pattern)
			abort();
		str(r->id);
		str(r->name);
		str(r->pattern);
		str(r->kind);
		str(r->provider);
		strv(&r->keywords);
		strv(&r->ignore_keys);
		strv(&r->ignore_values);
		strv(&r->ignore_lines);
		strv(&r->destinations);
		strv(&r->examples);
		strv(&r->negative_examples);
		str(cw_lifetime_name(r->lifetime));
	}
	cw_rules_free(&rs);
}

static void workload(const struct cw_policy_workload *w)
{
	str(w->name);
	str(w->namespace_);
	str(w->pod);
	str(w->container);
	str(w->container_id);
	str(w->cgroup);
	str(w->executable);
	str(w->unit);
	for (size_t i = 0; i < w->selector.n; i++) {
		str(w->selector.reqs[i].key);
		strv(&w->selector.reqs[i].values);
	}
	str(w->sa_namespace);
	str(w->sa_name);
	str(w->owner_kind);
	str(w->owner_name);
	str(w->image);
	strv(&w->ann_keys);
	strv(&w->ann_values);
	if (w->ann_keys.n != w->ann_values.n)
		abort();
}

static void policy(const char *buf, size_t len)
{
	struct cw_policy p;
	struct cw_prefilter pf;
	char err[512] = "";

	memset(&p, 0, sizeof(p));
	if (cw_policy_load_buf(&p, "fuzz.yaml", buf, len, err, sizeof(err))) {
		if (!err[0])
			abort();
		cw_policy_free(&p);
		return;
	}
	strv(&p.watch);
	for (size_t i = 0; i < p.nworkloads; i++)
		workload(&p.workloads[i]);
	for (size_t i = 0; i < p.ncreds; i++) {
		const struct cw_policy_cred *c = &p.creds[i];

		str(c->rule);
		str(c->sa_namespace);
		str(c->sa_name);
		str(c->source);
		str(c->fingerprint);
		strv(&c->owners);
		strv(&c->destinations);
	}
	for (size_t i = 0; i < p.nreaders; i++) {
		const struct cw_policy_readers *r = &p.readers[i];

		strv(&r->paths);
		strv(&r->allow);
		strv(&r->deny_executables);
		strv(&r->deny_why);
		str(r->allow_why);
		if (r->deny_why.n != r->deny_executables.n)
			abort();
	}
	sink += cw_policy_watched(&p, "/home/dev/.aws/credentials");
	sink += cw_policy_watched(&p, "/etc/app/prod.env");
	if (!cw_policy_prefilter(&p, &pf))
		cw_prefilter_free(&pf);
	cw_policy_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		policy((const char *)data + 1, size - 1);
	else
		rules((const char *)data + 1, size - 1);
	return 0;
}
