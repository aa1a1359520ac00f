#!/usr/bin/env bash
# XLSX reading benchmark: scollect-etl's streaming XLSX reader against python-calamine and
# openpyxl (read-only), all reading every cell of the same workbook; wall time and peak RSS.
# Usage: Benchmarks/xlsx-read.sh [ROWS]   (default 200000)
#
# The workbook is `scollect-etl bench generate` output (the nightly placement's 30 columns)
# written as Excel writes it (shared strings, numbers, date serials) by
# Benchmarks/xlsx_python_readers.py; the Python readers live in a venv under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-200000}
venv=${XLSX_BENCH_VENV:-/tmp/scollect-xlsx-bench-venv}
mkdir -p Benchmarks/data
csv=Benchmarks/data/placement-$rows.csv
xlsx=Benchmarks/data/placement-$rows.xlsx

if [ ! -x /usr/bin/time ]; then
  echo "/usr/bin/time is missing: apt-get install -y time" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check openpyxl python-calamine

swift build -c release --product scollect-etl >&2
bin=.build/release/scollect-etl
[ -f "$csv" ] || "$bin" bench generate --rows "$rows" --output "$csv"
[ -f "$xlsx" ] || "$venv/bin/python" Benchmarks/xlsx_python_readers.py generate "$csv" "$xlsx"
ls -l "$xlsx"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
# run LABEL COMMAND...: prints the command's output and "wall s / peak RSS" after it.
run() {
  local label=$1
  shift
  echo "== $label"
  local timing
  timing=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$timing" "$@"
  read -r wall kib <"$timing"
  rm -f "$timing"
  printf '%-52s %8.2f s %8.1f MiB\n' "$label" "$wall" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" | tee -a "$results"
}

run "scollect-etl bench read --parse-only (XLSX reader)" \
  "$bin" bench read Pipelines/nightly-placement.yml --input "$xlsx" --parse-only
run "scollect-etl bench read (XLSX: read+map+normalise)" \
  "$bin" bench read Pipelines/nightly-placement.yml --input "$xlsx"
run "scollect-etl bench read (same rows as CSV)" \
  "$bin" bench read Pipelines/nightly-placement.yml --input "$csv"
run "python-calamine (to_python, every cell)" "$venv/bin/python" Benchmarks/xlsx_python_readers.py calamine "$xlsx"
if [ "${SKIP_OPENPYXL:-}" != 1 ]; then
  run "openpyxl read-only (iter_rows, every cell)" "$venv/bin/python" Benchmarks/xlsx_python_readers.py openpyxl "$xlsx"
fi

echo
echo "== $rows rows x 30 columns: wall time, peak RSS"
cat "$results"
