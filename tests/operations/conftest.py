"""What the operations tests share: a connectors.yaml whose workspaces are loopback profiles, the simulated
workspace with dev's and prod's jobs deployed (tests/jobs_workspace.py), a fixed clock and recorded waits.

No machine here reaches a Databricks workspace: tests/jobs_workspace.py simulates its edge (the Jobs 2.2 and SQL
Statement Execution APIs, stateful and paged) on a LoopbackServer, and the real Databricks SDK talks HTTP to it
through temporary Databricks CLI profiles ('loopback' for dev, 'loopback-prod' for prod, both the same simulated
workspace: a job's environment tag tells them apart).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from operations import jobs
from operations.cli import main
from tests import jobs_workspace
from tests.fixtures.builders import (
    GITHUB,
    batch_connector,
    connectors,
    environment,
    environments,
    job,
    jobs as jobs_section,
    managed_connector,
)
from tests.jobs_workspace import SimulatedWorkspace
from tests.loopback import LOOPBACK_TOKEN, loopback_workspace

TOKEN = LOOPBACK_TOKEN
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
STATE = "appsec_dev.bronze.connector_state"
# Two batch connectors (one with an initial_mark), a lakeflow_connect one and a job of four tasks. dev: monitoring,
# no backfill confirmation, schedules paused (the default); prod: confirm_backfill (the default), schedules running,
# no monitoring.
CONFIG = environments(
    environment("dev", profile="loopback", on_failure="appsec-data@example.com",
                extra='    monitoring: {warehouse_id: 4b9e2d7a1c3f5e80, workspace_id: "1234"}\n'
                      "    confirm_backfill: false\n"),
    environment("prod", profile="loopback-prod", on_failure="appsec-data@example.com",
                extra="    schedules_paused: false\n"),
) + "\n" + connectors(
    GITHUB,
    batch_connector("sonarqube", "0 0 */3 * * ?", settings='{base_url: "https://sonarqube.example.com"}',
                    secrets=("sonarqube-token",), extra='    initial_mark: "2024-01-01T00:00:00Z"\n'),
    managed_connector("servicenow", "0 30 */6 * * ?", connection="{dev: servicenow_dev, prod: servicenow_prod}",
                      destination_schema="servicenow", objects="[{table: incident, scd_type: SCD_TYPE_2}]"),
) + "\n" + jobs_section(job("findings_gold", fields="name: appsec-findings-gold", tasks="""\
- task_key: ingest
  run_job_task: {job_id: "${resources.jobs.github.id}"}
- task_key: transform
  depends_on: [{task_key: ingest}]
  notebook_task: {notebook_path: /Workspace/Shared/findings/transform}
- task_key: report
  depends_on: [{task_key: transform}]
  notebook_task: {notebook_path: /Workspace/Shared/findings/report}
- task_key: notify
  depends_on: [{task_key: transform}]
  notebook_task: {notebook_path: /Workspace/Shared/findings/notify}
"""))
GOLD_TASKS = (("ingest", ()), ("transform", ("ingest",)), ("report", ("transform",)), ("notify", ("transform",)))


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(jobs, "sleep", waited.append)
    return waited


@pytest.fixture
def setup(tmp_path, monkeypatch, server, sleeps):
    """A connectors.yaml whose workspaces are profiles 'loopback' (dev) and 'loopback-prod' (prod), both pointing
    at the server (see `loopback_workspace`); no COLUMNS; a fixed clock."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(jobs, "now", lambda: NOW)
    return loopback_workspace(tmp_path, monkeypatch, server, CONFIG, profiles=("loopback", "loopback-prod"))


@pytest.fixture(params=[jobs_workspace.STATUS, jobs_workspace.STATE])
def sim(server, request) -> SimulatedWorkspace:
    """dev's four jobs deployed (ids 101-104), prod's github job (105), and a look-alike of github's job that
    the platform did not deploy (106); its runs described as Jobs API 2.2 documents them (`status` only), then
    by the deprecated `state` only: every command reads either the same."""
    simulated = SimulatedWorkspace(server, shape=request.param)
    simulated.add_job("github-connector", "dev")
    simulated.add_job("servicenow-connector", "dev", tasks=(("pipeline", ()),))
    simulated.add_job("sonarqube-connector", "dev")
    simulated.add_job("appsec-findings-gold", "dev", tasks=GOLD_TASKS)
    simulated.add_job("github-connector", "prod")
    simulated.add_job("github-connector", "dev", managed=False)
    return simulated


def cli(config, *args: str) -> int:
    command, *rest = args
    return main([command, "--config", str(config), *rest])


def started(body: dict) -> dict:
    """A run-now body without its idempotency token (a fresh random one each time: checked, then dropped)."""
    token = body.pop("idempotency_token")
    assert len(token) == 32 and int(token, 16) >= 0
    return body


def where(server) -> str:
    return f"{server.url}, profile loopback"


def no_credentials(server) -> str:
    """What every command says when profile 'loopback' has a host but no credentials (the SDK's words inside)."""
    return (f"error: no usable Databricks credentials for the dev workspace ({server.url}, profile loopback): "
            "default auth: cannot configure default credentials, please check "
            "https://docs.databricks.com/en/dev-tools/auth.html#databricks-client-unified-authentication to "
            "configure credentials for your preferred authentication method. Authenticate as for any Databricks "
            "tool: `databricks auth login --profile loopback`, DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID and "
            "DATABRICKS_CLIENT_SECRET, or `az login` on Azure.\n")
