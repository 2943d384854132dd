// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the trace records' decoders (trace/record.h): arbitrary bytes as a
 * host record, a process-table state, a clock record. The decoders must refuse what does not
 * add up and never read past the bytes they are given (ASan); what they accept must describe
 * bytes inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_host_rec h;
	struct cw_proc_info pi;
	char exe[CW_PROCS_EXE_MAX], root[CW_PROCS_EXE_MAX];
	int64_t off;
	/* a copy of exactly size bytes: ASan sees a read past them */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (!cw_host_rec_decode(buf, size, &h)) {
		if (h.key < buf || h.val < h.key || h.val + h.vlen > buf + size ||
		    (size_t)(h.val - h.key) != h.klen)
			abort();
		if (!cw_proc_state_decode(&h, &pi, exe, root) &&
		    (strlen(pi.exe) >= CW_PROCS_EXE_MAX || strlen(pi.root) >= CW_PROCS_EXE_MAX))
			abort();
		/* what was accepted encodes back to the same bytes */
		{
			uint8_t *again = malloc(size);
			size_t n;

			if (again) {
				n = cw_host_rec_encode(again, size, h.kind, h.key, h.klen, h.val,
						       h.vlen);
				if (n != size || memcmp(again, buf, size))
					abort();
				free(again);
			}
		}
	}
	cw_clock_rec_decode(buf, size, &off);
	free(buf);
	return 0;
}
