"""Monitoring as code: each stack's alert and dashboard over system.lakeflow.job_run_timeline, scoped to the job ids
the stack deploys. The SQL is parsed with sqlglot's Databricks dialect and run on a real local Spark session over
fabricated system-table rows (the system tables themselves exist only in a workspace)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlglot
from sqlglot import exp

from connectors_config import ConfigError, parse_config
from constructs.job_monitoring import (
    JOBS_TABLE,
    RUN_TIMELINE,
    JobMonitoringProps,
    MonitoredJob,
    attention_sql,
    recent_runs_sql,
)
from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS

SAMPLE = SAMPLE_CONFIG.read_text(encoding="utf-8")
JOB_ID = re.compile(r"\$\{databricks_job\.(\w+)\.id\}")


def only(stack: dict, kind: str) -> dict:
    found = stack["resource"].get(kind, {})
    assert len(found) == 1, sorted(found)
    return {key: value for key, value in next(iter(found.values())).items() if key != "//"}


def parsed(sql: str) -> exp.Expr:
    """The query as Databricks would read it: each job id reference stands in as a number-like literal."""
    return sqlglot.parse_one(JOB_ID.sub(lambda m: f"id_{m.group(1)}", sql), read="databricks")


def deployed_rows(sql: str) -> list[tuple]:
    """The `deployed` CTE's VALUES rows: (job id, name, cadence seconds, warning seconds)."""
    values = next(v for v in parsed(sql).find_all(exp.Values)
                  if isinstance(v.parent, exp.From) or v.alias == "deployed")
    rows = []
    for row in values.expressions:
        cells = []
        for cell in row.expressions:
            cells.append(None if isinstance(cell, exp.Cast) else
                         int(cell.this) if cell.is_int else cell.this)
        rows.append(tuple(cells))
    return rows


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_environment_stack_deploys_an_alert_a_dashboard_and_their_permissions(stacks, sample_config, env):
    stack = stacks[env]
    environment = sample_config.environments[env]
    alert = only(stack, "databricks_alert_v2")
    dashboard = only(stack, "databricks_dashboard")
    folder = "${databricks_directory.notebooks_folder_399C00B1.path}"

    assert alert["display_name"] == f"Connector platform {env}: jobs needing attention"
    assert alert["warehouse_id"] == dashboard["warehouse_id"] == environment.monitoring.warehouse_id
    assert alert["parent_path"] == dashboard["parent_path"] == folder
    assert alert["run_as"] == {"service_principal_name": environment.run_as}
    assert alert["schedule"] == {"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC",
                                 "pause_status": "PAUSED" if environment.schedules_paused else "UNPAUSED"}
    assert alert["evaluation"] == {
        "source": {"name": "job_name", "aggregation": "COUNT"}, "comparison_operator": "GREATER_THAN",
        "threshold": {"value": {"double_value": 0}}, "empty_result_state": "OK",
        "notification": {"notify_on_ok": True, "subscriptions": [
            {"user_email": email} for email in environment.notifications.on_failure]}}
    assert dashboard["embed_credentials"] is False
    permissions = {key: value for key, value in stack["resource"]["databricks_permissions"].items()
                   if key.startswith("monitoring_")}
    assert {(body.get("alert_v2_id") or body.get("dashboard_id")): body["access_control"]
            for body in permissions.values()} == {
        "${databricks_alert_v2.monitoring_alert_8AE3093F.id}": [
            {"group_name": "appsec-platform-admins", "permission_level": "CAN_MANAGE"},
            {"group_name": "appsec-data-engineers", "permission_level": "CAN_READ"}],
        "${databricks_dashboard.monitoring_dashboard_4CE328EF.id}": [
            {"group_name": "appsec-platform-admins", "permission_level": "CAN_MANAGE"},
            {"group_name": "appsec-data-engineers", "permission_level": "CAN_RUN"}],
    }


@pytest.mark.parametrize("env,workspace_id", [("dev", "1111111111111111"), ("prod", "2222222222222222")])
def test_the_alert_sql_parses_and_is_scoped_to_exactly_the_job_ids_of_its_stack(stacks, env, workspace_id):
    stack = stacks[env]
    sql = only(stack, "databricks_alert_v2")["query_text"]
    tree = parsed(sql)

    assert {row[0] for row in deployed_rows(sql)} == {f"id_{name}" for name in stack["resource"]["databricks_job"]}
    assert len(deployed_rows(sql)) == len(stack["resource"]["databricks_job"])
    # Both system tables are read only for this workspace and for the deployed ids, never by name.
    for table in (RUN_TIMELINE, JOBS_TABLE):
        found = [t for t in tree.find_all(exp.Table) if ".".join(p.name for p in t.parts) == table]
        assert len(found) == 1, table
        where = found[0].find_ancestor(exp.Select).args["where"]
        assert exp.EQ(this=exp.column("workspace_id"), expression=exp.Literal.string(workspace_id)) in [
            e for e in where.find_all(exp.EQ)]
        membership = next(where.find_all(exp.In))
        assert membership.this == exp.column("job_id")
        assert membership.args["query"].this.sql() == "SELECT job_id FROM deployed"
    assert not list(tree.find_all(exp.Like, exp.ILike, exp.RegexpLike))
    assert [s.alias_or_name for s in tree.selects] == ["job_name", "problem", "detail", "job_id"]


def test_cadences_and_duration_warnings_come_from_the_config_and_paused_schedules_have_none(stacks):
    names = {row[1]: row[2:] for row in deployed_rows(only(stacks["prod"], "databricks_alert_v2")["query_text"])}
    assert names == {
        "appsec-connectors-refresh": (None, None),  # runs only when started: no cadence
        "appsec-daily-refresh": (86400, None),
        "appsec-findings-gold": (None, 1200),  # a table trigger: no cadence; its own health rule
        "appsec-table-maintenance": (604800, None),  # weekly
        "cmdb-connector": (86400, 1800),
        "github-connector": (900, 1800),
        "servicenow-connector": (21600, 1800),
        "sonarqube-connector": (10800, 1800),
    }
    dev = {row[1]: row[2:] for row in deployed_rows(only(stacks["dev"], "databricks_alert_v2")["query_text"])}
    assert {name: cadence for name, (cadence, _) in dev.items()} == dict.fromkeys(names)  # dev's schedules: paused
    assert "INTERVAL 15 DAYS" in only(stacks["prod"], "databricks_alert_v2")["query_text"]  # 2 x a week + a day


def test_the_dashboard_shows_the_alerts_query_and_the_recent_runs_with_columns_they_select(stacks):
    stack = stacks["prod"]
    document = json.loads(only(stack, "databricks_dashboard")["serialized_dashboard"])
    datasets = {d["name"]: "".join(d["queryLines"]) for d in document["datasets"]}
    assert datasets["attention"] == only(stack, "databricks_alert_v2")["query_text"]
    columns = {name: [s.alias_or_name for s in parsed(sql).selects] for name, sql in datasets.items()}
    assert columns["recent_runs"] == ["job_name", "run_id", "result_state", "started_at", "ended_at",
                                      "duration_minutes"]
    widgets = [item["widget"] for page in document["pages"] for item in page["layout"]]
    assert [w["name"] for w in widgets] == ["attention_count", "attention_table", "runs_table"]
    for widget in widgets:
        query = widget["queries"][0]["query"]
        for field in query["fields"]:
            column = re.sub(r"^COUNT\(`(\w+)`\)$|^`(\w+)`$", r"\1\2", field["expression"])
            assert column in columns[query["datasetName"]]


# ---------------------------------------------------------------------------------------------- on real Spark

NOW = "current_timestamp()"


def ago(minutes: float) -> str:
    return f"{NOW} - INTERVAL {int(minutes * 60)} SECONDS"


def props_for(*jobs: MonitoredJob) -> JobMonitoringProps:
    return JobMonitoringProps(
        title="test", jobs=jobs, warehouse_id="4b9e2d7a1c3f5e80", workspace_id="1234",
        parent_path="/Applications/appsec-connectors/test", schedule="0 0 * * * ?", timezone_id="UTC",
        recipients=("oncall@example.com",), run_as_service_principal="3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",
        admin_group="appsec-platform-admins", viewer_groups=("appsec-data-engineers",))


def run_on_spark(spark, sql: str, timeline: list[tuple], jobs: list[tuple]) -> list[tuple]:
    """`sql` with the system tables replaced by temporary views of the given rows."""
    suffix = uuid.uuid4().hex[:8]
    runs_view, jobs_view = f"run_timeline_{suffix}", f"jobs_{suffix}"
    rows = ", ".join(f"('{ws}', '{job}', '{run}', {start}, {end}, {'NULL' if state is None else repr(state)})"
                     for ws, job, run, start, end, state in timeline)
    spark.sql(f"CREATE TEMPORARY VIEW {runs_view} AS SELECT workspace_id, job_id, run_id, "
              "CAST(period_start_time AS TIMESTAMP) AS period_start_time, "
              "CAST(period_end_time AS TIMESTAMP) AS period_end_time, CAST(result_state AS STRING) AS result_state "
              f"FROM VALUES {rows} AS t(workspace_id, job_id, run_id, period_start_time, period_end_time, "
              "result_state)")
    spark.sql(f"CREATE TEMPORARY VIEW {jobs_view} AS SELECT workspace_id, job_id, "
              "CAST(change_time AS TIMESTAMP) AS change_time FROM VALUES "
              + ", ".join(f"('{ws}', '{job}', {changed})" for ws, job, changed in jobs)
              + " AS t(workspace_id, job_id, change_time)")
    query = sql.replace(RUN_TIMELINE, runs_view).replace(JOBS_TABLE, jobs_view)
    return [tuple(row) for row in spark.sql(query).collect()]


def test_the_alert_query_flags_exactly_the_jobs_needing_attention_on_a_real_spark_session(spark):
    hourly, daily = 3600, 86400
    props = props_for(
        MonitoredJob("failing", "101", daily, None),
        MonitoredJob("stale", "102", hourly, None),
        MonitoredJob("slow", "103", None, 600),
        MonitoredJob("fine", "104", hourly, 3600),
        MonitoredJob("new", "105", hourly, None),
        MonitoredJob("never-ran", "106", hourly, None),
        MonitoredJob("recovered", "107", daily, None),
    )
    timeline = [
        ("1234", "101", "r1", ago(180), ago(170), "SUCCEEDED"),
        ("1234", "101", "r2", ago(40), ago(30), "FAILED"),
        ("1234", "102", "r3", ago(190), ago(180), "SUCCEEDED"),  # 3 h ago: more than twice its hourly cadence
        ("1234", "103", "r4", ago(20), ago(5), None),  # still running after 20 minutes; warning at 10
        ("1234", "104", "r5", ago(300), ago(240), None),  # an earlier 90-minute run, in hourly rows
        ("1234", "104", "r5", ago(240), ago(210), "SUCCEEDED"),
        ("1234", "104", "r6", ago(40), ago(30), "SUCCEEDED"),
        ("1234", "107", "r7", ago(120), ago(110), "FAILED"),
        ("1234", "107", "r8", ago(20), ago(10), "SUCCEEDED"),
        # Not this stack's: the same job id in another workspace of the region, and an id it does not deploy.
        ("9999", "104", "x1", ago(5), ago(1), "FAILED"),
        ("1234", "999", "x2", ago(5), ago(1), "FAILED"),
        # Older than the lookback window: ignored.
        ("1234", "107", "old", ago(60 * 24 * 30), ago(60 * 24 * 30 - 1), "FAILED"),
    ]
    jobs = [("1234", job, ago(600)) for job in ("101", "102", "103", "104", "106", "107")]
    jobs += [("1234", "105", ago(10)), ("1234", "105", ago(5)), ("9999", "106", ago(1))]

    found = run_on_spark(spark, attention_sql(props), timeline, jobs)

    assert [(name, problem, job_id) for name, problem, _, job_id in found] == [
        ("failing", "failed", "101"), ("never-ran", "stale", "106"), ("slow", "slow", "103"),
        ("stale", "stale", "102")]
    details = {name: detail for name, _, detail, _ in found}
    assert details["failing"].startswith("last run FAILED at ")
    assert details["never-ran"] == "no success since it was deployed; expected every 3600 s"
    assert re.fullmatch(r"running for 12\d\d s; warning at 600 s", details["slow"])
    assert re.fullmatch(r"no success since \S+ \S+; expected every 3600 s", details["stale"])


def test_the_recent_runs_query_joins_hourly_rows_into_runs_on_a_real_spark_session(spark):
    props = props_for(MonitoredJob("fine", "104", 3600, None), MonitoredJob("slow", "103", None, 600))
    timeline = [("1234", "104", "r5", ago(300), ago(240), None), ("1234", "104", "r5", ago(240), ago(210), "SUCCEEDED"),
                ("1234", "103", "r4", ago(20), ago(5), None), ("9999", "104", "x1", ago(5), ago(1), "FAILED")]

    found = run_on_spark(spark, recent_runs_sql(props), timeline, [("1234", "103", ago(60))])

    assert [(name, run, state, duration) for name, run, state, _, _, duration in found] == [
        ("slow", "r4", "RUNNING", pytest.approx(20.0, abs=0.5)), ("fine", "r5", "SUCCEEDED", 90.0)]


# ---------------------------------------------------------------------------------------------- without, and wrong


def without_monitoring(text: str) -> str:
    return re.sub(r"\n    monitoring:\n(      .*\n)+", "\n", text)


def test_without_a_warehouse_the_stacks_deploy_no_monitoring(tmp_path):
    import stacks.app

    text = without_monitoring(SAMPLE)
    assert "monitoring:" not in text.replace("(README, Monitoring)", "")
    stacks.app.synth(parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR), str(tmp_path / "cdktf.out"),
               notebooks_dir=SAMPLE_NOTEBOOKS)
    for env in ("dev", "prod"):
        stack = json.loads((tmp_path / "cdktf.out" / "stacks" / env / "cdk.tf.json").read_text())
        assert not {"databricks_alert_v2", "databricks_dashboard"} & set(stack["resource"])
        assert not [key for key in stack["resource"]["databricks_permissions"] if key.startswith("monitoring_")]


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


def test_a_workspace_whose_host_carries_no_id_needs_monitoring_workspace_id():
    text = SAMPLE.replace("      host: https://adb-1111111111111111.11.azuredatabricks.net\n",
                          "      profile: appsec-dev\n")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '    monitoring:')}: environments.dev.monitoring: names no workspace_id, "
        "and the workspace host does not carry one (only Azure's adb-<id>.<n>.azuredatabricks.net does); set "
        "monitoring.workspace_id to the number after ?o= in the workspace's URL: job ids are unique only within a "
        "workspace"]
    given = text.replace("      warehouse_id: 4b9e2d7a1c3f5e80\n",
                         "      warehouse_id: 4b9e2d7a1c3f5e80\n      workspace_id: 3333333333333333\n")
    assert parse_config(given, "connectors.yaml", base_dir=SAMPLE_DIR).environments["dev"].monitoring.workspace_id == (
        "3333333333333333")


def test_a_warehouse_name_or_a_bad_workspace_id_is_refused_with_the_fix():
    text = SAMPLE.replace("      warehouse_id: 9c0f6a3e2b7d1f54\n",
                          "      warehouse_id: Shared Warehouse\n      workspace_id: o-123\n")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'warehouse_id: Shared')}: environments.prod.monitoring.warehouse_id: "
        "'Shared Warehouse' is not a valid SQL warehouse ID; use the SQL warehouse's ID, 16 hexadecimal digits (e.g. "
        "'4b9e2d7a1c3f5e80'): the end of its HTTP path /sql/1.0/warehouses/<id>, or `databricks warehouses list`",
        f"connectors.yaml:{line_of(text, 'workspace_id: o-123')}: environments.prod.monitoring.workspace_id: "
        "'o-123' is not a valid workspace ID; use the workspace's numeric ID (e.g. '1111111111111111'): the number "
        "after ?o= in its URL",
    ]


def test_monitoring_props_name_every_problem_at_once():
    with pytest.raises(ValueError) as raised:
        JobMonitoringProps(
            title="test", jobs=(MonitoredJob("a", "1", 0, None), MonitoredJob("a", "2", None, None)),
            warehouse_id="", workspace_id="o-1", parent_path="/Applications/x", schedule="0 0 * * * ?",
            timezone_id="UTC", recipients=(), run_as_service_principal="3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",
            admin_group="admins", viewer_groups=("admins",))
    assert str(raised.value) == (
        "JobMonitoringProps for 'test': warehouse_id must not be empty; recipients must name at least one e-mail "
        "address, or the alert reaches nobody; workspace_id must be the workspace's numeric id, not 'o-1'; job name "
        "'a' is given twice; job 'a': cadence_seconds must be positive, not 0; viewer_groups must not contain "
        "admin_group 'admins'")
