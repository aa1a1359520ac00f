"""The Airflow DAG file: one DAG per scollect-etl pipeline file of each tenant's folder.

Copy this folder into the DAGs folder (or point a DAG bundle at it) and set
SCOLLECT_AIRFLOW_CONFIG to a file like example-config.yml. The factory is scollect_airflow.py.
"""
from scollect_airflow import dags_from_config

globals().update(dags_from_config())
