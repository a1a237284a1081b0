#!/usr/bin/python3
# xsk_udp.py: datagrams for tests/integration/test_xsk.sh, run in the
# test namespace.
#
#   xsk_udp.py echo ADDR PORT N        send N numbered datagrams, print the
#                                      payloads echoed back, one a line
#   xsk_udp.py stream ADDR PORT N GAP  send N numbered datagrams GAP s apart
#                                      ("s<i>\n"); print how many went out
import socket
import sys
import time


def echo(addr, port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    got = set()
    for rnd in range(3):
        for i in range(n):
            if i not in got:
                s.sendto(b"xsk-%d-payload" % i, (addr, port))
        deadline = time.time() + 1.0
        while len(got) < n and time.time() < deadline:
            try:
                data, src = s.recvfrom(2048)
            except socket.timeout:
                continue
            if src != (addr, port) or not data.startswith(b"xsk-"):
                continue
            print(data.decode())
            got.add(int(data.split(b"-")[1]))
        if len(got) == n:
            break


def stream(addr, port, n, gap):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"s%d\n" % i, (addr, port))
        time.sleep(gap)
    print(n)


if sys.argv[1] == "echo":
    echo(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
else:
    stream(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
