// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Redaction: how much of a secret shows, at every length. */
#include <stdlib.h>

#include "detect/redact.h"
#include "test.h"
#include "testutil.h"

TEST(redact_long_secret_shows_four_each_end)
{
	char out[CW_REDACT_MAX], want[CW_REDACT_MAX];
	char *s = tu_github_token();

	REQUIRE(strlen(s) == 40);
	cw_redact(s, strlen(s), out);
	snprintf(want, sizeof(want), "%.4s****%.4s", s, s + 36);
	CHECK_EQ_STR(out, want);
	CHECK(!strncmp(out, "ghp_****", 8));
	free(s);
}

/* Bytes of the secret shown at each end for a secret of len bytes. */
static size_t expect_shown(size_t len)
{
	return len >= 24 ? 4 : len >= 12 ? 2 : 0;
}

TEST(redact_lengths_show_at_most_eight_bytes_and_a_third)
{
	static const size_t lens[] = { 0, 5, 11, 12, 23, 24, 40 };
	static const char *const want_shape[] = {
		"****", "****", "****", "aa****bb", "aa****bb", "aaaa****bbbb", "aaaa****bbbb",
	};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], k = expect_shown(len);
		char secret[64], out[CW_REDACT_MAX], want[CW_REDACT_MAX];
		char *rnd = tu_secret("%{alnum:64}");

		memcpy(secret, rnd, sizeof(secret));
		free(rnd);
		cw_redact(secret, len, out);
		snprintf(want, sizeof(want), "%.*s****%.*s", (int)k, secret, (int)k,
			 secret + len - k);
		CHECK_EQ_STR(out, want);
		CHECK_EQ_INT(strlen(out), strlen(want_shape[i]));
		CHECK(2 * k <= 8);
		CHECK(3 * 2 * k <= len);
	}
}

TEST(redact_never_more_than_eight_bytes_nor_a_third_any_length)
{
	char secret[300], out[CW_REDACT_MAX];

	memset(secret, 0, sizeof(secret));
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (char)('A' + i % 26);
	for (size_t len = 0; len <= sizeof(secret); len++) {
		size_t shown, olen;

		memset(out, 0x55, sizeof(out));
		cw_redact(secret, len, out);
		olen = strnlen(out, sizeof(out));
		if (olen >= sizeof(out)) {
			cw_test_fail(__FILE__, __LINE__, "len %zu: not terminated", len);
			continue;
		}
		shown = olen >= 4 ? olen - 4 : 0;
		if (!strstr(out, "****") || shown > 8 || 3 * shown > len)
			cw_test_fail(__FILE__, __LINE__, "len %zu: \"%s\" shows %zu bytes", len,
				     out, shown);
		CHECK_EQ_INT(shown, 2 * expect_shown(len));
	}
}

TEST(redact_non_printable_bytes_become_question_marks)
{
	/* 24 bytes: four shown at each end */
	static const char secret[24] = "\x01\n\x7f\x80"
				       "abcdefghijklmnop"
				       "\xff \t";
	char out[CW_REDACT_MAX];
	char s2[12];

	cw_redact(secret, sizeof(secret), out); /* the last byte is the NUL */
	CHECK_EQ_STR(out, "????****????");
	memcpy(s2,
	       "\x1b"
	       "A234567890"
	       "\xc3",
	       12);
	cw_redact(s2, 12, out);
	CHECK_EQ_STR(out, "?A****0?");
	/* '*', '"' and '\\' are printable: kept as they are */
	cw_redact("*\"\\abcdefghijklmnopqr\\\"*", 24, out);
	CHECK_EQ_STR(out, "*\"\\a****r\\\"*");
}
