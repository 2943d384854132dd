/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Helpers shared by the unit tests: a seeded PRNG for fuzz loops (reproducible; set
 * CW_TEST_SEED to vary it), generated test secrets, temporary directories and files.
 */
#ifndef CW_TESTUTIL_H
#define CW_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "detect/fingerprint.h"
#include "detect/matcher.h"
#include "detect/rules.h"

/* Deterministic PRNG (xorshift64*), reseeded by tu_seed() at the start of a fuzz test. */
void tu_seed(uint64_t seed);
uint64_t tu_rand(void);
/* Uniform in [0, n); n > 0. */
size_t tu_below(size_t n);
void tu_rand_bytes(void *p, size_t n);

/*
 * A fresh test secret from an exgen template ("ghp_%{alnum:36}"), never a literal in the
 * source. Aborts on a bad template: that is a bug in the test itself.
 */
char *tu_secret(const char *tmpl);

/*
 * A secret from tmpl that any sane filter keeps: at least min_bits of entropy, no run of 4 of
 * one byte, no placeholder word ("dummy", "example", ...) by chance. Random strings fail
 * that now and then (AKIA + 16 base32 is under 3 bits about once in 5000); the tests that
 * need a finding must not be flaky for it.
 */
char *tu_strong(const char *tmpl, double min_bits);

/*
 * Token shapes whose rules may check a checksum: a valid one from the "%{gen:...}" generator
 * when exgen offers it, else plain random characters of the right shape. Strong as above.
 */
char *tu_github_token(void); /* ghp_ + 36 */
char *tu_npm_token(void);    /* npm_ + 36 */

/*
 * The embedded rules and their matcher, built on first use and shared by the tests (compiling
 * every rule takes a while), freed at exit. Returns 0 or -errno with the reason in err.
 */
int tu_embedded(const struct cw_ruleset **rs, struct cw_matcher **m, char *err, size_t errlen);

/* Create a private temporary directory; dir receives its path. Returns 0 or -errno. */
int tu_mkdtemp(char *dir, size_t len);
/* A random fingerprint key written to DIR/fp.key (0600) and loaded into key: 0, or -1 with err. */
int tu_key_in(const char *dir, struct cw_fp_key *key, char *err, size_t errlen);
/* mkdir -p BASE/REL (a leading '/' of rel is dropped); the last directory's inode number (a
 * cgroup id on cgroup2), 0 on failure. */
uint64_t tu_mkdirs(const char *base, const char *rel);
/* tests/fixtures/REL, found from this source file's path, in buf (len bytes); buf. */
const char *tu_fixture_path(char *buf, size_t len, const char *rel);
/* tests/fixtures/REL parsed as JSON; a load failure fails the test (NULL then). */
json_t *tu_json_fixture(const char *rel);
/* Remove a directory tree created by tu_mkdtemp. */
void tu_rmtree(const char *dir);
/* Write a whole file with the given mode. Returns 0 or -errno. */
int tu_write_file(const char *path, const void *data, size_t n, mode_t mode);
/* Read a whole file (at most cap bytes). Returns its length or -errno. */
ssize_t tu_read_file(const char *path, void *buf, size_t cap);

/*
 * The finding writer's put for the tests: the line (and a newline) to the FILE * in arg, as
 * the writer itself would write it, and the finding in every other format through
 * tu_format_sample. Fixtures that build findings set it, so every finding a unit test makes
 * is converted too.
 */
int tu_sample_put(void *arg, const char *line, size_t len, const char *event_id, bool alert);
/*
 * Convert one ECS finding to OCSF (a failure or invalid JSON fails the test) and, when
 * CW_FORMAT_SAMPLES names a directory, write both there as N.ecs.json and N.ocsf.json for
 * tests/e2e/test_formats.py to check against the ECS and OCSF schemas.
 */
void tu_format_sample(const char *ecs, size_t len);

/* memmem that reports whether needle (n bytes, n > 0) occurs in hay. */
int tu_contains(const void *hay, size_t hlen, const void *needle, size_t n);

#endif
