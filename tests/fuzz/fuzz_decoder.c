// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: arbitrary bytes as one ring-buffer record (any length, any contents).
 * cw_decode must refuse what does not hold, with a reason, and every view it hands out must
 * lie inside the record: each byte it says is there is read, so ASan sees an overrun.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sum n bytes at p, which must lie within [data, data + size). */
static unsigned touch(const uint8_t *data, size_t size, const void *p, size_t n)
{
	const uint8_t *b = p;
	unsigned s = 0;

	if (n && (b < data || b + n > data + size))
		abort();
	for (size_t i = 0; i < n; i++)
		s += b[i];
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	volatile unsigned sink = 0;
	struct cw_event ev;
	const char *why = NULL;

	if (cw_decode(data, size, &ev, &why)) {
		if (!why || !why[0]) /* every refusal says why */
			abort();
		return 0;
	}
	switch (ev.type) {
	case CW_EV_EXEC:
		sink += touch(data, size, ev.path, ev.exec.path_len);
		sink += touch(data, size, ev.argv, ev.exec.argv_len);
		sink += touch(data, size, ev.env, ev.exec.env_len);
		break;
	case CW_EV_DATA:
	case CW_EV_FILE_DATA: sink += touch(data, size, ev.payload, ev.data.len); break;
	case CW_EV_FILE_OPEN:
		/* the copied-out path and cwd: indexed, so UBSan's bounds check sees a length
		 * past its array */
		for (uint32_t i = 0; i < ev.file_open.path_len; i++)
			sink += (uint8_t)ev.file_open.path[i];
		for (uint32_t i = 0; (ev.file_open.flags & CW_FILE_CWD) && i < ev.file_open.cwd_len;
		     i++)
			sink += (uint8_t)ev.file_open.cwd[i];
		break;
	case CW_EV_CGROUP_RMDIR:
	case CW_EV_CGROUP_MKDIR: sink += strlen(ev.cgroup.path); break;
	default: break;
	}
	(void)sink;
	return 0;
}
