"""docs/operations.md's runbook walkthrough is real output: each `console` block of its "Walkthrough" section is
one command of a night on call, and this test runs that command, in order, against the simulated workspace
(tests/jobs_workspace.py, on loopback), then holds the doc to what it printed, byte for byte. The workspace's
loopback address is shown as a sample host; the clock moves on between commands as the story says. The alert's
rows at the top of the walkthrough are what the monitoring alert's own query returns, on a real Spark session,
over the night's runs as system.lakeflow.job_run_timeline would hold them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from operations import jobs
from operations.cli import main
from tests import jobs_workspace
from tests.conftest import PROJECT_DIR
from tests.fixtures.builders import (
    batch_connector,
    connectors,
    environment,
    environments,
    job,
    jobs as jobs_section,
    managed_connector,
)
from tests.helpers import Terminal
from constructs.job_monitoring import JOBS_TABLE, RUN_TIMELINE, JobMonitoringProps, MonitoredJob, attention_sql
from tests.jobs_workspace import SimulatedWorkspace
from tests.loopback import Reply, loopback_workspace

DOC = PROJECT_DIR / "docs" / "operations.md"
SECTION = "### Walkthrough: from the alert to fresh again"
HOST = "https://adb-2222222222222222.2.azuredatabricks.net"  # how the doc shows the loopback workspace
STATE = "appsec_prod.bronze.connector_state"
PUT = "/api/2.0/secrets/put"
# prod: schedules running, backfills confirmed (the default), monitoring on; the sample's connectors and gold.
CONFIG = environments(
    environment("prod", profile="prod", on_failure="appsec-data@example.com",
                extra='    monitoring: {warehouse_id: 4b9e2d7a1c3f5e80, workspace_id: "1234"}\n'
                      "    schedules_paused: false\n"),
) + "\n" + connectors(
    batch_connector("github", "0 */15 * * * ?", settings="{organisation: acme}", secrets=("github-token",)),
    batch_connector("sonarqube", "0 0 */3 * * ?", settings='{base_url: "https://sonarqube.example.com"}',
                    secrets=("sonarqube-token",), extra='    initial_mark: "2024-01-01T00:00:00Z"\n'),
    managed_connector("servicenow", "0 30 */6 * * ?", connection="{prod: servicenow_prod}",
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
"""))
EXPIRED = ("HTTPError: 401 Client Error: Unauthorized for url: https://sonarqube.example.com/api/issues/search "
           "(the token expired)")


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=timezone.utc)


def walkthrough() -> list[str]:
    """The walkthrough's console blocks, each '$ command' and what it printed."""
    text = DOC.read_text()
    assert SECTION in text, f"{DOC.name} has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1]
    section = re.split(r"^#{2,3} ", section, maxsplit=1, flags=re.MULTILINE)[0]
    return re.findall(r"^```console\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


class Night:
    """The story: prod at 07:40 UTC after sonarqube's token expired at night and a change broke gold's transform."""

    def __init__(self, sim: SimulatedWorkspace, server, monkeypatch) -> None:
        self.sim, self.server, self.monkeypatch = sim, server, monkeypatch
        github = sim.add_job("github-connector", "prod")
        sonarqube = sim.add_job("sonarqube-connector", "prod")
        servicenow = sim.add_job("servicenow-connector", "prod", tasks=(("pipeline", ()),))
        gold = sim.add_job("appsec-findings-gold", "prod",
                           tasks=(("ingest", ()), ("transform", ("ingest",)), ("report", ("transform",))))
        self.ids = {"github": github, "sonarqube": sonarqube, "servicenow": servicenow, "gold": gold}
        for start in ("2025-03-01T07:00", "2025-03-01T07:15", "2025-03-01T07:30"):
            sim.add_run(github, start, 2.0)
        sim.add_run(sonarqube, "2025-03-01T00:00", 6.0)
        sim.add_run(sonarqube, "2025-03-01T03:00", 0.5, failed={"ingest": EXPIRED})
        self.sonarqube_failed = sim.add_run(sonarqube, "2025-03-01T06:00", 0.5, failed={"ingest": EXPIRED})
        sim.add_run(servicenow, "2025-03-01T06:30", 41.0)
        sim.add_run(gold, "2025-03-01T05:00", 12.0)
        self.gold_failed = sim.add_run(gold, "2025-03-01T06:00", 3.0, failed={"transform": ""},
                                       outputs={"transform": "KeyError: 'cvss' (sonarqube_issues has no column cvss)"})
        for entity, mark in (("repositories", "2025-03-01T07:20"), ("code_scanning_alerts", "2025-03-01T07:10")):
            sim.add_state(STATE, "github", entity, mark, 30, 30)
        sim.add_state(STATE, "sonarqube", "issues", "2025-02-28T23:50", 7, 7)
        self.time("2025-03-01T07:40")

    def time(self, iso: str) -> None:
        self.monkeypatch.setattr(jobs, "now", lambda: at(iso))
        self.sim.clock = jobs_workspace.ms(iso)

    def load_secret(self) -> None:
        self.server.reply(PUT, Reply(200, {}))
        self.monkeypatch.setattr("sys.stdin", Terminal(""))

        def typed(prompt: str) -> str:  # a terminal shows the prompt, and nothing of what is typed
            print(prompt)
            return "squ_" + "0" * 36
        self.monkeypatch.setattr("getpass.getpass", typed)

    def repairs_end(self) -> None:
        """An hour later: both repairs succeeded, and sonarqube caught up from its marks."""
        for run_id, minutes in ((self.sonarqube_failed, 108.0), (self.gold_failed, 112.0)):
            self.sim.end_repair(run_id, minutes)
        for start in ("2025-03-01T07:45", "2025-03-01T08:00", "2025-03-01T08:15", "2025-03-01T08:30",
                      "2025-03-01T08:45"):
            self.sim.add_run(self.ids["github"], start, 2.0)
        self.sim.tables[STATE] = []
        for entity, mark in (("repositories", "2025-03-01T08:40"), ("code_scanning_alerts", "2025-03-01T08:25")):
            self.sim.add_state(STATE, "github", entity, mark, 35, 35)
        self.sim.add_state(STATE, "sonarqube", "issues", "2025-03-01T07:45", 8, 8)
        self.time("2025-03-01T08:45")

    def answer(self, text: str) -> None:
        self.monkeypatch.setattr("sys.stdin", Terminal(text + "\n"))
        self.monkeypatch.setattr("builtins.input", lambda prompt: print(prompt + text) or text)


# What happens in the workspace before each console block of the walkthrough, in order.
STEPS: tuple[Callable[[Night], None], ...] = (
    lambda night: None,  # status
    Night.load_secret,  # load-secrets
    lambda night: None,  # repair sonarqube
    lambda night: None,  # repair findings_gold --dry-run
    lambda night: None,  # repair findings_gold
    Night.repairs_end,  # status after the repairs
    lambda night: night.answer("sonarqube"),  # backfill
    lambda night: night.time("2025-03-01T09:00"),  # freshness
)


def test_the_walkthrough_has_one_step_per_console_block():
    assert len(walkthrough()) == len(STEPS)


@pytest.mark.parametrize("shape", [jobs_workspace.STATUS, jobs_workspace.STATE])
def test_the_runbook_walkthrough_is_what_the_commands_print_against_the_simulated_workspace(
        tmp_path, monkeypatch, server, capsys, shape):
    config = loopback_workspace(tmp_path, monkeypatch, server, CONFIG, profiles=("prod",))
    monkeypatch.setenv("CONNECTORS_CONFIG", str(config))
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(jobs, "sleep", lambda seconds: None)
    night = Night(SimulatedWorkspace(server, shape=shape), server, monkeypatch)
    blocks = walkthrough()
    printed = []
    for block, step in zip(blocks, STEPS, strict=True):
        command = block.splitlines()[0]
        assert command.startswith("$ python -m operations "), command
        step(night)
        code = main(shlex.split(command)[4:])
        out, err = capsys.readouterr()
        shown = f"{command}\n{out}{err}".replace(server.url, HOST)
        printed.append(shown + ("" if code == 0 else f"(exit {code})\n"))

    assert printed == blocks


def test_the_walkthrough_section_exists_and_its_blocks_are_commands():
    blocks = walkthrough()
    assert blocks and all(block.startswith("$ python -m operations ") for block in blocks)
    assert Path(DOC).read_text().count(SECTION) == 1


# ---------------------------------------------------------------------------------------------- the alert


def alert_block() -> str:
    """The walkthrough's first block: the alert e-mail's summary line and the rows it lists."""
    text = DOC.read_text().split(SECTION, 1)[1]
    found = re.search(r"^```text\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    assert found, f"no text block in {SECTION!r}"
    return found.group(1)


def night_props(night: Night) -> JobMonitoringProps:
    """The prod stack's monitoring of the night's four jobs, as the stack derives it from CONFIG: each schedule's
    longest wait between runs as its cadence (gold has no schedule); no duration warnings."""
    cadences = {"github": 900, "sonarqube": 10_800, "servicenow": 21_600, "gold": None}
    names = {"github": "github-connector", "sonarqube": "sonarqube-connector",
             "servicenow": "servicenow-connector", "gold": "appsec-findings-gold"}
    return JobMonitoringProps(
        title="prod", jobs=tuple(MonitoredJob(names[key], str(night.ids[key]), cadences[key], None)
                                 for key in sorted(names)),
        warehouse_id="4b9e2d7a1c3f5e80", workspace_id=jobs_workspace.WORKSPACE_ID,
        parent_path="/Applications/appsec-connectors/prod", schedule="0 0/30 * * * ?", timezone_id="UTC",
        recipients=("appsec-data@example.com",), run_as_service_principal="3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",
        admin_group="appsec-platform-admins")


def test_the_walkthroughs_alert_rows_are_what_the_alerts_query_returns_on_a_real_spark_session(
        server, monkeypatch, spark):
    night = Night(SimulatedWorkspace(server), server, monkeypatch)
    evaluated = "TIMESTAMP '2025-03-01 07:30:00'"
    # The night's runs as job_run_timeline rows: one row per run (none is longer than an hour), its result once
    # it ended, by the system table's names.
    results = {"SUCCESS": "SUCCEEDED", "FAILED": "FAILED"}
    rows = ", ".join(
        f"('{jobs_workspace.WORKSPACE_ID}', '{run['job_id']}', '{run['run_id']}', "
        f"CAST({run['start_time'] // 1000} AS TIMESTAMP), CAST({run['end_time'] // 1000} AS TIMESTAMP), "
        f"'{results[run['state']['result_state']]}')"
        for run in night.sim.runs.values())
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW runbook_timeline AS SELECT * FROM VALUES " + rows
              + " AS t(workspace_id, job_id, run_id, period_start_time, period_end_time, result_state)")
    deployed = ", ".join(f"('{jobs_workspace.WORKSPACE_ID}', '{job_id}', CAST({jobs_workspace.ms('2025-02-01T00:00') // 1000} AS TIMESTAMP))"
                         for job_id in night.ids.values())
    spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW runbook_jobs AS SELECT * FROM VALUES {deployed} "
              "AS t(workspace_id, job_id, change_time)")
    query = (attention_sql(night_props(night)).replace(RUN_TIMELINE, "runbook_timeline")
             .replace(JOBS_TABLE, "runbook_jobs").replace("current_timestamp()", evaluated))

    found = [(name, problem, detail) for name, problem, detail, _ in spark.sql(query).collect()]

    header = ("job_name", "problem", "detail")
    widths = [max(len(row[i]) for row in [header, *found]) for i in range(2)]
    table = ["  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2]]) for row in [header, *found]]
    assert alert_block() == "\n".join(["Connector platform prod: TRIGGERED", *table]) + "\n"
