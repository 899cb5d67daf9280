"""The entry notebooks read their parameters through dbutils.widgets and say what they will do.

dbutils exists only inside a Databricks workspace (the edge no machine here reaches), so these tests run the
real notebook files against a stand-in that stores widgets the way dbutils.widgets does.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))  # on Databricks, a notebook's own folder is on sys.path the same way

import connector_runtime  # noqa: E402

JOB_RUN = {"source_name": "github", "target_catalog": "appsec_dev", "hwm_reset": "false",
           "secret_scope": "mvp-connectors", "secret_names": "github-token", "bronze_schema": "bronze",
           "silver_schema": "silver"}


class FakeWorkspaceWidgets:
    """Stand-in for dbutils.widgets: values the job passes win over the defaults a notebook declares."""

    def __init__(self, passed: dict[str, str]):
        self.passed, self.declared = dict(passed), {}

    def text(self, name: str, default_value: str, label: str | None = None) -> None:
        self.declared[name] = default_value

    def get(self, name: str) -> str:
        if name in self.passed:
            return self.passed[name]
        if name in self.declared:
            return self.declared[name]
        raise ValueError(f"InputWidgetNotDefined: {name}")


class FakeWorkspaceDbutils:
    def __init__(self, passed: dict[str, str]):
        self.widgets = FakeWorkspaceWidgets(passed)


def run_notebook_with_fake_workspace_dbutils(name: str, passed: dict[str, str], capsys) -> str:
    dbutils = FakeWorkspaceDbutils(passed)
    runpy.run_path(str(NOTEBOOKS / f"{name}.py"), init_globals={"dbutils": dbutils}, run_name="__main__")
    assert set(dbutils.widgets.declared) == {name for name, _ in connector_runtime.WIDGETS}
    return capsys.readouterr().out


def test_ingest_notebook_plans_from_the_job_parameters(capsys):
    out = run_notebook_with_fake_workspace_dbutils("ingest_entry", JOB_RUN, capsys)
    assert out == ("ingest github: read credentials [github-token] from scope 'mvp-connectors', fetch records "
                   "changed since the stored high water mark, append them to appsec_dev.bronze.github_*\n")


def test_ingest_notebook_backfills_when_hwm_reset(capsys):
    out = run_notebook_with_fake_workspace_dbutils("ingest_entry", {**JOB_RUN, "hwm_reset": "TRUE"}, capsys)
    assert "fetch records changed since the connector's initial point (hwm_reset=true: backfill)" in out


def test_transform_notebook_plans_bronze_to_silver(capsys):
    out = run_notebook_with_fake_workspace_dbutils("transform_entry", {**JOB_RUN, "silver_schema": "curated"}, capsys)
    assert out == ("transform github: read new records from appsec_dev.bronze.github_*, merge them without "
                   "duplicates into appsec_dev.curated.github_*\n")


def test_bad_parameters_are_all_named():
    widgets = FakeWorkspaceWidgets({**JOB_RUN, "source_name": "Git Hub", "hwm_reset": "yes", "target_catalog": ""})
    with pytest.raises(ValueError) as raised:
        connector_runtime.read_parameters(widgets)
    assert str(raised.value) == (
        "bad job parameters: source_name='Git Hub' is not a lowercase identifier (e.g. 'github', 'appsec_dev'); "
        "target_catalog='' is not a lowercase identifier (e.g. 'github', 'appsec_dev'); hwm_reset='yes' must be "
        "'true' or 'false'")


def test_parameters_parse_secret_names_and_schemas():
    params = connector_runtime.read_parameters(FakeWorkspaceWidgets({**JOB_RUN, "secret_names": "a,b"}))
    assert params.secret_names == ("a", "b")
    assert (params.bronze, params.silver, params.hwm_reset) == ("appsec_dev.bronze", "appsec_dev.silver", False)


@pytest.mark.parametrize("name", ["ingest_entry", "transform_entry"])
def test_notebooks_use_widgets_never_argparse(name):
    source = (NOTEBOOKS / f"{name}.py").read_text()
    assert source.startswith("# Databricks notebook source\n")
    assert "argparse" not in source and "sys.argv" not in source
    assert "dbutils.widgets" in source
