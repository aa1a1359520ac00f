#!/usr/bin/env bash
# What exactly-once costs on inserts: the same load of N phones and N notes (one of each per
# account) through an earlier binary and this one, against one sandbox server (a fresh copy of
# the same database for every run), rounds interleaved. Prints inserts/s of each and the ratio.
#
#   Benchmarks/insert-cost.sh EARLIER_BINARY [THIS_BINARY]
#
# EARLIER_BINARY: e.g. 0.1.0 built from the git history:
#   git worktree add /tmp/v010 a926c91 && (cd /tmp/v010 && swift build) && Benchmarks/insert-cost.sh /tmp/v010/.build/debug/scollect-etl
# Compare builds of one kind (debug with debug, release with release).
set -euo pipefail
before=${1:?usage: $0 EARLIER_BINARY [THIS_BINARY]}
after=$(realpath "${2:-.build/debug/scollect-etl}")
before=$(realpath "$before")
accounts=${N:-1000}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

"$after" sandbox seed --db "$work/base.sqlite" --accounts "$accounts" --portfolio BENCH --prefix B >/dev/null
python3 - "$work" <<'EOF'
import csv, sqlite3, sys
work = sys.argv[1]
db = sqlite3.connect(f"{work}/base.sqlite")
numbers = [r[0] for r in db.execute("SELECT filenumber FROM dbase WHERE filenumber LIKE 'B%' ORDER BY filenumber")]
with open(f"{work}/inserts.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Account", "New Cell", "Note"])
    for i, n in enumerate(numbers):
        w.writerow([n, f"555-{700 + i // 10000:03d}-{i % 10000:04d}", f"bench note {i}"])
EOF
cat > "$work/inserts.yml" <<EOF
name: insert-cost
source:
  file: $work/inserts.csv
  reader: csv
mapping:
  filenumber: Account
  new_cell: New Cell
  note: Note
normalize:
  new_cell: phone
writers:
  - insertphone:
      phones:
        - { field: new_cell, type: CELL }
  - InsertNoteline:
      collectorname: LOADER
      logmessage: { field: note }
target:
  url: sandbox
  requests_per_second: 100000
  max_in_flight: 4
reports:
  folder: $work/reports
EOF

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run() {  # binary label
    kill "${server:-}" 2>/dev/null || true; wait "${server:-}" 2>/dev/null || true
    cp "$work/base.sqlite" "$work/run.sqlite"; rm -f "$work/run.sqlite-wal" "$work/run.sqlite-shm" "$work"/journal-*.sqlite*
    "$after" sandbox serve --port "$port" --db "$work/run.sqlite" >/dev/null 2>&1 & server=$!
    for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
    local start end
    start=$(date +%s.%N)
    (cd "$work" && SCOLLECT_URL="http://127.0.0.1:$port" SCOLLECT_APIKEY=sandbox-apikey SCOLLECT_PIN=C2C \
        SCOLLECT_JOURNAL="$work/journal-$2.sqlite" SCOLLECT_STATE_DIR="$work/state" "$1" run "$work/inserts.yml" --force --quiet >/dev/null 2>&1) || true
    end=$(date +%s.%N)
    local made
    made=$(python3 -c "import sqlite3,sys; d=sqlite3.connect('$work/run.sqlite'); print(d.execute(\"SELECT (SELECT COUNT(*) FROM phones WHERE phonenumber LIKE '555-7%') + (SELECT COUNT(*) FROM notes WHERE collectorname = 'LOADER')\").fetchone()[0])")
    python3 -c "print(f'{\"$2\":8} {$made:6d} inserts in {$end - $start:6.2f} s = {$made / ($end - $start):7.1f} inserts/s')"
    echo "$2 $made $start $end" >> "$work/times"
}
echo "N=$accounts accounts: one phone and one note each; earlier: $before; this: $after"
for _ in $(seq "$rounds"); do run "$before" earlier; run "$after" this; done
python3 - "$work/times" <<'EOF'
import sys, statistics
rates = {}
for line in open(sys.argv[1]):
    label, made, start, end = line.split()
    rates.setdefault(label, []).append(int(made) / (float(end) - float(start)))
e, t = statistics.median(rates["earlier"]), statistics.median(rates["this"])
print(f"median inserts/s: earlier {e:.1f}, this {t:.1f}; this/earlier = {t / e:.2f}")
EOF
