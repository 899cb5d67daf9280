"""`renamed_from`: what a connector or a job of the `jobs` section was deployed as before. Exact errors for an
old name that something still has, its own name, one old name claimed twice or not a name; and the lock's guard
against replacing a pipeline follows a renamed managed connector."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config
from connectors_config.lockfile import Lock
from tests.fixtures.builders import rename_config

RENAMED = rename_config(renamed=True)


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return text.replace(old, new)


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    """The line (1-based) of the `occurrence`th line that holds `needle`."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return found[occurrence - 1]


def errors_of(text: str, lock: Lock | None = None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", lock=lock)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def test_renames_parse_and_resolve():
    config = parse_config(RENAMED, "connectors.yaml")
    assert [(c.name, c.renamed_from) for c in config.connectors] == [("github_cloud", "github"),
                                                                     ("servicenow_cloud", "servicenow")]
    assert config.jobs["nightly"].renamed_from == "daily"
    from connectors_config import resolve
    env = resolve(config, "prod")
    assert [(c.name, c.renamed_from) for c in env.all_connectors] == [("github_cloud", "github"),
                                                                      ("servicenow_cloud", "servicenow")]
    assert [(j.key, j.renamed_from) for j in env.jobs] == [("nightly", "daily")]


def test_without_renames_nothing_is_renamed():
    env_jobs = parse_config(rename_config(renamed=False), "connectors.yaml").jobs
    assert env_jobs["daily"].renamed_from is None


def test_a_connectors_own_name():
    text = _edit(RENAMED, "    renamed_from: github\n", "    renamed_from: github_cloud\n")
    assert errors_of(text) == [
        f"connectors.yaml:{_line(text, 'renamed_from: github_cloud')}: connectors[0].renamed_from: 'github_cloud' "
        "is this connector's own name; renamed_from names what it was deployed as before a rename: set the old "
        "name, or remove it"]


def test_a_jobs_own_key():
    text = _edit(RENAMED, "    renamed_from: daily\n", "    renamed_from: nightly\n")
    assert errors_of(text) == [
        f"connectors.yaml:{_line(text, 'renamed_from: nightly')}: jobs.nightly.renamed_from: 'nightly' is this "
        "job's own key; renamed_from names what it was deployed as before a rename: set the old name, or remove it"]


@pytest.mark.parametrize("old, has_it", [
    ("servicenow_cloud", "the name of connectors[1]"),
    ("nightly", "the key of jobs.nightly"),
])
def test_a_name_something_still_has(old, has_it):
    text = _edit(RENAMED, "    renamed_from: github\n", f"    renamed_from: {old}\n")
    assert errors_of(text) == [
        f"connectors.yaml:{_line(text, f'renamed_from: {old}')}: connectors[0].renamed_from: '{old}' is still "
        f"{has_it}; renamed_from names what this connector was deployed as before, a name no connector or job has "
        "now: correct it, or remove it"]


def test_a_job_renamed_from_a_connectors_name():
    text = _edit(RENAMED, "    renamed_from: daily\n", "    renamed_from: github_cloud\n")
    assert errors_of(text) == [
        f"connectors.yaml:{_line(text, 'renamed_from: github_cloud')}: jobs.nightly.renamed_from: 'github_cloud' is "
        "still the name of connectors[0]; renamed_from names what this job was deployed as before, a name no "
        "connector or job has now: correct it, or remove it"]


@pytest.mark.parametrize("old, where", [
    ("    renamed_from: servicenow\n", "connectors[1]"),
    ("    renamed_from: daily\n", "jobs.nightly"),
])
def test_one_old_name_claimed_twice(old, where):
    text = _edit(RENAMED, old, old.replace("servicenow", "github").replace("daily", "github"))
    # The first claim (in file order: connectors, then jobs) keeps the name; the second is the mistake.
    assert errors_of(text) == [
        f"connectors.yaml:{_line(text, 'renamed_from: github', 2)}: {where}.renamed_from: 'github' is also the "
        "renamed_from of connectors[0]; one deployed connector or job can move to one new name only: remove it "
        "from one of them"]


@pytest.mark.parametrize("text_of, field, what, example", [
    (lambda name: _edit(RENAMED, "    renamed_from: github\n", f"    renamed_from: {name}\n"),
     "connectors[0].renamed_from", "connector name", "github"),
    (lambda name: _edit(RENAMED, "    renamed_from: daily\n", f"    renamed_from: {name}\n"),
     "jobs.nightly.renamed_from", "job key", "daily_refresh"),
])
def test_an_old_name_that_is_no_name(text_of, field, what, example):
    text = text_of("Git-Hub")
    errors = errors_of(text)
    assert len(errors) == 1
    assert errors[0].startswith(f"connectors.yaml:{_line(text, 'Git-Hub')}: {field}: 'Git-Hub' is not a valid "
                                f"{what}; ")
    assert f"'{example}'" in errors[0]


@pytest.mark.parametrize("old, new, field", [
    ("    renamed_from: github\n", "    renamed_from: [github, github_old]\n", "connectors[0].renamed_from"),
    ("    renamed_from: daily\n", "    renamed_from: [daily]\n", "jobs.nightly.renamed_from"),
])
def test_a_list_of_old_names_is_refused(old, new, field):
    text = _edit(RENAMED, old, new)
    assert errors_of(text) == [
        f"connectors.yaml:{_line(text, 'renamed_from: [')}: {field}: takes one name, the one every environment "
        "last deployed (e.g. renamed_from: github); deploy a rename to every environment before renaming again"]


@pytest.mark.parametrize("edit", [
    ("    renamed_from: github\n", "    renamed_from: github_enterprise\n"),  # any name nothing has now
    ("    renamed_from: daily\n", "    renamed_from: daily_refresh\n"),
    ("    renamed_from: servicenow\n", ""),  # a rename without renamed_from is a remove and an add: still valid
])
def test_valid_look_alikes(edit):
    parse_config(_edit(RENAMED, *edit), "connectors.yaml")


# -------------------------------------------------------------------------- the lock: pipelines that hold data


def test_the_lock_follows_a_renamed_managed_connector():
    lock = Lock({"dev": {"servicenow": "servicenow_dev"}, "prod": {"servicenow": "servicenow_prod"}})
    parse_config(RENAMED, "connectors.yaml", lock=lock)


def test_a_renamed_managed_connector_that_changes_its_connection_still_replaces_the_pipeline():
    lock = Lock({"dev": {"servicenow": "servicenow_dev"}, "prod": {"servicenow": "servicenow_prod_old"}})
    assert errors_of(RENAMED, lock) == [
        f"connectors.yaml:{_line(RENAMED, 'connection: {dev')}: connectors[1].connection.prod: changing "
        "'servicenow_prod_old' to 'servicenow_prod' replaces the pipeline, and Databricks deletes every table a "
        "pipeline ingested when it deletes the pipeline; keep 'servicenow_prod_old', or accept the loss with "
        "acknowledge_data_loss: {prod: {connection: servicenow_prod, reason: <why>}}"]


def test_a_rename_without_renamed_from_still_deletes_the_pipeline():
    lock = Lock({"prod": {"servicenow": "servicenow_prod"}})
    text = _edit(RENAMED, "    renamed_from: servicenow\n", "")
    assert errors_of(text, lock) == [
        "connectors.yaml:22: connectors: 'servicenow' was synthesized into prod as a lakeflow_connect connector "
        "(connectors.lock.json) and is no longer here; removing it deletes its pipeline and every table it "
        "ingested. Put it back, or accept the loss by deleting its entry under pipelines.prod in "
        "connectors.lock.json in the same change"]


def test_a_batch_connector_cannot_take_over_a_managed_connectors_pipeline():
    lock = Lock({"prod": {"servicenow": "servicenow_prod"}})
    text = _edit(_edit(RENAMED, "    renamed_from: servicenow\n", ""), "    renamed_from: github\n",
                 "    renamed_from: servicenow\n")
    assert errors_of(text, lock)[0].startswith(
        "connectors.yaml:22: connectors: 'servicenow' was synthesized into prod as a lakeflow_connect connector")
