#!/usr/bin/env bash
# Puts mitmproxy (reverse mode) in front of a running server on this machine: for a share of the
# non-GET requests the server answers, the proxy withholds the answer and closes the client's
# connection without a byte ("committed, then closed"). An independent check of the sandbox's
# --close-after-commit, usable in front of any HTTP server on a loopback port.
#
#   Scripts/mitm-close-after-commit.sh SERVER_PORT [SHARE] [SEED]
#
#   SERVER_PORT  the server's port on 127.0.0.1 (e.g. `scollect-etl sandbox --port 8000`)
#   SHARE        share (0..1) of unsafe requests killed after the server answered (default 0.3)
#   SEED         seed of the draws (default 0)
#   MITM_PORT_FILE=path  also write the proxy's port there (for scripts)
#
# Prints "proxy: http://127.0.0.1:PORT -> http://127.0.0.1:SERVER_PORT" and runs mitmdump in the
# foreground until Ctrl-C; each killed request is logged. Needs mitmproxy: `pip install mitmproxy`.
#
# Example (a keep-alive curl login, then a payment the proxy kills: curl says "Connection died,
# retrying a fresh connect" and sends the payment again, so the server books it twice):
#   scollect-etl sandbox --port 8000 --db /tmp/mitm.sqlite &
#   Scripts/mitm-close-after-commit.sh 8000 1 &      # proxy: http://127.0.0.1:PORT …
#   curl -s localhost:PORT/login -d '{"apikey":"sandbox-apikey","pin":"C2C"}' -H 'Content-Type: application/json' \
#     --next -v localhost:PORT/insert_payments_external -H "Authorization: Bearer $TOKEN" -d @payment.json
#   curl -s localhost:8000/getpayments/R1000 -H "Authorization: Bearer $TOKEN"   # booked, twice
# With a share of 1, the re-sent request is killed too and curl ends with "Empty reply from
# server" (exit 52) after two commits.
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
server_port=$1
share=${2:-0.3}
seed=${3:-0}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v mitmdump > /dev/null; then
  echo "mitmdump not found: pip install mitmproxy" >&2
  exit 2
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ -n "${MITM_PORT_FILE:-}" ]; then echo "$port" > "$MITM_PORT_FILE"; fi
echo "proxy: http://127.0.0.1:$port -> http://127.0.0.1:$server_port (close after commit: share $share, seed $seed)"
exec mitmdump --mode "reverse:http://127.0.0.1:$server_port" --listen-host 127.0.0.1 --listen-port "$port" \
  --set "close_share=$share" --set "close_seed=$seed" --set connection_strategy=lazy \
  -s "$here/mitm-close-after-commit.py"
