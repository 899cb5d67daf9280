"""CP-WORKSPACE-PATH: notebooks, files, the code jobs and pipelines run, alerts and dashboards live in a
dedicated folder, never under /Shared, /Users or /Repos (others can edit what is there)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policy.rule import Item, PolicyContext, Rule, Stack

_SHARED_ROOTS = {"Shared": "every workspace user can edit it", "Users": "it is a user's home folder",
                 "Repos": "it is a user's Git folder"}
_CODE_KEYS = ("notebook_path", "python_file")


def _code_paths(value: Any, path: str = "", from_git: bool = False) -> Iterator[tuple[str, str]]:
    """(attribute path, workspace path) of the code a job or pipeline runs from the workspace. With `from_git`
    (the job has a git_source), a task's code is in the repository unless its `source` is WORKSPACE."""
    if isinstance(value, dict):
        source = value.get("source") or ("GIT" if from_git and any(k in value for k in _CODE_KEYS) else None)
        parent = path.rsplit(".", 1)[-1].split("[")[0]
        for key, item in value.items():
            at = f"{path}.{key}" if path else key
            if not isinstance(item, str):
                yield from _code_paths(item, at, from_git)
            elif (key in _CODE_KEYS and source != "GIT") or key == "root_path" \
                    or (key == "path" and parent in ("notebook", "file")) or (key == "include" and parent == "glob"):
                yield at, item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _code_paths(item, f"{path}[{index}]", from_git)


def _shared_root(path: str) -> str | None:
    parts = path.removeprefix("/Workspace").split("/")
    return parts[1] if path.startswith("/") and len(parts) > 1 and parts[1] in _SHARED_ROOTS else None


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_notebook", "databricks_workspace_file", "databricks_directory"):
        path = str(stack.resolve(item.body.get("path", "")))
        root = _shared_root(path)
        if root is not None:
            yield item, f"'{path}' is under /{root}: {_SHARED_ROOTS[root]}"
    for item in stack.of("databricks_alert_v2", "databricks_dashboard"):
        path = str(stack.resolve(item.body.get("parent_path", "")))
        root = _shared_root(path)
        if root is not None:
            yield item, f"parent_path '{path}' is under /{root}: {_SHARED_ROOTS[root]}"
    for item in stack.of("databricks_job", "databricks_pipeline"):
        for at, value in _code_paths(item.body, from_git=bool(item.body.get("git_source"))):
            path = str(stack.resolve(value))
            root = _shared_root(path)
            if root is not None:
                yield item, f"{at} '{path}' is under /{root}: {_SHARED_ROOTS[root]}"


RULE = Rule("CP-WORKSPACE-PATH", "notebooks, files, the code jobs run, alerts and dashboards are never under "
            "/Shared, /Users or /Repos",
            "keep code in a dedicated folder (connectors.yaml: workspace_dir, e.g. /Applications/<team>/<env>)", check)
