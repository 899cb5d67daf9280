"""The `jobs` section: inline and imported definitions, substitution, references, schema and provider checks,
and seed 004's job hierarchy, each mistake with its exact message, file and line."""

from __future__ import annotations


import pytest

from connectors_config import ConfigError, parse_config, resolve
from connectors_config.jobs_types import JobRef, PipelineRef, UploadRef
from tests.conftest import PROJECT_DIR
from tests.fixtures.builders import CMDB, GITHUB, SERVICENOW, connectors, environment, environments

PROJECT = PROJECT_DIR
DATA = "tests/data/jobs"

def config(jobs: str, *, hierarchy: bool = False, variables: bool = False) -> str:
    """dev and prod (with `variables`: each with its ${var.*} values), two batch connectors and a managed one, and
    the `jobs` section's entries `jobs`."""
    text = environments(
        environment("dev", extra="    variables: {cluster_id: 0101-dev, catalog: c_dev}\n" if variables else ""),
        environment("prod", extra="    variables: {cluster_id: 0101-prd}\n" if variables else ""),
    ) + connectors(GITHUB, CMDB, SERVICENOW)
    if hierarchy:
        text += "job_hierarchy: true\n"
    return text + "jobs:\n" + jobs


def parsed(text: str):
    return parse_config(text, "connectors.yaml", base_dir=PROJECT)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parsed(text)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def line_of(text: str, needle: str) -> int:
    lines = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, f"test setup: {needle!r} must be on exactly one line"
    return lines[0]


GOLD = """\
  gold:
    job_level: atomic
    name: gold
    tasks:
      - task_key: build
        notebook_task:
          notebook_path: notebooks/gold_entry.py
          base_parameters: {catalog: "${env.catalog}", run: "{{job.run_id}}"}
"""
REFRESH = """\
  refresh:
    job_level: composite
    tasks:
      - task_key: github
        run_job_task: {job_id: "${resources.jobs.github.id}"}
      - task_key: servicenow
        run_job_task: {job_id: "${resources.jobs.servicenow.id}"}
"""
DAILY = """\
  daily:
    job_level: orchestrator
    schedule: {quartz_cron_expression: "0 0 5 * * ?", timezone_id: UTC}
    tasks:
      - task_key: refresh
        run_job_task: {job_id: "${resources.jobs.refresh.id}"}
      - task_key: gold
        depends_on: [{task_key: refresh}]
        run_if: ALL_DONE
        run_job_task: {job_id: "${resources.jobs.gold.id}"}
"""


def test_a_valid_hierarchy_resolves_with_references_and_uploads_per_environment():
    config_ = parsed(config(GOLD + REFRESH + DAILY, hierarchy=True))
    dev = resolve(config_, "dev")
    assert [job.key for job in dev.jobs] == ["gold", "refresh", "daily"]  # each after the jobs it runs
    gold, refresh, daily = dev.jobs
    task = gold.settings["tasks"][0]["notebook_task"]
    assert task["notebook_path"] == UploadRef("gold_entry", notebook=True)
    assert task["base_parameters"] == {"catalog": "appsec_dev", "run": "{{job.run_id}}"}
    assert [t["run_job_task"]["job_id"] for t in refresh.settings["tasks"]] == [JobRef("github"), JobRef("servicenow")]
    assert daily.runs_jobs == ("gold", "refresh")
    assert dict(daily.tags) == {"environment": "dev", "job_level": "orchestrator", "managed_by": "connector-platform"}
    assert refresh.settings["name"] == "refresh"  # default: the key
    assert resolve(config_, "prod").jobs[0].settings["tasks"][0]["notebook_task"]["base_parameters"]["catalog"] == \
        "appsec_prod"
    assert (daily.paused, resolve(config_, "prod").jobs[2].paused) == (True, True)
    # Connectors' jobs are atomic and say so.
    assert ("job_level", "atomic") in resolve(config_, "dev").connectors[0].tags


def test_without_the_hierarchy_job_level_only_tags():
    config_ = parsed(config(GOLD.replace("job_level: atomic", "job_level: orchestrator")))
    assert ("job_level", "orchestrator") in resolve(config_, "dev").jobs[0].tags
    assert all(tag[0] != "job_level" for tag in resolve(config_, "dev").connectors[0].tags)


# ---------------------------------------------------------------------------------------------- hierarchy


def test_hierarchy_job_level_is_required():
    text = config(GOLD.replace("    job_level: atomic\n", ""), hierarchy=True)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '  gold:')}: jobs.gold: job_level is required because job_hierarchy is on; "
        "set atomic, composite, orchestrator"]


def test_hierarchy_atomic_jobs_do_not_run_jobs():
    text = config(GOLD + """\
      - task_key: also_github
        run_job_task: {job_id: "${resources.jobs.github.id}"}
""", hierarchy=True)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'resources.jobs.github.id')}: jobs.gold.tasks[1].run_job_task: an atomic job runs "
        "notebooks, SQL and pipelines, not other jobs; move this task into a composite or orchestrator job"]


def test_hierarchy_composite_jobs_run_no_notebooks():
    text = config(GOLD + REFRESH + """\
      - task_key: report
        notebook_task: {notebook_path: /Workspace/Shared/report}
""", hierarchy=True)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '/Workspace/Shared/report')}: jobs.refresh.tasks[2].notebook_task: a composite job "
        "holds only run_job_task and control-flow tasks (condition_task, for_each_task); move this notebook_task "
        "into an atomic job and run that job here"]


def test_hierarchy_for_each_over_run_job_is_control_flow_but_over_a_notebook_is_work():
    loop = """\
      - task_key: loop
        for_each_task:
          inputs: '["a", "b"]'
          task:
            task_key: each_inner
            {inner}
"""
    ok = config(GOLD + REFRESH + loop.replace("{inner}", 'run_job_task: {job_id: "${resources.jobs.gold.id}"}'),
                hierarchy=True)
    assert parsed(ok).jobs["refresh"].job_level == "composite"
    bad = config(GOLD + REFRESH + loop.replace("{inner}", "notebook_task: {notebook_path: /Workspace/x}"),
                 hierarchy=True)
    assert errors_of(bad) == [
        f"connectors.yaml:{line_of(bad, '/Workspace/x')}: jobs.refresh.tasks[2].for_each_task.task.notebook_task: "
        "a composite job holds only run_job_task and control-flow tasks (condition_task, for_each_task); move this "
        "notebook_task into an atomic job and run that job here"]


def test_hierarchy_each_notebook_in_exactly_one_atomic_job_naming_both_places():
    text = config(GOLD + GOLD.replace("  gold:", "  gold_copy:").replace("name: gold", "name: gold-copy"),
                  hierarchy=True)
    first = line_of(text, "  gold:") + 6  # its notebook_path
    second = line_of(text, "  gold_copy:") + 6
    assert errors_of(text) == [
        f"connectors.yaml:{second}: jobs.gold_copy.tasks[0].notebook_task.notebook_path: notebooks/gold_entry.py "
        f"already runs in atomic job 'gold' (connectors.yaml:{first} jobs.gold.tasks[0].notebook_task.notebook_path);"
        " each notebook belongs to exactly one atomic job: run job 'gold' with a run_job_task instead"]


def test_hierarchy_the_connector_template_notebooks_are_the_connectors_own():
    text = config(GOLD.replace("gold_entry", "ingest_entry"), hierarchy=True)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'ingest_entry')}: jobs.gold.tasks[0].notebook_task.notebook_path: "
        "notebooks/ingest_entry.py is the connector template's notebook, run by every connector's job; run a "
        "connector's job with a run_job_task instead"]


def test_hierarchy_a_job_runs_only_lower_layers_naming_both_places():
    text = config(GOLD + REFRESH + DAILY.replace("job_level: orchestrator", "job_level: composite"), hierarchy=True)
    refresh_line = line_of(text, "  refresh:") + 1  # its job_level
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'resources.jobs.refresh.id')}: jobs.daily.tasks[0].run_job_task.job_id: a "
        f"composite job runs only jobs of lower layers, but job 'refresh' (connectors.yaml:{refresh_line} "
        "jobs.refresh.job_level) is composite"]


def test_hierarchy_a_written_job_level_tag_must_agree():
    text = config(GOLD.replace("    name: gold\n", "    name: gold\n    tags: {job_level: composite}\n"),
                  hierarchy=True)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'tags: {job_level')}: jobs.gold.tags.job_level: says 'composite' but "
        "job_level is 'atomic'; remove the tag (every job is tagged with its job_level)"]


def test_an_unknown_job_level_is_reported_by_the_model():
    text = config(GOLD.replace("job_level: atomic", "job_level: leaf"))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'job_level: leaf')}: jobs.gold.job_level: 'leaf' is not one of: 'atomic', "
        "'composite' or 'orchestrator'"]


# ---------------------------------------------------------------------------------------------- references


def test_references_to_unknown_jobs_and_pipelines():
    text = config("""\
  x:
    tasks:
      - task_key: a
        run_job_task: {job_id: "${resources.jobs.nope.id}"}
      - task_key: b
        pipeline_task: {pipeline_id: "${resources.pipelines.github.id}"}
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'nope')}: jobs.x.tasks[0].run_job_task.job_id: ${{resources.jobs.nope.id}} "
        "names no job of this config; jobs: x; connectors: cmdb, github, servicenow; name one of them (a "
        "connector's job by the connector's name), or add the job to the jobs section",
        f"connectors.yaml:{line_of(text, 'pipelines.github')}: jobs.x.tasks[1].pipeline_task.pipeline_id: "
        "${resources.pipelines.github.id} names no pipeline of this config; lakeflow_connect connectors: servicenow"]


def test_a_pipeline_reference_resolves_to_the_managed_connectors_pipeline():
    text = config("""\
  x:
    tasks:
      - task_key: b
        pipeline_task: {pipeline_id: "${resources.pipelines.servicenow.id}", full_refresh: false}
""")
    job = resolve(parsed(text), "dev").jobs[0]
    assert job.settings["tasks"][0]["pipeline_task"] == {"pipeline_id": PipelineRef("servicenow"),
                                                         "full_refresh": False}


def test_run_job_cycles_are_errors():
    text = config("""\
  a:
    tasks: [{task_key: t, run_job_task: {job_id: "${resources.jobs.b.id}"}}]
  b:
    tasks: [{task_key: t, run_job_task: {job_id: "${resources.jobs.a.id}"}}]
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '  a:')}: jobs.a: run_job_tasks form a cycle: a -> b -> a; a job must not "
        "(indirectly) run itself"]


def test_job_keys_and_names_are_unique_across_connectors():
    text = config("""\
  github:
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
  other:
    name: cmdb-connector
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/y}}]
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '  github:')}: jobs.github: 'github' is also a connector's name, and "
        "${resources.jobs.github.id} must mean one job; rename it",
        f"connectors.yaml:{line_of(text, 'name: cmdb-connector')}: jobs.other.name: 'cmdb-connector' is already the "
        "name of connector 'cmdb'; give each job its own name"]


# ---------------------------------------------------------------------------------------------- substitution


def test_substitutions_unknown_partial_and_per_environment():
    text = config("""\
  x:
    name: "report ${bundle.target}"
    tasks:
      - task_key: a
        existing_cluster_id: ${var.cluster_id}
        notebook_task:
          notebook_path: /Workspace/x
          base_parameters:
            catalog: ${var.catalog}
            readers: ${env.readers_group}
            nope: ${env.nope}
            partial: "job ${resources.jobs.github.id}"
""", variables=True)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'var.catalog')}: jobs.x.tasks[0].notebook_task.base_parameters.catalog: "
        "${var.catalog} is not defined for environment prod; add environments.prod.variables.catalog",
        f"connectors.yaml:{line_of(text, 'readers_group')}: jobs.x.tasks[0].notebook_task.base_parameters.readers: "
        "${env.readers_group}: environment dev has no readers_group; set environments.dev.readers_group or do not "
        "use it",
        f"connectors.yaml:{line_of(text, 'readers_group')}: jobs.x.tasks[0].notebook_task.base_parameters.readers: "
        "${env.readers_group}: environment prod has no readers_group; set environments.prod.readers_group or do "
        "not use it",
        f"connectors.yaml:{line_of(text, 'env.nope')}: jobs.x.tasks[0].notebook_task.base_parameters.nope: unknown "
        "substitution ${env.nope}; use ${env.<name>} (name, catalog, bronze_schema, silver_schema, gold_schema, "
        "secret_scope, workspace_dir, run_as, admin_group, team_group, readers_group), ${var.<name>} "
        "(environments.<env>.variables), ${bundle.target} (the environment's name), "
        "${resources.jobs.<job or connector>.id}, ${resources.pipelines.<lakeflow_connect connector>.id}, "
        "${connectors.sources.<source>[,...]} (those sources' connectors), "
        "${connectors.sources.<source>[,...].tables.<entity>[,...]} (their silver tables, in a list)",
        f"connectors.yaml:{line_of(text, 'partial')}: jobs.x.tasks[0].notebook_task.base_parameters.partial: "
        "${resources.jobs.github.id} must be the whole value, not part of 'job ${resources.jobs.github.id}'"]


def test_variables_and_bundle_target_substitute_per_environment():
    text = config("""\
  x:
    name: "report ${bundle.target}"
    tasks:
      - task_key: a
        existing_cluster_id: ${var.cluster_id}
        notebook_task: {notebook_path: "${env.workspace_dir}/reports/x"}
""", variables=True)
    for env, cluster in (("dev", "0101-dev"), ("prod", "0101-prd")):
        job = resolve(parsed(text), env).jobs[0]
        assert job.settings["name"] == f"report {env}"
        assert job.settings["tasks"][0]["existing_cluster_id"] == cluster
        assert job.settings["tasks"][0]["notebook_task"]["notebook_path"] == \
            f"/Applications/appsec-connectors/{env}/reports/x"


def test_relative_paths_must_be_uploaded_notebooks():
    text = config("""\
  x:
    tasks:
      - task_key: a
        notebook_task: {notebook_path: ../src/gold.py}
      - task_key: b
        notebook_task: {notebook_path: notebooks/findings_gold.py}
      - task_key: c
        spark_python_task: {python_file: notebooks/findings_gold.py}
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '../src/gold.py')}: jobs.x.tasks[0].notebook_task.notebook_path: "
        "../src/gold.py is not a .py file of notebooks/, the folder this platform uploads; move the file there (and "
        "refer to it relative to the project root '.', the folder with cdktf.json) or give an absolute workspace path",
        f"connectors.yaml:{line_of(text, 'notebook_path: notebooks/findings_gold.py')}: "
        "jobs.x.tasks[1].notebook_task.notebook_path: notebooks/findings_gold.py is a plain Python file, not a "
        "notebook; start it with '# Databricks notebook source' or run it with a spark_python_task"]


def test_with_a_git_source_relative_paths_are_repository_paths():
    text = config("""\
  x:
    git_source: {git_url: "https://github.com/acme/jobs", git_provider: gitHub, git_branch: main}
    tasks:
      - task_key: a
        notebook_task: {notebook_path: src/report, source: GIT}
""")
    job = resolve(parsed(text), "dev").jobs[0]
    assert job.settings["tasks"][0]["notebook_task"]["notebook_path"] == "src/report"


# ---------------------------------------------------------------------------------------------- schema, provider


def test_schema_errors_name_the_field_path_and_line():
    text = config("""\
  x:
    max_concurent_runs: 2
    trigger:
      periodic: {interval: 1, unit: FORTNIGHTS}
    tasks:
      - task_key: a
        timeout_seconds: soon
        notebook_task: {notebook_path: /Workspace/x}
      - notebook_task: {notebook_path: /Workspace/y}
""")
    errors = errors_of(text)
    assert errors == [
        f"connectors.yaml:{line_of(text, 'max_concurent')}: jobs.x.max_concurent_runs: unknown field "
        "'max_concurent_runs' of the Jobs API; did you mean 'max_concurrent_runs'?",
        f"connectors.yaml:{line_of(text, 'FORTNIGHTS')}: jobs.x.trigger.periodic.unit: 'FORTNIGHTS' is not one of: "
        "HOURS, DAYS, WEEKS, MINUTES",
        f"connectors.yaml:{line_of(text, 'soon')}: jobs.x.tasks[0].timeout_seconds: 'soon' is not an integer",
        f"connectors.yaml:{line_of(text, '/Workspace/y')}: jobs.x.tasks[1]: 'task_key' is required here but missing",
    ]


def test_fields_the_provider_cannot_express_are_errors():
    text = config("""\
  x:
    tasks:
      - task_key: a
        compute: {hardware_accelerator: GPU_1xA10}
        notebook_task: {notebook_path: /Workspace/x}
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'compute')}: jobs.x.tasks[0].compute: is a field the Databricks Terraform "
        "provider 1.99.0 cannot deploy; remove it"]


# ---------------------------------------------------------------------------------------------- imports


def test_import_a_jobs_get_output_drops_what_describes_the_deployed_job():
    text = config(f"""\
  report:
    file: {DATA}/jobs_get.json
""")
    job = resolve(parsed(text), "dev").jobs[0]
    assert job.settings == {
        "name": "imported-from-jobs-get", "max_concurrent_runs": 1, "timeout_seconds": 0, "email_notifications": {},
        "tasks": [{"task_key": "report", "run_if": "ALL_SUCCESS", "existing_cluster_id": "0215-230117-3c5px09z",
                   # written as the workspace resolves it, without the /Workspace prefix
                   "notebook_task": {"notebook_path": "/Shared/reports/daily", "source": "WORKSPACE"}}],
    }


def test_import_one_job_of_a_bundle_file_with_its_variables():
    text = config(f"""\
  nightly:
    file: {DATA}/bundle.yml
    job: nightly_report
""", variables=True).replace("{cluster_id: 0101-prd}", "{cluster_id: 0101-prd, catalog: c_prd}")
    job = resolve(parsed(text), "prod").jobs[0]
    assert job.settings["name"] == "[prod] nightly report"
    assert job.settings["tasks"][0]["existing_cluster_id"] == "0101-prd"
    assert job.settings["tasks"][0]["notebook_task"]["base_parameters"] == {"catalog": "c_prd"}


def test_import_errors_name_the_imported_file_and_its_lines():
    text = config(f"""\
  weekly:
    file: {DATA}/bundle.yml
    job: weekly_report
""")
    bundle = (PROJECT / DATA / "bundle.yml").read_text()
    assert errors_of(text) == [
        f"{DATA}/bundle.yml:{line_of(bundle, 'notebook_tsk')}: resources.jobs.weekly_report.tasks[0].notebook_tsk: "
        "unknown field 'notebook_tsk' of the Jobs API; did you mean 'notebook_task'?",
        f"{DATA}/bundle.yml:{line_of(bundle, 'SOMETIMES')}: resources.jobs.weekly_report.tasks[0].run_if: "
        "'SOMETIMES' is not one of: ALL_SUCCESS, ALL_DONE, NONE_FAILED, AT_LEAST_ONE_SUCCESS, ALL_FAILED, "
        "AT_LEAST_ONE_FAILED",
    ]


def test_import_entry_mistakes(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]")
    text = config(f"""\
  a:
    file: {DATA}/bundle.yml
  b:
    file: {DATA}/missing.json
  c:
    file: {DATA}/jobs_get.json
    name: renamed
  d:
    file: {DATA}/jobs_get.json
    job: report
  e:
    file: {tmp_path}/list.json
""")
    assert errors_of(text)[:4] == [
        f"connectors.yaml:{line_of(text, 'file: ' + DATA + '/bundle.yml')}: jobs.a.file: {DATA}/bundle.yml holds "
        "several jobs; set `job:` to one of: nightly_report, weekly_report",
        f"connectors.yaml:{line_of(text, 'missing.json')}: jobs.b.file: {DATA}/missing.json does not exist; "
        "`file:` is relative to the project root '.', the folder with cdktf.json",
        f"connectors.yaml:{line_of(text, 'name: renamed')}: jobs.c.name: an imported job is changed in its file, "
        "not here; keep only file, job, job_level, deploy_group and renamed_from (found: name)",
        f"connectors.yaml:{line_of(text, 'job: report')}: jobs.d.job: {DATA}/jobs_get.json is not a bundle file "
        "with resources.jobs; remove `job:`",
    ]
    assert errors_of(text)[4] == (
        f"connectors.yaml:{line_of(text, 'list.json')}: jobs.e.file: {tmp_path}/list.json is an absolute path, which "
        "names a file of one machine only; write it relative to the project root '.', the folder with cdktf.json (e.g. "
        "jobs/x.json)")


def test_the_sample_config_has_the_jobs_the_issue_asks_for(sample_config):
    config_ = sample_config
    assert config_.job_hierarchy is True
    jobs = {job.key: job for job in resolve(config_, "prod").jobs}
    assert "table_update" in jobs["findings_gold"].settings["trigger"]
    assert jobs["daily_refresh"].level == "orchestrator" and "schedule" in jobs["daily_refresh"].settings
    assert config_.jobs["table_maintenance"].origin == "jobs/table_maintenance.json"
    assert jobs["table_maintenance"].settings["job_clusters"][0]["new_cluster"]["num_workers"] == 2
    assert "format" not in jobs["table_maintenance"].settings  # dropped: the provider computes it


def test_a_table_update_trigger_on_silver_watches_a_table_a_connector_writes():
    text = config("""\
  x:
    trigger:
      table_update:
        table_names: ["${env.catalog}.${env.silver_schema}.github_dependabot_alerts", "${env.catalog}.silver.github_hotspots"]
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
""")
    line = line_of(text, "github_hotspots")
    silver = ("cmdb_applications, github_code_scanning_alerts, github_dependabot_alerts, github_repositories, "
              "github_secret_scanning_alerts")
    fix = ("name a connector's tables as ${connectors.sources.<source>.tables.<entity>}, which follows renames, or one "
           f"of the silver tables (silver tables: {silver})")
    assert errors_of(text) == [
        f"connectors.yaml:{line}: jobs.x.trigger.table_update.table_names[1]: appsec_dev.silver.github_hotspots: no "
        f"connector writes silver table 'github_hotspots'; {fix}",
        f"connectors.yaml:{line}: jobs.x.trigger.table_update.table_names[1]: appsec_prod.silver.github_hotspots: no "
        f"connector writes silver table 'github_hotspots'; {fix}"]


def test_bundle_permissions_name_one_principal_and_wrong_types_say_what_fits():
    text = config("""\
  x:
    permissions: [{level: CAN_VIEW}, {level: CAN_VIEW, group_name: g, user_name: u@example.com}]
    trigger: [1]
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'trigger: [1]')}: jobs.x.trigger: a list is not a mapping"]
    fixed = text.replace("    trigger: [1]\n", "")
    line = line_of(fixed, "permissions:")
    assert errors_of(fixed) == [
        f"connectors.yaml:{line}: jobs.x.permissions[0]: must name exactly one of group_name, service_principal_name, "
        "user_name (found: none)",
        f"connectors.yaml:{line}: jobs.x.permissions[1]: must name exactly one of group_name, service_principal_name, "
        "user_name (found: group_name, user_name)"]


@pytest.mark.parametrize("owner", ["group_name: appsec-platform-admins", "group_name: appsec-data-engineers"])
def test_a_group_owner_in_the_jobs_section_is_a_config_error_at_its_line(owner):
    """It used to pass the checks and crash in the stack (LakeflowJobProps' ValueError, a traceback)."""
    text = config(f"""\
  x:
    permissions:
      - {{level: CAN_VIEW, user_name: auditor@example.com}}
      - {{level: IS_OWNER, {owner}}}
    tasks: [{{task_key: t, notebook_task: {{notebook_path: /Workspace/x}}}}]
""")
    group = owner.split(": ")[1]
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'IS_OWNER')}: jobs.x.permissions[1].level: IS_OWNER for group '{group}': a "
        "job's owner is a user or service principal; give the group CAN_MANAGE"]


def test_two_owners_in_the_jobs_section_are_a_config_error_at_the_second():
    text = config("""\
  x:
    permissions:
      - {level: IS_OWNER, user_name: alice@example.com}
      - {level: IS_OWNER, user_name: alice@example.com}
      - {level: IS_OWNER, service_principal_name: 1f2e3d4c-5b6a-4789-8abc-def012345678}
    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]
""")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, '1f2e3d4c')}: jobs.x.permissions[2].level: a job has exactly one owner; "
        "IS_OWNER is given to 'alice@example.com', '1f2e3d4c-5b6a-4789-8abc-def012345678': keep one and give the "
        "others CAN_MANAGE"]


@pytest.mark.parametrize("entries", [
    "[{level: IS_OWNER, user_name: alice@example.com}]",
    "[{level: IS_OWNER, service_principal_name: 1f2e3d4c-5b6a-4789-8abc-def012345678}]",
    "[{level: CAN_MANAGE, group_name: appsec-platform-admins}, {level: IS_OWNER, user_name: alice@example.com}]",
], ids=["user", "service principal", "group manages, user owns"])
def test_one_user_or_service_principal_owner_passes(entries):
    parsed(config(f"  x:\n    permissions: {entries}\n"
                  "    tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/x}}]\n"))


def test_an_imported_file_is_read_as_strict_yaml_too(tmp_path):
    (tmp_path / "job.yml").write_text("name: x\nmax_concurrent_runs: 01\ntasks:\n"
                                      "  - {task_key: a, notebook_task: {notebook_path: /Workspace/nb}}\n")
    (tmp_path / "old.yml").write_text("%YAML 1.1\n---\nname: x\n")
    text = config("  imported:\n    file: job.yml\n  old:\n    file: old.yml\n")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=tmp_path)
    assert [problem.render("connectors.yaml") for problem in raised.value.problems] == [
        "job.yml:2: max_concurrent_runs: 01: a leading zero makes YAML 1.1 tools read a number as octal; write 1, or "
        "quote it ('01') if it is text such as an id",
        "old.yml:1: (file): %YAML 1.1 would read `no` as false, 0755 as 493 and 12:30 as 750; this file is read as "
        "YAML 1.2: remove the directive (and quote any value meant as text)"]


def test_a_missing_job_level_of_an_imported_job_is_reported_where_job_level_is_written():
    """job_level belongs to the connectors.yaml entry, not to the imported Jobs API file (found by the fuzz test)."""
    from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR

    text = SAMPLE_CONFIG.read_text().replace("  table_maintenance:\n    job_level: atomic\n", "  table_maintenance:\n")
    line = text.splitlines().index("  table_maintenance:") + 1
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR)
    assert [p.render("connectors.yaml") for p in raised.value.problems] == [
        f"connectors.yaml:{line}: jobs.table_maintenance: job_level is required because job_hierarchy is on; set "
        "atomic, composite, orchestrator"]


def test_connectors_that_are_not_a_list_are_a_type_error_beside_the_jobs_section():
    """The jobs section's checks look connectors up; a number there is the model's error (found by the fuzz test)."""
    from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR

    text = SAMPLE_CONFIG.read_text()
    start, end = text.index("connectors:\n  # High change"), text.index("# The job hierarchy: ")
    with pytest.raises(ConfigError) as raised:
        parse_config(text[:start] + "connectors: 42\n\n" + text[end:], "connectors.yaml", base_dir=SAMPLE_DIR)
    assert "connectors: 42 is not a list" in [f"{p.path}: {p.message}" for p in raised.value.problems]
