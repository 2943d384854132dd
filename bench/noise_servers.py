# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The providers a noise-benchmark day talks to: one HTTPS server per provider address, port
443 (6443 for the cluster's API server endpoint), each answering with the certificate of the
name the client asked for (SNI; without SNI, the API server's certificate, whose IP SANs hold
its service address), signed by the day's private CA.

Every server checks what a real one would: GitHub's git and API hosts, npm, Slack, Stripe,
Docker Hub and the Kubernetes API server want the day's credential, STS checks the SigV4
signature with the secret key it shares with the client. What each one saw (host, SNI, path,
whether the credential was right) is kept in `log`, so the benchmark can tell a day that did
not happen (a client that failed) from a quiet one.
"""
import base64
import hashlib
import hmac
import http.server
import json
import socketserver
import ssl
import subprocess
import threading
import urllib.parse


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def add(self, **e):
        with self.lock:
            self.entries.append(e)


def sigv4_ok(headers, body, key_id, secret):
    """Is the Authorization header a valid SigV4 signature of this STS request?"""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    cred = parts.get("Credential", "").split("/")
    if len(cred) != 5 or cred[0] != key_id:
        return False
    date, region, service = cred[1], cred[2], cred[3]
    signed = parts.get("SignedHeaders", "").split(";")
    canon_headers = "".join("%s:%s\n" % (h, " ".join(headers.get(h, "").split())) for h in signed)
    canon = "\n".join(["POST", "/", "", canon_headers, ";".join(signed),
                       hashlib.sha256(body).hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", headers.get("X-Amz-Date", ""),
                     "/".join(cred[1:]), hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for m in (date, region, service, "aws4_request"):
        k = hmac.new(k, m.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(),
                               parts.get("Signature", ""))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"

    def log_message(self, *a):
        pass

    # --- plumbing -----------------------------------------------------------------------------
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

    def reply(self, code, body=b"", ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def host(self):
        return (self.headers.get("Host") or "").split(":")[0]

    def bearer(self):
        a = self.headers.get("Authorization", "")
        for scheme in ("Bearer ", "bearer ", "token ", "Token "):
            if a.startswith(scheme):
                return a[len(scheme):].strip()
        return None

    def basic(self):
        a = self.headers.get("Authorization", "")
        if not a.startswith("Basic "):
            return None, None
        u, _, p = base64.b64decode(a[6:]).decode().partition(":")
        return u, p

    def note(self, ok, **more):
        self.server.log.add(server=self.server.name, sni=getattr(self.connection, "cw_sni", None),
                            host=self.host(), method=self.command,
                            path=self.path.split("?")[0], ok=ok, **more)

    def do_GET(self):
        self.dispatch(b"")

    def do_HEAD(self):
        self.dispatch(b"")

    def do_POST(self):
        self.dispatch(self.body())

    def do_PUT(self):
        self.dispatch(self.body())

    def dispatch(self, body):
        ctx = self.server.ctx
        name = self.server.name
        fn = getattr(self, "srv_" + name.replace(".", "_").replace("-", "_"), None)
        try:
            fn(ctx, body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- GitHub ---------------------------------------------------------------------------
    def srv_github_com(self, ctx, body):
        """Smart HTTP through git-http-backend, behind Basic auth with a token as password."""
        user, pw = self.basic()
        if pw is None or pw not in ctx["github_tokens"]:
            self.note(False if pw else None)
            return self.reply(401, b"", "text/plain",
                              [("WWW-Authenticate", 'Basic realm="GitHub"')])
        self.note(True)
        u = urllib.parse.urlsplit(self.path)
        env = {"GIT_PROJECT_ROOT": ctx["repos"], "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": u.path, "QUERY_STRING": u.query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": user, "REMOTE_ADDR": "10.0.0.1",
               "PATH": "/usr/bin:/bin"}
        for h in ("Git-Protocol", "Content-Encoding"):
            if self.headers.get(h):
                env["HTTP_" + h.upper().replace("-", "_")] = self.headers[h]
        out = subprocess.run(["/usr/lib/git-core/git-http-backend"], input=body, env=env,
                             capture_output=True, timeout=60).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        code, headers, ctype = 200, [], "text/plain"
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            v = v.strip()
            if k.lower() == "status":
                code = int(v.split()[0])
            elif k.lower() == "content-type":
                ctype = v
            elif k:
                headers.append((k, v))
        self.reply(code, payload, ctype, headers)

    def srv_api_github_com(self, ctx, body):
        ok = self.bearer() in ctx["github_tokens"]
        self.note(ok)
        if not ok:
            return self.reply(401, {"message": "Bad credentials"})
        self.reply(200, {"login": "dev", "id": 1, "public_repos": 3})

    # --- npm ------------------------------------------------------------------------------
    def srv_registry_npmjs_org(self, ctx, body):
        ok = self.bearer() == ctx["secrets"]["npm_token"]
        self.note(ok)
        if not ok:
            return self.reply(401, {"error": "not authorized"})
        path = urllib.parse.unquote(self.path.split("?")[0])
        pkg = ctx["npm_package"]
        if path == "/" + pkg["name"]:
            return self.reply(200, pkg["packument"])
        if path == pkg["tarball_path"]:
            with open(pkg["tarball"], "rb") as f:
                return self.reply(200, f.read(), "application/octet-stream")
        self.reply(404, {"error": "not found"})

    # --- Slack, Stripe --------------------------------------------------------------------
    def srv_slack_com(self, ctx, body):
        ok = self.bearer() == ctx["secrets"]["slack_token"]
        self.note(ok)
        self.reply(200, {"ok": ok, "channel": "C024BE91L", "ts": "1700000000.000100"})

    def srv_api_stripe_com(self, ctx, body):
        ok = self.bearer() == ctx["secrets"]["stripe_key"]
        self.note(ok)
        if not ok:
            return self.reply(401, {"error": {"type": "invalid_request_error"}})
        self.reply(200, {"object": "balance", "available": [{"amount": 0, "currency": "usd"}]})

    # --- AWS STS --------------------------------------------------------------------------
    def srv_sts_amazonaws_com(self, ctx, body):
        s = ctx["secrets"]
        ok = sigv4_ok(self.headers, body, s["aws_key_id"], s["aws_secret"])
        self.note(ok)
        if not ok:
            return self.reply(403, b"<ErrorResponse/>", "text/xml")
        self.reply(200, ("<GetCallerIdentityResponse><GetCallerIdentityResult>"
                         "<Arn>arn:aws:iam::123456789012:user/dev</Arn><UserId>AIDA0000</UserId>"
                         "<Account>123456789012</Account></GetCallerIdentityResult>"
                         "</GetCallerIdentityResponse>").encode(), "text/xml")

    # --- Docker Hub -----------------------------------------------------------------------
    def srv_registry_1_docker_io(self, ctx, body):
        tok = self.bearer()
        ok = tok is not None and tok == ctx["registry_bearer"]
        self.note(ok if tok else None)
        if not ok:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED"}]}, headers=[
                ("Docker-Distribution-Api-Version", "registry/2.0"),
                ("WWW-Authenticate", 'Bearer realm="https://auth.docker.io/token",'
                                     'service="registry.docker.io"')])
        self.reply(200, {}, headers=[("Docker-Distribution-Api-Version", "registry/2.0")])

    def srv_auth_docker_io(self, ctx, body):
        user, pw = self.basic()
        if pw is None and body:
            form = urllib.parse.parse_qs(body.decode())
            user, pw = form.get("username", [None])[0], form.get("password", [None])[0]
        ok = pw == ctx["secrets"]["docker_pat"]
        self.note(ok)
        if not ok:
            return self.reply(401, {"details": "incorrect username or password"})
        self.reply(200, {"token": ctx["registry_bearer"], "access_token": ctx["registry_bearer"],
                         "expires_in": 300})

    # --- Kubernetes API server (service IP and node endpoint) -------------------------------
    def srv_kubernetes(self, ctx, body):
        tok = self.bearer()
        cert = self.connection.getpeercert()
        ok = tok in ctx["sa_tokens"] or (tok is None and cert is not None)
        self.note(ok, client_cert=cert is not None)
        if not ok:
            return self.reply(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
        if "/leases/" in self.path:
            return self.reply(200, {"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
                                    "spec": {"holderIdentity": "cert-sync"}})
        self.reply(200, {"kind": "List", "apiVersion": "v1", "items": [],
                         "metadata": {"resourceVersion": "4711"}})

    # --- the bad day's paste site ----------------------------------------------------------
    def srv_paste_example_net(self, ctx, body):
        self.note(True)
        self.reply(201, {"url": "https://paste.example.net/p/7f3a"})


class TlsServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name, addr, port, contexts, default, ctx, log):
        self.name, self.ctx, self.log = name, ctx, log
        super().__init__((addr, port), Handler)
        self.tls = default

        def sni(sock, server_name, _):
            sock.cw_sni = server_name
            if server_name in contexts:
                sock.context = contexts[server_name]
        default.sni_callback = sni

    def get_request(self):
        raw, peer = self.socket.accept()
        raw.settimeout(30)
        try:
            return self.tls.wrap_socket(raw, server_side=True), peer
        except (ssl.SSLError, OSError):
            raw.close()
            raise

    def handle_error(self, request, client_address):
        pass


# provider name -> the server that answers it (hosts of one provider share an address, as a
# CDN would; each gets its own certificate through SNI)
SERVERS = {
    "github.com": "github.com", "api.github.com": "api.github.com",
    "registry.npmjs.org": "registry.npmjs.org", "slack.com": "slack.com",
    "api.stripe.com": "api.stripe.com", "sts.amazonaws.com": "sts.amazonaws.com",
    "registry-1.docker.io": "registry-1.docker.io", "auth.docker.io": "auth.docker.io",
    "paste.example.net": "paste.example.net",
}


def start(ctx):
    """One server per host (and the API server's two endpoints); returns (servers, log)."""
    log = Log()
    servers = []
    pki = ctx["pki"]

    def context(host, client_ca=False):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(pki["certs"][host], pki["keys"][host])
        if client_ca:
            c.load_verify_locations(pki["ca"])
            c.verify_mode = ssl.CERT_OPTIONAL
        return c
    for host, ip in ctx["hosts"].items():
        if host in SERVERS:
            c = context(host)
            servers.append(TlsServer(SERVERS[host], ip, 443, {host: c}, c, ctx, log))
    k8s = ctx["kubernetes"]
    api = context("kubernetes", client_ca=True)
    servers.append(TlsServer("kubernetes", k8s["service_ip"], 443, {}, api, ctx, log))
    servers.append(TlsServer("kubernetes", k8s["endpoint_ip"], 6443,
                             {k8s["endpoint_name"]: api}, api, ctx, log))
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    return servers, log


def stop(servers):
    for s in servers:
        s.shutdown()
        s.server_close()

