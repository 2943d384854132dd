/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The version this build names everywhere: `credwatch --version`, the metrics' build info,
 * OCSF metadata.product.version, trace headers, scan reports, the API-server user agent. Set
 * at build time (the Makefile: VERSION=..., else `git describe`, else "dev").
 */
#ifndef CW_UTIL_VERSION_H
#define CW_UTIL_VERSION_H

extern const char cw_version[];

#endif
