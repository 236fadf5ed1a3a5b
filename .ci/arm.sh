#!/usr/bin/env bash
# CI: Raspberry Pi builds and checks. Installs what it needs on a fresh Debian machine, then
# runs the ARM tests under QEMU, the release build (size budget included), the .deb packages and
# their checks, and the emulated smoke tests; prints how long each step took. Runs from the
# repository root; `bash .ci/arm.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v make >/dev/null 2>&1 || need+=(make)
command -v qemu-arm-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v mosquitto_sub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v socat >/dev/null 2>&1 || need+=(socat) # receives sd_notify messages in smoke.sh
if [ ${#need[@]} -gt 0 ]; then
	echo "== apt-get install ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The gateway's ping monitor runs without a config: its report on surgemq/ping/127.0.0.1 must
# arrive (smoke.sh would otherwise SKIP that check).
export SMOKE_REQUIRE_PING=1 PING_WAIT=30

# One version for every step, even if HEAD moves meanwhile.
version=$(make -s --no-print-directory version)
echo "== version $version"

total_start=$SECONDS
timings=()
step() {
	local t=$SECONDS
	echo "== make $*"
	make --no-print-directory "$@" VERSION="$version"
	timings+=("$(printf '%-12s %4d s' "$1" $((SECONDS - t)))")
}

step test-arm
step dist
step deb
step check-deb
step smoke-arm

echo "== arm.sh timings"
printf '  %s\n' "${timings[@]}"
printf '  %-12s %4d s\n' total $((SECONDS - total_start))
