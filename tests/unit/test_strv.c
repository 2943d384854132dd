// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/strv: the string vector of rules and policy. */
#include "util/strv.h"
#include "test.h"

TEST(strv_push_has_drop_free)
{
	struct cw_strv v = { 0 };
	char s[] = "b";

	CHECK_EQ_INT(cw_strv_push(&v, "a"), 0);
	CHECK_EQ_INT(cw_strv_push(&v, s), 0);
	CHECK_EQ_INT(cw_strv_push(&v, "c"), 0);
	s[0] = 'x'; /* pushed as a copy */
	REQUIRE(v.n == 3);
	CHECK_EQ_STR(v.v[1], "b");
	CHECK(cw_strv_has(&v, "c"));
	CHECK(!cw_strv_has(&v, "x"));
	cw_strv_drop(&v, 0);
	REQUIRE(v.n == 2);
	CHECK_EQ_STR(v.v[0], "b");
	CHECK_EQ_STR(v.v[1], "c");
	cw_strv_free(&v);
	CHECK(v.n == 0 && v.v == NULL);
	cw_strv_free(&v); /* twice is harmless */
}
