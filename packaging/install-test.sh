#!/usr/bin/env bash
# Installs, upgrades, removes and purges a surgemq .deb with the real dpkg, adduser and
# deb-systemd-helper, inside a throw-away copy-on-write view of this machine (a private mount
# namespace with an overlay over /), so the machine itself is not changed:
#
#   install-test.sh PACKAGE.deb
#
# systemd is not running in the view: /run/systemd/system exists so the maintainer scripts take
# their systemd branch, and a logging systemctl stands in for the real one. Needs root, unshare
# and overlayfs; prints SKIP (status 0) where the kernel or container does not allow them.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	echo "usage: $0 PACKAGE.deb" >&2
	exit 2
fi
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

if [ "${INSTALL_TEST_INSIDE:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
		echo "install-test: SKIP: needs root and unshare"
		exit 0
	fi
	if ! unshare -m --propagation private true 2>/dev/null; then
		echo "install-test: SKIP: cannot create a mount namespace here"
		exit 0
	fi
	exec unshare -m --propagation private env INSTALL_TEST_INSIDE=1 bash "$0" "$deb"
fi

# --- inside the private mount namespace ---
t=$(mktemp -d)
mount -t tmpfs tmpfs "$t"
mkdir -p "$t/upper" "$t/work" "$t/root"
if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$t/root" 2>/dev/null; then
	echo "install-test: SKIP: overlayfs over / is not available here"
	exit 0
fi
r=$t/root
mount --bind /proc "$r/proc"
mount --bind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
mkdir -p "$r/run/systemd/system"
cp "$deb" "$r/tmp/surgemq.deb"
# A systemctl that logs what the maintainer scripts ask of it, pretends to do what needs a
# running systemd, and passes the rest (preset, enable, is-enabled, ...) to the real one, offline.
mkdir -p "$r/usr/local/sbin"
cat >"$r/usr/local/sbin/systemctl" <<'EOF'
#!/bin/sh
echo "$*" >>/tmp/systemctl.log
for a in "$@"; do
	case $a in
	start | stop | restart | reload | try-restart | reload-or-restart | daemon-reload) exit 0 ;;
	esac
done
SYSTEMD_OFFLINE=1 exec /usr/bin/systemctl "$@"
EOF
chmod 0755 "$r/usr/local/sbin/systemctl"
# Container images often forbid service starts with a policy-rc.d; a real system has none.
rm -f "$r/usr/sbin/policy-rc.d"
: >"$r/tmp/systemctl.log"

in_root() {
	chroot "$r" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

fail() {
	echo "install-test: FAIL: $*" >&2
	exit 1
}

# expect DESCRIPTION COMMAND...: the command, run in the view, must succeed.
expect() {
	local what=$1
	shift
	in_root sh -c "$*" >/dev/null 2>&1 || fail "$what"
}

conf=/etc/surgemq/surgemq.toml
unit=/usr/lib/systemd/system/surgemq.service
wants=/etc/systemd/system/multi-user.target.wants/surgemq.service

if in_root dpkg -s surgemq >/dev/null 2>&1; then
	fail "surgemq is already installed on this machine; the test needs a machine without it"
fi

# 1. Fresh install.
in_root dpkg -i /tmp/surgemq.deb >"$t/install.log" 2>&1 || {
	cat "$t/install.log" >&2
	fail "dpkg -i failed"
}
expect "package not installed" "dpkg -s surgemq | grep -qx 'Status: install ok installed'"
expect "no surgemq system user" "getent passwd surgemq | awk -F: '\$3 < 1000 && \$6 == \"/var/lib/surgemq\"' | grep -q ."
expect "no surgemq group" "getent group surgemq"
expect "$conf is not root:surgemq 0640" "[ \"\$(stat -c '%U:%G %a' $conf)\" = 'root:surgemq 640' ]"
expect "$unit missing" "[ -f $unit ]"
expect "unit not enabled ($wants)" "case \$(readlink $wants) in $unit | /lib/systemd/system/surgemq.service) true ;; *) false ;; esac"
expect "postinst did not daemon-reload" "grep -q 'daemon-reload' /tmp/systemctl.log"
expect "postinst did not start the service" "grep -Eq '(^| )start surgemq.service' /tmp/systemctl.log"
if [ "$(dpkg --print-architecture)" = "$(dpkg-deb --field "$deb" Architecture)" ]; then
	expect "/usr/bin/surgemq does not run" "/usr/bin/surgemq version | grep -q '^surgemq '"
fi
echo "install-test: install: user, config 0640 root:surgemq, unit enabled and started"

# 2. Upgrade (the same package again) keeps an edited config and restarts the service.
in_root sh -c "echo '# local edit' >>$conf"
: >"$r/tmp/systemctl.log"
in_root dpkg -i /tmp/surgemq.deb >"$t/upgrade.log" 2>&1 || {
	cat "$t/upgrade.log" >&2
	fail "upgrade failed"
}
expect "upgrade replaced the edited config" "grep -qx '# local edit' $conf"
expect "$conf is not root:surgemq 0640 after upgrade" "[ \"\$(stat -c '%U:%G %a' $conf)\" = 'root:surgemq 640' ]"
expect "upgrade did not restart the service" "grep -Eq '(^| )restart surgemq.service' /tmp/systemctl.log"
expect "upgrade stopped the service in prerm" "! grep -Eq '(^| )stop surgemq.service' /tmp/systemctl.log"
echo "install-test: upgrade: edited config kept, service restarted"

# 2b. Upgrades to newer versions whose default config changed. next is the package again at a
# higher version with one more line in the config; next2 one more again.
in_root sh -ec '
	cd /tmp
	dpkg-deb -R surgemq.deb pkg
	for n in next next2; do
		sed -i "s/^Version: .*/&+$n/" pkg/DEBIAN/control
		echo "# $n default" >>pkg/etc/surgemq/surgemq.toml
		chmod 0640 pkg/etc/surgemq/surgemq.toml # as nfpm.yaml ships it; -R loses the mode
		(cd pkg && find . -path ./DEBIAN -prune -o -type f -printf "%P\0" | xargs -0 md5sum >DEBIAN/md5sums)
		dpkg-deb --root-owner-group -b pkg surgemq-$n.deb >/dev/null
	done' || fail "could not build the newer test packages"
# An edited config with an owner and mode of the admin's: unattended upgrades keep the old
# file (--force-confold), leave the new default beside it, and do not touch owner or mode.
in_root chown root:root "$conf"
in_root chmod 0644 "$conf"
in_root dpkg -i --force-confold /tmp/surgemq-next.deb >"$t/upgrade-next.log" 2>&1 || {
	cat "$t/upgrade-next.log" >&2
	fail "upgrade to a newer version failed"
}
expect "upgrade replaced the edited config" "grep -qx '# local edit' $conf"
expect "no $conf.dpkg-dist with the new default" "grep -qx '# next default' $conf.dpkg-dist"
expect "upgrade changed the admin's owner or mode of $conf" "[ \"\$(stat -c '%U:%G %a' $conf)\" = 'root:root 644' ]"
# An unedited config (as installed: root:surgemq 0640) is replaced by the new default, and the
# service can still read it.
in_root mv "$conf.dpkg-dist" "$conf"
in_root chown root:surgemq "$conf"
in_root chmod 0640 "$conf"
in_root dpkg -i /tmp/surgemq-next2.deb >"$t/upgrade-next2.log" 2>&1 || {
	cat "$t/upgrade-next2.log" >&2
	fail "upgrade with an unedited config failed"
}
expect "upgrade kept an unedited config instead of the new default" "grep -qx '# next2 default' $conf"
expect "$conf is not root:surgemq 0640 after dpkg replaced it" "[ \"\$(stat -c '%U:%G %a' $conf)\" = 'root:surgemq 640' ]"
# A deleted config restored by dpkg (--force-confmiss) is written as packaged; postinst makes
# it readable by the service again.
in_root rm "$conf"
in_root dpkg -i --force-confmiss /tmp/surgemq-next2.deb >"$t/confmiss.log" 2>&1 || {
	cat "$t/confmiss.log" >&2
	fail "reinstall with --force-confmiss failed"
}
expect "$conf is not root:surgemq 0640 after --force-confmiss" "[ \"\$(stat -c '%U:%G %a' $conf)\" = 'root:surgemq 640' ]"
in_root sh -c "echo '# local edit' >>$conf"
echo "install-test: upgrades: edited config, owner and mode kept; unedited or restored config readable by the service"

# 3. Remove: binaries and unit go, the config stays, the service is stopped and masked.
: >"$r/tmp/systemctl.log"
in_root mkdir -p /var/lib/surgemq/sessions
in_root dpkg -r surgemq >"$t/remove.log" 2>&1 || {
	cat "$t/remove.log" >&2
	fail "dpkg -r failed"
}
expect "/usr/bin/surgemq still there after remove" "[ ! -e /usr/bin/surgemq ]"
expect "$unit still there after remove" "[ ! -e $unit ]"
expect "remove deleted the config" "grep -qx '# local edit' $conf"
expect "remove did not stop the service" "grep -Eq '(^| )stop surgemq.service' /tmp/systemctl.log"
expect "remove did not mask the unit" "[ \"\$(readlink /etc/systemd/system/surgemq.service)\" = /dev/null ]"
expect "remove deleted the state directory" "[ -d /var/lib/surgemq/sessions ]"
echo "install-test: remove: stopped and masked, config and state kept"

# 4. Purge: config, state, mask and enablement go; the system user stays (Debian policy).
in_root dpkg -P surgemq >"$t/purge.log" 2>&1 || {
	cat "$t/purge.log" >&2
	fail "dpkg -P failed"
}
expect "purge kept the config" "[ ! -e $conf ] && [ ! -e /etc/surgemq ]"
expect "purge kept /var/lib/surgemq" "[ ! -e /var/lib/surgemq ]"
expect "purge kept the mask" "[ ! -L /etc/systemd/system/surgemq.service ]"
expect "purge kept the enablement symlink" "[ ! -L $wants ]"
expect "purge left dpkg state" "! dpkg -s surgemq"
echo "install-test: purge: config, state and unit symlinks gone"
echo "install-test: PASS $(basename "$deb")"
