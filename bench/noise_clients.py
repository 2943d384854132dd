# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The programs a noise-benchmark day runs, as their sources: each does what the real tool
does on the wire (reads its credential the way that tool does, sends it the way that tool
does), and exits non-zero when the provider refused it."""

# A CI job's notification step (ci/notify.py in the checked-out repository): a Slack bot
# token from the mounted secret, as an SDK reads SLACK_BOT_TOKEN_FILE.
NOTIFY = r'''
import json, sys, urllib.request
tok = open("/var/run/secrets/slack/bot-token").read().strip()
req = urllib.request.Request(
    "https://slack.com/api/chat.postMessage",
    data=json.dumps({"channel": "#builds", "text": sys.argv[1]}).encode(),
    headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json; charset=utf-8"})
assert json.load(urllib.request.urlopen(req, timeout=20))["ok"]
'''

# client-go's in-cluster config: KUBERNETES_SERVICE_HOST/PORT (an IP: no SNI, Host is the
# IP), the service-account token and CA from the projected volume, Bearer auth; a controller
# lists what it watches and renews its leader-election lease on one connection.
KUBE_CLIENT = r'''
import http.client, os, ssl, sys
SA = "/var/run/secrets/kubernetes.io/serviceaccount"
token_file = sys.argv[1] if len(sys.argv) > 1 else SA + "/token"
host, port = os.environ["KUBERNETES_SERVICE_HOST"], int(os.environ["KUBERNETES_SERVICE_PORT"])
ns = open(SA + "/namespace").read().strip()
tok = open(token_file).read().strip()
ctx = ssl.create_default_context(cafile=SA + "/ca.crt")
c = http.client.HTTPSConnection(host, port, context=ctx, timeout=20)
h = {"Authorization": "Bearer " + tok, "Accept": "application/json, */*",
     "User-Agent": "cert-sync/v0.0.0 (linux/amd64) kubernetes/$Format"}
for path in ("/api/v1/namespaces/%s/secrets?limit=500" % ns,
             "/apis/coordination.k8s.io/v1/namespaces/%s/leases/cert-sync" % ns):
    c.request("GET", path, headers=h)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
'''

# The kubelet's sync: its client certificate (kubelet-client-current.pem, key included) for
# the API server endpoint of its kubeconfig, then the projected and secret volumes' files,
# read back the way its AtomicWriter compares them before deciding to rewrite.
KUBELET_SYNC = r'''
import glob, http.client, os, ssl
PKI = "/var/lib/kubelet/pki"
ctx = ssl.create_default_context(cafile=PKI + "/ca.crt")
ctx.load_cert_chain(PKI + "/kubelet-client-current.pem")
c = http.client.HTTPSConnection(os.environ["CW_APISERVER"], 6443, context=ctx, timeout=20)
for path in ("/api/v1/nodes/node-1", "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1"):
    c.request("GET", path, headers={"User-Agent": "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
n = 0
for vol in glob.glob("/var/lib/kubelet/pods/*/volumes/kubernetes.io~*/*/"):
    for name in os.listdir(vol):
        if not name.startswith(".."):
            with open(os.path.join(vol, name), "rb") as f:
                f.read()
            n += 1
assert n, "no volume files"
'''

# A service's start: python-dotenv style, then its provider's API.
LEDGER_SYNC = r'''
import urllib.request
env = dict(l.split("=", 1) for l in open("/opt/ledger-sync/.env").read().splitlines()
           if "=" in l and not l.startswith("#"))
req = urllib.request.Request("https://api.stripe.com/v1/balance", headers={
    "Authorization": "Bearer " + env["STRIPE_API_KEY"], "Stripe-Version": "2024-06-20",
    "User-Agent": "Stripe/v1 PythonBindings/10.1.0"})
urllib.request.urlopen(req, timeout=20).read()
'''

# A developer's GitHub tool: GITHUB_TOKEN from the environment, GitHub's REST API.
GH_STATS = r'''
import json, os, sys, urllib.request
api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
req = urllib.request.Request(api + "/repos/" + sys.argv[1], headers={
    "Authorization": "Bearer " + os.environ["GITHUB_TOKEN"],
    "Accept": "application/vnd.github+json", "User-Agent": "gh-stats/1.0"})
json.load(urllib.request.urlopen(req, timeout=20))
'''

# `aws sts get-caller-identity`: the key pair from ~/.aws/credentials, a SigV4-signed request;
# the access key id goes out in the Authorization header, the secret key only as a signature.
AWS_WHOAMI = r'''
import configparser, datetime, hashlib, hmac, os, urllib.request
c = configparser.ConfigParser()
c.read(os.path.expanduser("~/.aws/credentials"))
kid, sec = c["default"]["aws_access_key_id"], c["default"]["aws_secret_access_key"]
body = b"Action=GetCallerIdentity&Version=2011-06-15"
now = datetime.datetime.now(datetime.timezone.utc)
amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
host, ctype = "sts.amazonaws.com", "application/x-www-form-urlencoded; charset=utf-8"
signed = "content-type;host;x-amz-date"
canon = "\n".join(["POST", "/", "", "content-type:%s\nhost:%s\nx-amz-date:%s\n" % (ctype, host, amz),
                   signed, hashlib.sha256(body).hexdigest()])
scope = "%s/us-east-1/sts/aws4_request" % day
sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
k = ("AWS4" + sec).encode()
for m in (day, "us-east-1", "sts", "aws4_request"):
    k = hmac.new(k, m.encode(), hashlib.sha256).digest()
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request("https://%s/" % host, data=body, method="POST", headers={
    "Content-Type": ctype, "X-Amz-Date": amz, "User-Agent": "aws-cli/2.15.0 Python/3.11",
    "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                     % (kid, scope, signed, sig)})
urllib.request.urlopen(req, timeout=20).read()
'''

# The shim in front of a tool, as pyenv, asdf and venv launchers are: a shell script that
# works out which environment to use (basename, readlink, dirname), then execs its python.
SHIM = r'''#!/usr/bin/env bash
set -e
prog=$(basename "$0")
here=$(dirname "$(readlink -f "$0")")
exec "$HOME/venvs/tools/bin/python" "$HOME/venvs/tools/lib/$prog.py" "$@"
'''

# A shell's step helper: run a command, say "STEP NAME ok" or "STEP NAME fail" (the
# command's own output goes to a log that stays in the workload).
STEP_FN = r'''step() {
	n=$1; shift; : >"$STEPLOG"
	if "$@" >"$STEPLOG" 2>&1; then echo "STEP $n ok"
	else echo "STEP $n fail rc=$?: $(tail -c 300 "$STEPLOG" | tr '\n' ' ')"; fi
}
'''
