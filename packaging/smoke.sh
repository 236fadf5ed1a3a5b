#!/usr/bin/env bash
# Smoke test of one cross-compiled surgemq binary under QEMU user-mode emulation, driven by the
# native (amd64) mosquitto clients over loopback:
#
#   smoke.sh BINARY 'QEMU COMMAND' [VERSION]
#   smoke.sh dist/surgemq_linux_armv6 'qemu-arm-static -cpu arm1176' v1.2.3
#
# Checks: `surgemq version` prints VERSION; `surgemq serve -listen 127.0.0.1:0 -data-dir DIR`
# announces its port and tells systemd READY=1 and WATCHDOG=1 over $NOTIFY_SOCKET (when socat is
# installed to receive them); a subscriber at QoS 2 gets every message published at QoS 0, 1 and
# 2, once, in order, at the publisher's QoS with the full acknowledgement flow; a retained message
# reaches a later subscriber; $SYS/broker/version carries VERSION; if the binary runs a ping
# monitor without a config, it reports 127.0.0.1 online on surgemq/ping/127.0.0.1 (SKIP when
# nothing is published there in PING_WAIT seconds; SMOKE_REQUIRE_PING=1 makes that a failure);
# SIGTERM ends the broker with STOPPING=1 and status 0; started again on the same data
# directory, it still has the retained message.
#
# Environment: SMOKE_MESSAGES (per QoS, default 50), PING_WAIT (seconds, default 15),
# SMOKE_REQUIRE_PING. Needs mosquitto_pub and mosquitto_sub (Debian's mosquitto-clients);
# socat for the sd_notify checks.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 BINARY 'QEMU COMMAND' [VERSION]" >&2
	exit 2
fi
bin=$1 qemu=$2 want_version=${3:-}
messages=${SMOKE_MESSAGES:-50}
ping_wait=${PING_WAIT:-15}
name=$(basename "$bin")

if [ ! -x "$bin" ]; then
	echo "smoke: $bin not found or not executable (run make dist)" >&2
	exit 1
fi
qemu_bin=${qemu%% *}
if ! command -v "$qemu_bin" >/dev/null; then
	echo "smoke: $qemu_bin not found (apt-get install qemu-user-static)" >&2
	exit 1
fi
for tool in mosquitto_pub mosquitto_sub; do
	if ! command -v $tool >/dev/null; then
		echo "smoke: $tool not found (apt-get install mosquitto-clients)" >&2
		exit 1
	fi
done

work=$(mktemp -d)
broker_pid='' notify_pid=''
cleanup() {
	local p
	for p in "$broker_pid" "$notify_pid"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "smoke: FAIL $name: $*" >&2
	if [ -n "${log:-}" ] && [ -s "$log" ]; then
		echo "--- broker log (last 30 lines)" >&2
		tail -n 30 "$log" >&2
	fi
	exit 1
}

# wait_for FILE REGEX SECONDS: poll until FILE has a line matching REGEX, or give up.
wait_for() {
	local file=$1 re=$2 secs=$3 end
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		if grep -Eq -- "$re" "$file" 2>/dev/null; then
			return 0
		fi
		if [ -n "$broker_pid" ] && ! kill -0 "$broker_pid" 2>/dev/null; then
			fail "the broker exited while waiting for /$re/ in $(basename "$file")"
		fi
		sleep 0.1
	done
	return 1
}

start=$SECONDS

# 1. The binary runs under the emulated CPU and carries the version it was built with.
# shellcheck disable=SC2086 # qemu is a command line with arguments
out=$(timeout 60 $qemu "$bin" version 2>&1) || fail "'surgemq version' failed: $out"
if [ -n "$want_version" ] && [ "$out" != "surgemq $want_version" ]; then
	fail "'surgemq version' printed '$out', want 'surgemq $want_version'"
fi
echo "smoke: $name: $out"

# start_broker N: run the broker (run N) on a loopback port the kernel picks, with the data
# directory $work/data; the log line announces the port. With socat, a datagram socket stands in
# for systemd's NOTIFY_SOCKET and must receive READY=1.
start_broker() {
	local n=$1 t0=$SECONDS
	log=$work/broker$n.log notify_log=$work/notify$n.log
	: >"$notify_log"
	local env=()
	if [ -n "$have_socat" ]; then
		socat -u "UNIX-RECV:$work/notify$n.sock" "OPEN:$notify_log,append" &
		notify_pid=$!
		local end=$((SECONDS + 10))
		while [ ! -S "$work/notify$n.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
		[ -S "$work/notify$n.sock" ] || fail "socat did not create the notify socket"
		env=(NOTIFY_SOCKET="$work/notify$n.sock" WATCHDOG_USEC=2000000)
	fi
	# shellcheck disable=SC2086 # qemu is a command line with arguments
	env "${env[@]}" $qemu "$bin" serve -listen 127.0.0.1:0 -sys-interval 1s -data-dir "$work/data" \
		>"$work/broker$n.out" 2>"$log" &
	broker_pid=$!
	wait_for "$log" 'msg=listening .*addr=127\.0\.0\.1:[0-9]+' 60 ||
		fail "no 'listening addr=127.0.0.1:PORT' log line within 60 s"
	port=$(grep -Eo 'addr=127\.0\.0\.1:[0-9]+' "$log" | head -n 1 | cut -d: -f2)
	mq=(-h 127.0.0.1 -p "$port")
	if [ -n "$have_socat" ]; then
		wait_for "$notify_log" 'READY=1' 30 || fail "no READY=1 on NOTIFY_SOCKET within 30 s"
	fi
	echo "smoke: $name: listening on 127.0.0.1:$port after $((SECONDS - t0)) s${have_socat:+, READY=1 sent}"
}

# stop_broker: SIGTERM; the broker must exit with status 0 (and send STOPPING=1) within 30 s.
stop_broker() {
	kill -TERM "$broker_pid"
	local end=$((SECONDS + 30)) rc=0
	while kill -0 "$broker_pid" 2>/dev/null && [ $SECONDS -lt $end ]; do
		sleep 0.1
	done
	kill -0 "$broker_pid" 2>/dev/null && fail "still running 30 s after SIGTERM"
	wait "$broker_pid" || rc=$?
	broker_pid=
	[ "$rc" -eq 0 ] || fail "exited with status $rc after SIGTERM"
	if [ -n "$have_socat" ]; then
		wait_for "$notify_log" 'STOPPING=1' 5 || fail "no STOPPING=1 on NOTIFY_SOCKET after SIGTERM"
		kill "$notify_pid" 2>/dev/null || true
		wait "$notify_pid" 2>/dev/null || true
		notify_pid=
	fi
}

have_socat=
if command -v socat >/dev/null; then
	have_socat=1
else
	echo "smoke: $name: SKIP sd_notify checks: socat is not installed"
fi

# 2. The broker, with persistence on disk.
start_broker 1

# 3. QoS 0, 1 and 2 through one QoS 2 subscription.
total=$((3 * messages))
# stdbuf: mosquitto_sub's stdout is a file here; line buffering lets wait_for see the SUBACK.
timeout 120 stdbuf -oL mosquitto_sub "${mq[@]}" -d -v -q 2 -t 'smoke/#' -C "$total" -W 90 >"$work/sub.out" 2>&1 &
sub_pid=$!
wait_for "$work/sub.out" '^Subscribed \(mid: [0-9]+\): 2$' 30 || fail "subscriber got no SUBACK granting QoS 2"
for q in 0 1 2; do
	seq 1 "$messages" | sed "s/^/q$q-/" |
		timeout 60 mosquitto_pub "${mq[@]}" -d -q "$q" -t "smoke/q$q" -l >"$work/pub$q.out" 2>&1 ||
		fail "mosquitto_pub at QoS $q failed: $(tail -n 3 "$work/pub$q.out")"
done
sub_rc=0
wait "$sub_pid" || sub_rc=$?
[ "$sub_rc" -eq 0 ] || fail "subscriber exited with status $sub_rc before receiving $total messages ($(grep -c '^smoke/' "$work/sub.out") received)"
for q in 0 1 2; do
	want=$(seq 1 "$messages" | sed "s#^#smoke/q$q q$q-#")
	got=$(grep "^smoke/q$q " "$work/sub.out" || true)
	[ "$got" = "$want" ] || fail "QoS $q: the subscriber did not get messages 1..$messages exactly once and in order"
	n=$(grep -c "received PUBLISH (d0, q$q, r0, m[0-9]*, 'smoke/q$q'" "$work/sub.out" || true)
	[ "$n" -eq "$messages" ] || fail "QoS $q: $n of $messages PUBLISH packets arrived at QoS $q"
done
[ "$(grep -c 'sending PUBACK' "$work/sub.out" || true)" -eq "$messages" ] || fail "QoS 1: subscriber PUBACK count is not $messages"
[ "$(grep -c 'sending PUBCOMP' "$work/sub.out" || true)" -eq "$messages" ] || fail "QoS 2: subscriber PUBCOMP count is not $messages"
[ "$(grep -c 'received PUBACK' "$work/pub1.out" || true)" -eq "$messages" ] || fail "QoS 1: publisher got fewer than $messages PUBACKs"
[ "$(grep -c 'received PUBCOMP' "$work/pub2.out" || true)" -eq "$messages" ] || fail "QoS 2: publisher got fewer than $messages PUBCOMPs"
echo "smoke: $name: QoS 0, 1 and 2: $total messages round-tripped, in order, acknowledged"

# 4. A retained message reaches a subscriber that arrives later.
timeout 30 mosquitto_pub "${mq[@]}" -q 1 -r -t smoke/retained -m "kept-$$" || fail "retained publish failed"
got=$(timeout 30 mosquitto_sub "${mq[@]}" -q 1 -t smoke/retained -C 1 -W 20 2>&1) || fail "no retained message: $got"
[ "$got" = "kept-$$" ] || fail "retained message is '$got', want 'kept-$$'"
echo "smoke: $name: retained message delivered"

# 5. $SYS/broker/version (published every second here).
# shellcheck disable=SC2016 # a literal topic
got=$(timeout 30 mosquitto_sub "${mq[@]}" -t '$SYS/broker/version' -C 1 -W 20 2>&1) || fail "no \$SYS/broker/version: $got"
if [ -n "$want_version" ] && [ "$got" != "surgemq $want_version" ]; then
	fail "\$SYS/broker/version is '$got', want 'surgemq $want_version'"
fi
echo "smoke: $name: \$SYS/broker/version = $got"

# 6. The gateway's ping monitor, when serve runs one without a config.
ping_rc=0
got=$(timeout $((ping_wait + 10)) mosquitto_sub "${mq[@]}" -t surgemq/ping/127.0.0.1 -C 1 -W "$ping_wait" 2>&1) || ping_rc=$?
if [ "$ping_rc" -eq 0 ]; then
	case $got in
	*'"state":"online"'*) echo "smoke: $name: ping monitor reports 127.0.0.1 online" ;;
	*) fail "surgemq/ping/127.0.0.1 is '$got', want a state of online" ;;
	esac
elif [ "${SMOKE_REQUIRE_PING:-0}" = 1 ]; then
	fail "nothing on surgemq/ping/127.0.0.1 within $ping_wait s (SMOKE_REQUIRE_PING=1)"
else
	echo "smoke: $name: SKIP ping monitor: nothing on surgemq/ping/127.0.0.1 within $ping_wait s (this surgemq serve runs no ping monitor without -c)"
fi

# 7. The systemd watchdog: WATCHDOG_USEC=2 s asks for WATCHDOG=1 at least every second.
if [ -n "$have_socat" ]; then
	wait_for "$notify_log" 'WATCHDOG=1' 10 || fail "no WATCHDOG=1 on NOTIFY_SOCKET within 10 s"
	echo "smoke: $name: sd_notify WATCHDOG=1 received"
fi

# 8. Graceful shutdown on SIGTERM; a restart on the same data directory keeps retained state.
stop_broker
echo "smoke: $name: SIGTERM: clean exit${have_socat:+, STOPPING=1 sent}"
start_broker 2
got=$(timeout 30 mosquitto_sub "${mq[@]}" -q 1 -t smoke/retained -C 1 -W 20 2>&1) ||
	fail "after a restart: no retained message: $got"
[ "$got" = "kept-$$" ] || fail "after a restart: retained message is '$got', want 'kept-$$'"
stop_broker
echo "smoke: $name: retained message kept across a restart (-data-dir)"
echo "smoke: $name: PASS ($((SECONDS - start)) s)"
