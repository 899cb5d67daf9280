#!/usr/bin/env python
"""The repository is self-contained: a copy with nothing beside it passes the README's two commands.

Copies the repository (its git-tracked files, as they are in the working tree) to `<temporary folder>/repository`,
alone in that folder: no `../shared/` or any other sibling. Then, there:

1. every file the copy runs (Python, Makefile, CI, workflows, settings) that names `../shared` is one of the
   tests, which must skip cleanly without it: a file outside tests/ that names it fails the check at once;
2. `make synth` must exit 0, and so must the README's `CONNECTORS_CONFIG=candidates/connectors.yaml make synth`
   for a plain copy of connectors.yaml there, with the same stacks;
3. `make test` must exit 0 (`--quick`: pytest on the tests found in step 1 only), and pytest's summary must report,
   for each test file that names `../shared`, its maintainer-only checks skipped with a message naming the absent
   `../shared/reference/` folder.

The copy reuses this checkout's installs as `scripts/check_user_edits.py` does (links to `.venv/` and
`node_modules/`, make told their stamps are up to date): the same lock files install the same packages, and
installing them a second time would cost minutes and the network for nothing this check is about.

    python scripts/check_standalone.py [--quick] [--keep]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from check_user_edits import MAKE, ROOT, copy_repository, make_env

# The files a run reads or executes (docs only talk about the folder).
RUN_FILES = re.compile(r"(\.py|\.json|\.toml|\.ini|\.cfg|\.sh|\.ya?ml|^Makefile|^Pipfile|^\.ci/.*)$")
# A test reads the sibling folder where it builds a path to it (`parents[3] / "shared"`, `"../shared/…"`); any
# other file that runs must not name it at all, outside comments.
BUILDS_SHARED = re.compile(r"""/\s*["']shared["']|["']shared["']\s*/|["']\.\./shared\b""")
NAMES_SHARED = re.compile(r"\.\./shared\b|" + BUILDS_SHARED.pattern)
# Scripts that may name it: they link it beside their copy when it exists (check_user_edits.py), or are this check.
KNOWN = ("scripts/check_user_edits.py", "scripts/check_standalone.py")
ABSENT = "not beside this checkout (../shared/reference/"
SKIPPED = re.compile(r"^SKIPPED \[\d+\] (?P<file>[^:]+):\d+: (?P<reason>.*)$")


def files_naming_shared(root: Path) -> list[str]:
    """The files of `root` a run reads or executes that name the sibling `shared` folder outside a comment (the
    tests: that build a path to it), relative, sorted."""
    found = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if name.split("/")[0] in (".venv", "node_modules") or not path.is_file() or not RUN_FILES.search(name):
            continue
        pattern = BUILDS_SHARED if name.startswith("tests/") else NAMES_SHARED
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if any(pattern.search(line) for line in lines if not line.lstrip().startswith("#")):  # not comments
            found.append(name)
    return found


def skip_problems(output: str, readers: list[str]) -> list[str]:
    """What is wrong with pytest's summary `output` for the test files `readers`: each must have a check skipped
    with a reason naming the absent folder, and no skip may name it without saying so."""
    skipped: dict[str, list[str]] = {}
    for line in output.splitlines():
        match = SKIPPED.match(line.strip())
        if match:
            skipped.setdefault(match["file"], []).append(match["reason"])
    problems = [f"{reader}: no test skipped with a message saying ../shared/reference/ is absent "
                f"(skips: {skipped.get(reader) or 'none'})"
                for reader in readers if not any(ABSENT in reason for reason in skipped.get(reader, []))]
    problems += [f"{file}: skipped for {reason!r}, which does not name the absent folder"
                 for file, reasons in sorted(skipped.items()) for reason in reasons
                 if "shared" in reason and ABSENT not in reason]
    return problems


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(step: str, command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Runs `command`, its output shown as it comes and returned."""
    print(f"\n=== {step}: {' '.join(command)}", flush=True)
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return process.wait(), "".join(lines)


def check(clone: Path, quick: bool) -> list[str]:
    """The check in the copy at `clone`: its problems, none when it passes."""
    siblings = sorted(p.name for p in clone.parent.iterdir() if p != clone)
    if siblings:
        return [f"the copy is not alone in {clone.parent}: {', '.join(siblings)}"]
    naming = files_naming_shared(clone)
    outside = [name for name in naming if not name.startswith("tests/") and name not in KNOWN]
    if outside:
        return [f"{name} names ../shared, which a repository of its own does not have: vendor what it needs "
                "(with its source named) or make it a test that skips without it" for name in outside]
    readers = [name for name in naming if name.startswith("tests/")]
    print(f"test files that name ../shared (each must skip cleanly without it): {', '.join(readers) or 'none'}")
    env = make_env()
    status, _ = run("make synth", [*MAKE, "synth"], clone, env)
    if status != 0:
        return [f"`make synth` exited {status} in a copy with nothing beside it"]
    synthesized = tree(clone / "cdktf.out")
    # The README's example, as written, on a plain copy of the config: its relative paths are the project root's.
    (clone / "candidates").mkdir()
    shutil.copy2(clone / "connectors.yaml", clone / "candidates" / "connectors.yaml")
    status, _ = run("the README's example", [*MAKE, "synth"], clone,
                    {**env, "CONNECTORS_CONFIG": "candidates/connectors.yaml"})
    if status != 0:
        return [f"`CONNECTORS_CONFIG=candidates/connectors.yaml make synth` exited {status} for a copy of "
                "connectors.yaml"]
    if tree(clone / "cdktf.out") != synthesized:
        return ["`CONNECTORS_CONFIG=candidates/connectors.yaml make synth` synthesized other stacks than `make synth` "
                "for a copy of connectors.yaml"]
    shutil.rmtree(clone / "candidates")
    if quick:
        # The copy's interpreter, as `make test` runs it (`pipenv run pytest`, .venv/bin first on PATH).
        command = [str(clone / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                   *readers]
        status, output = run("pytest (the tests that name ../shared)", command, clone, env)
        if status != 0:
            return [f"pytest on {' '.join(readers)} exited {status} in a copy with nothing beside it"]
    else:
        status, output = run("make test", [*MAKE, "test"], clone, env)
        if status != 0:
            return [f"`make test` exited {status} in a copy with nothing beside it"]
    return skip_problems(output, readers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="after `make synth`, run only the tests that name ../shared instead of `make test`")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="standalone-"))
    clone = workdir / "repository"
    try:
        copy_repository(ROOT, clone)
        print(f"copied {ROOT} to {clone}, alone in its folder")
        problems = check(clone, args.quick)
        what = "`make synth` and the tests that name ../shared" if args.quick else "`make synth` and `make test`"
        if problems:
            print(f"\nFAILED: {what} in a copy with nothing beside it:")
            for problem in problems:
                print(f"  - {problem}")
            return 1
        print(f"\nstandalone: {what} pass in a copy with nothing beside it; the maintainer-only checks skip "
              "with their message")
        return 0
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
