"""WorkspaceNotebooks: the connector code, uploaded into one dedicated, permission-restricted workspace folder.

A notebook task can only run a *notebook* (`databricks_notebook`, imported and converted by the workspace);
a `databricks_workspace_file` is stored byte for byte as a file. So every local `.py` file that starts with
the `# Databricks notebook source` header becomes a notebook (its workspace path drops '.py', as Databricks
does on import) and every other `.py` file becomes a workspace file beside it, importable from the notebooks.

Each file travels as a cdktf asset: the synthesized JSON names it by a relative path that contains the hash
of its content, so a changed file changes the plan and redeploys, and no absolute path leaks into the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.toolchain import AssetType, TerraformAsset
from constructs import Construct

from constructs.access_control import access_control
from constructs.plain_resources import PlainResource, resource
from core.principals import Principal

NOTEBOOK_HEADER = "# Databricks notebook source"


@dataclass(frozen=True)
class WorkspaceNotebooksProps:
    source_dir: Path  # local folder; its top-level *.py files are uploaded
    workspace_dir: str  # e.g. /Applications/appsec-connectors/dev
    managers: tuple[Principal, ...]  # CAN_MANAGE
    readers: tuple[Principal, ...]  # CAN_READ: see the code, not change it
    # Identities jobs run as: CAN_RUN, enough to run the notebooks, not to edit them.
    runners: tuple[Principal, ...]

    def __post_init__(self) -> None:
        if not self.managers:
            raise ValueError("WorkspaceNotebooksProps: managers must name at least one principal")


@dataclass(frozen=True)
class SourceFile:
    local: Path
    is_notebook: bool

    @property
    def workspace_name(self) -> str:
        return self.local.stem if self.is_notebook else self.local.name


def discover(source_dir: Path) -> list[SourceFile]:
    files = sorted(p for p in source_dir.glob("*.py") if p.is_file())
    if not files:
        raise ValueError(f"no *.py files in {source_dir.name}/ to upload")
    return [SourceFile(p, p.read_text(encoding="utf-8").startswith(NOTEBOOK_HEADER)) for p in files]


class WorkspaceNotebooks(Construct):
    """Construct ids: 'folder', 'folder_permissions', and per file its stem ('ingest_entry') plus
    '<stem>_source' for the asset."""

    def __init__(self, scope: Construct, id: str, *, props: WorkspaceNotebooksProps) -> None:
        super().__init__(scope, id)
        # delete_recursive stays off: destroying the folder must not take files it does not manage with it.
        self.folder = resource(self, "folder", "databricks_directory",
                               {"path": props.workspace_dir, "delete_recursive": False})
        levels = {**{p: "CAN_READ" for p in props.readers}, **{p: "CAN_RUN" for p in props.runners},
                  **{p: "CAN_MANAGE" for p in props.managers}}
        self.permissions = resource(self, "folder_permissions", "databricks_permissions", {
            "directory_path": self.folder.reference("path"),
            "access_control": [access_control(principal, levels[principal]) for principal in sorted(levels)],
        })
        self.notebooks: dict[str, PlainResource] = {}
        self.files: dict[str, PlainResource] = {}
        self._paths: dict[str, str] = {}  # read once: each read of `.path` is a call into node and a new token
        for source in discover(props.source_dir):
            stem = source.local.stem
            asset = TerraformAsset(self, f"{stem}_source", path=str(source.local.resolve()), type=AssetType.FILE)
            path = f"{self.folder.reference('path')}/{source.workspace_name}"
            if source.is_notebook:
                self.notebooks[stem] = resource(self, stem, "databricks_notebook",
                                                {"language": "PYTHON", "path": path, "source": asset.path})
                self._paths[stem] = self.notebooks[stem].reference("path")
            else:
                self.files[stem] = resource(self, stem, "databricks_workspace_file", {"path": path, "source": asset.path})
                self._paths[stem] = self.files[stem].reference("path")

    def notebook_path(self, stem: str) -> str:
        """The workspace path of notebook `stem`, as a reference, so jobs depend on the upload."""
        if stem not in self.notebooks:
            raise KeyError(f"no notebook '{stem}' (a .py file starting with '{NOTEBOOK_HEADER}'); "
                           f"notebooks found: {', '.join(sorted(self.notebooks)) or 'none'}")
        return self._paths[stem]

    def file_path(self, stem: str) -> str:
        """The workspace path of uploaded file `stem` (not a notebook), as a reference."""
        if stem not in self.files:
            raise KeyError(f"no file '{stem}' besides the notebooks; files found: "
                           f"{', '.join(sorted(self.files)) or 'none'}")
        return self._paths[stem]
