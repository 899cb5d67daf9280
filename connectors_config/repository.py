"""The repository: the only place the platform reads job definitions from and uploads notebooks from.

What a pull request reviews is the repository; a `file:` that climbs out of it (`../elsewhere/job.json`), an
absolute one, or a symlink under jobs/ or notebooks/ that points elsewhere would deploy what nobody reviewed. So
each such file's real path (every symlink followed) must lie inside the repository, checked before it is opened.

The repository of a folder is its nearest ancestor (or itself) that is a git checkout (holds `.git`) or this
platform's own folder (a copy without `.git`); failing both, the folder itself. So a config under
`candidates/` may import `jobs/x.json` of the checkout, and the test fixture's notebooks, symlinks to the
checkout's notebooks/, stay inside it; a config written anywhere else reads only files beside and below it.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


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
