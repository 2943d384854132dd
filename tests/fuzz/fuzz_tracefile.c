// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: arbitrary bytes as a trace file (in a memfd), read to the end. The
 * reader must refuse or skip what is damaged, never crash, overrun or loop. With
 * CW_FUZZ_KEY naming the private key the seed corpus was encrypted for (seed_tracefile
 * writes it), encrypted inputs get past the header too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/tracefile.h"

static struct cw_trace_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("CW_FUZZ_KEY");
	char err[256];

	(void)argc;
	(void)argv;
	if (path && *path && cw_trace_key_load(path, &key, err, sizeof(err)))
		key = NULL;
	return 0;
}

static void on_warn(void *arg, uint64_t off, const char *msg)
{
	(void)off;
	*(size_t *)arg += msg[0] != 0;
}

/* Touch every byte a record says it has, so ASan sees an overrun. */
static unsigned sum(const struct cw_trace_record *rec)
{
	const uint8_t *p = rec->data;
	unsigned s = rec->type;

	for (uint32_t i = 0; i < rec->len; i++)
		s += p[i];
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_trace_reader *r;
	struct cw_trace_record rec;
	const struct cw_trace_chunk *chunks;
	volatile unsigned sink = 0;
	size_t warns = 0, n;
	char err[256];
	int fd = memfd_create("fuzz-trace", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (cw_write_all(fd, data, size))
		abort();
	if (cw_trace_reader_open_fd(fd, key, on_warn, &warns, &r, err, sizeof(err))) {
		if (!err[0]) /* every refusal says why */
			abort();
		close(fd);
		return 0;
	}
	while (cw_trace_next(r, &rec) == 1)
		sink += sum(&rec);
	if (!cw_trace_chunks(r, &chunks, &n) && n) {
		/* Seek into the middle by time and read from there. */
		if (!cw_trace_seek(r, chunks[n / 2].min_ts))
			while (cw_trace_next(r, &rec) == 1)
				sink += sum(&rec);
	}
	(void)sink;
	cw_trace_reader_close(r);
	close(fd);
	return 0;
}
