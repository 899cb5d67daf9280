"""`repair` while a run or a repair is going on, and the commands `run`, `backfill` and `repair` suggest, pasted
as given (with the operator's --config, or in their short form without one), against the simulated workspace in
both response shapes (the `sim` fixture)."""

from __future__ import annotations

import shutil

from operations.cli import main
from tests.jobs_workspace import REPAIR, RUNS_GET, RUNS_LIST, Outcome
from tests.operations.conftest import cli

# ---------------------------------------------------------------------------------------------- repair in progress


def test_repair_while_a_repair_of_the_run_goes_on_says_so_and_starts_nothing_against_the_simulated_workspace(
        setup, sim, capsys):
    failed = sim.add_run(101, "2025-03-01T11:30", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.add_run(101, "2025-03-01T11:00", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.clock -= 5 * 60_000  # the repair started at 11:55
    assert cli(setup, "repair", "--env", "dev", "github") == 0
    capsys.readouterr()

    assert cli(setup, "repair", "--env", "dev", "github") == 1

    assert len(sim.sent(REPAIR)) == 1  # the first repair only: the older failed run (1002) is not repaired
    assert sim.sent(RUNS_LIST)[-1] == {"job_id": "101", "expand_tasks": "true", "limit": "20"}  # active runs too
    assert sim.sent(RUNS_GET)[-1] == {"run_id": str(failed), "include_history": "true"}
    assert capsys.readouterr() == ("", (
        "error: run 1001 of github-connector (job 101) is being repaired: repair 9001 started 2025-03-01T11:55 is "
        f"RUNNING. Wait for it to end (`python -m operations status --env dev --config {setup} github`), then "
        "repair again if it fails.\n"))


def test_a_run_being_repaired_behind_newer_cancelled_runs_is_not_passed_over_against_the_simulated_workspace(
        setup, sim, capsys):
    failed = sim.add_run(104, "2025-03-01T07:00", 3.0, failed={"transform": "Notebook exception: KeyError 'cvss'"})
    sim.add_run(104, "2025-03-01T06:00", 3.0, failed={"transform": "older"})
    sim.start_repair(failed)  # from the Jobs UI, say
    sim.add_run(104, "2025-03-01T08:00", 1.0, result="CANCELED")
    sim.add_run(104, "2025-03-01T09:00", 1.0, result="CANCELED")

    assert cli(setup, "repair", "--env", "dev", "findings_gold") == 1

    assert sim.sent(REPAIR) == []
    assert capsys.readouterr().err == (
        "error: run 1001 of appsec-findings-gold (job 104) is being repaired: repair 9001 started 2025-03-01T12:00 "
        f"is RUNNING. Wait for it to end (`python -m operations status --env dev --config {setup} findings_gold`), "
        "then repair again if it fails.\n")


def test_once_the_repair_ended_failed_the_run_is_repaired_again_against_the_simulated_workspace(setup, sim, capsys):
    failed = sim.add_run(101, "2025-03-01T11:30", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.start_repair(failed)
    sim._settle(sim.runs[failed], "TERMINATED", "FAILED", {"ingest": "HTTP 502 again"}, {}, sim.clock)

    assert cli(setup, "repair", "--env", "dev", "github") == 0

    assert sim.sent(REPAIR) == [{"run_id": failed, "rerun_tasks": ["ingest"], "rerun_dependent_tasks": True,
                                 "latest_repair_id": 9001}]


def test_repair_while_a_newer_run_goes_on_waits_for_its_outcome_against_the_simulated_workspace(
        setup, sim, capsys):
    sim.add_run(101, "2025-03-01T11:30", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.add_run(101, "2025-03-01T11:45", life_cycle="QUEUED")
    sim.add_run(101, "2025-03-01T11:40", 1.0, result="CANCELED")

    assert cli(setup, "repair", "--env", "dev", "github") == 1

    assert sim.sent(REPAIR) == []
    assert sim.sent(RUNS_GET) == [{"run_id": "1002", "include_history": "true"}]  # not a repair: a run of its own
    assert capsys.readouterr() == ("", (
        "error: run 1002 of github-connector (job 101) started 2025-03-01T11:45 and is QUEUED: its outcome decides "
        "whether a repair is needed. Wait for it to end (`python -m operations status --env dev --config "
        f"{setup} github`), then repair again if it fails.\n"))


def test_a_run_that_ended_after_newer_cancelled_ones_is_still_repaired_against_the_simulated_workspace(
        setup, sim, capsys):
    failed = sim.add_run(101, "2025-03-01T11:00", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.add_run(101, "2025-03-01T11:15", 1.0, result="CANCELED")

    assert cli(setup, "repair", "--env", "dev", "github") == 0

    assert [body["run_id"] for body in sim.sent(REPAIR)] == [failed]


# ---------------------------------------------------------------------------------------------- pasteable hints


def test_without_config_option_the_hints_keep_their_short_form_against_the_simulated_workspace(
        setup, sim, monkeypatch, capsys, sleeps):
    monkeypatch.setenv("CONNECTORS_CONFIG", str(setup))  # the default config: a pasted command finds it too
    sim.outcome = Outcome("FAILED", failed={"transform": "boom"})
    sim.polls_to_finish = 2

    assert main(["run", "--env", "dev", "sonarqube", "--wait"]) == 1
    assert main(["backfill", "--env", "dev", "servicenow"]) == 1
    assert main(["run", "--env", "prod", "sonarqube"]) == 1

    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == (
        "`python -m operations repair --env dev sonarqube` re-runs what failed and what depends on it.")
    assert err.splitlines()[1].endswith(
        "`python -m operations run --env dev servicenow` starts an ordinary incremental update.")
    assert "Deploy it with `npx cdktf deploy prod`. Of that name" in err.splitlines()[2]


def test_a_config_path_with_a_space_is_quoted_as_typed_against_the_simulated_workspace(
        setup, sim, monkeypatch, capsys, tmp_path):
    (tmp_path / "my configs").mkdir()
    shutil.copy(setup, tmp_path / "my configs" / "connectors.yaml")
    monkeypatch.chdir(tmp_path)
    sim.add_run(101, "2025-03-01T11:30", 2.0, failed={"ingest": "HTTP 502 from api.github.com"})
    sim.add_run(101, "2025-03-01T11:45", life_cycle="RUNNING")

    assert main(["repair", "--env", "dev", "--config", "my configs/connectors.yaml", "github"]) == 1
    assert main(["run", "--env", "prod", "--config", "my configs/connectors.yaml", "sonarqube"]) == 1

    assert capsys.readouterr().err.splitlines() == [
        "error: run 1002 of github-connector (job 101) started 2025-03-01T11:45 and is RUNNING: its outcome "
        "decides whether a repair is needed. Wait for it to end (`python -m operations status --env dev --config "
        "'my configs/connectors.yaml' github`), then repair again if it fails.",
        f"error: sonarqube is not deployed in the prod workspace ({sim.url}, profile loopback-prod): no job named "
        "'sonarqube-connector' tagged managed_by=connector-platform and environment=prod (the workspace lists only "
        "the jobs you may view). Deploy it with `CONNECTORS_CONFIG='my configs/connectors.yaml' npx cdktf deploy "
        "prod`. Of that name it has job 103 (tagged environment=dev): not prod's, left alone."]


def test_an_interrupted_repair_names_the_status_command_to_follow_it(setup, sim, monkeypatch, capsys):
    from operations import runs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "_latest_failed", interrupted)

    assert cli(setup, "repair", "--env", "dev", "github") == 130

    assert capsys.readouterr().err == (
        "interrupted; a repair already started goes on in the workspace: `python -m operations status --env dev "
        f"--config {setup} github` shows it\n")
