"""A DAG factory for scollect-etl: one DAG per pipeline file of each tenant's folder.

scollect_dags.py (the file Airflow parses) calls `dags_from_config()`; the configuration is the
YAML file named by SCOLLECT_AIRFLOW_CONFIG (see example-config.yml):

    scollect_etl: /usr/bin/scollect-etl
    summaries: /var/lib/scollect-etl/airflow        # --summary-json files, one per try
    retries: 3                                      # resumable failures (6, 7) only
    retry_delay_seconds: 900
    on_rejects: succeed                             # exit 1: succeed (XCom says exit_code 1) | fail
    tenants:
      acme:
        pipelines: /srv/scollect/acme/Pipelines     # every *.yml there is a DAG
        # scollect_etl: /opt/other/scollect-etl     # this tenant's binary, if not the one above
        schedule: "30 2 * * *"                      # default for the folder
        schedules: { portfolio-export: "0 5 * * *" }
        env:                                        # added to the task's environment
          SCOLLECT_CREDENTIALS_FILE: /srv/scollect/acme/credentials
          SCOLLECT_JOURNAL: postgres://scollect@db.agency.example/scollect?sslmode=verify-full
          SCOLLECT_JOURNAL_PASSWORD_FILE: /srv/scollect/journal-password

Each task runs `scollect-etl run <file> --summary-json <file>`; its XCom (return_value) is the
summary JSON. Exit codes (README "Exit codes"): 0 succeeds; 1 per on_rejects; 6 and 7 (API
unavailable, interrupted: the same command resumes) fail so that Airflow retries them; 2, 3, 4,
5, 8 and anything else raise AirflowFailException: no retry. The tasks of one tenant share a
pool of 1 slot, named from the pipelines' target and the tenant: `python scollect_airflow.py
pools CONFIG` prints them for `airflow pools import`.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import yaml

RESUMABLE = {6: "API unavailable", 7: "interrupted"}
NOT_RESUMABLE = {2: "bad pipeline or arguments", 3: "credentials refused", 4: "input held",
                 5: "reject limit", 8: "internal error"}


def outcome(exit_code: int, summary: dict | None, on_rejects: str = "succeed"):
    """The task's result for scollect-etl's exit code: the summary (XCom), or an exception."""
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    if exit_code == 0 or (exit_code == 1 and on_rejects == "succeed"):
        return summary
    if exit_code == 1:
        raise AirflowFailException("scollect-etl exit 1: done with rejects (on_rejects: fail); read the rejects report")
    if exit_code in RESUMABLE:
        raise AirflowException(f"scollect-etl exit {exit_code}: {RESUMABLE[exit_code]}; resumable, retried")
    meaning = NOT_RESUMABLE.get(exit_code, "not in the exit-code table")
    raise AirflowFailException(f"scollect-etl exit {exit_code}: {meaning}; a retry cannot fix it, not retried")


def target_of(pipeline: pathlib.Path, env: dict) -> str:
    """host:port of the pipeline's target (SCOLLECT_URL wins, as in the tool); `sandbox` for the embedded one."""
    url = env.get("SCOLLECT_URL")
    seen = set()
    while url is None and pipeline not in seen:
        seen.add(pipeline)
        data = yaml.safe_load(pipeline.read_text()) or {}
        url = (data.get("target") or {}).get("url")
        if url is None and data.get("extends"):
            pipeline = (pipeline.parent / data["extends"]).resolve()
        elif url is None:
            break
    if not url or url == "sandbox":
        return "sandbox"
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


def pool_name(tenant: str, target: str) -> str:
    """One pool per tenant: the target's host and port, and the tenant (one apikey, one folder)."""
    return "scollect-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{target}-{tenant}")


def load_config(path: str | None = None) -> dict:
    path = path or os.environ.get("SCOLLECT_AIRFLOW_CONFIG", "/etc/scollect-etl/airflow.yml")
    return yaml.safe_load(pathlib.Path(path).read_text()) or {}


def pipelines_of(config: dict):
    """(tenant, its settings, pipeline file, pool) for every *.yml of every tenant's folder."""
    for tenant, settings in sorted((config.get("tenants") or {}).items()):
        env = {k: str(v) for k, v in (settings.get("env") or {}).items()}
        for path in sorted(pathlib.Path(settings["pipelines"]).glob("*.yml")):
            yield tenant, settings, path, pool_name(tenant, target_of(path, env))


def make_operator_class():
    from airflow.providers.standard.operators.bash import BashOperator

    class ScollectRunOperator(BashOperator):
        """BashOperator running scollect-etl, with the exit-code table instead of "non-zero fails"."""

        # Nothing is a Jinja template: a value ending in .sh would be read as a template file.
        template_fields = ()
        template_ext = ()

        def __init__(self, *, summaries: str, on_rejects: str = "succeed", **kwargs):
            super().__init__(
                bash_command='exec "$SCOLLECT_ETL" run "$SCOLLECT_PIPELINE" --summary-json "$SCOLLECT_SUMMARY_JSON" --log-format json',
                append_env=True, **kwargs)
            self.summaries = summaries
            self.on_rejects = on_rejects

        def summary_path(self, context) -> pathlib.Path:
            run = re.sub(r"[^A-Za-z0-9_.-]+", "_", context["run_id"])
            folder = pathlib.Path(self.summaries) / self.dag_id / run
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return folder / f"try-{context['ti'].try_number}.json"

        def execute(self, context):
            summary_path = self.summary_path(context)
            summary_path.unlink(missing_ok=True)
            env = self.get_env(context)
            env["SCOLLECT_SUMMARY_JSON"] = str(summary_path)
            result = self.subprocess_hook.run_command(command=["bash", "-c", self.bash_command], env=env, cwd=self.cwd)
            summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
            try:
                return outcome(result.exit_code, summary, self.on_rejects)
            except Exception:
                if summary is not None:  # why it failed, for whoever looks at the task
                    context["ti"].xcom_push(key="summary", value=summary)
                raise

    return ScollectRunOperator


def dags_from_config(config: dict | None = None) -> dict:
    """{dag_id: DAG}, one per pipeline file; put them in the DAG file's globals."""
    from airflow.sdk import DAG

    config = load_config() if config is None else config
    operator = make_operator_class()
    dags = {}
    for tenant, settings, path, pool in pipelines_of(config):
        name = (yaml.safe_load(path.read_text()) or {}).get("name", path.stem)
        dag_id = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"scollect_{tenant}_{name}")
        schedule = (settings.get("schedules") or {}).get(name, settings.get("schedule"))
        env = {k: str(v) for k, v in (settings.get("env") or {}).items()}
        binary = settings.get("scollect_etl", config.get("scollect_etl", "scollect-etl"))
        env.update(SCOLLECT_ETL=str(binary), SCOLLECT_PIPELINE=str(path))
        with DAG(dag_id=dag_id, schedule=schedule, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False,
                 max_active_runs=1, tags=["scollect-etl", f"tenant:{tenant}"],
                 doc_md=f"`scollect-etl run {path}` for tenant {tenant} (pool {pool}).") as dag:
            operator(task_id="run", pool=pool, env=env, summaries=str(config.get("summaries", "/var/lib/scollect-etl/airflow")),
                     on_rejects=config.get("on_rejects", "succeed"), retries=int(config.get("retries", 3)),
                     retry_delay=timedelta(seconds=float(config.get("retry_delay_seconds", 900))))
        dags[dag_id] = dag
    return dags


def pools_json(config: dict) -> dict:
    """For `airflow pools import`: one slot per tenant."""
    pools = {}
    for tenant, _, path, pool in pipelines_of(config):
        pools.setdefault(pool, {"slots": 1, "description": f"scollect-etl, tenant {tenant}: one run at a time",
                                "include_deferred": False})
    return pools


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "pools":
        print(json.dumps(pools_json(load_config(sys.argv[2])), indent=2))
    else:
        sys.exit("usage: python scollect_airflow.py pools CONFIG   (JSON for `airflow pools import`)")
