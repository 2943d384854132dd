// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Path glob matching (path_glob.h): components against components, '**' standing for any
 * number of them, each component matched character by character.
 */
#include <stdbool.h>
#include <string.h>

#include "judge/path_glob.h"

/* The ']' closing the class opened at q ('['), or NULL when it is not closed before e. */
static const char *class_end(const char *q, const char *e)
{
	const char *p = q + 1;

	if (p < e && (*p == '!' || *p == '^'))
		p++;
	if (p < e && *p == ']')
		p++;
	while (p < e && *p != ']') {
		if (*p == '\\' && p + 1 < e)
			p++;
		p++;
	}
	return p < e ? p : NULL;
}

/* Does the pattern element at *pp (not '*') match c? Moves *pp past the element. */
static bool elem_match(const char **pp, const char *pe, char c)
{
	const char *p = *pp, *end;

	if (*p == '?') {
		*pp = p + 1;
		return true;
	}
	if (*p == '[' && (end = class_end(p, pe))) {
		const unsigned char uc = (unsigned char)c;
		const char *q = p + 1;
		bool neg = false, hit = false;

		if (*q == '!' || *q == '^') {
			neg = true;
			q++;
		}
		/* a ']' first in the class is a member (class_end stepped over it too) */
		while (q < end) {
			unsigned char lo, hi;

			if (*q == '\\' && q + 1 < end)
				q++;
			lo = hi = (unsigned char)*q++;
			if (q + 1 < end && *q == '-') {
				q++;
				if (*q == '\\' && q + 1 < end)
					q++;
				hi = (unsigned char)*q++;
			}
			if (uc >= lo && uc <= hi)
				hit = true;
		}
		*pp = end + 1;
		return hit != neg;
	}
	/* an unclosed '[' is itself */
	if (*p == '\\' && p + 1 < pe) {
		*pp = p + 2;
		return p[1] == c;
	}
	*pp = p + 1;
	return *p == c;
}

/* One component: pattern [p, pe) against [s, se). '*' backtracks to the latest star only,
 * which is enough since every other element takes exactly one character. */
static bool comp_match(const char *p, const char *pe, const char *s, const char *se)
{
	const char *star_p = NULL, *star_s = NULL;

	while (s < se) {
		if (p < pe && *p == '*') {
			while (p < pe && *p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (p < pe) {
			const char *np = p;

			if (elem_match(&np, pe, *s)) {
				p = np;
				s++;
				continue;
			}
		}
		if (!star_p)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

static bool is_dstar(const char *c, const char *e)
{
	return e - c == 2 && c[0] == '*' && c[1] == '*';
}

/* The component after the one starting at c, or NULL after the last. */
static const char *next_comp(const char *c)
{
	const char *e = strchrnul(c, '/');

	return *e ? e + 1 : NULL;
}

/*
 * Components of glob g against components of path s (neither with a leading '/'). '**' is
 * to components what '*' is to characters, so the same single-backtrack scheme applies.
 */
static bool comps_match(const char *g, const char *s)
{
	const char *star_g = NULL, *star_s = NULL;

	while (s) {
		const char *se = strchrnul(s, '/');

		if (g) {
			const char *ge = strchrnul(g, '/');

			if (is_dstar(g, ge)) {
				if (!*ge)
					return true; /* a final '**' takes the rest, >= 1 */
				g = star_g = ge + 1;
				star_s = s;
				continue;
			}
			if (comp_match(g, ge, s, se)) {
				g = *ge ? ge + 1 : NULL;
				s = *se ? se + 1 : NULL;
				continue;
			}
		}
		if (!star_g || !(star_s = next_comp(star_s)))
			return false;
		g = star_g;
		s = star_s;
	}
	return !g;
}

bool cw_path_glob_match(const char *glob, const char *path)
{
	const char *rel;

	if (!glob || !path || !*glob || !*path)
		return false;
	if (glob[0] == '/')
		return path[0] == '/' && comps_match(glob + 1, path + 1);
	rel = strncmp(glob, "~/", 2) ? glob : glob + 2;
	/* below any directory: the whole (relative) path, or any part after a '/' */
	if (path[0] != '/' && comps_match(rel, path))
		return true;
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/'))
		if (s[1] && comps_match(rel, s + 1))
			return true;
	return false;
}

const char *cw_path_glob_problem(const char *g)
{
	const char *c;

	if (!*g)
		return "empty glob";
	c = g[0] == '/' ? g + 1 : strncmp(g, "~/", 2) ? g : g + 2;
	if (!*c)
		return "the glob names no file";
	for (;;) {
		const char *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if (n == 0)
			return *e ? "empty path component ('//')"
				  : "ends with '/' (for every file below DIR, write 'DIR/**')";
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return "'.' or '..' component (paths are matched after cleaning them)";
		for (const char *q = c; q < e; q++) {
			if (*q == '\\' && ++q == e)
				return "'\\' at the end of a component";
			if (*q == '[') {
				if (!(q = class_end(q, e)))
					return "unclosed '['";
			}
		}
		if (!*e)
			return NULL;
		c = e + 1;
	}
}
