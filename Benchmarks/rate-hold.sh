#!/usr/bin/env bash
# Does a rate-limited run hold its rate? For each R (default 50 and 1000): a sandbox of its own
# (`scollect-etl sandbox serve`, no limit of its own: it can do more), seeded with enough accounts
# for about SECONDS seconds of calls at R (getaccount + updatedbase per account), and a placement
# that changes the city of each, `requests_per_second: R`, `max_in_flight` IN_FLIGHT (default
# max(4, R/100): the calls in flight R needs when a call takes 10 ms on a loaded machine). The figures come
# from the server's own arrival counter (GET /_sandbox/stats, every API request that arrived):
#   sustained      = (arrivals - 1) ÷ seconds from the first arrival to the last   (≥ 0.97 R)
#   slowest second = fewest arrivals in a whole second, the first and last left out
#   busiest second = most arrivals in any sliding one-second window                 (≤ R)
# Also prints the tool's wall time and CPU per call (/usr/bin/time).
# Usage: Benchmarks/rate-hold.sh [R ...]    Env: SECONDS_PER_RUN (default 60), IN_FLIGHT, BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(50 1000)
seconds=${SECONDS_PER_RUN:-60}
. Benchmarks/sandbox-server.sh
release_binary
work=$(mktemp -d /tmp/scollect-rate-bench.XXXXXX)
cleanup() {
  stop_sandbox
  rm -rf "$work"
}
trap cleanup EXIT
failed=0
for rate in "${rates[@]}"; do
  accounts=$(( rate * seconds / 2 ))
  in_flight=${IN_FLIGHT:-$(( rate / 100 > 4 ? rate / 100 : 4 ))}
  dir="$work/r$rate"
  mkdir -p "$dir"
  start_sandbox "$accounts" "$dir"
  write_placement "$accounts" "$dir/placement.csv" "Rate City"
  cat > "$dir/pipeline.yml" <<EOF
name: rate-hold
source: { file: $dir/placement.csv }
mapping:
  filenumber: Account
  city: City
normalize:
  city: upper
writers:
  - updatedbase:
target: { url: $url, requests_per_second: $rate, max_in_flight: $in_flight, batch_size: 500 }
reports: { folder: $dir/reports }
EOF
  curl -s -X POST "$url/_sandbox/stats/reset" > /dev/null
  status=0
  SCOLLECT_URL="$url" SCOLLECT_APIKEY="$apikey" SCOLLECT_PIN="$pin" SCOLLECT_JOURNAL="$dir/journal.sqlite" \
    /usr/bin/time -f "%e %U %S" -o "$dir/time.txt" "$bin" run "$dir/pipeline.yml" --force > "$dir/run.log" 2>&1 || status=$?
  [ "$status" -le 1 ] || { echo "R=$rate: the run failed (exit $status)" >&2; tail -20 "$dir/run.log" >&2; exit 1; }
  curl -s "$url/_sandbox/stats" > "$dir/stats.json"
  stop_sandbox
  python3 - "$rate" "$dir/stats.json" "$dir/time.txt" "$in_flight" <<'EOF' || failed=1
import json, sys
rate, stats = float(sys.argv[1]), json.load(open(sys.argv[2]))
wall, user, system = (float(x) for x in open(sys.argv[3]).read().split()[-3:])
arrivals, span = stats["arrivals"], stats["arrival_span_seconds"]
sustained = (arrivals - 1) / span if span > 0 else 0
bins = stats["arrivals_by_second"][1:-1]
slowest = min(bins) if bins else 0
busiest = stats["max_arrivals_in_any_second"]
ok = sustained >= 0.97 * rate and busiest <= rate
print(f"R={rate:g} (max_in_flight {sys.argv[4]}): {arrivals} arrivals over {span:.1f} s, 429s {stats['rejected_429']}; sustained {sustained:.1f}/s = {sustained / rate:.3f} R "
      f"(target >= 0.97); slowest whole second {slowest}; busiest sliding second {busiest} (target <= {rate:g}) -> {'ok' if ok else 'MISSED'}; "
      f"tool {wall:.1f} s wall, {(user + system) / max(arrivals, 1) * 1000:.3f} ms CPU per call")
sys.exit(0 if ok else 1)
EOF
done
exit $failed
