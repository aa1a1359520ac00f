#!/usr/bin/env bash
# API path at wire speed: the tool's calls/s against what wrk gets from the same server.
#
# Starts the sandbox as a process of its own (`scollect-etl sandbox serve`) on a fresh database
# seeded with ACCOUNTS generated accounts, runs wrk (as many connections as max_in_flight) on
# each endpoint the tool calls (GET /getaccount/<fn> over all accounts, PUT /updatedbase), then
# runs a placement that changes one field (city) of every account, max_in_flight 4, no rate
# limit, audit, journal and progress on, under /usr/bin/time; ROUNDS times (default 3), wrk and
# the tool one after the other, so a slow spell of the machine falls on one round. Prints, for
# each round and as the median of the rounds:
#   wrk's time   = Σ over endpoints of the tool's calls to it ÷ wrk's requests/s on it
#   ratio        = wrk's time ÷ the tool's wall time (target ≥ 0.8)
#   CPU per call = the tool's user + system seconds ÷ its calls (target ≤ 0.15 ms)
# Each round runs in two arrangements of the machine's cores (CORES, default "shared split"):
#   shared  server, wrk and the tool on all cores: the client's CPU takes cycles the server's
#           threads wait for, so this measures the client's CPU and the server's together;
#   split   the server on the first half of the cores, wrk and the tool on the other half
#           (`taskset`): the client cannot take the server's cycles, as against an API server on
#           a machine of its own. The server has half the cores here, so wrk's figure is lower too.
# Usage: Benchmarks/api-throughput.sh [ACCOUNTS]   (default 20000)
# Env: WRK_SECONDS (default 10), IN_FLIGHT (default 4), ROUNDS (default 3), CORES, BIN (skip the release
# build), KEEP=1 (keep the work folder), PERF=1 (one round, the first arrangement; the tool's run
# recorded with `perf record -g` into WORK/perf.data),
# SWEEP=1 (also the server's CPU per getaccount under wrk with 1, 2 and 4 connections).
# Also printed: wrk on the tool's own mix (one connection a thread, each alternating an account's
# getaccount and updatedbase as the tool's workers do) and the tool's time against it; the
# server's CPU per request under wrk and per call under the tool (its
# /proc/PID/stat), wrk's own CPU per request, and where a connection's time went: the mean wait
# for an answer per endpoint (the audit's latency_ms) against wrk's mean latency, and the tool's
# own turnaround between an answer and its next request.
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-20000}
wrk_seconds=${WRK_SECONDS:-10}
in_flight=${IN_FLIGHT:-4}
rounds=${ROUNDS:-3}
arrangements=${CORES:-shared split}
cores=$(nproc)
[ "$cores" -ge 2 ] || arrangements=shared
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (bash Scripts/setup.sh --bench)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 2; }
. Benchmarks/sandbox-server.sh
release_binary
work=$(mktemp -d /tmp/scollect-api-bench.XXXXXX)
cleanup() {
  stop_sandbox
  [ "${KEEP:-}" = 1 ] && echo "work folder kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# --- the server, its own process, a fresh database -------------------------------------------
start_sandbox "$accounts" "$work"
sandbox_token
echo "server: $url (pid $server_pid), $accounts accounts" >&2

# --- wrk on each endpoint the tool calls ------------------------------------------------------
write_getaccount_lua "$accounts" "$work/getaccount.lua"
cat > "$work/updatedbase.lua" <<EOF
local n = 0
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n % $accounts + 1
  local body = string.format('{"filenumber":"B%07d","fieldname":"city","fieldvalue":"WRK CITY %d"}', n, n)
  return wrk.format("PUT", "/updatedbase", nil, body)
end
EOF
# The tool's own mix: on each connection (wrk runs one connection a thread here), the account's
# getaccount, then its updatedbase with a value it does not hold yet, then the next account.
cat > "$work/mix.lua" <<EOF
local n, k = 0, 0
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json"
request = function()
  k = k + 1
  if k % 2 == 1 then
    n = n % $accounts + 1
    return wrk.format("GET", string.format("/getaccount/B%07d", n))
  end
  local body = string.format('{"filenumber":"B%07d","fieldname":"city","fieldvalue":"WRK MIX %d %d"}', n, n, k)
  return wrk.format("PUT", "/updatedbase", nil, body)
end
EOF
threads=$(( in_flight < 2 ? in_flight : 2 ))
rps() { # endpoint|mix round -> requests/s; the server's and wrk's CPU seconds in WORK/cpu-ENDPOINT-ROUND.txt
  local before t=$threads; before=$(server_cpu)
  [ "$1" = mix ] && t=$in_flight
  /usr/bin/time -f "%U %S" -o "$work/wrk-time-$1-$2.txt" \
    "${client[@]}" wrk -t"$t" -c"$in_flight" -d"${wrk_seconds}s" -s "$work/$1.lua" "$url" > "$work/wrk-$1-$2.txt"
  echo "$(server_cpu) $before $(cat "$work/wrk-time-$1-$2.txt")" > "$work/cpu-$1-$2.txt"
  grep -q "Non-2xx" "$work/wrk-$1-$2.txt" && { echo "wrk $1: non-2xx answers" >&2; cat "$work/wrk-$1-$2.txt" >&2; exit 1; }
  sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk-$1-$2.txt"
}
sweep() { # the server's CPU per request as its load falls: wrk with 1, 2, 4 connections
  for c in 1 2 4; do
    before=$(server_cpu)
    r=$(wrk -t1 -c"$c" -d"${wrk_seconds}s" -s "$work/getaccount.lua" "$url" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
    python3 -c "print('wrk -c$c getaccount: %.0f req/s, server %.3f ms CPU per request' % ($r, ($(server_cpu) - $before) / ($r * $wrk_seconds) * 1000))" >&2
  done
}
[ "${SWEEP:-}" = 1 ] && sweep

# --- the tool: a placement that changes the city of every account -----------------------------
export SCOLLECT_URL="$url" SCOLLECT_APIKEY="$apikey" SCOLLECT_PIN="$pin" SCOLLECT_JOURNAL="$work/journal.sqlite"
prefix=()
if [ "${PERF:-}" = 1 ]; then # the timed run under perf: its figures include perf's cost
  prefix=(perf record -g -o "$work/perf.data" --)
  KEEP=1
  rounds=1
  arrangements=${arrangements%% *}
fi
tool() { # round -> WORK/time-R.txt, summary-R.json, cpu-tool-R.txt, stats-R.json
  # Each round's file gives every account a city it does not hold yet: every account changes.
  write_placement "$accounts" "$work/placement.csv" "Bench City R$1"
  cat > "$work/pipeline.yml" <<EOF
name: api-throughput
source: { file: $work/placement.csv }
mapping:
  filenumber: Account
  city: City
normalize:
  city: upper
writers:
  - updatedbase:
target: { url: $url, requests_per_second: 1000000, max_in_flight: $in_flight, batch_size: 500 }
reports: { folder: $work/reports }
EOF
  curl -s -X POST "$url/_sandbox/stats/reset" > /dev/null
  local status=0 before; before=$(server_cpu)
  /usr/bin/time -f "%e %U %S %M" -o "$work/time-$1.txt" "${prefix[@]}" "${client[@]}" "$bin" run "$work/pipeline.yml" --force \
    --summary-json "$work/summary-$1.json" > "$work/run-$1.log" 2>&1 || status=$?
  [ "$status" -le 1 ] || { echo "the run failed (exit $status):" >&2; tail -20 "$work/run-$1.log" >&2; exit 1; }
  echo "$(server_cpu) $before" > "$work/cpu-tool-$1.txt"
  curl -s "$url/_sandbox/stats" > "$work/stats-$1.json"
}

# --- the cores: all for everyone, or the first half for the server and the rest for the clients
client=()
arrange() { # shared | split
  if [ "$1" = split ]; then
    local half=$((cores / 2))
    taskset -a -p -c "0-$((half - 1))" "$server_pid" > /dev/null
    client=(taskset -c "$half-$((cores - 1))")
  else
    taskset -a -p -c "0-$((cores - 1))" "$server_pid" > /dev/null
    client=()
  fi
}

# --- rounds: in each arrangement, wrk on each endpoint, then the tool, one after the other ----
for round in $(seq 1 "$rounds"); do
  for arrangement in $arrangements; do
    arrange "$arrangement"
    get=$(rps getaccount "$arrangement-$round")
    put=$(rps updatedbase "$arrangement-$round")
    mix=$(rps mix "$arrangement-$round")
    echo "$get $put $mix" > "$work/wrk-rps-$arrangement-$round.txt"
    tool "$arrangement-$round"
  done
done
arrange shared

python3 - "$work" "$rounds" "$in_flight" "$wrk_seconds" "$arrangements" <<'EOF'
import gzip, json, statistics, sys
work, rounds, in_flight, wrk_seconds, arrangements = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5].split()
def wrk_latency_ms(path):  # wrk's "Latency  673.39us  ..." line: the mean
    value = next(line.split()[1] for line in open(path) if line.strip().startswith("Latency"))
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit): return float(value[:-len(unit)]) * scale
def numbers(name):
    return [float(x) for x in open(f"{work}/{name}").read().split()]
medians = {}
for arrangement in arrangements:
    ratios, cpus, mix_ratios = [], [], []
    for n in range(1, rounds + 1):
        r = f"{arrangement}-{n}"
        wall, user, system, peak_kib = numbers(f"time-{r}.txt")[-4:]
        summary = json.load(open(f"{work}/summary-{r}.json"))
        stats = json.load(open(f"{work}/stats-{r}.json"))
        get, put, mix = numbers(f"wrk-rps-{r}.txt")
        wrk = {"getaccount": get, "updatedbase": put}
        calls = summary.get("calls_by_endpoint") or summary.get("callsByEndpoint") or {}
        total = sum(calls.values())
        wrk_time = sum(calls.get(e, 0) / rps for e, rps in wrk.items())
        ratio, cpu = wrk_time / wall, (user + system) / total * 1000
        ratios.append(ratio); cpus.append(cpu)
        print(f"{arrangement} cores, round {n}: calls {total} ({', '.join(f'{e} {k}' for e, k in sorted(calls.items()))}); the server counted {stats['admitted']}; "
              f"rows {summary.get('rows_written', summary.get('written'))} written, exit {summary.get('exit_code')}")
        print(f"  tool: {wall:.2f} s wall = {total / wall:.0f} calls/s, {user:.2f} s user + {system:.2f} s sys, peak {peak_kib / 1024:.0f} MiB")
        print(f"  wrk -c{in_flight}: getaccount {get:.0f} req/s, updatedbase {put:.0f} req/s -> wrk's time {wrk_time:.2f} s")
        print(f"  ratio {ratio:.2f}, client CPU per call {cpu:.3f} ms")
        mix_ratio = (calls.get("getaccount", 0) + calls.get("updatedbase", 0)) / mix / wall
        mix_ratios.append(mix_ratio)
        after, before, wrk_user, wrk_sys = numbers(f"cpu-mix-{r}.txt")
        print(f"  wrk -c{in_flight} on the tool's mix (getaccount then updatedbase of each account, on each connection): {mix:.0f} req/s, "
              f"server {(after - before) / (mix * wrk_seconds) * 1000:.3f} ms CPU per request -> the tool at {mix_ratio:.2f} of it")
        # Where the two cores went: the server's CPU per request under wrk and under the tool, wrk's own.
        server_by_wrk = {}
        for e in wrk:
            after, before, wrk_user, wrk_sys = numbers(f"cpu-{e}-{r}.txt")
            requests = wrk[e] * wrk_seconds
            server_by_wrk[e] = (after - before) / requests
            print(f"  wrk {e}: server {server_by_wrk[e] * 1000:.3f} ms CPU per request, wrk {(wrk_user + wrk_sys) / requests * 1000:.3f} ms")
        after, before = numbers(f"cpu-tool-{r}.txt")
        expected = sum(calls.get(e, 0) * server_by_wrk[e] for e in wrk)
        print(f"  tool: server {(after - before) / total * 1000:.3f} ms CPU per call"
              f" (at wrk's cost per request it would be {expected / total * 1000:.3f} ms)")
        # Where a connection's time went: waiting for answers (request written -> answer parsed, the
        # audit's latency_ms) against wrk's mean latency on the endpoint, and the tool's own turnaround
        # between an answer and its next request (in_flight / calls per second - the mean wait).
        waits = {}
        with gzip.open(f"{summary['report_folder']}/audit.jsonl.gz", "rt") as audit:
            for line in audit:
                entry = json.loads(line)
                if entry.get("endpoint") in wrk: waits.setdefault(entry["endpoint"], []).append(entry["latency_ms"])
        wrk_waits = {e: wrk_latency_ms(f"{work}/wrk-{e}-{r}.txt") for e in wrk}
        mean_wait = sum(sum(v) for v in waits.values()) / sum(len(v) for v in waits.values())
        print("  wait per call: " + ", ".join(f"{e} {statistics.mean(v):.3f} ms (wrk {wrk_waits[e]:.3f})" for e, v in sorted(waits.items()))
              + f"; the tool's turnaround between calls {int(in_flight) / (total / wall) * 1000 - mean_wait:.3f} ms")
    medians[arrangement] = (ratios, cpus, mix_ratios)
for arrangement, (ratios, cpus, mix_ratios) in medians.items():
    print(f"{arrangement} cores: ratio wrk time / tool time: median {statistics.median(ratios):.2f} of {rounds} round(s) "
          f"({', '.join(f'{x:.2f}' for x in ratios)})   (target >= 0.80)")
    print(f"{arrangement} cores: the tool against wrk on its own mix: median {statistics.median(mix_ratios):.2f} "
          f"({', '.join(f'{x:.2f}' for x in mix_ratios)})")
    print(f"{arrangement} cores: client CPU per call: median {statistics.median(cpus):.3f} ms ({', '.join(f'{x:.3f}' for x in cpus)})   (target <= 0.15)")
EOF
