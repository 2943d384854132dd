/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The monotonic clock, for intervals and timings (never for wall time). */
#ifndef CW_CLOCK_H
#define CW_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double cw_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
