#!/usr/bin/env bash
# Seeds a sandbox database with N generated accounts (default 50,000) in one portfolio, then
# exports that portfolio through the embedded sandbox (CSV and XLSX), printing wall time and
# peak RSS of each step (GNU time -v). Usage: Benchmarks/export-memory.sh [N] [release|debug]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50000}"
CONFIG="${2:-release}"
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 2; }
swift build -c "$CONFIG" --product scollect-etl >/dev/null
BIN="$(swift build -c "$CONFIG" --show-bin-path)/scollect-etl"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/export-memory.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/sandbox.sqlite"
export SCOLLECT_STATE_DIR="$WORK/state"   # journals and locks in the scratch folder, not ~/.local/state

measure() { # label, command…
    local label="$1"; shift
    /usr/bin/time -v "$@" >"$WORK/out.txt" 2>"$WORK/time.txt" || { cat "$WORK/out.txt" "$WORK/time.txt" >&2; exit 1; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
    printf '%-28s wall %-10s peak RSS %6.1f MiB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
}

measure "seed $N accounts" "$BIN" sandbox seed --accounts "$N" --db "$DB" --portfolio "BENCH $N"

for FORMAT in csv xlsx; do
    cat >"$WORK/export-$FORMAT.yml" <<YAML
name: export-memory-$FORMAT
source:
  scollect:
    portfolios: ["BENCH $N"]
    include: [account, payments, phones]
sink: { file: $WORK/export.$FORMAT, format: $FORMAT }
columns:
  - { name: "Account", from: filenumber }
  - { name: "Client Account", from: accountnumber }
  - { name: "First Name", from: firstname }
  - { name: "Last Name", from: lastname }
  - { name: "SSN", from: socialsecuritynumber, format: ssn_last4 }
  - { name: "DOB", from: birthdate, format: date }
  - { name: "Zip", from: zip }
  - { name: "Balance", from: currentbalance, format: money }
  - { name: "Charge-off Date", from: datechargedoff, format: date }
  - { name: "Phones", from: phones.count }
  - { name: "Payments", from: payments.count }
  - { name: "Total Paid", from: payments.sum.paymentamount, format: money }
  - { name: "Last Payment", from: payments.last.paymentdate, format: date }
target: { url: sandbox, requests_per_second: 100000, max_in_flight: 8, batch_size: 500 }
reports: { folder: $WORK/reports }
YAML
    SCOLLECT_SANDBOX_DB="$DB" measure "export $N accounts ($FORMAT)" "$BIN" run -q "$WORK/export-$FORMAT.yml"
    grep -E "rows read|  written|  rejected|calls made" "$WORK/out.txt" | sed 's/^/    /'
    printf '    output %s bytes\n' "$(stat -c %s "$WORK/export.$FORMAT")"
done
