#!/usr/bin/env bash
# Longer fuzzing than CI's: FUZZ_SECONDS per target (default 300): the CSV reader, the
# normalisers, and the zip container and XLSX parts (hostile central directories, local headers,
# zip64 fields, mutated bytes and XML). Replay a finding with FUZZ_SEED=N.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-300}" swift test --filter FuzzTests
