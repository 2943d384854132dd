# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""credwatch run: real BPF programs, real execs, assertions on the agent's real output."""
import os
import signal
import subprocess
import time

from cwtest import (Agent, KeyFile, aws_key_pair, github_token, redacted, require_root, running_agent,
                    BIN)

NHI = "OWASP Non-Human Identity Top 10"


def exec_with(argv, env):
    """Exec argv directly (no shell) with exactly env; return its pid and exec wall time."""
    t0 = time.time()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    p.wait()
    return p.pid, t0


def test_argv_alert_and_env_observations():
    require_root()
    token = github_token()
    akid, secret = aws_key_pair()
    with running_agent("--events") as agent:
        env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": akid,
               "AWS_SECRET_ACCESS_KEY": secret}
        pid, t0 = exec_with(["/bin/true", "--token=" + token], env)
        alerts = agent.wait_for(lambda l: l["event"]["kind"] == "alert"
                                and l["process"]["pid"] == pid)
        obs = agent.wait_for(lambda l: l["event"]["kind"] == "event"
                             and l["process"]["pid"] == pid, count=2)
    assert agent.returncode == 0, agent.stderr()
    assert len(alerts) == 1, alerts
    a = alerts[0]
    fp = agent.key.fingerprint(token)
    assert a["event"]["action"] == "credential-in-argv"
    assert a["event"]["severity"] == 73
    assert a["event"]["module"] == "credwatch"
    assert a["rule"]["id"] == "github-pat-classic"
    assert a["credwatch"]["credential"] == {
        "redacted": redacted(token), "fingerprint": fp, "kind": "github-token",
        "provider": "github", "lifetime": "long-lived", "checksum": "valid", "origin": "argv",
        "arg_index": 1}
    assert a["process"]["executable"] == "/bin/true"
    assert a["process"]["name"] == "true"
    assert a["process"]["parent"]["pid"] == os.getpid()
    assert a["process"]["args_count"] == 2
    assert a["user"]["id"] == "0"
    assert a["threat"] == {"framework": NHI,
                           "technique": {"id": "NHI-02", "name": "Secret Leakage"}}
    assert isinstance(a["credwatch"]["cgroup_id"], int) and a["credwatch"]["cgroup_id"] > 0
    assert a["@timestamp"].endswith("Z")

    assert len(obs) == 2, obs
    by_var = {o["credwatch"]["credential"]["variable"]: o for o in obs}
    assert set(by_var) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    k, s = by_var["AWS_ACCESS_KEY_ID"], by_var["AWS_SECRET_ACCESS_KEY"]
    assert k["rule"]["id"] == "aws-access-key-id"
    assert k["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(akid)
    assert k["credwatch"]["credential"]["redacted"] == redacted(akid)
    assert s["rule"]["id"] == "aws-secret-access-key"
    assert s["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(secret)
    assert s["credwatch"]["credential"]["redacted"] == redacted(secret)
    for o in obs:
        assert o["event"]["action"] == "credential-observed"
        assert o["credwatch"]["credential"]["origin"] == "env"
        assert o["process"]["pid"] == pid
    agent.assert_no_plaintext(token, akid, secret)


def test_token_with_bad_checksum_is_a_low_severity_alert():
    """A token of the right shape whose checksum fails (a typo, a fake) is still reported on a
    command line, demoted: checksum "invalid", low severity."""
    require_root()
    from cwtest import ALNUM, rand
    fake = "ghp_" + rand(ALNUM, 36)
    with running_agent() as agent:
        pid, _ = exec_with(["/bin/true", "--token", fake], {})
        hits = agent.wait_for(lambda l: l["process"]["pid"] == pid)
    assert len(hits) == 1, hits
    assert hits[0]["credwatch"]["credential"]["checksum"] == "invalid"
    assert hits[0]["event"]["severity"] == 21
    assert hits[0]["rule"]["id"] == "github-pat-classic"
    agent.assert_no_plaintext(fake)


def test_env_observations_only_with_events_flag():
    require_root()
    token = github_token()
    with running_agent() as agent:
        pid, _ = exec_with(["/bin/true", "plain-arg"], {"GITHUB_TOKEN": token})
        # A marker exec after it: once its alert is out, the first exec was processed.
        marker = github_token()
        mpid, _ = exec_with(["/bin/true", marker], {})
        assert agent.wait_for(lambda l: l["process"]["pid"] == mpid)
    assert not [l for l in agent.lines if l["process"]["pid"] == pid], agent.lines
    assert "observations" in agent.stderr()
    agent.assert_no_plaintext(token, marker)


def test_large_environment_truncation_flagged():
    require_root()
    token = github_token()
    with running_agent("--events") as agent:
        env = {"BIG": "x" * 40000, "GITHUB_TOKEN": token}
        pid, _ = exec_with(["/bin/true", "--token=" + github_token()], env)
        hits = agent.wait_for(lambda l: l["process"]["pid"] == pid)
    assert hits and hits[0]["credwatch"]["env_truncated"] is True


def _storm(seconds, env_bytes=0, loops=2):
    """As many execs as the machine can do for `seconds`; returns how many were done."""
    script = ('n=0; end=$((SECONDS+%d)); while [ $SECONDS -lt $end ]; do /bin/true; '
              'n=$((n+1)); done; echo $n' % seconds)
    env = {"PATH": "/usr/bin:/bin", "PAD": "p" * env_bytes}
    procs = [subprocess.Popen(["bash", "-c", script], env=env, stdout=subprocess.PIPE)
             for _ in range(loops)]
    return sum(int(p.communicate()[0]) for p in procs)


def _final_counts(stderr):
    line = [l for l in stderr.splitlines() if "credwatch: stopped:" in l][-1]
    words = line.replace(";", "").replace(",", "").split()
    execs = int(words[words.index("exec") - 1])
    dropped_exec = int(line.split("exec=")[1].split()[0])
    return execs, dropped_exec


def test_exec_storm_every_exec_seen_or_counted():
    """10 s of execs at full speed: the agent stays up, alerts after it, and every exec is
    either delivered or counted as dropped — never lost silently."""
    require_root()
    with running_agent("--stats-interval", "1") as agent:
        done = _storm(10)
        token = github_token()
        pid, _ = exec_with(["/bin/true", token], {})
        assert agent.wait_for(lambda l: l["process"]["pid"] == pid, timeout=30), \
            "no alert after the storm"
        assert agent.alive()
    assert agent.returncode == 0, agent.stderr()
    seen, dropped = _final_counts(agent.stderr())
    print(f"    storm: {done} execs in 10 s; agent saw {seen}, counted {dropped} dropped")
    assert done > 100
    assert seen + dropped >= done + 1
    if dropped:
        assert "ring buffer full: dropped" in agent.stderr()


def test_full_ring_buffer_drops_are_reported_with_counts():
    """A stalled consumer and a tiny ring: drops must be counted, logged, and add up."""
    require_root()
    with running_agent("--ringbuf-size", "128K", "--stats-interval", "1") as agent:
        agent.proc.send_signal(signal.SIGSTOP)
        try:
            done = _storm(2, env_bytes=20000, loops=1)
        finally:
            agent.proc.send_signal(signal.SIGCONT)
        assert agent.wait_err("ring buffer full: dropped", timeout=15), agent.stderr()
        token = github_token()
        pid, _ = exec_with(["/bin/true", token], {})
        assert agent.wait_for(lambda l: l["process"]["pid"] == pid, timeout=15)
    assert agent.returncode == 0
    line = [l for l in agent.stderr().splitlines() if "ring buffer full" in l][0]
    reported = int(line.split("(exec=")[1].split()[0])
    seen, dropped = _final_counts(agent.stderr())
    print(f"    stalled: {done} execs; agent saw {seen}, counted {dropped} dropped")
    assert reported > 0 and dropped >= reported
    assert seen + dropped >= done + 1
    assert seen < done  # the ring really was full


def test_not_root_is_a_clear_error():
    if os.geteuid() != 0:
        r = subprocess.run([BIN, "run"], capture_output=True, text=True)
    else:
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            BIN, "run"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "credwatch: not root" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_bpf_not_permitted_is_a_clear_error():
    require_root()
    key = KeyFile()
    r = subprocess.run(["setpriv", "--bounding-set=-all", "--inh-caps=-all", BIN, "run",
                        "--fingerprint-key-file", key.path], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1, r.stderr
    assert "credwatch: BPF not permitted" in r.stderr, r.stderr


def test_missing_btf_is_a_clear_error():
    require_root()
    # Hide the kernel's BTF in a private mount namespace only.
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        "mount -t tmpfs none /sys/kernel/btf && exec %s run" % BIN],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "credwatch: no BTF" in r.stderr and "--btf FILE" in r.stderr, r.stderr
    r = subprocess.run([BIN, "run", "--btf", "/nonexistent/btf"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "--btf /nonexistent/btf" in r.stderr, r.stderr


def test_btf_flag_loads_with_given_file():
    require_root()
    with running_agent("--btf", "/sys/kernel/btf/vmlinux") as agent:
        token = github_token()
        pid, _ = exec_with(["/bin/true", token], {})
        assert agent.wait_for(lambda l: l["process"]["pid"] == pid)


def test_tracefs_is_mounted_when_missing():
    require_root()
    # In a private mount namespace with tracefs (and debugfs' view of it) unmounted; the agent
    # is stopped once it says it runs, however long its start takes.
    hide = ("umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; "
            "test -e /sys/kernel/tracing/events && exit 3; exec \"$@\"")
    agent = Agent("-v", wrap=["unshare", "-m", "--propagation", "private", "sh", "-c", hide, "sh"])
    assert agent.stop() == 0, agent.stderr()
    assert "mounted tracefs at /sys/kernel/tracing" in agent.stderr(), agent.stderr()


def test_kernel_without_uprobes_runs_the_rest_and_says_so():
    """A kernel feature missing (uprobes, hidden by the test-only switch): the agent says in
    one line what it leaves out, lists what it has in its start line, and the rest works."""
    require_root()
    token = github_token()
    env = dict(os.environ, CREDWATCH_TEST_HIDE_FEATURES="uprobes")
    with running_agent(env=env) as agent:
        pid, _ = exec_with(["/bin/true", token], {})
        assert agent.wait_for(lambda l: l["process"]["pid"] == pid and
                              l["event"]["action"] == "credential-in-argv")
    err = agent.stderr()
    assert "no uprobes on this kernel (CONFIG_UPROBE_EVENTS): TLS plaintext is not captured" \
        in err, err
    assert "TLS probes on 0 files" in err and \
        "kernel features: ringbuf, bpf_loop, cgroup-tracepoints\n" in err, err
    agent.assert_no_plaintext(token)


def test_kernel_without_bpf_loop_refuses_to_start_and_says_why():
    require_root()
    env = dict(os.environ, CREDWATCH_TEST_HIDE_FEATURES="bpf_loop")
    r = subprocess.run([BIN, "run", "--state", "none"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 1, r
    assert "this kernel has no bpf_loop helper (Linux 5.17 or later is required)" in r.stderr, \
        r.stderr


def test_bad_rules_dir_fails_with_file_and_line():
    require_root()
    import tempfile
    d = tempfile.mkdtemp(prefix="cw-rules-")
    with open(os.path.join(d, "bad.yaml"), "w") as f:
        f.write("rules:\n  - id: x\n    name: y\n    patern: 'z'\n")
    r = subprocess.run([BIN, "run", "--rules", d], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert f"{d}/bad.yaml:4: unknown field 'patern'" in r.stderr, r.stderr


def test_version_is_the_checkouts_not_dev():
    """A build from a git checkout names its commit (`git describe`), not "dev"; the same
    string is what metrics, OCSF metadata.product.version and trace headers carry."""
    from cwtest import Skip
    top = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
    if os.path.realpath(os.path.dirname(BIN)) != top or not os.path.isdir(os.path.join(top, ".git")):
        raise Skip("the binary under test is not this checkout's build")
    head_time = int(subprocess.run(["git", "-C", top, "log", "-1", "--format=%ct"],
                                   capture_output=True, text=True, check=True).stdout)
    if os.path.getmtime(BIN) < head_time:
        raise Skip("the binary is older than the checkout's last commit: rebuild (make)")
    want = subprocess.run(["git", "-C", top, "describe", "--tags", "--always"],
                          capture_output=True, text=True, check=True).stdout.strip()
    out = subprocess.run([BIN, "--version"], capture_output=True, text=True, check=True).stdout
    name, version = out.split()
    assert name == "credwatch" and version != "dev", out
    assert version.removesuffix("-dirty") == want, (version, want)
