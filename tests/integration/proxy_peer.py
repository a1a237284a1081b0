#!/usr/bin/env python3
"""Both ends of a TCP stream for test_proxy.sh and proxy_bench.sh.

  server PORT [opts]   accept on 127.0.0.1:PORT; each connection is a peer;
                       one JSON line per finished connection on stdout
  client PORT [opts]   connect to 127.0.0.1:PORT, be a peer, print one
                       JSON line
  many PORT N          N concurrent connections, each echoing 64 bytes
                       twice; prints how many were right
  echo PORT            accept, echo everything back (for `many`)

A peer sends --send bytes (random, hashed as they go) while it reads
everything the other side sends until EOF, hashing it; then it reports
{"sent": n, "sent_sha": h, "recv": n, "recv_sha": h, "error": e}.
--after-eof sends only once the other side's EOF has arrived (half-close
the other way); --rst closes with an RST after sending; --accept-delay
waits before accepting; --read-delay sleeps after each read (slow reader);
--send-delay waits before sending (and so before the FIN); --rcvbuf sets
SO_RCVBUF before connecting or listening (a small window that stays small).
"""
import argparse, hashlib, json, os, selectors, socket, struct, sys, threading, time

CHUNK = 1 << 16


def peer(sock, a):
    res = {"sent": 0, "recv": 0, "error": ""}
    tx, rx = hashlib.sha256(), hashlib.sha256()
    eof = threading.Event()
    block = os.urandom(1 << 20)

    sdump = open(a.dump + ".sent", "wb") if a.dump else None

    def sender():
        try:
            if a.after_eof:
                eof.wait()
            if a.send_delay:
                time.sleep(a.send_delay)
            left, off = a.send, 0
            while left:
                # Offsets are mixed in so that a reordered block shows.
                n = min(left, CHUNK)
                piece = struct.pack("!Q", res["sent"]) + block[off:off + n - 8] \
                    if n > 8 else block[off:off + n]
                off = (off + n) % ((1 << 20) - CHUNK)
                sock.sendall(piece)
                if a.dump:
                    sdump.write(piece)
                tx.update(piece)
                res["sent"] += len(piece)
                left -= len(piece)
            if a.rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                return
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            res["error"] = res["error"] or "send:" + e.__class__.__name__

    dump = open(a.dump + ".recv", "wb") if a.dump else None
    t = threading.Thread(target=sender)
    t.start()
    try:
        while True:
            d = sock.recv(1 << 18)
            if not d:
                break
            rx.update(d)
            if dump:
                dump.write(d)
            res["recv"] += len(d)
            if a.read_delay:
                time.sleep(a.read_delay)
    except OSError as e:
        # What the receiving side saw says most: it wins over a send error.
        res["error"] = "recv:" + e.__class__.__name__
    eof.set()
    t.join()
    if dump:
        dump.close()
        sdump.close()
    res["sent_sha"], res["recv_sha"] = tx.hexdigest(), rx.hexdigest()
    if not a.rst:
        sock.close()
    return res


def server(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(1024)
    print(json.dumps({"listening": a.port}), flush=True)
    lock = threading.Lock()

    def one(s):
        r = peer(s, a)
        with lock:
            print(json.dumps(r), flush=True)

    while True:
        if a.accept_delay:
            time.sleep(a.accept_delay)
        s, _ = ls.accept()
        threading.Thread(target=one, args=(s,), daemon=True).start()


def client(a):
    s = socket.socket()
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(a.timeout)
    s.connect(("127.0.0.1", a.port))
    print(json.dumps(peer(s, a)), flush=True)


def echo(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    print(json.dumps({"listening": a.port}), flush=True)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    while True:
                        c, _ = ls.accept()
                        c.setblocking(False)
                        sel.register(c, selectors.EVENT_READ, "c")
                except BlockingIOError:
                    pass
                continue
            c = key.fileobj
            try:
                d = c.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(c)
                c.close()
                continue
            c.setblocking(True)
            c.sendall(d)
            c.setblocking(False)


def many(a):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    socks, ok, bad = [], 0, 0
    for i in range(a.n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", a.port))
        socks.append(s)
    msg = {}
    for i, s in enumerate(socks):
        m = struct.pack("!Q", i) * 8
        msg[s] = [m, b"", 0]
        sel.register(s, selectors.EVENT_WRITE, i)
    deadline = time.time() + a.timeout
    live = len(socks)
    while live and time.time() < deadline:
        for key, ev in sel.select(timeout=1):
            s = key.fileobj
            st = msg[s]
            try:
                if ev & selectors.EVENT_WRITE:
                    s.send(st[0])
                    st[2] += 1
                    sel.modify(s, selectors.EVENT_READ, key.data)
                    continue
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                bad += 1
                live -= 1
                sel.unregister(s)
                continue
            st[1] += d
            if len(st[1]) == len(st[0]) * st[2]:
                if st[1] != st[0] * st[2]:
                    bad += 1
                    live -= 1
                    sel.unregister(s)
                elif st[2] == 2:
                    ok += 1
                    live -= 1
                    sel.unregister(s)
                else:
                    sel.modify(s, selectors.EVENT_WRITE, key.data)
    print(json.dumps({"ok": ok, "bad": bad, "unfinished": live}), flush=True)
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client", "echo", "many"])
    p.add_argument("port", type=int)
    p.add_argument("n", type=int, nargs="?", default=0)
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--after-eof", action="store_true")
    p.add_argument("--rst", action="store_true")
    p.add_argument("--accept-delay", type=float, default=0)
    p.add_argument("--read-delay", type=float, default=0)
    p.add_argument("--send-delay", type=float, default=0)
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--dump", default="")
    a = p.parse_args()
    {"server": server, "client": client, "echo": echo, "many": many}[a.mode](a)


if __name__ == "__main__":
    main()
