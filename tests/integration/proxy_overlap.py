#!/usr/bin/env python3
"""A client whose last segment is sent again, overlapping (for test_proxy.sh).

  proxy_overlap.py PORT N OVERLAP NEW [WAIT]

connects to 127.0.0.1:PORT, sends N bytes and waits WAIT seconds (0.5)
for them to be taken, then injects one segment that starts OVERLAP bytes
before the client's next sequence number: the last OVERLAP bytes again,
then NEW bytes not sent before (a retransmission whose head the receiver
already has, as after a spurious retransmit of segments cut otherwise),
then a FIN. The other end must read the NEW bytes once, after the N.
Prints {"expect_sha": h, "expect_len": n}: what it should have read.
OVERLAP + NEW must fit in one IP packet. Needs root and scapy.
"""
import hashlib, json, os, socket, sys, time
from scapy.all import IP, TCP, Raw

def main():
    port, n, overlap, new = (int(x) for x in sys.argv[1:5])
    wait = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    # Every segment of the client must fit: the last one is wanted.
    sniff.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    sniff.bind(("lo", 0))
    sniff.setblocking(False)
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lport = c.getsockname()[1]
    data = os.urandom(n)
    c.sendall(data)
    time.sleep(wait)
    # The client's last segment carrying data: its sequence numbers and
    # timestamps, so that the injected one passes PAWS.
    last = None
    while True:
        try:
            pkt = sniff.recv(1 << 17)
        except BlockingIOError:
            break
        ip = IP(pkt[14:]) if len(pkt) > 14 else None
        if ip is None or TCP not in ip or ip[TCP].sport != lport:
            continue
        last = ip
    if last is None:
        print(json.dumps({"error": "no segment of the client seen"}))
        return 1
    t = last[TCP]
    nxt = t.seq + len(bytes(t.payload))
    opts = [(k, v) for k, v in t.options if k == "Timestamp"]
    if opts:
        tsval, tsecr = opts[0][1]
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (tsval + 1, tsecr))]
    extra = os.urandom(new)
    seg = IP(src="127.0.0.1", dst="127.0.0.1") / TCP(
        sport=lport, dport=port, seq=nxt - overlap, ack=t.ack, flags="PA",
        window=t.window, options=opts) / Raw(data[n - overlap:] + extra)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(bytes(seg), ("127.0.0.1", 0))
    # The client's own socket does not know of the new bytes: the FIN
    # that follows them is injected too, so the far end reads to its end.
    fin = IP(src="127.0.0.1", dst="127.0.0.1") / TCP(
        sport=lport, dport=port, seq=nxt + new, ack=t.ack, flags="FA",
        window=t.window, options=opts)
    time.sleep(0.05)
    raw.sendto(bytes(fin), ("127.0.0.1", 0))
    time.sleep(wait)
    want = data + extra
    print(json.dumps({"expect_len": len(want),
                      "expect_sha": hashlib.sha256(want).hexdigest()}), flush=True)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()
    return 0

if __name__ == "__main__":
    sys.exit(main())
