/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A pod's namespace and name and a container's name, from the kubelet's log directories:
 * CONTAINERS/<pod>_<namespace>_<container>-<id>.log and PODS/<namespace>_<pod>_<uid>/<container>/.
 */
#ifndef CW_POD_NAMES_H
#define CW_POD_NAMES_H

#include "host/workload.h"

/* Fill what of wl's pod_namespace, pod_name and container_name is missing and can be found,
 * then its key (cw_workload_set_key). */
void cw_pod_names(const char *pods_dir, const char *containers_dir, struct cw_workload *wl);

#endif
