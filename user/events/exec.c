// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The exec handler (exec.h): argv and the environment of each exec scanned by the matcher,
 * each credential found recorded as a load and reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fingerprint.h"
#include "events/exec.h"

/* One scan: of argv or of the environment. */
struct exec_scan {
	struct cw_exec *e;
	const struct cw_event *ev;
	bool argv;		    /* else the environment */
	const char *block;	    /* the NUL-separated original */
	char workload[CW_PROV_STR]; /* the judged workload of the match being reported */
	int err;		    /* the first output error: stops the scan, returned */
};

void cw_exec_init(struct cw_exec *e, const struct cw_handler_deps *d)
{
	memset(e, 0, sizeof(*e));
	e->f = d->f;
	e->matcher = d->matcher;
	e->x = d->x;
	e->procs = d->procs;
	e->apis = d->apis;
}

void cw_exec_free(struct cw_exec *e)
{
	free(e->buf);
	e->buf = NULL;
	e->buf_cap = 0;
}

/* A private copy of a NUL-separated block with the separators replaced, for matching. */
static char *flatten(struct cw_exec *e, const char *src, size_t n, char sepc)
{
	if (e->buf_cap < n + 1) {
		char *nb = realloc(e->buf, n + 1);

		if (!nb)
			return NULL;
		e->buf = nb;
		e->buf_cap = n + 1;
	}
	for (size_t i = 0; i < n; i++)
		e->buf[i] = src[i] ? src[i] : sepc;
	e->buf[n] = '\0';
	return e->buf;
}

/* Start of the NUL-separated string containing offset off. */
static size_t string_start(const char *block, size_t off)
{
	while (off > 0 && block[off - 1] != '\0')
		off--;
	return off;
}

/* The name of the environment variable whose value holds the match at m->start (the string
 * starts at vs), or NULL when the match is in the name itself. *len gets its length. */
static const char *env_name(const struct exec_scan *s, const struct cw_match *m, size_t vs,
			    size_t *len)
{
	const char *eq = memchr(s->block + vs, '=', m->start - vs);

	if (!eq)
		return NULL;
	*len = (size_t)(eq - s->block - vs);
	return s->block + vs;
}

/* The process that exec'd, as an actor: its binary named as every other finding names it. */
static void exec_actor(const struct exec_scan *s, char exe[CW_PATH_MAX + 1],
		       char comm[CW_COMM_LEN + 1], struct cw_actor *a)
{
	const struct cw_exec_event *ev = &s->ev->exec;

	memcpy(exe, s->ev->path, ev->path_len);
	exe[ev->path_len] = '\0';
	if (s->e->procs) {
		char real[CW_PROCS_EXE_MAX];

		cw_procs_exe(s->e->procs, NULL, ev->pid, real);
		if (real[0])
			snprintf(exe, CW_PATH_MAX + 1, "%s", real);
	}
	memcpy(comm, ev->comm, CW_COMM_LEN);
	comm[CW_COMM_LEN] = '\0';
	*a = (struct cw_actor){ .pid = ev->pid,
				/* the environment it inherited is its nearest exec'd
				 * ancestor's (a subshell between them never exec'd) */
				.ppid = ev->env_ppid ? ev->env_ppid : ev->ppid,
				.uid = ev->uid,
				.cgroup_id = ev->cgroup_id,
				.exe = exe,
				.comm = comm,
				.ktime_ns = ev->hdr.ktime_ns };
}

/*
 * The match as a load of the credential (the environment makes its workload an owner; argv
 * is only recorded). 1: report it, *count the occurrences the report stands for; 0: a
 * duplicate of an argv alert already reported; or -errno.
 */
static int record_load(struct exec_scan *s, const struct cw_match *m, size_t vs, uint64_t *count)
{
	struct cw_exposure *x = s->e->x;
	char exe[CW_PATH_MAX + 1], comm[CW_COMM_LEN + 1], var[256] = "";
	char fp[CW_FP_HEX_LEN + 1];
	struct cw_load l = { .source = s->argv ? CW_PROV_ARGV : CW_PROV_ENV,
			     .detail = var,
			     .workload_out = s->workload };
	const char *name;
	struct cw_actor a;
	size_t name_len;
	int ret;

	exec_actor(s, exe, comm, &a);
	if (!s->argv && (name = env_name(s, m, vs, &name_len)) && name_len < sizeof(var)) {
		memcpy(var, name, name_len);
		var[name_len] = '\0';
	}
	cw_fingerprint(s->e->f->key, m->secret, m->len, fp);
	if ((ret = cw_exposure_load(x, m, fp, &a, &l)))
		return ret;
	if (!s->argv)
		return 1;
	return cw_exposure_dedup(x, fp, s->workload, "credential-in-argv", count) ? 1 : 0;
}

/* The process, group, user and host members of an exec finding; leaves "credwatch" open. */
static void put_process(struct cw_exec *e, const struct cw_event *ev, const char *workload)
{
	const struct cw_exec_event *rec = &ev->exec;
	struct cw_json *j = &e->f->j;
	size_t args = 0;
	char gid[16];

	for (size_t i = 0; i < rec->argv_len; i++)
		args += ev->argv[i] == '\0';
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", rec->pid);
	cw_json_kobj(j, "thread");
	cw_json_kuint(j, "id", rec->tid);
	cw_json_obj_end(j);
	cw_json_kobj(j, "parent");
	cw_json_kuint(j, "pid", rec->ppid);
	cw_json_obj_end(j);
	cw_json_kstrn(j, "executable", ev->path, rec->path_len);
	cw_json_kstrn(j, "name", rec->comm, strnlen(rec->comm, sizeof(rec->comm)));
	cw_json_kuint(j, "args_count", args);
	cw_json_obj_end(j);
	cw_json_kobj(j, "group");
	snprintf(gid, sizeof(gid), "%u", rec->gid);
	cw_json_kstr(j, "id", gid); /* ECS ids are keywords */
	cw_json_obj_end(j);
	cw_finding_host(e->f, rec->pid, rec->uid, rec->cgroup_id, workload);
}

/* One finding line: credential-in-argv (an alert) or credential-observed. */
static int report(struct exec_scan *s, const struct cw_match *m, size_t vs, uint64_t count)
{
	struct cw_finding_writer *f = s->e->f;
	const struct cw_exec_event *rec = &s->ev->exec;
	struct cw_json *j = &f->j;
	const char *name;
	size_t name_len;

	cw_finding_begin(f, rec->hdr.ktime_ns, s->argv,
			 s->argv ? "credential-in-argv" : "credential-observed",
			 m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW : CW_SEVERITY_HIGH,
			 "process", "start", m);
	put_process(s->e, s->ev, s->workload);
	cw_finding_credential(f, m, s->argv ? "argv" : "env");
	if (s->argv) {
		size_t idx = 0;

		for (size_t i = 0; i < vs; i++)
			idx += s->block[i] == '\0';
		cw_json_kuint(j, "arg_index", idx);
	} else if ((name = env_name(s, m, vs, &name_len))) {
		/* The name only when the secret is in the value: a name is never the secret. */
		cw_json_kstrn(j, "variable", name, name_len);
	}
	cw_json_obj_end(j);
	cw_json_kbool(j, "argv_truncated", rec->flags & CW_EXEC_ARGV_TRUNC);
	cw_json_kbool(j, "env_truncated", rec->flags & CW_EXEC_ENV_TRUNC);
	if (s->e->x)
		cw_json_kuint(j, "count", count);
	cw_json_obj_end(j);
	if (s->argv) {
		cw_finding_threat(f, CW_NHI_SECRET_LEAKAGE,
				  "credential on a command line, readable by every local user "
				  "through /proc/PID/cmdline");
		f->alerts++;
	} else {
		f->observations++;
	}
	return cw_finding_emit(f);
}

static int on_match(const struct cw_match *m, void *arg)
{
	struct exec_scan *s = arg;
	size_t vs = string_start(s->block, m->start);
	uint64_t count = 1;
	int ret;

	if (s->e->x && (ret = record_load(s, m, vs, &count)) <= 0)
		return s->err = ret;
	if (!s->argv && !s->e->f->events) {
		s->e->f->observations++;
		return 0;
	}
	return s->err = report(s, m, vs, count);
}

/* Scan one NUL-separated block (n bytes), its strings joined by sepc. */
static int scan_block(struct exec_scan *s, const char *block, size_t n, char sepc)
{
	int ret;

	if (!flatten(s->e, block, n, sepc))
		return -ENOMEM;
	s->block = block;
	ret = cw_matcher_scan(s->e->matcher, s->e->buf, n, on_match, s);
	return ret < 0 ? ret : s->err;
}

int cw_exec_handle(struct cw_exec *e, const struct cw_event *ev)
{
	struct exec_scan s = { .e = e, .ev = ev };
	int ret = 0;

	/* A pod's environment names its API server's service address (judge/apiserver.h). */
	if (ev->exec.env_len)
		cw_apiservers_exec_env(e->apis, ev->exec.cgroup_id, ev->env, ev->exec.env_len);
	if (ev->exec.argv_len) {
		s.argv = true;
		ret = scan_block(&s, ev->argv, ev->exec.argv_len, ' ');
	}
	if (!ret && ev->exec.env_len) {
		s.argv = false;
		ret = scan_block(&s, ev->env, ev->exec.env_len, '\n');
	}
	return ret;
}
