"""The jobs section's workspace paths: normalized after substitution, a path after ${env.workspace_dir} kept
inside the environment's folder, the code a task runs kept inside the workspace; written normalized."""

from __future__ import annotations

import pytest

from connectors_config import resolve
from tests.connectors_config.test_jobs import config, errors_of, line_of, parsed

ROOT_FIX = "climbs above the workspace root with '..'; write the path without '..' (e.g. " \
           "'/Applications/<team>/<env>/gold_entry')"


def task(block: str) -> str:
    return config(f"""\
  x:
    tasks:
      - task_key: a
        {block}
""")


def in_folder_problem(text: str, field: str, written: str) -> list[str]:
    return [f"connectors.yaml:{line_of(text, written)}: jobs.x.tasks[0].{field}: '{written}' climbs out of the "
            f"environment's workspace folder (${{env.workspace_dir}}, '/Applications/appsec-connectors/{env}') with "
            f"'..'; name a path inside it without '..' (e.g. '${{env.workspace_dir}}/gold_entry')"
            for env in ("dev", "prod")]


@pytest.mark.parametrize("written", [
    "${env.workspace_dir}/../../../Shared/x",
    "${env.workspace_dir}/..",
    "${env.workspace_dir}//x/../../prod/x",  # out and back into another environment's folder
    "${env.workspace_dir}/./a/../../dev/x",  # out and back in: the written path still leaves the folder
])
def test_a_path_after_the_environments_folder_stays_inside_it(written):
    text = task(f'notebook_task: {{notebook_path: "{written}"}}')
    assert errors_of(text) == in_folder_problem(text, "notebook_task.notebook_path", written)


def test_the_folder_is_kept_in_any_field_not_only_code_paths():
    written = "${env.workspace_dir}/../../Shared/out"
    text = task('notebook_task: {notebook_path: /Applications/x, base_parameters: {out: "' + written + '"}}')
    assert errors_of(text) == in_folder_problem(text, "notebook_task.base_parameters.out", written)


@pytest.mark.parametrize(("block", "field", "written"), [
    ('notebook_task: {notebook_path: "/../Shared/x"}', "notebook_task.notebook_path", "/../Shared/x"),
    ('notebook_task: {notebook_path: "/Workspace/../Shared/x"}', "notebook_task.notebook_path",
     "/Workspace/../Shared/x"),
    ('spark_python_task: {python_file: "/Applications/../../x.py"}', "spark_python_task.python_file",
     "/Applications/../../x.py"),
    ('notebook_task: {notebook_path: "/${var.team}/../../x"}', "notebook_task.notebook_path",
     "/${var.team}/../../x"),
])
def test_a_code_path_stays_inside_the_workspace(block, field, written):
    text = config(f"""\
  x:
    tasks:
      - task_key: a
        {block}
""").replace("      on_failure: [dev@example.com]\n",
             "      on_failure: [dev@example.com]\n    variables: {team: t}\n").replace(
        "      on_failure: [oncall@example.com]\n", "      on_failure: [oncall@example.com]\n    variables: {team: t}\n")
    assert errors_of(text) == [f"connectors.yaml:{line_of(text, written)}: jobs.x.tasks[0].{field}: '{written}' "
                               f"{ROOT_FIX}"]


@pytest.mark.parametrize(("written", "dev"), [
    ("${env.workspace_dir}/./reports//x/", "/Applications/appsec-connectors/dev/reports/x"),
    ("${env.workspace_dir}/reports/old/../x", "/Applications/appsec-connectors/dev/reports/x"),
    ("/Workspace/Applications/team/dev/./x", "/Applications/team/dev/x"),
    ("//Applications/team/dev/../dev/x", "/Applications/team/dev/x"),
])
def test_good_paths_are_written_normalized(written, dev):
    job = resolve(parsed(task(f'notebook_task: {{notebook_path: "{written}"}}')), "dev").jobs[0]
    assert job.settings["tasks"][0]["notebook_task"]["notebook_path"] == dev


def test_a_value_that_is_no_workspace_path_is_left_as_written():
    written = "/dbfs/../tmp//x/"
    job = resolve(parsed(task('notebook_task: {notebook_path: /Applications/x, base_parameters: {p: "'
                              + written + '"}}')), "dev").jobs[0]
    assert job.settings["tasks"][0]["notebook_task"]["base_parameters"]["p"] == written
