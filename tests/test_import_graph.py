"""The architecture, held against the code's own imports (read with `ast`, nothing is run):

- packages stand in layers and import only downwards: `core` (the shared Databricks vocabulary) imports no other
  package; `constructs` and `policy` import only `core`; the config model imports those; the stacks compose them;
  `review` and `operations` sit above; `main.py` and `scripts/` on top. Two packages of one layer never import
  each other (no sideways arrows);
- no import cycle between modules, counting imports inside functions too (a late import cannot hide one);
- an import inside a function says why it is late (`# late: <reason>`, e.g. it loads jsii), on its line or
  above it among the imports it stands with, so a late import is a choice made for start-up time, never a way around a cycle.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"constructs", "policy"}),
    frozenset({"connectors_config"}),
    frozenset({"stacks"}),
    frozenset({"review", "operations"}),
    frozenset({"main", "scripts"}),
)
# Not parts of the platform's import graph: the notebooks run in the workspace and import each other by bare
# name; the tests may import anything.
OUTSIDE = ("notebooks", "tests", "node_modules", ".venv", "cdktf.out")


@dataclass(frozen=True)
class Import:
    module: str  # importer, dotted
    target: str  # imported project module, dotted
    line: int
    late: bool  # inside a function
    reason: bool  # a `# late:` comment says why


def modules_of(root: Path) -> dict[str, Path]:
    """Every project module below `root`, dotted name -> file (a package's `__init__` under its own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in OUTSIDE or any(part.startswith(".") for part in parts):
            continue
        name = ".".join(parts)[:-3]
        found[name.removesuffix(".__init__")] = path
    return found


def package_of(module: str) -> str:
    return module.split(".", 1)[0]


def imports_of(root: Path) -> list[Import]:
    modules = modules_of(root)
    result = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, str(path))
        late_nodes = {id(node) for func in ast.walk(tree) if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
                      for node in ast.walk(func)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from package import module` imports the module where one of that name exists.
                names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                         for alias in node.names]
            else:
                continue
            reason = _says_why(lines, node.lineno)
            for name in names:
                target = next((candidate for candidate in _prefixes(name) if candidate in modules), None)
                # `constructs` alone is the library (the folder has no __init__): only its modules are ours.
                if target is None or target == module:
                    continue
                result.append(Import(module, target, node.lineno, id(node) in late_nodes, reason))
    return result


def _says_why(lines: list[str], lineno: int) -> bool:
    """A `# late:` comment on the import's line or above it, in the block of imports and comments it stands in."""
    for text in reversed(lines[:lineno]):
        if "# late:" in text:
            return True
        stripped = text.strip()
        if stripped and not stripped.startswith(("#", "from ", "import ")):
            return False
    return False


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


def layer_of(package: str) -> int | None:
    return next((index for index, layer in enumerate(LAYERS) if package in layer), None)


def layer_problems(found: list[Import]) -> list[str]:
    problems = []
    for imp in found:
        source, target = package_of(imp.module), package_of(imp.target)
        if source == target:
            continue
        low, high = layer_of(target), layer_of(source)
        if low is None or high is None:
            problems.append(f"{imp.module}:{imp.line} imports {imp.target}: package '{source if high is None else target}' "
                            "is in no layer; add it to LAYERS")
        elif low == high:
            problems.append(f"{imp.module}:{imp.line} imports {imp.target}: sideways, {source} and {target} stand in "
                            "one layer; move what both need down into core")
        elif low > high:
            problems.append(f"{imp.module}:{imp.line} imports {imp.target}: upwards, {target} stands above {source}; "
                            "move what it needs down")
    return sorted(set(problems))


def cycles(found: list[Import]) -> list[list[str]]:
    """Every elementary cycle's smallest representative, found by a depth-first search from each module."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        graph.setdefault(imp.module, set()).add(imp.target)
    result: set[tuple[str, ...]] = set()
    for start in sorted(graph):
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    turn = trail.index(min(trail))
                    result.add(trail[turn:] + trail[:turn])
                elif nxt not in trail and nxt > start:  # each cycle once, from its smallest module
                    stack.append((nxt, (*trail, nxt)))
    return [list(cycle) for cycle in sorted(result)]


def unexplained_late_imports(found: list[Import]) -> list[str]:
    return sorted(f"{imp.module}:{imp.line} imports {imp.target} inside a function without a '# late: <why>' comment"
                  for imp in found if imp.late and not imp.reason)


# ------------------------------------------------------------------------------------------- the project


@pytest.fixture(scope="module")
def project_imports() -> list[Import]:
    return imports_of(PROJECT_DIR)


def test_every_package_stands_in_a_layer():
    packages = {package_of(module) for module in modules_of(PROJECT_DIR)}
    assert packages == set().union(*LAYERS)


def test_packages_import_only_downwards(project_imports):
    assert layer_problems(project_imports) == []


def test_core_imports_no_other_package(project_imports):
    assert sorted({imp.target for imp in project_imports if package_of(imp.module) == "core"
                   and package_of(imp.target) != "core"}) == []


def test_no_import_cycle(project_imports):
    assert cycles(project_imports) == []


def test_late_imports_say_why(project_imports):
    assert unexplained_late_imports(project_imports) == []


def test_the_config_loads_without_the_iac_toolchain():
    """Operations and review read the config; loading jsii for it would cost seconds on every command."""
    import subprocess
    import sys

    probe = ("import sys, connectors_config, operations.cli, review.cli, core.cli, core.quartz, core.job_settings\n"
             "print(sorted(m for m in ('cdktf', 'cdktn', 'jsii', 'cdktf_cdktf_provider_databricks', 'cdktn_provider_databricks') "
             "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n"


# ------------------------------------------------------------------------------------------- the checker


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_checker_finds_a_sideways_and_an_upward_import(tmp_path):
    root = _tree(tmp_path, {
        "core/__init__.py": "", "core/a.py": "import policy.rules\n",
        "policy/__init__.py": "", "policy/rules.py": "from constructs.job import X\n",
        "constructs/job.py": "from constructs import Construct\nX = 1\n",
    })
    assert layer_problems(imports_of(root)) == [
        "core.a:1 imports policy.rules: upwards, policy stands above core; move what it needs down",
        "policy.rules:1 imports constructs.job: sideways, policy and constructs stand in one layer; move what both "
        "need down into core",
    ]


def test_checker_finds_a_cycle_hidden_by_a_late_import(tmp_path):
    root = _tree(tmp_path, {
        "connectors_config/__init__.py": "",
        "connectors_config/jobs.py": "from connectors_config.model import Defaults\n",
        "connectors_config/model.py": "def f():\n    from connectors_config import jobs\n",
    })
    found = imports_of(root)
    assert cycles(found) == [["connectors_config.jobs", "connectors_config.model"]]
    assert unexplained_late_imports(found) == [
        "connectors_config.model:2 imports connectors_config.jobs inside a function without a '# late: <why>' comment"]


def test_checker_accepts_a_late_import_with_its_reason(tmp_path):
    root = _tree(tmp_path, {
        "core/__init__.py": "", "core/b.py": "",
        "stacks/__init__.py": "",
        "stacks/app.py": "def f():\n    # late: loads jsii\n    import core.b\n",
    })
    found = imports_of(root)
    assert (layer_problems(found), cycles(found), unexplained_late_imports(found)) == ([], [], [])
