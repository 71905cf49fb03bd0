#!/usr/bin/env bash
# Load benchmark: wrk against examples/chat (Newt, release build) and against the same chat written
# for Python's asyncio (benches/load/chat_server.py), one after the other in the same run, with the
# same data and the same requests. Prints req/s, p50 and p99 latency of each, and the ratios.
#
#   benches/load/run.sh                 # 10 s per server and endpoint, 50 connections, 1 wrk thread
#   DURATION=5s CONNS=100 benches/load/run.sh
#
# Needs wrk (Debian package `wrk`), curl and python3. Endpoints measured:
#   read:  GET /rooms/lobby/messages?limit=10   (the chat's main read; 10 messages as JSON)
#   rooms: GET /rooms                           (a small JSON answer: mostly HTTP handling)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
THREADS=${THREADS:-1}
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 2; }
done
cargo build --release --quiet
NEWT=${CARGO_TARGET_DIR:-target}/release/newt

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start NAME CMD...: starts a server on port 0 and sets ADDR from its "listening on" line.
start() {
    local log; log=$(mktemp)
    "${@:2}" >/dev/null 2>"$log" &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        ADDR=$(sed -n 's/^listening on //p' "$log" | head -1)
        [ -n "$ADDR" ] && break
        sleep 0.05
    done
    [ -n "$ADDR" ] || { echo "run.sh: $1 did not start" >&2; cat "$log" >&2; exit 1; }
}

# seed ADDR: one user and 20 messages in room lobby.
seed() {
    curl -sf -X POST -d '{"user":"alice"}' "http://$1/rooms/lobby/join" >/dev/null
    for i in $(seq 1 20); do
        curl -sf -X POST -d "{\"user\":\"alice\",\"text\":\"message number $i\"}" "http://$1/rooms/lobby/messages" >/dev/null
    done
}

# measure ADDR PATH: prints "req/s p50_ms p99_ms".
measure() {
    wrk -t1 -c"$CONNS" -d1s "http://$1$2" >/dev/null   # warm-up
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://$1$2" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}

declare -A R
start newt "$NEWT" run examples/chat/main.newt 0; NEWT_ADDR=$ADDR; seed "$NEWT_ADDR"
start python python3 benches/load/chat_server.py 0; PY_ADDR=$ADDR; seed "$PY_ADDR"
for ep in "read:/rooms/lobby/messages?limit=10" "rooms:/rooms"; do
    name=${ep%%:*}; path=${ep#*:}
    R[newt_$name]=$(measure "$NEWT_ADDR" "$path")
    R[python_$name]=$(measure "$PY_ADDR" "$path")
done

echo "wrk -t$THREADS -c$CONNS -d$DURATION, $(nproc) cores"
printf "%-6s %-8s %10s %9s %9s\n" endpoint server "req/s" "p50 ms" "p99 ms"
for name in read rooms; do
    for srv in newt python; do
        read -r rps p50 p99 <<<"${R[${srv}_$name]}"
        printf "%-6s %-8s %10s %9s %9s\n" "$name" "$srv" "$rps" "$p50" "$p99"
    done
    read -r nr _ n99 <<<"${R[newt_$name]}"
    read -r pr _ p99 <<<"${R[python_$name]}"
    awk -v nr="$nr" -v pr="$pr" -v n99="$n99" -v p99="$p99" -v name="$name" 'BEGIN {
        printf "%-6s newt/python: throughput x%.2f, p99 x%.2f\n", name, nr / (pr > 0 ? pr : 1), n99 / (p99 > 0 ? p99 : 1) }'
done
