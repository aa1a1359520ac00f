#!/usr/bin/env bash
# Proves deploy/airflow with a real Airflow and the real binary against local sandboxes; prints
# PASS or FAIL. A script, not CI (the install takes minutes).
#
#   bash Scripts/check-airflow.sh          # SCOLLECT_ETL=path/to/scollect-etl (default .build/debug/scollect-etl)
#
# A venv with apache-airflow==$AIRFLOW_VERSION (CHECK_AIRFLOW_VENV, default under /tmp; kept for
# the next time), `airflow db migrate` in a temporary AIRFLOW_HOME, the pools of
# scollect_airflow.py imported, then `airflow dags test` on DAGs the factory made from
# Pipelines/nightly-placement.yml (copied, with SampleData, into temporary tenant folders):
#   acme         the sample night: succeeds on the first try; its XCom is the summary JSON
#                (exit_code 1: the sample has bad rows; on_rejects: succeed) = the --summary-json file;
#   acme again   the same file again: held (exit 4), failed without a retry;
#   broken       a pipeline with an unknown key: exit 2, failed without a retry (retries: 2);
#   interrupted  SIGTERM during the first try: exit 7, retried; the second try resumes and succeeds.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.3.2}
VENV=${CHECK_AIRFLOW_VENV:-/tmp/scollect-airflow-venv}
SCOLLECT_ETL=$(realpath "${SCOLLECT_ETL:-$REPO/.build/debug/scollect-etl}")
WORK=$(mktemp -d /tmp/check-airflow.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
step() { echo "== $*"; }

[ -x "$SCOLLECT_ETL" ] || { echo "FAIL: no scollect-etl binary at $SCOLLECT_ETL (set SCOLLECT_ETL)"; exit 1; }

step "apache-airflow==$AIRFLOW_VERSION in $VENV"
if [ "$("$VENV/bin/pip" show apache-airflow 2>/dev/null | sed -n 's/^Version: //p')" != "$AIRFLOW_VERSION" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "apache-airflow==$AIRFLOW_VERSION" \
    || { echo "FAIL: cannot install apache-airflow==$AIRFLOW_VERSION"; exit 1; }
fi
PY="$VENV/bin/python"
export AIRFLOW_HOME="$WORK/airflow" AIRFLOW__CORE__DAGS_FOLDER="$REPO/deploy/airflow" AIRFLOW__CORE__LOAD_EXAMPLES=False \
  SCOLLECT_AIRFLOW_CONFIG="$WORK/config.yml"
airflow() { "$VENV/bin/airflow" "$@"; }
echo "airflow $(airflow version 2>/dev/null | tail -1), python $("$PY" -c 'import sys; print(sys.version.split()[0])'), $("$SCOLLECT_ETL" --version)"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate > "$WORK/migrate.log" 2>&1 || { tail -20 "$WORK/migrate.log"; echo "FAIL: airflow db migrate"; exit 1; }

step "sandboxes (seeded as the demo seeds its own: SampleData/sandbox-accounts.json)"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_sandbox() {  # name; sets PORT (not in a subshell: its pid must reach PIDS for the cleanup)
  PORT=$(free_port)
  : > "$WORK/$1.log"
  "$SCOLLECT_ETL" sandbox --port "$PORT" --db "$WORK/$1.sqlite" --seed SampleData/sandbox-accounts.json > "$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q listening "$WORK/$1.log" && break; sleep 0.1; done
  grep -q listening "$WORK/$1.log" || { echo "FAIL: sandbox $1 did not start: $(cat "$WORK/$1.log")"; exit 1; }
}
start_sandbox acme; PORT_A=$PORT
start_sandbox interrupted; PORT_I=$PORT
echo "acme on 127.0.0.1:$PORT_A, interrupted on 127.0.0.1:$PORT_I"

step "tenant folders and the factory's configuration"
tenant() {  # name, requests per second
  mkdir -p "$WORK/tenants/$1/Pipelines" "$WORK/tenants/$1/SampleData" "$WORK/tenants/$1/state"
  cp SampleData/placement.csv SampleData/sandbox-accounts.json "$WORK/tenants/$1/SampleData/"
  sed "s/^  requests_per_second: .*/  requests_per_second: $2/" Pipelines/nightly-placement.yml > "$WORK/tenants/$1/Pipelines/nightly-placement.yml"
}
tenant acme 200; tenant interrupted 50
mkdir -p "$WORK/tenants/broken/Pipelines"
sed 's/^  requests_per_second:/  requests_per_secnd:/' Pipelines/nightly-placement.yml > "$WORK/tenants/broken/Pipelines/nightly-placement.yml"
# Interrupted: the first try gets SIGTERM once the sandbox has taken 60 requests (as a worker
# being stopped would); later tries run as they are.
cat > "$WORK/interrupt-first-try" <<EOF
#!/usr/bin/env bash
[ "\$AIRFLOW_CTX_TRY_NUMBER" = 1 ] || exec "$SCOLLECT_ETL" "\$@"
"$SCOLLECT_ETL" "\$@" & pid=\$!
for _ in \$(seq 300); do
  arrivals=\$(curl -s http://127.0.0.1:$PORT_I/_sandbox/stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("arrivals", 0))' 2>/dev/null)
  [ "\${arrivals:-0}" -ge 60 ] && break; sleep 0.1
done
kill -TERM \$pid; wait \$pid
EOF
chmod +x "$WORK/interrupt-first-try"
tenant_env() {  # port, state
  echo "{ SCOLLECT_URL: \"http://127.0.0.1:$1\", SCOLLECT_APIKEY: sandbox-apikey, SCOLLECT_PIN: C2C, SCOLLECT_STATE_DIR: \"$2\" }"
}
cat > "$WORK/config.yml" <<EOF
scollect_etl: $SCOLLECT_ETL
summaries: $WORK/summaries
retries: 2
retry_delay_seconds: 1
on_rejects: succeed
tenants:
  acme: { pipelines: $WORK/tenants/acme/Pipelines, env: $(tenant_env "$PORT_A" "$WORK/tenants/acme/state") }
  broken: { pipelines: $WORK/tenants/broken/Pipelines, env: $(tenant_env "$PORT_A" "$WORK/tenants/broken/state") }
  interrupted: { scollect_etl: $WORK/interrupt-first-try, pipelines: $WORK/tenants/interrupted/Pipelines, env: $(tenant_env "$PORT_I" "$WORK/tenants/interrupted/state") }
EOF
"$PY" deploy/airflow/scollect_airflow.py pools "$WORK/config.yml" > "$WORK/pools.json" || fail "pools"
airflow pools import "$WORK/pools.json" > "$WORK/pools.log" 2>&1 || { cat "$WORK/pools.log"; fail "airflow pools import"; }
airflow dags list-import-errors > "$WORK/import-errors.log" 2>&1
"$PY" -c "
import sys; sys.path.insert(0, '$REPO/deploy/airflow')
import scollect_airflow
print('  DAGs:', ', '.join(sorted(scollect_airflow.dags_from_config())))
print('  pools:', ', '.join(sorted(scollect_airflow.pools_json(scollect_airflow.load_config()))))
" || fail "the factory does not load"

step "exit-code mapping against README's table"
"$PY" - <<PYEOF || fail "the exit-code mapping"
import sys
sys.path[:0] = ["$REPO/deploy/airflow", "$REPO/deploy/kubernetes"]
from check_rules import exit_code_table
from scollect_airflow import outcome
from airflow.sdk.exceptions import AirflowFailException
table, resumable = exit_code_table(open("$REPO/README.md").read())
wrong = []
for code in sorted(set(table) | {137}):
    try:
        outcome(code, {"exit_code": code}); got = "success"
    except AirflowFailException: got = "fail, no retry"
    except Exception: got = "retried"
    want = "success" if code in (0, 1) else "retried" if code in resumable else "fail, no retry"
    print(f"  exit {code}: {got}"); wrong += [code] if got != want else []
sys.exit(f"  wrong: {wrong}" if wrong else 0)
PYEOF

dag_test() {  # dag id, log name
  local started=$SECONDS
  airflow dags test "$1" > "$WORK/$2.log" 2>&1; local code=$?
  echo "  airflow dags test $1: exit $code ($((SECONDS - started)) s)"
}
step "airflow dags test"
dag_test scollect_acme_nightly-placement acme
dag_test scollect_acme_nightly-placement acme-again
dag_test scollect_broken_nightly-placement broken
dag_test scollect_interrupted_nightly-placement interrupted

step "what the metadata database holds"
"$PY" - "$AIRFLOW_HOME/airflow.db" "$WORK/summaries" <<'PYEOF' || failures=$((failures + 1))
import json, pathlib, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
summaries = pathlib.Path(sys.argv[2])
problems = []

def runs(dag):
    """[(run_id, state, try_number, pool, return_value, summary)] oldest first."""
    rows = db.execute("""select r.run_id, t.state, t.try_number, t.pool,
                                (select value from xcom x where x.dag_id = t.dag_id and x.run_id = t.run_id and x.key = 'return_value'),
                                (select value from xcom x where x.dag_id = t.dag_id and x.run_id = t.run_id and x.key = 'summary')
                         from task_instance t join dag_run r on r.dag_id = t.dag_id and r.run_id = t.run_id
                         where t.dag_id = ? order by r.id""", (dag,)).fetchall()
    return [(run, state, tries, pool, json.loads(rv) if rv else None, json.loads(s) if s else None)
            for run, state, tries, pool, rv, s in rows]

def expect(what, ok, detail):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}: {detail}")
    if not ok:
        problems.append(what)

pools = dict(db.execute("select pool, slots from slot_pool where pool like 'scollect-%'").fetchall())
expect("a pool of 1 slot per tenant", len(pools) == 3 and set(pools.values()) == {1}, pools)

acme = runs("scollect_acme_nightly-placement")
expect("acme ran twice", len(acme) == 2, [r[:3] for r in acme])
if len(acme) == 2:
    (run, state, tries, pool, xcom, _), (run2, state2, tries2, _, xcom2, summary2) = acme
    on_disk = json.loads((summaries / "scollect_acme_nightly-placement" / re.sub(r"[^A-Za-z0-9_.-]+", "_", run) / "try-1.json").read_text())
    expect("acme: success on the first try", (state, tries) == ("success", 1), (state, tries))
    expect("acme: pool from the target and tenant", pool.startswith("scollect-127.0.0.1_") and pool.endswith("-acme"), pool)
    expect("acme: XCom is the --summary-json file", xcom == on_disk, f"{len(json.dumps(xcom or {}))} bytes, keys {sorted(xcom or {})[:8]}...")
    expect("acme: XCom exit_code 1 (rejects; on_rejects: succeed)", (xcom or {}).get("exit_code") == 1, (xcom or {}).get("exit_code"))
    x = xcom or {}
    expect("acme: every row counted once", x.get("rows_read") == 220 == x.get("written", 0) + x.get("unchanged", 0) + x.get("rejected", 0),
           {k: x.get(k) for k in ["rows_read", "written", "unchanged", "rejected"]})
    expect("acme again: held (4), failed, not retried", (state2, tries2, (summary2 or {}).get("exit_code")) == ("failed", 1, 4),
           (state2, tries2, (summary2 or {}).get("exit_code")))

broken = runs("scollect_broken_nightly-placement")
expect("broken: exit 2 fails without a retry", [(r[1], r[2]) for r in broken] == [("failed", 1)], [(r[1], r[2]) for r in broken])

interrupted = runs("scollect_interrupted_nightly-placement")
if interrupted:
    run, state, tries, _, xcom, _ = interrupted[0]
    folder = summaries / "scollect_interrupted_nightly-placement" / re.sub(r"[^A-Za-z0-9_.-]+", "_", run)
    first = json.loads((folder / "try-1.json").read_text()) if (folder / "try-1.json").exists() else {}
    expect("interrupted: try 1 exit 7", first.get("exit_code") == 7, first.get("exit_code"))
    expect("interrupted: retried, success on try 2", (state, tries) == ("success", 2), (state, tries))
    second = json.loads((folder / "try-2.json").read_text()) if (folder / "try-2.json").exists() else {}
    counted = lambda d: d.get("written", 0) + d.get("unchanged", 0) + d.get("rejected", 0) + d.get("already_booked", 0)
    expect("interrupted: try 2 resumed (rows settled by try 1), every row counted once",
           second.get("settled_earlier", 0) > 0 and counted(second) == second.get("rows_read") == 220,
           {k: second.get(k) for k in ["rows_read", "written", "unchanged", "rejected", "settled_earlier"]})
    if len(acme) == 2:
        fresh = acme[0][4] or {}
        expect("interrupted: tries 1 + 2 wrote what one uninterrupted night writes (nothing twice)",
               first.get("written", 0) + second.get("written", 0) == fresh.get("written"),
               f'{first.get("written")} + {second.get("written")} vs {fresh.get("written")}')
    expect("interrupted: try 2's XCom is its summary, exit 1", (xcom or {}).get("exit_code") == 1 and xcom == json.loads((folder / "try-2.json").read_text()),
           (xcom or {}).get("exit_code"))
else:
    expect("interrupted ran", False, "no task instance")
sys.exit(1 if problems else 0)
PYEOF

if [ "$failures" = 0 ]; then echo "PASS: deploy/airflow (apache-airflow $AIRFLOW_VERSION)"; exit 0; fi
echo "FAIL: deploy/airflow ($failures problem(s)); logs in $WORK (KEEP_WORK=1 keeps them)"; exit 1
