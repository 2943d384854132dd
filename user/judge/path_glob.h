/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Path globs, the policy's way to name files (watch, readers paths, credentials source,
 * '/'-globs in deny_executables):
 *   '*' '?' '[...]'  within one path component, never across '/'; '\' escapes the next char
 *   '**'             as a whole component: zero or more components ("/a/" "**" "/b" matches
 *                    "/a/b"); at the end of a glob, one or more ("/run/secrets/" "**" is
 *                    every file below /run/secrets, not the directory itself)
 *   "/X"             anchored at the root; never matches a relative path
 *   "~/X"            X below any directory (home directories differ per container, and
 *                    root's is /root): "/root/X", "/home/u/X", "/X". A relative path (the
 *                    opener's cwd was unknown) matches when it is X or ends in "/X".
 *   "X"              no leading '/' or "~/": the same as "~/X". So a glob without '/' names
 *                    a file anywhere: "*.pem", ".env".
 * Globs may not hold empty, "." or ".." components: paths are cleaned (util/path.h) before
 * they are matched, so such a component could never match.
 */
#ifndef CW_PATH_GLOB_H
#define CW_PATH_GLOB_H

#include <stdbool.h>

/* Does the glob match path? false when either is NULL or empty. */
bool cw_path_glob_match(const char *glob, const char *path);
/* Why a glob is malformed (a static message), or NULL when it is well formed. */
const char *cw_path_glob_problem(const char *glob);

#endif
