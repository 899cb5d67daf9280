"""One rule for the config's relative paths (connectors_config.repository.project_root): `file:`, notebook_path and
python_file resolve against the project root, the nearest folder at or above the config that holds cdktf.json;
without one, against the config's own folder. So a copy of the config under `candidates/` names the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors_config import ConfigError, load_config, resolve
from connectors_config.jobs_types import UploadRef
from connectors_config.repository import project_root
from connectors_config.sources import NOTEBOOKS_DIR
from tests.connectors_config.test_jobs import config, line_of

JOB = {"name": "imported", "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/Applications/t/x"}}]}
# A job of the config that imports jobs/x.json and one that runs notebooks/gold_entry.py: both paths relative.
JOBS = """\
  imported:
    file: jobs/x.json
  gold:
    tasks:
      - task_key: a
        notebook_task: {notebook_path: notebooks/gold_entry.py}
      - task_key: b
        spark_python_task: {python_file: notebooks/findings_gold.py}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project: cdktf.json, jobs/x.json and notebooks/ (a link to the platform's, which is what it uploads)."""
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    (root / "cdktf.json").write_text("{}")
    (root / "jobs" / "x.json").write_text(json.dumps(JOB))
    (root / "notebooks").symlink_to(NOTEBOOKS_DIR, target_is_directory=True)
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return [problem.render(path.name) for problem in raised.value.problems]


@pytest.mark.parametrize("folder", ["", "candidates", "candidates/team/2026"])
def test_the_project_root_is_the_nearest_folder_with_cdktf_json(project, folder):
    assert project_root(project / folder / "connectors.yaml") == project


def test_a_nearer_cdktf_json_makes_its_folder_the_root(project):
    """The platform's fixture repository, tests/fixtures/sample/, is a project of its own inside the checkout."""
    write(project / "tests" / "sample" / "cdktf.json", "{}")
    assert project_root(project / "tests" / "sample" / "connectors.yaml") == project / "tests" / "sample"
    assert project_root(project / "tests" / "connectors.yaml") == project


def test_without_cdktf_json_above_it_the_root_is_the_configs_folder(tmp_path):
    (tmp_path / "a" / "cdktf.json").mkdir(parents=True)  # a folder of that name is no project file
    assert project_root(tmp_path / "a" / "b" / "connectors.yaml") == tmp_path / "a" / "b"


def test_a_relative_config_path_is_read_from_the_current_folder(project, monkeypatch):
    monkeypatch.chdir(project)
    assert project_root("candidates/connectors.yaml") == project
    assert project_root("connectors.yaml") == project


@pytest.mark.parametrize("folder", ["", "candidates", "candidates/team"])
def test_file_and_notebook_paths_resolve_against_the_project_root_wherever_the_config_is(project, folder):
    job = {job.key: job for job in resolve(load_config(write(project / folder / "connectors.yaml", config(JOBS))),
                                           "dev").jobs}
    assert job["imported"].settings["name"] == "imported"
    tasks = job["gold"].settings["tasks"]
    assert tasks[0]["notebook_task"]["notebook_path"] == UploadRef("gold_entry", notebook=True)
    assert tasks[1]["spark_python_task"]["python_file"] == UploadRef("findings_gold", notebook=False)


@pytest.mark.parametrize(("cwd", "shown"), [("", "."), ("candidates", ".."), ("jobs", "..")])
def test_a_missing_file_names_the_project_root_as_seen_from_the_current_folder(project, monkeypatch, cwd, shown):
    text = config(JOBS.replace("jobs/x.json", "jobs/missing.json").replace("gold_entry.py", "gold.py"))
    path = write(project / "candidates" / "connectors.yaml", text)
    monkeypatch.chdir(project / cwd)
    assert errors_of(path) == [
        f"connectors.yaml:{line_of(text, 'missing.json')}: jobs.imported.file: jobs/missing.json does not exist; "
        f"`file:` is relative to the project root '{shown}', the folder with cdktf.json",
        f"connectors.yaml:{line_of(text, 'notebooks/gold.py')}: jobs.gold.tasks[0].notebook_task.notebook_path: "
        "notebooks/gold.py is not a .py file of notebooks/, the folder this platform uploads; move the file there "
        f"(and refer to it relative to the project root '{shown}', the folder with cdktf.json) or give an absolute "
        "workspace path"]


def test_a_path_relative_to_the_configs_folder_is_missing_under_the_rule(project, monkeypatch):
    """The look-alike of the old rule: `../jobs/x.json` from candidates/ climbs out of the project root."""
    write(project / ".git" / "HEAD", "")  # the checkout: ../jobs/x.json from the root leaves it
    text = config("  imported:\n    file: ../jobs/x.json\n")
    path = write(project / "candidates" / "connectors.yaml", text)
    monkeypatch.chdir(project)
    assert errors_of(path) == [
        f"connectors.yaml:{line_of(text, 'file: ')}: jobs.imported.file: ../jobs/x.json is outside the repository "
        "(symlinks followed): only files of the repository that holds connectors.yaml are read, as review sees "
        "them; copy the job definition into its jobs/ folder and name that (e.g. jobs/x.json)"]


def test_without_cdktf_json_paths_are_relative_to_the_configs_folder(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    write(folder / "jobs" / "x.json", json.dumps(JOB))
    imported = config("  imported:\n    file: jobs/x.json\n")
    assert resolve(load_config(write(folder / "connectors.yaml", imported)), "dev").jobs[0].settings["name"] \
        == "imported"
    text = config(JOBS.replace("jobs/x.json", "jobs/missing.json"))
    path = write(folder / "broken.yaml", text)
    monkeypatch.chdir(tmp_path)
    assert errors_of(path) == [
        f"broken.yaml:{line_of(text, 'missing.json')}: jobs.imported.file: jobs/missing.json does not exist; "
        "`file:` is relative to the folder of broken.yaml, as no folder above it holds cdktf.json",
        f"broken.yaml:{line_of(text, 'gold_entry.py')}: jobs.gold.tasks[0].notebook_task.notebook_path: "
        "notebooks/gold_entry.py is not a .py file of notebooks/, the folder this platform uploads; move the file "
        "there (and refer to it relative to the folder of broken.yaml, as no folder above it holds cdktf.json) or "
        "give an absolute workspace path",
        f"broken.yaml:{line_of(text, 'findings_gold.py')}: jobs.gold.tasks[1].spark_python_task.python_file: "
        "notebooks/findings_gold.py is not a .py file of notebooks/, the folder this platform uploads; move the file "
        "there (and refer to it relative to the folder of broken.yaml, as no folder above it holds cdktf.json) or "
        "give an absolute workspace path"]


def test_paths_inside_an_imported_file_stay_relative_to_that_file(project):
    """A Jobs API JSON or bundle file is written beside what it names, as bundles have it: its notebook paths are
    relative to its own folder, whichever config imports it."""
    job = {"name": "imported", "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "../notebooks/x.py"}},
                                         {"task_key": "b", "notebook_task": {
                                             "notebook_path": "../notebooks/gold_entry.py"}}]}
    (project / "jobs" / "x.json").write_text(json.dumps(job, indent=1))
    text = config("  imported:\n    file: jobs/x.json\n")
    path = write(project / "candidates" / "connectors.yaml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert [problem.render("connectors.yaml") for problem in raised.value.problems] == [
        "jobs/x.json:7: tasks[0].notebook_task.notebook_path: ../notebooks/x.py is not a .py file of notebooks/, "
        "the folder this platform uploads; move the file there (and refer to it relative to this file) or give an "
        "absolute workspace path"]
