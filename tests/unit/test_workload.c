// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Workload identity: every cgroup path shape (and malformed ones), the cache on a fixture tree
 * (the ids are the fixture directories' real inode numbers), names from log directories, and
 * the ECS output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsoncheck.h"
#include "test.h"
#include "testutil.h"
#include "detect/fingerprint.h"
#include "host/podmeta.h"
#include "host/workload.h"
#include "host/workload_test.h"
#include "output/finding.h"
#include "output/ocsf.h"

#define SEC 1000000000LL

/* A UUID pod UID as the API shows it, and as systemd slice names carry it. */
#define UID_D "3f2a6b1c-1d2e-4f50-8a9b-0c1d2e3f4a5b"
#define UID_U "3f2a6b1c_1d2e_4f50_8a9b_0c1d2e3f4a5b"

/* A distinct 64-hex container id per seed. */
static void mkid(char out[65], unsigned seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (int i = 0; i < 64; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		out[i] = "0123456789abcdef"[(x * 0x2545f4914f6cdd1dULL) >> 60];
	}
	out[64] = '\0';
}

static void parse(const char *path, struct cw_workload *wl)
{
	memset(wl, 0x5a, sizeof(*wl)); /* parse must clear whatever was there */
	wl->cgroup_id = 77;
	cw_workload_parse_path(path, wl);
}

static void check_nothing(const struct cw_workload *wl)
{
	CHECK_EQ_STR(wl->container_id, "");
	CHECK_EQ_STR(wl->runtime, "");
	CHECK_EQ_STR(wl->pod_uid, "");
	CHECK_EQ_STR(wl->qos, "");
	CHECK_EQ_STR(wl->pod_namespace, "");
	CHECK_EQ_STR(wl->pod_name, "");
	CHECK_EQ_STR(wl->container_name, "");
	CHECK_EQ_STR(wl->unit, "");
	CHECK_EQ_STR(wl->session, "");
	CHECK_EQ_STR(wl->key, "");
}

/* ---- parse_path ---- */

TEST(workload_parse_k8s_systemd)
{
	static const struct {
		const char *qos_slice, *qos, *prefix, *runtime;
	} c[] = {
		{ "kubepods-besteffort.slice/kubepods-besteffort-pod", "besteffort",
		  "cri-containerd-", "containerd" },
		{ "kubepods-burstable.slice/kubepods-burstable-pod", "burstable", "crio-",
		  "cri-o" },
		{ "kubepods-pod", "guaranteed", "docker-", "docker" },
		{ "kubepods-besteffort.slice/kubepods-besteffort-pod", "besteffort", "libpod-",
		  "podman" },
	};
	struct cw_workload wl;
	char id[65], path[512];

	mkid(id, 1);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(path, sizeof(path), "/kubepods.slice/%s" UID_U ".slice/%s%s.scope",
			 c[i].qos_slice, c[i].prefix, id);
		parse(path, &wl);
		CHECK_EQ_INT(wl.cgroup_id, 77);
		CHECK_EQ_STR(wl.cgroup, path);
		CHECK_EQ_STR(wl.container_id, id);
		CHECK_EQ_STR(wl.runtime, c[i].runtime);
		CHECK_EQ_STR(wl.pod_uid, UID_D);
		CHECK_EQ_STR(wl.qos, c[i].qos);
		CHECK_EQ_STR(wl.pod_namespace, "");
		CHECK_EQ_STR(wl.pod_name, "");
		CHECK_EQ_STR(wl.container_name, "");
		CHECK_EQ_STR(wl.unit, "");
		CHECK_EQ_STR(wl.key, "pod:" UID_D);
	}
}

TEST(workload_parse_k8s_pod_level_and_monitor)
{
	struct cw_workload wl;
	char id[65], path[512];

	/* a process in the pod's own cgroup: the pod, no container */
	parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U ".slice",
	      &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.qos, "burstable");
	CHECK_EQ_STR(wl.container_id, "");
	CHECK_EQ_STR(wl.key, "pod:" UID_D);

	/* conmon, CRI-O's monitor: in the pod, but not the container */
	mkid(id, 2);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
		 ".slice/crio-conmon-%s.scope",
		 id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.container_id, "");
	CHECK_EQ_STR(wl.runtime, "");
	CHECK_EQ_STR(wl.key, "pod:" UID_D);

	/* a static pod: its UID is the 32 hex of its config hash */
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		 "0123456789abcdef0123456789abcdef.slice/cri-containerd-%s.scope",
		 id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, "0123456789abcdef0123456789abcdef");
	CHECK_EQ_STR(wl.container_id, id);
}

TEST(workload_parse_k8s_cgroupfs)
{
	struct cw_workload wl;
	char id[65], path[512];

	mkid(id, 3);
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod" UID_D "/%s", id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.qos, "besteffort");
	CHECK_EQ_STR(wl.container_id, id);
	CHECK_EQ_STR(wl.runtime, "");
	CHECK_EQ_STR(wl.key, "pod:" UID_D);

	snprintf(path, sizeof(path), "/kubepods/burstable/pod" UID_D "/crio-%s", id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.qos, "burstable");
	CHECK_EQ_STR(wl.container_id, id);
	CHECK_EQ_STR(wl.runtime, "cri-o");

	snprintf(path, sizeof(path), "/kubepods/pod" UID_D "/%s", id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.qos, "guaranteed");
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.container_id, id);

	/* the pod's own cgroup; trailing and doubled slashes are harmless */
	parse("//kubepods//burstable/pod" UID_D "/", &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.qos, "burstable");
	CHECK_EQ_STR(wl.container_id, "");
}

TEST(workload_parse_k8s_nested)
{
	struct cw_workload wl;
	char id[65], node[65], path[512];

	mkid(id, 4);
	mkid(node, 5);
	/* containerd's systemd_cgroup form taken as a plain path */
	snprintf(path, sizeof(path),
		 "/system.slice/containerd.service/kubepods-burstable-pod" UID_U
		 ".slice:cri-containerd:%s",
		 id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.qos, "burstable");
	CHECK_EQ_STR(wl.container_id, id);
	CHECK_EQ_STR(wl.runtime, "containerd");
	CHECK_EQ_STR(wl.unit, ""); /* containerd.service is above the pod, not the workload */
	CHECK_EQ_STR(wl.key, "pod:" UID_D);

	snprintf(path, sizeof(path), "/kubepods-besteffort-pod" UID_U ".slice:crio:%s", id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.qos, "besteffort");
	CHECK_EQ_STR(wl.runtime, "cri-o");
	CHECK_EQ_STR(wl.container_id, id);

	/* kind: a node container (docker) holding a kubelet whose slices are kubelet-kubepods-* */
	snprintf(path, sizeof(path),
		 "/system.slice/docker-%s.scope/kubelet.slice/kubelet-kubepods.slice/"
		 "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_U
		 ".slice/cri-containerd-%s.scope",
		 node, id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.qos, "besteffort");
	CHECK_EQ_STR(wl.container_id, id); /* the pod's container, not the node's */
	CHECK_EQ_STR(wl.runtime, "containerd");
	CHECK_EQ_STR(wl.key, "pod:" UID_D);

	/* the same with the cgroupfs driver */
	snprintf(path, sizeof(path), "/docker/%s/kubepods/burstable/pod" UID_D "/%s", node, id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, UID_D);
	CHECK_EQ_STR(wl.qos, "burstable");
	CHECK_EQ_STR(wl.container_id, id);
	CHECK_EQ_STR(wl.runtime, "");

	/* the node container itself (its systemd, kubelet): a docker container with a unit */
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope/system.slice/kubelet.service",
		 node);
	parse(path, &wl);
	CHECK_EQ_STR(wl.pod_uid, "");
	CHECK_EQ_STR(wl.container_id, node);
	CHECK_EQ_STR(wl.runtime, "docker");
	CHECK_EQ_STR(wl.unit, "kubelet.service");
	CHECK_EQ_INT(strncmp(wl.key, "container:", 10), 0);
	CHECK_EQ_INT(strncmp(wl.key + 10, node, 12), 0);
	CHECK_EQ_INT(strlen(wl.key), 22);
}

TEST(workload_parse_docker_podman)
{
	static const struct {
		const char *fmt, *runtime, *uid;
	} c[] = {
		{ "/system.slice/docker-%s.scope", "docker", "" },
		{ "/docker/%s", "docker", "" },
		{ "/machine.slice/libpod-%s.scope", "podman", "" },
		{ "/machine.slice/libpod-%s.scope/container", "podman", "" },
		/* rootless: the user's, whatever id its cgroup's name claims */
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-%s.scope",
		  "podman", " uid:1000" },
		{ "/libpod_parent/libpod-%s", "podman", "" },
	};
	struct cw_workload wl;
	char id[65], path[512], key[48];

	mkid(id, 6);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(path, sizeof(path), c[i].fmt, id);
		parse(path, &wl);
		CHECK_EQ_STR(wl.cgroup, path);
		CHECK_EQ_STR(wl.container_id, id);
		CHECK_EQ_STR(wl.runtime, c[i].runtime);
		CHECK_EQ_STR(wl.pod_uid, "");
		CHECK_EQ_STR(wl.qos, "");
		CHECK_EQ_STR(wl.unit, ""); /* user@1000.service is above the container */
		snprintf(key, sizeof(key), "container:%.12s%s", id, c[i].uid);
		CHECK_EQ_STR(wl.key, key);
	}
}

TEST(workload_parse_units)
{
	static const struct {
		const char *path, *unit, *uid;
	} c[] = {
		{ "/system.slice/ssh.service", "ssh.service", "" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "" },
		{ "/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service",
		  " uid:1000" },
		/* a user's unit, not the system's dbus.service: a user names its units */
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service",
		  "dbus.service", " uid:1000" },
		{ "/user.slice/user-1000.slice/user@1000.service", "user@1000.service",
		  " uid:1000" },
		{ "/system.slice/docker.service", "docker.service", "" },
	};
	struct cw_workload wl;
	char key[300];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		parse(c[i].path, &wl);
		CHECK_EQ_STR(wl.unit, c[i].unit);
		snprintf(key, sizeof(key), "unit:%s%s", c[i].unit, c[i].uid);
		CHECK_EQ_STR(wl.key, key);
		CHECK_EQ_STR(wl.container_id, "");
		CHECK_EQ_STR(wl.pod_uid, "");
	}
	/* a login session: every session of one user is one workload */
	parse("/user.slice/user-1000.slice/session-3.scope", &wl);
	CHECK_EQ_STR(wl.unit, "");
	CHECK_EQ_STR(wl.session, "session-3.scope");
	CHECK_EQ_STR(wl.session_uid, "1000");
	CHECK_EQ_STR(wl.key, "session:uid:1000");
	parse("/user.slice/user-0.slice/session-c12.scope", &wl);
	CHECK_EQ_STR(wl.key, "session:uid:0");
	/* nothing: other scopes, slices, the root, a session outside a user's slice */
	static const char *const none[] = {
		"/user.slice/session-3.scope",
		"/user.slice/user-x1.slice/session-3.scope",
		"/user.slice/user-1000.slice/session-.scope",
		"/user.slice/user-1000.slice/session-3.scope/sub",
		"/system.slice/run-r1c2.scope",
		"/init.scope",
		"/system.slice",
		"/",
		"/system.slice/.service",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		parse(none[i], &wl);
		CHECK_EQ_STR(wl.cgroup, none[i]);
		check_nothing(&wl);
	}
}

TEST(workload_parse_rejects_malformed)
{
	struct cw_workload wl;
	char id[65], up[65], path[600];
	const char *p;

	mkid(id, 7);
	memcpy(up, id, sizeof(up));
	for (int i = 0; i < 64; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] = (char)(up[i] - 'a' + 'A');

	/* container ids: only exactly 64 lowercase hex */
	const char *const bad_ctr[] = {
		"/system.slice/docker-%.63s.scope",
		"/system.slice/docker-%s0.scope",
		"/system.slice/docker-%s.scope.bak",
		"/system.slice/dockerd-%s.scope",
		"/system.slice/crio-conmon-%s.scope",
		"/system.slice/libpod-conmon-%s.scope",
		"/lxc/%s", /* a bare id: only docker's cgroupfs parent vouches for it */
		"/docker/%s.scope",
		"/docker/x%.63s",
		"/docker/%.63sg",
	};
	for (size_t i = 0; i < sizeof(bad_ctr) / sizeof(bad_ctr[0]); i++) {
		snprintf(path, sizeof(path), bad_ctr[i], id);
		parse(path, &wl);
		CHECK_EQ_STR(wl.cgroup, path);
		if (wl.container_id[0])
			cw_test_fail(__FILE__, __LINE__, "container in %s", path);
		check_nothing(&wl);
	}
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", up);
	parse(path, &wl);
	check_nothing(&wl);

	/* pods: UID shapes, separators, the kubepods parent, the QoS names */
	const char *const bad_pod[] = {
		"/kubepods.slice/kubepods-pod" UID_D ".slice/cri-containerd-%s.scope",
		"/kubepods.slice/kubepods-pod3f2a6b1c_1d2e_4f50_8a9b_0c1d2e3f4a5.slice/x-%s",
		"/kubepods.slice/kubepods-pod3f2a6b1c_1d2e_4f50_8a9b_0c1d2e3f4a5bb.slice/x-%s",
		"/kubepods.slice/kubepods-pod3F2A6B1C_1d2e_4f50_8a9b_0c1d2e3f4a5b.slice/x-%s",
		"/kubepods.slice/kubepods-pod3f2a6b1c_1d2e-4f50_8a9b_0c1d2e3f4a5b.slice/x-%s",
		"/kubepods.slice/kubepods-gold-pod" UID_U ".slice/docker-%s.scope",
		"/kubepods.slice/xkubepods-pod" UID_U ".slice/docker-%s.scope",
		"/kubepods.slice/kubepods-pod" UID_U ".scope/docker-%s.scope",
		"/kubepods/besteffort/pod" UID_U "/%s",
		"/kubepods/gold/pod" UID_D "/%s",
		"/foo/pod" UID_D "/%s",
		"/kubepods/x/besteffort/pod" UID_D "/%s",
		"/pod" UID_D "/%s",
	};
	for (size_t i = 0; i < sizeof(bad_pod) / sizeof(bad_pod[0]); i++) {
		snprintf(path, sizeof(path), bad_pod[i], id);
		parse(path, &wl);
		CHECK_EQ_STR(wl.cgroup, path);
		if (wl.pod_uid[0] || wl.qos[0])
			cw_test_fail(__FILE__, __LINE__, "pod %s in %s", wl.pod_uid, path);
		/* the container itself may still stand, as one outside Kubernetes */
		if (wl.container_id[0])
			CHECK_EQ_INT(strncmp(wl.key, "container:", 10), 0);
		else
			CHECK_EQ_STR(wl.key, "");
	}

	/* the colon form: the pod stands, a malformed container part gives no container */
	const char *const bad_colon[] = {
		"/kubepods-besteffort-pod" UID_U ".slice:unknown:%s",
		"/kubepods-besteffort-pod" UID_U ".slice:cri-containerd:%.63s",
		"/kubepods-besteffort-pod" UID_U ".slice:cri-containerd-:%s",
		"/kubepods-besteffort-pod" UID_U ".slice:cri-containerd:%s:x",
		"/kubepods-besteffort-pod" UID_U ".slice:%s",
	};
	for (size_t i = 0; i < sizeof(bad_colon) / sizeof(bad_colon[0]); i++) {
		snprintf(path, sizeof(path), bad_colon[i], id);
		parse(path, &wl);
		CHECK_EQ_STR(wl.pod_uid, UID_D);
		CHECK_EQ_STR(wl.qos, "besteffort");
		CHECK_EQ_STR(wl.container_id, "");
		CHECK_EQ_STR(wl.runtime, "");
		CHECK_EQ_STR(wl.key, "pod:" UID_D);
	}

	/* not a path at all, or another cgroup namespace's view: nothing, not even cgroup */
	parse(NULL, &wl);
	CHECK_EQ_STR(wl.cgroup, "");
	CHECK_EQ_INT(wl.cgroup_id, 77);
	check_nothing(&wl);
	parse("", &wl);
	CHECK_EQ_STR(wl.cgroup, "");
	check_nothing(&wl);
	snprintf(path, sizeof(path), "system.slice/docker-%s.scope", id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.cgroup, "");
	check_nothing(&wl);
	snprintf(path, sizeof(path), "/../../system.slice/docker-%s.scope", id);
	parse(path, &wl);
	check_nothing(&wl);
	p = "/system.slice/./ssh.service";
	parse(p, &wl);
	check_nothing(&wl);
}

TEST(workload_parse_long_paths)
{
	struct cw_workload wl;
	char id[65], path[2048];
	size_t o = 0;

	/* longer than the cgroup field: not cut (a cut path would match the wrong globs),
	 * but still parsed */
	mkid(id, 8);
	while (o < 600)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/a-long-slice-name.slice");
	snprintf(path + o, sizeof(path) - o, "/docker-%s.scope", id);
	parse(path, &wl);
	CHECK_EQ_STR(wl.cgroup, "");
	CHECK_EQ_STR(wl.container_id, id);
	CHECK_EQ_STR(wl.runtime, "docker");

	/* just fits */
	memset(path, 0, sizeof(path));
	path[0] = '/';
	memset(path + 1, 'x', sizeof(wl.cgroup) - 2 - 8);
	strcat(path, ".service");
	CHECK_EQ_INT(strlen(path), sizeof(wl.cgroup) - 1);
	parse(path, &wl);
	CHECK_EQ_STR(wl.cgroup, path);
	CHECK_EQ_STR(wl.unit, ""); /* a unit name is at most 255 bytes */
	CHECK_EQ_STR(wl.key, "");

	/* deeper than any cgroup hierarchy goes: refused whole */
	o = 0;
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/d");
	snprintf(path + o, sizeof(path) - o, "/ssh.service");
	parse(path, &wl);
	check_nothing(&wl);
}

/* ---- JSON ---- */

static struct jc_node *emit(const struct cw_workload *wl, bool detail)
{
	struct cw_json j;
	struct jc_node *root;
	char err[256];

	cw_json_init(&j);
	cw_json_obj_begin(&j);
	if (detail)
		cw_workload_json_detail(&j, wl);
	else
		cw_workload_json(&j, wl);
	cw_json_obj_end(&j);
	root = j.oom ? NULL : jc_parse(j.buf, j.len, err, sizeof(err));
	if (!root)
		cw_test_fail(__FILE__, __LINE__, "bad JSON: %s: %.*s", err, (int)j.len, j.buf);
	cw_json_free(&j);
	return root;
}

TEST(workload_json_ecs)
{
	struct cw_workload wl;
	struct jc_node *r;
	char id[65], path[512];

	mkid(id, 9);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
		 ".slice/cri-containerd-%s.scope",
		 id);
	parse(path, &wl);

	/* names unknown: present members only */
	r = emit(&wl, false);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "container.id"), id);
	CHECK_EQ_STR(jc_str(r, "container.runtime"), "containerd");
	CHECK(!jc_get(r, "container.name"));
	CHECK_EQ_STR(jc_str(r, "orchestrator.type"), "kubernetes");
	CHECK(!jc_get(r, "orchestrator.namespace"));
	CHECK_EQ_STR(jc_str(r, "orchestrator.resource.type"), "pod");
	CHECK_EQ_STR(jc_str(r, "orchestrator.resource.id"), UID_D);
	CHECK(!jc_get(r, "orchestrator.resource.name"));
	CHECK_EQ_INT(r->nkids, 2);
	jc_free(r);

	strcpy(wl.pod_namespace, "payments");
	strcpy(wl.pod_name, "api-7d9f-x2x");
	strcpy(wl.container_name, "api");
	r = emit(&wl, false);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "container.name"), "api");
	CHECK_EQ_STR(jc_str(r, "orchestrator.namespace"), "payments");
	CHECK_EQ_STR(jc_str(r, "orchestrator.resource.name"), "api-7d9f-x2x");
	jc_free(r);

	r = emit(&wl, true);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "cgroup"), path);
	CHECK_EQ_STR(jc_str(r, "qos"), "burstable");
	CHECK(!jc_get(r, "systemd_unit"));
	/* the workload key is the finding's (cw_finding_host): it may be a process tree's */
	CHECK(!jc_get(r, "workload"));
	CHECK_EQ_INT(r->nkids, 2);
	jc_free(r);

	/* a host service: no container, no orchestrator */
	parse("/system.slice/ssh.service", &wl);
	r = emit(&wl, false);
	REQUIRE(r);
	CHECK_EQ_INT(r->nkids, 0);
	jc_free(r);
	r = emit(&wl, true);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "cgroup"), "/system.slice/ssh.service");
	CHECK_EQ_STR(jc_str(r, "systemd_unit"), "ssh.service");
	CHECK(!jc_get(r, "qos"));
	jc_free(r);

	/* a docker container: no orchestrator */
	snprintf(path, sizeof(path), "/docker/%s", id);
	parse(path, &wl);
	r = emit(&wl, false);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "container.runtime"), "docker");
	CHECK(!jc_get(r, "orchestrator"));
	jc_free(r);

	/* unknown: nothing at all */
	memset(&wl, 0, sizeof(wl));
	r = emit(&wl, false);
	REQUIRE(r);
	CHECK_EQ_INT(r->nkids, 0);
	jc_free(r);
	r = emit(&wl, true);
	REQUIRE(r);
	CHECK_EQ_INT(r->nkids, 0);
	jc_free(r);
}

/* ---- the cache, on a fixture tree ---- */

struct fx {
	char dir[256], cg[320], pods[320], ctrs[320], proc[320];
	struct cw_workloads *w;
};

static bool fx_setup(struct fx *x)
{
	struct cw_workload_opts o = { 0 };
	int err;

	memset(x, 0, sizeof(*x));
	if (tu_mkdtemp(x->dir, sizeof(x->dir))) {
		cw_test_fail(__FILE__, __LINE__, "mkdtemp failed");
		return false;
	}
	snprintf(x->cg, sizeof(x->cg), "%s/cgroup", x->dir);
	snprintf(x->pods, sizeof(x->pods), "%s/pods", x->dir);
	snprintf(x->ctrs, sizeof(x->ctrs), "%s/containers", x->dir);
	snprintf(x->proc, sizeof(x->proc), "%s/proc", x->dir);
	if (mkdir(x->cg, 0755) || mkdir(x->pods, 0755) || mkdir(x->ctrs, 0755) ||
	    mkdir(x->proc, 0755)) {
		cw_test_fail(__FILE__, __LINE__, "mkdir: %s", strerror(errno));
		return false;
	}
	o.cgroup_root = x->cg;
	o.pods_dir = x->pods;
	o.containers_dir = x->ctrs;
	o.proc_dir = x->proc;
	err = cw_workloads_new(&o, &x->w);
	if (err) {
		cw_test_fail(__FILE__, __LINE__, "cw_workloads_new: %s", strerror(-err));
		return false;
	}
	return true;
}

static void fx_teardown(struct fx *x)
{
	cw_workloads_free(x->w);
	if (x->dir[0])
		tu_rmtree(x->dir);
}

static int rmdir_at(const char *base, const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s%s", base, rel);
	return rmdir(p);
}

/* PROC/pid/cgroup of a hybrid host: v1 lines, then the v2 one. */
static void write_proc(const struct fx *x, uint32_t pid, const char *path)
{
	char p[512], buf[1024];
	int n;

	snprintf(p, sizeof(p), "%s/%u", x->proc, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%u/cgroup", x->proc, pid);
	n = snprintf(buf, sizeof(buf),
		     "12:memory:/elsewhere\n1:name=systemd:/system.slice/foo.service\n0::%s\n",
		     path);
	if (tu_write_file(p, buf, (size_t)n, 0644))
		cw_test_fail(__FILE__, __LINE__, "write %s", p);
}

static void touch(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (tu_write_file(p, "", 0, 0644))
		cw_test_fail(__FILE__, __LINE__, "write %s", p);
}

static void k8s_path(char *out, size_t cap, const char *uid_u, const char *id)
{
	snprintf(out, cap,
		 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s"
		 ".slice/cri-containerd-%s.scope",
		 uid_u, id);
}

TEST(workload_cache_k8s_by_pid)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], id2[65], path[512], name[512];
	uint64_t cid;

	if (!fx_setup(&x))
		goto out;
	mkid(id, 10);
	k8s_path(path, sizeof(path), UID_U, id);
	cid = tu_mkdirs(x.cg, path);
	REQUIRE(cid);
	write_proc(&x, 4242, path);
	/* log dirs: the pod's with two containers (no single-container guess), and the
	 * exact container log link */
	tu_mkdirs(x.pods, "payments_api-7d9f-x2x_" UID_D "/api");
	tu_mkdirs(x.pods, "payments_api-7d9f-x2x_" UID_D "/istio-proxy");
	tu_mkdirs(x.pods, "payments_api-7d9f-x2x_3f2a6b1c-1d2e-4f50-8a9b-000000000000/other");
	snprintf(name, sizeof(name), "api-7d9f-x2x_payments_api-%s.log", id);
	touch(x.ctrs, name);
	mkid(id2, 11); /* another container's log */
	snprintf(name, sizeof(name), "api-7d9f-x2x_payments_istio-proxy-%s.log", id2);
	touch(x.ctrs, name);

	wl = cw_workload_get(x.w, cid, 4242);
	REQUIRE(wl);
	CHECK_EQ_INT(wl->cgroup_id, cid);
	CHECK_EQ_STR(wl->cgroup, path);
	CHECK_EQ_STR(wl->container_id, id);
	CHECK_EQ_STR(wl->runtime, "containerd");
	CHECK_EQ_STR(wl->pod_uid, UID_D);
	CHECK_EQ_STR(wl->qos, "besteffort");
	CHECK_EQ_STR(wl->pod_namespace, "payments");
	CHECK_EQ_STR(wl->pod_name, "api-7d9f-x2x");
	CHECK_EQ_STR(wl->container_name, "api");
	CHECK_EQ_STR(wl->key, "k8s:payments/api-7d9f-x2x");
	/* cached: the same entry, even without a pid */
	CHECK(cw_workload_get(x.w, cid, 0) == wl);
	CHECK_EQ_STR(wl->container_name, "api");
out:
	fx_teardown(&x);
}

TEST(workload_cache_pid_path_is_verified)
{
	struct fx x;
	const struct cw_workload *wl;
	uint64_t a, b, c;

	if (!fx_setup(&x))
		goto out;
	a = tu_mkdirs(x.cg, "/system.slice/ssh.service");
	b = tu_mkdirs(x.cg, "/system.slice/cron.service");
	REQUIRE(a && b);
	/* the process moved: its /proc line names another cgroup than the event's id */
	write_proc(&x, 10, "/system.slice/cron.service");
	wl = cw_workload_get(x.w, a, 10);
	CHECK_EQ_STR(wl->cgroup, "/system.slice/ssh.service"); /* found by the walk instead */
	CHECK_EQ_STR(wl->unit, "ssh.service");
	CHECK_EQ_STR(wl->key, "unit:ssh.service");
	/* a path that leads out of the root is not followed, even to the right inode */
	cw_workloads_advance_clock(x.w, 2 * SEC);
	c = tu_mkdirs(x.dir, "/outside");
	REQUIRE(c);
	write_proc(&x, 11, "/../outside");
	wl = cw_workload_get(x.w, c, 11);
	CHECK_EQ_STR(wl->cgroup, "");
	/* a gone process: the walk (its snapshot) still finds the cgroup */
	wl = cw_workload_get(x.w, b, 99999);
	CHECK_EQ_STR(wl->cgroup, "/system.slice/cron.service");
	CHECK_EQ_STR(wl->key, "unit:cron.service");
out:
	fx_teardown(&x);
}

TEST(workload_cache_root)
{
	struct fx x;
	const struct cw_workload *wl;
	struct stat st;

	if (!fx_setup(&x))
		goto out;
	REQUIRE(stat(x.cg, &st) == 0);
	wl = cw_workload_get(x.w, (uint64_t)st.st_ino, 0);
	CHECK_EQ_STR(wl->cgroup, "/");
	CHECK_EQ_STR(wl->key, "");
	wl = cw_workload_get(x.w, 1, 0);
	CHECK_EQ_STR(wl->cgroup, "/");
	CHECK_EQ_INT(wl->cgroup_id, 1);
	/* a NULL cache still answers */
	wl = cw_workload_get(NULL, 5, 1);
	REQUIRE(wl);
	CHECK_EQ_STR(wl->cgroup, "");
	CHECK_EQ_STR(wl->key, "");
out:
	fx_teardown(&x);
}

TEST(workload_cache_walk)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], path[512], late[512];
	uint64_t a, b, c, d;

	if (!fx_setup(&x))
		goto out;
	mkid(id, 12);
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	a = tu_mkdirs(x.cg, path);
	b = tu_mkdirs(x.cg, "/system.slice/ssh.service");
	c = tu_mkdirs(x.cg, "/kubepods/burstable/pod" UID_D);
	REQUIRE(a && b && c);

	wl = cw_workload_get(x.w, a, 0);
	CHECK_EQ_STR(wl->cgroup, path);
	CHECK_EQ_STR(wl->container_id, id);
	CHECK_EQ_STR(wl->runtime, "docker");
	/*
	 * Inside the walk's rate limit, other ids it saw are still found: from its snapshot,
	 * not from a second walk.
	 */
	wl = cw_workload_get(x.w, b, 0);
	CHECK_EQ_STR(wl->cgroup, "/system.slice/ssh.service");
	wl = cw_workload_get(x.w, c, 0);
	CHECK_EQ_STR(wl->cgroup, "/kubepods/burstable/pod" UID_D);
	CHECK_EQ_STR(wl->qos, "burstable");
	CHECK_EQ_STR(wl->key, "pod:" UID_D);

	/* a cgroup made after the walk: not found until another walk may run */
	snprintf(late, sizeof(late), "/kubepods/burstable/pod" UID_D "/%s", id);
	d = tu_mkdirs(x.cg, late);
	REQUIRE(d);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->cgroup, "");
	CHECK_EQ_STR(wl->key, "");
	CHECK_EQ_INT(wl->cgroup_id, d);
	cw_workloads_advance_clock(x.w, SEC / 2);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->cgroup, ""); /* remembered as not found */
	cw_workloads_advance_clock(x.w, SEC / 2 + SEC / 10);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->cgroup, late);
	CHECK_EQ_STR(wl->container_id, id);
	CHECK_EQ_STR(wl->pod_uid, UID_D);

	/* an id that is nowhere: unknown, never NULL */
	cw_workloads_advance_clock(x.w, 2 * SEC);
	wl = cw_workload_get(x.w, 0xfffffffffffULL, 0);
	REQUIRE(wl);
	CHECK_EQ_STR(wl->cgroup, "");
	CHECK_EQ_INT(wl->cgroup_id, 0xfffffffffffULL);
out:
	fx_teardown(&x);
}

TEST(workload_cache_walk_bounds)
{
	struct fx x;
	const struct cw_workload *wl;
	char deep[512], target[320], link[600];
	uint64_t d32, d33, outside;
	size_t o = 0;

	if (!fx_setup(&x))
		goto out;
	for (int i = 0; i < 32; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "/d");
	d32 = tu_mkdirs(x.cg, deep);
	snprintf(deep + o, sizeof(deep) - o, "/d");
	d33 = tu_mkdirs(x.cg, deep);
	/* a symlink out of the hierarchy is not followed */
	snprintf(target, sizeof(target), "%s/elsewhere", x.dir);
	outside = tu_mkdirs(x.dir, "elsewhere/sub");
	snprintf(link, sizeof(link), "%s/link", x.cg);
	REQUIRE(d32 && d33 && outside && symlink(target, link) == 0);

	wl = cw_workload_get(x.w, d32, 0);
	deep[o] = '\0';
	CHECK_EQ_STR(wl->cgroup, deep);
	/* with the rate limit past, so that each miss walks again */
	cw_workloads_advance_clock(x.w, 3 * SEC);
	wl = cw_workload_get(x.w, d33, 0);
	CHECK_EQ_STR(wl->cgroup, "");
	cw_workloads_advance_clock(x.w, 3 * SEC);
	wl = cw_workload_get(x.w, outside, 0);
	CHECK_EQ_STR(wl->cgroup, "");
out:
	fx_teardown(&x);
}

TEST(workload_cache_names_appear_later)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], path[512], name[512];
	uint64_t cid;

	if (!fx_setup(&x))
		goto out;
	mkid(id, 13);
	k8s_path(path, sizeof(path), UID_U, id);
	cid = tu_mkdirs(x.cg, path);
	REQUIRE(cid);
	write_proc(&x, 300, path);

	wl = cw_workload_get(x.w, cid, 300);
	CHECK_EQ_STR(wl->pod_uid, UID_D);
	CHECK_EQ_STR(wl->pod_name, "");
	CHECK_EQ_STR(wl->key, "pod:" UID_D);

	/* the kubelet makes the log dirs a moment later */
	tu_mkdirs(x.pods, "default_web-0_" UID_D "/nginx");
	tu_mkdirs(x.pods, "default_web-0_" UID_D "/init-db");
	snprintf(name, sizeof(name), "web-0_default_nginx-%s.log", id);
	touch(x.ctrs, name);
	wl = cw_workload_get(x.w, cid, 300);
	CHECK_EQ_STR(wl->pod_name, ""); /* looked again too soon */
	cw_workloads_advance_clock(x.w, SEC);
	wl = cw_workload_get(x.w, cid, 300);
	CHECK_EQ_STR(wl->pod_name, "");
	cw_workloads_advance_clock(x.w, SEC + SEC / 10);
	wl = cw_workload_get(x.w, cid, 300);
	CHECK_EQ_STR(wl->pod_namespace, "default");
	CHECK_EQ_STR(wl->pod_name, "web-0");
	CHECK_EQ_STR(wl->container_name, "nginx");
	CHECK_EQ_STR(wl->key, "k8s:default/web-0");
	CHECK_EQ_STR(wl->container_id, id);
out:
	fx_teardown(&x);
}

TEST(workload_cache_names_backoff)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], path[512];
	uint64_t cid;

	if (!fx_setup(&x))
		goto out;
	mkid(id, 18);
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod" UID_D "/%s", id);
	cid = tu_mkdirs(x.cg, path);
	REQUIRE(cid);
	write_proc(&x, 9, path);
	/* looked up at 0 and 2.1 s, in vain: the next look waits 4 s more, not 2 */
	CHECK_EQ_STR(cw_workload_get(x.w, cid, 9)->pod_name, "");
	cw_workloads_advance_clock(x.w, 2 * SEC + SEC / 10);
	CHECK_EQ_STR(cw_workload_get(x.w, cid, 9)->pod_name, "");
	tu_mkdirs(x.pods, "ops_backup-9_" UID_D "/restic");
	cw_workloads_advance_clock(x.w, 2 * SEC + SEC / 10);
	CHECK_EQ_STR(cw_workload_get(x.w, cid, 9)->pod_name, "");
	cw_workloads_advance_clock(x.w, 2 * SEC);
	wl = cw_workload_get(x.w, cid, 9);
	CHECK_EQ_STR(wl->pod_name, "backup-9");
	CHECK_EQ_STR(wl->container_name, "restic");
	CHECK_EQ_STR(wl->key, "k8s:ops/backup-9");
out:
	fx_teardown(&x);
}

TEST(workload_cache_names_fallbacks)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], id2[65], id3[65], path[512], name[512];
	uint64_t c1, c2, c3;

	if (!fx_setup(&x))
		goto out;
	/* no log link: the pod's only container directory names it */
	mkid(id, 14);
	snprintf(path, sizeof(path), "/kubepods/pod" UID_D "/%s", id);
	c1 = tu_mkdirs(x.cg, path);
	tu_mkdirs(x.pods, "kube-system_coredns-abc_" UID_D "/coredns");
	write_proc(&x, 1, path);
	wl = cw_workload_get(x.w, c1, 1);
	CHECK_EQ_STR(wl->qos, "guaranteed");
	CHECK_EQ_STR(wl->pod_namespace, "kube-system");
	CHECK_EQ_STR(wl->pod_name, "coredns-abc");
	CHECK_EQ_STR(wl->container_name, "coredns");
	CHECK_EQ_STR(wl->key, "k8s:kube-system/coredns-abc");

	/* the exact log link wins over that guess; it alone names the pod without a pod dir */
	mkid(id2, 15);
	snprintf(path, sizeof(path),
		 "/kubepods/burstable/pod3f2a6b1c-1d2e-4f50-8a9b-111111111111/crio-%s", id2);
	c2 = tu_mkdirs(x.cg, path);
	tu_mkdirs(x.pods, "shop_cart-1_3f2a6b1c-1d2e-4f50-8a9b-111111111111/sidecar");
	snprintf(name, sizeof(name), "cart-1_shop_main-%s.log", id2);
	touch(x.ctrs, name);
	write_proc(&x, 2, path);
	wl = cw_workload_get(x.w, c2, 2);
	CHECK_EQ_STR(wl->runtime, "cri-o");
	CHECK_EQ_STR(wl->container_name, "main");
	CHECK_EQ_STR(wl->pod_name, "cart-1");
	CHECK_EQ_STR(wl->pod_namespace, "shop");

	/* two containers and no log link: no guess at which */
	mkid(id3, 17);
	snprintf(path, sizeof(path), "/kubepods/pod3f2a6b1c-1d2e-4f50-8a9b-333333333333/%s", id3);
	c3 = tu_mkdirs(x.cg, path);
	tu_mkdirs(x.pods, "web_front-2_3f2a6b1c-1d2e-4f50-8a9b-333333333333/nginx");
	tu_mkdirs(x.pods, "web_front-2_3f2a6b1c-1d2e-4f50-8a9b-333333333333/php");
	write_proc(&x, 4, path);
	wl = cw_workload_get(x.w, c3, 4);
	CHECK_EQ_STR(wl->pod_name, "front-2");
	CHECK_EQ_STR(wl->container_name, "");
	CHECK_EQ_STR(wl->key, "k8s:web/front-2");

	mkid(id3, 16);
	snprintf(path, sizeof(path),
		 "/kubepods/besteffort/pod3f2a6b1c-1d2e-4f50-8a9b-222222222222/%s", id3);
	c3 = tu_mkdirs(x.cg, path);
	snprintf(name, sizeof(name), "job-x_batch_worker-%s.log", id3);
	touch(x.ctrs, name);
	/* malformed names in the log dirs are passed over */
	snprintf(name, sizeof(name), "a_b_c_d-%s.log", id3);
	touch(x.ctrs, name);
	write_proc(&x, 3, path);
	wl = cw_workload_get(x.w, c3, 3);
	CHECK_EQ_STR(wl->pod_namespace, "batch");
	CHECK_EQ_STR(wl->pod_name, "job-x");
	CHECK_EQ_STR(wl->container_name, "worker");
	CHECK_EQ_STR(wl->key, "k8s:batch/job-x");
out:
	fx_teardown(&x);
}

TEST(workload_cache_forget_and_sweep)
{
	struct fx x;
	const struct cw_workload *wl;
	uint64_t a, b, c, d;

	if (!fx_setup(&x))
		goto out;
	a = tu_mkdirs(x.cg, "/system.slice/a.service");
	b = tu_mkdirs(x.cg, "/system.slice/b.service");
	c = tu_mkdirs(x.cg, "/system.slice/c.service");
	/* made now: a directory made after an rmdir may get its inode number */
	d = tu_mkdirs(x.cg, "/system.slice/d.service");
	REQUIRE(a && b && c && d);
	write_proc(&x, 1, "/system.slice/a.service");
	write_proc(&x, 2, "/system.slice/b.service");
	write_proc(&x, 3, "/system.slice/c.service");
	CHECK_EQ_STR(cw_workload_get(x.w, a, 1)->unit, "a.service");
	CHECK_EQ_STR(cw_workload_get(x.w, b, 2)->unit, "b.service");
	CHECK_EQ_STR(cw_workload_get(x.w, c, 3)->unit, "c.service");
	CHECK_EQ_INT(cw_workloads_sweep(x.w), 0);

	/* removed, but not yet known to be: the cache still answers */
	REQUIRE(rmdir_at(x.cg, "/system.slice/a.service") == 0);
	wl = cw_workload_get(x.w, a, 0);
	CHECK_EQ_STR(wl->unit, "a.service");
	/* forgotten: looked up afresh, and not found (the walk's first run) */
	cw_workloads_forget(x.w, a);
	wl = cw_workload_get(x.w, a, 1);
	CHECK_EQ_STR(wl->cgroup, "");
	CHECK_EQ_STR(wl->key, "");
	cw_workloads_forget(x.w, 0x12345); /* unknown: harmless */

	REQUIRE(rmdir_at(x.cg, "/system.slice/b.service") == 0);
	REQUIRE(rmdir_at(x.cg, "/system.slice/c.service") == 0);
	CHECK_EQ_INT(cw_workloads_sweep(x.w), 2);
	CHECK_EQ_INT(cw_workloads_sweep(x.w), 0);
	/* gone from the cache: a fresh lookup finds nothing (its walk is rate-limited) */
	wl = cw_workload_get(x.w, b, 2);
	CHECK_EQ_STR(wl->cgroup, "");
	CHECK_EQ_STR(wl->unit, "");
	/* one still there is kept by sweep, and answered from the cache once gone */
	write_proc(&x, 4, "/system.slice/d.service");
	CHECK_EQ_STR(cw_workload_get(x.w, d, 4)->unit, "d.service");
	CHECK_EQ_INT(cw_workloads_sweep(x.w), 0);
	REQUIRE(rmdir_at(x.cg, "/system.slice/d.service") == 0);
	CHECK_EQ_STR(cw_workload_get(x.w, d, 0)->unit, "d.service"); /* cached */
	CHECK_EQ_INT(cw_workloads_sweep(x.w), 1);
out:
	fx_teardown(&x);
}

TEST(workload_cache_bounded_lru)
{
	struct fx x;
	const struct cw_workload *wl;
	uint64_t a, b;

	if (!fx_setup(&x))
		goto out;
	a = tu_mkdirs(x.cg, "/system.slice/a.service");
	b = tu_mkdirs(x.cg, "/system.slice/b.service");
	REQUIRE(a && b);
	write_proc(&x, 1, "/system.slice/a.service");
	write_proc(&x, 2, "/system.slice/b.service");
	CHECK_EQ_STR(cw_workload_get(x.w, a, 1)->unit, "a.service");
	CHECK_EQ_STR(cw_workload_get(x.w, b, 2)->unit, "b.service");
	/* fill up with unknown ids; a is used again half way, b is not */
	for (uint64_t i = 0; i < 4000; i++)
		cw_workload_get(x.w, (1ULL << 40) + i, 0);
	CHECK_EQ_STR(cw_workload_get(x.w, a, 0)->unit, "a.service");
	for (uint64_t i = 4000; i < 4200; i++)
		cw_workload_get(x.w, (1ULL << 40) + i, 0);
	/* with the dirs gone, only a cached entry still knows them */
	REQUIRE(rmdir_at(x.cg, "/system.slice/a.service") == 0);
	REQUIRE(rmdir_at(x.cg, "/system.slice/b.service") == 0);
	wl = cw_workload_get(x.w, a, 0);
	CHECK_EQ_STR(wl->unit, "a.service");
	wl = cw_workload_get(x.w, b, 0);
	CHECK_EQ_STR(wl->unit, ""); /* evicted, the oldest */
	CHECK_EQ_INT(wl->cgroup_id, b);
	/* every entry still answers for its own id */
	for (uint64_t i = 4100; i < 4200; i++)
		CHECK_EQ_INT(cw_workload_get(x.w, (1ULL << 40) + i, 0)->cgroup_id,
			     (1ULL << 40) + i);
	CHECK_EQ_INT(cw_workloads_sweep(x.w), 1); /* a */
out:
	fx_teardown(&x);
}

TEST(workload_cache_detects_cgroup2_mount)
{
	struct fx x;
	struct cw_workloads *w = NULL;
	struct cw_workload_opts o = { 0 };
	const struct cw_workload *wl;
	char root[400], mounts[400], buf[1024];
	uint64_t id;
	int n;

	if (!fx_setup(&x))
		goto out;
	/* a hybrid host: v1 controllers, and the v2 hierarchy at a path with a space */
	snprintf(root, sizeof(root), "%s/cg unified", x.dir);
	REQUIRE(mkdir(root, 0755) == 0);
	id = tu_mkdirs(root, "/system.slice/ssh.service");
	REQUIRE(id);
	snprintf(mounts, sizeof(mounts), "%s/mounts", x.proc);
	n = snprintf(buf, sizeof(buf),
		     "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n"
		     "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
		     "cgroup2 %s/cg\\040unified cgroup2 rw,relatime 0 0\n",
		     x.dir);
	REQUIRE(tu_write_file(mounts, buf, (size_t)n, 0644) == 0);
	o.proc_dir = x.proc;
	o.pods_dir = x.pods;
	o.containers_dir = x.ctrs;
	REQUIRE(cw_workloads_new(&o, &w) == 0);
	write_proc(&x, 5, "/system.slice/ssh.service");
	wl = cw_workload_get(w, id, 5);
	CHECK_EQ_STR(wl->cgroup, "/system.slice/ssh.service");
	CHECK_EQ_STR(wl->key, "unit:ssh.service");
	cw_workloads_free(w);
	w = NULL;

	/*
	 * No cgroup2 mount, a root that is not there: not fatal (the agent runs on), every
	 * cgroup is unknown but the root (id 1 is the root of every cgroup v2 hierarchy).
	 */
	n = snprintf(buf, sizeof(buf), "cgroup /sys/fs/cgroup/memory cgroup rw 0 0\n");
	REQUIRE(tu_write_file(mounts, buf, (size_t)n, 0644) == 0);
	fprintf(stderr, "    (a \"no cgroup v2 mount\" line is expected here)\n");
	REQUIRE(cw_workloads_new(&o, &w) == 0);
	wl = cw_workload_get(w, id, 5);
	CHECK_EQ_STR(wl->cgroup, "");
	CHECK_EQ_STR(wl->key, "");
	CHECK_EQ_STR(cw_workload_get(w, 1, 5)->cgroup, "/");
	CHECK_EQ_INT(cw_workloads_sweep(w), 0);
	CHECK_EQ_STR(cw_workload_get(w, 1, 0)->cgroup, "/");
	cw_workloads_free(w);
	w = NULL;
	snprintf(root, sizeof(root), "%s/nowhere", x.dir);
	o.cgroup_root = root;
	REQUIRE(cw_workloads_new(&o, &w) == 0);
	CHECK_EQ_STR(cw_workload_get(w, id, 5)->cgroup, "");
	cw_workloads_advance_clock(w, 3 * SEC);
	CHECK_EQ_STR(cw_workload_get(w, id, 0)->cgroup, "");
	cw_workloads_free(w);
	w = NULL;
	/* a trailing slash on the root is fine */
	snprintf(root, sizeof(root), "%s/cg unified/", x.dir);
	REQUIRE(cw_workloads_new(&o, &w) == 0);
	CHECK_EQ_STR(cw_workload_get(w, id, 0)->cgroup, "/system.slice/ssh.service");
	cw_workloads_free(w);
out:
	fx_teardown(&x);
}

TEST(workload_cache_learns_new_cgroups_from_mkdir)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], path[512];
	uint64_t first, d;

	if (!fx_setup(&x))
		goto out;
	first = tu_mkdirs(x.cg, "/system.slice/ssh.service");
	REQUIRE(first);
	wl = cw_workload_get(x.w, first, 0); /* a walk: the next may not come for a second */
	CHECK_EQ_STR(wl->cgroup, "/system.slice/ssh.service");
	mkid(id, 7);
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod" UID_D "/%s", id);
	d = tu_mkdirs(x.cg, path);
	REQUIRE(d);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->cgroup, ""); /* unknown: made after the walk */
	/* the mkdir event names it: known at once, the negative answer forgotten */
	cw_workloads_learn(x.w, d, path);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->cgroup, path);
	CHECK_EQ_STR(wl->container_id, id);
	/* a path that is not that id (another hierarchy's event) is not learned */
	cw_workloads_forget(x.w, d);
	cw_workloads_learn(x.w, d, "/system.slice/ssh.service");
	cw_workloads_learn(x.w, first + 1000000, path);
	wl = cw_workload_get(x.w, first + 1000000, 0);
	CHECK_EQ_STR(wl->cgroup, "");
out:
	fx_teardown(&x);
}

TEST(workload_replicas_are_one_workload)
{
	CHECK_EQ_INT((int)cw_workload_owner_len("payments-7d4b9cf5d8-x2x5z"), 8);
	CHECK_EQ_INT((int)cw_workload_owner_len("node-exporter-9zk2c"), 13); /* DaemonSet */
	CHECK_EQ_INT((int)cw_workload_owner_len("web-0"), 5);		     /* StatefulSet */
	CHECK_EQ_INT((int)cw_workload_owner_len("debug"), 5);
	CHECK_EQ_INT((int)cw_workload_owner_len("pod-a-3fa9c1"), 12); /* not generated */
	CHECK_EQ_INT((int)cw_workload_owner_len("api-aeiou"), 9);     /* vowels: not */
	CHECK_EQ_INT((int)cw_workload_owner_len("-x2x5z"), 6);
	/* a CronJob's runs: one workload */
	CHECK_EQ_INT((int)cw_workload_owner_len("web-build-29000002-x2x5z"), 9);
	CHECK_EQ_INT((int)cw_workload_owner_len("backup-123-x2x5z"), 10); /* too short */
}

TEST(workload_pod_shapes_in_user_subtrees_are_not_pods)
{
	struct fx x;
	const struct cw_workload *wl;
	char id[65], path[512];
	uint64_t d;

	if (!fx_setup(&x))
		goto out;
	mkid(id, 9);
	snprintf(path, sizeof(path),
		 "/user.slice/user-1000.slice/user@1000.service/app.slice/"
		 "kubepods-besteffort-pod" UID_U ".slice/cri-containerd-%s.scope",
		 id);
	d = tu_mkdirs(x.cg, path);
	REQUIRE(d);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->cgroup, path);
	CHECK_EQ_STR(wl->pod_uid, "");
	CHECK_EQ_STR(wl->container_id, "");
	CHECK_EQ_STR(wl->key, "");
	/* rootless podman lives there: a container, not a pod */
	snprintf(path, sizeof(path),
		 "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-%s.scope", id);
	d = tu_mkdirs(x.cg, path);
	REQUIRE(d);
	cw_workloads_learn(x.w, d, path);
	wl = cw_workload_get(x.w, d, 0);
	CHECK_EQ_STR(wl->container_id, id);
	CHECK_EQ_STR(wl->runtime, "podman");
out:
	fx_teardown(&x);
}

/* ---- pod metadata joined to workloads (host/podmeta.h) ---- */

/* tests/fixtures/kubernetes/ pods: the api Deployment's and the postgres StatefulSet's */
#define API_UID "31e6ac5e-7520-468d-a89b-8b92f746dc42"
#define API_UID_U "31e6ac5e_7520_468d_a89b_8b92f746dc42"
#define API_CID "fc1de87738255a10f581f0806e7ed4ba80c35b886885bff46fca2c6521ca7146"
#define ENVOY_CID "c2a6c4ed1ceeb690234e26f8405976ace5ced867789177beb37bdb4419347c43"
#define PG_UID "d3727adc-4d6a-4197-b6a1-5517c22c80db"
#define PG_UID_U "d3727adc_4d6a_4197_b6a1_5517c22c80db"
#define PG_CID "ca8b38ab828ba9d53f5757d2befee2bf3f984e9eccd7fbf3f93b0b1f8c07cbe6"

static json_t *k8s_fixture(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "kubernetes/%s", name);
	return tu_json_fixture(rel);
}

static json_t *k8s_item(json_t *list, const char *uid)
{
	size_t i;
	json_t *it;

	json_array_foreach (json_object_get(list, "items"), i, it) {
		const char *u =
			json_string_value(json_object_get(json_object_get(it, "metadata"), "uid"));

		if (u && !strcmp(u, uid))
			return it;
	}
	return NULL;
}

struct wants {
	int n;
	char last[40];
};

static void want_cb(void *arg, const char *uid)
{
	struct wants *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", uid);
}

static int pod_event(struct cw_pods *pods, const char *type, json_t *pod)
{
	json_t *ev = json_pack("{s:s, s:O}", "type", type, "object", pod);
	char err[128];
	int ret = cw_pods_apply_event(pods, ev, NULL, 0, err, sizeof(err));

	json_decref(ev);
	return ret;
}

static const struct jc_node *arr_has(const struct jc_node *r, const char *path, const char *s)
{
	const struct jc_node *a = jc_get(r, path);

	for (size_t i = 0; a && a->type == JC_ARR && i < a->nkids; i++)
		if (a->kids[i].type == JC_STR && !strcmp(a->kids[i].str, s))
			return &a->kids[i];
	return NULL;
}

TEST(workload_pods_join)
{
	static const char *const globs[] = { "prometheus.io/*" };
	struct cw_pods_opts po = { .node = "cw-node-1", .annotations = globs, .nannotations = 1 };
	json_t *list = k8s_fixture("kubelet-pods.json"), *pod;
	struct cw_pods *pods = NULL;
	struct wants wants = { 0 };
	const struct cw_workload *wl, *env;
	const struct cw_pod *before;
	struct jc_node *r;
	char path[512], err[128];
	uint64_t api, envoy;
	struct fx x;

	if (!fx_setup(&x))
		goto out;
	REQUIRE(list && cw_pods_new(&po, &pods) == 0);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" API_UID_U
		 ".slice/cri-containerd-" API_CID ".scope");
	api = tu_mkdirs(x.cg, path);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" API_UID_U
		 ".slice/cri-containerd-" ENVOY_CID ".scope");
	envoy = tu_mkdirs(x.cg, path);
	REQUIRE(api && envoy);
	cw_workloads_set_pods(x.w, pods, want_cb, &wants);

	/* not known yet (no log directories either): asked for once per pod */
	wl = cw_workload_get(x.w, api, 0);
	CHECK(!wl->pod && !wl->pod_container);
	CHECK_EQ_STR(wl->key, "pod:" API_UID);
	CHECK_EQ_INT(wants.n, 1);
	CHECK_EQ_STR(wants.last, API_UID);
	wl = cw_workload_get(x.w, api, 0);
	env = cw_workload_get(x.w, envoy, 0);
	CHECK_EQ_INT(wants.n, 1);

	/* the kubelet's list names it */
	REQUIRE(cw_pods_apply_list(pods, list, NULL, 0, err, sizeof(err)) == 7);
	wl = cw_workload_get(x.w, api, 0);
	REQUIRE(wl->pod && wl->pod_container);
	CHECK_EQ_STR(wl->pod->uid, API_UID);
	CHECK_EQ_STR(wl->pod_container->name, "api");
	CHECK_EQ_STR(wl->pod_namespace, "payments");
	CHECK_EQ_STR(wl->pod_name, "api-7c9d8f6b5d-gkbzs");
	CHECK_EQ_STR(wl->container_name, "api");
	CHECK_EQ_STR(wl->key, "k8s:payments/api");
	env = cw_workload_get(x.w, envoy, 0);
	REQUIRE(env->pod_container);
	CHECK_EQ_STR(env->container_name, "envoy");
	CHECK(env->pod == wl->pod); /* one snapshot, two references */
	/* nothing changed: the same snapshot, not looked up again */
	before = wl->pod;
	CHECK(cw_workload_get(x.w, api, 0)->pod == before);
	CHECK_EQ_INT(wants.n, 1);

	/* findings: ECS's fields, and credwatch's where ECS has none */
	r = emit(wl, false);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "container.name"), "api");
	CHECK_EQ_STR(jc_str(r, "container.image.name"), "registry.example.com:5000/payments/api");
	CHECK(arr_has(r, "container.image.tag", "1.4.2"));
	CHECK_EQ_INT(jc_get(r, "container.image.hash.all")->nkids, 1);
	CHECK(!strncmp(jc_get(r, "container.image.hash.all")->kids[0].str, "sha256:", 7));
	CHECK_EQ_STR(jc_str(r, "orchestrator.namespace"), "payments");
	CHECK_EQ_STR(jc_str(r, "orchestrator.resource.name"), "api-7c9d8f6b5d-gkbzs");
	CHECK_EQ_INT(jc_get(r, "orchestrator.resource.label")->nkids, 6);
	CHECK(arr_has(r, "orchestrator.resource.label", "app:api"));
	CHECK(arr_has(r, "orchestrator.resource.label", "app.kubernetes.io/part-of:payments"));
	CHECK_EQ_INT(jc_get(r, "orchestrator.resource.annotation")->nkids, 2);
	CHECK(arr_has(r, "orchestrator.resource.annotation", "prometheus.io/port:9090"));
	CHECK_EQ_STR(jc_str(r, "orchestrator.resource.parent.type"), "Deployment");
	jc_free(r);
	r = emit(wl, true);
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "kubernetes.service_account"), "payments-api");
	CHECK_EQ_STR(jc_str(r, "kubernetes.owner.kind"), "Deployment");
	CHECK_EQ_STR(jc_str(r, "kubernetes.owner.name"), "api");
	CHECK_EQ_STR(jc_str(r, "kubernetes.node"), "cw-node-1");
	jc_free(r);

	/* its labels change: the next lookup sees them; the key stays */
	pod = json_deep_copy(k8s_item(list, API_UID));
	json_object_set_new(json_object_get(json_object_get(pod, "metadata"), "labels"), "version",
			    json_string("1.4.3"));
	json_object_set_new(json_object_get(pod, "metadata"), "resourceVersion",
			    json_string("48412"));
	CHECK_EQ_INT(pod_event(pods, "MODIFIED", pod), 0);
	wl = cw_workload_get(x.w, api, 0);
	REQUIRE(wl->pod);
	CHECK_EQ_STR(cw_pod_label(wl->pod, "version"), "1.4.3");
	CHECK_EQ_STR(wl->key, "k8s:payments/api");

	/* deleted: the metadata goes, the names and the key stay; asked for again */
	CHECK_EQ_INT(pod_event(pods, "DELETED", pod), 0);
	wl = cw_workload_get(x.w, api, 0);
	CHECK(!wl->pod && !wl->pod_container);
	CHECK_EQ_STR(wl->pod_name, "api-7c9d8f6b5d-gkbzs");
	CHECK_EQ_STR(wl->key, "k8s:payments/api");
	CHECK_EQ_INT(wants.n, 2);
	r = emit(wl, false);
	CHECK(r && !jc_get(r, "orchestrator.resource.label") && !jc_get(r, "container.image"));
	jc_free(r);
	json_decref(pod);

	/* an entry dropped with a reference held (ASan's leak check sees one kept) */
	cw_workload_get(x.w, envoy, 0);
	cw_workloads_forget(x.w, envoy);
out:
	fx_teardown(&x);
	cw_pods_free(pods);
	json_decref(list);
}

/* The pod's name gives the key, whether the log directories or the metadata named it. */
TEST(workload_pods_keys_stay)
{
	json_t *list = k8s_fixture("kubelet-pods.json"), *pod;
	struct cw_pods *pods = NULL;
	const struct cw_workload *wl;
	char path[512], name[512], err[128];
	uint64_t pg, odd;
	struct fx x;

	if (!fx_setup(&x))
		goto out;
	REQUIRE(list && cw_pods_new(NULL, &pods) == 0);
	cw_workloads_set_pods(x.w, pods, NULL, NULL);
	REQUIRE(cw_pods_apply_list(pods, list, NULL, 0, err, sizeof(err)) == 7);
	/* a StatefulSet's pod named by the metadata only: its ordinal stays (the name heuristic's
	 * answer, as if the log directories had named it) */
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" PG_UID_U
		 ".slice/cri-containerd-" PG_CID ".scope");
	pg = tu_mkdirs(x.cg, path);
	REQUIRE(pg);
	wl = cw_workload_get(x.w, pg, 0);
	REQUIRE(wl->pod);
	CHECK_EQ_STR(wl->pod->owner_kind, "StatefulSet");
	CHECK_EQ_STR(wl->key, "k8s:data/postgres-0");

	/* a Deployment's pod whose name the heuristic cannot read (not generated characters):
	 * the metadata's controller when the metadata names it first... */
	pod = json_deep_copy(k8s_item(list, API_UID));
	json_object_set_new(json_object_get(pod, "metadata"), "uid",
			    json_string("0b6c4f0e-1f2a-4c3d-9e8f-7a6b5c4d3e2f"));
	json_object_set_new(json_object_get(pod, "metadata"), "name",
			    json_string("api-7c9d8f6b5d-x1y0a"));
	REQUIRE(pod_event(pods, "ADDED", pod) == 0);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		 "0b6c4f0e_1f2a_4c3d_9e8f_7a6b5c4d3e2f.slice/cri-containerd-%s.scope",
		 ENVOY_CID);
	odd = tu_mkdirs(x.cg, path);
	REQUIRE(odd);
	cw_workloads_learn(x.w, odd, path); /* made after the last walk */
	wl = cw_workload_get(x.w, odd, 0);
	REQUIRE(wl->pod);
	CHECK_EQ_STR(wl->pod_name, "api-7c9d8f6b5d-x1y0a");
	CHECK_EQ_STR(wl->key, "k8s:payments/api");
	/* ...and a key once named is never renamed: forget it, let the logs name it first */
	cw_workloads_forget(x.w, odd);
	REQUIRE(pod_event(pods, "DELETED", pod) == 0);
	tu_mkdirs(x.pods, "payments_api-7c9d8f6b5d-x1y0a_0b6c4f0e-1f2a-4c3d-9e8f-7a6b5c4d3e2f/api");
	snprintf(name, sizeof(name), "api-7c9d8f6b5d-x1y0a_payments_api-%s.log", ENVOY_CID);
	touch(x.ctrs, name);
	cw_workloads_learn(x.w, odd, path);
	wl = cw_workload_get(x.w, odd, 0);
	CHECK(!wl->pod);
	CHECK_EQ_STR(wl->key, "k8s:payments/api-7c9d8f6b5d-x1y0a");
	json_object_set_new(json_object_get(pod, "metadata"), "resourceVersion",
			    json_string("50000"));
	REQUIRE(pod_event(pods, "ADDED", pod) == 0);
	wl = cw_workload_get(x.w, odd, 0);
	REQUIRE(wl->pod);
	CHECK_EQ_STR(wl->pod->owner_name, "api");
	CHECK_EQ_STR(wl->key, "k8s:payments/api-7c9d8f6b5d-x1y0a");
	json_decref(pod);
out:
	fx_teardown(&x);
	cw_pods_free(pods);
	json_decref(list);
}

/* A whole finding from a pod with metadata, through the finding writer: checked against ECS
 * and OCSF by tests/e2e/test_formats.py (tu_format_sample). */
TEST(workload_pods_in_a_finding)
{
	static const char *const globs[] = { "prometheus.io/*", "credwatch.io/*" };
	struct cw_pods_opts po = { .annotations = globs, .nannotations = 2 };
	json_t *list = k8s_fixture("kubelet-pods.json");
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	struct cw_pods *pods = NULL;
	struct cw_finding_writer f;
	struct cw_fp_key key;
	struct cw_match match = { 0 };
	struct jc_node *r;
	static const char no_digest[] =
		"{\"@timestamp\":\"2026-11-22T07:49:31Z\",\"event\":{\"kind\":\"alert\"},"
		"\"rule\":{\"id\":\"r\"},\"process\":{\"pid\":1},\"container\":{\"id\":\"c\","
		"\"image\":{\"name\":\"nginx\",\"tag\":[\"1.27\"]}}}";
	char path[512], err[256], *out = NULL, *secret = NULL, *ocsf;
	size_t outlen = 0, olen;
	uint64_t api;
	FILE *mem = NULL;
	struct fx x;

	if (!fx_setup(&x))
		goto out;
	REQUIRE(list && cw_pods_new(&po, &pods) == 0);
	REQUIRE(tu_embedded(&rs, &m, err, sizeof(err)) == 0 &&
		tu_key_in(x.dir, &key, err, sizeof(err)) == 0);
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i].id, "github-pat-classic"))
			match.rule = &rs->rules[i];
	REQUIRE(match.rule);
	secret = tu_github_token();
	match.secret = secret;
	match.len = strlen(secret);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" API_UID_U
		 ".slice/cri-containerd-" API_CID ".scope");
	api = tu_mkdirs(x.cg, path);
	REQUIRE(api);
	cw_workloads_set_pods(x.w, pods, NULL, NULL);
	REQUIRE(cw_pods_apply_list(pods, list, NULL, 0, err, sizeof(err)) == 7);

	mem = open_memstream(&out, &outlen);
	REQUIRE(mem);
	cw_finding_writer_init(&f, &key, mem, false);
	f.wls = x.w;
	f.put = tu_sample_put;
	f.put_arg = mem;
	cw_finding_begin(&f, 1000, true, "credential-unexpected-reader", CW_SEVERITY_HIGH, "file",
			 "access", &match);
	cw_json_kobj(&f.j, "process");
	cw_json_kuint(&f.j, "pid", 4242);
	cw_json_kstr(&f.j, "name", "api");
	cw_json_obj_end(&f.j);
	cw_finding_host(&f, 4242, 1000, api, NULL);
	cw_finding_credential(&f, &match, "file");
	cw_json_obj_end(&f.j); /* credential */
	cw_json_obj_end(&f.j); /* credwatch */
	cw_finding_threat(&f, CW_NHI_SECRET_LEAKAGE, "credential read in a pod");
	REQUIRE(cw_finding_emit(&f) == 0);
	fflush(mem);
	REQUIRE(outlen > 0);
	r = jc_parse(out, outlen - 1, err, sizeof(err));
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "container.image.name"), "registry.example.com:5000/payments/api");
	CHECK(arr_has(r, "container.image.tag", "1.4.2"));
	CHECK(arr_has(r, "orchestrator.resource.label", "pod-template-hash:7c9d8f6b5d"));
	CHECK(arr_has(r, "orchestrator.resource.annotation", "credwatch.io/owner-team:payments"));
	CHECK_EQ_STR(jc_str(r, "orchestrator.resource.parent.type"), "Deployment");
	CHECK_EQ_STR(jc_str(r, "credwatch.kubernetes.service_account"), "payments-api");
	CHECK_EQ_STR(jc_str(r, "credwatch.kubernetes.owner.name"), "api");
	CHECK_EQ_STR(jc_str(r, "credwatch.workload"), "k8s:payments/api");
	CHECK(!tu_contains(out, outlen, secret, strlen(secret)));
	jc_free(r);

	/* as OCSF: the container's image object and the pod's labels; the rest unmapped */
	REQUIRE(cw_ocsf_from_ecs(out, outlen - 1, "test", &ocsf, &olen) == 0);
	r = jc_parse(ocsf, olen, err, sizeof(err));
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "actor.process.container.image.name"),
		     "registry.example.com:5000/payments/api");
	CHECK(!strncmp(jc_str(r, "actor.process.container.image.uid"), "sha256:", 7));
	CHECK(arr_has(r, "actor.process.container.image.labels", "1.4.2"));
	CHECK(!jc_get(r, "actor.process.container.image.tag")); /* deprecated in OCSF */
	CHECK(arr_has(r, "actor.process.container.labels", "tier:backend"));
	CHECK_EQ_STR(jc_str(r, "unmapped.credwatch.kubernetes.service_account"), "payments-api");
	CHECK_EQ_STR(jc_str(r, "unmapped.orchestrator.resource.parent.type"), "Deployment");
	jc_free(r);
	free(ocsf);
	/* an image without a digest: its reference is the uid OCSF requires */
	REQUIRE(cw_ocsf_from_ecs(no_digest, sizeof(no_digest) - 1, "test", &ocsf, &olen) == 0);
	r = jc_parse(ocsf, olen, err, sizeof(err));
	REQUIRE(r);
	CHECK_EQ_STR(jc_str(r, "actor.process.container.image.uid"), "nginx:1.27");
	jc_free(r);
	free(ocsf);
	cw_finding_writer_free(&f);
out:
	if (mem)
		fclose(mem);
	free(out);
	free(secret);
	fx_teardown(&x);
	cw_pods_free(pods);
	json_decref(list);
}
