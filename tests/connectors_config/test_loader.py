"""Every mistake in connectors.yaml is reported with file, line, field path, the bad value and the fix."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, names, parse_config
from tests.fixtures.builders import CMDB, GITHUB, connectors, environments

# dev and prod as the builders write them, and two batch connectors (the line numbers below count in this text).
VALID = environments() + connectors(GITHUB, CMDB)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def replace(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return text.replace(old, new)


def test_the_valid_base_parses():
    config = parse_config(VALID)
    assert [c.name for c in config.connectors] == ["github", "cmdb"]


def test_yaml_syntax_error_names_line_and_problem():
    assert errors_of(replace("on_failure: [dev@example.com]", "on_failure: [dev@example.com")) == [
        "connectors.yaml:12: (yaml): YAML syntax error: while parsing a flow sequence; "
        "did not find expected ',' or ']'"
    ]


def test_duplicate_key_is_an_error_not_a_silent_override():
    assert errors_of(replace("    kind: batch\n    schedule: \"0 0 2",
                             "    kind: batch\n    kind: batch\n    schedule: \"0 0 2")) == [
        "connectors.yaml:30: (yaml): duplicate key 'kind' in the mapping that starts on line 28; "
        "each key may appear once, remove or merge one of them"
    ]


def test_unknown_key_suggests_the_closest_field():
    assert errors_of(replace('schedule: "0 0 2 * * ?"', 'schedul: "0 0 2 * * ?"')) == [
        "connectors.yaml:28: connectors[1].schedule: is required but missing; add it",
        "connectors.yaml:30: connectors[1].schedul: unknown key 'schedul'; did you mean 'schedule'? allowed here: "
        "compute, deploy_group, description, duration_warning_seconds, initial_mark, kind, name, notifications, "
        "owners, renamed_from, retries, run_as, "
        "schedule, secrets, "
        "settings, source, tags, timeout_seconds",
    ]


def test_credential_key_is_refused_without_echoing_its_value():
    errors = errors_of(replace("      host: https://adb-1.1.azuredatabricks.net",
                               "      host: https://adb-1.1.azuredatabricks.net\n"
                               "      token: dapi0123456789abcdef0123456789abcdef"))
    assert errors == [
        "connectors.yaml:6: environments.dev.workspace.token: unknown key 'token'; credentials never go in "
        "connectors.yaml: put them in the secret scope and list their names under the connector's 'secrets', "
        "or authenticate the deploy with a Databricks CLI profile or environment variables"
    ]
    assert "dapi0123" not in "\n".join(errors)


def test_missing_required_fields_are_all_reported():
    text = replace("    run_as: 3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61\n", "")
    text = replace("    kind: batch\n    schedule: \"0 */15 * * * ?\"\n", "", text)
    assert errors_of(text) == [
        "connectors.yaml:2: environments.dev.run_as: is required but missing; add it",
        "connectors.yaml:22: connectors[0].kind: is required but missing; add it (one of: 'batch', "
        "'lakeflow_connect')",
        "connectors.yaml:22: connectors[0].schedule: is required but missing; add it",
    ]


def test_unix_cron_is_rejected_as_such():
    assert errors_of(replace('"0 */15 * * * ?"', '"*/15 * * * *"')) == [
        "connectors.yaml:25: connectors[0].schedule: '*/15 * * * *' is not a valid Quartz cron expression: "
        "has 5 fields, which is a unix cron expression; Quartz needs 6 or 7 fields (seconds minutes hours "
        "day-of-month month day-of-week [year]), e.g. '0 */15 * * * ?' for every 15 minutes"
    ]


def test_invalid_quartz_gives_the_exact_reason():
    assert errors_of(replace('"0 0 2 * * ?"', '"0 0 2 1 * MON"')) == [
        "connectors.yaml:30: connectors[1].schedule: '0 0 2 1 * MON' is not a valid Quartz cron expression: "
        "sets both day-of-month ('1') and day-of-week ('MON'); Quartz needs '?' in exactly one of them, "
        "e.g. '0 0 6 1 * ?'"
    ]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("- name: github", "- name: Git-Hub",
     "connectors.yaml:23: connectors[0].name: 'Git-Hub' is not a valid connector name; use lowercase letters, "
     "digits and underscores, starting with a letter, at most 63 characters (e.g. 'github')"),
    ("catalog: appsec_dev", "catalog: appsec-dev",
     "connectors.yaml:3: environments.dev.catalog: 'appsec-dev' is not a valid catalog name; use lowercase "
     "letters, digits and underscores, starting with a letter, at most 63 characters (e.g. 'appsec_dev')"),
    ("connectors:\n", "defaults:\n  bronze_schema: Bronze Layer\nconnectors:\n",
     "connectors.yaml:23: defaults.bronze_schema: 'Bronze Layer' is not a valid schema name; use lowercase "
     "letters, digits and underscores, starting with a letter, at most 63 characters (e.g. 'bronze')"),
    ("connectors:\n", "defaults:\n  secret_scope: mvp connectors\nconnectors:\n",
     "connectors.yaml:23: defaults.secret_scope: 'mvp connectors' is not a valid secret scope name; use letters, "
     "digits, '-', '_', '.' and '@', at most 128 characters (e.g. 'mvp-connectors')"),
    ("secrets: [github-token]", "secrets: [github token]",
     "connectors.yaml:26: connectors[0].secrets[0]: 'github token' is not a valid secret name; use letters, "
     "digits, '-', '_' and '.', at most 128 characters (e.g. 'github-token')"),
    ("  prod:\n", "  Prod:\n",
     "connectors.yaml:12: environments.Prod: 'Prod' is not a valid environment name; use lowercase letters, "
     "digits, '-' and '_', starting with a letter (e.g. 'dev', 'prod')"),
])
def test_invalid_names(old, new, expected):
    assert errors_of(replace(old, new)) == [expected]


@pytest.mark.parametrize("value", [
    "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "dapi0123456789abcdef0123456789abcdef",
    "AKIAIOSFODNN7EXAMPLE",
    "squ_0123456789abcdef0123456789abcdef01234567",
    "password=hunter2",
    "f3a9c1e07b2d4c6e8a1f5b3d9e7c2a40",
])
def test_secret_value_where_a_name_belongs_is_refused_and_redacted(value):
    errors = errors_of(replace("secrets: [github-token]", f"secrets: ['{value}']"))
    assert errors == [
        f"connectors.yaml:26: connectors[0].secrets[0]: '{value[:4]}…' (redacted: looks like a credential) is not "
        "a valid secret name; it looks like a secret value; credentials never go in connectors.yaml: store the "
        "value with `python -m operations load-secrets` (see docs/operations.md, Loading secrets) and list only its name here (e.g. 'github-token')"
    ]
    assert value not in "\n".join(errors)


@pytest.mark.parametrize("name", ["github-token", "sonarqube_api_token", "cmdb.client-secret", "client-id-2"])
def test_ordinary_secret_names_are_accepted(name):
    # The name rule alone: which names a connector may declare is its source's business (test_source_config.py).
    assert names.secret_name_problem(name) is None


def test_duplicate_connector_names():
    again = '  - name: github\n    kind: batch\n    schedule: "0 0 * * * ?"\n    secrets: [github-token]\n' \
            '    settings: {organisation: acme}\n'
    assert errors_of(VALID + again) == [
        f"connectors.yaml:{len(VALID.splitlines()) + 1}: connectors[2].name: 'github' is already the name of "
        "connectors[0]; connector names must be unique (they name the job, its tables and its secrets)"
    ]


def test_environment_using_another_environments_catalog():
    assert errors_of(replace("catalog: appsec_dev", "catalog: appsec_prod")) == [
        "connectors.yaml:3: environments.dev.catalog: 'appsec_prod' is also environments.prod.catalog; "
        "each environment must use its own catalog"
    ]


def test_environment_naming_another_environment_in_its_catalog():
    assert errors_of(replace("catalog: appsec_prod", "catalog: appsec_dev_copy")) == [
        "connectors.yaml:13: environments.prod.catalog: 'appsec_dev_copy' names environment 'dev'; each "
        "environment must use its own catalog (e.g. one that names 'prod')"
    ]


def test_environments_sharing_a_run_as_principal():
    assert errors_of(replace("run_as: 9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03",
                             "run_as: 3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61")) == [
        "connectors.yaml:16: environments.prod.run_as: '3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61' is also "
        "environments.dev.run_as; each environment must use its own run as"
    ]


def test_run_as_display_name_instead_of_application_id():
    assert errors_of(replace("run_as: 3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61", "run_as: AppSec Runner")) == [
        "connectors.yaml:6: environments.dev.run_as: 'AppSec Runner' is not a valid service principal; use the "
        "service principal's application ID, a UUID such as '8d2f6a4e-1c3b-4f5a-9e7d-2b6c8a0f1e3d' (Databricks "
        "identifies service principals by it in run_as, grants and ACLs; the display name does not work there)"
    ]


def test_broad_group_cannot_administer():
    assert errors_of(replace("admin_group: appsec-platform-admins\n    team_group: appsec-data-engineers\n"
                             "    notifications:\n      on_failure: [dev@",
                             "admin_group: users\n    team_group: appsec-data-engineers\n"
                             "    notifications:\n      on_failure: [dev@")) == [
        "connectors.yaml:8: environments.dev.admin_group: 'users' is not a valid group for this role; 'users' "
        "contains every user of the workspace; name a dedicated group (e.g. 'appsec-platform-admins')"
    ]


def test_workspace_dir_under_shared_is_refused():
    assert errors_of(replace("/Applications/appsec-connectors/dev", "/Shared/connectors")) == [
        "connectors.yaml:7: environments.dev.workspace_dir: '/Shared/connectors' is not a valid workspace folder; "
        "'/Shared' is editable by other users (every user for /Shared, the owner for a home folder); use a "
        "dedicated folder such as '/Applications/appsec-connectors/dev'"
    ]


def test_wrong_types_say_what_is_expected():
    text = replace("    notifications:\n      on_failure: [oncall@example.com]\n",
                   "    notifications:\n      on_failure: [oncall@example.com]\n    schedules_paused: yes\n")
    text = replace("    schedule: \"0 0 2 * * ?\"\n",
                   "    schedule: \"0 0 2 * * ?\"\n    retries: {max_retries: -1, min_retry_interval_millis: '2000'}\n",
                   text)
    assert errors_of(text) == [
        "connectors.yaml:22: environments.prod.schedules_paused: 'yes' is not true or false",
        "connectors.yaml:32: connectors[1].retries.max_retries: -1 is below the minimum 0",
        "connectors.yaml:32: connectors[1].retries.min_retry_interval_millis: '2000' is not an integer",
    ]


def test_unknown_kind_lists_the_supported_ones():
    assert errors_of(replace("    kind: batch\n    schedule: \"0 0 2", "    kind: streaming\n    schedule: \"0 0 2")) == [
        "connectors.yaml:29: connectors[1].kind: 'streaming' is not one of: 'batch', 'lakeflow_connect'"
    ]


def test_run_as_override_for_unknown_environment():
    assert errors_of(replace("    schedule: \"0 0 2 * * ?\"\n",
                             "    schedule: \"0 0 2 * * ?\"\n    run_as: {staging: 3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61}\n")) == [
        "connectors.yaml:31: connectors[1].run_as.staging: 'staging' is not an environment; use one of: dev, prod"
    ]


def test_all_errors_are_reported_at_once_in_line_order():
    text = replace("- name: github", "- name: Git-Hub")
    text = replace('"0 0 2 * * ?"', '"0 0 2 * *"', text)
    text = replace("catalog: appsec_prod", "catalog: appsec_dev", text)
    errors = errors_of(text)
    assert [e.split(":")[1] for e in errors] == ["13", "23", "30"]
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml")
    assert raised.value.render().splitlines()[0] == "connectors.yaml: 3 errors; nothing was synthesized."


def test_empty_environments_and_non_mapping_document():
    assert errors_of("environments: {}\nconnectors: []\n") == [
        "connectors.yaml:1: environments: is empty; it needs at least 1 entry"
    ]
    assert errors_of("- just\n- a list\n") == [
        "connectors.yaml:1: (top level): expected a mapping with 'environments' and 'connectors'"
    ]


# ---------------------------------------------------------------------------------------------- strict YAML


def test_yaml_1_1_words_and_times_stay_text():
    """YAML 1.2: `no` is not false and 12:30 not 750 (the model then says what it expected, with the text)."""
    text = replace("    settings: {organisation: acme}\n", "    settings: {organisation: no}\n")
    config = parse_config(text, "connectors.yaml")
    assert config.connectors[0].settings == {"organisation": "no"}


def test_a_yaml_1_1_directive_is_refused():
    text = "%YAML 1.1\n---\n" + VALID
    assert errors_of(text) == [
        "connectors.yaml:1: (yaml): %YAML 1.1 would read `no` as false, 0755 as 493 and 12:30 as 750; this file is "
        "read as YAML 1.2: remove the directive (and quote any value meant as text)"]
    parse_config("%YAML 1.2\n---\n" + VALID, "connectors.yaml")  # the version it is read as anyway


@pytest.mark.parametrize(("written", "message"), [
    ("0755", "0755: YAML 1.1 tools read it as 493, YAML 1.2 as 755; write 755, or quote it ('0755') if it is text "
             "such as an id"),
    ("089", "089: YAML 1.1 tools read it as text, YAML 1.2 as 89; write 89, or quote it ('089') if it is text such "
            "as an id"),
    ("0o17", "0o17: YAML 1.1 and 1.2 tools read this notation differently (this reader makes it 15); write 15, or "
             "quote it ('0o17') if it is text such as an id"),
    ("1_000", "1_000: YAML 1.1 and 1.2 tools read this notation differently (this reader makes it 1000); write "
              "1000, or quote it ('1_000') if it is text such as an id"),
])
def test_a_number_yaml_versions_read_differently_is_refused(written, message):
    text = replace("    settings: {organisation: acme}\n", f"    settings: {{organisation: acme, page_size: {written}}}\n")
    line = next(n for n, l in enumerate(text.splitlines(), 1) if "page_size" in l)
    assert f"connectors.yaml:{line}: connectors[0].settings.page_size: {message}" in errors_of(text)


@pytest.mark.parametrize("written", ["755", "0", "-12", "0x1F", "'0755'"])
def test_plain_numbers_hex_and_quoted_text_pass_the_yaml_check(written):
    from connectors_config.yaml_lines import ambiguous_numbers, read

    assert list(ambiguous_numbers(read(f"a: {written}\n")[0])) == []


def test_a_control_character_is_a_yaml_error_on_its_line():
    """ruamel knows only the character's position; the error still names the line (the fuzz test found it)."""
    assert errors_of(replace("catalog: appsec_dev", "catalog: a\x07ppsec_dev")) == [
        "connectors.yaml:3: (yaml): YAML syntax error: unacceptable character #x0007 (control characters are not "
        "allowed); remove it"]


def test_a_kind_that_is_a_mapping_is_an_error_not_a_crash():
    """A mapping cannot be looked up among the kinds (unhashable); found by the fuzz test."""
    assert errors_of(replace("    kind: batch\n    schedule: \"0 */15", "    kind: {}\n    schedule: \"0 */15")) == [
        "connectors.yaml:24: connectors[0].kind: a mapping is not one of: 'batch', 'lakeflow_connect'"]
