// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The placeholder filter (see placeholder.h): markers, masks, runs and sequences. */
#include <ctype.h>
#include <string.h>

#include "detect/placeholder.h"

/* Substrings (matched case-insensitively) that no generated secret contains by chance. */
static const char *const markers[] = {
	"${",	     "{{",	  "}}",		"%(",	       "$(",	    "<",
	">",	     "****",	  "example",	"placeholder", "your_",	    "your-",
	"yourkey",   "yourtoken", "yoursecret", "changeme",    "change_me", "replace_me",
	"replaceme", "redacted",  "dummy",	"12345678",    "abcdefgh",
};

/* A run of 6 or more of one character: xxxxxx, ------, 000000. */
static bool long_run(const char *s, size_t n)
{
	size_t run = 1;

	for (size_t i = 1; i < n; i++) {
		run = s[i] == s[i - 1] ? run + 1 : 1;
		if (run >= 6)
			return true;
	}
	return false;
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; i + m <= n; i++)
		if (!strncasecmp(s + i, needle, m))
			return true;
	return false;
}

bool cw_is_placeholder(const char *s, size_t n)
{
	if (long_run(s, n))
		return true;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (contains_ci(s, n, markers[i]))
			return true;
	/* An environment reference standing alone: $TOKEN, %TOKEN% */
	if (n > 1 && (s[0] == '$' || (s[0] == '%' && s[n - 1] == '%'))) {
		size_t i = 1;

		while (i < n && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
				 s[i] == '_'))
			i++;
		if (i == n || (s[0] == '%' && i == n - 1))
			return true;
	}
	return false;
}
