// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The exposure fixture (exposure_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposure_fixture.h"
#include "test.h"
#include "testutil.h"

int64_t xfx_now = 1760000000;

static int64_t clock_fake(void)
{
	return xfx_now;
}

bool xfx_setup(struct xfx *x, const char *policy_yaml)
{
	char err[1024], cg[300];
	struct cw_workload_opts wo = { 0 };

	memset(x, 0, sizeof(*x));
	if (tu_embedded(&x->rs, &x->m, err, sizeof(err)) || tu_mkdtemp(x->dir, sizeof(x->dir))) {
		cw_test_fail(__FILE__, __LINE__, "setup: %s", err);
		return false;
	}
	if (tu_key_in(x->dir, &x->key, err, sizeof(err)))
		return false;
	x->f = open_memstream(&x->out, &x->outlen);
	cw_finding_writer_init(&x->fd, &x->key, x->f, false);
	x->fd.put = tu_sample_put;
	x->fd.put_arg = x->f;
	if (policy_yaml ? cw_policy_load_buf(&x->pol, "test.yaml", policy_yaml, strlen(policy_yaml),
					     err, sizeof(err))
			: cw_policy_load_embedded(&x->pol, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "policy: %s", err);
		return false;
	}
	if (cw_prov_open(&x->prov, NULL, 100, err, sizeof(err)))
		return false;
	/* an empty cgroup tree and no /proc: every actor is named by executable and uid */
	snprintf(cg, sizeof(cg), "%s/cg", x->dir);
	wo.cgroup_root = cg;
	wo.pods_dir = x->dir;
	wo.containers_dir = x->dir;
	wo.proc_dir = x->dir;
	if (cw_workloads_new(&wo, &x->wls) ||
	    cw_exposure_init(&x->x, &x->fd, &x->pol, &x->prov, x->wls))
		return false;
	x->x.now = clock_fake;
	x->fd.wls = x->wls;
	x->deps = (struct cw_handler_deps){
		.f = &x->fd, .matcher = x->m, .x = &x->x, .wls = x->wls, .policy = &x->pol
	};
	for (size_t i = 0; i < x->rs->n; i++)
		if (!strcmp(x->rs->rules[i].id, "github-pat-classic"))
			x->gh = &x->rs->rules[i];
	return x->gh != NULL;
}

void xfx_teardown(struct xfx *x)
{
	cw_exposure_free(&x->x);
	cw_workloads_free(x->wls);
	cw_prov_close(&x->prov);
	cw_policy_free(&x->pol);
	cw_finding_writer_free(&x->fd);
	fclose(x->f);
	free(x->out);
	tu_rmtree(x->dir);
}
