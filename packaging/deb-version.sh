#!/usr/bin/env bash
# Turns a `git describe --tags --always --dirty` string into a Debian package version:
#
#   v1.2.3                    -> 1.2.3
#   v1.2.3-4-gabc1234         -> 1.2.3+4.gabc1234        (after 1.2.3)
#   v1.2.3-4-gabc1234-dirty   -> 1.2.3+4.gabc1234.dirty
#   v1.2.3-rc1                -> 1.2.3~rc1               (before 1.2.3)
#   abc1234 (no tag yet)      -> 0.0.0+gabc1234
#   dev                       -> 0.0.0+dev
#
# Usage: deb-version.sh VERSION, or deb-version.sh --self-test (checks the table above with dpkg).
set -euo pipefail

debversion() {
	local v=$1
	if [[ $v =~ ^([0-9a-f]{7,40})(-dirty)?$ ]]; then
		v="0.0.0+g${BASH_REMATCH[1]}${BASH_REMATCH[2]:+.dirty}"
	elif [[ $v =~ ^v?([0-9].*)$ ]]; then
		v=${BASH_REMATCH[1]}
		local dirty=
		if [[ $v == *-dirty ]]; then
			v=${v%-dirty}
			dirty=dirty
		fi
		if [[ $v =~ ^(.*)-([0-9]+)-(g[0-9a-f]+)$ ]]; then
			v="${BASH_REMATCH[1]}+${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
		fi
		v=${v//-/\~}
		if [ -n "$dirty" ]; then
			if [[ $v == *+* ]]; then v="$v.dirty"; else v="$v+dirty"; fi
		fi
	else
		v="0.0.0+$v"
	fi
	# Debian allows only [A-Za-z0-9.+~] here (no epoch, no revision).
	v=$(printf '%s' "$v" | tr -c 'A-Za-z0-9.+~' '.')
	printf '%s\n' "$v"
}

self_test() {
	local failed=0 in want got
	while read -r in want; do
		got=$(debversion "$in")
		if [ "$got" != "$want" ]; then
			echo "deb-version: $in -> $got, want $want" >&2
			failed=1
		elif ! dpkg --validate-version "$got" 2>/dev/null; then
			echo "deb-version: $got is not a valid Debian version" >&2
			failed=1
		fi
	done <<-'EOF'
		v1.2.3 1.2.3
		1.2.3 1.2.3
		v1.2.3-4-gabc1234 1.2.3+4.gabc1234
		v1.2.3-4-gabc1234-dirty 1.2.3+4.gabc1234.dirty
		v1.2.3-dirty 1.2.3+dirty
		v1.2.3-rc1 1.2.3~rc1
		v1.2.3-rc1-2-gabc1234 1.2.3~rc1+2.gabc1234
		abc1234 0.0.0+gabc1234
		1234567-dirty 0.0.0+g1234567.dirty
		dev 0.0.0+dev
		my_branch 0.0.0+my.branch
	EOF
	# Order: pre-release < release < later commits < next release.
	local order=(0.0.0+gabc1234 1.2.3~rc1 1.2.3~rc1+2.gabc1234 1.2.3 1.2.3+4.gabc1234 1.2.4)
	local i
	for ((i = 1; i < ${#order[@]}; i++)); do
		if ! dpkg --compare-versions "${order[i - 1]}" lt "${order[i]}"; then
			echo "deb-version: want ${order[i - 1]} < ${order[i]}" >&2
			failed=1
		fi
	done
	if [ $failed -ne 0 ]; then
		return 1
	fi
	echo "deb-version: self-test passed"
}

case "${1:-}" in
--self-test) self_test ;;
"")
	echo "usage: $0 VERSION | --self-test" >&2
	exit 2
	;;
*) debversion "$1" ;;
esac
