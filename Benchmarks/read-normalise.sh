#!/usr/bin/env bash
# Read + map + normalise benchmark (no API), paired against DuckDB's single-thread scan.
#
# Generates once Benchmarks/data/placement-messy-ROWS.csv (`bench generate --messy --bad-share
# 0.05`: the sample file's 30 columns, line breaks inside quoted cells, doubled quotes, non-ASCII
# text, amounts with currency codes, 5 % bad values) and prints what it holds (Python's csv
# module counts the rows with each kind of mess). Then, paired run by run (`farm-bench --vs` when
# installed, else RUNS alternating runs under /usr/bin/time):
#   A: scollect-etl bench read Pipelines/nightly-placement.yml (CSV reader, mapping, 16 normalisers;
#      it may use both cores)
#   B: DuckDB, every column as text into a table, threads=1 (Benchmarks/duckdb_read.py)
# and prints the median ratio A/B (target ≤ 1.2) and both peaks (target for A: ≤ 64 MiB).
# Usage: Benchmarks/read-normalise.sh [ROWS]   (default 1000000)
# Env: RUNS (default 5), PYTHON (a python3 with duckdb: pip install duckdb), BIN, SKIP_PYTHON=0 to
# add the pure-Python yardstick (python_read_normalise.py, ~1 min a run).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${RUNS:-5}
python=${PYTHON:-python3}
mkdir -p Benchmarks/data
file=Benchmarks/data/placement-messy-$rows.csv
if [ -z "${BIN:-}" ]; then
  swift build -c release --product scollect-etl >&2
  BIN=.build/release/scollect-etl
fi
bin=$(realpath "$BIN")
"$python" -c "import duckdb" 2>/dev/null || { echo "DuckDB is missing: $python -m pip install duckdb (or set PYTHON)" >&2; exit 2; }
if [ ! -f "$file" ]; then
  "$bin" bench generate --rows "$rows" --messy --bad-share 0.05 --output "$file"
fi
python3 - "$file" <<'EOF'
import csv, sys
rows = newline = non_ascii = quotes = 0
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    next(reader)
    for row in reader:
        rows += 1
        newline += any("\n" in c or "\r" in c for c in row)
        non_ascii += any(not c.isascii() for c in row)
        quotes += any('"' in c for c in row)
print(f"file: {sys.argv[1]}: {rows} rows; line breaks inside a cell in {newline / rows:.1%}, non-ASCII in {non_ascii / rows:.1%}, "
      f"quotes inside a cell in {quotes / rows:.1%}")
EOF
tool=("$bin" bench read Pipelines/nightly-placement.yml --input "$file")
duck=("$python" Benchmarks/duckdb_read.py "$file")
echo "== one run each, their own figures"
"${tool[@]}"
"${duck[@]}"
echo "== paired: A = scollect-etl bench read, B = DuckDB threads=1"
if command -v farm-bench >/dev/null; then
  farm-bench -n "$runs" --timeout 1200 --vs "${duck[*]}" -- "${tool[@]}"
else
  python3 - "$runs" "${tool[*]}" "${duck[*]}" <<'EOF'
import resource, shlex, statistics, subprocess, sys, time
runs, a, b = int(sys.argv[1]), shlex.split(sys.argv[2]), shlex.split(sys.argv[3])
def once(cmd):
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
    return time.monotonic() - start, int(p.stderr.strip().splitlines()[-1]) / 1024
pairs = [(once(a), once(b)) for _ in range(runs)]
ratios = [x[0] / y[0] for x, y in pairs]
print(f"A wall s median {statistics.median(x[0] for x, _ in pairs):.2f}, peak MiB {max(x[1] for x, _ in pairs):.0f}")
print(f"B wall s median {statistics.median(y[0] for _, y in pairs):.2f}, peak MiB {max(y[1] for _, y in pairs):.0f}")
print(f"ratio A/B wall: median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
EOF
fi
if [ "${SKIP_PYTHON:-1}" = 0 ]; then
  echo "== Python csv module, same normalisation (Benchmarks/python_read_normalise.py)"
  /usr/bin/time -f "peak RSS KiB  %M" python3 Benchmarks/python_read_normalise.py "$file"
fi
