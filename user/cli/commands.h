/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The commands main.c dispatches to: each parses its own options and runs. */
#ifndef CW_COMMANDS_H
#define CW_COMMANDS_H

/* Each returns the process exit status. */
int cw_cmd_run(int argc, char **argv);
int cw_cmd_scan(int argc, char **argv);
int cw_cmd_rules(int argc, char **argv);
int cw_cmd_inventory(int argc, char **argv);
int cw_cmd_status(int argc, char **argv);
int cw_cmd_trace(int argc, char **argv);
int cw_cmd_replay(int argc, char **argv);
int cw_cmd_timeline(int argc, char **argv);
/* credwatch rules profile: rules from dir (NULL: embedded), timed over file. */
int cw_cmd_rules_profile(const char *dir, const char *file, int top);

#endif
