// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Decoding layers: a credential inside an HTTP Basic header, a base64 value, a percent-encoded
 * query, a JSON string with escapes or a URL's userinfo is found as the credential it is, with
 * its decoding path, located on the encoded bytes; in block scans and in streams cut anywhere.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "detect/decode.h"
#include "detect/example_gen.h"
#include "detect/matcher.h"
#include "detect/redact.h"
#include "detect/rules.h"
#include "output/finding.h"
#include "util/codec.h"
#include "test.h"
#include "testutil.h"

#define MAX_FOUND 16

struct found {
	size_t n;
	struct {
		char rule[64];
		uint64_t start, span;
		char secret[256];
		char path[64]; /* the decoding path, names joined by ',' */
	} v[MAX_FOUND];
};

static void path_str(uint32_t enc, char *out, size_t cap)
{
	out[0] = '\0';
	for (unsigned i = 0; cw_enc_step(enc, i); i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "",
			 cw_enc_name(cw_enc_step(enc, i)));
}

static int collect(const struct cw_match *m, void *arg)
{
	struct found *f = arg;

	if (f->n < MAX_FOUND) {
		snprintf(f->v[f->n].rule, sizeof(f->v[f->n].rule), "%s", m->rule->id);
		f->v[f->n].start = m->start;
		f->v[f->n].span = m->span ? m->span : m->len;
		snprintf(f->v[f->n].secret, sizeof(f->v[f->n].secret), "%.*s", (int)m->len,
			 m->secret);
		path_str(m->encoding, f->v[f->n].path, sizeof(f->v[f->n].path));
		f->n++;
	}
	return 0;
}

static const struct cw_ruleset *rs;
static struct cw_matcher *mt;

static int setup(void)
{
	char err[512];

	if (tu_embedded(&rs, &mt, err, sizeof(err))) {
		fprintf(stderr, "    setup: %s\n", err);
		return -1;
	}
	return 0;
}

static void scan(const char *text, struct found *f)
{
	memset(f, 0, sizeof(*f));
	cw_matcher_scan(mt, text, strlen(text), collect, f);
}

/* The same text through a stream, cut at `cut`. */
static void stream_cut(const char *text, size_t cut, struct found *f)
{
	struct cw_stream *s = cw_stream_open(mt);
	size_t len = strlen(text);

	memset(f, 0, sizeof(*f));
	if (!s)
		return;
	if (cut > len)
		cut = len;
	cw_stream_write(s, text, cut, collect, f);
	cw_stream_write(s, text + cut, len - cut, collect, f);
	cw_stream_close(s, collect, f);
}

static char *gen(const char *tmpl)
{
	char err[256];

	return cw_example_expand(tmpl, err, sizeof(err));
}

static char *b64(const char *s)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	char *out = malloc(4 * (n + 2) / 3 + 4);

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;

		v |= i + 1 < n ? (uint32_t)(unsigned char)s[i + 1] << 8 : 0;
		v |= i + 2 < n ? (uint32_t)(unsigned char)s[i + 2] : 0;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* One finding of rule `rule`, path `path`, located at [start, start + span) of the text. */
static void check_one(const struct found *f, const char *rule, const char *path, size_t start,
		      size_t span, const char *secret)
{
	CHECK_EQ_INT(f->n, 1);
	if (f->n < 1)
		return;
	CHECK_EQ_STR(f->v[0].rule, rule);
	CHECK_EQ_STR(f->v[0].path, path);
	CHECK_EQ_INT(f->v[0].start, start);
	CHECK_EQ_INT(f->v[0].span, span);
	if (secret)
		CHECK_EQ_STR(f->v[0].secret, secret);
}

static size_t off(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	return p ? (size_t)(p - text) : (size_t)-1;
}

TEST(decode_basic_auth_github_token_is_the_github_rule_once)
{
	char *tok = gen("%{gen:github:ghp_}"), up[128], text[512], *enc;
	struct found f;

	REQUIRE(!setup() && tok);
	snprintf(up, sizeof(up), "x-access-token:%s", tok);
	enc = b64(up);
	snprintf(text, sizeof(text),
		 "GET /org/repo.git/info/refs HTTP/1.1\r\nHost: git.example.org\r\n"
		 "Authorization: Basic %s\r\n\r\n",
		 enc);
	scan(text, &f);
	/* not also the http-basic-auth observation on the same bytes */
	check_one(&f, "github-pat-classic", "base64,basic-auth", off(text, enc), strlen(enc), tok);
	/* the token as the user name (GitHub's documented form), in Proxy-Authorization */
	snprintf(up, sizeof(up), "%s:x-oauth-basic", tok);
	free(enc);
	enc = b64(up);
	snprintf(text, sizeof(text), "Proxy-Authorization: basic %s\n", enc);
	scan(text, &f);
	check_one(&f, "github-pat-classic", "base64,basic-auth", off(text, enc), strlen(enc), tok);
	free(enc);
	free(tok);
}

TEST(decode_basic_auth_password_stays_a_basic_auth_finding)
{
	char *pw = gen("deploy:%{alnum:20}"), text[256], *enc;
	struct found f;

	REQUIRE(!setup() && pw);
	enc = b64(pw);
	snprintf(text, sizeof(text), "Authorization: Basic %s\n", enc);
	scan(text, &f);
	check_one(&f, "http-basic-auth", "", off(text, enc), strlen(enc), enc);
	free(enc);
	free(pw);
}

TEST(decode_base64_values_of_secret_docker_npmrc_kubeconfig)
{
	char *tok = gen("%{gen:github:ghp_}"), *aws = gen("AKIA%{base32:16}");
	char *key = gen("-----BEGIN RSA PRIVATE KEY-----\n%{base64:64}\n%{base64:64}\n"
			"-----END RSA PRIVATE KEY-----\n");
	char up[256], text[4096], *enc, *enc2;
	struct found f;

	REQUIRE(!setup() && tok && aws && key);
	/* a Secret's value holding a whole .env: both secrets, each once */
	snprintf(up, sizeof(up), "AWS_ACCESS_KEY_ID=%s\nGITHUB_TOKEN=%s\n", aws, tok);
	enc = b64(up);
	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n"
		 "  app.env: %s\n",
		 enc);
	scan(text, &f);
	CHECK_EQ_INT(f.n, 2);
	for (size_t i = 0; i < f.n; i++) {
		CHECK_EQ_STR(f.v[i].path, "base64");
		CHECK_EQ_INT(f.v[i].start, off(text, enc));
		CHECK_EQ_INT(f.v[i].span, strlen(enc));
	}
	free(enc);
	/* docker config.json auths.*.auth and .npmrc _auth: user:token */
	snprintf(up, sizeof(up), "robot:%s", tok);
	enc = b64(up);
	snprintf(text, sizeof(text), "{\"auths\":{\"ghcr.io\":{\"auth\":\"%s\"}}}\n", enc);
	scan(text, &f);
	check_one(&f, "github-pat-classic", "base64", off(text, enc), strlen(enc), tok);
	snprintf(text, sizeof(text), "registry=https://npm.pkg.github.com/\n_auth=%s\n", enc);
	scan(text, &f);
	check_one(&f, "github-pat-classic", "base64", off(text, enc), strlen(enc), tok);
	/* kubeconfig client-key-data: a PEM key */
	enc2 = b64(key);
	snprintf(text, sizeof(text), "users:\n- name: admin\n  user:\n    client-key-data: %s\n",
		 enc2);
	scan(text, &f);
	check_one(&f, "private-key", "base64", off(text, enc2), strlen(enc2), NULL);
	free(enc);
	free(enc2);
	free(key);
	free(aws);
	free(tok);
}

TEST(decode_two_layers_and_no_third)
{
	char *tok = gen("%{gen:github:ghp_}"), up[256], json[512], text[1024], *inner, *outer;
	struct found f;

	REQUIRE(!setup() && tok);
	/* a Secret's .dockerconfigjson: base64 of JSON whose auth is base64 of user:token */
	snprintf(up, sizeof(up), "robot:%s", tok);
	inner = b64(up);
	snprintf(json, sizeof(json), "{\"auths\":{\"ghcr.io\":{\"auth\":\"%s\"}}}", inner);
	outer = b64(json);
	snprintf(text, sizeof(text), "data:\n  .dockerconfigjson: %s\n", outer);
	scan(text, &f);
	check_one(&f, "github-pat-classic", "base64,base64", off(text, outer), strlen(outer), tok);
	/* a third layer is not opened: what the second shows is docker's auth value */
	free(inner);
	inner = b64(text);
	snprintf(text, sizeof(text), "secret: %s\n", inner);
	scan(text, &f);
	check_one(&f, "docker-config-auth", "base64,base64", off(text, inner), strlen(inner), NULL);
	free(inner);
	free(outer);
	free(tok);
}

TEST(decode_percent_query_and_form_locate_the_escaped_bytes)
{
	char *hook = gen("https://hooks.slack.com/services/T%{upperdigit:10}/B%{upperdigit:10}/"
			 "%{alnum:24}");
	char *sig = gen("%{alnum:20}/%{alnum:10}+%{alnum:10}=");
	char esc[256], text[512], *o = esc;
	struct found f;

	REQUIRE(!setup() && hook && sig);
	for (const char *p = hook; *p; p++)
		o += *p == ':' || *p == '/' ? sprintf(o, "%%%02X", *p) : (*o = *p, 1);
	*o = '\0';
	snprintf(text, sizeof(text), "GET /hook?next=%s&x=1 HTTP/1.1\n", esc);
	scan(text, &f);
	check_one(&f, "slack-webhook-url", "percent", off(text, esc), strlen(esc), hook);
	free(hook);
	free(sig);
}

TEST(decode_json_escapes)
{
	char *tok = gen("%{gen:github:ghp_}"), text[512];
	struct found f;

	REQUIRE(!setup() && tok);
	/* ghp\u005f...: the escape hides the prefix; the location is the escaped form */
	snprintf(text, sizeof(text), "{\"name\": \"ci\", \"token\": \"ghp\\u005f%s\"}\n", tok + 4);
	scan(text, &f);
	check_one(&f, "github-pat-classic", "json-escape", off(text, "ghp\\u"), strlen(tok) + 5,
		  tok);
	free(tok);
}

TEST(decode_userinfo_splits_user_and_password)
{
	struct cw_decoded d = { 0 };
	const char *url = "git clone https://me:p%40ss%3Aw0rd@example.org/x";
	size_t end = off(url, "@example") + 1, os, oe;

	REQUIRE(cw_decode_carrier(CW_CAR_USERINFO, url, strlen(url), 0, end, true, &d) == 1);
	CHECK_EQ_INT(d.len, strlen("me\np@ss:w0rd"));
	CHECK(!memcmp(d.buf, "me\np@ss:w0rd", d.len));
	CHECK_EQ_INT(d.path, CW_ENC_USERINFO | CW_ENC_PERCENT << 8);
	/* "p@ss:w0rd" lies on "p%40ss%3Aw0rd" */
	cw_decoded_span(&d, 3, d.len, &os, &oe);
	CHECK_EQ_INT(os, off(url, "p%40"));
	CHECK_EQ_INT(oe, off(url, "@example"));
	cw_decoded_free(&d);
}

TEST(decode_not_text_or_not_a_value_is_left_alone)
{
	struct cw_decoded d = { 0 };
	const char *png = "icon: iVBORw0KGgoAAAANSUhEUgAA\n";
	const char *code = "x = someFunctionNameHere(arg)\n";
	const char *half = "token: dXNlcjpwYXNzd29yZA==";

	/* binary, a name going on into code, and a value whose end has not come yet */
	CHECK_EQ_INT(cw_decode_carrier(CW_CAR_B64, png, strlen(png), 0, 22, true, &d), 0);
	CHECK_EQ_INT(cw_decode_carrier(CW_CAR_B64, code, strlen(code), 0, 20, true, &d), 0);
	CHECK_EQ_INT(cw_decode_carrier(CW_CAR_B64, half, strlen(half), 0, 23, false, &d), -EAGAIN);
	CHECK_EQ_INT(cw_decode_carrier(CW_CAR_B64, half, strlen(half), 0, 23, true, &d), 1);
	cw_decoded_free(&d);
}

TEST(decode_streams_find_what_blocks_find_at_every_cut)
{
	char *tok = gen("%{gen:github:ghp_}"), up[128], text[512], *enc;
	struct found want, got;
	size_t len;

	REQUIRE(!setup() && tok);
	snprintf(up, sizeof(up), "u:%s", tok);
	enc = b64(up);
	snprintf(text, sizeof(text),
		 "POST /x HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\nq=%%2F%%2Fhooks&token=%s\n"
		 "{\"t\": \"ghp\\u005f%s\"}\n",
		 enc, tok, tok + 4);
	len = strlen(text);
	scan(text, &want);
	CHECK_EQ_INT(want.n, 3);
	for (size_t cut = 0; cut <= len; cut++) {
		stream_cut(text, cut, &got);
		CHECK_EQ_INT(got.n, want.n);
		for (size_t i = 0; i < got.n && i < want.n; i++) {
			CHECK_EQ_STR(got.v[i].rule, want.v[i].rule);
			CHECK_EQ_STR(got.v[i].path, want.v[i].path);
			CHECK_EQ_INT(got.v[i].start, want.v[i].start);
			CHECK_EQ_INT(got.v[i].span, want.v[i].span);
			CHECK_EQ_STR(got.v[i].secret, want.v[i].secret);
		}
		if (cw_test_failed) {
			fprintf(stderr, "    at cut %zu\n", cut);
			break;
		}
	}
	free(enc);
	free(tok);
}

/* The bytes decoded per scan are capped: a flood of base64 values is not all opened. */
TEST(decode_budget_bounds_the_work)
{
	char *tok = gen("%{gen:github:ghp_}"), up[1024], *enc, *text;
	size_t n = 200, cap;
	struct found f;

	REQUIRE(!setup() && tok);
	memset(up, 'a', sizeof(up));
	snprintf(up + 600, sizeof(up) - 600, " T=%s", tok);
	enc = b64(up);
	cap = n * (strlen(enc) + 16);
	text = malloc(cap);
	REQUIRE(text);
	snprintf(text, cap, "data:\n");
	for (size_t i = 0; i < n; i++)
		snprintf(text + strlen(text), cap - strlen(text), "  k%zu: %s\n", i, enc);
	memset(&f, 0, sizeof(f));
	/* MAX_FOUND caps what is collected: count instead */
	CHECK(cw_matcher_scan(mt, text, strlen(text), NULL, NULL) <
	      (int)(CW_DECODE_BUDGET / strlen(up) + 2));
	CHECK(cw_matcher_scan(mt, text, strlen(text), NULL, NULL) > 8);
	free(text);
	free(enc);
	free(tok);
}

TEST(decode_off_by_environment)
{
	char *tok = gen("%{gen:github:ghp_}"), up[128], text[256], err[256], *enc;
	struct cw_matcher *off_m = NULL;
	struct found f;

	REQUIRE(!setup() && tok);
	snprintf(up, sizeof(up), "u:%s", tok);
	enc = b64(up);
	snprintf(text, sizeof(text), "Authorization: Basic %s\n", enc);
	setenv("CREDWATCH_DECODE", "0", 1);
	REQUIRE(!cw_matcher_new(rs, &off_m, err, sizeof(err)));
	unsetenv("CREDWATCH_DECODE");
	memset(&f, 0, sizeof(f));
	cw_matcher_scan(off_m, text, strlen(text), collect, &f);
	check_one(&f, "http-basic-auth", "", off(text, enc), strlen(enc), enc);
	cw_matcher_free(off_m);
	free(enc);
	free(tok);
}

struct ecs_ctx {
	char line[2048];
};

/* What a finding line says of a decoded secret: redacted, never the token nor its base64. */
static int to_ecs(const struct cw_match *m, void *arg)
{
	struct ecs_ctx *e = arg;
	char red[CW_REDACT_MAX];
	struct cw_json j;

	cw_json_init(&j);
	cw_redact(m->secret, m->len, red);
	cw_json_obj_begin(&j);
	cw_finding_credential_open(&j, m, red, "fp");
	cw_json_obj_end(&j);
	cw_json_obj_end(&j);
	snprintf(e->line, sizeof(e->line), "%s", j.buf ? j.buf : "");
	cw_json_free(&j);
	return 0;
}

TEST(decode_finding_line_holds_no_plaintext_and_the_path)
{
	char *tok = gen("%{gen:github:ghp_}"), up[128], text[256], *enc, *tenc;
	struct ecs_ctx e = { { 0 } };

	REQUIRE(!setup() && tok);
	snprintf(up, sizeof(up), "x-access-token:%s", tok);
	enc = b64(up);
	tenc = b64(tok);
	snprintf(text, sizeof(text), "Authorization: Basic %s\n", enc);
	cw_matcher_scan(mt, text, strlen(text), to_ecs, &e);
	CHECK(strstr(e.line, "\"encoding\":[\"base64\",\"basic-auth\"]") != NULL);
	CHECK(strstr(e.line, tok) == NULL);
	CHECK(strstr(e.line, tok + 4) == NULL);
	CHECK(strstr(e.line, enc) == NULL);
	CHECK(strstr(e.line, "ghp_") != NULL); /* the redacted form's head */
	/* the token's own base64, in any alignment, is not there either */
	CHECK(strstr(e.line, tenc) == NULL);
	free(tenc);
	free(enc);
	free(tok);
}
