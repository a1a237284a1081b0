#!/usr/bin/python3
"""A DHCP relay agent's side of a DISCOVER/OFFER, REQUEST/ACK exchange, as
perfdhcp and real relays send it: from a UDP socket on port 67, giaddr set,
no padding to 300 bytes, option 82 attached.

    dhcp_relay.py RELAY_ADDR SERVER_ADDR MAC

Prints "OFFER ip" and "ACK ip" as they arrive; exits 1 on a timeout, a NAK
or a reply that does not echo the relay agent information."""
import random
import socket
import struct
import sys

RELAY, SERVER, MAC = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3].replace(":", ""))
AGENT = bytes([82, 6, 1, 4]) + b"port"   # circuit id "port"


def request(xid, msg_type, extra=b""):
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1, xid, 0, 0,
                        bytes(4), bytes(4), bytes(4), socket.inet_aton(RELAY),
                        MAC, bytes(64), bytes(128))
    opts = bytes([53, 1, msg_type, 61, 7, 1]) + MAC + extra + AGENT + bytes([255])
    return fixed + struct.pack("!I", 0x63825363) + opts


def options(reply):
    opts, i = {}, 240
    while i < len(reply) and reply[i] != 255:
        if reply[i] == 0:
            i += 1
            continue
        opts[reply[i]] = reply[i + 2:i + 2 + reply[i + 1]]
        i += 2 + reply[i + 1]
    return opts


def exchange(sock, xid, msg_type, extra=b""):
    sock.sendto(request(xid, msg_type, extra), (SERVER, 67))
    while True:
        reply, _ = sock.recvfrom(2048)
        if reply[0] == 2 and struct.unpack("!I", reply[4:8])[0] == xid:
            break
    opts = options(reply)
    if opts.get(82) != AGENT[2:]:
        sys.exit("the reply does not echo option 82")
    return opts.get(53, b"\0")[0], socket.inet_ntoa(reply[16:20]), opts


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((RELAY, 67))
sock.settimeout(3)
xid = random.getrandbits(32)
kind, ip, opts = exchange(sock, xid, 1)
if kind != 2:
    sys.exit("no OFFER: message type %d" % kind)
print("OFFER", ip, flush=True)
kind, ip, _ = exchange(sock, xid + 1, 3, bytes([50, 4]) + socket.inet_aton(ip) +
                       bytes([54, 4]) + opts[54])
if kind != 5:
    sys.exit("no ACK: message type %d" % kind)
print("ACK", ip, flush=True)
