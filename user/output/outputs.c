// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The outputs (outputs.h). A finding is written to stdout at once; file and spooled outputs
 * stage it, and cw_outputs_tick (once per ring-buffer loop) writes each file's lines in one
 * write and appends each spool's records in one write, then wakes the output's delivery
 * thread if it waits for findings. The delivery thread reads the spool in order, sends
 * batches to the sink, acknowledges what the sink took and retries the rest with exponential
 * backoff and jitter (or after the sink's Retry-After). It logs the output's health when it
 * changes, never per retry.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "output/ocsf.h"
#include "output/outputs.h"
#include "output/sink.h"
#include "output/spool.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/version.h"

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 30000
#define RETRY_AFTER_MAX_MS 600000
#define DELIVERY_NICE 10
#define STAGE_MAX (1u << 20) /* staged bytes an output writes at once, not waiting for the tick */

/* A line staged for a file output. */
struct line {
	size_t off, len; /* in fbuf; len counts its newline */
	bool alert;
};

struct out {
	struct cw_output_spec spec;
	/* stdout and file: written by the agent's thread */
	int fd; /* -1: a file that could not be (re)opened, tried again at the next write */
	uint64_t fsize;
	bool write_failing;
	bool torn_line; /* a file's last write ended mid-line */
	char *fbuf;	/* a file's staged lines */
	size_t flen, fcap;
	struct line *lines;
	size_t nlines, lines_cap;
	struct cw_spool_batch staged; /* a spooled output's staged records (the agent's thread) */
	/* spooled outputs: the delivery thread and what it shares */
	const struct cw_sink_ops *ops;
	void *sink;
	struct cw_spool *spool;
	unsigned sync_ms;
	pthread_t thr;
	bool started;
	pthread_mutex_t mu; /* the fields below */
	pthread_cond_t cv;
	bool stop, reopen;
	bool waiting;	    /* the delivery thread waits for findings */
	double drain_until; /* monotonic seconds */
	uint64_t written, delivered, failures, retries;
	uint64_t rejected; /* delivered, but refused for good by the far end */
	uint64_t dropped_alerts, dropped_events; /* stdout and file: lines not written */
	bool healthy;
	char last_error[256];
	int64_t oldest_pending_ms; /* append time of the first record in flight */
	/* the delivery thread's own */
	uint64_t seen; /* written, as of its last read of the spool */
	struct cw_spool_rec *pend;
	size_t npend;
	double down_since;
	uint64_t delivered_at_down;
	/* refusal episodes, logged once each (the agent's thread) */
	bool refusing_alerts, refusing_events;
	uint64_t episode_alerts, episode_events;
};

struct cw_outputs {
	pthread_mutex_t mu; /* the list, against stats from another thread */
	struct out *outs[CW_OUTPUTS_MAX];
	size_t n;
	char spool_dir[CW_OUTPUT_STR];
	uint64_t spool_max;
	unsigned sync_ms;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const struct cw_sink_ops *cw_sink_ops_for(enum cw_sink_kind kind)
{
	switch (kind) {
	case CW_SINK_SYSLOG_UDP:
	case CW_SINK_SYSLOG_TCP:
	case CW_SINK_SYSLOG_TLS: return &cw_sink_syslog_ops;
	case CW_SINK_HEC:
	case CW_SINK_BULK:
	case CW_SINK_WEBHOOK: return &cw_sink_http_ops;
	default: return NULL;
	}
}

static void deadline_after(struct timespec *ts, double s)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)s;
	ts->tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- rendering ---- */

/* The finding in the output's format: *data points at ecs itself, or at a malloc'ed copy. */
static int render(const struct out *o, const char *ecs, size_t len, char **data, size_t *dlen,
		  bool *owned)
{
	char *ocsf;

	*owned = false;
	*data = (char *)ecs;
	*dlen = len;
	if (o->spec.format == CW_FORMAT_ECS)
		return 0;
	if (cw_ocsf_from_ecs(ecs, len, cw_version, &ocsf, dlen))
		return -EINVAL;
	*data = ocsf;
	*owned = true;
	return 0;
}

/* ---- stdout and file outputs ---- */

static int open_file(struct out *o)
{
	struct stat st;

	o->torn_line = false;
	o->fd = open(o->spec.target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (o->fd < 0)
		return -errno;
	o->fsize = fstat(o->fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

/* PATH.N-1 -> PATH.N ... PATH -> PATH.1, the oldest beyond rotate_keep gone; a new PATH. */
static int rotate_file(struct out *o)
{
	char from[CW_OUTPUT_STR + 16], to[CW_OUTPUT_STR + 16];
	unsigned keep = o->spec.rotate_keep;

	close(o->fd);
	o->fd = -1;
	if (!keep) {
		unlink(o->spec.target);
	} else {
		snprintf(to, sizeof(to), "%s.%u", o->spec.target, keep);
		unlink(to);
		for (unsigned i = keep; i > 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", o->spec.target, i - 1);
			snprintf(to, sizeof(to), "%s.%u", o->spec.target, i);
			rename(from, to);
		}
		snprintf(to, sizeof(to), "%s.1", o->spec.target);
		if (rename(o->spec.target, to) && errno != ENOENT)
			cw_log("output %s: cannot rotate: %s", o->spec.spec, strerror(errno));
	}
	return open_file(o);
}

/* The whole buffer, or -errno with *done saying how much of it went. */
static int write_some(int fd, const char *buf, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, buf + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		*done += (size_t)n;
	}
	return 0;
}

/* stdout: a finding's line, written at once. */
static int write_line(struct out *o, const char *data, size_t len)
{
	size_t done = 0;
	int ret = 0;

	while (!ret && done < len + 1) {
		struct iovec iov[2] = { { (char *)data + done, len - done }, { "\n", 1 } };
		ssize_t n = done < len ? writev(o->fd, iov, 2) : write(o->fd, "\n", 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	return ret;
}

/* Written, or not (failed lines by kind): counted; a failure or a recovery logged once. */
static void note_writes(struct out *o, int ret, size_t lines, size_t lost_alerts,
			size_t lost_events)
{
	pthread_mutex_lock(&o->mu);
	o->written += lines;
	o->delivered += lines - lost_alerts - lost_events;
	o->dropped_alerts += lost_alerts;
	o->dropped_events += lost_events;
	o->healthy = !ret;
	if (ret)
		snprintf(o->last_error, sizeof(o->last_error), "write: %s", strerror(-ret));
	pthread_mutex_unlock(&o->mu);
	if (ret && !o->write_failing)
		cw_log("output %s: down: cannot write: %s", o->spec.spec, strerror(-ret));
	else if (!ret && o->write_failing)
		cw_log("output %s: up again", o->spec.spec);
	o->write_failing = ret != 0;
}

static void note_write(struct out *o, int ret, bool alert)
{
	note_writes(o, ret, 1, ret && alert, ret && !alert);
}

/*
 * A file's lines from *i that go before the next rotation, in one write. A file that is not
 * open (a reopen or a rotation failed) is opened again, once a pass: if that fails, every line
 * left is lost (counted). 0 or -errno.
 */
static int write_lines(struct out *o, size_t *i)
{
	uint64_t rb = o->spec.rotate_bytes;
	size_t first = *i, bytes = 0, done = 0, lost[2] = { 0, 0 };
	int ret = 0;

	if (o->fd < 0)
		ret = open_file(o);
	else if (rb && o->fsize && o->fsize + o->lines[first].len > rb)
		ret = rotate_file(o);
	if (ret) {
		*i = o->nlines;
	} else {
		if (o->torn_line) {
			/* the last write stopped mid-line: end it, so this line starts its own */
			ret = write_some(o->fd, "\n", 1, &done);
			o->fsize += done;
			o->torn_line = ret != 0;
			done = 0;
		}
		while (*i < o->nlines &&
		       (!rb || !(o->fsize + bytes) || o->fsize + bytes + o->lines[*i].len <= rb))
			bytes += o->lines[(*i)++].len;
		if (!ret)
			ret = write_some(o->fd, o->fbuf + o->lines[first].off, bytes, &done);
		o->fsize += done;
		o->torn_line |= done && o->fbuf[o->lines[first].off + done - 1] != '\n';
	}
	/* a line not wholly written is lost */
	for (size_t k = first, at = 0; k < *i; at += o->lines[k++].len)
		if (at + o->lines[k].len > done)
			lost[o->lines[k].alert]++;
	note_writes(o, ret, *i - first, lost[1], lost[0]);
	return ret;
}

static void flush_file(struct out *o)
{
	size_t i = 0;

	while (i < o->nlines)
		write_lines(o, &i);
	o->nlines = 0;
	o->flen = 0;
}

static int stage_line(struct out *o, const char *data, size_t len, bool alert)
{
	if (cw_grow((void **)&o->fbuf, &o->fcap, o->flen + len + 1, 1) ||
	    cw_grow((void **)&o->lines, &o->lines_cap, o->nlines + 1, sizeof(*o->lines)))
		return -ENOMEM;
	memcpy(o->fbuf + o->flen, data, len);
	o->fbuf[o->flen + len] = '\n';
	o->lines[o->nlines++] = (struct line){ .off = o->flen, .len = len + 1, .alert = alert };
	o->flen += len + 1;
	return 0;
}

/* ---- the delivery thread ---- */

static void drop_acked(struct out *o, size_t acked)
{
	for (size_t i = 0; i < acked; i++)
		cw_spool_rec_free(&o->pend[i]);
	memmove(o->pend, o->pend + acked, (o->npend - acked) * sizeof(*o->pend));
	o->npend -= acked;
}

static void top_up(struct out *o)
{
	pthread_mutex_lock(&o->mu);
	o->seen = o->written; /* before the read: what comes after wakes a wait for data */
	pthread_mutex_unlock(&o->mu);
	if (o->npend < o->spec.batch_max)
		o->npend +=
			cw_spool_read(o->spool, o->pend + o->npend, o->spec.batch_max - o->npend);
	pthread_mutex_lock(&o->mu);
	o->oldest_pending_ms = o->npend ? o->pend[0].time_ms : 0;
	pthread_mutex_unlock(&o->mu);
}

/* Health after a send: a transition logs one line. */
static void note_send(struct out *o, const struct cw_sink_result *r, size_t n, bool retry)
{
	double now = cw_mono_s();

	pthread_mutex_lock(&o->mu);
	o->delivered += r->acked;
	o->retries += retry;
	if (r->rejected) {
		/* every time: each is a finding the SIEM does not have */
		o->rejected += r->rejected;
		cw_log("output %s: %zu finding%s refused for good by the far end, not sent again "
		       "(%llu so far): %s",
		       o->spec.spec, r->rejected, r->rejected == 1 ? "" : "s",
		       (unsigned long long)o->rejected, r->rejected_why);
	}
	if (r->acked < n && r->error[0]) {
		o->failures++;
		snprintf(o->last_error, sizeof(o->last_error), "%s",
			 r->error[0] ? r->error : "not acknowledged");
		if (o->healthy) {
			o->healthy = false;
			o->down_since = now;
			o->delivered_at_down = o->delivered - r->acked;
			cw_log("output %s: down: %s", o->spec.spec, o->last_error);
		}
	} else if (!o->healthy) {
		struct cw_spool_stats st;

		o->healthy = true;
		o->last_error[0] = '\0';
		cw_spool_stats(o->spool, &st);
		cw_log("output %s: up again, %llu findings delivered after %.1fs (%llu still "
		       "queued)",
		       o->spec.spec, (unsigned long long)(o->delivered - o->delivered_at_down),
		       now - o->down_since, (unsigned long long)st.queued);
	}
	pthread_mutex_unlock(&o->mu);
}

/*
 * Wait until the monotonic deadline, or a stop or a reopen, or (for_data) findings put since
 * the last top_up. A wait not for data (a backoff) is not woken by puts: the agent's thread
 * wakes only a delivery thread that waits for what it puts.
 */
static void wait_until(struct out *o, double until, bool for_data)
{
	struct timespec ts;
	double left = until - cw_mono_s();

	if (left <= 0)
		return;
	deadline_after(&ts, left);
	pthread_mutex_lock(&o->mu);
	if (!o->reopen && !(for_data && (o->stop || o->written != o->seen))) {
		o->waiting = for_data;
		pthread_cond_timedwait(&o->cv, &o->mu, &ts);
		o->waiting = false;
	}
	pthread_mutex_unlock(&o->mu);
}

/* Stopping? past_drain: no more time to deliver, or a sink that is down is not waited for. */
static bool stopping(struct out *o, bool *past_drain)
{
	bool stop;

	pthread_mutex_lock(&o->mu);
	stop = o->stop;
	*past_drain = stop && (cw_mono_s() >= o->drain_until || !o->healthy);
	pthread_mutex_unlock(&o->mu);
	return stop;
}

static void maybe_reopen(struct out *o)
{
	bool reopen;

	pthread_mutex_lock(&o->mu);
	reopen = o->reopen;
	o->reopen = false;
	pthread_mutex_unlock(&o->mu);
	if (reopen && o->ops->reopen)
		o->ops->reopen(o->sink);
}

/*
 * A busy sink (a send ended less than batch_ms ago) lets a batch fill for up to batch_ms from
 * its first finding's arrival; an idle one sends a finding at once.
 */
static void linger(struct out *o, double last_send)
{
	double until;

	if (!o->spec.batch_ms || cw_mono_s() - last_send >= o->spec.batch_ms / 1e3)
		return;
	until = cw_mono_s() + (double)(o->pend[0].time_ms + o->spec.batch_ms - wall_ms()) / 1e3;
	while (o->npend < o->spec.batch_max && cw_mono_s() < until) {
		bool past;

		if (stopping(o, &past))
			return;
		wait_until(o, until, true);
		top_up(o);
	}
}

static unsigned backoff_ms(unsigned attempt, const struct cw_sink_result *r)
{
	unsigned d = BACKOFF_MIN_MS;

	if (r->retry_after_ms > 0)
		return r->retry_after_ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS
							      : (unsigned)r->retry_after_ms;
	for (unsigned i = 1; i < attempt && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	/* Full jitter over the upper half: outputs that failed together do not retry together. */
	return d / 2 + (unsigned)(random() % (d / 2 + 1));
}

/* One send of what is pending; the acknowledged part leaves the spool. true: all went. */
static bool send_pending(struct out *o, bool retry, struct cw_sink_result *r)
{
	struct cw_sink_rec recs[o->npend];
	size_t n = o->npend;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		recs[i] = (struct cw_sink_rec){ .data = o->pend[i].data,
						.len = o->pend[i].len,
						.event_id = o->pend[i].event_id,
						.seq = o->pend[i].seq,
						.alert = o->pend[i].alert };
	o->ops->send(o->sink, recs, n, r);
	if (r->acked > n)
		r->acked = n;
	if (r->acked) {
		int ret = cw_spool_ack(o->spool, o->pend[r->acked - 1].seq);

		if (ret)
			cw_log("output %s: cannot record deliveries in the spool: %s", o->spec.spec,
			       strerror(-ret));
		drop_acked(o, r->acked);
	}
	note_send(o, r, n, retry);
	return r->acked == n || !r->error[0]; /* no error: the rest is in flight */
}

/* The backoff after a failed send: the spool still synced on time, a stop cuts it short. */
static void back_off(struct out *o, double until, double *next_sync)
{
	for (;;) {
		double now = cw_mono_s(), t = until;
		bool past;

		if (stopping(o, &past) && (past || t > o->drain_until))
			t = past ? now : o->drain_until;
		if (now >= t)
			return;
		if (now >= *next_sync) {
			cw_spool_sync(o->spool);
			*next_sync = now + o->sync_ms / 1e3;
		}
		wait_until(o, t < *next_sync ? t : *next_sync, false);
		maybe_reopen(o);
	}
}

static void *deliver(void *arg)
{
	struct out *o = arg;
	double last_send = 0, next_sync = cw_mono_s() + o->sync_ms / 1e3;
	struct cw_sink_result r;
	unsigned attempt = 0;
	bool past_drain = false;

	/* Below the matching thread: a burst of deliveries (TLS, gzip) yields to matching, and
	 * what waits meanwhile waits in the spool. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), getpriority(PRIO_PROCESS, 0) + DELIVERY_NICE);
	for (;;) {
		bool stop = stopping(o, &past_drain);

		maybe_reopen(o);
		if (cw_mono_s() >= next_sync) {
			cw_spool_sync(o->spool);
			next_sync = cw_mono_s() + o->sync_ms / 1e3;
		}
		top_up(o);
		if (past_drain || (stop && !o->npend))
			break;
		if (!o->npend) {
			wait_until(o, next_sync, true);
			continue;
		}
		if (!stop && !attempt)
			linger(o, last_send);
		if (send_pending(o, attempt > 0, &r))
			attempt = 0;
		else
			back_off(o, cw_mono_s() + backoff_ms(++attempt, &r) / 1e3, &next_sync);
		last_send = cw_mono_s();
	}
	cw_spool_sync(o->spool);
	return NULL;
}

/* ---- opening and closing ---- */

static void flush_all(struct out **outs, size_t n); /* below, with the findings */

static void free_out(struct out *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->npend; i++)
		cw_spool_rec_free(&o->pend[i]);
	free(o->pend);
	cw_spool_batch_free(&o->staged);
	free(o->fbuf);
	free(o->lines);
	if (o->sink)
		o->ops->close(o->sink);
	cw_spool_close(o->spool);
	if (o->fd > STDERR_FILENO)
		close(o->fd);
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

/* What the last run left in the spool, once. */
static void log_recovered(const struct out *o, const char *dir)
{
	struct cw_spool_stats st;

	cw_spool_stats(o->spool, &st);
	if (st.torn)
		cw_log("output %s: spool %s: cut off a record the last run left half-written (%llu "
		       "bytes)",
		       o->spec.spec, dir, (unsigned long long)st.torn);
	if (st.queued)
		cw_log("output %s: %llu findings the last run did not deliver are queued in %s",
		       o->spec.spec, (unsigned long long)st.queued, dir);
}

static int open_spooled(struct cw_outputs *os, struct out *o, char *err, size_t errlen)
{
	char name[CW_OUTPUT_STR], dir[2 * CW_OUTPUT_STR + 2], why[1024] = "";
	int ret;

	o->ops = cw_sink_ops_for(o->spec.kind);
	if (!o->ops) {
		set_err(err, errlen, "output %s: %s outputs are not available in this build",
			o->spec.spec, cw_sink_kind_name(o->spec.kind));
		return -ENOTSUP;
	}
	ret = o->ops->open(&o->spec, &o->sink, why, sizeof(why));
	if (ret) {
		o->sink = NULL;
		set_err(err, errlen, "output %s: %s", o->spec.spec, why);
		return ret;
	}
	cw_spool_dir_name(&o->spec, name, sizeof(name));
	snprintf(dir, sizeof(dir), "%s/%s", os->spool_dir, name);
	ret = cw_spool_open(o->spec.spool ? dir : NULL, os->spool_max, &o->spool, why, sizeof(why));
	if (ret) {
		set_err(err, errlen, "output %s: %s", o->spec.spec, why);
		return ret;
	}
	o->pend = calloc(o->spec.batch_max, sizeof(*o->pend));
	if (!o->pend)
		return -ENOMEM;
	if (o->spec.spool)
		log_recovered(o, dir);
	return 0;
}

static int open_one(struct cw_outputs *os, const struct cw_output_spec *spec, struct out **out,
		    char *err, size_t errlen)
{
	struct out *o = calloc(1, sizeof(*o));
	pthread_condattr_t ca;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	o->spec = *spec;
	o->fd = -1;
	o->healthy = true;
	o->sync_ms = os->sync_ms;
	pthread_mutex_init(&o->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (spec->kind == CW_SINK_STDOUT) {
		o->fd = STDOUT_FILENO;
	} else if (spec->kind == CW_SINK_FILE) {
		ret = open_file(o);
		if (ret)
			set_err(err, errlen, "output %s: %s", spec->spec, strerror(-ret));
	} else {
		ret = open_spooled(os, o, err, errlen);
	}
	if (ret) {
		free_out(o);
		return ret;
	}
	*out = o;
	return 0;
}

static int start_one(struct out *o, char *err, size_t errlen)
{
	int ret;

	if (!o->ops || o->started)
		return 0;
	ret = pthread_create(&o->thr, NULL, deliver, o);
	if (ret) {
		set_err(err, errlen, "output %s: cannot start its thread: %s", o->spec.spec,
			strerror(ret));
		return -ret;
	}
	o->started = true;
	return 0;
}

/* Ask every thread to stop (they drain side by side) and wait for them. */
static void stop_threads(struct out **outs, size_t n, unsigned drain_ms)
{
	for (size_t i = 0; i < n; i++) {
		struct out *o = outs[i];

		pthread_mutex_lock(&o->mu);
		o->stop = true;
		o->drain_until = cw_mono_s() + drain_ms / 1e3;
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
	for (size_t i = 0; i < n; i++) {
		struct out *o = outs[i];
		struct cw_spool_stats st;

		if (!o->started)
			continue;
		pthread_join(o->thr, NULL);
		o->started = false;
		cw_spool_stats(o->spool, &st);
		if (st.queued)
			cw_log("output %s: %llu findings not delivered%s", o->spec.spec,
			       (unsigned long long)st.queued,
			       o->spec.spool ? ", kept in the spool for the next start"
					     : " (spool=off: lost)");
	}
}

static void stop_all(struct out **outs, size_t n, unsigned drain_ms)
{
	stop_threads(outs, n, drain_ms);
	for (size_t i = 0; i < n; i++)
		free_out(outs[i]);
}

/* Two outputs may not share a file or a spool. */
static int check_distinct(const struct cw_output_spec *specs, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			char a[CW_OUTPUT_STR], b[CW_OUTPUT_STR];

			if (specs[i].kind != specs[j].kind ||
			    strcmp(specs[i].target, specs[j].target))
				continue;
			cw_spool_dir_name(&specs[i], a, sizeof(a));
			cw_spool_dir_name(&specs[j], b, sizeof(b));
			if (specs[i].kind == CW_SINK_STDOUT || specs[i].kind == CW_SINK_FILE ||
			    !strcmp(a, b)) {
				set_err(err, errlen, "output %s: given twice (also as %s)",
					specs[i].spec, specs[j].spec);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int cw_outputs_open(const struct cw_output_spec *specs, size_t n, const struct cw_outputs_opts *o,
		    struct cw_outputs **out, char *err, size_t errlen)
{
	struct cw_outputs *os;
	int ret = 0;

	if (!n || n > CW_OUTPUTS_MAX) {
		set_err(err, errlen, "from 1 to %d outputs", CW_OUTPUTS_MAX);
		return -EINVAL;
	}
	ret = check_distinct(specs, n, err, errlen);
	if (ret)
		return ret;
	os = calloc(1, sizeof(*os));
	if (!os)
		return -ENOMEM;
	pthread_mutex_init(&os->mu, NULL);
	snprintf(os->spool_dir, sizeof(os->spool_dir), "%s",
		 o && o->spool_dir ? o->spool_dir : CW_SPOOL_DEFAULT_DIR);
	os->spool_max = o && o->spool_max ? o->spool_max : CW_SPOOL_DEFAULT_MAX;
	os->sync_ms = o && o->sync_ms ? o->sync_ms : CW_SPOOL_DEFAULT_SYNC_MS;
	for (size_t i = 0; !ret && i < n; i++) {
		ret = open_one(os, &specs[i], &os->outs[i], err, errlen);
		if (!ret)
			os->n++;
	}
	for (size_t i = 0; !ret && i < os->n; i++)
		ret = start_one(os->outs[i], err, errlen);
	if (ret) {
		stop_all(os->outs, os->n, 0);
		pthread_mutex_destroy(&os->mu);
		free(os);
		return ret;
	}
	*out = os;
	return 0;
}

void cw_outputs_drain(struct cw_outputs *os, unsigned drain_ms)
{
	if (!os)
		return;
	flush_all(os->outs, os->n);
	stop_threads(os->outs, os->n, drain_ms);
}

void cw_outputs_close(struct cw_outputs *os, unsigned drain_ms)
{
	if (!os)
		return;
	flush_all(os->outs, os->n); /* what came after a drain goes to the spools, for later */
	stop_all(os->outs, os->n, drain_ms);
	pthread_mutex_destroy(&os->mu);
	free(os);
}

/* ---- findings ---- */

/* A refusal starts an episode (one line); the next accepted finding of its kind ends it. */
static void note_spooled(struct out *o, int ret, bool alert)
{
	bool *refusing = alert ? &o->refusing_alerts : &o->refusing_events;
	uint64_t *count = alert ? &o->episode_alerts : &o->episode_events;
	const char *what = alert ? "alerts" : "observations";
	struct cw_spool_stats st;

	if (!ret && *refusing) {
		cw_log("output %s: spool accepts %s again (%llu refused meanwhile)", o->spec.spec,
		       what, (unsigned long long)*count);
		*refusing = false;
		*count = 0;
	}
	if (!ret)
		return;
	(*count)++;
	if (*refusing)
		return;
	*refusing = true;
	cw_spool_stats(o->spool, &st);
	if (ret == -ENOBUFS)
		cw_log("output %s: spool full (%llu of %llu bytes%s): refusing %s until the sink "
		       "catches up; every refusal is counted",
		       o->spec.spec, (unsigned long long)st.bytes, (unsigned long long)st.max,
		       alert ? "" : ", past the high-water mark for observations", what);
	else
		cw_log("output %s: cannot spool %s: %s; refusing them until it works again",
		       o->spec.spec, what, strerror(-ret));
}

/* A finding put to the output that it will never have. */
static void count_dropped(struct out *o, bool alert)
{
	pthread_mutex_lock(&o->mu);
	o->written++;
	if (alert)
		o->dropped_alerts++;
	else
		o->dropped_events++;
	pthread_mutex_unlock(&o->mu);
}

/* A finding the output's format cannot render: counted as dropped, logged once. */
static void note_unrendered(struct out *o, bool alert)
{
	static bool told;

	count_dropped(o, alert);
	if (!told)
		cw_log("output %s: a finding could not be rendered as %s: dropped (counted)",
		       o->spec.spec, cw_format_name(o->spec.format));
	told = true;
}

/* A finding staged for a spooled output. */
static void stage_rec(struct out *o, const char *data, size_t len, const char *event_id, bool alert)
{
	int r = cw_spool_batch_add(&o->staged, data, len, event_id, alert);

	if (r) {
		/* never reaches the spool: counted and logged as a refusal */
		count_dropped(o, alert);
		note_spooled(o, r, alert);
	}
}

/* A spooled output's staged records into its spool, in one append; its thread woken once. */
static void flush_spooled(struct out *o)
{
	size_t n = o->staged.n;

	if (!n)
		return;
	cw_spool_append_batch(o->spool, &o->staged);
	for (size_t i = 0; i < n; i++)
		note_spooled(o, o->staged.recs[i].ret, o->staged.recs[i].alert);
	cw_spool_batch_clear(&o->staged);
	pthread_mutex_lock(&o->mu);
	o->written += n;
	if (o->waiting)
		pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

/* One finding to one output: 0, -ENOMEM, or -EIO (see cw_outputs_put). */
static int put_one(struct out *o, const char *ecs, size_t len, const char *event_id, bool alert)
{
	char *data;
	size_t dlen;
	bool owned;
	int ret = 0, r = render(o, ecs, len, &data, &dlen, &owned);

	if (r == -ENOMEM)
		return r;
	if (r) {
		note_unrendered(o, alert);
		return 0;
	}
	if (o->spec.kind == CW_SINK_STDOUT) {
		r = write_line(o, data, dlen);
		note_write(o, r, alert);
		if (r)
			ret = -EIO;
	} else if (o->spec.kind == CW_SINK_FILE) {
		if (stage_line(o, data, dlen, alert)) {
			note_write(o, -ENOMEM, alert);
			ret = -EIO;
		}
		if (o->flen >= STAGE_MAX)
			flush_file(o);
	} else {
		stage_rec(o, data, dlen, event_id, alert);
		if (o->staged.len >= STAGE_MAX)
			flush_spooled(o);
	}
	if (owned)
		free(data);
	return ret;
}

/*
 * stdout goes last, and an alert reaches it only once every spool has it on disk: an alert
 * seen on stdout is never missing from a spooled output when the agent is killed before its
 * next tick (tests/e2e/test_crash.py). Observations stay batched until the tick.
 */
int cw_outputs_put(struct cw_outputs *os, const char *ecs, size_t len, const char *event_id,
		   bool alert)
{
	int ret = 0;

	for (int stdout_pass = 0; stdout_pass < 2; stdout_pass++) {
		for (size_t i = 0; i < os->n; i++) {
			struct out *o = os->outs[i];
			int r;

			if ((o->spec.kind == CW_SINK_STDOUT) != stdout_pass)
				continue;
			if (stdout_pass && alert)
				for (size_t j = 0; j < os->n; j++)
					if (os->outs[j]->spool)
						flush_spooled(os->outs[j]);
			r = put_one(o, ecs, len, event_id, alert);
			if (r == -ENOMEM)
				return r;
			if (r)
				ret = r;
		}
	}
	return ret;
}

/* What the outputs staged since the last call goes out (files written, spools appended). */
static void flush_all(struct out **outs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (outs[i]->spec.kind == CW_SINK_FILE)
			flush_file(outs[i]);
		else if (outs[i]->spool)
			flush_spooled(outs[i]);
	}
}

/* The spools are synced by their own threads, on their interval: only staged writes here. */
void cw_outputs_tick(struct cw_outputs *os)
{
	flush_all(os->outs, os->n);
}

/* ---- reload ---- */

static struct out *find_spec(struct out **outs, size_t n, const char *spec)
{
	for (size_t i = 0; i < n; i++)
		if (outs[i] && !strcmp(outs[i]->spec.spec, spec))
			return outs[i];
	return NULL;
}

static void reopen_one(struct out *o)
{
	if (o->spec.kind == CW_SINK_FILE) {
		int ret;

		close(o->fd);
		ret = open_file(o);
		if (ret)
			cw_log("output %s: cannot reopen: %s", o->spec.spec, strerror(-ret));
		return;
	}
	pthread_mutex_lock(&o->mu);
	o->reopen = o->ops != NULL;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

static bool clashes(const struct cw_output_spec *spec, struct out **gone, size_t ngone)
{
	char a[CW_OUTPUT_STR], b[CW_OUTPUT_STR];

	cw_spool_dir_name(spec, a, sizeof(a));
	for (size_t i = 0; i < ngone; i++) {
		cw_spool_dir_name(&gone[i]->spec, b, sizeof(b));
		if (!strcmp(a, b) ||
		    (spec->kind == CW_SINK_FILE && gone[i]->spec.kind == CW_SINK_FILE &&
		     !strcmp(spec->target, gone[i]->spec.target)))
			return true;
	}
	return false;
}

/*
 * Kept outputs reopen; new ones open before anything changes (an error leaves the old set);
 * then the removed ones stop, and the new ones that take over a removed one's spool (the same
 * target with other options) open last.
 */
int cw_outputs_reload(struct cw_outputs *os, const struct cw_output_spec *specs, size_t n,
		      char *err, size_t errlen)
{
	struct out *next[CW_OUTPUTS_MAX] = { 0 }, *gone[CW_OUTPUTS_MAX];
	bool deferred[CW_OUTPUTS_MAX] = { 0 }, opened[CW_OUTPUTS_MAX] = { 0 };
	size_t ngone = 0;
	int ret;

	if (!n || n > CW_OUTPUTS_MAX) {
		set_err(err, errlen, "from 1 to %d outputs", CW_OUTPUTS_MAX);
		return -EINVAL;
	}
	ret = check_distinct(specs, n, err, errlen);
	if (ret)
		return ret;
	flush_all(os->outs, os->n);
	for (size_t i = 0; i < os->n; i++) {
		bool kept = false;

		for (size_t j = 0; j < n; j++)
			kept |= !strcmp(os->outs[i]->spec.spec, specs[j].spec);
		if (!kept)
			gone[ngone++] = os->outs[i];
	}
	for (size_t i = 0; i < n && !ret; i++) {
		next[i] = find_spec(os->outs, os->n, specs[i].spec);
		if (next[i] || (deferred[i] = clashes(&specs[i], gone, ngone)))
			continue;
		ret = open_one(os, &specs[i], &next[i], err, errlen);
		opened[i] = !ret;
	}
	if (ret) {
		for (size_t i = 0; i < n; i++)
			if (opened[i])
				free_out(next[i]);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		if (next[i] && !opened[i])
			reopen_one(next[i]);
	pthread_mutex_lock(&os->mu);
	os->n = 0;
	pthread_mutex_unlock(&os->mu);
	stop_all(gone, ngone, 0);
	for (size_t i = 0; i < n; i++) {
		int r = 0;

		if (deferred[i] && !(r = open_one(os, &specs[i], &next[i], err, errlen)))
			opened[i] = true;
		if (!r && opened[i] && (r = start_one(next[i], err, errlen))) {
			free_out(next[i]);
			next[i] = NULL;
		}
		if (r) {
			cw_log("%s", err);
			ret = r;
		}
	}
	pthread_mutex_lock(&os->mu);
	for (size_t i = 0; i < n; i++)
		if (next[i])
			os->outs[os->n++] = next[i];
	pthread_mutex_unlock(&os->mu);
	return ret;
}

/* ---- stats ---- */

static void stats_one(struct out *o, struct cw_output_stats *s)
{
	struct cw_spool_stats st = { 0 };
	int64_t oldest;

	memset(s, 0, sizeof(*s));
	snprintf(s->spec, sizeof(s->spec), "%s", o->spec.spec);
	s->kind = o->spec.kind;
	s->format = o->spec.format;
	if (o->spool)
		cw_spool_stats(o->spool, &st);
	pthread_mutex_lock(&o->mu);
	s->healthy = o->healthy;
	s->written = o->written;
	s->delivered = o->delivered;
	s->failures = o->failures;
	s->rejected = o->rejected;
	s->retries = o->retries;
	oldest = o->oldest_pending_ms ? o->oldest_pending_ms : st.unread_time_ms;
	snprintf(s->last_error, sizeof(s->last_error), "%s", o->last_error);
	s->dropped_alerts = o->dropped_alerts;
	s->dropped_events = o->dropped_events;
	pthread_mutex_unlock(&o->mu);
	s->queued = st.queued;
	s->spool_bytes = o->spec.spool ? st.bytes : 0;
	s->dropped_alerts += st.refused_alerts;
	s->dropped_events += st.refused_events;
	s->oldest_queued_ms = st.queued && oldest ? wall_ms() - oldest : 0;
}

size_t cw_outputs_stats(struct cw_outputs *os, struct cw_output_stats *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&os->mu);
	n = os->n;
	for (size_t i = 0; i < n && i < max; i++)
		stats_one(os->outs[i], &out[i]);
	pthread_mutex_unlock(&os->mu);
	return n;
}
