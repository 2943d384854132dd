// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The build's version (version.h); the Makefile writes cw_version_gen.h when it changes. */
#include "util/version.h"
#include "cw_version_gen.h"

const char cw_version[] = CW_VERSION;
