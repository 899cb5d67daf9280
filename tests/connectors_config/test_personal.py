"""Personal development targets as data: the user's name, the target's names, schemas, folder and state, everything
paused, and the config's rules for who may have them. The stacks they synthesize: tests/stacks/
test_environment_stack_personal.py."""

from __future__ import annotations

import re

import pytest

from connectors_config import ConfigError, parse_config, resolve
from connectors_config.model import Backend
from connectors_config.personal import PersonalTargetError, personal_backend, state_key, user_name
from connectors_config.resolved import personal_targets
from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR
from tests.fixtures.builders import CMDB, GITHUB, SERVICENOW, connectors, environment, environments

SAMPLE = SAMPLE_CONFIG.read_text(encoding="utf-8")
OPT_IN = "    personal_targets: true\n"


def opted_in(text: str = SAMPLE) -> str:
    """The sample with `personal_targets: true` on dev."""
    return text.replace("    confirm_backfill: false\n", "    confirm_backfill: false\n" + OPT_IN, 1)


def parse(text: str):
    return parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR)


# ------------------------------------------------------------------------------------------------- the user name


@pytest.mark.parametrize(("raw", "short"), [
    ("alice", "alice"), ("bob2", "bob2"), ("j_doe", "j_doe"), ("  alice\n", "alice"), ("a", "a"),
    ("alice.smith@example.com", "alice_smith"), ("Alice.Smith@Example.com", "alice_smith"),
    ("j-doe+dev@example.com", "j_doe_dev"), ("abcdefghij0123456789", "abcdefghij0123456789"),
])
def test_a_user_name_is_a_short_identifier_or_an_email_reduced_to_its_local_part(raw, short):
    assert user_name(raw) == short


@pytest.mark.parametrize("raw", [
    "Alice", "alice-smith", "alice smith", "2alice", "_alice", "alice!", "abcdefghij0123456789x", "@example.com",
    "1st@example.com", "ålice", "alice/../prod", "alice_smith_the_third@example.com",
])
def test_anything_else_is_refused_with_what_a_user_name_is(raw):
    with pytest.raises(PersonalTargetError) as raised:
        user_name(raw)
    assert str(raised.value) == (
        f"CONNECTORS_DEV_USER='{raw.strip()}' is not a user name: use 1 to 20 lower-case letters, digits and '_', "
        "starting with a letter (e.g. alice), or your e-mail address (alice.smith@example.com gives alice_smith)")


def test_a_long_or_unprintable_user_is_shown_cut():
    with pytest.raises(PersonalTargetError) as raised:
        user_name("x" * 50)
    assert str(raised.value).startswith(f"CONNECTORS_DEV_USER='{'x' * 40}'… is not a user name")
    with pytest.raises(PersonalTargetError) as raised:
        user_name("al\x1bice")
    assert str(raised.value).startswith("CONNECTORS_DEV_USER='al\\x1bice'… is not a user name")


# ------------------------------------------------------------------------------------------------------ state


@pytest.mark.parametrize(("key", "suffix", "expected"), [
    ("connector-platform/dev.tfstate", "user-alice", "connector-platform/dev-user-alice.tfstate"),
    ("connector-platform/dev", "user-alice", "connector-platform/dev-user-alice"),
    ("dev.tfstate", None, "dev.tfstate"),
])
def test_a_state_key_gets_its_suffix_before_the_extension(key, suffix, expected):
    assert state_key(key, suffix) == expected


def test_each_remote_backend_kind_gets_the_users_own_key_and_local_stays_local():
    azurerm = Backend.model_validate({"azurerm": {"resource_group_name": "rg", "storage_account_name": "st",
                                                  "container_name": "tfstate", "key": "cp/dev.tfstate"}})
    s3 = Backend.model_validate({"s3": {"bucket": "b", "key": "cp/dev.tfstate", "region": "eu-west-1"}})
    gcs = Backend.model_validate({"gcs": {"bucket": "b", "prefix": "cp/dev"}})
    assert personal_backend(azurerm, "alice").model_dump(exclude_none=True) == {"azurerm": {
        "resource_group_name": "rg", "storage_account_name": "st", "container_name": "tfstate",
        "key": "cp/dev-user-alice.tfstate"}}
    assert personal_backend(s3, "bob").model_dump(exclude_none=True) == {"s3": {
        "bucket": "b", "key": "cp/dev-user-bob.tfstate", "region": "eu-west-1"}}
    assert personal_backend(gcs, "alice").model_dump(exclude_none=True) == {"gcs": {
        "bucket": "b", "prefix": "cp/dev-user-alice"}}
    assert personal_backend(None, "alice") is None
    assert azurerm.azurerm is not None and azurerm.azurerm.key == "cp/dev.tfstate"  # the environment's is unchanged


# ------------------------------------------------------------------------------------------ the derived target


def test_a_personal_target_has_its_own_names_schemas_folder_and_stack():
    config = parse(opted_in())
    dev, [alice] = resolve(config, "dev"), personal_targets(config, "alice")
    assert (alice.name, alice.personal_of, alice.name_prefix) == ("dev-user-alice", "dev", "[dev alice] ")
    assert (alice.bronze_schema, alice.silver_schema, alice.gold_schema) == ("alice_bronze", "alice_silver",
                                                                             "alice_gold")
    assert alice.workspace_dir == "/Applications/appsec-connectors/dev/users/alice"
    [servicenow] = alice.managed_connectors
    assert servicenow.destination_schemas == ("alice_servicenow",)
    assert {o.destination_schema for o in servicenow.objects} == {"alice_servicenow"}
    assert [j.settings["name"] for j in alice.jobs] == [f"[dev alice] {j.settings['name']}" for j in dev.jobs]
    # `${env.*}` in the jobs section reads the target's values: gold rebuilds from alice's silver into alice's gold
    gold = next(j for j in alice.jobs if j.key == "findings_gold")
    assert gold.settings["trigger"]["table_update"]["table_names"][0] == \
        "appsec_dev.alice_silver.github_code_scanning_alerts"
    assert gold.settings["tasks"][0]["notebook_task"]["base_parameters"]["gold_schema"] == "alice_gold"
    # shared with the environment: workspace, catalog, scope, principals
    assert (alice.catalog, alice.secret_scope, alice.workspace, alice.run_as_principals) == \
        (dev.catalog, dev.secret_scope, dev.workspace, dev.run_as_principals)
    assert (dev.name, dev.personal_of, dev.name_prefix, dev.bronze_schema) == ("dev", None, "", "bronze")


def test_everything_is_paused_even_where_the_environment_runs_its_schedules():
    config = parse(SAMPLE)
    prod = resolve(config, "prod")
    assert not any(c.schedule_paused for c in prod.all_connectors) and prod.monitoring is not None
    assert not prod.monitoring.paused and not any(j.paused for j in prod.jobs)
    target = resolve(config, "prod", "alice")  # the derivation alone: the config refuses prod opting in
    assert all(c.schedule_paused for c in target.all_connectors)
    assert all(j.paused for j in target.jobs)
    assert target.monitoring is not None and target.monitoring.paused
    assert all(c.development for c in target.managed_connectors)
    assert target.backend is not None and target.backend.azurerm is not None
    assert target.backend.azurerm.key == "connector-platform/prod-user-alice.tfstate"


def test_a_personal_target_is_one_stack_and_keeps_the_environments_suppressions():
    # every connector and job of the sample in deploy group 'code', and a suppression in that group's stack
    text = re.sub(r"(?m)^(  - name: \w+|  (?:findings_gold|connectors_refresh|daily_refresh|table_maintenance):)$",
                  r"\1\n    deploy_group: code", opted_in())
    text += ("policy:\n  suppressions:\n    - rule: CP-JOB-OWNER\n      resource: dev-code/jobs/findings_gold/job\n"
             "      reason: reviewed by appsec, owned through the UI for a week\n")
    config = parse(text)
    assert resolve(config, "dev").groups == ("code",)
    [alice] = personal_targets(config, "alice")
    assert alice.groups == ()
    assert [(s.resource, s.rule) for s in alice.suppressions] == [
        ("dev-user-alice/jobs/findings_gold/job", "CP-JOB-OWNER")]


# --------------------------------------------------------------------------------------------------- the rules


def test_a_user_without_an_environment_that_has_personal_targets_is_refused():
    with pytest.raises(PersonalTargetError) as raised:
        personal_targets(parse(SAMPLE), "alice")
    assert str(raised.value) == (
        "CONNECTORS_DEV_USER=alice: no environment of the config has `personal_targets: true`; set it on your "
        "development environment (docs/configuration.md), or unset CONNECTORS_DEV_USER for the shared "
        "environments only")


def test_a_personal_target_may_not_take_the_name_of_a_stack_the_config_has():
    sandbox = ("  dev-user-bob:\n    catalog: appsec_sandbox\n    workspace:\n"
               "      host: https://adb-3.3.azuredatabricks.net\n    run_as: 0d6c1f3a-2b4e-4c5d-8e9f-a1b2c3d4e5f6\n"
               "    workspace_dir: /Applications/appsec-connectors/sandbox\n    admin_group: appsec-platform-admins\n"
               "    team_group: appsec-data-engineers\n    notifications:\n      on_failure: [sandbox@example.com]\n")
    text = environments(environment("dev", extra=OPT_IN), environment("prod"), sandbox) + connectors(GITHUB, CMDB)
    config = parse(text)
    assert [t.name for t in personal_targets(config, "alice")] == ["dev-user-alice"]
    with pytest.raises(PersonalTargetError) as raised:
        personal_targets(config, "bob")
    assert str(raised.value) == (
        "CONNECTORS_DEV_USER: the personal target of 'dev' would be stack 'dev-user-bob', which the config already "
        "has (an environment or a deploy group); rename that environment or deploy group")


def test_an_environment_whose_schedules_run_may_not_have_personal_targets():
    text = (environments(environment("dev", extra=OPT_IN),
                         environment("prod", extra="    schedules_paused: false\n" + OPT_IN))
            + connectors(GITHUB, SERVICENOW))
    with pytest.raises(ConfigError) as raised:
        parse(text)
    line = text.splitlines().index(OPT_IN.rstrip("\n"), text.splitlines().index("  prod:")) + 1
    assert [p.render("connectors.yaml") for p in raised.value.problems] == [
        f"connectors.yaml:{line}: environments.prod.personal_targets: is true where schedules_paused is false: a "
        "personal target deploys code before review, as this environment's run_as and with its secrets, so only a "
        "development environment (schedules paused) may have them; set personal_targets on your dev environment "
        "instead"]


@pytest.mark.parametrize("extra", [
    OPT_IN, OPT_IN + "    schedules_paused: true\n", "    personal_targets: false\n    schedules_paused: false\n",
    "    schedules_paused: false\n",
])
def test_valid_look_alikes_load(extra):
    text = environments(environment("dev"), environment("prod", extra=extra)) + connectors(GITHUB)
    assert parse(text).environments["prod"].personal_targets is ("personal_targets: true" in extra)


def test_personal_targets_must_be_a_boolean():
    text = environments(environment("dev", extra="    personal_targets: alice\n"), environment("prod")) \
        + connectors(GITHUB)
    with pytest.raises(ConfigError) as raised:
        parse(text)
    [problem] = raised.value.problems
    assert problem.path == "environments.dev.personal_targets"
