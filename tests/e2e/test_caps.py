# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The agent's capabilities (docs/capabilities.md): with the documented set it runs every
feature, after the start every thread of it holds only the set the table says is kept (and
its bounding set no more), and a set missing one capability fails, or turns the feature off,
with the documented line."""
import os
import re
import shutil

from cwtest import Agent, Skip, require_root, running_agent

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "capabilities.md")
CAP_BITS = {"CAP_DAC_READ_SEARCH": 2, "CAP_KILL": 5, "CAP_SETPCAP": 8, "CAP_SYS_PTRACE": 19,
            "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_PERFMON": 38, "CAP_BPF": 39}


def documented():
    """(the ```capabilities block, {capability: its "after the start" cell}) of the doc."""
    with open(DOC) as f:
        text = f.read()
    block = re.search(r"```capabilities\n(.*?)```", text, re.S).group(1).split()
    table = {}
    for row in re.findall(r"^\| `(CAP_[A-Z_]+)` \|.*\| ([^|]+) \|$", text, re.M):
        table[row[0]] = row[1].strip()
    return block, table


def mask(names):
    return sum(1 << CAP_BITS[n] for n in names)


def thread_caps(pid):
    """Each thread's (CapEff, CapPrm, CapBnd)."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                st = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
        except FileNotFoundError:
            continue
        out.append(tuple(int(st[k], 16) for k in ("CapEff", "CapPrm", "CapBnd")))
    return out


def with_caps(names):
    """A setpriv wrapper giving the agent (run as root) exactly these capabilities."""
    if not shutil.which("setpriv"):
        raise Skip("needs setpriv (util-linux)")
    caps = ",".join("+" + n[len("CAP_"):].lower() for n in names)
    return ("setpriv", "--inh-caps=-all", "--bounding-set=-all," + caps)


def test_documented_set_runs_everything_and_keeps_what_the_table_says():
    require_root()
    block, table = documented()
    assert set(block) <= set(table), (block, table)
    kept = [c for c in block if table[c].startswith("kept")]
    assert "CAP_PERFMON" not in kept and "CAP_BPF" in kept
    with running_agent("-v", wrap=with_caps(block)) as agent:
        err = agent.stderr()
        caps = thread_caps(agent.proc.pid)
    # every feature there: no capability is said to be missing
    assert not re.search(r"no CAP_(?!SETPCAP)", err) and "not permitted" not in err, err
    assert re.search(r"kernel features: .*uprobes.*hold-exec", err), err
    assert re.search(r"TLS probes on [1-9]", err), err
    want = mask(kept)
    assert len(caps) >= 2, caps  # the main thread and the hold thread at least
    for eff, prm, bnd in caps:
        # no CAP_SETPCAP in the set: the bounding set stays what the agent was given
        assert (eff, prm, bnd) == (want, want, mask(block)), (hex(eff), hex(prm), hex(bnd))
    line = [l for l in err.splitlines() if "capabilities after the start:" in l]
    assert len(line) == 1 and all(c in line[0] for c in kept), err
    assert "the bounding set kept (no CAP_SETPCAP to clear it)" in line[0], line


def test_full_root_is_brought_down_to_the_kept_set():
    """An agent given everything (plain root) keeps no more than the table's kept set."""
    require_root()
    block, table = documented()
    want = mask(c for c in block if table[c].startswith("kept"))
    with running_agent() as agent:
        caps = thread_caps(agent.proc.pid)
    for eff, prm, bnd in caps:
        assert eff == prm == want and bnd == want, (hex(eff), hex(prm), hex(bnd))


def test_without_sys_admin_tls_is_off_and_the_rest_runs():
    require_root()
    block, _ = documented()
    with running_agent(wrap=with_caps([c for c in block if c != "CAP_SYS_ADMIN"])) as agent:
        err = agent.stderr()
        caps = thread_caps(agent.proc.pid)
    assert ("no CAP_SYS_ADMIN: TLS plaintext is not captured (this kernel makes uprobes only "
            "for CAP_SYS_ADMIN)") in err, err
    assert "TLS probes on 0 files" in err, err
    assert "no uprobes on this kernel" not in err and "bpf_send_signal" not in err, err
    for eff, _, _ in caps:
        assert not eff & (1 << CAP_BITS["CAP_SYS_ADMIN"]), hex(eff)


def test_without_ptrace_or_dac_read_search_one_warning_each():
    require_root()
    block, _ = documented()
    for missing, said in (("CAP_SYS_PTRACE", "no CAP_SYS_PTRACE: other users' processes are "
                           "not looked into"),
                          ("CAP_DAC_READ_SEARCH", "no CAP_DAC_READ_SEARCH: a watched file "
                           "another user owns is not read once its opener is gone")):
        with running_agent(wrap=with_caps([c for c in block if c != missing])) as agent:
            err = agent.stderr()
        assert err.count(said) == 1, err


def test_without_perfmon_nor_sys_admin_nothing_loads():
    require_root()
    block, _ = documented()
    give = [c for c in block if c not in ("CAP_PERFMON", "CAP_SYS_ADMIN")]
    try:
        Agent(wrap=with_caps(give), ready_timeout=20)
    except AssertionError as e:
        err = str(e)
    else:
        raise AssertionError("the agent started without CAP_PERFMON and CAP_SYS_ADMIN")
    assert ("credwatch: BPF not permitted: no CAP_PERFMON (nor CAP_SYS_ADMIN): the tracing "
            "programs cannot be loaded and attached") in err, err
