#!/usr/bin/python3
"""api.py: a function handler in Python, started by fastpathd the systemd
way (LISTEN_FDS sockets from fd 3, LISTEN_PID = this process).

It answers every HTTP request on its TCP socket(s) with
"hello from ID instance N pid P", and every datagram on its UDP socket(s)
with the same line, sent from the address the client sent to: the socket
was steered to by sk_lookup, so the source address is set from the
datagram's destination (IP_PKTINFO); the source port is the socket's,
which fastpathd binds to the trigger port on loopback.

Standard library only; run it by hand with
    systemd-socket-activate -l 8080 examples/functions/api.py
"""
import os
import selectors
import socket
import struct
import sys

SD_LISTEN_FDS_START = 3
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IP_RECVORIGDSTADDR = getattr(socket, "IP_RECVORIGDSTADDR", 20)


def listen_fds():
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    n = int(os.environ.get("LISTEN_FDS", "0"))
    return [socket.socket(fileno=SD_LISTEN_FDS_START + i) for i in range(n)]


def greeting():
    return "hello from %s instance %s pid %d\n" % (
        os.environ.get("FASTPATH_FUNCTION", "api"),
        os.environ.get("FASTPATH_INSTANCE", "0"), os.getpid())


def serve_tcp(lsock, text):
    conn, _ = lsock.accept()
    with conn:
        conn.settimeout(0.2)
        try:
            conn.recv(2048)
        except OSError:
            pass
        body = text.encode()
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def serve_udp(usock, text):
    data, anc, _, peer = usock.recvmsg(2048, socket.CMSG_SPACE(64))
    dst = None
    for level, kind, value in anc:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
            dst = value[8:12]
        elif level == socket.IPPROTO_IP and kind == IP_RECVORIGDSTADDR and dst is None:
            dst = value[4:8]  # struct sockaddr_in: family, port, addr
    cmsg = []
    if dst:
        cmsg = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("i4s4s", 0, dst, b"\0" * 4))]
    usock.sendmsg([text.encode()], cmsg, 0, peer)


def main():
    socks = listen_fds()
    if not socks:
        print("api.py: no sockets passed (LISTEN_FDS); run it from fastpathd "
              "or systemd-socket-activate", file=sys.stderr)
        return 1
    text = greeting()
    sel = selectors.DefaultSelector()
    for s in socks:
        if s.type == socket.SOCK_DGRAM:
            s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            s.setsockopt(socket.IPPROTO_IP, IP_RECVORIGDSTADDR, 1)
            sel.register(s, selectors.EVENT_READ, serve_udp)
        else:
            sel.register(s, selectors.EVENT_READ, serve_tcp)
    while True:
        for key, _ in sel.select():
            try:
                key.data(key.fileobj, text)
            except OSError as e:
                print("api.py: %s" % e, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
