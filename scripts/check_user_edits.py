#!/usr/bin/env python
"""The user's connectors.yaml is theirs: the docs' own example edits keep the whole suite green.

Copies the repository (its git-tracked files) to a temporary folder and makes there, as a user would, the edits
the docs describe (docs/adding-a-connector.md, docs/adding-a-source.md, docs/configuration.md):

1. a new connector of an existing source (`name: <connector>_oss`, `source: <its source>`, its own secrets);
2. a new source, `notebooks/source_gitlab.py`, with its test `tests/notebooks/test_source_gitlab.py` against the loopback
   server, and a batch connector that runs it ("Adding a source");
3. one connector's schedule changed;
4. a new environment, `staging`, beside the others: its own catalog, folder, run-as principal and connections.

Then runs `make snapshot-update` (which must exit 0 and rewrite the reviewed snapshots, a new one for staging)
and `make test` in the copy; exit 0 only if both pass. The edits are made on whatever connectors.yaml holds
(they need one batch connector and one environment), so the check keeps working as the config grows.

The copy reuses this checkout's installs and never changes them: its `.venv/` and `node_modules/` are folders
of its own whose entries link to this checkout's, each with an install stamp of its own, written after the lock
files were copied, and make runs with `--old-file` on those stamps, so it installs nothing (no network, no second
install; were it ever to, it would replace the copy's links, not the installs). `../shared/` beside the checkout
(the bundle schema reference) is linked beside the copy too.

    python scripts/check_user_edits.py [--keep]      # --keep: leave the copy for a look afterwards
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

ROOT = Path(__file__).resolve().parent.parent
NEW_ENVIRONMENT = "staging"
NEW_SOURCE = "gitlab"
SNAPSHOTS = Path("tests/__snapshots__/test_user_config")
# The installs (Makefile) and their stamps.
INSTALLS = {".venv": ".synced", "node_modules": ".installed"}
# make, never remaking the install stamps (nor so reinstalling anything) whatever their dates.
MAKE = ["make", *(f"--old-file={install}/{stamp}" for install, stamp in INSTALLS.items())]
# Variables of the caller's environment that would point the copy's runs elsewhere.
UNSET = ("CONNECTORS_CONFIG", "VIRTUAL_ENV", "PIPENV_ACTIVE", "PYTHONPATH", "PYTEST_ADDOPTS", "CDKTF_OUTDIR",
         "MAKEFLAGS", "MFLAGS", "MAKELEVEL")

SOURCE_FILE = '''\
"""GitLab as a source: a group's issues, fetched incrementally by `updated_after`.

Uploaded as a workspace file beside the entry notebooks. GitLab lists a group's issues newest-updated first
and pages by Link header; `updated_after` filters at the mark on the server (inclusive here too: silver keeps
one row per key, so reading a record again is harmless).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from connector_http import HttpPolicy, SourceHttp
from connector_source import Setting, SilverColumn, SourceRecord, SourceSpec, format_timestamp, parse_timestamp

PAGE_SIZE = 100  # GitLab's maximum per_page


class GitLabSource:
    name = "gitlab"
    entities = ("issues",)

    def __init__(self, http: SourceHttp, group: str) -> None:
        self.http = http
        self.group = group

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        params = {"order_by": "updated_at", "sort": "desc", "scope": "all", "per_page": PAGE_SIZE,
                  "updated_after": format_timestamp(since) if since is not None else None}
        for page in self.http.pages(f"groups/{self.group}/issues", params):
            for item in page.body or []:
                yield SourceRecord(entity, str(item["id"]), parse_timestamp(item["updated_at"]), item)


def connect(settings: Mapping[str, Any], credentials: Mapping[str, str], *, policy: HttpPolicy,
            sleep: Callable[[float], None]) -> GitLabSource:
    http = SourceHttp(settings["base_url"], {"PRIVATE-TOKEN": credentials["token"]}, policy=policy, sleep=sleep)
    return GitLabSource(http, settings["group"])


SILVER = {
    "issues": (
        SilverColumn("id", "BIGINT", "$.id"),
        SilverColumn("project_id", "BIGINT", "$.project_id"),
        SilverColumn("title", "STRING", "$.title"),
        SilverColumn("state", "STRING", "$.state"),
        SilverColumn("web_url", "STRING", "$.web_url"),
        SilverColumn("created_at", "TIMESTAMP", "$.created_at"),
        SilverColumn("updated_at", "TIMESTAMP", "$.updated_at"),
    ),
}

SPEC = SourceSpec(
    name="gitlab",
    description="A GitLab group's issues.",
    entities=GitLabSource.entities,
    connect=connect,
    silver=lambda settings: SILVER,
    settings={
        "group": Setting("the group's id or URL-encoded path", required=True),
        "base_url": Setting("the REST API root (self-managed: https://<host>/api/v4)",
                            default="https://gitlab.com/api/v4"),
    },
    secrets=("token",),  # a group access token with read_api
)
'''

SOURCE_TEST = '''\
"""The GitLab source against a loopback server replaying GitLab's issue list: Link-header pages, the mark
sent as updated_after, the token in PRIVATE-TOKEN, and bad credentials refused."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notebooks"))

from connector_http import HttpPolicy, SourceError  # noqa: E402
from source_gitlab import SPEC  # noqa: E402
from tests.loopback import LoopbackServer, Reply  # noqa: E402

PATH = "/groups/acme/issues"


def issue(number: int, updated_at: str) -> dict:
    return {"id": 1000 + number, "iid": number, "project_id": 7, "title": f"issue {number}", "state": "opened",
            "web_url": f"https://gitlab.example.com/acme/api/-/issues/{number}", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": updated_at}


def open_source(server: LoopbackServer):
    return SPEC.open({"group": "acme", "base_url": server.url}, {"token": "glpat-test"},
                     policy=HttpPolicy(timeout_seconds=2.0), sleep=lambda seconds: None)


def test_reads_every_page_from_the_mark():
    with LoopbackServer() as server:
        server.reply(PATH,
                     Reply(body=[issue(2, "2026-11-20T10:00:00Z")],
                           headers={"Link": f'<{server.url}{PATH}?page=2>; rel="next"'}),
                     Reply(body=[issue(1, "2026-11-19T12:00:00Z")]))
        since = datetime(2026, 11, 19, 12, 0, tzinfo=timezone.utc)
        records = list(open_source(server).fetch("issues", since))
    assert [(r.key, r.updated_at.isoformat()) for r in records] == [
        ("1002", "2026-11-20T10:00:00+00:00"), ("1001", "2026-11-19T12:00:00+00:00")]
    assert [r.path for r in server.requests] == [
        f"{PATH}?order_by=updated_at&sort=desc&scope=all&per_page=100&updated_after=2026-11-19T12%3A00%3A00Z",
        f"{PATH}?page=2"]
    sent = {name.lower(): value for name, value in server.requests[0].headers.items()}
    assert sent["private-token"] == "glpat-test"


def test_bad_credentials_fail_the_fetch():
    with LoopbackServer() as server:
        server.reply(PATH, Reply(401, {"message": "401 Unauthorized"}))
        with pytest.raises(SourceError, match=r"HTTP 401, the credentials were refused"):
            list(open_source(server).fetch("issues", None))


def test_a_group_is_required():
    assert SPEC.problems({}) == {"group": "is required by source 'gitlab': the group's id or URL-encoded path"}
'''


# ------------------------------------------------------------------------------------------------ the copy


def repository_files(root: Path) -> list[str]:
    """The git-tracked files of `root`, sorted; in a copy without `.git` (the tests of a copy make copies too),
    every file that `.gitignore` does not ignore (its patterns matched against each part of a path)."""
    if (root / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
        return sorted(filter(None, listed.decode().split("\0")))
    patterns = [line.strip().rstrip("/") for line in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]

    def ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)

    found = []
    for folder, folders, files in os.walk(root):  # symlinks to folders are not followed: git keeps them as links
        here = Path(folder)
        links = [name for name in folders if (here / name).is_symlink()]
        folders[:] = sorted(name for name in folders if name not in links and not ignored(name) and name != ".git")
        found += [(here / name).relative_to(root).as_posix() for name in (*files, *links) if not ignored(name)]
    return sorted(found)


def copy_repository(root: Path, target: Path) -> None:
    """The git-tracked files of `root` (as they are in the working tree), plus links to its installs."""
    for name in repository_files(root):
        source = root / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            destination.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, destination)
    for install, stamp in INSTALLS.items():
        installed = (root / install).resolve()
        if not (installed / stamp).exists():
            raise SystemExit(f"{install}/ is not installed in {root}: run `make install` (or `make test`) first")
        (target / install).mkdir()
        for entry in sorted(installed.iterdir()):
            if entry.name != stamp:
                (target / install / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
        (target / install / stamp).touch()  # after the lock files: up to date


def link_shared(root: Path, target: Path) -> None:
    """`../shared/` beside `root` (the maintainers' reference documents), if there, linked beside `target`."""
    shared = root.parent / "shared"
    if shared.exists():
        (target.parent / "shared").symlink_to(shared.resolve(), target_is_directory=True)


# ----------------------------------------------------------------------------------------------- the edits


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, quotes and order stay as the user wrote them
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


def _batch_connectors(config: CommentedMap) -> list[CommentedMap]:
    return [c for c in config["connectors"] if c.get("kind", "batch") == "batch"]


def _copied(value: Any, old: str = "", new: str = "") -> Any:
    """A copy of `value` without the original's comments; with `old`, every word `old` in its strings (between
    non-alphanumerics) written `new`: appsec_dev -> appsec_staging."""
    if isinstance(value, str) and old:
        renamed = re.sub(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])", new, value)
        return type(value)(renamed) if renamed != value else value  # keeps a quoted string quoted
    if isinstance(value, dict):
        copied = CommentedMap()
        for key, item in value.items():
            copied[key] = _copied(item, old, new)
        return copied
    if isinstance(value, list):
        return CommentedSeq(_copied(item, old, new) for item in value)
    return value


def _unused(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`... whichever is not taken."""
    candidates = (name if n == 1 else f"{name}_{n}" for n in range(1, len(taken) + 2))
    return next(candidate for candidate in candidates if candidate not in taken)


def add_connector_of_an_existing_source(config: CommentedMap) -> str:
    batch = _batch_connectors(config)
    if not batch:
        raise SystemExit("connectors.yaml has no batch connector to run a second time")
    original = batch[0]
    name = _unused(f"{original['name']}_oss", {str(c["name"]) for c in config["connectors"]})
    source = original.get("source", original["name"])
    connector = _copied(original)
    connector["name"] = name
    if "source" in connector:
        connector["source"] = source
    else:
        connector.insert(2, "source", source)
    connector["description"] = f"A second {source} connector (the docs' `source:` example)."
    # '<connector>-<role>': the same roles, under the new connector's name.
    connector["secrets"] = CommentedSeq(f"{name}-{secret[len(original['name']) + 1:]}"
                                        for secret in original.get("secrets", ()))
    config["connectors"].append(connector)
    return f"connector '{name}' of source '{source}'"


def add_source(root: Path, config: CommentedMap) -> str:
    """notebooks/source_gitlab.py and its test (named gitlab_2... if the repository has a gitlab source already),
    and a connector of it."""
    taken = {path.stem.removeprefix("source_") for path in (root / "notebooks").glob("source_*.py")}
    name = _unused(NEW_SOURCE, taken | {str(c["name"]) for c in config["connectors"]})

    def named(text: str) -> str:
        return (text.replace("source_gitlab", f"source_{name}").replace('"gitlab"', f'"{name}"')
                .replace("source 'gitlab'", f"source '{name}'"))

    (root / "notebooks" / f"source_{name}.py").write_text(named(SOURCE_FILE), encoding="utf-8")
    (root / "tests" / "notebooks" / f"test_source_{name}.py").write_text(named(SOURCE_TEST), encoding="utf-8")
    template = _batch_connectors(config)[0]
    connector = CommentedMap()
    connector["name"] = name
    connector["kind"] = "batch"
    connector["description"] = "A GitLab group's issues."
    connector["schedule"] = DoubleQuotedScalarString("0 0 * * * ?")
    connector["settings"] = CommentedMap(group="acme-appsec")
    connector["secrets"] = CommentedSeq([f"{name}-token"])
    if "deploy_group" in template:  # deploy groups are all or none
        connector["deploy_group"] = template["deploy_group"]
    config["connectors"].append(connector)
    return f"source '{name}' (notebooks/source_{name}.py, tests/notebooks/test_source_{name}.py) and a connector of it"


def change_a_schedule(config: CommentedMap) -> str:
    connector = next((c for c in config["connectors"] if "schedule" in c), None)
    if connector is None:
        raise SystemExit("connectors.yaml has no connector with a schedule to change")
    before = str(connector["schedule"])
    connector["schedule"] = DoubleQuotedScalarString("0 0 */2 * * ?" if before != "0 0 */2 * * ?" else "0 0 */4 * * ?")
    return f"schedule of '{connector['name']}': {before} -> {connector['schedule']}"


def add_environment(config: CommentedMap) -> str:
    environments = config["environments"]
    if NEW_ENVIRONMENT in environments:
        raise SystemExit(f"connectors.yaml already has an environment '{NEW_ENVIRONMENT}'")
    model = next(iter(environments))
    environment = _copied(environments[model], model, NEW_ENVIRONMENT)
    # Its own run-as principal and workspace (catalog, folder and scope names: renamed above), and a local state
    # file of its own.
    environment["run_as"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"connectors.yaml/{NEW_ENVIRONMENT}/run_as"))
    workspace = environment.get("workspace") or {}
    if "host" in workspace:
        workspace["host"] = "https://adb-3333333333333333.13.azuredatabricks.net"
    if "profile" in workspace:
        workspace["profile"] = NEW_ENVIRONMENT
    environment.pop("backend", None)
    environments[NEW_ENVIRONMENT] = environment
    for connector in config["connectors"]:
        connection = connector.get("connection")
        if isinstance(connection, dict) and model in connection:
            connection[NEW_ENVIRONMENT] = _copied(connection[model], model, NEW_ENVIRONMENT)
    suppressions = (config.get("policy") or {}).get("suppressions") or []
    for suppression in list(suppressions):
        if str(suppression.get("resource", "")).startswith(f"{model}/"):
            suppressions.append(_copied(suppression, model, NEW_ENVIRONMENT))
    return f"environment '{NEW_ENVIRONMENT}' (modelled on '{model}')"


def apply_edits(root: Path) -> list[str]:
    path = root / "connectors.yaml"
    yaml = _yaml()
    config = yaml.load(path.read_text(encoding="utf-8"))
    done = [add_connector_of_an_existing_source(config), add_source(root, config), change_a_schedule(config),
            add_environment(config)]
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(config, out)
    return done


# ------------------------------------------------------------------------------------------------- the runs


def make_env() -> dict[str, str]:
    """This process's environment for a make in the copy: without UNSET, and without the virtualenv's bin folder
    on PATH. Run as the make targets run it (through `pipenv run`), that folder is first on PATH (this checkout's
    .venv/bin, or a copy's links to it), and its python3 has no pipenv: the copy's make must find the interpreter
    the user's make found."""
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    venvs = {str(Path(folder, "bin").resolve()) for folder in (sys.prefix, os.environ.get("VIRTUAL_ENV")) if folder}
    env["PATH"] = os.pathsep.join(entry for entry in env.get("PATH", "").split(os.pathsep)
                                  if str(Path(entry).resolve()) not in venvs)
    return env


def run(step: str, command: list[str], cwd: Path, env: dict[str, str]) -> int:
    print(f"\n=== {step}: {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=cwd, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="user-edits-"))
    clone = workdir / "repository"
    try:
        copy_repository(ROOT, clone)
        link_shared(ROOT, clone)
        before = {p.name: p.read_bytes() for p in (clone / SNAPSHOTS).glob("*.json")}
        print(f"copied {ROOT} to {clone}; edits:")
        for edit in apply_edits(clone):
            print(f"  - {edit}")
        env = make_env()
        status = run("make snapshot-update", [*MAKE, "snapshot-update"], clone, env)
        if status != 0:
            print(f"FAILED: `make snapshot-update` exited {status} after the docs' example edits")
            return 1
        after = {p.name: p.read_bytes() for p in (clone / SNAPSHOTS).glob("*.json")}
        # Every environment's own stack uploads the new source: each snapshot of one is rewritten, and staging's
        # is new (deploy groups' stacks change only where a new connector went).
        environments = [name for name in before if "-" not in name]
        problems = [f"{name} is gone" for name in sorted(set(before) - set(after))]
        problems += [f"{name} is not rewritten" for name in environments if after.get(name) == before[name]]
        if f"test_stack_snapshot[{NEW_ENVIRONMENT}].json" not in after:
            problems.append(f"no snapshot of {NEW_ENVIRONMENT}")
        if problems:
            print(f"FAILED: `make snapshot-update`: {'; '.join(problems)}")
            return 1
        status = run("make test", [*MAKE, "test"], clone, env)
        if status != 0:
            print(f"FAILED: `make test` exited {status} after the docs' example edits and `make snapshot-update`")
            return 1
        print("\nuser edits: `make snapshot-update` and `make test` pass after the docs' example edits")
        return 0
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
