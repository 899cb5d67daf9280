"""The repository: the only place the platform reads job definitions from and uploads notebooks from.

What a pull request reviews is the repository; a `file:` that climbs out of it (`../elsewhere/job.json`), an
absolute one, or a symlink under jobs/ or notebooks/ that points elsewhere would deploy what nobody reviewed. So
each such file's real path (every symlink followed) must lie inside the repository, checked before it is opened.

The repository of a folder is its nearest ancestor (or itself) that is a git checkout (holds `.git`) or this
platform's own folder (a copy without `.git`); failing both, the folder itself. So a config under
`candidates/` may import `jobs/x.json` of the checkout, and the test fixture's notebooks, symlinks to the
checkout's notebooks/, stay inside it; a config written anywhere else reads only files beside and below it.

Relative paths in the config (`file:`, a notebook_path or python_file) resolve against one folder, the project
root: the nearest folder at or above the config that holds cdktf.json, the folder `make synth` runs in. So a copy
of connectors.yaml under `candidates/` names the same files as the original; a config with no cdktf.json above it
(a config written anywhere else) resolves against its own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_MARKER = "cdktf.json"  # what makes a folder a project root: cdktf's own project file


def project_root(config_file: Path | str) -> Path:
    """The folder the relative paths of `config_file` resolve against (see the module's docstring), as written
    (absolute, symlinks not followed)."""
    folder = Path(os.path.abspath(config_file)).parent
    return next((candidate for candidate in (folder, *folder.parents) if (candidate / PROJECT_MARKER).is_file()),
                folder)


def relative_to_root(root: Path, config_name: str) -> str:
    """What the relative paths of the config named `config_name` are relative to, for a message: 'the project
    root '<root, relative to the current folder>', the folder with cdktf.json', or the config's folder."""
    if not (root / PROJECT_MARKER).is_file():
        return f"the folder of {config_name}, as no folder above it holds {PROJECT_MARKER}"
    return f"the project root '{os.path.relpath(root)}', the folder with {PROJECT_MARKER}"


def repository_of(folder: Path) -> Path:
    """The repository that holds `folder` (see the module's docstring), resolved. The folders above `folder` are
    walked as written, not through symlinks: a folder that is a symlink to elsewhere is not the repository."""
    folder = Path(os.path.abspath(folder))
    for candidate in (folder, *folder.parents):
        if candidate.resolve() == PROJECT_DIR or (candidate / ".git").exists():
            return candidate.resolve()
    return folder.resolve()


def is_inside(path: Path, repository: Path) -> bool:
    """Whether `path`, with every symlink on the way followed, lies inside `repository` (resolved)."""
    try:
        return path.resolve().is_relative_to(repository)
    except (OSError, RuntimeError):  # a symlink loop: nothing to read, and nothing reviewed
        return False
