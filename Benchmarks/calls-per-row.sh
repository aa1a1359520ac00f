#!/usr/bin/env bash
# Calls per row of a nightly placement where a share of the values changed, next to the naive
# count (every field of every row written). Usage: Benchmarks/calls-per-row.sh [ROWS] [CHANGED]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000}"
changed="${2:-0.10}"
swift build -c release --product scollect-etl >/dev/null
.build/release/scollect-etl bench calls --rows "$rows" --changed "$changed" 2>/dev/null
