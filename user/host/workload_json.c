// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A workload's identity as JSON members of a finding (see workload.h). What the pod's metadata
 * adds (host/podmeta.h) uses ECS's fields where ECS has one: orchestrator.resource.label and
 * .annotation ("key:value" arrays), orchestrator.resource.parent.type (the controller's kind),
 * container.image.name, .tag and .hash.all; the rest is credwatch's, in the "credwatch" object:
 * kubernetes.service_account, kubernetes.owner.{kind,name}, kubernetes.node.
 */
#include <stdio.h>
#include <string.h>

#include "host/podmeta.h"
#include "host/workload.h"

#define IMAGE_PART_MAX 512

/* "key:value" strings, ECS's form of Kubernetes labels and annotations. */
static void kv_array(struct cw_json *j, const char *key, const struct cw_kv *kv, size_t n)
{
	char buf[2048];

	if (!n)
		return;
	cw_json_key(j, key);
	cw_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "%s:%s", kv[i].key, kv[i].value);

		if (len > 0)
			cw_json_strn(j, buf,
				     (size_t)len < sizeof(buf) ? (size_t)len : sizeof(buf) - 1);
	}
	cw_json_arr_end(j);
}

static void image_json(struct cw_json *j, const struct cw_pod_container *c)
{
	char name[IMAGE_PART_MAX], tag[IMAGE_PART_MAX], digest[IMAGE_PART_MAX];

	if (!c->image[0])
		return;
	cw_image_split(c->image, c->image_id, name, sizeof(name), tag, sizeof(tag), digest,
		       sizeof(digest));
	cw_json_kobj(j, "image");
	cw_json_kstr(j, "name", name);
	if (tag[0]) {
		cw_json_key(j, "tag");
		cw_json_arr_begin(j);
		cw_json_str(j, tag);
		cw_json_arr_end(j);
	}
	if (digest[0]) {
		cw_json_kobj(j, "hash");
		cw_json_key(j, "all");
		cw_json_arr_begin(j);
		cw_json_str(j, digest);
		cw_json_arr_end(j);
		cw_json_obj_end(j);
	}
	cw_json_obj_end(j);
}

void cw_workload_json(struct cw_json *j, const struct cw_workload *wl)
{
	const struct cw_pod *p = wl->pod;

	if (wl->container_id[0]) {
		cw_json_kobj(j, "container");
		cw_json_kstr(j, "id", wl->container_id);
		if (wl->runtime[0])
			cw_json_kstr(j, "runtime", wl->runtime);
		if (wl->container_name[0])
			cw_json_kstr(j, "name", wl->container_name);
		if (wl->pod_container)
			image_json(j, wl->pod_container);
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
		if (p) {
			kv_array(j, "label", p->labels, p->nlabels);
			kv_array(j, "annotation", p->annotations, p->nannotations);
			if (p->owner_kind[0]) {
				cw_json_kobj(j, "parent");
				cw_json_kstr(j, "type", p->owner_kind);
				cw_json_obj_end(j);
			}
		}
		cw_json_obj_end(j);
		cw_json_obj_end(j);
	}
}

void cw_workload_json_detail(struct cw_json *j, const struct cw_workload *wl)
{
	const struct cw_pod *p = wl->pod;

	if (wl->cgroup[0])
		cw_json_kstr(j, "cgroup", wl->cgroup);
	if (wl->qos[0])
		cw_json_kstr(j, "qos", wl->qos);
	if (wl->unit[0])
		cw_json_kstr(j, "systemd_unit", wl->unit);
	if (wl->session[0])
		cw_json_kstr(j, "session", wl->session);
	if (p) {
		cw_json_kobj(j, "kubernetes");
		cw_json_kstr(j, "service_account", p->service_account);
		if (p->owner_kind[0]) {
			cw_json_kobj(j, "owner");
			cw_json_kstr(j, "kind", p->owner_kind);
			cw_json_kstr(j, "name", p->owner_name);
			cw_json_obj_end(j);
		}
		if (p->node[0])
			cw_json_kstr(j, "node", p->node);
		cw_json_obj_end(j);
	}
}
