"""lakeflow_connect connectors in connectors.yaml: what they take, what they refuse, and the guard against
replacing a pipeline (which deletes its tables) — each mistake with file, line, field, value and fix."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config, resolve
from connectors_config.lockfile import Lock, lock_of, lock_path, read_lock
from tests.connectors_config.test_loader import VALID, errors_of

MANAGED = VALID + """\
  - name: servicenow
    kind: lakeflow_connect
    schedule: "0 30 */6 * * ?"
    connection:
      dev: servicenow_dev
      prod: servicenow_prod
    destination_schema: servicenow
    source_schema: tables
    objects:
      - table: incident
        scd_type: SCD_TYPE_2
        primary_keys: [sys_id]
      - table: sys_user
"""
SERVICENOW_LINE = 33


def managed(old: str, new: str, text: str = MANAGED) -> str:
    start = text.index("  - name: servicenow")
    head, tail = text[:start], text[start:]
    assert tail.count(old) == 1, f"test setup: {old!r} must occur exactly once in the servicenow connector"
    return head + tail.replace(old, new)


def lock(**pipelines: dict[str, str]) -> Lock:
    return Lock(pipelines)


def test_the_managed_base_parses_and_resolves():
    config = parse_config(MANAGED)
    [servicenow] = resolve(config, "prod").managed_connectors
    assert (servicenow.connection, servicenow.destination_schema, servicenow.prevent_destroy) == (
        "servicenow_prod", "servicenow", True)
    assert [(o.kind, o.source, o.source_schema, o.destination_schema) for o in servicenow.objects] == [
        ("table", "incident", "tables", "servicenow"), ("table", "sys_user", "tables", "servicenow")]
    assert servicenow.objects[0].scd_type == "SCD_TYPE_2"
    assert [c.name for c in resolve(config, "prod").connectors] == ["cmdb", "github"]


def test_whole_schemas_and_per_object_destinations():
    config = parse_config(managed("      - table: sys_user\n",
                                  "      - table: sys_user\n        destination_table: servicenow_users\n"
                                  "      - schema: tables\n        destination_schema: servicenow_all\n"
                                  "        exclude_columns: [sys_tags]\n"))
    objects = resolve(config, "dev").managed_connectors[0].objects
    assert [(o.kind, o.source, o.source_schema, o.destination_schema, o.destination_table) for o in objects] == [
        ("table", "incident", "tables", "servicenow", None),
        ("table", "sys_user", "tables", "servicenow", "servicenow_users"),
        ("schema", "tables", None, "servicenow_all", None),
    ]
    assert objects[2].exclude_columns == ("sys_tags",)
    assert resolve(config, "dev").managed_connectors[0].destination_schemas == ("servicenow", "servicenow_all")


def test_without_connection_or_objects():
    text = managed("    connection:\n      dev: servicenow_dev\n      prod: servicenow_prod\n", "")
    text = managed("    objects:\n      - table: incident\n        scd_type: SCD_TYPE_2\n"
                   "        primary_keys: [sys_id]\n      - table: sys_user\n", "", text)
    assert errors_of(text) == [
        f"connectors.yaml:{SERVICENOW_LINE}: connectors[2].connection: is required but missing; add it: the Unity "
        "Catalog connection per environment, e.g. {dev: servicenow_dev, prod: servicenow_prod}",
        f"connectors.yaml:{SERVICENOW_LINE}: connectors[2].objects: is required but missing; add it: the source "
        "tables or schemas to ingest, e.g. [{table: incident}]",
    ]


def test_empty_objects():
    text = managed("    objects:\n      - table: incident\n        scd_type: SCD_TYPE_2\n"
                   "        primary_keys: [sys_id]\n      - table: sys_user\n", "    objects: []\n")
    assert errors_of(text) == [
        "connectors.yaml:41: connectors[2].objects: is empty; it needs at least 1 entry: the source tables or "
        "schemas to ingest, e.g. [{table: incident}]"
    ]


def test_connection_missing_an_environment_or_naming_an_unknown_one():
    assert errors_of(managed("      prod: servicenow_prod\n", "      staging: servicenow_staging\n")) == [
        "connectors.yaml:36: connectors[2].connection: has no entry for environment 'prod'; name the Unity Catalog "
        "connection servicenow ingests through in prod",
        "connectors.yaml:38: connectors[2].connection.staging: 'staging' is not an environment; use one of: dev, prod",
    ]


def test_destination_outside_the_environment_catalog():
    text = managed("      - table: sys_user\n",
                   "      - table: sys_user\n        destination_catalog: appsec_prod\n"
                   "      - table: sys_group\n        destination_schema: appsec_prod.servicenow\n")
    assert errors_of(text) == [
        "connectors.yaml:45: connectors[2].objects[1]: sets destination_catalog 'appsec_prod', but ingested tables "
        "always land in each environment's own catalog (environments.<env>.catalog); remove it and set "
        "destination_schema if the table belongs in another schema",
        "connectors.yaml:48: connectors[2].objects[2].destination_schema: 'appsec_prod.servicenow' is not a valid "
        "destination schema; it names catalog 'appsec_prod', but ingested tables always land in each "
        "environment's own catalog (environments.<env>.catalog); write only the schema (e.g. 'servicenow')",
    ]


@pytest.mark.parametrize(("insert", "line", "key"), [
    ("    retries: {max_retries: 5}\n", 41, "retries"),
    ("    secrets: [servicenow-password]\n", 41, "secrets"),
    ("    compute: {num_workers: 2}\n", 41, "compute"),
])
def test_batch_only_settings_are_refused(insert, line, key):
    assert errors_of(managed("    source_schema: tables\n", "    source_schema: tables\n" + insert)) == [
        f"connectors.yaml:{line}: connectors[2].{key}: unknown key '{key}': it is a setting of batch connectors, "
        "not of lakeflow_connect ones; allowed here: acknowledge_data_loss, channel, connection, deploy_group, "
        "description, destination_schema, duration_warning_seconds, kind, name, notifications, objects, owners, "
        "renamed_from, run_as, schedule, source_schema, tags, "
        "timeout_seconds"
    ]


def test_managed_only_settings_on_a_batch_connector_are_refused():
    cmdb_schedule = '    schedule: "0 0 2 * * ?"\n'
    text = MANAGED.replace(cmdb_schedule, cmdb_schedule + "    connection: {dev: cmdb}\n", 1)
    assert errors_of(text) == [
        "connectors.yaml:31: connectors[1].connection: unknown key 'connection': it is a setting of lakeflow_connect "
        "connectors, not of batch ones; allowed here: compute, deploy_group, description, duration_warning_seconds, initial_mark, kind, name, "
        "notifications, owners, renamed_from, retries, run_as, schedule, secrets, settings, source, tags, timeout_seconds"
    ]


def test_one_connection_for_two_workspaces():
    assert errors_of(managed("      prod: servicenow_prod\n", "      prod: servicenow_dev\n")) == [
        "connectors.yaml:38: connectors[2].connection.prod: 'servicenow_dev' names environment 'dev'; each "
        "environment must use its own connection (e.g. one that names 'prod')"
    ]
    text = managed("      dev: servicenow_dev\n      prod: servicenow_prod\n",
                   "      dev: servicenow\n      prod: servicenow\n")
    assert errors_of(text) == [
        "connectors.yaml:38: connectors[2].connection.prod: 'servicenow' is also connectors[2].connection.dev, but "
        "dev and prod deploy to different workspaces; give each environment its own connection, or prod ingests "
        "with dev's credentials"
    ]


def test_one_connection_is_fine_when_both_environments_share_a_workspace():
    text = managed("      dev: servicenow_dev\n      prod: servicenow_prod\n",
                   "      dev: servicenow\n      prod: servicenow\n")
    text = text.replace("https://adb-2.2.azuredatabricks.net", "https://adb-1.1.azuredatabricks.net")
    assert resolve(parse_config(text), "prod").managed_connectors[0].connection == "servicenow"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("      - table: sys_user\n", "      - table: sys_user\n        schema: tables\n",
     "connectors.yaml:45: connectors[2].objects[1]: must name exactly one of 'table' (one source table) or 'schema' "
     "(every table of a source schema)"),
    ("      - table: sys_user\n", "      - schema: tables\n        destination_table: all\n",
     "connectors.yaml:45: connectors[2].objects[1]: destination_table only apply to a 'table' object; a 'schema' "
     "object is its own source schema and keeps the source's table names"),
    ("      - table: sys_user\n", "      - table: sys_user\n        include_columns: [name]\n"
     "        exclude_columns: [email]\n",
     "connectors.yaml:45: connectors[2].objects[1]: sets both include_columns and exclude_columns, which exclude "
     "each other; keep one"),
    ("        scd_type: SCD_TYPE_2\n", "        scd_type: SCD_TYPE_3\n",
     "connectors.yaml:43: connectors[2].objects[0].scd_type: 'SCD_TYPE_3' is not one of: 'SCD_TYPE_1', "
     "'SCD_TYPE_2' or 'APPEND_ONLY'"),
    ("      - table: sys_user\n", "      - table: sys_user\n      - table: Incident\n",
     "connectors.yaml:46: connectors[2].objects[2]: lands in table 'servicenow.Incident' like "
     "connectors[2].objects[0]; set destination_table on one of them"),
    ("      - table: sys_user\n", "      - table: sys user\n",
     "connectors.yaml:45: connectors[2].objects[1].table: 'sys user' is not a valid source name; use the name as "
     "the source spells it: letters, digits, '_', '$' and '-', at most 255 characters (e.g. 'incident', "
     "'cmdb_ci_appl')"),
])
def test_object_mistakes(old, new, expected):
    assert errors_of(managed(old, new)) == [expected]


ACKNOWLEDGED = ("    source_schema: tables\n",
                "    source_schema: tables\n    acknowledge_data_loss:\n      prod:\n"
                "        connection: servicenow_prod\n"
                "        reason: SEC-1234 new OAuth app; tables re-ingested in full\n")


def test_an_acknowledgement_must_name_the_current_connection():
    text = managed(*ACKNOWLEDGED).replace("        connection: servicenow_prod\n",
                                          "        connection: servicenow_v2\n")
    assert errors_of(text) == [
        "connectors.yaml:43: connectors[2].acknowledge_data_loss.prod.connection: 'servicenow_v2' is not "
        "connection.prod ('servicenow_prod'); an acknowledgement covers one change of connection: set it to "
        "'servicenow_prod' or remove it"
    ]


@pytest.mark.parametrize(("reason", "problem"), [
    ('"          "', "has 0 characters besides blanks and no word; say in words, at least 10 characters, why the "
                    "exception is safe and who reviewed it (e.g. 'export job owned by a retired team, SEC-142')"),
    ("SEC-1", "has 5 characters besides blanks; say in words, at least 10 characters, why the exception is safe "
              "and who reviewed it (e.g. 'export job owned by a retired team, SEC-142')"),
    ("new app glpat-A1b2C3d4E5f6G7h8I9j0", "'glpa…' (redacted: looks like a credential) looks like a credential, "
                                           "and the reason is written into the synthesized stack and shown on "
                                           "every synth; remove it (revoke the credential if it is real) and say "
                                           "why the exception is safe in words"),
])
def test_an_acknowledgement_reason_is_checked_like_a_suppression_reason(reason, problem):
    """The reason becomes the pipeline's CP-PREVENT-DESTROY suppression in the stack."""
    text = managed(*ACKNOWLEDGED).replace("SEC-1234 new OAuth app; tables re-ingested in full", reason)
    assert errors_of(text) == [f"connectors.yaml:44: connectors[2].acknowledge_data_loss.prod.reason: {problem}"]


def test_changing_a_protected_connection_is_an_error_at_synth():
    text = managed("      prod: servicenow_prod\n", "      prod: servicenow_prod_v2\n")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", lock=lock(prod={"servicenow": "servicenow_prod"}))
    assert [p.render("connectors.yaml") for p in raised.value.problems] == [
        "connectors.yaml:38: connectors[2].connection.prod: changing 'servicenow_prod' to 'servicenow_prod_v2' "
        "replaces the pipeline, and Databricks deletes every table a pipeline ingested when it deletes the "
        "pipeline; keep 'servicenow_prod', or accept the loss with acknowledge_data_loss: {prod: {connection: "
        "servicenow_prod_v2, reason: <why>}}"
    ]


def test_an_acknowledged_change_passes_and_lifts_prevent_destroy_there_only():
    text = managed("      prod: servicenow_prod\n", "      prod: servicenow_prod_v2\n",
                   managed(*ACKNOWLEDGED).replace("        connection: servicenow_prod\n",
                                                  "        connection: servicenow_prod_v2\n"))
    config = parse_config(text, lock=lock(prod={"servicenow": "servicenow_prod"}))
    prod = resolve(config, "prod").managed_connectors[0]
    assert (prod.prevent_destroy, prod.data_loss_acknowledged) == (
        False, "SEC-1234 new OAuth app; tables re-ingested in full")
    assert resolve(config, "dev").managed_connectors[0].prevent_destroy is True


def test_unprotected_environments_may_change_their_connection():
    text = managed("      dev: servicenow_dev\n", "      dev: servicenow_dev_v2\n")
    text = text.replace("    workspace_dir: /Applications/appsec-connectors/dev\n",
                        "    workspace_dir: /Applications/appsec-connectors/dev\n    protect_data: false\n")
    config = parse_config(text, lock=lock(dev={"servicenow": "servicenow_dev"}))
    assert resolve(config, "dev").managed_connectors[0].prevent_destroy is False


def test_removing_a_protected_pipeline_is_an_error_at_synth():
    with pytest.raises(ConfigError) as raised:
        parse_config(VALID, "connectors.yaml", lock=Lock({"prod": {"servicenow": "servicenow_prod"}}))
    assert [p.render("connectors.yaml") for p in raised.value.problems] == [
        "connectors.yaml:22: connectors: 'servicenow' was synthesized into prod as a lakeflow_connect connector "
        "(connectors.lock.json) and is no longer here; removing it deletes its pipeline and every table it "
        "ingested. Put it back, or accept the loss by deleting its entry under pipelines.prod in "
        "connectors.lock.json in the same change"
    ]


def test_the_lock_records_each_environment_connection(tmp_path):
    config = parse_config(MANAGED)
    assert lock_of(config).pipelines == {"dev": {"servicenow": "servicenow_dev"},
                                         "prod": {"servicenow": "servicenow_prod"}}
    path = lock_path(tmp_path / "connectors.yaml")
    assert path.name == "connectors.lock.json"
    path.write_text(lock_of(config).render())
    assert read_lock(path).pipelines == lock_of(config).pipelines
    assert read_lock(tmp_path / "absent.lock.json").pipelines == {}


def test_an_unreadable_lock_is_an_error_not_an_empty_guard(tmp_path):
    path = tmp_path / "connectors.lock.json"
    path.write_text('{"pipelines": {"prod": ["servicenow"]}}')
    with pytest.raises(ConfigError) as raised:
        read_lock(path)
    assert raised.value.render().splitlines()[1] == (
        f"  {path}: (file): is not a lock file synth can read (AttributeError: 'list' object has no attribute "
        "'items'); restore it from version control (deleting it drops the guard against replacing pipelines that "
        "hold data)")


def test_the_committed_lock_matches_the_sample(sample_config):
    from tests.conftest import SAMPLE_CONFIG

    assert lock_path(SAMPLE_CONFIG).read_text() == lock_of(sample_config).render()


def test_a_managed_connector_named_by_a_mapping_is_a_name_error_with_the_lock_too():
    """The lock's guard looks connectors up by name; a mapping is no name (found by the fuzz test)."""
    text = managed("  - name: servicenow\n", "  - name: {}\n")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", lock=lock(prod={"servicenow": "servicenow_prod"}))
    assert "connectors[2].name: a mapping is not a string" in [p.path + ": " + p.message
                                                               for p in raised.value.problems]
