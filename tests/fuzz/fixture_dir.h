/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A fuzz target's fixture directory, removed when libFuzzer exits (a crash leaves it for a look). */
#ifndef CW_FUZZ_FIXTURE_DIR_H
#define CW_FUZZ_FIXTURE_DIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *fixture_dir;

static int fixture_remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static void fixture_remove(void)
{
	nftw(fixture_dir, fixture_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Remove dir (it must outlive the process) and everything below it at exit. */
static void fixture_remove_at_exit(const char *dir)
{
	fixture_dir = dir;
	atexit(fixture_remove);
}

#endif
