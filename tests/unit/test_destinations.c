// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/destinations: where a rule's credentials may go (globs, '@' words, the verdict). */
#include <stdlib.h>

#include "detect/rules.h"
#include "judge/destinations.h"
#include "judge/policy.h"
#include "test.h"
#include "testutil.h"

TEST(destination_globs)
{
	char *d[] = { "github.com", "api.github.com", "*.githubusercontent.com" };
	struct cw_rule r = { .id = "x", .destinations = { d, 3 } };

	CHECK(cw_destination_allowed(&r, "api.github.com"));
	CHECK(cw_destination_allowed(&r, "API.GITHUB.COM"));
	CHECK(cw_destination_allowed(&r, "raw.githubusercontent.com"));
	CHECK(!cw_destination_allowed(&r, "githubusercontent.com"));
	CHECK(!cw_destination_allowed(&r, "api.github.com.attacker.test"));
	CHECK(!cw_destination_allowed(&r, "evilgithub.com"));
}

/* An embedded rule by id (the test fails when there is none). */
static const struct cw_rule *rule(const char *id)
{
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	char err[512];

	if (tu_embedded(&rs, &m, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "embedded rules: %s", err);
		return NULL;
	}
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i].id, id))
			return &rs->rules[i];
	cw_test_fail(__FILE__, __LINE__, "no rule '%s'", id);
	return NULL;
}

/* The verdict for sending rule id's credential to server (over a socket to ip:port). */
static enum cw_dest_verdict judge(const char *id, const char *server, const char *ip, uint16_t port,
				  struct cw_apiservers *apis)
{
	const struct cw_rule *r = rule(id);
	struct cw_dest d = { .server = server, .ip = ip, .port = port, .cgroup_id = 42 };

	return r ? cw_destinations_judge(&r->destinations, NULL, &d, apis) : CW_DEST_UNJUDGED;
}

#define ALLOWED(id, server) CHECK_EQ_INT(judge(id, server, "", 0, NULL), CW_DEST_ALLOWED)
#define UNEXPECTED(id, server) CHECK_EQ_INT(judge(id, server, "", 0, NULL), CW_DEST_UNEXPECTED)

TEST(destination_every_embedded_rule_is_valid)
{
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	const char *why, *bad;
	char err[512];

	REQUIRE(tu_embedded(&rs, &m, err, sizeof(err)) == 0);
	for (size_t i = 0; i < rs->n; i++)
		if ((why = cw_destinations_problem(&rs->rules[i].destinations, false, &bad)))
			cw_test_fail(__FILE__, __LINE__, "rule %s: '%s': %s", rs->rules[i].id, bad,
				     why);
}

TEST(destination_words_checked)
{
	char *never_and[] = { "@never", "x.example" }, *ok[] = { "@kubernetes-apiserver", "a.b" };
	struct cw_strv v;
	const char *bad = NULL;

	CHECK(cw_destination_problem("@never", false) == NULL);
	CHECK(cw_destination_problem("@kubernetes-apiserver", false) == NULL);
	CHECK(cw_destination_problem("*.example.com", false) == NULL);
	CHECK_CONTAINS(cw_destination_problem("@kubernetes", false), "unknown destination word");
	CHECK_CONTAINS(cw_destination_problem("", true), "empty");
	/* '@rule' only means something in a policy binding */
	CHECK(cw_destination_problem("@rule", true) == NULL);
	CHECK_CONTAINS(cw_destination_problem("@rule", false), "policy bindings");
	v = (struct cw_strv){ never_and, 2 };
	CHECK_CONTAINS(cw_destinations_problem(&v, false, &bad), "stands alone");
	CHECK_EQ_STR(bad, "@never");
	v = (struct cw_strv){ ok, 2 };
	CHECK(cw_destinations_problem(&v, false, &bad) == NULL);
}

TEST(destination_providers_where_their_credentials_go)
{
	static const char *const github[] = { "github-pat-classic", "github-fine-grained-pat",
					      "github-oauth-token", "github-user-to-server-token",
					      "github-app-installation-token" };

	for (size_t i = 0; i < sizeof(github) / sizeof(*github); i++) {
		ALLOWED(github[i], "api.github.com");
		ALLOWED(github[i], "github.com"); /* git over HTTPS */
		ALLOWED(github[i], "uploads.github.com");
		ALLOWED(github[i], "codeload.github.com");
		ALLOWED(github[i], "npm.pkg.github.com");
		ALLOWED(github[i], "ghcr.io");
		ALLOWED(github[i], "raw.githubusercontent.com");
		ALLOWED(github[i], "pipelines.actions.githubusercontent.com");
		ALLOWED(github[i], "results-receiver.actions.githubusercontent.com");
		ALLOWED(github[i], "api.githubcopilot.com");
		ALLOWED(github[i], "api.individual.githubcopilot.com");
		UNEXPECTED(github[i], "octocat.github.io"); /* Pages: anyone's content */
		UNEXPECTED(github[i], "github.com.evil.example");
		UNEXPECTED(github[i], "gist.example.com");
	}
	ALLOWED("gitlab-pat", "gitlab.com");
	ALLOWED("gitlab-pat", "registry.gitlab.com");
	UNEXPECTED("gitlab-pat", "gitlab.example.com"); /* self-hosted: the policy adds it */
	ALLOWED("gitlab-deploy-token", "registry.gitlab.com");

	/* AWS: a key id goes out in SigV4, in every partition */
	ALLOWED("aws-access-key-id", "sts.amazonaws.com");
	ALLOWED("aws-access-key-id", "s3.us-east-1.amazonaws.com");
	ALLOWED("aws-access-key-id", "ec2.cn-north-1.amazonaws.com.cn");
	ALLOWED("aws-access-key-id", "ec2.us-east-1.api.aws");
	ALLOWED("aws-temporary-access-key-id", "sts.us-gov-west-1.amazonaws.com");
	UNEXPECTED("aws-access-key-id", "amazonaws.com.evil.example");
	ALLOWED("aws-session-token", "s3.eu-west-1.amazonaws.com");

	ALLOWED("gcp-api-key", "maps.googleapis.com");
	ALLOWED("google-oauth-refresh-token", "oauth2.googleapis.com");
	ALLOWED("google-oauth-refresh-token", "accounts.google.com");
	UNEXPECTED("google-oauth-refresh-token", "storage.example.com");
	ALLOWED("azure-ad-client-secret", "login.microsoftonline.com");
	UNEXPECTED("azure-ad-client-secret", "management.azure.com");
	ALLOWED("azure-storage-account-key", "acct.blob.core.windows.net");
	ALLOWED("slack-bot-token", "slack.com");
	ALLOWED("slack-bot-token", "files.slack.com");
	ALLOWED("slack-webhook-url", "hooks.slack.com");
	UNEXPECTED("slack-webhook-url", "slack.com.evil.example");
	ALLOWED("stripe-secret-key", "api.stripe.com");
	ALLOWED("stripe-secret-key", "files.stripe.com");
	ALLOWED("npm-access-token", "registry.npmjs.org");
	UNEXPECTED("npm-access-token", "registry.npmjs.org.evil.example");
	ALLOWED("pypi-upload-token", "upload.pypi.org");
	ALLOWED("pypi-upload-token", "test.pypi.org");
	ALLOWED("docker-hub-pat", "registry-1.docker.io");
	ALLOWED("docker-hub-pat", "auth.docker.io");
	ALLOWED("docker-hub-pat", "index.docker.io");
	ALLOWED("docker-hub-pat", "hub.docker.com");
	ALLOWED("openai-api-key", "api.openai.com");
	UNEXPECTED("openai-api-key", "api.anthropic.com");
	ALLOWED("anthropic-api-key", "api.anthropic.com");
	ALLOWED("huggingface-token", "huggingface.co");
	ALLOWED("huggingface-token", "cdn-lfs.hf.co");
	ALLOWED("twilio-api-key", "api.twilio.com");
	ALLOWED("twilio-api-key", "video.twilio.com");
	ALLOWED("sendgrid-api-key", "api.sendgrid.com");
}

/* An AWS secret access key signs requests: it never leaves, named server or not. */
TEST(destination_aws_secret_key_is_never_sent)
{
	CHECK_EQ_INT(judge("aws-secret-access-key", "sts.amazonaws.com", "10.0.0.7", 443, NULL),
		     CW_DEST_NEVER);
	CHECK_EQ_INT(judge("aws-secret-access-key", "", "10.0.0.7", 443, NULL), CW_DEST_NEVER);
	CHECK_EQ_INT(
		judge("aws-sts-secret-access-key-json", "paste.example", "10.0.0.8", 443, NULL),
		CW_DEST_NEVER);
	/* a session with no connect(): a server answering (an endpoint that vends keys, the
	 * EKS Pod Identity Agent, aws-vault --server) is not sending one anywhere */
	CHECK_EQ_INT(judge("aws-sts-secret-access-key-json", "", "", 0, NULL), CW_DEST_UNJUDGED);
	CHECK_EQ_INT(judge("aws-secret-access-key", "client.example", "", 0, NULL),
		     CW_DEST_UNJUDGED);
	/* the key id beside it is sent, to AWS */
	CHECK_EQ_INT(judge("aws-access-key-id", "sts.amazonaws.com", "", 0, NULL), CW_DEST_ALLOWED);
}

/* No destinations: not judged; and an unnamed server is not judged by globs. */
TEST(destination_unjudged_without_destinations_or_a_name)
{
	const struct cw_rule *r = rule("jwt");

	REQUIRE(r);
	CHECK_EQ_INT(r->destinations.n, 0);
	CHECK_EQ_INT(judge("jwt", "paste.example", "10.0.0.7", 443, NULL), CW_DEST_UNJUDGED);
	CHECK_EQ_INT(judge("http-bearer-token", "paste.example", "", 0, NULL), CW_DEST_UNJUDGED);
	CHECK_EQ_INT(judge("github-pat-classic", "", "10.0.0.7", 443, NULL), CW_DEST_UNJUDGED);
	/* an address as the only name is judged (and is nobody's provider host) */
	CHECK_EQ_INT(judge("github-pat-classic", "10.0.0.7", "10.0.0.7", 443, NULL),
		     CW_DEST_UNEXPECTED);
}

/* The service-account token: its cluster's API server, by name and by address. */
TEST(destination_service_account_token_goes_to_the_api_server)
{
	static const char env[] = "PATH=/bin\0KUBERNETES_SERVICE_HOST=10.96.0.1\0"
				  "KUBERNETES_SERVICE_PORT=443\0";
	const char *sa = "kubernetes-service-account-token";
	struct cw_apiservers *apis;

	REQUIRE(cw_apiservers_new(&(struct cw_apiservers_opts){ .root = "/nonexistent" }, &apis) ==
		0);
	/* names: in-cluster, any cluster domain; in-cluster services (Vault's TokenReview) */
	CHECK_EQ_INT(judge(sa, "kubernetes.default.svc", "", 0, apis), CW_DEST_ALLOWED);
	CHECK_EQ_INT(judge(sa, "kubernetes.default.svc.cluster.local", "", 0, apis),
		     CW_DEST_ALLOWED);
	CHECK_EQ_INT(judge(sa, "kubernetes", "", 0, apis), CW_DEST_ALLOWED);
	CHECK_EQ_INT(judge(sa, "vault.vault.svc.cluster.local", "", 0, apis), CW_DEST_ALLOWED);
	/* another cluster domain only when the kubelet's configuration names it */
	CHECK_EQ_INT(judge(sa, "kubernetes.default.svc.evil.example", "", 0, apis),
		     CW_DEST_UNEXPECTED);
	CHECK_EQ_INT(judge(sa, "kubernetes.evil.example", "", 0, apis), CW_DEST_UNEXPECTED);
	/* other issuers' audiences: the clouds' STS endpoints */
	CHECK_EQ_INT(judge(sa, "sts.amazonaws.com", "", 0, apis), CW_DEST_ALLOWED);
	CHECK_EQ_INT(judge(sa, "sts.eu-west-1.amazonaws.com", "", 0, apis), CW_DEST_ALLOWED);
	CHECK_EQ_INT(judge(sa, "sts.googleapis.com", "", 0, apis), CW_DEST_ALLOWED);
	CHECK_EQ_INT(judge(sa, "login.microsoftonline.com", "", 0, apis), CW_DEST_ALLOWED);

	/* by address: client-go to $KUBERNETES_SERVICE_HOST, no SNI, Host is the IP */
	CHECK_EQ_INT(judge(sa, "10.96.0.1", "10.96.0.1", 443, apis), CW_DEST_UNEXPECTED);
	cw_apiservers_exec_env(apis, "pod-a", env, sizeof(env) - 1);
	CHECK_EQ_INT(judge(sa, "10.96.0.1", "10.96.0.1", 443, apis), CW_DEST_UNEXPECTED);
	cw_apiservers_exec_env(apis, "pod-b", env, sizeof(env) - 1); /* two pods agree */
	CHECK_EQ_INT(judge(sa, "10.96.0.1", "10.96.0.1", 443, apis), CW_DEST_ALLOWED);
	/* another port on that address, another address: not the API server */
	CHECK_EQ_INT(judge(sa, "10.96.0.1", "10.96.0.1", 8443, apis), CW_DEST_UNEXPECTED);
	CHECK_EQ_INT(judge(sa, "10.96.0.9", "10.96.0.9", 443, apis), CW_DEST_UNEXPECTED);
	/* an address that is not a known API server stays an alert; no name, not judged */
	CHECK_EQ_INT(judge(sa, "203.0.113.5", "203.0.113.5", 443, apis), CW_DEST_UNEXPECTED);
	CHECK_EQ_INT(judge(sa, "", "203.0.113.5", 443, apis), CW_DEST_UNJUDGED);
	cw_apiservers_free(apis);
}

/* The self-hosted GitHub/GitLab example in deploy/ loads, alone and as a default policy's
 * credentials, and adds its hosts to the rules' own. */
TEST(destination_deploy_github_enterprise_example)
{
	static const char marker[] = "credentials: []\n";
	char root[256], path[512], err[512], *def, *ex, *both;
	const char *file = __FILE__, *cut = strstr(file, "tests/unit/");
	const struct cw_rule *gh = rule("github-pat-classic"), *gl = rule("gitlab-pat");
	struct cw_policy p = { 0 };
	const struct cw_policy_cred *b;
	size_t dlen, elen;
	ssize_t n;
	char *at;

	REQUIRE(gh && gl && cut);
	snprintf(root, sizeof(root), "%.*s", (int)(cut - file), file);
	snprintf(path, sizeof(path), "%sdeploy/policy-github-enterprise.yaml", root);
	REQUIRE(cw_policy_load_file(&p, path, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.ncreds, 2);

	/* in place of the default's "credentials: []" */
	snprintf(path, sizeof(path), "%spolicy/default.yaml", root);
	def = malloc(1 << 20);
	ex = malloc(1 << 16);
	REQUIRE(def && ex);
	n = tu_read_file(path, def, (1 << 20) - 1);
	REQUIRE(n > 0);
	def[n] = '\0';
	snprintf(path, sizeof(path), "%sdeploy/policy-github-enterprise.yaml", root);
	n = tu_read_file(path, ex, (1 << 16) - 1);
	REQUIRE(n > 0);
	ex[n] = '\0';
	dlen = strlen(def);
	elen = strlen(ex);
	cw_policy_free(&p); /* the first load's */
	REQUIRE((at = strstr(def, marker)));
	both = malloc(dlen + elen + 1);
	REQUIRE(both);
	memcpy(both, def, (size_t)(at - def));
	memcpy(both + (at - def), ex, elen);
	strcpy(both + (at - def) + elen, at + strlen(marker));
	REQUIRE(cw_policy_load_buf(&p, "spliced.yaml", both, strlen(both), err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.ncreds, 2);
	CHECK(p.nreaders >= 3 && p.watch.n > 10);

	b = cw_policy_cred_find(&p, "github-pat-classic", NULL, NULL);
	REQUIRE(b);
	{
		struct cw_dest d = { .server = "github.example.com", .ip = "" };

		CHECK_EQ_INT(cw_destinations_judge(&b->destinations, &gh->destinations, &d, NULL),
			     CW_DEST_ALLOWED);
		d.server = "api.github.example.com";
		CHECK_EQ_INT(cw_destinations_judge(&b->destinations, &gh->destinations, &d, NULL),
			     CW_DEST_ALLOWED);
		d.server = "api.github.com"; /* '@rule': the rule's hosts still */
		CHECK_EQ_INT(cw_destinations_judge(&b->destinations, &gh->destinations, &d, NULL),
			     CW_DEST_ALLOWED);
		d.server = "paste.example";
		CHECK_EQ_INT(cw_destinations_judge(&b->destinations, &gh->destinations, &d, NULL),
			     CW_DEST_UNEXPECTED);
	}
	b = cw_policy_cred_find(&p, "gitlab-pat", NULL, NULL);
	REQUIRE(b);
	{
		struct cw_dest d = { .server = "registry.example.com", .ip = "" };

		CHECK_EQ_INT(cw_destinations_judge(&b->destinations, &gl->destinations, &d, NULL),
			     CW_DEST_ALLOWED);
		d.server = "gitlab.com";
		CHECK_EQ_INT(cw_destinations_judge(&b->destinations, &gl->destinations, &d, NULL),
			     CW_DEST_ALLOWED);
	}
	CHECK(cw_policy_cred_find(&p, "slack-bot-token", NULL, NULL) == NULL);
	cw_policy_free(&p);
	free(both);
	free(ex);
	free(def);
}
