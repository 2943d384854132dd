# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Pod metadata in findings, from an API server and a kubelet served by the test (kubeapi.py,
from the objects in tests/fixtures/kubernetes/), joined to simulated pods (cgroups and
/var/log/pods entries, test_workloads.py's Pod): labels, annotations, service account, owner
and image in findings; a label change through the watch; a 410 answered by one list; the
kubelet asked only for pods it does not know yet; and an agent that keeps naming workloads
from their cgroups, and says so once, when the source is down, slow, answers garbage or
refuses the token. The token the agent sends never shows in what it writes."""
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from cwtest import github_token, own, wait_own, wait_until
from kubeapi import NODE, KubeApi
from test_tls import TlsServer, free_port
from test_workloads import Env, Pod, https_client_script, k8s_jwt

# The fixtures' first replica of Deployment payments/api, container "api" (README.md there).
API_UID = "31e6ac5e-7520-468d-a89b-8b92f746dc42"
REPORT_UID = "1f8bbc08-be05-4783-a7b0-c81e64cb0679"  # the CronJob's pod, DELETED by the watch
API_IMAGE = "registry.example.com:5000/payments/api"
API_DIGEST = "sha256:b5ab6e1246316d34e13f49ff2b38305b2a35d85126b368f25083f6cb3517c166"
DOWN = "kubernetes metadata: down: "
UP_AGAIN = "kubernetes metadata: up again"


def api_pod(env, api):
    """A simulated pod that the served objects call payments/api-...-gkbzs."""
    pod = Pod("api", qos="burstable", container="api")
    env.pods.append(pod)
    api.bind(API_UID, pod)
    return pod


def kube_agent(env, api, source="apiserver", *extra):
    port = free_port()
    url = ["--kube-apiserver" if source == "apiserver" else "--kubelet-url", api.url()]
    agent = env.start("--events", "--metrics", f"127.0.0.1:{port}", "--kube-metadata", source,
                      *url, "--kube-token-file", api.token_file, "--kube-ca-file", api.ca_file,
                      "--node-name", NODE, "--kube-annotation", "credwatch.io/*", *extra)
    agent.metrics_url = f"http://127.0.0.1:{port}/metrics"
    return agent


def metric(agent, name):
    """A metric's value, None before the agent's first snapshot (its endpoint answers 503)."""
    try:
        with urllib.request.urlopen(agent.metrics_url, timeout=5) as r:
            text = r.read().decode()
    except urllib.error.HTTPError as e:
        if e.code == 503:
            return None
        raise
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_metric(agent, name, cond, timeout):
    return wait_until(lambda: (v := metric(agent, name)) is not None and cond(v), timeout)


def expose(agent, pod):
    """A new token in a process of pod's environment: its credential-observed finding."""
    token = github_token()
    pod.run(["true"], secret_env="GITHUB_TOKEN", secret=token)
    hits = wait_own(agent, token, "credential-observed", timeout=20)
    assert hits, "no finding: " + agent.stderr()[-2000:]
    return token, hits[0]


def labels(finding):
    return set(finding["orchestrator"]["resource"].get("label", []))


def assert_cgroup_identity(f, pod):
    """What the agent knows of a pod without its metadata: the cgroup and /var/log/pods."""
    res = f["orchestrator"]["resource"]
    assert res["id"] == pod.uid and res["name"] == pod.name
    assert f["container"]["id"] == pod.cid
    assert "label" not in res and "parent" not in res
    assert "kubernetes" not in f["credwatch"]


def test_apiserver_metadata_in_findings_watch_changes_and_410():
    kube_token = k8s_jwt("credwatch")
    # pages of 3 pods: the node's 7 pods come in 3 pages, one list
    with Env() as env, KubeApi(kube_token, page_max=3) as api:
        pod = api_pod(env, api)
        agent = kube_agent(env, api)
        assert agent.wait_err(f"kubernetes metadata: up: 7 pods of node {NODE} from the API "
                              "server", 30), agent.stderr()[-2000:]

        token, f = expose(agent, pod)
        res = f["orchestrator"]["resource"]
        assert res["id"] == pod.uid and res["name"] == pod.name
        assert {"app:api", "version:1.4.2", "tier:backend"} <= labels(f)
        assert res["annotation"] == ["credwatch.io/owner-team:payments"]  # the allow-list
        assert res["parent"]["type"] == "Deployment"
        k8s = f["credwatch"]["kubernetes"]
        assert k8s["service_account"] == "payments-api"
        assert k8s["owner"] == {"kind": "Deployment", "name": "api"}
        assert k8s["node"] == NODE
        assert f["host"]["name"] == NODE  # the node, not the agent pod's own host name
        assert f["container"]["image"] == {"name": API_IMAGE, "tag": ["1.4.2"],
                                           "hash": {"all": [API_DIGEST]}}

        # The pod's labels change (the fixture's MODIFIED event): the next finding has them.
        api.push_fixture("MODIFIED", pod.uid)
        assert wait_metric(agent, "credwatch_kube_watch_events_total", lambda v: v >= 1, 15)
        token2, f2 = expose(agent, pod)
        assert {"version:1.4.3", "canary:true"} <= labels(f2)
        assert "version:1.4.2" not in labels(f2)
        # Another pod is deleted: forgotten.
        api.push_fixture("DELETED", REPORT_UID)
        assert wait_metric(agent, "credwatch_kube_pods", lambda v: v == 6, 15)

        # A 410 ERROR event: exactly one list again, then the watch from its version.
        api.gone()
        assert api.wait(lambda: api.count("list") == 2 and api.count("watch") == 2, 30)
        assert wait_metric(agent, "credwatch_kube_relists_gone_total", lambda v: v == 1, 15), \
            (metric(agent, "credwatch_kube_relists_gone_total"), agent.stderr()[-3000:])
        rv = api.push_fixture("ADDED")
        assert wait_metric(agent, "credwatch_kube_pods", lambda v: v == 7, 15)
        # A watch that ends is watched again from the last version seen, without a list.
        api.end_watches()
        assert api.wait(lambda: api.count("watch") == 3, 30)
        assert api.requests[-1]["query"]["resourceVersion"] == str(rv)
        assert api.requests[-1]["query"]["fieldSelector"] == f"spec.nodeName={NODE}"
        assert api.requests[-1]["query"]["allowWatchBookmarks"] == "true"
        token3, f3 = expose(agent, pod)
        assert "canary:true" in labels(f3)
        # The token rotates (a projected token): the next request carries the new one, read
        # from the file because it changed, without a 401 first.
        rotated = k8s_jwt("credwatch")
        api.token = rotated
        with open(api.token_file, "w") as tf:
            tf.write(rotated + "\n")
        api.end_watches()
        assert api.wait(lambda: api.count("watch") == 4, 30)

        assert metric(agent, "credwatch_kube_up") == 1
        assert metric(agent, "credwatch_kube_lists_total") == 2
        if shutil.which("promtool"):
            with urllib.request.urlopen(agent.metrics_url, timeout=5) as r:
                lint = subprocess.run(["promtool", "check", "metrics"], input=r.read(),
                                      capture_output=True, timeout=30)
            assert lint.returncode == 0, lint.stdout + lint.stderr
        assert agent.stop() == 0
        # The agent's own requests, its token in them, are not a finding.
        assert not [l for l in agent.lines if l["process"]["pid"] == agent.proc.pid]
        # one list and one watch at a time, no polling: lists are 1 + the 410 re-list
        assert api.count("list") == 2 and api.count("kubelet") == 0
        assert api.count("list", first_pages=False) == 3 + 2  # 7 pods, then 6 (one deleted)
        assert all(r["auth"] for r in api.requests)
        assert DOWN not in agent.stderr()
        agent.assert_no_plaintext(token, token2, token3, kube_token, rotated)


def test_kubelet_asked_only_for_pods_it_does_not_know():
    kube_token = k8s_jwt("credwatch")
    with Env() as env, KubeApi(kube_token) as api:
        pod = api_pod(env, api)
        api.hide(pod.uid)  # not on the kubelet yet when the agent starts
        stranger = env.pod("stranger")  # never in any list
        agent = kube_agent(env, api, "kubelet")
        assert agent.wait_err("kubernetes metadata: up: 6 pods", 30), agent.stderr()[-2000:]
        assert api.count("kubelet") == 1

        # The pod appears: the first time the agent meets it, one fetch brings it.
        api.show(pod.uid)
        expose(agent, pod)
        assert api.wait(lambda: api.count("kubelet") == 2, 15)
        assert wait_metric(agent, "credwatch_kube_pods", lambda v: v == 7, 15)
        token, f = expose(agent, pod)
        assert {"app:api", "version:1.4.2"} <= labels(f)
        assert f["credwatch"]["kubernetes"]["service_account"] == "payments-api"
        assert f["container"]["image"]["name"] == API_IMAGE

        # A pod no fetch knows: its findings come at once, named from its cgroup; one fetch
        # looks for it, and it is not asked for again.
        before = api.count("kubelet")
        _, g = expose(agent, stranger)
        assert_cgroup_identity(g, stranger)
        assert api.wait(lambda: api.count("kubelet") == before + 1, 15)
        _, g2 = expose(agent, stranger)
        assert_cgroup_identity(g2, stranger)
        expose(agent, pod)
        assert api.count("kubelet") == before + 1
        assert agent.stop() == 0
        assert api.count("list") == 0 and api.count("watch") == 0
        assert not [l for l in agent.lines if l["process"]["pid"] == agent.proc.pid]
        assert all(r["auth"] for r in api.requests)
        agent.assert_no_plaintext(token, kube_token)


# (fault, what the one "down" line says, seconds to wait for it)
FAULTS = [
    ("down", "Couldn't connect to server", 30),
    ("slow", "no answer within 5000 ms", 40),  # with --kube-timeout-ms 5000
    ("garbage", "the answer is not JSON", 30),
    (401, "HTTP 401: the token was refused", 30),
    (403, "HTTP 403: forbidden (RBAC must grant get, list and watch on pods)", 30),
]


@pytest.mark.parametrize("fault,reason,timeout", FAULTS, ids=[str(f[0]) for f in FAULTS])
def test_source_failing_leaves_cgroup_identity_and_one_line(fault, reason, timeout):
    kube_token = k8s_jwt("credwatch")
    with Env() as env, KubeApi(kube_token, fault=None if fault == "down" else fault) as api:
        if fault == "down":
            api.down()
        pod = api_pod(env, api)
        agent = kube_agent(env, api, "apiserver", "--kube-timeout-ms", "5000")
        # Findings go on, named from the cgroup and /var/log/pods only; a slow source is not
        # waited for: the finding is out while the client's first request still hangs.
        token, f = expose(agent, pod)
        assert_cgroup_identity(f, pod)
        if fault == "slow":
            assert DOWN not in agent.stderr()
        assert agent.wait_err(DOWN, timeout), agent.stderr()[-2000:]
        line = [l for l in agent.stderr().splitlines() if DOWN in l][0]
        assert reason in line, line
        assert wait_metric(agent, "credwatch_kube_up", lambda v: v == 0, 15)
        # It keeps trying, with backoff, and says nothing more about it.
        assert wait_metric(agent, "credwatch_kube_list_requests_total",
                           lambda v: v >= (2 if fault == "slow" else 3), timeout)
        assert agent.stderr().count(DOWN) == 1, agent.stderr()

        # Back: one line, and the metadata is in findings again.
        rotated = None
        if fault == 401:  # the token rotates: the agent reads the new one from its file
            rotated = k8s_jwt("credwatch")
            api.token = rotated
            with open(api.token_file, "w") as tf:
                tf.write(rotated + "\n")
        api.fault = None
        api.up()
        assert agent.wait_err(UP_AGAIN, 90), agent.stderr()[-2000:]
        assert wait_metric(agent, "credwatch_kube_up", lambda v: v == 1, 15)
        token2, f2 = expose(agent, pod)
        assert "app:api" in labels(f2)
        assert agent.stop() == 0
        err = agent.stderr()
        assert err.count(DOWN) == 1 and err.count(UP_AGAIN) == 1, err
        if rotated:
            assert api.requests[-1]["auth"]
        agent.assert_no_plaintext(token, token2, kube_token, *([rotated] if rotated else []))


POSTGRES_UID = "d3727adc-4d6a-4197-b6a1-5517c22c80db"  # data/postgres-0, app=postgres
SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
READ_TOKEN = f"import sys; open({SA_TOKEN!r}).read()"  # a reader no default denies


def test_policy_by_service_account_and_label_decides_alerts():
    """A policy in Kubernetes terms, judged on the served metadata: only the pods of service
    account payments-api may read service-account tokens, and a GitHub token is bound to the
    pods labelled app=api. The same reads and sends from the postgres pod are alerts; from the
    api pod, nothing."""
    from test_workloads import NS
    kube_token = k8s_jwt("credwatch")
    with Env() as env, KubeApi(kube_token) as api:
        pol = env.dir + "/policy.yaml"
        with open(pol, "w") as f:
            f.write(f"""
watch:
  - /var/run/secrets/kubernetes.io/serviceaccount/token
workloads:
  - name: payments-sa
    namespace: {NS}
    service_account: '{NS}/payments-api'
  - name: api-pods
    namespace: {NS}
    selector:
      matchLabels: {{app: api}}
      matchExpressions:
        - {{key: tier, operator: In, values: [backend]}}
credentials:
  - rule: 'github-*'
    owners: [api-pods]
readers:
  - paths: ['/var/run/secrets/kubernetes.io/serviceaccount/token']
    allow: [payments-sa]
""")
        sa_api, sa_pg = k8s_jwt(NS), k8s_jwt(NS)
        pod = Pod("api", qos="burstable", container="api", sa_token=sa_api)
        pg = Pod("postgres", qos="burstable", container="postgres", sa_token=sa_pg)
        env.pods += [pod, pg]
        api.bind(API_UID, pod)
        api.bind(POSTGRES_UID, pg)
        agent = kube_agent(env, api, "apiserver", "--policy", pol, "--include-loopback")
        assert agent.wait_err(f"kubernetes metadata: up: 7 pods of node {NODE}", 30), \
            agent.stderr()[-2000:]

        # Readers by service account: the api pod reads its token, the postgres pod its own.
        pod.run(["python3", "-c", READ_TOKEN])
        pg.run(["python3", "-c", READ_TOKEN])
        hits = wait_own(agent, sa_pg, "credential-unexpected-reader", timeout=20)
        assert len(hits) == 1, agent.stderr()[-2000:]
        assert hits[0]["orchestrator"]["resource"]["name"] == pg.name
        assert hits[0]["credwatch"]["kubernetes"]["service_account"] == "postgres"
        assert wait_own(agent, sa_api, "credential-read", timeout=20)
        assert not own(agent, sa_api, "credential-unexpected-reader")

        # A binding by label: both pods load the token; only the api pod owns it, so the
        # postgres pod sending it is credential-egress, though it loaded it too.
        token = github_token()
        with TlsServer() as srv:
            pod.run(["true"], secret_env="GITHUB_TOKEN", secret=token)
            pg.run(["true"], secret_env="GITHUB_TOKEN", secret=token)
            names = lambda: {l["orchestrator"]["resource"]["name"]
                             for l in own(agent, token, "credential-observed")}
            assert wait_until(lambda: names() == {pod.name, pg.name}, 20), \
                (names(), agent.stderr()[-2000:])
            pg.run(["python3", "-c", https_client_script(), "api.github.com", str(srv.port)],
                   secret_env="GITHUB_TOKEN", secret=token)
            hits = wait_own(agent, token, "credential-egress", timeout=20)
            assert len(hits) == 1, agent.stderr()[-2000:]
            e = hits[0]
            assert e["orchestrator"]["resource"]["name"] == pg.name
            assert "app:postgres" in labels(e)
            # the binding's owners, by the policy's name for them (not the pods that loaded it)
            assert e["credwatch"]["credential"]["owners"] == ["policy:api-pods"]
            pod.run(["python3", "-c", https_client_script(), "api.github.com", str(srv.port)],
                    secret_env="GITHUB_TOKEN", secret=token)
            assert wait_until(lambda: len([l for l in own(agent, token, "credential-sent")
                                           if l["credwatch"]["workload"] == pod.workload]), 20)
        assert len(own(agent, token, "credential-egress")) == 1
        agent.assert_no_plaintext(token, sa_api, sa_pg, kube_token)
