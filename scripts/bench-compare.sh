#!/usr/bin/env bash
# bench-compare.sh — SurgeMQ against Debian's Mosquitto, same load generator, same machine.
#
# Builds surgemq, starts Mosquitto (temp config) and `surgemq serve` on two loopback ports,
# then runs `surgemq bench` against each in alternating rounds (A B A B …) for every
# scenario × QoS, and the idle scenario at IDLE_CONNS connections on freshly started
# brokers. Prints a Markdown report (medians, our/Mosquitto ratios, a bar chart) on stdout;
# progress goes to stderr, raw JSON reports to $OUT.
#
# Settings (environment variables, defaults in brackets):
#   ROUNDS [3]          alternating rounds per scenario × QoS (the median is reported)
#   DURATION [5s]       publishing time per run; DRAIN [3s] bounds the wait for stragglers
#   CLIENTS [20]        -clients of every pub/sub run; SIZE [64] payload bytes
#   SCENARIOS ["1to1 fanin fanout mesh"]   QOS_LIST ["0 1"]
#   IDLE_CONNS [10000]  connections of the idle runs (0 skips them); IDLE_HOLD [10s] (long
#                       enough for the Go runtime to hand freed memory back to the kernel)
#   LATENCY [1]         also the fixed-load latency runs: 1to1 at LAT_1TO1_RATE msg/s in all
#                       [10000], fanout at LAT_FANOUT_RATE msg/s [2000] to CLIENTS subscribers,
#                       QoS 0 and 1, ROUNDS alternating rounds of LAT_DURATION [5s]; 0 skips them
#   SELFTEST [1]        also run each scenario × QoS once against the generator's in-process
#                       trivial forwarder (its own ceiling); 0 skips it
#   MAX_QUEUED [100000] per-client queue limit, for both brokers, raised so that neither
#                       broker's queue is the limit
#   SURGEMQ_PORT [18830] MOSQ_PORT [18831]
#   SURGEMQ_BIN         use this surgemq binary instead of building one
#   MOSQUITTO [/usr/sbin/mosquitto]
#   OUT                 directory for the raw JSON reports [a temp dir, kept]
#
# Limits: both brokers keep 20 QoS 1/2 messages in flight per client (Mosquitto's default
# max_inflight_messages, surgemq's DefaultMaxInflight) and queue MAX_QUEUED more per client;
# neither persists anything and neither publishes $SYS during the runs.
#
# Whole run with the defaults: about 12 minutes. Needs root (or a high hard limit) for
# `ulimit -n`, jq, and awk. It kills only the processes it started.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
DRAIN=${DRAIN:-3s}
CLIENTS=${CLIENTS:-20}
SIZE=${SIZE:-64}
SCENARIOS=${SCENARIOS:-"1to1 fanin fanout mesh"}
QOS_LIST=${QOS_LIST:-"0 1"}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_HOLD=${IDLE_HOLD:-10s}
LATENCY=${LATENCY:-1}
LAT_1TO1_RATE=${LAT_1TO1_RATE:-10000}
LAT_FANOUT_RATE=${LAT_FANOUT_RATE:-2000}
LAT_DURATION=${LAT_DURATION:-5s}
SELFTEST=${SELFTEST:-1}
MAX_QUEUED=${MAX_QUEUED:-100000}
SURGEMQ_PORT=${SURGEMQ_PORT:-18830}
MOSQ_PORT=${MOSQ_PORT:-18831}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
OUT=${OUT:-$work/json}
mkdir -p "$OUT"

log() { printf '%s\n' "$*" >&2; }
die() { log "bench-compare: $*"; exit 1; }

command -v jq >/dev/null || die "jq is required (apt-get install jq)"
[[ -x $MOSQUITTO ]] || die "no mosquitto at $MOSQUITTO (apt-get install mosquitto)"

# 10,000 connections need 10,000 descriptors in each broker and in the generator.
want_fds=$((IDLE_CONNS + 4096))
if (($(ulimit -n) < want_fds)); then
	ulimit -Hn "$want_fds" 2>/dev/null || true
	ulimit -n "$want_fds" 2>/dev/null || die "cannot raise ulimit -n to $want_fds (run as root)"
fi

# Every process this script starts, by pid; the EXIT trap ends exactly those.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -f "$work/mosquitto.conf" "$work/surgemq.toml" "$work/surgemq" # keep the logs and the JSON
}
trap cleanup EXIT

if [[ -n ${SURGEMQ_BIN:-} ]]; then
	bin=$SURGEMQ_BIN
else
	log "building surgemq…"
	bin=$work/surgemq
	(cd "$root" && go build -o "$bin" ./cmd/surgemq)
fi

cat >"$work/mosquitto.conf" <<EOF
listener $MOSQ_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages $MAX_QUEUED
max_inflight_messages 20
max_connections -1
sys_interval 0
log_dest stderr
log_type error
log_type warning
user root
EOF

# The same limits for surgemq; no [[ping]] table, so no monitor runs beside the broker.
cat >"$work/surgemq.toml" <<EOF
[broker]
  listeners = ["127.0.0.1:$SURGEMQ_PORT"]
  max_queued_messages = $MAX_QUEUED
  max_inflight = 20
  sys_interval = "0s"
[log]
  level = "warn"
EOF

# wait_port PORT PID: wait until something listens on 127.0.0.1:PORT (process PID alive).
wait_port() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$2" 2>/dev/null || die "broker (pid $2) exited; see $work/*.log"
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "nothing listening on port $1 after 10 s"
}

# start_broker NAME: start surgemq or mosquitto; sets the variable NAME_pid.
start_broker() {
	local pid
	case $1 in
	surgemq)
		"$bin" serve -c "$work/surgemq.toml" 2>>"$work/surgemq.log" &
		pid=$!
		pids+=("$pid")
		wait_port "$SURGEMQ_PORT" "$pid"
		surgemq_pid=$pid
		;;
	mosquitto)
		"$MOSQUITTO" -c "$work/mosquitto.conf" 2>>"$work/mosquitto.log" &
		pid=$!
		pids+=("$pid")
		wait_port "$MOSQ_PORT" "$pid"
		mosquitto_pid=$pid
		;;
	esac
}

# stop_broker NAME: stop one broker this script started and wait for it.
stop_broker() {
	local var="$1_pid"
	local pid=${!var}
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

port_of() { if [[ $1 == surgemq ]]; then echo "$SURGEMQ_PORT"; else echo "$MOSQ_PORT"; fi; }
pid_of() { local var="$1_pid"; echo "${!var}"; }

# bench NAME FILE ARGS…: run the generator against broker NAME, JSON report into FILE.
bench() {
	local name=$1 file=$2
	shift 2
	"$bin" bench -addr "127.0.0.1:$(port_of "$name")" -pid "$(pid_of "$name")" -json "$@" >"$file" ||
		die "bench failed against $name: $*"
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- pub/sub rounds ---------------------------------------------------------------------
start_broker surgemq
start_broker mosquitto
total=$(($(wc -w <<<"$SCENARIOS") * $(wc -w <<<"$QOS_LIST") * ROUNDS * 2))
n=0
for s in $SCENARIOS; do
	for q in $QOS_LIST; do
		for ((r = 1; r <= ROUNDS; r++)); do
			order="surgemq mosquitto"
			((r % 2 == 0)) && order="mosquitto surgemq" # A B, then B A: drift hits both
			for b in $order; do
				n=$((n + 1))
				log "[$n/$total] $s qos $q round $r: $b"
				bench "$b" "$OUT/$b-$s-q$q-r$r.json" -scenario "$s" -qos "$q" -clients "$CLIENTS" \
					-size "$SIZE" -duration "$DURATION" -drain "$DRAIN"
			done
		done
	done
done

# ---- latency at a fixed, moderate load --------------------------------------------------------
# lat_rate SCENARIO: -rate per publisher for that scenario's fixed load.
lat_rate() {
	if [[ $1 == 1to1 ]]; then awk -v r="$LAT_1TO1_RATE" -v c="$CLIENTS" 'BEGIN {print r / c}'; else echo "$LAT_FANOUT_RATE"; fi
}
if ((LATENCY)); then
	for s in 1to1 fanout; do
		for q in $QOS_LIST; do
			for ((r = 1; r <= ROUNDS; r++)); do
				order="surgemq mosquitto"
				((r % 2 == 0)) && order="mosquitto surgemq"
				for b in $order; do
					log "latency $s qos $q round $r: $b"
					bench "$b" "$OUT/$b-lat$s-q$q-r$r.json" -scenario "$s" -qos "$q" -clients "$CLIENTS" \
						-size "$SIZE" -rate "$(lat_rate "$s")" -duration "$LAT_DURATION" -drain "$DRAIN"
				done
			done
		done
	done
fi
stop_broker surgemq
stop_broker mosquitto

# ---- idle memory, each on a fresh broker ----------------------------------------------------
if ((IDLE_CONNS > 0)); then
	for sub in false true; do
		for b in surgemq mosquitto; do
			log "idle: $IDLE_CONNS connections, subscribe=$sub: $b"
			start_broker "$b"
			bench "$b" "$OUT/$b-idle-sub$sub.json" -scenario idle -clients "$IDLE_CONNS" \
				-subscribe="$sub" -qos 1 -duration "$IDLE_HOLD"
			stop_broker "$b"
		done
	done
fi

# ---- the generator's own ceiling --------------------------------------------------------------
if ((SELFTEST)); then
	for s in $SCENARIOS; do
		for q in $QOS_LIST; do
			log "selftest: $s qos $q"
			"$bin" bench -selftest -json -scenario "$s" -qos "$q" -clients "$CLIENTS" -size "$SIZE" \
				-duration "$DURATION" -drain "$DRAIN" >"$OUT/selftest-$s-q$q.json" || die "selftest $s qos $q failed"
		done
	done
fi

# ---- report ----------------------------------------------------------------------------------
# field NAME SCENARIO QOS JQPATH: the median of JQPATH over the rounds.
field() {
	local f
	for f in "$OUT/$1-$2-q$3-r"*.json; do
		jq -r "$4 // 0" "$f"
	done | median
}
# each NAME SCENARIO QOS: the delivered msg/s of every round, in round order.
each() {
	local r out=""
	for ((r = 1; r <= ROUNDS; r++)); do
		out+="${out:+ · }$(fmt "$(jq -r '.messages.delivered_per_sec // 0' "$OUT/$1-$2-q$3-r$r.json")")"
	done
	echo "$out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
# fmt N: N rounded, with thousands separators (mawk has no %' flag).
fmt() { awk -v x="$1" 'BEGIN {s = sprintf("%.0f", x); o = ""; while (length(s) > 3) {o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3)}; print s o}'; }
fmt1() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
bar() { awk -v x="$1" -v m="$2" 'BEGIN {n = (m > 0) ? int(40 * x / m + 0.5) : 0; s = ""; for (i = 0; i < n; i++) s = s "█"; printf "%s", s}'; }

echo "## Machine"
echo
echo "- $(nproc) cores: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
echo "- $(uname -sr); load average at the start: $load_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(go version 2>/dev/null || echo "go: not on PATH"); $("$MOSQUITTO" -h 2>/dev/null | head -1 || true); surgemq $("$bin" version | cut -d' ' -f2-)"
echo
echo "## Delivered messages per second (median of $ROUNDS rounds)"
echo
echo "$CLIENTS clients, $SIZE-byte payloads, $DURATION per run. ratio = SurgeMQ / Mosquitto (higher is better);"
echo "broker CPU is µs of broker CPU time per delivered message (lower is better); gen CPU is the"
echo "load generator's own share of one core during the run."
echo
echo "| scenario | QoS | SurgeMQ msg/s | Mosquitto msg/s | ratio | broker CPU µs/msg S / M | CPU ratio | gen CPU % S / M | undelivered % S / M | QoS 1 acked, lost S / M |"
echo "|---|---|---:|---:|---:|---|---:|---|---|---|"
chart=()
rounds=()
maxrate=0
for s in $SCENARIOS; do
	for q in $QOS_LIST; do
		sr=$(field surgemq "$s" "$q" .messages.delivered_per_sec)
		mr=$(field mosquitto "$s" "$q" .messages.delivered_per_sec)
		sc=$(field surgemq "$s" "$q" .broker.us_per_message)
		mc=$(field mosquitto "$s" "$q" .broker.us_per_message)
		sg=$(field surgemq "$s" "$q" .cpu.percent)
		mg=$(field mosquitto "$s" "$q" .cpu.percent)
		su=$(field surgemq "$s" "$q" '(100 * .messages.loss.total / .messages.expected)')
		mu=$(field mosquitto "$s" "$q" '(100 * .messages.loss.total / .messages.expected)')
		loss="—"
		if ((q > 0)); then
			loss="$(fmt "$(field surgemq "$s" "$q" .messages.verdict.acked_missing)") / $(fmt "$(field mosquitto "$s" "$q" .messages.verdict.acked_missing)")"
		fi
		echo "| $s | $q | $(fmt "$sr") | $(fmt "$mr") | **$(ratio "$sr" "$mr")×** | $(fmt1 "$sc") / $(fmt1 "$mc") | $(ratio "$sc" "$mc") | $(fmt "$sg") / $(fmt "$mg") | $(fmt1 "$su") / $(fmt1 "$mu") | $loss |"
		chart+=("$s q$q|$sr|$mr")
		rounds+=("| $s | $q | $(each surgemq "$s" "$q") | $(each mosquitto "$s" "$q") |")
		maxrate=$(awk -v a="$maxrate" -v b="$sr" -v c="$mr" 'BEGIN {m = a; if (b > m) m = b; if (c > m) m = c; print m}')
	done
done
echo
echo "undelivered: deliveries due but not made by the end of the run (QoS 0 drops, and what was"
echo "still queued when the drain ended). QoS 1 acked, lost: deliveries of messages the broker had"
echo "acknowledged (PUBACK) that never reached the subscriber. Both are medians per run."
echo
echo '```text'
echo "delivered msg/s (█ = $(fmt "$(awk -v m="$maxrate" 'BEGIN {print m / 40}')") msg/s)"
for row in "${chart[@]}"; do
	IFS='|' read -r label sr mr <<<"$row"
	printf '%-10s SurgeMQ   %s %s\n' "$label" "$(bar "$sr" "$maxrate")" "$(fmt "$sr")"
	printf '%-10s Mosquitto %s %s\n' "" "$(bar "$mr" "$maxrate")" "$(fmt "$mr")"
done
echo '```'
echo
echo "Every round (delivered msg/s; rounds alternate which broker goes first):"
echo
echo "| scenario | QoS | SurgeMQ | Mosquitto |"
echo "|---|---|---|---|"
printf '%s\n' "${rounds[@]}"

if ((SELFTEST)); then
	echo
	echo "## The generator's own ceiling (-selftest, one run each)"
	echo
	echo "The same runs against the generator's in-process trivial forwarder, which only acks and"
	echo "copies: generator and forwarder share one process, so its CPU is both of theirs."
	echo
	echo "| scenario | QoS | delivered msg/s | CPU µs/msg (generator + forwarder) | CPU % of one core | undelivered % |"
	echo "|---|---|---:|---:|---:|---:|"
	for s in $SCENARIOS; do
		for q in $QOS_LIST; do
			f=$OUT/selftest-$s-q$q.json
			echo "| $s | $q | $(fmt "$(jq -r .messages.delivered_per_sec "$f")") | $(fmt1 "$(jq -r .cpu.us_per_message "$f")") |" \
				"$(fmt "$(jq -r .cpu.percent "$f")") | $(fmt1 "$(jq -r '100 * .messages.loss.total / .messages.expected' "$f")") |"
		done
	done
fi

if ((LATENCY)); then
	echo
	echo "## Latency at a fixed load (median of $ROUNDS rounds, milliseconds)"
	echo
	echo "1to1: $CLIENTS pairs, $LAT_1TO1_RATE msg/s in all; fanout: 1 publisher at $LAT_FANOUT_RATE msg/s to"
	echo "$CLIENTS subscribers. $SIZE-byte payloads, $LAT_DURATION per run; publish-to-delivery time, measured"
	echo "by the generator from the time each message was due."
	echo
	echo "| scenario | QoS | SurgeMQ p50 / p99 / p99.9 | Mosquitto p50 / p99 / p99.9 | p99 ratio S / M (lower is better) |"
	echo "|---|---|---|---|---:|"
	for s in 1to1 fanout; do
		for q in $QOS_LIST; do
			lat() { echo "$(fmt1 "$(field "$1" "lat$s" "$q" '(.messages.latency.p50_us / 1000)')") / $(fmt1 "$(field "$1" "lat$s" "$q" '(.messages.latency.p99_us / 1000)')") / $(fmt1 "$(field "$1" "lat$s" "$q" '(.messages.latency.p999_us / 1000)')")"; }
			sp=$(field surgemq "lat$s" "$q" '(.messages.latency.p99_us / 1000)')
			mp=$(field mosquitto "lat$s" "$q" '(.messages.latency.p99_us / 1000)')
			echo "| $s | $q | $(lat surgemq) | $(lat mosquitto) | $(ratio "$sp" "$mp") |"
		done
	done
fi

if ((IDLE_CONNS > 0)); then
	echo
	echo "## Idle connections ($IDLE_CONNS, held $IDLE_HOLD, fresh broker each)"
	echo
	echo "| broker | idle broker RSS KB | KB/connection | KB/connection, 1 subscription each | connections alive after the hold |"
	echo "|---|---:|---:|---:|---|"
	for b in surgemq mosquitto; do
		f0=$OUT/$b-idle-subfalse.json
		f1=$OUT/$b-idle-subtrue.json
		kb() { jq -r '.idle.per_connection_kb * 100 | round / 100' "$1"; }
		alive() { jq -r '"\(.idle.alive)/\(.idle.connections)"' "$1"; }
		echo "| $b | $(fmt "$(jq -r .idle.rss_before_kb "$f0")") | $(kb "$f0") | $(kb "$f1") | $(alive "$f0"), $(alive "$f1") |"
	done
fi
echo
echo "Both brokers: max_queued_messages $MAX_QUEUED, 20 messages in flight per client."
echo
echo "Raw JSON reports: $OUT"
log "done; raw JSON in $OUT"
