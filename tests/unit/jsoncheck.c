// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The tests' JSON checker (see jsoncheck.h): jansson's tree copied into jc_node's. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsoncheck.h"

int jc_utf8_valid(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n); /* NULL when s is not UTF-8 */

	json_decref(v);
	return v != NULL;
}

static bool set_text(struct jc_node *v, const char *s, size_t n)
{
	v->str = malloc(n + 1);
	if (!v->str)
		return false;
	memcpy(v->str, s, n);
	v->str[n] = '\0';
	v->len = n;
	return true;
}

static bool number_text(struct jc_node *v, const json_t *j)
{
	char buf[40];
	int n;

	if (json_is_integer(j))
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	else
		n = snprintf(buf, sizeof(buf), "%.17g", json_real_value(j));
	return set_text(v, buf, (size_t)n);
}

static bool copy_node(struct jc_node *v, const json_t *j);

static bool copy_kids(struct jc_node *v, const json_t *j)
{
	size_t n = json_is_array(j) ? json_array_size(j) : json_object_size(j), i = 0;
	const char *key;
	json_t *kid;

	v->kids = calloc(n ? n : 1, sizeof(*v->kids));
	if (!v->kids)
		return false;
	if (json_is_array(j)) {
		json_array_foreach (j, i, kid) {
			v->nkids++;
			if (!copy_node(&v->kids[i], kid))
				return false;
		}
		return true;
	}
	json_object_foreach ((json_t *)j, key, kid) {
		struct jc_node *k = &v->kids[v->nkids++];

		k->key = strdup(key);
		if (!k->key || !copy_node(k, kid))
			return false;
		k->key_len = strlen(key);
	}
	return true;
}

static bool copy_node(struct jc_node *v, const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: v->type = JC_OBJ; return copy_kids(v, j);
	case JSON_ARRAY: v->type = JC_ARR; return copy_kids(v, j);
	case JSON_STRING:
		v->type = JC_STR;
		return set_text(v, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
	case JSON_REAL: v->type = JC_NUM; return number_text(v, j);
	case JSON_TRUE: v->type = JC_BOOL; return set_text(v, "true", 4);
	case JSON_FALSE: v->type = JC_BOOL; return set_text(v, "false", 5);
	case JSON_NULL: v->type = JC_NULL; return true;
	}
	return false;
}

static void node_free(struct jc_node *v)
{
	for (size_t k = 0; k < v->nkids; k++)
		node_free(&v->kids[k]);
	free(v->kids);
	free(v->str);
	free(v->key);
}

void jc_free(struct jc_node *root)
{
	if (!root)
		return;
	node_free(root);
	free(root);
}

struct jc_node *jc_parse(const char *s, size_t n, char *err, size_t errlen)
{
	struct jc_node *root = calloc(1, sizeof(*root));
	json_error_t e;
	json_t *j;

	if (!root) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
	if (!j) {
		snprintf(err, errlen, "offset %d: %s", e.position, e.text);
		free(root);
		return NULL;
	}
	if (!copy_node(root, j)) {
		snprintf(err, errlen, "out of memory");
		jc_free(root);
		root = NULL;
	}
	json_decref(j);
	return root;
}

const struct jc_node *jc_get(const struct jc_node *root, const char *path)
{
	const struct jc_node *v = root;
	const char *seg = path;

	while (v && *seg) {
		const char *dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
		const struct jc_node *found = NULL;

		if (v->type != JC_OBJ)
			return NULL;
		for (size_t k = 0; k < v->nkids; k++)
			if (v->kids[k].key_len == n && !memcmp(v->kids[k].key, seg, n))
				found = &v->kids[k];
		v = found;
		seg = dot ? dot + 1 : seg + n;
	}
	return v;
}

const char *jc_str(const struct jc_node *root, const char *path)
{
	const struct jc_node *v = jc_get(root, path);

	return v && v->type == JC_STR ? v->str : NULL;
}

const char *jc_num(const struct jc_node *root, const char *path)
{
	const struct jc_node *v = jc_get(root, path);

	return v && v->type == JC_NUM ? v->str : NULL;
}
