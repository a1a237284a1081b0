#!/usr/bin/env python3
"""Clients for the functions tests and benchmark (tests/integration/test_functions.sh,
bench/functions_bench.sh).

  fn_client.py tcp ADDR PORT              one request; prints the answer's body
  fn_client.py udp ADDR PORT              one datagram from a connected socket; prints the reply
  fn_client.py spread ADDR PORT N         N connections; prints {"pid": count, ...}
  fn_client.py loop ADDR PORT SECONDS     connect, request, read in a loop; prints
                                          ok=N refused=N errors=N
  fn_client.py catch ADDR PORT SECONDS FILE
                                          a TCP listener and a UDP socket bound to
                                          ADDR:PORT; writes what they got to FILE
  fn_client.py latency ADDR PORT N        N sequential requests; prints p50_us p99_us conn_per_s
  fn_client.py coldstart HANDLER - N      fork+exec HANDLER with a listening socket as fd 3
                                          (LISTEN_FDS=1) N times; prints p50_ms p99_ms of fork to
                                          first answered request
"""
import os
import signal
import json
import re
import socket
import sys
import time

REQ = b"GET / HTTP/1.0\r\n\r\n"


def request(addr, port, timeout=2.0):
    with socket.create_connection((addr, port), timeout=timeout) as c:
        c.sendall(REQ)
        data = b""
        while True:
            b = c.recv(4096)
            if not b:
                break
            data += b
    return data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")


def coldstart(handler, n):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    port = lsock.getsockname()[1]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(lsock.fileno(), 3)
            os.set_inheritable(3, True)  # a no-op dup2 when it was fd 3 already
            os.closerange(4, 1024)
            env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
                       LISTEN_FDNAMES="bench", FASTPATH_FUNCTION="bench")
            os.execve(handler, [handler], env)
        body = request("127.0.0.1", port, timeout=10)
        times.append(time.perf_counter() - t0)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert "hello" in body, body
    times.sort()
    print("%.2f %.2f" % (times[n // 2] * 1e3, times[min(n - 1, n * 99 // 100)] * 1e3))


def main():
    if sys.argv[1] == "coldstart":
        coldstart(sys.argv[2], int(sys.argv[4]))
        return
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "tcp":
        print(request(addr, port), end="")
    elif cmd == "udp":
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        u.connect((addr, port))
        u.send(b"hi")
        print(u.recv(2048).decode(errors="replace"), end="")
    elif cmd == "spread":
        counts = {}
        for _ in range(int(sys.argv[4])):
            m = re.search(r"pid (\d+)", request(addr, port))
            k = m.group(1) if m else "none"
            counts[k] = counts.get(k, 0) + 1
        print(json.dumps(counts))
    elif cmd == "loop":
        end = time.time() + float(sys.argv[4])
        ok = refused = errors = 0
        while time.time() < end:
            try:
                if "hello" in request(addr, port, timeout=5):
                    ok += 1
                else:
                    errors += 1
            except ConnectionRefusedError:
                refused += 1
            except OSError:
                errors += 1
        print("ok=%d refused=%d errors=%d" % (ok, refused, errors))
    elif cmd == "catch":
        t = socket.socket()
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, port))
        t.listen(64)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((addr, port))
        t.settimeout(0.1)
        u.settimeout(0.1)
        got = []
        end = time.time() + float(sys.argv[4])
        open(sys.argv[5], "w").close()
        print("ready", flush=True)
        while time.time() < end:
            try:
                c, _ = t.accept()
                got.append("tcp")
                c.close()
            except OSError:
                pass
            try:
                u.recv(2048)
                got.append("udp")
            except OSError:
                pass
            with open(sys.argv[5], "w") as f:
                f.write(" ".join(got))
    elif cmd == "latency":
        n = int(sys.argv[4])
        lat = []
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            request(addr, port)
            lat.append(time.perf_counter() - t0)
        total = time.perf_counter() - start
        lat.sort()
        print("%.0f %.0f %.0f" % (lat[n // 2] * 1e6, lat[min(n - 1, n * 99 // 100)] * 1e6, n / total))
    elif cmd == "first":
        t0 = time.perf_counter()
        end = time.time() + float(sys.argv[4])
        while time.time() < end:
            try:
                if "hello" in request(addr, port, timeout=1):
                    print("%.6f" % (time.perf_counter() - t0))
                    return
            except OSError:
                time.sleep(0.0005)
        print("timeout")
        sys.exit(1)


main()
