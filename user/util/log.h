/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Diagnostics go to stderr as "credwatch: ..." lines; findings go to the output sink. */
#ifndef CW_LOG_H
#define CW_LOG_H

extern int cw_verbose;

void cw_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cw_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
