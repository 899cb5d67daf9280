"""CP-WORKSPACE-PATH alone: code, alerts and dashboards live in a dedicated folder, never under /Shared, /Users or
/Repos."""

from __future__ import annotations

import pytest
from core.provider import Dashboard
from core.provider import Directory
from core.provider import JobGitSource, JobTask, JobTaskNotebookTask, JobTaskSparkPythonTask
from core.provider import Notebook
from core.provider import PipelineLibrary, PipelineLibraryGlob, PipelineLibraryNotebook
from core.provider import WorkspaceFile

from policy.rules.workspace_path import RULE
from tests.policy.helpers import (ALICE, CONTENT, DEV, NOTEBOOK_DIR, SP_DEV, alert, findings_of, line, notebook_task,
                                  owned_job, with_job, with_pipeline)

FIX = "keep code in a dedicated folder (connectors.yaml: workspace_dir, e.g. /Applications/<team>/<env>)"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-WORKSPACE-PATH", message, FIX)


def test_code_in_a_dedicated_folder_or_in_git_passes(tmp_path):
    """/Applications/... is a dedicated folder (a '/Shared' further down is no shared root); a job with a
    git_source and a task sourced from GIT run code from the repository, so their relative paths are fine."""
    def build(stack):
        Directory(stack, "directory", path=DEV.workspace_dir)
        Notebook(stack, "notebook", path=f"{NOTEBOOK_DIR}/ingest_entry", content_base64=CONTENT, language="PYTHON")
        WorkspaceFile(stack, "file", path="/Applications/Shared/connector_runtime.py", content_base64=CONTENT)
        owned_job(stack, "git_job", name="from-git", git_source=JobGitSource(url="https://github.com/acme/x",
                                                                              provider="gitHub", branch="main"),
                  task=[notebook_task("notebooks/ingest_entry")])
        owned_job(stack, "git_task", name="git-task", task=[JobTask(
            task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path="notebooks/ingest", source="GIT"))])

    assert findings(tmp_path, build) == []


@pytest.mark.parametrize(("kind", "path", "root", "why"), [
    ("notebook", "/Shared/ingest_entry", "Shared", "every workspace user can edit it"),
    ("notebook", "/Users/alice@example.com/ingest_entry", "Users", "it is a user's home folder"),
    ("workspace_file", "/Workspace/Shared/connectors/runtime.py", "Shared", "every workspace user can edit it"),
    ("workspace_file", "/Repos/alice@example.com/connectors/runtime.py", "Repos", "it is a user's Git folder"),
    ("directory", "/Users/x", "Users", "it is a user's home folder"),
    ("directory", "/Workspace/Shared", "Shared", "every workspace user can edit it"),
    # read as the workspace resolves them: repeated '/', '.', '..' and the /Workspace prefix hide no shared root
    ("notebook", "//Shared/ingest_entry", "Shared", "every workspace user can edit it"),
    ("notebook", "/Applications/appsec/../../Shared/ingest_entry", "Shared", "every workspace user can edit it"),
    ("workspace_file", "/Workspace/./Users/alice@example.com/x.py", "Users", "it is a user's home folder"),
    ("directory", "/./Repos/", "Repos", "it is a user's Git folder"),
])
def test_workspace_objects_under_shared_or_user_folders_are_findings(tmp_path, kind, path, root, why):
    def build(stack):
        if kind == "notebook":
            Notebook(stack, "object", path=path, content_base64=CONTENT, language="PYTHON")
        elif kind == "workspace_file":
            WorkspaceFile(stack, "object", path=path, content_base64=CONTENT)
        else:
            Directory(stack, "object", path=path)

    assert findings(tmp_path, build) == [finding(f"databricks_{kind}", "object", f"'{path}' is under /{root}: {why}")]


@pytest.mark.parametrize("path", ["/../Shared/x", "/Workspace/../Shared/x", "/Applications/../../x"])
def test_a_path_that_climbs_above_the_workspace_root_is_a_finding(tmp_path, path):
    def build(stack):
        Notebook(stack, "object", path=path, content_base64=CONTENT, language="PYTHON")

    assert findings(tmp_path, build) == [
        finding("databricks_notebook", "object", f"'{path}' climbs above '/' with '..'")]


def test_a_path_that_only_looks_odd_passes(tmp_path):
    """'..' inside a dedicated folder, '.', '//' and a trailing '/' leave it there."""
    def build(stack):
        Notebook(stack, "a", path="/Applications/team/dev/./x", content_base64=CONTENT, language="PYTHON")
        Notebook(stack, "b", path="/Workspace//Applications/team/dev/../prod/x/", content_base64=CONTENT,
                 language="PYTHON")

    assert findings(tmp_path, build) == []


def test_an_alert_and_a_dashboard_in_the_environments_folder_pass(tmp_path):
    def build(stack):
        alert(stack, run_as={"service_principal_name": SP_DEV})
        Dashboard(stack, "dashboard", display_name="job health", warehouse_id="4b9e2d7a1c3f5e80",
                  parent_path=NOTEBOOK_DIR, serialized_dashboard="{}")

    assert findings(tmp_path, build) == []


def test_an_alert_and_a_dashboard_under_shared_are_findings(tmp_path):
    def build(stack):
        alert(stack, run_as={"service_principal_name": SP_DEV}, parent_path="/Shared/alerts")
        Dashboard(stack, "dashboard", display_name="job health", warehouse_id="4b9e2d7a1c3f5e80",
                  parent_path="/Users/alice@example.com", serialized_dashboard="{}")

    assert findings(tmp_path, build) == [
        finding("databricks_alert_v2", "alert",
                "parent_path '/Shared/alerts' is under /Shared: every workspace user can edit it"),
        finding("databricks_dashboard", "dashboard",
                "parent_path '/Users/alice@example.com' is under /Users: it is a user's home folder")]


def test_a_job_running_a_notebook_from_a_home_folder_is_a_finding(tmp_path):
    build = with_job(task=[notebook_task(f"/Users/{ALICE}/ingest")])
    assert findings(tmp_path, build) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.notebook_path '/Users/{ALICE}/ingest' is under /Users: it is a user's home "
                "folder")]


def test_a_job_running_a_python_file_from_shared_is_a_finding(tmp_path):
    build = with_job(task=[
        notebook_task(f"{NOTEBOOK_DIR}/ingest_entry"),
        JobTask(task_key="tidy", spark_python_task=JobTaskSparkPythonTask(python_file="/Workspace/Shared/tidy.py"))])
    assert findings(tmp_path, build) == [
        finding("databricks_job", "job",
                "task[1].spark_python_task.python_file '/Workspace/Shared/tidy.py' is under /Shared: every workspace "
                "user can edit it")]


def test_a_pipeline_library_from_shared_is_a_finding(tmp_path):
    build = with_pipeline(library=[
        PipelineLibrary(notebook=PipelineLibraryNotebook(path="/Shared/dlt/servicenow"))])
    assert findings(tmp_path, build) == [
        finding("databricks_pipeline", "pipeline",
                "library[0].notebook.path '/Shared/dlt/servicenow' is under /Shared: every workspace user can edit it")]


def test_a_pipeline_library_glob_from_a_home_folder_is_a_finding(tmp_path):
    build = with_pipeline(library=[PipelineLibrary(glob=PipelineLibraryGlob(include=f"/Users/{ALICE}/dlt/**"))])
    assert findings(tmp_path, build) == [
        finding("databricks_pipeline", "pipeline",
                f"library[0].glob.include '/Users/{ALICE}/dlt/**' is under /Users: it is a user's home folder")]


def test_a_workspace_sourced_task_of_a_git_job_is_still_checked(tmp_path):
    """Jobs API: a task's notebook_task.source WORKSPACE reads the notebook from the workspace even when the job
    has a git_source; the /Users notebook it runs is just as editable by its owner."""
    task = JobTask(task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path=f"/Users/{ALICE}/x",
                                                                         source="WORKSPACE"))
    build = with_job(git_source=JobGitSource(url="https://github.com/acme/x", provider="gitHub", branch="main"),
                     task=[task])
    assert findings(tmp_path, build) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.notebook_path '/Users/{ALICE}/x' is under /Users: it is a user's home folder")]


def _job_in(parent_path: str):
    """A compliant job whose parent_path (provider 1.138: where the job lives) is `parent_path`; an override writes
    it under either toolchain's bindings (1.99's Job has no parent_path)."""
    return lambda stack: owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry")]).add_override(
        "parent_path", parent_path)


def test_a_job_in_a_dedicated_folder_passes(tmp_path):
    assert findings(tmp_path, _job_in(f"{DEV.workspace_dir}/jobs")) == []


@pytest.mark.parametrize(("path", "root", "why"), [
    ("/Workspace/Shared/x", "Shared", "every workspace user can edit it"),
    (f"/Users/{ALICE}/jobs", "Users", "it is a user's home folder"),
    ("/Applications/../Repos/x", "Repos", "it is a user's Git folder"),
])
def test_a_job_whose_parent_path_is_under_shared_or_user_folders_is_a_finding(tmp_path, path, root, why):
    assert findings(tmp_path, _job_in(path)) == [
        finding("databricks_job", "job", f"parent_path '{path}' is under /{root}: {why}")]


def test_an_alert_under_workspace_shared_is_a_finding(tmp_path):
    def build(stack):
        alert(stack, run_as={"service_principal_name": SP_DEV}, parent_path="/Workspace/Shared/alerts")

    assert findings(tmp_path, build) == [
        finding("databricks_alert_v2", "alert",
                "parent_path '/Workspace/Shared/alerts' is under /Shared: every workspace user can edit it")]
