/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a file's TLS entry points are (SSL_write, gnutls_record_send, Go's crypto/tls write,
 * ...), as file offsets, and where each write's entry probe is cheapest (probepoint.h). Only
 * the ELF file is read: nothing here attaches anything (tls_attach.h does).
 */
#ifndef CW_TLS_SYMBOLS_H
#define CW_TLS_SYMBOLS_H

#include <stdint.h>

#include "credwatch.h"

enum cw_tls_probe_kind {
	CW_TLS_WRITE,
	CW_TLS_READ,	/* only with --capture-inbound, as are the other reads */
	CW_TLS_READ_EX, /* SSL_read_ex: the length read comes back through a pointer */
};

struct cw_tls_entry_point {
	const char *sym;
	enum cw_source src;
	enum cw_tls_probe_kind kind;
};

#define CW_TLS_ENTRY_POINTS 9
extern const struct cw_tls_entry_point cw_tls_entry_points[CW_TLS_ENTRY_POINTS];

/* Where an ELF file's entry points are, by index in cw_tls_entry_points. */
struct cw_tls_entry_locs {
	unsigned found;			     /* a bit per entry point the file defines */
	uint64_t off[CW_TLS_ENTRY_POINTS];   /* its first byte; 0: attach by name */
	uint64_t probe[CW_TLS_ENTRY_POINTS]; /* where its entry-only probe goes */
};

/*
 * The entry points an ELF file defines, from .symtab/.dynsym, and for a Go binary without a
 * symbol table its crypto/tls write from .gopclntab. None when it cannot be read.
 */
void cw_tls_find_entry_points(const char *path, struct cw_tls_entry_locs *loc);

/* Which TLS entry points an ELF file defines: a bit per enum cw_source, 0 for none. */
unsigned cw_tls_symbols(const char *path);

/*
 * Where entry point sym (e.g. "SSL_write") is in an ELF file, as file offsets: its first
 * byte, and where its entry probe goes (the same, or a cheaper instruction past it).
 * -ENOENT when the file does not define it.
 */
int cw_tls_probe_offsets(const char *path, const char *sym, uint64_t *entry, uint64_t *probe);

#endif
