"""Personal development targets beside the shared environment: the sample's dev opted in, synthesized alone, with
alice's target and with bob's. No two of dev, dev-user-alice and dev-user-bob share a job or pipeline name, a
workspace path, a schema, a state, or any resource's identity (what two Terraform states would both manage);
everything of a personal target is paused; the shared dev stack is the same with or without them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors_config import parse_config, resolve
from policy import PolicyError
from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS

OPT_IN = "    personal_targets: true\n"
DEV_BACKEND = ("    backend:\n      azurerm:\n        resource_group_name: rg-appsec-tfstate\n"
               "        storage_account_name: stappsectfstate\n        container_name: tfstate\n"
               "        key: connector-platform/dev.tfstate\n")


def sample(extra: str = OPT_IN) -> str:
    return SAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        "    confirm_backfill: false\n", "    confirm_backfill: false\n" + extra, 1)


def synthesized(outdir: Path, text: str, user: str | None) -> dict[str, dict]:
    import stacks.app

    stacks.app.synth(parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR), str(outdir),
                     notebooks_dir=SAMPLE_NOTEBOOKS, user=user)
    return {path.name: json.loads((path / "cdk.tf.json").read_text()) for path in sorted((outdir / "stacks").iterdir())}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str | None, dict[str, dict]]:
    """The stacks of the opted-in sample (dev with a remote backend), per user (None: no personal target)."""
    root = tmp_path_factory.mktemp("personal")
    text = sample(OPT_IN + DEV_BACKEND)
    return {user: synthesized(root / (user or "shared") / "cdktf.out", text, user) for user in (None, "alice", "bob")}


@pytest.fixture(scope="module")
def three(outputs) -> dict[str, dict]:
    return {"dev": outputs[None]["dev"], "dev-user-alice": outputs["alice"]["dev-user-alice"],
            "dev-user-bob": outputs["bob"]["dev-user-bob"]}


# ------------------------------------------------------------------------------------- what identifies a resource

_REFERENCE = re.compile(r"\$\{(\w+)\.(\w+)\.(\w+)\}")


def _value(document: dict, value: Any) -> Any:
    """`value` with the stack's own references replaced: an attribute by its value, an id by ('id of', the
    referenced resource's identity): one state's resource is another's only if their identities are."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        return _reference(document, *whole.groups()) if whole else _REFERENCE.sub(
            lambda m: str(_reference(document, *m.groups())), value)
    return value


def _reference(document: dict, kind: str, name: str, attribute: str) -> Any:
    body = document["resource"][kind][name]
    return ("id of", identity(document, kind, body)) if attribute == "id" else _value(document, body[attribute])


def _grant_target(body: dict) -> tuple[str, str]:
    [kind] = [k for k in ("catalog", "schema", "foreign_connection", "table", "volume") if k in body]
    return kind, body[kind]


def _permissions_object(body: dict) -> tuple[str, str]:
    [kind] = [k for k in body if k.endswith(("_id", "_path")) and k != "//"]
    return kind, body[kind]


# The identity of every resource type a stack holds: what names it in the workspace or the metastore, whatever the
# Terraform address. A type missing here fails the test: say what identifies it.
IDENTITY: dict[str, Callable[[dict], tuple]] = {
    "databricks_job": lambda b: ("job name", b["name"]),
    "databricks_pipeline": lambda b: ("pipeline name", b["name"]),
    "databricks_schema": lambda b: ("schema", f"{b['catalog_name']}.{b['name']}"),
    "databricks_grant": lambda b: ("grant", *_grant_target(b), b["principal"]),
    "databricks_secret_scope": lambda b: ("secret scope", b["name"]),
    "databricks_secret_acl": lambda b: ("secret acl", b["scope"], b["principal"]),
    "databricks_directory": lambda b: ("workspace path", b["path"]),
    "databricks_notebook": lambda b: ("workspace path", b["path"]),
    "databricks_workspace_file": lambda b: ("workspace path", b["path"]),
    "databricks_dashboard": lambda b: ("workspace path", f"{b['parent_path']}/{b['display_name']}"),
    "databricks_alert_v2": lambda b: ("workspace path", f"{b['parent_path']}/{b['display_name']}"),
    "databricks_permissions": lambda b: ("permissions", *_permissions_object(b)),
}


def identity(document: dict, kind: str, body: dict) -> tuple:
    resolved = {key: _value(document, value) for key, value in body.items()}
    return (kind.removeprefix("databricks_").split("_")[0], *IDENTITY[kind](resolved))


def identities(document: dict) -> list[tuple]:
    """Every resource's identity, and the stack's state."""
    return [*(identity(document, kind, body) for kind, bodies in document["resource"].items()
              for body in bodies.values()),
            ("state", json.dumps(document["terraform"]["backend"], sort_keys=True))]


# ------------------------------------------------------------------------------------------------------- tests


def test_each_user_adds_one_stack_and_the_shared_stacks_stay_the_same(outputs):
    assert sorted(outputs[None]) == ["dev", "prod"]
    assert sorted(outputs["alice"]) == ["dev", "dev-user-alice", "prod"]
    assert sorted(outputs["bob"]) == ["dev", "dev-user-bob", "prod"]
    for user in ("alice", "bob"):
        assert outputs[user]["dev"] == outputs[None]["dev"]
        assert outputs[user]["prod"] == outputs[None]["prod"]


def test_no_resource_or_state_is_managed_by_two_of_dev_and_the_personal_targets(three):
    for name, document in three.items():
        assert set(document["resource"]) <= set(IDENTITY), name
    seen: dict[tuple, str] = {}
    for name, document in three.items():
        mine = identities(document)
        assert len(mine) == len(set(mine)), name
        shared = [(found, seen[found]) for found in mine if found in seen]
        assert shared == [], name
        seen.update(dict.fromkeys(mine, name))


def test_names_paths_schemas_and_state_are_each_users_own(three):
    alice = three["dev-user-alice"]
    resources = alice["resource"]
    assert sorted(job["name"] for job in resources["databricks_job"].values()) == [
        "[dev alice] appsec-connectors-refresh", "[dev alice] appsec-daily-refresh",
        "[dev alice] appsec-findings-gold", "[dev alice] appsec-table-maintenance", "[dev alice] cmdb-connector",
        "[dev alice] github-connector", "[dev alice] servicenow-connector", "[dev alice] sonarqube-connector"]
    assert [p["name"] for p in resources["databricks_pipeline"].values()] == ["[dev alice] servicenow-ingestion"]
    assert sorted(s["name"] for s in resources["databricks_schema"].values()) == [
        "alice_bronze", "alice_gold", "alice_servicenow", "alice_silver"]
    assert [d["path"] for d in resources["databricks_directory"].values()] == [
        "/Applications/appsec-connectors/dev/users/alice"]
    assert alice["terraform"]["backend"]["azurerm"]["key"] == "connector-platform/dev-user-alice.tfstate"
    assert three["dev-user-bob"]["terraform"]["backend"]["azurerm"]["key"] == \
        "connector-platform/dev-user-bob.tfstate"
    assert three["dev"]["terraform"]["backend"]["azurerm"]["key"] == "connector-platform/dev.tfstate"
    # the notebooks the jobs run are the personal folder's
    github = next(j for j in resources["databricks_job"].values() if j["name"].endswith("github-connector"))
    assert [_value(alice, t["notebook_task"]["notebook_path"]) for t in github["task"]] == [
        "/Applications/appsec-connectors/dev/users/alice/ingest_entry",
        "/Applications/appsec-connectors/dev/users/alice/transform_entry"]


def test_what_the_environment_shares_is_left_to_its_stack(three):
    """The secret scope and its ACLs, and the grants on the catalog and the connection, have one identity for dev
    and every personal target: only dev manages them, so it is deployed first."""
    dev, alice = three["dev"], three["dev-user-alice"]
    assert "databricks_secret_scope" in dev["resource"] and "databricks_secret_acl" in dev["resource"]
    assert "databricks_secret_scope" not in alice["resource"] and "databricks_secret_acl" not in alice["resource"]
    assert {_grant_target(g)[0] for g in dev["resource"]["databricks_grant"].values()} == {
        "catalog", "schema", "foreign_connection"}
    assert {_grant_target(g) for g in alice["resource"]["databricks_grant"].values()} == {
        ("schema", f"appsec_dev.alice_{layer}") for layer in ("bronze", "gold", "servicenow", "silver")}
    # the jobs read the environment's scope
    github = next(j for j in alice["resource"]["databricks_job"].values() if j["name"].endswith("github-connector"))
    assert github["task"][0]["notebook_task"]["base_parameters"]["secret_scope"] == "mvp-connectors"


def test_local_state_is_a_file_per_personal_target(tmp_path):
    documents = synthesized(tmp_path / "cdktf.out", sample(), "alice")
    assert documents["dev"]["terraform"]["backend"] == {"local": {"path": "../../../terraform.dev.tfstate"}}
    assert documents["dev-user-alice"]["terraform"]["backend"] == {
        "local": {"path": "../../../terraform.dev-user-alice.tfstate"}}


PERIODIC_JOBS = """\
  watch_files:
    job_level: composite
    name: appsec-watch-files
    trigger:
      pause_status: UNPAUSED
      file_arrival:
        url: /Volumes/${env.catalog}/${env.bronze_schema}/landing/
    tasks:
      - task_key: t
        run_job_task:
          job_id: ${resources.jobs.findings_gold.id}
  every_four_hours:
    job_level: composite
    name: appsec-every-four-hours
    trigger:
      pause_status: UNPAUSED
      periodic:
        interval: 4
        unit: HOURS
    tasks:
      - task_key: t
        run_job_task:
          job_id: ${resources.jobs.findings_gold.id}
  always:
    job_level: composite
    name: appsec-always
    max_concurrent_runs: 1
    continuous:
      pause_status: UNPAUSED
    tasks:
      - task_key: t
        run_job_task:
          job_id: ${resources.jobs.findings_gold.id}
"""


def test_everything_is_paused_even_from_an_environment_whose_schedules_run(tmp_path):
    """prod runs its schedules (the config refuses its personal targets); the derivation alone pauses every
    schedule, trigger (table update, file arrival, periodic), continuous run and the monitoring alert."""
    from core.toolchain import App

    from stacks.environment_stack import environment_stacks

    text = sample().replace("\njobs:\n", "\njobs:\n" + PERIODIC_JOBS, 1)
    config = parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR)
    app = App(outdir=str(tmp_path))
    [stack] = environment_stacks(app, resolve(config, "prod", "alice"), notebooks_dir=SAMPLE_NOTEBOOKS,
                                 others=(resolve(config, "dev"), resolve(config, "prod")))
    app.synth()
    document = json.loads((tmp_path / "stacks" / "prod-user-alice" / "cdk.tf.json").read_text())
    jobs = document["resource"]["databricks_job"]
    pauses = {job["name"]: {t: job[t]["pause_status"] for t in ("schedule", "trigger", "continuous") if t in job}
              for job in jobs.values()}
    assert pauses["[prod alice] appsec-watch-files"] == {"trigger": "PAUSED"}
    assert pauses["[prod alice] appsec-every-four-hours"] == {"trigger": "PAUSED"}
    assert pauses["[prod alice] appsec-always"] == {"continuous": "PAUSED"}
    assert pauses["[prod alice] appsec-findings-gold"] == {"trigger": "PAUSED"}
    assert pauses["[prod alice] github-connector"] == {"schedule": "PAUSED"}
    assert {status for job in pauses.values() for status in job.values()} == {"PAUSED"}
    [alert] = document["resource"]["databricks_alert_v2"].values()
    assert alert["schedule"]["pause_status"] == "PAUSED"
    assert all(p["development"] for p in document["resource"]["databricks_pipeline"].values())
    assert not stack.policy.violations


def test_a_personal_target_may_name_its_environment_but_never_another(tmp_path):
    """The cross-environment rule holds dev's names as the personal target's own, and prod's as another's."""
    import stacks.app
    from core.provider import Schema

    config = parse_config(sample(), "connectors.yaml", base_dir=SAMPLE_DIR)
    app = stacks.app.build_app(config, str(tmp_path), SAMPLE_NOTEBOOKS, "alice")
    personal = app.node.find_child("dev-user-alice")
    assert [o.name for o in personal.policy.props.context.others] == ["prod"]
    assert [o.name for o in app.node.find_child("dev").policy.props.context.others] == ["prod"]
    Schema(personal, "ours", catalog_name="appsec_dev", name="alice_scratch")
    Schema(personal, "theirs", catalog_name="appsec_prod", name="alice_scratch")
    with pytest.raises(PolicyError) as raised:
        stacks.app.synth_checked(app)
    assert [p for p in raised.value.problems if "CP-CROSS-ENV" in p] == [
        "dev-user-alice/theirs (databricks_schema.theirs): CP-CROSS-ENV: catalog_name names prod's catalog "
        "'appsec_prod'; fix: use the stack's own environment values (${env.*} in the jobs section)"]
