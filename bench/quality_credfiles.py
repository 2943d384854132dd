#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Credential files for bench/quality.py: one generator per format, each written from the
format's own documentation (cited beside it), never from credwatch's parsers or rules.

Each file gets the name its tool looks for, one to four credentials in the places the
documentation puts them, and beside them what is no credential: comments, templates,
commented-out entries, locked accounts, options that are no secret. A weak password is a
credential here (a credential file's password is one whatever its strength); a template
(${VAR}, <password>) is not.

usage: quality_credfiles.py OUTDIR [--files N] [--seed S]   (bench/quality.py --corpus ...)
Writes N files, as many of each format, as OUTDIR/files/credfile-FORMAT-NNNNN/NAME (NAME: what
the tool reads, .netrc, .pgpass, ...) and OUTDIR/labels.jsonl as corpus.py does (kind
"credfile-FORMAT").
"""
import argparse
import base64
import json
import os
import random
import string

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
HOSTS = ["db.corp.internal", "git.corp.internal", "ftp.example.net", "10.0.4.17", "registry.corp.internal",
         "nexus.corp.internal", "pg-replica-2.corp.internal"]
WEAK = ["pass123", "postgres", "admin", "Summer2024!", "welcome1", "root", "changeme", "secret"]


class File:
    """Lines of one file and the labels of what in it is a credential."""

    def __init__(self, R):
        self.R, self.lines, self.labels = R, [], []

    def add(self, prefix, secret=None, suffix=""):
        """A line; when secret is given, a label on it (its column in bytes, 1-based)."""
        if secret is not None:
            self.labels.append((len(self.lines) + 1, len(prefix.encode()) + 1, len(secret.encode())))
        self.lines.append(prefix + (secret or "") + suffix)

    def text(self, crlf=False):
        return ("\r\n" if crlf else "\n").join(self.lines) + ("\r\n" if crlf else "\n")


def rs(R, chars, n):
    return "".join(R.choice(chars) for _ in range(n))


def password(R):
    """What people keep: a weak one now and then, else a random or passphrase-like one."""
    r = R.random()
    if r < 0.25:
        return R.choice(WEAK)
    if r < 0.5:
        return R.choice(["blue", "Harbor", "tiger", "Maple", "orbit"]) + R.choice(["-", "_", "."]) + \
            R.choice(["Lake", "stone", "Rocket", "cloud"]) + str(R.randint(10, 9999))
    return rs(R, ALNUM + "!#%^*_-+@", R.randint(12, 24))


def b64(s):
    return base64.b64encode(s.encode()).decode()


# netrc: ftp(1) and curl's manual: machine/login/password/account tokens, separated by blanks
# or newlines; "default" matches any host; macdef runs to an empty line.
def netrc(R):
    f = File(R)
    f.add("# ~/.netrc")
    for _ in range(R.randint(1, 3)):
        host, pw = R.choice(HOSTS), password(R)
        if R.random() < 0.5:
            f.add("machine %s login %s password " % (host, R.choice(["deploy", "alice", "ci"])), pw)
        else:
            f.add("machine " + host)
            f.add("    login " + R.choice(["deploy", "alice", "ci"]))
            f.add("    password ", pw)
        f.add("")
    f.add("# machine old.corp.internal login x password " + rs(R, ALNUM, 10))
    f.add("machine templated.corp login ci password ${NETRC_PASSWORD}")
    if R.random() < 0.5:
        f.add("default login anonymous password ", "guest@" + R.choice(HOSTS))
    return ".netrc", f


# git-credential-store(1): one "https://user:pass@host" per line, user and password
# percent-encoded.
def git_credentials(R):
    f = File(R)
    for _ in range(R.randint(1, 4)):
        pw = password(R)
        enc = "".join("%%%02X" % ord(c) if c in "@:/%#?" else c for c in pw)
        f.add("https://%s:" % R.choice(["alice", "deploy", "oauth2"]), enc, "@" + R.choice(HOSTS))
    return ".git-credentials", f


# libpq "The Password File": hostname:port:database:username:password, * wildcards, \: and
# \\ escaped, # comments.
def pgpass(R):
    f = File(R)
    f.add("# hostname:port:database:username:password")
    for _ in range(R.randint(1, 4)):
        pw = password(R)
        esc = pw.replace("\\", "\\\\").replace(":", "\\:")
        f.add("%s:%s:%s:%s:" % (R.choice(HOSTS + ["*"]), R.choice(["5432", "*", "6432"]),
                               R.choice(["app", "*", "reporting"]), R.choice(["app", "postgres", "replicator"])), esc)
    f.add("#old-db:5432:*:app:" + rs(R, ALNUM, 12))
    return ".pgpass", f


# MySQL "Using Option Files": [client] and the client programs' groups; password=; # and ;
# comments; values may be quoted.
def my_cnf(R):
    f = File(R)
    f.add("[mysqld]")
    f.add("bind-address = 127.0.0.1")
    f.add("")
    f.add("[client]")
    f.add("user = " + R.choice(["backup", "root", "app"]))
    pw = password(R)
    if R.random() < 0.5:
        f.add("password = \"", pw, "\"")
    else:
        f.add("password=", pw)
    f.add("host = " + R.choice(HOSTS))
    f.add("")
    f.add("[mysqldump]")
    f.add("# password = " + rs(R, ALNUM, 12))
    f.add("single-transaction")
    return ".my.cnf", f


# docker login / config.json reference: auths.REGISTRY.auth = base64("user:password");
# identitytoken for registries using OAuth; credsStore/credHelpers hold no secret.
def docker(R):
    creds, auths = [], {}
    for reg in R.sample(["ghcr.io", "registry.corp.internal", "https://index.docker.io/v1/", "quay.io"], R.randint(1, 3)):
        if R.random() < 0.2:
            auths[reg] = {"identitytoken": rs(R, ALNUM + "-_.", 40)}
            creds.append(auths[reg]["identitytoken"])
        else:
            auths[reg] = {"auth": b64("%s:%s" % (R.choice(["ci", "robot$deploy", "alice"]), password(R)))}
            creds.append(auths[reg]["auth"])
    doc = {"auths": auths, "credsStore": R.choice(["desktop", "pass", "secretservice"])}
    text = json.dumps(doc, indent="\t")
    f = File(R)
    for line in text.split("\n"):
        hit = [c for c in creds if ('"%s"' % c) in line]
        if hit:
            i = line.index('"%s"' % hit[0]) + 1
            f.add(line[:i], hit[0], line[i + len(hit[0]):])
        else:
            f.add(line)
    return os.path.join(".docker", "config.json"), f


# kubectl "Organizing Cluster Access Using kubeconfig Files": users[].user holds token,
# username/password or client-certificate-data/client-key-data (base64 PEM).
def kubeconfig(R):
    f = File(R)
    f.add("apiVersion: v1")
    f.add("clusters:")
    f.add("- cluster:")
    f.add("    certificate-authority-data: " + rs(R, B64, 60))
    f.add("    server: https://%s:6443" % R.choice(HOSTS))
    f.add("  name: prod")
    f.add("contexts:")
    f.add("- context: {cluster: prod, user: admin}")
    f.add("  name: prod")
    f.add("current-context: prod")
    f.add("kind: Config")
    f.add("users:")
    f.add("- name: admin")
    f.add("  user:")
    r = R.random()
    if r < 0.4:
        f.add("    token: ", rs(R, ALNUM, R.choice([40, 64])))
    elif r < 0.7:
        f.add("    username: admin")
        f.add("    password: ", password(R))
    else:
        f.add("    client-certificate-data: " + rs(R, B64, 80))
        pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rs(R, B64, 64) for _ in range(8)) + "\n-----END RSA PRIVATE KEY-----\n"
        f.add("    client-key-data: ", b64(pem))
    f.add("- name: sso")
    f.add("  user:")
    f.add("    exec:")
    f.add("      apiVersion: client.authentication.k8s.io/v1")
    f.add("      command: kubelogin")
    return os.path.join(".kube", "config"), f


# PyPA "The .pypirc file": [distutils] index-servers, then one section per index with
# repository, username, password (configparser: "=" or ":").
def pypirc(R):
    f = File(R)
    f.add("[distutils]")
    f.add("index-servers =")
    f.add("    pypi")
    f.add("    internal")
    f.add("")
    f.add("[pypi]")
    f.add("username = __token__")
    f.add("password = ", "pypi-" + rs(R, ALNUM + "-_", 150))
    f.add("")
    f.add("[internal]")
    f.add("repository = https://%s/pypi/" % R.choice(HOSTS))
    f.add("username: deploy")
    f.add("password: ", password(R))
    return ".pypirc", f


# npm "npmrc" and "config": //host/path/:_authToken, _auth (base64 user:pass), username +
# _password (base64), ${VAR} expansion.
def npmrc(R):
    f = File(R)
    f.add("registry=https://%s/repository/npm/" % R.choice(HOSTS))
    f.add("always-auth=true")
    r = R.random()
    if r < 0.4:
        f.add("//%s/repository/npm/:_authToken=" % R.choice(HOSTS), "NpmToken." + rs(R, ALNUM, 36))
    elif r < 0.7:
        f.add("//%s/repository/npm/:_auth=" % R.choice(HOSTS), b64("deploy:" + password(R)))
    else:
        f.add("//%s/repository/npm/:username=deploy" % R.choice(HOSTS))
        f.add("//%s/repository/npm/:_password=" % R.choice(HOSTS), b64(password(R)))
    f.add("//registry.npmjs.org/:_authToken=${NPM_TOKEN}")
    return ".npmrc", f


def aws_key_id(R, temp=False):
    return ("ASIA" if temp else "AKIA") + rs(R, string.ascii_uppercase + "234567", 16)


# AWS CLI "Configuration and credential file settings": [profile] sections with
# aws_access_key_id, aws_secret_access_key, aws_session_token; credential_process names a
# command (no secret).
def aws(R):
    f = File(R)
    f.add("[default]")
    f.add("aws_access_key_id = ", aws_key_id(R))
    f.add("aws_secret_access_key = ", rs(R, ALNUM + "/+", 40))
    f.add("")
    f.add("[temp]")
    f.add("aws_access_key_id=", aws_key_id(R, True))
    f.add("aws_secret_access_key=", rs(R, ALNUM + "/+", 40))
    f.add("aws_session_token=", "IQoJb3JpZ2luX2VjE" + rs(R, ALNUM + "/+", 300))
    f.add("")
    f.add("[profile sso]")
    f.add("credential_process = /usr/local/bin/aws-vault export --format=json sso")
    f.add("region = eu-west-1")
    return os.path.join(".aws", "credentials"), f


# Google "Service account keys" (JSON key file) and gcloud's application default
# credentials (authorized_user: client_id, client_secret, refresh_token).
def gcloud(R):
    f = File(R)
    if R.random() < 0.5:
        f.add("{")
        f.add('  "type": "service_account",')
        f.add('  "project_id": "shop-%d",' % R.randint(100000, 999999))
        f.add('  "private_key_id": "%s",' % rs(R, HEX, 40))
        pem = "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(rs(R, B64, 64) for _ in range(20)) + "\\n-----END PRIVATE KEY-----\\n"
        f.add('  "private_key": "', pem, '",')
        f.add('  "client_email": "deploy@shop.iam.gserviceaccount.com",')
        f.add('  "client_id": "%d",' % R.randint(10 ** 20, 10 ** 21))
        f.add('  "token_uri": "https://oauth2.googleapis.com/token"')
        f.add("}")
        return "shop-%s.json" % rs(R, HEX, 12), f
    f.add("{")
    f.add('  "account": "",')
    f.add('  "client_id": "%d-%s.apps.googleusercontent.com",' % (R.randint(10 ** 11, 10 ** 12), rs(R, string.ascii_lowercase + string.digits, 32)))
    f.add('  "quota_project_id": "shop-prod",')
    f.add('  "refresh_token": "', "1//0" + rs(R, ALNUM + "-_", 100), '",')
    f.add('  "type": "authorized_user",')
    f.add('  "universe_domain": "googleapis.com"')
    f.add("}")
    return os.path.join(".config", "gcloud", "application_default_credentials.json"), f


# s3cmd's --configure output: [default] access_key, secret_key, plus many options.
def s3cfg(R):
    f = File(R)
    f.add("[default]")
    f.add("access_key = ", aws_key_id(R))
    f.add("bucket_location = EU")
    f.add("host_base = s3.amazonaws.com")
    f.add("secret_key = ", rs(R, ALNUM + "/+", 40))
    f.add("use_https = True")
    f.add("gpg_passphrase = ")
    return ".s3cfg", f


# Apache htpasswd(1): user:hash with bcrypt ($2y$), MD5 ($apr1$), SHA1 ({SHA}), crypt.
def htpasswd(R):
    f = File(R)
    for user in R.sample(["admin", "ci", "grafana", "alice", "bob"], R.randint(1, 4)):
        kind = R.choice(["bcrypt", "apr1", "sha"])
        if kind == "bcrypt":
            h = "$2y$%02d$" % R.choice([5, 10, 12]) + rs(R, ALNUM + "./", 53)
        elif kind == "apr1":
            h = "$apr1$" + rs(R, ALNUM + "./", 8) + "$" + rs(R, ALNUM + "./", 22)
        else:
            h = "{SHA}" + rs(R, B64, 27) + "="
        f.add(user + ":", h)
    return ".htpasswd", f


# shadow(5): name:password:lastchg:min:max:warn:inactive:expire:; "*" and "!" lock, "!"
# before a hash locks it too.
def shadow(R):
    f = File(R)
    f.add("root:", "$6$" + rs(R, ALNUM + "./", 16) + "$" + rs(R, ALNUM + "./", 86), ":19700:0:99999:7:::")
    for u in ["daemon", "bin", "sys", "www-data", "nobody"]:
        f.add("%s:%s:19700:0:99999:7:::" % (u, R.choice(["*", "!", "!!"])))
    f.add("deploy:", "$y$j9T$" + rs(R, ALNUM + "./", 22) + "$" + rs(R, ALNUM + "./", 43), ":19800:0:99999:7:::")
    return "shadow", f


# PuTTY's "PPK file format": header, Encryption, Comment, Public-Lines, Private-Lines,
# Private-MAC.
def ppk(R):
    f = File(R)
    f.add("", "PuTTY-User-Key-File-3: ssh-ed25519")
    f.add("Encryption: " + R.choice(["none", "aes256-cbc"]))
    f.add("Comment: eddsa-key-2024")
    f.add("Public-Lines: 2")
    f.add("AAAAC3NzaC1lZDI1NTE5AAAAI" + rs(R, B64, 39))
    f.add(rs(R, B64, 4))
    f.add("Private-Lines: 1")
    f.add(rs(R, B64, 44))
    f.add("Private-MAC: " + rs(R, HEX, 64))
    return "deploy.ppk", f


# OpenSSH PROTOCOL.key: "openssh-key-v1\0", then cipher name, kdf name, ... base64 in PEM-like
# armour.
def openssh(R):
    import struct
    cipher = R.choice(["none", "aes256-ctr"])
    kdf = "none" if cipher == "none" else "bcrypt"
    raw = b"openssh-key-v1\0"
    for s in (cipher, kdf):
        raw += struct.pack(">I", len(s)) + s.encode()
    raw += struct.pack(">I", 0) + struct.pack(">I", 1) + os.urandom(R.randint(300, 400))
    body = base64.b64encode(raw).decode()
    f = File(R)
    f.add("", "-----BEGIN OPENSSH PRIVATE KEY-----")
    for i in range(0, len(body), 70):
        f.add(body[i:i + 70])
    f.add("-----END OPENSSH PRIVATE KEY-----")
    return os.path.join(".ssh", "id_ed25519"), f


# Django settings: SECRET_KEY and DATABASES[...]["PASSWORD"]; values from os.environ are no
# literal.
def django(R):
    f = File(R)
    f.add("import os")
    f.add("from pathlib import Path")
    f.add("BASE_DIR = Path(__file__).resolve().parent.parent")
    f.add("SECRET_KEY = '", "django-insecure-" + rs(R, string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)", 50), "'")
    f.add("DEBUG = False")
    f.add("DATABASES = {")
    f.add("    'default': {")
    f.add("        'ENGINE': 'django.db.backends.postgresql',")
    f.add("        'NAME': 'shop',")
    if R.random() < 0.5:
        f.add("        'PASSWORD': '", password(R), "',")
    else:
        f.add("        'PASSWORD': os.environ['DB_PASSWORD'],")
    f.add("    }")
    f.add("}")
    return os.path.join("shop", "settings.py"), f


# WordPress "Editing wp-config.php": define('DB_PASSWORD', ...), eight keys and salts.
def wordpress(R):
    f = File(R)
    f.add("<?php")
    f.add("define( 'DB_NAME', 'wordpress' );")
    f.add("define( 'DB_USER', 'wp' );")
    f.add("define( 'DB_PASSWORD', '", password(R).replace("'", ""), "' );")
    f.add("define( 'DB_HOST', 'localhost' );")
    for k in ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY"]:
        f.add("define( '%s', %s'" % (k, " " * R.randint(0, 8)), rs(R, ALNUM + "!#%^*()-_=+[]{}|;:,.<>?~", 64), "' );")
    f.add("$table_prefix = 'wp_';")
    return "wp-config.php", f


# Laravel "Configuration": .env with APP_KEY=base64:..., DB_PASSWORD, MAIL_PASSWORD.
def laravel(R):
    f = File(R)
    f.add("APP_NAME=Shop")
    f.add("APP_ENV=production")
    f.add("APP_KEY=", "base64:" + base64.b64encode(os.urandom(32)).decode())
    f.add("DB_CONNECTION=mysql")
    f.add("DB_PASSWORD=", password(R).replace("#", ""))
    f.add("REDIS_PASSWORD=null")
    f.add("MAIL_PASSWORD=")
    return ".env", f


# Rails: config/master.key (32 hex) and config/secrets.yml secret_key_base.
def rails(R):
    f = File(R)
    if R.random() < 0.5:
        f.add("", rs(R, HEX, 32))
        return os.path.join("config", "master.key"), f
    f.add("development:")
    f.add("  secret_key_base: ", rs(R, HEX, 128))
    f.add("production:")
    f.add('  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>')
    return os.path.join("config", "secrets.yml"), f


# FileZilla's sitemanager.xml: <Server> with <Host>, <User>, <Pass encoding="base64">.
def filezilla(R):
    f = File(R)
    f.add('<?xml version="1.0" encoding="UTF-8"?>')
    f.add('<FileZilla3 version="3.66.1" platform="windows">')
    f.add("\t<Servers>")
    for _ in range(R.randint(1, 3)):
        f.add("\t\t<Server>")
        f.add("\t\t\t<Host>%s</Host>" % R.choice(HOSTS))
        f.add("\t\t\t<Port>21</Port>")
        f.add("\t\t\t<User>deploy</User>")
        f.add('\t\t\t<Pass encoding="base64">', b64(password(R)), "</Pass>")
        f.add("\t\t</Server>")
    f.add("\t</Servers>")
    f.add("</FileZilla3>")
    return os.path.join(".config", "filezilla", "sitemanager.xml"), f


# WinSCP "Configuration (INI)": [Sessions\NAME] with HostName, UserName, Password (hex).
def winscp(R):
    f = File(R)
    f.add("[Configuration\\Interface]")
    f.add("RandomSeedFile=%APPDATA%\\winscp.rnd")
    for _ in range(R.randint(1, 3)):
        f.add("[Sessions\\deploy@%s]" % R.choice(HOSTS))
        f.add("HostName=" + R.choice(HOSTS))
        f.add("UserName=deploy")
        f.add("Password=", rs(R, "0123456789ABCDEF", R.choice([38, 54, 70])))
    return "WinSCP.ini", f


# VS Code SFTP extension's sftp.json: host, username, password or privateKeyPath.
def sftp_json(R):
    f = File(R)
    f.add("{")
    f.add('    "name": "prod",')
    f.add('    "host": "%s",' % R.choice(HOSTS))
    f.add('    "protocol": "sftp",')
    f.add('    "port": 22,')
    f.add('    "username": "www",')
    f.add('    "password": "', password(R), '",')
    f.add('    "remotePath": "/var/www/html",')
    f.add('    "uploadOnSave": true')
    f.add("}")
    return os.path.join(".vscode", "sftp.json"), f


# DBeaver's data-sources.json: connections.ID.configuration with host, user, password when
# "save-password" is on.
def dbeaver(R):
    f = File(R)
    f.add("{")
    f.add('\t"folders": {},')
    f.add('\t"connections": {')
    f.add('\t\t"postgres-jdbc-18c0a1b2c3d-1": {')
    f.add('\t\t\t"provider": "postgresql",')
    f.add('\t\t\t"save-password": true,')
    f.add('\t\t\t"configuration": {')
    f.add('\t\t\t\t"host": "%s",' % R.choice(HOSTS))
    f.add('\t\t\t\t"port": "5432",')
    f.add('\t\t\t\t"user": "app",')
    f.add('\t\t\t\t"password": "', password(R), '",')
    f.add('\t\t\t\t"auth-model": "native"')
    f.add("\t\t\t}")
    f.add("\t\t}")
    f.add("\t}")
    f.add("}")
    return os.path.join(".local", "share", "DBeaverData", "workspace6", "General", ".dbeaver", "data-sources.json"), f


FORMATS = [("netrc", netrc), ("git-credentials", git_credentials), ("pgpass", pgpass), ("my.cnf", my_cnf),
           ("docker", docker), ("kubeconfig", kubeconfig), ("pypirc", pypirc), ("npmrc", npmrc), ("aws", aws),
           ("gcloud", gcloud), ("s3cfg", s3cfg), ("htpasswd", htpasswd), ("shadow", shadow), ("ppk", ppk),
           ("openssh", openssh), ("django", django), ("wordpress", wordpress), ("laravel", laravel),
           ("rails", rails), ("filezilla", filezilla), ("winscp", winscp), ("sftp.json", sftp_json),
           ("dbeaver", dbeaver)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    R = random.Random(a.seed)
    with open(os.path.join(a.outdir, "labels.jsonl"), "w") as lab:
        for i in range(a.files):
            name, gen = FORMATS[i % len(FORMATS)]
            rel, f = gen(R)
            path = os.path.join(a.outdir, "files", "credfile-%s-%05d" % (name, i), rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", newline="") as out:
                out.write(f.text(crlf=name in ("winscp", "netrc") and R.random() < 0.3))
            for line, col, length in f.labels:
                lab.write(json.dumps({"path": path, "line": line, "column": col, "length": length,
                                      "kind": "credfile-" + name}) + "\n")


if __name__ == "__main__":
    main()
