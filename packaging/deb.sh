#!/bin/sh
# packaging/deb.sh BUILD: build fastpath's .deb with dpkg-buildpackage
# (debian/, debhelper) in a copy of the source tree under BUILD/deb, so the
# package build neither cleans nor writes the working tree; the .deb ends
# in BUILD/. A built BUILD/ is copied along with its time stamps, so make
# inside the package build finds it up to date and does not compile again
# (`make clean deb` builds from nothing).
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
for t in dpkg-buildpackage dh; do
	command -v $t >/dev/null 2>&1 || {
		echo "deb: $t not found; run scripts/deps.sh (dpkg-dev, debhelper)" >&2
		exit 1
	}
done

work=$BUILD/deb
rm -rf "$work"
mkdir -p "$work/fastpath"
# The files git knows (tracked or new, not ignored), else the whole tree.
cd "$SRC"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | xargs -0 cp -p --parents -t "$work/fastpath"
else
	tar -C "$SRC" --exclude=./build --exclude='./build*' -cf - . | tar -C "$work/fastpath" -xpf -
fi
if [ -x "$BUILD/fastpath" ] && [ -x "$BUILD/fastpathd" ]; then
	mkdir -p "$work/fastpath/build"
	for d in "$BUILD"/*; do
		case ${d##*/} in deb | *.deb) continue ;; esac
		cp -a "$d" "$work/fastpath/build/"
	done
fi
cd "$work/fastpath"
# -nc: no "debian/rules clean" first, which would remove the copied build.
dpkg-buildpackage -b -us -uc -nc >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "deb: dpkg-buildpackage failed; the whole log is $work/build.log" >&2
	exit 1
}
for f in "$work"/*.deb; do
	mv "$f" "$BUILD/"
	echo "deb: $BUILD/$(basename "$f")"
done
