#!/usr/bin/env bash
# Checks deploy/kubernetes without a cluster (none runs here); prints PASS or FAIL.
#
#   bash Scripts/check-deploy.sh
#
# 1. the generated CronJobs are what deploy/kubernetes/generate.py writes from schedules.yml;
# 2. `kubectl kustomize` builds the base (one node, SQLite) and overlays/postgres;
# 3. kubernetes-validate (PyPI, in a venv under /tmp) validates every built manifest, strictly,
#    against a pinned Kubernetes version (K8S_VERSION, default 1.33.0);
# 4. deploy/kubernetes/check_rules.py checks what a schema cannot (Forbid, secret files 0400, a
#    non-root user matching fsGroup, podFailurePolicy against README's exit-code table, the grace
#    period against the request timeout), and is shown to fail on manifests broken on purpose;
# 5. as root, with a binary (SCOLLECT_ETL, default .build/debug/scollect-etl): the secret files
#    as the kubelet leaves them (root-owned, 0440 with fsGroup) are refused by the tool, and the
#    init container's copy is accepted by a run as the pod's user against a local sandbox.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
K8S_VERSION=${K8S_VERSION:-1.33.0}
VALIDATE_VERSION=1.37.0
VENV=${CHECK_DEPLOY_VENV:-/tmp/scollect-check-deploy-venv}
SCOLLECT_ETL=${SCOLLECT_ETL:-$REPO/.build/debug/scollect-etl}
WORK=$(mktemp -d /tmp/check-deploy.XXXXXX)
SANDBOX_PID=
failures=0
cleanup() { [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
step() { echo "== $*"; }

step "tools"
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "kubernetes-validate==$VALIDATE_VERSION" "pyyaml>=6,<7" \
    || { echo "FAIL: cannot install kubernetes-validate==$VALIDATE_VERSION"; exit 1; }
fi
if ! command -v kubectl >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -y -q kubectl >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q kubectl >/dev/null; }
fi
command -v kubectl >/dev/null || { echo "FAIL: kubectl (Debian package kubectl) is needed for 'kubectl kustomize'"; exit 1; }
PY="$VENV/bin/python"
echo "kubernetes-validate $("$VENV/bin/kubernetes-validate" --version 2>&1 | tail -1), schemas of Kubernetes $K8S_VERSION; $(kubectl version --client 2>/dev/null | tr '\n' ' ')"

step "generated CronJobs up to date"
"$PY" deploy/kubernetes/generate.py --out "$WORK/generated" || fail "generate.py failed"
for file in kustomization.yaml $(cd "$WORK/generated" && ls cronjobs/*.yaml); do
  cmp -s "$WORK/generated/$file" "deploy/kubernetes/base/$file" || fail "deploy/kubernetes/base/$file is stale: run python3 deploy/kubernetes/generate.py"
done
for file in deploy/kubernetes/base/cronjobs/*.yaml; do
  [ -e "$WORK/generated/cronjobs/$(basename "$file")" ] || fail "$file is not generated from schedules.yml"
done

step "kustomize build + kubernetes-validate --strict -k $K8S_VERSION"
built=()
for variant in base overlays/postgres; do
  out="$WORK/$(echo "$variant" | tr / -).yaml"
  if kubectl kustomize "deploy/kubernetes/$variant" > "$out"; then
    built+=("$out")
    if "$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$out"; then
      echo "  $variant: $(grep -c '^kind:' "$out") resources valid"
    else
      fail "$variant does not validate against Kubernetes $K8S_VERSION"
    fi
  else
    fail "kubectl kustomize deploy/kubernetes/$variant"
  fi
done

step "rules (check_rules.py)"
"$PY" deploy/kubernetes/check_rules.py "${built[@]}" || fail "a deployment rule is broken"
# The rules must be able to fail: break each one on purpose in a copy.
while IFS='|' read -r what expression; do
  sed "$expression" "${built[0]}" > "$WORK/broken.yaml"
  if cmp -s "$WORK/broken.yaml" "${built[0]}"; then fail "self-test '$what': nothing to break"; continue; fi
  if "$PY" deploy/kubernetes/check_rules.py "$WORK/broken.yaml" > "$WORK/broken.out"; then
    fail "check_rules.py accepts manifests with $what"
  else
    echo "  caught: $what ($(grep -m1 'rule broken' "$WORK/broken.out" | sed 's/^ *rule broken: //'))"
  fi
done <<'EOF'
concurrencyPolicy Allow|s/concurrencyPolicy: Forbid/concurrencyPolicy: Allow/
secret files 0444|s/defaultMode: 256/defaultMode: 292/
7 not retried|/^ *- 7$/d
8 retried|s/^\( *\)- 8$/\1- 9/
a 30 s grace period|s/terminationGracePeriodSeconds: [0-9]*/terminationGracePeriodSeconds: 30/
root|s/runAsUser: 10001/runAsUser: 0/
no --rejects-exit-zero|s/- --rejects-exit-zero/- --quiet/
EOF

sed 's/^| 8 | internal error/| 9 | a new failure, not resumable |\n&/' README.md > "$WORK/README.md"
if CHECK_RULES_README="$WORK/README.md" "$PY" deploy/kubernetes/check_rules.py "${built[0]}" > "$WORK/broken.out"; then
  fail "check_rules.py accepts a README exit-code table with a code 9 the CronJobs do not handle"
else
  echo "  caught: README gains exit code 9 ($(grep -m1 'rule broken' "$WORK/broken.out" | sed 's/^ *rule broken: //'))"
fi

step "secret files as the kubelet mounts them (root-owned; 0400 + fsGroup = 0440)"
if [ "$(id -u)" != 0 ] || [ ! -x "$SCOLLECT_ETL" ] || ! command -v setpriv >/dev/null; then
  echo "  skipped: needs root, setpriv and a binary at SCOLLECT_ETL ($SCOLLECT_ETL)"
else
  uid=$(grep -m1 -o 'runAsUser: [0-9]*' "${built[0]}" | grep -o '[0-9]*$')
  copy=$("$PY" - "${built[0]}" <<'PYEOF'
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc["kind"] == "CronJob":
        print(doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"][0]["command"][2]); break
PYEOF
)
  as_pod() { setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"; }
  mkdir -p "$WORK/secrets-in/credentials" "$WORK/secrets-in/journal-key" "$WORK/run" "$WORK/home"
  printf 'SCOLLECT_APIKEY=sandbox-apikey\nSCOLLECT_PIN=C2C\n' > "$WORK/secrets-in/credentials/credentials"
  head -c 32 /dev/urandom | base64 > "$WORK/secrets-in/journal-key/journal.key"
  chown -R "0:$uid" "$WORK/secrets-in" && chmod 0440 "$WORK"/secrets-in/*/* && chmod 0750 "$WORK/secrets-in" "$WORK"/secrets-in/*
  mkdir -p "$WORK/pod/Pipelines" "$WORK/pod/SampleData" "$WORK/pod/state"
  cp Pipelines/nightly-placement.yml "$WORK/pod/Pipelines/" && cp SampleData/placement.csv SampleData/sandbox-accounts.json "$WORK/pod/SampleData/"
  chown -R "$uid:$uid" "$WORK/pod" "$WORK/run" "$WORK/home"; chmod 0711 "$WORK"
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$SCOLLECT_ETL" sandbox --port "$port" --db "$WORK/sandbox.sqlite" --seed SampleData/sandbox-accounts.json > "$WORK/sandbox.log" 2>&1 &
  SANDBOX_PID=$!
  for _ in $(seq 50); do grep -q listening "$WORK/sandbox.log" && break; sleep 0.2; done
  run_as_pod() {  # credentials file, key file
    as_pod env -i PATH=/usr/bin:/bin HOME="$WORK/home" SCOLLECT_STATE_DIR="$WORK/pod/state" SCOLLECT_URL="http://127.0.0.1:$port" \
      SCOLLECT_CREDENTIALS_FILE="$1" SCOLLECT_JOURNAL_KEY_FILE="$2" \
      "$SCOLLECT_ETL" run "$WORK/pod/Pipelines/nightly-placement.yml" --quiet --rejects-exit-zero > "$WORK/run.log" 2>&1
  }
  run_as_pod "$WORK/secrets-in/credentials/credentials" "$WORK/secrets-in/journal-key/journal.key"; code=$?
  if [ "$code" = 2 ]; then echo "  the mounted secret itself (0440 root:$uid): refused, exit 2 ($(grep -m1 -io 'can be read by others[^:]*' "$WORK/run.log"))"
  else fail "the mounted secret itself should be refused (exit 2), got $code: $(head -3 "$WORK/run.log")"; fi
  (cd "$WORK" && as_pod sh -c "$(echo "$copy" | sed "s#/secrets-in/#$WORK/secrets-in/#; s#/run/secrets/scollect/#$WORK/run/#")")
  echo "  init container's copy: $(stat -c '%a, uid %u,' "$WORK/run/credentials") credentials, $(stat -c '%a, uid %u,' "$WORK/run/journal.key") journal.key"
  run_as_pod "$WORK/run/credentials" "$WORK/run/journal.key"; code=$?
  if [ "$code" = 0 ]; then echo "  a run as uid $uid with the copy: exit 0 ($(tail -1 "$WORK/run.log"))"
  else fail "a run with the init container's copy should exit 0, got $code: $(tail -5 "$WORK/run.log")"; fi
fi

if [ "$failures" = 0 ]; then echo "PASS: deploy/kubernetes (kubernetes-validate $VALIDATE_VERSION, Kubernetes $K8S_VERSION)"; exit 0; fi
echo "FAIL: deploy/kubernetes ($failures problem(s))"; exit 1
