#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Detection quality on a generated labelled corpus: recall, precision, F1, per kind.

A finding is a true positive when it lies on a labelled secret: same file and line, and its
column range overlaps the label's. Anything else is a false positive; a label no finding
covers is a false negative.

usage: bench/quality.py [--files N] [--seed S] [--bin ./credwatch] [--corpus GENERATOR]
--corpus quality_encodings.py: credentials inside encodings; a false positive counts against
the kind its file is named for (files named KIND-NNNNN.*, or in a directory so named), so
precision is per kind too. --corpus quality_credfiles.py: credential files.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "credwatch"))
    ap.add_argument("--show", type=int, default=5, help="print up to N misses of each sort")
    ap.add_argument("--corpus", default="corpus.py", help="the generator, in bench/")
    a = ap.parse_args()
    out = tempfile.mkdtemp(prefix="cw-quality-")
    cmd = [sys.executable, os.path.join(HERE, a.corpus), out, "--files", str(a.files)]
    if a.seed is not None:
        cmd += ["--seed", str(a.seed)]
    subprocess.run(cmd, check=True)
    labels = [json.loads(l) for l in open(os.path.join(out, "labels.jsonl"))]
    key = os.path.join(out, "key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    r = subprocess.run([a.bin, "scan", "--fingerprint-key-file", key, os.path.join(out, "files")],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("scan failed: " + r.stderr)
    found = [json.loads(l) for l in r.stdout.splitlines()]

    by_line = collections.defaultdict(list)
    for i, l in enumerate(labels):
        by_line[(l["path"], l["line"])].append(i)
    hit = set()
    fp = []
    for f in found:
        # a finding's length: its secret is redacted, so use the label it overlaps
        cands = by_line.get((f["file"]["path"], f["location"]["line"]), [])
        col = f["location"]["column"]
        match = [i for i in cands if labels[i]["column"] <= col < labels[i]["column"] + labels[i]["length"]
                 or col <= labels[i]["column"] < col + 8]
        # a label may name rules that would be the wrong finding there: http-basic-auth for
        # the GitHub token inside a Basic header
        match = [i for i in match if f["rule"]["id"] not in labels[i].get("wrong_rules", ())]
        if match:
            hit.update(match)
        else:
            fp.append(f)
    tp = len(hit)
    fn = [labels[i] for i in range(len(labels)) if i not in hit]
    # Findings whose checksum fails are reported, demoted (low severity): count them against
    # precision, and show precision without them too.
    demoted = [f for f in fp if f["credential"].get("checksum") == "invalid"]
    recall = tp / len(labels) if labels else 0
    precision = tp / (tp + len(fp)) if tp + len(fp) else 0
    precision_conf = tp / (tp + len(fp) - len(demoted)) if tp + len(fp) - len(demoted) else 0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0
    per = collections.Counter(l["kind"] for l in labels)
    per_hit = collections.Counter(labels[i]["kind"] for i in hit)
    print("corpus: %d files, %d labelled secrets, %d findings" % (a.files, len(labels), len(found)))
    # the kind a file is named for: its name, or its directory's where the file needs its
    # tool's name (quality_credfiles.py: credfile-netrc-00001/.netrc)
    files = os.path.join(out, "files")
    per_fp = collections.Counter(os.path.relpath(f["file"]["path"], files).split(os.sep)[0].rsplit("-", 1)[0]
                                 for f in fp)
    for k in sorted(per):
        print("  %-34s recall %.3f (%d/%d)" % (k, per_hit[k] / per[k], per_hit[k], per[k])
              + ("  precision %.3f (fp %d)" % (per_hit[k] / (per_hit[k] + per_fp[k]), per_fp[k])
                 if a.corpus != "corpus.py" else ""))
    for f in fp[:a.show]:
        print("  false positive: %s:%d:%d %s" % (f["file"]["path"], f["location"]["line"],
                                                f["location"]["column"], f["rule"]["id"]))
    for l in fn[:a.show]:
        print("  missed: %s:%d:%d %s" % (l["path"], l["line"], l["column"], l["kind"]))
    print("recall %.3f  precision %.3f  F1 %.3f  (tp %d, fp %d, fn %d)" %
          (recall, precision, f1, tp, len(fp), len(fn)))
    print("precision without checksum-invalid (demoted, low-severity) findings: %.3f (%d demoted)"
          % (precision_conf, len(demoted)))


if __name__ == "__main__":
    main()
