# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The HTTPS outputs end to end: the agent, real execs with a token in argv, and
receivers.py's HEC, _bulk and webhook endpoints on loopback, with their failures injected."""
import contextlib
import glob
import os
import secrets
import subprocess
import tempfile
import time

from cwtest import github_token, require_root, running_agent
from receivers import Receiver, make_pki


@contextlib.contextmanager
def workdir():
    with tempfile.TemporaryDirectory(prefix="cw-http-") as d:
        token = secrets.token_hex(20)
        path = os.path.join(d, "token")
        with open(path, "w") as f:
            f.write(token + "\n")
        os.chmod(path, 0o600)
        yield d, token, path


def argv_alert():
    """Exec a program with a fresh token in argv (an alert); the token."""
    token = github_token()
    subprocess.run(["/bin/true", "--token=" + token], check=True)
    return token


def own_alert_ids(agent, tokens, timeout=15):
    """The event ids of the alerts for these tokens (not any other alert on the host)."""
    fps = {agent.key.fingerprint(t) for t in tokens}
    lines = agent.wait_for(lambda l: l["event"]["kind"] == "alert" and
                           l["credwatch"]["credential"]["fingerprint"] in fps, timeout,
                           count=len(tokens))
    assert len(lines) >= len(tokens), agent.stderr()
    return [l["event"]["id"] for l in lines]


def alert_ids(agent, n, timeout=15):
    lines = agent.wait_for(lambda l: l["event"]["kind"] == "alert", timeout, count=n)
    assert len(lines) >= n, agent.stderr()
    return [l["event"]["id"] for l in lines]


def output(url, token_file, *opts):
    return ",".join([url, "token-file=" + token_file, "batch-ms=50", *opts])


def assert_secret_nowhere(agent, spool, *secrets_):
    blobs = [agent.stdout_bytes(), agent.stderr().encode()]
    for f in glob.glob(os.path.join(spool, "**"), recursive=True):
        if os.path.isfile(f):
            with open(f, "rb") as fh:
                blobs.append(fh.read())
    for s in secrets_:
        for b in blobs:
            assert s.encode() not in b, "the sink's credential leaked"


def test_hec_lands_once_per_event_id_across_a_500_burst():
    require_root()
    with workdir() as (d, token, token_file), Receiver(token) as rx:
        rx.inject({"status": 500}, count=3)
        spool = os.path.join(d, "spool")
        hec = output(rx.url("/services/collector"), token_file)
        with running_agent("--output", "stdout", "--output", hec, "--spool-dir", spool) as agent:
            for _ in range(10):
                argv_alert()
            ids = alert_ids(agent, 10)
            assert rx.wait(lambda r: set(ids) <= set(r.landed), 30), (rx.summary(),
                                                                      agent.stderr())
        s = rx.summary()
        assert s["failed"] == 3
        assert s["unauthorized"] == 0 and not s["bad"]
        assert all(s["landed"][i] == 1 for i in ids), s["landed"]
        assert s["gzipped"] == s["requests"]
        ev = rx.docs[ids[0]]
        assert ev["source"] == "credwatch" and ev["sourcetype"] == "_json"
        assert ev["event"]["event"]["action"] == "credential-in-argv"
        assert "output " in agent.stderr() and "down" in agent.stderr()
        assert_secret_nowhere(agent, spool, token)


def test_429_retry_after_is_honoured():
    require_root()
    with workdir() as (d, token, token_file), Receiver(token) as rx:
        rx.inject({"status": 429, "retry_after": "3"})
        hook = output(rx.url("/hooks/credwatch"), token_file)
        with running_agent("--output", "stdout", "--output", hook,
                           "--spool-dir", os.path.join(d, "spool")) as agent:
            argv_alert()
            ids = alert_ids(agent, 1)
            assert rx.wait(lambda r: ids[0] in r.landed, 15), agent.stderr()
        # the first request was refused; no request came before Retry-After was over (other
        # alerts on the host may have made more requests after it)
        assert rx.failed == 1 and len(rx.times) >= 2
        assert rx.times[1] - rx.times[0] >= 2.9, rx.times


def test_bulk_partly_failed_is_retried_item_by_item_without_duplicates():
    require_root()
    with workdir() as (d, token, token_file), Receiver("elastic:" + token) as rx:
        with open(token_file, "w") as f:
            f.write("elastic:" + token)
        rx.inject({"bulk_item": 1, "status": 429, "type": "es_rejected_execution_exception"})
        bulk = ",".join([rx.url("/credwatch-alerts/_bulk"), "token-file=" + token_file,
                         "batch-ms=1000"])
        with running_agent("--output", "stdout", "--output", bulk,
                           "--spool-dir", os.path.join(d, "spool")) as agent:
            for _ in range(4):
                argv_alert()
            ids = alert_ids(agent, 4)
            assert rx.wait(lambda r: set(ids) <= set(r.landed), 20), (rx.summary(),
                                                                      agent.stderr())
        s = rx.summary()
        # A request had the failed item; it went again (with any after it in its batch, which
        # then answered 409), and each document was stored once.
        assert all(s["landed"][i] == 1 for i in ids), s["landed"]
        assert s["requests"] >= 2, s
        assert not rx.faults, "no _bulk request carried the failed item"



def health(agent, url):
    """The agent's health lines for the output at url, in order."""
    return [l for l in agent.stderr().splitlines() if l.startswith("credwatch: output " + url)]


def test_slow_receiver_stalls_neither_matching_nor_another_output():
    require_root()
    with workdir() as (d, token, token_file), Receiver(token) as slow, Receiver(token) as fast:
        slow.inject({"slow": 4.0}, count=5)
        slow_url = slow.url("/services/collector")
        outs = ["--output", "stdout",
                "--output", output(slow_url, token_file, "timeout-ms=1000"),
                "--output", output(fast.url("/hooks/credwatch"), token_file)]
        with running_agent(*outs, "--spool-dir", os.path.join(d, "spool")) as agent:
            t0 = time.monotonic()
            tokens = [argv_alert()]
            first = own_alert_ids(agent, tokens)
            assert fast.wait(lambda r: first[0] in r.landed, 5)
            # While the slow one is stuck, more alerts are matched and delivered elsewhere.
            tokens.append(argv_alert())
            ids = own_alert_ids(agent, tokens)
            assert fast.wait(lambda r: set(ids) <= set(r.landed), 5)
            assert time.monotonic() - t0 < 4.0
            # Once its slow answers are over, the stuck output delivers, as the agent counts
            # it: the receiver storing the ids proves nothing, the requests the agent gave up
            # on store them after their sleep.
            assert agent.wait_err("timeout-ms=1000: up again", 60), \
                (health(agent, slow_url), slow.journal())
        # every alert the agent wrote (its two, and any other on the host meanwhile)
        alerts = len([l for l in agent.lines if l["event"]["kind"] == "alert"])
        assert f"timeout-ms=1000: {alerts} delivered, 0 queued" in agent.stderr(), \
            (health(agent, slow_url), slow.journal())
        assert set(ids) <= set(slow.landed), slow.journal()
        # Its first failure is the timeout: anything else answered a request it made.
        lines = health(agent, slow_url)
        assert lines and lines[0].endswith(": down: no reply within 1000 ms"), \
            (lines, slow.journal())


def test_wrong_ca_is_a_clear_health_message():
    require_root()
    with workdir() as (d, token, token_file):
        make_pki(d)
        with Receiver(token, os.path.join(d, "server.pem"), os.path.join(d, "server.key")) as rx:
            hec = output(rx.url("/services/collector", tls=True), token_file,
                         "ca=" + os.path.join(d, "other-ca.pem"))
            with running_agent("--output", "stdout", "--output", hec,
                               "--spool-dir", os.path.join(d, "spool")) as agent:
                argv_alert()
                alert_ids(agent, 1)
                assert agent.wait_err("does not verify against " + d, 15), \
                    (agent.stderr(), rx.journal())
            assert not rx.landed
            assert rx.tls_failures, rx.journal()
            assert_secret_nowhere(agent, os.path.join(d, "spool"), token)


def test_token_never_appears_in_output_logs_or_spool():
    require_root()
    with workdir() as (d, token, token_file), Receiver("not-" + token) as rx:
        # A refused credential: the errors are logged, and must not quote it.
        spool = os.path.join(d, "spool")
        outs = ["--output", "stdout"]
        for path in ("/services/collector", "/x/_bulk", "/hooks/credwatch"):
            outs += ["--output", output(rx.url(path), token_file)]
        with running_agent(*outs, "--spool-dir", spool) as agent:
            argv_alert()
            alert_ids(agent, 1)
            assert agent.wait_err("credential was refused", 15) or agent.wait_err(
                "Invalid token", 1), agent.stderr()
        assert rx.unauthorized >= 3
        assert_secret_nowhere(agent, spool, token)


def test_missing_token_file_is_a_one_line_error():
    require_root()
    with workdir() as (d, token, token_file):
        missing = os.path.join(d, "nope")
        p = subprocess.run([os.environ.get("CREDWATCH_BIN", "./credwatch"), "run",
                            "--state", "none", "--spool-dir", os.path.join(d, "spool"),
                            "--output", "http://127.0.0.1:9/services/collector,token-file="
                            + missing], capture_output=True, text=True, timeout=60)
        assert p.returncode != 0
        assert "cannot read token file %s: No such file or directory" % missing in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
