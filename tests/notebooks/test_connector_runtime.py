"""The entry notebooks read their parameters through dbutils.widgets and their credentials through
dbutils.secrets, by the names connectors.yaml declares.

dbutils exists only inside a Databricks workspace (the edge no machine here reaches), so these tests use the
stand-in in tests/dbutils_standin.py. Whole job runs (notebooks, Spark, a loopback source) are in test_ingest_entry_job_runs.py.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))  # on Databricks, a notebook's own folder is on sys.path the same way

import connector_runtime  # noqa: E402
from connector_source import load_spec  # noqa: E402
from tests.dbutils_standin import StandInSecrets, StandInWidgets  # noqa: E402

JOB_RUN = {"source_name": "github", "target_catalog": "appsec_dev", "hwm_reset": "false", "source": "github",
           "settings": '{"organisation":"acme"}', "secret_scope": "mvp-connectors", "secret_names": "github-token",
           "bronze_schema": "bronze", "silver_schema": "silver", "initial_mark": "", "job_run_id": "4711"}


def test_parameters_come_from_the_job_through_widgets():
    params = connector_runtime.read_parameters(StandInWidgets(JOB_RUN))
    assert params == connector_runtime.RunParameters(
        source_name="github", target_catalog="appsec_dev", hwm_reset=False, source="github",
        settings={"organisation": "acme"}, secret_scope="mvp-connectors", secret_names=("github-token",),
        bronze="appsec_dev.bronze", silver="appsec_dev.silver", initial_mark=None, job_run_id="4711")
    assert (params.bronze_table("repositories"), params.silver_table("repositories")) == (
        "appsec_dev.bronze.github_repositories", "appsec_dev.silver.github_repositories")


def test_a_backfill_starts_at_the_initial_mark_and_an_interactive_run_has_its_own_run_id():
    widgets = StandInWidgets({**JOB_RUN, "hwm_reset": "TRUE", "initial_mark": "2024-01-01T00:00:00Z",
                              "job_run_id": ""})
    params = connector_runtime.read_parameters(widgets)
    assert params.hwm_reset is True
    assert params.initial_mark == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert params.job_run_id == "interactive"


def test_every_widget_the_notebooks_read_is_declared_with_an_interactive_default():
    widgets = StandInWidgets({})
    connector_runtime.declare_widgets(widgets)
    assert widgets.declared == dict(connector_runtime.WIDGETS)
    assert set(widgets.declared) == set(JOB_RUN)


def test_bad_parameters_are_all_named():
    widgets = StandInWidgets({**JOB_RUN, "source_name": "Git Hub", "hwm_reset": "yes", "target_catalog": "",
                              "settings": "[1]", "initial_mark": "yesterday"})
    with pytest.raises(ValueError) as raised:
        connector_runtime.read_parameters(widgets)
    assert str(raised.value) == (
        "bad job parameters: source_name='Git Hub' is not a lowercase identifier (e.g. 'github', 'appsec_dev'); "
        "target_catalog='' is not a lowercase identifier (e.g. 'github', 'appsec_dev'); hwm_reset='yes' must be "
        "'true' or 'false'; settings is not a JSON object (the job passes the connector's settings from "
        "connectors.yaml); initial_mark: 'yesterday' is not a timestamp (expected ISO 8601, e.g. "
        "'2026-11-20T08:15:00Z')")


def test_credentials_are_read_from_the_scope_by_declared_name_and_handed_over_by_role():
    secrets = StandInSecrets({"mvp-connectors": {"github-token": "ghp_standInValue"}})
    params = connector_runtime.read_parameters(StandInWidgets(JOB_RUN))
    assert connector_runtime.read_credentials(secrets, params, load_spec("github")) == {"token": "ghp_standInValue"}
    assert secrets.reads == [("mvp-connectors", "github-token")]


def test_a_job_that_does_not_pass_the_sources_secret_fails_before_reading_any():
    secrets = StandInSecrets({"mvp-connectors": {"cmdb-client-id": "x", "cmdb-client-secret": "y"}})
    params = connector_runtime.read_parameters(StandInWidgets({**JOB_RUN, "source_name": "cmdb", "source": "cmdb",
                                                               "secret_names": "cmdb-client-id"}))
    with pytest.raises(ValueError) as raised:
        connector_runtime.read_credentials(secrets, params, load_spec("cmdb"))
    assert str(raised.value) == (
        "the job does not pass the secret(s) cmdb-client-secret that source 'cmdb' reads; declare them under the "
        "connector's secrets in connectors.yaml and deploy")
    assert secrets.reads == []


@pytest.mark.parametrize("name", ["ingest_entry", "transform_entry"])
def test_notebooks_use_widgets_never_argparse_and_print_no_secret(name):
    source = (NOTEBOOKS / f"{name}.py").read_text()
    assert source.startswith("# Databricks notebook source\n")
    assert "argparse" not in source and "sys.argv" not in source
    assert "dbutils.widgets" in source
    assert "print(credentials" not in source and "dbutils.secrets.get" not in source  # only via read_credentials
