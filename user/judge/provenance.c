// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The provenance store (see provenance.h): a uthash table by fingerprint for lookups and a
 * utlist list in recency order for eviction, both threaded through each credential's entry.
 * The file is read by a strict parser for exactly the schema cw_prov_save writes: a store that
 * cannot be read back as written is reported, never half loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/json_writer.h"
#include "judge/provenance.h"
#include "util/table.h"
#include "util/utf8.h"

#define PROV_VERSION 1
#define PROV_FILE_MAX (1LL << 30) /* far past 10000 full credentials */

#define FIELD_SIZE(type, member) sizeof(((type *)0)->member)

const char *cw_prov_source_name(enum cw_prov_source s)
{
	switch (s) {
	case CW_PROV_FILE: return "file";
	case CW_PROV_ENV: return "env";
	case CW_PROV_ARGV: return "argv";
	}
	return "unknown";
}

static bool source_valid(enum cw_prov_source s)
{
	return s == CW_PROV_FILE || s == CW_PROV_ENV || s == CW_PROV_ARGV;
}

/*
 * Copy src into dst of cap bytes, cut at a character boundary when too long: a split UTF-8
 * sequence would be written out as U+FFFD and the store would no longer match its own file.
 */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (!src)
		src = "";
	n = cw_utf8_fit(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define COPY(dst, src) copy_str((dst), sizeof(dst), (src))

struct prov_entry {
	struct cw_prov_cred c; /* first: a credential's address is its entry's */
	UT_hash_handle hh;     /* by c.fingerprint */
	struct prov_entry *lru_prev, *lru_next;
};

static struct prov_entry *entry_of(const struct cw_prov_cred *c)
{
	return (struct prov_entry *)(void *)c;
}

static void evict_least_recent(struct cw_provenance *p)
{
	struct prov_entry *e = p->lru ? p->lru->lru_prev : NULL;

	if (!e)
		return;
	HASH_DEL(p->by_fp, e);
	DL_DELETE2(p->lru, e, lru_prev, lru_next);
	free(e);
	p->n--;
	p->evictions++;
	p->dirty = true;
}

/* Link a new credential in as the most recent, making room first; -ENOMEM leaves it out. */
static int insert_new(struct cw_provenance *p, struct prov_entry *e)
{
	while (p->n && p->n >= p->max)
		evict_least_recent(p);
	HASH_ADD_STR(p->by_fp, c.fingerprint, e);
	if (!CW_HASH_ADDED(e, hh))
		return -ENOMEM;
	DL_PREPEND2(p->lru, e, lru_prev, lru_next);
	p->n++;
	return 0;
}

static void free_all(struct cw_provenance *p)
{
	struct prov_entry *e, *tmp;

	HASH_CLEAR(hh, p->by_fp);
	DL_FOREACH_SAFE2(p->lru, e, tmp, lru_next)
	free(e);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

void cw_prov_close(struct cw_provenance *p)
{
	if (p)
		free_all(p);
}

struct cw_prov_cred *cw_prov_find(struct cw_provenance *p, const char *fp_hex)
{
	char key[FIELD_SIZE(struct cw_prov_cred, fingerprint)];
	struct prov_entry *e;

	if (!fp_hex)
		return NULL;
	COPY(key, fp_hex);
	HASH_FIND_STR(p->by_fp, key, e);
	return e ? &e->c : NULL;
}

const struct cw_prov_cred *cw_prov_first(const struct cw_provenance *p)
{
	return p->lru ? &p->lru->c : NULL;
}

const struct cw_prov_cred *cw_prov_next(const struct cw_provenance *p, const struct cw_prov_cred *c)
{
	(void)p;
	return entry_of(c)->lru_next ? &entry_of(c)->lru_next->c : NULL;
}

const struct cw_prov_cred *cw_prov_last(const struct cw_provenance *p)
{
	return p->lru ? &p->lru->lru_prev->c : NULL;
}

/* utlist's list is circular backwards: the head's prev is the tail. */
const struct cw_prov_cred *cw_prov_prev(const struct cw_provenance *p, const struct cw_prov_cred *c)
{
	return entry_of(c) == p->lru ? NULL : &entry_of(c)->lru_prev->c;
}

/*
 * Times only widen (first_seen the earliest, last_seen the latest): events from several CPUs
 * reach us slightly out of order, and a late one must not make a credential look newer.
 */
static void seen_at(int64_t *first, int64_t *last, int64_t now)
{
	if (now < *first)
		*first = now;
	if (now > *last)
		*last = now;
}

struct cw_prov_cred *cw_prov_touch(struct cw_provenance *p, const char *fp_hex, const char *rule,
				   const char *kind, const char *lifetime, const char *redacted,
				   int64_t now)
{
	struct cw_prov_cred *c = cw_prov_find(p, fp_hex);
	struct prov_entry *e;

	if (!p->max || !fp_hex || !*fp_hex)
		return NULL;
	if (!c) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		c = &e->c;
		COPY(c->fingerprint, fp_hex);
		c->first_seen = c->last_seen = now;
		if (insert_new(p, e)) {
			free(e);
			return NULL;
		}
	} else {
		e = entry_of(c);
		DL_DELETE2(p->lru, e, lru_prev, lru_next);
		DL_PREPEND2(p->lru, e, lru_prev, lru_next);
	}
	/* A later sighting may classify the credential better; an empty value tells nothing. */
	if (rule && *rule)
		COPY(c->rule, rule);
	if (kind && *kind)
		COPY(c->kind, kind);
	if (lifetime && *lifetime)
		COPY(c->lifetime, lifetime);
	if (redacted && *redacted)
		COPY(c->redacted, redacted);
	seen_at(&c->first_seen, &c->last_seen, now);
	p->dirty = true;
	return c;
}

static bool is_loader(const struct cw_prov_cred *c, const char *wl)
{
	for (size_t i = 0; i < c->norigins; i++)
		if (!strcmp(c->origins[i].workload, wl))
			return true;
	return false;
}

bool cw_prov_is_loader(const struct cw_prov_cred *c, const char *workload)
{
	char wl[CW_PROV_STR];

	COPY(wl, workload);
	return is_loader(c, wl);
}

bool cw_prov_first_of_workload(const struct cw_prov_cred *c, size_t i,
			       bool (*pred)(const struct cw_prov_origin *))
{
	if (pred && !pred(&c->origins[i]))
		return false;
	for (size_t k = 0; k < i; k++)
		if ((!pred || pred(&c->origins[k])) &&
		    !strcmp(c->origins[k].workload, c->origins[i].workload))
			return false;
	return true;
}

size_t cw_prov_count_workloads(const struct cw_prov_cred *c,
			       bool (*pred)(const struct cw_prov_origin *))
{
	size_t n = 0;

	for (size_t i = 0; i < c->norigins; i++)
		n += cw_prov_first_of_workload(c, i, pred);
	return n;
}

size_t cw_prov_loaders(const struct cw_prov_cred *c)
{
	return cw_prov_count_workloads(c, NULL);
}

static void count_up(uint64_t *n)
{
	if (*n != UINT64_MAX)
		(*n)++;
}

/*
 * A workload whose origin could not be kept (the array is full) is still reported as a new
 * loader: the caller learns of it, though a later load by it will be news again.
 */
bool cw_prov_add_origin(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
			enum cw_prov_source source, const char *detail, int64_t now)
{
	return cw_prov_add_origin_as(p, c, workload, source, detail, now, true);
}

bool cw_prov_add_origin_as(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
			   enum cw_prov_source source, const char *detail, int64_t now, bool owner)
{
	char wl[CW_PROV_STR], det[CW_PROV_STR];
	struct cw_prov_origin *o;
	bool new_loader;

	/* An origin the file cannot name could not be loaded again: refuse it. */
	if (!c || !source_valid(source))
		return false;
	COPY(wl, workload);
	COPY(det, detail);
	new_loader = !is_loader(c, wl);
	p->dirty = true;
	for (size_t i = 0; i < c->norigins; i++) {
		o = &c->origins[i];
		if (o->source == source && !strcmp(o->workload, wl) && !strcmp(o->detail, det)) {
			seen_at(&o->first_seen, &o->last_seen, now);
			count_up(&o->count);
			if (owner)
				o->not_owner = 0;
			return new_loader;
		}
	}
	/* Full: the first origin stays (where the credential first came from, its owner); the
	 * least recently seen of the others makes room, so a loader seen now is remembered. */
	if (c->norigins == CW_PROV_ORIGINS_MAX) {
		size_t lru = 1;

		for (size_t i = 2; i < c->norigins; i++)
			if (c->origins[i].last_seen < c->origins[lru].last_seen)
				lru = i;
		count_up(&c->origins_dropped);
		memmove(&c->origins[lru], &c->origins[lru + 1],
			(c->norigins - lru - 1) * sizeof(*o));
		c->norigins--;
	}
	o = &c->origins[c->norigins++];
	memset(o, 0, sizeof(*o));
	memcpy(o->workload, wl, sizeof(wl));
	o->source = source;
	memcpy(o->detail, det, sizeof(det));
	o->first_seen = o->last_seen = now;
	o->count = 1;
	o->not_owner = !owner;
	return new_loader;
}

void cw_prov_add_use(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
		     const char *destination, int64_t now)
{
	char wl[CW_PROV_STR], dst[CW_PROV_STR];
	struct cw_prov_use *u;

	if (!c)
		return;
	COPY(wl, workload);
	COPY(dst, destination);
	p->dirty = true;
	for (size_t i = 0; i < c->nuses; i++) {
		u = &c->uses[i];
		if (!strcmp(u->workload, wl) && !strcmp(u->destination, dst)) {
			seen_at(&u->first_seen, &u->last_seen, now);
			count_up(&u->count);
			return;
		}
	}
	if (c->nuses == CW_PROV_WORKLOADS_MAX) {
		count_up(&c->uses_dropped);
		return;
	}
	u = &c->uses[c->nuses++];
	memset(u, 0, sizeof(*u));
	memcpy(u->workload, wl, sizeof(wl));
	memcpy(u->destination, dst, sizeof(dst));
	u->first_seen = u->last_seen = now;
	u->count = 1;
}

/* ---- Saving ---- */

static void cred_json(struct cw_json *j, const struct cw_prov_cred *c)
{
	cw_json_obj_begin(j);
	cw_json_kstr(j, "fingerprint", c->fingerprint);
	cw_json_kstr(j, "rule", c->rule);
	cw_json_kstr(j, "kind", c->kind);
	cw_json_kstr(j, "lifetime", c->lifetime);
	cw_json_kstr(j, "redacted", c->redacted);
	cw_json_kint(j, "first_seen", c->first_seen);
	cw_json_kint(j, "last_seen", c->last_seen);
	cw_json_key(j, "origins");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->norigins; i++) {
		const struct cw_prov_origin *o = &c->origins[i];

		cw_json_obj_begin(j);
		cw_json_kstr(j, "workload", o->workload);
		cw_json_kstr(j, "source", cw_prov_source_name(o->source));
		cw_json_kstr(j, "detail", o->detail);
		cw_json_kint(j, "first_seen", o->first_seen);
		cw_json_kint(j, "last_seen", o->last_seen);
		cw_json_kuint(j, "count", o->count);
		if (o->not_owner)
			cw_json_kuint(j, "not_owner", 1);
		cw_json_obj_end(j);
	}
	cw_json_arr_end(j);
	cw_json_key(j, "uses");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->nuses; i++) {
		const struct cw_prov_use *u = &c->uses[i];

		cw_json_obj_begin(j);
		cw_json_kstr(j, "workload", u->workload);
		cw_json_kstr(j, "destination", u->destination);
		cw_json_kint(j, "first_seen", u->first_seen);
		cw_json_kint(j, "last_seen", u->last_seen);
		cw_json_kuint(j, "count", u->count);
		cw_json_obj_end(j);
	}
	cw_json_arr_end(j);
	/* Optional members, absent in the common case. */
	if (c->origins_dropped)
		cw_json_kuint(j, "origins_dropped", c->origins_dropped);
	if (c->uses_dropped)
		cw_json_kuint(j, "uses_dropped", c->uses_dropped);
	cw_json_obj_end(j);
}

/*
 * One credential per line, least recent first: loading them in order re-creates the recency,
 * and a person reading the file sees one record per line.
 */
static int write_doc(int fd, const struct cw_provenance *p)
{
	static const char head[] = "{\"version\":1,\"credentials\":[\n";
	static const char tail[] = "]}\n";
	struct cw_json j;
	int ret;

	cw_json_init(&j);
	ret = cw_write_all(fd, head, sizeof(head) - 1);
	for (const struct cw_prov_cred *c = cw_prov_last(p); c && !ret; c = cw_prov_prev(p, c)) {
		bool more = cw_prov_prev(p, c) != NULL;

		cw_json_reset(&j);
		cred_json(&j, c);
		if (j.oom) {
			ret = -ENOMEM;
			break;
		}
		ret = cw_write_all(fd, j.buf, j.len);
		if (!ret)
			ret = cw_write_all(fd, more ? ",\n" : "\n", more ? 2 : 1);
	}
	if (!ret)
		ret = cw_write_all(fd, tail, sizeof(tail) - 1);
	cw_json_free(&j);
	return ret;
}

/* Make the rename itself durable; filesystems that cannot sync a directory are let be. */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL && errno != EROFS)
		ret = -errno;
	close(fd);
	return ret;
}

int cw_prov_save(struct cw_provenance *p, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *what;
	int fd, ret;

	if (!p->path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", p->path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", p->path);
		return -ENAMETOOLONG;
	}
	/* dirname() may modify its argument: dir is a copy. */
	ret = cw_mkdir_p(dirname(dir), 0700);
	if (ret) {
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(-ret));
		return ret;
	}
	/* O_NOFOLLOW: a planted symlink must not redirect the write. */
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return ret;
	}
	/* A temporary file left by someone else keeps its mode through O_TRUNC. */
	what = "chmod";
	ret = fchmod(fd, 0600) ? -errno : 0;
	if (!ret) {
		what = "write";
		ret = write_doc(fd, p);
	}
	if (!ret) {
		what = "fsync";
		ret = fsync(fd) ? -errno : 0;
	}
	if (close(fd) && !ret) {
		what = "close";
		ret = -errno;
	}
	if (!ret) {
		what = "rename";
		ret = rename(tmp, p->path) ? -errno : 0;
	}
	if (ret) {
		snprintf(err, errlen, "cannot save %s (%s): %s", p->path, what, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	ret = fsync_dir(dir);
	if (ret) {
		snprintf(err, errlen, "cannot sync directory %s: %s", dir, strerror(-ret));
		return ret;
	}
	p->dirty = false;
	return 0;
}

/* ---- Loading: a strict reader for the schema above ---- */

struct rd {
	const char *s;
	size_t n, pos;
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static int fail(struct rd *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->failed)
		return -EINVAL;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->err && r->errlen)
		snprintf(r->err, r->errlen, "%s: %s (at byte %zu)", r->path, msg, r->pos);
	return -EINVAL;
}

static void ws(struct rd *r)
{
	while (r->pos < r->n && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
				 r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
		r->pos++;
}

/* The next significant byte, or -1 at the end of the input. */
static int peek(struct rd *r)
{
	ws(r);
	return r->pos < r->n ? (unsigned char)r->s[r->pos] : -1;
}

static int expect(struct rd *r, char c, const char *what)
{
	int got = peek(r);

	if (got < 0)
		return fail(r, "unexpected end of file, expected %s", what);
	if (got != c)
		return fail(r, "expected %s", what);
	r->pos++;
	return 0;
}

static int hex4(struct rd *r, unsigned int *out)
{
	unsigned int v = 0;

	if (r->n - r->pos < 4)
		return fail(r, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = r->s[r->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return fail(r, "bad \\u escape");
	}
	r->pos += 4;
	*out = v;
	return 0;
}

/* The code point of a \u escape (r->pos just past the 'u'), surrogate pairs joined. */
static int unicode_escape(struct rd *r, unsigned int *cp)
{
	unsigned int lo;
	int ret = hex4(r, cp);

	if (ret)
		return ret;
	if (*cp >= 0xDC00 && *cp <= 0xDFFF)
		return fail(r, "unpaired surrogate in \\u escape");
	if (*cp >= 0xD800 && *cp <= 0xDBFF) {
		if (r->n - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
			return fail(r, "unpaired surrogate in \\u escape");
		r->pos += 2;
		ret = hex4(r, &lo);
		if (ret)
			return ret;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return fail(r, "unpaired surrogate in \\u escape");
		*cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	/* A NUL would silently cut the C string short. */
	if (!*cp)
		return fail(r, "\\u0000 in a string");
	return 0;
}

static size_t utf8_encode(unsigned int cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string into buf (cap bytes with the NUL); one that does not fit is an error, not cut. */
static int read_string(struct rd *r, char *buf, size_t cap, const char *what)
{
	size_t len = 0, start, l;
	char tmp[4];
	int ret;

	if (peek(r) != '"')
		return fail(r, "%s: expected a string", what);
	start = r->pos++;
	for (;;) {
		const char *piece;
		unsigned char c;

		if (r->pos >= r->n) {
			r->pos = start;
			return fail(r, "%s: unterminated string", what);
		}
		c = (unsigned char)r->s[r->pos];
		if (c == '"') {
			r->pos++;
			break;
		}
		if (c < 0x20)
			return fail(r, "%s: control character in a string", what);
		if (c == '\\') {
			if (r->pos + 1 >= r->n)
				return fail(r, "%s: truncated escape", what);
			r->pos += 2;
			l = 1;
			switch (r->s[r->pos - 1]) {
			case '"': tmp[0] = '"'; break;
			case '\\': tmp[0] = '\\'; break;
			case '/': tmp[0] = '/'; break;
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				unsigned int cp;

				ret = unicode_escape(r, &cp);
				if (ret)
					return ret;
				l = utf8_encode(cp, tmp);
				break;
			}
			default: r->pos -= 2; return fail(r, "%s: bad escape", what);
			}
			piece = tmp;
		} else {
			l = cw_utf8_decode((const unsigned char *)r->s + r->pos, r->n - r->pos,
					   NULL);
			if (!l)
				return fail(r, "%s: invalid UTF-8", what);
			piece = r->s + r->pos;
			r->pos += l;
		}
		if (len + l > cap - 1) {
			r->pos = start;
			return fail(r, "%s: string longer than %zu bytes", what, cap - 1);
		}
		memcpy(buf + len, piece, l);
		len += l;
	}
	buf[len] = '\0';
	return 0;
}

/* An integer, no fraction or exponent; *neg tells the sign of *mag. */
static int read_integer(struct rd *r, uint64_t *mag, bool *neg, const char *what)
{
	uint64_t v = 0;
	size_t digits = 0;
	int c = peek(r);

	*neg = false;
	if (c == '-') {
		*neg = true;
		r->pos++;
	}
	while (r->pos < r->n && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
		unsigned int d = (unsigned int)(r->s[r->pos] - '0');

		if (digits == 1 && v == 0)
			return fail(r, "%s: leading zero in a number", what);
		if (v > (UINT64_MAX - d) / 10)
			return fail(r, "%s: number out of range", what);
		v = v * 10 + d;
		digits++;
		r->pos++;
	}
	if (!digits)
		return fail(r, "%s: expected an integer", what);
	if (r->pos < r->n && (r->s[r->pos] == '.' || r->s[r->pos] == 'e' || r->s[r->pos] == 'E'))
		return fail(r, "%s: expected an integer", what);
	*mag = v;
	return 0;
}

static int read_int64(struct rd *r, int64_t *out, const char *what)
{
	uint64_t mag;
	bool neg;
	int ret = read_integer(r, &mag, &neg, what);

	if (ret)
		return ret;
	if (mag > (uint64_t)INT64_MAX + neg)
		return fail(r, "%s: number out of range", what);
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int read_uint64(struct rd *r, uint64_t *out, const char *what)
{
	bool neg;
	int ret = read_integer(r, out, &neg, what);

	if (ret)
		return ret;
	if (neg && *out)
		return fail(r, "%s: negative count", what);
	return 0;
}

/*
 * Step through an object's members: 1 when a member name was read into key (its value
 * follows), 0 at the closing brace, -EINVAL on a syntax error. *first is true before the
 * first member.
 */
static int next_member(struct rd *r, bool *first, char *key, size_t cap)
{
	int c = peek(r), ret;

	if (c == '}') {
		r->pos++;
		return 0;
	}
	if (!*first) {
		if (c != ',')
			return c < 0 ? fail(r, "unexpected end of file in an object")
				     : fail(r, "expected ',' or '}'");
		r->pos++;
		if (peek(r) != '"')
			return fail(r, "expected a member name");
	}
	*first = false;
	if (peek(r) != '"')
		return c < 0 ? fail(r, "unexpected end of file in an object")
			     : fail(r, "expected a member name or '}'");
	ret = read_string(r, key, cap, "member name");
	if (ret)
		return ret;
	ret = expect(r, ':', "':'");
	return ret ? ret : 1;
}

/* As next_member, for arrays: 1 when an element follows. */
static int next_element(struct rd *r, bool *first)
{
	int c = peek(r);

	if (c == ']') {
		r->pos++;
		return 0;
	}
	if (c < 0)
		return fail(r, "unexpected end of file in an array");
	if (!*first) {
		if (c != ',')
			return fail(r, "expected ',' or ']'");
		r->pos++;
		if (peek(r) == ']')
			return fail(r, "trailing comma in an array");
	}
	*first = false;
	return 1;
}

enum ftype { F_STR, F_INT, F_COUNT, F_SOURCE, F_ORIGINS, F_USES };

struct field {
	const char *name;
	enum ftype type;
	size_t off, size;
	bool optional;
};

#define FSTR(t, m)                                                 \
	{                                                          \
#m, F_STR, offsetof(t, m), FIELD_SIZE(t, m), false \
	}
#define FINT(t, m)                                                 \
	{                                                          \
#m, F_INT, offsetof(t, m), FIELD_SIZE(t, m), false \
	}
#define FCOUNT(t, m, opt)                                          \
	{                                                          \
#m, F_COUNT, offsetof(t, m), FIELD_SIZE(t, m), opt \
	}

static const struct field origin_fields[] = {
	FSTR(struct cw_prov_origin, workload),
	{ "source", F_SOURCE, offsetof(struct cw_prov_origin, source), 0, false },
	FSTR(struct cw_prov_origin, detail),
	FINT(struct cw_prov_origin, first_seen),
	FINT(struct cw_prov_origin, last_seen),
	FCOUNT(struct cw_prov_origin, count, false),
	FCOUNT(struct cw_prov_origin, not_owner, true),
};

static const struct field use_fields[] = {
	FSTR(struct cw_prov_use, workload),	  FSTR(struct cw_prov_use, destination),
	FINT(struct cw_prov_use, first_seen),	  FINT(struct cw_prov_use, last_seen),
	FCOUNT(struct cw_prov_use, count, false),
};

static const struct field cred_fields[] = {
	FSTR(struct cw_prov_cred, fingerprint),
	FSTR(struct cw_prov_cred, rule),
	FSTR(struct cw_prov_cred, kind),
	FSTR(struct cw_prov_cred, lifetime),
	FSTR(struct cw_prov_cred, redacted),
	FINT(struct cw_prov_cred, first_seen),
	FINT(struct cw_prov_cred, last_seen),
	{ "origins", F_ORIGINS, 0, 0, false },
	{ "uses", F_USES, 0, 0, false },
	FCOUNT(struct cw_prov_cred, origins_dropped, true),
	FCOUNT(struct cw_prov_cred, uses_dropped, true),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static int read_object(struct rd *r, const struct field *f, size_t nf, void *base,
		       const char *what);

static int read_source(struct rd *r, enum cw_prov_source *out)
{
	char s[8];
	size_t start;

	if (peek(r) != '"')
		return fail(r, "source: expected a string");
	start = r->pos;
	/* Anything longer than "argv" is no source name either. */
	if (read_string(r, s, sizeof(s), "source")) {
		r->failed = false;
		r->pos = start;
		return fail(r, "source is not \"file\", \"env\" or \"argv\"");
	}
	if (!strcmp(s, "file")) {
		*out = CW_PROV_FILE;
	} else if (!strcmp(s, "env")) {
		*out = CW_PROV_ENV;
	} else if (!strcmp(s, "argv")) {
		*out = CW_PROV_ARGV;
	} else {
		r->pos = start;
		return fail(r, "source is not \"file\", \"env\" or \"argv\"");
	}
	return 0;
}

static int read_origins(struct rd *r, struct cw_prov_cred *c)
{
	bool first = true;
	int ret;

	if (expect(r, '[', "'[' (origins)"))
		return -EINVAL;
	while ((ret = next_element(r, &first)) > 0) {
		struct cw_prov_origin *o;
		size_t start = r->pos;

		if (c->norigins == CW_PROV_ORIGINS_MAX)
			return fail(r, "more than %d origins", CW_PROV_ORIGINS_MAX);
		o = &c->origins[c->norigins];
		ret = read_object(r, origin_fields, NFIELDS(origin_fields), o, "origin");
		if (ret)
			return ret;
		for (size_t i = 0; i < c->norigins; i++) {
			const struct cw_prov_origin *x = &c->origins[i];

			if (x->source == o->source && !strcmp(x->workload, o->workload) &&
			    !strcmp(x->detail, o->detail)) {
				r->pos = start;
				return fail(r, "duplicate origin");
			}
		}
		c->norigins++;
	}
	return ret;
}

static int read_uses(struct rd *r, struct cw_prov_cred *c)
{
	bool first = true;
	int ret;

	if (expect(r, '[', "'[' (uses)"))
		return -EINVAL;
	while ((ret = next_element(r, &first)) > 0) {
		struct cw_prov_use *u;
		size_t start = r->pos;

		if (c->nuses == CW_PROV_WORKLOADS_MAX)
			return fail(r, "more than %d uses", CW_PROV_WORKLOADS_MAX);
		u = &c->uses[c->nuses];
		ret = read_object(r, use_fields, NFIELDS(use_fields), u, "use");
		if (ret)
			return ret;
		for (size_t i = 0; i < c->nuses; i++) {
			if (!strcmp(c->uses[i].workload, u->workload) &&
			    !strcmp(c->uses[i].destination, u->destination)) {
				r->pos = start;
				return fail(r, "duplicate use");
			}
		}
		c->nuses++;
	}
	return ret;
}

/* An object with exactly the fields f (the optional ones may be absent) into base. */
static int read_object(struct rd *r, const struct field *f, size_t nf, void *base, const char *what)
{
	char key[32], *b = base;
	uint32_t seen = 0;
	bool first = true;
	size_t i;
	int ret;

	if (peek(r) != '{')
		return fail(r, "%s: expected an object", what);
	r->pos++;
	while ((ret = next_member(r, &first, key, sizeof(key))) > 0) {
		for (i = 0; i < nf && strcmp(f[i].name, key); i++)
			;
		if (i == nf)
			return fail(r, "unknown member \"%s\" in %s", key, what);
		if (seen & (1u << i))
			return fail(r, "duplicate member \"%s\" in %s", key, what);
		seen |= 1u << i;
		switch (f[i].type) {
		case F_STR: ret = read_string(r, b + f[i].off, f[i].size, f[i].name); break;
		case F_INT:
			ret = read_int64(r, (int64_t *)(void *)(b + f[i].off), f[i].name);
			break;
		case F_COUNT:
			ret = read_uint64(r, (uint64_t *)(void *)(b + f[i].off), f[i].name);
			break;
		case F_SOURCE:
			ret = read_source(r, (enum cw_prov_source *)(void *)(b + f[i].off));
			break;
		case F_ORIGINS: ret = read_origins(r, base); break;
		case F_USES: ret = read_uses(r, base); break;
		}
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	for (i = 0; i < nf; i++)
		if (!f[i].optional && !(seen & (1u << i)))
			return fail(r, "%s without \"%s\"", what, f[i].name);
	return 0;
}

static int read_credentials(struct rd *r, struct cw_provenance *p)
{
	bool first = true;
	int ret;

	if (expect(r, '[', "'[' (credentials)"))
		return -EINVAL;
	while ((ret = next_element(r, &first)) > 0) {
		size_t start = r->pos;
		struct prov_entry *e = calloc(1, sizeof(*e));
		struct cw_prov_cred *c = e ? &e->c : NULL;

		if (!e)
			return -ENOMEM;
		ret = read_object(r, cred_fields, NFIELDS(cred_fields), c, "credential");
		if (!ret && !c->fingerprint[0]) {
			r->pos = start;
			ret = fail(r, "empty fingerprint");
		}
		if (!ret && cw_prov_find(p, c->fingerprint)) {
			r->pos = start;
			ret = fail(r, "duplicate fingerprint");
		}
		/* The file lists the least recent first: each one read is the newest so far. */
		if (!ret && insert_new(p, e))
			ret = -ENOMEM;
		if (ret) {
			free(e);
			return ret;
		}
	}
	return ret;
}

static int read_doc(struct rd *r, struct cw_provenance *p)
{
	bool first = true, have_version = false, have_creds = false;
	char key[32];
	int ret;

	if (peek(r) < 0)
		return fail(r, "empty file");
	if (peek(r) != '{')
		return fail(r, "expected an object");
	r->pos++;
	while ((ret = next_member(r, &first, key, sizeof(key))) > 0) {
		if (!strcmp(key, "version")) {
			size_t start = r->pos;
			int64_t v;

			if (have_version)
				return fail(r, "duplicate member \"version\"");
			have_version = true;
			ret = read_int64(r, &v, "version");
			if (ret)
				return ret;
			if (v != PROV_VERSION) {
				r->pos = start;
				return fail(r, "unsupported version %lld (this credwatch reads %d)",
					    (long long)v, PROV_VERSION);
			}
		} else if (!strcmp(key, "credentials")) {
			if (have_creds)
				return fail(r, "duplicate member \"credentials\"");
			have_creds = true;
			ret = read_credentials(r, p);
			if (ret)
				return ret;
		} else {
			return fail(r, "unknown member \"%s\"", key);
		}
	}
	if (ret)
		return ret;
	if (!have_version)
		return fail(r, "no \"version\"");
	if (!have_creds)
		return fail(r, "no \"credentials\"");
	if (peek(r) >= 0)
		return fail(r, "trailing data after the document");
	return 0;
}

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	size_t cap = 0, n = 0;
	struct stat st;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > PROV_FILE_MAX) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %lld bytes", path, PROV_FILE_MAX);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Read to the end, not to st_size: the size may have changed since. */
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap > (size_t)PROV_FILE_MAX) {
				ret = -EFBIG;
				snprintf(err, errlen, "%s: larger than %lld bytes", path,
					 PROV_FILE_MAX);
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
out:
	free(buf);
	close(fd);
	return ret;
}

int cw_prov_open(struct cw_provenance *p, const char *path, size_t max, char *err, size_t errlen)
{
	struct rd r = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(p, 0, sizeof(*p));
	p->max = max ? max : CW_PROV_DEFAULT_MAX;
	if (!path)
		return 0;
	p->path = strdup(path);
	if (!p->path) {
		snprintf(err, errlen, "provenance store: %s", strerror(ENOMEM));
		free_all(p);
		return -ENOMEM;
	}
	ret = read_file(path, &buf, &len, err, errlen);
	if (ret == -ENOENT)
		return 0; /* first run */
	if (ret) {
		if (ret != -EINVAL && ret != -EFBIG)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		free_all(p);
		return ret;
	}
	r.s = buf;
	r.n = len;
	r.path = path;
	r.err = err;
	r.errlen = errlen;
	ret = read_doc(&r, p);
	free(buf);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		free_all(p);
		return ret;
	}
	/* Loading is not a change; evicting what no longer fits is. */
	p->dirty = p->evictions != 0;
	return 0;
}
