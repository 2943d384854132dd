# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""credwatch scan and rules check: files, directories, stdin, formats and exit codes."""
import json
import os
import subprocess
import tempfile

from cwtest import BIN, KeyFile, aws_key_pair, github_token, redacted


def scan(*args, stdin=None, key=None):
    key = key or KeyFile()
    r = subprocess.run([BIN, "scan", "--fingerprint-key-file", key.path, *args],
                       input=stdin, capture_output=True, text=True, timeout=60)
    return r, key


def test_scan_json_findings_with_exact_locations():
    d = tempfile.mkdtemp(prefix="cw-scan-")
    token = github_token()
    akid, secret = aws_key_pair()
    env = os.path.join(d, "app.env")
    with open(env, "w") as f:
        f.write("# settings\nDEBUG=1\n  GITHUB_TOKEN=%s\nAWS_ACCESS_KEY_ID=%s\n"
                "AWS_SECRET_ACCESS_KEY=%s\n" % (token, akid, secret))
    r, key = scan(env)
    assert r.returncode == 1, r.stderr
    found = [json.loads(l) for l in r.stdout.splitlines()]
    assert [f["rule"]["id"] for f in found] == [
        "github-pat-classic", "aws-access-key-id", "aws-secret-access-key"]
    gh = found[0]
    assert gh["file"] == {"path": env}
    assert gh["location"] == {"line": 3, "column": 16}
    assert gh["credential"]["redacted"] == redacted(token)
    assert gh["credential"]["fingerprint"] == key.fingerprint(token)
    assert found[1]["location"] == {"line": 4, "column": 19}
    assert found[2]["location"] == {"line": 5, "column": 23}
    for s in (token, akid, secret):
        assert s not in r.stdout and s not in r.stderr


def test_scan_directory_recursive_skips_binary_and_git():
    d = tempfile.mkdtemp(prefix="cw-scan-")
    os.makedirs(os.path.join(d, "a", "b"))
    os.makedirs(os.path.join(d, ".git"))
    tokens = [github_token() for _ in range(4)]
    with open(os.path.join(d, "a", "b", "deep.yaml"), "w") as f:
        f.write("token: %s\n" % tokens[0])
    with open(os.path.join(d, "top.txt"), "w") as f:
        f.write("x %s y\n" % tokens[1])
    with open(os.path.join(d, "blob.bin"), "wb") as f:
        f.write(b"\x00\x01binary" + tokens[2].encode())
    with open(os.path.join(d, ".git", "config"), "w") as f:
        f.write(tokens[3])
    r, _ = scan(d)
    assert r.returncode == 1, r.stderr
    paths = sorted(json.loads(l)["file"]["path"] for l in r.stdout.splitlines())
    assert paths == sorted([os.path.join(d, "a", "b", "deep.yaml"), os.path.join(d, "top.txt")])


def test_scan_stdin_text_format():
    token = github_token()
    r, key = scan("--format", "text", "-", stdin="line one\nexport T=%s\n" % token)
    assert r.returncode == 1, r.stderr
    assert r.stdout.startswith("-:2:10: github-pat-classic: %s " % redacted(token)), r.stdout
    assert key.fingerprint(token)[:16] in r.stdout
    assert token not in r.stdout


def test_scan_exit_codes():
    d = tempfile.mkdtemp(prefix="cw-scan-")
    clean = os.path.join(d, "clean.txt")
    with open(clean, "w") as f:
        f.write("nothing to see: ghp_short, AKIA123\n")
    r, _ = scan(clean)
    assert (r.returncode, r.stdout) == (0, "")
    r, _ = scan(os.path.join(d, "missing"))
    assert r.returncode == 2 and "missing: No such file or directory" in r.stderr
    r, _ = scan("--format", "xml", clean)
    assert r.returncode == 2 and "--format" in r.stderr
    r = subprocess.run([BIN, "scan"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage:" in r.stderr
    r = subprocess.run([BIN, "scan", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "EXAMPLES" in r.stdout


def test_scan_max_size_skips_large_files():
    d = tempfile.mkdtemp(prefix="cw-scan-")
    with open(os.path.join(d, "big.txt"), "w") as f:
        f.write("a" * 5000 + "\n" + github_token())
    r, _ = scan("--max-size", "4k", d)
    assert (r.returncode, r.stdout) == (0, "")
    r, _ = scan("--max-size", "1M", d)
    assert r.returncode == 1


def test_rules_check_embedded_and_dir():
    r = subprocess.run([BIN, "rules", "check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    summary = r.stdout.splitlines()[-1]
    n = int(summary.split()[0])
    assert n >= 20 and ": ok (0 problems)" in summary
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run([BIN, "rules", "check", os.path.join(here, "..", "..", "rules")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and int(r.stdout.splitlines()[-1].split()[0]) == n


def test_rules_check_reports_a_wrong_example():
    d = tempfile.mkdtemp(prefix="cw-rules-")
    with open(os.path.join(d, "r.yaml"), "w") as f:
        f.write("rules:\n"
                "  - id: demo\n    name: Demo\n    pattern: 'demo_([0-9]{8})'\n"
                "    examples: ['demo_%{digit:8}', 'demo_%{digit:4}']\n"
                "    negative_examples: ['demo_%{digit:8}']\n")
    r = subprocess.run([BIN, "rules", "check", d], capture_output=True, text=True)
    assert r.returncode == 1
    assert "r.yaml:2: rule 'demo': example 2 does not match" in r.stdout, r.stdout
    assert "r.yaml:2: rule 'demo': negative example 1 matches" in r.stdout, r.stdout
    with open(os.path.join(d, "r.yaml"), "w") as f:
        f.write("rules:\n  - id: demo\n    name: Demo\n    pattern: 'demo_(['\n")
    r = subprocess.run([BIN, "rules", "check", d], capture_output=True, text=True)
    assert r.returncode == 2
    assert "r.yaml:2: rule 'demo': pattern does not compile" in r.stderr, r.stderr


def test_scan_sarif_log():
    d = tempfile.mkdtemp(prefix="cw-sarif-")
    token = github_token()
    path = os.path.join(d, "with space.env")
    with open(path, "w") as f:
        f.write("a=1\nTOKEN=%s\n" % token)
    r, key = scan("--format", "sarif", path)
    assert r.returncode == 1, r.stderr
    log = json.loads(r.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "credwatch" and len(rules) >= 20
    [res] = run["results"]
    assert res["ruleId"] == "github-pat-classic"
    assert rules[res["ruleIndex"]]["id"] == "github-pat-classic"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "file://" + path.replace(" ", "%20")
    assert loc["region"] == {"startLine": 2, "startColumn": 7, "endColumn": 47}
    assert res["partialFingerprints"]["credwatchFingerprint/v1"] == key.fingerprint(token)
    assert redacted(token) in res["message"]["text"] and token not in r.stdout
    r, _ = scan("--format", "sarif", "/dev/null")
    assert r.returncode == 0 and json.loads(r.stdout)["runs"][0]["results"] == []


def test_scan_exact_locations_far_into_files_and_pipes():
    # The scan reads 256 KiB at a time through a matcher stream: a token may straddle two
    # reads, and findings deep in the input need their lines counted, in a file (read again
    # for the count) and in a pipe (counted as it passes). Lines of varied lengths, one with
    # a NUL-free binary-ish tail, CRLF endings in part.
    d = tempfile.mkdtemp(prefix="cw-far-")
    key = KeyFile()
    chunk = 256 << 10
    parts, expect, pos, line = [], [], 0, 1

    def add(text):
        nonlocal pos, line
        parts.append(text)
        pos += len(text)
        line += text.count("\n")

    def add_token(prefix):
        token = github_token()
        add(prefix)
        col = pos - (("".join(parts)).rfind("\n") + 1) + 1
        expect.append((line, col, token))
        add(token + "\n")

    i = 0
    while pos < chunk - 30:
        add("row %d %s\r\n" % (i, "x" * (i % 97)))
        i += 1
    add("y" * (chunk - 20 - pos))
    add_token(" ")                       # starts 19 bytes before the first read's end
    for k in range(3 * chunk // 60):
        add("filler line number %d of the second part\n" % k)
    add_token("  TOKEN=")
    add("tail without newline")
    text = "".join(parts)
    path = os.path.join(d, "far.txt")
    with open(path, "w") as f:
        f.write(text)
    r_file, _ = scan(path, key=key)
    r_pipe, _ = scan("-", stdin=text, key=key)
    for r in (r_file, r_pipe):
        assert r.returncode == 1, r.stderr
        found = [json.loads(l) for l in r.stdout.splitlines()]
        assert [(f["location"]["line"], f["location"]["column"]) for f in found] == \
            [(l, c) for l, c, _ in expect]
        assert [f["credential"]["fingerprint"] for f in found] == \
            [key.fingerprint(t) for _, _, t in expect]
        for _, _, t in expect:
            assert t not in r.stdout and t not in r.stderr
    assert r_file.stdout.replace(path, "-") == r_pipe.stdout


def test_scan_jobs_find_everything_in_the_same_order():
    # Files of very different sizes in nested directories, scanned by 1 to 4 workers: a big
    # file early in the walk finishes after small ones behind it, and the output must still
    # follow the walk, the same for every --jobs, with every finding once.
    d = tempfile.mkdtemp(prefix="cw-jobs-")
    key = KeyFile()
    tokens = {}
    for i in range(24):
        sub = os.path.join(d, "dir%d" % (i % 3), "sub%d" % (i % 2))
        os.makedirs(sub, exist_ok=True)
        path = os.path.join(sub, "f%02d.txt" % i)
        token = github_token()
        filler = "plain log line without anything secret in it\n" * (40000 if i % 5 == 0 else 3)
        with open(path, "w") as f:
            f.write(filler + "TOKEN=%s\n" % token)
        tokens[path] = (token, filler.count("\n") + 1)
    extra = os.path.join(tempfile.mkdtemp(prefix="cw-jobs-"), "named.env")
    named = github_token()
    with open(extra, "w") as f:
        f.write("A=%s\n" % named)
    piped = github_token()
    outs = {}
    for jobs in ("1", "2", "4"):
        r, _ = scan("--jobs", jobs, extra, "-", d, stdin="x %s\n" % piped, key=key)
        assert r.returncode == 1, r.stderr
        outs[jobs] = r.stdout
    assert outs["1"] == outs["2"] == outs["4"]
    found = [json.loads(l) for l in outs["1"].splitlines()]
    assert [f["file"]["path"] for f in found[:2]] == [extra, "-"]
    assert found[0]["credential"]["fingerprint"] == key.fingerprint(named)
    assert found[1]["credential"]["fingerprint"] == key.fingerprint(piped)
    walked = found[2:]
    assert sorted(f["file"]["path"] for f in walked) == sorted(tokens)
    for f in walked:
        token, line = tokens[f["file"]["path"]]
        assert f["location"]["line"] == line
        assert f["credential"]["fingerprint"] == key.fingerprint(token)
    # The walk visits a directory's entries together: each directory's files are contiguous.
    dirs = [os.path.dirname(f["file"]["path"]) for f in walked]
    assert len(set(dirs)) == sum(1 for i, x in enumerate(dirs) if i == 0 or x != dirs[i - 1])
    r, _ = scan("--jobs", "3", "--format", "sarif", extra, d, key=key)
    assert r.returncode == 1, r.stderr
    results = json.loads(r.stdout)["runs"][0]["results"]
    assert [x["partialFingerprints"]["credwatchFingerprint/v1"] for x in results] == \
        [f["credential"]["fingerprint"] for f in found if f["file"]["path"] != "-"]
    for t in [named, piped] + [t for t, _ in tokens.values()]:
        assert t not in r.stdout and all(t not in o for o in outs.values())
    r, _ = scan("--jobs", "0", extra, key=key)
    assert r.returncode == 2 and "--jobs" in r.stderr


def test_rules_profile_reports_the_set_its_keywords_and_the_slowest_rules():
    d = tempfile.mkdtemp(prefix="cw-prof-")
    token = github_token()
    sample = os.path.join(d, "sample.txt")
    with open(sample, "w") as f:
        for i in range(2000):
            f.write("line %d: the password field and the api token are set elsewhere\n" % i)
        f.write("GITHUB_TOKEN=%s\n" % token)
    r = subprocess.run([BIN, "rules", "profile", sample], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    head = lines[0].split()
    assert head[0] == "all" and head[2] == "rules:" and float(head[3]) > 0, lines[0]
    assert lines[0].endswith(", 1 findings"), lines[0]
    kw = lines[1]
    assert kw.startswith("their keywords alone, one literal database: "), kw
    # every line has "password" and "token" (keywords of several rules): hits, counted
    assert int(kw.split(", ")[-1].split()[0]) >= 4000, kw
    assert lines[2].startswith("slowest rules alone"), lines[2]
    assert len(lines) == 3 + 40
    assert token not in r.stdout and token not in r.stderr
