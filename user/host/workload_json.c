// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A workload's identity as JSON members of a finding (see workload.h). */
#include "host/workload.h"

void cw_workload_json(struct cw_json *j, const struct cw_workload *wl)
{
	if (wl->container_id[0]) {
		cw_json_kobj(j, "container");
		cw_json_kstr(j, "id", wl->container_id);
		if (wl->runtime[0])
			cw_json_kstr(j, "runtime", wl->runtime);
		if (wl->container_name[0])
			cw_json_kstr(j, "name", wl->container_name);
		cw_json_obj_end(j);
	}
	if (wl->pod_uid[0]) {
		cw_json_kobj(j, "orchestrator");
		cw_json_kstr(j, "type", "kubernetes");
		if (wl->pod_namespace[0])
			cw_json_kstr(j, "namespace", wl->pod_namespace);
		cw_json_kobj(j, "resource");
		cw_json_kstr(j, "type", "pod");
		if (wl->pod_name[0])
			cw_json_kstr(j, "name", wl->pod_name);
		cw_json_kstr(j, "id", wl->pod_uid);
		cw_json_obj_end(j);
		cw_json_obj_end(j);
	}
}

void cw_workload_json_detail(struct cw_json *j, const struct cw_workload *wl)
{
	if (wl->cgroup[0])
		cw_json_kstr(j, "cgroup", wl->cgroup);
	if (wl->qos[0])
		cw_json_kstr(j, "qos", wl->qos);
	if (wl->unit[0])
		cw_json_kstr(j, "systemd_unit", wl->unit);
	if (wl->session[0])
		cw_json_kstr(j, "session", wl->session);
}
