# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The container image, built offline by scripts/build-image (buildah, FROM scratch from the
built ./credwatch) and run with buildah: it holds the agent and every library it loads and
nothing else, and the agent runs in it as the DaemonSet runs it: the node's pid namespace,
the node's / read-only at /host, only docs/capabilities.md's capabilities. Root only (buildah
and BPF); run it under the BPF lock: flock /tmp/cw-bpf.lock python3 -m pytest ...test_image.py"""
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tarfile
import tempfile

import pytest

from cwtest import BIN, KeyFile, github_token, require_root, running_agent

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "scripts", "build-image")
POD_IP = "192.0.2.10"  # TEST-NET-1, only ever inside the container's own network namespace


def doc_capabilities():
    with open(os.path.join(ROOT, "docs", "capabilities.md")) as f:
        m = re.search(r"^```capabilities\n(.*?)^```", f.read(), re.M | re.S)
    return [c.strip() for c in m.group(1).splitlines() if c.strip()]


def kernel_capabilities():
    """Every capability name this kernel's headers define: [(name, bit)]."""
    with open("/usr/include/linux/capability.h") as f:
        caps = re.findall(r"^#define (CAP_[A-Z_]+)\s+(\d+)\s*$", f.read(), re.M)
    return [(n, int(b)) for n, b in caps if n != "CAP_LAST_CAP"]


def own_bounding_set():
    with open("/proc/self/status") as f:
        return int(re.search(r"^CapBnd:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)


class Image:
    def __init__(self, storage, tag, archive, runtime):
        self.buildah = ["buildah", "--root", storage + "/root", "--runroot",
                        storage + "/runroot", "--storage-driver", "vfs"]
        self.tag, self.archive, self.runtime = tag, archive, runtime

    def cmd(self, *args, **kw):
        return subprocess.run(self.buildah + list(args), capture_output=True, text=True,
                              timeout=kw.get("timeout", 60))

    @contextlib.contextmanager
    def container(self, *from_opts):
        r = self.cmd("from", *from_opts, self.tag)
        assert r.returncode == 0, "buildah from %s: %s" % (self.tag, r.stderr)
        ctr = r.stdout.strip().splitlines()[-1]
        try:
            yield ctr
        finally:
            self.cmd("rm", ctr)

    def run_argv(self, ctr, *opts):
        """buildah run's command line up to the container's command."""
        return self.buildah + ["run", "--runtime", self.runtime, *opts, ctr, "--"]

    def run(self, *cmd, opts=()):
        with self.container() as ctr:
            return subprocess.run(self.run_argv(ctr, "--network", "none", *opts) + list(cmd),
                                  capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def image():
    require_root()
    if not shutil.which("buildah"):
        pytest.skip("buildah is not installed (scripts/setup installs it): scripts/build-image "
                    "builds the image with it")
    runtime = shutil.which("runc") or shutil.which("crun")
    if not runtime:
        pytest.skip("no OCI runtime to run the image (scripts/setup installs runc)")
    if not os.access(BIN, os.X_OK):
        pytest.skip("no built agent at %s (make)" % BIN)
    storage = tempfile.mkdtemp(prefix="cw-image-", dir="/var/tmp")
    archive = os.path.join(storage, "credwatch.tar")
    r = subprocess.run([BUILD, "--binary", BIN, "--storage", storage, "--save", archive],
                       capture_output=True, text=True, timeout=120)
    try:
        assert r.returncode == 0, "scripts/build-image: " + r.stderr
        img = Image(storage, r.stdout.strip().splitlines()[-1], archive, runtime)
        probe = img.run("/usr/bin/credwatch", "version")
        if probe.returncode and "cgroups in hybrid mode" in probe.stderr:
            pytest.skip("%s cannot run containers on this host's hybrid cgroups (install "
                        "runc): %s" % (runtime, probe.stderr.strip()))
        yield img
    finally:
        subprocess.run(["buildah", "--root", storage + "/root", "--runroot",
                        storage + "/runroot", "--storage-driver", "vfs", "rm", "--all"],
                       capture_output=True)
        shutil.rmtree(storage, True)


def version():
    return subprocess.run([BIN, "--version"], capture_output=True, text=True,
                          check=True).stdout.split()[1]


def test_image_builds_offline_tagged_and_saved_as_an_oci_archive(image):
    assert image.tag == "credwatch:" + version()
    with tarfile.open(image.archive) as t:
        names = set(t.getnames())
        assert {"oci-layout", "index.json"} <= {n.lstrip("./") for n in names}, sorted(names)
        index = json.load(t.extractfile([m for m in t.getmembers()
                                         if m.name.lstrip("./") == "index.json"][0]))
    refs = [m.get("annotations", {}).get("org.opencontainers.image.ref.name")
            for m in index["manifests"]]
    assert any(r and r.endswith(version()) for r in refs), refs
    cfg = json.loads(image.cmd("inspect", "--type", "image", image.tag).stdout)
    oci = cfg["OCIv1"]["config"]
    assert oci["Entrypoint"] == ["/usr/bin/credwatch", "run", "--config",
                                 "/etc/credwatch/credwatch.yaml"], oci
    assert oci["User"] == "0:0", "the agent runs as root (its capabilities limit it)"


def test_image_holds_the_agent_its_libraries_and_nothing_else(image):
    libs = subprocess.run(["ldd", BIN], capture_output=True, text=True, check=True).stdout
    want_libs = set(re.findall(r"=> (/\S+)", libs)) | set(re.findall(r"^\s*(/\S+) \(", libs,
                                                                      re.M))
    with image.container() as ctr:
        mnt = image.cmd("mount", ctr).stdout.strip()
        try:
            files = set()
            for d, _, fs in os.walk(mnt):
                files |= {"/" + os.path.relpath(os.path.join(d, f), mnt) for f in fs}
        finally:
            image.cmd("umount", ctr)
    expected = want_libs | {"/usr/bin/credwatch", "/etc/credwatch/credwatch.yaml",
                            "/etc/ssl/certs/ca-certificates.crt", "/etc/passwd", "/etc/group",
                            "/etc/nsswitch.conf"}
    assert files == expected, "missing %s; extra %s" % (sorted(expected - files),
                                                        sorted(files - expected))


def test_the_agent_runs_in_the_image(image):
    r = image.run("/usr/bin/credwatch", "--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "credwatch " + version()
    r = image.run("/usr/bin/credwatch", "rules", "check")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert re.search(r"\d+ rules .*: ok \(0 problems\)", r.stdout), r.stdout[-500:]


def test_dockerfile_builds_and_its_image_runs_the_agent():
    """The Dockerfile itself, built by buildah on Debian bases made here with debootstrap
    (no registry serves debian:bookworm here): the agent compiles in the build stage and
    runs in the runtime stage with every library it links. Opt-in: it downloads the build
    dependencies from Debian's mirror and takes about two minutes."""
    require_root()
    if os.environ.get("CREDWATCH_TEST_DOCKERFILE") != "1":
        pytest.skip("set CREDWATCH_TEST_DOCKERFILE=1 to build the Dockerfile (debootstrap "
                    "and apt from Debian's mirror, about two minutes)")
    for tool in ("buildah", "runc", "debootstrap"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (scripts/setup installs it)" % tool)
    storage = tempfile.mkdtemp(prefix="cw-dockerfile-", dir="/var/tmp")
    img = Image(storage, "credwatch:0.0.0-dockerfile", None, shutil.which("runc"))
    try:
        r = subprocess.run([BUILD, "--storage", storage, "--dockerfile", "--local-debian",
                            "--tag", img.tag], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, "scripts/build-image --dockerfile: " + r.stderr[-3000:]
        r = img.run("/usr/bin/credwatch", "--version")
        assert r.stdout.strip() == "credwatch 0.0.0-dockerfile", r.stdout + r.stderr
        r = img.run("/usr/bin/ldd", "/usr/bin/credwatch")
        assert r.returncode == 0 and "not found" not in r.stdout, r.stdout + r.stderr
        r = img.run("/usr/bin/credwatch", "rules", "check")
        assert r.returncode == 0 and "ok (0 problems)" in r.stdout, r.stdout[-500:] + r.stderr
        oci = json.loads(img.cmd("inspect", "--type", "image", img.tag).stdout)["OCIv1"]
        assert oci["config"]["Entrypoint"] == ["/usr/bin/credwatch", "run", "--config",
                                               "/etc/credwatch/credwatch.yaml"]
        r = img.run("/bin/ls", "/etc/ssl/certs/ca-certificates.crt")
        assert r.returncode == 0, "the runtime stage has no CA bundle: " + r.stderr
    finally:
        img.cmd("rm", "--all")
        shutil.rmtree(storage, True)


def container_caps():
    """docs/capabilities.md's list, less what this machine itself lacks (a container cannot
    get a capability outside its parent's bounding set); and the ones left out."""
    bnd, bits = own_bounding_set(), dict(kernel_capabilities())
    want = doc_capabilities()
    have = [c for c in want if bnd >> bits[c] & 1]
    return have, [c for c in want if c not in have]


@contextlib.contextmanager
def agent_in_image(image, key, *args):
    """The agent in the image as the DaemonSet runs it: the node's pid namespace, its / at
    /host (read-only, slave propagation), tracefs, the key; only docs/capabilities.md's
    capabilities (buildah's --cap-drop all would also drop the added ones, so every other
    capability is dropped by name); seccomp unconfined, as the manifests' seccompProfile."""
    caps, lacking = container_caps()
    if not {"CAP_BPF", "CAP_PERFMON"} <= set(caps):
        pytest.skip("this machine's bounding set lacks CAP_BPF or CAP_PERFMON")
    drops = [o for n, _ in kernel_capabilities() if n not in caps for o in ("--cap-drop", n)]
    adds = [o for c in caps for o in ("--cap-add", c)]
    with image.container("--security-opt", "seccomp=unconfined") as ctr:
        argv = image.run_argv(ctr, "--network", "none", "--pid", "host", *drops, *adds,
                              "-v", "/:/host:ro,rslave",
                              "-v", "/sys/kernel/tracing:/sys/kernel/tracing:ro",
                              "-v", "%s:%s:ro" % (key.dir, key.dir))
        # running_agent runs [*wrap, BIN, "run", ...]: the shell drops BIN for the image's.
        wrap = ["/bin/sh", "-c", 'shift; exec %s /usr/bin/credwatch "$@"' % " ".join(
            shlex.quote(a) for a in argv), "sh"]
        with running_agent(*args, key=key, wrap=wrap) as agent:
            yield agent, lacking
            stop_in_container(agent, key.path)


def pid_in_container(marker):
    """The agent's pid in the container, as the node's pid namespace shows it: the process
    of /usr/bin/credwatch whose arguments hold marker (its key file: one per test)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0] == b"/usr/bin/credwatch" and marker.encode() in argv:
            return int(pid)
    raise AssertionError("the agent's process in the container was not found")


def stop_in_container(agent, marker):
    """SIGINT to the agent itself: buildah run answers a signal by killing the container,
    which is no clean stop."""
    os.kill(pid_in_container(marker), signal.SIGINT)
    agent.proc.wait(20)


def get_in_netns(pid, url):
    """GET url from inside pid's network namespace, as the kubelet's probe reaches the pod:
    (HTTP status, body)."""
    r = subprocess.run(["nsenter", "-t", str(pid), "-n", "curl", "-s", "-o", "-", "-w",
                        "\n%{http_code}", "--max-time", "5", url],
                       capture_output=True, text=True, timeout=15)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def argv_alert(agent, key):
    token = github_token()
    p = subprocess.Popen(["/bin/true", "--token=" + token], stdout=subprocess.DEVNULL)
    p.wait()
    hits = agent.wait_for(lambda l: l["process"]["pid"] == p.pid and
                          l["event"]["action"] == "credential-in-argv")
    assert len(hits) == 1, agent.stderr()
    a = hits[0]
    assert a["credwatch"]["credential"]["fingerprint"] == key.fingerprint(token)
    assert a["process"]["executable"] == "/bin/true"
    return token


def test_agent_in_the_image_with_only_the_documented_capabilities(image):
    """A host process's argv credential, seen by the agent in the image with the node's pid
    namespace: its pid is the node's."""
    key = KeyFile()
    cfg = os.path.join(key.dir, "config.yaml")
    with open(cfg, "w") as f:  # the image's own config needs --host-root (the next test)
        f.write("outputs: [stdout]\n")
    with agent_in_image(image, key, "--config", cfg, "--status-file", "none",
                        "--metrics", "0.0.0.0:9464") as (agent, lacking):
        token = argv_alert(agent, key)
        # the DaemonSet's liveness probe: GET /metrics on the pod's address (not its
        # loopback), port 9464. The container's network namespace is the test's own: it
        # gets a documentation address as its "pod IP".
        pid = pid_in_container(key.path)
        subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "addr", "add", POD_IP + "/32",
                        "dev", "lo"], check=True)
        status, body = get_in_netns(pid, "http://%s:9464/metrics" % POD_IP)
        assert status == 200, (status, body[:300], agent.stderr())
        assert re.search(r"^credwatch_\w+ ", body, re.M), body[:500]
    assert agent.returncode == 0, agent.stderr()
    agent.assert_no_plaintext(token)
    if lacking:  # said, not hidden: the rest of the list was enough here
        print("capabilities this machine cannot give a container: %s" % lacking)


def test_agent_in_the_image_with_host_root(image):
    """The image's own config (host_root: /host, outputs stdout): the agent reads the node
    through /host and probes the node's TLS libraries."""
    help_text = subprocess.run([BIN, "run", "--help"], capture_output=True, text=True).stdout
    if "--host-root" not in help_text:
        pytest.skip("credwatch run has no --host-root flag yet (issue 22 item 2): the agent in "
                    "the image with the node's / at /host and --host-root /host is not tested")
    key = KeyFile()
    with agent_in_image(image, key, "--status-file", "none") as (agent, _):
        token = argv_alert(agent, key)
        running = [l for l in agent.stderr().splitlines() if "credwatch: running:" in l][0]
    assert agent.returncode == 0, agent.stderr()
    agent.assert_no_plaintext(token)
    n = int(re.search(r"TLS probes on (\d+) files", running).group(1))
    assert n > 0, "the node's TLS libraries (under /host) got no probes: " + running
