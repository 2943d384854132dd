# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Self-protection and least privilege (issue 19, items 5 and 6; docs/capabilities.md): one
agent per host (a flock on /run/credwatch/agent.lock naming its pid, let go when the agent
dies, SIGKILL included), `credwatch trace` beside a run, neither agent alerting on the other's
reads of credential files, no new privileges in any thread, and config and state files that
others can write refused."""
import os
import signal
import subprocess
import tempfile

from cwtest import BIN, Agent, KeyFile, github_token, require_root, running_agent, wait_own

LOCK = "/run/credwatch/agent.lock"


def second_run(*args, key=None):
    key = key or KeyFile()
    return subprocess.run([BIN, "run", "--state", "none", "--fingerprint-key-file", key.path,
                           *args], capture_output=True, text=True, timeout=60)


def test_second_run_is_refused_naming_the_first():
    require_root()
    with running_agent() as first:
        with open(LOCK) as f:
            assert int(f.read()) == first.proc.pid
        p = second_run()
        assert first.alive()
    assert p.returncode == 1, p.stderr
    lines = [l for l in p.stderr.splitlines() if "another credwatch agent" in l]
    assert len(lines) == 1, p.stderr
    assert f"pid {first.proc.pid}" in lines[0] and "--allow-second-agent" in lines[0], lines
    assert "running:" not in p.stderr  # refused before anything loads


def test_second_run_starts_with_allow_second_agent():
    require_root()
    with running_agent() as first, running_agent("--allow-second-agent") as second:
        assert f"pid {first.proc.pid} holds {LOCK}" in second.stderr(), second.stderr()
        assert first.alive() and second.alive()
        with open(LOCK) as f:  # the lock stays the first's
            assert int(f.read()) == first.proc.pid


def test_lock_is_let_go_when_the_agent_is_killed():
    require_root()
    first = Agent()
    try:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(20)
    finally:
        first.stop()
    # its pid is still in the file, but no process holds the lock: the next one starts
    with running_agent() as second:
        with open(LOCK) as f:
            assert int(f.read()) == second.proc.pid
        assert "another credwatch agent" not in second.stderr()


def test_no_new_privileges_in_any_thread():
    require_root()
    with running_agent() as agent:
        tasks = os.listdir(f"/proc/{agent.proc.pid}/task")
        nnp = {}
        for t in tasks:
            with open(f"/proc/{agent.proc.pid}/task/{t}/status") as f:
                nnp[t] = dict(l.split(":", 1) for l in f if ":" in l)["NoNewPrivs"].strip()
    assert len(tasks) >= 2 and set(nnp.values()) == {"1"}, nnp
    assert "no new privileges" in agent.stderr()


class Tracer(Agent):
    """`credwatch trace -o OUT ARGS` (test_trace's: the shell execs credwatch, keeping the
    pid)."""

    def __init__(self, out, *args):
        os.environ["CW_TRACE_OUT"] = out
        try:
            super().__init__(*args, wrap=["/bin/sh", "-c",
                                          'shift; exec "$0" trace -o "$CW_TRACE_OUT" "$@"'])
        finally:
            del os.environ["CW_TRACE_OUT"]


def cat(path):
    p = subprocess.Popen(["cat", path], stdout=subprocess.DEVNULL)
    p.wait()
    return p.pid


def watched(d, name, secret):
    """d/name/.env (a watched file name), a config file that also holds a token in a
    comment: what an agent reads of its own that a credential rule matches."""
    os.mkdir(os.path.join(d, name))
    path = os.path.join(d, name, ".env")
    with open(path, "w") as f:
        f.write(f"events: true\n# GITHUB_TOKEN={secret}\n")
    return path


def test_trace_beside_run_and_neither_alerts_on_the_others_reads():
    """The responder's workflow (docs/forensics.md): trace while run runs. Each reads its
    config file, a watched .env holding a token, trace at its start and run again on SIGHUP:
    the other agent does not see that read (the same executable, run by root), while cat's
    read of the same file is seen."""
    require_root()
    d = tempfile.mkdtemp(prefix="cw-self-")
    run_token, trace_token, later_token = github_token(), github_token(), github_token()
    run_conf, trace_conf = watched(d, "run", run_token), watched(d, "trace", trace_token)
    later = watched(d, "later", later_token)
    with running_agent("--config", run_conf) as run:
        trace = Tracer(os.path.join(d, "t.cwtrace"), "--config", trace_conf)
        try:
            assert f"another credwatch agent runs (pid {run.proc.pid}" in trace.stderr(), \
                trace.stderr()
            run.proc.send_signal(signal.SIGHUP)  # run reads its config file again
            assert run.wait_err("policy reloaded from"), run.stderr()
            # the files are watched and their tokens found: cat's reads are seen by both
            readers = [cat(trace_conf), cat(run_conf)]
            for a in (run, trace):
                for secret, reader in zip((trace_token, run_token), readers):
                    hits = wait_own(a, secret, "credential-read")
                    assert reader in [h["process"]["pid"] for h in hits], a.stderr()[-2000:]
            # a later read is queued after the agents' own: wait for it in both
            reader = cat(later)
            for a in (run, trace):
                assert reader in [h["process"]["pid"]
                                  for h in wait_own(a, later_token, "credential-read")]
        finally:
            trace.stop()
        trace.assert_format()
    for a in (run, trace):
        pids = {l["process"]["pid"] for l in a.lines if "process" in l}
        assert run.proc.pid not in pids and trace.proc.pid not in pids, a.lines
    assert run.returncode == 0 and trace.returncode == 0, trace.stderr()


def refused(path, what, *args):
    p = second_run(*args)
    assert p.returncode == 2, p.stderr
    lines = [l for l in p.stderr.splitlines() if path in l]
    assert len(lines) == 1 and what in lines[0], p.stderr
    return lines[0]


def test_files_others_can_write_are_refused():
    require_root()
    d = tempfile.mkdtemp(prefix="cw-perm-")
    policy = os.path.join(d, "policy.yaml")
    with open(policy, "w") as f:
        f.write("{}\n")
    os.chmod(policy, 0o666)
    assert "policy file" in refused(policy, "world-writable (mode 0666)", "--policy", policy)
    os.chmod(policy, 0o620)
    refused(policy, "group-writable (mode 0620)", "--policy", policy)
    os.chmod(policy, 0o644)
    os.chown(policy, 1234, 0)
    refused(policy, "owned by uid 1234", "--policy", policy)
    # a rules directory: each rules file in it
    rules = os.path.join(d, "rules")
    os.mkdir(rules, 0o755)
    with open(os.path.join(rules, "x.yaml"), "w") as f:
        f.write("rules: []\n")
    os.chmod(os.path.join(rules, "x.yaml"), 0o664)
    refused(os.path.join(rules, "x.yaml"), "group-writable", "--rules", rules)
    # the config file, the provenance store, the spool directory
    conf = os.path.join(d, "c.yaml")
    with open(conf, "w") as f:
        f.write("events: true\n")
    os.chmod(conf, 0o646)
    refused(conf, "config file", "--config", conf)
    state = os.path.join(d, "prov.json")
    with open(state, "w") as f:
        f.write("{}\n")
    os.chown(state, 0, 0)
    os.chmod(state, 0o620)
    p = subprocess.run([BIN, "run", "--state", state, "--fingerprint-key-file", KeyFile().path],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and f"provenance store {state}: group-writable" in p.stderr, \
        p.stderr
    spool = os.path.join(d, "spool")
    os.mkdir(spool)
    os.chmod(spool, 0o777)
    refused(spool, "spool directory", "--spool-dir", spool)
