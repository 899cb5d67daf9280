"""The synth uploads only the repository's own files, without credentials: a *.py of the notebooks folder that is a
symlink to a file outside the repository, or that holds a token of a known shape, is refused, naming each (a token
at its line, cut short), before anything is built or written."""

from __future__ import annotations

from pathlib import Path

import pytest

import stacks.app
from connectors_config import ConfigError
from tests.conftest import SAMPLE_NOTEBOOKS

NOTEBOOK = "# Databricks notebook source\nprint('hello')\n"
REFUSED = ("is a symlink to a file outside the repository; only the repository's own files are uploaded, as review "
           "sees them: copy the file into the repository in its place")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git checkout with notebooks/ (a real notebook, and a symlink to a module of the checkout's lib/), and a
    folder `elsewhere` beside it."""
    repo = tmp_path / "repo"
    for folder in (repo / ".git", repo / "notebooks", repo / "lib", tmp_path / "elsewhere"):
        folder.mkdir(parents=True)
    (repo / "notebooks" / "entry.py").write_text(NOTEBOOK)
    (repo / "lib" / "helpers.py").write_text("X = 1\n")
    (repo / "notebooks" / "helpers.py").symlink_to(Path("..", "lib", "helpers.py"))
    (tmp_path / "elsewhere" / "evil.py").write_text(NOTEBOOK)
    return repo


def refusal(notebooks: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        stacks.app.check_uploads(notebooks)
    return raised.value.render()


def test_the_fixtures_notebooks_link_inside_the_checkout_and_pass():
    assert all(p.is_symlink() for p in SAMPLE_NOTEBOOKS.glob("*.py"))
    stacks.app.check_uploads(SAMPLE_NOTEBOOKS)


def test_real_files_and_symlinks_inside_the_repository_pass(repo):
    stacks.app.check_uploads(repo / "notebooks")


@pytest.mark.parametrize("link", [
    Path("..", "..", "elsewhere", "evil.py"),  # relative, climbing out
    Path("/", "etc", "hostname"),  # absolute
    Path("..", "lib", "..", "..", "elsewhere", "evil.py"),  # in and out again
])
def test_a_symlink_out_of_the_repository_is_refused(repo, link):
    (repo / "notebooks" / "zz_evil.py").symlink_to(link)
    assert refusal(repo / "notebooks") == (
        f"notebooks/: 1 error; nothing was synthesized.\n  notebooks/zz_evil.py: (file): {REFUSED}")


def test_every_escaping_file_is_named_and_a_linked_folder_is_no_way_out(repo, tmp_path):
    (repo / "notebooks" / "a.py").symlink_to(tmp_path / "elsewhere" / "evil.py")
    (repo / "lib" / "out").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (repo / "notebooks" / "b.py").symlink_to(Path("..", "lib", "out", "evil.py"))
    assert refusal(repo / "notebooks") == (
        f"notebooks/: 2 errors; nothing was synthesized.\n  notebooks/a.py: (file): {REFUSED}\n"
        f"  notebooks/b.py: (file): {REFUSED}")


def test_a_refused_upload_writes_nothing(repo, tmp_path, sample_config):
    (repo / "notebooks" / "evil.py").symlink_to(tmp_path / "elsewhere" / "evil.py")
    outdir = tmp_path / "out" / "cdktf.out"
    with pytest.raises(ConfigError):
        stacks.app.synth(sample_config, str(outdir), notebooks_dir=repo / "notebooks")
    assert not (tmp_path / "out").exists()  # refused before the synth makes its output's folder


CREDENTIAL_FIX = ("and the file is uploaded to the workspace as it is: remove it (revoke it if it is real) and read the "
                  "credential from the secret scope with dbutils.secrets.get(scope, key), stored there with `python -m "
                  "operations load-secrets`")


@pytest.mark.parametrize(("token", "what"), [
    ("ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "a GitHub token"),
    ("dapi" + "0123456789abcdef0123456789abcdef", "a Databricks token"),
    ("AKIA" + "IOSFODNN7EXAMPLE", "an AWS access key"),
])
def test_a_notebook_with_a_hard_coded_token_is_refused_at_its_line(repo, token, what):
    (repo / "notebooks" / "source_jira.py").write_text(
        "# Databricks notebook source\nimport requests\n\n"
        f'HEADERS = {{"Authorization": "Bearer {token}"}}\n')
    message = refusal(repo / "notebooks")
    assert message == ("notebooks/: 1 error; nothing was synthesized.\n"
                       f"  notebooks/source_jira.py:4: (file): holds {what} ('{token[:4]}…', redacted), {CREDENTIAL_FIX}")
    assert token[4:] not in message


def test_a_token_in_a_module_linked_from_inside_the_repository_is_refused_too(repo):
    """helpers.py is a symlink to lib/helpers.py: what is uploaded is the file it points to."""
    (repo / "lib" / "helpers.py").write_text("X = 1\nKEY = 'AKIA" + "IOSFODNN7EXAMPLE'\n")
    assert refusal(repo / "notebooks") == (
        "notebooks/: 1 error; nothing was synthesized.\n"
        f"  notebooks/helpers.py:2: (file): holds an AWS access key ('AKIA…', redacted), {CREDENTIAL_FIX}")


def test_a_notebook_that_speaks_of_tokens_and_reads_them_from_the_scope_passes(repo):
    (repo / "notebooks" / "source_jira.py").write_text(
        "# Databricks notebook source\n# The token (a ghp_ personal access token) comes from the secret scope.\n"
        'token = dbutils.secrets.get(scope, "jira-api-token")\nheaders = {"Authorization": f"Bearer {token}"}\n')
    stacks.app.check_uploads(repo / "notebooks")


def test_a_refused_notebook_token_writes_nothing(repo, tmp_path, sample_config):
    (repo / "notebooks" / "source_jira.py").write_text("TOKEN = 'ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5'\n")
    outdir = tmp_path / "out" / "cdktf.out"
    with pytest.raises(ConfigError):
        stacks.app.synth(sample_config, str(outdir), notebooks_dir=repo / "notebooks")
    assert not (tmp_path / "out").exists()  # refused before the synth makes its output's folder
