"""JobMonitoring: a stack's own monitoring over system.lakeflow.job_run_timeline, scoped to the jobs it deploys.

An alert (Databricks SQL alerts v2: the query, its schedule and its recipients in one resource) lists the jobs
that need attention, and a small AI/BI (Lakeview) dashboard shows the same facts beside their recent runs. Both
run on the environment's SQL warehouse. The query names each job by its id from the stack (a Terraform reference,
so a recreated job is followed) and the workspace's id, never by a name pattern: a hand-made job called
'github-connector' in the same workspace, or the same job id in another workspace of the region, is not seen.

A job needs attention when
- its last finished run failed (FAILED, ERROR or TIMED_OUT; a cancelled or skipped run is someone's choice);
- it has a cadence (an active schedule) and has not succeeded within twice that cadence (counted from when it
  was deployed if it never has);
- its latest run, finished or still running, took longer than its duration warning (its health rule).

Construct ids: 'alert', 'alert_permissions', 'dashboard', 'dashboard_permissions'.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from core.quartz import STALE_AFTER_CADENCES
from constructs import Construct
from constructs.access_control import access_control
from constructs.plain_resources import resource
from core.principals import Principal

# The run states the alert counts as a failed last run (system.lakeflow.job_run_timeline.result_state).
FAILED_STATES = ("ERROR", "FAILED", "TIMED_OUT")
RUN_TIMELINE = "system.lakeflow.job_run_timeline"
JOBS_TABLE = "system.lakeflow.jobs"
# How far back the queries read runs at least; more where a cadence is longer (twice it, and a day).
MIN_LOOKBACK_DAYS = 7
_DAY = 86_400


@dataclass(frozen=True)
class MonitoredJob:
    name: str  # the job's name in the workspace, as the alert and dashboard show it
    job_id: str  # the job's id: a cdktf token of the job resource in this stack
    cadence_seconds: int | None  # the longest wait between runs of its active schedule; None: not checked
    duration_warning_seconds: int | None  # its health rule's RUN_DURATION_SECONDS; None: not checked


@dataclass(frozen=True, kw_only=True)
class JobMonitoringProps:
    title: str  # names the alert and the dashboard, e.g. 'prod': unique in the folder
    jobs: tuple[MonitoredJob, ...]
    warehouse_id: str
    workspace_id: str  # of the workspace the jobs run in: job ids are unique only within one
    parent_path: str  # the workspace folder of the alert and the dashboard
    schedule: str  # Quartz: when the alert runs
    timezone_id: str
    # Safe by default: the alert's schedule is written PAUSED unless asked.
    paused: bool = True
    recipients: tuple[str, ...]  # e-mailed when the alert triggers and when it is OK again
    run_as_service_principal: str  # the alert runs as it (never as whoever deploys)
    admin_group: str  # manages the alert and the dashboard
    viewer_groups: tuple[str, ...] = ()  # see both; may refresh the dashboard (with their own data access)

    def __post_init__(self) -> None:
        problems = [f"{name} must not be empty" for name in
                    ("title", "warehouse_id", "workspace_id", "parent_path", "schedule", "timezone_id",
                     "run_as_service_principal", "admin_group") if not getattr(self, name)]
        if not self.jobs:
            problems.append("jobs must name at least one job: monitoring nothing deploys nothing useful")
        if not self.recipients:
            problems.append("recipients must name at least one e-mail address, or the alert reaches nobody")
        if not self.workspace_id.isdigit():
            problems.append(f"workspace_id must be the workspace's numeric id, not {self.workspace_id!r}")
        names = [job.name for job in self.jobs]
        problems += [f"job name {name!r} is given twice" for name in sorted({n for n in names if names.count(n) > 1})]
        problems += [f"job {job.name!r}: {field} must be positive, not {value}" for job in self.jobs
                     for field, value in (("cadence_seconds", job.cadence_seconds),
                                          ("duration_warning_seconds", job.duration_warning_seconds))
                     if value is not None and value < 1]
        if self.admin_group in self.viewer_groups:
            problems.append(f"viewer_groups must not contain admin_group '{self.admin_group}'")
        if problems:
            raise ValueError(f"JobMonitoringProps for '{self.title}': " + "; ".join(problems))

    @property
    def lookback_days(self) -> int:
        longest = max((job.cadence_seconds or 0 for job in self.jobs), default=0)
        return max(MIN_LOOKBACK_DAYS, math.ceil(2 * longest / _DAY) + 1)


class JobMonitoring(Construct):
    """The alert and the dashboard over the stack's jobs, each with its permissions (see the module docstring)."""

    def __init__(self, scope: Construct, id: str, *, props: JobMonitoringProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.alert = resource(self, "alert", "databricks_alert_v2", {
            "display_name": f"Connector platform {props.title}: jobs needing attention",
            "query_text": attention_sql(props),
            "warehouse_id": props.warehouse_id,
            "parent_path": props.parent_path,
            "run_as": {"service_principal_name": props.run_as_service_principal},
            "schedule": {"quartz_cron_schedule": props.schedule, "timezone_id": props.timezone_id,
                         "pause_status": "PAUSED" if props.paused else "UNPAUSED"},
            "evaluation": {
                # One row per job and problem: any row triggers; no rows is OK.
                "source": {"name": "job_name", "aggregation": "COUNT"},
                "comparison_operator": "GREATER_THAN",
                "threshold": {"value": {"double_value": 0}},
                "empty_result_state": "OK",
                "notification": {"notify_on_ok": True,
                                 "subscriptions": [{"user_email": email} for email in sorted(props.recipients)]},
            },
            "custom_summary": f"Connector platform {props.title}: {{{{ALERT_STATUS}}}}",
            "custom_description": ("Jobs of the connector platform that need attention (a failed last run, no "
                                   "success within twice the cadence, or a run longer than its duration warning):\n"
                                   "{{QUERY_RESULT_TABLE}}"),
        })
        self.alert_permissions = resource(self, "alert_permissions", "databricks_permissions", {
            "alert_v2_id": self.alert.id, "access_control": _access(props, "CAN_READ")})
        self.dashboard = resource(self, "dashboard", "databricks_dashboard", {
            "display_name": f"Connector platform {props.title}: job health",
            "warehouse_id": props.warehouse_id,
            "parent_path": props.parent_path,
            "serialized_dashboard": serialized_dashboard(props),
            # Viewers query with their own access to the system tables, not with whoever published it.
            "embed_credentials": False,
        })
        self.dashboard_permissions = resource(self, "dashboard_permissions", "databricks_permissions", {
            "dashboard_id": self.dashboard.id, "access_control": _access(props, "CAN_RUN")})


def _access(props: JobMonitoringProps, viewer_level: str) -> list:
    return [access_control(Principal.group(props.admin_group), "CAN_MANAGE"),
            *(access_control(Principal.group(group), viewer_level) for group in sorted(props.viewer_groups))]


# ---------------------------------------------------------------------------------------------- the SQL


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _number(value: int | None) -> str:
    return "CAST(NULL AS BIGINT)" if value is None else str(value)


def _deployed(props: JobMonitoringProps) -> str:
    rows = ",\n    ".join(
        f"({_literal(job.job_id)}, {_literal(job.name)}, {_number(job.cadence_seconds)}, "
        f"{_number(job.duration_warning_seconds)})"
        for job in sorted(props.jobs, key=lambda j: j.name))
    return (f"deployed AS (\n  SELECT * FROM VALUES\n    {rows}\n"
            "    AS deployed(job_id, job_name, cadence_seconds, warning_seconds)\n)")


def _runs(props: JobMonitoringProps) -> str:
    # A run longer than an hour has a row per hour; its result_state is on its last row only (NULL while running).
    return f"""runs AS (
  SELECT job_id, run_id,
         MIN(period_start_time) AS started_at,
         MAX(period_end_time) AS ended_at,
         MAX_BY(result_state, period_end_time) AS result_state
  FROM {RUN_TIMELINE}
  WHERE workspace_id = {_literal(props.workspace_id)}
    AND job_id IN (SELECT job_id FROM deployed)
    AND period_start_time >= current_timestamp() - INTERVAL {props.lookback_days} DAYS
  GROUP BY job_id, run_id
)"""


def _common(props: JobMonitoringProps) -> str:
    return f"""WITH {_deployed(props)},
{_runs(props)},
latest AS (
  SELECT job_id,
         MAX_BY(result_state, started_at) AS result_state,
         MAX(started_at) AS started_at,
         MAX_BY(unix_timestamp(COALESCE(CASE WHEN result_state IS NOT NULL THEN ended_at END,
                                        current_timestamp())) - unix_timestamp(started_at),
                started_at) AS seconds
  FROM runs GROUP BY job_id
),
last_finished AS (
  SELECT job_id, MAX_BY(result_state, ended_at) AS result_state, MAX(ended_at) AS ended_at
  FROM runs WHERE result_state IS NOT NULL GROUP BY job_id
),
last_success AS (
  SELECT job_id, MAX(ended_at) AS succeeded_at FROM runs WHERE result_state = 'SUCCEEDED' GROUP BY job_id
),
first_deployed AS (
  SELECT job_id, MIN(change_time) AS deployed_at
  FROM {JOBS_TABLE}
  WHERE workspace_id = {_literal(props.workspace_id)} AND job_id IN (SELECT job_id FROM deployed)
  GROUP BY job_id
)"""


def attention_sql(props: JobMonitoringProps) -> str:
    """One row per job and problem (job_name, problem, detail, job_id): what the alert counts and the dashboard
    lists. No rows: every job is fine."""
    failed = ", ".join(_literal(state) for state in FAILED_STATES)
    return f"""-- Jobs of the connector platform ({props.title}) that need attention. Generated from connectors.yaml.
{_common(props)}
SELECT d.job_name, 'failed' AS problem,
       concat('last run ', f.result_state, ' at ', CAST(f.ended_at AS STRING)) AS detail, d.job_id
FROM deployed d JOIN last_finished f ON f.job_id = d.job_id
WHERE f.result_state IN ({failed})
UNION ALL
SELECT d.job_name, 'stale' AS problem,
       concat('no success since ', COALESCE(CAST(s.succeeded_at AS STRING), 'it was deployed'),
              '; expected every ', CAST(d.cadence_seconds AS STRING), ' s') AS detail, d.job_id
FROM deployed d
LEFT JOIN last_success s ON s.job_id = d.job_id
LEFT JOIN first_deployed p ON p.job_id = d.job_id
WHERE d.cadence_seconds IS NOT NULL
  AND unix_timestamp(current_timestamp())
      - unix_timestamp(COALESCE(s.succeeded_at, p.deployed_at, current_timestamp()))
        > {STALE_AFTER_CADENCES} * d.cadence_seconds
UNION ALL
SELECT d.job_name, 'slow' AS problem,
       concat(CASE WHEN l.result_state IS NULL THEN 'running for ' ELSE 'latest run took ' END,
              CAST(l.seconds AS STRING), ' s; warning at ', CAST(d.warning_seconds AS STRING), ' s') AS detail,
       d.job_id
FROM deployed d JOIN latest l ON l.job_id = d.job_id
WHERE d.warning_seconds IS NOT NULL AND l.seconds > d.warning_seconds
ORDER BY job_name, problem"""


def recent_runs_sql(props: JobMonitoringProps) -> str:
    """Every run of the stack's jobs in the lookback window, newest first: the dashboard's history table."""
    return f"""-- Recent runs of the connector platform's jobs ({props.title}). Generated from connectors.yaml.
WITH {_deployed(props)},
{_runs(props)}
SELECT d.job_name, r.run_id, COALESCE(r.result_state, 'RUNNING') AS result_state, r.started_at,
       CASE WHEN r.result_state IS NOT NULL THEN r.ended_at END AS ended_at,
       round((unix_timestamp(CASE WHEN r.result_state IS NOT NULL THEN r.ended_at ELSE current_timestamp() END)
              - unix_timestamp(r.started_at)) / 60.0, 1) AS duration_minutes
FROM runs r JOIN deployed d ON d.job_id = r.job_id
ORDER BY r.started_at DESC, d.job_name"""


# ---------------------------------------------------------------------------------------------- the dashboard


def _table(name: str, dataset: str, title: str, columns: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {
        "name": name,
        "queries": [{"name": "main_query", "query": {
            "datasetName": dataset, "disaggregated": True,
            "fields": [{"name": field, "expression": f"`{field}`"} for field, _ in columns]}}],
        "spec": {"version": 1, "widgetType": "table",
                 "encodings": {"columns": [{"fieldName": field, "displayName": shown} for field, shown in columns]},
                 "frame": {"showTitle": True, "title": title}},
    }


def serialized_dashboard(props: JobMonitoringProps) -> str:
    """The dashboard in Lakeview's serialized form: two datasets (the alert's query, the recent runs) and a page
    with a counter and two tables. Deterministic: fixed names, sorted keys."""
    counter = {
        "name": "attention_count",
        "queries": [{"name": "main_query", "query": {
            "datasetName": "attention", "disaggregated": False,
            "fields": [{"name": "count(job_name)", "expression": "COUNT(`job_name`)"}]}}],
        "spec": {"version": 2, "widgetType": "counter",
                 "encodings": {"value": {"fieldName": "count(job_name)", "displayName": "Problems"}},
                 "frame": {"showTitle": True, "title": "Jobs needing attention"}},
    }
    document = {
        "datasets": [
            {"name": "attention", "displayName": "Jobs needing attention",
             "queryLines": attention_sql(props).splitlines(keepends=True)},
            {"name": "recent_runs", "displayName": "Recent runs",
             "queryLines": recent_runs_sql(props).splitlines(keepends=True)},
        ],
        "pages": [{"name": "job_health", "displayName": "Job health", "layout": [
            {"widget": counter, "position": {"x": 0, "y": 0, "width": 2, "height": 3}},
            {"widget": _table("attention_table", "attention", "Why", (
                ("job_name", "Job"), ("problem", "Problem"), ("detail", "Detail"))),
             "position": {"x": 2, "y": 0, "width": 4, "height": 6}},
            {"widget": _table("runs_table", "recent_runs", f"Runs of the last {props.lookback_days} days", (
                ("job_name", "Job"), ("run_id", "Run"), ("result_state", "Result"), ("started_at", "Started"),
                ("ended_at", "Ended"), ("duration_minutes", "Minutes"))),
             "position": {"x": 0, "y": 6, "width": 6, "height": 8}},
        ]}],
    }
    return json.dumps(document, sort_keys=True, indent=1)
