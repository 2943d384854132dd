#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Loopback stand-ins for the SIEM endpoints credwatch's HTTPS outputs talk to (stdlib only).

No Splunk or Elasticsearch package exists here, so this implements each endpoint's documented
request and response shapes:
  POST /services/collector/event   Splunk HEC: `Authorization: Splunk TOKEN`, events back to
                                   back; {"text":"Success","code":0}, errors with HEC's codes
  POST [/INDEX]/_bulk              Elasticsearch/OpenSearch: NDJSON action + document pairs;
                                   `create` answers 201, or 409 version_conflict_engine_exception
                                   when the _id is in the index already; item by item
  POST ANY/OTHER/PATH              a webhook: a JSON array of findings
Each checks the credential, gunzips `Content-Encoding: gzip` bodies, parses every finding and
records what landed by event id (HEC and webhooks: event.id, or OCSF finding_info.uid; bulk:
the _id), how often, and over how many connections. Its journal (Receiver.journal()) says what
happened on each connection, in order, for a test's failure message.

Failures on command (Receiver.inject, or a JSON line on stdin in script mode), each for the
next `count` requests: {"status":500} or {"status":429,"retry_after":"2"} (whole request),
{"bulk_item":1,"status":429,"type":"es_rejected_execution_exception"} (one item of a _bulk
request fails, the others are stored), {"slow":2.0} (answer after that many seconds).

Script mode (the C unit tests and bench/sink_throughput use it):
  receivers.py [--token-file F] [--cert C --key K [--client-ca CA]] [--quiet]
prints "listening PORT", then reads commands from stdin, one JSON object a line:
  {"inject":{...}}  -> "ok"      {"landed":true} -> one JSON line (see Receiver.summary)
  {"counts":true} -> the same without the event ids
  {"reset":true}    -> "ok"      EOF or {"quit":true} -> exits.

make_pki(dir) makes a throwaway CA, a server certificate for 127.0.0.1/localhost and a client
certificate with the openssl CLI (and a second CA that signed nothing, for the wrong-CA test).
"""
import argparse
import base64
import gzip
import http.server
import json
import os
import socketserver
import ssl
import subprocess
import sys
import threading
import time


class Receiver:
    """The endpoints on a loopback port, served from threads; a context manager."""

    def __init__(self, token=None, cert=None, key=None, client_ca=None, keep=True):
        self.token = token
        self.keep = keep  # keep every document (False: count only, for benchmarks)
        self.lock = threading.Lock()
        self.reset()
        handler = type("Handler", (_Handler,), {"receiver": self})
        self.server = _Server(("127.0.0.1", 0), handler)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            if client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(client_ca)
            self.server.tls = ctx
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.faults = []
            self.landed = {}  # event id -> times stored (HEC, webhook) or created (bulk)
            self.docs = {}  # event id -> the finding (dict), when keep
            self.order = []  # event ids in the order they were first stored
            self.requests = 0
            self.times = []  # each request's arrival (time.monotonic())
            self.failed = 0  # requests answered with an injected failure
            self.conflicts = 0  # bulk items answered 409
            self.unauthorized = 0
            self.gzipped = 0
            self.connections = 0
            self.bad = []  # requests that did not parse: (path, reason)
            self.tls_failures = []  # handshakes that failed, and why
            self.events = []  # (time.monotonic(), client port, what happened): the journal

    def inject(self, fault, count=1):
        with self.lock:
            self.faults.append(dict(fault, left=count))

    def summary(self):
        with self.lock:
            return {"landed": dict(self.landed), "requests": self.requests,
                    "failed": self.failed, "conflicts": self.conflicts,
                    "unauthorized": self.unauthorized, "gzipped": self.gzipped,
                    "connections": self.connections, "bad": list(self.bad), "tls_failures": list(self.tls_failures),
                    "count": sum(self.landed.values()), "unique": len(self.landed)}

    def note(self, peer_port, what):
        with self.lock:
            if len(self.events) < 1000:
                self.events.append((time.monotonic(), peer_port, what))

    def journal(self):
        """What happened, a line each: seconds since the first entry, the client's port, what."""
        with self.lock:
            t0 = self.events[0][0] if self.events else 0
            return "\n".join("%7.3f :%d %s" % (t - t0, p, w) for t, p, w in self.events)

    def url(self, path, tls=False):
        return "%s://127.0.0.1:%d%s" % ("https" if tls else "http", self.port, path)

    def wait(self, cond, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if cond(self):
                    return True
            time.sleep(0.02)
        return False

    def _next_fault(self, bulk):
        with self.lock:
            for f in self.faults:
                if ("bulk_item" in f) and not bulk:
                    continue
                f["left"] -= 1
                if f["left"] <= 0:
                    self.faults.remove(f)
                return f
        return None

    def _store(self, eid, doc):
        """Stored once more; returns how many times it was before."""
        with self.lock:
            before = self.landed.get(eid, 0)
            self.landed[eid] = before + 1
            if not before:
                self.order.append(eid)
            if self.keep:
                self.docs[eid] = doc
            return before

    def close(self):
        # shutdown() waits for the accept loop; once (a full suite run) it never returned, so
        # it gets a bound and the socket is closed either way: a test must not hang the suite.
        stopper = threading.Thread(target=self.server.shutdown, daemon=True)
        stopper.start()
        stopper.join(10)
        if stopper.is_alive():
            print("receivers.py: the accept loop did not stop in 10 s; closing its socket",
                  file=sys.stderr)
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _HandshakeFailed(Exception):
    pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    tls = None

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], _HandshakeFailed):
            super().handle_error(request, client_address)

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls:
            # The handshake runs in the handler's thread (setup), not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


def _event_id(finding):
    if not isinstance(finding, dict):
        return None
    ev = finding.get("event")
    if isinstance(ev, dict) and isinstance(ev.get("id"), str):
        return ev["id"]
    fi = finding.get("finding_info")
    if isinstance(fi, dict) and isinstance(fi.get("uid"), str):
        return fi["uid"]
    return None


def _concatenated(text):
    """HEC's batch: JSON objects one after the other, whitespace between or not."""
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i == len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SIEMs do
    # Headers and body go out in two writes: with Nagle, the second waits for the client's
    # delayed ACK (40 ms a request).
    disable_nagle_algorithm = True
    receiver = None

    def setup(self):
        self.receiver.note(self.client_address[1], "connected")
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.receiver.note(self.client_address[1], "TLS handshake failed: %s" % e)
                with self.receiver.lock:
                    self.receiver.tls_failures.append(str(e))
                raise _HandshakeFailed() from e
        super().setup()
        with self.receiver.lock:
            self.receiver.connections += 1

    def handle(self):
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError) as e:
            self.receiver.note(self.client_address[1], "connection lost: %r" % e)
        self.receiver.note(self.client_address[1], "closed")

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, headers=()):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.receiver.note(self.client_address[1], "answered %d (%d bytes)" % (status, len(body)))

    def authorized(self, kind):
        tok = self.receiver.token
        if tok is None:
            return True
        got = self.headers.get("Authorization", "")
        if kind == "hec":
            return got == "Splunk " + tok
        if kind == "bulk":
            if ":" in tok:
                return got == "Basic " + base64.b64encode(tok.encode()).decode()
            return got == "ApiKey " + tok
        if ": " in tok:
            name, value = tok.split(": ", 1)
            return self.headers.get(name) == value
        return got == "Bearer " + tok

    def body(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding", "") == "gzip":
            with self.receiver.lock:
                self.receiver.gzipped += 1
            raw = gzip.decompress(raw)
        return raw.decode()

    def do_POST(self):
        r = self.receiver
        path = self.path.split("?")[0]
        kind = ("hec" if path.startswith("/services/collector") else
                "bulk" if path.endswith("/_bulk") else "webhook")
        text = self.body()  # read it whatever the answer, so the connection stays usable
        r.note(self.client_address[1], "POST %s (%d bytes)" % (self.path, len(text)))
        with r.lock:
            r.requests += 1
            r.times.append(time.monotonic())
        if not self.authorized(kind):
            with r.lock:
                r.unauthorized += 1
            if kind == "hec":
                return self.reply(403, {"text": "Invalid token", "code": 4})
            return self.reply(401, {"error": "unauthorized"})
        fault = r._next_fault(kind == "bulk")
        if fault and "slow" in fault:
            r.note(self.client_address[1], "answering in %.1f s (injected)" % fault["slow"])
            time.sleep(fault["slow"])
            fault = None
        if fault and "bulk_item" not in fault:
            with r.lock:
                r.failed += 1
            headers = [("Retry-After", fault["retry_after"])] if "retry_after" in fault else []
            st = fault["status"]
            if kind == "hec":
                code = 9 if st == 503 else 8
                return self.reply(st, {"text": "Server is busy" if code == 9 else
                                       "Internal server error", "code": code}, headers)
            return self.reply(st, {"error": "injected %d" % st}, headers)
        try:
            getattr(self, "post_" + kind)(path, text, fault)
        except (ValueError, KeyError, TypeError) as e:
            with r.lock:
                r.bad.append((path, str(e)))
            if kind == "hec":
                return self.reply(400, {"text": "Invalid data format", "code": 6})
            return self.reply(400, {"error": str(e)})

    def post_hec(self, path, text, fault):
        events = _concatenated(text)
        for ev in events:
            if not isinstance(ev.get("event"), dict) or "time" not in ev:
                raise ValueError("an HEC event without event or time")
        for ev in events:
            self.receiver._store(_event_id(ev["event"]), ev)
        self.reply(200, {"text": "Success", "code": 0})

    def post_webhook(self, path, text, fault):
        arr = json.loads(text)
        if not isinstance(arr, list):
            raise ValueError("a webhook body that is not a JSON array")
        for f in arr:
            self.receiver._store(_event_id(f), f)
        self.reply(200, {"received": len(arr)})

    def post_bulk(self, path, text, fault):
        r = self.receiver
        if self.headers.get("Content-Type", "") != "application/x-ndjson":
            raise ValueError("_bulk without Content-Type application/x-ndjson")
        url_index = path[1:-len("/_bulk")] if path != "/_bulk" else None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        else:
            raise ValueError("_bulk body must end with a newline")
        items, errors = [], False
        for n in range(0, len(lines), 2):
            action = json.loads(lines[n])
            doc = json.loads(lines[n + 1])
            meta = action["create"]
            index = meta.get("_index", url_index)
            if not index:
                raise ValueError("no index")
            eid = meta["_id"]
            item = {"_index": index, "_id": eid}
            if fault and fault["bulk_item"] == n // 2:
                item.update(status=fault["status"], error={
                    "type": fault.get("type", "es_rejected_execution_exception"),
                    "reason": "injected"})
                errors = True
            elif r._store(eid, doc):
                with r.lock:
                    r.landed[eid] -= 1  # a conflict does not store it again
                    r.conflicts += 1
                item.update(status=409, error={"type": "version_conflict_engine_exception",
                                               "reason": "[%s]: version conflict" % eid})
                errors = True
            else:
                item.update(status=201, result="created")
            items.append({"create": item})
        self.reply(200, {"took": 1, "errors": errors, "items": items})


def make_pki(d):
    """A throwaway CA in d (ca.pem, ca.key), a server cert for 127.0.0.1 (server.pem/.key), a
    client cert (client.pem/.key), and other-ca.pem that signed nothing. Returns d."""
    def ossl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)

    for ca in ("ca", "other-ca"):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=credwatch test %s" % ca, "-keyout", ca + ".key", "-out", ca + ".pem")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in (("server", ["-extfile", "san.ext"]), ("client", [])):
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
             "-keyout", name + ".key", "-out", name + ".csr")
        ossl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", name + ".pem", *ext)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--token-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca")
    ap.add_argument("--count-only", action="store_true", help="keep no documents")
    ap.add_argument("--pki", metavar="DIR", help="make a throwaway PKI in DIR and exit")
    a = ap.parse_args()
    if a.pki:
        make_pki(a.pki)
        return
    token = None
    if a.token_file:
        with open(a.token_file) as f:
            token = f.read().strip()
    r = Receiver(token, a.cert, a.key, a.client_ca, keep=not a.count_only)
    print("listening %d" % r.port, flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if "inject" in cmd:
            f = dict(cmd["inject"])
            r.inject(f, f.pop("count", 1))
            print("ok", flush=True)
        elif "landed" in cmd:
            print(json.dumps(r.summary()), flush=True)
        elif "counts" in cmd:
            s = r.summary()
            del s["landed"]
            print(json.dumps(s), flush=True)
        elif "reset" in cmd:
            r.reset()
            print("ok", flush=True)
        elif "quit" in cmd:
            break
    r.close()


if __name__ == "__main__":
    main()
