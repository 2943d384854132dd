# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The noise benchmark's short run (bench/noise --short): one scripted normal day under the
default agent raises no alert, and the bad steps after it raise every alert they must.

bench/noise runs real clients (git over HTTPS with the credential store, npm, docker login,
a client-go-style in-cluster client, a SigV4 request, a developer's shell with an exported
token behind a shim) against HTTPS servers of a private CA in a private mount and network
namespace; see its header. Its exit status 2 means the day itself did not happen as written
(a client or server failed): that fails this test too, with the step that failed.

Before issue 20's ownership and destination work this failed with 8 to 9 credential-shared
alerts for the developer shell's inherited GITHUB_TOKEN and a credential-unexpected-destination
for the API server called by its service IP; it passes since (bench/RESULTS.md).
"""
import json
import os
import subprocess
import tempfile

from cwtest import BIN, require_root

NOISE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "noise")


def test_short_normal_day_has_no_false_alert_and_bad_day_all_alerts():
    require_root()
    with tempfile.TemporaryDirectory(prefix="cw-noise-test-") as d:
        out = os.path.join(d, "noise.json")
        p = subprocess.run([NOISE, "--short", "--json", out], capture_output=True, text=True,
                           timeout=240, env=dict(os.environ, CREDWATCH_BIN=os.path.abspath(BIN)))
        report = p.stdout + p.stderr[-3000:]
        assert p.returncode in (0, 1), "the benchmark could not run its day:\n" + report
        with open(out) as f:
            r = json.load(f)
    assert r["plaintext_leaks"] == [], report
    days = r["days"]
    assert len(days) == 1 and days[0]["bad"], report
    assert all(s["ok"] for s in days[0]["steps"]), report
    # the day happened: every provider was called, with the right credential
    for server in ("github.com", "api.github.com", "registry.npmjs.org", "slack.com",
                   "api.stripe.com", "sts.amazonaws.com", "auth.docker.io",
                   "registry-1.docker.io", "kubernetes", "paste.example.net"):
        assert days[0]["served"].get(server, [0])[0] > 0, (server, report)
    false = days[0]["false"]
    missed = [e["what"] for e in days[0]["expected"] if not e["fired"]]
    assert len(days[0]["expected"]) == 4, report
    assert not false and not missed, report
    assert r["summary"]["false_alerts"] == 0 and p.returncode == 0, report
