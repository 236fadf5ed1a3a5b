#!/usr/bin/env bash
# Checks the surgemq .deb packages that `make deb` wrote:
#
#   check-deb.sh DIST DEB_VERSION VERSION DEB_ARCH...
#
# First the release build in DIST: static, -trimpath, stripped, the right GOARM, the armv7
# build running on an emulated Cortex-A7, SHA256SUMS.
# Then for each architecture: control fields, maintainer scripts, conffiles, the exact list of files
# with their modes and owners, that the binaries are for that architecture and are the ones in
# DIST (armhf ships the GOARM=6 build), that they run (natively or under QEMU), print VERSION and
# accept the packaged config (surgemq check-config), and that the unit file passes `systemd-analyze verify` and keeps its required settings. Then
# packaging/install-test.sh installs, upgrades, removes and purges the package of this machine's
# architecture. Environment: CMDS (commands expected in /usr/bin when cmd/<name> exists),
# QEMU_ARM, QEMU_ARM64 (how to run armhf and arm64 binaries).
set -euo pipefail

if [ $# -lt 4 ]; then
	echo "usage: $0 DIST DEB_VERSION VERSION DEB_ARCH..." >&2
	exit 2
fi
dist=$1 deb_version=$2 version=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${CMDS:=surgemq pingmq}" "${QEMU_ARM:=qemu-arm-static -cpu arm1176}" "${QEMU_ARM64:=qemu-aarch64-static}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "check-deb: FAIL $deb_name: $*" >&2
	failures=$((failures + 1))
}

"$here/deb-version.sh" --self-test

# Commands whose source exists are expected in every package.
cmds=()
for c in $CMDS; do
	if [ -d "$root/cmd/$c" ]; then
		cmds+=("$c")
	else
		echo "check-deb: note: cmd/$c does not exist yet; not expecting /usr/bin/$c"
	fi
done

# Required unit settings (one per line, matched as whole lines), and forbidden ones.
# shellcheck disable=SC2016 # $MAINPID is literal unit text
required_unit_lines=(
	'Type=notify'
	'NotifyAccess=main'
	'ExecStart=/usr/bin/surgemq serve -c /etc/surgemq/surgemq.toml -data-dir /var/lib/surgemq'
	'ExecReload=/bin/kill -HUP $MAINPID'
	'Restart=on-failure'
	'StateDirectory=surgemq'
	'User=surgemq'
	'SupplementaryGroups=dialout'
	'AmbientCapabilities=CAP_NET_RAW'
	'CapabilityBoundingSet=CAP_NET_RAW'
	'NoNewPrivileges=yes'
	'ProtectSystem=strict'
	'ProtectHome=yes'
	'PrivateTmp=yes'
	'DeviceAllow=char-ttyUSB rw'
	'DeviceAllow=char-ttyACM rw'
	'DeviceAllow=char-ttyAMA rw'
	'WantedBy=multi-user.target'
)

# The release build: every binary static, path-free and stripped, ARM ones for the right
# GOARM, SHA256SUMS true, and the packager not a dependency of the module.
deb_name=dist
for b in "$dist"/*_linux_*; do
	[ -f "$b" ] || continue
	info=$(go version -m "$b") || {
		fail "$b: no Go build information"
		continue
	}
	for setting in CGO_ENABLED=0 -trimpath=true; do
		grep -qP "^\tbuild\t\Q$setting\E\$" <<<"$info" || fail "$(basename "$b") not built with $setting"
	done
	case $b in
	*_armv6) grep -qP '^\tbuild\tGOARM=6$' <<<"$info" || fail "$(basename "$b") is not GOARM=6" ;;
	*_armv7) grep -qP '^\tbuild\tGOARM=7$' <<<"$info" || fail "$(basename "$b") is not GOARM=7" ;;
	esac
	# -ldflags=-s leaves no symbol table ("no symbols"); -trimpath keeps ldflags out of the info.
	if go tool nm "$b" >/dev/null 2>&1; then
		fail "$(basename "$b") has a symbol table: not built with -ldflags=-s"
	fi
done
# The packages run the armv6, arm64 and amd64 builds below; the armv7 one (no package) runs here.
if [ -f "$dist/surgemq_linux_armv7" ]; then
	qemu_arm=${QEMU_ARM%% *} # the same emulator, as a Cortex-A7 (Pi 2/3 in 32-bit mode)
	if out=$("$qemu_arm" -cpu cortex-a7 "$dist/surgemq_linux_armv7" version 2>&1); then
		[ "$out" = "surgemq $version" ] || fail "armv7 'surgemq version' printed '$out'"
	else
		fail "the armv7 build does not run on a Cortex-A7: $out"
	fi
fi
(cd "$dist" && sha256sum --quiet --strict -c SHA256SUMS) || fail "SHA256SUMS does not match the files"
if grep -q nfpm "$root/go.mod" "$root/go.sum"; then
	fail "nfpm is in go.mod/go.sum: it is a build tool, run at a pinned version, not a dependency"
fi
[ $failures -eq 0 ] && echo "check-deb: ok release build settings and SHA256SUMS"

for arch in "$@"; do
	deb="$dist/surgemq_${deb_version}_${arch}.deb"
	deb_name=$(basename "$deb")
	if [ ! -f "$deb" ]; then
		fail "missing (run make deb; dist has: $(find "$dist" -maxdepth 1 -name '*.deb' -printf '%f '))"
		continue
	fi
	case $arch in
	armhf) platform=linux_armv6 elf_class=1 elf_machine=40 run=$QEMU_ARM ;;
	arm64) platform=linux_arm64 elf_class=2 elf_machine=183 run=$QEMU_ARM64 ;;
	amd64) platform=linux_amd64 elf_class=2 elf_machine=62 run= ;;
	*)
		fail "unknown architecture $arch"
		continue
		;;
	esac

	# Control fields.
	for kv in "Package=surgemq" "Version=$deb_version" "Architecture=$arch"; do
		got=$(dpkg-deb --field "$deb" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || fail "control ${kv%%=*} is '$got', want '${kv#*=}'"
	done
	[ -n "$(dpkg-deb --field "$deb" Maintainer)" ] || fail "no Maintainer"
	[ -n "$(dpkg-deb --field "$deb" Description)" ] || fail "no Description"
	[ -z "$(dpkg-deb --field "$deb" Depends)" ] || fail "has Depends: the binaries are static"

	# Control members: conffiles and executable maintainer scripts.
	conffiles=$(dpkg-deb --info "$deb" conffiles 2>/dev/null || true)
	[ "$conffiles" = "/etc/surgemq/surgemq.toml" ] || fail "conffiles is '$conffiles', want /etc/surgemq/surgemq.toml"
	ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -tvf -)
	for s in postinst prerm postrm; do
		grep -Eq "^-rwxr-xr-x .* \./$s\$" <<<"$ctrl" || fail "maintainer script $s missing or not 0755"
	done

	# Exactly the expected files, with their modes and owners.
	want=$(
		for c in "${cmds[@]}"; do echo "-rwxr-xr-x root/root ./usr/bin/$c"; done
		echo "-rw-r----- root/root ./etc/surgemq/surgemq.toml"
		echo "-rw-r--r-- root/root ./usr/lib/systemd/system/surgemq.service"
	)
	got=$(dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ { print $1, $2, $6 }')
	if [ "$(sort <<<"$got")" != "$(sort <<<"$want")" ]; then
		fail "contents differ from the expected list"
		diff <(sort <<<"$want") <(sort <<<"$got") | sed 's/^/    /' >&2 || true
	fi

	# The binaries: architecture, identical to dist/, and they run.
	x="$work/$arch"
	mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	for c in "${cmds[@]}"; do
		b="$x/usr/bin/$c"
		[ -f "$b" ] || continue
		class=$(od -An -tu1 -j4 -N1 "$b" | tr -d ' ')
		machine=$(od -An -tu2 -j18 -N2 --endian=little "$b" | tr -d ' ')
		if [ "$class" != "$elf_class" ] || [ "$machine" != "$elf_machine" ]; then
			fail "$c is ELF class $class machine $machine, want class $elf_class machine $elf_machine"
		fi
		cmp -s "$b" "$dist/${c}_$platform" || fail "/usr/bin/$c is not $dist/${c}_$platform"
	done
	# shellcheck disable=SC2086 # run is a command line
	if out=$($run "$x/usr/bin/surgemq" version 2>&1); then
		[ "$out" = "surgemq $version" ] || fail "'surgemq version' printed '$out', want 'surgemq $version'"
	else
		fail "'surgemq version' failed: $out"
	fi
	# shellcheck disable=SC2086
	out=$($run "$x/usr/bin/surgemq" check-config -c "$x/etc/surgemq/surgemq.toml" 2>&1) ||
		fail "the packaged binary rejects the packaged config: $out"

	# The unit file: required settings, no PrivateDevices (it would hide the serial ports), and
	# systemd-analyze verify with ExecStart pointed at the extracted binary (verify needs the
	# binary to exist; systemd need not run). Any warning fails: verify exits 0 on unknown keys.
	u="$x/usr/lib/systemd/system/surgemq.service"
	for line in "${required_unit_lines[@]}"; do
		grep -qxF -- "$line" "$u" || fail "unit lacks '$line'"
	done
	grep -Eq '^PrivateDevices=(yes|true|1|on)' "$u" && fail "unit sets PrivateDevices, which hides /dev/tty*"
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$x/verify"
		sed "s#^ExecStart=/usr/bin/surgemq #ExecStart=$x/usr/bin/surgemq #" "$u" >"$x/verify/surgemq.service"
		if ! out=$(systemd-analyze verify "$x/verify/surgemq.service" 2>&1) || [ -n "$out" ]; then
			fail "systemd-analyze verify: $out"
		fi
	else
		fail "systemd-analyze not found (apt-get install systemd)"
	fi

	# Maintainer scripts parse as POSIX sh.
	mkdir -p "$x/ctrl"
	dpkg-deb --control "$deb" "$x/ctrl"
	for s in postinst prerm postrm; do
		sh -n "$x/ctrl/$s" || fail "$s: syntax error"
	done

	[ $failures -eq 0 ] && echo "check-deb: ok $deb_name ($(stat -c %s "$deb") bytes)"
done

if [ $failures -ne 0 ]; then
	echo "check-deb: $failures failure(s)" >&2
	exit 1
fi

# Install, upgrade, remove and purge the package of this machine's architecture.
native=$(dpkg --print-architecture)
for arch in "$@"; do
	if [ "$arch" = "$native" ]; then
		"$here/install-test.sh" "$dist/surgemq_${deb_version}_${arch}.deb"
	fi
done
echo "check-deb: PASS ($*)"
