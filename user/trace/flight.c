// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The flight recorder (flight.h). Two threads and who owns what:
 *
 * - the agent's poll thread (record(), alert()): the buffer being filled, the open dump's
 *   logical state (path, when it ends), the rate limit's history. It copies each record into
 *   the buffer and hands a full one to the worker as a job; at an alert it opens the file and
 *   captures the agent's state, then queues the dump's start behind the buffer it sealed.
 * - the worker: the kept chunks (compressed), their eviction, and the dump's writer. Jobs run
 *   in the order queued, so a dump's start sees every record before the alert in the chunks,
 *   and each chunk sealed after it goes to the file as it is made.
 *
 * The queue, the free buffers and the counters are shared under one mutex; the poll thread
 * takes it only to hand over a buffer (once a chunk), never per record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace/flight.h"
#include "util/fileio.h"
#include "util/log.h"

#define NS 1000000000ull
#define HOUR_NS (3600 * NS)
#define CHUNK_RAW_MIN (64u << 10)
/* Kept a little longer than the window: an alert's event may be a little older than the
 * newest record when its dump starts. */
#define KEEP_SLACK_NS (1 * NS)
/* Room the eviction leaves for buffers on their way (being filled, queued): the poll thread
 * refuses a record only when the worker is this far behind. */
#define INFLIGHT_CHUNKS 4
/* Emptied buffers kept for the poll thread to fill again (no page faults per chunk). */
#define SPARE_BUFS 4
#define NAME_PREFIX "credwatch-"
#define NAME_SUFFIX ".cwtrace"

/* Records being buffered (poll thread) or queued raw (worker's input). */
struct buf {
	uint8_t *p;
	size_t len, cap;
	uint32_t records;
	uint64_t min_ts, max_ts;
};

/* A kept chunk: its records compressed by the trace encoder. */
struct chunk {
	struct chunk *next;
	uint8_t *z;
	size_t zlen;
	uint32_t raw_len, records;
	uint64_t min_ts, max_ts;
};

enum job_kind {
	JOB_CHUNK,	/* compress buf and keep it; with closes: the dump's last */
	JOB_DUMP_START, /* write the state (buf) and the window from `from` into w */
};

struct job {
	struct job *next;
	enum job_kind kind;
	struct buf buf;
	bool closes;	 /* JOB_CHUNK: the open dump ends with this chunk's records up to end */
	uint64_t end;	 /* the dump's last record time */
	uint64_t from;	 /* JOB_DUMP_START: the window's first record time */
	uint64_t budget; /* JOB_DUMP_START: bytes the file may take (the disk bound) */
	struct cw_trace_writer *w;
	char path[4096];
};

/* The dump the worker is writing. */
struct dump {
	struct cw_trace_writer *w;
	uint64_t budget;
	bool cut, failed, started; /* started: a RAW, TICK or CLOCK record was written */
	char path[4096];
};

struct cw_flight {
	struct cw_flight_opts o;
	char dir[4096];
	struct cw_tap tap;
	struct cw_trace_key *recipient;
	uint64_t window_ns, chunk_raw, span_ns;
	/* What it holds besides kept and queued chunks, counted in the bound: the buffer being
	 * filled, the spares, the worker's compression and dump scratch. */
	uint64_t fixed;

	/* poll thread */
	struct buf cur;
	struct buf state; /* records re-emitted by the agent while a dump starts */
	bool capture;
	bool refusing; /* the last RAW, TICK or CLOCK record was refused */
	bool dump_active;
	uint64_t dump_first, dump_end;
	char dump_path[4096];
	char last_path[4096]; /* the previous dump: the worker may still be finishing it */
	uint64_t *starts;     /* the rate limit: start times of the last max_dumps dumps */
	size_t nstarts;

	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct job *head, *tail;
	bool busy, stopping;
	bool writing; /* the worker has a dump open (its file is not the disk bound's to remove) */
	uint64_t pending; /* raw bytes queued */
	struct buf spare[SPARE_BUFS];
	size_t nspare;
	struct cw_flight_stats st;

	/* worker */
	pthread_t thread;
	bool started;
	struct cw_trace_packer *packer;
	struct chunk *first, *last;
	uint64_t kept_z; /* written by the worker, read by the poll thread (atomic) */
	uint64_t kept_records, newest;
	struct dump dump;
	uint8_t *zbuf, *rawbuf;
	size_t zcap, rawcap;
};

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Counters: the poll thread and the worker add, anyone reads; no lock needed. */
static void add64(uint64_t *p, uint64_t v)
{
	__atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

static void sub64(uint64_t *p, uint64_t v)
{
	__atomic_sub_fetch(p, v, __ATOMIC_RELAXED);
}

static int buf_reserve(struct buf *b, size_t need)
{
	uint8_t *p;
	size_t cap = b->cap ? b->cap : 4096;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void buf_put(struct buf *b, uint16_t type, uint64_t ts, const void *data, size_t len)
{
	b->len += cw_trace_record_put(b->p + b->len, type, ts, data, len);
	if (!b->records++ || ts < b->min_ts)
		b->min_ts = ts;
	if (b->records == 1 || ts > b->max_ts)
		b->max_ts = ts;
}

/* The buffer's bytes may hold a credential: wiped before they are freed or reused. */
static void buf_free(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->len);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void push(struct cw_flight *f, struct job *j)
{
	pthread_mutex_lock(&f->mu);
	if (f->tail)
		f->tail->next = j;
	else
		f->head = j;
	f->tail = j;
	add64(&f->pending, j->buf.len);
	pthread_cond_signal(&f->work);
	pthread_mutex_unlock(&f->mu);
}

/* Hand the buffer to the worker (closes: the open dump ends with it, at end). */
static void seal(struct cw_flight *f, bool closes, uint64_t end)
{
	struct job *j;

	if (!f->cur.records && !closes)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		/* no memory for a job: its records are lost, counted */
		add64(&f->st.refused, f->cur.records);
		f->cur.len = f->cur.records = 0;
		return;
	}
	j->kind = JOB_CHUNK;
	j->buf = f->cur;
	j->closes = closes;
	j->end = end;
	memset(&f->cur, 0, sizeof(f->cur));
	push(f, j);
	pthread_mutex_lock(&f->mu);
	if (f->nspare)
		f->cur = f->spare[--f->nspare];
	pthread_mutex_unlock(&f->mu);
}

/* A buffer the worker is done with: wiped, and kept for the poll thread when not oversized. */
static void recycle(struct cw_flight *f, struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->len);
	b->len = b->records = 0;
	pthread_mutex_lock(&f->mu);
	if (b->p && f->nspare < SPARE_BUFS && b->cap <= 2 * f->chunk_raw) {
		f->spare[f->nspare++] = *b;
		memset(b, 0, sizeof(*b));
	}
	pthread_mutex_unlock(&f->mu);
	buf_free(b);
}

void cw_flight_seal(struct cw_flight *f)
{
	seal(f, false, 0);
}

/* ---- the poll thread: record() and alert() ---- */

static void on_record(void *arg, uint16_t type, uint64_t ts, const void *data, size_t len)
{
	struct cw_flight *f = arg;
	size_t need = CW_TRACE_REC_HDR + len;

	if (f->capture) {
		if (!buf_reserve(&f->state, f->state.len + need))
			buf_put(&f->state, type, ts, data, len);
		return;
	}
	add64(&f->st.records, 1);
	if (f->dump_active && ts > f->dump_end && type != CW_TAP_HOST) {
		seal(f, true, f->dump_end);
		f->dump_active = false;
	}
	/* One record over half the bound could never be kept; past the bound the worker is
	 * behind (its eviction leaves room for a few buffers): both refused, counted. */
	if (need > f->o.memory / 2 ||
	    load64(&f->kept_z) + load64(&f->pending) + need + f->fixed > f->o.memory ||
	    (type == CW_TAP_HOST && f->refusing))
		goto refused;
	if (f->cur.records && (f->cur.len + need > f->chunk_raw || ts > f->cur.min_ts + f->span_ns))
		seal(f, false, 0);
	if (buf_reserve(&f->cur, f->cur.len + need))
		goto refused;
	buf_put(&f->cur, type, ts, data, len);
	if (type != CW_TAP_HOST)
		f->refusing = false;
	return;
refused:
	/* the host records after a refused record belong to it: refused with it */
	if (type != CW_TAP_HOST)
		f->refusing = true;
	add64(&f->st.refused, 1);
}

/* The flight traces in dir, for the disk bound. */
struct trace_file {
	char name[256];
	uint64_t size;
	struct timespec mtime;
};

static int by_age(const void *a, const void *b)
{
	const struct trace_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool is_flight_trace(const char *name)
{
	size_t n = strlen(name);

	return !strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) && n > strlen(NAME_SUFFIX) &&
	       !strcmp(name + n - strlen(NAME_SUFFIX), NAME_SUFFIX);
}

/*
 * Every regular flight trace in the dir, oldest first, but the one the worker may still be
 * writing (its size in *busy_size).
 */
static int list_traces(struct cw_flight *f, struct trace_file **out, size_t *n, uint64_t *busy_size)
{
	DIR *d = opendir(f->dir);
	struct trace_file *v = NULL;
	size_t cap = 0;
	struct dirent *e;
	const char *busy = NULL;

	pthread_mutex_lock(&f->mu);
	if (f->writing || f->head)
		busy = strrchr(f->last_path, '/');
	pthread_mutex_unlock(&f->mu);
	*n = 0;
	*busy_size = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct stat st;

		if (!is_flight_trace(e->d_name) || strlen(e->d_name) >= sizeof(v->name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (busy && !strcmp(busy + 1, e->d_name)) {
			*busy_size = (uint64_t)st.st_size; /* counts, but stays */
			continue;
		}
		if (*n == cap) {
			struct trace_file *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		snprintf(v[*n].name, sizeof(v->name), "%s", e->d_name);
		v[*n].size = (uint64_t)st.st_size;
		v[*n].mtime = st.st_mtim;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), by_age);
	*out = v;
	return 0;
}

/*
 * Make room for a dump: the oldest flight traces go until the others leave it a reserve (twice
 * the memory bound: the window and as much after, at most half the disk bound). The bytes the
 * dump may take, or 0 when even then there is no room.
 */
static uint64_t make_room(struct cw_flight *f)
{
	uint64_t reserve = f->o.memory * 2 < f->o.disk / 2 ? f->o.memory * 2 : f->o.disk / 2;
	uint64_t others = 0;
	struct trace_file *v = NULL;
	size_t n = 0, i;

	if (list_traces(f, &v, &n, &others))
		return 0;
	for (i = 0; i < n; i++)
		others += v[i].size;
	for (i = 0; i < n && others + reserve > f->o.disk; i++) {
		char path[4352];

		snprintf(path, sizeof(path), "%s/%s", f->dir, v[i].name);
		if (unlink(path)) {
			cw_log("flight recorder: cannot remove %s to keep flight traces under %llu "
			       "bytes: %s",
			       path, (unsigned long long)f->o.disk, strerror(errno));
			continue;
		}
		others -= v[i].size;
		add64(&f->st.removed, 1);
		cw_log("flight recorder: removed %s (%llu bytes), the oldest flight trace, to keep "
		       "them under %llu bytes",
		       path, (unsigned long long)v[i].size, (unsigned long long)f->o.disk);
	}
	free(v);
	return others + reserve > f->o.disk ? 0 : f->o.disk - others;
}

/* At most max_dumps dumps started in the hour before ts. */
static bool rate_ok(struct cw_flight *f, uint64_t ts)
{
	size_t live = 0;

	for (size_t i = 0; i < f->nstarts; i++)
		if (f->starts[i] + HOUR_NS > ts)
			f->starts[live++] = f->starts[i];
	f->nstarts = live;
	return live < f->o.max_dumps;
}

/* host names as they may appear in a file name */
static void safe_host(char *out, size_t cap, const char *host)
{
	size_t n = 0;

	for (const char *p = host && *host ? host : "host"; *p && n + 1 < cap && n < 64; p++)
		out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					   (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'
				   ? *p
				   : '_';
	out[n] = 0;
}

/* credwatch-HOST-20261205T071502Z.cwtrace (-2, -3, ... when taken), created O_EXCL 0600. */
static int open_dump(struct cw_flight *f, struct cw_trace_writer **w, char *path, size_t cap)
{
	struct cw_trace_header h = f->o.header;
	char host[80], stamp[32], err[256] = "";
	struct timespec now;
	struct tm tm;
	int ret = -EEXIST;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	safe_host(host, sizeof(host), h.host);
	h.start_ns = (uint64_t)now.tv_sec * NS + (uint64_t)now.tv_nsec;
	for (int i = 1; i <= 100 && ret == -EEXIST; i++) {
		char sfx[16] = "";

		if (i > 1)
			snprintf(sfx, sizeof(sfx), "-%d", i);
		if (snprintf(path, cap, "%s/" NAME_PREFIX "%s-%s%s" NAME_SUFFIX, f->dir, host,
			     stamp, sfx) >= (int)cap) {
			snprintf(err, sizeof(err), "the directory name is too long");
			ret = -ENAMETOOLONG;
			break;
		}
		ret = cw_trace_writer_open(path, &h, f->recipient, w, err, sizeof(err));
	}
	if (ret)
		cw_log("flight recorder: cannot create a trace: %s", err);
	return ret;
}

static const char *start_dump(struct cw_flight *f, uint64_t ts)
{
	struct job *j = calloc(1, sizeof(*j));
	uint64_t budget;

	if (!j)
		return NULL;
	budget = make_room(f);
	if (!budget) {
		add64(&f->st.refused_disk, 1);
		cw_log("flight recorder: no dump for this alert: the flight traces in %s would "
		       "pass --flight-recorder-disk (%llu bytes)",
		       f->dir, (unsigned long long)f->o.disk);
		free(j);
		return NULL;
	}
	if (open_dump(f, &j->w, j->path, sizeof(j->path))) {
		add64(&f->st.dumps_failed, 1);
		free(j);
		return NULL;
	}
	/* The agent's state, as records, before the window: the file replays alone. */
	f->capture = true;
	f->o.state(&f->tap);
	f->capture = false;
	j->kind = JOB_DUMP_START;
	j->buf = f->state;
	memset(&f->state, 0, sizeof(f->state));
	j->from = ts > f->window_ns ? ts - f->window_ns : 0;
	j->budget = budget;
	seal(f, false, 0);
	push(f, j);
	f->starts[f->nstarts++] = ts;
	f->dump_active = true;
	f->dump_first = ts;
	f->dump_end = ts + f->window_ns;
	snprintf(f->dump_path, sizeof(f->dump_path), "%s", j->path);
	snprintf(f->last_path, sizeof(f->last_path), "%s", j->path);
	add64(&f->st.dumps, 1);
	cw_log("flight recorder: an alert: writing the %u seconds before it and the %u after to %s",
	       f->o.seconds, f->o.seconds, f->dump_path);
	return f->dump_path;
}

static const char *on_alert(void *arg, uint64_t ts)
{
	struct cw_flight *f = arg;
	uint64_t cap;

	if (f->dump_active) {
		/* the same file, kept open for this alert's following seconds too (bounded) */
		cap = f->dump_first + CW_FLIGHT_EXTEND_MAX * f->window_ns;
		if (ts + f->window_ns > f->dump_end)
			f->dump_end = ts + f->window_ns < cap ? ts + f->window_ns : cap;
		add64(&f->st.alerts_named, 1);
		return f->dump_path;
	}
	if (!rate_ok(f, ts)) {
		if (!load64(&f->st.refused_rate))
			cw_log("flight recorder: more than %u dumps in an hour: alerts name no "
			       "trace "
			       "until the oldest is an hour old (--flight-recorder-max-dumps; each "
			       "refusal is counted)",
			       f->o.max_dumps);
		add64(&f->st.refused_rate, 1);
		return NULL;
	}
	if (!start_dump(f, ts))
		return NULL;
	add64(&f->st.alerts_named, 1);
	return f->dump_path;
}

/* ---- the worker ---- */

static void free_chunk(struct chunk *c)
{
	free(c->z);
	free(c);
}

/* Drop the oldest chunk (counted as expired, or evicted for the bound). */
static void drop_first(struct cw_flight *f, bool expired)
{
	struct chunk *c = f->first;

	f->first = c->next;
	if (!f->first)
		f->last = NULL;
	sub64(&f->kept_z, c->zlen);
	f->kept_records -= c->records;
	add64(expired ? &f->st.expired : &f->st.evicted, c->records);
	free_chunk(c);
}

/* Too old, then over the bound (with room for the queue and a buffer being filled). */
static void evict(struct cw_flight *f)
{
	while (f->first && f->first->max_ts + f->window_ns + KEEP_SLACK_NS < f->newest)
		drop_first(f, true);
	while (f->first &&
	       f->kept_z + load64(&f->pending) + f->fixed + INFLIGHT_CHUNKS * f->chunk_raw >
		       f->o.memory)
		drop_first(f, false);
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
	uint8_t *np;

	if (need <= *cap)
		return 0;
	np = realloc(*p, need);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = need;
	return 0;
}

static void dump_fail(struct cw_flight *f, int err)
{
	if (f->dump.failed)
		return;
	f->dump.failed = true;
	add64(&f->st.dumps_failed, 1);
	cw_log("flight recorder: writing %s failed: %s (the chunks written so far stay readable)",
	       f->dump.path, strerror(-err));
}

/*
 * Records of raw[0..len) into the dump, those with from <= ts <= to; before the first RAW,
 * TICK or CLOCK record, host records are skipped (they belong to a record not in the file).
 */
static void write_records(struct cw_flight *f, const uint8_t *raw, size_t len, uint64_t from,
			  uint64_t to)
{
	struct cw_trace_record r;
	size_t pos = 0;
	int ret;

	while (!f->dump.failed && (ret = cw_trace_record_get(raw, len, &pos, &r)) == 1) {
		if (r.ts_ns < from || r.ts_ns > to || (!f->dump.started && r.type == CW_TAP_HOST))
			continue;
		f->dump.started = true;
		ret = cw_trace_write(f->dump.w, r.type, r.ts_ns, r.data, r.len);
		if (ret)
			dump_fail(f, ret);
	}
}

/* A kept chunk into the dump: as it is when it all belongs, else the records that do. */
static void write_chunk(struct cw_flight *f, const struct chunk *c, const uint8_t *raw,
			uint64_t from, uint64_t to)
{
	int ret;

	if (f->dump.failed || f->dump.cut)
		return;
	if (cw_trace_writer_size(f->dump.w) + c->zlen + 64 > f->dump.budget) {
		f->dump.cut = true;
		add64(&f->st.dumps_cut, 1);
		cw_log("flight recorder: %s reached its share of --flight-recorder-disk (%llu "
		       "bytes): the rest of this dump is not written",
		       f->dump.path, (unsigned long long)f->dump.budget);
		return;
	}
	if (f->dump.started && c->min_ts >= from && c->max_ts <= to) {
		ret = cw_trace_write_packed(f->dump.w, c->z, c->zlen, c->raw_len, c->records,
					    c->min_ts, c->max_ts);
		if (ret)
			dump_fail(f, ret);
		return;
	}
	if (!raw) {
		if (grow(&f->rawbuf, &f->rawcap, c->raw_len ? c->raw_len : 1) ||
		    cw_trace_unpack(c->z, c->zlen, f->rawbuf, c->raw_len)) {
			dump_fail(f, -EIO);
			return;
		}
		raw = f->rawbuf;
	}
	write_records(f, raw, c->raw_len, from, to);
}

static void finish_dump(struct cw_flight *f)
{
	char err[256] = "";
	uint64_t size = cw_trace_writer_size(f->dump.w);

	if (cw_trace_writer_close(f->dump.w, err, sizeof(err)))
		dump_fail(f, -EIO);
	f->dump.w = NULL;
	add64(&f->st.dump_bytes, size);
	if (!f->dump.failed)
		cw_log("flight recorder: %s written (%llu bytes)", f->dump.path,
		       (unsigned long long)size);
	pthread_mutex_lock(&f->mu);
	f->writing = false;
	pthread_mutex_unlock(&f->mu);
}

static void dump_start(struct cw_flight *f, struct job *j)
{
	pthread_mutex_lock(&f->mu);
	f->writing = true;
	pthread_mutex_unlock(&f->mu);
	memset(&f->dump, 0, sizeof(f->dump));
	f->dump.w = j->w;
	f->dump.budget = j->budget;
	snprintf(f->dump.path, sizeof(f->dump.path), "%s", j->path);
	/* the state first: a CLOCK record, then what the agent knows (its host records) */
	f->dump.started = true;
	write_records(f, j->buf.p, j->buf.len, 0, UINT64_MAX);
	f->dump.started = false;
	for (struct chunk *c = f->first; c; c = c->next)
		if (c->max_ts >= j->from)
			write_chunk(f, c, NULL, j->from, UINT64_MAX);
}

/* Compress a buffer into a kept chunk; into the open dump too. */
static void handle_chunk(struct cw_flight *f, struct job *j)
{
	size_t bound = cw_trace_pack_bound(j->buf.len), zlen = 0;
	struct chunk *c = NULL;

	if (j->buf.records && !grow(&f->zbuf, &f->zcap, bound) &&
	    !cw_trace_pack(f->packer, j->buf.p, j->buf.len, f->zbuf, bound, &zlen) &&
	    (c = calloc(1, sizeof(*c))) && (c->z = malloc(zlen ? zlen : 1))) {
		memcpy(c->z, f->zbuf, zlen);
		c->zlen = zlen;
		c->raw_len = (uint32_t)j->buf.len;
		c->records = j->buf.records;
		c->min_ts = j->buf.min_ts;
		c->max_ts = j->buf.max_ts;
	} else if (j->buf.records) {
		free(c);
		c = NULL;
		add64(&f->st.refused, j->buf.records);
	}
	if (c && f->dump.w)
		write_chunk(f, c, j->buf.p, 0, j->closes ? j->end : UINT64_MAX);
	if (j->closes && f->dump.w)
		finish_dump(f);
	if (c) {
		if (f->last)
			f->last->next = c;
		else
			f->first = c;
		f->last = c;
		add64(&f->kept_z, c->zlen);
		f->kept_records += c->records;
		if (c->max_ts > f->newest)
			f->newest = c->max_ts;
	}
	sub64(&f->pending, j->buf.len);
	recycle(f, &j->buf);
	evict(f);
}

static void *worker(void *arg)
{
	struct cw_flight *f = arg;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		struct job *j = f->head;

		if (!j) {
			f->busy = false;
			pthread_cond_broadcast(&f->idle);
			if (f->stopping)
				break;
			pthread_cond_wait(&f->work, &f->mu);
			continue;
		}
		f->head = j->next;
		if (!f->head)
			f->tail = NULL;
		f->busy = true;
		pthread_mutex_unlock(&f->mu);
		if (j->kind == JOB_DUMP_START) {
			dump_start(f, j);
			buf_free(&j->buf);
		} else {
			handle_chunk(f, j);
		}
		free(j);
		pthread_mutex_lock(&f->mu);
		f->st.records_kept = f->kept_records;
		f->st.bytes_kept = f->kept_z + load64(&f->pending) + f->fixed;
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* ---- lifecycle ---- */

void cw_flight_sync(struct cw_flight *f)
{
	pthread_mutex_lock(&f->mu);
	while (f->head || f->busy)
		pthread_cond_wait(&f->idle, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

void cw_flight_stats(struct cw_flight *f, struct cw_flight_stats *s)
{
	pthread_mutex_lock(&f->mu);
	*s = f->st;
	pthread_mutex_unlock(&f->mu);
	s->records = load64(&f->st.records);
	s->refused = load64(&f->st.refused);
	s->memory_bound = f->o.memory;
	s->seconds = f->o.seconds;
}

void cw_flight_stats_cb(void *arg, struct cw_flight_stats *s)
{
	cw_flight_stats(arg, s);
}

/* The dir: made 0700 when missing; a directory (not a symlink) of ours that nobody else can
 * write to, else refused. */
static int check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret = cw_mkdir_p(dir, 0700);

	if (ret) {
		snprintf(err, errlen, "flight recorder: cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "flight recorder: %s: %s", dir, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	ret = 0;
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "flight recorder: %s belongs to uid %u, not to this agent",
			 dir, (unsigned)st.st_uid);
		ret = -EPERM;
	} else if ((st.st_mode & 0077) && fchmod(fd, 0700)) {
		ret = -errno;
		snprintf(err, errlen, "flight recorder: %s: chmod 0700: %s", dir, strerror(-ret));
	}
	close(fd);
	return ret;
}

static int check_opts(struct cw_flight_opts *o, char *err, size_t errlen)
{
	if (!o->seconds || o->seconds > CW_FLIGHT_SECONDS_MAX) {
		snprintf(err, errlen, "--flight-recorder: seconds must be 1..%u",
			 CW_FLIGHT_SECONDS_MAX);
		return -EINVAL;
	}
	o->memory = o->memory ? o->memory : CW_FLIGHT_MEMORY_DEFAULT;
	o->disk = o->disk ? o->disk : CW_FLIGHT_DISK_DEFAULT;
	o->max_dumps = o->max_dumps ? o->max_dumps : CW_FLIGHT_MAX_DUMPS_DEFAULT;
	o->dir = o->dir ? o->dir : CW_FLIGHT_DIR_DEFAULT;
	o->state = o->state ? o->state : cw_agent_tap_state;
	if (o->memory < CW_FLIGHT_MEMORY_MIN) {
		snprintf(err, errlen, "--flight-recorder-memory: at least %llu bytes",
			 (unsigned long long)CW_FLIGHT_MEMORY_MIN);
		return -EINVAL;
	}
	if (o->disk < o->memory) {
		snprintf(err, errlen,
			 "--flight-recorder-disk (%llu) is below --flight-recorder-memory (%llu): "
			 "no dump would fit",
			 (unsigned long long)o->disk, (unsigned long long)o->memory);
		return -EINVAL;
	}
	return 0;
}

static int setup(struct cw_flight *f, char *err, size_t errlen)
{
	char why[256];
	int ret = check_dir(f->o.dir, err, errlen);

	if (ret)
		return ret;
	if (f->o.recipient &&
	    (ret = cw_trace_key_load(f->o.recipient, &f->recipient, why, sizeof(why)))) {
		snprintf(err, errlen, "--flight-recorder-recipient: %s", why);
		return ret;
	}
	f->starts = calloc(f->o.max_dumps, sizeof(*f->starts));
	if (!f->starts || cw_trace_packer_new(&f->packer))
		return -ENOMEM;
	return 0;
}

int cw_flight_new(const struct cw_flight_opts *o, struct cw_flight **out, const struct cw_tap **tap,
		  char *err, size_t errlen)
{
	struct cw_flight *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->o = *o;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->idle, NULL);
	ret = check_opts(&f->o, err, errlen);
	if (!ret) {
		snprintf(f->dir, sizeof(f->dir), "%s", f->o.dir);
		f->o.dir = f->dir;
		ret = setup(f, err, errlen);
	}
	if (ret)
		goto fail;
	f->window_ns = (uint64_t)f->o.seconds * NS;
	/* 1 MiB raw (about 430 KiB compressed) from a 64 MiB bound up, smaller below it */
	f->chunk_raw =
		f->o.memory / 64 < CW_FLIGHT_CHUNK_RAW ? f->o.memory / 64 : CW_FLIGHT_CHUNK_RAW;
	f->chunk_raw = f->chunk_raw < CHUNK_RAW_MIN ? CHUNK_RAW_MIN : f->chunk_raw;
	f->fixed = (SPARE_BUFS + 3) * f->chunk_raw;
	/* a chunk spans at most an eighth of the window: what is too old goes in steps of it */
	f->span_ns = f->window_ns / 8;
	f->tap = (struct cw_tap){ .record = on_record, .alert = on_alert, .arg = f };
	ret = -pthread_create(&f->thread, NULL, worker, f);
	if (ret) {
		snprintf(err, errlen, "flight recorder: cannot start its thread: %s",
			 strerror(-ret));
		goto fail;
	}
	f->started = true;
	if (!f->recipient)
		cw_log("flight recorder: traces in %s will hold the recorded bytes in plaintext "
		       "(mode 0600): give --flight-recorder-recipient PUBKEY to encrypt them",
		       f->dir);
	*out = f;
	*tap = &f->tap;
	return 0;
fail:
	cw_flight_free(f);
	return ret;
}

void cw_flight_free(struct cw_flight *f)
{
	struct cw_flight_stats s;

	if (!f)
		return;
	if (f->started) {
		/* an open dump ends with what was recorded until now */
		seal(f, f->dump_active, UINT64_MAX);
		f->dump_active = false;
		pthread_mutex_lock(&f->mu);
		f->stopping = true;
		pthread_cond_signal(&f->work);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
		if (f->dump.w)
			finish_dump(f);
		cw_flight_stats(f, &s);
		cw_log("flight recorder: stopped: %llu records recorded, %llu kept (%llu bytes), "
		       "%llu aged out, %llu dropped for --flight-recorder-memory, %llu refused; "
		       "%llu "
		       "dumps (%llu failed, %llu cut at the disk bound), %llu alerts named a "
		       "trace, "
		       "%llu refused by the rate limit, %llu for lack of disk; %llu old traces "
		       "removed",
		       (unsigned long long)s.records, (unsigned long long)s.records_kept,
		       (unsigned long long)s.bytes_kept, (unsigned long long)s.expired,
		       (unsigned long long)s.evicted, (unsigned long long)s.refused,
		       (unsigned long long)s.dumps, (unsigned long long)s.dumps_failed,
		       (unsigned long long)s.dumps_cut, (unsigned long long)s.alerts_named,
		       (unsigned long long)s.refused_rate, (unsigned long long)s.refused_disk,
		       (unsigned long long)s.removed);
	}
	while (f->first)
		drop_first(f, true);
	buf_free(&f->cur);
	buf_free(&f->state);
	while (f->nspare)
		buf_free(&f->spare[--f->nspare]);
	cw_trace_packer_free(f->packer);
	cw_trace_key_free(f->recipient);
	free(f->zbuf);
	if (f->rawbuf)
		explicit_bzero(f->rawbuf, f->rawcap);
	free(f->rawbuf);
	free(f->starts);
	pthread_cond_destroy(&f->idle);
	pthread_cond_destroy(&f->work);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
