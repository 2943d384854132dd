/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A minimal unit test harness. Each TEST() registers itself; CHECK* record a failure and let
 * the test go on; REQUIRE* end the test. main() (in main.c) runs them all and prints the
 * "N passed, N failed" line the CI reads.
 */
#ifndef CW_TEST_H
#define CW_TEST_H

#include <stdio.h>
#include <string.h>

struct cw_test {
	const char *name;
	void (*fn)(void);
	struct cw_test *next;
};

void cw_test_register(struct cw_test *t);
void cw_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern int cw_test_failed; /* set when the current test failed */

#define TEST(name_)                                                        \
	static void name_(void);                                           \
	static struct cw_test cw_test_##name_ = { #name_, name_, NULL };   \
	__attribute__((constructor)) static void cw_test_reg_##name_(void) \
	{                                                                  \
		cw_test_register(&cw_test_##name_);                        \
	}                                                                  \
	static void name_(void)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			cw_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define REQUIRE(cond)                                                           \
	do {                                                                    \
		if (!(cond)) {                                                  \
			cw_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond); \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                     \
	do {                                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);                            \
		if (a_ != b_)                                                                  \
			cw_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, \
				     b_);                                                      \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                     \
	do {                                                                                   \
		const char *a_ = (a), *b_ = (b);                                               \
		if (!a_ || !b_ || strcmp(a_, b_))                                              \
			cw_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				     a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                  \
	do {                                                                         \
		const char *h_ = (hay), *n_ = (needle);                              \
		if (!h_ || !strstr(h_, n_))                                          \
			cw_test_fail(__FILE__, __LINE__, "\"%s\" not in \"%s\"", n_, \
				     h_ ? h_ : "(null)");                            \
	} while (0)

#endif
