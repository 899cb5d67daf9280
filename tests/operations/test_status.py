"""`status` finds the latest run that failed or succeeded past newer runs that did neither (cancelled, skipped),
as `repair` does, against the simulated workspace in both response shapes (the `sim` fixture)."""

from __future__ import annotations

from datetime import datetime, timedelta

from operations import jobs
from tests.jobs_workspace import RUNS_LIST
from tests.operations.conftest import cli, where

HEADER = "NAME    RUN   STATE     START (UTC)       DURATION  FAILED TASK  ERROR"


def cancelled(sim, count: int, after: str = "2025-03-01T09:00") -> None:
    """`count` cancelled runs of github's job, 5 minutes apart from `after` on."""
    start = datetime.fromisoformat(after)
    for index in range(count):
        sim.add_run(101, (start + timedelta(minutes=5 * index)).strftime("%Y-%m-%dT%H:%M"), 1.0, result="CANCELED")


def test_status_finds_the_latest_failure_past_27_cancelled_runs_against_the_simulated_workspace(
        setup, sim, server, capsys):
    sim.add_run(101, "2025-03-01T08:00", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.add_run(101, "2025-03-01T08:30", 2.0, failed={"ingest": "an older failure"})  # below: never reached
    sim.runs[1002]["start_time"] -= 3 * 3600_000
    cancelled(sim, 27)

    assert cli(setup, "status", "--env", "dev", "github") == 0

    assert capsys.readouterr() == ("\n".join([
        f"latest runs in the dev workspace ({where(server)}), up to 3 per job:",
        "NAME    RUN   STATE     START (UTC)       DURATION  FAILED TASK  ERROR",
        "github  1029  CANCELED  2025-03-01T11:10  1m        -",
        "github  1028  CANCELED  2025-03-01T11:05  1m        -",
        "github  1027  CANCELED  2025-03-01T11:00  1m        -",
        "github  1001  FAILED    2025-03-01T08:00  2m        ingest       (latest to fail or succeed; 27 newer runs "
        "did neither) HTTP 502 from api.github.com",
        ""]), "")
    searched = [query for query in sim.sent(RUNS_LIST) if "completed_only" in query]
    assert searched[0] == {"job_id": "101", "completed_only": "true", "expand_tasks": "true", "limit": "20"}
    assert len(searched) == 14  # 28 completed runs, two a page: the search stops at the failure


def test_status_finds_a_success_further_back_and_counts_a_running_run_against_the_simulated_workspace(
        setup, sim, capsys):
    sim.add_run(101, "2025-03-01T08:00", 2.0)
    cancelled(sim, 2)
    sim.add_run(101, "2025-03-01T11:45", life_cycle="RUNNING")

    assert cli(setup, "status", "--env", "dev", "--runs", "2", "github") == 0

    assert capsys.readouterr().out.splitlines()[1:] == [
        HEADER,
        "github  1004  RUNNING   2025-03-01T11:45  15m       -",
        "github  1003  CANCELED  2025-03-01T09:05  1m        -",
        "github  1001  SUCCESS   2025-03-01T08:00  2m        -            (latest to fail or succeed; 3 newer runs "
        "did neither)"]


def test_status_says_when_none_of_the_runs_within_the_bound_failed_or_succeeded_against_the_simulated_workspace(
        setup, sim, monkeypatch, capsys):
    monkeypatch.setattr(jobs, "MAX_RUNS_SEARCHED", 10)
    sim.add_run(101, "2025-03-01T08:00", 2.0, failed={"ingest": "beyond the bound"})
    cancelled(sim, 10)

    assert cli(setup, "status", "--env", "dev", "--runs", "1", "github") == 0

    assert capsys.readouterr().out.splitlines()[1:] == [
        HEADER,
        "github  1011  CANCELED  2025-03-01T09:45  1m        -",
        "github  -     -         -                 -         -            none of its latest 10 completed runs failed "
        "or succeeded"]


def test_status_says_when_no_completed_run_ever_failed_or_succeeded_against_the_simulated_workspace(
        setup, sim, capsys):
    cancelled(sim, 4)

    assert cli(setup, "status", "--env", "dev", "--runs", "2", "github") == 0

    assert capsys.readouterr().out.splitlines()[2:] == [
        "github  1004  CANCELED  2025-03-01T09:15  1m        -",
        "github  1003  CANCELED  2025-03-01T09:10  1m        -",
        "github  -     -         -                 -         -            none of its 4 completed runs failed or "
        "succeeded"]


def test_status_searches_nothing_more_when_a_run_shown_failed_or_succeeded_or_none_ended_against_the_simulated_workspace(
        setup, sim, capsys):
    sim.add_run(101, "2025-03-01T08:00", 2.0)
    cancelled(sim, 1)
    sim.add_run(104, "2025-03-01T11:45", life_cycle="RUNNING")  # findings_gold's only run: nothing ended yet

    assert cli(setup, "status", "--env", "dev", "github", "findings_gold") == 0

    assert [query for query in sim.sent(RUNS_LIST) if "completed_only" in query] == [
        {"job_id": "104", "completed_only": "true", "expand_tasks": "true", "limit": "20"}]
    assert capsys.readouterr().out.splitlines()[1:] == [
        "NAME           RUN   STATE     START (UTC)       DURATION  FAILED TASK  ERROR",
        "github         1002  CANCELED  2025-03-01T09:00  1m        -",
        "github         1001  SUCCESS   2025-03-01T08:00  2m        -",
        "findings_gold  1003  RUNNING   2025-03-01T11:45  15m       -"]
