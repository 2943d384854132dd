// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Findings as ECS-shaped JSON lines, and the findings of an exec. A credential in argv is an
 * alert: every local user can read any process's argv through /proc/PID/cmdline. A credential
 * in the environment is only an observation: that is where workloads are meant to get them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "detect/classify.h"
#include "judge/exposure.h"
#include "host/procs.h"
#include "output/finding.h"
#include "detect/redact.h"

#define NHI_FRAMEWORK "OWASP Non-Human Identity Top 10"

int cw_findings_init(struct cw_findings *f, struct cw_matcher *m, const struct cw_fp_key *key,
		     FILE *out, bool events)
{
	struct timespec rt, mono;

	memset(f, 0, sizeof(*f));
	f->matcher = m;
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

void cw_findings_free(struct cw_findings *f)
{
	cw_json_free(&f->j);
	free(f->buf);
	f->buf = NULL;
}

void cw_finding_begin(struct cw_findings *f, uint64_t ktime_ns, bool alert, const char *action,
		      int severity, const char *category, const char *type)
{
	struct cw_json *j = &f->j;
	char ts[32];

	cw_json_reset(j);
	cw_json_timestamp(ts, (int64_t)ktime_ns + f->mono_to_real_ns);
	cw_json_obj_begin(j);
	cw_json_kstr(j, "@timestamp", ts);
	cw_json_kobj(j, "event");
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
}

void cw_finding_credential(struct cw_findings *f, const struct cw_match *m, const char *origin)
{
	struct cw_json *j = &f->j;
	char red[CW_REDACT_MAX], fp[CW_FP_HEX_LEN + 1];
	struct cw_class cls;

	cw_redact(m->secret, m->len, red);
	cw_fingerprint(f->key, m->secret, m->len, fp);
	cw_json_kobj(j, "rule");
	cw_json_kstr(j, "id", m->rule->id);
	cw_json_kstr(j, "name", m->rule->name);
	cw_json_kstr(j, "ruleset", "credwatch");
	cw_json_obj_end(j);
	cw_json_kobj(j, "credential");
	cw_json_kstr(j, "redacted", red);
	cw_json_kstr(j, "fingerprint", fp);
	cw_classify(m, &cls);
	cw_class_json(j, &cls);
	cw_json_kstr(j, "origin", origin);
}

void cw_finding_host(struct cw_findings *f, uint32_t pid, uint32_t uid, uint64_t cgroup_id)
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
	if (wl)
		cw_workload_json_detail(j, wl);
}

void cw_finding_threat(struct cw_findings *f, enum cw_nhi nhi, const char *message)
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

int cw_finding_emit(struct cw_findings *f)
{
	struct cw_json *j = &f->j;

	cw_json_obj_end(j);
	if (j->oom)
		return -ENOMEM;
	j->buf[j->len] = '\n';
	if (fwrite(j->buf, 1, j->len + 1, f->out) != j->len + 1)
		return -EIO;
	j->buf[j->len] = '\0';
	return 0;
}

/* A private copy of a NUL-separated block with the separators replaced, for matching. */
static char *flatten(struct cw_findings *f, const char *src, size_t n, char sepc)
{
	if (f->buf_cap < n + 1) {
		char *nb = realloc(f->buf, n + 1);

		if (!nb)
			return NULL;
		f->buf = nb;
		f->buf_cap = n + 1;
	}
	for (size_t i = 0; i < n; i++)
		f->buf[i] = src[i] ? src[i] : sepc;
	f->buf[n] = '\0';
	return f->buf;
}

struct exec_ctx {
	struct cw_findings *f;
	const struct cw_event *ev;
	const char *origin; /* "argv" or "env" */
	const char *block;  /* the NUL-separated original */
	int err;	    /* the first output error: stops the scan, returned */
};

static void put_process(struct cw_findings *f, const struct cw_event *ev, uint64_t count)
{
	const struct cw_exec_event *e = &ev->exec;
	struct cw_json *j = &f->j;
	size_t args = 0;
	char gid[16];

	for (size_t i = 0; i < e->argv_len; i++)
		args += ev->argv[i] == '\0';
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", e->pid);
	cw_json_kobj(j, "thread");
	cw_json_kuint(j, "id", e->tid);
	cw_json_obj_end(j);
	cw_json_kobj(j, "parent");
	cw_json_kuint(j, "pid", e->ppid);
	cw_json_obj_end(j);
	cw_json_kstrn(j, "executable", ev->path, e->path_len);
	cw_json_kstrn(j, "name", e->comm, strnlen(e->comm, sizeof(e->comm)));
	cw_json_kuint(j, "args_count", args);
	cw_json_obj_end(j);
	cw_json_kobj(j, "group");
	snprintf(gid, sizeof(gid), "%u", e->gid);
	cw_json_kstr(j, "id", gid); /* ECS ids are keywords */
	cw_json_obj_end(j);
	cw_finding_host(f, e->pid, e->uid, e->cgroup_id);
	cw_json_kbool(j, "argv_truncated", e->flags & CW_EXEC_ARGV_TRUNC);
	cw_json_kbool(j, "env_truncated", e->flags & CW_EXEC_ENV_TRUNC);
	if (f->x)
		cw_json_kuint(j, "count", count);
	cw_json_obj_end(j);
}

/* Start of the NUL-separated string containing offset off. */
static size_t string_start(const char *block, size_t off)
{
	while (off > 0 && block[off - 1] != '\0')
		off--;
	return off;
}

static int on_exec_match(const struct cw_match *m, void *arg)
{
	struct exec_ctx *x = arg;
	struct cw_findings *f = x->f;
	struct cw_json *j = &f->j;
	bool argv = !strcmp(x->origin, "argv");
	uint64_t count = 1;
	size_t vs;
	int ret;

	vs = string_start(x->block, m->start);
	if (f->x) {
		/* A load: the environment makes its workload an owner; argv is only recorded. */
		const struct cw_exec_event *e = &x->ev->exec;
		char exe[CW_PATH_MAX + 1], var[256] = "", fp[CW_FP_HEX_LEN + 1], key[CW_PROV_STR];
		const char *eq = argv ? NULL : memchr(x->block + vs, '=', m->start - vs);
		struct cw_actor a = { .pid = e->pid,
				      .uid = e->uid,
				      .cgroup_id = e->cgroup_id,
				      .exe = exe,
				      .comm = e->comm,
				      .ktime_ns = e->hdr.ktime_ns };
		struct cw_load l = { .source = argv ? CW_PROV_ARGV : CW_PROV_ENV, .detail = var };
		struct cw_subject subj;
		char comm[CW_COMM_LEN + 1];

		memcpy(exe, x->ev->path, e->path_len);
		exe[e->path_len] = '\0';
		if (f->procs) { /* the binary, named as every other finding names it */
			char real[CW_PROCS_EXE_MAX];

			cw_procs_exe(f->procs, NULL, e->pid, real);
			if (real[0])
				snprintf(exe, sizeof(exe), "%s", real);
		}
		memcpy(comm, e->comm, CW_COMM_LEN);
		comm[CW_COMM_LEN] = '\0';
		a.comm = comm;
		if (eq && (size_t)(eq - x->block - vs) < sizeof(var)) {
			memcpy(var, x->block + vs, (size_t)(eq - x->block - vs));
			var[eq - x->block - vs] = '\0';
		}
		cw_fingerprint(f->key, m->secret, m->len, fp);
		ret = cw_exposure_load(f->x, m, fp, &a, &l);
		if (ret)
			return x->err = ret;
		if (argv) {
			cw_exposure_subject(f->x, &a, &subj, key);
			if (!cw_exposure_dedup(f->x, fp, key, "credential-in-argv", &count))
				return 0;
		}
	}
	if (!argv && !f->events) {
		f->observations++;
		return 0;
	}
	cw_finding_begin(f, x->ev->exec.hdr.ktime_ns, argv,
			 argv ? "credential-in-argv" : "credential-observed",
			 m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW : CW_SEVERITY_HIGH,
			 "process", "start");
	cw_finding_credential(f, m, x->origin);
	if (argv) {
		size_t idx = 0;

		for (size_t i = 0; i < vs; i++)
			idx += x->block[i] == '\0';
		cw_json_kuint(j, "arg_index", idx);
	} else {
		const char *eq = memchr(x->block + vs, '=', m->start - vs);

		/* The name only when the secret is in the value: a name is never the secret. */
		if (eq)
			cw_json_kstrn(j, "variable", x->block + vs, (size_t)(eq - x->block - vs));
	}
	cw_json_obj_end(j);
	put_process(f, x->ev, count);
	if (argv) {
		cw_finding_threat(f, CW_NHI_SECRET_LEAKAGE,
				  "credential on a command line, readable by every local user "
				  "through /proc/PID/cmdline");
		f->alerts++;
	} else {
		f->observations++;
	}
	x->err = cw_finding_emit(f);
	return x->err;
}

int cw_findings_exec(struct cw_findings *f, const struct cw_event *ev)
{
	const struct cw_exec_event *e = &ev->exec;
	struct exec_ctx x = { .f = f, .ev = ev };
	int ret;

	if (e->argv_len) {
		if (!flatten(f, ev->argv, e->argv_len, ' '))
			return -ENOMEM;
		x.origin = "argv";
		x.block = ev->argv;
		ret = cw_matcher_scan(f->matcher, f->buf, e->argv_len, on_exec_match, &x);
		if (ret < 0 || x.err)
			return ret < 0 ? ret : x.err;
	}
	if (e->env_len) {
		if (!flatten(f, ev->env, e->env_len, '\n'))
			return -ENOMEM;
		x.origin = "env";
		x.block = ev->env;
		ret = cw_matcher_scan(f->matcher, f->buf, e->env_len, on_exec_match, &x);
		if (ret < 0 || x.err)
			return ret < 0 ? ret : x.err;
	}
	return 0;
}
