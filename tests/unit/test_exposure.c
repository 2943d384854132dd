// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Exposure findings: ownership, shared, unexpected reader, long-lived, hardcoded, dedup; and
 * the pure helpers of file capture (path joining, image detection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge/exposure.h"
#include "events/files.h"
#include "util/path.h"
#include "detect/fingerprint.h"
#include "test.h"
#include "testutil.h"

static int64_t fake_now = 1760000000;

static int64_t clock_fake(void)
{
	return fake_now;
}

struct xfx {
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	struct cw_fp_key key;
	char dir[256];
	char *out;
	size_t outlen;
	FILE *f;
	struct cw_finding_writer fd;
	struct cw_policy pol;
	struct cw_provenance prov;
	struct cw_workloads *wls;
	struct cw_exposure x;
	const struct cw_rule *gh; /* github-pat-classic */
};

static bool xfx_setup(struct xfx *x, const char *policy_yaml)
{
	char err[1024], path[300], cg[300];
	unsigned char k[CW_FP_KEY_LEN];
	struct cw_workload_opts wo = { 0 };

	memset(x, 0, sizeof(*x));
	if (tu_embedded(&x->rs, &x->m, err, sizeof(err)) || tu_mkdtemp(x->dir, sizeof(x->dir))) {
		cw_test_fail(__FILE__, __LINE__, "setup: %s", err);
		return false;
	}
	snprintf(path, sizeof(path), "%s/fp.key", x->dir);
	tu_rand_bytes(k, sizeof(k));
	if (tu_write_file(path, k, sizeof(k), 0600) ||
	    cw_fp_key_load(&x->key, path, err, sizeof(err)))
		return false;
	x->f = open_memstream(&x->out, &x->outlen);
	cw_finding_writer_init(&x->fd, x->m, &x->key, x->f, false);
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
	tu_write_file(path, "", 0, 0600);
	wo.cgroup_root = cg;
	wo.pods_dir = x->dir;
	wo.containers_dir = x->dir;
	wo.proc_dir = x->dir;
	if (cw_workloads_new(&wo, &x->wls) ||
	    cw_exposure_init(&x->x, &x->fd, &x->pol, &x->prov, x->wls))
		return false;
	x->x.now = clock_fake;
	x->fd.wls = x->wls;
	x->fd.x = &x->x;
	for (size_t i = 0; i < x->rs->n; i++)
		if (!strcmp(x->rs->rules[i].id, "github-pat-classic"))
			x->gh = &x->rs->rules[i];
	return x->gh != NULL;
}

static void xfx_teardown(struct xfx *x)
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

/* How many output lines have this event.action. */
static int count_action(struct xfx *x, const char *action)
{
	char needle[128];
	int n = 0;

	fflush(x->f);
	snprintf(needle, sizeof(needle), "\"action\":\"%s\"", action);
	for (const char *p = x->out; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static struct cw_actor actor(const char *exe, uint32_t pid)
{
	struct cw_actor a = {
		.pid = pid, .uid = 0, .cgroup_id = 0, .exe = exe, .comm = "x", .ktime_ns = 1
	};

	return a;
}

static void fp_of(struct xfx *x, const char *secret, char fp[CW_FP_HEX_LEN + 1])
{
	cw_fingerprint(&x->key, secret, strlen(secret), fp);
}

TEST(exposure_owners_egress_shared_dedup)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor a = actor("/srv/a", 100), b = actor("/srv/b", 200),
			c = actor("/srv/c", 300);
	struct cw_load env = { .source = CW_PROV_ENV, .detail = "GITHUB_TOKEN" };
	struct cw_load argv = { .source = CW_PROV_ARGV, .detail = "" };
	struct cw_egress_verdict v;

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);

	/* unknown credential: nothing to judge */
	cw_exposure_egress(&x.x, &m, fp, &b, "api.github.com:443", &v);
	CHECK(!v.known && !v.not_owner);

	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 0);
	/* argv is recorded but makes no owner */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &b, &argv), 0);
	cw_exposure_egress(&x.x, &m, fp, &b, "evil.test:443", &v);
	CHECK(v.known && v.not_owner);
	CHECK_EQ_STR(v.sender, "exe:/srv/b uid:0");
	cw_exposure_egress(&x.x, &m, fp, &a, "api.github.com:443", &v);
	CHECK(v.known && !v.not_owner);

	/* a second workload loads it: shared, once per window */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &c, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 1);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &c, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 1);
	CHECK(strstr(x.out, "\"id\":\"NHI-09\"") != NULL);
	CHECK(strstr(x.out, "exe:/srv/a uid:0") != NULL);

	/* dedup: suppressed within the window, then one report counting them */
	{
		uint64_t n = 0;

		CHECK(cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK_EQ_INT((int)n, 1);
		CHECK(!cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK(!cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK(cw_exposure_dedup(&x.x, fp, "w2", "credential-egress", &n));
		fake_now += (int64_t)x.pol.dedup_window;
		CHECK(cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK_EQ_INT((int)n, 3);
	}
	/* the provenance holds loaders and users, never the secret */
	{
		struct cw_prov_cred *pc = cw_prov_find(&x.prov, fp);

		REQUIRE(pc != NULL);
		CHECK_EQ_INT((int)cw_prov_loaders(pc), 3); /* a, b (argv), c */
		CHECK(pc->nuses >= 2);
		CHECK(strstr(pc->redacted, tok) == NULL);
	}
	fflush(x.f);
	CHECK(!tu_contains(x.out, x.outlen, tok, strlen(tok)));
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_unexpected_reader_and_hardcoded)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor cat = actor("/usr/bin/cat", 10), app = actor("/srv/app", 11);
	struct cw_load sa = { .source = CW_PROV_FILE,
			      .detail = "/var/run/secrets/kubernetes.io/serviceaccount/token" };
	struct cw_load baked = { .source = CW_PROV_FILE, .detail = "/app/.env", .in_image = true };
	struct cw_egress_verdict v;

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &cat, &sa), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 1);
	CHECK(strstr(x.out, "\"id\":\"NHI-10\"") != NULL);
	/* the denied reader did not become an owner */
	cw_exposure_egress(&x.x, &m, fp, &cat, "", &v);
	CHECK(!v.known);
	/* an application reading it is fine */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &app, &sa), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 1);
	cw_exposure_egress(&x.x, &m, fp, &app, "", &v);
	CHECK(v.known && !v.not_owner);
	/* from the image */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &app, &baked), 0);
	CHECK_EQ_INT(count_action(&x, "credential-hardcoded"), 1);
	CHECK(strstr(x.out, "\"path\":\"/app/.env\"") != NULL);
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_long_lived_static)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor a = actor("/srv/a", 100);
	struct cw_load env = { .source = CW_PROV_ENV, .detail = "T" };

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 0);
	fake_now += 29 * 86400;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 0);
	fake_now += 2 * 86400;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 1);
	CHECK(strstr(x.out, "\"id\":\"NHI-07\"") != NULL);
	CHECK(strstr(x.out, "in use for 31 days") != NULL);
	/* said once a day, not once per dedup window */
	fake_now += 2 * (int64_t)x.pol.dedup_window;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 1);
	fake_now += 86400;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 2);
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_policy_binding_owners_and_destinations)
{
	static const char pol[] = "workloads:\n"
				  "  - name: deployer\n"
				  "    executable: /srv/deploy*\n"
				  "credentials:\n"
				  "  - rule: github-*\n"
				  "    owners: [deployer]\n"
				  "    destinations: [git.internal.example]\n";
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor d = actor("/srv/deployer", 1), o = actor("/srv/other", 2);
	struct cw_egress_verdict v;
	const struct cw_strv *dst;

	REQUIRE(xfx_setup(&x, pol));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	/* bound explicitly: judged even before anyone loaded it */
	cw_exposure_egress(&x.x, &m, fp, &o, "", &v);
	CHECK(v.known && v.not_owner);
	cw_exposure_egress(&x.x, &m, fp, &d, "", &v);
	CHECK(v.known && !v.not_owner);
	CHECK_EQ_STR(v.sender, "exe:/srv/deployer uid:0");
	dst = cw_exposure_destinations(&v, x.gh);
	REQUIRE(dst->n == 1);
	CHECK_EQ_STR(dst->v[0], "git.internal.example");
	xfx_teardown(&x);
	free(tok);
}

TEST(files_path_join)
{
	char out[4096];

	cw_path_join("/srv/app", ".env", out, sizeof(out));
	CHECK_EQ_STR(out, "/srv/app/.env");
	cw_path_join("/srv/app", "./conf/../.env", out, sizeof(out));
	CHECK_EQ_STR(out, "/srv/app/.env");
	cw_path_join("/", "../../etc//passwd", out, sizeof(out));
	CHECK_EQ_STR(out, "/etc/passwd");
	cw_path_join("/x", "/abs/./y", out, sizeof(out));
	CHECK_EQ_STR(out, "/abs/y");
	cw_path_join("/a/b", "..", out, sizeof(out));
	CHECK_EQ_STR(out, "/a");
	cw_path_join("/a", "..", out, sizeof(out));
	CHECK_EQ_STR(out, "/");
}

TEST(files_in_image)
{
	static const char container[] =
		"1020 900 0:120 / / rw,relatime master:500 - overlay overlay rw,lowerdir=/l\n"
		"1021 1020 0:121 / /proc rw,nosuid - proc proc rw\n"
		"1030 1020 0:130 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - "
		"tmpfs tmpfs rw,size=1024k\n"
		"1031 1020 8:1 /var/lib/kubelet/pods/x/volumes/cfg /etc/app\\040config ro - ext4 "
		"/dev/sda1 rw\n";
	static const char host[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
				   "23 22 0:21 / /run rw - tmpfs tmpfs rw\n";

	CHECK(cw_path_in_image(container, "/app/.env"));
	CHECK(cw_path_in_image(container, "/root/.aws/credentials"));
	CHECK(!cw_path_in_image(container, "/var/run/secrets/kubernetes.io/serviceaccount/token"));
	CHECK(!cw_path_in_image(container, "/etc/app config/db.env"));
	CHECK(cw_path_in_image(container, "/etc/app configx/db.env"));
	CHECK(!cw_path_in_image(container, "/proc/1/environ"));
	CHECK(!cw_path_in_image(host, "/app/.env"));
	CHECK(!cw_path_in_image(host, "/run/secrets/x"));
	CHECK(!cw_path_in_image("", "/app/.env"));
}

TEST(files_mount_id_is_image_root)
{
	static const char mi[] =
		"1020 900 0:120 / / rw,relatime master:500 - overlay overlay rw,lowerdir=/l\n"
		"1030 1020 0:130 / /run rw,relatime - tmpfs tmpfs rw\n"
		"1031 1020 8:1 /x /srv/vol ro - ext4 /dev/sda1 rw\n";
	static const char host[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";

	CHECK(cw_mount_is_image_root(mi, 1020));
	CHECK(!cw_mount_is_image_root(mi, 1030));
	CHECK(!cw_mount_is_image_root(mi, 1031));
	CHECK(!cw_mount_is_image_root(mi, 999));
	CHECK(!cw_mount_is_image_root(host, 22));
	CHECK(!cw_mount_is_image_root("", 1));
}

TEST(files_exec_forgets_close_on_exec_files)
{
	struct xfx x;
	struct cw_files fs;
	struct cw_event ev;
	char proc[300], fd3[340];

	REQUIRE(xfx_setup(&x, NULL));
	REQUIRE(cw_files_init(&fs, &x.x, -1) == 0);
	snprintf(proc, sizeof(proc), "%s/proc", x.dir);
	snprintf(fd3, sizeof(fd3), "%s/4242/fd", proc);
	{
		char d[340];

		snprintf(d, sizeof(d), "%s", proc);
		REQUIRE(mkdir(d, 0755) == 0);
		snprintf(d, sizeof(d), "%s/4242", proc);
		REQUIRE(mkdir(d, 0755) == 0);
		REQUIRE(mkdir(fd3, 0755) == 0);
	}
	strcat(fd3, "/3");
	REQUIRE(symlink("/srv/app/.env", fd3) == 0);
	fs.proc = proc;
	fs.capture_reads = true;
	memset(&ev, 0, sizeof(ev));
	ev.type = CW_EV_FILE_OPEN;
	ev.file_open.hdr.type = CW_EV_FILE_OPEN;
	ev.file_open.pid = 4242;
	ev.file_open.fd = 3;
	ev.file_open.file_id = 7;
	ev.file_open.dfd = -100;
	memcpy(ev.file_open.path, "/srv/app/.env", 13);
	ev.file_open.path_len = 13;
	CHECK_EQ_INT(cw_files_open(&fs, &ev), 0);
	CHECK_EQ_INT((int)fs.n, 1);
	/* still open after the exec: kept */
	CHECK_EQ_INT(cw_files_exec(&fs, 4242), 0);
	CHECK_EQ_INT((int)fs.n, 1);
	/* another pid's exec: nothing */
	CHECK_EQ_INT(cw_files_exec(&fs, 4243), 0);
	CHECK_EQ_INT((int)fs.n, 1);
	/* closed by the exec, the number reused by a pipe: forgotten */
	unlink(fd3);
	REQUIRE(symlink("pipe:[1234]", fd3) == 0);
	CHECK_EQ_INT(cw_files_exec(&fs, 4242), 0);
	CHECK_EQ_INT((int)fs.n, 0);
	cw_files_free(&fs);
	xfx_teardown(&x);
}

TEST(files_overlay_lower_layers)
{
	char dir[256], p[400], mi[2048];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(p, sizeof(p), "%s/l1", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/l1/app", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/l1/app/.env", dir);
	REQUIRE(tu_write_file(p, "x", 1, 0600) == 0);
	snprintf(p, sizeof(p), "%s/l2", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(mi, sizeof(mi),
		 "7 1 0:1 / /proc rw - proc proc rw\n"
		 "1020 900 0:120 / / rw - overlay overlay rw,lowerdir=%s/l2:%s/l1,upperdir=%s/u,"
		 "workdir=%s/w\n"
		 "1021 900 0:121 / / rw - overlay overlay rw,lowerdir=%s/gone:%s/l1,upperdir=x\n"
		 "1022 900 0:122 / / rw - tmpfs tmpfs rw\n",
		 dir, dir, dir, dir, dir, dir);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1020, "/app/.env"), 1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1020, "/cache/.env"), 0);
	/* a layer not visible from here: cannot tell, unless another has it */
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1021, "/cache/.env"), -1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1021, "/app/.env"), 1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1022, "/app/.env"), -1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 999, "/app/.env"), -1);
	tu_rmtree(dir);
}
