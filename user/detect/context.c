// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Key names and encoded runs around a match (see context.h). */
#include <ctype.h>
#include <string.h>

#include "detect/context.h"

#define KEY_MAX 128	 /* longer names are compared by their last KEY_MAX letters and digits */
#define RUN_LOOKBACK 512 /* how far back an encoded run is followed */

bool cw_key_listed(const struct cw_strv *names, const char *key, size_t n)
{
	char norm[KEY_MAX];
	size_t k = 0;

	for (size_t i = n; i-- > 0 && k < sizeof(norm);)
		if (isalnum((unsigned char)key[i]))
			norm[sizeof(norm) - ++k] = (char)tolower((unsigned char)key[i]);
	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->v[i];
		bool whole =
			name[0] == '='; /* "=verificationtoken": not SLACK_VERIFICATION_TOKEN */
		size_t m = strlen(name += whole);

		if (m && m <= k && (!whole || m == k) && !memcmp(norm + sizeof(norm) - m, name, m))
			return true;
	}
	return false;
}

static bool b64_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '/' || c == '-' || c == '_';
}

/* The word before buf[end] names a digest or an encoding: sha256, sha512, md5, base64, h1. */
static bool encoding_label(const char *buf, size_t end)
{
	static const char *const labels[] = { "sha1",	"sha224", "sha256", "sha384",
					      "sha512", "md5",	  "base64", "h1" };
	size_t start = end;

	while (start > 0 && isalnum((unsigned char)buf[start - 1]))
		start--;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (end - start == strlen(labels[i]) &&
		    !strncasecmp(buf + start, labels[i], end - start))
			return true;
	return false;
}

static bool mixed_case(const char *s, size_t n)
{
	bool upper = false, lower = false;

	for (size_t i = 0; i < n; i++) {
		upper |= isupper((unsigned char)s[i]) != 0;
		lower |= islower((unsigned char)s[i]) != 0;
	}
	return upper && lower;
}

/* Characters of an encoded run before a glued prefix: a digest's, not a word's. */
#define GLUED_RUN_MIN 16

bool cw_in_encoded_run(const char *buf, size_t start)
{
	size_t run = start, floor = start > RUN_LOOKBACK ? start - RUN_LOOKBACK : 0;

	while (run > floor && b64_char(buf[run - 1]))
		run--;
	/* sha256=…, md5:…, base64,… before the run; sha512-… (SRI) as its first word */
	if (run > 0 && strchr("=:,", buf[run - 1]) && encoding_label(buf, run - 1))
		return true;
	for (size_t i = run; i < start; i++) {
		if (buf[i] == '-' && i > run && encoding_label(buf, i))
			return true;
		if (!isalnum((unsigned char)buf[i]))
			break;
	}
	/* glued: ...qaN-fw_... deep in a digest-long run, not x-fw_..., path/fw_... (a word, one
	 * case) or Token-ghp_..., MyApp/ghp_... (a short word before a real token) */
	return start - run >= GLUED_RUN_MIN && strchr("+/-_", buf[start - 1]) &&
	       isalnum((unsigned char)buf[start - 2]) && mixed_case(buf + run, start - run - 1);
}

size_t cw_line_start(const char *buf, size_t pos, size_t max)
{
	size_t floor = pos > max ? pos - max : 0, i = pos;

	while (i > floor && buf[i - 1] != '\n' && buf[i - 1] != '\0')
		i--;
	return i;
}
