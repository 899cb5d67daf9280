"""A batch connector's source, settings, secrets and initial mark are checked at synth against what the source
declares (notebooks/source_<name>.py's SPEC), with file, line, field, value and fix."""

from __future__ import annotations

from connectors_config import parse_config, resolve
from tests.conftest import PROJECT_DIR
from tests.connectors_config.test_loader import VALID, errors_of, replace

GITHUB_SETTINGS = "    settings: {organisation: acme}\n"
# The sources notebooks/ has: the platform's and any a user added (the message lists them all).
SOURCES = ", ".join(sorted(path.stem.removeprefix("source_")
                           for path in (PROJECT_DIR / "notebooks").glob("source_*.py")))


def test_a_missing_required_setting_names_the_source_and_what_it_is():
    assert errors_of(replace(GITHUB_SETTINGS, "")) == [
        "connectors.yaml:23: connectors[0].settings.organisation: is required by source 'github': the "
        "organisation's login, as in https://github.com/<organisation>"]


def test_an_unknown_setting_lists_the_sources_settings():
    assert errors_of(replace(GITHUB_SETTINGS, "    settings: {organisation: acme, org_name: abc}\n")) == [
        "connectors.yaml:27: connectors[0].settings.org_name: is not a setting of source 'github' (its settings: "
        "base_url, organisation)"]


def test_a_setting_of_the_wrong_shape_says_what_it_must_be():
    assert errors_of(replace(GITHUB_SETTINGS, "    settings: {organisation: [acme]}\n")) == [
        "connectors.yaml:27: connectors[0].settings.organisation: must be a non-empty string"]


def test_secrets_must_be_exactly_the_ones_the_source_reads():
    assert errors_of(replace("secrets: [github-token]", "secrets: [github-pat]")) == [
        "connectors.yaml:26: connectors[0].secrets: source 'github' reads its token from the secret "
        "'github-token'; add 'github-token' to secrets",
        "connectors.yaml:26: connectors[0].secrets[0]: 'github-pat' is not read by source 'github' (it reads: "
        "github-token); remove it"]


def test_an_unknown_source_lists_the_sources_there_are():
    assert {"cmdb", "github", "sonarqube"} <= set(SOURCES.split(", "))
    assert errors_of(replace("  - name: github\n", "  - name: github\n    source: githib\n")) == [
        f"connectors.yaml:24: connectors[0].source: no source 'githib' in notebooks/ (sources: {SOURCES}); use one "
        "of them or add notebooks/source_<name>.py"]


def test_a_connector_named_unlike_any_source_must_say_which_it_runs():
    text = replace("  - name: github\n", "  - name: github_second_org\n")
    text = replace("secrets: [github-token]", "secrets: [github_second_org-token]", text)
    assert errors_of(text) == [
        f"connectors.yaml:23: connectors[0].name: no source 'github_second_org' in notebooks/ (sources: {SOURCES}); "
        "set `source:` to one of them or add notebooks/source_<name>.py"]
    fixed = replace("  - name: github_second_org\n", "  - name: github_second_org\n    source: github\n", text)
    resolved = resolve(parse_config(fixed), "dev").connectors
    assert [(c.name, c.source, c.secrets) for c in resolved] == [
        ("cmdb", "cmdb", ("cmdb-client-id", "cmdb-client-secret")),
        ("github_second_org", "github", ("github_second_org-token",))]


def test_initial_mark_needs_a_time_zone():
    assert errors_of(replace(GITHUB_SETTINGS, GITHUB_SETTINGS + "    initial_mark: 2024-01-01 10:00:00\n")) == [
        "connectors.yaml:28: connectors[0].initial_mark: 2024-01-01T10:00:00 has no time zone; write it in UTC "
        "with a Z, e.g. 2024-01-01T00:00:00Z"]
    assert errors_of(replace(GITHUB_SETTINGS, GITHUB_SETTINGS + "    initial_mark: last year\n")) == [
        "connectors.yaml:28: connectors[0].initial_mark: is not a point in time; write e.g. 2024-01-01T00:00:00Z "
        "or 2024-01-01"]


def test_resolved_connectors_carry_source_settings_and_initial_mark_for_the_job():
    text = replace(GITHUB_SETTINGS, "    settings: {organisation: acme, base_url: 'https://ghe.example.com/api/v3'}\n"
                   "    initial_mark: 2024-03-01T12:00:00+01:00\n")
    github = {c.name: c for c in resolve(parse_config(text), "prod").connectors}["github"]
    assert github.source == "github"
    assert github.settings_json == '{"base_url":"https://ghe.example.com/api/v3","organisation":"acme"}'
    assert github.initial_mark == "2024-03-01T11:00:00Z"
    cmdb = {c.name: c for c in resolve(parse_config(VALID), "prod").connectors}["cmdb"]
    assert cmdb.initial_mark == ""  # the source's whole history
    assert cmdb.settings_json == ('{"fields":{"key":"id","updated_at":"updated"},'
                                  '"url":"https://cmdb.example.com/api/apps"}')


def test_a_date_is_midnight_utc():
    text = replace(GITHUB_SETTINGS, GITHUB_SETTINGS + "    initial_mark: 2024-01-01\n")
    github = {c.name: c for c in resolve(parse_config(text), "dev").connectors}["github"]
    assert github.initial_mark == "2024-01-01T00:00:00Z"


def test_the_benchmarks_generated_connectors_are_valid(monkeypatch):
    import sys

    from tests.conftest import SAMPLE_CONFIG

    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import benchmark

    monkeypatch.setattr(benchmark, "SAMPLE", SAMPLE_CONFIG)  # the sample's environments, not the user's
    config = parse_config(benchmark.config_text(3))
    assert [(c.name, c.source, c.secrets) for c in resolve(config, "dev").connectors] == [
        (f"conn_000{i}", "github", (f"conn_000{i}-token",)) for i in (1, 2, 3)]
