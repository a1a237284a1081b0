#!/bin/sh
# Installs every build, test and benchmark dependency from Debian's packages.
# Idempotent: packages already present are left as they are.
set -eu

PACKAGES="
make gcc clang llvm pkg-config
libbpf-dev bpftool libelf-dev zlib1g-dev libxdp-dev xdp-tools
libjson-c-dev libyaml-dev libcmocka-dev libmicrohttpd-dev prometheus libnl-route-3-dev
iproute2 iputils-ping netcat-openbsd socat iperf3 python3-scapy nftables
haproxy wrk
util-linux libcap2-bin procps
isc-dhcp-client udhcpc dhcpcd-base dnsmasq-base kea-dhcp4-server kea-admin
mandoc man-db debhelper dpkg-dev yamllint python3-jsonschema python3-yaml systemd
"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root (sudo make deps): it installs Debian packages" >&2
	exit 1
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
else
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# kea-dhcp4-server is a benchmark peer, not a service: where systemd
# started it, stop it, so that it holds no DHCP port the tests need.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
	systemctl disable --now kea-dhcp4-server kea-ctrl-agent >/dev/null 2>&1 || true
	# haproxy too: bench/proxy_bench.sh runs its own instance on loopback.
	systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
