"""`review diff` shows every non-ASCII character of a name escaped: a principal, job or schema that only looks
like another (a Cyrillic letter, a zero-width space) gets revoke and grant lines that differ visibly, while
descriptions and other text read as written."""

from __future__ import annotations

import copy
from datetime import datetime

from review.diff import diff_stack

NOW = datetime.fromisoformat("2026-11-21T12:00:00+00:00")
META = {"//": {"metadata": {"path": "prod/x", "uniqueId": "x"}}}


def _stack(**resources: dict) -> dict:
    return {"//": {"metadata": {"stackName": "prod"}}, "resource": copy.deepcopy(resources)}


def _grant(principal: str, *privileges: str, schema: str = "appsec_prod.silver") -> dict:
    return {**META, "schema": schema, "principal": principal, "privileges": list(privileges)}


def _job(name: str, **fields) -> dict:
    return {**META, "name": name, **fields}


def test_a_look_alike_principal_shows_escaped_beside_the_one_it_imitates():
    base = _stack(databricks_grant={"g": _grant("appsec-admins", "SELECT")})
    head = _stack(databricks_grant={"g": _grant("\u0430ppsec-admins", "SELECT")})
    stack = diff_stack("prod", base, head, NOW)
    assert stack.access == (
        "- appsec-admins on schema appsec_prod.silver: revoked (had SELECT)",
        "- \\u0430ppsec-admins on schema appsec_prod.silver: granted (SELECT)",
    )


def test_an_invisible_character_in_a_job_permission_principal_and_the_jobs_name():
    permissions = {**META, "job_id": "${databricks_job.j.id}", "access_control": [
        {"group_name": "appsec\u200b-engineers", "permission_level": "CAN_MANAGE"}]}
    base = _stack(databricks_job={"j": _job("gold")}, databricks_permissions={"p": {
        **permissions, "access_control": [{"group_name": "appsec-engineers", "permission_level": "CAN_MANAGE"}]}})
    head = _stack(databricks_job={"j": _job("gold\u2066")}, databricks_permissions={"p": permissions})
    stack = diff_stack("prod", base, head, NOW)
    assert stack.access == (
        "- appsec-engineers on job gold\\u2066: revoked (had CAN_MANAGE)",
        "- appsec\\u200b-engineers on job gold\\u2066: granted (CAN_MANAGE), the job is new",
    )
    assert stack.resources == (("Jobs", ("- job gold\\u2066: changed (`databricks_job.j`)",
                                         '  - `name`: `"gold"` → `"gold\\u2066"`')),)


def test_run_as_and_owner_look_alikes_are_escaped():
    base = _stack(databricks_job={"j": _job("gold", run_as={"user_name": "jane@example.com"})},
                  databricks_schema={"s": {**META, "catalog_name": "c", "name": "gold", "owner": "admins"}})
    head = _stack(databricks_job={"j": _job("gold", run_as={"user_name": "j\u0430ne@example.com"})},
                  databricks_schema={"s": {**META, "catalog_name": "c", "name": "gold", "owner": "\uff41dmins"}})
    stack = diff_stack("prod", base, head, NOW)
    assert stack.access == (
        '- job gold: run_as `{"user_name":"jane@example.com"}` → `{"user_name":"j\\u0430ne@example.com"}`',
        '- schema c.gold: owner `"admins"` → `"\\uff41dmins"`',
    )


def test_new_and_removed_jobs_with_look_alike_names_differ_in_every_section():
    base = _stack(databricks_job={"a": _job("gold-refresh", schedule={"quartz_cron_expression": "0 0 5 * * ?",
                                                                      "timezone_id": "UTC",
                                                                      "pause_status": "PAUSED"})})
    head = _stack(databricks_job={"b": _job("gold-refresh\u200b", schedule={"quartz_cron_expression": "0 0 5 * * ?",
                                                                            "timezone_id": "UTC",
                                                                            "pause_status": "PAUSED"})})
    stack = diff_stack("prod", base, head, NOW)
    assert stack.resources == (("Jobs", ("- job gold-refresh: removed (`databricks_job.a`)",
                                         "- job gold-refresh\\u200b: added (`databricks_job.b`)")),)
    assert [line for line in stack.schedules if line.startswith("- ")] == [
        "- gold-refresh (job removed): no longer runs; it had:",
        "- gold-refresh\\u200b (new job): schedule `0 0 5 * * ?` (UTC), PAUSED; would fire next (if unpaused): 2026-11-22 05:00:00 UTC (Sun), "
        "2026-11-23 05:00:00 UTC (Mon), 2026-11-24 05:00:00 UTC (Tue)",
    ]


def test_descriptions_and_ordinary_names_read_as_written():
    base = _stack(databricks_job={"j": _job("gold", description="Données")})
    head = _stack(databricks_job={"j": _job("gold", description="Données de l'équipe — 安全")},
                  databricks_grant={"g": _grant("jane.doe-2@example.com", "SELECT")})
    stack = diff_stack("prod", base, head, NOW)
    assert stack.resources == (("Jobs", ("- job gold: changed (`databricks_job.j`)",
                                         '  - `description`: `"Données"` → `"Données de l\'équipe — 安全"`')),)
    assert stack.access == ("- jane.doe-2@example.com on schema appsec_prod.silver: granted (SELECT)",)
    assert diff_stack("prod", head, head, NOW).status == "unchanged"
