#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""dhcp_check: an independent reading of the DHCP replies the XDP stage
writes, for tests/bpf/test_dhcp.c. A coprocess: one line in per reply,

    HEX key=value key=value ...

and one line out, "ok" or "FAIL <what differs>". scapy parses the frame;
the IPv4 and UDP checksums are recomputed by scapy (field deleted, frame
rebuilt) and compared; the DHCP options are walked byte by byte for their
order and raw values, and decoded by scapy for their meaning.

Keys (any subset): eth_dst eth_src vlans (outer first, comma separated,
"-" for none) ip_src ip_dst sport dport xid (hex) flags (hex) ciaddr
yiaddr giaddr chaddr type server_id lease t1 t2 mask router dns domain
relay (hex of option 82's value) order (option codes, comma separated).
"-" means absent; a key given twice, the later value."""
import sys

from scapy.all import BOOTP, DHCP, IP, UDP, Dot1AD, Dot1Q, Ether  # noqa: E402


def raw_options(bootp_bytes):
    """(code, value) pairs of the options after the cookie, END included."""
    opts, i = [], 240
    while i < len(bootp_bytes):
        code = bootp_bytes[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            opts.append((255, b""))
            return opts, bootp_bytes[i + 1:]
        n = bootp_bytes[i + 1]
        opts.append((code, bytes(bootp_bytes[i + 2:i + 2 + n])))
        i += 2 + n
    raise ValueError("no END option")


def ip4(b):
    return ".".join(str(x) for x in b)


def facts(frame):
    got = {}
    eth = Ether(frame)
    got["eth_dst"] = eth.dst
    got["eth_src"] = eth.src
    vlans, layer = [], eth.payload
    while isinstance(layer, (Dot1Q, Dot1AD)):
        vlans.append(str(layer.vlan))
        layer = layer.payload
    got["vlans"] = ",".join(vlans) or "-"
    if not isinstance(layer, IP):
        raise ValueError("no IPv4 header after the Ethernet header")
    ip = layer
    if ip.ihl != 5 or ip.version != 4:
        raise ValueError("IPv4 header: version %d ihl %d" % (ip.version, ip.ihl))
    if ip.ttl != 64 or ip.proto != 17 or ip.frag != 0 or ip.flags != 0:
        raise ValueError("IPv4 header: ttl %d proto %d frag %d" % (ip.ttl, ip.proto, ip.frag))
    l3_off = len(frame) - len(bytes(ip))
    if ip.len != len(frame) - l3_off:
        raise ValueError("IPv4 total length %d, frame has %d" % (ip.len, len(frame) - l3_off))
    udp = ip[UDP]
    if udp.len != ip.len - 20:
        raise ValueError("UDP length %d, IPv4 says %d" % (udp.len, ip.len - 20))
    # Checksums: scapy's, on the same frame with the fields left to it.
    rebuilt = Ether(frame)
    del rebuilt[IP].chksum
    del rebuilt[UDP].chksum
    rebuilt = Ether(bytes(rebuilt))
    if rebuilt[IP].chksum != ip.chksum:
        raise ValueError("IPv4 checksum %#06x, should be %#06x" % (ip.chksum, rebuilt[IP].chksum))
    if udp.chksum == 0:
        raise ValueError("UDP checksum 0 (not computed)")
    if rebuilt[UDP].chksum != udp.chksum:
        raise ValueError("UDP checksum %#06x, should be %#06x" % (udp.chksum, rebuilt[UDP].chksum))
    got["ip_src"], got["ip_dst"] = ip.src, ip.dst
    got["sport"], got["dport"] = str(udp.sport), str(udp.dport)

    bootp_bytes = bytes(udp.payload)
    if len(bootp_bytes) < 300:
        raise ValueError("BOOTP message of %d bytes, under 300" % len(bootp_bytes))
    bp = udp[BOOTP]
    if bp.op != 2 or bp.htype != 1 or bp.hlen != 6 or bp.hops != 0 or bp.secs != 0:
        raise ValueError("BOOTP header: op %d htype %d hlen %d hops %d secs %d" %
                         (bp.op, bp.htype, bp.hlen, bp.hops, bp.secs))
    if bp.siaddr != "0.0.0.0":
        raise ValueError("siaddr %s" % bp.siaddr)
    if any(bootp_bytes[44:236]):
        raise ValueError("sname/file not zero")
    if bootp_bytes[236:240] != b"\x63\x82\x53\x63":
        raise ValueError("magic cookie %s" % bootp_bytes[236:240].hex())
    got["xid"] = "%x" % bp.xid
    got["flags"] = "%x" % int(bp.flags)
    got["ciaddr"], got["yiaddr"], got["giaddr"] = bp.ciaddr, bp.yiaddr, bp.giaddr
    got["chaddr"] = ":".join("%02x" % b for b in bytes(bp.chaddr)[:6])
    if any(bytes(bp.chaddr)[6:16]):
        raise ValueError("chaddr bytes past the MAC not zero")

    opts, tail = raw_options(bootp_bytes)
    if any(tail):
        raise ValueError("bytes after END that are not PAD")
    codes = [c for c, _ in opts]
    if len(set(codes)) != len(codes):
        raise ValueError("an option twice: %s" % codes)
    got["order"] = ",".join(str(c) for c in codes)
    val = dict(opts)

    def addr_opt(code):
        v = val.get(code)
        if v is None:
            return "-"
        if len(v) % 4:
            raise ValueError("option %d of %d bytes" % (code, len(v)))
        return ",".join(ip4(v[i:i + 4]) for i in range(0, len(v), 4))

    def u32_opt(code):
        v = val.get(code)
        if v is None:
            return "-"
        if len(v) != 4:
            raise ValueError("option %d of %d bytes" % (code, len(v)))
        return str(int.from_bytes(v, "big"))

    got["type"] = {b"\x02": "offer", b"\x05": "ack"}.get(val.get(53), repr(val.get(53)))
    got["server_id"] = addr_opt(54)
    got["lease"], got["t1"], got["t2"] = u32_opt(51), u32_opt(58), u32_opt(59)
    got["mask"], got["router"], got["dns"] = addr_opt(1), addr_opt(3), addr_opt(6)
    got["domain"] = val[15].decode() if 15 in val else "-"
    got["relay"] = val[82].hex() if 82 in val else "-"

    # scapy's own decoding must agree on the type and the server id.
    decoded = dict(o for o in bp[DHCP].options if isinstance(o, tuple) and len(o) == 2)
    want_type = {"offer": 2, "ack": 5}.get(got["type"])
    if decoded.get("message-type") != want_type:
        raise ValueError("scapy decodes message-type %r" % decoded.get("message-type"))
    if decoded.get("server_id") != got["server_id"]:
        raise ValueError("scapy decodes server_id %r" % decoded.get("server_id"))
    return got


def check(line):
    words = line.split()
    if not words:
        return "FAIL empty line"
    try:
        got = facts(bytes.fromhex(words[0]))
    except Exception as e:  # any reading error is the reply's fault
        return "FAIL %s" % e
    bad, wants = [], {}
    for kv in words[1:]:  # a key given twice: the later value counts
        key, _, want = kv.partition("=")
        wants[key] = want
    for key, want in wants.items():
        if key not in got:
            bad.append("unknown key %s" % key)
        elif got[key] != want:
            bad.append("%s=%s, expected %s" % (key, got[key], want))
    return "FAIL " + "; ".join(bad) if bad else "ok"


def main():
    print("ready", flush=True)
    for line in sys.stdin:
        print(check(line.strip()), flush=True)


if __name__ == "__main__":
    main()
