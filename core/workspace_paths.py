"""Workspace paths as the workspace resolves them: one normalizer for every path the platform writes or checks.

`/Workspace/Shared/x`, `//Shared/x`, `/Applications/../Shared/x` and `/Shared/./x` all name `/Shared/x`; a rule
that reads the text as written (the /Shared, /Users, /Repos rule, the check that a stack stays in its own folder)
would miss them. So every path is normalized first, and a `..` that climbs above the folder it is allowed to
use (the workspace root, or an environment's workspace folder) is refused rather than resolved.
"""

from __future__ import annotations

from core.field_paths import FieldPath

# The workspace file system's view of the same tree (`/Workspace/Users/x` is `/Users/x`); written without it.
WORKSPACE_PREFIX = "Workspace"
# Fields of a job's or pipeline's settings that hold a workspace path (of the code it runs).
CODE_KEYS = ("notebook_path", "python_file")


class WorkspacePathError(ValueError):
    """A workspace path that is not absolute or climbs above its allowed folder; str() says which, in words."""


def normalize_workspace_path(path: str, root: str = "/") -> str:
    """`path` as the workspace resolves it: repeated '/' and '.' dropped, the '/Workspace' prefix dropped, '..'
    applied, without a trailing '/'. `root` (a normalized folder) is where the path must stay: it must start
    there, and a '..' that climbs above it, even to come back, raises WorkspacePathError."""
    if not path.startswith("/"):
        raise WorkspacePathError(f"'{path}' is not an absolute workspace path (it must start with '/')")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if parts[:1] == [WORKSPACE_PREFIX]:
        parts = parts[1:]
    base = [part for part in root.split("/") if part]
    if parts[:len(base)] != base:
        raise WorkspacePathError(f"'{path}' is not inside '{root}'")
    result = list(base)
    for part in parts[len(base):]:
        if part != "..":
            result.append(part)
        elif len(result) > len(base):
            result.pop()
        else:
            raise WorkspacePathError(f"'{path}' climbs above '{root}' with '..'")
    return "/" + "/".join(result)


def is_code_path(path: FieldPath) -> bool:
    """Whether `path` (a field path in a job's or pipeline's settings) holds the workspace path of code it runs:
    a task's notebook_path or python_file, a pipeline's root_path, a library's notebook.path or file.path, a
    glob's include."""
    if not path or not isinstance(path[-1], str):
        return False
    key, parent = path[-1], next((part for part in reversed(path[:-1]) if isinstance(part, str)), "")
    return (key in CODE_KEYS or key == "root_path" or (key == "path" and parent in ("notebook", "file"))
            or (key == "include" and parent == "glob"))
