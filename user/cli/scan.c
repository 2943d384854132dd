// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* credwatch scan: the agent's matcher over files, directories and stdin. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cli/commands.h"
#include "detect/credfile.h"
#include "detect/fingerprint.h"
#include "output/finding.h"
#include "util/grow.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/version.h"
#include "detect/matcher.h"
#include "detect/redact.h"
#include "detect/rules.h"

enum scan_format { FMT_JSON, FMT_TEXT, FMT_SARIF };

#define CHUNK (256u << 10)  /* read size: the data is still in cache when it is matched */
#define BINARY_PROBE 8192   /* a NUL in a walked file's first bytes: binary, skipped */
#define CREDFILE_SNIFF 4096 /* what cw_credfile_sniff reads of a file its name does not type */

/*
 * One file to scan. Workers scan items in any order; the main thread prints their output in
 * the order the paths were given and walked, so the output does not depend on --jobs.
 */
struct item {
	char *path;
	bool check_binary; /* walked: skip binary content (a file named explicitly is not) */
	bool done;
	char *out; /* JSON or text lines; SARIF: result objects joined by commas */
	size_t outlen;
	unsigned long findings;
	int errors;
};

struct scan {
	const struct cw_ruleset *rs;
	const struct cw_matcher *m;
	const struct cw_credfiles *cf; /* credential files' parsers; NULL: rules without them */
	struct cw_fp_key key;
	enum scan_format fmt;
	unsigned long long max_size;
	unsigned long findings;
	int errors;	/* walk errors, then everything's */
	bool sarif_any; /* a SARIF result was printed: the next needs a comma */
	pthread_mutex_t mu;
	pthread_cond_t more; /* an item was queued, or the walk ended */
	pthread_cond_t done; /* an item was scanned */
	struct item **items;
	size_t n, cap, next, printed;
	bool walked;
};

struct worker {
	struct scan *s;
	struct cw_matcher *m;
	pthread_t tid;
	struct cw_json j;
	/*
	 * The window: the newest data read and the older data a finding may still start in
	 * (from the stream's base on), for line numbers. Kept from file to file.
	 */
	char *win;
	size_t wlen, wcap;
	uint64_t base; /* file offset of win[0] */
	/* the item being scanned */
	struct item *it;
	FILE *out;
	int fd;
	/*
	 * Line numbers. A regular file's lines are counted only when a finding needs them,
	 * reading the file again up to it (most files have none); a pipe's are counted as its
	 * data leaves the window.
	 */
	bool lazy;
	uint64_t line_pos; /* file offset of the start of line `line` */
	size_t line;
	uint64_t line_scan; /* how far newlines were counted */
	size_t base_line;   /* not lazy: line and line_pos as counted up to base */
	uint64_t base_line_pos;
	char *pbuf;		      /* lazy: the file read again, a chunk at a time */
	struct cw_credfile_seen seen; /* what the file's parser found: text matches it covers */
	const char *cfbuf;	      /* the credential file, while its parser runs */
};

static struct scan *g_scan; /* for the nftw callback */

/* A path as a URI reference (file:// when absolute): unreserved bytes and '/' as they are. */
static void uri_ref(char *out, size_t cap, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (path[0] == '/') /* absolute: a file URI */
		o = (size_t)snprintf(out, cap, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < cap; p++) {
		if (isalnum(*p) || strchr("-._~/", *p)) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

static void sarif_result(struct worker *w, const struct cw_match *mt, size_t line, size_t col,
			 const char *red, const char *fp)
{
	struct cw_json *j = &w->j;
	char uri[8192], msg[512];

	uri_ref(uri, sizeof(uri), w->it->path);
	snprintf(msg, sizeof(msg), "%s: %s", mt->rule->name, red);
	cw_json_reset(j);
	cw_json_obj_begin(j);
	cw_json_kstr(j, "ruleId", mt->rule->id);
	cw_json_kint(j, "ruleIndex", mt->rule - w->s->rs->rules);
	cw_json_kstr(j, "level", "error");
	cw_json_kobj(j, "message");
	cw_json_kstr(j, "text", msg);
	cw_json_obj_end(j);
	cw_json_key(j, "locations");
	cw_json_arr_begin(j);
	cw_json_obj_begin(j);
	cw_json_kobj(j, "physicalLocation");
	cw_json_kobj(j, "artifactLocation");
	cw_json_kstr(j, "uri", uri);
	cw_json_obj_end(j);
	cw_json_kobj(j, "region");
	cw_json_kuint(j, "startLine", line);
	cw_json_kuint(j, "startColumn", col);
	if (!memchr(mt->secret, '\n', mt->len))
		cw_json_kuint(j, "endColumn", col + mt->len);
	cw_json_obj_end(j);
	cw_json_obj_end(j);
	cw_json_obj_end(j);
	cw_json_arr_end(j);
	cw_json_kobj(j, "partialFingerprints");
	cw_json_kstr(j, "credwatchFingerprint/v1", fp);
	cw_json_obj_end(j);
	if (mt->field) { /* a credential file's parser found it (detect/credfile.h) */
		cw_json_kobj(j, "properties");
		cw_json_kstr(j, "field", mt->field);
		if (mt->strength)
			cw_json_kstr(j, "strength", cw_strength_name(mt->strength));
		cw_json_obj_end(j);
	}
	cw_json_obj_end(j);
	if (!j->oom)
		fprintf(w->out, "%s%s", w->it->findings > 1 ? "," : "", j->buf);
}

/* The SARIF 2.1.0 log up to its results: one run, every rule. Results follow as found. */
static void sarif_head(const struct scan *s)
{
	struct cw_json j;

	cw_json_init(&j);
	cw_json_obj_begin(&j);
	cw_json_kstr(&j, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	cw_json_kstr(&j, "version", "2.1.0");
	cw_json_key(&j, "runs");
	cw_json_arr_begin(&j);
	cw_json_obj_begin(&j);
	cw_json_kobj(&j, "tool");
	cw_json_kobj(&j, "driver");
	cw_json_kstr(&j, "name", "credwatch");
	cw_json_kstr(&j, "version", cw_version);
	cw_json_key(&j, "rules");
	cw_json_arr_begin(&j);
	for (size_t i = 0; i < s->rs->n; i++) {
		const struct cw_rule *r = &s->rs->rules[i];

		cw_json_obj_begin(&j);
		cw_json_kstr(&j, "id", r->id);
		cw_json_kstr(&j, "name", r->id);
		cw_json_kobj(&j, "shortDescription");
		cw_json_kstr(&j, "text", r->name);
		cw_json_obj_end(&j);
		cw_json_kobj(&j, "defaultConfiguration");
		cw_json_kstr(&j, "level", "error");
		cw_json_obj_end(&j);
		cw_json_kobj(&j, "properties");
		cw_json_key(&j, "tags");
		cw_json_arr_begin(&j);
		cw_json_str(&j, "security");
		cw_json_str(&j, "secret");
		cw_json_arr_end(&j);
		cw_json_kstr(&j, "kind", r->kind);
		cw_json_obj_end(&j);
		cw_json_obj_end(&j);
	}
	cw_json_arr_end(&j);
	cw_json_obj_end(&j);
	cw_json_obj_end(&j);
	cw_json_kstr(&j, "columnKind", "utf16CodeUnits");
	cw_json_key(&j, "results");
	cw_json_arr_begin(&j);
	fputs(j.oom ? "" : j.buf, stdout);
	cw_json_free(&j);
}

/* Newlines in p[0..n): SSE2 compares 16 bytes at a time, summed in 8-bit lanes. */
static size_t count_nl(const char *p, size_t n)
{
	size_t c = 0, i = 0;
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();

	while (i + 16 <= n) {
		__m128i acc = zero, sum;

		for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16)
			acc = _mm_sub_epi8(
				acc, _mm_cmpeq_epi8(_mm_loadu_si128(
							    (const __m128i *)(const void *)(p + i)),
						    nl));
		sum = _mm_sad_epu8(acc, zero);
		c += (size_t)_mm_cvtsi128_si64(sum) +
		     (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* Count the lines of p[0..n), which is the file from offset `at`. */
static void count_span(struct worker *w, const char *p, size_t n, uint64_t at)
{
	size_t c = count_nl(p, n);

	if (c) {
		const char *last = memrchr(p, '\n', n);

		w->line += c;
		w->line_pos = at + (uint64_t)(last - p) + 1;
	}
	w->line_scan = at + n;
}

/* Bring the line count to file offset `to`: in the window, else reading the file again. */
static void count_lines(struct worker *w, uint64_t to)
{
	if (to < w->line_scan) { /* a finding before the last one: count again */
		if (w->lazy) {
			w->line = 1;
			w->line_pos = w->line_scan = 0;
		} else {
			w->line = w->base_line;
			w->line_pos = w->base_line_pos;
			w->line_scan = w->base;
		}
	}
	while (w->line_scan < to && w->line_scan < w->base) {
		uint64_t want = w->base - w->line_scan < CHUNK ? w->base - w->line_scan : CHUNK;
		ssize_t n;

		if (!w->pbuf && !(w->pbuf = malloc(CHUNK)))
			n = -1;
		else
			n = pread(w->fd, w->pbuf, (size_t)want, (off_t)w->line_scan);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			cw_log("%s: cannot read it again for line numbers: %s", w->it->path,
			       n < 0 ? strerror(errno) : "it shrank");
			w->it->errors++;
			w->line_scan = w->base; /* lines from here on are relative */
			break;
		}
		count_span(w, w->pbuf, (size_t)n, w->line_scan);
	}
	if (w->line_scan < to)
		count_span(w, w->win + (w->line_scan - w->base), (size_t)(to - w->line_scan),
			   w->line_scan);
}

/* One finding at line:col, in the chosen format. */
static void report(struct worker *w, const struct cw_match *mt, size_t line, size_t col)
{
	char red[CW_REDACT_MAX], fp[CW_FP_HEX_LEN + 1];
	struct cw_json *j = &w->j;

	cw_redact(mt->secret, mt->len, red);
	cw_fingerprint(&w->s->key, mt->secret, mt->len, fp);
	w->it->findings++;
	if (w->s->fmt == FMT_TEXT) {
		fprintf(w->out, "%s:%zu:%zu: %s: %s (%s)%s%s%s%s fingerprint %.16s\n", w->it->path,
			line, col, mt->rule->id, red, mt->rule->name, mt->field ? " field " : "",
			mt->field ? mt->field : "", mt->strength ? " strength " : "",
			mt->strength ? cw_strength_name(mt->strength) : "", fp);
		return;
	}
	if (w->s->fmt == FMT_SARIF) {
		sarif_result(w, mt, line, col, red, fp);
		return;
	}
	cw_json_reset(j);
	cw_json_obj_begin(j);
	cw_json_kobj(j, "rule");
	cw_json_kstr(j, "id", mt->rule->id);
	cw_json_kstr(j, "name", mt->rule->name);
	cw_json_obj_end(j);
	cw_json_kobj(j, "file");
	cw_json_kstr(j, "path", w->it->path);
	cw_json_obj_end(j);
	cw_json_kobj(j, "location");
	cw_json_kuint(j, "line", line);
	cw_json_kuint(j, "column", col);
	cw_json_obj_end(j);
	cw_finding_credential_open(j, mt, red, fp);
	cw_json_obj_end(j);
	cw_json_obj_end(j);
	if (!j->oom)
		fprintf(w->out, "%s\n", j->buf);
}

static int on_match(const struct cw_match *mt, void *arg)
{
	struct worker *w = arg;

	if (cw_credfile_covers(&w->seen, mt))
		return 0; /* the file's parser reported it, with its field */
	/* Findings never start before the stream's base, which the window keeps. */
	count_lines(w, mt->start < w->base + w->wlen ? mt->start : w->base + w->wlen);
	report(w, mt, w->line, (size_t)(mt->start - w->line_pos + 1));
	return 0;
}

/* A credential file parser's finding: its line and column from the file in memory. */
static int on_credfile_match(const struct cw_match *mt, void *arg)
{
	struct worker *w = arg;
	const char *b = w->cfbuf, *ls = b;
	size_t line = 1;

	for (const char *p = b; p < b + mt->start; p++)
		if (*p == '\n') {
			line++;
			ls = p + 1;
		}
	report(w, mt, line, (size_t)(b + mt->start - ls) + 1);
	return 0;
}

/*
 * The hook for credential files (detect/credfile.h): a file whose kind its name or first
 * bytes tell is read whole and parsed before the text scan, which then leaves out what the
 * parser reported (w->seen).
 */
static size_t read_at(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap &&
	       ((r = pread(fd, buf + n, cap - n, (off_t)n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	return n;
}

/*
 * head: the file's first n bytes, already read for the text scan; the whole file when it is
 * no longer, else read whole here.
 */
static void scan_credfile(struct worker *w, int fd, const struct stat *sb, const char *head,
			  size_t n)
{
	size_t size = (size_t)sb->st_size;
	enum cw_credfile_kind k;
	char *buf = NULL;
	const char *all = head;

	if (!w->s->cf)
		return;
	k = cw_credfile_kind(w->it->path);
	/* a walked binary file is skipped by the text scan: by its parser too, but a PKCS#12's */
	if (k != CW_CF_PKCS12 && w->it->check_binary &&
	    memchr(head, '\0', n < BINARY_PROBE ? n : BINARY_PROBE))
		return;
	if (k == CW_CF_NONE) /* a key or a service-account key under any name */
		k = cw_credfile_sniff(w->it->path, head, n < CREDFILE_SNIFF ? n : CREDFILE_SNIFF);
	if (k == CW_CF_NONE)
		return;
	if (size > n) {
		if (!(buf = malloc(size))) {
			cw_log("%s: out of memory", w->it->path);
			w->it->errors++;
			return;
		}
		n = read_at(fd, buf, size);
		all = buf;
	}
	w->cfbuf = all;
	if (cw_credfile_scan(w->s->cf, w->m, k, all, n, w->it->path, &w->seen, on_credfile_match,
			     w) < 0) {
		cw_log("%s: cannot parse it as a %s file: out of memory", w->it->path,
		       cw_credfile_kind_name(k));
		w->it->errors++;
	}
	w->cfbuf = NULL;
	if (buf) {
		explicit_bzero(buf, n);
		free(buf);
	}
}

/*
 * Drop window data before the stream's base (no finding can start there any more), counting
 * its lines first, and make room for a chunk after what is kept.
 */
static int slide(struct worker *w, struct cw_stream *st)
{
	uint64_t keep = cw_stream_base(st);

	if (keep > w->base + w->wlen)
		keep = w->base + w->wlen;
	if (keep > w->base) {
		size_t drop = (size_t)(keep - w->base);

		if (!w->lazy)
			count_lines(w, keep);
		memmove(w->win, w->win + drop, w->wlen - drop);
		w->wlen -= drop;
		w->base = keep;
		w->base_line = w->line;
		w->base_line_pos = w->line_pos;
	}
	return cw_grow((void **)&w->win, &w->wcap, w->wlen + CHUNK, 1);
}

/*
 * Scan one file or stream: read in chunks through a matcher stream, so memory stays small
 * and warm whatever the size (mapping each file, or reading it whole, touched fresh memory
 * for every page: slower than the matching on a VM). The stream finds secrets across chunks.
 */
static void scan_fd(struct worker *w, int fd)
{
	struct item *it = w->it;
	struct cw_stream *st;
	bool first = true;
	int ret = 0;

	struct stat sb;

	w->fd = fd;
	w->lazy = !fstat(fd, &sb) && S_ISREG(sb.st_mode) && lseek(fd, 0, SEEK_CUR) == 0;
	w->wlen = 0;
	w->base = 0;
	w->line = w->base_line = 1;
	w->line_pos = w->base_line_pos = 0;
	w->line_scan = 0;
	st = cw_stream_open(w->m);
	if (!st) {
		cw_log("%s: out of memory", it->path);
		it->errors++;
		return;
	}
	for (;;) {
		ssize_t n;

		if (slide(w, st)) {
			ret = -ENOMEM;
			break;
		}
		n = read(fd, w->win + w->wlen, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		/* a credential file is parsed first: the text scan leaves out what it reports */
		if (first && w->lazy)
			scan_credfile(w, fd, &sb, w->win + w->wlen, (size_t)n);
		if (first && it->check_binary &&
		    memchr(w->win, '\0', (size_t)n < BINARY_PROBE ? (size_t)n : BINARY_PROBE)) {
			cw_debug("%s: binary, skipped", it->path);
			break;
		}
		first = false;
		w->wlen += (size_t)n;
		ret = cw_stream_write(st, w->win + w->wlen - (size_t)n, (size_t)n, on_match, w);
		if (ret < 0)
			break;
		ret = 0;
	}
	if (ret < 0) {
		cw_log("%s: %s", it->path, strerror(-ret));
		it->errors++;
	}
	if (cw_stream_close(st, on_match, w) < 0 && !ret) {
		cw_log("%s: scan failed", it->path);
		it->errors++;
	}
}

static void scan_item(struct worker *w, struct item *it)
{
	int fd;

	w->it = it;
	w->out = open_memstream(&it->out, &it->outlen);
	if (!w->out) {
		cw_log("%s: %s", it->path, strerror(errno));
		it->errors++;
		return;
	}
	w->seen.n = 0;
	w->seen.parsed = false;
	if (!strcmp(it->path, "-")) {
		scan_fd(w, STDIN_FILENO);
	} else {
		/* Walked files are not followed through a symlink swapped in since the walk. */
		fd = open(it->path, O_RDONLY | O_CLOEXEC | (it->check_binary ? O_NOFOLLOW : 0));
		if (fd < 0) {
			cw_log("%s: %s", it->path, strerror(errno));
			it->errors++;
		} else {
			struct stat sb;

			if (!fstat(fd, &sb) && S_ISREG(sb.st_mode) &&
			    (unsigned long long)sb.st_size > w->s->max_size) {
				cw_debug("%s: larger than --max-size, skipped", it->path);
			} else {
				scan_fd(w, fd);
				w->seen.n = 0;
				w->seen.parsed = false;
			}
			close(fd);
		}
	}
	if (fclose(w->out)) {
		cw_log("%s: %s", it->path, strerror(errno));
		it->errors++;
	}
	w->out = NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;

	for (;;) {
		struct item *it;

		pthread_mutex_lock(&s->mu);
		while (s->next == s->n && !s->walked)
			pthread_cond_wait(&s->more, &s->mu);
		if (s->next == s->n) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		it = s->items[s->next++];
		pthread_mutex_unlock(&s->mu);

		scan_item(w, it);

		pthread_mutex_lock(&s->mu);
		it->done = true;
		pthread_cond_broadcast(&s->done);
		pthread_mutex_unlock(&s->mu);
	}
}

/* Print the scanned items at the head of the queue, in order; with wait, all of them. */
static void print_ready(struct scan *s, bool wait)
{
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct item *it;

		if (s->printed == s->n)
			break;
		it = s->items[s->printed];
		if (!it->done) {
			if (!wait)
				break;
			pthread_cond_wait(&s->done, &s->mu);
			continue;
		}
		s->items[s->printed++] = NULL;
		pthread_mutex_unlock(&s->mu);
		if (it->outlen) {
			if (s->fmt == FMT_SARIF && s->sarif_any)
				fputc(',', stdout);
			fwrite(it->out, 1, it->outlen, stdout);
			s->sarif_any = true;
		}
		s->findings += it->findings;
		s->errors += it->errors;
		free(it->out);
		free(it->path);
		free(it);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
}

static void queue(struct scan *s, const char *path, bool check_binary)
{
	struct item *it = calloc(1, sizeof(*it));

	if (!it || !(it->path = strdup(path))) {
		free(it);
		cw_log("%s: out of memory", path);
		s->errors++;
		return;
	}
	it->check_binary = check_binary;
	pthread_mutex_lock(&s->mu);
	if (cw_grow((void **)&s->items, &s->cap, s->n + 1, sizeof(*s->items))) {
		pthread_mutex_unlock(&s->mu);
		cw_log("%s: out of memory", path);
		s->errors++;
		free(it->path);
		free(it);
		return;
	}
	s->items[s->n++] = it;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->mu);
	print_ready(s, false);
}

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_D && !strcmp(path + ftw->base, ".git"))
		return FTW_SKIP_SUBTREE;
	if (type == FTW_DNR) {
		cw_log("%s: cannot read directory", path);
		g_scan->errors++;
		return FTW_CONTINUE;
	}
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return FTW_CONTINUE;
	if ((unsigned long long)st->st_size > g_scan->max_size) {
		cw_debug("%s: larger than --max-size, skipped", path);
		return FTW_CONTINUE;
	}
	queue(g_scan, path, true);
	return FTW_CONTINUE;
}

static void walk_path(struct scan *s, const char *path)
{
	struct stat st;

	if (!strcmp(path, "-")) {
		queue(s, "-", false);
		return;
	}
	if (stat(path, &st)) {
		cw_log("%s: %s", path, strerror(errno));
		s->errors++;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		g_scan = s;
		if (nftw(path, walk_cb, 32, FTW_PHYS | FTW_ACTIONRETVAL)) {
			cw_log("%s: %s", path, strerror(errno));
			s->errors++;
		}
		return;
	}
	/* A file named explicitly is scanned even if it looks binary. */
	queue(s, path, false);
}

/* The CPUs this process may run on: the default number of workers. */
static unsigned long cpus_allowed(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? (unsigned long)n : 1;
}

static void scan_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch scan [OPTIONS] PATH... | -\n"
		"\n"
		"Find credentials in files, directories (recursively; binary files and .git are\n"
		"skipped) or standard input (-) with the agent's rules.\n"
		"\n"
		"  --format json|text|sarif    one JSON finding per line (default), text, or one\n"
		"                              SARIF 2.1.0 log for code-scanning UIs\n"
		"  --rules DIR                 rules to use instead of the embedded set\n"
		"  --max-size BYTES            skip files larger than this (default 16M; k/M/G\n"
		"                              suffixes); standard input is scanned whole\n"
		"  -j, --jobs N                files scanned at once (default: the CPUs this "
		"process\n"
		"                              may use); the output order does not depend on it\n"
		"  --fingerprint-key-file F    key for credential fingerprints\n"
		"                              (default " CW_FP_DEFAULT_FILE ")\n"
		"  -v, --verbose               explain skipped files\n"
		"  -h, --help                  this text\n"
		"\n"
		"Exit status: 0 no findings, 1 findings, 2 error.\n"
		"\n"
		"EXAMPLES\n"
		"  credwatch scan .env config/            scan a file and a directory\n"
		"  env | credwatch scan --format text -   scan this shell's environment\n");
}

/* What the flags say beside the format and size limit, which go straight into struct scan. */
struct scan_opts {
	const char *rules_dir, *key_file;
	unsigned long long jobs; /* 0: one per CPU this process may use */
};

enum parsed { PARSED_SCAN, PARSED_EXIT_OK, PARSED_EXIT_ERROR };

static int parse_format(const char *arg, enum scan_format *fmt)
{
	if (!strcmp(arg, "json"))
		*fmt = FMT_JSON;
	else if (!strcmp(arg, "text"))
		*fmt = FMT_TEXT;
	else if (!strcmp(arg, "sarif"))
		*fmt = FMT_SARIF;
	else {
		cw_log("--format: '%s' is not json, text or sarif", arg);
		return -EINVAL;
	}
	return 0;
}

static enum parsed parse_scan_args(int argc, char **argv, struct scan *s, struct scan_opts *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "fingerprint-key-file", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "j:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &s->fmt))
				return PARSED_EXIT_ERROR;
			break;
		case 'r': o->rules_dir = optarg; break;
		case 'm':
			if (cw_parse_u64("--max-size", optarg, 1, 1ULL << 40, &s->max_size))
				return PARSED_EXIT_ERROR;
			break;
		case 'j':
			if (cw_parse_u64("--jobs", optarg, 1, 256, &o->jobs))
				return PARSED_EXIT_ERROR;
			break;
		case 'k': o->key_file = optarg; break;
		case 'v': cw_verbose++; break;
		case 'h': scan_usage(stdout); return PARSED_EXIT_OK;
		default: scan_usage(stderr); return PARSED_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		scan_usage(stderr);
		return PARSED_EXIT_ERROR;
	}
	if (!o->jobs)
		o->jobs = cpus_allowed() < 256 ? cpus_allowed() : 256;
	return PARSED_SCAN;
}

/* Rules, their matcher and the fingerprint key: 0, or -EINVAL with the reason printed. */
static int load_detection(struct scan *s, struct cw_ruleset *rs, struct cw_matcher **m,
			  struct cw_credfiles **cf, const struct scan_opts *o)
{
	char err[1024];

	if (cw_rules_load_default(rs, o->rules_dir, err, sizeof(err)) ||
	    cw_matcher_new(rs, m, err, sizeof(err)) ||
	    cw_fp_key_load_any(&s->key, o->key_file, err, sizeof(err))) {
		cw_log("%s", err);
		return -EINVAL;
	}
	if (cw_credfiles_new(rs, cf)) {
		cw_log("out of memory");
		return -ENOMEM;
	}
	s->cf = *cf;
	s->rs = rs;
	s->m = *m;
	return 0;
}

/*
 * Up to jobs workers; the number started. The first worker uses the matcher itself, the
 * others clones sharing its databases; one that cannot start leaves fewer workers: slower,
 * not wrong.
 */
static size_t start_workers(struct scan *s, struct cw_matcher *m, struct worker *w, size_t jobs)
{
	size_t nw;

	for (nw = 0; nw < jobs; nw++) {
		struct worker *k = &w[nw];

		k->s = s;
		k->m = m;
		if (nw > 0 && cw_matcher_clone(m, &k->m))
			break;
		cw_json_init(&k->j);
		if (pthread_create(&k->tid, NULL, worker_main, k)) {
			cw_json_free(&k->j);
			if (k->m != m)
				cw_matcher_free(k->m);
			break;
		}
	}
	return nw;
}

/* Walk every path, queueing files, then tell the workers the queue is complete. */
static void walk_all(struct scan *s, char **paths, int n)
{
	for (int i = 0; i < n; i++)
		walk_path(s, paths[i]);
	pthread_mutex_lock(&s->mu);
	s->walked = true;
	pthread_cond_broadcast(&s->more);
	pthread_mutex_unlock(&s->mu);
}

static void free_workers(struct worker *w, size_t nw, const struct cw_matcher *m)
{
	for (size_t i = 0; i < nw; i++) {
		cw_json_free(&w[i].j);
		free(w[i].win);
		free(w[i].pbuf);
		cw_credfile_seen_free(&w[i].seen);
		if (w[i].m != m)
			cw_matcher_free(w[i].m);
	}
	free(w);
}

/*
 * Workers scan; this thread walks the paths and prints each file's findings as soon as the
 * files before it are done. 0 when nothing was found, 1 findings, 2 an error.
 */
static int scan_paths(struct scan *s, struct cw_matcher *m, char **paths, int n, size_t jobs)
{
	struct worker *w = calloc(jobs, sizeof(*w));
	size_t nw;

	if (!w) {
		cw_log("out of memory");
		return 2;
	}
	nw = start_workers(s, m, w, jobs);
	if (!nw) {
		cw_log("cannot start a scanning thread");
		free(w);
		return 2;
	}
	if (s->fmt == FMT_SARIF)
		sarif_head(s);
	walk_all(s, paths, n);
	print_ready(s, true);
	for (size_t i = 0; i < nw; i++)
		pthread_join(w[i].tid, NULL);
	if (s->fmt == FMT_SARIF)
		fputs("]}]}\n", stdout);
	fflush(stdout);
	free_workers(w, nw, m);
	return s->errors ? 2 : s->findings ? 1 : 0;
}

int cw_cmd_scan(int argc, char **argv)
{
	struct scan s = { .fmt = FMT_JSON, .max_size = 16ULL << 20 };
	struct scan_opts o = { 0 };
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	struct cw_credfiles *cf = NULL;
	int ret = 2;

	switch (parse_scan_args(argc, argv, &s, &o)) {
	case PARSED_EXIT_OK: return 0;
	case PARSED_EXIT_ERROR: return 2;
	default: break;
	}
	if (!load_detection(&s, &rs, &m, &cf, &o)) {
		pthread_mutex_init(&s.mu, NULL);
		pthread_cond_init(&s.more, NULL);
		pthread_cond_init(&s.done, NULL);
		ret = scan_paths(&s, m, argv + optind, argc - optind, (size_t)o.jobs);
	}
	free(s.items);
	cw_credfiles_free(cf);
	cw_matcher_free(m);
	cw_rules_free(&rs);
	return ret;
}
