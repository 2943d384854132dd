// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The compiled-database cache: a hit behaves exactly like a fresh compile; damage is ignored. */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "detect/dbcache.h"
#include "detect/example_gen.h"
#include "detect/matcher.h"
#include "detect/rules.h"
#include "test.h"

static int count(const struct cw_match *m, void *arg)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

static int scan_with_new_matcher(const struct cw_ruleset *rs, const char *text)
{
	struct cw_matcher *m = NULL;
	char err[256];
	int n = 0;

	if (cw_matcher_new(rs, &m, err, sizeof(err)))
		return -1;
	cw_matcher_scan(m, text, strlen(text), count, &n);
	cw_matcher_free(m);
	return n;
}

static size_t files_in(const char *dir, char *last, size_t cap)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	size_t n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.') {
			n++;
			snprintf(last, cap, "%s/%s", dir, d->d_name);
		}
	closedir(dp);
	return n;
}

static const char two_rules[] = "rules:\n"
				"  - id: github-pat-classic\n"
				"    name: GitHub personal access token (classic)\n"
				"    kind: github-token\n"
				"    pattern: '\\b(ghp_[A-Za-z0-9]{36})\\b'\n"
				"    keywords: [ghp_]\n"
				"    entropy: 3.0\n"
				"    validate: github-crc32\n"
				"  - id: aws-access-key-id\n"
				"    name: AWS access key ID\n"
				"    kind: aws-access-key\n"
				"    pattern: '\\b(AKIA[A-Z2-7]{16})\\b'\n"
				"    keywords: [AKIA]\n"
				"    entropy: 2.5\n";

TEST(dbcache_hit_matches_like_a_fresh_compile_and_damage_is_rebuilt)
{
	char dir[] = "/tmp/cw-dbcache-XXXXXX", err[256], file[4400];
	struct cw_ruleset rs = { 0 };
	char *text =
		cw_example_expand("a=%{gen:github:ghp_}\nb=AKIA%{base32:16}\n", err, sizeof(err));
	const char *old = getenv("CREDWATCH_CACHE_DIR");
	char *saved = old ? strdup(old) : NULL;
	FILE *f;

	REQUIRE(text && mkdtemp(dir));
	setenv("CREDWATCH_CACHE_DIR", dir, 1);
	/* Two rules as the embedded set writes them: the cache is the same for any set, and a
	 * compile of every rule takes seconds (four of them here). */
	REQUIRE(cw_rules_load_buf(&rs, "two.yaml", two_rules, strlen(two_rules), err,
				  sizeof(err)) == 0);
	CHECK_EQ_INT(scan_with_new_matcher(&rs, text), 2); /* compiles, stores */
	CHECK_EQ_INT(files_in(dir, file, sizeof(file)), 1);
	CHECK_EQ_INT(scan_with_new_matcher(&rs, text), 2); /* from the cache */
	/* Damage the file: the matcher must notice, compile again and still find both. */
	f = fopen(file, "r+");
	REQUIRE(f);
	fseek(f, 200, SEEK_SET);
	fputs("garbage garbage garbage", f);
	fclose(f);
	CHECK_EQ_INT(scan_with_new_matcher(&rs, text), 2);
	truncate(file, 10);
	CHECK_EQ_INT(scan_with_new_matcher(&rs, text), 2);
	/* Caching off: nothing written. */
	setenv("CREDWATCH_CACHE_DIR", "", 1);
	CHECK(cw_dbcache_dir() == NULL);
	CHECK_EQ_INT(scan_with_new_matcher(&rs, text), 2);
	if (saved)
		setenv("CREDWATCH_CACHE_DIR", saved, 1);
	else
		unsetenv("CREDWATCH_CACHE_DIR");
	free(saved);
	unlink(file);
	rmdir(dir);
	cw_rules_free(&rs);
	free(text);
}
