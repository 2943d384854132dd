// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seed corpus of fuzz_elf: small ELF64 files built here byte by byte (a real library or
 * Go binary is megabytes; libFuzzer works on a few KiB): a library whose .dynsym defines
 * SSL_write (code as OpenSSL's starts), SSL_read and gnutls_record_send; the same with
 * .symtab; a stripped Go binary whose .gopclntab names crypto/tls.(*Conn).Write; and an
 * aarch64 copy of the library.
 * usage: seed_elf DIR [KEYFILE] (KEYFILE is not used)
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_ADDR 0x401000
#define TEXT_OFF 0x100

struct img {
	unsigned char b[4096];
	size_t n;
	Elf64_Shdr sh[8];
	int nsh;
	char shstr[256];
	size_t shstr_n;
};

static size_t put(struct img *m, const void *p, size_t n, size_t align)
{
	size_t off = (m->n + align - 1) / align * align;

	memcpy(m->b + off, p, n);
	m->n = off + n;
	return off;
}

static int section(struct img *m, const char *name, Elf64_Word type, Elf64_Xword flags,
		   Elf64_Addr addr, size_t off, size_t size)
{
	Elf64_Shdr *s = &m->sh[m->nsh];

	memset(s, 0, sizeof(*s));
	s->sh_name = (Elf64_Word)m->shstr_n;
	memcpy(m->shstr + m->shstr_n, name, strlen(name) + 1);
	m->shstr_n += strlen(name) + 1;
	s->sh_type = type;
	s->sh_flags = flags;
	s->sh_addr = addr;
	s->sh_offset = off;
	s->sh_size = size;
	s->sh_addralign = 1;
	return m->nsh++;
}

/* Section 1: .text with two 32-byte functions: OpenSSL's SSL_write start, then a Go one. */
static void text(struct img *m)
{
	static const unsigned char code[64] = {
		/* endbr64; sub rsp,0x18; mov rax,fs:0x28; push rbx; ret */
		0xf3,
		0x0f,
		0x1e,
		0xfa,
		0x48,
		0x83,
		0xec,
		0x18,
		0x64,
		0x48,
		0x8b,
		0x04,
		0x25,
		0x28,
		0x00,
		0x00,
		0x00,
		0x53,
		0xc3,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		0x90,
		/* Go: cmp rsp,[r14+0x10]; jbe; push rbp; mov rbp,rsp; ret */
		0x49,
		0x3b,
		0x66,
		0x10,
		0x76,
		0x0a,
		0x55,
		0x48,
		0x89,
		0xe5,
		0x5d,
		0xc3,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
	};

	m->n = TEXT_OFF;
	section(m, "", SHT_NULL, 0, 0, 0, 0);
	section(m, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_ADDR,
		put(m, code, sizeof(code), 16), sizeof(code));
}

static void symbols(struct img *m, Elf64_Word type)
{
	static const char strtab[] = "\0SSL_write\0SSL_read\0gnutls_record_send\0data";
	Elf64_Sym sym[5] = { 0 };
	size_t stroff, symoff;
	int s;

	sym[1] = (Elf64_Sym){ 1, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 0, 1, TEXT_ADDR, 32 };
	sym[2] = (Elf64_Sym){ 11, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 0, 1, TEXT_ADDR + 32, 32 };
	sym[3] = (Elf64_Sym){ 20, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 0, 1, TEXT_ADDR, 0 };
	sym[4] = (Elf64_Sym){ 39, ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), 0, 1, TEXT_ADDR, 4 };
	stroff = put(m, strtab, sizeof(strtab), 1);
	s = section(m, type == SHT_DYNSYM ? ".dynstr" : ".strtab", SHT_STRTAB, 0, 0, stroff,
		    sizeof(strtab));
	symoff = put(m, sym, sizeof(sym), 8);
	section(m, type == SHT_DYNSYM ? ".dynsym" : ".symtab", type, 0, 0, symoff, sizeof(sym));
	m->sh[m->nsh - 1].sh_link = (Elf64_Word)s;
	m->sh[m->nsh - 1].sh_entsize = sizeof(Elf64_Sym);
	m->sh[m->nsh - 1].sh_info = 1;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Go 1.20's .gopclntab: header, function names, functab, _func records (entry, name). */
static void gopclntab(struct img *m)
{
	static const char names[] = "\0main.main\0crypto/tls.(*Conn).Write";
	unsigned char t[256] = { 0 };
	size_t functab = 72 + sizeof(names);

	functab = (functab + 7) / 8 * 8;
	put_u32(t, 0xfffffff1);
	t[6] = 1;		    /* quantum */
	t[7] = 8;		    /* pointer size */
	put_u64(t + 8, 2);	    /* nfunc */
	put_u64(t + 24, TEXT_ADDR); /* text */
	put_u64(t + 32, 72);	    /* funcnametab */
	put_u64(t + 64, functab);   /* pclntab (functab) */
	memcpy(t + 72, names, sizeof(names));
	/* functab: (entry offset, _func offset) for each function, then the end */
	put_u32(t + functab, 0);
	put_u32(t + functab + 4, 24);
	put_u32(t + functab + 8, 32);
	put_u32(t + functab + 12, 32);
	put_u32(t + functab + 16, 64);
	/* _func: entryOff, nameOff */
	put_u32(t + functab + 24, 0);
	put_u32(t + functab + 28, 1);
	put_u32(t + functab + 32, 32);
	put_u32(t + functab + 36, 11);
	section(m, ".gopclntab", SHT_PROGBITS, SHF_ALLOC, 0x500000, put(m, t, functab + 40, 8),
		functab + 40);
}

static int finish(struct img *m, const char *dir, const char *name, Elf64_Half machine)
{
	Elf64_Ehdr eh = { 0 };
	char path[4096];
	size_t shoff;
	int shstrndx = section(m, ".shstrtab", SHT_STRTAB, 0, 0, 0, 0);
	FILE *f;

	m->sh[shstrndx].sh_offset = put(m, m->shstr, m->shstr_n, 1);
	m->sh[shstrndx].sh_size = m->shstr_n;
	shoff = put(m, m->sh, sizeof(m->sh[0]) * (size_t)m->nsh, 8);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = machine;
	eh.e_version = EV_CURRENT;
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (Elf64_Half)m->nsh;
	eh.e_shstrndx = (Elf64_Half)shstrndx;
	memcpy(m->b, &eh, sizeof(eh));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(m->b, 1, m->n, f) != m->n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static int image(const char *dir, const char *name, Elf64_Word symtype, int go, Elf64_Half machine)
{
	struct img m;

	memset(&m, 0, sizeof(m));
	text(&m);
	if (symtype)
		symbols(&m, symtype);
	if (go)
		gopclntab(&m);
	return finish(&m, dir, name, machine);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: seed_elf DIR [KEYFILE]\n");
		return 2;
	}
	return image(argv[1], "libssl-dynsym", SHT_DYNSYM, 0, EM_X86_64) ||
	       image(argv[1], "node-symtab", SHT_SYMTAB, 0, EM_X86_64) ||
	       image(argv[1], "go-stripped", 0, 1, EM_X86_64) ||
	       image(argv[1], "go-symtab-and-pclntab", SHT_SYMTAB, 1, EM_X86_64) ||
	       image(argv[1], "libssl-aarch64", SHT_DYNSYM, 0, EM_AARCH64);
}
