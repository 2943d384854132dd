#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Mixed text without secrets, for throughput measurements: source code, logs, configs,
prose and the random-looking-but-harmless values real files carry (hashes, UUIDs, base64).

usage: textgen.py OUTFILE MIB [SEED]
"""
import base64
import hashlib
import random
import sys
import uuid

WORDS = ("the server returned an error while processing request for user account config "
         "value timeout retry connection database cluster node pod deploy build release "
         "version update install package module function return import export class "
         "struct buffer length offset stream token parser handler client session cache "
         "metrics latency throughput queue worker thread process memory disk network").split()


def line(r):
    k = r.random()
    if k < 0.25:
        return "    %s = %s(%s, %d)  # %s" % (r.choice(WORDS), r.choice(WORDS), r.choice(WORDS),
                                              r.randint(0, 999), " ".join(r.choices(WORDS, k=5)))
    if k < 0.45:
        return "2026-11-%02dT%02d:%02d:%02d.%03dZ %s [%s] %s request_id=%s took=%dms" % (
            r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
            r.randint(0, 999), r.choice(["INFO", "WARN", "DEBUG", "ERROR"]), r.choice(WORDS),
            " ".join(r.choices(WORDS, k=6)), uuid.UUID(int=r.getrandbits(128)), r.randint(1, 900))
    if k < 0.60:
        return "%s:\n  %s: %s\n  %s: %d" % (r.choice(WORDS), r.choice(WORDS), r.choice(WORDS),
                                            r.choice(WORDS), r.randint(0, 65535))
    if k < 0.70:
        return "commit %s\nsha256:%s" % (hashlib.sha1(r.randbytes(8)).hexdigest(),
                                        hashlib.sha256(r.randbytes(8)).hexdigest())
    if k < 0.78:
        return base64.b64encode(r.randbytes(57)).decode()
    if k < 0.85:
        return '{"%s": "%s", "%s": %d, "%s": [%s]}' % (
            r.choice(WORDS), r.choice(WORDS), r.choice(WORDS), r.randint(0, 10**6),
            r.choice(WORDS), ", ".join('"%s"' % w for w in r.choices(WORDS, k=4)))
    return " ".join(r.choices(WORDS, k=r.randint(6, 16))).capitalize() + "."


def main():
    out, mib = sys.argv[1], int(sys.argv[2])
    r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    target = mib << 20
    n = 0
    with open(out, "w") as f:
        while n < target:
            chunk = "\n".join(line(r) for _ in range(2000)) + "\n"
            f.write(chunk)
            n += len(chunk)


if __name__ == "__main__":
    main()
