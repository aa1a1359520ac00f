# Sourced by the benchmarks that start the sandbox as a process of its own (api-throughput.sh,
# core-sharing.sh, plan-validate.sh, rate-hold.sh). release_binary sets $bin (BIN, or a release build).
# start_sandbox ACCOUNTS DIR: seeds DIR/sandbox.sqlite with ACCOUNTS generated accounts
# (B0000001…, portfolio BENCH), starts `$bin sandbox serve` on a free port and sets
# server_pid, url, apikey and pin. stop_sandbox ends it. Needs $bin. Also sandbox_token,
# write_getaccount_lua and server_cpu for the scripts that run wrk against it.
server_pid=""

# release_binary: sets bin to $BIN, or builds the release binary when BIN is not set.
release_binary() {
  if [ -z "${BIN:-}" ]; then
    swift build -c release --product scollect-etl >&2
    BIN=.build/release/scollect-etl
  fi
  bin=$(realpath "$BIN")
}

start_sandbox() {
  local accounts=$1 dir=$2
  "$bin" sandbox seed --accounts "$accounts" --db "$dir/sandbox.sqlite" --portfolio BENCH --prefix B --seed 7 >&2
  "$bin" sandbox serve --db "$dir/sandbox.sqlite" --port 0 > "$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/server.log" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/server.log" | head -1)
  [ -n "$url" ] || { cat "$dir/server.log" >&2; return 1; }
  apikey=$(sed -n 's/.*"apikey": "\([^"]*\)".*/\1/p' "$dir/server.log" | head -1)
  pin=$(sed -n 's/.*"pin": "\([^"]*\)".*/\1/p' "$dir/server.log" | head -1)
}

# sandbox_token: logs in to the started sandbox and sets token (its bearer token).
sandbox_token() {
  token=$(curl -s -X POST "$url/login" -H 'Content-Type: application/json' -d "{\"apikey\": \"$apikey\", \"pin\": \"$pin\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["access_token"])')
}

# write_getaccount_lua ACCOUNTS PATH: a wrk script reading the accounts in turn, with $token.
write_getaccount_lua() {
  cat > "$2" <<EOF
local n = 0
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Accept"] = "application/json"
request = function()
  n = n % $1 + 1
  return wrk.format("GET", string.format("/getaccount/B%07d", n))
end
EOF
}

# server_cpu: the sandbox's user + system seconds so far (its /proc stat, clock ticks).
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

stop_sandbox() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  server_pid=""
  return 0
}

# write_placement ACCOUNTS PATH PREFIX: Account,City rows changing the city of each account.
write_placement() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
n, path, city = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(path, "w") as f:
    f.write("Account,City\n")
    for k in range(1, n + 1):
        f.write(f"B{k:07d},{city} {k}\n")
PY
}
