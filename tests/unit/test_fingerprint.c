// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Keyed fingerprints: HMAC-SHA-256 known answers, and the key file's creation and loading. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "detect/fingerprint.h"
#include "test.h"
#include "testutil.h"

/*
 * HMAC-SHA-256 known answers, computed independently with
 *   printf '%s' MSG | openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b...0b (32 bytes)
 * (and cross-checked with Python's hmac module).
 */
static const char kat_msg[] = "credwatch fingerprint test";
static const char kat_hex[] = "198051c454de08cb79249dc989e93dc4ed041e841527e13ae980eea11118e1ba";
static const char kat_empty_hex[] =
	"5177e637aaac0b50e5dca8bb05b0b571444bd59b9b0d834d50681af21fc14b1e";

static void key_0b(struct cw_fp_key *k)
{
	memset(k, 0, sizeof(*k));
	memset(k->key, 0x0b, sizeof(k->key));
}

static bool lower_hex64(const char *s)
{
	if (strlen(s) != CW_FP_HEX_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

TEST(fingerprint_hmac_sha256_known_answer)
{
	struct cw_fp_key k;
	char fp[CW_FP_HEX_LEN + 1];

	key_0b(&k);
	memset(fp, 'X', sizeof(fp));
	cw_fingerprint(&k, kat_msg, strlen(kat_msg), fp);
	CHECK_EQ_STR(fp, kat_hex);
	cw_fingerprint(&k, "", 0, fp);
	CHECK_EQ_STR(fp, kat_empty_hex);
	/* only len bytes count */
	cw_fingerprint(&k, "credwatch fingerprint test, and more", strlen(kat_msg), fp);
	CHECK_EQ_STR(fp, kat_hex);
}

TEST(fingerprint_depends_on_key_and_never_contains_the_secret)
{
	struct cw_fp_key a, b;
	char fa[CW_FP_HEX_LEN + 1], fb[CW_FP_HEX_LEN + 1], fa2[CW_FP_HEX_LEN + 1];
	char *secret = tu_github_token();
	char *other = tu_github_token();

	key_0b(&a);
	key_0b(&b);
	b.key[31] ^= 1; /* one bit apart */
	cw_fingerprint(&a, secret, strlen(secret), fa);
	cw_fingerprint(&b, secret, strlen(secret), fb);
	CHECK(lower_hex64(fa));
	CHECK(lower_hex64(fb));
	CHECK(strcmp(fa, fb) != 0);
	/* stable for the same key and secret, different for another secret */
	cw_fingerprint(&a, secret, strlen(secret), fa2);
	CHECK_EQ_STR(fa, fa2);
	cw_fingerprint(&a, other, strlen(other), fa2);
	CHECK(strcmp(fa, fa2) != 0);
	CHECK(!strstr(fa, secret));
	CHECK(!tu_contains(fa, strlen(fa), secret + 4, 8));
	/* a secret of hex digits must not come through either */
	{
		char *hex = tu_secret("%{hex:64}");

		cw_fingerprint(&a, hex, 64, fa);
		CHECK(strcmp(fa, hex) != 0);
		CHECK(!tu_contains(fa, 64, hex, 16));
		free(hex);
	}
	free(secret);
	free(other);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void create_and_keep(void)
{
	char dir[256], sub[300], path[400], err[512];
	unsigned char first[64], second[64];
	struct cw_fp_key k1, k2;
	char f1[CW_FP_HEX_LEN + 1], f2[CW_FP_HEX_LEN + 1];
	struct stat st;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(sub, sizeof(sub), "%s/state/credwatch", dir);
	snprintf(path, sizeof(path), "%s/fingerprint.key", sub);
	err[0] = '\0';
	CHECK_EQ_INT(cw_fp_key_create(path, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	REQUIRE(stat(path, &st) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(st.st_size, CW_FP_KEY_LEN);
	/* the directories it made are private too */
	REQUIRE(stat(sub, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0700);
	/* no temporary file left behind */
	CHECK_EQ_INT(count_entries(sub), 1);
	CHECK_EQ_INT(tu_read_file(path, first, sizeof(first)), CW_FP_KEY_LEN);

	REQUIRE(cw_fp_key_load(&k1, path, err, sizeof(err)) == 0);
	CHECK_EQ_STR(k1.path, path);
	CHECK(!memcmp(k1.key, first, CW_FP_KEY_LEN));
	cw_fingerprint(&k1, kat_msg, strlen(kat_msg), f1);
	CHECK(strcmp(f1, kat_hex) != 0); /* a random key, not the test key */

	/* creating again keeps the key that is there */
	CHECK_EQ_INT(cw_fp_key_create(path, err, sizeof(err)), 0);
	CHECK_EQ_INT(tu_read_file(path, second, sizeof(second)), CW_FP_KEY_LEN);
	CHECK(!memcmp(first, second, CW_FP_KEY_LEN));
	CHECK_EQ_INT(count_entries(sub), 1);
	REQUIRE(cw_fp_key_load(&k2, path, err, sizeof(err)) == 0);
	cw_fingerprint(&k2, kat_msg, strlen(kat_msg), f2);
	CHECK_EQ_STR(f1, f2);

	/* two created keys differ */
	{
		char p2[420];
		unsigned char third[64];

		snprintf(p2, sizeof(p2), "%s/other.key", sub);
		CHECK_EQ_INT(cw_fp_key_create(p2, err, sizeof(err)), 0);
		CHECK_EQ_INT(tu_read_file(p2, third, sizeof(third)), CW_FP_KEY_LEN);
		CHECK(memcmp(first, third, CW_FP_KEY_LEN) != 0);
	}
	tu_rmtree(dir);
}

TEST(fingerprint_key_create_private_file_and_keep_existing)
{
	mode_t old = umask(0); /* the modes must not rely on the umask */

	create_and_keep();
	umask(old);
}

/*
 * Killed while creating the key, just before it is linked in place (a child whose link and
 * linkat calls kill it): nothing is left in the directory, no half key and no temporary
 * file to clean up by hand.
 */
TEST(fingerprint_key_create_killed_before_the_link_leaves_nothing)
{
	char dir[256], sub[300], path[400], err[512];
	int st = 0;
	pid_t p;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(sub, sizeof(sub), "%s/credwatch", dir);
	snprintf(path, sizeof(path), "%s/fingerprint.key", sub);
	p = fork();
	REQUIRE(p >= 0);
	if (p == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		if (!ctx || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(link), 0) ||
		    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(linkat), 0) ||
		    seccomp_load(ctx))
			_exit(100);
		cw_fp_key_create(path, err, sizeof(err));
		_exit(101); /* not reached: the link kills it */
	}
	REQUIRE(waitpid(p, &st, 0) == p);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	CHECK_EQ_INT(count_entries(sub), 0);
	/* and the next start makes the key */
	CHECK_EQ_INT(cw_fp_key_create(path, err, sizeof(err)), 0);
	CHECK_EQ_INT(count_entries(sub), 1);
	tu_rmtree(dir);
}

TEST(fingerprint_key_load_rejects_short_and_missing_files)
{
	char dir[256], path[400], err[512];
	unsigned char bytes[40];
	struct cw_fp_key k;
	char fp[CW_FP_HEX_LEN + 1];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/short.key", dir);
	memset(bytes, 0x0b, sizeof(bytes));
	REQUIRE(tu_write_file(path, bytes, CW_FP_KEY_LEN - 1, 0600) == 0);
	err[0] = '\0';
	CHECK_EQ_INT(cw_fp_key_load(&k, path, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, path);
	CHECK_CONTAINS(err, "32");
	REQUIRE(tu_write_file(path, bytes, 0, 0600) == 0);
	CHECK_EQ_INT(cw_fp_key_load(&k, path, err, sizeof(err)), -EINVAL);

	/* an explicit path that does not exist is an error, and is not created */
	snprintf(path, sizeof(path), "%s/missing.key", dir);
	err[0] = '\0';
	CHECK_EQ_INT(cw_fp_key_load(&k, path, err, sizeof(err)), -ENOENT);
	CHECK_CONTAINS(err, path);
	CHECK_EQ_INT(access(path, F_OK), -1);

	/* exactly 32 bytes, and longer files: the first 32 bytes are the key */
	snprintf(path, sizeof(path), "%s/long.key", dir);
	bytes[35] = 0x42;
	REQUIRE(tu_write_file(path, bytes, sizeof(bytes), 0600) == 0);
	CHECK_EQ_INT(cw_fp_key_load(&k, path, err, sizeof(err)), 0);
	cw_fingerprint(&k, kat_msg, strlen(kat_msg), fp);
	CHECK_EQ_STR(fp, kat_hex);
	REQUIRE(tu_write_file(path, bytes, CW_FP_KEY_LEN, 0600) == 0);
	CHECK_EQ_INT(cw_fp_key_load(&k, path, err, sizeof(err)), 0);
	cw_fingerprint(&k, kat_msg, strlen(kat_msg), fp);
	CHECK_EQ_STR(fp, kat_hex);
	tu_rmtree(dir);
}
