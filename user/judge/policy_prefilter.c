// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The kernel's cheap prefilter for the policy's watch list (policy.h): from each watch glob,
 * one literal the kernel can look for in an opened path (a basename, an extension, a
 * directory prefix or a directory component), so that it sends the agent a superset of the
 * watched opens.
 */
#include <stdbool.h>
#include <string.h>

#include "judge/policy.h"

static bool span_literal(const char *c, const char *e)
{
	for (; c < e; c++) {
		if (*c == '\\' && c + 1 < e)
			c++;
		else if (*c == '*' || *c == '?' || *c == '[')
			return false;
	}
	return true;
}

/* Append [c, e) without its escapes to out (of size len, holding *n bytes). */
static bool unescape(const char *c, const char *e, char *out, size_t len, size_t *n)
{
	for (; c < e; c++) {
		if (*c == '\\' && c + 1 < e)
			c++;
		if (*n + 1 >= len)
			return false;
		out[(*n)++] = *c;
	}
	out[*n] = '\0';
	return true;
}

/* The end of the literal directories at the start of rel, before base; NULL when the first
 * one is a wildcard. */
static const char *literal_dirs_end(const char *rel, const char *base)
{
	const char *lit_end = NULL;

	for (const char *c = rel; c < base; c = strchrnul(c, '/') + 1) {
		const char *e = strchrnul(c, '/');

		if (!span_literal(c, e))
			break;
		lit_end = e;
	}
	return lit_end;
}

/* rel (an absolute glob without its '/') up to lit_end, as "/a/b/". */
static enum cw_prefilter_kind dir_prefix(const char *rel, const char *lit_end, char *out,
					 size_t len)
{
	size_t n = 0;

	out[n++] = '/';
	if (!unescape(rel, lit_end, out, len, &n) || n + 2 > len)
		return CW_PF_NONE;
	out[n++] = '/';
	out[n] = '\0';
	return CW_PF_DIR;
}

/* A literal directory component of rel before base: the last one before the first wildcard
 * component, or failing that, the first one after it. */
static enum cw_prefilter_kind dir_component(const char *rel, const char *base, char *out,
					    size_t len)
{
	const char *comp = NULL, *comp_e = NULL;
	bool wild_seen = false;
	size_t n = 0;

	for (const char *c = rel; c < base; c = strchrnul(c, '/') + 1) {
		const char *e = strchrnul(c, '/');

		if (!span_literal(c, e)) {
			wild_seen = true;
		} else if (!comp || !wild_seen) {
			comp = c;
			comp_e = e;
		}
	}
	if (!comp)
		return CW_PF_NONE;
	return unescape(comp, comp_e, out, len, &n) ? CW_PF_COMP : CW_PF_NONE;
}

enum cw_prefilter_kind cw_prefilter_entry(const char *g, char *out, size_t len)
{
	bool abs = g[0] == '/';
	const char *rel = abs ? g + 1 : strncmp(g, "~/", 2) ? g : g + 2;
	const char *base = strrchr(rel, '/'), *be, *lit_end;
	size_t n = 0;

	base = base ? base + 1 : rel;
	be = base + strlen(base);
	if (!*base)
		return CW_PF_NONE;
	if (span_literal(base, be))
		return unescape(base, be, out, len, &n) ? CW_PF_NAME : CW_PF_NONE;
	if (base[0] == '*' && base[1] == '.' && base[2] && !strchr(base + 2, '.') &&
	    span_literal(base + 1, be))
		return unescape(base + 1, be, out, len, &n) ? CW_PF_EXT : CW_PF_NONE;
	if (abs && (lit_end = literal_dirs_end(rel, base)))
		return dir_prefix(rel, lit_end, out, len);
	return dir_component(rel, base, out, len);
}

void cw_prefilter_free(struct cw_prefilter *pf)
{
	cw_strv_free(&pf->names);
	cw_strv_free(&pf->exts);
	cw_strv_free(&pf->dirs);
	cw_strv_free(&pf->comps);
}

/* A directory below another listed one adds nothing. */
static void drop_covered_dirs(struct cw_strv *dirs)
{
	for (size_t i = 0; i < dirs->n;) {
		bool covered = false;

		for (size_t k = 0; k < dirs->n && !covered; k++)
			covered = k != i && !strncmp(dirs->v[i], dirs->v[k], strlen(dirs->v[k]));
		if (covered)
			cw_strv_drop(dirs, i);
		else
			i++;
	}
}

/* Nor does a name whose extension is listed. */
static void drop_names_of_listed_exts(struct cw_strv *names, const struct cw_strv *exts)
{
	for (size_t i = 0; i < names->n;) {
		const char *dot = strrchr(names->v[i], '.');

		if (dot && cw_strv_has(exts, dot))
			cw_strv_drop(names, i);
		else
			i++;
	}
}

int cw_policy_prefilter(const struct cw_policy *p, struct cw_prefilter *out)
{
	char buf[CW_POLICY_PATH_MAX];
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < p->watch.n && !ret; i++) {
		const char *g = p->watch.v[i];
		struct cw_strv *to;

		if (g[0] == '!')
			continue; /* exclusions cannot narrow a superset */
		switch (cw_prefilter_entry(g, buf, sizeof(buf))) {
		case CW_PF_NAME: to = &out->names; break;
		case CW_PF_EXT: to = &out->exts; break;
		case CW_PF_DIR: to = &out->dirs; break;
		case CW_PF_COMP: to = &out->comps; break;
		default: continue; /* the loader refuses such globs */
		}
		if (!cw_strv_has(to, buf))
			ret = cw_strv_push(to, buf);
	}
	if (ret) {
		cw_prefilter_free(out);
		return ret;
	}
	drop_covered_dirs(&out->dirs);
	drop_names_of_listed_exts(&out->names, &out->exts);
	return 0;
}
