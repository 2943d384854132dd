#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Generate a labelled corpus of realistic files for measuring detection quality.

Secrets are generated here, independently of the rule files (their formats written from the
providers' documentation), and planted in realistic contexts: .env files, YAML and JSON
configs, shell scripts, HTTP requests, environment dumps. Hard negatives sit beside them:
hashes, UUIDs, base64 blobs, digests, placeholders, documented example keys, test-mode keys.

usage: corpus.py OUTDIR [--files N] [--seed S]
Writes OUTDIR/files/* and OUTDIR/labels.jsonl: one {"path","line","column","length","kind"}
per planted secret (line and column 1-based, column in bytes).
"""
import argparse
import base64
import hashlib
import json
import os
import random
import string
import time
import uuid
import zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"

R = random.Random()


def rs(chars, n):
    return "".join(R.choice(chars) for _ in range(n))


def crc_b62(body):
    c = zlib.crc32(body.encode())
    out = ""
    for _ in range(6):
        c, d = divmod(c, 62)
        out = B62[d] + out
    return out


def gh(prefix):
    body = rs(ALNUM, 30)
    return prefix + body + crc_b62(body)


def jwt(lifetime=3600, k8s=False):
    def enc(o):
        return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
    now = int(time.time())
    if k8s:
        ns, sa = R.choice(["default", "payments", "web"]), R.choice(["app", "worker", "api"])
        payload = {"aud": ["https://kubernetes.default.svc"], "exp": now + lifetime, "iat": now,
                   "iss": "https://kubernetes.default.svc.cluster.local",
                   "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sa}},
                   "sub": "system:serviceaccount:%s:%s" % (ns, sa)}
    else:
        payload = {"iss": "https://login.acme.test", "sub": rs(ALNUM, 12), "iat": now, "exp": now + lifetime}
    return enc({"alg": "RS256", "typ": "JWT"}) + "." + enc(payload) + "." + rs(B64URL, 86)


def pem():
    body = "\n".join(rs(B64, 64) for _ in range(R.randint(6, 12)))
    return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n" + rs(B64, 20) + "==\n-----END RSA PRIVATE KEY-----"


def strong_password():
    return rs(ALNUM + "!#%^*_-+", R.randint(16, 28))


# kind -> (generator, variable names used in configs). The value generated is the secret.
SECRETS = {
    "github-token": (lambda: gh(R.choice(["ghp_", "gho_", "ghs_", "ghu_"])), ["GITHUB_TOKEN", "GH_TOKEN"]),
    "github-fine-grained": (lambda: "github_pat_" + rs(ALNUM, 22) + "_" + rs(ALNUM, 59), ["GITHUB_PAT"]),
    "gitlab-token": (lambda: "glpat-" + rs(ALNUM + "-_", 20), ["GITLAB_TOKEN", "CI_JOB_TOKEN_OVERRIDE"]),
    "npm-token": (lambda: (lambda b: "npm_" + b + crc_b62(b))(rs(ALNUM, 30)), ["NPM_TOKEN"]),
    "aws-access-key": (lambda: "AKIA" + rs(B32, 16), ["AWS_ACCESS_KEY_ID"]),
    "aws-secret-key": (lambda: rs(B64, 40), ["AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"]),
    "slack-token": (lambda: "xoxb-%s-%s-%s" % (rs(string.digits, 12), rs(string.digits, 13), rs(ALNUM, 24)), ["SLACK_BOT_TOKEN"]),
    "stripe-key": (lambda: "sk_live_" + rs(ALNUM, 99 if R.random() < 0.5 else 24), ["STRIPE_SECRET_KEY"]),
    "openai-key": (lambda: "sk-proj-" + rs(B64URL, 58) + "T3BlbkFJ" + rs(B64URL, 58), ["OPENAI_API_KEY"]),
    "anthropic-key": (lambda: "sk-ant-api03-" + rs(B64URL, 93) + "AA", ["ANTHROPIC_API_KEY"]),
    "gcp-api-key": (lambda: "AIza" + rs(B64URL, 35), ["GOOGLE_API_KEY", "MAPS_KEY"]),
    "sendgrid-key": (lambda: "SG." + rs(B64URL, 22) + "." + rs(B64URL, 43), ["SENDGRID_API_KEY"]),
    "huggingface-token": (lambda: "hf_" + rs(string.ascii_letters, 34), ["HF_TOKEN"]),
    "digitalocean-token": (lambda: "dop_v1_" + rs(HEX, 64), ["DIGITALOCEAN_TOKEN"]),
    "jwt": (lambda: jwt(R.choice([900, 3600, 86400 * 30])), ["ID_TOKEN", "SESSION_JWT"]),
    "kubernetes-service-account-token": (lambda: jwt(3607, k8s=True), ["KUBE_TOKEN"]),
    "password": (strong_password, ["DB_PASSWORD", "REDIS_PASSWORD", "ADMIN_PASSWORD"]),
    # what people really choose: dictionary word, year, symbol. Low entropy: hard to tell
    # from configuration values, and expected to be missed by entropy-gated generic rules.
    "weak-password": (lambda: R.choice(["Summer", "Winter", "Welcome", "Company", "Dragon"])
                      + str(R.randint(2015, 2026)) + R.choice("!#$"), ["DB_PASSWORD", "SMTP_PASSWORD"]),
}

HOSTS = ["db.internal", "10.0.3.7", "cache.prod.svc", "api.acme.test"]


def negatives():
    """Values that look random but are not credentials, with a plausible variable name."""
    sha = hashlib.sha256(os.urandom(16)).hexdigest()
    return R.choice([
        ("COMMIT_SHA", hashlib.sha1(os.urandom(8)).hexdigest()),
        ("IMAGE_DIGEST", "sha256:" + sha),
        ("REQUEST_ID", str(uuid.uuid4())),
        ("CHECKSUM", sha),
        ("INTEGRITY", "sha512-" + base64.b64encode(os.urandom(64)).decode()),
        ("BUILD_ID", rs(string.digits, 10)),
        ("API_TOKEN", "${API_TOKEN}"),
        ("GITHUB_TOKEN", "<your-github-token>"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("STRIPE_KEY", "sk_test_" + rs(ALNUM, 24)),
        ("PASSWORD", "changeme"),
        ("TOKEN", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        ("SESSION_SECRET", "{{ .Values.sessionSecret }}"),
        ("LOGO_PNG", base64.b64encode(os.urandom(R.randint(30, 90))).decode()),
        ("TRACE_ID", rs(HEX, 32)),
        ("GITHUB_TOKEN", "ghp_" + rs(ALNUM, 36)),  # right shape, wrong checksum: a typo
        ("DB_URL", "postgres://app:${DB_PASSWORD}@db.internal:5432/app"),
        ("PASSWORD_HASH", "$2b$12$" + rs(ALNUM + "./", 53)),
        ("API_KEY_HEADER", "X-Api-Key"),
        ("SECRET_NAME", "db-credentials-" + rs(string.ascii_lowercase, 5)),
        ("TOKEN_URL", "https://login.acme.test/oauth2/token"),
        ("ENCRYPTED_BLOB", "vault:v1:" + base64.b64encode(os.urandom(48)).decode()),
        ("PRIVATE_KEY_PATH", "/etc/ssl/private/server.key"),
        ("GIT_SHA", hashlib.sha1(os.urandom(8)).hexdigest()),
        ("CACHE_KEY", "user:%d:profile" % R.randint(1, 10**6)),
    ])


class Doc:
    """Lines of one file, with the labels of the secrets planted in it."""

    def __init__(self):
        self.lines, self.labels = [], []

    def add(self, prefix, secret=None, kind=None, suffix=""):
        line = prefix + (secret or "") + suffix
        for i, l in enumerate(line.split("\n")):
            self.lines.append(l)
        if secret is not None and kind:
            first = len(self.lines) - len(line.split("\n")) + 1
            self.labels.append({"line": first, "column": len(prefix.split("\n")[-1]) + 1,
                                "length": len(secret), "kind": kind})

    def filler(self, n):
        words = ["server", "listen", "timeout", "retries", "replicas", "image", "port", "debug",
                 "region", "bucket", "log_level", "feature_flags", "max_conns", "enabled"]
        for _ in range(n):
            self.lines.append("%s%s = %s" % (R.choice(["", "# "]), R.choice(words),
                                             R.choice(["true", "30s", "3", "info", "eu-west-1", "8080"])))


def pick():
    kind = R.choice(list(SECRETS))
    gen, names = SECRETS[kind]
    return kind, R.choice(names), gen()


def make_env(d):
    for _ in range(R.randint(3, 8)):
        d.filler(R.randint(0, 3))
        if R.random() < 0.6:
            kind, name, val = pick()
            if kind == "password" and R.random() < 0.5:
                d.add("DATABASE_URL=postgres://app:", val, kind, "@%s:5432/app" % R.choice(HOSTS))
            else:
                d.add("%s%s=" % (R.choice(["", "export "]), name), val, kind)
        else:
            n, v = negatives()
            d.add("%s=%s" % (n, v))


def make_yaml(d):
    d.add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:")
    for _ in range(R.randint(3, 8)):
        if R.random() < 0.5:
            kind, name, val = pick()
            d.add("  %s: \"" % name.lower(), val, kind, "\"")
        else:
            n, v = negatives()
            d.add("  %s: \"%s\"" % (n.lower(), v))
        d.add("  replicas: \"%d\"" % R.randint(1, 9))


def make_json(d):
    d.add("{")
    items = []
    for _ in range(R.randint(3, 7)):
        if R.random() < 0.5:
            items.append(pick())
        else:
            items.append((None,) + negatives())
    for i, it in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if it[0]:
            kind, name, val = it
            d.add('  "%s": "' % name.lower(), val, kind, '"' + comma)
        else:
            d.add('  "%s": "%s"%s' % (it[1].lower(), it[2], comma))
    d.add("}")


def make_shell(d):
    d.add("#!/bin/sh\nset -eu")
    for _ in range(R.randint(2, 6)):
        r = R.random()
        kind, name, val = pick()
        if r < 0.3 and kind in ("github-token", "gitlab-token", "jwt", "openai-key"):
            d.add('curl -fsS -H "Authorization: Bearer ', val, kind, '" https://%s/v1/items' % R.choice(HOSTS))
        elif r < 0.6:
            d.add("export %s='" % name, val, kind, "'")
        else:
            n, v = negatives()
            d.add("echo \"%s=%s\" >> build.env" % (n, v))
        d.add("make -j%d build" % R.randint(2, 8))


def make_http(d):
    kind, name, val = pick()
    d.add("POST /v1/messages HTTP/1.1\nHost: %s\nContent-Type: application/json\nUser-Agent: svc/1.4" % R.choice(HOSTS))
    if kind in ("password", "weak-password"):
        userpass = base64.b64encode(("deploy:" + val).encode()).decode()
        d.add("Authorization: Basic ", userpass, "http-basic-auth")
    else:
        d.add("Authorization: Bearer ", val, kind)
    d.add("X-Request-Id: %s\n\n{\"text\": \"hello\"}" % uuid.uuid4())


def make_envdump(d):
    for k in ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "HOSTNAME=web-7d9f8-abcde", "LANG=C.UTF-8"]:
        d.add(k)
    for _ in range(R.randint(2, 6)):
        if R.random() < 0.5:
            kind, name, val = pick()
            d.add(name + "=", val, kind)
        else:
            n, v = negatives()
            d.add(n + "=" + v)
    if R.random() < 0.15:
        d.add("TLS_KEY=", pem(), "private-key")


MAKERS = [("env", make_env), ("yaml", make_yaml), ("json", make_json), ("sh", make_shell),
          ("http", make_http), ("environ", make_envdump)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    if a.seed is not None:
        R.seed(a.seed)
    os.makedirs(os.path.join(a.outdir, "files"), exist_ok=True)
    with open(os.path.join(a.outdir, "labels.jsonl"), "w") as lab:
        for i in range(a.files):
            ext, maker = R.choice(MAKERS)
            d = Doc()
            maker(d)
            path = os.path.join(a.outdir, "files", "f%05d.%s" % (i, ext))
            with open(path, "w") as f:
                f.write("\n".join(d.lines) + "\n")
            for l in d.labels:
                l["path"] = path
                lab.write(json.dumps(l) + "\n")


if __name__ == "__main__":
    main()
