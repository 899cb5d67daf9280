"""review.stack_jobs: the jobs of a synthesized stack read back with references resolved to names, for the
sample's stacks and for hand-written ones with the task kinds the sample does not use."""

from __future__ import annotations

import json

import pytest

from review.stack_jobs import (
    FileArrivalTrigger,
    OtherTrigger,
    PeriodicTrigger,
    ReviewError,
    ScheduleView,
    StackJobs,
    TableUpdateTrigger,
    TaskView,
    load_synth,
    parse_stack,
    run_job_calls,
)


def _doc(jobs: dict, **resources) -> dict:
    """A cdk.tf.json with these databricks_job resources (and other resource types)."""
    return {"resource": {"databricks_job": jobs, **resources}}


def _job_named(stack, name):
    (job,) = [job for job in stack.jobs if job.name == name]
    return job


SILVER_TABLES = ["github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts",
                 "sonarqube_issues", "sonarqube_security_hotspots"]


# ------------------------------------------------------------------------------------------ the sample's stacks

def test_sample_prod_jobs_sorted_by_name_with_levels(stacks):
    prod = parse_stack("prod", stacks["prod"])
    assert prod.env == "prod"
    assert [(job.name, job.level) for job in prod.jobs] == [
        ("appsec-connectors-refresh", "composite"), ("appsec-daily-refresh", "orchestrator"),
        ("appsec-findings-gold", "atomic"), ("appsec-table-maintenance", "atomic"), ("cmdb-connector", "atomic"),
        ("github-connector", "atomic"), ("servicenow-connector", "atomic"), ("sonarqube-connector", "atomic")]
    assert all(job.address.startswith("databricks_job.") for job in prod.jobs)


def test_sample_daily_refresh_runs_the_refresh_then_gold_whatever_happened(stacks):
    prod = parse_stack("prod", stacks["prod"])
    daily = _job_named(prod, "appsec-daily-refresh")
    refresh, gold = _job_named(prod, "appsec-connectors-refresh"), _job_named(prod, "appsec-findings-gold")
    assert daily.schedule == ScheduleView("0 0 5 * * ?", "UTC", paused=False)
    assert (daily.triggers, daily.continuous) == ((), None)
    assert daily.tasks == (
        TaskView(key="rebuild_findings", kind="run_job_task", depends_on=(("refresh_connectors", None),),
                 run_if="ALL_DONE", detail="appsec-findings-gold", target=gold.address),
        TaskView(key="refresh_connectors", kind="run_job_task", detail="appsec-connectors-refresh",
                 target=refresh.address),
    )


def test_sample_connector_jobs_name_their_notebooks_and_pipeline(stacks):
    prod = parse_stack("prod", stacks["prod"])
    github = _job_named(prod, "github-connector")
    assert github.schedule == ScheduleView("0 */15 * * * ?", "UTC", paused=False)
    assert [(t.key, t.kind, t.depends_on, t.run_if, t.detail) for t in github.tasks] == [
        ("ingest", "notebook_task", (), None, "ingest_entry"),
        ("transform", "notebook_task", (("ingest", None),), None, "transform_entry")]
    (ingest,) = _job_named(prod, "servicenow-connector").tasks
    assert (ingest.kind, ingest.detail) == ("pipeline_task", "servicenow-ingestion")
    assert ingest.target.startswith("databricks_pipeline.servicenow_pipeline")
    (maintenance,) = _job_named(prod, "appsec-table-maintenance").tasks
    assert (maintenance.detail, maintenance.run_if) == ("maintenance_entry", None)  # ALL_SUCCESS is the default


def test_sample_dev_is_paused_and_gold_waits_for_its_silver_tables(stacks):
    dev = parse_stack("dev", stacks["dev"])
    assert {job.schedule.paused for job in dev.jobs if job.schedule} == {True}
    gold = _job_named(dev, "appsec-findings-gold")
    assert gold.schedule is None
    assert gold.triggers == (TableUpdateTrigger(tuple(f"appsec_dev.silver.{t}" for t in SILVER_TABLES),
                                                "ANY_UPDATED", wait_after_last_change_seconds=300,
                                                min_time_between_triggers_seconds=900, paused=True),)


def run_job_edges(stack: StackJobs) -> list[tuple[str, str, str]]:
    """(caller job name, task key, callee job name) for each run_job task of `stack`, sorted: the calls in names."""
    names = {job.address: job.name for job in stack.jobs}
    return sorted({(caller.name, key, names[callee]) for caller, key, callee in run_job_calls(stack)})


def test_sample_run_job_edges(stacks):
    assert run_job_edges(parse_stack("prod", stacks["prod"])) == [
        ("appsec-connectors-refresh", "cmdb", "cmdb-connector"),
        ("appsec-connectors-refresh", "github", "github-connector"),
        ("appsec-connectors-refresh", "servicenow", "servicenow-connector"),
        ("appsec-connectors-refresh", "sonarqube", "sonarqube-connector"),
        ("appsec-daily-refresh", "rebuild_findings", "appsec-findings-gold"),
        ("appsec-daily-refresh", "refresh_connectors", "appsec-connectors-refresh"),
    ]


def test_load_synth_reads_every_stack(synthesized, stacks):
    loaded = load_synth(synthesized)
    assert list(loaded) == ["dev", "prod"]
    assert loaded["prod"] == parse_stack("prod", stacks["prod"])


# ------------------------------------------------------------------------------------------ hand-written stacks

def test_for_each_task_keeps_its_nested_task():
    stack = parse_stack("t", _doc({"loop": {"name": "loop", "task": [{
        "task_key": "each_file",
        "for_each_task": {"inputs": '["a","b"]', "concurrency": 2,
                          "task": {"task_key": "one_file", "notebook_task": {"notebook_path": "/Workspace/tools/fix"}}},
    }]}}))
    (job,) = stack.jobs
    assert job.tasks == (TaskView(key="each_file", kind="for_each_task", detail='over ["a","b"], 2 at a time',
                                  nested=TaskView(key="one_file", kind="notebook_task", detail="fix")),)


def test_condition_outcomes_run_if_and_kinds_without_detail():
    stack = parse_stack("t", _doc({"c": {"name": "cond", "task": [
        {"task_key": "report", "depends_on": [{"task_key": "load"}, {"task_key": "alert"}], "run_if": "ALL_DONE",
         "spark_python_task": {"python_file": "report.py"}},
        {"task_key": "load", "depends_on": [{"task_key": "check", "outcome": "true"}], "run_if": "ALL_SUCCESS",
         "sql_task": {"warehouse_id": "w", "query": {"query_id": "q"}}},
        {"task_key": "check", "condition_task": {"left": "{{tasks.count.values.rows}}", "op": "GREATER_THAN",
                                                 "right": "0"}},
        {"task_key": "alert", "depends_on": [{"task_key": "check", "outcome": "false"}],
         "dbt_task": {"commands": ["dbt run"]}},
    ]}}))
    (job,) = stack.jobs
    assert job.level is None
    assert job.tasks == (
        TaskView(key="alert", kind="dbt_task", depends_on=(("check", "false"),)),
        TaskView(key="check", kind="condition_task", detail="{{tasks.count.values.rows}} GREATER_THAN 0"),
        TaskView(key="load", kind="sql_task", depends_on=(("check", "true"),)),
        TaskView(key="report", kind="spark_python_task", depends_on=(("alert", None), ("load", None)),
                 run_if="ALL_DONE"),
    )


def test_references_resolve_to_names_and_literals_stay_ids():
    stack = parse_stack("t", _doc(
        {"caller_1": {"name": "caller", "tags": {"job_level": "composite"}, "task": [
            {"task_key": "by_ref", "run_job_task": {"job_id": "${databricks_job.callee_2.id}"}},
            {"task_key": "by_number", "run_job_task": {"job_id": 123}},
            {"task_key": "by_string", "run_job_task": {"job_id": "456"}},
            {"task_key": "gone", "run_job_task": {"job_id": "${databricks_job.gone.id}"}},
            {"task_key": "pipe", "pipeline_task": {"pipeline_id": "${databricks_pipeline.p_3.id}"}},
            {"task_key": "pipe_literal", "pipeline_task": {"pipeline_id": "abc-123"}},
            {"task_key": "nb", "notebook_task": {"notebook_path": "${databricks_notebook.nb_4.path}"}},
        ]},
         "callee_2": {"name": "callee", "task": [{"task_key": "x", "notebook_task": {"notebook_path": "rel/x"}}]}},
        databricks_pipeline={"p_3": {"name": "ingestion"}},
        databricks_notebook={"nb_4": {"path": "${databricks_directory.d.path}/ingest_entry"}}))
    caller = _job_named(stack, "caller")
    assert [(t.key, t.detail, t.target) for t in caller.tasks] == [
        ("by_number", "job 123", None),
        ("by_ref", "callee", "databricks_job.callee_2"),
        ("by_string", "job 456", None),
        ("gone", "job ${databricks_job.gone.id}", None),
        ("nb", "ingest_entry", None),
        ("pipe", "ingestion", "databricks_pipeline.p_3"),
        ("pipe_literal", "pipeline abc-123", None),
    ]
    assert _job_named(stack, "callee").tasks[0].detail == "x"
    assert run_job_edges(stack) == [("caller", "by_ref", "callee")]


def test_a_for_each_that_runs_a_job_is_an_edge_under_its_own_key():
    stack = parse_stack("t", _doc({
        "a": {"name": "fan", "task": [{"task_key": "each", "for_each_task": {
            "inputs": "[1,2]", "task": {"task_key": "one", "run_job_task": {"job_id": "${databricks_job.b.id}"}}}}]},
        "b": {"name": "worker", "task": []}}))
    assert _job_named(stack, "fan").tasks[0].nested.detail == "worker"
    assert run_job_edges(stack) == [("fan", "each", "worker")]


def test_triggers_continuous_and_defaults():
    stack = parse_stack("t", _doc({
        "f": {"name": "files", "trigger": {"pause_status": "PAUSED", "file_arrival": {
            "url": "s3://bucket/in/", "min_time_between_triggers_seconds": 60}}},
        "p": {"name": "periodic", "trigger": {"periodic": {"interval": 2, "unit": "HOURS"}}},
        "m": {"name": "model", "trigger": {"model": {"condition": "MODEL_CREATED"}}},
        "c": {"name": "stream", "continuous": {"pause_status": "UNPAUSED"}},
        "s": {"name": "sched", "schedule": {"quartz_cron_expression": "0 0 1 * * ?"}},
    }))
    views = {job.name: (job.schedule, job.triggers, job.continuous, job.tasks) for job in stack.jobs}
    assert list(views) == ["files", "model", "periodic", "sched", "stream"]
    assert views["files"] == (None, (FileArrivalTrigger("s3://bucket/in/", None, 60, paused=True),), None, ())
    assert views["periodic"][1] == (PeriodicTrigger(2, "HOURS", paused=False),)
    assert views["model"][1] == (OtherTrigger("model", paused=False),)
    assert views["stream"][2] is False
    assert views["sched"][0] == ScheduleView("0 0 1 * * ?", "UTC", paused=False)  # the provider's defaults


# ----------------------------------------------------------------------------------------------- load_synth

def test_missing_folder_says_to_synth(tmp_path):
    with pytest.raises(ReviewError) as error:
        load_synth(tmp_path / "cdktf.out")
    assert str(error.value) == (f"no synthesized stacks in {tmp_path / 'cdktf.out'} "
                                "(it has no stacks/<env>/cdk.tf.json): run `make synth` first")


def test_missing_stack_file_says_to_synth_again(tmp_path):
    (tmp_path / "stacks" / "dev").mkdir(parents=True)
    (tmp_path / "stacks" / "prod").mkdir()
    (tmp_path / "stacks" / "dev" / "cdk.tf.json").write_text(json.dumps(_doc({})))
    with pytest.raises(ReviewError) as error:
        load_synth(tmp_path)
    assert str(error.value) == f"the stack prod in {tmp_path} has no cdk.tf.json: run `make synth` again"


def test_unreadable_stack_file(tmp_path):
    (tmp_path / "stacks" / "dev").mkdir(parents=True)
    (tmp_path / "stacks" / "dev" / "cdk.tf.json").write_text("{")
    with pytest.raises(ReviewError) as error:
        load_synth(tmp_path)
    assert str(error.value) == (f"the stack dev in {tmp_path} cannot be read (Expecting property name enclosed in "
                                "double quotes: line 1 column 2 (char 1)): run `make synth` again")


def test_a_stack_without_jobs(tmp_path):
    (tmp_path / "stacks" / "dev").mkdir(parents=True)
    (tmp_path / "stacks" / "dev" / "cdk.tf.json").write_text(json.dumps({"terraform": {}}))
    assert load_synth(tmp_path)["dev"].jobs == ()
