#!/usr/bin/env bash
# Exports portfolio "C2CLA 12.1.22" from a fresh embedded sandbox as XLSX and as CSV (the two
# sample pipelines), converts the XLSX with LibreOffice (soffice --headless --convert-to csv)
# and diffs it against the CSV export. Not for CI (LibreOffice is slow and large); CI reads
# the XLSX back with the project's own XLSXReader (PortfolioExportTests).
# Usage: Scripts/check-xlsx-libreoffice.sh [extra accounts to seed, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA="${1:-200}"
command -v soffice >/dev/null || { echo "needs LibreOffice (soffice)" >&2; exit 2; }
swift build --product scollect-etl >/dev/null
BIN="$(swift build --show-bin-path)/scollect-etl"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/check-xlsx.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export SCOLLECT_SANDBOX_DB="$WORK/sandbox.sqlite"
export SCOLLECT_STATE_DIR="$WORK/state"   # journals and locks in the scratch folder, not ~/.local/state
"$BIN" sandbox seed --accounts "$EXTRA" --db "$SCOLLECT_SANDBOX_DB" --portfolio "C2CLA 12.1.22" >/dev/null

for NAME in portfolio-export portfolio-export-csv; do
    sed -e "s|file: ../exports/|file: $WORK/|" -e "s|folder: ../reports/|folder: $WORK/reports/|" "Pipelines/$NAME.yml" >"$WORK/$NAME.yml"
    "$BIN" run -q "$WORK/$NAME.yml" >/dev/null
done

# LibreOffice writes CSV with LF line ends and quotes only where needed, like RFC 4180 minus
# CRLF: compare after normalising line ends.
soffice --headless --norestore -env:UserInstallation="file://$WORK/lo-profile" \
    --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false' \
    --outdir "$WORK/lo" "$WORK/portfolio-export.xlsx" >/dev/null 2>&1
tr -d '\r' <"$WORK/portfolio-export.csv" >"$WORK/expected.csv"
tr -d '\r' <"$WORK/lo/portfolio-export.csv" >"$WORK/actual.csv"
if diff -u "$WORK/expected.csv" "$WORK/actual.csv" >"$WORK/diff.txt"; then
    echo "OK: LibreOffice's CSV of the XLSX export equals the CSV export ($(($(wc -l <"$WORK/expected.csv") - 1)) accounts)"
else
    echo "DIFFERENT: LibreOffice's CSV of the XLSX export differs from the CSV export:" >&2
    head -40 "$WORK/diff.txt" >&2
    exit 1
fi
