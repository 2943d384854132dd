// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The HTTPS sinks' pure parts: request bodies, replies, Retry-After, credentials, gzip. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "output/http_auth.h"
#include "output/http_body.h"
#include "output/http_reply.h"
#include "output/sink.h"
#include "util/gzip.h"
#include "test.h"
#include "testutil.h"

#define REC(json, id)                                                                \
	{                                                                            \
		.data = json, .len = sizeof(json) - 1, .event_id = id, .alert = true \
	}

static const struct cw_sink_rec two[] = {
	REC("{\"@timestamp\":\"2026-11-22T07:38:05.123Z\",\"event\":{\"id\":\"e1\"}}", "e1"),
	REC("{\"time\":1700000000456,\"finding_info\":{\"uid\":\"e\\\"2\"}}", "e\"2"),
};

/* A random hex string of n characters (a test credential: never a literal). */
static void rand_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
		out[i] = hex[tu_below(16)];
	out[n] = '\0';
}

TEST(sink_http_gzip_round_trip)
{
	static const char *const inputs[] = {
		"", "{\"a\":1}", "[{\"x\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]"
	};
	char big[200000], *gz, *back;
	size_t gzlen, backlen;

	tu_seed(16);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		REQUIRE(cw_gzip(inputs[i], strlen(inputs[i]), &gz, &gzlen) == 0);
		CHECK(gzlen >= 18 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
		REQUIRE(cw_gunzip(gz, gzlen, 1 << 20, &back, &backlen) == 0);
		CHECK_EQ_INT(backlen, strlen(inputs[i]));
		CHECK_EQ_STR(back, inputs[i]);
		free(back);
		free(gz);
	}
	/* Incompressible bytes grow a little and still come back whole. */
	tu_rand_bytes(big, sizeof(big));
	REQUIRE(cw_gzip(big, sizeof(big), &gz, &gzlen) == 0);
	REQUIRE(cw_gunzip(gz, gzlen, sizeof(big), &back, &backlen) == 0);
	CHECK_EQ_INT(backlen, sizeof(big));
	CHECK(!memcmp(back, big, sizeof(big)));
	free(back);
	/* Bounded, cut short, or not gzip at all. */
	CHECK_EQ_INT(cw_gunzip(gz, gzlen, sizeof(big) - 1, &back, &backlen), -EFBIG);
	CHECK_EQ_INT(cw_gunzip(gz, gzlen / 2, sizeof(big), &back, &backlen), -EINVAL);
	CHECK_EQ_INT(cw_gunzip("not gzip at all", 15, 100, &back, &backlen), -EINVAL);
	free(gz);
}

TEST(sink_http_record_time)
{
	CHECK_EQ_INT(cw_http_record_time_ms(two[0].data, two[0].len), 1795333085123LL);
	CHECK_EQ_INT(cw_http_record_time_ms(two[1].data, two[1].len), 1700000000456LL);
	CHECK_EQ_INT(cw_http_record_time_ms("{\"created_time\":5}", 18), -1);
	CHECK_EQ_INT(cw_http_record_time_ms("{\"@timestamp\":\"soon\"}", 21), -1);
}

/* HEC's batch: JSON objects back to back; each parsed in turn. */
TEST(sink_http_hec_body)
{
	struct cw_http_buf b = { 0 };
	json_error_t jerr;
	const char *p;
	json_t *o;
	int k = 0;

	REQUIRE(cw_http_body_hec(&b, two, 2, "node\"1", "sec", 1) == 0);
	for (p = b.p; *p; k++) {
		o = json_loads(p, JSON_DISABLE_EOF_CHECK, &jerr);
		REQUIRE(o);
		CHECK_EQ_STR(json_string_value(json_object_get(o, "host")), "node\"1");
		CHECK_EQ_STR(json_string_value(json_object_get(o, "source")), "credwatch");
		CHECK_EQ_STR(json_string_value(json_object_get(o, "sourcetype")), "_json");
		CHECK_EQ_STR(json_string_value(json_object_get(o, "index")), "sec");
		CHECK(json_is_object(json_object_get(o, "event")));
		CHECK(json_real_value(json_object_get(o, "time")) ==
		      (k ? 1700000000.456 : 1795333085.123));
		json_decref(o);
		p += jerr.position;
		while (*p == '\n')
			p++;
	}
	CHECK_EQ_INT(k, 2);
	/* No index: no field; a finding without a time takes now. */
	struct cw_sink_rec bare = REC("{\"x\":1}", "e3");
	REQUIRE(cw_http_body_hec(&b, &bare, 1, "h", NULL, 1234567) == 0);
	CHECK_EQ_STR(b.p, "{\"time\":1234.567,\"host\":\"h\",\"source\":\"credwatch\","
			  "\"sourcetype\":\"_json\",\"event\":{\"x\":1}}");
	cw_http_buf_free(&b);
}

TEST(sink_http_bulk_body)
{
	struct cw_http_buf b = { 0 };

	REQUIRE(cw_http_body_bulk(&b, two, 2, "credwatch-alerts") == 0);
	CHECK_EQ_STR(b.p,
		     "{\"create\":{\"_index\":\"credwatch-alerts\",\"_id\":\"e1\"}}\n"
		     "{\"@timestamp\":\"2026-11-22T07:38:05.123Z\",\"event\":{\"id\":\"e1\"}}\n"
		     "{\"create\":{\"_index\":\"credwatch-alerts\",\"_id\":\"e\\\"2\"}}\n"
		     "{\"time\":1700000000456,\"finding_info\":{\"uid\":\"e\\\"2\"}}\n");
	/* The URL names the index: the actions do not. */
	REQUIRE(cw_http_body_bulk(&b, two, 1, "") == 0);
	CHECK_EQ_STR(b.p,
		     "{\"create\":{\"_id\":\"e1\"}}\n"
		     "{\"@timestamp\":\"2026-11-22T07:38:05.123Z\",\"event\":{\"id\":\"e1\"}}\n");
	cw_http_buf_free(&b);
}

TEST(sink_http_webhook_body)
{
	struct cw_http_buf b = { 0 };
	json_t *a;

	REQUIRE(cw_http_body_webhook(&b, two, 2) == 0);
	a = json_loads(b.p, 0, NULL);
	REQUIRE(json_is_array(a));
	CHECK_EQ_INT(json_array_size(a), 2);
	CHECK_EQ_STR(json_string_value(
			     json_object_get(json_object_get(json_array_get(a, 0), "event"), "id")),
		     "e1");
	json_decref(a);
	REQUIRE(cw_http_body_webhook(&b, two, 0) == 0);
	CHECK_EQ_STR(b.p, "[]");
	cw_http_buf_free(&b);
}

static const struct cw_sink_rec five[] = { REC("{}", "a"), REC("{}", "b"), REC("{}", "c"),
					   REC("{}", "d"), REC("{}", "e") };

#define ITEM(id, st) "{\"create\":{\"_index\":\"i\",\"_id\":\"" id "\",\"status\":" #st "}}"
#define FAILED(id, st, type)                                                              \
	"{\"create\":{\"_index\":\"i\",\"_id\":\"" id "\",\"status\":" #st ",\"error\":{" \
	"\"type\":\"" type "\",\"reason\":\"why\"}}}"

static bool bulk(long status, const char *body, struct cw_sink_result *r)
{
	memset(r, 0, sizeof(*r));
	return cw_http_reply_bulk(status, body, strlen(body), five, 5, r);
}

TEST(sink_http_bulk_reply_item_by_item)
{
	struct cw_sink_result r;

	/* Created, or there already (a batch delivered before): all delivered. */
	CHECK(!bulk(
		200,
		"{\"took\":3,\"errors\":true,\"items\":[" ITEM("a", 201) "," ITEM("b", 201) "," FAILED(
			"c", 409,
			"version_conflict_engine_exception") "," ITEM("d", 201) "," ITEM("e",
											 200) "]}",
		&r));
	CHECK_EQ_INT(r.acked, 5);
	CHECK_EQ_STR(r.error, "");
	/* The third rejected for load: the first two count, the rest go again, and it asks
	 * for a pause. */
	CHECK(bulk(200,
		   "{\"errors\":true,\"items\":[" ITEM("a", 201) "," ITEM("b", 409) "," FAILED(
			   "c", 429,
			   "es_rejected_execution_exception") "," ITEM("d", 201) "," ITEM("e",
											  201) "]}",
		   &r));
	CHECK_EQ_INT(r.acked, 2);
	CHECK_CONTAINS(r.error, "bulk item 2 (_id c): status 429 es_rejected_execution_exception");
	/* A document the index refuses for good (400): it leaves the queue, counted with its
	 * reason, and does not hold the ones after it back (sent again it would fail again). */
	CHECK(!bulk(200,
		    "{\"errors\":true,\"items\":[" FAILED(
			    "a", 400, "mapper_parsing_exception") "," ITEM("b", 201) "]}",
		    &r));
	CHECK_EQ_INT(r.acked, 2);
	CHECK_EQ_INT(r.rejected, 1);
	CHECK_CONTAINS(r.rejected_why, "mapper_parsing_exception: why");
	/* Fewer items than documents, or items for other documents. */
	CHECK(!bulk(200, "{\"items\":[" ITEM("a", 201) "," ITEM("b", 201) "]}", &r));
	CHECK_EQ_INT(r.acked, 2);
	CHECK_CONTAINS(r.error, "2 items for 5 documents");
	CHECK(!bulk(200, "{\"items\":[" ITEM("a", 201) "," ITEM("x", 201) "]}", &r));
	CHECK_EQ_INT(r.acked, 1);
	CHECK_CONTAINS(r.error, "answers for _id x, not b");
	/* Whole-request failures. */
	CHECK(bulk(429, "{\"error\":\"busy\"}", &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK(!bulk(413, "", &r));
	CHECK_EQ_STR(r.error, "HTTP 413");
	CHECK(!bulk(401, "{}", &r));
	CHECK_CONTAINS(r.error, "HTTP 401 (the credential was refused)");
	CHECK(!bulk(200, "<html>proxy</html>", &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK_CONTAINS(r.error, "without a bulk reply");
}

TEST(sink_http_hec_reply)
{
	struct cw_sink_result r;
	const char *ok = "{\"text\":\"Success\",\"code\":0}",
		   *busy = "{\"text\":\"Server is busy\",\"code\":9}",
		   *bad = "{\"text\":\"Invalid token\",\"code\":4}";

	CHECK(!cw_http_reply_hec(200, ok, strlen(ok), 7, &r));
	CHECK_EQ_INT(r.acked, 7);
	CHECK_EQ_STR(r.error, "");
	CHECK(cw_http_reply_hec(503, busy, strlen(busy), 7, &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_STR(r.error, "HEC code 9: Server is busy (HTTP 503)");
	CHECK(!cw_http_reply_hec(403, bad, strlen(bad), 7, &r));
	CHECK_EQ_STR(r.error, "HEC code 4: Invalid token (HTTP 403)");
	CHECK(!cw_http_reply_hec(200, "ok", 2, 7, &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK(!cw_http_reply_hec(502, "bad\ngateway", 11, 7, &r));
	CHECK_EQ_STR(r.error, "HTTP 502: bad gateway");
}

TEST(sink_http_webhook_reply)
{
	struct cw_sink_result r;

	CHECK(!cw_http_reply_webhook(204, "", 0, 3, &r));
	CHECK_EQ_INT(r.acked, 3);
	CHECK(cw_http_reply_webhook(429, "", 0, 3, &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK(!cw_http_reply_webhook(500, "oops", 4, 3, &r));
	CHECK_EQ_STR(r.error, "HTTP 500: oops");
}

TEST(sink_http_retry_after)
{
	time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */

	CHECK_EQ_INT(cw_http_retry_after_ms("120", now), 120000);
	CHECK_EQ_INT(cw_http_retry_after_ms(" 0\r\n", now), 0);
	CHECK_EQ_INT(cw_http_retry_after_ms("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000);
	CHECK_EQ_INT(cw_http_retry_after_ms("Wednesday, 21-Oct-15 07:29:00 GMT", now), 60000);
	CHECK_EQ_INT(cw_http_retry_after_ms("Wed Oct 21 07:28:02 2015", now), 2000);
	CHECK_EQ_INT(cw_http_retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
	CHECK_EQ_INT(cw_http_retry_after_ms("99999999", now), CW_RETRY_AFTER_MAX_MS);
	CHECK_EQ_INT(cw_http_retry_after_ms("soon", now), -1);
	CHECK_EQ_INT(cw_http_retry_after_ms("12s", now), -1);
	CHECK_EQ_INT(cw_http_retry_after_ms("-5", now), -1);
}

/* The credential as each sink sends it; messages name the file, never its content. */
TEST(sink_http_auth_forms)
{
	char dir[256], path[300], tok[41], file[200], want[400], err[400];
	struct cw_http_auth a;

	tu_seed(1616);
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/token", dir);
	rand_hex(tok, 40);

	snprintf(file, sizeof(file), "  %s\n", tok);
	REQUIRE(tu_write_file(path, file, strlen(file), 0600) == 0);
	REQUIRE(cw_http_auth_load(CW_SINK_HEC, path, &a, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "Authorization: Splunk %s", tok);
	CHECK_EQ_STR(a.header, want);
	CHECK(!a.userpwd);
	cw_http_auth_wipe(&a);
	REQUIRE(cw_http_auth_load(CW_SINK_WEBHOOK, path, &a, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "Authorization: Bearer %s", tok);
	CHECK_EQ_STR(a.header, want);
	cw_http_auth_wipe(&a);
	REQUIRE(cw_http_auth_load(CW_SINK_BULK, path, &a, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "Authorization: ApiKey %s", tok);
	CHECK_EQ_STR(a.header, want);
	cw_http_auth_wipe(&a);

	snprintf(file, sizeof(file), "elastic:%s\n", tok);
	REQUIRE(tu_write_file(path, file, strlen(file), 0600) == 0);
	REQUIRE(cw_http_auth_load(CW_SINK_BULK, path, &a, err, sizeof(err)) == 0);
	CHECK(!a.header);
	snprintf(want, sizeof(want), "elastic:%s", tok);
	CHECK_EQ_STR(a.userpwd, want);
	cw_http_auth_wipe(&a);

	snprintf(file, sizeof(file), "Bearer %s", tok);
	REQUIRE(tu_write_file(path, file, strlen(file), 0600) == 0);
	REQUIRE(cw_http_auth_load(CW_SINK_BULK, path, &a, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "Authorization: Bearer %s", tok);
	CHECK_EQ_STR(a.header, want);
	cw_http_auth_wipe(&a);

	snprintf(file, sizeof(file), "X-Api-Key: %s\n", tok);
	REQUIRE(tu_write_file(path, file, strlen(file), 0600) == 0);
	REQUIRE(cw_http_auth_load(CW_SINK_WEBHOOK, path, &a, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "X-Api-Key: %s", tok);
	CHECK_EQ_STR(a.header, want);
	cw_http_auth_wipe(&a);

	/* Two lines would smuggle a header: refused, without quoting them. */
	snprintf(file, sizeof(file), "%s\nX-Other: 1\n", tok);
	REQUIRE(tu_write_file(path, file, strlen(file), 0600) == 0);
	CHECK(cw_http_auth_load(CW_SINK_WEBHOOK, path, &a, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "must hold one line");
	CHECK(!strstr(err, tok));
	REQUIRE(tu_write_file(path, " \n", 2, 0600) == 0);
	CHECK(cw_http_auth_load(CW_SINK_HEC, path, &a, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "empty");

	/* Missing file, or none given. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK(cw_http_auth_load(CW_SINK_HEC, path, &a, err, sizeof(err)) == -ENOENT);
	snprintf(want, sizeof(want), "cannot read token file %s: No such file or directory", path);
	CHECK_EQ_STR(err, want);
	CHECK(cw_http_auth_load(CW_SINK_HEC, "", &a, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "token-file=FILE");
	REQUIRE(cw_http_auth_load(CW_SINK_WEBHOOK, "", &a, err, sizeof(err)) == 0);
	CHECK(!a.header && !a.userpwd);
	tu_rmtree(dir);
}

/* open's one-line errors, before anything is sent. */
TEST(sink_http_open_errors)
{
	struct cw_output_spec spec = { 0 };
	char dir[256], err[256], want[700];
	void *st = NULL;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	spec.kind = CW_SINK_HEC;
	spec.timeout_ms = 1000;
	snprintf(spec.target, sizeof(spec.target), "https://127.0.0.1:1/services/collector");
	snprintf(spec.ca_file, sizeof(spec.ca_file), "%s/ca.pem", dir);
	CHECK(cw_sink_http_ops.open(&spec, &st, err, sizeof(err)) == -ENOENT);
	snprintf(want, sizeof(want), "cannot read CA file %s: No such file or directory",
		 spec.ca_file);
	CHECK_EQ_STR(err, want);
	spec.ca_file[0] = '\0';
	snprintf(spec.token_file, sizeof(spec.token_file), "%s/hec.token", dir);
	CHECK(cw_sink_http_ops.open(&spec, &st, err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "cannot read token file");
	CHECK(!st);
	tu_rmtree(dir);
}
