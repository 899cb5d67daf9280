"""The toolchain seam: core/toolchain.py is the only file that imports the CDK (`cdktf`, or CDK Terrain's `cdktn`)
or the Databricks provider bindings' package by name, so switching toolchains rewrites that one file (and the
locks). Every tracked Python file is read with `ast`, nothing is run."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from core import toolchain
from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from check_user_edits import repository_files  # noqa: E402  (scripts/ is no package)

SEAM = Path("core/toolchain.py")
# By name, whichever toolchain is in use: either's CDK and either's bindings.
NAMED = frozenset(toolchain.CDK_MODULES + toolchain.PROVIDER_MODULES)


def named_imports(path: Path, root: Path) -> list[str]:
    """`file:line: import of <module>` for every import of a toolchain module by name in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
              in ("import_module", "__import__", "find_spec")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            modules = [node.args[0].value]  # importlib.import_module("cdktf...") is an import by name too
        else:
            continue
        found += [f"{path.relative_to(root)}:{node.lineno}: import of {module}" for module in modules
                  if module.split(".", 1)[0] in NAMED]
    return found


def outside_the_seam(root: Path, files: list[str]) -> list[str]:
    return [problem for name in sorted(files) if name.endswith(".py") and Path(name) != SEAM
            for problem in named_imports(root / name, root)]


def tracked_python_files(root: Path) -> list[str]:
    """The Python files of the repository, new ones not yet committed included; in a copy without `.git` (CI's
    checks of a copy), every one that `.gitignore` does not ignore."""
    if not (root / ".git").exists():
        return [name for name in repository_files(root) if name.endswith(".py")]
    return subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "*.py"], cwd=root,
                          capture_output=True, text=True, check=True).stdout.split("\0")[:-1]


def test_only_the_seam_imports_the_toolchain_by_name():
    assert outside_the_seam(PROJECT_DIR, tracked_python_files(PROJECT_DIR)) == []


def test_the_seam_names_one_toolchain_and_its_bindings():
    """One `from <cdk> import (...)` (the bindings load by the package name it holds), and it is the one named."""
    assert [problem.split(": ", 1)[1] for problem in named_imports(PROJECT_DIR / SEAM, PROJECT_DIR)] == [
        f"import of {toolchain.TOOLCHAIN}"]
    assert (toolchain.TOOLCHAIN, toolchain.PROVIDER_PACKAGE) in tuple(zip(toolchain.CDK_MODULES,
                                                                          toolchain.PROVIDER_MODULES, strict=True))


def test_the_check_finds_each_kind_of_import_outside_the_seam(tmp_path):
    files = {
        "stacks/new_stack.py": "from cdktf import TerraformStack\n",
        "constructs/other.py": "import cdktn\nimport json\n",
        "tests/test_x.py": "def f():\n    from cdktf_cdktf_provider_databricks.job import Job\n",
        "policy/y.py": "import importlib\nimportlib.import_module('cdktn_provider_databricks.grant')\n",
        "scripts/z.py": "import cdktf.testing_matchers as m\n",
        SEAM.as_posix(): "from cdktf import App\n",  # the seam itself may
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert outside_the_seam(tmp_path, list(files)) == [
        "constructs/other.py:1: import of cdktn",
        "policy/y.py:2: import of cdktn_provider_databricks.grant",
        "scripts/z.py:1: import of cdktf.testing_matchers",
        "stacks/new_stack.py:1: import of cdktf",
        "tests/test_x.py:2: import of cdktf_cdktf_provider_databricks.job",
    ]


def test_the_check_accepts_the_seam_and_look_alikes(tmp_path):
    files = {
        "constructs/a.py": "from core.toolchain import App, TerraformStack\nfrom core.provider import Job\n",
        "constructs/b.py": "import cdktf_helpers\nfrom constructs import Construct\nfrom . import cdktf\n",
        "constructs/c.py": "NAME = 'cdktf'\nimport importlib\nimportlib.import_module(NAME)\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert outside_the_seam(tmp_path, list(files)) == []


def test_an_injected_file_in_a_copy_of_the_repository_fails_the_check(tmp_path):
    """What CI would see if someone added a cdktf-only import outside the seam: a copy of the tracked files with
    one more module."""
    files = tracked_python_files(PROJECT_DIR)
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((PROJECT_DIR / name).read_bytes())
    (tmp_path / "stacks" / "extra.py").write_text("from cdktf import TerraformOutput\n")
    assert outside_the_seam(tmp_path, [*files, "stacks/extra.py"]) == ["stacks/extra.py:1: import of cdktf"]
