"""`python -m operations run / backfill / repair / status / freshness` against the simulated workspace.

No machine here reaches a Databricks workspace: tests/jobs_workspace.py simulates its edge (the Jobs 2.2 and SQL
Statement Execution APIs, stateful and paged) on a LoopbackServer, and the real Databricks SDK talks HTTP to it
through temporary Databricks CLI profiles ('loopback' for dev, 'loopback-prod' for prod, both the same simulated
workspace: a job's environment tag tells them apart). The clock is fixed (`operations.jobs.now`), and waiting
between polls (`operations.jobs.sleep`) is recorded instead of slept; the shared fixtures are in conftest.py.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from operations import jobs, runs
from tests.conftest import PROJECT_DIR
from tests.helpers import Terminal
from tests.operations.conftest import CONFIG, STATE, cli, no_credentials, started, where
from tests.loopback import unreachable_workspace
from tests.jobs_workspace import (
    JOBS_LIST,
    REPAIR,
    RUN_NOW,
    RUNS_GET,
    RUNS_LIST,
    RUNS_OUTPUT,
    STATEMENTS,
    Outcome,
    SimulatedWorkspace,
)

# ---------------------------------------------------------------------------------------------- run


def test_run_starts_the_connectors_job_and_prints_its_page_against_the_simulated_workspace(setup, sim, server, capsys):
    assert cli(setup, "run", "--env", "dev", "github") == 0

    assert [started(body) for body in sim.sent(RUN_NOW)] == [{"job_id": 101}]
    assert sim.sent(JOBS_LIST)[0] == {"name": "github-connector", "limit": "25"}
    assert capsys.readouterr() == (
        f"started run 1001 of github-connector (job 101) in the dev workspace ({where(server)})\n"
        f"{server.url}/?o=1234#job/101/run/1001\n", "")


def test_run_takes_a_jobs_key_or_its_databricks_name_against_the_simulated_workspace(setup, sim, capsys):
    assert cli(setup, "run", "--env", "dev", "findings_gold") == 0
    assert cli(setup, "run", "--env", "dev", "appsec-findings-gold") == 0

    assert [started(body) for body in sim.sent(RUN_NOW)] == [{"job_id": 104}, {"job_id": 104}]
    assert [query["name"] for query in sim.sent(JOBS_LIST)] == ["appsec-findings-gold"] * 2


def test_run_follows_the_job_list_pages_and_keeps_only_the_environments_job_against_the_simulated_workspace(
        setup, sim, capsys):
    # Newest first, two a page: the look-alike (106), prod's (105), then dev's (101) on the second page.
    assert cli(setup, "run", "--env", "prod", "github") == 0
    assert cli(setup, "run", "--env", "dev", "github") == 0

    assert [started(body) for body in sim.sent(RUN_NOW)] == [{"job_id": 105}, {"job_id": 101}]
    assert sim.sent(JOBS_LIST)[2:] == [{"name": "github-connector", "limit": "25"},
                                       {"name": "github-connector", "limit": "25", "page_token": "jobs-after-2"}]


def test_run_wait_reports_the_failed_task_and_its_error_against_the_simulated_workspace(
        setup, sim, server, capsys, sleeps):
    sim.polls_to_finish = 4  # the run page's get, then three while waiting
    error = "AnalysisException: [UNRESOLVED_COLUMN] `severity` cannot be resolved."
    sim.outcome = Outcome("FAILED", failed={"transform": ""}, minutes=4.2, outputs={"transform": error})

    assert cli(setup, "run", "--env", "dev", "sonarqube", "--wait") == 1

    assert sleeps == [10.0, 10.0]
    assert sim.sent(RUNS_OUTPUT) == [{"run_id": "5004"}]  # the task run of the run as it ended
    assert capsys.readouterr() == (
        f"started run 1001 of sonarqube-connector (job 103) in the dev workspace ({where(server)})\n"
        f"{server.url}/?o=1234#job/103/run/1001\n"
        "run 1001 of sonarqube-connector ended FAILED after 4m 12s: task transform failed: AnalysisException: "
        "[UNRESOLVED_COLUMN] `severity` cannot be resolved\n"
        f"`python -m operations repair --env dev --config {setup} sonarqube` re-runs what failed and what depends "
        "on it.\n",
        "waiting for run 1001 to end (Ctrl-C stops waiting, not the run)\n")


def test_run_wait_reports_success_against_the_simulated_workspace(setup, sim, capsys, sleeps):
    assert cli(setup, "run", "--env", "dev", "github", "--wait") == 0

    assert capsys.readouterr().out.splitlines()[-1] == "run 1001 of github-connector ended SUCCESS after 3m"
    assert sleeps == []


def test_a_job_not_deployed_in_the_environment_is_explained_against_the_simulated_workspace(
        setup, sim, server, capsys):
    # The workspace holds dev's sonarqube-connector only.
    assert cli(setup, "run", "--env", "prod", "sonarqube") == 1

    assert sim.sent(RUN_NOW) == []
    assert capsys.readouterr() == ("", (
        f"error: sonarqube is not deployed in the prod workspace ({server.url}, profile loopback-prod): no job "
        "named 'sonarqube-connector' tagged managed_by=connector-platform and environment=prod (the workspace "
        f"lists only the jobs you may view). Deploy it with `CONNECTORS_CONFIG={setup} npx cdktf deploy prod`. Of "
        "that name it has job 103 "
        "(tagged environment=dev): not prod's, left alone.\n"))


def test_look_alike_jobs_are_named_but_never_run_against_the_simulated_workspace(setup, sim, server, capsys):
    sim.jobs.pop(101)  # dev's github job is gone: prod's (105) and a hand-made one (106) remain

    assert cli(setup, "run", "--env", "dev", "github") == 1

    assert sim.sent(RUN_NOW) == []
    assert capsys.readouterr().err == (
        f"error: github is not deployed in the dev workspace ({where(server)}): no job named 'github-connector' "
        "tagged managed_by=connector-platform and environment=dev (the workspace lists only the jobs you may "
        f"view). Deploy it with `CONNECTORS_CONFIG={setup} npx cdktf deploy dev`. Of that name it has job 105 "
        "(tagged environment=prod), "
        "job 106 (not tagged managed_by=connector-platform): not dev's, left alone.\n")


def test_two_jobs_claiming_the_same_name_and_environment_are_refused_against_the_simulated_workspace(
        setup, sim, server, capsys):
    sim.add_job("github-connector", "dev")

    assert cli(setup, "run", "--env", "dev", "github") == 1

    assert sim.sent(RUN_NOW) == []
    assert capsys.readouterr().err == (
        "error: 2 jobs named 'github-connector' are tagged managed_by=connector-platform and environment=dev in "
        f"the dev workspace ({where(server)}): job ids 101, 107. Only one is the dev stack's (its Terraform "
        "state holds the id): delete the other, then try again.\n")


def test_an_unknown_name_lists_the_connectors_and_jobs(setup, sim, capsys):
    assert cli(setup, "run", "--env", "dev", "gitlab") == 1

    assert sim.server.requests == []
    assert capsys.readouterr() == ("", (
        f"error: no connector or job 'gitlab' in {setup}; its connectors: github, servicenow, sonarqube; its "
        "jobs: findings_gold (appsec-findings-gold)\n"))


def test_an_unknown_environment_is_refused(setup, sim, capsys):
    assert cli(setup, "status", "--env", "qa") == 1

    assert sim.server.requests == []
    assert capsys.readouterr() == ("", f"error: no environment 'qa' in {setup}; its environments: dev, prod\n")


def test_a_broken_config_is_reported_and_nothing_is_started(setup, sim, capsys):
    setup.write_text(setup.read_text().replace("catalog: appsec_dev", "catalog: appsec_prod", 1))

    assert cli(setup, "run", "--env", "dev", "github") == 1

    assert capsys.readouterr().err.startswith(f"error: {setup}: 1 error; nothing was started.\n  {setup}:")
    assert sim.server.requests == []


def test_permission_denied_to_start_a_run_names_the_permission_against_the_simulated_workspace(
        setup, sim, server, capsys):
    sim.deny(RUN_NOW, "User 4f1c... does not have Manage Run or Owner or Admin permissions on job 101")

    assert cli(setup, "run", "--env", "dev", "github") == 1

    assert capsys.readouterr() == ("", (
        f"error: permission denied to start github-connector (job 101) in the dev workspace ({where(server)}): "
        "User 4f1c... does not have Manage Run or Owner or Admin permissions on job 101. Starting a run takes "
        "CAN_MANAGE_RUN on the job; the dev stack grants CAN_MANAGE_RUN to appsec-data-engineers and CAN_MANAGE "
        "to appsec-platform-admins: run this as a member of one of them.\n"))


def test_no_credentials_are_explained(setup, server, capsys, tmp_path):
    (tmp_path / ".databrickscfg").write_text(f"[loopback]\nhost = {server.url}\n")

    assert cli(setup, "run", "--env", "dev", "github") == 1

    assert capsys.readouterr().err == no_credentials(server)
    assert [r for r in server.requests if r.path.startswith("/api/2.2/jobs")] == []


def test_an_unreachable_workspace_is_explained(setup, monkeypatch, capsys, tmp_path):
    closed = unreachable_workspace(tmp_path, monkeypatch)

    assert cli(setup, "run", "--env", "dev", "github") == 1

    assert capsys.readouterr().err == (
        f"error: cannot reach the dev workspace ({closed}, profile loopback) to find job github-connector: "
        "connection refused (gave up after trying for 5 s). Check the workspace's host in connectors.yaml (or "
        "its profile), the network and any VPN.\n")


def test_an_extra_argument_is_a_usage_error(setup, sim, capsys):
    assert cli(setup, "run", "--env", "dev", "github", "--now") == 2

    assert sim.server.requests == []
    assert capsys.readouterr().err == ("python -m operations run: error: 1 unexpected argument(s) (not shown). "
                                       "run takes one connector or job name.\n")


# ---------------------------------------------------------------------------------------------- backfill


def test_backfill_resets_the_high_water_marks_without_asking_in_dev_against_the_simulated_workspace(
        setup, sim, server, capsys):
    assert cli(setup, "backfill", "--env", "dev", "sonarqube") == 0

    assert [started(body) for body in sim.sent(RUN_NOW)] == [{"job_id": 103, "job_parameters": {"hwm_reset": "true"}}]
    assert capsys.readouterr() == (
        "backfill sonarqube in dev: re-reads every entity from 2024-01-01T00:00:00Z (its initial_mark), not from "
        "its high water marks. Bronze gets the records again as a new batch; silver keeps the newest version of "
        "each record (nothing is deleted).\n"
        f"started run 1001 of sonarqube-connector (job 103) with hwm_reset=true in the dev workspace "
        f"({where(server)})\n"
        f"{server.url}/?o=1234#job/103/run/1001\n", "")


def test_backfill_asks_for_the_connectors_name_in_prod_against_the_simulated_workspace(
        setup, sim, server, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Terminal("github\n"))

    assert cli(setup, "backfill", "--env", "prod", "github") == 0

    assert [started(body) for body in sim.sent(RUN_NOW)] == [{"job_id": 105, "job_parameters": {"hwm_reset": "true"}}]
    assert capsys.readouterr() == (
        "backfill github in prod: re-reads every entity from the beginning of the source (it has no "
        "initial_mark), not from its high water marks. Bronze gets the records again as a new batch; silver keeps "
        "the newest version of each record (nothing is deleted).\n"
        "type github to start the backfill in prod: "
        f"started run 1001 of github-connector (job 105) with hwm_reset=true in the prod workspace ({server.url}, "
        "profile loopback-prod)\n"
        f"{server.url}/?o=1234#job/105/run/1001\n", "")


def test_backfill_with_another_answer_starts_nothing_against_the_simulated_workspace(setup, sim, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))

    assert cli(setup, "backfill", "--env", "prod", "github") == 1

    assert sim.sent(RUN_NOW) == []
    assert capsys.readouterr().err == "error: the answer was not 'github': no backfill was started.\n"


def test_backfill_needing_confirmation_without_a_terminal_starts_nothing(setup, sim, capsys):
    assert cli(setup, "backfill", "--env", "prod", "github") == 1

    assert sim.server.requests == []
    assert capsys.readouterr() == ("", (
        "error: a backfill of github in prod needs confirmation (environments.prod.confirm_backfill is true) and "
        "stdin is not a terminal: nothing was started. Run it at a terminal to confirm, or add --yes.\n"))


def test_backfill_yes_starts_it_without_a_terminal_against_the_simulated_workspace(setup, sim, capsys):
    assert cli(setup, "backfill", "--env", "prod", "--yes", "github") == 0

    assert [started(body) for body in sim.sent(RUN_NOW)] == [{"job_id": 105, "job_parameters": {"hwm_reset": "true"}}]


def test_backfill_of_a_lakeflow_connect_connector_is_refused(setup, sim, capsys):
    assert cli(setup, "backfill", "--env", "dev", "servicenow") == 1

    assert sim.server.requests == []
    assert capsys.readouterr().err == (
        "error: servicenow is a lakeflow_connect connector: it has no high water mark to reset (Databricks' "
        "managed connector keeps its own cursor). Its equivalent, a full refresh of its pipeline, snapshots every "
        "table again and drops the history its SCD type 2 tables keep, so it is deliberately not offered here. "
        f"`python -m operations run --env dev --config {setup} servicenow` starts an ordinary incremental update.\n")


def test_backfill_of_a_job_of_the_jobs_section_is_refused(setup, sim, capsys):
    assert cli(setup, "backfill", "--env", "dev", "findings_gold") == 1

    assert sim.server.requests == []
    assert capsys.readouterr().err == (
        "error: findings_gold is a job of the jobs section (appsec-findings-gold), not a batch connector: only "
        f"batch connectors have high water marks to reset. `python -m operations run --env dev --config {setup} "
        "findings_gold` "
        "starts it.\n")


# ---------------------------------------------------------------------------------------------- repair


def failed_gold_runs(sim: SimulatedWorkspace) -> int:
    """findings_gold's runs, newest first: two cancelled (the first page), the failed one to repair, a success."""
    sim.add_run(104, "2025-03-01T06:00", 20.0)
    failed = sim.add_run(104, "2025-03-01T07:00", 3.0, failed={"transform": "Notebook exception: KeyError 'cvss'"})
    sim.add_run(104, "2025-03-01T08:00", 1.0, result="CANCELED")
    sim.add_run(104, "2025-03-01T09:00", 1.0, result="CANCELED")
    return failed


def test_repair_reruns_the_failed_task_and_those_after_it_beyond_the_first_page_against_the_simulated_workspace(
        setup, sim, server, capsys):
    failed = failed_gold_runs(sim)

    assert cli(setup, "repair", "--env", "dev", "findings_gold") == 0

    assert sim.sent(RUNS_LIST) == [
        {"job_id": "104", "expand_tasks": "true", "limit": "20"},
        {"job_id": "104", "expand_tasks": "true", "limit": "20", "page_token": "runs-after-2"}]
    assert sim.sent(RUNS_GET) == [{"run_id": str(failed), "include_history": "true"}]
    assert sim.sent(REPAIR) == [{"run_id": failed, "rerun_tasks": ["transform"], "rerun_dependent_tasks": True}]
    assert capsys.readouterr() == (
        "passed over 2 newer run(s) that neither failed nor succeeded: 1004 (CANCELED), 1003 (CANCELED)\n"
        "repair run 1002 of appsec-findings-gold (job 104, started 2025-03-01T07:00, FAILED): re-runs transform, "
        "report, notify (failed: transform; depending on it: report, notify); ingest succeeded and is not re-run\n"
        f"started repair 9001 of run 1002 in the dev workspace ({where(server)})\n"
        f"{server.url}/?o=1234#job/104/run/1002\n", "")


def test_repair_dry_run_prints_the_plan_and_repairs_nothing_against_the_simulated_workspace(setup, sim, capsys):
    failed_gold_runs(sim)

    assert cli(setup, "repair", "--env", "dev", "appsec-findings-gold", "--dry-run") == 0

    assert sim.sent(REPAIR) == []
    assert capsys.readouterr().out.splitlines()[1:] == [
        "repair run 1002 of appsec-findings-gold (job 104, started 2025-03-01T07:00, FAILED): re-runs transform, "
        "report, notify (failed: transform; depending on it: report, notify); ingest succeeded and is not re-run",
        "dry run: nothing was repaired"]


def test_a_repaired_run_is_repaired_again_with_its_latest_repair_id_against_the_simulated_workspace(
        setup, sim, capsys):
    failed = sim.add_run(101, "2025-03-01T11:30", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    assert cli(setup, "repair", "--env", "dev", "github") == 0
    sim._settle(sim.runs[failed], "TERMINATED", "FAILED", {"ingest": "HTTP 502 again"}, {}, sim.clock)

    assert cli(setup, "repair", "--env", "dev", "github") == 0

    assert sim.sent(REPAIR) == [
        {"run_id": failed, "rerun_tasks": ["ingest"], "rerun_dependent_tasks": True},
        {"run_id": failed, "rerun_tasks": ["ingest"], "rerun_dependent_tasks": True, "latest_repair_id": 9001}]
    assert capsys.readouterr().out.splitlines()[3] == (
        "repair run 1001 of github-connector (job 101, started 2025-03-01T11:30, FAILED): re-runs ingest, "
        "transform (failed: ingest; depending on it: transform)")


def test_repair_after_a_successful_run_has_nothing_to_do_against_the_simulated_workspace(setup, sim, capsys):
    sim.add_run(101, "2025-03-01T11:00", 2.0, failed={"transform": "boom"})
    sim.add_run(101, "2025-03-01T11:15", 2.0)

    assert cli(setup, "repair", "--env", "dev", "github") == 0

    assert sim.sent(REPAIR) == []
    assert capsys.readouterr() == (
        "the latest completed run 1002 of github-connector (started 2025-03-01T11:15) succeeded; nothing to "
        "repair\n", "")


def test_repair_of_a_job_that_never_ran_has_nothing_to_do_against_the_simulated_workspace(setup, sim, capsys):
    assert cli(setup, "repair", "--env", "dev", "servicenow") == 0

    assert capsys.readouterr() == ("servicenow-connector has no completed run; nothing to repair\n", "")


@pytest.mark.parametrize(("described", "expected"), [
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS"}}},
     ("TERMINATED", "SUCCESS", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS_WITH_FAILURES", "type": "SUCCESS"}}},
     ("TERMINATED", "SUCCESS_WITH_FAILURES", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {
        "code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR", "message": "Task ingest failed with message: boom"}}},
     ("TERMINATED", "FAILED", "Task ingest failed with message: boom")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "DRIVER_ERROR", "type": "INTERNAL_ERROR"}}},
     ("TERMINATED", "FAILED", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "CLOUD_FAILURE", "type": "CLOUD_FAILURE"}}},
     ("TERMINATED", "FAILED", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "USER_CANCELED", "type": "SUCCESS"}}},
     ("TERMINATED", "CANCELED", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "CANCELED", "type": "CLIENT_ERROR"}}},
     ("TERMINATED", "TIMEDOUT", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "SKIPPED", "type": "SUCCESS"}}},
     ("SKIPPED", None, "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "INTERNAL_ERROR", "type": "INTERNAL_ERROR"}}},
     ("INTERNAL_ERROR", None, "")),
    # a code this client does not know yet: the type tells
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "A_NEW_CODE", "type": "CLIENT_ERROR"}}},
     ("TERMINATED", "FAILED", "")),
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "A_NEW_CODE", "type": "SUCCESS"}}},
     ("TERMINATED", "SUCCESS", "")),
    ({"status": {"state": "TERMINATED"}}, ("TERMINATED", None, "")),
    ({"status": {"state": "TERMINATING"}}, ("TERMINATING", None, "")),
    ({"status": {"state": "QUEUED", "queue_details": {"code": "ACTIVE_RUNS_LIMIT_REACHED"}}}, ("QUEUED", None, "")),
    ({"status": {"state": "BLOCKED"}}, ("BLOCKED", None, "")),
    # status first: the deprecated state says otherwise, and only lends its message when status has none
    ({"status": {"state": "TERMINATED", "termination_details": {"code": "RUN_EXECUTION_ERROR"}},
      "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": "old words"}},
     ("TERMINATED", "FAILED", "old words")),
    ({"state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": "boom"}},
     ("TERMINATED", "FAILED", "boom")),
    ({"state": {"life_cycle_state": "RUNNING"}}, ("RUNNING", None, "")),
    ({}, (None, None, "")),
])
def test_a_run_state_is_read_from_status_first_and_from_the_deprecated_state_without_one(described, expected):
    from databricks.sdk.service.jobs import Run, RunTask

    for shape in (Run, RunTask):
        held = jobs.run_state(shape.from_dict({"run_id": 1, "task_key": "ingest", **described}))
        assert (held.lifecycle, held.result, held.message) == expected


def test_the_repair_plan_of_two_failed_tasks_keeps_what_neither_feeds():
    from databricks.sdk.service.jobs import Run

    def task(key: str, result: str, *after: str) -> dict:
        return {"task_key": key, "state": {"life_cycle_state": "TERMINATED", "result_state": result},
                "depends_on": [{"task_key": a} for a in after]}

    run = Run.from_dict({"run_id": 1, "tasks": [  # listed out of dependency order, as the API may
        task("publish", "UPSTREAM_FAILED", "merge"), task("merge", "UPSTREAM_FAILED", "github", "sonarqube"),
        task("github", "TIMEDOUT"), task("sonarqube", "FAILED"), task("cmdb", "SUCCESS"),
        task("audit", "EXCLUDED", "cmdb")]})

    repair = runs.plan(run)

    assert (repair.failed, repair.dependents) == (("github", "sonarqube"), ("merge", "publish"))
    assert runs.describe(repair) == ("re-runs github, sonarqube, merge, publish (failed: github, sonarqube; "
                                     "depending on them: merge, publish); cmdb succeeded and is not re-run; "
                                     "audit (EXCLUDED) is not re-run")


def test_permission_denied_to_repair_names_the_permission_against_the_simulated_workspace(
        setup, sim, server, capsys):
    failed_gold_runs(sim)
    sim.deny(REPAIR, "User does not have Manage Run permission on job 104")

    assert cli(setup, "repair", "--env", "dev", "findings_gold") == 1

    assert capsys.readouterr().err == (
        f"error: permission denied to repair run 1002 of appsec-findings-gold in the dev workspace "
        f"({where(server)}): User does not have Manage Run permission on job 104. Repairing a run takes "
        "CAN_MANAGE_RUN on the job; the dev stack grants CAN_MANAGE_RUN to appsec-data-engineers and CAN_MANAGE "
        "to appsec-platform-admins: run this as a member of one of them.\n")


# ---------------------------------------------------------------------------------------------- status


def test_status_shows_the_latest_runs_of_every_job_against_the_simulated_workspace(setup, sim, server, capsys):
    sim.add_run(101, "2025-03-01T11:00", 2.5)
    sim.add_run(101, "2025-03-01T11:15", 4.2, failed={"transform": "Workload failed, see run output for details"},
                outputs={"transform": "AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] appsec_dev.bronze.github_repos"})
    sim.add_run(101, "2025-03-01T11:30", 2.0)
    sim.add_run(101, "2025-03-01T11:45", life_cycle="RUNNING")
    sim.add_run(102, "2025-03-01T06:30", 41.0, failed={"pipeline": "Update 7c1e failed: INCIDENT_CONNECTOR "
                                                                    "authentication expired; re-authorise the "
                                                                    "connection servicenow_dev and start it again"})
    failed_gold_runs(sim)
    sim.jobs.pop(103)  # sonarqube's job is not deployed

    assert cli(setup, "status", "--env", "dev") == 1

    assert sim.sent(RUNS_OUTPUT) == [{"run_id": "5004"}]
    assert [query for query in sim.sent(RUNS_LIST) if query["job_id"] == "101"] == [  # three runs: two pages
        {"job_id": "101", "expand_tasks": "true", "limit": "3"},
        {"job_id": "101", "expand_tasks": "true", "limit": "3", "page_token": "runs-after-2"}]
    assert capsys.readouterr() == ("\n".join([
        f"latest runs in the dev workspace ({where(server)}), up to 3 per job:",
        "NAME           RUN   STATE         START (UTC)       DURATION  FAILED TASK  ERROR",
        "github         1004  RUNNING       2025-03-01T11:45  15m       -",
        "github         1003  SUCCESS       2025-03-01T11:30  2m        -",
        "github         1002  FAILED        2025-03-01T11:15  4m 12s    transform    AnalysisException: "
        "[TABLE_OR_VIEW_NOT_FOUND] appsec_dev.bronze.github_repos",
        "servicenow     1005  FAILED        2025-03-01T06:30  41m       pipeline     Update 7c1e failed: "
        "INCIDENT_CONNECTOR authentication expired; re-authorise the connection servicenow_dev and start it again",
        "sonarqube      -     not deployed  -                 -         -            no job 'sonarqube-connector' "
        "tagged environment=dev",
        "findings_gold  1009  CANCELED      2025-03-01T09:00  1m        -",
        "findings_gold  1008  CANCELED      2025-03-01T08:00  1m        -",
        "findings_gold  1007  FAILED        2025-03-01T07:00  3m        transform    Notebook exception: KeyError "
        "'cvss'",
        "",
        f"not deployed in dev: sonarqube. Deploy with `CONNECTORS_CONFIG={setup} npx cdktf deploy dev`.",
        ""]), "")


def test_status_of_named_jobs_shows_the_task_error_from_the_run_output_against_the_simulated_workspace(
        setup, sim, capsys):
    sim.add_run(101, "2025-03-01T11:00", 4.2, failed={"transform": ""},
                outputs={"transform": "AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] appsec_dev.bronze.github_repos"})

    assert cli(setup, "status", "--env", "dev", "--runs", "1", "github", "findings_gold") == 0

    assert sim.sent(RUNS_LIST) == [{"job_id": "101", "expand_tasks": "true", "limit": "1"},
                                   {"job_id": "104", "expand_tasks": "true", "limit": "1"}]
    assert capsys.readouterr().out.splitlines()[1:] == [
        "NAME           RUN   STATE    START (UTC)       DURATION  FAILED TASK  ERROR",
        "github         1001  FAILED   2025-03-01T11:00  4m 12s    transform    AnalysisException: "
        "[TABLE_OR_VIEW_NOT_FOUND] appsec_dev.bronze.github_repos",
        "findings_gold  -     no runs  -                 -         -"]


def test_status_cuts_the_error_to_the_width_of_the_terminal_against_the_simulated_workspace(
        setup, sim, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    sim.add_run(101, "2025-03-01T11:00", 4.2, failed={"ingest": "HTTPError: 403 Client Error: Forbidden for url: "
                                                                "https://api.github.com/orgs/acme/repos?per_page=100"})

    assert cli(setup, "status", "--env", "dev", "--runs", "1", "github") == 0

    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines == [
        "NAME    RUN   STATE   START (UTC)       DURATION  FAILED TASK  ERROR",
        "github  1001  FAILED  2025-03-01T11:00  4m 12s    ingest       HTTPError: 403 Client Error: Forbidd…"]
    assert len(lines[1]) == 100


def test_status_without_permission_to_view_runs_names_the_permission_against_the_simulated_workspace(
        setup, sim, server, capsys):
    sim.deny(RUNS_LIST, "User does not have View permission on job 101")

    assert cli(setup, "status", "--env", "dev", "github") == 1

    assert capsys.readouterr() == ("", (
        f"error: permission denied to list the runs of github-connector (job 101) in the dev workspace "
        f"({where(server)}): User does not have View permission on job 101. Reading its runs takes CAN_VIEW on "
        "the job; the dev stack grants CAN_MANAGE_RUN to appsec-data-engineers and CAN_MANAGE to "
        "appsec-platform-admins: run this as a member of one of them.\n"))


def test_status_runs_must_be_a_small_positive_number(setup, capsys):
    assert cli(setup, "status", "--env", "dev", "--runs", "0") == 2

    assert capsys.readouterr().err.endswith(
        "python -m operations status: error: argument --runs: expected a number of runs from 1 to 25, got '0'\n")


def test_the_progress_is_rewritten_in_place_at_a_terminal():
    stream = io.StringIO()
    progress = jobs.Progress(stream, interactive=True)

    progress.step(1, 2, "servicenow-connector")
    progress.step(2, 2, "github-connector")
    progress.done()

    assert stream.getvalue() == ("\rquerying 1/2: servicenow-connector"
                                 "\rquerying 2/2: github-connector    "
                                 "\r" + " " * 34 + "\r")


def test_the_progress_writes_nothing_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    progress = jobs.Progress(stream, interactive=False)

    progress.step(1, 1, "github-connector")
    progress.done()

    assert stream.getvalue() == ""


def test_as_a_subprocess_status_prints_the_table_against_the_simulated_workspace(setup, sim, server):
    sim.add_run(101, "2025-03-01T11:30", 2.0)
    sim.add_run(102, "2025-03-01T06:30", 41.0)
    sim.add_run(103, "2025-03-01T09:00", 7.5, failed={"ingest": "HTTP 401 from sonarqube.example.com: token expired"})
    # Without the jobs section, whose checks start jsii: a second less for a fresh interpreter.
    setup.write_text(CONFIG[:CONFIG.index("\njobs:")])
    env = {**os.environ, "CONNECTORS_CONFIG": str(setup)}

    done = subprocess.run([sys.executable, "-m", "operations", "status", "--env", "dev", "--runs", "1"],
                          cwd=PROJECT_DIR, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"latest runs in the dev workspace ({where(server)}), up to 1 per job:",
        "NAME        RUN   STATE    START (UTC)       DURATION  FAILED TASK  ERROR",
        "github      1001  SUCCESS  2025-03-01T11:30  2m        -",
        "servicenow  1002  SUCCESS  2025-03-01T06:30  41m       -",
        "sonarqube   1003  FAILED   2025-03-01T09:00  7m 30s    ingest       HTTP 401 from sonarqube.example.com: "
        "token expired"]


# ---------------------------------------------------------------------------------------------- freshness


def test_freshness_compares_each_connector_with_its_cadence_against_the_simulated_workspace(
        setup, sim, server, capsys):
    sim.add_run(101, "2025-03-01T11:15", 3.0, failed={"transform": "boom"})
    sim.add_run(101, "2025-03-01T11:00", 3.0)
    sim.add_run(102, "2025-03-01T00:30", 45.0)
    sim.add_run(103, "2025-03-01T09:00", 6.0)
    sim.add_state(STATE, "github", "repositories", "2025-03-01T10:50", 41, 41)
    sim.add_state(STATE, "github", "code_scanning_alerts", "2025-03-01T10:40", 40, 39)
    sim.add_state(STATE, "github", "dependabot_alerts", "2025-03-01T10:55", 41, 41)
    sim.add_state(STATE, "sonarqube", "issues", "2025-03-01T08:55", 12, 10)
    sim.add_state(STATE, "cmdb", "applications", "2025-02-01T00:00", 3, 3)  # not a connector of this config

    assert cli(setup, "freshness", "--env", "dev") == 0

    [execute] = sim.sent(STATEMENTS)
    assert execute == {
        "statement": "SELECT connector, entity, unix_millis(high_water_mark) AS high_water_mark_ms, ingested_batch, "
                     "transformed_batch FROM `appsec_dev`.`bronze`.`connector_state` WHERE connector IN "
                     "(:connector_0, :connector_1) ORDER BY connector, entity",
        "warehouse_id": "4b9e2d7a1c3f5e80", "wait_timeout": "30s", "on_wait_timeout": "CONTINUE",
        "disposition": "INLINE", "format": "JSON_ARRAY",
        "parameters": [{"name": "connector_0", "value": "github"}, {"name": "connector_1", "value": "sonarqube"}]}
    assert [r.path.split("/")[-2:] for r in server.requests if "/result/chunks/" in r.path] == [["chunks", "1"]]
    assert capsys.readouterr() == ("\n".join([
        f"freshness in the dev workspace ({where(server)}) at 2025-03-01T12:00 UTC:",
        "CONNECTOR   KIND              CADENCE  LAST SUCCESS (UTC)  SILVER LAG  HWM LAG  VERDICT  NOTES",
        "github      batch             15m      2025-03-01T11:03    57m         1h 20m   STALE    paused; 1 batch not "
        "yet in silver",
        "servicenow  lakeflow_connect  6h       2025-03-01T01:15    10h 45m     n/a      ok       paused",
        "sonarqube   batch             3h       2025-03-01T09:06    2h 54m      3h 05m   ok       paused; 2 batches "
        "not yet in silver",
        "",
        "SILVER LAG: since the end of the job's latest successful run; STALE beyond 2 times the cadence.",
        "HWM LAG: since the oldest entity's high water mark, which moves only when the source has changes.",
        "paused: the schedule is paused (runs only when started); its STALE does not fail the command.",
        ""]), "")


def test_freshness_without_a_warehouse_fails_on_a_stale_running_schedule_against_the_simulated_workspace(
        setup, sim, server, capsys):
    sim.add_run(105, "2025-03-01T10:00", 3.0)

    assert cli(setup, "freshness", "--env", "prod") == 1

    assert sim.sent(STATEMENTS) == []
    assert capsys.readouterr().out == "\n".join([
        f"freshness in the prod workspace ({server.url}, profile loopback-prod) at 2025-03-01T12:00 UTC:",
        "CONNECTOR   KIND              CADENCE  LAST SUCCESS (UTC)  SILVER LAG  HWM LAG  VERDICT       NOTES",
        "github      batch             15m      2025-03-01T10:03    1h 57m      -        STALE",
        "servicenow  lakeflow_connect  6h       -                   -           n/a      not deployed",
        "sonarqube   batch             3h       -                   -           -        not deployed",
        "",
        "SILVER LAG: since the end of the job's latest successful run; STALE beyond 2 times the cadence.",
        "HWM LAG: since the oldest entity's high water mark, which moves only when the source has changes.",
        "HWM LAG not shown: no SQL warehouse to read appsec_prod.bronze.connector_state on. Set "
        "environments.prod.monitoring.warehouse_id in connectors.yaml.",
        "not deployed in prod: servicenow, sonarqube (no job named 'servicenow-connector', 'sonarqube-connector'). "
        f"Deploy with `CONNECTORS_CONFIG={setup} npx cdktf deploy prod`.",
        ""])


def test_freshness_polls_a_statement_while_the_warehouse_starts_against_the_simulated_workspace(
        setup, sim, server, capsys, sleeps):
    sim.statement_polls = 2
    sim.add_run(101, "2025-03-01T11:45", 3.0)
    sim.add_state(STATE, "github", "repositories", "2025-03-01T11:40", 7, 7)

    assert cli(setup, "freshness", "--env", "dev") == 0

    assert [r.path for r in server.requests if r.path.startswith(STATEMENTS + "/")] == [
        f"{STATEMENTS}/01f0-0001-simulated"] * 2
    assert sleeps == [10.0, 10.0]
    assert capsys.readouterr().out.splitlines()[2] == (
        "github      batch             15m      2025-03-01T11:48    12m         20m      ok       paused")


def test_freshness_before_any_batch_run_says_the_state_table_does_not_exist_yet_against_the_simulated_workspace(
        setup, sim, capsys):
    assert cli(setup, "freshness", "--env", "dev") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[2] == ("github      batch             15m      never               -           -        STALE    "
                      "paused; no run yet")
    assert out[-1] == ("HWM LAG not shown: appsec_dev.bronze.connector_state does not exist yet: no batch connector "
                       "has run in dev.")


def test_freshness_without_access_to_the_warehouse_still_reports_silver_against_the_simulated_workspace(
        setup, sim, capsys):
    sim.deny(STATEMENTS, "You do not have permission to use the SQL warehouse 4b9e2d7a1c3f5e80")

    assert cli(setup, "freshness", "--env", "dev") == 1

    assert capsys.readouterr().out.splitlines()[-1] == (
        "HWM LAG not shown: could not read appsec_dev.bronze.connector_state on SQL warehouse 4b9e2d7a1c3f5e80: You "
        "do not have permission to use the SQL warehouse 4b9e2d7a1c3f5e80. Reading it takes CAN_USE on the "
        "warehouse and SELECT on the table.")
