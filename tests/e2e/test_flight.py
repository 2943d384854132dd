# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""credwatch run --flight-recorder: an alert names a trace of the seconds before it and after,
which `credwatch replay` runs alone; a second alert in the window names the same file; the rate
limit leaves later alerts without one, counted; encrypted to a recipient key."""
import http.client
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile

from cwtest import BIN, github_token, require_root, running_agent, wait_until

SECONDS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        c.request("GET", "/metrics")
        return c.getresponse().read().decode()
    except OSError:
        return ""
    finally:
        c.close()


def sample(text, name):
    m = re.search("^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def run(argv, env=None):
    """Exec argv (no shell) with env; its pid once it has exited."""
    p = subprocess.Popen(argv, env=env or {"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    p.wait()
    return p.pid


def argv_alert(agent, pid):
    hits = agent.wait_for(lambda l: l["event"]["kind"] == "alert" and
                          l["process"]["pid"] == pid, timeout=15)
    assert len(hits) == 1, agent.stderr()
    return hits[0]


def replay(path, agent, *args):
    p = subprocess.run([BIN, "replay", path, "--events", "--fingerprint-key-file",
                        agent.key.path, *args], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return [json.loads(l) for l in p.stdout.decode().splitlines()], p.stdout + p.stderr


def test_flight_recorder_dump_holds_the_moments_before_the_alert():
    require_root()
    before, first, second, late = (github_token() for _ in range(4))
    port = free_port()
    d = tempfile.mkdtemp(prefix="cw-flight-")
    traces = os.path.join(d, "traces")
    try:
        with running_agent("--flight-recorder", str(SECONDS), "--flight-recorder-dir", traces,
                           "--flight-recorder-max-dumps", "1",
                           "--metrics", f"127.0.0.1:{port}") as agent:
            assert "flight recorder: traces in %s will hold" % traces in agent.stderr()
            # ordinary work before any alert: a credential in a process's environment (an
            # observation only, which this agent does not print: no --events)
            pid_before = run(["/bin/true"], {"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": before})
            pid1 = run(["/bin/true", "--token=" + first])
            a1 = argv_alert(agent, pid1)
            path = a1["credwatch"]["trace"]["path"]
            assert os.path.dirname(path) == traces
            assert re.fullmatch(r"credwatch-[A-Za-z0-9._-]+-\d{8}T\d{6}Z\.cwtrace",
                                os.path.basename(path)), path
            # a second alert while the dump is open names the same file
            pid2 = run(["/bin/true", "--token=" + second])
            a2 = argv_alert(agent, pid2)
            assert a2["credwatch"]["trace"]["path"] == path
            # the dump ends SECONDS after the alert: its log line says it is complete
            assert agent.wait_err("flight recorder: %s written" % path, SECONDS + 15), \
                agent.stderr()
            # the rate limit (1 an hour): a later alert names no trace, and it is counted
            pid3 = run(["/bin/true", "--token=" + late])
            a3 = argv_alert(agent, pid3)
            assert "trace" not in a3["credwatch"], a3
            text = wait_until(lambda: (t := metrics(port)) and (sample(
                t, 'credwatch_flight_recorder_dumps_refused_total{reason="rate"}') or 0) >= 1
                and t, 5)
            assert text, metrics(port)
            assert sample(text, "credwatch_flight_recorder_dumps_total") == 1
            # its two alerts at least (the agent sees the whole host: another process's alert
            # in the window names the dump too)
            assert sample(text, "credwatch_flight_recorder_alerts_named_total") >= 2
            assert sample(text, "credwatch_flight_recorder_records") > 0
        assert agent.returncode == 0, agent.stderr()
        for s in (before, first, second, late):
            assert s not in text
        agent.assert_no_plaintext(before, first, second, late)
        assert "flight recorder: stopped:" in agent.stderr()

        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert stat.S_IMODE(os.stat(traces).st_mode) == 0o700
        lines, out = replay(path, agent)
        # what happened before the alert is in the file: the earlier process's environment
        env_obs = [l for l in lines if l["process"]["pid"] == pid_before]
        assert env_obs, out.decode(errors="replace")
        assert env_obs[0]["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(before)
        assert env_obs[0]["@timestamp"] <= a1["@timestamp"]
        # and the alerts themselves, as the live agent raised them; not the late one
        for pid, a in ((pid1, a1), (pid2, a2)):
            r = [l for l in lines if l["event"]["kind"] == "alert" and l["process"]["pid"] == pid]
            assert len(r) == 1, out.decode(errors="replace")
            assert r[0]["@timestamp"] == a["@timestamp"]
            assert r[0]["credwatch"]["credential"] == a["credwatch"]["credential"]
        assert not [l for l in lines if l["process"]["pid"] == pid3]
        for s in (before, first, second, late):
            assert s.encode() not in out
    finally:
        shutil.rmtree(d, True)


def test_flight_recorder_encrypts_to_a_recipient():
    require_root()
    token = github_token()
    d = tempfile.mkdtemp(prefix="cw-flight-")
    traces, priv = os.path.join(d, "traces"), os.path.join(d, "ir.key")
    try:
        subprocess.run([BIN, "trace", "keygen", "-o", priv], check=True, capture_output=True)
        with running_agent("--flight-recorder", "2", "--flight-recorder-dir", traces,
                           "--flight-recorder-recipient", priv + ".pub") as agent:
            assert "will hold the recorded bytes in plaintext" not in agent.stderr()
            pid = run(["/bin/true", "--token=" + token])
            path = argv_alert(agent, pid)["credwatch"]["trace"]["path"]
            assert agent.wait_err("flight recorder: %s written" % path, 20), agent.stderr()
        with open(path, "rb") as f:
            data = f.read()
        assert token.encode() not in data and b"/bin/true" not in data
        p = subprocess.run([BIN, "replay", path], capture_output=True, timeout=60)
        assert p.returncode != 0 and b"encrypted" in p.stderr
        lines, _ = replay(path, agent, "--key", priv)
        assert [l for l in lines if l["event"]["kind"] == "alert" and l["process"]["pid"] == pid]
    finally:
        shutil.rmtree(d, True)
