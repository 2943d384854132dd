// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Trace records (trace/record.h), the host tap (host/hosttap.h) live and in a replay, the
 * workload's record, derived event ids. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/hosttap.h"
#include "host/podmeta.h"
#include "host/procs.h"
#include "host/workload.h"
#include "output/finding.h"
#include "test.h"
#include "testutil.h"
#include "trace/record.h"

TEST(record_host_round_trip_and_every_bad_length_refused)
{
	unsigned char buf[256], key[6] = { 1, 2, 3, 4, 5, 6 };
	const char *val = "/usr/bin/curl";
	struct cw_host_rec h;
	size_t n = cw_host_rec_encode(buf, sizeof(buf), CW_HOST_PROC_LINK, key, sizeof(key), val,
				      strlen(val));

	REQUIRE(n == CW_HOST_REC_HDR + sizeof(key) + strlen(val));
	/* little-endian, as documented: kind, 0, key length, value length */
	CHECK_EQ_INT(buf[0], CW_HOST_PROC_LINK);
	CHECK_EQ_INT(buf[1] | buf[2] | buf[3], 0);
	CHECK_EQ_INT(buf[4], 6);
	CHECK_EQ_INT(buf[8], 13);
	REQUIRE(cw_host_rec_decode(buf, n, &h) == 0);
	CHECK_EQ_INT(h.kind, CW_HOST_PROC_LINK);
	CHECK_EQ_INT(h.klen, 6);
	CHECK(!memcmp(h.key, key, 6));
	CHECK_EQ_INT(h.vlen, 13);
	CHECK(!memcmp(h.val, val, 13));
	/* every shorter and one longer length: the lengths no longer add up */
	for (size_t cut = 0; cut < n; cut++)
		CHECK_EQ_INT(cw_host_rec_decode(buf, cut, &h), -EINVAL);
	buf[n] = 0;
	CHECK_EQ_INT(cw_host_rec_decode(buf, n + 1, &h), -EINVAL);
	buf[2] = 1; /* reserved */
	CHECK_EQ_INT(cw_host_rec_decode(buf, n, &h), -EINVAL);
	buf[2] = 0;
	buf[0] = 0; /* kind 0 */
	CHECK_EQ_INT(cw_host_rec_decode(buf, n, &h), -EINVAL);
	buf[0] = CW_HOST_KIND_MAX;
	CHECK_EQ_INT(cw_host_rec_decode(buf, n, &h), -EINVAL);
	/* a key length that would wrap past the value's */
	buf[0] = CW_HOST_PROC_LINK;
	cw_le32(buf + 4, 0xffffffffu);
	CHECK_EQ_INT(cw_host_rec_decode(buf, n, &h), -EINVAL);
	/* too small a buffer to encode into */
	CHECK_EQ_INT(cw_host_rec_encode(buf, 20, CW_HOST_PROC_LINK, key, 6, val, 13), 0);
	/* an empty value: an answer that could not be had */
	n = cw_host_rec_encode(buf, sizeof(buf), CW_HOST_PROC_EXE, key, 4, NULL, 0);
	REQUIRE(cw_host_rec_decode(buf, n, &h) == 0);
	CHECK_EQ_INT(h.vlen, 0);
}

TEST(record_clock_is_eight_bytes)
{
	unsigned char b[9];
	int64_t off = 0;

	cw_le64(b, (uint64_t)-1234567890123LL);
	REQUIRE(cw_clock_rec_decode(b, 8, &off) == 0);
	CHECK(off == -1234567890123LL);
	CHECK_EQ_INT(cw_clock_rec_decode(b, 7, &off), -EINVAL);
	CHECK_EQ_INT(cw_clock_rec_decode(b, 9, &off), -EINVAL);
	CHECK_EQ_STR(cw_tap_type_name(CW_TAP_RAW), "raw");
	CHECK_EQ_STR(cw_tap_type_name(99), "?");
}

/* What a recorder got: the host records handed to the hook, encoded as the agent does. */
struct got {
	unsigned n;
	unsigned char recs[16][512];
	size_t lens[16];
};

static void got_record(void *arg, uint16_t kind, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	struct got *g = arg;

	if (g->n >= 16)
		return;
	g->lens[g->n] =
		cw_host_rec_encode(g->recs[g->n], sizeof(g->recs[0]), kind, key, klen, val, vlen);
	g->n++;
}

/* A replay's answers: one table of (kind, key) -> value. */
struct answers {
	struct cw_host_rec r[16];
	unsigned n;
	unsigned asked;
};

static const void *recall(void *arg, uint16_t kind, const void *key, size_t klen, size_t *vlen)
{
	struct answers *a = arg;

	a->asked++;
	for (unsigned i = 0; i < a->n; i++)
		if (a->r[i].kind == kind && a->r[i].klen == klen &&
		    !memcmp(a->r[i].key, key, klen)) {
			*vlen = a->r[i].vlen;
			return a->r[i].val;
		}
	return NULL;
}

TEST(record_procs_answers_recorded_live_then_recalled_in_a_replay)
{
	char dir[256], path[512], exe[CW_PROCS_EXE_MAX];
	struct got g = { 0 };
	struct answers ans = { 0 };
	struct cw_procs *p;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/4242", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/4242/exe", dir);
	REQUIRE(symlink("/usr/bin/curl", path) == 0);
	snprintf(path, sizeof(path), "%s/4242/stat", dir);
	tu_write_file(path, "4242 (curl) S 77 1 1\n", 21, 0644);

	/* live: each answer goes to the recorder, the unreadable one as an empty value */
	cw_host_tap_set(&(struct cw_host_tap){ .record = got_record, .arg = &g });
	CHECK(cw_host_recording() && !cw_host_replaying());
	p = cw_procs_new(dir);
	cw_procs_read_exe(p, 4242, exe);
	CHECK_EQ_STR(exe, "/usr/bin/curl");
	CHECK_EQ_INT(cw_procs_parent(p, 4242), 77);
	cw_procs_read_exe(p, 4343, exe);
	CHECK_EQ_STR(exe, "");
	cw_procs_free(p);
	cw_host_tap_set(NULL);
	REQUIRE(g.n >= 3);
	for (unsigned i = 0; i < g.n && ans.n < 16; i++)
		if (!cw_host_rec_decode(g.recs[i], g.lens[i], &ans.r[ans.n]))
			ans.n++;
	REQUIRE(ans.n == g.n);
	CHECK_EQ_INT(ans.r[0].kind, CW_HOST_PROC_EXE);
	CHECK_EQ_INT(cw_get_le32(ans.r[0].key), 4242);

	/* the fixture gone: a replay answers from the records alone, never from "the host" */
	tu_rmtree(dir);
	cw_host_tap_set(&(struct cw_host_tap){ .recall = recall, .arg = &ans });
	CHECK(cw_host_replaying());
	p = cw_procs_new(dir);
	cw_procs_read_exe(p, 4242, exe);
	CHECK_EQ_STR(exe, "/usr/bin/curl");
	CHECK_EQ_INT(cw_procs_parent(p, 4242), 77);
	cw_procs_read_exe(p, 4343, exe);
	CHECK_EQ_STR(exe, "");
	CHECK_EQ_INT(cw_procs_parent(p, 5000), 0); /* never recorded: unknown */
	CHECK(ans.asked >= 4);
	cw_procs_free(p);
	cw_host_tap_set(NULL);
}

static void keep_proc(void *arg, const struct cw_proc_info *i)
{
	struct got *g = arg;
	unsigned char k[4], v[CW_PROC_STATE_MAX];
	size_t n = cw_proc_state_encode(i, k, v); /* as agent/tap.c writes it */

	got_record(g, CW_HOST_PROC_STATE, k, 4, v, n);
}

TEST(record_process_table_state_restores_the_same_table)
{
	struct cw_procs *p = cw_procs_new("/nonexistent-proc"), *q;
	char exe[CW_PROCS_EXE_MAX], root[CW_PROCS_EXE_MAX], ra[CW_PROCS_EXE_MAX];
	struct got g = { 0 };
	struct answers none = { 0 };

	cw_procs_exec(p, 100, 1, 100, "/usr/sbin/sshd", 14);
	cw_procs_exec(p, 200, 100, 100, "/bin/bash", 9);
	cw_procs_exec(p, 300, 200, 100, "/usr/bin/curl", 13);
	cw_procs_exit(p, 300);
	cw_procs_each(p, keep_proc, &g);
	REQUIRE(g.n == 3);
	/* replaying: the host is never asked (recall has nothing) */
	cw_host_tap_set(&(struct cw_host_tap){ .recall = recall, .arg = &none });
	q = cw_procs_new("/nonexistent-proc");
	for (unsigned i = 0; i < g.n; i++) {
		struct cw_host_rec h;
		struct cw_proc_info pi;

		REQUIRE(cw_host_rec_decode(g.recs[i], g.lens[i], &h) == 0);
		REQUIRE(cw_proc_state_decode(&h, &pi, exe, root) == 0);
		cw_procs_restore(q, &pi);
	}
	cw_procs_exe(q, NULL, 300, exe);
	CHECK_EQ_STR(exe, "/usr/bin/curl");
	CHECK_EQ_INT(cw_procs_parent(q, 300), 200);
	CHECK(cw_procs_tree_root(q, 300, ra));
	CHECK_EQ_STR(ra, "/usr/sbin/sshd");
	cw_procs_free(q);
	cw_procs_free(p);
	cw_host_tap_set(NULL);
	/* bad values */
	{
		struct cw_host_rec h;
		struct cw_proc_info pi;

		REQUIRE(cw_host_rec_decode(g.recs[0], g.lens[0], &h) == 0);
		h.vlen--;
		CHECK_EQ_INT(cw_proc_state_decode(&h, &pi, exe, root), -EINVAL);
		h.kind = CW_HOST_PROC_EXE;
		h.vlen++;
		CHECK_EQ_INT(cw_proc_state_decode(&h, &pi, exe, root), -EINVAL);
	}
}

TEST(record_workload_with_pod_metadata_round_trips)
{
	static const char *const every[] = { "*" };
	const char *pod_json =
		"{\"kind\":\"Pod\",\"metadata\":{\"uid\":\"0b7ad5e1-1111-2222-3333-444455556666\","
		"\"namespace\":\"prod\",\"name\":\"api-7d9f8-x2x\",\"resourceVersion\":\"42\","
		"\"labels\":{\"app\":\"api\",\"pod-template-hash\":\"7d9f8\"},"
		"\"annotations\":{\"team\":\"payments\"},\"ownerReferences\":[{\"kind\":"
		"\"ReplicaSet\",\"name\":\"api-7d9f8\",\"controller\":true}]},\"spec\":{"
		"\"nodeName\":\"n1\",\"serviceAccountName\":\"api-sa\",\"containers\":[{\"name\":"
		"\"app\",\"image\":\"reg/api:1.2\"}]},\"status\":{\"phase\":\"Running\","
		"\"containerStatuses\":[{\"name\":\"app\",\"imageID\":\"reg/api@sha256:ab\","
		"\"containerID\":\"containerd://"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}}";
	struct cw_workload wl = { 0 }, back = { 0 };
	struct cw_pods *pods;
	struct cw_pod *p = NULL;
	unsigned char *buf;
	char err[256];
	size_t n;
	json_t *j = json_loads(pod_json, 0, NULL);

	REQUIRE(j);
	REQUIRE(cw_pods_new(&(struct cw_pods_opts){ .annotations = every, .nannotations = 1 },
			    &pods) == 0);
	REQUIRE(cw_pod_parse(pods, j, &p, err, sizeof(err)) == 0);
	json_decref(j);
	wl.cgroup_id = 777;
	snprintf(wl.cgroup, sizeof(wl.cgroup), "/kubepods/pod0b7ad5e1/aaaa");
	memset(wl.container_id, 'a', 64);
	snprintf(wl.runtime, sizeof(wl.runtime), "containerd");
	snprintf(wl.pod_uid, sizeof(wl.pod_uid), "%s", p->uid);
	snprintf(wl.pod_namespace, sizeof(wl.pod_namespace), "prod");
	snprintf(wl.pod_name, sizeof(wl.pod_name), "api-7d9f8-x2x");
	snprintf(wl.container_name, sizeof(wl.container_name), "app");
	snprintf(wl.key, sizeof(wl.key), "k8s:prod/api");
	wl.pod = p;
	wl.pod_container = cw_pod_container(p, wl.container_id);
	REQUIRE(cw_workload_encode(&wl, &buf, &n) == 0);
	back.cgroup_id = 777;
	REQUIRE(cw_workload_decode(pods, buf, n, &back) == 0);
	CHECK_EQ_INT(back.cgroup_id, 777);
	CHECK_EQ_STR(back.cgroup, wl.cgroup);
	CHECK_EQ_STR(back.container_id, wl.container_id);
	CHECK_EQ_STR(back.key, "k8s:prod/api");
	CHECK_EQ_STR(back.container_name, "app");
	REQUIRE(back.pod && back.pod_container);
	CHECK_EQ_STR(back.pod->owner_kind, "Deployment");
	CHECK_EQ_STR(back.pod->owner_name, "api");
	CHECK_EQ_STR(back.pod->service_account, "api-sa");
	CHECK_EQ_STR(cw_pod_label(back.pod, "app"), "api");
	REQUIRE(back.pod->nannotations == 1);
	CHECK_EQ_STR(back.pod->annotations[0].value, "payments");
	CHECK_EQ_STR(back.pod_container->image, "reg/api:1.2");
	CHECK_EQ_STR(back.pod_container->image_id, "reg/api@sha256:ab");
	CHECK_EQ_INT(back.pod->resource_version, 42);
	/* every cut of the bytes is refused */
	for (size_t cut = 0; cut < n; cut++) {
		struct cw_workload x = { 0 };

		CHECK_EQ_INT(cw_workload_decode(pods, buf, cut, &x), -EINVAL);
		cw_pod_put(x.pod);
	}
	cw_pod_put(back.pod);
	free(buf);
	cw_pod_put(p);
	cw_pods_free(pods);
}

TEST(record_derived_event_ids_are_stable_version_8_uuids)
{
	unsigned char seed[32] = { 1, 2, 3 }, other[32] = { 1, 2, 4 };
	char a[CW_EVENT_ID_LEN + 1], b[CW_EVENT_ID_LEN + 1], c[CW_EVENT_ID_LEN + 1],
		d[CW_EVENT_ID_LEN + 1];

	cw_event_id_derived(seed, 0, a);
	cw_event_id_derived(seed, 0, b);
	cw_event_id_derived(seed, 1, c);
	cw_event_id_derived(other, 0, d);
	CHECK_EQ_STR(a, b);
	CHECK(strcmp(a, c) && strcmp(a, d));
	CHECK_EQ_INT(strlen(a), 36);
	CHECK_EQ_INT(a[14], '8');
	CHECK(strchr("89ab", a[19]) != NULL);
}
