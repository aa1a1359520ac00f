#!/usr/bin/env bash
# Runs the demo and saves a screenshot of its report.html as docs/run-report.png (for the README).
# Needs Chromium: apt-get install -y chromium   (not part of CI)
set -euo pipefail
cd "$(dirname "$0")/.."

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
    echo "Chromium is not installed: apt-get install -y chromium (Debian), then run this again" >&2
    exit 1
fi

swift build --product scollect-etl
.build/debug/scollect-etl demo --quiet
report="$(ls -t reports/nightly-placement/*/report.html | head -1)"
echo "screenshot of $report"

mkdir -p docs
# A throw-away profile; --no-sandbox because root (containers, CI images) cannot use Chromium's sandbox.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --window-size=1280,2000 --screenshot="$PWD/docs/run-report.png" "file://$PWD/$report" 2>/dev/null
echo "saved docs/run-report.png"
