// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The placeholder filter (see placeholder.h): markers, masks, runs, sequences, templates and
 * values that spell "password".
 */
#include <ctype.h>
#include <string.h>

#include "detect/placeholder.h"

/* Substrings (matched case-insensitively) that no generated secret contains by chance. */
static const char *const markers[] = {
	"${",	     "{{",	  "}}",		  "%(",		 "$(",	      "<",
	">",	     "****",	  "example",	  "placeholder", "your_",     "your-",
	"yourkey",   "yourtoken", "yoursecret",	  "changeme",	 "change_me", "replace_me",
	"replaceme", "redacted",  "dummy",	  "12345678",	 "abcdefgh",  "a1b2c3",
	"1a2b3c",    "...",	  "\xe2\x80\xa6", /* "…": an elided value */
};

/*
 * A run of one character: xxxxxx, ------, 00000000. Six in a value of a large alphabet or a
 * short one; eight in a hex value of 16 digits or more, where six come by chance once in some
 * 40 000 random 32-digit values (a real token would be dropped that often), eight once in
 * some ten million.
 */
static bool long_run(const char *s, size_t n)
{
	size_t run = 1, need = 6;
	bool hex = true;

	for (size_t i = 0; i < n && hex; i++)
		hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F');
	if (hex && n >= 16)
		need = 8;
	for (size_t i = 1; i < n; i++) {
		run = s[i] == s[i - 1] ? run + 1 : 1;
		if (run >= need)
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

/* An environment reference standing alone: $TOKEN, %TOKEN% */
static bool env_reference(const char *s, size_t n)
{
	size_t i = 1;

	if (n < 2 || !(s[0] == '$' || (s[0] == '%' && s[n - 1] == '%')))
		return false;
	while (i < n &&
	       (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
		i++;
	return i == n || (s[0] == '%' && i == n - 1);
}

/*
 * A format-string field: {name}, {self.password}, {0}, {} (Python's format and f-strings, C#
 * and Rust interpolation). A generated secret has no braces.
 */
static bool format_field(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i + 1;

		if (s[i] != '{')
			continue;
		while (j < n && (isalnum((unsigned char)s[j]) || strchr("_.[]'\"", s[j])))
			j++;
		if (j < n && s[j] == '}')
			return true;
	}
	return false;
}

/* A character as a word spelled with the usual substitutions reads it: P@55w0rd. */
static char unleet(char c)
{
	c = (char)tolower((unsigned char)c);
	switch (c) {
	case '@':
	case '4': return 'a';
	case '5':
	case '$': return 's';
	case '0': return 'o';
	default: return c;
	}
}

static bool spells_at(const char *s, size_t n, size_t i, const char *word)
{
	size_t m = strlen(word);

	if (i + m > n)
		return false;
	for (size_t k = 0; k < m; k++)
		if (unleet(s[i + k]) != word[k])
			return false;
	return true;
}

/*
 * The value spells "password" or "passwd", also as P@55w0rd: a value that names itself
 * (password1, no-password-required, my-db-password) stands in for one.
 */
static bool spells_password(const char *s, size_t n)
{
	for (size_t i = 0; i + 6 <= n; i++)
		if (spells_at(s, n, i, "passwd") || spells_at(s, n, i, "password"))
			return true;
	return false;
}

static bool ascending(unsigned char a, unsigned char b)
{
	a = (unsigned char)tolower(a);
	b = (unsigned char)tolower(b);
	return b == a + 1 && ((isdigit(a) && isdigit(b)) || (islower(a) && islower(b)));
}

/*
 * Made up by counting: abcd1234defg5678, a1b2c3d4567890ab, a123b45c6d78e9f0. Half or more of
 * the characters are followed, next or one after, by their successor; random hex of 12
 * characters does that about 3 times in 10000, longer or wider alphabets less.
 */
static bool counted_sequence(const char *s, size_t n)
{
	size_t hits = 0;

	if (n < 12)
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		hits += ascending((unsigned char)s[i], (unsigned char)s[i + 1]) ||
			(i + 2 < n && ascending((unsigned char)s[i], (unsigned char)s[i + 2]));
	return hits * 2 >= n - 1;
}

bool cw_is_placeholder(const char *s, size_t n)
{
	if (long_run(s, n) || env_reference(s, n) || format_field(s, n) || spells_password(s, n) ||
	    counted_sequence(s, n))
		return true;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (contains_ci(s, n, markers[i]))
			return true;
	return false;
}
