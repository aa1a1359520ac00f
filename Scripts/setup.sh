#!/usr/bin/env bash
# Installs the Debian packages scollect-etl builds against (and strace, which FilePermissionsTests
# reads file creation modes with, python3, whose csv module some tests read reports back with, and
# postgresql, whose server the journal tests start on their own: initdb + pg_ctl in a temporary
# folder, on a free loopback port); does nothing when they are there.
set -euo pipefail
# `--bench` adds what Benchmarks/ uses: wrk (api-throughput.sh), GNU time (peak memory, CPU) and
# perf (profiles); DuckDB for read-normalise.sh comes from PyPI: python3 -m pip install duckdb.
packages=(libcurl4-openssl-dev zlib1g-dev libxml2-dev libsqlite3-dev pkg-config strace python3 postgresql)
[ "${1:-}" = --bench ] && packages+=(wrk time linux-perf curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
