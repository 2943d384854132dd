// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Building timelines (see timeline.h): finding lines, ECS or OCSF, read with jansson into one
 * event shape; the provenance store's origins and uses into the same shape; the filter; the
 * order. Writing them is timeline_write.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "trace/timeline.h"
#include "util/grow.h"

#define LINE_MAX_BYTES (16u << 20) /* a finding is a few KiB; a line past this is not one */

const char *cw_tl_what_name(enum cw_tl_what w)
{
	switch (w) {
	case CW_TL_LOADED: return "loaded";
	case CW_TL_READ: return "read";
	case CW_TL_SENT: return "sent";
	case CW_TL_RECEIVED: return "received";
	case CW_TL_SEEN: break;
	}
	return "seen";
}

void cw_timeline_init(struct cw_timeline *t, const struct cw_tl_filter *f)
{
	memset(t, 0, sizeof(*t));
	if (f)
		t->filter = *f;
}

#define EVENT_STRINGS 13

/* The event's string members, for making and freeing them all alike. */
static void event_strings(struct cw_tl_event *e, char **v[EVENT_STRINGS])
{
	char **all[EVENT_STRINGS] = { &e->action,    &e->severity_name, &e->event_id,
				      &e->workload,  &e->process,	&e->executable,
				      &e->source,    &e->detail,	&e->dest_domain,
				      &e->dest_ip,   &e->destination,	&e->tls_library,
				      &e->trace_path };

	memcpy(v, all, sizeof(all));
}

static void event_free(struct cw_tl_event *e)
{
	char **s[EVENT_STRINGS];

	event_strings(e, s);
	for (size_t i = 0; i < EVENT_STRINGS; i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

static void cred_free(struct cw_tl_cred *c)
{
	for (size_t i = 0; i < c->nev; i++)
		event_free(&c->ev[i]);
	free(c->ev);
	free(c->rule);
	free(c->kind);
	free(c->lifetime);
	free(c->redacted);
	cw_strv_free(&c->owners);
	free(c);
}

void cw_timeline_free(struct cw_timeline *t)
{
	struct cw_tl_cred *c, *tmp;

	HASH_ITER (hh, t->by_fp, c, tmp) {
		HASH_DEL(t->by_fp, c);
		cred_free(c);
	}
	t->ncreds = 0;
}

/* A copy of s ("" for NULL); *oom set when it cannot be made. */
static char *dup(const char *s, bool *oom)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*oom = true;
	return d;
}

/* Set *field to s when it is "" and s is not: the first finding that says wins. */
static int fill(char **field, const char *s)
{
	char *d;

	if (!s || !s[0] || (*field && (*field)[0]))
		return 0;
	if (!(d = strdup(s)))
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

/* The credential of fingerprint fp, created when new. NULL when out of memory. */
static struct cw_tl_cred *cred_for(struct cw_timeline *t, const char *fp)
{
	struct cw_tl_cred *c;
	bool oom = false;

	HASH_FIND_STR(t->by_fp, fp, c);
	if (c)
		return c;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	snprintf(c->fingerprint, sizeof(c->fingerprint), "%s", fp);
	c->rule = dup("", &oom);
	c->kind = dup("", &oom);
	c->lifetime = dup("", &oom);
	c->redacted = dup("", &oom);
	if (!oom)
		HASH_ADD_STR(t->by_fp, fingerprint, c);
	if (oom || !CW_HASH_ADDED(c, hh)) {
		cred_free(c);
		return NULL;
	}
	t->ncreds++;
	return c;
}

/* A new event of c, zeroed, its strings "" (so that writers never meet NULL). */
static struct cw_tl_event *new_event(struct cw_timeline *t, struct cw_tl_cred *c)
{
	char **s[EVENT_STRINGS];
	struct cw_tl_event *e;
	bool oom = false;

	if (cw_grow((void **)&c->ev, &c->cap, c->nev + 1, sizeof(*c->ev)))
		return NULL;
	e = &c->ev[c->nev];
	memset(e, 0, sizeof(*e));
	e->severity = -1;
	e->count = 1;
	e->seq = t->seq++;
	event_strings(e, s);
	for (size_t i = 0; i < EVENT_STRINGS; i++)
		*s[i] = dup("", &oom);
	if (oom) {
		event_free(e);
		return NULL;
	}
	c->nev++;
	return e;
}

/* Replace *field with a copy of s (NULL or "" leave it ""). */
static int set(char **field, const char *s)
{
	char *d;

	if (!s || !s[0])
		return 0;
	if (!(d = strdup(s)))
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

/* Filters known from a credential's identity alone (fingerprint, rule). */
static bool identity_passes(const struct cw_tl_filter *f, const char *fp, const char *rule)
{
	if (f->fingerprint && strncasecmp(fp, f->fingerprint, strlen(f->fingerprint)))
		return false;
	if (f->rule && (!rule || strcmp(rule, f->rule)))
		return false;
	return true;
}

/* Parsing one finding. */

/* The member at a dotted path of o ("event.action"), or NULL. */
static json_t *at(json_t *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !json_is_object(o))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *str_at(json_t *o, const char *path)
{
	return json_string_value(at(o, path)); /* NULL unless a string */
}

/* A non-negative integer member, else 0. */
static uint64_t uint_at(json_t *o, const char *path)
{
	json_t *v = at(o, path);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

/* Exactly n digits at *s (moved past them) as a number; -1 when they are not there. */
static int digits(const char **s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

/*
 * An RFC 3339 time ("2026-12-05T06:20:13.852Z", any number of fraction digits, Z or an
 * offset) as unix ms. -EINVAL when it is not one.
 */
static int parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, scale = 1000, off = 0;
	struct tm tm = { 0 };

	y = digits(&s, 4);
	if (y < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 1 || mo > 12 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 1 || d > 31)
		return -EINVAL;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -EINVAL;
	s++;
	h = digits(&s, 2);
	if (h < 0 || h > 23 || *s++ != ':' || (mi = digits(&s, 2)) < 0 || mi > 59 || *s++ != ':' ||
	    (sec = digits(&s, 2)) < 0 || sec > 60)
		return -EINVAL;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++)
			if (scale > 1)
				frac += (*s - '0') * (scale /= 10);
	}
	if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;

		oh = digits(&s, 2);
		if (*s == ':')
			s++;
		om = digits(&s, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -EINVAL;
		off = sign * (oh * 60 + om) * 60;
	} else if (*s == 'Z' || *s == 'z') {
		s++;
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*ms = ((int64_t)timegm(&tm) - off) * 1000 + frac;
	return 0;
}

/* A finding's members wherever its format keeps them: the same names once read. */
struct finding {
	int64_t time_ms;
	bool alert;
	int severity;
	const char *action, *severity_name, *event_id, *rule, *direction;
	const char *process, *executable, *file_path;
	uint32_t pid;
	const char *dest_domain, *dest_ip;
	uint32_t dest_port;
	json_t *cw; /* the "credwatch" object */
};

static const char *read_ecs(json_t *doc, struct finding *f)
{
	json_t *sev = at(doc, "event.severity");
	const char *ts = str_at(doc, "@timestamp");

	if (!ts || parse_time(ts, &f->time_ms))
		return "no @timestamp in RFC 3339";
	f->action = str_at(doc, "event.action");
	f->alert = str_at(doc, "event.kind") && !strcmp(str_at(doc, "event.kind"), "alert");
	f->severity = json_is_integer(sev) ? (int)json_integer_value(sev) : -1;
	f->event_id = str_at(doc, "event.id");
	f->rule = str_at(doc, "rule.id");
	f->pid = (uint32_t)uint_at(doc, "process.pid");
	f->process = str_at(doc, "process.name");
	f->executable = str_at(doc, "process.executable");
	f->file_path = str_at(doc, "file.path");
	f->dest_domain = str_at(doc, "destination.domain");
	f->dest_ip = str_at(doc, "destination.ip");
	f->dest_port = (uint32_t)uint_at(doc, "destination.port");
	f->direction = str_at(doc, "network.direction");
	f->cw = at(doc, "credwatch");
	return NULL;
}

/* OCSF Data Security Finding (2006) as output/ocsf.c makes it from the ECS line. */
static const char *read_ocsf(json_t *doc, struct finding *f)
{
	json_t *time = json_object_get(doc, "time");

	if (!json_is_integer(time))
		return "OCSF finding without an integer time";
	f->time_ms = json_integer_value(time);
	f->action = json_string_value(json_array_get(at(doc, "finding_info.types"), 0));
	f->alert = json_is_true(json_object_get(doc, "is_alert"));
	f->severity = -1;
	f->severity_name = str_at(doc, "severity");
	f->event_id = str_at(doc, "finding_info.uid");
	f->rule = str_at(doc, "finding_info.analytic.uid");
	f->pid = (uint32_t)uint_at(doc, "actor.process.pid");
	f->process = str_at(doc, "actor.process.name");
	f->executable = str_at(doc, "actor.process.file.path");
	f->file_path = str_at(doc, "file.path");
	f->dest_domain = str_at(doc, "dst_endpoint.hostname");
	f->dest_ip = str_at(doc, "dst_endpoint.ip");
	f->dest_port = (uint32_t)uint_at(doc, "dst_endpoint.port");
	f->direction = str_at(doc, "unmapped.network.direction");
	f->cw = at(doc, "unmapped.credwatch");
	return NULL;
}

/* What the finding says happened to the credential: by its action, else by its origin. */
static enum cw_tl_what what_of(const struct finding *f, const char *origin)
{
	static const struct {
		const char *name;
		enum cw_tl_what what;
	} by_action[] = {
		{ "credential-read", CW_TL_READ },
		{ "credential-observed", CW_TL_LOADED },
		{ "credential-sent", CW_TL_SENT },
		{ "credential-received", CW_TL_RECEIVED },
	};

	for (size_t i = 0; i < sizeof(by_action) / sizeof(by_action[0]); i++)
		if (!strcmp(f->action, by_action[i].name))
			return by_action[i].what;
	if (!strcmp(origin, "env") || !strcmp(origin, "argv"))
		return CW_TL_LOADED;
	if (!strcmp(origin, "file"))
		return CW_TL_READ;
	if (!strcmp(origin, "egress"))
		return f->direction && !strcmp(f->direction, "ingress") ? CW_TL_RECEIVED
									: CW_TL_SENT;
	return CW_TL_SEEN;
}

/* Where the credential was loaded from: the source ("env", "file", "argv") and its detail. */
static int put_origin(struct cw_tl_event *e, const struct finding *f, json_t *cred,
		      const char *origin)
{
	char argv[32];
	const char *detail = NULL;

	if (!strcmp(origin, "env")) {
		detail = str_at(cred, "variable");
	} else if (!strcmp(origin, "file")) {
		detail = str_at(cred, "path") ? str_at(cred, "path") : f->file_path;
	} else if (!strcmp(origin, "argv")) {
		if (json_is_integer(json_object_get(cred, "arg_index"))) {
			snprintf(argv, sizeof(argv), "argv[%llu]",
				 (unsigned long long)uint_at(cred, "arg_index"));
			detail = argv;
		}
	} else {
		return 0;
	}
	return set(&e->source, origin) ?: set(&e->detail, detail);
}

/* The credential's own members, kept from the first finding that has each. */
static int put_identity(struct cw_tl_cred *c, const struct finding *f, json_t *cred)
{
	json_t *owners = json_object_get(cred, "owners"), *v;
	size_t i;
	int ret = fill(&c->rule, f->rule) ?: fill(&c->kind, str_at(cred, "kind")) ?:
		  fill(&c->lifetime, str_at(cred, "lifetime")) ?:
		  fill(&c->redacted, str_at(cred, "redacted"));

	json_array_foreach (owners, i, v)
		if (!ret && json_string_value(v) && !cw_strv_has(&c->owners, json_string_value(v)))
			ret = cw_strv_push(&c->owners, json_string_value(v));
	return ret;
}

static int put_event(struct cw_tl_event *e, const struct finding *f, json_t *cred,
		     const char *origin)
{
	json_t *count = json_object_get(f->cw, "count");
	int ret;

	e->time_ms = e->last_ms = f->time_ms;
	e->what = what_of(f, origin);
	e->alert = f->alert;
	e->severity = f->severity;
	e->pid = f->pid;
	e->dest_port = f->dest_port;
	if (json_is_integer(count) && json_integer_value(count) > 0)
		e->count = (uint64_t)json_integer_value(count);
	ret = set(&e->action, f->action) ?: set(&e->severity_name, f->severity_name) ?:
	      set(&e->event_id, f->event_id) ?: set(&e->workload, str_at(f->cw, "workload")) ?:
	      set(&e->process, f->process) ?: set(&e->executable, f->executable) ?:
	      set(&e->dest_domain, f->dest_domain) ?: set(&e->dest_ip, f->dest_ip) ?:
	      set(&e->tls_library, str_at(f->cw, "tls.library")) ?:
	      set(&e->trace_path, str_at(f->cw, "trace.path"));
	return ret ?: put_origin(e, f, cred, origin);
}

static int malformed(struct cw_timeline *t, const char *why)
{
	if (!t->malformed++) {
		t->first_malformed = t->lines;
		snprintf(t->first_malformed_why, sizeof(t->first_malformed_why), "%s", why);
	}
	return -EINVAL;
}

/* Is it a fingerprint as findings write it: hex, at most 64 digits? */
static bool hex_fingerprint(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int add_doc(struct cw_timeline *t, json_t *doc)
{
	struct finding f = { 0 };
	struct cw_tl_event *e;
	struct cw_tl_cred *c;
	json_t *cred;
	const char *why, *fp, *origin;
	int ret;

	if (!json_is_object(doc))
		return malformed(t, "not a JSON object");
	why = json_object_get(doc, "class_uid") ? read_ocsf(doc, &f) : read_ecs(doc, &f);
	if (why)
		return malformed(t, why);
	cred = json_object_get(f.cw, "credential");
	fp = str_at(cred, "fingerprint");
	if (!f.action || !f.action[0])
		return malformed(t, "no event action");
	if (!hex_fingerprint(fp))
		return malformed(t, "no credential fingerprint");
	if (!identity_passes(&t->filter, fp, f.rule)) {
		t->filtered++;
		return 0;
	}
	origin = str_at(cred, "origin") ? str_at(cred, "origin") : "";
	if (!(c = cred_for(t, fp)) || !(e = new_event(t, c)))
		return -ENOMEM;
	ret = put_identity(c, &f, cred) ?: put_event(e, &f, cred, origin);
	return ret;
}

int cw_timeline_add_finding(struct cw_timeline *t, const char *line, size_t len)
{
	json_error_t err;
	json_t *doc;
	int ret;

	t->lines++;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	if (len > LINE_MAX_BYTES)
		return malformed(t, "a line longer than 16 MiB");
	doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		char why[sizeof(err.text) + 16];

		if (json_error_code(&err) == json_error_out_of_memory)
			return -ENOMEM;
		snprintf(why, sizeof(why), "not JSON: %s", err.text);
		return malformed(t, why);
	}
	ret = add_doc(t, doc);
	json_decref(doc);
	return ret;
}

int cw_timeline_read_findings(struct cw_timeline *t, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	errno = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		ret = cw_timeline_add_finding(t, line, (size_t)n);
		if (ret == -ENOMEM)
			break;
		ret = 0;
		errno = 0;
	}
	if (!ret && ferror(in))
		ret = errno == ENOMEM ? -ENOMEM : -EIO;
	free(line);
	return ret;
}

/* The provenance store: less detail, the same shape. */

static int64_t sec_to_ms(int64_t s)
{
	const int64_t lim = INT64_MAX / 1000;

	return s < 0 ? 0 : s > lim ? lim * 1000 : s * 1000;
}

static int store_origin(struct cw_timeline *t, struct cw_tl_cred *c, const struct cw_prov_origin *o)
{
	struct cw_tl_event *e = new_event(t, c);

	if (!e)
		return -ENOMEM;
	e->time_ms = sec_to_ms(o->first_seen);
	e->last_ms = sec_to_ms(o->last_seen);
	e->count = o->count;
	e->what = o->source == CW_PROV_FILE ? CW_TL_READ : CW_TL_LOADED;
	return set(&e->workload, o->workload) ?: set(&e->source, cw_prov_source_name(o->source)) ?:
	       set(&e->detail, o->detail);
}

static int store_use(struct cw_timeline *t, struct cw_tl_cred *c, const struct cw_prov_use *u)
{
	struct cw_tl_event *e = new_event(t, c);

	if (!e)
		return -ENOMEM;
	e->time_ms = sec_to_ms(u->first_seen);
	e->last_ms = sec_to_ms(u->last_seen);
	e->count = u->count;
	e->what = CW_TL_SENT;
	return set(&e->workload, u->workload) ?: set(&e->destination, u->destination);
}

static int store_cred(struct cw_timeline *t, const struct cw_prov_cred *pc)
{
	struct cw_tl_cred *c = cred_for(t, pc->fingerprint);
	int ret;

	if (!c)
		return -ENOMEM;
	ret = fill(&c->rule, pc->rule) ?: fill(&c->kind, pc->kind) ?:
	      fill(&c->lifetime, pc->lifetime) ?: fill(&c->redacted, pc->redacted);
	for (size_t i = 0; !ret && i < pc->norigins; i++) {
		const struct cw_prov_origin *o = &pc->origins[i];

		ret = store_origin(t, c, o);
		if (!ret && !o->not_owner && cw_prov_first_of_workload(pc, i, NULL) &&
		    !cw_strv_has(&c->owners, o->workload))
			ret = cw_strv_push(&c->owners, o->workload);
	}
	for (size_t i = 0; !ret && i < pc->nuses; i++)
		ret = store_use(t, c, &pc->uses[i]);
	c->origins_dropped += pc->origins_dropped;
	c->uses_dropped += pc->uses_dropped;
	return ret;
}

int cw_timeline_add_store(struct cw_timeline *t, const struct cw_provenance *p)
{
	int ret = 0;

	t->from_store = true;
	/* least recently seen first: arrival order follows the store's recency */
	for (const struct cw_prov_cred *pc = cw_prov_last(p); pc && !ret;
	     pc = cw_prov_prev(p, pc)) {
		if (!identity_passes(&t->filter, pc->fingerprint, pc->rule)) {
			t->filtered++;
			continue;
		}
		ret = store_cred(t, pc);
	}
	return ret;
}

/* Ordering and the workload filter. */

static bool workload_matches(const char *pattern, const char *w)
{
	if (!w || !w[0])
		return false;
	if (strpbrk(pattern, "*?["))
		return !fnmatch(pattern, w, 0);
	return !strcmp(pattern, w);
}

static bool story_names(const struct cw_tl_cred *c, const char *pattern)
{
	for (size_t i = 0; i < c->nev; i++)
		if (workload_matches(pattern, c->ev[i].workload))
			return true;
	for (size_t i = 0; i < c->owners.n; i++)
		if (workload_matches(pattern, c->owners.v[i]))
			return true;
	return false;
}

static int by_time(const void *a, const void *b)
{
	const struct cw_tl_event *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* After its events are sorted: its first event, the credential's first sighting. */
static int by_first_sighting(const void *a, const void *b)
{
	const struct cw_tl_cred *x = *(struct cw_tl_cred *const *)a;
	const struct cw_tl_cred *y = *(struct cw_tl_cred *const *)b;

	if (!x->nev || !y->nev)
		return !x->nev - !y->nev;
	return by_time(&x->ev[0], &y->ev[0]);
}

struct cw_tl_cred **cw_timeline_sorted(struct cw_timeline *t, size_t *n)
{
	struct cw_tl_cred **v = calloc(t->ncreds ? t->ncreds : 1, sizeof(*v));
	struct cw_tl_cred *c, *tmp;
	size_t k = 0;

	if (!v)
		return NULL;
	HASH_ITER (hh, t->by_fp, c, tmp) {
		if (t->filter.workload && !story_names(c, t->filter.workload))
			continue;
		qsort(c->ev, c->nev, sizeof(*c->ev), by_time);
		v[k++] = c;
	}
	qsort(v, k, sizeof(*v), by_first_sighting);
	*n = k;
	return v;
}
