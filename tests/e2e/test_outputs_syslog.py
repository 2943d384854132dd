# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Outputs: syslog over UDP, TCP and TLS into a real rsyslog (started here on loopback with a
temporary configuration, in the foreground, its own pid and work files), the disk spool
through rsyslog and agent crashes, a full spool, file rotation, start-up errors."""
import glob
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import ocsf_check
from cwtest import (BIN, Agent, Closing, KeyFile, github_token, aws_key_pair, require_root,
                    running_agent, unique_keys, wait_until)

RSYSLOGD = "/usr/sbin/rsyslogd"
FIELDS = ("pri", "version", "timestamp", "hostname", "app", "procid", "msgid", "sd", "msg")


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ca(d):
    """A throwaway CA and a server certificate for localhost / 127.0.0.1 it signed."""
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "2", "-subj", "/CN=credwatch test CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(d, "ca.pem")


class Rsyslog(Closing):
    """rsyslogd -n with inputs udp/tcp/tls (a port each, those asked for), each input's
    messages in its own file, one line per message: the RFC 5424 fields as rsyslog parsed
    them, tab-separated."""

    def __init__(self, udp=None, tcp=None, tls=None, d=None, slow=False):
        """slow: messages wait in an in-memory action queue (30 ms each),
        as in a busy daemon: a kill then loses what its TCP had acknowledged."""
        self.dir = d or tempfile.mkdtemp(prefix="cw-rsyslog-")
        self.ports = {"udp": udp, "tcp": tcp, "tls": tls}
        os.makedirs(os.path.join(self.dir, "work"), exist_ok=True)
        conf = [f'global(workDirectory="{self.dir}/work" maxMessageSize="64k"']
        if tls:
            conf[0] += (f' defaultNetstreamDriverCAFile="{self.dir}/ca.pem"'
                        f' defaultNetstreamDriverCertFile="{self.dir}/server.pem"'
                        f' defaultNetstreamDriverKeyFile="{self.dir}/server.key"')
        conf[0] += ")"
        tab = 'constant(value="\\t")'
        props = f" {tab} ".join(
            f'property(name="{p}"' + (' dateFormat="rfc3339"' if p == "timereported" else "") + ")"
            for p in ("pri", "protocol-version", "timereported", "hostname", "app-name",
                      "procid", "msgid", "structured-data", "msg"))
        conf.append(f'template(name="fields" type="list") {{ {props} constant(value="\\n") }}')
        if udp:
            conf.append('module(load="imudp")')
        if tcp or tls:
            conf.append('module(load="imtcp" maxSessions="50")')
        for kind, port in self.ports.items():
            if not port:
                continue
            extra = (' streamDriver.name="gtls" streamDriver.mode="1"'
                     ' streamDriver.authMode="anon"' if kind == "tls" else "")
            conf.append(f'input(type="{"imudp" if kind == "udp" else "imtcp"}" port="{port}"'
                        f' address="127.0.0.1" ruleset="{kind}"{extra})')
            queue = (' queue.type="LinkedList" queue.dequeueSlowdown="30000"'
                     ' queue.dequeueBatchSize="1"' if slow else "")
            conf.append(f'ruleset(name="{kind}") {{ action(type="omfile" '
                        f'file="{self.file(kind)}" template="fields"{queue}) }}')
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.proc = None
        self.start()

    def file(self, kind):
        return os.path.join(self.dir, kind + ".log")

    def start(self):
        self.log = open(os.path.join(self.dir, "rsyslogd.out"), "ab")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i",
                                      os.path.join(self.dir, "rsyslogd.pid")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for kind, port in self.ports.items():
            if port and kind != "udp":
                assert wait_until(lambda: self._listening(port), 10), self.output()
        if self.ports["udp"]:
            time.sleep(0.5)  # no way to see a UDP input ready from outside

    def _listening(self, port):
        if self.proc.poll() is not None:
            raise AssertionError("rsyslogd exited: " + self.output())
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False

    def output(self):
        with open(os.path.join(self.dir, "rsyslogd.out"), "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def messages(self, kind):
        """Each message received on that input: its fields, msg parsed as JSON."""
        try:
            with open(self.file(kind), "rb") as f:
                lines = f.read().decode().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            m = dict(zip(FIELDS, line.split("\t", len(FIELDS) - 1)))
            m["json"] = json.loads(m["msg"], object_pairs_hook=unique_keys)
            out.append(m)
        return out

    def fingerprints(self, kind):
        return [m["json"]["credwatch"]["credential"]["fingerprint"] for m in self.messages(kind)]


def exec_tokens(n, pause=0.0):
    """n execs, each with a fresh GitHub token in argv (an alert each): the tokens."""
    tokens = []
    for _ in range(n):
        t = github_token()
        subprocess.run(["/bin/true", "--token=" + t], check=True)
        tokens.append(t)
        if pause:
            time.sleep(pause)
    return tokens


def alerts_for(agent, tokens, timeout=30):
    fps = {agent.key.fingerprint(t) for t in tokens}
    return agent.wait_for(lambda l: l["event"]["kind"] == "alert" and
                          l["credwatch"]["credential"]["fingerprint"] in fps, timeout=timeout,
                          count=len(fps))


def assert_in_order_no_gap(got, want):
    """Every fingerprint of want arrived, and the first arrivals are in want's order; repeats
    (a record sent again after a lost connection) are allowed."""
    first = []
    seen = set()
    for fp in got:
        if fp not in seen:
            seen.add(fp)
            first.append(fp)
    missing = [i for i, fp in enumerate(want) if fp not in seen]
    assert not missing, f"{len(missing)} of {len(want)} never arrived (first at #{missing[0]})"
    want_set = set(want)
    assert [fp for fp in first if fp in want_set] == want, "out of order"


def spool_bytes(spool):
    blob = b""
    for p in glob.glob(os.path.join(spool, "*", "*")):
        with open(p, "rb") as f:
            blob += f.read()
    return blob


def test_syslog_udp_tcp_tls_deliver_rfc5424_with_the_json_intact():
    require_root()
    d = tempfile.mkdtemp(prefix="cw-rsyslog-")
    ca = make_ca(d)
    ports = {"udp": free_port(socket.SOCK_DGRAM), "tcp": free_port(), "tls": free_port()}
    spool = tempfile.mkdtemp(prefix="cw-spool-")
    with Rsyslog(d=d, **ports) as rs, running_agent(
            "--spool-dir", spool, "--output", "stdout",
            "--output", f"syslog://127.0.0.1:{ports['udp']},format=ocsf",
            "--output", f"syslog+tcp://127.0.0.1:{ports['tcp']},facility=local4,app-name=cw-test",
            "--output", f"syslog+tls://localhost:{ports['tls']},ca={ca}") as agent:
        tokens = exec_tokens(3)
        alerts = alerts_for(agent, tokens)
        assert len(alerts) == 3, agent.stderr()
        for kind in ("udp", "tcp", "tls"):
            assert wait_until(lambda: len(rs.messages(kind)) >= 3, 15), (kind, agent.stderr(),
                                                                          rs.output())
        time.sleep(0.5)
    assert agent.returncode == 0, agent.stderr()
    host = socket.gethostname()
    by_fp = {a["credwatch"]["credential"]["fingerprint"]: a for a in alerts}
    for kind in ("udp", "tcp", "tls"):
        msgs = rs.messages(kind)
        assert len(msgs) == 3, (kind, msgs)
        for m in msgs:
            if kind == "udp":  # OCSF: the same finding, checked against the schema
                assert ocsf_check.check(m["json"]) == [], m["json"]
                assert m["json"]["class_uid"] == 2006
                ids = {a["event"]["id"]: a for a in alerts}
                a = ids[m["json"]["finding_info"]["uid"]]
                m["json"] = a
            facility = 20 if kind == "tcp" else 10  # local4, else the default authpriv
            assert m["pri"] == str(facility * 8 + 4), m  # severity warning for an alert
            assert m["version"] == "1"
            assert m["hostname"] == host
            assert m["app"] == ("cw-test" if kind == "tcp" else "credwatch")
            assert m["procid"] == str(agent.proc.pid)
            assert m["msgid"] == "alert"
            assert m["sd"] == "-"
            # the finding, byte for byte what stdout had
            assert m["json"] == by_fp[m["json"]["credwatch"]["credential"]["fingerprint"]]
    blob = b"".join(open(rs.file(k), "rb").read() for k in ("udp", "tcp", "tls"))
    blob += spool_bytes(spool)
    for t in tokens:
        assert t.encode() not in blob
    agent.assert_no_plaintext(*tokens)
    summary = [l for l in agent.stderr().splitlines() if "stopped:" in l][-1]
    assert f"syslog+tcp://127.0.0.1:{ports['tcp']},facility=local4,app-name=cw-test: " \
           "3 delivered, 0 queued, 0 dropped" in summary, summary


@pytest.mark.parametrize("kind", ["tcp", "tls"])
def test_syslog_rsyslog_killed_midstream_every_alert_arrives_in_order(kind):
    require_root()
    d = tempfile.mkdtemp(prefix="cw-rsyslog-")
    port = free_port()
    if kind == "tls":
        out = f"syslog+tls://localhost:{port},ca={make_ca(d)}"
    else:
        out = f"syslog+tcp://127.0.0.1:{port}"
    spool = tempfile.mkdtemp(prefix="cw-spool-")
    with Rsyslog(d=d, slow=True, **{kind: port}) as rs, running_agent(
            "--spool-dir", spool, "--output", "stdout", "--output", out) as agent:
        tokens = []
        gen = threading.Thread(target=lambda: tokens.extend(exec_tokens(150, pause=0.02)))
        gen.start()
        assert wait_until(lambda: len(rs.messages(kind)) >= 40, 20), agent.stderr()
        rs.kill()
        time.sleep(2)  # alerts keep coming while it is down
        rs.start()
        gen.join()
        alerts = alerts_for(agent, tokens)
        want = [a["credwatch"]["credential"]["fingerprint"] for a in alerts]
        assert len(want) == 150
        assert wait_until(lambda: set(want) <= set(rs.fingerprints(kind)), 60), \
            agent.stderr()
    assert agent.returncode == 0, agent.stderr()
    # stdout's order is the order the agent made them: the spool's
    assert_in_order_no_gap(rs.fingerprints(kind), want)
    err = agent.stderr()
    assert err.count(f"output {out}: down:") == 1, err
    assert err.count(f"output {out}: up again,") == 1, err


def test_crash_with_1000_alerts_spooled_all_delivered_after_restart():
    require_root()
    port = free_port()
    spool = tempfile.mkdtemp(prefix="cw-spool-")
    out = f"syslog+tcp://127.0.0.1:{port}"
    key = KeyFile()
    agent = Agent("--spool-dir", spool, "--output", "stdout", "--output", out, key=key)
    try:
        tokens = exec_tokens(1000)
        alerts = alerts_for(agent, tokens, timeout=60)
        assert len(alerts) == 1000, agent.stderr()
        assert agent.wait_err(f"output {out}: down: cannot connect to 127.0.0.1 port {port}")
        agent.proc.send_signal(signal.SIGKILL)
    finally:
        agent.stop()
    want = [a["credwatch"]["credential"]["fingerprint"] for a in alerts]
    blob = spool_bytes(spool)
    for fp in want:
        assert fp.encode() in blob
    for t in tokens:
        assert t.encode() not in blob, "a plaintext token in the spool"
    for p in glob.glob(os.path.join(spool, "*")) + glob.glob(os.path.join(spool, "*", "*")):
        assert os.stat(p).st_mode & 0o077 == 0, p
    with Rsyslog(tcp=port) as rs, running_agent("--spool-dir", spool, "--output", out,
                                                key=key) as agent2:
        assert agent2.wait_err(f"output {out}: 1000 findings the last run did not deliver "
                               "are queued")
        assert wait_until(lambda: set(want) <= set(rs.fingerprints("tcp")), 60), \
            agent2.stderr()
    assert_in_order_no_gap(rs.fingerprints("tcp"), want)
    assert agent2.returncode == 0, agent2.stderr()


def test_full_spool_drops_observations_before_alerts_and_counts_them():
    require_root()
    port = free_port()  # nothing listens: everything stays in the spool
    spool = tempfile.mkdtemp(prefix="cw-spool-")
    out = f"syslog+tcp://127.0.0.1:{port}"
    with running_agent("--events", "--spool-dir", spool, "--spool-max", "64k",
                       "--output", "stdout", "--output", out) as agent:
        tokens = []
        for _ in range(80):
            akid, secret = aws_key_pair()
            t = github_token()
            env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": akid,
                   "AWS_SECRET_ACCESS_KEY": secret}
            subprocess.run(["/bin/true", "--token=" + t], env=env, check=True)
            tokens.append(t)
        alerts_for(agent, tokens)
        assert agent.wait_err(f"output {out}: spool full")
    err = agent.stderr()
    i_obs = err.find(f"output {out}: spool full")
    assert "refusing observations" in err[i_obs:err.find("\n", i_obs)], err
    i_alerts = err.find("refusing alerts")
    assert i_alerts == -1 or i_alerts > i_obs, err
    assert err.count("refusing observations") == 1, err  # once per episode
    summary = [l for l in err.splitlines() if "stopped:" in l][-1]
    part = summary[summary.index(out + ":"):]
    delivered, queued, dropped, d_alerts, d_obs = [
        int(w) for w in part.replace("(", " ").replace(")", " ").replace(",", " ").split()
        if w.isdigit()][:5]
    written = len([l for l in agent.lines if l["event"]["kind"] in ("alert", "event")])
    assert delivered == 0
    assert d_obs > 0 and d_obs > d_alerts, summary
    assert queued + dropped >= written - 5, summary  # every finding spooled or counted
    blob = spool_bytes(spool)
    assert len(blob) <= 64 << 10 + 4096
    spooled_alerts = blob.count(b'"kind":"alert"')
    spooled_obs = blob.count(b'"kind":"event"')
    # every alert the agent wrote (its 80, and any other on the host meanwhile) is spooled
    # or counted dropped
    alerts = len([l for l in agent.lines if l["event"]["kind"] == "alert"])
    assert alerts >= 80
    assert spooled_alerts == alerts - d_alerts, (spooled_alerts, alerts, d_alerts)
    assert spooled_obs + d_obs >= 160


def test_bad_output_fails_at_start_with_one_clear_line():
    require_root()
    cases = [
        (["--output", "syslog+tcp://127.0.0.1:99999"], "bad port '99999'"),
        (["--output", "syslog+tls://localhost:6514,ca=/nonexistent/ca.pem"],
         "ca=/nonexistent/ca.pem: No such file or directory"),
        (["--output", "kafka://broker:9092"], "unknown output"),
        (["--output", "syslog+tcp://h:514,facility=mars"], "facility=mars"),
    ]
    for args, want in cases:
        p = subprocess.run([BIN, "run", "--state", "none", *args], capture_output=True,
                           timeout=60)
        err = p.stderr.decode()
        assert p.returncode == 1, err
        assert want in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_file_output_rotates_by_size_and_reopens_on_sighup():
    require_root()
    d = tempfile.mkdtemp(prefix="cw-file-")
    path = os.path.join(d, "findings.json")
    with running_agent("--output", "stdout",
                       "--output", f"file:{path},rotate-size=4k,rotate-keep=2") as agent:
        tokens = exec_tokens(12)
        alerts_for(agent, tokens)
        newest = agent.key.fingerprint(tokens[-1])

        def written():
            # files are written at the end of the loop's pass that wrote stdout: a moment later
            try:
                with open(path) as f:
                    return os.path.exists(path + ".2") and newest in f.read()
            except FileNotFoundError:
                return False
        assert wait_until(written, 10)
        assert not os.path.exists(path + ".3")
        kept = []
        for p in (path + ".2", path + ".1", path):
            assert os.path.getsize(p) <= 4096, p
            with open(p) as f:
                kept += [json.loads(l)["credwatch"]["credential"]["fingerprint"] for l in f]
        fps = [agent.key.fingerprint(t) for t in tokens]
        assert kept == fps[-len(kept):], "the newest findings, in order, across the files"
        assert os.stat(path).st_mode & 0o777 == 0o600
        # logrotate's way: move the file away, then SIGHUP
        os.rename(path, path + ".moved")
        agent.proc.send_signal(signal.SIGHUP)
        assert agent.wait_err("policy reloaded")
        t = exec_tokens(1)
        alerts_for(agent, t)
        assert wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10)
    with open(path) as f:
        lines = [json.loads(l) for l in f]
    assert [l["credwatch"]["credential"]["fingerprint"] for l in lines] == [agent.key.fingerprint(t[0])]
    with open(path + ".moved") as f:
        assert agent.key.fingerprint(t[0]) not in f.read()


def test_full_disk_under_the_spool_is_counted_and_logged_once():
    require_root()
    port = free_port()  # nothing listens: everything stays in the spool
    out = f"syslog+tcp://127.0.0.1:{port}"
    spool = tempfile.mkdtemp(prefix="cw-spool-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k,mode=0700", "cw-spool", spool],
                   check=True)
    try:
        with running_agent("--spool-dir", spool, "--output", "stdout", "--output", out) as agent:
            tokens = exec_tokens(60)
            alerts = alerts_for(agent, tokens)
            assert len(alerts) == 60
            assert agent.wait_err(f"output {out}: cannot spool alerts: No space left on device")
            # matching went on: every alert reached stdout
    finally:
        subprocess.run(["umount", spool], check=False)
    err = agent.stderr()
    assert agent.returncode == 0, err
    assert err.count("cannot spool alerts") == 1, err  # once per episode
    summary = [l for l in err.splitlines() if "stopped:" in l][-1]
    part = summary[summary.index(out + ":"):]
    nums = [int(w) for w in part.replace("(", " ").replace(")", " ").replace(",", " ").split()
            if w.isdigit()][:5]
    delivered, queued, dropped, d_alerts, d_obs = nums
    assert d_alerts > 0 and d_obs == 0, summary
    assert queued + d_alerts == 60, summary  # each spooled or counted
