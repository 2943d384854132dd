# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The seccomp allow-list (issue 19 item 5; docs/capabilities.md "Seccomp"): after the start
every thread of the agent and its hold watchdog run under it (the watchdog with CAP_BPF and
CAP_KILL only), an agent doing its steady-state work — alerts, a watched file, TLS probes on
a new client, an HTTP output, metrics scraped, SIGHUP — has nothing refused in the kernel's
log, `--no-seccomp` and `seccomp: log` do what they say, and the documentation names every
allowed call. The whole e2e suite runs with the filter on (the default): that is the
measurement that it breaks nothing; scripts/seccomp-learn repeats it in log mode."""
import os
import re
import signal
import subprocess
import tempfile
import urllib.request

from cwtest import (BIN, KeyFile, github_token, require_root, running_agent, wait_own,
                    wait_until)
from receivers import Receiver
from test_tls import free_port

TOP = os.path.join(os.path.dirname(__file__), "..", "..")
CAP_BPF, CAP_KILL = 39, 5
HEC_TOKEN = os.urandom(16).hex()


def status(path):
    try:
        with open(path) as f:
            return dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
    except (FileNotFoundError, ProcessLookupError):
        return None


def threads(pid):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        st = status(f"/proc/{pid}/task/{tid}/status")
        if st:
            out.append(st)
    return out


def children(pid):
    kids = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.update(int(x) for x in f.read().split())
        except FileNotFoundError:
            pass
    return sorted(kids)


def refused(pids, since):
    """The kernel's seccomp lines (audit type 1326) for these pids after the marker line."""
    out = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    _, _, after = out.rpartition(since)
    return [l for l in after.splitlines() if "type=1326" in l and
            any(f" pid={p} " in l for p in pids)]


def mark():
    m = "credwatch-test-seccomp-%d" % os.getpid() + os.urandom(4).hex()
    with open("/dev/kmsg", "w") as f:
        f.write(m + "\n")
    return m


def test_every_thread_and_the_watchdog_are_filtered():
    require_root()
    with running_agent() as agent:
        assert "seccomp: allow-list installed in every thread" in agent.stderr(), agent.stderr()
        ts = threads(agent.proc.pid)
        assert len(ts) > 1
        for st in ts:
            # two filters: the allow-list and clone3's ENOSYS (unlogged)
            assert st["Seccomp"] == "2" and st["Seccomp_filters"] == "2", st
            assert st["NoNewPrivs"] == "1", st
        kids = children(agent.proc.pid)
        assert kids, "no hold watchdog"
        for k in kids:
            st = status(f"/proc/{k}/status")
            assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", st
            want = (1 << CAP_BPF) | (1 << CAP_KILL)
            assert int(st["CapEff"], 16) == want and int(st["CapPrm"], 16) == want, st
            assert int(st["CapBnd"], 16) == want, st


def test_steady_state_has_nothing_refused():
    """An agent doing its work: nothing of it is refused (the kernel logs every refusal)."""
    require_root()
    with open("/proc/sys/kernel/seccomp/actions_logged") as f:
        assert "errno" in f.read().split(), "this kernel does not log refused calls"
    port = free_port()
    since = mark()
    with tempfile.TemporaryDirectory() as d, Receiver(HEC_TOKEN) as rx:
        token_file = os.path.join(d, "hec-token")
        with open(token_file, "w") as f:
            f.write(HEC_TOKEN + "\n")
        os.chmod(token_file, 0o600)
        hec = ",".join([rx.url("/services/collector"), "token-file=" + token_file,
                        "batch-ms=50"])
        with running_agent("--metrics", f"127.0.0.1:{port}", "--output", "stdout",
                           "--output", hec, "--spool-dir", os.path.join(d, "spool")) as agent:
            pids = [agent.proc.pid, *children(agent.proc.pid)]
            # an exec with a token in argv (an alert out to stdout and the HEC receiver)
            token = github_token()
            subprocess.run(["/bin/true", "--token=" + token], check=True)
            assert wait_own(agent, token, "credential-in-argv"), agent.stderr()
            assert rx.wait(lambda r: r.landed, 20), rx.summary()
            # a TLS client started now: held at its first exec, looked into, probes attached
            subprocess.run(["curl", "-s", "-m", "5", "-k", "https://127.0.0.1:1/"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                assert b"credwatch_" in r.read()
            agent.proc.send_signal(signal.SIGHUP)
            assert wait_until(lambda: "reloaded" in agent.stderr(), 20), agent.stderr()
            again = github_token()
            subprocess.run(["/bin/true", "--token=" + again], check=True)
            assert wait_own(agent, again, "credential-in-argv"), agent.stderr()
            assert rx.wait(lambda r: len(r.landed) >= 2, 20), rx.summary()
            assert agent.alive()
    lines = refused(pids, since)
    assert not lines, "\n".join(lines)


def test_no_seccomp_flag_and_config_key():
    require_root()
    with running_agent("--no-seccomp") as agent:
        assert "seccomp: off (--no-seccomp)" in agent.stderr()
        for st in threads(agent.proc.pid):
            assert st["Seccomp"] == "0", st
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write("seccomp: log\n")
        with running_agent("--config", cfg) as agent:
            assert "others allowed and logged" in agent.stderr(), agent.stderr()
            for st in threads(agent.proc.pid):
                assert st["Seccomp"] == "2", st
        with open(cfg, "w") as f:
            f.write("\nseccomp: sometimes\n")
        key = KeyFile()
        p = subprocess.run([BIN, "run", "--config", cfg, "--fingerprint-key-file", key.path,
                            "--state", "none"], capture_output=True, text=True, timeout=60)
        assert p.returncode != 0
        assert f"{cfg}:2: 'seccomp' must be enforce, log or off, not 'sometimes'" in p.stderr, \
            p.stderr
    p = subprocess.run([BIN, "run", "--seccomp", "sometimes"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0 and "--seccomp 'sometimes': enforce, log or off" in p.stderr


def allowed_in_source():
    with open(os.path.join(TOP, "user", "agent", "seccomp.c")) as f:
        src = f.read()
    out = {}
    for name in ("allowed", "watchdog_allowed"):
        body = re.search(r"static const char \*const %s\[\] = \{(.*?)\n\};" % name, src,
                         re.S).group(1)
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        out[name] = re.findall(r'"([a-z0-9_]+)"', body)
    return out


def test_documentation_names_every_allowed_call():
    with open(os.path.join(TOP, "docs", "capabilities.md")) as f:
        doc = f.read()
    section = doc.split("## Seccomp", 1)[1].split("\n## ", 1)[0]
    lists = allowed_in_source()
    assert len(lists["allowed"]) > 50 and len(lists["watchdog_allowed"]) > 5
    missing = [c for l in lists.values() for c in l if f"`{c}`" not in section]
    assert not missing, missing
    for c in ("clone", "clone3"):
        assert f"`{c}`" in section
