#!/usr/bin/env python3
"""The rules a schema cannot check, over manifests built by `kubectl kustomize`:

    python3 deploy/kubernetes/check_rules.py BUILT.yaml [BUILT.yaml...]

- every Pipelines/*.yml is either scheduled or skipped with a reason in schedules.yml;
- each CronJob: concurrencyPolicy Forbid, restartPolicy Never, a non-root runAsUser with the
  same runAsGroup and fsGroup, and no container running as another user;
- every secret volume has defaultMode 0400 and is mounted only by the copying init container;
  the credentials, journal key and journal password the tool reads are in that copy;
- podFailurePolicy: FailJob on exactly the codes the README's exit-code table says a retry
  cannot fix, Count (retried up to backoffLimit >= 1) on exactly the resumable ones, and exit 1
  turned into 0 by --rejects-exit-zero (else a night with rejects would be retried and held);
- terminationGracePeriodSeconds >= 2 x the pipeline's timeout_seconds + 30 (default from
  docs/reference.md).
Prints one line per problem; exits 1 if any.
"""
import os
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
from generate import default_timeout_seconds  # noqa: E402

SECRETS_COPY = "/run/secrets/scollect/"


def exit_code_table(readme):
    """{code: meaning} from README.md's "Exit codes" table, and the resumable codes."""
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    table = {int(code): meaning.strip() for code, meaning in re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.M)}
    match = re.search(r"A run stopped with (\d+) or (\d+) is resumed", readme)
    if not table or not match:
        sys.exit("check_rules.py: cannot read the exit-code table or the resumable codes from README.md")
    return table, {int(match.group(1)), int(match.group(2))}


def pod_failure_codes(job_spec, action):
    codes = set()
    for rule in job_spec.get("podFailurePolicy", {}).get("rules", []):
        if rule["action"] == action and "onExitCodes" in rule:
            on = rule["onExitCodes"]
            if on.get("operator") != "In" or on.get("containerName") != "scollect-etl":
                return None
            codes |= set(on["values"])
    return codes


def check_exit_codes(name, job_spec, container, table, resumable, problems):
    fail_now = {code for code in table if code >= 2} - resumable
    if pod_failure_codes(job_spec, "FailJob") != fail_now:
        problems.append(f"{name}: podFailurePolicy FailJob must be exactly {sorted(fail_now)} (README's table)")
    if pod_failure_codes(job_spec, "Count") != resumable:
        problems.append(f"{name}: podFailurePolicy Count (retried) must be exactly the resumable {sorted(resumable)}")
    if job_spec.get("backoffLimit", 6) < 1:
        problems.append(f"{name}: backoffLimit must be at least 1: resumable runs are retried")
    if "--rejects-exit-zero" not in container.get("args", []):
        problems.append(f"{name}: run without --rejects-exit-zero: a night with rejects (1) would be retried, then held (4)")


def check_identity(name, pod, problems):
    context = pod.get("securityContext", {})
    uid = context.get("runAsUser")
    if not uid or context.get("runAsNonRoot") is not True:
        problems.append(f"{name}: the pod must set runAsNonRoot and a non-zero runAsUser")
    if context.get("fsGroup") != uid or context.get("runAsGroup") != uid:
        problems.append(f"{name}: fsGroup and runAsGroup must match runAsUser {uid}")
    for container in pod.get("initContainers", []) + pod.get("containers", []):
        own = container.get("securityContext", {})
        if own.get("runAsUser", uid) != uid or own.get("allowPrivilegeEscalation", True):
            problems.append(f"{name}: container {container['name']} runs as another user or may escalate")


def check_secrets(name, pod, container, problems):
    secret_volumes = {v["name"]: v for v in pod.get("volumes", []) if "secret" in v or "projected" in v}
    for volume in secret_volumes.values():
        mode = (volume.get("secret") or volume.get("projected")).get("defaultMode")
        if mode != 0o400:
            problems.append(f"{name}: secret volume {volume['name']} has defaultMode {oct(mode) if mode else mode}, not 0400")
    for mount in container.get("volumeMounts", []):
        if mount["name"] in secret_volumes:
            problems.append(f"{name}: {mount['name']} is mounted straight into scollect-etl: root-owned, 0440 with fsGroup; the tool refuses it")
    env = {e["name"]: e for e in container.get("env", [])}
    for variable in ["SCOLLECT_CREDENTIALS_FILE", "SCOLLECT_JOURNAL_KEY_FILE", "SCOLLECT_JOURNAL_PASSWORD_FILE"]:
        value = env.get(variable, {}).get("value")
        if value is not None and not value.startswith(SECRETS_COPY):
            problems.append(f"{name}: {variable}={value} is not in the 0400 copy {SECRETS_COPY}")
    if "SCOLLECT_CREDENTIALS_FILE" not in env or any(k in env for k in ["SCOLLECT_APIKEY", "SCOLLECT_PIN"]):
        problems.append(f"{name}: credentials must come from SCOLLECT_CREDENTIALS_FILE (a secret file), not the environment")
    journal = env.get("SCOLLECT_JOURNAL")
    if journal is not None and "valueFrom" not in journal:
        problems.append(f"{name}: SCOLLECT_JOURNAL must come from a secret (its URL names the database host and user)")


def check_grace(name, pod, container, problems):
    pipeline = pathlib.Path(container["args"][1]).name
    path = REPO / "Pipelines" / pipeline
    if not path.exists():
        problems.append(f"{name}: runs {pipeline}, which is not in Pipelines/")
        return
    target = yaml.safe_load(path.read_text()).get("target") or {}
    timeout = float(target.get("timeout_seconds", default_timeout_seconds()))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < 2 * timeout + 30:
        problems.append(f"{name}: terminationGracePeriodSeconds {grace} < 2 x timeout_seconds {timeout:g} + 30")


def check_cronjob(doc, table, resumable, problems):
    name = doc["metadata"]["name"]
    spec = doc["spec"]
    job_spec = spec["jobTemplate"]["spec"]
    pod = job_spec["template"]["spec"]
    container = next((c for c in pod["containers"] if c["name"] == "scollect-etl"), None)
    if container is None:
        problems.append(f"{name}: no container named scollect-etl (podFailurePolicy names it)")
        return
    if spec.get("concurrencyPolicy") != "Forbid":
        problems.append(f"{name}: concurrencyPolicy must be Forbid")
    if pod.get("restartPolicy") != "Never":
        problems.append(f"{name}: restartPolicy must be Never (podFailurePolicy needs it)")
    check_exit_codes(name, job_spec, container, table, resumable, problems)
    check_identity(name, pod, problems)
    check_secrets(name, pod, container, problems)
    check_grace(name, pod, container, problems)


def check_schedules(problems):
    schedules = yaml.safe_load((HERE / "schedules.yml").read_text())
    listed = set(schedules.get("nightly", {})) | set(schedules.get("not_nightly", {}))
    for path in sorted((REPO / "Pipelines").glob("*.yml")):
        if path.stem not in listed:
            problems.append(f"schedules.yml: Pipelines/{path.name} is neither under nightly nor under not_nightly")
    for name in listed:
        if not (REPO / "Pipelines" / f"{name}.yml").exists():
            problems.append(f"schedules.yml: {name} is not a file in Pipelines/")


def main(paths):
    readme = pathlib.Path(os.environ.get("CHECK_RULES_README", REPO / "README.md"))
    table, resumable = exit_code_table(readme.read_text())
    problems, cronjobs = [], 0
    check_schedules(problems)
    for path in paths:
        for doc in yaml.safe_load_all(pathlib.Path(path).read_text()):
            if doc and doc.get("kind") == "CronJob":
                cronjobs += 1
                check_cronjob(doc, table, resumable, problems)
    if cronjobs == 0:
        problems.append("no CronJob in " + " ".join(paths))
    for problem in problems:
        print(f"  rule broken: {problem}")
    print(f"  rules: {cronjobs} CronJobs, exit codes {sorted(table)} (resumable {sorted(resumable)}), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
