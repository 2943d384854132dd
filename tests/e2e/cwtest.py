# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Helpers for credwatch end-to-end tests: a running agent, generated secrets, assertions.

Test secrets are generated at run time (right format, random body) so the repository never
holds a credential-shaped literal.

Whatever a test starts beside itself (an agent, a loopback server, a server or child
process) is a context manager: `with running_agent("--events") as agent, Sink() as sink:`
starts them in that order and, however the block ends (an assertion, an error, an agent that
does not start), stops whatever was started, in the reverse order. After the block the
agent's output is all there for the test's assertions.
"""
import atexit
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
import zlib

import ecs_check

BIN = os.environ.get("CREDWATCH_BIN", "./credwatch")

ALNUM = string.ascii_letters + string.digits
BASE32 = string.ascii_uppercase + "234567"


# Raised by a test that cannot run here (Skip("why")): pytest reports it as skipped, with why.
# The helpers here also serve scripts outside pytest (tests/vm/run), with a python3 that may
# not have it.
try:
    import pytest
    Skip = pytest.skip.Exception
except ImportError:
    class Skip(Exception):
        pass


def rand(chars, n):
    return "".join(secrets.choice(chars) for _ in range(n))


BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def github_token(prefix="ghp_"):
    """A GitHub token with a valid checksum: 30 random base62 characters, then the CRC32 of
    those in 6 base62 digits."""
    body = rand(ALNUM, 30)
    crc = zlib.crc32(body.encode())
    digits = ""
    for _ in range(6):
        crc, d = divmod(crc, 62)
        digits = BASE62[d] + digits
    return prefix + body + digits


def aws_key_pair():
    return "AKIA" + rand(BASE32, 16), rand(ALNUM + "+/", 40)


def redacted(secret):
    k = 4 if len(secret) >= 24 else 2 if len(secret) >= 12 else 0
    return secret[:k] + "****" + (secret[len(secret) - k:] if k else "")


def unique_keys(pairs):
    """json.loads hook: an object with a key twice is an error (SIEMs keep one of them)."""
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"a JSON object repeats {sorted(dup)}")
    return dict(pairs)


def host_workload(pid=None, uid=0):
    """The workload key the agent gives a host process outside any unit, session or
    container: "tree:EXE uid:UID", EXE the executable of its ancestor that init started."""
    pid = pid or os.getpid()
    while True:
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        if ppid <= 2 or pid == 1:
            return f"tree:{os.readlink(f'/proc/{pid}/exe')} uid:{uid}"
        pid = ppid


def require_root():
    if os.geteuid() != 0:
        raise Skip("needs root (loads BPF programs)")


class KeyFile:
    """A fingerprint key in a private temp file, so tests can compute expected fingerprints."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-key-")
        atexit.register(shutil.rmtree, self.dir, True)  # the key outlives any test's agent
        self.path = os.path.join(self.dir, "fingerprint.key")
        self.key = secrets.token_bytes(32)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, self.key)
        os.close(fd)

    def fingerprint(self, secret):
        return hmac.new(self.key, secret.encode(), hashlib.sha256).hexdigest()


class Agent:
    """credwatch run in the background; stdout lines parsed as JSON, stderr kept as text.
    Every line is checked against its format's schema (ECS: tests/e2e/ecs_check.py): a line
    that is not right fails the test at its next wait_for, or when running_agent's block
    ends."""

    def __init__(self, *args, key=None, ready_timeout=30, wrap=(), env=None,
                 check=ecs_check.check):
        """wrap: a command that runs the agent's command line (its arguments), exec'ing it so
        that the agent keeps its pid and gets the stop signal. env: its environment (default:
        this process's). check: what is wrong with a parsed line ([] when nothing): the
        schema check of the format the agent prints (default ECS)."""
        self.key = key or KeyFile()
        # A private provenance store unless the test names one: tests must not share state.
        state = [] if "--state" in args else ["--state", "none"]
        cmd = [*wrap, BIN, "run", "--fingerprint-key-file", self.key.path, *state, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.out_raw = []
        self.err_raw = []
        self.lines = []
        self.check = check
        self.format_errors = []  # (line, [what is wrong with it])
        self.cv = threading.Condition()
        self.t_out = threading.Thread(target=self._pump, args=(self.proc.stdout, self.out_raw, True))
        self.t_err = threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_raw, False))
        self.t_out.start()
        self.t_err.start()
        if not self.wait_err("credwatch: running:", ready_timeout):
            self.stop()
            raise AssertionError("agent did not start: " + self.stderr())

    def _pump(self, f, raw, is_json):
        for line in iter(f.readline, b""):
            with self.cv:
                raw.append(line)
                if is_json:
                    # a malformed line, one with a key twice, or one its schema refuses
                    # fails the test
                    try:
                        doc = json.loads(line, object_pairs_hook=unique_keys)
                        errs = self.check(doc) if self.check else []
                    except ValueError as e:
                        doc, errs = None, [str(e)]
                    if errs:
                        self.format_errors.append((line, errs))
                    if doc is not None:
                        self.lines.append(doc)
                self.cv.notify_all()

    def stderr(self):
        with self.cv:
            return b"".join(self.err_raw).decode(errors="replace")

    def stdout_bytes(self):
        with self.cv:
            return b"".join(self.out_raw)

    def wait_err(self, text, timeout=10):
        end = time.monotonic() + timeout
        with self.cv:
            while text not in b"".join(self.err_raw).decode(errors="replace"):
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.t_err.is_alive()):
                    return False
                self.cv.wait(min(left, 0.2))
        return True

    def assert_format(self):
        """Every line so far was valid JSON its schema accepts."""
        with self.cv:
            bad = list(self.format_errors)
        assert not bad, "the agent printed %d line(s) its format refuses; first: %s\n%s" % (
            len(bad), bad[0][0].decode(errors="replace").strip(), "\n".join(bad[0][1]))

    def wait_for(self, pred, timeout=10, count=1):
        """Wait until `count` parsed lines satisfy pred; return them."""
        self.assert_format()
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                hits = [l for l in self.lines if pred(l)]
                if len(hits) >= count:
                    return hits
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return hits
                self.cv.wait(min(left, 0.2))

    def alive(self):
        return self.proc.poll() is None

    @property
    def returncode(self):
        """The agent's exit status once stopped (None while it runs)."""
        return self.proc.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.t_out.join(5)
        self.t_err.join(5)
        return self.proc.returncode

    def assert_no_plaintext(self, *secrets_):
        blob = self.stdout_bytes() + self.stderr().encode()
        for s in secrets_:
            assert s.encode() not in blob, "a plaintext secret appears in the agent's output"


@contextlib.contextmanager
def running_agent(*args, key=None, env=None, check=ecs_check.check, wrap=()):
    """An agent running beside the test for the length of the block: `credwatch run` with
    args, started and ready (its "running:" line) when the block begins, stopped when it ends,
    however it ends, its output then complete and every line of it checked (Agent's check).
    An agent that does not start fails the test, and what the with statement started before
    it is stopped."""
    agent = Agent(*args, key=key, env=env, check=check, wrap=wrap)
    try:
        yield agent
    except BaseException:
        agent.stop()
        raise
    agent.stop()
    agent.assert_format()


class Closing:
    """A server or process a test starts: `with X(...) as x:` closes it when the block ends."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def child_process(argv, **popen_args):
    """A process the test starts and talks to (subprocess.Popen arguments), killed when the
    block ends if it has not exited by then."""
    child = subprocess.Popen(argv, **popen_args)
    with child:
        try:
            yield child
        finally:
            if child.poll() is None:
                child.kill()


def own(agent, secret, action):
    """The agent's findings of `action` for this test's secret only: anything else running on
    the host is not ours to count."""
    fp = agent.key.fingerprint(secret)
    return [l for l in agent.lines if l["event"]["action"] == action and
            l["credwatch"]["credential"]["fingerprint"] == fp]


def wait_own(agent, secret, action, timeout=15):
    """Wait for a finding of `action` for this test's secret; the ones out by then."""
    fp = agent.key.fingerprint(secret)
    return agent.wait_for(lambda l: l["event"]["action"] == action and
                          l["credwatch"]["credential"]["fingerprint"] == fp, timeout=timeout)


def wait_until(cond, timeout):
    """Poll cond() every 0.1 s until it is true or timeout seconds have passed; its last value."""
    deadline = time.monotonic() + timeout
    while not (v := cond()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return v


def kernel_map(agent, name):
    """The entries of the running agent's own BPF map `name`, as bpftool formats them with
    the map's BTF ({"key": ..., "value": ...})."""
    def bpftool(*args):
        return json.loads(subprocess.run(["bpftool", "-j", *args], capture_output=True,
                                         text=True, check=True).stdout)
    fdinfo = "/proc/%d/fdinfo" % agent.proc.pid
    ids = set()
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                ids.update(int(l.split()[1]) for l in f if l.startswith("map_id:"))
        except OSError:
            continue
    mine = [i for i in ids if bpftool("map", "show", "id", str(i))["name"] == name]
    assert len(mine) == 1, (name, mine)
    return [e["formatted"] for e in bpftool("map", "dump", "id", str(mine[0]))]


def find(lines, **fields):
    """Lines whose dotted fields equal the given values, e.g. find(l, **{"event.action": "x"})."""
    def get(d, path):
        for p in path.split("."):
            if not isinstance(d, dict) or p not in d:
                return None
            d = d[p]
        return d
    return [l for l in lines if all(get(l, k) == v for k, v in fields.items())]


def get(d, path):
    for p in path.split("."):
        d = d[p]
    return d


def h2_frame(ftype, flags, stream, payload):
    """An HTTP/2 frame: 9-byte header (24-bit length, type, flags, stream) and payload."""
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + \
        stream.to_bytes(4, "big") + payload


def hpack_string(b):
    """An HPACK string literal, not Huffman-coded: its length as a 7-bit-prefix integer."""
    n = len(b)
    if n < 127:
        return bytes([n]) + b
    out, n = bytes([127]), n - 127
    while n >= 128:
        out, n = out + bytes([n % 128 + 128]), n // 128
    return out + bytes([n]) + b


def hpack_literal(name, value):
    """A header field as an HPACK literal without indexing, new name, no Huffman coding."""
    return b"\x00" + hpack_string(name) + hpack_string(value)


class BufferedWriter:
    """Writes through a fixed-size buffer sent whenever it is full, as Go's bufio.Writer and
    grpc-go's transport do: writes are cut anywhere, in the middle of a frame or of a frame
    header."""

    def __init__(self, sock, size):
        self.sock, self.size, self.buf = sock, size, b""

    def write(self, b):
        self.buf += b
        while len(self.buf) >= self.size:
            self.sock.sendall(self.buf[:self.size])
            self.buf = self.buf[self.size:]

    def flush(self):
        if self.buf:
            self.sock.sendall(self.buf)
            self.buf = b""


def h2_streams(agent):
    """(followed, lost track of): the HTTP/2 client streams the kernel followed frame by frame,
    from the stopped agent's summary."""
    part = agent.stderr().split(" HTTP/2 client streams followed frame by frame, ")
    followed = int(part[0].split()[-1])
    lost = int(part[1].split()[0])
    return followed, lost


def conn_entry(agent, sock):
    """The kernel's entries (map conns) for this process's socket sock: a list of 0 or 1."""
    me, fd = os.getpid(), sock.fileno()
    return [e["value"] for e in kernel_map(agent, "conns")
            if (e["key"]["tgid"], e["key"]["fd"]) == (me, fd)]


def assert_copying_stopped(entry):
    """A connection entry the kernel marked CW_CONN_NO_PAYLOAD after its TLS ClientHello,
    having copied little (the ClientHello, maybe a plaintext request before it), not the
    ciphertext after it."""
    assert len(entry) == 1, entry
    assert entry[0]["conn"]["flags"] & 2, entry	# CW_CONN_NO_PAYLOAD
    assert entry[0]["conn"]["budget"]["captured"] < 4096, entry


def bytes_sent(agent):
    """The payload bytes the kernel sent the stopped agent, from its summary."""
    return int(agent.stderr().split(" bytes sent")[0].split()[-1])


def budget_holes(agent):
    """The holes past the payload budget the stopped agent's summary counts."""
    return int(agent.stderr().split(" holes past the payload budget")[0].split("(")[-1])


class LoopbackServer(Closing):
    """A TCP server on a loopback port that serves each connection in a thread of its own:
    subclasses define handle(conn)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def close(self):
        # Wake the accept() first, and close once it has returned. close() alone leaves it
        # blocked on the listener (still listening), and a signal that restarts the call
        # (SIGCHLD for a child an agent holds) re-reads its fd number: that of whatever socket
        # got the number next, a later test's server, whose connection it then takes.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.sock.close()
