// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Rules loader. A malformed file is an error that names the file, the line and the problem;
 * nothing is half-loaded: the caller gets either every rule of the file or an error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "detect/rules.h"
#include "detect/validate.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "util/yaml_reader.h"

struct loader {
	struct cw_yaml y;
	struct cw_ruleset *rs;
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
	cw_strv_free(&r->ignore_keys);
	cw_strv_free(&r->ignore_values);
	cw_strv_free(&r->ignore_lines);
	memset(r, 0, sizeof(*r));
}

/* A string field, kept in *out. */
static int want_string(struct loader *l, const char *field, char **out)
{
	const char *v;
	int ret = cw_yaml_want_string(&l->y, field, &v);

	if (ret)
		return ret;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
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

static int parse_lifetime(struct loader *l, struct cw_rule *r, size_t kline)
{
	const char *v;
	int ret = cw_yaml_want_string(&l->y, "lifetime", &v);

	if (ret)
		return ret;
	if (!strcmp(v, "long-lived"))
		r->lifetime = CW_LIFETIME_LONG;
	else if (!strcmp(v, "short-lived"))
		r->lifetime = CW_LIFETIME_SHORT;
	else if (!strcmp(v, "unknown"))
		r->lifetime = CW_LIFETIME_UNKNOWN;
	else
		return fail(l, kline,
			    "field 'lifetime': '%s' is not one of long-lived, short-lived, unknown",
			    v);
	return 0;
}

static int parse_validator(struct loader *l, struct cw_rule *r, size_t kline)
{
	const char *v;
	int ret = cw_yaml_want_string(&l->y, "validate", &v);

	if (ret)
		return ret;
	if ((r->validate = cw_validator_lookup(v)) < 0)
		return fail(l, kline, "field 'validate': unknown validator '%s'", v);
	return 0;
}

/* A field whose value is one of two words: *is_a tells which. */
static int parse_choice(struct loader *l, const char *field, size_t kline, const char *a,
			const char *b, bool *is_a)
{
	const char *v;
	int ret = cw_yaml_want_string(&l->y, field, &v);

	if (ret)
		return ret;
	if (strcmp(v, a) && strcmp(v, b))
		return fail(l, kline, "field '%s': '%s' is not %s or %s", field, v, a, b);
	*is_a = !strcmp(v, a);
	return 0;
}

static int parse_keywords(struct loader *l, struct cw_rule *r, size_t kline)
{
	int ret = cw_yaml_want_strv(&l->y, "keywords", &r->keywords, NULL);

	for (size_t k = 0; !ret && k < r->keywords.n; k++)
		if (!*r->keywords.v[k])
			return fail(l, kline, "field 'keywords': empty keyword");
	return ret;
}

/* Key names are compared normalized (detect/context.h): written so, or they never match. */
static int parse_ignore_keys(struct loader *l, struct cw_rule *r, size_t kline)
{
	int ret = cw_yaml_want_strv(&l->y, "ignore_keys", &r->ignore_keys, NULL);

	for (size_t k = 0; !ret && k < r->ignore_keys.n; k++) {
		const char *p = r->ignore_keys.v[k];

		if (*p == '=') /* the whole name only */
			p++;
		if (!*p)
			return fail(l, kline, "field 'ignore_keys': empty name");
		for (; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
				return fail(
					l, kline,
					"field 'ignore_keys': '%s': write names in a-z and 0-9 "
					"only (they are compared so), '=' first for a whole name",
					r->ignore_keys.v[k]);
	}
	return ret;
}

/* The value of the field key (at 0-based line kline) of rule r. */
static int parse_field(struct loader *l, struct cw_rule *r, const char *key, size_t kline)
{
	const char *text;
	double num;
	bool is_a;
	int ret;

	if (!strcmp(key, "id"))
		return want_string(l, key, &r->id);
	if (!strcmp(key, "name"))
		return want_string(l, key, &r->name);
	if (!strcmp(key, "pattern"))
		return want_string(l, key, &r->pattern);
	if (!strcmp(key, "kind"))
		return want_string(l, key, &r->kind);
	if (!strcmp(key, "provider"))
		return want_string(l, key, &r->provider);
	if (!strcmp(key, "keywords"))
		return parse_keywords(l, r, kline);
	if (!strcmp(key, "destinations"))
		return cw_yaml_want_strv(&l->y, key, &r->destinations, NULL);
	if (!strcmp(key, "examples"))
		return cw_yaml_want_strv(&l->y, key, &r->examples, NULL);
	if (!strcmp(key, "negative_examples"))
		return cw_yaml_want_strv(&l->y, key, &r->negative_examples, NULL);
	if (!strcmp(key, "ignore_keys"))
		return parse_ignore_keys(l, r, kline);
	if (!strcmp(key, "ignore_values"))
		return cw_yaml_want_strv(&l->y, key, &r->ignore_values, NULL);
	if (!strcmp(key, "ignore_lines"))
		return cw_yaml_want_strv(&l->y, key, &r->ignore_lines, NULL);
	if (!strcmp(key, "entropy"))
		return cw_yaml_want_number(&l->y, key, 0, 8, &r->entropy);
	if (!strcmp(key, "priority")) {
		ret = cw_yaml_want_number(&l->y, key, 0, 100, &num);
		if (!ret) /* out of range, num may not fit an int */
			r->priority = (int)num;
		return ret;
	}
	if (!strcmp(key, "lifetime"))
		return parse_lifetime(l, r, kline);
	if (!strcmp(key, "validate"))
		return parse_validator(l, r, kline);
	if (!strcmp(key, "on_invalid")) {
		ret = parse_choice(l, key, kline, "drop", "demote", &is_a);
		r->demote_invalid = !ret && !is_a;
		return ret;
	}
	if (!strcmp(key, "placeholder_filter")) {
		ret = parse_choice(l, key, kline, "true", "false", &is_a);
		r->no_placeholder = !ret && !is_a;
		return ret;
	}
	if (!strcmp(key, "description")) /* for readers of the file only */
		return cw_yaml_want_string(&l->y, key, &text);
	return fail(l, kline, "unknown field '%s'", key);
}

/* What a rule must have once all its fields are read; start is its 0-based line. */
static int check_rule(struct loader *l, struct cw_rule *r, size_t start)
{
	const struct cw_ruleset *rs = l->rs;

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

/* One rule: the mapping whose start is the current event. */
static int parse_rule(struct loader *l, struct cw_rule *r)
{
	size_t start = line_of(l), kline;
	struct cw_yaml_keys k = { 0 };
	char key[64];
	int ret;

	r->priority = CW_RULE_DEFAULT_PRIORITY;
	r->line = (int)start + 1;
	if (!(r->file = strdup(l->y.file)))
		return -ENOMEM;
	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			break;
		kline = line_of(l);
		if ((ret = cw_yaml_key(&l->y, &k, key, sizeof(key))) ||
		    (ret = parse_field(l, r, key, kline)))
			return ret;
	}
	return check_rule(l, r, start);
}

static int push_rule(struct cw_ruleset *rs, struct cw_rule *r)
{
	int ret = cw_grow((void **)&rs->rules, &rs->cap, rs->n + 1, sizeof(*rs->rules));

	if (!ret)
		rs->rules[rs->n++] = *r;
	return ret;
}

/* The value of the top-level "rules": a list of rules, each added to the set. */
static int parse_rules(struct loader *l)
{
	int ret = next(l);

	if (ret)
		return ret;
	if (l->y.ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(l, line_of(l), "'rules' must be a list of rules");
	while (!(ret = next(l)) && l->y.ev.type != YAML_SEQUENCE_END_EVENT) {
		struct cw_rule r = { 0 };

		if (l->y.ev.type != YAML_MAPPING_START_EVENT)
			return fail(l, line_of(l), "each rule must be a mapping");
		ret = parse_rule(l, &r);
		if (!ret)
			ret = push_rule(l->rs, &r);
		if (ret) {
			rule_free(&r);
			return ret;
		}
	}
	return ret;
}

static int parse_doc(void *arg)
{
	struct loader *l = arg;
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
			if ((ret = parse_rules(l)))
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
	/* an unquoted value starting with '*' reads as an alias */
	struct loader l = { .y = { .file = file,
				   .doc = "a rules file",
				   .err = err,
				   .errlen = errlen,
				   .syntax_hint = " (quote values that start with '*')" },
			    .rs = rs };
	size_t first = rs->n;
	int ret = cw_yaml_parse(&l.y, buf, len, parse_doc, &l);

	if (ret) /* all or nothing: drop what this file added */
		while (rs->n > first)
			rule_free(&rs->rules[--rs->n]);
	return ret;
}

int cw_rules_load_file(struct cw_ruleset *rs, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret = cw_read_file(path, SIZE_MAX - 1, &buf, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path,
			 ret == -ENOMEM ? "out of memory" : strerror(-ret));
		return ret;
	}
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
