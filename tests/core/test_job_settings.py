"""The offline checks no other tool makes (core.job_settings), through connectors.yaml: each check
with a config that fails it (its exact message, file, line and field) and one that passes it; and the same
checks guarding every LakeflowJob, connectors' jobs included."""

from __future__ import annotations

import pytest

from core.job_settings import secret_references, settings_problems, task_types
from constructs.lakeflow_job import JobAccess, LakeflowJobProps
from core.principals import Principal
from tests.fixtures import builders
from tests.connectors_config.test_jobs import config, errors_of, line_of, parsed

NB = "notebook_task: {notebook_path: /Workspace/etl/nb}"


def job(body: str, *, top: str = "") -> str:
    """A `jobs` section with one job 'j': `top` adds job-level fields, `body` is its task list."""
    return builders.job("j", body, top)


def expect(text: str, needle: str, path: str, message: str) -> None:
    assert errors_of(text) == [f"connectors.yaml:{line_of(text, needle)}: {path}: {message}"]


ONE_TASK = f"- {{task_key: a, {NB}}}"
QUARTZ_HINT = "Quartz needs 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year])"
VOLUME_HINT = ("is neither a Unity Catalog volume path (/Volumes/<catalog>/<schema>/<volume>/...) nor an external "
               "location URL (abfss://, s3://, gs://, r2://); a file arrival trigger watches only those")

# id -> (failing jobs section, the line's needle, field path, exact message, a passing jobs section)
CASES = {
    # --- triggers
    "quartz": (
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 * *", timezone_id: UTC}'),
        '"0 0 5 * *"', "jobs.j.schedule.quartz_cron_expression",
        f"0 0 5 * * is not a valid Quartz cron expression: has 5 fields, which is a unix cron expression; "
        f"{QUARTZ_HINT}, e.g. '0 */15 * * * ?' for every 15 minutes",
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 ? * MON-FRI", timezone_id: UTC}')),
    "quartz day that never occurs": (
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 30 FEB ?", timezone_id: UTC}'),
        "30 FEB", "jobs.j.schedule.quartz_cron_expression",
        "0 0 5 30 FEB ? is not a valid Quartz cron expression: day-of-month '30' never occurs in FEB, so the "
        "schedule never fires; use a day from 1 to 29, or 'L' for the last day of the month",
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 L FEB ?", timezone_id: UTC}')),
    "time zone": (
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 * * ?", timezone_id: Europe/Berlinn}'),
        "Berlinn", "jobs.j.schedule.timezone_id",
        "Europe/Berlinn is not a time zone; use an IANA/Java time zone id (e.g. 'UTC', 'Europe/Berlin')",
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 * * ?", timezone_id: Europe/Berlin}')),
    "two triggers": (
        job(ONE_TASK, top='schedule: {quartz_cron_expression: "0 0 5 * * ?", timezone_id: UTC}\n'
                          "trigger: {periodic: {interval: 1, unit: HOURS}}"),
        "periodic", "jobs.j.trigger",
        "the job sets schedule and trigger, but a job has at most one of schedule, continuous and trigger; keep one "
        "(an orchestrator job can start it on a schedule)",
        job(ONE_TASK, top="trigger: {periodic: {interval: 1, unit: HOURS}}")),
    "continuous with concurrent runs": (
        job(ONE_TASK, top="continuous: {pause_status: UNPAUSED}\nmax_concurrent_runs: 2"),
        "max_concurrent_runs: 2", "jobs.j.max_concurrent_runs",
        "2: a continuous job runs one run at a time; set 1 or remove it",
        job(ONE_TASK, top="continuous: {pause_status: UNPAUSED}\nmax_concurrent_runs: 1")),
    "table_update name not three-part": (
        job(ONE_TASK, top="trigger: {table_update: {table_names: [gold.open_findings]}}"),
        "gold.open_findings", "jobs.j.trigger.table_update.table_names[0]",
        "'gold.open_findings' is not a three-part table name; write catalog.schema.table, e.g. "
        "'<catalog>.gold.open_findings'",
        job(ONE_TASK, top='trigger: {table_update: {table_names: ["${env.catalog}.gold.open_findings"]}}')),
    "file_arrival not a volume": (
        job(ONE_TASK, top="trigger: {file_arrival: {url: 'dbfs:/mnt/landing/'}}"),
        "dbfs:/mnt", "jobs.j.trigger.file_arrival.url", f"'dbfs:/mnt/landing/' {VOLUME_HINT}",
        job(ONE_TASK, top='trigger: {file_arrival: {url: "/Volumes/${env.catalog}/bronze/landing/"}}')),
    # --- the task graph
    "unknown depends_on": (
        job(f"{ONE_TASK}\n- {{task_key: b, depends_on: [{{task_key: ingest}}], {NB}}}"),
        "task_key: ingest", "jobs.j.tasks[1].depends_on[0].task_key", "'ingest' is not a task of this job; tasks: a, b",
        job(f"{ONE_TASK}\n- {{task_key: b, depends_on: [{{task_key: a}}], {NB}}}")),
    "cycle": (
        job(f"- {{task_key: a, {NB}}}\n"
            f"- {{task_key: b, depends_on: [{{task_key: a}}, {{task_key: d}}], {NB}}}\n"
            f"- {{task_key: c, depends_on: [{{task_key: b}}], {NB}}}\n"
            f"- {{task_key: d, depends_on: [{{task_key: c}}], {NB}}}"),
        "task_key: b,", "jobs.j.tasks[1].depends_on",
        "depends_on forms a cycle: b -> d -> c -> b (each waits for the next), so none of them can start; remove one "
        "of these dependencies",
        job(f"- {{task_key: a, {NB}}}\n"
            f"- {{task_key: b, depends_on: [{{task_key: a}}], {NB}}}\n"
            f"- {{task_key: c, depends_on: [{{task_key: b}}], {NB}}}\n"
            f"- {{task_key: d, depends_on: [{{task_key: c}}, {{task_key: a}}], {NB}}}")),
    "duplicate task key": (
        job(f"{ONE_TASK}\n- {{task_key: a, spark_python_task: {{python_file: /Workspace/etl/x.py}}}}"),
        "spark_python_task", "jobs.j.tasks[1].task_key",
        "'a' is already the task_key of tasks[0]; task keys must be unique in a job",
        job(f"{ONE_TASK}\n- {{task_key: b, spark_python_task: {{python_file: /Workspace/etl/x.py}}}}")),
    "no task type": (
        job(f"{ONE_TASK}\n- {{task_key: b, max_retries: 1}}"),
        "max_retries: 1", "jobs.j.tasks[1]",
        "task 'b' has no task type; set exactly one, e.g. notebook_task, spark_python_task, sql_task, "
        "pipeline_task, run_job_task, condition_task or for_each_task",
        job(f"{ONE_TASK}\n- {{task_key: b, max_retries: 1, {NB}}}")),
    "two task types": (
        job(f"- task_key: a\n  {NB}\n  spark_python_task: {{python_file: /Workspace/etl/x.py}}"),
        "spark_python_task", "jobs.j.tasks[0].spark_python_task",
        "task 'a' sets notebook_task and spark_python_task, but a task runs exactly one task type; split it into "
        "tasks that depend on each other",
        job("- task_key: a\n  spark_python_task: {python_file: /Workspace/etl/x.py}")),
    "undefined job_cluster_key": (
        job(f"- {{task_key: a, job_cluster_key: shard, {NB}}}",
            top="job_clusters: [{job_cluster_key: shared, new_cluster: {spark_version: 14.3.x-scala2.12, "
                "num_workers: 1}}]"),
        "job_cluster_key: shard", "jobs.j.tasks[0].job_cluster_key",
        "'shard' is not a job cluster of this job; job_clusters: shared",
        job(f"- {{task_key: a, job_cluster_key: shared, {NB}}}",
            top="job_clusters: [{job_cluster_key: shared, new_cluster: {spark_version: 14.3.x-scala2.12, "
                "num_workers: 1}}]")),
    "undefined environment_key": (
        job("- {task_key: a, environment_key: default, spark_python_task: {python_file: /Workspace/etl/x.py}}"),
        "environment_key: default", "jobs.j.tasks[0].environment_key",
        "'default' is not an environment of this job; environments: none",
        job("- {task_key: a, environment_key: default, spark_python_task: {python_file: /Workspace/etl/x.py}}",
            top="environments: [{environment_key: default, spec: {client: '2'}}]")),
    "outcome on a non-condition task": (
        job(f"{ONE_TASK}\n- {{task_key: b, depends_on: [{{task_key: a, outcome: 'true'}}], {NB}}}"),
        "outcome", "jobs.j.tasks[1].depends_on[0].outcome",
        "outcome 'true' needs a condition_task, but 'a' is a notebook_task; remove outcome, or depend on a "
        "condition task",
        job("- {task_key: a, condition_task: {left: '{{job.trigger.type}}', op: EQUAL_TO, right: PERIODIC}}\n"
            f"- {{task_key: b, depends_on: [{{task_key: a, outcome: 'true'}}], {NB}}}")),
    "for_each inputs": (
        job(f"- task_key: each\n  for_each_task: {{inputs: 'github,sonarqube', task: {{task_key: one, {NB}}}}}"),
        "github,sonarqube", "jobs.j.tasks[0].for_each_task.inputs",
        "'github,sonarqube' is neither a JSON array nor a {{...}} reference; write e.g. '[\"a\", \"b\"]' or "
        "'{{tasks.<task>.values.<name>}}'",
        job("- task_key: each\n  for_each_task: {inputs: '[\"github\", \"sonarqube\"]', task: {task_key: one, "
            "notebook_task: {notebook_path: /Workspace/etl/nb, base_parameters: {source: '{{input}}'}}}}")),
    # --- references
    "task value not upstream": (
        job(f"{ONE_TASK}\n- {{task_key: b, {NB}}}\n"
            "- {task_key: c, depends_on: [{task_key: b}], notebook_task: {notebook_path: /Workspace/etl/nb, "
            "base_parameters: {n: '{{tasks.a.values.count}}'}}}"),
        "tasks.a.values.count", "jobs.j.tasks[2].notebook_task.base_parameters.n",
        "{{tasks.a.values.count}}: task 'a' is not upstream of task 'c', so it has not run when 'c' reads it; add "
        "'a' to the depends_on of 'c' (directly or through a task in between)",
        job(f"{ONE_TASK}\n- {{task_key: b, depends_on: [{{task_key: a}}], {NB}}}\n"
            "- {task_key: c, depends_on: [{task_key: b}], notebook_task: {notebook_path: /Workspace/etl/nb, "
            "base_parameters: {n: '{{tasks.a.values.count}}'}}}")),
    "undeclared job parameter": (
        job("- {task_key: a, notebook_task: {notebook_path: /Workspace/etl/nb, "
            "base_parameters: {day: '{{job.parameters.run_dat}}'}}}",
            top="parameters: [{name: run_date, default: '{{job.start_time.iso_date}}'}]"),
        "run_dat}}", "jobs.j.tasks[0].notebook_task.base_parameters.day",
        "{{job.parameters.run_dat}}: job parameter 'run_dat' is not declared; declare it under parameters, or use one "
        "of: run_date",
        job("- {task_key: a, notebook_task: {notebook_path: /Workspace/etl/nb, "
            "base_parameters: {day: '{{job.parameters.run_date}}'}}}",
            top="parameters: [{name: run_date, default: '{{job.start_time.iso_date}}'}]")),
    "unknown reference": (
        job("- {task_key: a, notebook_task: {notebook_path: /Workspace/etl/nb, "
            "base_parameters: {run: 'run-{{job.runid}}'}}}"),
        "job.runid", "jobs.j.tasks[0].notebook_task.base_parameters.run",
        "{{job.runid}} is not a dynamic value reference; did you mean {{job.run_id}}? use e.g. {{job.run_id}}, "
        "{{job.parameters.<name>}}, {{tasks.<task>.values.<name>}}",
        job("- {task_key: a, notebook_task: {notebook_path: /Workspace/etl/nb, "
            "base_parameters: {run: 'run-{{job.run_id}}', at: '{{job.trigger.time.iso_datetime}}'}}}")),
    "run_job literal id": (
        job("- {task_key: a, run_job_task: {job_id: 1234}}"),
        "job_id: 1234", "jobs.j.tasks[0].run_job_task.job_id",
        "1234 is a literal job id, which differs per workspace and cannot be checked; name the job as "
        "${resources.jobs.<key>.id} (jobs: j; connectors: cmdb, github, servicenow)",
        job("- {task_key: a, run_job_task: {job_id: '${resources.jobs.github.id}'}}")),
    "run_job unknown job": (
        job("- {task_key: a, run_job_task: {job_id: '${resources.jobs.gitlab.id}'}}"),
        "gitlab", "jobs.j.tasks[0].run_job_task.job_id",
        "${resources.jobs.gitlab.id} names no job of this config; jobs: j; connectors: cmdb, github, servicenow; "
        "name one of them (a connector's job by the connector's name), or add the job to the jobs section",
        job("- {task_key: a, run_job_task: {job_id: '${resources.jobs.cmdb.id}'}}")),
}


@pytest.mark.parametrize(("failing", "needle", "path", "message"), [case[:4] for case in CASES.values()],
                         ids=list(CASES))
def test_a_config_that_fails_the_check_gets_its_exact_message(failing, needle, path, message):
    expect(config(failing), needle, path, message)


@pytest.mark.parametrize("passing", [case[4] for case in CASES.values()], ids=list(CASES))
def test_a_config_that_passes_the_check_loads(passing):
    assert list(parsed(config(passing)).jobs) == ["j"]


def test_every_check_reports_at_once_with_its_own_line():
    text = config(job("- {task_key: a, depends_on: [{task_key: z}], notebook_task: {notebook_path: /Workspace/x, "
                      "base_parameters: {p: '{{job.parameters.p}}'}}}",
                      top='schedule: {quartz_cron_expression: "0 0 25 * * ?", timezone_id: UTC}'))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '0 0 25')}: jobs.j.schedule.quartz_cron_expression: 0 0 25 * * ? is not a "
        "valid Quartz cron expression: hours value 25 is out of range 0-23",
        f"connectors.yaml:{line_of(text, 'task_key: z')}: jobs.j.tasks[0].depends_on[0].task_key: 'z' is not a task "
        "of this job; tasks: a",
        f"connectors.yaml:{line_of(text, 'task_key: z')}: jobs.j.tasks[0].notebook_task.base_parameters.p: "
        "{{job.parameters.p}}: job parameter 'p' is not declared; declare it under parameters, or use one of: "
        "none declared",
    ]


# ---------------------------------------------------------------------------------------------- the checker itself


def problems(settings):
    return settings_problems({"name": "j", **settings})


NOTEBOOK = {"notebook_task": {"notebook_path": "/Workspace/etl/nb"}}


@pytest.mark.parametrize(("reference", "message"), [
    ("{{task.name}}", "{{task.name}} is used outside a task; {{task.*}} works only in a task's fields"),
    ("{{tasks.a.run_id}}", "{{tasks.a.run_id}} is used outside a task; {{tasks.*}} works only in the fields of a "
                           "task downstream of it"),
    ("{{input}}", "{{input}} is set only in the nested task of a for_each_task"),
    ("{{start_date}}", "{{start_date}} is deprecated; write {{job.start_time.iso_date}}"),
    ("{{job.start_time}}", "{{job.start_time}} needs one time argument, {{job.start_time.<argument>}}, one of: day, "
                           "hour, is_weekday, iso_date, iso_datetime, iso_weekday, minute, month, second, "
                           "timestamp_ms, year"),
    ("{{tasks.a.valus.x}}", "{{tasks.a.valus.x}}: 'valus.x' is not a field of a task; use error_code, "
                            "execution_count, notebook_path, result_state, run_id, values.<name> or output.<field>"),
    ("{{tasks.zz.values.x}}", "{{tasks.zz.values.x}}: 'zz' is not a task of this job; tasks: a"),
    ("{{my.value}}", "{{my.value}} is not a dynamic value reference; use e.g. {{job.run_id}}, "
                     "{{job.parameters.<name>}}, {{tasks.<task>.values.<name>}}"),
])
def test_references_in_job_level_fields(reference, message):
    assert problems({"parameters": [{"name": "p", "default": reference}], "tasks": [{"task_key": "a", **NOTEBOOK}]}) \
        == [(("parameters", 0, "default"), message)]


@pytest.mark.parametrize("reference", [
    "{{job.id}}", "{{job.name}}", "{{job.run_id}}", "{{job.repair_count}}", "{{job.trigger.type}}",
    "{{job.trigger.file_arrival.location}}", "{{job.trigger.table_update.updated_tables}}",
    "{{job.start_time.iso_weekday}}", "{{job.trigger.time.timestamp_ms}}", "{{job.parameters.`run date`}}",
    "{{workspace.url}}", "{{ job.id }}", "{{task.name}}", "{{tasks.a.result_state}}", "{{tasks.a.values.n}}",
    "{{tasks.`a`.output.first_row.total}}",
])
def test_known_references_in_a_downstream_task_pass(reference):
    assert problems({"parameters": [{"name": "run date", "default": "x"}], "tasks": [
        {"task_key": "a", **NOTEBOOK},
        {"task_key": "b", "depends_on": [{"task_key": "a"}],
         "notebook_task": {"notebook_path": "/nb", "base_parameters": {"p": f"x-{reference}"}}}]}) == []


def test_a_nested_task_reads_its_input_and_what_its_for_each_task_waits_for():
    settings = {"tasks": [
        {"task_key": "list", **NOTEBOOK},
        {"task_key": "each", "depends_on": [{"task_key": "list"}], "for_each_task": {
            "inputs": "{{tasks.list.values.sources}}", "concurrency": 2,
            "task": {"task_key": "one", "notebook_task": {"notebook_path": "/nb", "base_parameters": {
                "source": "{{input.name}}", "all": "{{tasks.list.values.sources}}"}}}}}]}
    assert problems(settings) == []
    settings["tasks"][1]["depends_on"] = []
    assert problems(settings) == [
        (("tasks", 1, "for_each_task", "inputs"), "{{tasks.list.values.sources}}: task 'list' is not upstream of "
         "task 'each', so it has not run when 'each' reads it; add 'list' to the depends_on of 'each' (directly or "
         "through a task in between)"),
        (("tasks", 1, "for_each_task", "task", "notebook_task", "base_parameters", "all"),
         "{{tasks.list.values.sources}}: task 'list' is not upstream of task 'each', so it has not run when 'each' "
         "reads it; add 'list' to the depends_on of 'each' (directly or through a task in between)")]


def test_a_task_depending_on_itself_is_a_cycle():
    assert problems({"tasks": [{"task_key": "a", "depends_on": [{"task_key": "a"}], **NOTEBOOK}]}) == [
        (("tasks", 0, "depends_on"), "depends_on forms a cycle: a -> a (each waits for the next), so none of them "
                                     "can start; remove one of these dependencies")]


def test_two_cycles_are_each_named_once():
    tasks = [{"task_key": k, "depends_on": [{"task_key": d}], **NOTEBOOK}
             for k, d in (("a", "b"), ("b", "a"), ("c", "d"), ("d", "c"))]
    assert [message for _, message in problems({"tasks": tasks})] == [
        "depends_on forms a cycle: a -> b -> a (each waits for the next), so none of them can start; remove one of "
        "these dependencies",
        "depends_on forms a cycle: c -> d -> c (each waits for the next), so none of them can start; remove one of "
        "these dependencies"]


def test_a_condition_outcome_must_be_true_or_false():
    assert problems({"tasks": [
        {"task_key": "check", "condition_task": {"left": "1", "op": "EQUAL_TO", "right": "1"}},
        {"task_key": "b", "depends_on": [{"task_key": "check", "outcome": "yes"}], **NOTEBOOK}]}) == [
        (("tasks", 1, "depends_on", 0, "outcome"), "outcome 'yes' is not a condition's outcome; write 'true' or "
                                                   "'false'")]


def test_a_table_update_trigger_watches_at_most_ten_tables():
    names = [f"c.s.t{i}" for i in range(11)]
    assert problems({"trigger": {"table_update": {"table_names": names}}, "tasks": [{"task_key": "a", **NOTEBOOK}]}) \
        == [(("trigger", "table_update", "table_names"), "watches 11 tables, but a table_update trigger watches at "
                                                         "most 10; split the job, or trigger it on fewer tables")]


@pytest.mark.parametrize("url", ["/Volumes/main/raw/landing", "/Volumes/main/raw/landing/github/",
                                 "abfss://landing@acct.dfs.core.windows.net/github", "s3://bucket/prefix/",
                                 "gs://bucket", "r2://bucket/x"])
def test_file_arrival_on_a_volume_or_external_location_passes(url):
    assert problems({"trigger": {"file_arrival": {"url": url}}, "tasks": [{"task_key": "a", **NOTEBOOK}]}) == []


@pytest.mark.parametrize("url", ["/Volumes/main/raw", "/mnt/landing", "dbfs:/Volumes/main/raw/landing",
                                 "https://acct.blob.core.windows.net/x", "file:/tmp/x"])
def test_file_arrival_elsewhere_fails(url):
    assert problems({"trigger": {"file_arrival": {"url": url}}, "tasks": [{"task_key": "a", **NOTEBOOK}]}) == [
        (("trigger", "file_arrival", "url"), f"'{url}' {VOLUME_HINT}")]


def test_task_types_come_from_databricks_schema():
    assert {"notebook_task", "run_job_task", "condition_task", "for_each_task", "pipeline_task", "sql_task",
            "dbt_task", "spark_python_task"} <= set(task_types())
    assert all(name.endswith("_task") for name in task_types())


def test_the_construct_refuses_a_broken_graph_too():
    """LakeflowJob runs the same checks, so a job built in code (a connector's) cannot deploy a cycle either."""
    with pytest.raises(ValueError) as raised:
        LakeflowJobProps(settings={"name": "x", "tasks": [
            {"task_key": "a", "depends_on": [{"task_key": "b"}], **NOTEBOOK},
            {"task_key": "b", "depends_on": [{"task_key": "a"}], **NOTEBOOK}]},
            run_as_service_principal="sp", access=(JobAccess(Principal.group("admins"), "CAN_MANAGE"),))
    assert str(raised.value) == (
        "LakeflowJobProps for 'x': settings.tasks[0].depends_on: depends_on forms a cycle: a -> b -> a (each waits "
        "for the next), so none of them can start; remove one of these dependencies")


def test_the_sample_and_the_connectors_jobs_pass(sample_config):
    from connectors_config import resolve

    for env in sample_config.environments:
        for job_ in resolve(sample_config, env).jobs:
            assert settings_problems(job_.settings) == [], job_.key


SECRET_ELSEWHERE = ("is a secret reference, which Databricks resolves only in a cluster's spark_conf and "
                    "spark_env_vars (new_cluster of a task or of job_clusters); read the secret in code with "
                    "dbutils.secrets.get(scope, key), or pass it to the cluster there")
CLUSTER = {"spark_version": "14.3.x-scala2.12", "num_workers": 1}


@pytest.mark.parametrize("settings", [
    {"tasks": [{"task_key": "a", **NOTEBOOK, "new_cluster": {
        **CLUSTER, "spark_conf": {"spark.hadoop.fs.s3a.secret.key": "{{secrets/scope-1/s3-key}}"}}}]},
    {"tasks": [{"task_key": "a", **NOTEBOOK, "new_cluster": {
        **CLUSTER, "spark_env_vars": {"DB_PASSWORD": "{{ secrets/scope.dev@team/db_password }}"}}}]},
    {"job_clusters": [{"job_cluster_key": "c", "new_cluster": {
        **CLUSTER, "spark_conf": {"fs.azure.account.key.a.dfs.core.windows.net": "{{secrets/s/adls-key}}"}}}],
     "tasks": [{"task_key": "a", **NOTEBOOK, "job_cluster_key": "c"}]},
])
def test_a_secret_reference_in_a_clusters_spark_conf_or_env_vars_passes(settings):
    assert problems(settings) == []
    assert [(scope, key) for _, scope, key in secret_references(settings)] in (
        [("scope-1", "s3-key")], [("scope.dev@team", "db_password")], [("s", "adls-key")])


@pytest.mark.parametrize(("settings", "path"), [
    ({"parameters": [{"name": "p", "default": "{{secrets/s/k}}"}], "tasks": [{"task_key": "a", **NOTEBOOK}]},
     ("parameters", 0, "default")),
    ({"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/x", "base_parameters": {
        "token": "{{secrets/s/k}}"}}}]}, ("tasks", 0, "notebook_task", "base_parameters", "token")),
    ({"tasks": [{"task_key": "a", **NOTEBOOK, "new_cluster": {**CLUSTER, "custom_tags": {"t": "{{secrets/s/k}}"}}}]},
     ("tasks", 0, "new_cluster", "custom_tags", "t")),
])
def test_a_secret_reference_anywhere_else_is_refused(settings, path):
    assert problems(settings) == [(path, f"{{{{secrets/s/k}}}} {SECRET_ELSEWHERE}")]
