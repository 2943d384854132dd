// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The exposure fixture (exposure_fixture.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	mkdir(cg, 0755); /* empty; pods are made in it (xfx_pod) */
	wo.cgroup_root = cg;
	wo.pods_dir = x->dir;
	wo.containers_dir = x->dir;
	wo.proc_dir = x->dir;
	if (cw_workloads_new(&wo, &x->wls) || cw_pods_new(NULL, &x->pods))
		return false;
	cw_workloads_set_pods(x->wls, x->pods, NULL, NULL);
	if (cw_exposure_init(&x->x, &x->fd, &x->pol, &x->prov, x->wls))
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

uint64_t xfx_pod(struct xfx *x, const char *ns, const char *name, const char *uid,
		 const char *container, const char *id, const json_t *meta)
{
	char rel[700], rel0[704], uid_u[40], err[256];
	const struct cw_workload *wl;
	uint64_t cid;

	snprintf(uid_u, sizeof(uid_u), "%s", uid);
	for (char *c = uid_u; *c; c++)
		if (*c == '-')
			*c = '_';
	snprintf(rel, sizeof(rel),
		 "cg/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice/"
		 "cri-containerd-%s.scope",
		 uid_u, id);
	cid = tu_mkdirs(x->dir, rel);
	snprintf(rel0, sizeof(rel0), "/%s", rel);
	snprintf(rel, sizeof(rel), "%s_%s_%s/%s", ns, name, uid, container);
	if (!cid || !tu_mkdirs(x->dir, rel)) {
		cw_test_fail(__FILE__, __LINE__, "pod fixture: %s", strerror(errno));
		return 0;
	}
	/* as the cgroup_mkdir tracepoint and the metadata client tell the agent */
	cw_workloads_learn(x->wls, cid, strchr(strchr(rel0, '/') + 1, '/'));
	if (meta) {
		json_t *ev = json_pack("{s:s, s:O}", "type", "ADDED", "object", meta);
		int ret = cw_pods_apply_event(x->pods, ev, NULL, 0, err, sizeof(err));

		json_decref(ev);
		if (ret) {
			cw_test_fail(__FILE__, __LINE__, "pod fixture: %s", err);
			return 0;
		}
	}
	wl = cw_workload_get(x->wls, cid, 0);
	if (strcmp(wl->pod_uid, uid) || strcmp(wl->container_id, id) ||
	    strcmp(wl->container_name, container) || !wl->pod != !meta) {
		cw_test_fail(__FILE__, __LINE__, "pod fixture: cgroup '%s' not joined to pod %s",
			     wl->cgroup, uid);
		return 0;
	}
	return cid;
}

void xfx_teardown(struct xfx *x)
{
	cw_exposure_free(&x->x);
	cw_workloads_free(x->wls); /* before the pods it holds references to */
	cw_pods_free(x->pods);
	cw_prov_close(&x->prov);
	cw_policy_free(&x->pol);
	cw_finding_writer_free(&x->fd);
	fclose(x->f);
	free(x->out);
	tu_rmtree(x->dir);
}
