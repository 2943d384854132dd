// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The durable spool (spool.h). On disk, in the output's directory:
 *   NNNNNNNNNNNNNNNN.seg  segments, numbered in order; records appended to the last one
 *   ack                   the highest acknowledged sequence number (16 bytes: seq, CRC, magic)
 *   lock                  flock'ed while a spool is open: one agent per spool
 * A record: u32 body length, u32 CRC-32C of the body (zlib's CRC-32 in records that builds
 * before 2026-12-05 wrote, still accepted), then the body: u64 seq, i64 append time (ms), u8 flags
 * (1: alert), u8 event-id length, the event id, the rendered finding. Little endian.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "output/spool.h"
#include "util/codec.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "util/hash.h"

#define HDR 8	      /* length + CRC */
#define BODY_FIXED 18 /* seq, time, flags, id length */
#define ACK_MAGIC 0x4b43414bu
#define SEG_MIN (4u << 10)
#define SEG_MAX (16u << 20)
#define RETIRED_MAX 64

struct seg {
	uint64_t num;	    /* its file name */
	uint64_t first_seq; /* 0: empty */
	uint64_t last_seq;
	uint64_t size;
};

/* A record of a memory-only spool. */
struct mrec {
	struct cw_spool_rec r;
};

/*
 * Locks: mu for the segments and the append state (the agent's thread appends under it alone);
 * rmu for the read cursor, held by the delivery thread through a read (whose preads are outside
 * mu) and an ack, and by stats when it is free (stats never wait for it). rmu before mu.
 */
struct cw_spool {
	pthread_mutex_t mu, rmu;
	char *dir; /* NULL: memory only */
	int dirfd, lockfd;
	uint64_t max, high, seg_max;
	struct seg *segs;
	size_t nsegs, segcap;
	int wfd;	       /* the last segment, for appends */
	int rfd;	       /* the segment being read */
	size_t rseg;	       /* its index */
	uint64_t roff;	       /* the next record's offset in it */
	uint64_t next_seq;     /* for the next append */
	uint64_t read_seq;     /* the last record read */
	uint64_t acked;	       /* the last record acknowledged */
	uint64_t bytes;	       /* the segments' sizes (memory: the records') */
	bool dirty, dir_dirty; /* appended / segments made since the last sync */
	uint64_t refused_alerts, refused_events, torn;
	/* memory only: records from acked + 1, the read ones first */
	struct mrec *mq;
	size_t mhead, mn, mcap;
	unsigned char *rbuf; /* the reader's */
	size_t rcap;
	int *retired; /* filled segments' descriptors, to sync and close (mu) */
	size_t nretired, retired_cap;
	int64_t unread_time_ms; /* the first unread record's, as stats last saw it (mu) */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int fail(char *err, size_t errlen, int ret, const char *what, const char *dir)
{
	snprintf(err, errlen, "spool %s: %s: %s", dir, what, strerror(-ret));
	return ret;
}

static void seg_path(const struct cw_spool *s, uint64_t num, char *buf, size_t cap)
{
	snprintf(buf, cap, "%016" PRIx64 ".seg", num);
	(void)s;
}

/* ---- the ack cursor ---- */

static uint64_t read_ack(int dirfd)
{
	unsigned char b[16];
	int fd = openat(dirfd, "ack", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n != (ssize_t)sizeof(b) || get32(b + 12) != ACK_MAGIC || get32(b + 8) != cw_crc32(b, 8))
		return 0; /* no cursor, or a torn one: deliver again from the oldest segment */
	return get64(b);
}

/* Written whole to a temporary name and renamed over the old cursor. */
static int write_ack(struct cw_spool *s, uint64_t acked, bool durable)
{
	unsigned char b[16];
	int fd, ret;

	put64(b, acked);
	put32(b + 8, cw_crc32(b, 8));
	put32(b + 12, ACK_MAGIC);
	fd = openat(s->dirfd, "ack.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = cw_write_all(fd, b, sizeof(b));
	if (!ret && durable && fdatasync(fd))
		ret = -errno;
	close(fd);
	if (!ret && renameat(s->dirfd, "ack.tmp", s->dirfd, "ack"))
		ret = -errno;
	if (!ret && durable && fsync(s->dirfd))
		ret = -errno;
	return ret;
}

/* ---- segments ---- */

static int add_seg(struct cw_spool *s, uint64_t num)
{
	if (s->nsegs == s->segcap) {
		size_t cap = s->segcap ? s->segcap * 2 : 16;
		struct seg *n = realloc(s->segs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->segs = n;
		s->segcap = cap;
	}
	s->segs[s->nsegs++] = (struct seg){ .num = num };
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* The segment files in the directory, in order. */
static int list_segs(struct cw_spool *s)
{
	DIR *d = fdopendir(dup(s->dirfd));
	struct dirent *e;
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (e = readdir(d))) {
		char *end;
		uint64_t num;

		if (strlen(e->d_name) != 20 || strcmp(e->d_name + 16, ".seg"))
			continue;
		num = strtoull(e->d_name, &end, 16);
		if (end == e->d_name + 16)
			ret = add_seg(s, num);
	}
	closedir(d);
	if (s->nsegs)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), cmp_seg);
	return ret;
}

/* A record's checksum: CRC-32C, or zlib's CRC-32 (a record an older version wrote). */
static bool crc_ok(const unsigned char *body, uint32_t len, uint32_t want)
{
	return cw_crc32c(body, len) == want || cw_crc32(body, len) == want;
}

/*
 * One record's header and body at off in fd: the body's length, 0 at the end, -EBADMSG for a
 * record that is torn or corrupt. body (malloc'ed) only when wanted.
 */
static long read_rec(int fd, uint64_t off, uint64_t size, unsigned char **body)
{
	unsigned char h[HDR], *b;
	uint32_t len;

	if (off == size)
		return 0;
	if (size - off < HDR || pread(fd, h, HDR, (off_t)off) != HDR)
		return -EBADMSG;
	len = get32(h);
	if (len < BODY_FIXED || len > CW_SPOOL_REC_MAX || size - off - HDR < len)
		return -EBADMSG;
	b = malloc(len);
	if (!b)
		return -ENOMEM;
	if (pread(fd, b, len, (off_t)(off + HDR)) != (ssize_t)len ||
	    !crc_ok(b, len, get32(h + 4)) || (size_t)BODY_FIXED + b[17] > len) {
		free(b);
		return -EBADMSG;
	}
	if (body)
		*body = b;
	else
		free(b);
	return len;
}

/* Scan a segment: its sequence range; a torn or corrupt tail is cut off (and counted). */
static int scan_seg(struct cw_spool *s, struct seg *g)
{
	char name[32];
	struct stat st;
	uint64_t off = 0;
	unsigned char *b;
	long len;
	int fd;

	seg_path(s, g->num, name, sizeof(name));
	fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((len = read_rec(fd, off, (uint64_t)st.st_size, &b)) > 0) {
		uint64_t seq = get64(b);

		if (!g->first_seq)
			g->first_seq = seq;
		g->last_seq = seq;
		free(b);
		off += HDR + (uint64_t)len;
	}
	if (len == -ENOMEM) {
		close(fd);
		return -ENOMEM;
	}
	if (off < (uint64_t)st.st_size) {
		s->torn += (uint64_t)st.st_size - off;
		if (ftruncate(fd, (off_t)off) || fdatasync(fd)) {
			close(fd);
			return -errno;
		}
	}
	close(fd);
	g->size = off;
	return 0;
}

static void drop_seg(struct cw_spool *s, size_t i)
{
	char name[32];

	seg_path(s, s->segs[i].num, name, sizeof(name));
	unlinkat(s->dirfd, name, 0);
	s->bytes -= s->segs[i].size;
	memmove(s->segs + i, s->segs + i + 1, (s->nsegs - i - 1) * sizeof(*s->segs));
	s->nsegs--;
	if (s->rseg > i) {
		s->rseg--;
	} else if (s->rseg == i) {
		if (s->rfd >= 0)
			close(s->rfd);
		s->rfd = -1;
		s->roff = 0;
	}
}

/*
 * The last segment's descriptor, done with: synced and closed by the next cw_spool_sync, out of
 * mu (the appending thread never waits on the disk), if anything went to it since the last.
 */
static void retire(struct cw_spool *s, int fd)
{
	if (!s->dirty) {
		close(fd);
		return;
	}
	if (s->nretired == RETIRED_MAX ||
	    cw_grow((void **)&s->retired, &s->retired_cap, s->nretired + 1, sizeof(int))) {
		fdatasync(fd); /* many segments filled in one sync interval: sync this one now */
		close(fd);
		return;
	}
	s->retired[s->nretired++] = fd;
}

/* A new last segment, opened for appends. */
static int new_seg(struct cw_spool *s)
{
	uint64_t num = s->nsegs ? s->segs[s->nsegs - 1].num + 1 : 1;
	char name[32];
	int fd, ret;

	if (s->wfd >= 0)
		retire(s, s->wfd);
	s->wfd = -1;
	s->dirty = false;
	seg_path(s, num, name, sizeof(name));
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = add_seg(s, num);
	if (ret) {
		close(fd);
		unlinkat(s->dirfd, name, 0);
		return ret;
	}
	s->wfd = fd;
	s->dir_dirty = true;
	return 0;
}

/* After a scan: forget what is acknowledged, open the last segment for appends. */
static int settle(struct cw_spool *s)
{
	char name[32];
	uint64_t last = s->acked;

	for (size_t i = 0; i < s->nsegs; i++) {
		s->bytes += s->segs[i].size;
		if (s->segs[i].last_seq > last)
			last = s->segs[i].last_seq;
	}
	s->next_seq = last + 1;
	s->read_seq = s->acked;
	while (s->nsegs && (!s->segs[0].first_seq || s->segs[0].last_seq <= s->acked))
		drop_seg(s, 0);
	if (!s->nsegs || s->segs[s->nsegs - 1].size >= s->seg_max)
		return new_seg(s);
	seg_path(s, s->segs[s->nsegs - 1].num, name, sizeof(name));
	s->wfd = openat(s->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
	return s->wfd < 0 ? -errno : 0;
}

static int open_dir(struct cw_spool *s, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int ret = cw_mkdir_p(dir, 0700);

	if (ret)
		return fail(err, errlen, ret, "cannot create it", dir);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0 || fstat(s->dirfd, &st))
		return fail(err, errlen, -errno, "cannot open it", dir);
	if ((st.st_mode & 077) && fchmod(s->dirfd, 0700))
		return fail(err, errlen, -errno, "cannot make it 0700", dir);
	s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return fail(err, errlen, -errno, "cannot create its lock", dir);
	if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "spool %s: in use by another credwatch", dir);
		return -EBUSY;
	}
	s->acked = read_ack(s->dirfd);
	ret = list_segs(s);
	for (size_t i = 0; !ret && i < s->nsegs; i++)
		ret = scan_seg(s, &s->segs[i]);
	if (!ret)
		ret = settle(s);
	return ret ? fail(err, errlen, ret, "cannot recover it", dir) : 0;
}

int cw_spool_open(const char *dir, uint64_t max_bytes, struct cw_spool **out, char *err,
		  size_t errlen)
{
	struct cw_spool *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	s->dirfd = s->lockfd = s->wfd = s->rfd = -1;
	s->max = max_bytes;
	s->high = max_bytes - max_bytes / 8;
	s->seg_max = max_bytes / 16 < SEG_MIN	? SEG_MIN
		     : max_bytes / 16 > SEG_MAX ? SEG_MAX
						: max_bytes / 16;
	s->next_seq = 1;
	if (dir) {
		s->dir = strdup(dir);
		ret = s->dir ? open_dir(s, dir, err, errlen) : -ENOMEM;
		if (ret) {
			cw_spool_close(s);
			return ret;
		}
	}
	*out = s;
	return 0;
}

/* ---- append ---- */

static int refuse(struct cw_spool *s, uint64_t need, bool alert)
{
	if (s->bytes + need > s->max || (!alert && s->bytes + need > s->high)) {
		if (alert)
			s->refused_alerts++;
		else
			s->refused_events++;
		return -ENOBUFS;
	}
	return 0;
}

static void count_refused(struct cw_spool *s, bool alert)
{
	if (alert)
		s->refused_alerts++;
	else
		s->refused_events++;
}

int cw_spool_batch_add(struct cw_spool_batch *b, const char *data, size_t len, const char *event_id,
		       bool alert)
{
	size_t idl = event_id ? strnlen(event_id, CW_SPOOL_ID_MAX) : 0;
	size_t body = BODY_FIXED + idl + len;
	struct cw_spool_staged *r;
	unsigned char *p;

	if (len > CW_SPOOL_REC_MAX - BODY_FIXED - CW_SPOOL_ID_MAX)
		return -E2BIG;
	if (cw_grow((void **)&b->buf, &b->cap, b->len + HDR + body, 1) ||
	    cw_grow((void **)&b->recs, &b->recs_cap, b->n + 1, sizeof(*b->recs)))
		return -ENOMEM;
	r = &b->recs[b->n++];
	*r = (struct cw_spool_staged){ .off = b->len, .body = (uint32_t)body, .alert = alert };
	p = b->buf + b->len;
	put32(p, (uint32_t)body);
	/* the sequence number and the CRC are the spool's, filled in by the append */
	put64(p + HDR + 8, (uint64_t)now_ms());
	p[HDR + 16] = alert ? 1 : 0;
	p[HDR + 17] = (unsigned char)idl;
	if (idl)
		memcpy(p + HDR + BODY_FIXED, event_id, idl);
	memcpy(p + HDR + BODY_FIXED + idl, data, len);
	b->len += HDR + body;
	return 0;
}

void cw_spool_batch_clear(struct cw_spool_batch *b)
{
	b->len = 0;
	b->n = 0;
}

void cw_spool_batch_free(struct cw_spool_batch *b)
{
	free(b->buf);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

static int append_mem(struct cw_spool *s, const unsigned char *rec)
{
	size_t idl = rec[HDR + 17], len = get32(rec) - BODY_FIXED - idl;
	struct cw_spool_rec *r;

	if (s->mhead + s->mn == s->mcap) {
		if (s->mhead) {
			memmove(s->mq, s->mq + s->mhead, s->mn * sizeof(*s->mq));
			s->mhead = 0;
		} else if (cw_grow((void **)&s->mq, &s->mcap, s->mcap + 1, sizeof(*s->mq))) {
			return -ENOMEM;
		}
	}
	r = &s->mq[s->mhead + s->mn].r;
	*r = (struct cw_spool_rec){ .seq = s->next_seq,
				    .time_ms = (int64_t)get64(rec + HDR + 8),
				    .alert = rec[HDR + 16] & 1 };
	r->data = malloc(len + 1);
	if (!r->data)
		return -ENOMEM;
	memcpy(r->data, rec + HDR + BODY_FIXED + idl, len);
	r->data[len] = '\0';
	r->len = len;
	memcpy(r->event_id, rec + HDR + BODY_FIXED, idl);
	r->event_id[idl] = '\0';
	s->mn++;
	s->next_seq++;
	s->bytes += len;
	return 0;
}

static void append_batch_mem(struct cw_spool *s, struct cw_spool_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct cw_spool_staged *r = &b->recs[i];
		const unsigned char *rec = b->buf + r->off;

		r->ret = refuse(s, r->body - BODY_FIXED - rec[HDR + 17], r->alert);
		if (!r->ret && (r->ret = append_mem(s, rec)))
			count_refused(s, r->alert);
	}
}

/* writev all of iov[0..n) (advanced in place on a short write): 0 or -errno. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

#define IOV_BATCH 64

/*
 * One write to the last segment: the staged records from *i on that fit it (and the bound),
 * sequence numbers and CRCs filled in. Records the bound refuses are marked and skipped. A
 * record that would take the segment past seg_max stops the write (*full set): the caller makes
 * a new segment for it. 0, or -errno from the write (nothing of it stays).
 */
static int write_run(struct cw_spool *s, struct cw_spool_batch *b, size_t *i, bool *full)
{
	struct iovec iov[IOV_BATCH];
	struct seg *g = &s->segs[s->nsegs - 1];
	size_t first = *i, niov = 0;
	uint64_t bytes = 0, seq = s->next_seq;
	int ret;

	*full = false;
	for (; *i < b->n; (*i)++) {
		struct cw_spool_staged *r = &b->recs[*i];
		unsigned char *p = b->buf + r->off;
		size_t need = HDR + r->body;

		if ((r->ret = refuse(s, bytes + need, r->alert)))
			continue;
		if (g->size + bytes && g->size + bytes + need > s->seg_max) {
			*full = true;
			break;
		}
		if (niov && (char *)iov[niov - 1].iov_base + iov[niov - 1].iov_len == (char *)p) {
			iov[niov - 1].iov_len += need;
		} else if (niov == IOV_BATCH) {
			break;
		} else {
			iov[niov++] = (struct iovec){ p, need };
		}
		put64(p + HDR, seq);
		put32(p + 4, cw_crc32c(p + HDR, r->body));
		r->seq = seq++;
		bytes += need;
	}
	if (!bytes)
		return 0;
	ret = writev_all(s->wfd, iov, (int)niov);
	if (ret) {
		/* A disk that is full keeps nothing of the write: the next one starts clean. If
		 * even the truncate fails, the torn bytes end this segment (the reader stops at
		 * its known size, the next open cuts them off) and their numbers are not used
		 * again, so that what went whole is never taken for what comes next. */
		if (ftruncate(s->wfd, (off_t)g->size)) {
			s->next_seq = seq;
			new_seg(s);
		}
		for (size_t k = first; k < *i; k++) {
			if (!b->recs[k].ret) {
				b->recs[k].ret = ret;
				count_refused(s, b->recs[k].alert);
			}
		}
		return ret;
	}
	if (!g->first_seq)
		g->first_seq = s->next_seq;
	g->last_seq = seq - 1;
	g->size += bytes;
	s->bytes += bytes;
	s->next_seq = seq;
	s->dirty = true;
	return 0;
}

static void append_batch_disk(struct cw_spool *s, struct cw_spool_batch *b)
{
	size_t i = 0;

	while (i < b->n) {
		bool full = false;
		/* no segment open for appends (making one failed): try again */
		int ret = s->wfd < 0 ? new_seg(s) : 0;

		if (!ret)
			ret = write_run(s, b, &i, &full);
		if (!ret && full)
			ret = new_seg(s);
		if (ret) {
			for (; i < b->n; i++) {
				b->recs[i].ret = ret;
				count_refused(s, b->recs[i].alert);
			}
		}
	}
}

void cw_spool_append_batch(struct cw_spool *s, struct cw_spool_batch *b)
{
	pthread_mutex_lock(&s->mu);
	if (s->dir)
		append_batch_disk(s, b);
	else
		append_batch_mem(s, b);
	pthread_mutex_unlock(&s->mu);
}

int cw_spool_append(struct cw_spool *s, const char *data, size_t len, const char *event_id,
		    bool alert)
{
	struct cw_spool_batch b = { 0 };
	int ret = cw_spool_batch_add(&b, data, len, event_id, alert);

	if (!ret) {
		cw_spool_append_batch(s, &b);
		ret = b.recs[0].ret;
	}
	cw_spool_batch_free(&b);
	return ret;
}

/* ---- read ---- */

static int decode(const unsigned char *b, size_t len, struct cw_spool_rec *r)
{
	size_t idl = b[17];

	r->seq = get64(b);
	r->time_ms = (int64_t)get64(b + 8);
	r->alert = b[16] & 1;
	memcpy(r->event_id, b + BODY_FIXED, idl);
	r->event_id[idl] = '\0';
	r->len = len - BODY_FIXED - idl;
	r->data = malloc(r->len + 1);
	if (!r->data)
		return -ENOMEM;
	memcpy(r->data, b + BODY_FIXED + idl, r->len);
	r->data[r->len] = '\0';
	return 0;
}

/* The reader moves to the next segment (rmu). */
static void next_seg(struct cw_spool *s)
{
	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	s->rseg++;
	s->roff = 0;
}

/* The reader's segment (file num) open for reading, if it is not: 0 or -1 (errno). rmu. */
static int open_reader(struct cw_spool *s, uint64_t num)
{
	char name[32];

	if (s->rfd >= 0)
		return 0;
	seg_path(s, num, name, sizeof(name));
	s->rfd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	return s->rfd < 0 ? -1 : 0;
}

/* The next record at the read cursor (not consumed): 1, 0 at the end, -errno. rmu and mu. */
static int peek_disk(struct cw_spool *s, struct cw_spool_rec *r, uint64_t *next_off)
{
	for (;;) {
		struct seg *g;
		unsigned char *b;
		long len;

		if (s->rseg >= s->nsegs)
			return 0;
		g = &s->segs[s->rseg];
		if (s->roff >= g->size) {
			if (s->rseg + 1 == s->nsegs)
				return 0;
			next_seg(s);
			continue;
		}
		if (open_reader(s, g->num))
			return -errno;
		len = read_rec(s->rfd, s->roff, g->size, &b);
		if (len <= 0) {
			/* Corrupt after the open's check (disk trouble): skip to the next segment.
			 */
			s->torn += g->size - s->roff;
			s->roff = g->size;
			if (len == -ENOMEM)
				return -ENOMEM;
			continue;
		}
		*next_off = s->roff + HDR + (uint64_t)len;
		if (get64(b) <= s->read_seq) {
			free(b);
			s->roff = *next_off;
			continue;
		}
		len = decode(b, (size_t)len, r);
		free(b);
		return len ? (int)len : 1;
	}
}

#define READ_CHUNK (256u << 10)

/*
 * Records of the segment being read, from the cursor up to size, out of one pread (outside
 * mu: appends go on meanwhile; only this thread moves the cursor, under rmu). Decoded into
 * out[0..max); the cursor moves past them and past what was already read. How many; a corrupt
 * record sends the cursor to the segment's end (counted as torn).
 */
static size_t read_run(struct cw_spool *s, uint64_t size, struct cw_spool_rec *out, size_t max,
		       uint64_t *last)
{
	uint64_t want = size - s->roff < READ_CHUNK ? size - s->roff : READ_CHUNK;
	size_t n = 0, p = 0;
	ssize_t got;

	if (cw_grow((void **)&s->rbuf, &s->rcap, want, 1))
		return 0;
	got = pread(s->rfd, s->rbuf, want, (off_t)s->roff);
	while (got >= 0 && n < max && p + HDR <= (size_t)got) {
		const unsigned char *h = s->rbuf + p, *b = h + HDR;
		uint32_t len = get32(h);

		if (len < BODY_FIXED || len > CW_SPOOL_REC_MAX || s->roff + p + HDR + len > size)
			goto corrupt;
		if (p + HDR + len > (size_t)got) {
			if (p)
				break; /* the next run starts with it */
			/* larger than a chunk: read it whole */
			if (cw_grow((void **)&s->rbuf, &s->rcap, HDR + len, 1))
				return 0;
			got = pread(s->rfd, s->rbuf, HDR + len, (off_t)s->roff);
			if (got != (ssize_t)(HDR + len))
				goto corrupt;
			continue;
		}
		if (!crc_ok(b, len, get32(h + 4)) || (size_t)BODY_FIXED + b[17] > len)
			goto corrupt;
		if (get64(b) > *last) {
			if (decode(b, len, &out[n]))
				break;
			*last = out[n++].seq;
		}
		p += HDR + len;
	}
	if (got < 0 || (got == 0 && want))
		goto corrupt;
	s->roff += p;
	return n;
corrupt:
	/* after the open's check: disk trouble. The rest of the segment is skipped. */
	pthread_mutex_lock(&s->mu);
	s->torn += size - s->roff - p;
	pthread_mutex_unlock(&s->mu);
	s->roff = size;
	return n;
}

static size_t read_disk(struct cw_spool *s, struct cw_spool_rec *out, size_t max)
{
	uint64_t last = s->read_seq;
	size_t n = 0;

	while (n < max) {
		uint64_t num, size;
		bool final;

		pthread_mutex_lock(&s->mu);
		final = s->rseg + 1 >= s->nsegs;
		num = s->rseg < s->nsegs ? s->segs[s->rseg].num : 0;
		size = s->rseg < s->nsegs ? s->segs[s->rseg].size : 0;
		pthread_mutex_unlock(&s->mu);
		if (s->roff >= size) {
			if (final)
				break;
			next_seg(s);
			continue;
		}
		if (open_reader(s, num))
			break;
		{
			uint64_t before = s->roff;
			size_t got = read_run(s, size, out + n, max - n, &last);

			n += got;
			if (!got && s->roff == before)
				break; /* out of memory */
		}
	}
	pthread_mutex_lock(&s->mu);
	s->read_seq = last;
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t cw_spool_read(struct cw_spool *s, struct cw_spool_rec *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&s->rmu);
	if (s->dir) {
		n = read_disk(s, out, max);
		pthread_mutex_unlock(&s->rmu);
		return n;
	}
	pthread_mutex_lock(&s->mu);
	for (size_t i = s->mhead; i < s->mhead + s->mn && n < max; i++) {
		struct cw_spool_rec *r = &s->mq[i].r;

		if (r->seq <= s->read_seq)
			continue;
		out[n] = *r;
		out[n].data = malloc(r->len + 1);
		if (!out[n].data)
			break;
		memcpy(out[n].data, r->data, r->len + 1);
		s->read_seq = r->seq;
		n++;
	}
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&s->rmu);
	return n;
}

void cw_spool_rec_free(struct cw_spool_rec *r)
{
	free(r->data);
	r->data = NULL;
}

/* ---- ack ---- */

static void ack_mem(struct cw_spool *s)
{
	while (s->mn && s->mq[s->mhead].r.seq <= s->acked) {
		s->bytes -= s->mq[s->mhead].r.len;
		free(s->mq[s->mhead].r.data);
		s->mhead++;
		s->mn--;
	}
	if (!s->mn)
		s->mhead = 0;
}

int cw_spool_ack(struct cw_spool *s, uint64_t seq)
{
	struct seg *w;
	bool frees = false;
	int ret = 0;

	pthread_mutex_lock(&s->rmu);
	pthread_mutex_lock(&s->mu);
	if (seq <= s->acked || seq > s->read_seq) {
		pthread_mutex_unlock(&s->mu);
		goto out;
	}
	s->acked = seq;
	if (!s->dir) {
		ack_mem(s);
		pthread_mutex_unlock(&s->mu);
		goto out;
	}
	/* The last segment, once fully delivered and a quarter full, makes way for a new one. */
	w = &s->segs[s->nsegs - 1];
	if (w->first_seq && w->last_seq <= seq && w->size >= s->seg_max / 4)
		ret = new_seg(s);
	frees = !ret && s->nsegs > 1 && s->segs[0].last_seq <= seq;
	pthread_mutex_unlock(&s->mu);
	/* The cursor (outside mu: appends go on) is on disk before what it frees goes. */
	if (!ret)
		ret = write_ack(s, seq, frees);
	if (!ret && frees) {
		pthread_mutex_lock(&s->mu);
		while (s->nsegs > 1 && s->segs[0].last_seq <= seq)
			drop_seg(s, 0);
		pthread_mutex_unlock(&s->mu);
	}
out:
	pthread_mutex_unlock(&s->rmu);
	return ret;
}

int cw_spool_sync(struct cw_spool *s)
{
	int fd = -1, dfd = -1, ret = 0, *retired;
	size_t nretired;

	pthread_mutex_lock(&s->mu);
	if (s->dir && s->dirty && s->wfd >= 0)
		fd = dup(s->wfd);
	if (s->dir && s->dir_dirty)
		dfd = dup(s->dirfd);
	s->dirty = s->dir_dirty = false;
	retired = s->retired;
	nretired = s->nretired;
	s->retired = NULL;
	s->nretired = s->retired_cap = 0;
	pthread_mutex_unlock(&s->mu);
	/* Outside the lock: appends go on while the disk catches up. */
	for (size_t i = 0; i < nretired; i++) {
		if (fdatasync(retired[i]) && !ret)
			ret = -errno;
		close(retired[i]);
	}
	free(retired);
	if (fd >= 0 && fdatasync(fd) && !ret)
		ret = -errno;
	if (dfd >= 0 && fsync(dfd) && !ret)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

/*
 * Without waiting on the reader (the agent's thread asks every second): the first unread
 * record's time is looked up when the reader is not busy, else the last one seen is given.
 */
void cw_spool_stats(struct cw_spool *s, struct cw_spool_stats *st)
{
	struct cw_spool_rec r;
	uint64_t off;
	bool peek;

	pthread_mutex_lock(&s->mu);
	*st = (struct cw_spool_stats){ .bytes = s->bytes,
				       .max = s->max,
				       .queued = s->next_seq - 1 - s->acked,
				       .unread = s->next_seq - 1 - s->read_seq,
				       .refused_alerts = s->refused_alerts,
				       .refused_events = s->refused_events,
				       .torn = s->torn };
	if (st->unread && !s->dir) {
		for (size_t i = s->mhead; i < s->mhead + s->mn; i++) {
			if (s->mq[i].r.seq > s->read_seq) {
				st->unread_time_ms = s->mq[i].r.time_ms;
				break;
			}
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (!st->unread || !s->dir)
		return;
	peek = pthread_mutex_trylock(&s->rmu) == 0;
	pthread_mutex_lock(&s->mu);
	if (peek && peek_disk(s, &r, &off) == 1) {
		s->unread_time_ms = r.time_ms;
		cw_spool_rec_free(&r);
	} else if (peek) {
		s->unread_time_ms = 0;
	}
	st->unread_time_ms = s->unread_time_ms;
	pthread_mutex_unlock(&s->mu);
	if (peek)
		pthread_mutex_unlock(&s->rmu);
}

void cw_spool_close(struct cw_spool *s)
{
	if (!s)
		return;
	if (s->dir) {
		cw_spool_sync(s);
		if (s->dirfd >= 0 && s->wfd >= 0)
			write_ack(s, s->acked, true);
	}
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	for (size_t i = s->mhead; i < s->mhead + s->mn; i++)
		free(s->mq[i].r.data);
	free(s->mq);
	free(s->segs);
	free(s->rbuf);
	free(s->retired);
	free(s->dir);
	pthread_mutex_destroy(&s->rmu);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void cw_spool_dir_name(const struct cw_output_spec *o, char *buf, size_t cap)
{
	uint64_t h = CW_FNV_OFFSET;
	char host[64];
	size_t i;

	h = cw_fnv1a_field(h, cw_sink_kind_name(o->kind));
	h = cw_fnv1a_field(h, o->target);
	h = cw_fnv1a_field(h, cw_format_name(o->format));
	for (i = 0; o->host[i] && i < sizeof(host) - 1; i++) {
		char c = o->host[i];

		host[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					  (c >= '0' && c <= '9') || c == '.' || c == '-'
				  ? c
				  : '_';
	}
	host[i] = '\0';
	snprintf(buf, cap, "%s-%s-%u-%08x", cw_sink_kind_name(o->kind), host[0] ? host : "local",
		 o->port, (uint32_t)(h ^ (h >> 32)));
}
