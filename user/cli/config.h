/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The config file of `credwatch run` (/etc/credwatch/credwatch.yaml when it exists, or
 * --config FILE): every `run` option as a key, the flag's name with '_' for '-' (rules,
 * events, outputs, spool_dir, metrics, policy, state, payload_cap, include_loopback, ...);
 * outputs a list of specs ("syslog+tcp://siem:6514,format=ocsf") or of mappings {target,
 * format, ...}. A malformed file is one error "FILE:LINE: problem". The flags given on the
 * command line are applied over it (cli/run.c), on start and on each SIGHUP.
 */
#ifndef CW_CLI_CONFIG_H
#define CW_CLI_CONFIG_H

#include <stddef.h>

#include "agent/agent.h"
#include "util/strv.h"

#define CW_CONFIG_DEFAULT_FILE "/etc/credwatch/credwatch.yaml"

/*
 * The config file a run uses: the value of --config FILE (or --config=FILE) in argv, else
 * CW_CONFIG_DEFAULT_FILE when it exists, else NULL.
 */
const char *cw_config_find(int argc, char **argv, const char *default_file);

/*
 * Read file (buf: its len bytes) into o, over what o holds: each key present sets its
 * option. Strings o points to are kept in strings (free them with cw_strv_free after the
 * last use of o). *verbose is set from the 'verbose' key when present. 0, or -errno with
 * "FILE:LINE: problem" (or "FILE: reason") in err; o may be half set then.
 */
int cw_config_load(const char *file, struct cw_agent_opts *o, int *verbose, struct cw_strv *strings,
		   char *err, size_t errlen);
int cw_config_load_buf(const char *file, const char *buf, size_t len, struct cw_agent_opts *o,
		       int *verbose, struct cw_strv *strings, char *err, size_t errlen);

/* Parse argv's flags over *o (getopt from the start): 0 run, 1 exit 0 (--help), -1 exit 1
 * (the reason printed). */
typedef int (*cw_config_flags_fn)(int argc, char **argv, struct cw_agent_opts *o);

/*
 * The options of a run: *defaults, the config file over them (cw_config_find), the flags
 * over that, where --output flags replace the file's outputs rather than add to them. 0 to
 * run, 1 to exit 0, -1 to exit 1: a config error in err ("" when the flags printed theirs).
 */
int cw_config_options(int argc, char **argv, const char *default_file,
		      const struct cw_agent_opts *defaults, cw_config_flags_fn flags,
		      struct cw_agent_opts *o, int *verbose, struct cw_strv *strings, char *err,
		      size_t errlen);

#endif
