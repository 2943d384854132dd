#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Generate a labelled corpus of credentials inside encodings, for bench/quality.py.

Each file holds one encoding, named by its file name's prefix (the kind its labels carry):
  basic-auth   HTTP requests with Authorization / Proxy-Authorization: Basic base64(user:pass)
               (RFC 7617), as git, package managers and curl -u send them
  base64       Kubernetes Secret data values (base64 of the value, RFC 4648 section 4),
               docker config.json auths.*.auth (base64 of user:password), .npmrc _auth,
               kubeconfig client-key-data (base64 of a PEM key), JSON values
  percent      query strings and application/x-www-form-urlencoded bodies (RFC 3986 section
               2.1: reserved characters as %XX)
  json-escape  JSON strings as encoders write them (RFC 8259 section 7: \\/ from PHP's
               json_encode, \\u0026 \\u003c \\u003e from Go's encoding/json, \\uXXXX)
  userinfo     scheme://user:password@host (RFC 3986 section 3.2.1), the password
               percent-encoded where it has reserved characters
The secrets come from corpus.py's generators (written from the providers' documentation, not
from the rules). Hard negatives sit beside them: base64 of configuration text, of images and
of CA certificates (certificate-authority-data), percent-encoded URLs without credentials, JSON
with escapes and no secret.

usage: quality_encodings.py OUTDIR [--files N] [--seed S]
Writes OUTDIR/files/* and OUTDIR/labels.jsonl as corpus.py does; a label's column and length
are the encoded span's.
"""
import argparse
import base64
import json
import os
import string
import urllib.parse

import corpus
from corpus import ALNUM, R, rs

KINDS = ["basic-auth", "base64", "percent", "json-escape", "userinfo"]
# Secrets a person or a program puts in these places: provider tokens and strong passwords
# (a weak password alone in a Basic header is the http-basic-auth observation's business).
TOKENS = ["github-token", "gitlab-token", "npm-token", "slack-token", "stripe-key", "openai-key",
          "anthropic-key", "gcp-api-key", "sendgrid-key", "huggingface-token",
          "digitalocean-token", "jwt"]
# Brackets, quotes, ',', ';', '<', '>' and '$' are left out: password-assignment does not take
# them in a value (code looks like that), with or without an encoding around it.
SYMBOLS = "!@#%^&*-_=+.:/?~"


# Rules that report an encoded value as it is: the wrong finding for a token or a key inside
# one (its own rule, with its destinations, is the right one).
WRAPPERS = ["http-basic-auth", "docker-config-auth", "generic-secret-assignment",
            "kubeconfig-client-key-data", "password-assignment"]


def inner(d):
    """The last label holds a token or a key: only its own rule finds it."""
    d.labels[-1]["wrong_rules"] = WRAPPERS


def b64(s):
    return base64.b64encode(s.encode()).decode()


def token():
    return corpus.SECRETS[R.choice(TOKENS)][0]()


def password():
    """A generated password with the symbols that need encoding (password managers' style)."""
    p = [R.choice(ALNUM) for _ in range(14)] + [R.choice(SYMBOLS) for _ in range(4)]
    R.shuffle(p)
    return "".join(p)


def aws_secret():
    """40 characters of base64: '+' and '/' are the ones that get escaped."""
    s = rs(ALNUM, 36) + R.choice("+/") + rs(ALNUM + "+/", 3)
    return "".join(R.sample(s, len(s)))


def user():
    return R.choice(["deploy", "ci", "robot$push", "x-access-token", "oauth2", "admin", "svc"])


def pem():
    return corpus.pem() + "\n"


def cert():
    body = base64.b64encode(os.urandom(600)).decode()
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
            + "\n-----END CERTIFICATE-----\n")


def make_basic(d):
    host = R.choice(["github.com", "gitlab.example.org", "registry.npmjs.org", "nexus.internal"])
    d.add("GET /%s HTTP/1.1\nHost: %s\nUser-Agent: git/2.43.0\nAccept: */*" % (rs(string.ascii_lowercase, 6), host))
    for _ in range(R.randint(1, 3)):
        r = R.random()
        secret = token() if r < 0.6 else password()
        cred = b64("%s:%s" % (user(), secret)) if R.random() < 0.85 else b64("%s:" % secret)
        hdr = R.choice(["Authorization", "Proxy-Authorization", "authorization"])
        if R.random() < 0.3:
            d.add("curl -fsS -H '%s: Basic " % hdr, cred, "basic-auth", "' https://%s/api" % host)
        else:
            d.add("%s: Basic " % hdr, cred, "basic-auth")
        if r < 0.6:
            inner(d)
    # no credential: Bearer of a non-secret word, a Basic realm challenge
    d.add('WWW-Authenticate: Basic realm="%s", charset="UTF-8"' % host)
    d.add("Content-Length: 0")


def make_base64(d):
    r = R.random()
    if r < 0.4:
        d.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-%s\ntype: Opaque\ndata:" % rs(string.ascii_lowercase, 4))
        for _ in range(R.randint(1, 4)):
            if R.random() < 0.7:
                k, v = R.choice([("token", token()), ("api-key", token()),
                                 ("database-url", "postgres://app:%s@db:5432/app" % rs(ALNUM, 20)),
                                 ("app.env", "API_TOKEN=%s\n" % token())])
                d.add("  %s: " % k, b64(v), "base64")
                if k != "database-url":
                    inner(d)
            else:  # configuration text, no credential
                d.add("  %s: %s" % (R.choice(["log-level", "region", "config.yaml"]),
                                   b64(R.choice(["info", "eu-west-1-production", "replicas: 3\nport: 8080\n"]))))
    elif r < 0.6:
        d.add('{\n  "auths": {')
        for i in range(R.randint(1, 2)):
            host = R.choice(["ghcr.io", "registry.gitlab.com", "https://index.docker.io/v1/"])
            d.add('    "%s": {' % host)
            d.add('      "auth": "', b64("%s:%s" % (user(), token())), "base64",
                  '"\n    }' + ("," if i == 0 else ""))
            inner(d)
        d.add("  }\n}")
    elif r < 0.75:
        d.add("registry=https://registry.npmjs.org/\nalways-auth=true")
        d.add("_auth=", b64("%s:%s" % (user(), token())), "base64")
        inner(d)
        d.add("email=ci@example.org")
    else:
        d.add("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: %s\n"
              "    server: https://10.0.0.1:6443\n  name: prod\nusers:\n- name: admin\n  user:" % b64(cert()))
        d.add("    client-certificate-data: %s" % b64(cert()))
        d.add("    client-key-data: ", b64(pem()), "base64")
        inner(d)
    d.add("# icon: %s" % base64.b64encode(b"\x89PNG\r\n\x1a\n" + os.urandom(40)).decode())


def pct(s):
    return urllib.parse.quote(s, safe="")


def make_percent(d):
    for _ in range(R.randint(1, 3)):
        r = R.random()
        if r < 0.3:
            hook = "https://hooks.slack.com/services/T%s/B%s/%s" % (
                rs(string.ascii_uppercase + string.digits, 10), rs(string.ascii_uppercase + string.digits, 10),
                rs(ALNUM, 24))
            pre = "GET /notify?channel=ops&webhook="
            d.add(pre, pct(hook), "percent", "&retry=1 HTTP/1.1")
        elif r < 0.6:
            pre = "client_id=%s&client_secret=" % rs(string.hexdigits.lower(), 20)
            d.add(pre, pct(aws_secret()), "percent", "&grant_type=client_credentials")
        elif r < 0.8:
            pre = "username=%s&password=" % user()
            d.add(pre, pct(password()), "percent", "&remember=1")
        else:
            pre = "https://api.example.org/v1/items?api_key="
            d.add(pre, pct(token()), "percent", "&page=2")
    d.add("GET /search?q=%s&redirect=%s HTTP/1.1" % (pct("a/b c&d"), pct("https://example.org/x?y=1")))


def make_json_escape(d):
    d.add("{")
    for _ in range(R.randint(1, 3)):
        r = R.random()
        if r < 0.35:  # PHP json_encode: '/' as '\/'
            v = aws_secret()
            while "/" not in v:
                v = aws_secret()
            d.add('  "aws_secret_access_key": "', v.replace("/", "\\/"), "json-escape", '",')
        elif r < 0.6:
            hook = "https://hooks.slack.com/services/T%s/B%s/%s" % (
                rs(string.ascii_uppercase + string.digits, 10), rs(string.ascii_uppercase + string.digits, 10),
                rs(ALNUM, 24))
            d.add('  "webhook": "', hook.replace("/", "\\/"), "json-escape", '",')
        elif r < 0.8:  # Go encoding/json: <, >, & as \u003c \u003e \u0026
            p = password()
            while "&" not in p:
                p = password()
            esc = json.dumps(p)[1:-1].replace("&", "\\u0026")
            d.add('  "db_password": "', esc, "json-escape", '",')
        else:
            t = token()
            esc = "".join("\\u%04x" % ord(c) if c in "_-" else c for c in t)
            if esc == t:
                esc = "\\u%04x" % ord(t[0]) + t[1:]
            d.add('  "api_token": "', esc, "json-escape", '",')
    d.add('  "homepage": "https:\\/\\/example.org\\/docs",\n  "motd": "caf\\u00e9 \\u0026 bar"\n}')


def make_userinfo(d):
    for _ in range(R.randint(1, 3)):
        r = R.random()
        if r < 0.5:
            p = password()
            pre = R.choice(["DATABASE_URL=postgres://app:", "git clone https://%s:" % user(),
                            "amqp://guest:", "REDIS_URL=redis://default:"])
            d.add(pre, pct(p), "userinfo", "@%s/app" % R.choice(corpus.HOSTS))
        else:
            t = token()
            pre = R.choice(["git clone https://x-access-token:", "https://oauth2:", "remote = https://ci:"])
            d.add(pre, t, "userinfo", "@%s/org/repo.git" % R.choice(["github.com", "gitlab.com"]))
    d.add("mirror = https://%s@example.org/pub" % pct("anonymous user"))


MAKERS = {"basic-auth": make_basic, "base64": make_base64, "percent": make_percent,
          "json-escape": make_json_escape, "userinfo": make_userinfo}


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
            kind = KINDS[i % len(KINDS)]
            d = corpus.Doc()
            MAKERS[kind](d)
            path = os.path.join(a.outdir, "files", "%s-%05d.txt" % (kind, i))
            with open(path, "w") as f:
                f.write("\n".join(d.lines) + "\n")
            for l in d.labels:
                l["path"] = path
                lab.write(json.dumps(l) + "\n")


if __name__ == "__main__":
    main()
