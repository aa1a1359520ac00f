#!/usr/bin/env bash
# Read + map + normalise benchmark (no API): generates an N-row, 30-column placement CSV once,
# then prints rows/s, MB/s and peak memory for the nightly-placement pipeline's reader,
# mapping and normalisers. Usage: Benchmarks/read-normalise.sh [ROWS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
mkdir -p Benchmarks/data
file=Benchmarks/data/placement-$rows.csv
swift build -c release --product scollect-etl >&2
bin=.build/release/scollect-etl
[ -f "$file" ] || "$bin" bench generate --rows "$rows" --output "$file"
echo "== scollect-etl bench read ($rows rows)"
"$bin" bench read Pipelines/nightly-placement.yml --input "$file"
if command -v python3 >/dev/null && [ "${SKIP_PYTHON:-}" != 1 ]; then
  echo "== Python csv module, same normalisation (Benchmarks/python_read_normalise.py)"
  /usr/bin/time -f "peak RSS KiB  %M" python3 Benchmarks/python_read_normalise.py "$file"
fi
if python3 -c "import duckdb" 2>/dev/null && [ "${SKIP_DUCKDB:-}" != 1 ]; then
  echo "== DuckDB, SELECT * of every column, threads=1 (Benchmarks/duckdb_read.py)"
  /usr/bin/time -f "peak RSS KiB  %M" python3 Benchmarks/duckdb_read.py "$file"
fi
