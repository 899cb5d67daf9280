"""`${connectors.sources.<source>,...}` (connectors_config/jobs_derived.py): the connectors a job reads and their
silver tables, derived from the `connectors` section per environment, so a connector named otherwise than its
source, renamed or added needs no edit in the jobs; and each way such a list goes stale is an error naming the fix."""

from __future__ import annotations

import pytest

from connectors_config import resolve
from connectors_config.sources import available_sources
from tests.connectors_config.test_jobs import errors_of, line_of, parsed
from tests.fixtures.builders import CMDB, SERVICENOW, batch_connector, connectors, environments

GITHUB_CLOUD = batch_connector("github_cloud", "0 */15 * * * ?", settings="{organisation: acme}",
                               secrets=("github_cloud-token",), extra="    source: github\n")
GITHUB = batch_connector("github", "0 */15 * * * ?", settings="{organisation: acme-oss}", secrets=("github-token",))
SONAR = batch_connector("sonar", "0 0 3 * * ?", settings='{base_url: "https://sonar.example.com", projects: [api]}',
                        secrets=("sonar-token",), extra="    source: sonarqube\n")
RENAMED = (GITHUB_CLOUD, SONAR, CMDB, SERVICENOW)  # github renamed github_cloud; sonarqube's connector is sonar


def config(jobs: str, *entries: str) -> str:
    return environments() + connectors(*(entries or RENAMED)) + "jobs:\n" + jobs


def settings(text: str, env: str, key: str = "gold") -> dict:
    return {job.key: job for job in resolve(parsed(text), env).jobs}[key].settings


GOLD = """\
  gold:
    trigger:
      table_update:
        table_names:
          - ${connectors.sources.github.tables.code_scanning_alerts,dependabot_alerts}
          - ${env.catalog}.${env.silver_schema}.cmdb_applications
          - ${connectors.sources.sonarqube.tables.issues}
    parameters:
      - {name: connectors, default: "${connectors.sources.github,sonarqube}"}
    tasks:
      - task_key: build
        notebook_task:
          notebook_path: notebooks/gold_entry.py
          base_parameters: {connectors: "{{job.parameters.connectors}}", note: "reads ${connectors.sources.cmdb}"}
"""


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_connectors_and_their_tables_are_derived_with_each_connectors_source_per_environment(env):
    text = config(GOLD)
    gold = settings(text, env)
    assert gold["parameters"] == [{"name": "connectors", "default": "github_cloud:github,sonar:sonarqube"}]
    assert gold["trigger"]["table_update"]["table_names"] == [
        f"appsec_{env}.silver.github_cloud_code_scanning_alerts", f"appsec_{env}.silver.github_cloud_dependabot_alerts",
        f"appsec_{env}.silver.cmdb_applications", f"appsec_{env}.silver.sonar_issues"]
    assert gold["tasks"][0]["notebook_task"]["base_parameters"]["note"] == "reads cmdb"


def test_every_connector_of_a_source_is_derived_sorted_and_one_named_like_its_source_is_bare():
    text = config(GOLD, GITHUB_CLOUD, GITHUB, SONAR, CMDB)
    gold = settings(text, "dev")
    assert gold["parameters"][0]["default"] == "github,github_cloud:github,sonar:sonarqube"
    assert gold["trigger"]["table_update"]["table_names"] == [
        "appsec_dev.silver.github_code_scanning_alerts", "appsec_dev.silver.github_dependabot_alerts",
        "appsec_dev.silver.github_cloud_code_scanning_alerts", "appsec_dev.silver.github_cloud_dependabot_alerts",
        "appsec_dev.silver.cmdb_applications", "appsec_dev.silver.sonar_issues"]


def test_a_renamed_connector_is_followed_without_an_edit_to_the_job():
    before = config(GOLD, GITHUB, SONAR, CMDB)
    after = config(GOLD, GITHUB_CLOUD, SONAR, CMDB)
    assert settings(before, "prod")["parameters"][0]["default"] == "github,sonar:sonarqube"
    assert settings(after, "prod")["parameters"][0]["default"] == "github_cloud:github,sonar:sonarqube"
    assert settings(after, "prod")["trigger"]["table_update"]["table_names"][:2] == [
        "appsec_prod.silver.github_cloud_code_scanning_alerts", "appsec_prod.silver.github_cloud_dependabot_alerts"]


def test_sources_without_a_connector_are_left_out_while_one_of_them_has_one():
    text = config(GOLD.replace("github,sonarqube}", "github,sonarqube,cmdb}"), GITHUB_CLOUD, CMDB)
    # The trigger names sonarqube's tables alone: with no connector of sonarqube, that is an error.
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'sonarqube.tables.issues')}: jobs.gold.trigger.table_update.table_names[2]: "
        f"${{connectors.sources.sonarqube.tables.issues}}: no batch connector reads sonarqube in environment {env}, so "
        "it stands for nothing; add a connector with `source: sonarqube`, or name the sources the connectors read "
        "(connectors: cmdb reads cmdb; github_cloud reads github)" for env in ("dev", "prod")]
    text = text.replace("          - ${connectors.sources.sonarqube.tables.issues}\n", "")
    assert settings(text, "dev")["parameters"][0]["default"] == "cmdb,github_cloud:github"


# The sources are the notebooks/source_<name>.py a user has (adding one must not break this test): the names below
# that must be no source are none of them.
SOURCES = f"{', '.join(available_sources())}, each notebooks/source_<name>.py"
assert not {"no_such_source", "github_cloud", "not_a_source_either"} & set(available_sources())


@pytest.mark.parametrize(("written", "message"), [
    ("${connectors.sources.no_such_source}",
     f"${{connectors.sources.no_such_source}}: 'no_such_source' is no source (sources: {SOURCES}); name the source a connector reads "
     "(its `source:`, or its name where it has none)"),
    ("${connectors.sources.github_cloud,not_a_source_either}",
     f"${{connectors.sources.github_cloud,not_a_source_either}}: 'github_cloud', 'not_a_source_either' are no sources (sources: {SOURCES}); name "
     "the source a connector reads (its `source:`, or its name where it has none)"),
    ("${connectors.sources.github,}",
     "${connectors.sources.github,} names no source between two commas or at an end; list sources as "
     "${connectors.sources.github}"),
    ("${connectors.github}",
     "unknown substitution ${connectors.github}; use ${connectors.sources.<source>[,<source>...]} (the connectors of "
     "those sources, as <connector>:<source>,...), ${connectors.sources.<source>[,...].tables.<entity>[,...]} (their "
     "silver tables, as items of a list)"),
    ("${connectors.sources.github.tables.code_scanning_alerts}",
     "${connectors.sources.github.tables.code_scanning_alerts} stands for several silver tables; write it as an item "
     "of a list, e.g. of trigger.table_update.table_names"),
    ("x ${connectors.sources.github.tables.code_scanning_alerts}",
     "${connectors.sources.github.tables.code_scanning_alerts} must be the whole value, not part of 'x "
     "${connectors.sources.github.tables.code_scanning_alerts}'"),
], ids=["unknown_source", "connector_names_are_no_sources", "empty_item", "unknown_form", "tables_not_in_a_list",
        "tables_inside_a_string"])
def test_a_bad_connectors_substitution_names_the_forms_and_sources(written, message):
    text = config(f"""\
  gold:
    parameters: [{{name: connectors, default: "{written}"}}]
    tasks: [{{task_key: t, notebook_task: {{notebook_path: /Workspace/x}}}}]
""")
    where = f"connectors.yaml:{line_of(text, 'default:')}: jobs.gold.parameters[0].default: "
    assert errors_of(text) == [where + message]  # the same in dev and prod: once


def test_sources_no_connector_reads_stand_for_nothing_and_are_an_error_naming_each_environment():
    text = config("""\
  gold:
    parameters: [{name: connectors, default: "${connectors.sources.sonarqube}"}]
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
""", GITHUB_CLOUD, CMDB)
    where = f"connectors.yaml:{line_of(text, 'default:')}: jobs.gold.parameters[0].default: "
    assert errors_of(text) == [
        where + f"${{connectors.sources.sonarqube}}: no batch connector reads sonarqube in environment {env}, so it "
        "stands for nothing; add a connector with `source: sonarqube`, or name the sources the connectors read "
        "(connectors: cmdb reads cmdb; github_cloud reads github)" for env in ("dev", "prod")]


@pytest.mark.parametrize(("written", "message"), [
    ("${connectors.sources.github.tables.code_scanning_alerts,issues}",
     "${connectors.sources.github.tables.code_scanning_alerts,issues}: source github has no entity 'issues' (its "
     "entities: repositories, code_scanning_alerts, dependabot_alerts, secret_scanning_alerts); name entities every "
     "listed source produces"),
    ("${connectors.sources.github,sonarqube.tables.code_scanning_alerts}",
     "${connectors.sources.github,sonarqube.tables.code_scanning_alerts}: source sonarqube has no entity "
     "'code_scanning_alerts' (its entities: projects, issues, security_hotspots); name entities every listed source "
     "produces"),
    ("${connectors.sources.github.tables.}",
     "${connectors.sources.github.tables.} names no entity between two commas or at an end; list entities as a,b"),
], ids=["entity_of_another_source", "entity_of_one_source_only", "no_entity"])
def test_a_table_of_an_entity_the_source_does_not_produce_is_an_error(written, message):
    text = config(f"""\
  gold:
    trigger:
      table_update:
        table_names: ["{written}"]
    tasks: [{{task_key: t, notebook_task: {{notebook_path: /Workspace/x}}}}]
""")
    where = f"connectors.yaml:{line_of(text, 'table_names:')}: jobs.gold.trigger.table_update.table_names[0]: "
    assert errors_of(text) == [where + message]


def test_a_written_trigger_table_of_a_renamed_connector_names_the_derived_form():
    text = config("""\
  gold:
    trigger:
      table_update:
        table_names:
          - ${connectors.sources.sonarqube.tables.issues,security_hotspots}
          - ${env.catalog}.${env.silver_schema}.github_cloud_dependabot_alerts
          - ${env.catalog}.${env.silver_schema}.github_code_scanning_alerts
          - ${env.catalog}.${env.silver_schema}.sonarqube_issues
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
""")
    silver = ("cmdb_applications, github_cloud_code_scanning_alerts, github_cloud_dependabot_alerts, "
              "github_cloud_repositories, github_cloud_secret_scanning_alerts, sonar_issues, sonar_projects, "
              "sonar_security_hotspots")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, f'.{table}')}: jobs.gold.trigger.table_update.table_names[{index}]: "
        f"appsec_{env}.silver.{table}: no connector writes silver table '{table}'; no connector is named '{source}', "
        f"and {connector} reads source {source}: write ${{connectors.sources.{source}.tables.{entity}}}, which names "
        f"the table of every connector of source {source} and follows renames (silver tables: {silver})"
        for index, table, source, connector, entity in (
            (2, "github_code_scanning_alerts", "github", "github_cloud", "code_scanning_alerts"),
            (3, "sonarqube_issues", "sonarqube", "sonar", "issues"))
        for env in ("dev", "prod")]


def test_a_problem_after_a_derived_list_of_tables_is_reported_on_its_own_line():
    text = config("""\
  gold:
    trigger:
      table_update:
        table_names:
          - ${connectors.sources.github.tables.code_scanning_alerts,dependabot_alerts,secret_scanning_alerts}
          - 42
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
""")
    # The schema sees item 3 of the substituted list; the message points at the item written.
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '- 42')}: jobs.gold.trigger.table_update.table_names[1]: 42 is not a string"]


def test_a_reference_to_a_renamed_connectors_job_names_it_by_its_name_now():
    text = config("""\
  refresh:
    tasks: [{task_key: t, run_job_task: {job_id: "${resources.jobs.github.id}"}}]
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'resources.jobs.github')}: jobs.refresh.tasks[0].run_job_task.job_id: "
        "${resources.jobs.github.id} names no job of this config; jobs: refresh; connectors: cmdb, github_cloud, "
        "servicenow, sonar; no connector is named 'github', but github_cloud reads source github: write "
        "${resources.jobs.github_cloud.id}"]


ORCHESTRATOR = """\
  daily:
    parameters: [{name: connectors, default: github}]
    tasks:
      - task_key: gold
        run_job_task:
          job_id: ${resources.jobs.gold.id}
          job_parameters: {connectors: PASSED, other: github}
"""


def test_a_written_value_passed_to_a_derived_parameter_is_an_error_naming_where_it_is_derived():
    text = config(GOLD + ORCHESTRATOR.replace("PASSED", '"github,sonarqube"'))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'job_parameters:')}: jobs.daily.tasks[0].run_job_task.job_parameters."
        "connectors: passes connectors='github,sonarqube' to job 'gold', whose parameter 'connectors' is derived from "
        f"the connectors (${{connectors.sources.github,sonarqube}}, connectors.yaml:{line_of(text, '- {name: conn')} "
        "jobs.gold.parameters[0].default); a written value stays as written when a connector is renamed, added or "
        "removed; remove it here (the job's default applies) or pass ${connectors.sources.github,sonarqube}"]


@pytest.mark.parametrize("passed", ['"${connectors.sources.github}"', '"{{job.parameters.connectors}}"'])
def test_a_derived_or_dynamic_value_may_be_passed_to_a_derived_parameter(passed):
    text = config(GOLD + ORCHESTRATOR.replace("PASSED", passed))
    expected = {"connectors": "github_cloud:github" if "sources" in passed else "{{job.parameters.connectors}}",
                "other": "github"}
    assert settings(text, "dev", "daily")["tasks"][0]["run_job_task"]["job_parameters"] == expected
