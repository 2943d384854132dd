// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Rules loader. A malformed file is an error that names the file, the line and the problem;
 * nothing is half-loaded: the caller gets either every rule of the file or an error.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "util/grow.h"
#include "detect/rules.h"
#include "util/yaml_reader.h"
#include "detect/validate.h"

struct loader {
	struct cw_yaml y;
};

#define fail(l, ...) cw_yaml_fail(&(l)->y, __VA_ARGS__)
#define next(l) cw_yaml_next(&(l)->y)
#define line_of(l) cw_yaml_line(&(l)->y)
#define scalar(l) cw_yaml_scalar(&(l)->y)

static void rule_free(struct cw_rule *r)
{
	free(r->id);
	free(r->name);
	free(r->pattern);
	free(r->kind);
	free(r->provider);
	free(r->file);
	cw_strv_free(&r->keywords);
	cw_strv_free(&r->destinations);
	cw_strv_free(&r->examples);
	cw_strv_free(&r->negative_examples);
	memset(r, 0, sizeof(*r));
}

static int want_scalar(struct loader *l, const char *field, char **out)
{
	int ret = next(l);

	if (ret)
		return ret;
	if (l->y.ev.type != YAML_SCALAR_EVENT)
		return fail(l, line_of(l), "field '%s' must be a string", field);
	if (*out)
		return fail(l, line_of(l), "field '%s' given twice", field);
	*out = strdup(scalar(l));
	return *out ? 0 : -ENOMEM;
}

/* A list of strings; a single scalar is accepted as a list of one. */
static int want_strv(struct loader *l, const char *field, struct cw_strv *out)
{
	int ret = next(l);

	if (ret)
		return ret;
	if (out->n)
		return fail(l, line_of(l), "field '%s' given twice", field);
	if (l->y.ev.type == YAML_SCALAR_EVENT) {
		return cw_strv_push(out, scalar(l));
	}
	if (l->y.ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(l, line_of(l), "field '%s' must be a list of strings", field);
	for (;;) {
		ret = next(l);
		if (ret)
			return ret;
		if (l->y.ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (l->y.ev.type != YAML_SCALAR_EVENT)
			return fail(l, line_of(l), "field '%s' must be a list of strings", field);
		if ((ret = cw_strv_push(out, scalar(l))))
			return ret;
	}
}

static int want_number(struct loader *l, const char *field, double lo, double hi, double *out)
{
	char *end;
	int ret = next(l);

	if (ret)
		return ret;
	if (l->y.ev.type != YAML_SCALAR_EVENT)
		return fail(l, line_of(l), "field '%s' must be a number", field);
	errno = 0;
	*out = strtod(scalar(l), &end);
	if (errno || end == scalar(l) || *end || isnan(*out))
		return fail(l, line_of(l), "field '%s': '%s' is not a number", field, scalar(l));
	if (*out < lo || *out > hi)
		return fail(l, line_of(l), "field '%s': %s is out of range [%g, %g]", field,
			    scalar(l), lo, hi);
	return 0;
}

static bool valid_id(const char *id)
{
	if (!*id)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

static int parse_rule(struct loader *l, struct cw_ruleset *rs, struct cw_rule *r)
{
	size_t start = line_of(l), kline, nseen = 0;
	char key[64], *tmp = NULL, seen[32][64];
	double num;
	int ret;

	r->priority = CW_RULE_DEFAULT_PRIORITY;
	r->line = (int)start + 1;
	if (!(r->file = strdup(l->y.file)))
		return -ENOMEM;
	for (;;) {
		ret = next(l);
		if (ret)
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (l->y.ev.type != YAML_SCALAR_EVENT)
			return fail(l, line_of(l), "expected a field name");
		snprintf(key, sizeof(key), "%s", scalar(l));
		kline = line_of(l);
		for (size_t i = 0; i < nseen; i++)
			if (!strcmp(seen[i], key))
				return fail(l, kline, "field '%s' given twice", key);
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
		if (!strcmp(key, "id")) {
			ret = want_scalar(l, key, &r->id);
		} else if (!strcmp(key, "name")) {
			ret = want_scalar(l, key, &r->name);
		} else if (!strcmp(key, "pattern")) {
			ret = want_scalar(l, key, &r->pattern);
		} else if (!strcmp(key, "kind")) {
			ret = want_scalar(l, key, &r->kind);
		} else if (!strcmp(key, "provider")) {
			ret = want_scalar(l, key, &r->provider);
		} else if (!strcmp(key, "keywords")) {
			ret = want_strv(l, key, &r->keywords);
		} else if (!strcmp(key, "destinations")) {
			ret = want_strv(l, key, &r->destinations);
		} else if (!strcmp(key, "examples")) {
			ret = want_strv(l, key, &r->examples);
		} else if (!strcmp(key, "negative_examples")) {
			ret = want_strv(l, key, &r->negative_examples);
		} else if (!strcmp(key, "entropy")) {
			ret = want_number(l, key, 0, 8, &r->entropy);
		} else if (!strcmp(key, "priority")) {
			ret = want_number(l, key, 0, 100, &num);
			r->priority = (int)num;
		} else if (!strcmp(key, "lifetime")) {
			ret = want_scalar(l, key, &tmp);
			if (!ret) {
				if (!strcmp(tmp, "long-lived"))
					r->lifetime = CW_LIFETIME_LONG;
				else if (!strcmp(tmp, "short-lived"))
					r->lifetime = CW_LIFETIME_SHORT;
				else if (!strcmp(tmp, "unknown"))
					r->lifetime = CW_LIFETIME_UNKNOWN;
				else
					ret = fail(l, kline,
						   "field 'lifetime': '%s' is not one of "
						   "long-lived, short-lived, unknown",
						   tmp);
			}
			free(tmp);
			tmp = NULL;
		} else if (!strcmp(key, "validate")) {
			ret = want_scalar(l, key, &tmp);
			if (!ret && (r->validate = cw_validator_lookup(tmp)) < 0)
				ret = fail(l, kline, "field 'validate': unknown validator '%s'",
					   tmp);
			free(tmp);
			tmp = NULL;
		} else if (!strcmp(key, "on_invalid")) {
			ret = want_scalar(l, key, &tmp);
			if (!ret && !strcmp(tmp, "demote"))
				r->demote_invalid = true;
			else if (!ret && strcmp(tmp, "drop"))
				ret = fail(l, kline,
					   "field 'on_invalid': '%s' is not drop or demote", tmp);
			free(tmp);
			tmp = NULL;
		} else if (!strcmp(key, "placeholder_filter")) {
			ret = want_scalar(l, key, &tmp);
			if (!ret && !strcmp(tmp, "false"))
				r->no_placeholder = true;
			else if (!ret && strcmp(tmp, "true"))
				ret = fail(l, kline,
					   "field 'placeholder_filter': '%s' is not true or "
					   "false",
					   tmp);
			free(tmp);
			tmp = NULL;
		} else if (!strcmp(key, "description")) {
			ret = want_scalar(l, key, &tmp);
			free(tmp);
			tmp = NULL;
		} else {
			return fail(l, kline, "unknown field '%s'", key);
		}
		if (ret)
			return ret;
		for (size_t k = 0; k < r->keywords.n; k++)
			if (!*r->keywords.v[k])
				return fail(l, kline, "field 'keywords': empty keyword");
	}
	if (!r->id)
		return fail(l, start, "rule has no 'id'");
	if (!valid_id(r->id))
		return fail(l, start, "rule id '%s': use only a-z, 0-9, '-' and '_'", r->id);
	if (!r->name)
		return fail(l, start, "rule '%s' has no 'name'", r->id);
	if (!r->pattern || !*r->pattern)
		return fail(l, start, "rule '%s' has no 'pattern'", r->id);
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i].id, r->id))
			return fail(l, start, "duplicate rule id '%s' (first defined at %s:%d)",
				    r->id, rs->rules[i].file, rs->rules[i].line);
	if (!r->kind && !(r->kind = strdup(r->id)))
		return -ENOMEM;
	return 0;
}

static int push_rule(struct cw_ruleset *rs, struct cw_rule *r)
{
	int ret = cw_grow((void **)&rs->rules, &rs->cap, rs->n + 1, sizeof(*rs->rules));

	if (!ret)
		rs->rules[rs->n++] = *r;
	return ret;
}

static int parse_doc(struct loader *l, struct cw_ruleset *rs)
{
	bool seen_rules = false;
	int ret;

	while (!(ret = next(l))) {
		switch (l->y.ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT: continue;
		case YAML_STREAM_END_EVENT:
			if (!seen_rules)
				return fail(l, line_of(l), "no top-level 'rules:' list");
			return 0;
		case YAML_MAPPING_START_EVENT: break;
		default: return fail(l, line_of(l), "expected a mapping with a 'rules:' list");
		}
		/* Top-level mapping: only "rules". */
		while (!(ret = next(l)) && l->y.ev.type != YAML_MAPPING_END_EVENT) {
			if (l->y.ev.type != YAML_SCALAR_EVENT || strcmp(scalar(l), "rules"))
				return fail(l, line_of(l), "unknown top-level field '%s'",
					    l->y.ev.type == YAML_SCALAR_EVENT ? scalar(l) : "?");
			seen_rules = true;
			if ((ret = next(l)))
				return ret;
			if (l->y.ev.type != YAML_SEQUENCE_START_EVENT)
				return fail(l, line_of(l), "'rules' must be a list of rules");
			while (!(ret = next(l)) && l->y.ev.type != YAML_SEQUENCE_END_EVENT) {
				struct cw_rule r = { 0 };

				if (l->y.ev.type != YAML_MAPPING_START_EVENT)
					return fail(l, line_of(l), "each rule must be a mapping");
				ret = parse_rule(l, rs, &r);
				if (!ret)
					ret = push_rule(rs, &r);
				if (ret) {
					rule_free(&r);
					return ret;
				}
			}
			if (ret)
				return ret;
		}
		if (ret)
			return ret;
	}
	return ret;
}

int cw_rules_load_buf(struct cw_ruleset *rs, const char *file, const char *buf, size_t len,
		      char *err, size_t errlen)
{
	struct loader l = { .y = { .file = file, .err = err, .errlen = errlen } };
	size_t first = rs->n;
	int ret;

	if (!yaml_parser_initialize(&l.y.p)) {
		snprintf(err, errlen, "%s: cannot initialize YAML parser", file);
		return -ENOMEM;
	}
	/* Syntax first: a YAML error is the problem to report even where it makes an earlier
	 * rule look incomplete (a mis-indented field ends the rule's mapping early). */
	yaml_parser_set_input_string(&l.y.p, (const unsigned char *)buf, len);
	do {
		ret = next(&l);
	} while (!ret && l.y.ev.type != YAML_STREAM_END_EVENT);
	if (l.y.have_ev)
		yaml_event_delete(&l.y.ev);
	l.y.have_ev = false;
	yaml_parser_delete(&l.y.p);
	if (!ret && !yaml_parser_initialize(&l.y.p))
		ret = -ENOMEM;
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", file);
		return ret;
	}
	yaml_parser_set_input_string(&l.y.p, (const unsigned char *)buf, len);
	ret = parse_doc(&l, rs);
	if (l.y.have_ev)
		yaml_event_delete(&l.y.ev);
	yaml_parser_delete(&l.y.p);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", file);
		/* All or nothing: drop what this file added. */
		while (rs->n > first)
			rule_free(&rs->rules[--rs->n]);
	}
	return ret;
}

int cw_rules_load_file(struct cw_ruleset *rs, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	do {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	ret = cw_rules_load_buf(rs, path, buf, len, err, errlen);
	free(buf);
	return ret;
}

static int yaml_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	if (d->d_name[0] == '.')
		return 0;
	return (n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(d->d_name + n - 4, ".yml"));
}

int cw_rules_load_dir(struct cw_ruleset *rs, const char *dir, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char path[4096];
	int n, i, ret = 0;
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISREG(st.st_mode))
		return cw_rules_load_file(rs, dir, err, errlen);
	n = scandir(dir, &names, yaml_name, alphasort);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no *.yaml rule files", dir);
		ret = -ENOENT;
	}
	for (i = 0; i < n; i++) {
		if (!ret) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			ret = cw_rules_load_file(rs, path, err, errlen);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int cw_rules_load_embedded(struct cw_ruleset *rs, char *err, size_t errlen)
{
	for (size_t i = 0; i < cw_embedded_rules_count; i++) {
		const struct cw_embedded_file *f = &cw_embedded_rules[i];
		int ret = cw_rules_load_buf(rs, f->name, f->data, f->len, err, errlen);

		if (ret)
			return ret;
	}
	return 0;
}

int cw_rules_load_default(struct cw_ruleset *rs, const char *dir, char *err, size_t errlen)
{
	return dir ? cw_rules_load_dir(rs, dir, err, errlen)
		   : cw_rules_load_embedded(rs, err, errlen);
}

void cw_rules_free(struct cw_ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}

const char *cw_lifetime_name(enum cw_lifetime l)
{
	switch (l) {
	case CW_LIFETIME_LONG: return "long-lived";
	case CW_LIFETIME_SHORT: return "short-lived";
	default: return "unknown";
	}
}
