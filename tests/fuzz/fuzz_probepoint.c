// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: probe placement on hostile code bytes (a function of an executable any
 * user may run). Byte 0 is the registers the probe reads, byte 1 picks the load address
 * (low, typical, or near the top of the address space where vaddr + offset wraps), the rest
 * is the function's code. The point chosen must be inside the code, on an instruction the
 * kernel emulates, or the entry.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/probepoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t vaddrs[] = { 0, 0x401000, 0x7f0000001000, UINT64_MAX - 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *code = data + 2;
	size_t len = size - 2, point;

	if (size < 2)
		return 0;
	cw_probe_insn_emulated(code, len);
	point = cw_probe_point(code, len, vaddrs[data[1] % 4], data[0]);
	if (point) {
		bool emulated = false;

		if (point >= len)
			abort();
		/* cw_probe_insn_emulated takes one whole instruction (at most 15 bytes) */
		for (size_t k = 1; k <= 15 && k <= len - point && !emulated; k++)
			emulated = cw_probe_insn_emulated(code + point, k);
		if (!emulated)
			abort();
	}
	return 0;
}
