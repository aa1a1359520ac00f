#!/usr/bin/env bash
# `preview --format jsonl` of workbooks against python-calamine, cell by cell; openpyxl's
# disagreements printed, not counted (not CI: needs PyPI).
# Usage: Scripts/compare-xlsx-readers.sh [WORKBOOK...]   (default: every fixture and the sample)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${XLSX_BENCH_VENV:-/tmp/scollect-xlsx-bench-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check python-calamine openpyxl
swift build --product scollect-etl >&2
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(Tests/Fixtures/xlsx/*.xlsx SampleData/placement.xlsx)
"$venv/bin/python" Scripts/compare-xlsx-readers.py .build/debug/scollect-etl "${files[@]}"
