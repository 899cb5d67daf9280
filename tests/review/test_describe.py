"""review.describe: every job in words with its next fire times, exact text for hand-written stacks and for the
sample's prod stack at a fixed time."""

from __future__ import annotations

from datetime import datetime

import pytest

from review.describe import describe
from review.stack_jobs import parse_stack

NOW = datetime.fromisoformat("2026-11-21T12:00:00+00:00")  # a Saturday


def _doc(jobs: dict) -> dict:
    return {"resource": {"databricks_job": jobs}}


def _schedule(cron: str, zone: str = "UTC", paused: bool = False) -> dict:
    return {"quartz_cron_expression": cron, "timezone_id": zone, "pause_status": "PAUSED" if paused else "UNPAUSED"}


def _run(job_resource: str) -> list[dict]:
    return [{"task_key": "start", "run_job_task": {"job_id": f"${{databricks_job.{job_resource}.id}}"}}]


HAND_WRITTEN = _doc({
    "a": {"name": "a-paris", "tags": {"job_level": "atomic"}, "schedule": _schedule("0 0 6 * * ?", "Europe/Paris")},
    "b": {"name": "b-paused", "schedule": _schedule("0 30 1 ? * MON", paused=True)},
    "c": {"name": "c-tables", "trigger": {"table_update": {"table_names": ["cat.silver.one"],
                                                           "condition": "ALL_UPDATED"}}},
    "c2": {"name": "c2-tables", "trigger": {"table_update": {
        "table_names": ["cat.silver.a", "cat.silver.b"], "wait_after_last_change_seconds": 300,
        "min_time_between_triggers_seconds": 900}}},
    "d": {"name": "d-files", "trigger": {"pause_status": "PAUSED", "file_arrival": {
        "url": "s3://bucket/in/", "min_time_between_triggers_seconds": 60}}},
    "e": {"name": "e-periodic", "trigger": {"periodic": {"interval": 2, "unit": "HOURS"}}},
    "f": {"name": "f-continuous", "continuous": {}},
    "f2": {"name": "f2-continuous-paused", "continuous": {"pause_status": "PAUSED"}},
    "g": {"name": "g-caller", "tags": {"job_level": "orchestrator"}, "task": _run("h")},
    "g2": {"name": "g2-caller", "task": _run("h")},
    "h": {"name": "h-called"},
    "i": {"name": "i-by-hand", "task": [{"task_key": "x", "run_job_task": {"job_id": 123}}]},
    "j": {"name": "j-past", "schedule": _schedule("0 0 5 * * ? 2020")},
    "k": {"name": "k-bad-cron", "schedule": _schedule("0 0 25 * * ?")},
    "l": {"name": "l-bad-zone", "schedule": _schedule("0 0 5 * * ?", "Mars/Olympus")},
})


def test_every_way_a_job_starts_in_words():
    assert describe({"test": parse_stack("test", HAND_WRITTEN)}, NOW, count=2) == """\
environment test
  a-paris (atomic)
    schedule 0 0 6 * * ? (Europe/Paris), active; next:
      2026-11-22 06:00:00 CET (Sun)
      2026-11-23 06:00:00 CET (Mon)
  b-paused
    schedule 0 30 1 ? * MON (UTC), PAUSED; would fire next (if unpaused):
      2026-11-23 01:30:00 UTC (Mon)
      2026-11-30 01:30:00 UTC (Mon)
  c-tables
    trigger, active: on update of 1 table (ALL_UPDATED):
      cat.silver.one
  c2-tables
    trigger, active: on update of 2 tables (waits 300 s after the last change, at most every 900 s):
      cat.silver.a
      cat.silver.b
  d-files
    trigger, PAUSED: when files arrive in s3://bucket/in/ (at most every 60 s)
  e-periodic
    trigger, active: every 2 HOURS
  f-continuous
    continuous, active: a new run starts whenever none is running
  f2-continuous-paused
    continuous, PAUSED: a new run starts whenever none is running
  g-caller (orchestrator)
    no trigger: runs only when started by hand or by another job
  g2-caller
    no trigger: runs only when started by hand or by another job
  h-called
    started by g-caller (task start)
    started by g2-caller (task start)
  i-by-hand
    no trigger: runs only when started by hand or by another job
  j-past
    schedule 0 0 5 * * ? 2020 (UTC), active: never fires again
  k-bad-cron
    schedule 0 0 25 * * ? (UTC), active: hours value 25 is out of range 0-23
  l-bad-zone
    schedule 0 0 5 * * ? (Mars/Olympus), active: unknown time zone, fire times not computed
"""


def test_environments_sorted_and_a_schedule_beside_a_caller():
    stack = _doc({"x": {"name": "nightly", "schedule": _schedule("0 0 23 * * ?", "America/New_York")},
                  "y": {"name": "parent", "task": _run("x")}})
    empty = {"resource": {}}
    assert describe({"prod": parse_stack("prod", stack), "dev": parse_stack("dev", empty)}, NOW, count=1) == """\
environment dev
  no jobs

environment prod
  nightly
    schedule 0 0 23 * * ? (America/New_York), active; next:
      2026-11-21 23:00:00 EST (Sat)
    started by parent (task start)
  parent
    no trigger: runs only when started by hand or by another job
"""


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        describe({}, datetime(2026, 11, 21, 12))


def test_sample_prod_daily_refresh_and_github(stacks):
    text = describe({"prod": parse_stack("prod", stacks["prod"])}, NOW)
    assert text.startswith("environment prod\n")
    assert """
  appsec-daily-refresh (orchestrator)
    schedule 0 0 5 * * ? (UTC), active; next:
      2026-11-22 05:00:00 UTC (Sun)
      2026-11-23 05:00:00 UTC (Mon)
      2026-11-24 05:00:00 UTC (Tue)
  appsec-findings-gold (atomic)
""" in text
    assert """
  github-connector (atomic)
    schedule 0 */15 * * * ? (UTC), active; next:
      2026-11-21 12:15:00 UTC (Sat)
      2026-11-21 12:30:00 UTC (Sat)
      2026-11-21 12:45:00 UTC (Sat)
    started by appsec-connectors-refresh (task github)
  servicenow-connector (atomic)
""" in text
    assert """
  appsec-connectors-refresh (composite)
    started by appsec-daily-refresh (task refresh_connectors)
""" in text


def test_sample_dev_schedules_are_paused(stacks):
    text = describe({"dev": parse_stack("dev", stacks["dev"])}, NOW, count=1)
    assert """
  cmdb-connector (atomic)
    schedule 0 0 2 * * ? (UTC), PAUSED; would fire next (if unpaused):
      2026-11-22 02:00:00 UTC (Sun)
    started by appsec-connectors-refresh (task cmdb)
""" in text
    assert "    trigger, PAUSED: on update of 5 tables (ANY_UPDATED; waits 300 s after the last change, " \
           "at most every 900 s):\n      appsec_dev.silver.github_code_scanning_alerts\n" in text
