# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The operational surface of credwatch run: --metrics scraped by a real Prometheus, the config
file (flags over it, errors at FILE:LINE, SIGHUP), and `credwatch status`."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from cwtest import (BIN, Closing, KeyFile, child_process, github_token, require_root,
                    running_agent, wait_until)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    """(status, Content-Type, body); an HTTP error status is returned, not raised (the
    endpoint answers 503 until its first rendering: the callers' waits poll through it)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def sample(text, series):
    """The value of one series ('name{labels}') in exposition text, or None."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


class TempDir(Closing):
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="cw-ops-")

    def join(self, *p):
        return os.path.join(self.path, *p)

    def write(self, name, text):
        with open(self.join(name), "w") as f:
            f.write(text)
        return self.join(name)

    def close(self):
        shutil.rmtree(self.path, True)


class Prometheus(Closing):
    """A real prometheus server on loopback scraping target every second, its data in tmp."""

    def __init__(self, tmp, target):
        self.port = free_port()
        cfg = tmp.write("prometheus.yml", (
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: credwatch\n"
            f"    static_configs:\n      - targets: ['{target}']\n"))
        self.log = open(tmp.join("prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp.join('tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, q):
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?" +
               urllib.parse.urlencode({"query": q}))
        try:
            status, _, body = http_get(url, timeout=2)
        except OSError:
            return []
        if status != 200:
            return []
        doc = json.loads(body)
        assert doc["status"] == "success", doc
        return doc["data"]["result"]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def test_metrics_pass_promtool_and_prometheus_scrapes_them():
    require_root()
    if not shutil.which("prometheus") or not shutil.which("promtool"):
        pytest.skip("prometheus not installed (scripts/setup installs it)")
    token = github_token()
    port = free_port()
    with TempDir() as tmp, running_agent("--metrics", f"127.0.0.1:{port}", "--status-file",
                                         tmp.join("status.json")) as agent:
        assert f"metrics at http://127.0.0.1:{port}/metrics" in agent.stderr()
        p = subprocess.run(["/bin/true", token])
        assert p.returncode == 0
        assert agent.wait_for(lambda l: l["event"]["action"] == "credential-in-argv")
        # the text is rendered once a second: wait for the alert in it
        url = f"http://127.0.0.1:{port}/metrics"
        text = wait_until(lambda: (t := http_get(url)[2]) and
                          (sample(t, 'credwatch_findings_alerts_total') or 0) >= 1 and t, 5)
        assert text, http_get(url)[2]
        status, ctype, _ = http_get(url)
        assert status == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8"
        lint = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                              capture_output=True)
        assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
        assert sample(text, 'credwatch_events_received_total{kind="exec"}') >= 1
        assert sample(text, 'credwatch_events_dropped_total{kind="exec"}') == 0
        assert sample(text, 'credwatch_alerts_total{action="credential-in-argv",'
                      'rule="github-pat-classic"}') >= 1
        assert sample(text, 'credwatch_agent_resident_memory_bytes') > 1 << 20
        assert token not in text
        with Prometheus(tmp, f"127.0.0.1:{port}") as prom:
            up = wait_until(lambda: prom.query('up{job="credwatch"} == 1'), 30)
            assert up, open(tmp.join("prometheus.log")).read()[-2000:]
            execs = wait_until(lambda: prom.query(
                'credwatch_events_received_total{job="credwatch",kind="exec"} > 0'), 15)
            assert execs and float(execs[0]["value"][1]) >= 1
            info = prom.query("credwatch_build_info")
            assert info and info[0]["metric"]["version"]
    assert agent.returncode == 0, agent.stderr()


def test_metrics_address_in_use_is_one_line_at_start():
    require_root()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = subprocess.run([BIN, "run", "--state", "none", "--status-file", "none",
                            "--metrics", f"127.0.0.1:{port}"], capture_output=True, timeout=60)
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert f"--metrics 127.0.0.1:{port}: cannot listen: Address already in use" in err
    assert "running:" not in err


def test_config_file_with_flags_over_it():
    require_root()
    port_file, port_flag = free_port(), free_port()
    with TempDir() as tmp:
        cfg = tmp.write("credwatch.yaml", (
            "# the agent's options\n"
            f"metrics: 127.0.0.1:{port_file}\n"
            f"status_file: {tmp.join('status.json')}\n"
            "events: true\n"
            "outputs:\n"
            f"  - target: file:{tmp.join('alerts.json')}\n"))
        with running_agent("--config", cfg, "--metrics", f"127.0.0.1:{port_flag}") as agent:
            status, _, _ = http_get(f"http://127.0.0.1:{port_flag}/")
            assert status == 200
            with pytest.raises(OSError):
                http_get(f"http://127.0.0.1:{port_file}/metrics", timeout=1)
            assert wait_until(lambda: os.path.exists(tmp.join("status.json")), 5)
    assert agent.returncode == 0, agent.stderr()


def test_config_error_names_file_and_line():
    with TempDir() as tmp:
        cfg = tmp.write("credwatch.yaml", "events: true\nringbuf-size: 16M\n")
        p = subprocess.run([BIN, "run", "--config", cfg], capture_output=True, timeout=30)
    err = p.stderr.decode()
    assert p.returncode == 1
    assert f"{cfg}:2: unknown option 'ringbuf-size'" in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_sighup_rereads_the_config_and_keeps_the_old_on_error():
    require_root()
    with TempDir() as tmp:
        pol = tmp.write("policy.yaml", "watch: ['/srv/app/*.env']\n")
        cfg = tmp.write("credwatch.yaml", "status_file: none\n")
        with running_agent("--config", cfg) as agent:
            tmp.write("credwatch.yaml", "status_file: none\npolicy: [oops]\n")
            agent.proc.send_signal(signal.SIGHUP)
            assert agent.wait_err("config reload failed"), agent.stderr()
            assert (f"config reload failed, keeping the outputs and the policy: {cfg}:2: "
                    in agent.stderr())
            tmp.write("credwatch.yaml", f"status_file: none\npolicy: {pol}\n")
            agent.proc.send_signal(signal.SIGHUP)
            assert agent.wait_err(f"policy reloaded from {pol}"), agent.stderr()
            assert agent.alive()
    assert agent.returncode == 0, agent.stderr()


def status(*args):
    p = subprocess.run([BIN, "status", *args], capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_status_running_then_stopped():
    require_root()
    with TempDir() as tmp:
        path = tmp.join("status.json")
        with running_agent("--status-file", path) as agent:
            assert wait_until(lambda: os.path.exists(path), 5)
            rc, out, err = status("--file", path)
            assert rc == 0, out + err
            assert f"(pid {agent.proc.pid}): running, up " in out
            assert "outputs:\n" in out
            rc, out, _ = status("--file", path, "--json")
            doc = json.loads(out)
            assert rc == 0 and doc["state"] == "running" and doc["healthy"] is True
            assert doc["pid"] == agent.proc.pid
            assert os.stat(path).st_mode & 0o777 == 0o644
        rc, out, _ = status("--file", path)
        assert rc == 2 and "stopped" in out, out
        rc, _, err = status("--file", tmp.join("none.json"))
        assert rc == 2 and "does not exist: the agent is not running" in err


def test_status_of_a_killed_agent_is_stale():
    require_root()
    with TempDir() as tmp:
        path = tmp.join("status.json")
        with running_agent("--status-file", path) as agent:
            assert wait_until(lambda: os.path.exists(path), 5)
            agent.proc.kill()
            agent.proc.wait()
        time.sleep(1.5)  # the file's age is the point: no update after the kill
        rc, out, _ = status("--file", path, "--max-age", "1")
        assert rc == 2 and "stale" in out and "killed or is hung" in out, out


def test_status_and_metrics_show_an_output_that_is_down():
    require_root()
    token = github_token()
    dead, mport = free_port(), free_port()  # nothing listens on dead
    sink = f"syslog+tcp://127.0.0.1:{dead}"
    with TempDir() as tmp:
        path = tmp.join("status.json")
        with running_agent("--status-file", path, "--metrics", f"127.0.0.1:{mport}",
                           "--output", "stdout", "--output", sink,
                           "--spool-dir", tmp.join("spool")) as agent:
            subprocess.run(["/bin/true", token])
            assert agent.wait_for(lambda l: l["event"]["action"] == "credential-in-argv")

            def down():
                rc, out, _ = status("--file", path, "--json")
                doc = json.loads(out)
                o = [x for x in doc["outputs"] if x["spec"] == sink]
                return rc == 1 and o and not o[0]["healthy"] and o[0]["queued"] >= 1 and doc
            doc = wait_until(down, 15)
            assert doc, status("--file", path, "--json")
            rc, out, _ = status("--file", path)
            assert rc == 1
            assert f"  DOWN  {sink} (syslog+tcp, ecs): " in out, out
            assert "  ok    stdout (stdout, ecs)" in out, out
            text = http_get(f"http://127.0.0.1:{mport}/metrics")[2]
            assert sample(text, f'credwatch_output_up{{output="{sink}",sink="syslog+tcp",'
                          'format="ecs"}') == 0
            assert sample(text, f'credwatch_output_queued_findings{{output="{sink}"}}') >= 1
            assert token not in out and token not in text
