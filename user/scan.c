// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* credwatch scan: the agent's matcher over files, directories and stdin. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "commands.h"
#include "fingerprint.h"
#include "json.h"
#include "log.h"
#include "matcher.h"
#include "redact.h"
#include "rules.h"

#ifndef CW_VERSION
#define CW_VERSION "dev"
#endif

enum scan_format { FMT_JSON, FMT_TEXT, FMT_SARIF };

struct scan {
	struct cw_matcher *m;
	struct cw_fp_key key;
	enum scan_format fmt;
	unsigned long long max_size;
	unsigned long findings;
	int errors;
	struct cw_json j;
	struct cw_json sarif;	/* SARIF results, written out at the end */
	const struct cw_ruleset *rs;
	/* per buffer */
	const char *path;
	const char *buf;
	size_t line_pos;	/* offset of the start of line `line` */
	size_t line;
	size_t line_scan;	/* how far newlines were counted */
};

static struct scan *g_scan;	/* for the nftw callback */

/* A path as a URI reference (file:// when absolute): unreserved bytes and '/' as they are. */
static void uri_ref(char *out, size_t cap, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (path[0] == '/')	/* absolute: a file URI */
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

static void sarif_result(struct scan *s, const struct cw_match *mt, size_t col, const char *red,
			 const char *fp)
{
	struct cw_json *j = &s->sarif;
	char uri[8192], msg[512];

	uri_ref(uri, sizeof(uri), s->path);
	snprintf(msg, sizeof(msg), "%s: %s", mt->rule->name, red);
	cw_json_obj_begin(j);
	cw_json_kstr(j, "ruleId", mt->rule->id);
	cw_json_kint(j, "ruleIndex", mt->rule - s->rs->rules);
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
	cw_json_kuint(j, "startLine", s->line);
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
	cw_json_obj_end(j);
}

/* The whole SARIF 2.1.0 log: one run, every rule, the results gathered during the scan. */
static void sarif_write(struct scan *s)
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
	cw_json_kstr(&j, "version", CW_VERSION);
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
	if (s->sarif.len)
		fputs(s->sarif.buf, stdout);
	fputs("]}]}\n", stdout);
	cw_json_free(&j);
}

static int on_match(const struct cw_match *mt, void *arg)
{
	struct scan *s = arg;
	char red[CW_REDACT_MAX], fp[CW_FP_HEX_LEN + 1];
	struct cw_class cls;
	size_t col;

	/* Matches arrive in offset order: count lines incrementally. */
	for (; s->line_scan < mt->start; s->line_scan++) {
		if (s->buf[s->line_scan] == '\n') {
			s->line++;
			s->line_pos = s->line_scan + 1;
		}
	}
	col = mt->start - s->line_pos + 1;
	cw_redact(mt->secret, mt->len, red);
	cw_fingerprint(&s->key, mt->secret, mt->len, fp);
	s->findings++;
	if (s->fmt == FMT_TEXT) {
		printf("%s:%zu:%zu: %s: %s (%s) fingerprint %.16s\n", s->path, s->line, col,
		       mt->rule->id, red, mt->rule->name, fp);
		return 0;
	}
	if (s->fmt == FMT_SARIF) {
		sarif_result(s, mt, col, red, fp);
		return 0;
	}
	cw_json_reset(&s->j);
	cw_json_obj_begin(&s->j);
	cw_json_kobj(&s->j, "rule");
	cw_json_kstr(&s->j, "id", mt->rule->id);
	cw_json_kstr(&s->j, "name", mt->rule->name);
	cw_json_obj_end(&s->j);
	cw_json_kobj(&s->j, "file");
	cw_json_kstr(&s->j, "path", s->path);
	cw_json_obj_end(&s->j);
	cw_json_kobj(&s->j, "location");
	cw_json_kuint(&s->j, "line", s->line);
	cw_json_kuint(&s->j, "column", col);
	cw_json_obj_end(&s->j);
	cw_json_kobj(&s->j, "credential");
	cw_json_kstr(&s->j, "redacted", red);
	cw_json_kstr(&s->j, "fingerprint", fp);
	cw_classify(mt, &cls);
	cw_class_json(&s->j, &cls);
	cw_json_obj_end(&s->j);
	cw_json_obj_end(&s->j);
	if (!s->j.oom)
		printf("%s\n", s->j.buf);
	return 0;
}

static int scan_buf(struct scan *s, const char *path, const char *buf, size_t len)
{
	int ret;

	s->path = path;
	s->buf = buf;
	s->line = 1;
	s->line_pos = 0;
	s->line_scan = 0;
	ret = cw_matcher_scan(s->m, buf, len, on_match, s);
	if (ret < 0) {
		cw_log("%s: scan failed: %s", path, strerror(-ret));
		s->errors++;
	}
	return 0;
}

/* Read all of fd; files over max_size are skipped (not an error), reported with -v. */
static int read_fd(int fd, const char *path, unsigned long long max, char **out, size_t *outlen)
{
	struct stat st;
	size_t cap = 65536, len = 0;
	char *buf;
	ssize_t n;

	/* A regular file's size is known: one allocation, no copies. Pipes grow as they go. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((unsigned long long)st.st_size > max) {
			cw_debug("%s: larger than --max-size, skipped", path);
			return -EFBIG;
		}
		cap = (size_t)st.st_size + 1;
	}
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap > max) {
				free(buf);
				cw_debug("%s: larger than --max-size, skipped", path);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		cw_debug("%s: larger than --max-size, skipped", path);
		return -EFBIG;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static bool looks_binary(const char *buf, size_t len)
{
	return memchr(buf, '\0', len < 8192 ? len : 8192) != NULL;
}

static void scan_path_fd(struct scan *s, int fd, const char *path, bool check_binary)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int ret;

	/* Regular files are mapped, not copied: the read copy cost as much as the matching. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p;

		if ((unsigned long long)st.st_size > s->max_size) {
			cw_debug("%s: larger than --max-size, skipped", path);
			return;
		}
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (p != MAP_FAILED) {
			madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
			if (check_binary && looks_binary(p, (size_t)st.st_size))
				cw_debug("%s: binary, skipped", path);
			else
				scan_buf(s, path, p, (size_t)st.st_size);
			munmap(p, (size_t)st.st_size);
			return;
		}
	}
	ret = read_fd(fd, path, s->max_size, &buf, &len);

	if (ret == -EFBIG)
		return;
	if (ret) {
		cw_log("%s: %s", path, strerror(-ret));
		s->errors++;
		return;
	}
	if (check_binary && looks_binary(buf, len))
		cw_debug("%s: binary, skipped", path);
	else
		scan_buf(s, path, buf, len);
	free(buf);
}

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	int fd;

	(void)st;
	(void)ftw;
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
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		cw_log("%s: %s", path, strerror(errno));
		g_scan->errors++;
		return FTW_CONTINUE;
	}
	scan_path_fd(g_scan, fd, path, true);
	close(fd);
	return FTW_CONTINUE;
}

static void scan_path(struct scan *s, const char *path)
{
	struct stat st;
	int fd;

	if (!strcmp(path, "-")) {
		scan_path_fd(s, STDIN_FILENO, "-", false);
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
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cw_log("%s: %s", path, strerror(errno));
		s->errors++;
		return;
	}
	/* A file named explicitly is scanned even if it looks binary. */
	scan_path_fd(s, fd, path, false);
	close(fd);
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
		"  --max-size BYTES            skip files larger than this (default 16M; k/M suffixes)\n"
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

int cw_cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "fingerprint-key-file", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct scan s = { .fmt = FMT_JSON, .max_size = 16ULL << 20 };
	struct cw_ruleset rs = { 0 };
	const char *rules_dir = NULL, *key_file = NULL;
	char err[1024];
	int c, ret = 2;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "json")) {
				s.fmt = FMT_JSON;
			} else if (!strcmp(optarg, "text")) {
				s.fmt = FMT_TEXT;
			} else if (!strcmp(optarg, "sarif")) {
				s.fmt = FMT_SARIF;
			} else {
				cw_log("--format: '%s' is not json, text or sarif", optarg);
				return 2;
			}
			break;
		case 'r': rules_dir = optarg; break;
		case 'm':
			if (cw_parse_u64("--max-size", optarg, 1, 1ULL << 40, &s.max_size))
				return 2;
			break;
		case 'k': key_file = optarg; break;
		case 'v': cw_verbose++; break;
		case 'h': scan_usage(stdout); return 0;
		default: scan_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		scan_usage(stderr);
		return 2;
	}
	if (cw_rules_load_default(&rs, rules_dir, err, sizeof(err)) ||
	    cw_matcher_new(&rs, &s.m, err, sizeof(err))) {
		cw_log("%s", err);
		goto out;
	}
	if (cw_fp_key_load_any(&s.key, key_file, err, sizeof(err))) {
		cw_log("%s", err);
		goto out;
	}
	cw_json_init(&s.j);
	cw_json_init(&s.sarif);
	/* Results are array members of the run: start the array so commas fall right. */
	cw_json_arr_begin(&s.sarif);
	s.sarif.len = 0;
	s.rs = &rs;
	for (int i = optind; i < argc; i++)
		scan_path(&s, argv[i]);
	if (s.fmt == FMT_SARIF)
		sarif_write(&s);
	fflush(stdout);
	ret = s.errors ? 2 : s.findings ? 1 : 0;
out:
	cw_json_free(&s.j);
	cw_json_free(&s.sarif);
	cw_matcher_free(s.m);
	cw_rules_free(&rs);
	return ret;
}
