#!/usr/bin/env bash
# Builds one surgemq .deb from binaries already in the dist directory. Called by `make deb`:
#
#   build-deb.sh DIST PLATFORM DEB_ARCH CONFIG
#
#   DIST      directory with the binaries (<cmd>_<PLATFORM>); the .deb is written there
#   PLATFORM  binary suffix, e.g. linux_armv6
#   DEB_ARCH  Debian architecture: armhf, arm64 or amd64
#   CONFIG    the TOML file shipped as the conffile /etc/surgemq/surgemq.toml
#
# Environment: NFPM (the command that runs nfpm), DEB_VERSION, DEB_MAINTAINER, CMDS (the
# commands to package; a command whose cmd/<name> directory does not exist is skipped).
set -euo pipefail

if [ $# -ne 4 ]; then
	echo "usage: $0 DIST PLATFORM DEB_ARCH CONFIG" >&2
	exit 2
fi
dist=$1 platform=$2 deb_arch=$3 config=$4
: "${NFPM:?NFPM must name the nfpm command}" "${DEB_VERSION:?}" "${DEB_MAINTAINER:?}" "${CMDS:?}"

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dist=$(cd "$dist" && pwd)

case $deb_arch in
armhf) nfpm_arch=arm6 ;; # nfpm's name; the binary is GOARM=6, which every 32-bit Pi runs
arm64 | amd64) nfpm_arch=$deb_arch ;;
*)
	echo "build-deb: unknown Debian architecture $deb_arch" >&2
	exit 2
	;;
esac
if [ ! -f "$config" ]; then
	echo "build-deb: config file $config not found" >&2
	exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/scripts"
for cmd in $CMDS; do
	if [ ! -d "$root/cmd/$cmd" ]; then
		echo "build-deb: note: cmd/$cmd does not exist yet; $deb_arch package has no /usr/bin/$cmd"
		continue
	fi
	bin="$dist/${cmd}_${platform}"
	if [ ! -f "$bin" ]; then
		echo "build-deb: $bin is missing; run make dist first" >&2
		exit 1
	fi
	cp "$bin" "$stage/bin/$cmd"
done
if [ ! -f "$stage/bin/surgemq" ]; then
	echo "build-deb: no surgemq binary for $platform" >&2
	exit 1
fi
cp "$config" "$stage/surgemq.toml"
cp "$here/surgemq.service" "$here/nfpm.yaml" "$stage/"
cp "$here/scripts/postinst" "$here/scripts/prerm" "$here/scripts/postrm" "$stage/scripts/"

out="$dist/surgemq_${DEB_VERSION}_${deb_arch}.deb"
rm -f "$out"
(
	cd "$stage"
	export NFPM_ARCH=$nfpm_arch DEB_VERSION DEB_MAINTAINER
	# shellcheck disable=SC2086 # NFPM is a command line, e.g. "go run pkg@version".
	$NFPM package --config nfpm.yaml --packager deb --target "$out"
)
if [ ! -f "$out" ]; then
	echo "build-deb: nfpm did not write $out" >&2
	exit 1
fi
