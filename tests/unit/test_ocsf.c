// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* output/ocsf: an ECS finding as an OCSF Data Security Finding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "output/ocsf.h"
#include "test.h"
#include "testutil.h"

/* A credential-unexpected-reader alert in a pod, as the finding writer renders one. */
static const char reader_alert[] =
	"{\"@timestamp\":\"2026-11-22T07:49:30.674Z\",\"event\":{\"id\":"
	"\"5f0c2f5e-9a43-4d7e-8d1c-2b7e3f6a9c10\",\"kind\":\"alert\",\"category\":[\"file\"],"
	"\"type\":[\"access\"],\"action\":\"credential-unexpected-reader\",\"severity\":73,"
	"\"module\":\"credwatch\",\"dataset\":\"credwatch.alert\"},\"ecs\":{\"version\":"
	"\"9.5.0-dev\"},\"rule\":{\"id\":\"kubernetes-service-account-token\",\"name\":"
	"\"Kubernetes service account token\",\"ruleset\":\"credwatch\"},\"file\":{\"path\":"
	"\"/var/run/secrets/kubernetes.io/serviceaccount/token\"},\"process\":{\"pid\":3226,"
	"\"thread\":{\"id\":3227},\"parent\":{\"pid\":3141},\"executable\":\"/bin/cat\","
	"\"name\":\"cat\"},\"user\":{\"id\":\"0\"},\"group\":{\"id\":\"0\"},\"host\":{\"name\":"
	"\"node-1\"},\"container\":{\"id\":\"0123456789ab\",\"runtime\":\"containerd\",\"name\":"
	"\"shop\"},\"orchestrator\":{\"type\":\"kubernetes\",\"namespace\":\"shop\",\"resource\":"
	"{\"type\":\"pod\",\"name\":\"shop-7d9\",\"id\":\"0b6c4f0e-1f2a-4c3d-9e8f-7a6b5c4d3e2f\"}},"
	"\"credwatch\":{\"cgroup_id\":7,\"workload\":\"k8s:shop/"
	"shop\",\"credential\":{\"redacted\":"
	"\"eyJh****Xw2Q\",\"fingerprint\":\"00ff\",\"kind\":\"kubernetes-service-account-token\","
	"\"lifetime\":\"short-lived\",\"origin\":\"file\",\"path\":"
	"\"/var/run/secrets/kubernetes.io/serviceaccount/token\"},\"count\":1,\"reason\":\"x\"},"
	"\"threat\":{\"framework\":\"OWASP Non-Human Identity Top 10\",\"technique\":{\"id\":"
	"\"NHI-10\",\"name\":\"Human Use of NHI\"}},\"message\":\"credential read by a process "
	"outside its allowed readers\"}";

/* A credential-sent observation (event.kind "event") of a low-severity token. */
static const char sent_event[] =
	"{\"@timestamp\":\"2026-11-22T07:49:31Z\",\"event\":{\"id\":"
	"\"1c8d0a4e-7b6f-4e2d-a9c8-3f2e1d0c9b8a\",\"kind\":\"event\",\"category\":[\"network\"],"
	"\"type\":[\"connection\"],\"action\":\"credential-sent\",\"severity\":21},\"ecs\":"
	"{\"version\":\"9.5.0-dev\"},\"rule\":{\"id\":"
	"\"github-pat-classic\",\"name\":\"GitHub personal access token (classic)\"},\"process\":"
	"{\"pid\":12,\"name\":\"curl\"},\"destination\":{\"ip\":\"::1\",\"port\":8443,\"domain\":"
	"\"api.github.com\"},\"user\":{\"id\":\"1000\"},\"host\":{\"name\":\"vm\"},\"credwatch\":"
	"{\"cgroup_id\":1,\"credential\":{\"redacted\":\"ghp_****Ab12\",\"origin\":\"egress\"}}}";

static struct jc_node *convert(const char *ecs, size_t len)
{
	struct jc_node *v;
	char *o, err[256];
	size_t olen;
	int ret = cw_ocsf_from_ecs(ecs, len, "1.2.3", &o, &olen);

	if (ret) {
		cw_test_fail(__FILE__, __LINE__, "cw_ocsf_from_ecs: %s", strerror(-ret));
		return NULL;
	}
	CHECK_EQ_INT(strlen(o), olen);
	CHECK(!memchr(o, '\n', olen));
	v = jc_parse(o, olen, err, sizeof(err));
	if (!v)
		cw_test_fail(__FILE__, __LINE__, "not JSON: %s", err);
	free(o);
	tu_format_sample(ecs,
			 len); /* and checked against the schema by tests/e2e/test_formats.py */
	return v;
}

TEST(ocsf_file_alert_in_a_pod)
{
	struct jc_node *v = convert(reader_alert, sizeof(reader_alert) - 1);
	const struct jc_node *r;

	REQUIRE(v);
	CHECK_EQ_STR(jc_num(v, "class_uid"), "2006");
	CHECK_EQ_STR(jc_num(v, "category_uid"), "2");
	CHECK_EQ_STR(jc_num(v, "activity_id"), "1");
	CHECK_EQ_STR(jc_num(v, "type_uid"), "200601");
	CHECK_EQ_STR(jc_num(v, "time"), "1795333770674");
	CHECK_EQ_STR(jc_num(v, "severity_id"), "4");
	CHECK_EQ_STR(jc_get(v, "is_alert")->str, "true");
	CHECK_EQ_STR(jc_str(v, "metadata.product.name"), "credwatch");
	CHECK_EQ_STR(jc_str(v, "metadata.product.version"), "1.2.3");
	CHECK_EQ_STR(jc_str(v, "metadata.version"), CW_OCSF_VERSION);
	CHECK_EQ_STR(jc_str(v, "finding_info.uid"), "5f0c2f5e-9a43-4d7e-8d1c-2b7e3f6a9c10");
	CHECK_EQ_STR(jc_str(v, "finding_info.analytic.uid"), "kubernetes-service-account-token");
	CHECK_EQ_STR(jc_num(v, "finding_info.analytic.type_id"), "1");
	r = jc_get(v, "finding_info.types");
	REQUIRE(r && r->nkids == 1);
	CHECK_EQ_STR(r->kids[0].str, "credential-unexpected-reader");
	CHECK_EQ_STR(jc_num(v, "data_security.data_lifecycle_state_id"), "3");
	CHECK_EQ_STR(jc_str(v, "data_security.detection_pattern"),
		     "kubernetes-service-account-token");
	CHECK_EQ_STR(jc_str(v, "data_security.pattern_match"), "eyJh****Xw2Q");
	CHECK_EQ_STR(jc_num(v, "actor.process.pid"), "3226");
	CHECK_EQ_STR(jc_num(v, "actor.process.ptid"), "3227");
	CHECK_EQ_STR(jc_num(v, "actor.process.parent_process.pid"), "3141");
	CHECK_EQ_STR(jc_str(v, "actor.process.file.path"), "/bin/cat");
	CHECK_EQ_STR(jc_str(v, "actor.process.file.name"), "cat");
	CHECK_EQ_STR(jc_str(v, "actor.process.user.uid"), "0");
	CHECK_EQ_STR(jc_str(v, "actor.process.container.uid"), "0123456789ab");
	CHECK_EQ_STR(jc_str(v, "actor.process.container.pod_uuid"),
		     "0b6c4f0e-1f2a-4c3d-9e8f-7a6b5c4d3e2f");
	r = jc_get(v, "metadata.profiles");
	REQUIRE(r && r->nkids == 1);
	CHECK_EQ_STR(r->kids[0].str, "container");
	CHECK_EQ_STR(jc_str(v, "device.hostname"), "node-1");
	CHECK(!jc_get(v, "dst_endpoint"));
	CHECK_EQ_STR(jc_str(v, "file.name"), "token");
	r = jc_get(v, "resources");
	REQUIRE(r && r->nkids == 1);
	CHECK_EQ_STR(jc_str(&r->kids[0], "name"),
		     "/var/run/secrets/kubernetes.io/serviceaccount/token");
	CHECK_EQ_STR(jc_str(v, "unmapped.orchestrator.namespace"), "shop");
	CHECK_EQ_STR(jc_str(v, "unmapped.credwatch.workload"), "k8s:shop/shop");
	CHECK_EQ_STR(jc_str(v, "unmapped.threat.technique.id"), "NHI-10");
	jc_free(v);
}

TEST(ocsf_egress_observation)
{
	struct jc_node *v = convert(sent_event, sizeof(sent_event) - 1);

	REQUIRE(v);
	CHECK_EQ_STR(jc_num(v, "time"), "1795333771000");
	CHECK_EQ_STR(jc_num(v, "severity_id"), "1"); /* an observation */
	CHECK_EQ_STR(jc_get(v, "is_alert")->str, "false");
	CHECK_EQ_STR(jc_num(v, "data_security.data_lifecycle_state_id"), "2");
	CHECK_EQ_STR(jc_str(v, "dst_endpoint.ip"), "::1");
	CHECK_EQ_STR(jc_num(v, "dst_endpoint.port"), "8443");
	CHECK_EQ_STR(jc_str(v, "dst_endpoint.hostname"), "api.github.com");
	CHECK(!jc_get(v, "actor.process.container"));
	CHECK(!jc_get(v, "metadata.profiles"));
	CHECK(!jc_get(v, "resources"));
	CHECK(!jc_get(v, "message"));
	jc_free(v);
}

TEST(ocsf_refuses_what_is_not_a_finding)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"@timestamp\":\"2026-11-22T07:49:30Z\"}",
		"{\"@timestamp\":\"yesterday\",\"event\":{},\"rule\":{\"id\":\"r\"}}",
		"{\"@timestamp\":\"2026-11-22T07:49:30+01:00\",\"event\":{},\"rule\":{\"id\":\"r\"}"
		"}",
		"{\"@timestamp\":\"2026-11-22T07:49:30Z\",\"event\":{},\"rule\":{}}",
		"{\"a\":1,\"a\":2}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *o = (char *)1;
		size_t n = 1;

		CHECK_EQ_INT(cw_ocsf_from_ecs(bad[i], strlen(bad[i]), "x", &o, &n), -EINVAL);
		CHECK(!o && !n);
	}
}
