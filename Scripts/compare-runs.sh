#!/usr/bin/env bash
# Runs the sample pipelines (the demo's nightly placement, the bulk payments, the account
# maintenance with its Factors Network notes) with two builds of scollect-etl, each against a
# fresh embedded sandbox in its own copy of the repository, and compares what they left:
# summary.json, rejects.csv.gz and audit.jsonl.gz, apart from times, run ids and latencies
# (audit lines compared as a sorted list: workers interleave). Exit 0 when identical.
#
#   Scripts/compare-runs.sh OLD_BINARY NEW_BINARY
#
# For a refactoring that must change no behaviour: build the old commit in a worktree
# (git worktree add /tmp/old <commit> && swift build --package-path /tmp/old), then pass both.
set -euo pipefail
old=$(realpath "$1"); new=$(realpath "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for side in old new; do
  binary=$old; [ "$side" = new ] && binary=$new
  mkdir -p "$work/$side"
  (cd "$root" && tar --exclude=./.build --exclude='./.build-*' --exclude=./reports --exclude=./.scollect --exclude=./.git -cf - .) \
    | tar -C "$work/$side" -xf -
  (
    cd "$work/$side"
    # Each side's state in its copy (0.2.0 honours this; 0.1.0 used ./.scollect, the same place).
    export SCOLLECT_STATE_DIR="$work/$side/.scollect"
    "$binary" demo --quiet > demo.out 2>&1 || true
    for p in bulk-payments account-maintenance; do
      "$binary" run "Pipelines/$p.yml" --quiet > "$p.out" 2>&1 || true
    done
  )
done
python3 "$root/Scripts/compare_runs.py" "$work/old/reports" "$work/new/reports"
