# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The Kubernetes deployment, offline: the kustomize base and overlays (deploy/kubernetes)
rendered by `kubectl kustomize`, the Helm chart (deploy/helm/credwatch) rendered by
tests/deploy/helmrender (text/template + sprig + Helm's functions, since no helm binary can be
installed here), and structural checks of what they render with python3-yaml: mounts name
volumes, hostPaths are the ones docs/kubernetes.md lists, capabilities are docs/capabilities.md's,
RBAC grants no more than it should, the agent's config parses and the agent's loader accepts
it. Not root-only; nothing here loads BPF."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.environ.get("CREDWATCH_BIN", os.path.join(ROOT, "credwatch")))
KDIR = os.path.join(ROOT, "deploy", "kubernetes")
CHART = os.path.join(ROOT, "deploy", "helm", "credwatch")
OVERLAYS = sorted(d for d in os.listdir(os.path.join(KDIR, "overlays"))
                  if os.path.isdir(os.path.join(KDIR, "overlays", d)))
VALUES_ALL = os.path.join(ROOT, "tests", "deploy", "values-all.yaml")
GOPATH = "/usr/share/gocode"  # Debian's Go packages (GOPATH mode)


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def doc_capabilities():
    """docs/capabilities.md's ```capabilities block, as Kubernetes writes them (no CAP_)."""
    m = re.search(r"^```capabilities\n(.*?)^```", read("docs", "capabilities.md"), re.M | re.S)
    assert m, "docs/capabilities.md has no ```capabilities block"
    caps = [c.strip() for c in m.group(1).splitlines() if c.strip()]
    assert caps and all(c.startswith("CAP_") for c in caps), caps
    return [c[len("CAP_"):] for c in caps]


def doc_hostpaths():
    """docs/kubernetes.md's table of host paths: {hostPath: (mountPath, read_only)}."""
    rows = re.findall(r"^\| `(/[^`]*)` \| `(/[^`]*)` \| (read-only|read-write) \|",
                      read("docs", "kubernetes.md"), re.M)
    assert rows, "docs/kubernetes.md has no table of host paths"
    return {h: (m, rw == "read-only") for h, m, rw in rows}


def kustomize(path):
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed: kubectl kustomize renders the manifests")
    r = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, "kubectl kustomize %s: %s" % (path, r.stderr)
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def go_env():
    """Go in GOPATH mode over Debian's packages (the renderer's sprig and yaml.v2)."""
    if not shutil.which("go"):
        pytest.skip("go is not installed (scripts/setup installs golang-go): it builds "
                    "tests/deploy/helmrender, the chart renderer")
    if not os.path.isdir(os.path.join(GOPATH, "src", "github.com", "Masterminds", "sprig")):
        pytest.skip("golang-github-masterminds-sprig-dev is not installed (scripts/setup "
                    "installs it): the chart renderer uses sprig, as Helm does")
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="")
    env.setdefault("GOCACHE", os.path.join(tempfile.gettempdir(), "cw-helmrender-gocache"))
    return env


@pytest.fixture(scope="module")
def helmrender():
    """tests/deploy/helmrender, built once for the module."""
    env = go_env()
    out = tempfile.mkdtemp(prefix="cw-helmrender-")
    exe = os.path.join(out, "helmrender")
    r = subprocess.run(["go", "build", "-o", exe, "./tests/deploy/helmrender"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, "building tests/deploy/helmrender: " + r.stderr
    yield exe
    shutil.rmtree(out, True)


def test_chart_renderer_follows_helms_rules():
    """The renderer's own tests (tests/deploy/helmrender/main_test.go): --set syntax,
    coalescing with null removal, toYaml's form, include, tpl, required, .Files."""
    r = subprocess.run(["go", "test", "./tests/deploy/helmrender"], cwd=ROOT, env=go_env(),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def render(exe, *args, namespace="credwatch"):
    return subprocess.run([exe, "--namespace", namespace, *args, CHART], capture_output=True,
                          text=True, timeout=60)


def chart(exe, *args):
    r = render(exe, *args)
    assert r.returncode == 0, "rendering the chart: " + r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def one(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, "%d %s objects" % (len(found), kind)
    return found[0]


def agent_config(docs):
    return yaml.safe_load(one(docs, "ConfigMap")["data"]["credwatch.yaml"])


def pod_spec(docs):
    return one(docs, "DaemonSet")["spec"]["template"]["spec"]


def container(docs):
    cs = pod_spec(docs)["containers"]
    assert len(cs) == 1, [c["name"] for c in cs]
    return cs[0]


def mount_of(c, path):
    """The volumeMount whose mountPath holds path, the deepest one."""
    best = None
    for m in c["volumeMounts"]:
        mp = m["mountPath"].rstrip("/")
        if (path == mp or path.startswith(mp + "/")) and (
                best is None or len(mp) > len(best["mountPath"])):
            best = m
    return best


# ---- the structural checks every rendering passes -------------------------------------

def check_pod(docs, extra_hostpaths=()):
    """What every rendering of the agent's pod must be."""
    allowed = doc_hostpaths()
    caps = doc_capabilities()
    spec = pod_spec(docs)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert len(volumes) == len(spec["volumes"]), "two volumes of one name"
    assert spec.get("hostPID") is True, "the agent needs the node's pid namespace"
    assert not spec.get("hostNetwork"), "the agent needs no host network"
    mounted = set()
    for c in spec.get("initContainers", []) + spec["containers"]:
        for m in c["volumeMounts"]:
            assert m["name"] in volumes, "container %s mounts %s, which is no volume of the " \
                "pod" % (c["name"], m["name"])
            mounted.add(m["name"])
            hp = volumes[m["name"]].get("hostPath")
            if hp and hp["path"] in allowed:
                at, ro = allowed[hp["path"]]
                assert m["mountPath"] == at, "hostPath %s is mounted at %s; docs/kubernetes.md" \
                    " says %s" % (hp["path"], m["mountPath"], at)
                assert bool(m.get("readOnly")) == ro, "hostPath %s: readOnly %s, docs say " \
                    "%s" % (hp["path"], m.get("readOnly"), ro)
        sc = c["securityContext"]
        assert sc["capabilities"]["drop"] == ["ALL"], sc["capabilities"]
        add = sc["capabilities"]["add"]
        assert sorted(add) == sorted(caps) and len(add) == len(set(add)), \
            "capabilities %s; docs/capabilities.md lists %s" % (add, caps)
        assert sc["runAsUser"] == 0
        assert not sc.get("privileged"), "the agent's container must not be privileged"
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["readOnlyRootFilesystem"] is True
    unused = set(volumes) - mounted
    assert not unused, "volumes no container mounts: %s" % sorted(unused)
    for v in volumes.values():
        if "hostPath" in v:
            assert v["hostPath"]["path"] in allowed or v["hostPath"]["path"] in extra_hostpaths, \
                "hostPath %s is not one docs/kubernetes.md lists (%s)" % (
                    v["hostPath"]["path"], sorted(allowed))

    c = container(docs)
    env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
           for e in c["env"]}
    assert env["NODE_NAME"] == "spec.nodeName" and env["NODE_IP"] == "status.hostIP", env
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    probe = c["livenessProbe"]["httpGet"]
    assert probe["path"] == "/metrics"
    cfg = agent_config(docs)
    host, port = cfg["metrics"].rsplit(":", 1)
    assert host == "0.0.0.0", "the probe comes from outside the pod's loopback: %s" % host
    probe_port = ports[probe["port"]] if isinstance(probe["port"], str) else probe["port"]
    assert probe_port == int(port), "the probe checks port %s, metrics are on %s" % (
        probe_port, port)
    check_config_paths(cfg, c, volumes)
    assert "requests" in c["resources"] and "limits" in c["resources"], c["resources"]
    return cfg


def check_config_paths(cfg, c, volumes):
    """Every file the config names is in a mount that provides it."""
    host = mount_of(c, cfg["host_root"])
    assert host and host["mountPath"] == cfg["host_root"], "host_root %s is no mount" % (
        cfg["host_root"])
    assert volumes[host["name"]]["hostPath"]["path"] == "/"
    assert host.get("mountPropagation") == "HostToContainer"

    def provided(path, kinds):
        m = mount_of(c, path)
        assert m, "%s is in no mount" % path
        v = volumes[m["name"]]
        kind = [k for k in ("configMap", "secret", "hostPath", "emptyDir") if k in v]
        assert kind and kind[0] in kinds, "%s is in volume %s (%s), not a %s" % (
            path, m["name"], kind, kinds)
        return m, v

    m, v = provided(cfg["fingerprint_key_file"], ["secret"])
    key = os.path.relpath(cfg["fingerprint_key_file"], m["mountPath"])
    assert v["secret"]["defaultMode"] == 0o400, "the key is read by root only"
    assert key and "/" not in key
    if "policy" in cfg:
        provided(cfg["policy"], ["configMap"])
    for path in (cfg["state"], cfg["spool_dir"] + "/x"):
        m, v = provided(path, ["hostPath"])
        assert not m.get("readOnly"), "%s must be writable" % path
    provided(cfg["status_file"], ["emptyDir"])
    for o in cfg["outputs"]:
        if isinstance(o, dict) and "token_file" in o:
            provided(o["token_file"], ["secret"])


def check_rbac(docs, allowed):
    """The ClusterRoles grant exactly `allowed` ([(apiGroup, resource, verbs, names)]), bound
    to the agent's ServiceAccount only."""
    roles = [d for d in docs if d["kind"] in ("ClusterRole", "Role")]
    granted = []
    for r in roles:
        for rule in r.get("rules", []):
            for g in rule.get("apiGroups", []):
                for res in rule.get("resources", []):
                    granted.append((g, res, tuple(sorted(rule["verbs"])),
                                    tuple(rule.get("resourceNames", []))))
            assert not rule.get("nonResourceURLs"), rule
    want = [(g, r, tuple(sorted(v)), tuple(n)) for g, r, v, n in allowed]
    assert sorted(granted) == sorted(want), "RBAC grants %s, not %s" % (granted, want)
    sa = one(docs, "ServiceAccount")["metadata"]
    for b in (d for d in docs if d["kind"] in ("ClusterRoleBinding", "RoleBinding")):
        assert b["subjects"] == [{"kind": "ServiceAccount", "name": sa["name"],
                                  "namespace": sa["namespace"]}], b["subjects"]
        assert b["roleRef"]["name"] in [r["metadata"]["name"] for r in roles]


PODS_READ = [("", "pods", ["get", "list", "watch"], [])]
KUBELET_READ = [("", "nodes/proxy", ["get"], [])]


# The keys of issue 22 (brief: the chart, the manifests and the agent agree on these names).
# An agent built before they land refuses them; the rest of a config is still checked.
ISSUE_22_KEYS = {"host_root", "kube_metadata", "kube_apiserver", "kubelet_url",
                 "kubelet_insecure_tls", "kube_token_file", "kube_ca_file", "node_name",
                 "kube_annotations", "kube_max_pods"}


def loader_says(cfg):
    """The agent's own config loader on cfg: `credwatch run --config FILE --help` reads and
    checks the file (keys, types, output specs), then prints the help and loads nothing
    (user/cli/config.c). (exit status, stderr)"""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(cfg, f)
        f.flush()
        r = subprocess.run([BIN, "run", "--config", f.name, "--help"], capture_output=True,
                           text=True, timeout=30)
    return r.returncode, r.stderr


def loader_accepts(cfg_text, what):
    """The built agent accepts the config cfg_text. Skips, naming them, when this agent does
    not know some of issue 22's keys yet (after checking the rest of the file)."""
    if not os.access(BIN, os.X_OK):
        pytest.skip("no built agent at %s (make): the loader check needs it" % BIN)
    cfg = yaml.safe_load(cfg_text)
    missing = []
    while True:
        rc, err = loader_says(cfg)
        m = re.search(r"unknown option '([a-z_]+)'", err)
        if rc == 0 or not m or m.group(1) not in ISSUE_22_KEYS:
            break
        missing.append(m.group(1))
        del cfg[m.group(1)]
    assert rc == 0, "%s: the agent refuses it: %s" % (what, err)
    if missing:
        pytest.skip("%s: checked without %s: this credwatch does not know those keys yet "
                    "(issue 22's host-root and pod metadata options)" % (
                        what, ", ".join(missing)))


# ---- kustomize -------------------------------------------------------------------------

def test_kustomize_base_renders_and_passes_the_checks():
    docs = kustomize(KDIR)
    assert docs == kustomize(os.path.join(KDIR, "base")), \
        "deploy/kubernetes must render the base as it is"
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert kinds == [("ClusterRole", "credwatch"), ("ClusterRoleBinding", "credwatch"),
                     ("ConfigMap", "credwatch-config"), ("DaemonSet", "credwatch"),
                     ("Namespace", "credwatch"), ("ServiceAccount", "credwatch")], kinds
    for d in docs:
        if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert d["metadata"]["namespace"] == "credwatch", d["metadata"]
    ns = one(docs, "Namespace")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    cfg = check_pod(docs)
    check_rbac(docs, PODS_READ)
    assert cfg["host_root"] == "/host" and cfg["kube_metadata"] == "apiserver", cfg
    assert "node_name" not in cfg, "node_name comes from $NODE_NAME (the downward API)"
    spec = pod_spec(docs)
    assert {"operator": "Exists"} in spec["tolerations"], "every node, whatever its taints"
    assert "priorityClassName" not in spec, "the priority is an overlay's choice"
    assert one(docs, "ConfigMap")["data"]["policy.yaml"] == read("policy", "default.yaml"), \
        "deploy/kubernetes/base/policy.yaml is not policy/default.yaml: cp policy/default.yaml" \
        " deploy/kubernetes/base/policy.yaml"


def test_kustomize_base_config_is_accepted_by_the_agent():
    loader_accepts(read("deploy", "kubernetes", "base", "credwatch.yaml"), "base credwatch.yaml")


# What each overlay changes in the base's config (the rest must stay the base's).
OVERLAY_CONFIG = {
    "kubelet-metadata": {"kube_metadata": "kubelet", "kubelet_insecure_tls": False},
    "splunk-hec": {"outputs": ["stdout", {
        "target": "https://splunk.example.com:8088/services/collector/event",
        "token_file": "/etc/credwatch-outputs/splunk-hec/token", "index": "security"}]},
}
OVERLAY_RBAC = {
    "kubelet-metadata": KUBELET_READ,
    "openshift": PODS_READ + [("security.openshift.io", "securitycontextconstraints", ["use"],
                               ["credwatch"])],
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kustomize_overlay(overlay):
    base = kustomize(KDIR)
    docs = kustomize(os.path.join(KDIR, "overlays", overlay))
    cfg = check_pod(docs)
    check_rbac(docs, OVERLAY_RBAC.get(overlay, PODS_READ))
    want = dict(agent_config(base), **OVERLAY_CONFIG.get(overlay, {}))
    assert cfg == want, "overlay %s's config differs from the base's beyond %s" % (
        overlay, list(OVERLAY_CONFIG.get(overlay, {})))
    spec, c = pod_spec(docs), container(docs)
    if overlay == "splunk-hec":
        vols = {v["name"]: v for v in spec["volumes"]}
        m = mount_of(c, cfg["outputs"][1]["token_file"])
        assert vols[m["name"]]["secret"]["secretName"] == "credwatch-splunk-hec"
    if overlay == "system-node-critical":
        assert spec["priorityClassName"] == "system-node-critical"
    if overlay == "openshift":
        scc = one(docs, "SecurityContextConstraints")
        assert sorted(scc["allowedCapabilities"]) == sorted(doc_capabilities())
        assert scc["requiredDropCapabilities"] == ["ALL"]
        assert scc["allowPrivilegedContainer"] is False and scc["allowHostPID"] is True
        assert c["securityContext"]["seLinuxOptions"] == {"type": "spc_t"}
        used = {k for v in spec["volumes"] for k in v if k != "name"}
        assert used <= set(scc["volumes"]), "the SCC does not admit volumes %s" % (
            used - set(scc["volumes"]))
    if overlay in OVERLAY_CONFIG:
        loader_accepts(read("deploy", "kubernetes", "overlays", overlay, "credwatch.yaml"),
                       "overlay %s's credwatch.yaml" % overlay)


# ---- the chart -------------------------------------------------------------------------

def normalized_pod_spec(docs):
    spec = pod_spec(docs)
    spec["volumes"] = sorted(spec["volumes"], key=lambda v: v["name"])
    for c in spec["containers"]:
        c["volumeMounts"] = sorted(c["volumeMounts"], key=lambda m: m["mountPath"])
    return spec


def test_chart_default_equals_the_kustomize_base(helmrender):
    """The default rendering is the base, object for object. Compared: each object's kind,
    name and namespace; the ConfigMap's data (the config as parsed YAML, the policy as text);
    the ClusterRole's rules and the binding's roleRef and subjects; the DaemonSet's update
    strategy and its whole pod spec (volumes and mounts in name order). Not compared, and
    why: metadata labels (Helm adds helm.sh/chart, app.kubernetes.io/instance, version and
    managed-by), the DaemonSet's selector (the chart's includes the release, so two releases
    do not select each other's pods; each must select its own template), the pod template's
    annotations (the chart's checksum/config rolls the pods on an upgrade), and the Namespace
    (helm install --create-namespace makes it; namespace.create renders it)."""
    base = kustomize(KDIR)
    docs = chart(helmrender)
    key = lambda d: (d["kind"], d["metadata"]["name"], d["metadata"].get("namespace"))
    assert sorted(map(key, docs)) == sorted(key(d) for d in base if d["kind"] != "Namespace")
    b_cm, c_cm = one(base, "ConfigMap"), one(docs, "ConfigMap")
    assert agent_config(docs) == agent_config(base)
    assert c_cm["data"]["policy.yaml"] == b_cm["data"]["policy.yaml"] == read("policy",
                                                                               "default.yaml"), \
        "deploy/helm/credwatch/files/policy.yaml is not policy/default.yaml: copy it"
    assert one(docs, "ClusterRole")["rules"] == one(base, "ClusterRole")["rules"]
    for k in ("roleRef", "subjects"):
        assert one(docs, "ClusterRoleBinding")[k] == one(base, "ClusterRoleBinding")[k]
    b_ds, c_ds = one(base, "DaemonSet"), one(docs, "DaemonSet")
    assert c_ds["spec"]["updateStrategy"] == b_ds["spec"]["updateStrategy"]
    assert normalized_pod_spec(docs) == normalized_pod_spec(base)
    for ds in (b_ds, c_ds):
        sel = ds["spec"]["selector"]["matchLabels"]
        labels = ds["spec"]["template"]["metadata"]["labels"]
        assert sel.items() <= labels.items(), "the selector %s does not select its pods" % sel
        assert {"app.kubernetes.io/name", "app.kubernetes.io/component"} <= set(sel)
    check_pod(docs)
    check_rbac(docs, PODS_READ)
    ns = one(chart(helmrender, "--set", "namespace.create=true"), "Namespace")
    b_ns = one(base, "Namespace")
    assert ns["metadata"]["name"] == b_ns["metadata"]["name"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == \
        b_ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]


def test_chart_notes_render(helmrender):
    r = render(helmrender, "--notes")
    assert r.returncode == 0, r.stderr
    notes = r.stdout.split("# Source: credwatch/templates/NOTES.txt\n", 1)[1]
    assert "kubectl -n credwatch create secret generic credwatch-fingerprint-key" in notes
    assert "Findings go to: stdout." in notes
    assert "<no value>" not in r.stdout


def test_chart_with_every_value(helmrender):
    docs = chart(helmrender, "-f", VALUES_ALL)
    with open(VALUES_ALL) as f:
        values = yaml.safe_load(f)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert kinds == [("ClusterRole", "cw"), ("ClusterRoleBinding", "cw"),
                     ("ConfigMap", "cw-config"), ("DaemonSet", "cw"),
                     ("Namespace", "credwatch"), ("ServiceAccount", "cw-agent")], kinds
    cfg = check_pod(docs, extra_hostpaths=[values["stateHostPath"]])
    check_rbac(docs, KUBELET_READ)  # metadata.source: kubelet

    # outputs: strings kept, mappings kept with tokenSecret turned into a mounted token_file
    assert cfg["outputs"][0] == "stdout"
    hec = cfg["outputs"][1]
    assert hec == {"target": values["outputs"][1]["target"], "index": "security", "batch": 500,
                   "token_file": "/etc/credwatch-outputs/1/hec-token"}, hec
    assert cfg["outputs"][2] == {k: v for k, v in values["outputs"][2].items()}
    spec, c = pod_spec(docs), container(docs)
    vols = {v["name"]: v for v in spec["volumes"]}
    m = mount_of(c, hec["token_file"])
    assert vols[m["name"]]["secret"] == {"secretName": "splunk-hec", "defaultMode": 0o400}
    # policy from an existing ConfigMap, under its key; no policy.yaml of the chart's own
    assert cfg["policy"] == "/etc/credwatch-policy/custom.yaml"
    assert vols[mount_of(c, cfg["policy"])["name"]]["configMap"] == {"name": "my-policy"}
    assert "policy.yaml" not in one(docs, "ConfigMap")["data"]
    # capture options as given, metadata options as the agent's keys
    for k, v in values["capture"].items():
        assert cfg[k] == v, (k, cfg.get(k), v)
    md = values["metadata"]
    assert (cfg["kube_metadata"], cfg["kube_apiserver"], cfg["kubelet_url"],
            cfg["kubelet_insecure_tls"], cfg["kube_annotations"], cfg["kube_max_pods"]) == (
        "kubelet", md["apiserver"], md["kubeletUrl"], True, md["annotations"], md["maxPods"])
    assert cfg["fingerprint_key_file"] == "/etc/credwatch-fingerprint/key.bin"
    assert vols[mount_of(c, cfg["fingerprint_key_file"])["name"]]["secret"]["secretName"] == \
        "fleet-fingerprint"
    assert cfg["metrics"] == "0.0.0.0:9500"
    assert cfg["state_max"] == 8192 and cfg["verbose"] == 1
    assert vols["state"]["hostPath"]["path"] == values["stateHostPath"]
    # the pod
    assert c["image"] == "registry.example.com/security/credwatch:1.2.3"
    assert c["imagePullPolicy"] == "Always"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert c["resources"] == values["resources"]
    assert spec["tolerations"] == values["tolerations"]
    assert spec["nodeSelector"] == values["nodeSelector"]
    assert spec["affinity"] == values["affinity"]
    assert spec["priorityClassName"] == "system-node-critical"
    tmeta = one(docs, "DaemonSet")["spec"]["template"]["metadata"]
    assert tmeta["annotations"]["prometheus.io/scrape"] == "true"
    assert re.fullmatch(r"[0-9a-f]{64}", tmeta["annotations"]["checksum/config"])
    assert tmeta["labels"]["team"] == "security"
    probe = c["livenessProbe"]
    assert {k: probe[k] for k in values["livenessProbe"]} == values["livenessProbe"]
    assert c["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert mount_of(c, "/etc/credwatch-ca/ca.pem")["name"] == "siem-ca"
    assert vols["siem-ca"] == values["extraVolumes"][0]
    sa = one(docs, "ServiceAccount")
    assert sa["metadata"]["annotations"] == values["serviceAccount"]["annotations"]
    assert spec["serviceAccountName"] == "cw-agent"
    loader_accepts(one(docs, "ConfigMap")["data"]["credwatch.yaml"],
                   "the chart's credwatch.yaml with tests/deploy/values-all.yaml")


def test_chart_policy_inline_and_set_overrides(helmrender):
    policy = "credentials:\n  - rule: 'github-*'\n    destinations: ['@rule', github.example.com]\n"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump({"policy": {"inline": policy}}, f)
        f.flush()
        docs = chart(helmrender, "-f", f.name, "--set", "metadata.source=off",
                     "--set", "capture.no_env=true,capture.payload_cap=8K",
                     "--set", "outputs[0]=syslog+tcp://10.0.0.5:514",
                     "--set", "tolerations=null", "--set", "metrics.port=9999")
    cm = one(docs, "ConfigMap")
    assert yaml.safe_load(cm["data"]["policy.yaml"]) == yaml.safe_load(policy)
    cfg = agent_config(docs)
    assert cfg["policy"] == "/etc/credwatch/policy.yaml"
    assert cfg["kube_metadata"] == "off" and cfg["no_env"] is True
    assert cfg["payload_cap"] == "8K" and cfg["metrics"] == "0.0.0.0:9999"
    assert cfg["outputs"] == ["syslog+tcp://10.0.0.5:514"]
    assert "tolerations" not in pod_spec(docs), "a null value removes the default"
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")], \
        "metadata.source off needs no RBAC"
    check_pod(docs)


@pytest.mark.parametrize("args,message", [
    (["--set", "fingerprintKey.existingSecret="],
     "fingerprintKey.existingSecret: the Secret with the fleet's fingerprint key"),
    (["--set", "image.repository="], "image.repository: the agent's image"),
    (["--set", "metadata.source=apiservr"],
     "metadata.source: 'apiservr' is not one of auto, apiserver, kubelet, off"),
    (["--set", "capture.no_envv=true"], "capture.no_envv: not a capture option"),
    (["--set", "policy.inline=x,policy.existingConfigMap=y"],
     "policy: give inline or existingConfigMap, not both"),
    (["--set", "outputs[0].index=security"], "outputs[0]: a mapping needs a 'target'"),
    (["--set", "outputs[0].target=https://x.example/e,outputs[0].tokenSecret.name=s"],
     "outputs[0].tokenSecret.key: the token's key in Secret s"),
    (["--set", "outputs=null"], "outputs: give at least one output"),
    (["--set", "serviceAccount.create=false"],
     "serviceAccount.name: the ServiceAccount to use when serviceAccount.create is false"),
    (["--kube-version", "v1.24.0"], "chart requires kubeVersion: >=1.25.0-0"),
])
def test_chart_missing_or_wrong_values_fail_with_a_clear_message(helmrender, args, message):
    r = render(helmrender, *args)
    assert r.returncode == 1, "rendered with %s:\n%s" % (args, r.stdout[:500])
    assert message in r.stderr, r.stderr


# ---- the image's files -----------------------------------------------------------------

def test_image_config_is_accepted_by_the_agent():
    loader_accepts(read("deploy", "container", "credwatch.yaml"), "the image's credwatch.yaml")


def dockerfile_packages(stage):
    """The packages a Dockerfile stage apt-get installs (stage 0: build, 1: runtime)."""
    text = read("Dockerfile").replace("\\\n", " ")
    installs = re.findall(r"apt-get install -y --no-install-recommends ([^&]*)", text)
    assert len(installs) == 2, installs
    return set(installs[stage].split())


def test_dockerfile_runtime_packages_provide_every_library_the_agent_links():
    if not os.access(BIN, os.X_OK) or not shutil.which("dpkg"):
        pytest.skip("needs a built agent (%s) and dpkg (Debian) to find its libraries' "
                    "packages" % BIN)
    ldd = subprocess.run(["ldd", BIN], capture_output=True, text=True, check=True).stdout
    direct = subprocess.run(["objdump", "-p", BIN], capture_output=True, text=True).stdout \
        if shutil.which("objdump") else ""
    needed = re.findall(r"NEEDED\s+(\S+)", direct)
    paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M))
    assert needed, "objdump -p %s lists no NEEDED libraries" % BIN
    runtime = dockerfile_packages(1)
    libc = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1"}
    for lib in needed:
        if lib in libc:
            continue  # in every Debian image
        real = os.path.realpath(paths[lib])
        owner = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
        if owner.returncode:  # /lib is /usr/lib's link on merged-/usr systems
            owner = subprocess.run(["dpkg", "-S", paths[lib]], capture_output=True, text=True)
        pkg = owner.stdout.split(":")[0]
        assert pkg in runtime, "%s (%s, package %s) is not installed by the Dockerfile's " \
            "runtime stage (%s)" % (lib, real, pkg, sorted(runtime))
    assert "ca-certificates" in runtime, "HTTPS outputs verify servers with the CA bundle"


def test_dockerfile_build_stage_installs_scripts_setup_build_list():
    setup = read("scripts", "setup")
    m = re.search(r"^pkgs=\(([^)]*)\)", setup, re.M)
    assert m, "scripts/setup has no pkgs=( ... ) build list"
    build = set(m.group(1).split()) - {"clang-format"}  # a developer's tool, not the build's
    missing = build - dockerfile_packages(0)
    assert not missing, "the Dockerfile's build stage lacks %s (scripts/setup's build list)" % (
        sorted(missing))
