"""`file:` reads only files of the repository (connectors_config.repository): a path that climbs out of it, an
absolute path and a symlink to elsewhere are refused at the `file:` line, before the file is opened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors_config import ConfigError, parse_config, resolve
from tests.connectors_config.test_jobs import config, line_of

JOB = {"name": "imported", "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/Applications/t/x"}}]}
NOTEBOOK = "# Databricks notebook source\nprint('hello')\n"


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    """A git checkout `repo` with jobs/x.json, and a folder `elsewhere` beside it with job.json."""
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    for folder in (repo / ".git", repo / "jobs", repo / "lib", repo / "candidates", elsewhere):
        folder.mkdir(parents=True)
    for file in (repo / "jobs" / "x.json", repo / "lib" / "y.json", elsewhere / "job.json"):
        file.write_text(json.dumps(JOB))
    (elsewhere / "folder").mkdir()
    return repo, elsewhere


def importing(file: str) -> str:
    return config(f"""\
  a:
    file: {file}
""")


def errors_of(text: str, base_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=base_dir)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def outside(text: str, file: str) -> list[str]:
    return [f"connectors.yaml:{line_of(text, 'file: ')}: jobs.a.file: {file} is outside the repository (symlinks "
            "followed): only files of the repository that holds connectors.yaml are read, as review sees them; "
            "copy the job definition into its jobs/ folder and name that (e.g. jobs/x.json)"]


@pytest.mark.parametrize("file", ["../elsewhere/job.json", "jobs/../../elsewhere/job.json",
                                  "jobs/link.json", "linked/job.json", "jobs/missing_link.json",
                                  "../elsewhere/folder"])
def test_a_file_outside_the_repository_is_refused_at_its_line(places, file):
    repo, elsewhere = places
    (repo / "jobs" / "link.json").symlink_to(elsewhere / "job.json")
    (repo / "linked").symlink_to(elsewhere, target_is_directory=True)
    # a dangling link and a folder: refused as outside, not as missing or unreadable, since neither is opened
    (repo / "jobs" / "missing_link.json").symlink_to(elsewhere / "nothing.json")
    text = importing(file)
    assert errors_of(text, repo) == outside(text, file)


def test_an_absolute_file_is_refused_even_inside_the_repository(places):
    repo, _ = places
    for file in (str(repo / "jobs" / "x.json"), "/etc/hostname"):
        text = importing(file)
        assert errors_of(text, repo) == [
            f"connectors.yaml:{line_of(text, 'file: ')}: jobs.a.file: {file} is an absolute path, which names a file "
            "of one machine only; write it relative to the folder of connectors.yaml, as no folder above it holds "
            "cdktf.json (e.g. jobs/x.json)"]


@pytest.mark.parametrize(("base", "file"), [
    ("", "jobs/x.json"), ("", "jobs/./x.json"), ("", "lib/../jobs/x.json"),
    ("", "jobs/inside_link.json"),  # a symlink to a file of the repository
    ("candidates", "../jobs/x.json"),  # a config in a sub-folder of the checkout reads the checkout's jobs/
])
def test_a_file_of_the_repository_is_read(places, base, file):
    repo, _ = places
    (repo / "jobs" / "inside_link.json").symlink_to(repo / "lib" / "y.json")
    job = resolve(parse_config(importing(file), "connectors.yaml", base_dir=repo / base), "dev").jobs[0]
    assert job.settings["name"] == "imported"


def test_without_git_the_configs_folder_is_the_repository(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "x.json").write_text(json.dumps(JOB))
    (tmp_path / "config").mkdir()
    assert resolve(parse_config(importing("jobs/x.json"), base_dir=tmp_path), "dev").jobs[0].settings["name"] \
        == "imported"
    text = importing("../jobs/x.json")
    assert errors_of(text, tmp_path / "config") == outside(text, "../jobs/x.json")


def test_a_notebook_a_job_uploads_must_really_be_in_the_uploaded_folder(places):
    """A relative notebook path is followed through its symlinks to the folder the platform uploads; a link to
    a file elsewhere is refused (the uploaded folder itself is checked by stacks.app.check_uploads)."""
    repo, elsewhere = places
    (elsewhere / "evil.py").write_text(NOTEBOOK)
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "evil.py").symlink_to(elsewhere / "evil.py")
    text = config("""\
  a:
    tasks:
      - task_key: a
        notebook_task: {notebook_path: notebooks/evil.py}
""")
    assert errors_of(text, repo) == [
        f"connectors.yaml:{line_of(text, 'evil.py')}: jobs.a.tasks[0].notebook_task.notebook_path: notebooks/evil.py "
        "is not a .py file of notebooks/, the folder this platform uploads; move the file there (and refer to it "
        "relative to the folder of connectors.yaml, as no folder above it holds cdktf.json) or give an absolute "
        "workspace path"]
