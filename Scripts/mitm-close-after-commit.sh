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
# Example, checked against the sandbox (curl 7.88, mitmproxy 11): a read, then a payment on the
# same keep-alive connection; the proxy kills the payment's answer, curl says "Connection died,
# retrying a fresh connect" and sends the payment again by itself.
#   scollect-etl sandbox --port 8000 --db /tmp/mitm.sqlite &
#   Scripts/mitm-close-after-commit.sh 8000 0.5 1 &   # prints "proxy: http://127.0.0.1:PORT …"
#   TOKEN=$(curl -s localhost:8000/login -H 'Content-Type: application/json' \
#     -d '{"apikey": "sandbox-apikey", "pin": "C2C"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["access_token"])')
#   curl -s localhost:PORT/getaccount/R1000 -H "Authorization: Bearer $TOKEN" -o /dev/null \
#     --next -v localhost:PORT/insert_payments_external -H "Authorization: Bearer $TOKEN" \
#     -H 'Content-Type: application/json' -d @payment.json    # a complete payment body
# With seed 1 and share 0.5 the first send is killed and the re-send passes: curl exits 0 with
# {"message": "Payment successfully inserted", …}, and getpayments/R1000 shows the payment twice.
# With share 1 the re-send is killed too: curl ends with "Empty reply from server" (exit 52), after
# two commits. A raw socket on a kept-alive connection reads end of file and not one byte.
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
