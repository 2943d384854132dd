// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/path_glob: the policy's path globs. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "judge/path_glob.h"
#include "test.h"

struct glob_case {
	const char *glob, *path;
	bool match;
};

static const struct glob_case glob_cases[] = {
	/* '*', '?', [...] stay within one component */
	{ "/a/*/c", "/a/b/c", true },
	{ "/a/*/c", "/a/b/x/c", false },
	{ "/a/*", "/a/b/c", false },
	{ "/a/*", "/a/.hidden", true },
	{ "/a/b*", "/a/b", true },
	{ "/a/b*", "/a/bcd", true },
	{ "/a/b?", "/a/bc", true },
	{ "/a/b?", "/a/b", false },
	{ "/a/b?", "/a/bcd", false },
	{ "/a/*x*y*", "/a/axbyc", true },
	{ "/a/*x*y*", "/a/ayx", false },
	{ "/a/[bc]x", "/a/cx", true },
	{ "/a/[bc]x", "/a/dx", false },
	{ "/a/[!bc]x", "/a/cx", false },
	{ "/a/[!bc]x", "/a/dx", true },
	{ "/a/[^bc]x", "/a/dx", true },
	{ "/a/[a-c]", "/a/b", true },
	{ "/a/[a-c]", "/a/d", false },
	{ "/a/[a-]", "/a/-", true },
	{ "/a/[]x]", "/a/]", true },
	{ "/a/[]x]", "/a/x", true },
	{ "/a/[]x]", "/a/y", false },
	{ "/a/[/]", "/a//", false }, /* a class never takes '/' either */
	{ "/a/\\*", "/a/*", true },
	{ "/a/\\*", "/a/b", false },
	{ "/a/[b", "/a/[b", true }, /* an unclosed '[' is itself */
	/* '**': zero or more components in the middle, one or more at the end */
	{ "/a/**/b", "/a/b", true },
	{ "/a/**/b", "/a/x/y/b", true },
	{ "/a/**/b", "/a/x/y/c", false },
	{ "/a/**/b", "/a/x/b/c", false },
	{ "/a/**", "/a/b", true },
	{ "/a/**", "/a/b/c/d", true },
	{ "/a/**", "/a", false },
	{ "/a/**", "/ab/c", false },
	{ "/a/**/b/**", "/a/b/c", true },
	{ "/a/**/b/**", "/a/x/b/c/d", true },
	{ "/a/**/b/**", "/a/b", false },
	{ "/**", "/x/y", true },
	{ "/**/x", "/x", true },
	{ "/**/x", "/a/b/x", true },
	{ "/a/**/**/b", "/a/b", true },
	{ "/a/b**", "/a/bcd", true }, /* not a whole component: as '*' */
	{ "/a/b**", "/a/b/c", false },
	/* absolute globs are anchored, and never match a relative path */
	{ "/etc/shadow", "/etc/shadow", true },
	{ "/etc/shadow", "/x/etc/shadow", false },
	{ "/etc/shadow", "etc/shadow", false },
	{ "/etc/shadow", "shadow", false },
	/* "~/X": X below any directory; a relative path is X or ends in "/X" */
	{ "~/.aws/credentials", "/root/.aws/credentials", true },
	{ "~/.aws/credentials", "/home/a/.aws/credentials", true },
	{ "~/.aws/credentials", "/.aws/credentials", true },
	{ "~/.aws/credentials", ".aws/credentials", true },
	{ "~/.aws/credentials", "x/.aws/credentials", true },
	{ "~/.aws/credentials", "../.aws/credentials", true },
	{ "~/.aws/credentials", "/home/a/.aws/credentials.bak", false },
	{ "~/.aws/credentials", "/home/a/x.aws/credentials", false },
	{ "~/.aws/credentials", "/home/a/.awsx/credentials", false },
	{ "~/.aws/credentials", "/home/a/.aws/credentials/x", false },
	{ "~/.aws/credentials", "x.aws/credentials", false },
	{ "~/.aws/credentials", "credentials", false },
	{ "~/.config/gcloud/**", "/root/.config/gcloud/credentials.db", true },
	{ "~/.config/gcloud/**", "/root/.config/gcloud/a/b.json", true },
	{ "~/.config/gcloud/**", ".config/gcloud/a", true },
	{ "~/.config/gcloud/**", "/root/.config/gcloud", false },
	{ "~/.ssh/id_*", "/home/u/.ssh/id_rsa", true },
	{ "~/.ssh/id_*", "/home/u/.ssh/known_hosts", false },
	/* no leading '/' or "~/": the same as "~/" -- a bare name is that file anywhere */
	{ "*.pem", "/etc/ssl/private/server.pem", true },
	{ "*.pem", "server.pem", true },
	{ "*.pem", "a/b.pem", true },
	{ "*.pem", "/a/b.pem/c", false },
	{ "*.pem", "/a/b.pemx", false },
	{ ".env", "/srv/app/.env", true },
	{ ".env", ".env", true },
	{ ".env", "/srv/app/.env.bak", false },
	{ ".env", "/srv/.env/x", false },
	{ ".env", "/srv/x.env", false },
	{ "conf/app.key", "/srv/conf/app.key", true },
	{ "conf/app.key", "conf/app.key", true },
	{ "conf/app.key", "/srv/myconf/app.key", false },
	/* nothing matches nothing */
	{ "", "", false },
	{ "", "/a", false },
	{ "/a", "", false },
};

TEST(policy_glob_semantics)
{
	for (size_t i = 0; i < sizeof(glob_cases) / sizeof(glob_cases[0]); i++) {
		const struct glob_case *c = &glob_cases[i];

		if (cw_path_glob_match(c->glob, c->path) != c->match)
			cw_test_fail(__FILE__, __LINE__, "case %zu: '%s' vs '%s': want %s", i,
				     c->glob, c->path, c->match ? "a match" : "no match");
	}
	CHECK(!cw_path_glob_match(NULL, "/a"));
	CHECK(!cw_path_glob_match("/a", NULL));
}

/* Stars backtrack to the latest one only: no blow-up on adversarial input. */
TEST(policy_glob_no_exponential_backtracking)
{
	char path[4096], comp[2048];
	size_t n = 0;

	memset(comp, 'a', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	snprintf(path, sizeof(path), "/%s", comp);
	CHECK(!cw_path_glob_match("/*a*a*a*a*a*a*a*a*a*a*b", path));
	CHECK(cw_path_glob_match("/*a*a*a*a*a*a*a*a*a*a*a", path));
	n = 0;
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/a");
	CHECK(!cw_path_glob_match("/**/a/**/a/**/a/**/a/**/a/**/b", path));
	CHECK(cw_path_glob_match("/**/a/**/a/**/a/**/a/**/a/**/a", path));
}
