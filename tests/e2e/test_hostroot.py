# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""--host-root: the agent as it runs in a container with the host's / mounted at a directory.

The agent runs in a mount namespace of its own (unshare -m, no pid namespace of its own: the
hostPID a DaemonSet asks for) where the host's / is bind-mounted at a temporary directory and
what a container would not see of the host is hidden under tmpfs: /var/log/pods,
/var/log/containers, the cgroup v2 hierarchy, and a host directory holding a watched file.
Pods are simulated as test_workloads.py does (its Pod). With --host-root the agent names the
pod from the host's /var/log/pods and cgroups, and reads watched files through
HOSTROOT/proc/PID/root (a pod's, by a live process of its cgroup once the reader is gone) and
through the host's init root (a host process's); without it, it can do neither.

The readers run while the agent is stopped (SIGSTOP), so that they are gone when it looks:
their files can then only be reached by path, not by duplicating the reader's fd.
"""
import os
import shutil
import signal
import subprocess
import tempfile

from cwtest import Agent, KeyFile, github_token, require_root, wait_own
from test_workloads import NS, SA_DIR, Pod, cgroup2_root, k8s_jwt

# In the agent's mount namespace: the host's / at $CW_HR, then the host's pod logs, cgroups
# and $CW_HIDE hidden as a container would not have them.
HIDE = ('set -e; mount --rbind / "$CW_HR"; '
        'for d in /var/log/pods /var/log/containers "$CW_CGROOT" "$CW_HIDE"; do '
        'mount -t tmpfs cw-hidden "$d"; done; '
        'test -z "$(ls -A /var/log/pods)" || exit 3; exec "$@"')


def read_while_stopped(agent, argv):
    """Run argv to its end with the agent stopped: what it opened is closed and it is gone
    before the agent handles its events."""
    os.kill(agent.proc.pid, signal.SIGSTOP)
    try:
        r = subprocess.run(argv, capture_output=True, timeout=20)
    finally:
        os.kill(agent.proc.pid, signal.SIGCONT)
    assert r.returncode == 0, r.stderr


def run_case(host_root):
    """Start an agent in its own mount namespace (with --host-root or not), have a pod load a
    token in its environment and cat its service-account token, and a host process cat a
    watched file the agent's namespace hides; the agent's findings for them."""
    key = KeyFile()
    d = tempfile.mkdtemp(prefix="cw-hr-")
    hr, hidden = os.path.join(d, "host"), os.path.join(d, "hidden")
    os.makedirs(hr)
    os.makedirs(hidden)
    token, host_token, sa = github_token(), github_token(), k8s_jwt(NS)
    host_file = os.path.join(hidden, ".env")
    with open(host_file, "w") as f:
        f.write(f"GITHUB_TOKEN={host_token}\n")
    pod = Pod("hostroot", sa_token=sa)
    agent = None
    try:
        env = dict(os.environ, CW_HR=hr, CW_CGROOT=cgroup2_root(), CW_HIDE=hidden)
        args = ["--events", "-v"] + (["--host-root", hr] if host_root else [])
        agent = Agent(*args, key=key, env=env,
                      wrap=["unshare", "-m", "--propagation", "private", "sh", "-c", HIDE,
                            "sh"])
        # the programs the readers run, seen once (a new executable's first exec is held
        # until the agent looks at it: it must not wait for a stopped agent)
        pod.run(["sh", "-c", "cat /dev/null"])
        subprocess.run(["cat", "/dev/null"], check=True)
        pod.run(["true"], secret_env="GITHUB_TOKEN", secret=token)
        read_while_stopped(agent, ["bash", "-c", 'echo $$ > "$0/cgroup.procs" && exec '
                                   'nsenter -m -t "$1" -- sh -c "cat $2/token >/dev/null"',
                                   pod.cgroup, str(pod.main.pid), SA_DIR])
        read_while_stopped(agent, ["cat", host_file])
        observed = wait_own(agent, token, "credential-observed")
        # what would come has come once the agent handled the last reader's exit
        sa_reads = wait_own(agent, sa, "credential-unexpected-reader", timeout=8 if host_root
                            else 3)
        host_reads = wait_own(agent, host_token, "credential-read", timeout=5 if host_root
                              else 2)
        agent.stop()
        agent.assert_no_plaintext(token, host_token, sa)
        return pod, observed, sa_reads, host_reads, agent.stderr()
    finally:
        if agent:
            agent.stop()
        pod.remove()
        shutil.rmtree(d, ignore_errors=True)


def test_host_root_names_pods_and_reads_files_through_the_hosts_proc():
    require_root()
    pod, observed, sa_reads, host_reads, err = run_case(host_root=True)
    assert "host root " in err, err
    # the pod, named from the host's /var/log/pods and cgroups
    assert observed, err[-2000:]
    for o in observed:  # each exec that carried it (nsenter, then true)
        assert o["orchestrator"]["resource"]["name"] == pod.name
        assert o["orchestrator"]["namespace"] == NS
        assert o["container"]["id"] == pod.cid
    # its service-account token, read through HOSTROOT/proc/PID/root of a live process of
    # the pod's cgroup (the reader was gone)
    assert len(sa_reads) == 1, err[-2000:]
    r = sa_reads[0]
    assert r["process"]["name"] == "cat"
    assert r["file"]["path"] == f"{SA_DIR}/token"
    assert r["orchestrator"]["resource"]["name"] == pod.name
    # a host process's file, through the host's init root (hidden from the agent's own root)
    assert len(host_reads) == 1, err[-2000:]
    assert host_reads[0]["process"]["name"] == "cat"
    assert "orchestrator" not in host_reads[0]


def test_without_host_root_the_hidden_host_is_not_seen():
    """The same with the agent's own root as the host's: the pod is not named and neither
    file is read (what --host-root is for)."""
    require_root()
    pod, observed, sa_reads, host_reads, err = run_case(host_root=False)
    assert "host root " not in err, err
    assert observed, err[-2000:]
    for o in observed:
        assert "orchestrator" not in o, o
        assert o.get("container", {}).get("id") != pod.cid
    assert sa_reads == [], sa_reads
    assert host_reads == [], host_reads


def test_host_root_must_be_a_directory():
    require_root()
    with tempfile.TemporaryDirectory(prefix="cw-hr-") as d:
        f = os.path.join(d, "file")
        open(f, "w").close()
        for bad, why in ((f, "Not a directory"), ("relative/dir", "not an absolute path")):
            r = subprocess.run([os.environ.get("CREDWATCH_BIN", "./credwatch"), "run",
                                "--host-root", bad, "--state", "none"],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 1, r.stderr
            assert f"credwatch: --host-root {bad}: {why}" in r.stderr, r.stderr


def test_outside_the_hosts_pid_namespace_is_refused():
    """hostPID false: the pids the kernel reports would name other processes in the agent's
    /proc (and a held process could never be continued): the agent refuses, saying so."""
    require_root()
    bin_ = os.environ.get("CREDWATCH_BIN", "./credwatch")
    r = subprocess.run(["unshare", "-p", "-f", "-m", "--mount-proc", bin_, "run", "--state",
                        "none"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "credwatch: not in the host's pid namespace" in r.stderr, r.stderr
    assert "hostPID: true" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
