// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* agent/caps: what the start needs, what is kept after it. */
#include <errno.h>
#include <string.h>
#include <linux/capability.h>

#include "agent/caps.h"
#include "test.h"

#define B(c) CW_CAP_BIT(c)

static const uint64_t all = B(CAP_BPF) | B(CAP_PERFMON) | B(CAP_SYS_ADMIN) | B(CAP_SYS_PTRACE) |
			    B(CAP_DAC_READ_SEARCH) | B(CAP_KILL) | B(CAP_SYS_RESOURCE) |
			    B(CAP_SETPCAP) | B(CAP_NET_ADMIN) | B(CAP_DAC_OVERRIDE);

TEST(caps_kept_after_the_start)
{
	uint64_t base = B(CAP_BPF) | B(CAP_SYS_PTRACE) | B(CAP_DAC_READ_SEARCH) | B(CAP_KILL);

	/* TLS probes attach later: CAP_SYS_ADMIN stays (uprobes need it here) */
	CHECK_EQ_INT(cw_caps_runtime(all, true), base | B(CAP_SYS_ADMIN));
	/* no uprobes: nothing attaches later */
	CHECK_EQ_INT(cw_caps_runtime(all, false), base);
	/* never one that was not there */
	CHECK_EQ_INT(cw_caps_runtime(B(CAP_SYS_ADMIN) | B(CAP_KILL), true),
		     B(CAP_SYS_ADMIN) | B(CAP_KILL));
	CHECK_EQ_INT(cw_caps_runtime(0, true), 0);
	/* what only the start needs goes */
	CHECK(!(cw_caps_runtime(all, true) &
		(B(CAP_PERFMON) | B(CAP_SYS_RESOURCE) | B(CAP_SETPCAP) | B(CAP_DAC_OVERRIDE))));
}

TEST(caps_describe_names_them)
{
	char buf[256];

	cw_caps_describe(B(CAP_KILL) | B(CAP_BPF) | B(CAP_SYS_ADMIN), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "CAP_KILL, CAP_SYS_ADMIN, CAP_BPF");
	cw_caps_describe(0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "none");
	cw_caps_describe(B(45), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "cap_45");
	cw_caps_describe(all, buf, 12); /* cut, still a string */
	CHECK_EQ_INT(strlen(buf), 11);
}

TEST(caps_check_at_the_start)
{
	bool up = true;

	CHECK_EQ_INT(cw_caps_check(all, &up), 0);
	CHECK(up);
	/* CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON */
	CHECK_EQ_INT(cw_caps_check(B(CAP_SYS_ADMIN), &up), 0);
	CHECK(up);
	/* nothing loads without them */
	CHECK_EQ_INT(cw_caps_check(B(CAP_PERFMON) | B(CAP_KILL), &up), -EPERM);
	CHECK_EQ_INT(cw_caps_check(B(CAP_BPF) | B(CAP_KILL), &up), -EPERM);
	/* without CAP_SYS_ADMIN: TLS probes off, the rest runs */
	up = true;
	CHECK_EQ_INT(cw_caps_check(B(CAP_BPF) | B(CAP_PERFMON), &up), 0);
	CHECK(!up);
}
