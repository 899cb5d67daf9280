"""Names in connectors.yaml read as what they are: an invisible character or a look-alike letter of another script
in a principal, group, job or connector name is refused at its line, with the character escaped and the fix;
descriptions may use any script."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors_config import ConfigError, names, parse_config
from tests.fixtures.builders import (
    CMDB,
    GITHUB,
    batch_connector,
    connectors,
    environment,
    environments,
    job,
    jobs,
)

VALID = environments() + connectors(GITHUB, CMDB)
NOTEBOOK_TASK = "- {task_key: build, notebook_task: {notebook_path: notebooks/gold_entry.py}}"
ZWSP = "\u200b"
CYRILLIC_A = "\u0430"


def parsed(text: str):
    return parse_config(text, "connectors.yaml", base_dir=Path("."))


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parsed(text)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def replace(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return text.replace(old, new)


def dev_only(old: str, new: str) -> str:
    """VALID with `old` replaced in dev's environment only."""
    dev = environment("dev")
    assert dev.count(old) == 1
    return environments(dev.replace(old, new), environment("prod")) + connectors(GITHUB, CMDB)


def test_a_cyrillic_letter_in_admin_group_is_refused():
    assert errors_of(dev_only("admin_group: appsec", f"admin_group: {CYRILLIC_A}ppsec")) == [
        "connectors.yaml:8: environments.dev.admin_group: '\\u0430ppsec-platform-admins' is not a valid group name; "
        "it mixes letters of the Latin and Cyrillic scripts (\\u0430 (CYRILLIC SMALL LETTER A)), which look alike; "
        "retype it in one script (e.g. only Latin letters)"
    ]


def test_a_zero_width_space_in_team_group_is_refused():
    assert errors_of(dev_only("team_group: appsec-data-engineers", f'team_group: "appsec-data{ZWSP}-engineers"')) == [
        "connectors.yaml:9: environments.dev.team_group: 'appsec-data\\u200b-engineers' is not a valid group name; "
        "it contains an invisible character \\u200b (ZERO WIDTH SPACE), so it looks like another name; delete it "
        "(retype the name if unsure): 'appsec-data-engineers'"
    ]


@pytest.mark.parametrize(("character", "described"), [
    ("\u200c", "\\u200c (ZERO WIDTH NON-JOINER)"), ("\u200d", "\\u200d (ZERO WIDTH JOINER)"),
    ("\u2060", "\\u2060 (WORD JOINER)"), ("\ufeff", "\\ufeff (ZERO WIDTH NO-BREAK SPACE)"),
    ("\u202a", "\\u202a (LEFT-TO-RIGHT EMBEDDING)"), ("\u202e", "\\u202e (RIGHT-TO-LEFT OVERRIDE)"),
    ("\u2066", "\\u2066 (LEFT-TO-RIGHT ISOLATE)"), ("\u2069", "\\u2069 (POP DIRECTIONAL ISOLATE)"),
])
def test_every_invisible_format_character_is_refused_in_readers_group(character, described):
    text = dev_only("    notifications:", f'    readers_group: "appsec{character}-readers"\n    notifications:')
    assert errors_of(text) == [
        f"connectors.yaml:10: environments.dev.readers_group: 'appsec{described.split(' ')[0]}-readers' is not a "
        f"valid group name; it contains an invisible character {described}, so it looks like another name; delete "
        "it (retype the name if unsure): 'appsec-readers'"
    ]


def test_look_alike_connector_names_owners_and_broad_groups_are_refused():
    github = batch_connector("g\u0456thub", "0 */15 * * * ?", settings="{organisation: acme}",
                             secrets=("github-token",), extra=f'    owners: ["appsec-{ZWSP}owners"]\n')
    text = environments() + connectors(github, CMDB) + 'policy:\n  broad_groups: ["all-st\u0430ff"]\n'
    assert errors_of(text) == [
        "connectors.yaml:23: connectors[0].name: 'g\\u0456thub' is not a valid connector name; it mixes letters of "
        "the Latin and Cyrillic scripts (\\u0456 (CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I)), which look "
        "alike; retype it in one script (e.g. only Latin letters)",
        "connectors.yaml:28: connectors[0].owners[0]: 'appsec-\\u200bowners' is not a valid group name; it contains "
        "an invisible character \\u200b (ZERO WIDTH SPACE), so it looks like another name; delete it (retype the "
        "name if unsure): 'appsec-owners'",
        "connectors.yaml:35: policy.broad_groups[0]: 'all-st\\u0430ff' is not a valid group name; it mixes letters "
        "of the Latin and Cyrillic scripts (\\u0430 (CYRILLIC SMALL LETTER A)), which look alike; retype it in one "
        "script (e.g. only Latin letters)",
    ]


def test_a_greek_letter_in_a_notification_address_is_refused():
    assert errors_of(dev_only("on_failure: [dev@example.com]", "on_failure: [d\u03b5v@example.com]")) == [
        "connectors.yaml:11: environments.dev.notifications.on_failure[0]: 'd\\u03b5v@example.com' is not a valid "
        "e-mail address; it mixes letters of the Latin and Greek scripts (\\u03b5 (GREEK SMALL LETTER EPSILON)), "
        "which look alike; retype it in one script (e.g. only Latin letters)"
    ]


def test_a_fullwidth_group_name_is_refused():
    assert errors_of(dev_only("admin_group: appsec", "admin_group: \uff41ppsec")) == [
        "connectors.yaml:8: environments.dev.admin_group: '\\uff41ppsec-platform-admins' is not a valid group name; "
        "it is written with look-alike forms of other characters (\\uff41 (FULLWIDTH LATIN SMALL LETTER A)), so it "
        "looks like another name; write it with the ordinary characters: 'appsec-platform-admins'"
    ]


def test_look_alike_job_names_and_principals_are_refused_at_their_lines():
    fields = (f'name: "gold{ZWSP}"\n'
              "permissions:\n"
              '  - {group_name: "appsec\u2066-admins", level: CAN_VIEW}\n'
              f'  - {{user_name: "{CYRILLIC_A}lice@example.com", level: CAN_VIEW}}\n'
              f'run_as: {{service_principal_name: "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f{ZWSP}"}}\n')
    assert errors_of(VALID + jobs(job("gold", NOTEBOOK_TASK, fields))) == [
        "connectors.yaml:35: jobs.gold.name: 'gold\\u200b' is not a valid job name; it contains an invisible "
        "character \\u200b (ZERO WIDTH SPACE), so it looks like another name; delete it (retype the name if "
        "unsure): 'gold'",
        "connectors.yaml:37: jobs.gold.permissions[0].group_name: 'appsec\\u2066-admins' is not a valid group name; "
        "it contains an invisible character \\u2066 (LEFT-TO-RIGHT ISOLATE), so it looks like another name; delete "
        "it (retype the name if unsure): 'appsec-admins'",
        "connectors.yaml:38: jobs.gold.permissions[1].user_name: '\\u0430lice@example.com' is not a valid user "
        "name; it mixes letters of the Latin and Cyrillic scripts (\\u0430 (CYRILLIC SMALL LETTER A)), which look "
        "alike; retype it in one script (e.g. only Latin letters)",
        "connectors.yaml:39: jobs.gold.run_as.service_principal_name: "
        "'9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f\\u200b' is not a valid service principal; it contains an invisible "
        "character \\u200b (ZERO WIDTH SPACE), so it looks like another name; delete it (retype the name if "
        "unsure): '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f'",
    ]


def test_two_jobs_that_would_look_identical_are_refused():
    text = VALID + jobs(job("gold", NOTEBOOK_TASK, "name: gold-refresh\n"),
                        job("gold_copy", NOTEBOOK_TASK.replace("build", "copy"), f'name: "gold-refresh{ZWSP}"\n'))
    assert errors_of(text) == [
        "connectors.yaml:39: jobs.gold_copy.name: 'gold-refresh\\u200b' is not a valid job name; it contains an "
        "invisible character \\u200b (ZERO WIDTH SPACE), so it looks like another name; delete it (retype the name "
        "if unsure): 'gold-refresh'"
    ]


def test_non_ascii_descriptions_and_ordinary_names_still_pass():
    github = batch_connector("github", "0 */15 * * * ?", settings="{organisation: acme}", secrets=("github-token",),
                             extra="    description: Données de l'équipe — 安全 «prod» ✓\n"
                                   "    owners: [appsec-team-2, ops.oncall]\n")
    text = (environments(environment("dev", on_failure="dev.ops-2@example.com",
                                     extra="    readers_group: grupo-ñandú\n"), environment("prod"))
            + connectors(github, CMDB)
            + jobs(job("gold", NOTEBOOK_TASK, "name: Gold – täglich 2\ndescription: Ежедневная сборка\n"
                                              "permissions:\n  - {user_name: jane.doe-2@example.com, "
                                              "level: CAN_VIEW}\n  - {group_name: データ-team, level: CAN_VIEW}\n")))
    config = parsed(text)
    assert config.connectors[0].description == "Données de l'équipe — 安全 «prod» ✓"
    assert config.environments["dev"].readers_group == "grupo-ñandú"
    assert config.jobs["gold"].settings["name"] == "Gold – täglich 2"


def test_shown_escapes_non_ascii_names_and_still_redacts_credentials():
    assert names.shown("appsec-admins") == "'appsec-admins'"
    assert names.shown("\u0430dmins") == "'\\u0430dmins'"
    assert names.shown("ghp_A1b2C3d4E5f6G7h8I9j0K1l2\u200b") == "'ghp_…' (redacted: looks like a credential)"
