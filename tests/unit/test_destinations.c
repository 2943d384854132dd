// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/destinations: where a rule's credentials may go (destination globs). */
#include "detect/rules.h"
#include "judge/destinations.h"
#include "test.h"

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
