# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A Kubernetes API server and kubelet for the tests, over HTTPS, serving the objects of
tests/fixtures/kubernetes/ as the real ones do:

  GET /pods                                   the kubelet's PodList (kubelet-pods.json)
  GET /api/v1/pods?fieldSelector=...&limit=N  the API server's list (apiserver-pods.json),
                                              the selector honoured, paged with continue
  GET /api/v1/pods?watch=1&resourceVersion=RV a chunked stream of watch events, one JSON line
                                              each: the events after RV, then what the test
                                              pushes (push, push_fixture) until it ends it

Every request must carry "Authorization: Bearer TOKEN" (else 401, as both servers answer).
The test's simulated pods take the place of fixture pods (bind): their UID, name, namespace
and container id are written into the objects, so that the agent joins the served metadata to
the cgroups and /var/log/pods entries the test made. Faults: down() refuses connections until
up(); fault = "slow" (never answers), "garbage" (200 with a body that is not JSON), 401 or 403
(a Status object) for the requests that follow; gone() sends a watch ERROR 410 and makes
older versions too old.
"""
import base64
import copy
import http.server
import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse

from receivers import make_pki

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                        "kubernetes")
NODE = "cw-node-1"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        if name.endswith(".jsonl"):
            return [json.loads(l) for l in f if l.strip()]
        return json.load(f)


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class KubeApi:
    """The server, on a loopback port, with a throwaway CA (ca_file) and a token file
    (token_file) holding token. `with KubeApi() as api:` stops it when the block ends."""

    def __init__(self, token, fault=None, page_max=0):
        """page_max: list pages hold at most this many pods (0: the client's limit), as a
        server may return fewer than asked for, with a continue token."""
        self.dir = tempfile.mkdtemp(prefix="cw-kubeapi-")
        make_pki(self.dir)
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.token = token
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(token + "\n")
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(os.path.join(self.dir, "server.pem"),
                                 os.path.join(self.dir, "server.key"))
        self.kubelet = fixture("kubelet-pods.json")
        self.listed = fixture("apiserver-pods.json")
        self.watch_fixture = fixture("apiserver-watch.jsonl")
        self.rv = int(self.listed["metadata"]["resourceVersion"])
        self.too_old = 0      # a watch from a version below this is answered 410
        self.history = []     # (rv, event) pushed, for watches from an older version
        self.hidden = set()   # UIDs left out of lists until shown
        self.fault = fault
        self.page_max = page_max
        self.requests = []    # {"kind": list|watch|kubelet, "query": {...}, "auth": bool}
        self.cv = threading.Condition()
        self.generation = 0   # end_watches() bumps it: streams of an older one end
        self.sock = None
        self.port = 0
        self.up()

    # --- the test's controls ---

    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def bind(self, fixture_uid, pod, container=None):
        """The simulated pod (tests/e2e/test_workloads.py's Pod) is the fixture pod with that
        UID: its UID, name, namespace (the pods' NS) and the container id of its container
        (pod.container, or container) replace the fixture's in every object served."""
        from test_workloads import NS
        cname = container or pod.container

        def rewrite(obj):
            md = obj.get("metadata", {})
            if md.get("uid") != fixture_uid:
                return
            md.update(uid=pod.uid, name=pod.name, namespace=NS)
            for st in obj.get("status", {}).get("containerStatuses", []):
                if st["name"] == cname:
                    st["containerID"] = "containerd://" + pod.cid
        with self.cv:
            for o in self.kubelet["items"] + self.listed["items"]:
                rewrite(o)
            for ev in self.watch_fixture:
                rewrite(ev["object"])
            self.hidden = {pod.uid if u == fixture_uid else u for u in self.hidden}

    def hide(self, uid):
        """Leave the pod out of lists (kubelet and API server) until show(uid)."""
        with self.cv:
            self.hidden.add(uid)

    def show(self, uid):
        with self.cv:
            self.hidden.discard(uid)

    def push(self, etype, obj):
        """A watch event to every open watch (and to later ones from an older version): obj
        gets the next resourceVersion; the lists change with it."""
        with self.cv:
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            for lst in (self.listed["items"], self.kubelet["items"]):
                keep = [o for o in lst if o["metadata"]["uid"] != obj["metadata"]["uid"]]
                if etype != "DELETED":
                    keep.append(obj)
                lst[:] = keep
            self.listed["metadata"]["resourceVersion"] = str(self.rv)
            self.history.append((self.rv, {"type": etype, "object": obj}))
            self.cv.notify_all()
        return self.rv

    def push_fixture(self, etype, uid=None):
        """The fixture's watch event of that type (and pod UID, after bind), pushed."""
        ev = next(e for e in self.watch_fixture if e["type"] == etype and
                  (uid is None or e["object"]["metadata"].get("uid") == uid))
        return self.push(etype, ev["object"])

    def gone(self):
        """The fixture's ERROR event (a Status with code 410) to every open watch, which then
        ends; versions before now are too old from then on (a compacted etcd)."""
        err = next(e for e in self.watch_fixture if e["type"] == "ERROR")
        with self.cv:
            self.too_old = self.rv
            self.history.append((self.rv, err))
            self.cv.notify_all()

    def end_watches(self):
        """Every open watch ends (as at its timeoutSeconds, or an API server restart)."""
        with self.cv:
            self.generation += 1
            self.cv.notify_all()

    def down(self):
        """Connections refused (the listening socket is closed) until up()."""
        with self.cv:
            if self.sock:
                try:  # wakes the accept() (a close alone leaves it listening)
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.sock.close()
                self.sock = None
            self.generation += 1
            self.cv.notify_all()

    def up(self):
        with self.cv:
            if self.sock:
                return
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", self.port))
            s.listen(16)
            self.port = s.getsockname()[1]
            self.sock = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def count(self, kind, first_pages=True):
        """Requests of a kind ("list", "watch", "kubelet"); lists: first pages only."""
        with self.cv:
            return len([r for r in self.requests if r["kind"] == kind and
                        not (first_pages and r["query"].get("continue"))])

    def wait(self, cond, timeout):
        end = time.monotonic() + timeout
        with self.cv:
            while not cond():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(min(left, 0.2))
        return True

    def close(self):
        self.down()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- serving ---

    def _accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(30)
            conn = self.tls.wrap_socket(c, server_side=True)
            conn.settimeout(None)
            _Handler(conn, ("127.0.0.1", 0), self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            c.close()

    def _items(self, lst, node):
        return [o for o in lst["items"] if o["metadata"]["uid"] not in self.hidden and
                (node is None or o["spec"].get("nodeName") == node)]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def __init__(self, conn, addr, api):
        self.api = api
        super().__init__(conn, addr, None)

    def log_message(self, *args):
        pass

    def reply(self, code, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        api = self.api
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        kind = ("kubelet" if u.path == "/pods" else
                "watch" if u.path == "/api/v1/pods" and q.get("watch") in ("1", "true") else
                "list" if u.path == "/api/v1/pods" else None)
        auth = self.headers.get("Authorization") == "Bearer " + api.token
        with api.cv:
            api.requests.append({"kind": kind, "query": q, "auth": auth, "t": time.monotonic()})
            api.cv.notify_all()
            fault = api.fault
        if kind is None:
            return self.reply(404, status(404, "NotFound", "the server could not find the "
                                          "requested resource"))
        if fault == "slow":
            time.sleep(120)  # the client gives up first
            return
        if fault in (401, 403) or not auth:
            code = fault if fault in (401, 403) else 401
            return self.reply(code, status(code, "Unauthorized" if code == 401 else
                                           "Forbidden", "Unauthorized" if code == 401 else
                                           'pods is forbidden: User "system:serviceaccount:'
                                           'credwatch:credwatch" cannot list resource "pods"'))
        if fault == "garbage":
            return self.reply(200, raw=b"<html><body>502 Bad Gateway</body></html>\n")
        if kind == "watch":
            return self.watch(q)
        return self.list(kind, q)

    def list(self, kind, q):
        api = self.api
        with api.cv:
            if kind == "kubelet":
                out = copy.deepcopy(api.kubelet)
                out["items"] = copy.deepcopy(api._items(api.kubelet, None))
                return self.reply(200, out)
            sel = q.get("fieldSelector", "")
            node = sel.split("=", 1)[1] if sel.startswith("spec.nodeName=") else None
            items = api._items(api.listed, node)
            start = int(base64.b64decode(q["continue"])) if q.get("continue") else 0
            limit = int(q.get("limit", 0)) or len(items)
            limit = min(limit, api.page_max or limit)
            out = {k: v for k, v in api.listed.items() if k != "items"}
            out = copy.deepcopy(out)
            out["items"] = copy.deepcopy(items[start:start + limit])
            if start + limit < len(items):
                out["metadata"]["continue"] = base64.b64encode(
                    str(start + limit).encode()).decode()
        self.reply(200, out)

    def chunk(self, obj):
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, q):
        api = self.api
        rv = int(q.get("resourceVersion") or 0)
        with api.cv:
            if rv and rv < api.too_old:
                return self.reply(410, status(410, "Expired", "too old resource version: "
                                              f"{rv} ({api.too_old - 1})"))
            gen = api.generation
            # the events after rv (history is in version order); then what comes
            sent = len([1 for r, _ in api.history if r <= rv]) if rv else len(api.history)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            while True:
                with api.cv:
                    while sent == len(api.history) and gen == api.generation:
                        api.cv.wait(1)
                    if gen != api.generation:
                        break
                    ev = api.history[sent][1]
                    sent += 1
                self.chunk(ev)
                if ev["type"] == "ERROR":
                    break
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
