// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Finding TLS entry points in ELF files. */
#include <glob.h>
#include <stdlib.h>

#include "credwatch.h"
#include "tls_attach.h"
#include "test.h"

TEST(tls_symbols_in_system_libraries)
{
	glob_t g;

	/* libssl is a build dependency of the agent itself: it is there. */
	REQUIRE(glob("/usr/lib/*-linux-gnu/libssl.so.3", 0, NULL, &g) == 0);
	CHECK(cw_tls_symbols(g.gl_pathv[0]) & (1u << CW_SRC_OPENSSL));
	globfree(&g);
	CHECK_EQ_INT(cw_tls_symbols("/bin/true"), 0);
	CHECK_EQ_INT(cw_tls_symbols("/nonexistent"), 0);
	CHECK_EQ_INT(cw_tls_symbols("/etc/passwd"), 0);	/* not ELF */
	/* a Go binary given by the e2e suite, stripped or not */
	if (getenv("CW_TEST_GO_BINARY"))
		CHECK(cw_tls_symbols(getenv("CW_TEST_GO_BINARY")) & (1u << CW_SRC_GO));
}
