#!/usr/bin/env bash
# What a client's CPU costs the server when the two share the machine's cores: wrk on
# GET /getaccount alone, then beside a loop that burns a share of one core in short bursts (as a
# client's threads do between calls), same sandbox, same minute; ROUNDS times, alternated.
# Prints wrk's requests/s and the server's CPU per request (its /proc/PID/stat) for each, and the
# share of a core the loop took.
# Usage: Benchmarks/core-sharing.sh [BUSY_US IDLE_US]   (default 70 200: bursts of 70 µs, 200 µs apart)
# Env: ACCOUNTS (default 20000), CONNECTIONS (default 4), WRK_SECONDS (default 5), ROUNDS (default 3), BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
busy_us=${1:-70}
idle_us=${2:-200}
accounts=${ACCOUNTS:-20000}
connections=${CONNECTIONS:-4}
wrk_seconds=${WRK_SECONDS:-5}
rounds=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (bash Scripts/setup.sh --bench)" >&2; exit 2; }
. Benchmarks/sandbox-server.sh
release_binary
work=$(mktemp -d /tmp/scollect-core-sharing.XXXXXX)
trap 'stop_sandbox; rm -rf "$work"' EXIT
start_sandbox "$accounts" "$work"
sandbox_token
write_getaccount_lua "$accounts" "$work/getaccount.lua"
cat > "$work/burn.py" <<'EOF'
import os, sys, time
busy, idle, seconds = float(sys.argv[1]) / 1e6, float(sys.argv[2]) / 1e6, float(sys.argv[3])
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    until = time.perf_counter() + busy
    while time.perf_counter() < until: pass
    time.sleep(idle)
t = os.times()
print(f"{(t.user + t.system) / seconds:.2f}")
EOF
measure() { # label [burn]: one wrk run, with the loop beside it when asked
  local before share="" loop=""
  before=$(server_cpu)
  if [ "${2:-}" = burn ]; then python3 "$work/burn.py" "$busy_us" "$idle_us" "$wrk_seconds" > "$work/share.txt" & loop=$!; fi
  local r; r=$(wrk -t2 -c"$connections" -d"${wrk_seconds}s" -s "$work/getaccount.lua" "$url" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  if [ -n "$loop" ]; then wait "$loop"; share=", the loop took $(cat "$work/share.txt") of a core"; fi
  python3 -c "print('$1: wrk -c$connections getaccount %.0f req/s, server %.3f ms CPU per request$share' % ($r, ($(server_cpu) - $before) / ($r * $wrk_seconds) * 1000))"
}
for round in $(seq 1 "$rounds"); do
  measure "round $round alone"
  measure "round $round beside a loop burning ${busy_us} µs every $((busy_us + idle_us)) µs" burn
done
