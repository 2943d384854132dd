// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The finding writer (finding.h): each finding an ECS JSON line, built member by member by
 * the event handlers and the exposure judge, written whole to the output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "detect/credfile.h"
#include "detect/classify.h"
#include "detect/decode.h"
#include "detect/redact.h"
#include "output/finding.h"

#define NHI_FRAMEWORK "OWASP Non-Human Identity Top 10"

int cw_finding_writer_init(struct cw_finding_writer *f, const struct cw_fp_key *key, FILE *out,
			   bool events)
{
	struct timespec rt, mono;

	memset(f, 0, sizeof(*f));
	f->key = key;
	f->out = out;
	f->events = events;
	cw_json_init(&f->j);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	f->mono_to_real_ns =
		((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
	if (gethostname(f->host, sizeof(f->host) - 1))
		strcpy(f->host, "unknown");
	return 0;
}

void cw_finding_writer_free(struct cw_finding_writer *f)
{
	cw_json_free(&f->j);
}

void cw_event_id(char *out)
{
	static uint64_t fallback;
	unsigned char b[16];
	struct timespec ts;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		/* Only before the kernel's pool is ready: unique on this host still. */
		uint64_t v[2];

		clock_gettime(CLOCK_REALTIME, &ts);
		v[0] = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		v[1] = ((uint64_t)getpid() << 32) ^ ++fallback;
		memcpy(b, v, sizeof(b));
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 9562 variant */
	snprintf(out, CW_EVENT_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

static void uuid_str(unsigned char b[16], unsigned version, char *out)
{
	b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 9562 variant */
	snprintf(out, CW_EVENT_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

void cw_event_id_derived(const unsigned char seed[32], uint64_t ordinal, char *out)
{
	unsigned char in[40], md[SHA256_DIGEST_LENGTH];

	memcpy(in, seed, 32);
	for (int i = 0; i < 8; i++)
		in[32 + i] = (unsigned char)(ordinal >> (8 * i));
	SHA256(in, sizeof(in), md);
	uuid_str(md, 8, out);
}

void cw_finding_begin(struct cw_finding_writer *f, uint64_t ktime_ns, bool alert,
		      const char *action, int severity, const char *category, const char *type,
		      const struct cw_match *m)
{
	struct cw_json *j = &f->j;
	char ts[32];

	cw_json_reset(j);
	f->cur_alert = alert;
	f->cur_action = action;
	f->cur_rule = m->rule->id;
	f->cur_ktime = ktime_ns;
	if (f->replay_trace)
		cw_event_id_derived(f->id_seed, f->ordinal++, f->cur_id);
	else
		cw_event_id(f->cur_id);
	cw_json_timestamp(ts, (int64_t)ktime_ns + f->mono_to_real_ns);
	cw_json_obj_begin(j);
	cw_json_kstr(j, "@timestamp", ts);
	cw_json_kobj(j, "event");
	cw_json_kstr(j, "id", f->cur_id);
	cw_json_kstr(j, "kind", alert ? "alert" : "event");
	cw_json_key(j, "category");
	cw_json_arr_begin(j);
	cw_json_str(j, category);
	cw_json_arr_end(j);
	cw_json_key(j, "type");
	cw_json_arr_begin(j);
	cw_json_str(j, type);
	cw_json_arr_end(j);
	cw_json_kstr(j, "action", action);
	cw_json_kint(j, "severity", severity);
	cw_json_kstr(j, "module", "credwatch");
	cw_json_kstr(j, "dataset", alert ? "credwatch.alert" : "credwatch.event");
	cw_json_obj_end(j);
	cw_json_kobj(j, "ecs");
	cw_json_kstr(j, "version", CW_ECS_VERSION);
	cw_json_obj_end(j);
	cw_json_kobj(j, "rule");
	cw_json_kstr(j, "id", m->rule->id);
	cw_json_kstr(j, "name", m->rule->name);
	cw_json_kstr(j, "ruleset", "credwatch");
	cw_json_obj_end(j);
}

/* Inside the "credwatch" object cw_finding_host left open. */
void cw_finding_credential(struct cw_finding_writer *f, const struct cw_match *m,
			   const char *origin)
{
	struct cw_json *j = &f->j;
	char red[CW_REDACT_MAX], fp[CW_FP_HEX_LEN + 1];

	cw_redact(m->secret, m->len, red);
	cw_fingerprint(f->key, m->secret, m->len, fp);
	cw_finding_credential_open(j, m, red, fp);
	cw_json_kstr(j, "origin", origin);
}

void cw_finding_credential_open(struct cw_json *j, const struct cw_match *m, const char *redacted,
				const char *fingerprint)
{
	struct cw_class cls;

	cw_json_kobj(j, "credential");
	cw_json_kstr(j, "redacted", redacted);
	cw_json_kstr(j, "fingerprint", fingerprint);
	cw_classify(m, &cls);
	cw_class_json(j, &cls);
	if (m->encoding) { /* what was undone to find it, outermost first */
		cw_json_key(j, "encoding");
		cw_json_arr_begin(j);
		for (unsigned i = 0; cw_enc_step(m->encoding, i); i++)
			cw_json_str(j, cw_enc_name(cw_enc_step(m->encoding, i)));
		cw_json_arr_end(j);
	}
	/* found by a credential file's parser (detect/credfile.h): where, and how guessable */
	if (m->field)
		cw_json_kstr(j, "field", m->field);
	if (m->strength)
		cw_json_kstr(j, "strength", cw_strength_name(m->strength));
}

void cw_finding_host(struct cw_finding_writer *f, uint32_t pid, uint32_t uid, uint64_t cgroup_id,
		     const char *workload)
{
	struct cw_json *j = &f->j;
	const struct cw_workload *wl = f->wls ? cw_workload_get(f->wls, cgroup_id, pid) : NULL;
	char id[16];

	cw_json_kobj(j, "user");
	snprintf(id, sizeof(id), "%u", uid);
	cw_json_kstr(j, "id", id);
	cw_json_obj_end(j);
	cw_json_kobj(j, "host");
	cw_json_kstr(j, "name", f->host);
	cw_json_obj_end(j);
	if (wl)
		cw_workload_json(j, wl);
	cw_json_kobj(j, "credwatch");
	cw_json_kuint(j, "cgroup_id", cgroup_id);
	if (f->cur_alert && f->trace_path) {
		const char *tp = f->trace_path(f->trace_arg, f->cur_ktime);

		if (tp) {
			cw_json_kobj(j, "trace");
			cw_json_kstr(j, "path", tp);
			cw_json_obj_end(j);
		}
	}
	if (f->replay_trace) {
		cw_json_kobj(j, "replay");
		cw_json_kstr(j, "trace", f->replay_trace);
		cw_json_kstr(j, "time", f->replay_time);
		cw_json_obj_end(j);
	}
	if (wl)
		cw_workload_json_detail(j, wl);
	if (workload && workload[0])
		cw_json_kstr(j, "workload", workload);
	else if (wl && wl->key[0])
		cw_json_kstr(j, "workload", wl->key);
}

void cw_finding_threat(struct cw_finding_writer *f, enum cw_nhi nhi, const char *message)
{
	struct cw_json *j = &f->j;
	char id[8];
	const char *name;

	switch (nhi) {
	case CW_NHI_LONG_LIVED: name = "Long-Lived Secrets"; break;
	case CW_NHI_REUSE: name = "NHI Reuse"; break;
	case CW_NHI_HUMAN_USE: name = "Human Use of NHI"; break;
	default: name = "Secret Leakage"; break;
	}
	snprintf(id, sizeof(id), "NHI-%02d", (int)nhi);
	cw_json_kobj(j, "threat");
	cw_json_kstr(j, "framework", NHI_FRAMEWORK);
	cw_json_kobj(j, "technique");
	cw_json_kstr(j, "id", id);
	cw_json_kstr(j, "name", name);
	cw_json_obj_end(j);
	cw_json_obj_end(j);
	cw_json_kstr(j, "message", message);
}

int cw_finding_emit(struct cw_finding_writer *f)
{
	struct cw_json *j = &f->j;

	cw_json_obj_end(j);
	if (j->oom)
		return -ENOMEM;
	if (f->put)
		return f->put(f->put_arg, j->buf, j->len, f->cur_id, f->cur_alert);
	j->buf[j->len] = '\n';
	if (fwrite(j->buf, 1, j->len + 1, f->out) != j->len + 1)
		return -EIO;
	j->buf[j->len] = '\0';
	return 0;
}
