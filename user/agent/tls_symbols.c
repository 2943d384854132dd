// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Symbols are looked up in .dynsym and .symtab, so statically linked TLS (node exports
 * SSL_write from its own binary; Go keeps crypto/tls in its symbol table) is found like a
 * shared library; a stripped Go binary's crypto/tls is found in Go's own function table.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "agent/probepoint.h"
#include "agent/tls_symbols.h"

#define GO_WRITE "crypto/tls.(*Conn).Write"

/*
 * The most of one section read (libelf reads a section whole, into memory): far above real
 * tables (node's .strtab is 7 MiB, a big Go binary's .gopclntab tens of MiB), far below the
 * 4 GiB a lying section header can claim in a sparse file.
 */
#define SECTION_READ_MAX (64ull << 20)

const struct cw_tls_entry_point cw_tls_entry_points[CW_TLS_ENTRY_POINTS] = {
	{ "SSL_write", CW_SRC_OPENSSL, CW_TLS_WRITE },
	{ "SSL_write_ex", CW_SRC_OPENSSL, CW_TLS_WRITE },
	{ "gnutls_record_send", CW_SRC_GNUTLS, CW_TLS_WRITE },
	{ "PR_Write", CW_SRC_NSS, CW_TLS_WRITE },
	{ "PR_Send", CW_SRC_NSS, CW_TLS_WRITE },
	{ GO_WRITE, CW_SRC_GO, CW_TLS_WRITE },
	{ "SSL_read", CW_SRC_OPENSSL, CW_TLS_READ },
	{ "SSL_read_ex", CW_SRC_OPENSSL, CW_TLS_READ_EX },
	{ "gnutls_record_recv", CW_SRC_GNUTLS, CW_TLS_READ },
};

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* May section ndx (a string table a symbol table names, .shstrtab) be read? */
static bool section_readable(Elf *elf, size_t ndx)
{
	Elf_Scn *scn = elf_getscn(elf, ndx);
	GElf_Shdr sh;

	return scn && gelf_getshdr(scn, &sh) && sh.sh_size <= SECTION_READ_MAX;
}

/* The file offset of virtual address vaddr, from the executable section holding it. */
static uint64_t vaddr_to_offset(Elf *elf, uint64_t vaddr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR) &&
		    vaddr >= sh.sh_addr && vaddr < sh.sh_addr + sh.sh_size)
			return vaddr - sh.sh_addr + sh.sh_offset;
	return 0;
}

/*
 * Where Go's own function table (.gopclntab, Go 1.18+ layout) says `name` starts, as a file
 * offset (its address in *vaddr, its length in *fsize: up to the next function); 0 when it is
 * not there. This is what finds crypto/tls in stripped Go binaries, which have no .symtab.
 * Every offset read from the table is checked against its size.
 */
static uint64_t gopclntab_offset(Elf *elf, const char *name, uint64_t *vaddr, uint64_t *fsize)
{
	size_t shstrndx, nlen = strlen(name);
	Elf_Scn *scn = NULL;
	Elf_Data *data = NULL;
	const unsigned char *p;
	uint64_t nfunc, text, names, functab, size;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx) || !section_readable(elf, shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sname && !strcmp(sname, ".gopclntab")) {
			data = sh.sh_size <= SECTION_READ_MAX ? elf_rawdata(scn, NULL) : NULL;
			break;
		}
	}
	if (!data || !data->d_buf || data->d_size < 8 + 8 * 8)
		return 0;
	p = data->d_buf;
	size = data->d_size;
	/* magic (Go 1.18/1.19: fffffff0, 1.20+: fffffff1), pad, pad, quantum, pointer size */
	if ((get_u32(p) != 0xfffffff0 && get_u32(p) != 0xfffffff1) || p[7] != 8)
		return 0;
	nfunc = get_u64(p + 8);
	text = get_u64(p + 24);
	names = get_u64(p + 32);
	functab = get_u64(p + 64);
	if (names >= size || functab >= size || nfunc > (size - functab) / 8)
		return 0;
	for (uint64_t i = 0; i < nfunc; i++) {
		uint32_t entry = get_u32(p + functab + 8 * i);
		uint64_t func = functab + get_u32(p + functab + 8 * i + 4), noff;
		int32_t nameoff;

		if (func + 8 > size)
			return 0;
		/* an offset into the name table: a negative one points before the section */
		nameoff = (int32_t)get_u32(p + func + 4);
		if (nameoff < 0)
			continue;
		noff = names + (uint64_t)nameoff;
		if (noff + nlen + 1 > size)
			continue;
		if (!memcmp(p + noff, name, nlen + 1)) {
			*vaddr = text + entry;
			*fsize = 0;
			if (i + 1 < nfunc && get_u32(p + functab + 8 * (i + 1)) > entry)
				*fsize = get_u32(p + functab + 8 * (i + 1)) - entry;
			return vaddr_to_offset(elf, text + entry);
		}
	}
	return 0;
}

/* Registers an entry point's probe program reads. */
static unsigned probe_regs(size_t k)
{
	return cw_tls_entry_points[k].src == CW_SRC_GO ? CW_REGS_GO_ARGS3 : CW_REGS_C_ARGS3;
}

/*
 * The cheapest place for the entry probe of a function at file offset off (vaddr, size bytes):
 * its code is read from the file and given to cw_probe_point. Return probes (reads) stay at
 * the entry, and so does their entry probe: one trap serves both there.
 */
static uint64_t probe_offset(Elf *elf, int fd, size_t k, uint64_t off, uint64_t vaddr,
			     uint64_t size)
{
	uint8_t code[4096];
	GElf_Ehdr eh;
	ssize_t n;

	if (cw_tls_entry_points[k].kind != CW_TLS_WRITE || !size)
		return off;
	/* x86_64 code only (not i386 libraries, not other architectures) */
	if (!gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64)
		return off;
	if (size > sizeof(code))
		return off; /* the whole function is checked for branches into its start */
	n = pread(fd, code, size, (off_t)off);
	if (n != (ssize_t)size)
		return off;
	return off + cw_probe_point(code, size, vaddr, probe_regs(k));
}

void cw_tls_find_entry_points(const char *path, struct cw_tls_entry_locs *loc)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(loc, 0, sizeof(*loc));
	if (fd < 0)
		return;
	elf_version(EV_CURRENT); /* cheap, and required before any libelf call */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    sh.sh_size > SECTION_READ_MAX || !section_readable(elf, sh.sh_link))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (size_t k = 0; name && k < CW_TLS_ENTRY_POINTS; k++) {
				uint64_t off;

				if ((loc->found & (1u << k)) ||
				    strcmp(name, cw_tls_entry_points[k].sym))
					continue;
				loc->found |= 1u << k;
				off = vaddr_to_offset(elf, sym.st_value);
				if (!off)
					continue; /* attached by name: libbpf finds it */
				loc->off[k] = off;
				loc->probe[k] =
					probe_offset(elf, fd, k, off, sym.st_value, sym.st_size);
			}
		}
	}
	for (size_t k = 0; elf && k < CW_TLS_ENTRY_POINTS; k++) {
		uint64_t vaddr = 0, size = 0, off;

		if (cw_tls_entry_points[k].src != CW_SRC_GO || (loc->found & (1u << k)))
			continue;
		off = gopclntab_offset(elf, cw_tls_entry_points[k].sym, &vaddr, &size);
		if (off) {
			loc->found |= 1u << k;
			loc->off[k] = off;
			loc->probe[k] = probe_offset(elf, fd, k, off, vaddr, size);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
}

unsigned cw_tls_symbols(const char *path)
{
	struct cw_tls_entry_locs loc;
	unsigned srcs = 0;

	cw_tls_find_entry_points(path, &loc);
	for (size_t k = 0; k < CW_TLS_ENTRY_POINTS; k++)
		if (loc.found & (1u << k))
			srcs |= 1u << cw_tls_entry_points[k].src;
	return srcs;
}

int cw_tls_probe_offsets(const char *path, const char *sym, uint64_t *entry, uint64_t *probe)
{
	struct cw_tls_entry_locs loc;

	cw_tls_find_entry_points(path, &loc);
	for (size_t k = 0; k < CW_TLS_ENTRY_POINTS; k++) {
		if (strcmp(sym, cw_tls_entry_points[k].sym) || !(loc.found & (1u << k)) ||
		    !loc.off[k])
			continue;
		*entry = loc.off[k];
		*probe = loc.probe[k];
		return 0;
	}
	return -ENOENT;
}
