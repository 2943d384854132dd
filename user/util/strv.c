// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A growable vector of owned strings (strv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strv.h"

int cw_strv_push(struct cw_strv *v, const char *s)
{
	char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	v->v = nv;
	if (!(v->v[v->n] = strdup(s)))
		return -ENOMEM;
	v->n++;
	return 0;
}

bool cw_strv_has(const struct cw_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

void cw_strv_drop(struct cw_strv *v, size_t i)
{
	free(v->v[i]);
	memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(*v->v));
	v->n--;
}

void cw_strv_free(struct cw_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}
