// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Uprobes attach to a file, not a process: one attachment per (device, inode) serves every
 * process that maps it, host or container. Symbols are looked up in .dynsym and .symtab, so
 * statically linked TLS (node exports SSL_write from its own binary; Go keeps crypto/tls in
 * its symbol table) is found like a shared library.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

/* A table that cannot grow keeps what it has: the caller is told, nothing exits. */
static bool add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (add_failed = true)
#include <uthash.h>

#include "credwatch.h"
#include "credwatch.skel.h"
#include "util/grow.h"
#include "util/log.h"
#include "agent/probepoint.h"
#include "agent/tls_attach.h"

#define LINKS_PER_TARGET 8

struct cw_tls_target {
	uint32_t id;
	bool pinned;	/* a system library: kept while the agent runs */
	uint32_t users; /* processes known to map it */
	dev_t dev;
	ino_t ino;
	char path[512];
	struct bpf_link *links[LINKS_PER_TARGET];
	int nlinks;
};

/* A file by identity: the same file through any path or mount namespace. */
struct cw_file_id {
	dev_t dev;
	ino_t ino;
};

struct cw_tls_checked {
	struct cw_file_id id;
	UT_hash_handle hh;
};

/* The set's key: hashed as bytes, so no padding left unset. */
static struct cw_file_id file_id(dev_t dev, ino_t ino)
{
	struct cw_file_id id;

	memset(&id, 0, sizeof(id));
	id.dev = dev;
	id.ino = ino;
	return id;
}

/* Has this file been looked at? If not, it is now marked as looked at. */
static bool checked_before(struct cw_tls_attach *a, dev_t dev, ino_t ino)
{
	struct cw_file_id id = file_id(dev, ino);
	struct cw_tls_checked *c;

	HASH_FIND(hh, a->checked, &id, sizeof(id), c);
	if (c)
		return true;
	c = calloc(1, sizeof(*c));
	if (!c)
		return true; /* cannot remember it: do not attach twice */
	c->id = id;
	add_failed = false;
	HASH_ADD(hh, a->checked, id, sizeof(c->id), c);
	if (add_failed) {
		free(c);
		return true;
	}
	return false;
}

static void forget_checked(struct cw_tls_attach *a, dev_t dev, ino_t ino)
{
	struct cw_file_id id = file_id(dev, ino);
	struct cw_tls_checked *c;

	HASH_FIND(hh, a->checked, &id, sizeof(id), c);
	if (c) {
		HASH_DEL(a->checked, c);
		free(c);
	}
}

static void free_checked(struct cw_tls_attach *a)
{
	struct cw_tls_checked *c, *tmp;

	HASH_ITER(hh, a->checked, c, tmp)
	{
		HASH_DEL(a->checked, c);
		free(c);
	}
}

#define GO_WRITE "crypto/tls.(*Conn).Write"

enum probe_kind { WRITE, READ, READ_EX };

static const struct {
	const char *sym;
	enum cw_source src;
	enum probe_kind kind; /* reads only with --capture-inbound */
} entry_points[] = {
	{ "SSL_write", CW_SRC_OPENSSL, WRITE },
	{ "SSL_write_ex", CW_SRC_OPENSSL, WRITE },
	{ "gnutls_record_send", CW_SRC_GNUTLS, WRITE },
	{ "PR_Write", CW_SRC_NSS, WRITE },
	{ "PR_Send", CW_SRC_NSS, WRITE },
	{ GO_WRITE, CW_SRC_GO, WRITE },
	{ "SSL_read", CW_SRC_OPENSSL, READ },
	{ "SSL_read_ex", CW_SRC_OPENSSL, READ_EX },
	{ "gnutls_record_recv", CW_SRC_GNUTLS, READ },
};
#define N_ENTRY (sizeof(entry_points) / sizeof(entry_points[0]))

void cw_tls_attach_init(struct cw_tls_attach *a, struct credwatch_bpf *skel, bool inbound)
{
	memset(a, 0, sizeof(*a));
	a->skel = skel;
	a->inbound = inbound;
}

void cw_tls_attach_free(struct cw_tls_attach *a)
{
	for (size_t i = 0; i < a->n; i++)
		for (int k = 0; k < a->t[i].nlinks; k++)
			bpf_link__destroy(a->t[i].links[k]);
	free(a->t);
	free_checked(a);
	free(a->scanned);
	free(a->uses);
	memset(a, 0, sizeof(*a));
}

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

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sname && !strcmp(sname, ".gopclntab")) {
			data = elf_rawdata(scn, NULL);
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

		if (func + 8 > size)
			return 0;
		noff = names + (uint64_t)(int64_t)(int32_t)get_u32(p + func + 4);
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

/* Where an ELF file's TLS entry points are. */
struct entry_locs {
	unsigned found;		 /* a bit per index in entry_points */
	uint64_t off[N_ENTRY];	 /* file offset of the function's first byte */
	uint64_t probe[N_ENTRY]; /* file offset for an entry-only probe (probepoint.h) */
};

/* Registers an entry point's probe program reads. */
static unsigned probe_regs(size_t k)
{
	return entry_points[k].src == CW_SRC_GO ? CW_REGS_GO_ARGS3 : CW_REGS_C_ARGS3;
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

	if (entry_points[k].kind != WRITE || !size)
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

/*
 * The entry points an ELF file defines, from .symtab/.dynsym, and for a Go binary without a
 * symbol table its crypto/tls write from .gopclntab.
 */
static void defined_entry_points(const char *path, struct entry_locs *loc)
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
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (size_t k = 0; name && k < N_ENTRY; k++) {
				uint64_t off;

				if ((loc->found & (1u << k)) || strcmp(name, entry_points[k].sym))
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
	for (size_t k = 0; elf && k < N_ENTRY; k++) {
		uint64_t vaddr = 0, size = 0, off;

		if (entry_points[k].src != CW_SRC_GO || (loc->found & (1u << k)))
			continue;
		off = gopclntab_offset(elf, entry_points[k].sym, &vaddr, &size);
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
	struct entry_locs loc;
	unsigned srcs = 0;

	defined_entry_points(path, &loc);
	for (size_t k = 0; k < N_ENTRY; k++)
		if (loc.found & (1u << k))
			srcs |= 1u << entry_points[k].src;
	return srcs;
}

int cw_tls_probe_offsets(const char *path, const char *sym, uint64_t *entry, uint64_t *probe)
{
	struct entry_locs loc;

	defined_entry_points(path, &loc);
	for (size_t k = 0; k < N_ENTRY; k++) {
		if (strcmp(sym, entry_points[k].sym) || !(loc.found & (1u << k)) || !loc.off[k])
			continue;
		*entry = loc.off[k];
		*probe = loc.probe[k];
		return 0;
	}
	return -ENOENT;
}

/* The entry program for an entry point, and its return program (reads only). */
static struct bpf_program *entry_prog(struct credwatch_bpf *skel, size_t k,
				      struct bpf_program **ret)
{
	*ret = NULL;
	if (entry_points[k].kind != WRITE) {
		*ret = skel->progs.tls_read_ret;
		if (entry_points[k].kind == READ_EX)
			return skel->progs.openssl_read_ex;
		return entry_points[k].src == CW_SRC_GNUTLS ? skel->progs.gnutls_recv
							    : skel->progs.openssl_read;
	}
	switch (entry_points[k].src) {
	case CW_SRC_OPENSSL: return skel->progs.openssl_write;
	case CW_SRC_GNUTLS: return skel->progs.gnutls_send;
	case CW_SRC_NSS: return skel->progs.nss_write;
	case CW_SRC_GO: return skel->progs.go_tls_write;
	default: return NULL;
	}
}

/* Attach at a file offset, or by symbol name when the offset is not known (0). */
static bool attach_one(struct cw_tls_attach *a, struct cw_tls_target *t, const char *path, size_t k,
		       struct bpf_program *prog, bool retprobe, uint64_t offset)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = offset ? NULL : entry_points[k].sym,
		    .retprobe = retprobe);
	struct bpf_link *l;

	if (!prog || t->nlinks >= LINKS_PER_TARGET)
		return false;
	l = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &uo);
	if (!l) {
		a->failures++;
		cw_debug("TLS probe %s%s on %s: %s", entry_points[k].sym,
			 retprobe ? " (return)" : "", path, strerror(errno));
		return false;
	}
	t->links[t->nlinks++] = l;
	a->links++;
	return true;
}

/* Remember that pid maps target t (once). */
static void add_use(struct cw_tls_attach *a, struct cw_tls_target *t, uint32_t pid)
{
	for (size_t i = 0; i < a->nuses; i++)
		if (a->uses[i].pid == pid && a->uses[i].target == t->id)
			return;
	if (cw_grow((void **)&a->uses, &a->capuses, a->nuses + 1, sizeof(*a->uses)))
		return;
	a->uses[a->nuses++] = (struct cw_tls_use){ pid, t->id };
	t->users++;
}

/* Look at one file once; attach to its TLS entry points if it has any. pid 0: pinned. */
static void consider(struct cw_tls_attach *a, const char *path, uint32_t pid)
{
	struct cw_tls_target *t;
	struct entry_locs loc;
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	for (size_t i = 0; i < a->n; i++) {
		if (a->t[i].dev == st.st_dev && a->t[i].ino == st.st_ino) {
			if (pid)
				add_use(a, &a->t[i], pid);
			return;
		}
	}
	if (checked_before(a, st.st_dev, st.st_ino))
		return;
	defined_entry_points(path, &loc);
	if (!loc.found)
		return;
	if (a->n >= CW_TLS_TARGETS_MAX) {
		if (!a->limit_hits++)
			cw_log("TLS probes: %d files already attached, not attaching %s (and later "
			       "ones: counted)",
			       CW_TLS_TARGETS_MAX, path);
		return;
	}
	if (cw_grow((void **)&a->t, &a->cap, a->n + 1, sizeof(*a->t)))
		return;
	t = &a->t[a->n];
	memset(t, 0, sizeof(*t));
	t->id = ++a->next_id;
	t->pinned = !pid;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	snprintf(t->path, sizeof(t->path), "%s", path);
	for (size_t k = 0; k < N_ENTRY; k++) {
		struct bpf_program *entry, *ret;

		if (!(loc.found & (1u << k)) || (entry_points[k].kind != WRITE && !a->inbound))
			continue;
		entry = entry_prog(a->skel, k, &ret);
		/* The return probe first: an entry without its return would leak map slots. */
		if (ret && !attach_one(a, t, path, k, ret, true, loc.off[k]))
			continue;
		if (loc.probe[k] == loc.off[k]) {
			attach_one(a, t, path, k, entry, false, loc.off[k]);
		} else if (attach_one(a, t, path, k, entry, false, loc.probe[k])) {
			a->moved++;
			cw_debug("TLS probe %s on %s at +%#llx, an emulated instruction",
				 entry_points[k].sym, path,
				 (unsigned long long)(loc.probe[k] - loc.off[k]));
		} else {
			/* the kernel refused that instruction after all: the entry always works */
			attach_one(a, t, path, k, entry, false, loc.off[k]);
		}
	}
	if (t->nlinks) {
		cw_debug("TLS probes attached to %s (%d)", path, t->nlinks);
		a->n++;
		if (pid)
			add_use(a, t, pid);
	}
}

/* Detach target i and forget it was checked, so a later user attaches it again. */
static void release(struct cw_tls_attach *a, size_t i)
{
	struct cw_tls_target *t = &a->t[i];

	for (int k = 0; k < t->nlinks; k++)
		bpf_link__destroy(t->links[k]);
	forget_checked(a, t->dev, t->ino);
	cw_debug("TLS probes released from %s: no process uses it", t->path);
	a->released++;
	a->t[i] = a->t[--a->n];
}

void cw_tls_scan_system(struct cw_tls_attach *a)
{
	static const char *const patterns[] = {
		"/usr/lib/*-linux-gnu/libssl.so*",
		"/lib/*-linux-gnu/libssl.so*",
		"/usr/lib64/libssl.so*",
		"/usr/lib/libssl.so*",
		"/usr/lib/*-linux-gnu/libgnutls.so*",
		"/usr/lib64/libgnutls.so*",
		"/usr/lib/*-linux-gnu/libnspr4.so",
		"/usr/lib64/libnspr4.so",
	};

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		glob_t g;

		if (glob(patterns[i], 0, NULL, &g))
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++)
			consider(a, g.gl_pathv[k], 0);
		globfree(&g);
	}
}

static bool pid_scanned(struct cw_tls_attach *a, uint32_t pid)
{
	for (size_t i = 0; i < a->nscanned; i++)
		if (a->scanned[i] == pid)
			return true;
	return false;
}

void cw_tls_forget_pid(struct cw_tls_attach *a, uint32_t pid)
{
	for (size_t i = 0; i < a->nscanned; i++)
		if (a->scanned[i] == pid) {
			a->scanned[i] = a->scanned[--a->nscanned];
			break;
		}
	for (size_t u = 0; u < a->nuses;) {
		if (a->uses[u].pid != pid) {
			u++;
			continue;
		}
		for (size_t i = 0; i < a->n; i++) {
			if (a->t[i].id != a->uses[u].target)
				continue;
			if (--a->t[i].users == 0 && !a->t[i].pinned)
				release(a, i);
			break;
		}
		a->uses[u] = a->uses[--a->nuses];
	}
}

const char *const cw_tls_library_names[] = {
	"libssl.so.3",	   "libssl.so.1.1", "libssl.so.1.0.2",
	"libssl.so.1.0.0", "libssl.so",	    "libgnutls.so.30",
	"libgnutls.so.28", "libnspr4.so",   NULL,
};

bool cw_tls_library_name(const char *base)
{
	static const char *const prefixes[] = { "libssl.so", "libgnutls.so", "libnspr4.so" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

void cw_tls_scan_file(struct cw_tls_attach *a, uint32_t pid, const char *path)
{
	char p[PATH_MAX + 64];

	if (path[0] != '/')
		return;
	/* Through the process's root: a container's libraries are not the host's. */
	snprintf(p, sizeof(p), "/proc/%u/root%s", pid, path);
	consider(a, p, pid);
}

void cw_tls_scan_exe(struct cw_tls_attach *a, uint32_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	consider(a, path, pid);
}

void cw_tls_scan_pid(struct cw_tls_attach *a, uint32_t pid)
{
	char maps[64], line[1024], path[1200];
	FILE *f;

	if (pid_scanned(a, pid))
		return;
	if (cw_grow((void **)&a->scanned, &a->capscanned, a->nscanned + 1, sizeof(*a->scanned)))
		return;
	a->scanned[a->nscanned++] = pid;
	snprintf(maps, sizeof(maps), "/proc/%u/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], *file;

		/* address perms offset dev inode path: executable file mappings only */
		if (sscanf(line, "%*s %7s", perms) != 1 || perms[2] != 'x')
			continue;
		file = strchr(line, '/');
		if (!file)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (strstr(file, " (deleted)"))
			continue;
		/* Through the process's root: a container's libraries are not the host's. */
		snprintf(path, sizeof(path), "/proc/%u/root%s", pid, file);
		consider(a, path, pid);
	}
	fclose(f);
}

void cw_tls_scan_all(struct cw_tls_attach *a)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || !pid)
			continue;
		cw_tls_scan_pid(a, (uint32_t)pid);
	}
	closedir(d);
}
