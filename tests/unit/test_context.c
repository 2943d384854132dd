// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* detect/context: the name a value is assigned to, the encoded run a token sits in. */
#include <string.h>

#include "detect/context.h"
#include "test.h"

TEST(context_key_names_compare_normalized_and_by_their_end)
{
	char *names[] = { "nexttoken", "pagetoken", "csrftoken", "=verificationtoken" };
	struct cw_strv v = { .v = names, .n = 4 };
	static const char *const yes[] = { "NextToken",		"next_token",
					   "--next-token",	"\"NextToken\"",
					   "nextPageToken",	"next_page_token",
					   "X-CSRF-Token",	"csrf_token",
					   "VerificationToken", "verification_token" };
	static const char *const no[] = { "token",
					  "api_token",
					  "GITHUB_TOKEN",
					  "nexttokens",
					  "ChangeToken",
					  "",
					  "SLACK_VERIFICATION_TOKEN" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!cw_key_listed(&v, yes[i], strlen(yes[i])))
			cw_test_fail(__FILE__, __LINE__, "not listed: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cw_key_listed(&v, no[i], strlen(no[i])))
			cw_test_fail(__FILE__, __LINE__, "wrongly listed: %s", no[i]);
}

/* buf holds a token starting at the first "fw_" */
static bool in_run(const char *buf)
{
	return cw_in_encoded_run(buf, (size_t)(strstr(buf, "fw_") - buf));
}

TEST(context_provider_prefix_inside_an_encoded_run)
{
	static const char *const yes[] = {
		"version.py,sha256=qaN-fw_hAbc",     /* glued to mixed-case base64url */
		"x=Zq9/Rt+Ab3dEf5hIj7L/m9+fw_hAbc",  /* base64 */
		"\"integrity\": \"sha512-fw_hAbc\"", /* SRI: the label is the run's first word */
		"sha256=fw_hAbc",		     /* a digest that begins with the prefix */
		"d: data:image/png;base64,fw_hAbc",  /* a data URI */
		"sum md5:fw_hAbc",
	};
	static const char *const no[] = {
		"FIREWORKS_API_KEY=fw_hAbc",
		"--token fw_hAbc",
		"fw_hAbc",
		"path/to/fw_hAbc", /* a path of words */
		"my-fw_hAbc",	   /* a short word */
		"key: Ab-fw_hAbc", /* two letters are no run */
		"Token-fw_hAbc",   /* a word before a real token, mixed case or not */
		"MyApp/fw_hAbc",
		"AbCd-fw_hAbc",
		"token=fw_hAbc",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!in_run(yes[i]))
			cw_test_fail(__FILE__, __LINE__, "not inside a run: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (in_run(no[i]))
			cw_test_fail(__FILE__, __LINE__, "wrongly inside a run: %s", no[i]);
}

TEST(context_line_start)
{
	const char buf[] = "one\ntwo three\0four";

	CHECK_EQ_INT(cw_line_start(buf, 2, 100), 0);
	CHECK_EQ_INT(cw_line_start(buf, 8, 100), 4);
	CHECK_EQ_INT(cw_line_start(buf, 4, 100), 4);
	CHECK_EQ_INT(cw_line_start(buf, 16, 100), 14);
	CHECK_EQ_INT(cw_line_start(buf, 12, 3), 9); /* no further back than max */
}
