// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/json_writer.h"
#include "jsoncheck.h"
#include "test.h"
#include "testutil.h"

/* The JSON encoding of n bytes, as cw_json_escape writes it (quotes included). */
static char *escaped(const char *s, size_t n)
{
	struct cw_json j;
	char *out;

	cw_json_init(&j);
	cw_json_escape(&j, s, n);
	out = strdup(j.buf ? j.buf : "");
	cw_json_free(&j);
	return out;
}

#define CHECK_ESC(in, want)                               \
	do {                                              \
		char *got_ = escaped(in, sizeof(in) - 1); \
		CHECK_EQ_STR(got_, want);                 \
		free(got_);                               \
	} while (0)

/* The validator must itself be able to say no, or the tests built on it prove nothing. */
TEST(jsoncheck_rejects_invalid_documents)
{
	static const char *const bad[] = {
		"",
		"{",
		"}",
		"{,\"a\":1}",
		"{\"a\":1,}",
		"[1,]",
		"[,1]",
		"{\"a\" 1}",
		"{\"a\":1}{}",
		"{\"a\":1,\"a\":2}",
		"\"a\nb\"",
		"\"a\x01\"",
		"\"\x80\"",
		"\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"",
		"\"\xf5\x80\x80\x80\"",
		"\"\xe2\x82\"",
		"\"\\x41\"",
		"\"\\u12\"",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"01",
		"1.",
		"-",
		"1e",
		"+1",
		"tru",
		"nul",
		"{\"a\":}",
		"\"abc",
		"[\"a\"\"b\"]",
		"{1:2}",
	};
	static const char *const good[] = {
		"{}",
		"[]",
		"0",
		"-0.5e+10",
		"\"\"",
		" {\"a\" : [1, true, false, null, \"x\"]} ",
		"\"\\u00e9\\ud83d\\ude00\\/\\b\\f\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"{\"a\":{\"a\":1}}",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jc_node *v = jc_parse(bad[i], strlen(bad[i]), err, sizeof(err));

		if (v)
			cw_test_fail(__FILE__, __LINE__, "accepted invalid JSON #%zu: %s", i,
				     bad[i]);
		jc_free(v);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct jc_node *v = jc_parse(good[i], strlen(good[i]), err, sizeof(err));

		if (!v)
			cw_test_fail(__FILE__, __LINE__, "rejected valid JSON #%zu %s: %s", i,
				     good[i], err);
		jc_free(v);
	}
}

TEST(json_nested_objects_and_arrays_have_correct_commas)
{
	struct cw_json j;

	cw_json_init(&j);
	cw_json_obj_begin(&j);
	cw_json_kint(&j, "a", 1);
	cw_json_key(&j, "b");
	cw_json_arr_begin(&j);
	cw_json_int(&j, 1);
	cw_json_str(&j, "two");
	cw_json_obj_begin(&j);
	cw_json_kbool(&j, "c", true);
	cw_json_obj_end(&j);
	cw_json_arr_begin(&j);
	cw_json_arr_end(&j);
	cw_json_arr_begin(&j);
	cw_json_uint(&j, 3);
	cw_json_arr_end(&j);
	cw_json_arr_end(&j);
	cw_json_kobj(&j, "e");
	cw_json_obj_end(&j);
	cw_json_kobj(&j, "f");
	cw_json_kstr(&j, "g", "h");
	cw_json_kobj(&j, "i");
	cw_json_kuint(&j, "j", 18446744073709551615ull);
	cw_json_obj_end(&j);
	cw_json_kint(&j, "k", INT64_MIN);
	cw_json_obj_end(&j);
	cw_json_kstrn(&j, "l", "xyz", 2);
	cw_json_kstr(&j, "m", NULL);
	cw_json_key(&j, "n");
	cw_json_double(&j, 0.5);
	cw_json_key(&j, "o");
	cw_json_double(&j, NAN);
	cw_json_key(&j, "p");
	cw_json_double(&j, -INFINITY);
	cw_json_kbool(&j, "q", false);
	cw_json_obj_end(&j);
	REQUIRE(!j.oom);
	CHECK_EQ_STR(j.buf, "{\"a\":1,\"b\":[1,\"two\",{\"c\":true},[],[3]],\"e\":{},"
			    "\"f\":{\"g\":\"h\",\"i\":{\"j\":18446744073709551615},"
			    "\"k\":-9223372036854775808},\"l\":\"xy\",\"m\":\"\",\"n\":0.5,"
			    "\"o\":null,\"p\":null,\"q\":false}");
	CHECK_EQ_INT(j.len, strlen(j.buf));
	CHECK_EQ_INT(j.depth, 0);

	/* reset starts a fresh document in the same buffer */
	cw_json_reset(&j);
	cw_json_arr_begin(&j);
	cw_json_obj_begin(&j);
	cw_json_obj_end(&j);
	cw_json_obj_begin(&j);
	cw_json_kint(&j, "z", -1);
	cw_json_obj_end(&j);
	cw_json_arr_end(&j);
	CHECK_EQ_STR(j.buf, "[{},{\"z\":-1}]");
	cw_json_free(&j);
}

TEST(json_escapes_specials_and_control_bytes)
{
	CHECK_ESC("", "\"\"");
	CHECK_ESC("plain text 123", "\"plain text 123\"");
	CHECK_ESC("a\"b", "\"a\\\"b\"");
	CHECK_ESC("a\\b", "\"a\\\\b\"");
	CHECK_ESC("\n\r\t", "\"\\n\\r\\t\"");
	CHECK_ESC("\x01", "\"\\u0001\"");
	CHECK_ESC("\x08\x0c", "\"\\u0008\\u000c\"");
	CHECK_ESC("\x1b[31m", "\"\\u001b[31m\"");
	CHECK_ESC("\x1f", "\"\\u001f\"");
	CHECK_ESC("\x7f", "\"\\u007f\"");
	CHECK_ESC("a\0b", "\"a\\u0000b\"");
	CHECK_ESC("/ ~", "\"/ ~\"");
	/* keys are escaped like values */
	{
		struct cw_json j;

		cw_json_init(&j);
		cw_json_obj_begin(&j);
		cw_json_kstr(&j, "k\"\n", "v");
		cw_json_obj_end(&j);
		CHECK_EQ_STR(j.buf, "{\"k\\\"\\n\":\"v\"}");
		cw_json_free(&j);
	}
}

TEST(json_invalid_utf8_becomes_replacement_character)
{
	/* lone continuation bytes */
	CHECK_ESC("\x80", "\"\\ufffd\"");
	CHECK_ESC("a\xbf"
		  "b",
		  "\"a\\ufffdb\"");
	/* overlong forms */
	CHECK_ESC("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	CHECK_ESC("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	CHECK_ESC("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESC("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* UTF-16 surrogates encoded as UTF-8 */
	CHECK_ESC("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESC("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	/* truncated sequences at the end */
	CHECK_ESC("x\xe2\x82", "\"x\\ufffd\\ufffd\"");
	CHECK_ESC("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESC("\xc3", "\"\\ufffd\"");
	/* truncated in the middle: the next ASCII byte survives */
	CHECK_ESC("\xe2\x82z", "\"\\ufffd\\ufffdz\"");
	/* lead bytes that never start a sequence, and code points past U+10FFFF */
	CHECK_ESC("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESC("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESC("\xf8\xfe\xff", "\"\\ufffd\\ufffd\\ufffd\"");
}

TEST(json_valid_utf8_passes_through_and_line_separators_are_escaped)
{
	CHECK_ESC("\xc3\xa9", "\"\xc3\xa9\"");		       /* U+00E9 */
	CHECK_ESC("\xc2\x80", "\"\xc2\x80\"");		       /* U+0080 */
	CHECK_ESC("\xe2\x82\xac", "\"\xe2\x82\xac\"");	       /* U+20AC */
	CHECK_ESC("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");	       /* U+D7FF */
	CHECK_ESC("\xee\x80\x80", "\"\xee\x80\x80\"");	       /* U+E000 */
	CHECK_ESC("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");	       /* U+FFFD */
	CHECK_ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
	CHECK_ESC("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	CHECK_ESC("\xe2\x80\xa7", "\"\xe2\x80\xa7\"");	       /* U+2027 */
	CHECK_ESC("\xe2\x80\xa8", "\"\\u2028\"");
	CHECK_ESC("\xe2\x80\xa9", "\"\\u2029\"");
	CHECK_ESC("a\xe2\x80\xa8"
		  "b\xe2\x80\xa9"
		  "c",
		  "\"a\\u2028b\\u2029c\"");
}

/* Bytes that make the fuzz interesting: UTF-8 fragments, specials, controls. */
static const char *const pieces[] = {
	"\"",
	"\\",
	"\n",
	"\r",
	"\t",
	"\x7f",
	"\x01",
	"\x1f",
	"\xc3\xa9",
	"\xe2\x82\xac",
	"\xf0\x9f\x98\x80",
	"\xe2\x80\xa8",
	"\xe2\x80\xa9",
	"\xed\xa0\x80",
	"\xc0\xaf",
	"\xe2\x82",
	"\xf0\x9f",
	"\x80",
	"\xbf",
	"\xf5",
	"\xff",
	"a",
	"Z",
	" ",
	"\\u0000",
};

static size_t fuzz_string(char *s, size_t cap)
{
	size_t n = 0, want = tu_below(cap / 4 + 1);

	while (n < want) {
		if (tu_below(3) == 0) {
			const char *p = pieces[tu_below(sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = strlen(p);

			if (n + l > cap)
				break;
			memcpy(s + n, p, l);
			n += l;
		} else {
			s[n++] = (char)(tu_rand() >> 56);
		}
	}
	return n;
}

/* The decoded JSON string of a valid UTF-8 input without U+2028/9 is the input itself. */
static bool plain_utf8(const char *s, size_t n)
{
	return jc_utf8_valid(s, n) && !memmem(s, n, "\xe2\x80\xa8", 3) &&
	       !memmem(s, n, "\xe2\x80\xa9", 3);
}

TEST(json_fuzz_random_bytes_always_give_one_valid_line)
{
	char s[256], err[256];
	struct cw_json j;
	int roundtrips = 0, invalid_inputs = 0;

	tu_seed(0x6a736f6e);
	cw_json_init(&j);
	for (int it = 0; it < 5000; it++) {
		size_t n = fuzz_string(s, sizeof(s));
		struct jc_node *root;
		const struct jc_node *v;

		cw_json_reset(&j);
		cw_json_obj_begin(&j);
		cw_json_kstrn(&j, "s", s, n);
		cw_json_key(&j, "arr");
		cw_json_arr_begin(&j);
		cw_json_strn(&j, s, n);
		cw_json_strn(&j, s, n / 2);
		cw_json_arr_end(&j);
		cw_json_kint(&j, "n", it);
		cw_json_obj_end(&j);
		REQUIRE(!j.oom);
		for (size_t i = 0; i < j.len; i++) {
			unsigned char c = (unsigned char)j.buf[i];

			if (c < 0x20 || c == 0x7f) {
				cw_test_fail(__FILE__, __LINE__,
					     "iteration %d: raw byte 0x%02x at %zu", it, c, i);
				break;
			}
		}
		if (memmem(j.buf, j.len, "\xe2\x80\xa8", 3) ||
		    memmem(j.buf, j.len, "\xe2\x80\xa9", 3))
			cw_test_fail(__FILE__, __LINE__, "iteration %d: raw U+2028/2029", it);
		root = jc_parse(j.buf, j.len, err, sizeof(err));
		if (!root) {
			cw_test_fail(__FILE__, __LINE__, "iteration %d: invalid JSON: %s", it, err);
			break;
		}
		v = jc_get(root, "s");
		CHECK(v && v->type == JC_STR);
		v = jc_get(root, "arr");
		CHECK(v && v->type == JC_ARR && v->nkids == 2);
		snprintf(err, sizeof(err), "%d", it);
		CHECK_EQ_STR(jc_num(root, "n"), err);
		v = jc_get(root, "s");
		if (v && plain_utf8(s, n)) {
			roundtrips++;
			if (v->len != n || memcmp(v->str, s, n))
				cw_test_fail(__FILE__, __LINE__,
					     "iteration %d: valid UTF-8 changed", it);
		} else if (v) {
			invalid_inputs++;
			/* invalid input still decodes to valid UTF-8 (U+FFFD for bad bytes) */
			CHECK(jc_utf8_valid(v->str, v->len));
		}
		jc_free(root);
	}
	/* both branches were exercised */
	CHECK(roundtrips > 100);
	CHECK(invalid_inputs > 100);
	cw_json_free(&j);
}

TEST(json_timestamp_format)
{
	char ts[32];

	cw_json_timestamp(ts, 0);
	CHECK_EQ_STR(ts, "1970-01-01T00:00:00.000Z");
	cw_json_timestamp(ts, 1700000000123000000LL);
	CHECK_EQ_STR(ts, "2023-11-14T22:13:20.123Z");
	cw_json_timestamp(ts, 1700000000999999999LL);
	CHECK_EQ_STR(ts, "2023-11-14T22:13:20.999Z");
	cw_json_timestamp(ts, 999999LL);
	CHECK_EQ_STR(ts, "1970-01-01T00:00:00.000Z");
	cw_json_timestamp(ts, 951782400001000000LL); /* leap day 2000 */
	CHECK_EQ_STR(ts, "2000-02-29T00:00:00.001Z");
	cw_json_timestamp(ts, 4102444799500000000LL);
	CHECK_EQ_STR(ts, "2099-12-31T23:59:59.500Z");
}

/*
 * Nesting past CW_JSON_MAX_DEPTH must not silently produce invalid JSON (nor touch memory
 * outside first[]). Run in a child: under UBSan an out-of-bounds index aborts the process.
 */
TEST(json_nesting_deeper_than_max_depth_stays_valid)
{
	int fds[2], status;
	char out[4096], err[256];
	ssize_t n = 0, r;
	pid_t pid;

	REQUIRE(pipe(fds) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct cw_json j;
		int depth = CW_JSON_MAX_DEPTH + 4;

		close(fds[0]);
		cw_json_init(&j);
		for (int i = 0; i < depth; i++) {
			cw_json_obj_begin(&j);
			cw_json_kint(&j, "a", i);
			cw_json_key(&j, "o");
		}
		cw_json_obj_begin(&j);
		cw_json_kint(&j, "y", 1);
		cw_json_kint(&j, "z", 2);
		for (int i = 0; i <= depth; i++)
			cw_json_obj_end(&j);
		/* An error flag is an acceptable answer; invalid output is not. */
		if (j.oom)
			(void)!write(fds[1], "OOM", 3);
		else
			(void)!write(fds[1], j.buf, j.len);
		_exit(0);
	}
	close(fds[1]);
	while (n < (ssize_t)sizeof(out) - 1 && (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	close(fds[0]);
	out[n] = '\0';
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		cw_test_fail(__FILE__, __LINE__, "writer crashed at depth %d (status 0x%x)",
			     CW_JSON_MAX_DEPTH + 5, status);
		return;
	}
	if (!strcmp(out, "OOM"))
		return;
	{
		struct jc_node *root = jc_parse(out, (size_t)n, err, sizeof(err));

		if (!root)
			cw_test_fail(__FILE__, __LINE__, "invalid JSON at depth %d: %s: %s",
				     CW_JSON_MAX_DEPTH + 5, err, out);
		jc_free(root);
	}
}
