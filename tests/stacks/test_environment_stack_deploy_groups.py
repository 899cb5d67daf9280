"""Deploy groups: connectors.yaml's optional `deploy_group` splits each environment into its shared stack and one
stack per group, joined by cdktf cross-stack references; the config's checks of groups; review across stacks.
Without groups the output is unchanged: the reviewed snapshots (tests/test_user_config.py) cover that."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from connectors_config import ConfigError, parse_config
from stacks.environment_stack import state_key
from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS

SAMPLE = SAMPLE_CONFIG.read_text(encoding="utf-8")
# The sample's connectors and jobs, grouped as a team might: code scanners, inventories, the analytics jobs.
GROUPS = {"github": "code", "sonarqube": "code", "cmdb": "inventory", "servicenow": "inventory",
          "findings_gold": "analytics", "connectors_refresh": "analytics", "daily_refresh": "analytics",
          "table_maintenance": "analytics"}


def grouped(groups: dict[str, str] = GROUPS, text: str = SAMPLE) -> str:
    """The sample with `deploy_group: <group>` under each connector and job named in `groups`."""
    lines = []
    for line in text.splitlines():
        lines.append(line)
        name = re.fullmatch(r"  - name: (\w+)", line) or re.fullmatch(r"  (\w+):", line)
        if name and name.group(1) in groups:
            lines.append(f"    deploy_group: {groups[name.group(1)]}")
    return "\n".join(lines) + "\n"


def suppressing(resource: str) -> str:
    """A policy section suppressing CP-JOB-OWNER on `resource`."""
    return ("policy:\n  suppressions:\n    - rule: CP-JOB-OWNER\n"
            f"      resource: {resource}\n      reason: reviewed by appsec, owned through the UI for a week\n")


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def line_of(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


@pytest.fixture(scope="module")
def grouped_out(tmp_path_factory) -> Path:
    import stacks.app

    outdir = tmp_path_factory.mktemp("grouped") / "cdktf.out"
    stacks.app.synth(parse_config(grouped(), "connectors.yaml", base_dir=SAMPLE_DIR), str(outdir),
               notebooks_dir=SAMPLE_NOTEBOOKS)
    return outdir


@pytest.fixture(scope="module")
def documents(grouped_out) -> dict[str, dict]:
    return {path.name: json.loads((path / "cdk.tf.json").read_text())
            for path in sorted((grouped_out / "stacks").iterdir())}


def addresses(document: dict, kind: str) -> list[str]:
    return sorted((document.get("resource") or {}).get(kind, {}))


# --------------------------------------------------------------------------------------------------- stacks


def test_each_environment_has_its_shared_stack_and_one_stack_per_group_in_deploy_order(grouped_out):
    manifest = json.loads((grouped_out / "manifest.json").read_text())
    assert {name: sorted(stack["dependencies"]) for name, stack in manifest["stacks"].items()} == {
        "dev": [], "dev-analytics": ["dev", "dev-code", "dev-inventory"], "dev-code": ["dev"],
        "dev-inventory": ["dev"],
        "prod": [], "prod-analytics": ["prod", "prod-code", "prod-inventory"], "prod-code": ["prod"],
        "prod-inventory": ["prod"]}


def test_the_shared_stack_keeps_what_every_group_uses_and_no_job(documents):
    shared = documents["prod"]
    assert sorted(shared["resource"]) == ["databricks_directory", "databricks_grant", "databricks_notebook",
                                          "databricks_permissions", "databricks_schema", "databricks_secret_acl",
                                          "databricks_secret_scope", "databricks_workspace_file"]
    assert addresses(shared, "databricks_permissions") == [
        next(a for a in addresses(shared, "databricks_permissions") if a.startswith("notebooks_folder_permissions"))]


def test_a_group_stack_holds_its_workloads_with_the_addresses_they_have_without_groups(documents, stacks):
    """Same construct path below the stack, same logical id: moving a connector moves state, never renames it."""
    code, inventory = documents["prod-code"], documents["prod-inventory"]
    ungrouped = addresses(stacks["prod"], "databricks_job")
    assert addresses(code, "databricks_job") == [a for a in ungrouped if a.startswith(("github_", "sonarqube_"))]
    assert addresses(inventory, "databricks_job") == [a for a in ungrouped if a.startswith(("cmdb_", "servicenow_"))]
    assert addresses(inventory, "databricks_pipeline") == addresses(stacks["prod"], "databricks_pipeline")
    assert addresses(documents["prod-analytics"], "databricks_job") == [a for a in ungrouped if a.startswith("jobs_")]
    assert sorted(a for name in ("prod-analytics", "prod-code", "prod-inventory")
                  for a in addresses(documents[name], "databricks_permissions") if not a.startswith("monitoring_")) == sorted(
        a for a in addresses(stacks["prod"], "databricks_permissions") if not a.startswith(("notebooks_", "monitoring_")))


def test_each_group_stack_monitors_exactly_its_own_jobs_and_the_shared_stack_none(documents):
    for env in ("dev", "prod"):
        assert "databricks_alert_v2" not in documents[env]["resource"]
        for group in ("analytics", "code", "inventory"):
            stack = documents[f"{env}-{group}"]
            [alert] = stack["resource"]["databricks_alert_v2"].values()
            assert alert["display_name"] == f"Connector platform {env}-{group}: jobs needing attention"
            assert sorted(re.findall(r"'\$\{databricks_job\.(\w+)\.id\}'", alert["query_text"])) == addresses(
                stack, "databricks_job")
            assert alert["parent_path"].startswith(f"${{data.terraform_remote_state.cross-stack-reference-input-{env}.")
            assert len(stack["resource"]["databricks_dashboard"]) == 1


def test_a_group_stack_reads_notebook_paths_from_the_shared_stack_through_remote_state(documents):
    code = documents["dev-code"]
    job = code["resource"]["databricks_job"][addresses(code, "databricks_job")[0]]
    ingest = next(task for task in job["task"] if task["task_key"] == "ingest")
    output = re.fullmatch(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-dev\.outputs\.(.+)\}",
                          ingest["notebook_task"]["notebook_path"]).group(1)
    assert documents["dev"]["output"][output]["value"].startswith("${databricks_notebook.notebooks_ingest_entry_")
    assert code["data"]["terraform_remote_state"]["cross-stack-reference-input-dev"]["config"] == {
        "path": "../../../terraform.dev.tfstate"}


def test_an_orchestrator_runs_jobs_of_other_groups_through_their_outputs(documents):
    analytics = json.dumps(documents["prod-analytics"])
    runs = set(re.findall(r"cross-stack-reference-input-(prod-\w+)\.outputs\.(cross-stack-output-[\w-]+)", analytics))
    assert {stack for stack, _ in runs} == {"prod-code", "prod-inventory"}
    for stack, output in runs:
        assert documents[stack]["output"][output]["value"].startswith("${databricks_job.")


def test_each_stack_has_a_state_of_its_own(documents):
    """dev keeps local state files; prod's azurerm backend gets one key per stack."""
    backends = {name: document["terraform"]["backend"] for name, document in documents.items()}
    assert {name: backend["local"]["path"] for name, backend in backends.items() if name.startswith("dev")} == {
        name: f"../../../terraform.{name}.tfstate" for name in ("dev", "dev-analytics", "dev-code", "dev-inventory")}
    assert {name: backend["azurerm"]["key"] for name, backend in backends.items() if name.startswith("prod")} == {
        name: f"connector-platform/{name}.tfstate"
        for name in ("prod", "prod-analytics", "prod-code", "prod-inventory")}
    remote = documents["prod-code"]["data"]["terraform_remote_state"]["cross-stack-reference-input-prod"]
    assert remote["backend"] == "azurerm" and remote["config"]["key"] == "connector-platform/prod.tfstate"


def test_a_remote_state_key_gets_the_group_beside_the_environments():
    assert state_key("appsec/dev.tfstate", None) == "appsec/dev.tfstate"
    assert state_key("appsec/dev.tfstate", "code") == "appsec/dev-code.tfstate"
    assert state_key("connectors/prod", "code") == "connectors/prod-code"


def test_every_group_stack_passes_the_policy_pack_and_a_suppression_names_its_stack(tmp_path):
    import main
    import stacks.app

    text = grouped() + suppressing("dev-code/github/permissions")
    with pytest.raises(main.PolicyError) as raised:
        stacks.app.synth(parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR), str(tmp_path / "out"),
                   notebooks_dir=SAMPLE_NOTEBOOKS)
    assert raised.value.problems == [
        "policy.suppressions[0]: CP-JOB-OWNER on dev-code/github/permissions matches no violation of this synth; "
        "remove it (if the resource was renamed, the suppression names its new path)"]


def test_review_sees_an_environment_whole_however_it_is_split(grouped_out, synthesized):
    from review.stack_jobs import load_documents, load_synth

    assert sorted(load_documents(grouped_out)) == ["dev", "prod"]
    assert load_synth(grouped_out) == load_synth(synthesized)


# ----------------------------------------------------------------------------------------------- the config


def test_groups_are_all_or_none():
    text = grouped({"github": "code"})
    missing = {"connectors[1]": "- name: sonarqube", "connectors[2]": "- name: cmdb",
               "connectors[3]": "- name: servicenow", "jobs.findings_gold": "  findings_gold:",
               "jobs.connectors_refresh": "  connectors_refresh:", "jobs.daily_refresh": "  daily_refresh:",
               "jobs.table_maintenance": "  table_maintenance:"}
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, needle)}: {path}: has no deploy_group, but other connectors or jobs have one "
        "(e.g. 'code'); with deploy groups every connector and job names its group"
        for path, needle in sorted(missing.items(), key=lambda item: line_of(text, item[1]))]


def test_a_group_name_is_an_identifier():
    text = grouped({**GROUPS, "github": "Code-1"})
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'deploy_group: Code-1')}: connectors[0].deploy_group: 'Code-1' is not a "
        "valid deploy group; use lowercase letters, digits and underscores, starting with a letter, at most 63 "
        "characters (e.g. 'github_sources')"]


def test_groups_that_run_each_others_jobs_are_refused():
    """connectors_refresh (code) runs cmdb (inventory); daily_refresh (inventory) runs connectors_refresh."""
    text = grouped({**GROUPS, "connectors_refresh": "code", "daily_refresh": "inventory"})
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'deploy_group: code', '  connectors_refresh:')}: "
        "jobs.connectors_refresh.deploy_group: deploy groups 'code' and 'inventory' run each other's jobs "
        "(connectors_refresh runs cmdb; daily_refresh runs connectors_refresh), so neither stack can be deployed "
        "first; put these jobs in one group"]


def test_a_suppression_names_a_known_stack():
    text = grouped() + suppressing("dev-nothing/github/permissions")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'resource: dev-nothing')}: policy.suppressions[0].resource: 'dev-nothing' "
        "is not a stack; a resource path starts with one of: dev, dev-analytics, dev-code, dev-inventory, prod, "
        "prod-analytics, prod-code, prod-inventory"]


def test_the_preparing_pass_writes_the_same_bytes_as_whole_attributes(grouped_out, tmp_path, monkeypatch):
    """The grouped sample refers between stacks (cdktf registers those references while it prepares the stacks):
    its synth, where the preparing pass reads only the token-bearing parts of each resource (core/synth_phase.py),
    writes every file byte for byte as a synth that reads the whole attributes on both passes."""
    import contextlib

    import core.synth_phase
    import stacks.app

    def files(outdir: Path) -> dict[str, bytes]:
        return {p.relative_to(outdir).as_posix(): p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()}

    reads = []
    real = core.synth_phase.preparing
    monkeypatch.setattr("constructs.plain_resources.preparing", lambda: reads.append(real()) or real())
    armed = files(grouped_out)  # synthesized with the pass, before the spy: synthesize once more to count
    stacks.app.synth(parse_config(grouped(), "connectors.yaml", base_dir=SAMPLE_DIR), str(tmp_path / "armed"),
                     notebooks_dir=SAMPLE_NOTEBOOKS)
    assert reads.count(True) == reads.count(False) > 0  # every resource read once prepared, once whole
    monkeypatch.setattr(stacks.app, "preparing_pass", contextlib.nullcontext)
    stacks.app.synth(parse_config(grouped(), "connectors.yaml", base_dir=SAMPLE_DIR), str(tmp_path / "whole"),
                     notebooks_dir=SAMPLE_NOTEBOOKS)
    assert files(tmp_path / "armed") == armed
    assert files(tmp_path / "whole") == armed
    assert any('"terraform_remote_state"' in text.decode() for text in armed.values())
