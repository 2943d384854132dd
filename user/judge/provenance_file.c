// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The provenance store's file (see provenance.h): one JSON document, written by cw_prov_save
 * with util/json_writer (one credential per line, least recent first, atomically, mode 0600),
 * read back by cw_prov_open with jansson and checked against exactly the schema written. A
 * store that cannot be read back as written is reported (the file, where in it, what is
 * wrong), never half loaded.
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

#include <jansson.h>

#include "judge/provenance.h"
#include "util/fileio.h"
#include "util/json_writer.h"

#define PROV_VERSION 1
#define PROV_FILE_MAX (1LL << 30) /* far past 10000 full credentials */

#define FIELD_SIZE(type, member) sizeof(((type *)0)->member)

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
	const char *what, *parent;
	int fd, ret;

	if (!p->path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", p->path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", p->path);
		return -ENAMETOOLONG;
	}
	/* dirname() may modify its argument (dir is a copy) or return another string ("." for a
	 * name without a '/'): its result is the directory. */
	parent = dirname(dir);
	ret = cw_mkdir_p(parent, 0700);
	if (ret) {
		snprintf(err, errlen, "cannot create directory %s: %s", parent, strerror(-ret));
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
	ret = fsync_dir(parent);
	if (ret) {
		snprintf(err, errlen, "cannot sync directory %s: %s", parent, strerror(-ret));
		return ret;
	}
	p->dirty = false;
	return 0;
}

/* Reading: jansson parses, then every member is checked against the schema cred_json writes. */

struct rd {
	const char *path;
	char *err;
	size_t errlen;
};

/* A schema error at where (a path into the document, e.g. "credentials[2].origins[0]"). */
__attribute__((format(printf, 3, 4))) static int fail(struct rd *r, const char *where,
						      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->err && r->errlen)
		snprintf(r->err, r->errlen, "%s: %s (at %s)", r->path, msg, where);
	return -EINVAL;
}

/* What jansson could not parse, said the way the rest of the store's errors are. */
static int syntax_error(struct rd *r, const json_error_t *e)
{
	const char *what;

	switch (json_error_code(e)) {
	case json_error_out_of_memory: return -ENOMEM;
	case json_error_invalid_utf8: what = "invalid UTF-8"; break;
	case json_error_premature_end_of_input: what = "unexpected end of file"; break;
	case json_error_end_of_input_expected: what = "trailing data after the document"; break;
	case json_error_null_character: what = "\\u0000 in a string"; break;
	case json_error_duplicate_key: what = "duplicate member"; break;
	case json_error_numeric_overflow: what = "number out of range"; break;
	case json_error_stack_overflow: what = "nested too deep"; break;
	default: what = "invalid JSON"; break;
	}
	if (r->err && r->errlen)
		snprintf(r->err, r->errlen, "%s: %s: %s (at byte %d)", r->path, what, e->text,
			 e->position);
	return -EINVAL;
}

enum ftype { F_STR, F_INT, F_COUNT, F_FLAG, F_SOURCE, F_ORIGINS, F_USES };

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
	{ "not_owner", F_FLAG, offsetof(struct cw_prov_origin, not_owner),
	  FIELD_SIZE(struct cw_prov_origin, not_owner), true },
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

/* A string into buf (cap bytes with the NUL); one that does not fit is an error, not cut. */
static int read_string(struct rd *r, const char *where, const json_t *v, const char *name,
		       char *buf, size_t cap)
{
	size_t len;

	if (!json_is_string(v))
		return fail(r, where, "%s: expected a string", name);
	len = json_string_length(v);
	if (len > cap - 1)
		return fail(r, where, "%s: string longer than %zu bytes", name, cap - 1);
	memcpy(buf, json_string_value(v), len);
	buf[len] = '\0';
	return 0;
}

/* An integer, no fraction or exponent (jansson makes those reals). */
static int read_int64(struct rd *r, const char *where, const json_t *v, const char *name,
		      int64_t *out)
{
	if (!json_is_integer(v))
		return fail(r, where, "%s: expected an integer", name);
	*out = json_integer_value(v);
	return 0;
}

static int read_count(struct rd *r, const char *where, const json_t *v, const char *name,
		      uint64_t *out)
{
	int64_t n = 0;
	int ret = read_int64(r, where, v, name, &n);

	if (ret)
		return ret;
	if (n < 0)
		return fail(r, where, "%s: negative count", name);
	*out = (uint64_t)n;
	return 0;
}

/* A flag, written as 1: any count is read, as set when not 0, so it saves as it was read. */
static int read_flag(struct rd *r, const char *where, const json_t *v, const char *name,
		     uint64_t *out)
{
	int ret = read_count(r, where, v, name, out);

	if (!ret)
		*out = *out != 0;
	return ret;
}

static int read_source(struct rd *r, const char *where, const json_t *v, enum cw_prov_source *out)
{
	static const enum cw_prov_source all[] = { CW_PROV_FILE, CW_PROV_ENV, CW_PROV_ARGV };
	const char *s = json_string_value(v); /* NULL when not a string */

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, cw_prov_source_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return fail(r, where, "source is not \"file\", \"env\" or \"argv\"");
}

static int read_object(struct rd *r, const char *where, const json_t *obj, const struct field *f,
		       size_t nf, void *base, const char *what);

static bool same_origin(const void *a, const void *b)
{
	const struct cw_prov_origin *x = a, *y = b;

	return x->source == y->source && !strcmp(x->workload, y->workload) &&
	       !strcmp(x->detail, y->detail);
}

static bool same_use(const void *a, const void *b)
{
	const struct cw_prov_use *x = a, *y = b;

	return !strcmp(x->workload, y->workload) && !strcmp(x->destination, y->destination);
}

/* A credential's origins or uses: an array of objects with fields f, each different. */
struct list {
	const char *name, *what; /* "origins", "origin" */
	const struct field *f;
	size_t nf;
	void *v; /* max elements of size bytes, *n of them read */
	size_t size, max, *n;
	bool (*same)(const void *a, const void *b);
};

static int read_list(struct rd *r, const char *where, const json_t *arr, const struct list *l)
{
	char at[96];
	const json_t *v;
	size_t i;
	int ret;

	if (!json_is_array(arr))
		return fail(r, where, "expected '[' (%s)", l->name);
	json_array_foreach (arr, i, v) {
		char *e = (char *)l->v + *l->n * l->size;

		snprintf(at, sizeof(at), "%s.%s[%zu]", where, l->name, i);
		if (*l->n == l->max)
			return fail(r, at, "more than %zu %s", l->max, l->name);
		memset(e, 0, l->size); /* an optional member absent is 0 */
		ret = read_object(r, at, v, l->f, l->nf, e, l->what);
		if (ret)
			return ret;
		for (size_t k = 0; k < *l->n; k++)
			if (l->same((char *)l->v + k * l->size, e))
				return fail(r, at, "duplicate %s", l->what);
		(*l->n)++;
	}
	return 0;
}

static int read_origins(struct rd *r, const char *where, const json_t *arr, struct cw_prov_cred *c)
{
	const struct list l = {
		.name = "origins",
		.what = "origin",
		.f = origin_fields,
		.nf = NFIELDS(origin_fields),
		.v = c->origins,
		.size = sizeof(c->origins[0]),
		.max = CW_PROV_ORIGINS_MAX,
		.n = &c->norigins,
		.same = same_origin,
	};

	return read_list(r, where, arr, &l);
}

static int read_uses(struct rd *r, const char *where, const json_t *arr, struct cw_prov_cred *c)
{
	const struct list l = {
		.name = "uses",
		.what = "use",
		.f = use_fields,
		.nf = NFIELDS(use_fields),
		.v = c->uses,
		.size = sizeof(c->uses[0]),
		.max = CW_PROV_WORKLOADS_MAX,
		.n = &c->nuses,
		.same = same_use,
	};

	return read_list(r, where, arr, &l);
}

static int read_member(struct rd *r, const char *where, const json_t *v, const struct field *f,
		       char *base)
{
	void *at = base + f->off;

	switch (f->type) {
	case F_STR: return read_string(r, where, v, f->name, at, f->size);
	case F_INT: return read_int64(r, where, v, f->name, at);
	case F_COUNT: return read_count(r, where, v, f->name, at);
	case F_FLAG: return read_flag(r, where, v, f->name, at);
	case F_SOURCE: return read_source(r, where, v, at);
	case F_ORIGINS: return read_origins(r, where, v, (struct cw_prov_cred *)(void *)base);
	case F_USES: return read_uses(r, where, v, (struct cw_prov_cred *)(void *)base);
	}
	return -EINVAL;
}

/* An object with exactly the fields f (the optional ones may be absent) into base. */
static int read_object(struct rd *r, const char *where, const json_t *obj, const struct field *f,
		       size_t nf, void *base, const char *what)
{
	uint32_t seen = 0;
	const char *key;
	const json_t *v;
	size_t i;
	int ret;

	if (!json_is_object(obj))
		return fail(r, where, "%s: expected an object", what);
	json_object_foreach ((json_t *)obj, key, v) {
		for (i = 0; i < nf && strcmp(f[i].name, key); i++)
			;
		if (i == nf)
			return fail(r, where, "unknown member \"%s\" in %s", key, what);
		seen |= 1u << i;
		ret = read_member(r, where, v, &f[i], base);
		if (ret)
			return ret;
	}
	for (i = 0; i < nf; i++)
		if (!f[i].optional && !(seen & (1u << i)))
			return fail(r, where, "%s without \"%s\"", what, f[i].name);
	return 0;
}

static int read_credentials(struct rd *r, const json_t *arr, struct cw_provenance *p)
{
	/* Each credential is read here whole, then copied into the store at its size. */
	struct cw_prov_origin origins[CW_PROV_ORIGINS_MAX];
	struct cw_prov_use uses[CW_PROV_WORKLOADS_MAX];
	struct cw_prov_cred c;
	char at[48];
	const json_t *v;
	size_t i;
	int ret;

	if (!json_is_array(arr))
		return fail(r, "credentials", "expected '[' (credentials)");
	json_array_foreach (arr, i, v) {
		snprintf(at, sizeof(at), "credentials[%zu]", i);
		memset(&c, 0, sizeof(c));
		c.origins = origins;
		c.uses = uses;
		ret = read_object(r, at, v, cred_fields, NFIELDS(cred_fields), &c, "credential");
		if (ret)
			return ret;
		if (!c.fingerprint[0])
			return fail(r, at, "empty fingerprint");
		if (cw_prov_find(p, c.fingerprint))
			return fail(r, at, "duplicate fingerprint");
		/* The file lists the least recent first: each one read is the newest so far. */
		if (!cw_prov_insert_copy(p, &c))
			return -ENOMEM;
	}
	return 0;
}

static int read_version(struct rd *r, const json_t *v)
{
	int64_t version = 0;
	int ret = read_int64(r, "version", v, "version", &version);

	if (ret)
		return ret;
	if (version != PROV_VERSION)
		return fail(r, "version", "unsupported version %lld (this credwatch reads %d)",
			    (long long)version, PROV_VERSION);
	return 0;
}

static int read_doc(struct rd *r, const json_t *doc, struct cw_provenance *p)
{
	bool have_version = false, have_creds = false;
	const char *key;
	const json_t *v;
	int ret;

	if (!json_is_object(doc))
		return fail(r, "the document", "expected an object");
	json_object_foreach ((json_t *)doc, key, v) {
		if (!strcmp(key, "version")) {
			have_version = true;
			ret = read_version(r, v);
		} else if (!strcmp(key, "credentials")) {
			have_creds = true;
			ret = read_credentials(r, v, p);
		} else {
			ret = fail(r, "the document", "unknown member \"%s\"", key);
		}
		if (ret)
			return ret;
	}
	if (!have_version)
		return fail(r, "the document", "no \"version\"");
	if (!have_creds)
		return fail(r, "the document", "no \"credentials\"");
	return 0;
}

/* Parse the text and load what it holds into p: 0, -EINVAL (err says why) or -ENOMEM. */
static int load(struct rd *r, const char *text, size_t len, struct cw_provenance *p)
{
	json_error_t e;
	json_t *doc;
	size_t i = 0;
	int ret;

	/* (text is not NUL-terminated) */
	while (i < len && text[i] && strchr(" \t\r\n", text[i]))
		i++;
	if (i == len)
		return fail(r, "byte 0", "empty file");
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!doc)
		return syntax_error(r, &e);
	ret = read_doc(r, doc, p);
	json_decref(doc);
	return ret;
}

/*
 * The store file, whole. A path that is not a regular file is refused before it is opened (a
 * FIFO would block the start); -ENOENT with no message: the first run.
 */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	ret = cw_read_file(path, (size_t)PROV_FILE_MAX, out, len);
	if (ret == -EFBIG)
		snprintf(err, errlen, "%s: larger than %lld bytes", path, PROV_FILE_MAX);
	return ret;
}

int cw_prov_open(struct cw_provenance *p, const char *path, size_t max, char *err, size_t errlen)
{
	struct rd r = { .path = path, .err = err, .errlen = errlen };
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
		cw_prov_close(p);
		return -ENOMEM;
	}
	ret = read_file(path, &buf, &len, err, errlen);
	if (ret == -ENOENT)
		return 0; /* first run */
	if (ret) {
		if (ret != -EINVAL && ret != -EFBIG)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		cw_prov_close(p);
		return ret;
	}
	ret = load(&r, buf, len, p);
	free(buf);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		cw_prov_close(p);
		return ret;
	}
	/* Loading is not a change; evicting what no longer fits is. */
	p->dirty = p->evictions != 0;
	return 0;
}
