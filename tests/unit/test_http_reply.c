// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A 2xx that is not the endpoint's reply says what the body was (so a failure explains
 * itself), and a credential the far end echoes is masked before anything reads the body.
 */
#include <stdlib.h>
#include <string.h>

#include "output/http_reply.h"
#include "test.h"
#include "testutil.h"

static const struct cw_sink_rec one[] = { { .data = "{}", .len = 2, .event_id = "e1" } };

TEST(http_reply_2xx_without_the_endpoints_reply_shows_the_body)
{
	struct cw_sink_result r;
	char big[200];

	/* An empty 200: what a stand-in that answers every request with 200 sends. */
	CHECK(!cw_http_reply_hec(200, "", 0, 2, &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_STR(r.error, "HTTP 200 without HEC's reply (an empty body)");
	CHECK(!cw_http_reply_hec(200, "{\"received\": 1}", 15, 2, &r));
	CHECK_EQ_STR(r.error, "HTTP 200 without HEC's reply (15 bytes: \"{\"received\": 1}\")");
	/* Cut, and made printable: no newline or control byte reaches the log line. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "<html>\r\n\t<b>", 12);
	CHECK(!cw_http_reply_hec(200, big, sizeof(big), 2, &r));
	CHECK_EQ_STR(r.error, "HTTP 200 without HEC's reply (200 bytes: \"<html>   <b>"
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\")");
	/* A HEC reply cut short is not one. */
	CHECK(!cw_http_reply_hec(200, "{\"text\":\"Succ", 13, 2, &r));
	CHECK_EQ_STR(r.error, "HTTP 200 without HEC's reply (13 bytes: \"{\"text\":\"Succ\")");
	CHECK(!cw_http_reply_bulk(201, "", 0, one, 1, &r));
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_STR(r.error, "HTTP 201 without a bulk reply (an empty body)");
	CHECK(!cw_http_reply_bulk(200, "x", 1, one, 1, &r));
	CHECK_EQ_STR(r.error, "HTTP 200 without a bulk reply (1 byte: \"x\")");
}

TEST(http_reply_mask_hides_every_echo_of_the_credential)
{
	char *tok = tu_secret("%{hex:40}"), *pwd = tu_secret("%{alnum:16}");
	char header[128], body[512], want[512], stars[64];
	const char *secrets[] = { NULL, tok, "abc", pwd };
	struct cw_sink_result r;

	/* The body quotes the token twice (once at its very end) and the password once. */
	snprintf(header, sizeof(header), "Authorization: Splunk %s", tok);
	snprintf(body, sizeof(body), "{\"echo\":\"%s\",\"pw\":\"%s\",\"abc\":1}%s", header, pwd,
		 tok);
	memset(stars, '*', 40);
	stars[40] = '\0';
	snprintf(want, sizeof(want),
		 "{\"echo\":\"Authorization: Splunk %s\",\"pw\":\"****************\",\"abc\":1}%s",
		 stars, stars);
	cw_http_reply_mask(body, strlen(body), secrets, 4);
	/* a NULL secret and one shorter than CW_HTTP_SECRET_MIN ("abc") mask nothing */
	CHECK_EQ_STR(body, want);
	/* Masked before it is read: the excerpt of a 200 quotes no part of the token, even cut. */
	snprintf(body, sizeof(body), "<p>bad request: Splunk %s</p>", tok);
	cw_http_reply_mask(body, strlen(body), secrets, 4);
	CHECK(!cw_http_reply_hec(200, body, strlen(body), 1, &r));
	CHECK(!strstr(r.error, tok));
	CHECK(!tu_contains(r.error, strlen(r.error), tok, 8));
	CHECK_CONTAINS(r.error, "Splunk ****");
	free(tok);
	free(pwd);
}
