"""CP-WORKSPACE-PATH: notebooks, files, the code jobs and pipelines run, jobs, alerts and dashboards live in a
dedicated folder, never under /Shared, /Users or /Repos (others can edit what is there). Each path is read as the
workspace resolves it (core.workspace_paths): '/Workspace/Shared', '//Shared' and '/Applications/../Shared' are
/Shared, and a '..' above the workspace root is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.field_paths import FieldPath, format_path
from core.workspace_paths import CODE_KEYS, WorkspacePathError, is_code_path, normalize_workspace_path
from policy.rule import Item, PolicyContext, Rule, Stack

_SHARED_ROOTS = {"Shared": "every workspace user can edit it", "Users": "it is a user's home folder",
                 "Repos": "it is a user's Git folder"}


def _code_paths(value: Any, path: FieldPath = (), from_git: bool = False) -> Iterator[tuple[str, str]]:
    """(attribute path, workspace path) of the code a job or pipeline runs from the workspace. With `from_git`
    (the job has a git_source), a task's code is in the repository unless its `source` is WORKSPACE."""
    if isinstance(value, dict):
        source = value.get("source") or ("GIT" if from_git and any(k in value for k in CODE_KEYS) else None)
        for key, item in value.items():
            at = path + (key,)
            if not isinstance(item, str):
                yield from _code_paths(item, at, from_git)
            elif is_code_path(at) and not (key in CODE_KEYS and source == "GIT"):
                yield format_path(at), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _code_paths(item, path + (index,), from_git)


def _problem(path: str) -> str | None:
    """Why `path` is no place for code, or None; a path that is not absolute is not a workspace path."""
    try:
        normal = normalize_workspace_path(path)
    except WorkspacePathError as error:
        return None if not path.startswith("/") else str(error)
    parts = normal.split("/")
    if len(parts) > 1 and parts[1] in _SHARED_ROOTS:
        return f"'{path}' is under /{parts[1]}: {_SHARED_ROOTS[parts[1]]}"
    return None


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_notebook", "databricks_workspace_file", "databricks_directory"):
        problem = _problem(str(stack.resolve(item.body.get("path", ""))))
        if problem is not None:
            yield item, problem
    # A job's parent_path (provider 1.138) is where the job itself lives, like an alert's or a dashboard's. A
    # pipeline has none: its root_path is the code's folder, checked below with the code it runs.
    for item in stack.of("databricks_alert_v2", "databricks_dashboard", "databricks_job"):
        problem = _problem(str(stack.resolve(item.body.get("parent_path", ""))))
        if problem is not None:
            yield item, f"parent_path {problem}"
    for item in stack.of("databricks_job", "databricks_pipeline"):
        for at, value in _code_paths(item.body, from_git=bool(item.body.get("git_source"))):
            problem = _problem(str(stack.resolve(value)))
            if problem is not None:
                yield item, f"{at} {problem}"


RULE = Rule("CP-WORKSPACE-PATH", "notebooks, files, the code jobs run, jobs, alerts and dashboards are never "
            "under /Shared, /Users or /Repos",
            "keep code in a dedicated folder (connectors.yaml: workspace_dir, e.g. /Applications/<team>/<env>)", check)
