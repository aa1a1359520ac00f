#!/usr/bin/env bash
# `validate` on a big messy file and `plan` of a placement against a sandbox seeded with its
# accounts: time and peak memory of each (the issue asks for both in Benchmarks/README.md).
#
# validate: Benchmarks/data/placement-messy-BIG.csv (made by read-normalise.sh, or here), the
#   nightly placement pipeline, under /usr/bin/time.
# plan: a ROWS-row messy placement (`bench generate --messy --bad-share 0.005`: most rows reach the API) whose account numbers are rewritten
#   (Python's csv module) to the ones `sandbox seed --prefix B` makes (B0000001…), a sandbox
#   served as its own process and seeded with ROWS accounts, and Pipelines/nightly-placement.yml
#   pointed at it (requests_per_second 1,000,000, max_in_flight 4): `scollect-etl plan` reads
#   every account (getaccount, getphones), plans what changes, and sends no write.
# Usage: Benchmarks/plan-validate.sh [ROWS]   (default 100000; BIG_ROWS default 1000000; BIN)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
big=${BIG_ROWS:-1000000}
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 2; }
. Benchmarks/sandbox-server.sh
release_binary
mkdir -p Benchmarks/data
work=$(mktemp -d /tmp/scollect-plan-bench.XXXXXX)
cleanup() { stop_sandbox; [ "${KEEP:-}" = 1 ] && echo "work folder kept: $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
measure() { # label command... -> "label: wall s, peak MiB, exit"
  local label=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2>&1 || status=$?
  read -r wall peak < <(tail -1 "$work/time.txt")
  printf '%s: %s s wall, %d MiB peak, exit %s\n' "$label" "$wall" $((peak / 1024)) "$status"
}

bigfile=Benchmarks/data/placement-messy-$big.csv
[ -f "$bigfile" ] || "$bin" bench generate --rows "$big" --messy --bad-share 0.05 --output "$bigfile"
measure "validate, $big rows ($(du -h "$bigfile" | cut -f1))" "$bin" validate Pipelines/nightly-placement.yml --input "$bigfile"

"$bin" bench generate --rows "$rows" --messy --bad-share 0.005 --output "$work/generated.csv"
python3 - "$work/generated.csv" "$work/placement.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as src, open(sys.argv[2], "w", newline="", encoding="utf-8") as out:
    reader, writer = csv.reader(src), csv.writer(out)
    header = next(reader)
    column = header.index("Account Number")
    writer.writerow(header)
    for n, row in enumerate(reader, 1):
        row[column] = f"B{n:07d}"
        writer.writerow(row)
PY
start_sandbox "$rows" "$work"
python3 - Pipelines/nightly-placement.yml "$work/pipeline.yml" "$work/placement.csv" "$url" "$work/reports" <<'PY'
import sys
source, target, placement, url, reports = sys.argv[1:]
text = open(source).read().split("\ntarget:")[0]
text = text.replace("file: ../SampleData/placement.csv", f"file: {placement}")
text += f"\ntarget: {{ url: {url}, requests_per_second: 1000000, max_in_flight: 4, batch_size: 500 }}\nreports: {{ folder: {reports} }}\n"
open(target, "w").write(text)
PY
export SCOLLECT_URL="$url" SCOLLECT_APIKEY="$apikey" SCOLLECT_PIN="$pin" SCOLLECT_JOURNAL="$work/journal.sqlite"
measure "plan, $rows rows against a sandbox of $rows accounts" "$bin" plan "$work/pipeline.yml" --log-level error
grep -v "^\s*$" "$work/out.txt" | tail -25
