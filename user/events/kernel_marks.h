/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The agent's side of the kernel's table filter (credwatch.h, common.bpf.h). */
#ifndef CW_KERNEL_MARKS_H
#define CW_KERNEL_MARKS_H

#include <stdint.h>
#include "credwatch.h"

/*
 * After the agent itself deleted an entry of conns or files: lower the slot the probe raised
 * when it added it. marks: the mapped .bss array; NULL (tests) does nothing.
 */
static inline void cw_kmark_lower(uint32_t *marks, uint32_t tgid, uint32_t fd)
{
	uint32_t *m;

	if (!marks)
		return;
	m = &marks[cw_fd_slot(tgid, fd)];
	if (__atomic_load_n(m, __ATOMIC_RELAXED))
		__atomic_fetch_sub(m, 1, __ATOMIC_RELAXED);
}

#endif /* CW_KERNEL_MARKS_H */
