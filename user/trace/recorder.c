// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The recorder (recorder.h): each tap record into the trace writer, which chunks, compresses
 * (and encrypts) them; a flush at least once a second; rotation at a group boundary (a RAW or
 * TICK record: the HOST records after one belong to it) followed by the agent's state; the
 * filters decided per process, once, and remembered until it exits.
 */
#include <errno.h>
#include <signal.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events/decoder.h"
#include "host/hosttap.h"
#include "host/pod_names.h"
#include "host/workload.h"
#include "trace/record.h"
#include "trace/recorder.h"
#include "util/log.h"
#include "util/table.h"

#define NSEC 1000000000ull
#define FLUSH_NS NSEC	  /* a crash loses at most this much */
#define ANCESTORS_MAX 32  /* parents walked to find a recorded ancestor */
#define DECIDED_MAX 65536 /* processes whose decision is remembered */

struct decided {
	uint32_t pid;
	bool in;
	UT_hash_handle hh;
};

struct cw_recorder {
	struct cw_recorder_opts o;
	char base[4096];
	char cur[4120];
	struct cw_trace_writer *w;
	struct cw_tap tap;
	unsigned files;
	bool rotating;
	bool filtering;
	bool skip_host; /* the RAW record these HOST records follow was left out */
	uint64_t last_flush;
	bool timed; /* the --duration timer is armed */
	timer_t timer;
	struct decided *decided;
	size_t ndecided;
	struct cw_recorder_stats st;
};

void cw_recorder_file_name(const char *path, unsigned n, char *out, size_t outlen)
{
	if (n)
		snprintf(out, outlen, "%s.%u", path, n);
	else
		snprintf(out, outlen, "%s", path);
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static int open_file(struct cw_recorder *r, char *err, size_t errlen)
{
	struct cw_trace_header h = r->o.header;

	cw_recorder_file_name(r->base, r->files, r->cur, sizeof(r->cur));
	h.start_ns = real_ns();
	return cw_trace_writer_open(r->cur, &h, r->o.recipient, &r->w, err, errlen);
}

static void file_done(struct cw_recorder *r, const char *path)
{
	struct stat st;

	if (!stat(path, &st))
		r->st.disk += (uint64_t)st.st_size;
	r->st.files++;
}

static int close_file(struct cw_recorder *r, char *err, size_t errlen)
{
	int ret;

	if (!r->w)
		return 0;
	ret = cw_trace_writer_close(r->w, err, errlen);
	r->w = NULL;
	file_done(r, r->cur);
	return ret;
}

static void write_error(struct cw_recorder *r, int ret)
{
	if (r->st.error)
		return;
	r->st.error = ret;
	cw_log("trace %s: cannot write: %s: recording stops (the agent goes on)", r->cur,
	       strerror(-ret));
}

static void put(struct cw_recorder *r, uint16_t type, uint64_t ts, const void *data, size_t len)
{
	int ret;

	if (!r->w || r->st.error)
		return;
	ret = cw_trace_write(r->w, type, ts, data, len);
	if (ret) {
		write_error(r, ret);
		return;
	}
	r->st.records++;
	r->st.raw += 16 + len;
}

/* The next file, opening with the agent's state (re-entrant: its records come through put). */
static void rotate(struct cw_recorder *r)
{
	char err[512];
	int ret;

	r->rotating = true;
	if ((ret = close_file(r, err, sizeof(err))))
		cw_log("trace %s: %s", r->cur, err);
	r->files++;
	if ((ret = open_file(r, err, sizeof(err)))) {
		cw_log("trace: %s", err);
		write_error(r, ret);
	} else {
		cw_log("trace: rotated to %s", r->cur);
		cw_agent_tap_state(&r->tap);
	}
	r->rotating = false;
}

/* ---- filters ---- */

/* PROC/PID/stat's parent, 0 unknown. */
static uint32_t parent_of(const struct cw_recorder *r, uint32_t pid)
{
	char path[512], buf[512], *close;
	unsigned ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/stat", r->o.filters.proc, pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(buf, sizeof(buf), f) && (close = strrchr(buf, ')')))
		sscanf(close + 1, " %*c %u", &ppid);
	fclose(f);
	return ppid;
}

/* The process's workload from its cgroup path (PROC/PID/cgroup) and the pod log dirs. */
static bool workload_of(const struct cw_recorder *r, uint32_t pid, struct cw_workload *wl)
{
	char path[512], *line = NULL;
	size_t cap = 0;
	bool ok = false;
	ssize_t n;
	FILE *f;

	memset(wl, 0, sizeof(*wl));
	snprintf(path, sizeof(path), "%s/%u/cgroup", r->o.filters.proc, pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!ok && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strncmp(line, "0::/", 4)) {
			cw_workload_parse_path(line + 3, wl);
			ok = true;
		}
	}
	free(line);
	fclose(f);
	if (ok && wl->pod_uid[0])
		cw_pod_names("/var/log/pods", "/var/log/containers", wl);
	return ok;
}

static bool exe_matches(const struct cw_recorder *r, uint32_t pid, const char *exec_path)
{
	const struct cw_recorder_filters *fl = &r->o.filters;
	char link[512], exe[4096];
	ssize_t n;

	if (!fl->nexes)
		return false;
	snprintf(link, sizeof(link), "%s/%u/exe", fl->proc, pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	for (size_t i = 0; i < fl->nexes; i++) {
		if (exe[0] && (!strcmp(fl->exes[i], exe) || !fnmatch(fl->exes[i], exe, 0)))
			return true;
		if (exec_path && exec_path[0] &&
		    (!strcmp(fl->exes[i], exec_path) || !fnmatch(fl->exes[i], exec_path, 0)))
			return true;
	}
	return false;
}

static bool workload_matches(const struct cw_recorder *r, uint32_t pid)
{
	const struct cw_recorder_filters *fl = &r->o.filters;
	struct cw_workload wl;
	char nsname[400];

	if ((!fl->npods && !fl->ncontainers) || !workload_of(r, pid, &wl))
		return false;
	snprintf(nsname, sizeof(nsname), "%s/%s", wl.pod_namespace, wl.pod_name);
	for (size_t i = 0; i < fl->npods; i++)
		if (wl.pod_name[0] &&
		    (!strcmp(fl->pods[i], wl.pod_name) || !strcmp(fl->pods[i], nsname)))
			return true;
	for (size_t i = 0; i < fl->ncontainers; i++) {
		size_t n = strlen(fl->containers[i]);

		if (wl.container_id[0] && n >= 12 &&
		    !strncmp(wl.container_id, fl->containers[i], n))
			return true;
		if (wl.container_name[0] && !strcmp(wl.container_name, fl->containers[i]))
			return true;
	}
	return false;
}

/* Does the process match a filter itself (not through its parent)? */
static bool direct(const struct cw_recorder *r, uint32_t pid, uint64_t cgroup_id,
		   const char *exec_path)
{
	const struct cw_recorder_filters *fl = &r->o.filters;

	for (size_t i = 0; i < fl->npids; i++)
		if (fl->pids[i] == pid)
			return true;
	for (size_t i = 0; cgroup_id && i < fl->ncgroups; i++)
		if (fl->cgroups[i] == cgroup_id)
			return true;
	return exe_matches(r, pid, exec_path) || workload_matches(r, pid);
}

static struct decided *find(const struct cw_recorder *r, uint32_t pid)
{
	struct decided *d;

	HASH_FIND(hh, r->decided, &pid, sizeof(pid), d);
	return d;
}

static bool remember(struct cw_recorder *r, uint32_t pid, bool in)
{
	struct decided *d = find(r, pid);

	if (!d) {
		if (r->ndecided >= DECIDED_MAX) { /* the oldest decision goes */
			d = r->decided;
			HASH_DEL(r->decided, d);
			free(d);
			r->ndecided--;
		}
		if (!(d = calloc(1, sizeof(*d))))
			return in;
		d->pid = pid;
		HASH_ADD(hh, r->decided, pid, sizeof(d->pid), d);
		if (!CW_HASH_ADDED(d, hh)) {
			free(d);
			return in;
		}
		r->ndecided++;
	}
	d->in = in;
	return in;
}

static void forget(struct cw_recorder *r, uint32_t pid)
{
	struct decided *d = find(r, pid);

	if (d) {
		HASH_DEL(r->decided, d);
		free(d);
		r->ndecided--;
	}
}

/* Is pid recorded: remembered, else matching, else an ancestor is. */
static bool pid_in(struct cw_recorder *r, uint32_t pid, uint64_t cgroup_id)
{
	struct decided *d = find(r, pid);
	uint32_t anc = pid;

	if (d)
		return d->in;
	if (direct(r, pid, cgroup_id, NULL))
		return remember(r, pid, true);
	for (int i = 0; i < ANCESTORS_MAX && (anc = parent_of(r, anc)) > 1; i++) {
		if ((d = find(r, anc)))
			return remember(r, pid, d->in);
		if (direct(r, anc, 0, NULL))
			return remember(r, pid, true);
	}
	return remember(r, pid, false);
}

/* Is this ring-buffer record one of a recorded process (or of none)? */
static bool raw_wanted(struct cw_recorder *r, const void *data, size_t len)
{
	struct cw_event ev;
	const char *why;
	char path[4096];
	bool in;

	if (cw_decode(data, len, &ev, &why))
		return true; /* the agent saw it as it is: so does a replay */
	switch (ev.type) {
	case CW_EV_EXEC: {
		struct decided *d = find(r, ev.exec.pid);
		size_t n = ev.exec.path_len < sizeof(path) ? ev.exec.path_len : sizeof(path) - 1;

		memcpy(path, ev.path, n);
		path[n] = '\0';
		in = (d && d->in) || pid_in(r, ev.exec.ppid, 0) ||
		     direct(r, ev.exec.pid, ev.exec.cgroup_id, path);
		return remember(r, ev.exec.pid, in);
	}
	case CW_EV_EXIT:
		in = pid_in(r, ev.exit.pid, ev.exit.cgroup_id);
		forget(r, ev.exit.pid);
		return in;
	case CW_EV_CONN: return pid_in(r, ev.conn.pid, ev.conn.cgroup_id);
	case CW_EV_BIND: return pid_in(r, ev.bind.pid, 0);
	case CW_EV_DATA:
	case CW_EV_FILE_DATA: return pid_in(r, ev.data.pid, ev.data.cgroup_id);
	case CW_EV_CLOSE:
	case CW_EV_FILE_CLOSE: return pid_in(r, ev.close.pid, 0);
	case CW_EV_FILE_OPEN: return pid_in(r, ev.file_open.pid, ev.file_open.cgroup_id);
	default: return true; /* cgroups: everyone's workload */
	}
}

/* Host answers that carry a process's content (a file's bytes, an environment): left out
 * with the record they answer. The rest (names, workloads) is what others need too. */
static bool host_private(const void *data, size_t len)
{
	struct cw_host_rec h;

	return !cw_host_rec_decode(data, len, &h) &&
	       (h.kind == CW_HOST_FILE || h.kind == CW_HOST_ENVIRON);
}

/* The duration's end: SIGTERM, which the agent takes as any stop. */
static void arm(struct cw_recorder *r)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGTERM };
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)r->o.duration_s } };

	r->o.duration_s = 0; /* once */
	if (timer_create(CLOCK_MONOTONIC, &sev, &r->timer)) {
		cw_log("trace: --duration: cannot make a timer: %s", strerror(errno));
		return;
	}
	r->timed = true;
	if (timer_settime(r->timer, 0, &its, NULL))
		cw_log("trace: --duration: cannot arm the timer: %s", strerror(errno));
}

static void on_record(void *arg, uint16_t type, uint64_t ts, const void *data, size_t len)
{
	struct cw_recorder *r = arg;

	/* the first record comes once the agent catches its stop signals */
	if (r->o.duration_s)
		arm(r);

	if (type == CW_TAP_RAW || type == CW_TAP_TICK) {
		r->skip_host = false;
		if (!r->rotating && r->o.max_size && r->w &&
		    cw_trace_writer_size(r->w) >= r->o.max_size)
			rotate(r);
	}
	switch (type) {
	case CW_TAP_RAW:
		if (r->filtering && !raw_wanted(r, data, len)) {
			r->skip_host = true;
			r->st.filtered++;
			return;
		}
		break;
	case CW_TAP_HOST:
		if (r->skip_host && host_private(data, len)) {
			r->st.filtered++;
			return;
		}
		break;
	case CW_TAP_TICK:
		if (r->w && !r->st.error && ts - r->last_flush >= FLUSH_NS) {
			int ret = cw_trace_flush(r->w);

			if (ret)
				write_error(r, ret);
			r->last_flush = ts;
		}
		break;
	default: break;
	}
	put(r, type, ts, data, len);
}

static const char *on_alert(void *arg, uint64_t ktime_ns)
{
	struct cw_recorder *r = arg;

	(void)ktime_ns;
	return r->w ? r->cur : NULL;
}

int cw_recorder_open(const struct cw_recorder_opts *o, struct cw_recorder **out, char *err,
		     size_t errlen)
{
	struct cw_recorder *r = calloc(1, sizeof(*r));
	const struct cw_recorder_filters *fl = &o->filters;
	int ret;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->o = *o;
	if (!r->o.filters.proc)
		r->o.filters.proc = "/proc";
	snprintf(r->base, sizeof(r->base), "%s", o->path);
	r->filtering = fl->npids || fl->ncgroups || fl->npods || fl->ncontainers || fl->nexes;
	r->tap = (struct cw_tap){ .record = on_record, .alert = on_alert, .arg = r };
	ret = open_file(r, err, errlen);
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

const struct cw_tap *cw_recorder_tap(struct cw_recorder *r)
{
	return &r->tap;
}

const char *cw_recorder_path(const struct cw_recorder *r)
{
	return r->cur;
}

int cw_recorder_close(struct cw_recorder *r, struct cw_recorder_stats *st, char *err, size_t errlen)
{
	struct decided *d, *tmp;
	int ret;

	if (!r)
		return 0;
	if (r->timed)
		timer_delete(r->timer);
	ret = close_file(r, err, errlen);
	HASH_ITER (hh, r->decided, d, tmp) {
		HASH_DEL(r->decided, d);
		free(d);
	}
	if (st)
		*st = r->st;
	free(r);
	return ret ? ret : (st && st->error ? st->error : 0);
}
