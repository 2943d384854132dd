# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The formats of a finding against their published schemas (tests/specs/): ECS (Elastic's
field list) and OCSF (Data Security Finding, class 2006).

The unit tests build findings through the real renderers (exec, connections, the exposure
judge) and convert each one with output/ocsf.c; with CW_FORMAT_SAMPLES set they leave both
forms in that directory, which these tests check. Needs no root; needs the unit-test binary
(`make .output/unit-tests`, which `make test` builds). Every finding the agent prints in the
other end-to-end tests is ECS-checked as it arrives (cwtest.Agent).
"""
import copy
import glob
import json
import os
import subprocess
import tempfile

import pytest

import ecs_check
import ocsf_check
from cwtest import BIN, Skip, github_token, require_root, running_agent

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
UNIT_BIN = os.environ.get("CW_UNIT_BIN", os.path.join(TOP, ".output", "unit-tests"))


@pytest.fixture(scope="module")
def samples():
    """[(ecs, ocsf)] of every finding the unit tests make: those tests/run's unit stage kept
    (CW_FORMAT_SAMPLES_DIR, a whole passing run), else from a run of the unit binary here."""
    kept = os.environ.get("CW_FORMAT_SAMPLES_DIR")
    if kept and glob.glob(os.path.join(kept, "*.ecs.json")):
        return read_samples(kept)
    if not os.access(UNIT_BIN, os.X_OK):
        pytest.skip(f"no unit-test binary at {UNIT_BIN} (make .output/unit-tests)")
    with tempfile.TemporaryDirectory(prefix="cw-formats-") as d:
        run = subprocess.run([UNIT_BIN], cwd=TOP, env=dict(os.environ, CW_FORMAT_SAMPLES=d),
                             capture_output=True, text=True, timeout=600)
        out = read_samples(d)
    assert out, "the unit tests left no finding: " + run.stdout[-2000:]
    return out


def read_samples(d):
    out = []
    for e in sorted(glob.glob(os.path.join(d, "*.ecs.json"))):
        with open(e) as f, open(e[:-len(".ecs.json")] + ".ocsf.json") as g:
            out.append((json.load(f), json.load(g)))
    return out


def test_every_unit_finding_is_ecs(samples):
    bad = [(e, errs) for e, _ in samples if (errs := ecs_check.check(e))]
    assert not bad, "%d of %d findings are not ECS; first: %s\n%s" % (
        len(bad), len(samples), json.dumps(bad[0][0]), "\n".join(bad[0][1]))
    actions = {e["event"]["action"] for e, _ in samples}
    # the renderers of each kind of finding were there to check
    assert actions >= {"credential-in-argv", "credential-observed", "credential-sent",
                       "credential-unexpected-destination", "credential-unexpected-reader",
                       "credential-shared", "credential-hardcoded", "credential-long-lived"}, \
        actions
    ids = [e["event"]["id"] for e, _ in samples]
    assert len(set(ids)) == len(ids), "two findings with one event.id"


def test_every_unit_finding_as_ocsf_validates(samples):
    bad = [(o, errs) for _, o in samples if (errs := ocsf_check.check(o))]
    assert not bad, "%d of %d OCSF events do not validate; first: %s\n%s" % (
        len(bad), len(samples), json.dumps(bad[0][0]), "\n".join(bad[0][1]))
    for e, o in samples:
        assert o["class_uid"] == 2006
        assert o["finding_info"]["uid"] == e["event"]["id"] == o["metadata"]["uid"]
        assert o["finding_info"]["analytic"]["uid"] == e["rule"]["id"]
        assert o["finding_info"]["types"] == [e["event"]["action"]]
        assert o["actor"]["process"]["pid"] == e["process"]["pid"]
        assert o["is_alert"] == (e["event"]["kind"] == "alert")
        origin = e["credwatch"]["credential"]["origin"]
        assert o["data_security"]["data_lifecycle_state_id"] == \
            {"egress": 2, "argv": 3, "env": 3, "file": 3}[origin]
        assert ("dst_endpoint" in o) == ("destination" in e)
        if "file" in e:
            assert o["resources"][0]["name"] == e["file"]["path"]
        if "container" in e:
            assert o["actor"]["process"]["container"]["uid"] == e["container"]["id"]
            assert o["metadata"]["profiles"] == ["container"]
    # what the checks above were to see at least once
    assert any("dst_endpoint" in o for _, o in samples)
    assert any("resources" in o for _, o in samples)
    assert any("container" in o["actor"]["process"] for _, o in samples)


# -- the checkers themselves find what is wrong ------------------------------------------------
def _ecs_ok():
    return {"@timestamp": "2026-11-22T07:49:30.674Z",
            "event": {"id": "5f0c2f5e-9a43-4d7e-8d1c-2b7e3f6a9c10", "kind": "alert",
                      "category": ["process"], "type": ["start"], "action": "credential-in-argv",
                      "severity": 73},
            "ecs": {"version": ecs_check.version()},
            "rule": {"id": "github-pat-classic"}, "process": {"pid": 1},
            "destination": {"ip": "::1", "port": 443},
            "credwatch": {"anything": {"goes": [1, "x"]}}}


@pytest.mark.parametrize("mutate, says", [
    (lambda d: d.update(credential={"redacted": "x"}), "credential: not an ECS field"),
    (lambda d: d.update(tls={"library": "openssl"}), "tls.library: not an ECS field"),
    (lambda d: d["process"].update(pid="1"), "process.pid: \"1\" is not of ECS type long"),
    (lambda d: d["process"].update(pid=True), "is not of ECS type long"),
    (lambda d: d["process"].update(pid=[1]), "process.pid: an array"),
    (lambda d: d["destination"].update(ip="not-an-ip"), "is not of ECS type ip"),
    (lambda d: d.update({"@timestamp": "yesterday"}), "is not of ECS type date"),
    (lambda d: d["event"].update(kind="finding"), "event.kind: 'finding'"),
    (lambda d: d["event"].update(type=["connection"]), "not expected with event.category"),
    (lambda d: d["ecs"].update(version="1.0.0"), "ecs.version"),
    (lambda d: d["event"].update(id="1"), "event.id"),
    (lambda d: d.update(process=5), "process: not an ECS field"),
])
def test_ecs_check_finds(mutate, says):
    assert ecs_check.check(_ecs_ok()) == []
    d = _ecs_ok()
    mutate(d)
    errs = ecs_check.check(d)
    assert any(says in e for e in errs), errs


def _ocsf_ok(samples):
    """A valid OCSF event with a container, a file and a parent process."""
    for _, o in samples:
        if "container" in o["actor"]["process"] and "resources" in o and \
                "parent_process" in o["actor"]["process"]:
            return copy.deepcopy(o)
    for _, o in samples:
        if "container" in o["actor"]["process"]:
            return copy.deepcopy(o)
    raise AssertionError("no sample with a container")


@pytest.mark.parametrize("mutate, says", [
    (lambda o: o["finding_info"].pop("uid"), "finding_info.uid: required, missing"),
    (lambda o: o.pop("severity_id"), "severity_id: required, missing"),
    (lambda o: o["device"].pop("type_id"), "device.type_id: required, missing"),
    (lambda o: o.update(credential={}), "credential: no such attribute"),
    (lambda o: o["actor"]["process"].update(argv=[]), "actor.process.argv: no such attribute"),
    (lambda o: o.update(severity_id=7), "severity_id: 7 is not one of"),
    (lambda o: o.update(severity="Low"), "severity: 'Low', the caption of severity_id"),
    (lambda o: o["data_security"].update(data_lifecycle_state_id=9), "is not one of"),
    (lambda o: o["actor"]["process"].update(pid="3226"), "actor.process.pid: \"3226\" is not"),
    (lambda o: o.update(time=1.5), "time: 1.5 is not"),
    (lambda o: o.update(is_alert=1), "is_alert: 1 is not boolean_t"),
    (lambda o: o.update(dst_endpoint={"ip": "::1", "port": 70000}), "outside port_t"),
    (lambda o: o.update(dst_endpoint={"ip": "no.such.ip"}), "does not match ip_t"),
    (lambda o: o["actor"]["process"]["container"].update(pod_uuid="p"), "does not match uuid_t"),
    (lambda o: o["finding_info"].update(types="x"), "finding_info.types: not an array"),
    (lambda o: o.update(resources={"name": "x"}), "resources: not an array"),
    (lambda o: o["metadata"].pop("profiles"), "container: of profile container"),
    (lambda o: o["finding_info"]["analytic"].pop("type_id"), "analytic.type_id: required"),
    (lambda o: o["actor"]["process"]["parent_process"].clear(), "none of"),
    (lambda o: o.update(type_uid=200602), "type_uid"),
    (lambda o: o.update(class_uid=2004), "class_uid"),
    (lambda o: o["metadata"].update(version="1.0.0"), "metadata.version"),
    (lambda o: o["actor"]["process"].update(tid=1), "deprecated"),
])
def test_ocsf_check_finds(samples, mutate, says):
    o = _ocsf_ok(samples)
    assert ocsf_check.check(o) == []
    mutate(o)
    errs = ocsf_check.check(o)
    assert any(says in e for e in errs), errs


# -- the agent's own lines ---------------------------------------------------------------------
def exec_with(argv):
    p = subprocess.Popen(argv, env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    p.wait()
    return p.pid


def test_agent_alert_is_ecs_and_converts():
    """A real alert from the agent: ECS as it arrives (running_agent checks every line); its
    event.id a fresh UUID per finding."""
    require_root()
    t1, t2 = github_token(), github_token()
    with running_agent() as agent:
        pid = exec_with(["/bin/true", t1, t2])
        hits = agent.wait_for(lambda l: l["process"]["pid"] == pid and
                              l["event"]["action"] == "credential-in-argv", count=2)
    assert len(hits) == 2, agent.stderr()
    for a in hits:
        assert ecs_check.check(a) == []
        assert a["ecs"]["version"] == ecs_check.version() == "9.5.0-dev"
        assert a["credwatch"]["credential"]["origin"] == "argv"
    ids = [l["event"]["id"] for l in agent.lines]
    assert len(set(ids)) == len(ids)
    agent.assert_no_plaintext(t1, t2)


def test_agent_ocsf_output_validates():
    """`--output stdout,format=ocsf`: every line the agent prints is an OCSF Data Security
    Finding the schema accepts."""
    require_root()
    usage = subprocess.run([BIN, "run", "--help"], capture_output=True, text=True).stdout
    if "ocsf" not in usage or "--output" not in usage:
        raise Skip("this build's run has no --output ...,format=ocsf")
    token = github_token()
    with running_agent("--output", "stdout,format=ocsf", check=ocsf_check.check) as agent:
        pid = exec_with(["/bin/true", token])
        hits = agent.wait_for(lambda l: l["actor"]["process"]["pid"] == pid and
                              l["finding_info"]["types"] == ["credential-in-argv"])
    assert hits, agent.stderr()
    assert hits[0]["class_uid"] == 2006
    assert hits[0]["data_security"]["data_lifecycle_state_id"] == 3
    agent.assert_no_plaintext(token)
