// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/example_gen.h"
#include "jsoncheck.h"
#include "output/ocsf.h"
#include "test.h"
#include "testutil.h"

static uint64_t state = 0x9e3779b97f4a7c15ull;

void tu_seed(uint64_t seed)
{
	const char *env = getenv("CW_TEST_SEED");

	if (env && *env)
		seed ^= strtoull(env, NULL, 0);
	state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t tu_rand(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dull;
}

size_t tu_below(size_t n)
{
	return (size_t)(tu_rand() % n);
}

void tu_rand_bytes(void *p, size_t n)
{
	unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(tu_rand() >> 56);
}

char *tu_secret(const char *tmpl)
{
	char err[256];
	char *s = cw_example_expand(tmpl, err, sizeof(err));

	if (!s) {
		fprintf(stderr, "tu_secret(%s): %s\n", tmpl, err);
		abort();
	}
	return s;
}

static bool plausible(const char *s, double min_bits)
{
	static const char *const words[] = {
		"example",     "dummy", "changeme", "change_me", "redacted",
		"placeholder", "your",	"replace",  "abcdefgh",	 "12345678",
		"****",	       "<",	">",	    "${",	 "{{",
	};
	size_t n = strlen(s), run = 1;

	if (cw_entropy(s, n) < min_bits)
		return false;
	for (size_t i = 1; i < n; i++) {
		run = s[i] == s[i - 1] ? run + 1 : 1;
		if (run >= 4)
			return false;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(s, words[i]))
			return false;
	return true;
}

static char *strong_or(const char *tmpl, const char *fallback, double min_bits)
{
	char err[256];

	for (int tries = 0; tries < 1000; tries++) {
		char *s = cw_example_expand(tmpl, err, sizeof(err));

		if (!s)
			s = tu_secret(fallback);
		if (plausible(s, min_bits))
			return s;
		free(s);
	}
	fprintf(stderr, "tu_strong(%s): nothing strong enough in 1000 tries\n", tmpl);
	abort();
}

char *tu_strong(const char *tmpl, double min_bits)
{
	return strong_or(tmpl, tmpl, min_bits);
}

char *tu_github_token(void)
{
	return strong_or("%{gen:github:ghp_}", "ghp_%{alnum:36}", 4.0);
}

char *tu_npm_token(void)
{
	return strong_or("%{gen:npm}", "npm_%{alnum:36}", 4.0);
}

static struct cw_ruleset shared_rs;
static struct cw_matcher *shared_m;

static void free_shared(void)
{
	cw_matcher_free(shared_m);
	cw_rules_free(&shared_rs);
	shared_m = NULL;
}

int tu_embedded(const struct cw_ruleset **rs, struct cw_matcher **m, char *err, size_t errlen)
{
	int ret;

	if (!shared_m) {
		ret = cw_rules_load_embedded(&shared_rs, err, errlen);
		if (!ret)
			ret = cw_matcher_new(&shared_rs, &shared_m, err, errlen);
		if (ret) {
			cw_rules_free(&shared_rs);
			return ret;
		}
		atexit(free_shared);
	}
	*rs = &shared_rs;
	*m = shared_m;
	return 0;
}

int tu_mkdtemp(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	if (snprintf(dir, len, "%s/cw-unit.XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)len)
		return -ENAMETOOLONG;
	return mkdtemp(dir) ? 0 : -errno;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return -errno;
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			int ret = -errno;

			close(fd);
			return ret;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fchmod(fd, mode)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return close(fd) ? -errno : 0;
}

ssize_t tu_read_file(const char *path, void *buf, size_t cap)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < cap) {
		ssize_t r = read(fd, (char *)buf + len, cap - len);

		if (r < 0) {
			int ret = -errno;

			close(fd);
			return ret;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	return (ssize_t)len;
}

int tu_contains(const void *hay, size_t hlen, const void *needle, size_t n)
{
	return memmem(hay, hlen, needle, n) != NULL;
}

int tu_key_in(const char *dir, struct cw_fp_key *key, char *err, size_t errlen)
{
	unsigned char k[CW_FP_KEY_LEN];
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/fp.key", dir);
	tu_rand_bytes(k, sizeof(k));
	if (tu_write_file(path, k, sizeof(k), 0600)) {
		snprintf(err, errlen, "cannot write %s", path);
		return -1;
	}
	return cw_fp_key_load(key, path, err, errlen) ? -1 : 0;
}

int tu_sample_put(void *arg, const char *line, size_t len, const char *event_id, bool alert)
{
	FILE *f = arg;

	(void)event_id;
	(void)alert;
	if (fwrite(line, 1, len, f) != len || fputc('\n', f) == EOF)
		return -EIO;
	tu_format_sample(line, len);
	return 0;
}

static void sample_file(const char *dir, unsigned n, const char *ext, const char *s, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u-%06u.%s.json", dir, (unsigned)getpid(), n, ext);
	if (tu_write_file(path, s, len, 0600))
		cw_test_fail(__FILE__, __LINE__, "cannot write %s", path);
}

void tu_format_sample(const char *ecs, size_t len)
{
	static unsigned n;
	const char *dir = getenv("CW_FORMAT_SAMPLES");
	struct jc_node *v;
	char err[256], *o;
	size_t olen;
	int ret;

	ret = cw_ocsf_from_ecs(ecs, len, "test", &o, &olen);
	if (ret) {
		cw_test_fail(__FILE__, __LINE__, "OCSF of a finding: %s: %.*s", strerror(-ret),
			     (int)len, ecs);
		return;
	}
	v = jc_parse(o, olen, err, sizeof(err));
	if (!v)
		cw_test_fail(__FILE__, __LINE__, "OCSF is not JSON: %s: %s", err, o);
	jc_free(v);
	if (dir && dir[0]) {
		n++;
		sample_file(dir, n, "ecs", ecs, len);
		sample_file(dir, n, "ocsf", o, olen);
	}
	free(o);
}

uint64_t tu_mkdirs(const char *base, const char *rel)
{
	char p[1024];
	struct stat st;
	int n = snprintf(p, sizeof(p), "%s/%s", base, rel[0] == '/' ? rel + 1 : rel);

	if (n < 0 || (size_t)n >= sizeof(p))
		return 0;
	for (char *s = p + strlen(base) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return 0;
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return 0;
	return stat(p, &st) ? 0 : (uint64_t)st.st_ino;
}

const char *tu_fixture_path(char *buf, size_t len, const char *rel)
{
	const char *file = __FILE__, *cut = strstr(file, "tests/unit/");

	snprintf(buf, len, "%.*stests/fixtures/%s", cut ? (int)(cut - file) : 0, file, rel);
	return buf;
}

json_t *tu_json_fixture(const char *rel)
{
	char path[512];
	json_error_t jerr;
	json_t *v = json_load_file(tu_fixture_path(path, sizeof(path), rel), 0, &jerr);

	if (!v)
		cw_test_fail(__FILE__, __LINE__, "%s: %s (line %d)", path, jerr.text, jerr.line);
	return v;
}
