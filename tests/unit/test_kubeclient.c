// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The pod metadata client's pure steps: URLs, backoff, the watch stream's lines, defaults. */
#include <errno.h>
#include <stdlib.h>

#include "host/kubeclient.h"
#include "test.h"

TEST(kube_list_url_selects_the_node_and_pages)
{
	char buf[512];

	REQUIRE(cw_kube_list_url("https://10.96.0.1:443", "cw-node-1", "", 500, buf, sizeof(buf)) ==
		0);
	CHECK_EQ_STR(buf,
		     "https://10.96.0.1:443/api/v1/pods?fieldSelector=spec.nodeName%3Dcw-node-1"
		     "&limit=500");
	/* a continue token is opaque base64: '=', '/' and '+' are encoded */
	REQUIRE(cw_kube_list_url("https://h", "n", "eyJ2Ijoi/+x=", 2, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "https://h/api/v1/pods?fieldSelector=spec.nodeName%3Dn&limit=2"
			  "&continue=eyJ2Ijoi%2F%2Bx%3D");
	/* a node name is a DNS subdomain, but nothing in it is trusted */
	REQUIRE(cw_kube_list_url("https://h", "a b&c", "", 1, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "https://h/api/v1/pods?fieldSelector=spec.nodeName%3Da%20b%26c&limit=1");
	CHECK_EQ_INT(cw_kube_list_url("https://h", "n", "", 1, buf, 20), -ENAMETOOLONG);
	CHECK_EQ_INT(strlen(buf), 19); /* cut, still a string */
}

TEST(kube_watch_url_from_a_resource_version)
{
	char buf[512];

	REQUIRE(cw_kube_watch_url("https://h:6443", "cw-node-1", "48391", 300, buf, sizeof(buf)) ==
		0);
	CHECK_EQ_STR(buf, "https://h:6443/api/v1/pods?watch=1&resourceVersion=48391"
			  "&allowWatchBookmarks=true&timeoutSeconds=300"
			  "&fieldSelector=spec.nodeName%3Dcw-node-1");
	CHECK_EQ_INT(cw_kube_watch_url("https://h", "n", "1", 300, buf, 40), -ENAMETOOLONG);
}

TEST(kube_backoff_doubles_with_jitter_up_to_the_cap)
{
	unsigned prev_max = 0;

	CHECK_EQ_INT(cw_kube_backoff_ms(1, 0), CW_KUBE_BACKOFF_MIN_MS);
	CHECK_EQ_INT(cw_kube_backoff_ms(2, 0), 2 * CW_KUBE_BACKOFF_MIN_MS);
	CHECK_EQ_INT(cw_kube_backoff_ms(3, 0), 4 * CW_KUBE_BACKOFF_MIN_MS);
	for (unsigned a = 1; a < 100; a++) {
		unsigned hi = cw_kube_backoff_ms(a, 0), lo = cw_kube_backoff_ms(a, 0.999999);

		CHECK(hi <= CW_KUBE_BACKOFF_MAX_MS);
		CHECK(lo >= hi / 2 && lo <= hi);
		CHECK(hi >= prev_max); /* never shorter after another failure */
		prev_max = hi;
	}
	CHECK_EQ_INT(cw_kube_backoff_ms(40, 0), CW_KUBE_BACKOFF_MAX_MS);
	CHECK_EQ_INT(cw_kube_backoff_ms(1000000, 0.5), CW_KUBE_BACKOFF_MAX_MS * 3 / 4);
	CHECK_EQ_INT(cw_kube_backoff_ms(1, 7.0), CW_KUBE_BACKOFF_MIN_MS); /* r out of range */
}

struct seen {
	char lines[8][64];
	int n;
	int stop_at; /* the callback returns 1 on this line (1-based; 0 never) */
};

static int on_line(void *arg, const char *line, size_t len)
{
	struct seen *s = arg;

	CHECK_EQ_INT(strlen(line), len);
	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
	s->n++;
	return s->n == s->stop_at;
}

TEST(kube_lines_split_a_stream_cut_anywhere)
{
	static const char stream[] = "{\"type\":\"ADDED\"}\n\r\n{\"type\":\"MODIFIED\"}\r\n\n"
				     "{\"type\":\"BOOKMARK\"}\n{\"partial\":";

	/* every way of cutting it in two, and byte by byte */
	for (size_t cut = 0; cut <= sizeof(stream) - 1; cut++) {
		struct seen s = { 0 };
		struct cw_kube_lines l = { .max = 1024, .fn = on_line, .arg = &s };

		REQUIRE(cw_kube_lines_feed(&l, stream, cut) == 0);
		REQUIRE(cw_kube_lines_feed(&l, stream + cut, sizeof(stream) - 1 - cut) == 0);
		CHECK_EQ_INT(s.n, 3);
		CHECK_EQ_STR(s.lines[0], "{\"type\":\"ADDED\"}");
		CHECK_EQ_STR(s.lines[1], "{\"type\":\"MODIFIED\"}");
		CHECK_EQ_STR(s.lines[2], "{\"type\":\"BOOKMARK\"}");
		CHECK_EQ_INT(l.len, strlen("{\"partial\":")); /* kept for the next piece */
		cw_kube_lines_free(&l);
	}
	{
		struct seen s = { 0 };
		struct cw_kube_lines l = { .max = 1024, .fn = on_line, .arg = &s };

		for (size_t i = 0; i < sizeof(stream) - 1; i++)
			REQUIRE(cw_kube_lines_feed(&l, stream + i, 1) == 0);
		CHECK_EQ_INT(s.n, 3);
		cw_kube_lines_free(&l);
	}
}

TEST(kube_lines_stop_on_the_callback_and_on_a_long_line)
{
	struct seen s = { .stop_at = 2 };
	struct cw_kube_lines l = { .max = 8, .fn = on_line, .arg = &s };

	CHECK_EQ_INT(cw_kube_lines_feed(&l, "a\nb\nc\n", 6), 1);
	CHECK_EQ_INT(s.n, 2); /* c not handed over */
	l.len = 0;
	s = (struct seen){ 0 };
	CHECK_EQ_INT(cw_kube_lines_feed(&l, "12345", 5), 0);
	CHECK_EQ_INT(cw_kube_lines_feed(&l, "6789\n", 5), -E2BIG);
	CHECK(l.overflow);
	CHECK_EQ_INT(cw_kube_lines_feed(&l, "x\n", 2), -E2BIG); /* stays refused */
	CHECK_EQ_INT(s.n, 0);
	cw_kube_lines_free(&l);
}

static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

TEST(kube_resolve_auto_picks_the_api_server_in_a_pod)
{
	static const char *const in_pod[] = { "KUBERNETES_SERVICE_HOST",
					      "10.96.0.1",
					      "KUBERNETES_SERVICE_PORT",
					      "443",
					      "NODE_NAME",
					      "cw-node-1",
					      NULL };
	struct cw_kube_opts o = { 0 };
	struct cw_kube_config c;
	char err[256] = "";

	fake_env = NULL;
	REQUIRE(cw_kube_resolve(&o, fake_getenv, "host1", &c, err, sizeof(err)) == 0);
	CHECK_EQ_INT(c.source, CW_KUBE_OFF);
	CHECK(strstr(c.why, "not in a pod") != NULL);

	fake_env = in_pod;
	REQUIRE(cw_kube_resolve(&o, fake_getenv, "host1", &c, err, sizeof(err)) == 0);
	CHECK_EQ_INT(c.source, CW_KUBE_APISERVER);
	CHECK_EQ_STR(c.url, "https://10.96.0.1:443");
	CHECK_EQ_STR(c.node, "cw-node-1");
	CHECK_EQ_STR(c.token_file, CW_KUBE_TOKEN_FILE);
	CHECK_EQ_STR(c.ca_file, CW_KUBE_CA_FILE);
	CHECK_EQ_INT(c.timeout_ms, CW_KUBE_TIMEOUT_MS);
	CHECK(!c.insecure_tls);

	/* outside a pod, a URL given is enough; the node is then the host name */
	fake_env = NULL;
	o.apiserver = "https://api.example.com:6443/";
	o.kubelet_insecure_tls = true; /* the kubelet's, not the API server's */
	REQUIRE(cw_kube_resolve(&o, fake_getenv, "host1", &c, err, sizeof(err)) == 0);
	CHECK_EQ_INT(c.source, CW_KUBE_APISERVER);
	CHECK_EQ_STR(c.url, "https://api.example.com:6443");
	CHECK_EQ_STR(c.node, "host1");
	CHECK(!c.insecure_tls);
}

TEST(kube_resolve_defaults_and_errors)
{
	static const char *const v6[] = { "KUBERNETES_SERVICE_HOST", "fd00::1", "NODE_IP",
					  "10.0.3.11", NULL };
	struct cw_kube_opts o = { .source = CW_KUBE_APISERVER, .node_name = "n1" };
	struct cw_kube_config c;
	char err[256] = "";

	fake_env = v6;
	REQUIRE(cw_kube_resolve(&o, fake_getenv, NULL, &c, err, sizeof(err)) == 0);
	CHECK_EQ_STR(c.url, "https://[fd00::1]:443");
	o.source = CW_KUBE_KUBELET;
	o.kubelet_insecure_tls = true;
	REQUIRE(cw_kube_resolve(&o, fake_getenv, NULL, &c, err, sizeof(err)) == 0);
	CHECK_EQ_STR(c.url, "https://10.0.3.11:10250");
	CHECK(c.insecure_tls);
	fake_env = NULL;
	REQUIRE(cw_kube_resolve(&o, fake_getenv, NULL, &c, err, sizeof(err)) == 0);
	CHECK_EQ_STR(c.url, "https://127.0.0.1:10250");
	o.kubelet_url = "http://10.0.3.11:10255";
	REQUIRE(cw_kube_resolve(&o, fake_getenv, NULL, &c, err, sizeof(err)) == 0);
	CHECK_EQ_STR(c.url, "http://10.0.3.11:10255");

	o.kubelet_url = "ftp://x";
	CHECK_EQ_INT(cw_kube_resolve(&o, fake_getenv, NULL, &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "kubelet_url 'ftp://x'") != NULL);
	o = (struct cw_kube_opts){ .source = CW_KUBE_APISERVER };
	CHECK_EQ_INT(cw_kube_resolve(&o, fake_getenv, "h", &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "KUBERNETES_SERVICE_HOST") != NULL);
	o.apiserver = "https://a";
	CHECK_EQ_INT(cw_kube_resolve(&o, fake_getenv, "", &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "no node name") != NULL);
	o.source = CW_KUBE_OFF;
	REQUIRE(cw_kube_resolve(&o, fake_getenv, "", &c, err, sizeof(err)) == 0);
	CHECK_EQ_INT(c.source, CW_KUBE_OFF);
}

TEST(kube_source_names)
{
	enum cw_kube_source s = CW_KUBE_OFF;

	CHECK(cw_kube_source_parse("auto", &s) == 0 && s == CW_KUBE_AUTO);
	CHECK(cw_kube_source_parse("apiserver", &s) == 0 && s == CW_KUBE_APISERVER);
	CHECK(cw_kube_source_parse("kubelet", &s) == 0 && s == CW_KUBE_KUBELET);
	CHECK(cw_kube_source_parse("off", &s) == 0 && s == CW_KUBE_OFF);
	CHECK_EQ_INT(cw_kube_source_parse("API", &s), -EINVAL);
	CHECK_EQ_INT(cw_kube_source_parse(NULL, &s), -EINVAL);
}
