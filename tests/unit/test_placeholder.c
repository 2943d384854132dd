// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* detect/placeholder: values that only look like secrets. */
#include "detect/placeholder.h"
#include "test.h"

TEST(placeholder_filter)
{
	static const char *const yes[] = {
		"${GITHUB_TOKEN}",	"{{ .Values.token }}",
		"<your-api-key>",	"%(password)s",
		"$(cat /run/secret)",	"xxxxxxxxxxxxxxxx",
		"AKIAIOSFODNN7EXAMPLE", "sk_live_****abcd",
		"your_token_here",	"changeme",
		"REPLACE_ME_PLEASE",	"$API_TOKEN",
		"%API_TOKEN%",		"aaaaaa",
		"1234567890ab",		"abcdefghijkl",
		"dummy-secret-value",
	};
	static const char *const no[] = {
		"Xk29fLq0ZpW8vN3sTb7Y", "9f86d081884c7d659a2f", "hunter2-Correct-Horse",
		"$2y$10$abcXYZ",	"p4ss$Word!",		"aaaaabbbbbccccc",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!cw_is_placeholder(yes[i], strlen(yes[i])))
			cw_test_fail(__FILE__, __LINE__, "not a placeholder: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cw_is_placeholder(no[i], strlen(no[i])))
			cw_test_fail(__FILE__, __LINE__, "wrongly a placeholder: %s", no[i]);
}
