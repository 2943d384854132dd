// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Replay (replay.h). The records are read in file order; the HOST records after a RAW or TICK
 * record are what the agent learnt while handling it, so a RAW or TICK is held back until the
 * next one arrives: its answers are in the table by then, and it runs. The table keeps the
 * latest answer per (kind, key), which is what the live host said at that moment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "credwatch.h"
#include "host/hosttap.h"
#include "host/procs.h"
#include "output/finding.h"
#include "trace/record.h"
#include "trace/replay.h"
#include "util/log.h"
#include "util/table.h"

struct answer {
	UT_hash_handle hh;
	unsigned char *val;
	size_t vlen;
	size_t klen;
	unsigned char key[]; /* u16 kind, then the key */
};

struct replay {
	struct answer *answers;
	struct cw_agent *a;
	/* the record held back */
	uint16_t ptype;
	uint64_t pts;
	unsigned char *pdata;
	size_t plen, pcap;
	bool pending;
	int64_t mono_to_real;
	uint64_t now_ts; /* the time of the record running */
	cw_replay_line_fn line;
	void *line_arg;
	const char *path;
	struct cw_replay_stats *st;
	int err;
	/* a file's bytes (CW_HOST_FILE): used by the one open they answer, then forgotten */
	struct answer *once[64];
	size_t nonce;
};

/* The judge's clock (exposure's now): the recorded wall time of what is running. */
static struct replay *cur;

static int64_t recorded_now(void)
{
	if (!cur)
		return 0;
	return ((int64_t)cur->now_ts + cur->mono_to_real) / 1000000000LL;
}

static struct answer *find(struct replay *r, uint16_t kind, const void *key, size_t klen)
{
	unsigned char buf[2 + 4096 + 16];
	struct answer *a;

	if (klen > sizeof(buf) - 2)
		return NULL;
	buf[0] = (unsigned char)kind;
	buf[1] = (unsigned char)(kind >> 8);
	memcpy(buf + 2, key, klen);
	HASH_FIND(hh, r->answers, buf, 2 + klen, a);
	return a;
}

static const void *recall(void *arg, uint16_t kind, const void *key, size_t klen, size_t *vlen)
{
	struct answer *a = find(arg, kind, key, klen);

	if (!a)
		return NULL;
	*vlen = a->vlen;
	return a->val ? a->val : (const void *)"";
}

static void forget_answer(struct replay *r, struct answer *a)
{
	HASH_DEL(r->answers, a);
	if (a->val) {
		explicit_bzero(a->val, a->vlen); /* a file's bytes: a credential's */
		free(a->val);
	}
	free(a);
}

static void keep_once(struct replay *r, struct answer *a)
{
	for (size_t i = 0; i < r->nonce; i++)
		if (r->once[i] == a)
			return;
	if (r->nonce < sizeof(r->once) / sizeof(r->once[0]))
		r->once[r->nonce++] = a;
}

static void learn(struct replay *r, const struct cw_host_rec *h)
{
	struct answer *a = find(r, h->kind, h->key, h->klen);
	unsigned char *v = NULL;

	if (h->klen > 4096)
		return;
	if (h->vlen && !(v = malloc(h->vlen)))
		return;
	if (h->vlen)
		memcpy(v, h->val, h->vlen);
	if (a) {
		if (a->val) {
			explicit_bzero(a->val, a->vlen);
			free(a->val);
		}
		a->val = v;
		a->vlen = h->vlen;
		if (h->kind == CW_HOST_FILE)
			keep_once(r, a);
		return;
	}
	if (!(a = calloc(1, sizeof(*a) + 2 + h->klen))) {
		free(v);
		return;
	}
	a->key[0] = (unsigned char)h->kind;
	a->key[1] = (unsigned char)(h->kind >> 8);
	memcpy(a->key + 2, h->key, h->klen);
	a->klen = 2 + h->klen;
	a->val = v;
	a->vlen = h->vlen;
	HASH_ADD(hh, r->answers, key, a->klen, a);
	if (!CW_HASH_ADDED(a, hh)) {
		free(v);
		free(a);
		return;
	}
	if (h->kind == CW_HOST_FILE)
		keep_once(r, a);
}

/* A host record: the state it restores, the setting it gives, or an answer to keep. */
static void on_host(struct replay *r, const void *data, size_t len)
{
	struct cw_host_rec h;
	struct cw_proc_info pi;
	char exe[CW_PROCS_EXE_MAX], root[CW_PROCS_EXE_MAX];

	if (cw_host_rec_decode(data, len, &h)) {
		cw_debug("replay: a malformed host record (%zu bytes) skipped", len);
		return;
	}
	r->st->host++;
	switch (h.kind) {
	case CW_HOST_PROC_STATE:
		if (!cw_proc_state_decode(&h, &pi, exe, root))
			cw_procs_restore(cw_agent_replay_procs(r->a), &pi);
		return;
	case CW_HOST_SETTING:
		if (h.vlen == 8)
			cw_agent_replay_setting(r->a, (const char *)h.key, h.klen,
						cw_get_le64(h.val));
		else if (h.klen == 15 && !memcmp(h.key, "fingerprint_key", 15))
			cw_agent_replay_fp_key(r->a, h.val, h.vlen);
		return;
	default: learn(r, &h); return;
	}
}

/* Run the record held back: its host answers are in. */
static int run_pending(struct replay *r)
{
	int ret = 0;

	if (!r->pending)
		return 0;
	r->pending = false;
	r->now_ts = r->pts;
	if (r->ptype == CW_TAP_RAW)
		ret = cw_agent_replay_record(r->a, r->pdata, r->plen);
	else
		ret = cw_agent_replay_tick(r->a, r->pts) ? -EIO : 0;
	/* an exec's environment, a file's bytes: not kept past their use */
	if (r->plen)
		explicit_bzero(r->pdata, r->plen);
	for (size_t i = 0; i < r->nonce; i++)
		forget_answer(r, r->once[i]);
	r->nonce = 0;
	return ret;
}

static int hold(struct replay *r, const struct cw_trace_record *rec)
{
	if (rec->len > r->pcap) {
		unsigned char *n = realloc(r->pdata, rec->len);

		if (!n)
			return -ENOMEM;
		r->pdata = n;
		r->pcap = rec->len;
	}
	if (rec->len)
		memcpy(r->pdata, rec->data, rec->len);
	r->plen = rec->len;
	r->ptype = rec->type;
	r->pts = rec->ts_ns;
	r->pending = true;
	if (!r->st->first_ns || rec->ts_ns < r->st->first_ns)
		r->st->first_ns = rec->ts_ns;
	if (rec->ts_ns > r->st->last_ns)
		r->st->last_ns = rec->ts_ns;
	return 0;
}

static int on_record(struct replay *r, const struct cw_trace_record *rec)
{
	int64_t off;
	int ret;

	r->st->records++;
	switch (rec->type) {
	case CW_TAP_HOST: on_host(r, rec->data, rec->len); return 0;
	case CW_TAP_CLOCK:
		if ((ret = run_pending(r)))
			return ret;
		if (!cw_clock_rec_decode(rec->data, rec->len, &off)) {
			r->mono_to_real = off;
			cw_agent_replay_clock(r->a, off);
		}
		return 0;
	case CW_TAP_RAW:
	case CW_TAP_TICK:
		if ((ret = run_pending(r)))
			return ret;
		if (rec->type == CW_TAP_RAW)
			r->st->raw++;
		else
			r->st->ticks++;
		return hold(r, rec);
	default: return 0; /* a newer recorder's record type: nothing of ours */
	}
}

static void warn(void *arg, uint64_t offset, const char *msg)
{
	struct replay *r = arg;

	cw_log("replay %s: offset %llu: %s", r->path, (unsigned long long)offset, msg);
}

static int put_line(void *arg, const char *line, size_t len, const char *event_id, bool alert)
{
	struct replay *r = arg;

	(void)event_id;
	return r->line(r->line_arg, line, len, alert);
}

/* The trace's identity: SHA-256 of its start time, boot id and host. */
static void identity(const struct cw_trace_info *in, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char t[8];
	unsigned n = 32;

	for (int i = 0; i < 8; i++)
		t[i] = (unsigned char)(in->start_ns >> (8 * i));
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, t, 8) ||
	    !EVP_DigestUpdate(c, in->boot_id, strlen(in->boot_id) + 1) ||
	    !EVP_DigestUpdate(c, in->host, strlen(in->host) + 1) ||
	    !EVP_DigestFinal_ex(c, out, &n)) {
		/* OpenSSL out of memory: the start time alone still tells traces apart */
		memset(out, 0, 32);
		memcpy(out, t, 8);
	}
	EVP_MD_CTX_free(c);
}

static void now_iso(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

int cw_replay_run(const char *path, const struct cw_trace_key *key, const struct cw_agent_opts *o,
		  cw_replay_line_fn line, void *arg, const char *name, struct cw_replay_stats *st,
		  char *err, size_t errlen)
{
	struct replay r = { .line = line, .line_arg = arg, .path = path, .st = st };
	struct cw_trace_reader *rd = NULL;
	const struct cw_trace_info *info;
	struct cw_finding_writer *f;
	struct cw_trace_record rec;
	struct answer *x, *tmp;
	int ret, status;

	memset(st, 0, sizeof(*st));
	ret = cw_trace_reader_open(path, key, warn, &r, &rd, err, errlen);
	if (ret)
		return ret;
	info = cw_trace_reader_info(rd);
	st->cut_off = !info->indexed;
	cw_host_tap_set(&(struct cw_host_tap){ .recall = recall, .arg = &r });
	cur = &r;
	ret = cw_agent_replay_open(o, recorded_now, &r.a);
	if (ret) {
		snprintf(err, errlen, "cannot set up the pipeline (see above)");
		goto out;
	}
	f = cw_agent_replay_findings(r.a);
	f->replay_trace = name ? name : path;
	now_iso(f->replay_time, sizeof(f->replay_time));
	identity(info, f->id_seed);
	snprintf(f->host, sizeof(f->host), "%s", info->host); /* the recording's host */
	if (line) {
		f->put = put_line;
		f->put_arg = &r;
	}
	if (o->rules_dir || info->rules_digest[0]) {
		char d[65];
		struct cw_ruleset rs = { 0 };
		char e[512];

		if (!cw_rules_load_default(&rs, o->rules_dir, e, sizeof(e))) {
			cw_rules_digest(&rs, d);
			st->rules_differ = strcmp(d, info->rules_digest) != 0;
		}
		cw_rules_free(&rs);
	}
	while ((ret = cw_trace_next(rd, &rec)) > 0)
		if ((ret = on_record(&r, &rec)))
			break;
	if (!ret)
		ret = run_pending(&r);
	if (ret < 0 && ret != -EIO)
		snprintf(err, errlen, "%s", strerror(-ret));
	st->skipped = cw_trace_skipped(rd);
	status = cw_agent_replay_close(r.a, &st->alerts, &st->observations);
	r.a = NULL;
	if (!ret || ret == -EIO)
		ret = ret ? 1 : status;
	else
		ret = 1;
out:
	cur = NULL;
	cw_host_tap_set(NULL);
	HASH_ITER (hh, r.answers, x, tmp)
		forget_answer(&r, x);
	free(r.pdata);
	cw_trace_reader_close(rd);
	return ret;
}

void cw_replay_opts_default(struct cw_agent_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->state = "none";
	o->file_cap = CW_FILE_CAP_DEFAULT;
	o->kube_metadata = CW_KUBE_OFF;
}

static void digest_str(EVP_MD_CTX *c, const char *s)
{
	EVP_DigestUpdate(c, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void digest_strv(EVP_MD_CTX *c, const struct cw_strv *v)
{
	char n[24];

	snprintf(n, sizeof(n), "%zu", v->n);
	digest_str(c, n);
	for (size_t i = 0; i < v->n; i++)
		digest_str(c, v->v[i]);
}

void cw_rules_digest(const struct cw_ruleset *rs, char out[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned n = 32;
	char num[96];

	out[0] = '\0';
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(c);
		return;
	}
	/* every field that decides what a rule finds, in the rules' order, NUL-separated */
	for (size_t i = 0; i < rs->n; i++) {
		const struct cw_rule *ru = &rs->rules[i];

		digest_str(c, ru->id);
		digest_str(c, ru->pattern);
		digest_str(c, ru->kind);
		digest_str(c, ru->provider);
		snprintf(num, sizeof(num), "%.6f %d %d %d %d %d", ru->entropy, ru->priority,
			 (int)ru->lifetime, ru->validate, ru->demote_invalid, ru->no_placeholder);
		digest_str(c, num);
		digest_strv(c, &ru->keywords);
		digest_strv(c, &ru->ignore_keys);
		digest_strv(c, &ru->ignore_values);
		digest_strv(c, &ru->ignore_lines);
		digest_strv(c, &ru->destinations);
	}
	if (EVP_DigestFinal_ex(c, md, &n))
		for (int i = 0; i < 32; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(c);
}
