"""{{secrets/<scope>/<key>}} in the `jobs` section: accepted as a value of a cluster's spark_conf or spark_env_vars
(a task's new_cluster or a job cluster's), where Databricks resolves it, if it reads the environment's own scope as
an identity with READ on it; refused anywhere else, with its file, line and fix."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config, resolve
from tests.conftest import PROJECT_DIR
from tests.fixtures.builders import CMDB, GITHUB, connectors, environment, environments

OTHER_PRINCIPAL = "5c6d7e8f-1a2b-4c3d-9e8f-0a1b2c3d4e5f"


def config(cluster: str, *, fields: str = "", parameters: str = "{catalog: x}") -> str:
    """dev and prod, each with its own secret scope, and one job whose task runs on a new cluster with `cluster`
    (YAML lines of the new_cluster, indented for it) and passes `parameters` to its notebook."""
    return (environments(environment("dev", extra="    secret_scope: connectors-dev\n"),
                         environment("prod", extra="    secret_scope: connectors-prod\n"))
            + connectors(GITHUB, CMDB)
            + "jobs:\n  gold:\n    name: gold\n" + fields
            + "    tasks:\n      - task_key: build\n        notebook_task:\n"
              "          notebook_path: notebooks/gold_entry.py\n"
              f"          base_parameters: {parameters}\n"
              "        new_cluster:\n          spark_version: 14.3.x-scala2.12\n          num_workers: 1\n"
            + cluster)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=PROJECT_DIR)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def settings_of(text: str, env: str) -> dict:
    config = parse_config(text, "connectors.yaml", base_dir=PROJECT_DIR)
    [job] = resolve(config, env).jobs
    return job.settings


@pytest.mark.parametrize(("field", "key"), [
    ("spark_conf", "spark.hadoop.fs.s3a.secret.key"),
    ("spark_conf", "fs.azure.account.key.appsecdata.dfs.core.windows.net"),
    ("spark_env_vars", "JIRA_TOKEN"),
])
def test_a_secret_reference_to_the_own_scope_in_a_cluster_setting_is_accepted(field, key):
    text = config(f'          {field}:\n            {key}: "{{{{secrets/${{env.secret_scope}}/jira-token}}}}"\n')
    for env in ("dev", "prod"):
        cluster = settings_of(text, env)["tasks"][0]["new_cluster"]
        assert cluster[field] == {key: f"{{{{secrets/connectors-{env}/jira-token}}}}"}


def test_a_secret_reference_in_a_job_cluster_is_accepted():
    text = config('          spark_conf: {spark.sql.shuffle.partitions: "8"}\n', fields=(
        "    job_clusters:\n      - job_cluster_key: main\n        new_cluster:\n"
        "          spark_version: 14.3.x-scala2.12\n          num_workers: 1\n"
        '          spark_env_vars: {DB_PASSWORD: "{{secrets/${env.secret_scope}/db-password}}"}\n'))
    assert settings_of(text, "dev")["job_clusters"][0]["new_cluster"]["spark_env_vars"] == {
        "DB_PASSWORD": "{{secrets/connectors-dev/db-password}}"}


ELSEWHERE = ("is a secret reference, which Databricks resolves only in a cluster's spark_conf and spark_env_vars "
             "(new_cluster of a task or of job_clusters); read the secret in code with dbutils.secrets.get(scope, "
             "key), or pass it to the cluster there")


@pytest.mark.parametrize(("parameters", "where"), [
    ('{token: "{{secrets/shared/jira-token}}"}', "tasks[0].notebook_task.base_parameters.token"),
    ('{url: "https://x:{{secrets/shared/db-password}}@db.example.com"}',
     "tasks[0].notebook_task.base_parameters.url"),
])
def test_a_secret_reference_outside_a_cluster_setting_is_refused(parameters, where):
    text = config("", parameters=parameters)
    reference = "{{" + parameters.split("{{")[1].split("}}")[0] + "}}"
    assert errors_of(text) == [f"connectors.yaml:42: jobs.gold.{where}: {reference} {ELSEWHERE}"]


def test_a_secret_reference_in_the_jobs_description_or_tags_is_refused():
    text = config("", fields='    description: "reads {{secrets/shared/k}}"\n')
    assert errors_of(text) == [f"connectors.yaml:38: jobs.gold.description: {{{{secrets/shared/k}}}} {ELSEWHERE}"]


def test_a_malformed_secret_reference_in_a_cluster_setting_is_refused():
    text = config('          spark_conf: {spark.x.password: "{{secrets/shared}}"}\n')
    assert errors_of(text) == ["connectors.yaml:46: jobs.gold.tasks[0].new_cluster.spark_conf.spark.x.password: "
                               "{{secrets/shared}} is not a secret reference; write {{secrets/<scope>/<key>}}"]


@pytest.mark.parametrize("scope", ["shared-scope", "team-secrets"])
def test_a_secret_reference_to_a_scope_not_the_environments_is_refused(scope):
    text = config(f'          spark_conf: {{spark.hadoop.fs.s3a.secret.key: "{{{{secrets/{scope}/s3-key}}}}"}}\n')
    assert errors_of(text) == [
        f"connectors.yaml:46: jobs.gold.tasks[0].new_cluster.spark_conf.spark.hadoop.fs.s3a.secret.key: "
        f"{{{{secrets/{scope}/s3-key}}}} reads secret scope '{scope}', not {env}'s scope 'connectors-{env}', the only "
        "one its jobs have READ on; write {{secrets/${env.secret_scope}/s3-key}}" for env in ("dev", "prod")]


def test_a_secret_reference_to_another_environments_scope_is_refused_once():
    """In prod, dev's scope is another environment's: the cross-environment message alone."""
    text = config('          spark_conf: {spark.hadoop.fs.s3a.secret.key: "{{secrets/connectors-dev/s3-key}}"}\n')
    assert errors_of(text) == [
        "connectors.yaml:46: jobs.gold.tasks[0].new_cluster.spark_conf.spark.hadoop.fs.s3a.secret.key: names dev's "
        "secret scope 'connectors-dev' (environments.dev.secret_scope) in prod; each environment must use its own "
        "secret scope: write ${env.secret_scope} instead"]


def test_a_job_running_as_an_identity_without_read_on_the_scope_is_refused():
    text = config('          spark_conf: {spark.x.password: "{{secrets/${env.secret_scope}/db-password}}"}\n',
                  fields=f"    run_as: {{service_principal_name: {OTHER_PRINCIPAL}}}\n")
    assert errors_of(text) == [
        "connectors.yaml:47: jobs.gold.tasks[0].new_cluster.spark_conf.spark.x.password: "
        f"{{{{secrets/connectors-{env}/db-password}}}}: the job runs as '{OTHER_PRINCIPAL}', which has no READ on "
        f"secret scope 'connectors-{env}' (READ goes to {env}'s run_as and its batch connectors' run_as); run the "
        "job as one of them, e.g. ${env.run_as}" for env in ("dev", "prod")]
