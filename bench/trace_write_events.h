/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Realistic raw events for the trace benchmarks (bench/trace_write, bench/flight_memory):
 * ring-buffer records shaped like the kernel's (include/credwatch.h headers, then their
 * bytes). Execs with a path, argv and a container's environment; HTTP/1 requests and JSON
 * bodies over TCP; TLS plaintext (HTTP/1 and JSON, HTTP/2 frames, gzip'd bodies that do not
 * compress); file bytes (YAML, .env, kubeconfigs with base64 certificates, code); exits. By
 * bytes: about 27% exec, 12% TCP, 38% TLS, 23% files.
 */
#ifndef CW_BENCH_TRACE_WRITE_EVENTS_H
#define CW_BENCH_TRACE_WRITE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* A growing buffer of records: u16 type, u32 len, u64 ts, then bytes (host order, ours). */
struct tw_arena {
	uint8_t *p;
	size_t len, cap;
	size_t records;
};

/* Record at off: u16 type, u32 len, u64 ts (host order), then len bytes. */
#define TW_REC_HDR 14

/* Bytes generated per kind (exec, tcp, tls, file, exit) and their names. */
extern size_t tw_kind_bytes[5];
extern const char *const TW_KIND_NAMES[5];

/* Records until the arena holds mib MiB of them (seed: the same records for the same seed). */
void tw_generate(struct tw_arena *a, uint64_t seed, size_t mib);

#endif
