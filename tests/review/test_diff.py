"""`python -m review diff`: what a change does to the synthesized stacks, in words. Exact text for small
hand-written stacks of each kind (grants, secret ACLs, permissions, data-bearing resources, jobs, schedules), then
the sample config against one edited copy of it, synthesized once, and the command line's errors and exit codes."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from connectors_config import parse_config
from review.cli import main
from review.diff import EXIT_ACCESS, EXIT_BOTH, EXIT_DATA, EXIT_OK, diff_stack, diff_synth
from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS

NOW_TEXT = "2026-11-21T12:00:00+00:00"  # a Saturday
NOW = datetime.fromisoformat(NOW_TEXT)
SP = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"
META = {"//": {"metadata": {"path": "prod/x", "uniqueId": "x"}}}  # cdktf's metadata: never a change


def _stack(**resources: dict) -> dict:
    return {"//": {"metadata": {"stackName": "prod"}}, "resource": copy.deepcopy(resources)}


def _diff(base: dict | None, head: dict | None):
    stack = diff_stack("prod", base, head, NOW)
    report = diff_synth({"prod": base} if base is not None else {}, {"prod": head} if head is not None else {}, NOW)
    return stack, report.exit_code


def _grant(securable: str, principal: str, *privileges: str, kind: str = "schema") -> dict:
    return {**META, kind: securable, "principal": principal, "privileges": list(privileges)}


# ------------------------------------------------------------------------------------------- Unity Catalog


@pytest.mark.parametrize("before, after, line", [
    (("SELECT", "USE_SCHEMA"), ("MODIFY", "SELECT", "USE_SCHEMA"),
     "- appsec-data-engineers on schema appsec_prod.silver: widened (+MODIFY)"),
    (("MODIFY", "SELECT", "USE_SCHEMA"), ("SELECT", "USE_SCHEMA"),
     "- appsec-data-engineers on schema appsec_prod.silver: narrowed (-MODIFY)"),
    (("MODIFY", "USE_SCHEMA"), ("SELECT", "USE_SCHEMA"),
     "- appsec-data-engineers on schema appsec_prod.silver: changed (+SELECT, -MODIFY)"),
])
def test_a_grant_widened_narrowed_or_changed(before, after, line):
    base = _stack(databricks_grant={"g": _grant("appsec_prod.silver", "appsec-data-engineers", *before)})
    head = _stack(databricks_grant={"g": _grant("appsec_prod.silver", "appsec-data-engineers", *after)})
    stack, code = _diff(base, head)
    assert (stack.access, stack.data, stack.resources, code) == ((line,), (), (), EXIT_ACCESS)
    assert stack.markdown() == f"## Stack prod\n\n### ⚠ Access changes (needs an extra approval)\n\n{line}\n"


def test_a_grant_revoked_and_a_new_principal_granted():
    base = _stack(databricks_grant={"readers": _grant("appsec_prod.gold", "appsec-analysts", "SELECT", "USE_SCHEMA")})
    head = _stack(databricks_grant={"writer": _grant("appsec_prod", SP, "USE_CATALOG", kind="catalog")})
    stack, code = _diff(base, head)
    assert stack.access == (
        f"- {SP} on catalog appsec_prod: granted (USE_CATALOG)",
        "- appsec-analysts on schema appsec_prod.gold: revoked (had SELECT, USE_SCHEMA)",
    )
    assert code == EXIT_ACCESS


def test_grants_blocks_and_a_securable_given_by_reference():
    """The authoritative databricks_grants, its schema a reference: each grant block is one principal's entry."""
    schema = {**META, "catalog_name": "appsec_prod", "name": "silver"}
    base = _stack(databricks_schema={"silver": schema}, databricks_grants={"all": {
        **META, "schema": "${databricks_schema.silver.id}",
        "grant": [{"principal": "appsec-analysts", "privileges": ["SELECT"]}]}})
    head = _stack(databricks_schema={"silver": schema}, databricks_grants={"all": {
        **META, "schema": "${databricks_schema.silver.id}",
        "grant": [{"principal": "appsec-analysts", "privileges": ["SELECT", "USE_SCHEMA"]},
                  {"principal": "auditors", "privileges": ["SELECT"]}]}})
    stack, code = _diff(base, head)
    assert stack.access == ("- appsec-analysts on schema appsec_prod.silver: widened (+USE_SCHEMA)",
                            "- auditors on schema appsec_prod.silver: granted (SELECT)")
    assert (stack.data, stack.resources, code) == ((), (), EXIT_ACCESS)


def test_a_renamed_grant_is_the_same_access_but_briefly_revoked():
    """A new logical id is no new access (identity is securable + principal), but Terraform recreates it."""
    base = _stack(databricks_grant={"grant_silver_a_1": _grant("appsec_prod.silver", "a", "SELECT")})
    head = _stack(databricks_grant={"grant_silver_b_2": _grant("appsec_prod.silver", "a", "SELECT")})
    stack, code = _diff(base, head)
    assert stack.access == (
        "- a on schema appsec_prod.silver: unchanged (SELECT); moves from `databricks_grant.grant_silver_a_1` to "
        "`databricks_grant.grant_silver_b_2`: Terraform destroys the old resource and creates the new one, so the "
        "access is briefly revoked during the apply",)
    assert code == EXIT_ACCESS
    swapped = _stack(databricks_grant={"grant_silver_a_1": _grant("appsec_prod.silver", "b", "SELECT")})
    stack, _ = _diff(base, swapped)  # same logical id, another principal: a revocation and a grant, not "changed"
    assert stack.access == ("- a on schema appsec_prod.silver: revoked (had SELECT)",
                            "- b on schema appsec_prod.silver: granted (SELECT)")


# ------------------------------------------------------------------------------------------ secret ACLs


def _acls(**permissions: str) -> dict:
    return _stack(
        databricks_secret_scope={"scope": {**META, "name": "mvp-connectors", "lifecycle": {"prevent_destroy": True}}},
        databricks_secret_acl={f"acl_{principal}": {**META, "principal": principal, "permission": permission,
                                                    "scope": "${databricks_secret_scope.scope.name}"}
                               for principal, permission in permissions.items()})


def test_secret_acls_revoked_widened_and_narrowed():
    stack, code = _diff(_acls(admins="MANAGE", svc="READ", ops="WRITE"), _acls(svc="MANAGE", ops="READ"))
    assert stack.access == ("- admins on secret scope mvp-connectors: revoked (had MANAGE)",
                            "- ops on secret scope mvp-connectors: narrowed (WRITE → READ)",
                            "- svc on secret scope mvp-connectors: widened (READ → MANAGE)")
    assert (stack.data, stack.resources, code) == ((), (), EXIT_ACCESS)


# ------------------------------------------------------------------------------------ object permissions


def _job(name: str, **fields) -> dict:
    return {**META, "name": name, **fields}


def _permissions(target: str, attribute: str = "job_id", **levels: str) -> dict:
    return {**META, attribute: target, "access_control": [
        {"service_principal_name" if principal == "sp" else "group_name": principal, "permission_level": level}
        for principal, level in levels.items()]}


def test_job_permission_widened_by_job_name():
    jobs = {"github_job_1": _job("github-connector")}
    base = _stack(databricks_job=jobs, databricks_permissions={
        "p": _permissions("${databricks_job.github_job_1.id}", admins="CAN_MANAGE", engineers="CAN_MANAGE_RUN")})
    head = _stack(databricks_job=jobs, databricks_permissions={
        "p": _permissions("${databricks_job.github_job_1.id}", admins="CAN_MANAGE", engineers="CAN_MANAGE")})
    stack, code = _diff(base, head)
    assert stack.access == ("- engineers on job github-connector: widened (CAN_MANAGE_RUN → CAN_MANAGE)",)
    assert code == EXIT_ACCESS


def test_pipeline_and_notebook_permissions_by_name_and_path():
    resources = {
        "databricks_directory": {"folder": {**META, "path": "/Applications/x/prod"}},
        "databricks_notebook": {"nb": {**META, "path": "${databricks_directory.folder.path}/ingest_entry"}},
        "databricks_pipeline": {"pl": {**META, "name": "servicenow-ingestion"}},
    }
    base = _stack(**resources, databricks_permissions={
        "on_pipeline": _permissions("${databricks_pipeline.pl.id}", "pipeline_id", engineers="CAN_MANAGE",
                                    sp="CAN_RUN"),
        "on_notebook": _permissions("${databricks_notebook.nb.path}", "notebook_path", engineers="CAN_READ"),
        "on_folder": _permissions("${databricks_directory.folder.path}", "directory_path", admins="CAN_MANAGE")})
    head = _stack(**resources, databricks_permissions={
        "on_pipeline": _permissions("${databricks_pipeline.pl.id}", "pipeline_id", engineers="CAN_RUN", sp="CAN_RUN"),
        "on_notebook": _permissions("${databricks_notebook.nb.path}", "notebook_path", engineers="CAN_EDIT"),
        "on_folder": _permissions("${databricks_directory.folder.path}", "directory_path", admins="CAN_MANAGE",
                                  sp="CAN_RUN")})
    stack, code = _diff(base, head)
    assert stack.access == (
        "- sp on directory /Applications/x/prod: granted (CAN_RUN)",
        "- engineers on notebook /Applications/x/prod/ingest_entry: widened (CAN_READ → CAN_EDIT)",
        "- engineers on pipeline servicenow-ingestion: narrowed (CAN_MANAGE → CAN_RUN)",
    )
    assert code == EXIT_ACCESS


def test_run_as_and_owner_changes_are_access_changes():
    base = _stack(databricks_job={"j": _job("gold", run_as={"service_principal_name": "a"})},
                  databricks_schema={"s": {**META, "catalog_name": "c", "name": "gold", "owner": "admins"}})
    head = _stack(databricks_job={"j": _job("gold", run_as={"service_principal_name": "b"})},
                  databricks_schema={"s": {**META, "catalog_name": "c", "name": "gold", "owner": "engineers"}})
    stack, code = _diff(base, head)
    assert stack.access == (
        '- job gold: run_as `{"service_principal_name":"a"}` → `{"service_principal_name":"b"}`',
        '- schema c.gold: owner `"admins"` → `"engineers"`',
    )
    assert code == EXIT_ACCESS


# ------------------------------------------------------------------------------- data-bearing resources


def _schema(catalog: str = "appsec_prod", name: str = "silver", protected: bool = True) -> dict:
    return {**META, "catalog_name": catalog, "name": name, "force_destroy": False,
            **({"lifecycle": {"prevent_destroy": True}} if protected else {})}


def test_schema_replaced_when_its_catalog_changes():
    base = _stack(databricks_schema={"catalog_silver_1": _schema()})
    for protected, protection in (
            (True, "protected: lifecycle.prevent_destroy makes Terraform refuse this plan"),
            (False, "not protected by lifecycle.prevent_destroy: deploying deletes it and creates an empty one")):
        head = _stack(databricks_schema={"catalog_silver_1": _schema("appsec_other", protected=protected)})
        stack, code = _diff(base, head)
        assert stack.data == (
            "- schema appsec_prod.silver: **replaced** (`databricks_schema.catalog_silver_1`): `catalog_name` "
            '`"appsec_prod"` → `"appsec_other"` forces a new resource',
            "  - force_destroy is off: Unity Catalog refuses to drop it while it still holds tables",
            f"  - {protection}")
        changes = ('  - `catalog_name`: `"appsec_prod"` → `"appsec_other"`',) + (
            () if protected else ("  - `lifecycle`: `{\"prevent_destroy\":true}` → `(absent)`",))
        assert stack.resources == (("Schemas, catalogs, volumes, tables and secret scopes", (
            "- schema appsec_other.silver: replaced (`databricks_schema.catalog_silver_1`)", *changes)),)
        assert (stack.access, code) == ((), EXIT_DATA)


def test_schema_comment_changed_in_place_is_no_data_change():
    base = _stack(databricks_schema={"s": {**_schema(), "comment": "old"}})
    head = _stack(databricks_schema={"s": {**_schema(), "comment": "new"}})
    stack, code = _diff(base, head)
    assert (stack.data, code) == ((), EXIT_OK)
    assert stack.resources == (("Schemas, catalogs, volumes, tables and secret scopes", (
        "- schema appsec_prod.silver: changed (`databricks_schema.s`)", '  - `comment`: `"old"` → `"new"`')),)


def test_schema_deleted():
    stack, code = _diff(_stack(databricks_schema={"catalog_gold_1": _schema(name="gold")}), _stack())
    assert stack.data == (
        "- schema appsec_prod.gold: **deleted** (`databricks_schema.catalog_gold_1`)",
        "  - force_destroy is off: Unity Catalog refuses to drop it while it still holds tables",
        "  - lifecycle.prevent_destroy does not stop it: it leaves with the resource block, so Terraform deletes "
        "it anyway")
    assert code == EXIT_DATA


def test_schema_under_a_new_logical_id_is_replaced_unless_moved():
    base = _stack(databricks_schema={"old_id": _schema()})
    head = _stack(databricks_schema={"new_id": _schema()})
    stack, code = _diff(base, head)
    assert stack.data[0] == (
        "- schema appsec_prod.silver: **replaced**: its logical id changes from `databricks_schema.old_id` to "
        "`databricks_schema.new_id` (a renamed construct id), so Terraform destroys it and creates a new one; a "
        "`moved` block would keep it")
    assert code == EXIT_DATA
    moved = {**head, "moved": [{"from": "databricks_schema.old_id", "to": "databricks_schema.new_id"}]}
    stack, code = _diff(base, moved)
    assert (stack.data, code) == ((), EXIT_OK)
    assert stack.resources == (("Schemas, catalogs, volumes, tables and secret scopes", (
        "- schema appsec_prod.silver: moves from `databricks_schema.old_id` to `databricks_schema.new_id` "
        "(a `moved` block: kept)",)),)


def _pipeline(**fields) -> dict:
    return {**META, "name": "servicenow-ingestion", "catalog": "appsec_prod", "schema": "servicenow",
            "ingestion_definition": {"connection_name": "servicenow_prod", "objects": [
                {"table": {"destination_catalog": "appsec_prod", "destination_schema": "servicenow",
                           "source_schema": "tables", "source_table": "incident"}},
                {"schema": {"destination_catalog": "appsec_prod", "destination_schema": "servicenow",
                            "source_schema": "cmdb"}}]}, **fields}


@pytest.mark.parametrize("protected, protection", [
    (True, "  - lifecycle.prevent_destroy does not stop it: it leaves with the resource block, so Terraform "
           "deletes it anyway"),
    (False, "  - not protected by lifecycle.prevent_destroy"),
])
def test_pipeline_deleted_with_and_without_prevent_destroy(protected, protection):
    lifecycle = {"lifecycle": {"prevent_destroy": True}} if protected else {}
    stack, code = _diff(_stack(databricks_pipeline={"sn_pipeline_1": _pipeline(**lifecycle)}), _stack())
    assert stack.data == (
        "- pipeline servicenow-ingestion: **deleted** (`databricks_pipeline.sn_pipeline_1`)",
        "  - a managed ingestion pipeline owns its tables: deleting it drops appsec_prod.servicenow.incident, "
        "appsec_prod.servicenow.* (every table of source schema cmdb); the next update re-ingests everything "
        "from the source (SCD type 2 history is lost)",
        protection)
    assert stack.resources == (("Pipelines", (
        "- pipeline servicenow-ingestion: removed (`databricks_pipeline.sn_pipeline_1`)",)),)
    assert code == EXIT_DATA


def test_pipeline_connection_change_replaces_it():
    base = _stack(databricks_pipeline={"p": _pipeline(lifecycle={"prevent_destroy": True})})
    changed = _pipeline(lifecycle={"prevent_destroy": True})
    changed["ingestion_definition"]["connection_name"] = "servicenow_prod_v2"
    stack, code = _diff(base, _stack(databricks_pipeline={"p": changed}))
    assert stack.data[0] == ("- pipeline servicenow-ingestion: **replaced** (`databricks_pipeline.p`): "
                             '`ingestion_definition.connection_name` `"servicenow_prod"` → `"servicenow_prod_v2"` '
                             "forces a new resource")
    assert stack.data[2] == "  - protected: lifecycle.prevent_destroy makes Terraform refuse this plan"
    assert code == EXIT_DATA


def test_secret_scope_deleted_with_an_acl_is_both():
    stack, code = _diff(_acls(admins="MANAGE"), _stack())
    assert stack.data[:2] == (
        "- secret scope mvp-connectors: **deleted** (`databricks_secret_scope.scope`)",
        "  - every secret in it is deleted (load them again with `python -m operations load-secrets`)")
    assert stack.access == ("- admins on secret scope mvp-connectors: revoked (had MANAGE), the secret scope is "
                            "removed",)
    assert code == EXIT_BOTH


# ------------------------------------------------------------------------------------------------ jobs


def _task(key: str, settings: str, notebook: str = "ingest") -> dict:
    return {"task_key": key, "notebook_task": {
        "notebook_path": f"${{databricks_notebook.{notebook}.path}}",
        "base_parameters": {"settings": settings, "source": "github"}}}


def _notebooks(**names: str) -> dict:
    return {name: {**META, "path": f"/Applications/x/{name}",
                   "source": f"assets/notebooks_{name}/{content}/{name}.py"} for name, content in names.items()}


def test_changed_job_fields_as_dotted_paths():
    long = "x" * 100
    base = _stack(databricks_notebook=_notebooks(ingest="AAAA1111BBBB2222", transform="CCCC"),
                  databricks_job={"github_job_1": _job("github-connector", max_concurrent_runs=1, task=[
                      _task("ingest", '{"organisation":"acme"}'), _task("transform", '{"organisation":"acme"}',
                                                                         "transform")])})
    head = _stack(databricks_notebook=_notebooks(ingest="FFFF9999EEEE8888", transform="CCCC"),
                  databricks_job={"github_job_1": _job("github-connector", task=[
                      _task("ingest", '{"organisation":"acme"}'), _task("transform", long, "transform"),
                      {"task_key": "zz_notify", "run_if": "ALL_DONE"}])})
    stack, code = _diff(base, head)
    assert stack.resources == (
        ("Jobs", ("- job github-connector: changed (`databricks_job.github_job_1`)",
                  "  - `max_concurrent_runs`: `1` → `(absent)`",
                  '  - `task[1].notebook_task.base_parameters.settings`: `"{\\"organisation\\":\\"acme\\"}"` → '
                  f'`"{"x" * 78}…`',
                  '  - `task[2]`: `(absent)` → `{task_key: "zz_notify", …}`')),
        ("Notebooks, workspace files and folders", (
            "- notebook /Applications/x/ingest: changed (`databricks_notebook.ingest`)",
            "  - `source`: content changed (asset AAAA1111BBBB → FFFF9999EEEE)")),
    )
    assert (stack.access, stack.data, stack.schedules, code) == ((), (), (), EXIT_OK)


def test_a_renamed_job_construct_is_recreated():
    """The same job under another logical id: Terraform destroys and recreates it (a new job id)."""
    stack, code = _diff(_stack(databricks_job={"old_1": _job("gold", max_concurrent_runs=1)}),
                        _stack(databricks_job={"new_2": _job("gold", max_concurrent_runs=2)}))
    assert stack.resources == (("Jobs", (
        "- job gold: logical id changes from `databricks_job.old_1` to `databricks_job.new_2`: Terraform destroys it "
        "and creates it again (a `moved` block would keep it)",
        "  - `max_concurrent_runs`: `1` → `2`")),)
    assert code == EXIT_OK


def test_a_job_renamed_in_place_keeps_its_permissions():
    """Same logical id, new name: the same job (its id stays), so its permissions did not change."""
    permissions = {"p": _permissions("${databricks_job.j.id}", engineers="CAN_MANAGE_RUN")}
    stack, code = _diff(_stack(databricks_job={"j": _job("old-name")}, databricks_permissions=permissions),
                        _stack(databricks_job={"j": _job("new-name")}, databricks_permissions=permissions))
    assert (stack.access, code) == ((), EXIT_OK)
    assert stack.resources == (("Jobs", ("- job new-name: changed (`databricks_job.j`)",
                                         '  - `name`: `"old-name"` → `"new-name"`')),)


def _scheduled(cron: str, paused: bool = False, zone: str = "UTC") -> dict:
    return _stack(databricks_job={"j": _job("sonarqube-connector", schedule={
        "quartz_cron_expression": cron, "timezone_id": zone, "pause_status": "PAUSED" if paused else "UNPAUSED"})})


def test_schedule_changed_with_fire_times_before_and_after():
    stack, code = _diff(_scheduled("0 0 */3 * * ?"), _scheduled("0 0 6 * * ?", zone="Europe/Berlin"))
    assert stack.schedules == (
        "- sonarqube-connector: schedule changed",
        "  - before: `0 0 */3 * * ?` (UTC), active; next: 2026-11-21 15:00:00 UTC (Sat), 2026-11-21 18:00:00 UTC "
        "(Sat), 2026-11-21 21:00:00 UTC (Sat)",
        "  - after: `0 0 6 * * ?` (Europe/Berlin), active; next: 2026-11-22 06:00:00 CET (Sun), 2026-11-23 06:00:00 "
        "CET (Mon), 2026-11-24 06:00:00 CET (Tue)")
    assert stack.resources[0][1][1:] == (
        '  - `schedule.quartz_cron_expression`: `"0 0 */3 * * ?"` → `"0 0 6 * * ?"`',
        '  - `schedule.timezone_id`: `"UTC"` → `"Europe/Berlin"`')
    assert code == EXIT_OK


def test_schedule_unpaused_and_triggers_in_words():
    stack, _ = _diff(_scheduled("0 0 5 * * ?", paused=True), _scheduled("0 0 5 * * ?"))
    assert stack.schedules == (
        "- sonarqube-connector: schedule unpaused: it now fires on its own",
        "  - before: `0 0 5 * * ?` (UTC), PAUSED; would fire next (if unpaused): 2026-11-22 05:00:00 UTC (Sun), "
        "2026-11-23 05:00:00 UTC (Mon), 2026-11-24 05:00:00 UTC (Tue)",
        "  - after: `0 0 5 * * ?` (UTC), active; next: 2026-11-22 05:00:00 UTC (Sun), 2026-11-23 05:00:00 UTC "
        "(Mon), 2026-11-24 05:00:00 UTC (Tue)")
    base = _stack(databricks_job={"g": _job("gold", trigger={"table_update": {"table_names": ["c.s.a"]}})})
    head = _stack(databricks_job={"g": _job("gold", trigger={"pause_status": "PAUSED",
                                                             "periodic": {"interval": 2, "unit": "HOURS"}})})
    stack, _ = _diff(base, head)
    assert stack.schedules == ("- gold: trigger changed", "  - before: on update of 1 table: c.s.a, active",
                               "  - after: every 2 HOURS, PAUSED")


# ---------------------------------------------------------------------------------------- whole stacks


def test_identical_stacks_have_no_changes():
    base = _stack(databricks_job={"j": _job("a")}, databricks_grant={"g": _grant("c.s", "p", "SELECT")})
    head = copy.deepcopy(base)
    head["resource"]["databricks_job"]["j"]["//"] = {"metadata": {"path": "prod/other", "uniqueId": "y"}}
    head["resource"]["databricks_grant"]["g"]["depends_on"] = ["databricks_schema.s"]
    report = diff_synth({"prod": base}, {"prod": head}, NOW)
    assert report.exit_code == EXIT_OK
    assert report.markdown() == (
        "# Synthesized stacks: what this change deploys\n\n- **prod**: no changes\n\n"
        "No access change, and no data-bearing resource deleted or replaced (exit status 0).\n\n"
        "## Stack prod\n\nNo changes.\n")


def test_stacks_added_and_removed():
    staging = _stack(databricks_grant={"g": _grant("c.s", "p", "SELECT")})
    report = diff_synth({"qa": _stack(databricks_job={"j": _job("a")})}, {"staging": staging}, NOW)
    assert report.exit_code == EXIT_ACCESS  # the new stack grants access; the removed one deletes nothing
    assert report.markdown() == (
        "# Synthesized stacks: what this change deploys\n\n"
        "- **qa**: ⚠ no longer synthesized (left deployed: 1 resource)\n"
        "- **staging**: new stack: ⚠ 1 access change, 0 resource changes\n\n"
        "**⚠ Needs an extra approval**: access changes (exit status 3).\n\n"
        "## Stack qa (removed)\n\n⚠ The environment qa is no longer synthesized. Deploying does not touch it: what "
        "it deployed (1 resource) stays in the workspace and in its Terraform state until someone runs "
        "`cdktf destroy qa`.\n\n"
        "## Stack staging (new)\n\nA new environment: deploying creates every resource below.\n\n"
        "### ⚠ Access changes (needs an extra approval)\n\n- p on schema c.s: granted (SELECT)\n")


# ------------------------------------------------------------------- the sample config and an edited copy


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the sample config changed: {old!r} is not in it exactly once"
    return text.replace(old, new)


def head_config_text() -> str:
    """The sample connectors.yaml with one pull request's worth of edits (each asserted below)."""
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    # Widened: the team may manage the daily refresh (it has CAN_MANAGE_RUN). A job's `permissions` is the config
    # knob that widens an existing principal; no knob widens an existing principal's Unity Catalog privileges
    # (they follow from its role: writer, reader, pipeline), so that kind is covered by the unit tests above.
    text = _edit(text, "    job_level: orchestrator\n    name: appsec-daily-refresh\n",
                 "    job_level: orchestrator\n    name: appsec-daily-refresh\n    permissions:\n"
                 "      - level: CAN_MANAGE\n        group_name: appsec-data-engineers\n")
    # Revoked secret ACL: dev's admin group changes, so the old group loses MANAGE on the scope (and its jobs).
    dev = "    workspace_dir: /Applications/appsec-connectors/dev\n    admin_group: "
    text = _edit(text, f"{dev}appsec-platform-admins\n", f"{dev}appsec-dev-admins\n")
    # A new batch connector: GitHub again, for a second organisation, with its own secret.
    text = _edit(text, "  # Active scanner: every 3 hours.\n", (
        "  - name: github_oss\n    kind: batch\n    source: github\n    description: Open-source organisation.\n"
        '    schedule: "0 5/15 * * * ?"\n    settings:\n      organisation: acme-oss\n'
        "    secrets: [github_oss-token]\n\n  # Active scanner: every 3 hours.\n"))
    # A changed schedule: SonarQube every 2 hours instead of 3.
    text = _edit(text, 'schedule: "0 0 */3 * * ?"', 'schedule: "0 0 */2 * * ?"')
    # A deleted pipeline: the lakeflow_connect connector servicenow goes (no lock is passed: no guard), and the
    # composite job's task that ran it.
    start, end = text.index("  # Lakeflow Connect: Databricks' managed"), text.index("# The job hierarchy: ")
    text = text[:start] + text[end:]
    return _edit(text, "      - task_key: servicenow\n        run_job_task:\n          job_id: "
                       "${resources.jobs.servicenow.id}\n", "")


@pytest.fixture(scope="module")
def head_synth(tmp_path_factory) -> Path:
    """The edited config, synthesized once, in process (imports resolve against the sample's folder)."""
    import stacks.app

    config = parse_config(head_config_text(), str(SAMPLE_CONFIG), lock=None, base_dir=SAMPLE_DIR)
    outdir = tmp_path_factory.mktemp("head") / "cdktf.out"
    stacks.app.synth(config, str(outdir), notebooks_dir=SAMPLE_NOTEBOOKS)
    return outdir


def _section(out: str, env: str, heading: str) -> str:
    """The lines under `### heading` in the stack `env`."""
    stack = out.split(f"\n## Stack {env}\n", 1)[1].split("\n## Stack ", 1)[0]
    return stack.split(f"\n### {heading}\n\n", 1)[1].split("\n### ", 1)[0]


def test_config_pair(capsys, synthesized, head_synth):
    code = main(["diff", str(synthesized), str(head_synth), "--now", NOW_TEXT])
    out, err = capsys.readouterr()
    assert (code, err) == (EXIT_BOTH, "")
    assert str(synthesized) not in out and str(head_synth) not in out
    assert out.startswith(
        "# Synthesized stacks: what this change deploys\n\n"
        "- **dev**: ⚠ 34 access changes, ⚠ 2 data-bearing resources deleted or replaced, 9 resource changes, "
        "4 schedule or trigger changes\n"
        "- **prod**: ⚠ 13 access changes, ⚠ 2 data-bearing resources deleted or replaced, 9 resource changes, "
        "4 schedule or trigger changes\n\n"
        "**⚠ Needs an extra approval**: access changes and data-bearing resources deleted or replaced "
        "(exit status 5).\n\n## Stack dev\n\n### ⚠ Access changes (needs an extra approval)\n\n")
    for env, sp in (("dev", "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"), ("prod", SP)):
        access = _section(out, env, "⚠ Access changes (needs an extra approval)")
        assert "- appsec-data-engineers on job appsec-daily-refresh: widened (CAN_MANAGE_RUN → CAN_MANAGE)\n" in access
        if env == "dev":  # the head config's dev admin group manages the monitoring too, by name in the review
            assert ("- appsec-dev-admins on alert Connector platform dev: jobs needing attention: granted "
                    "(CAN_MANAGE)\n") in access
        assert ("- appsec-data-engineers on job github_oss-connector: granted (CAN_MANAGE_RUN), the job is "
                "new\n") in access
        assert (f"- {sp} on schema appsec_{env}.servicenow: revoked (had CREATE_TABLE, USE_SCHEMA), the schema "
                "is removed\n") in access
        assert f"- {sp} on connection servicenow_{env}: revoked (had USE_CONNECTION)\n" in access
        data = _section(out, env, "⚠ Data-bearing resources deleted or replaced")
        assert data == (
            "- pipeline servicenow-ingestion: **deleted** (`databricks_pipeline.servicenow_pipeline_90883156`)\n"
            f"  - a managed ingestion pipeline owns its tables: deleting it drops appsec_{env}.servicenow.incident, "
            f"appsec_{env}.servicenow.cmdb_ci_appl, appsec_{env}.servicenow.sys_user; the next update re-ingests "
            "everything from the source (SCD type 2 history is lost)\n"
            "  - lifecycle.prevent_destroy does not stop it: it leaves with the resource block, so Terraform deletes "
            "it anyway\n"
            f"- schema appsec_{env}.servicenow: **deleted** (`databricks_schema.catalog_schema_servicenow_6A8EF5F0`)\n"
            "  - force_destroy is off: Unity Catalog refuses to drop it while it still holds tables\n"
            "  - lifecycle.prevent_destroy does not stop it: it leaves with the resource block, so Terraform deletes "
            "it anyway\n")
        resources = _section(out, env, "Resource changes")
        assert resources.startswith(
            "#### Jobs\n\n"
            "- job appsec-connectors-refresh: changed (`databricks_job.jobs_connectors_refresh_job_4A6ED939`)\n"
            '  - `task[2]`: `{task_key: "servicenow", …}` → `(absent)`\n'
            # Gold reads every connector of its sources: the new GitHub connector's tables too, with no edit to it.
            "- job appsec-findings-gold: changed (`databricks_job.jobs_findings_gold_job_989D3F68`)\n"
            '  - `parameter[0].default`: `"github,sonarqube"` → `"github,github_oss:github,sonarqube"`\n'
            f'  - `trigger.table_update.table_names[3]`: `"appsec_{env}.silver.sonarqube_issues"` → '
            f'`"appsec_{env}.silver.github_oss_code_scanning_alerts"`\n'
            f'  - `trigger.table_update.table_names[4]`: `"appsec_{env}.silver.sonarqube_security_hotspots"` → '
            f'`"appsec_{env}.silver.github_oss_dependabot_alerts"`\n'
            f'  - `trigger.table_update.table_names[5]`: `(absent)` → '
            f'`"appsec_{env}.silver.github_oss_secret_scanning_alerts"`\n'
            f'  - `trigger.table_update.table_names[6]`: `(absent)` → `"appsec_{env}.silver.sonarqube_issues"`\n'
            f'  - `trigger.table_update.table_names[7]`: `(absent)` → '
            f'`"appsec_{env}.silver.sonarqube_security_hotspots"`\n'
            "- job github_oss-connector: added (`databricks_job.github_oss_job_26A48DAA`)\n"
            "- job servicenow-connector: removed (`databricks_job.servicenow_job_E1C93306`)\n"
            "- job sonarqube-connector: changed (`databricks_job.sonarqube_job_5EA1756F`)\n"
            '  - `schedule.quartz_cron_expression`: `"0 0 */3 * * ?"` → `"0 0 */2 * * ?"`\n\n'
            "#### Pipelines\n\n- pipeline servicenow-ingestion: removed")
        schedules = _section(out, env, "Schedules and triggers")
        state = "PAUSED; would fire next (if unpaused)" if env == "dev" else "active; next"
        assert ("- sonarqube-connector: schedule changed\n"
                f"  - before: `0 0 */3 * * ?` (UTC), {state}: 2026-11-21 15:00:00 UTC (Sat), 2026-11-21 18:00:00 UTC "
                "(Sat), 2026-11-21 21:00:00 UTC (Sat)\n"
                f"  - after: `0 0 */2 * * ?` (UTC), {state}: 2026-11-21 14:00:00 UTC (Sat), 2026-11-21 16:00:00 UTC "
                "(Sat), 2026-11-21 18:00:00 UTC (Sat)\n") in schedules
        assert schedules.startswith("- appsec-findings-gold: trigger changed\n  - before: on update of 5 tables")
        assert f"  - after: on update of 8 tables (ANY_UPDATED; waits 300 s after the last change, at most every " \
               f"900 s): appsec_{env}.silver.github_code_scanning_alerts" in schedules
        assert (f"- github_oss-connector (new job): schedule `0 5/15 * * * ?` (UTC), {state}: "
                "2026-11-21 12:05:00 UTC (Sat)") in schedules
    dev_access = _section(out, "dev", "⚠ Access changes (needs an extra approval)")
    assert "- appsec-platform-admins on secret scope mvp-connectors: revoked (had MANAGE)\n" in dev_access
    assert "- appsec-dev-admins on secret scope mvp-connectors: granted (MANAGE)\n" in dev_access
    assert "secret scope" not in _section(out, "prod", "⚠ Access changes (needs an extra approval)")


def test_config_pair_reversed_restores_what_was_removed(capsys, synthesized, head_synth):
    code = main(["diff", str(head_synth), str(synthesized), "--now", NOW_TEXT, "--env", "prod"])
    out, err = capsys.readouterr()
    assert (code, err) == (EXIT_ACCESS, "")  # adding the pipeline back deletes nothing
    assert "## Stack dev" not in out
    assert "- appsec-data-engineers on job appsec-daily-refresh: narrowed (CAN_MANAGE → CAN_MANAGE_RUN)\n" in out
    assert "- pipeline servicenow-ingestion: added (`databricks_pipeline.servicenow_pipeline_90883156`)\n" in out


def test_the_sample_against_itself(capsys, synthesized):
    assert main(["diff", str(synthesized), str(synthesized), "--now", NOW_TEXT]) == EXIT_OK
    out, err = capsys.readouterr()
    assert err == ""
    assert out.endswith("## Stack dev\n\nNo changes.\n\n## Stack prod\n\nNo changes.\n")


# ------------------------------------------------------------------------------------------ command line


USAGE = ("usage: python -m review diff [-h] [--env ENV [ENV ...]] [--now TIME]\n"
         "                             [--count N]\n"
         "                             BASE HEAD\n")


def test_usage_errors(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["diff"]) == 2
    assert capsys.readouterr() == ("", f"{USAGE}python -m review diff: error: the following arguments are "
                                       "required: BASE, HEAD\n")
    assert main(["diff", "a", "b", "--now", "2026-11-21T12:00:00"]) == 2
    assert capsys.readouterr().err.endswith(
        "error: argument --now: '2026-11-21T12:00:00' has no UTC offset (write e.g. 2026-11-21T12:00:00+00:00)\n")


def _suppressed(path: str, reasons: dict[str, str]) -> dict:
    """A stack with one notebook carrying the policy pack's suppression comments, as the synth writes them."""
    comment: dict[str, object] = {"metadata": {"path": path, "uniqueId": "nb"}}
    if reasons:
        comment["policy_suppressions"] = [{"rule": rule, "reason": reason} for rule, reason in sorted(reasons.items())]
    return {"resource": {"databricks_notebook": {"nb": {"//": comment, "path": "/Applications/x/nb"}}}}


def test_policy_suppressions_show_with_their_reasons_and_new_ones_need_approval():
    base = _suppressed("prod/nb", {"CP-RUN-AS": "kept for the legacy export", "CP-CROSS-ENV": "old reason text",
                                   "CP-SECRET-LITERAL": "a fixture value, not a secret"})
    head = _suppressed("prod/nb", {"CP-RUN-AS": "kept for the legacy export", "CP-CROSS-ENV": "the new reason",
                                   "CP-WORKSPACE-PATH": "moves out of /Shared in Q3"})
    stack = diff_stack("prod", base, head, NOW)
    assert stack.suppressions == (
        "- CP-CROSS-ENV on prod/nb: **reason changed**: old reason text → the new reason",
        "- CP-RUN-AS on prod/nb: kept; reason: kept for the legacy export",
        "- CP-WORKSPACE-PATH on prod/nb: **new**; reason: moves out of /Shared in Q3",
        "- CP-SECRET-LITERAL on prod/nb: lifted (the rule applies to it again)",
    )
    assert (stack.new_suppressions, stack.access_changed, stack.access) == (2, True, ())
    assert stack.counts() == "⚠ 2 new policy suppressions, 0 resource changes"
    assert "### ⚠ Policy suppressions (new ones need an extra approval)\n\n- CP-CROSS-ENV" in stack.markdown()
    assert diff_synth({"prod": base}, {"prod": head}, NOW).exit_code == EXIT_ACCESS


def test_kept_suppressions_are_shown_but_need_no_approval_and_lifting_one_is_a_change():
    kept = _suppressed("dev/nb", {"CP-RUN-AS": "kept for the legacy export"})
    same = diff_stack("dev", kept, kept, NOW)
    assert (same.status, same.access_changed) == ("unchanged", False)
    lifted = diff_stack("dev", kept, _suppressed("dev/nb", {}), NOW)
    assert (lifted.status, lifted.access_changed, lifted.suppressions) == (
        "changed", False, ("- CP-RUN-AS on dev/nb: lifted (the rule applies to it again)",))
    assert "### Policy suppressions\n\n- CP-RUN-AS on dev/nb: lifted" in lifted.markdown()


def test_help_lists_the_exit_codes(capsys):
    assert main(["diff", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(
        "exit status:\n"
        "  0  no access change, and no data-bearing resource deleted or replaced\n"
        "  1  error (no synthesized stacks in a folder, an unreadable stack, an unknown environment)\n"
        "  2  usage error\n"
        "  3  access changed (grants, secret ACLs, permissions, run_as or owner), or a policy suppression added or "
        "changed\n"
        "  4  a data-bearing resource (schema, catalog, volume, table, pipeline, secret scope) is deleted or replaced\n"
        "  5  both 3 and 4\n")


def test_missing_folders(capsys, synthesized, tmp_path):
    missing = tmp_path / "base" / "cdktf.out"
    assert main(["diff", str(missing), str(synthesized)]) == 1
    assert capsys.readouterr() == ("", f"error: no synthesized stacks in {missing} (it has no "
                                       "stacks/<env>/cdk.tf.json): run `make synth` first\n")
    assert main(["diff", str(synthesized), str(missing)]) == 1
    assert capsys.readouterr().err == (f"error: no synthesized stacks in {missing} (it has no "
                                       "stacks/<env>/cdk.tf.json): run `make synth` first\n")


def test_unreadable_stack(capsys, synthesized, tmp_path):
    broken = tmp_path / "cdktf.out"
    (broken / "stacks" / "prod").mkdir(parents=True)
    (broken / "stacks" / "prod" / "cdk.tf.json").write_text("{")
    assert main(["diff", str(synthesized), str(broken)]) == 1
    assert capsys.readouterr().err == (f"error: the stack prod in {broken} cannot be read (Expecting property name "
                                       "enclosed in double quotes: line 1 column 2 (char 1)): run `make synth` again\n")


def test_env_picks_stacks_and_unknown_ones_are_errors(capsys, synthesized, tmp_path):
    head = tmp_path / "cdktf.out"
    (head / "stacks" / "prod").mkdir(parents=True)
    document = json.loads((synthesized / "stacks" / "prod" / "cdk.tf.json").read_text())
    del document["resource"]["databricks_secret_acl"]
    (head / "stacks" / "prod" / "cdk.tf.json").write_text(json.dumps(document))
    assert main(["diff", str(synthesized), str(head), "--env", "prod", "--now", NOW_TEXT]) == EXIT_ACCESS
    out = capsys.readouterr().out
    assert out.startswith("# Synthesized stacks: what this change deploys\n\n- **prod**: ⚠ 2 access changes, "
                          "0 resource changes\n")
    assert "## Stack dev" not in out
    assert main(["diff", str(synthesized), str(head), "--env", "dev", "--now", NOW_TEXT]) == EXIT_OK
    assert "- **dev**: ⚠ no longer synthesized (" in capsys.readouterr().out
    assert main(["diff", str(synthesized), str(head), "--env", "staging"]) == 1
    assert capsys.readouterr() == ("", "error: no environment 'staging' in the stacks (environments: dev, prod)\n")



def _cluster_job(name: str, **spark_conf: str) -> dict:
    return _job(name, task=[{"task_key": "a", "new_cluster": {"spark_version": "14.3.x-scala2.12",
                                                             "spark_conf": spark_conf}}])


def test_a_secret_a_jobs_cluster_reads_added_or_removed_is_an_access_change():
    base = _stack(databricks_job={"j": _cluster_job("gold", **{
        "spark.hadoop.fs.s3a.secret.key": "{{secrets/connectors-prod/s3-key}}", "spark.sql.shuffle.partitions": "8"})})
    head = _stack(databricks_job={"j": _cluster_job("gold", **{
        "spark.hadoop.fs.s3a.secret.key": "{{secrets/connectors-prod/s3-key-v2}}",
        "spark.sql.shuffle.partitions": "8"})})
    stack, code = _diff(base, head)
    assert stack.access == ("- job gold: reads secret `{{secrets/connectors-prod/s3-key-v2}}`",
                            "- job gold: no longer reads secret `{{secrets/connectors-prod/s3-key}}`")
    assert code == EXIT_ACCESS


def test_a_new_job_reading_a_secret_is_an_access_change_and_other_cluster_settings_are_not():
    base = _stack(databricks_job={"j": _cluster_job("gold", **{"spark.sql.shuffle.partitions": "8"})})
    head = _stack(databricks_job={"j": _cluster_job("gold", **{"spark.sql.shuffle.partitions": "16"}),
                                  "k": _cluster_job("export", DB_PASSWORD="{{secrets/connectors-prod/db-password}}")})
    stack, code = _diff(base, head)
    assert stack.access == ("- job export: reads secret `{{secrets/connectors-prod/db-password}}`",)
    assert code == EXIT_ACCESS


def test_a_changed_multiline_text_shows_its_changed_lines():
    from review.diff import change_line

    before = "SELECT 1\nFROM jobs\nWHERE job IN ('a', 'b')\n"
    after = "SELECT 1\nFROM jobs\nWHERE job IN ('a', 'c')\n"
    assert change_line("query_text", before, after) == (
        "  - `query_text`: changed lines\n    ```diff\n    -WHERE job IN ('a', 'b')\n    +WHERE job IN ('a', 'c')\n"
        "    ```")


def test_a_long_text_diff_is_cut_and_a_fence_in_the_text_cannot_close_the_block():
    from review.diff import MAX_TEXT_LINES, change_line

    before = "\n".join(f"line {n}" for n in range(20))
    after = "\n".join(f"line {n}!" for n in range(20))
    shown = change_line("description", before, after).splitlines()
    assert shown[2:2 + MAX_TEXT_LINES] == [f"    -line {n}" for n in range(MAX_TEXT_LINES)]
    assert shown[-2:] == [f"    … and {40 - MAX_TEXT_LINES} more changed lines", "    ```"]
    fenced = change_line("description", "a\n```\nb", "a\n````\nb").splitlines()
    assert (fenced[1], fenced[-1]) == ("    `````diff", "    `````")
