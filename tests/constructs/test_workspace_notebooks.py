"""WorkspaceNotebooks: notebooks vs workspace files, content-hashed relative asset paths, folder permissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.principals import Principal
from constructs.workspace_notebooks import WorkspaceNotebooks, WorkspaceNotebooksProps, discover
from tests.conftest import SAMPLE_NOTEBOOKS
from tests.helpers import resource, resources, synth_construct

SP = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"


def write_sources(folder: Path, ingest_body: str = "print('ingest')\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ingest_entry.py").write_text(f"# Databricks notebook source\n{ingest_body}")
    (folder / "helper.py").write_text("VALUE = 1\n")
    return folder


def synth(source_dir: Path) -> dict:
    props = WorkspaceNotebooksProps(
        source_dir=source_dir, workspace_dir="/Applications/appsec-connectors/dev",
        managers=(Principal.group("platform-admins"),), readers=(Principal.group("data-team"),),
        runners=(Principal.service_principal(SP),))
    return synth_construct(lambda stack: WorkspaceNotebooks(stack, "notebooks", props=props))


def test_header_decides_notebook_or_workspace_file(tmp_path):
    result = synth(write_sources(tmp_path / "src"))
    notebook = resource(result, "databricks_notebook", "notebooks/ingest_entry")
    assert notebook["path"].endswith("}/ingest_entry")  # notebooks drop '.py' in the workspace
    assert notebook["language"] == "PYTHON"
    workspace_file = resource(result, "databricks_workspace_file", "notebooks/helper")
    assert workspace_file["path"].endswith("}/helper.py")  # files keep their name


def test_sources_are_relative_content_hashed_assets(tmp_path):
    first = resource(synth(write_sources(tmp_path / "a")), "databricks_notebook", "notebooks/ingest_entry")["source"]
    same = resource(synth(write_sources(tmp_path / "b")), "databricks_notebook", "notebooks/ingest_entry")["source"]
    changed = resource(synth(write_sources(tmp_path / "c", "print('changed')\n")),
                       "databricks_notebook", "notebooks/ingest_entry")["source"]
    assert first.startswith("assets/") and first.endswith("/ingest_entry.py")
    assert str(tmp_path) not in first
    assert first == same  # same content in another folder: same path
    assert first != changed  # changed content: a new path, so Terraform redeploys it


def test_folder_is_dedicated_and_restricted(tmp_path):
    result = synth(write_sources(tmp_path / "src"))
    folder = resource(result, "databricks_directory", "notebooks/folder")
    assert folder == {"path": "/Applications/appsec-connectors/dev", "delete_recursive": False}
    permissions = resource(result, "databricks_permissions", "notebooks/folder_permissions")
    assert permissions["directory_path"].startswith("${databricks_directory.notebooks_folder_")
    assert permissions["access_control"] == [
        {"group_name": "data-team", "permission_level": "CAN_READ"},
        {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"},
        {"service_principal_name": SP, "permission_level": "CAN_RUN"},
    ]


def test_missing_notebook_is_a_clear_error(tmp_path):
    source_dir = write_sources(tmp_path / "src")

    def build(stack):
        notebooks = WorkspaceNotebooks(stack, "notebooks", props=WorkspaceNotebooksProps(
            source_dir=source_dir, workspace_dir="/Applications/x", managers=(Principal.group("a"),),
            readers=(), runners=()))
        notebooks.notebook_path("transform_entry")

    with pytest.raises(KeyError) as raised:
        synth_construct(build)
    assert raised.value.args[0] == ("no notebook 'transform_entry' (a .py file starting with '# Databricks notebook "
                                    "source'); notebooks found: ingest_entry")


def test_the_sample_notebooks_are_four_entry_notebooks_and_their_modules():
    found = {source.local.name: source.is_notebook for source in discover(SAMPLE_NOTEBOOKS)}
    assert found == {"ingest_entry.py": True, "transform_entry.py": True, "gold_entry.py": True,
                     "maintenance_entry.py": True, "connector_http.py": False, "connector_lakehouse.py": False,
                     "connector_runtime.py": False, "connector_source.py": False, "findings_gold.py": False,
                     "lakehouse_maintenance.py": False, "source_cmdb.py": False, "source_github.py": False,
                     "source_sonarqube.py": False}


def test_empty_source_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"^no \*\.py files in empty/ to upload$"):
        discover(tmp_path / "empty")


def test_only_notebooks_and_files_are_uploaded(tmp_path):
    result = synth(write_sources(tmp_path / "src"))
    assert len(resources(result, "databricks_notebook")) == 1
    assert len(resources(result, "databricks_workspace_file")) == 1
