// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: an executable or library any user may run, as the TLS attacher reads it
 * (from a memfd): section headers, .symtab/.dynsym, a Go binary's .gopclntab, then probe
 * placement on the code the symbols point at. What it finds must hold: an entry point's probe
 * is at its entry or, when moved, just past it on code read from the file. (An entry past the
 * end of the file, as lying section headers say, is refused when attached, not here.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/tls_symbols.h"
#include "util/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_tls_entry_locs loc;
	char path[64];
	uint64_t entry, probe;
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);

	if (fd < 0 || cw_write_all(fd, data, size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	cw_tls_find_entry_points(path, &loc);
	for (size_t k = 0; k < CW_TLS_ENTRY_POINTS; k++) {
		if (!(loc.found & (1u << k))) {
			if (loc.off[k] || loc.probe[k])
				abort();
			continue;
		}
		if (!loc.off[k]) /* attached by name */
			continue;
		if (loc.probe[k] < loc.off[k] || loc.probe[k] - loc.off[k] >= 4096 ||
		    (loc.probe[k] != loc.off[k] && loc.probe[k] >= size))
			abort();
		if (cw_tls_probe_offsets(path, cw_tls_entry_points[k].sym, &entry, &probe) ||
		    entry != loc.off[k] || probe != loc.probe[k])
			abort();
	}
	close(fd);
	return 0;
}
