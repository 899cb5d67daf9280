"""`python -m operations` starts without the IaC toolchain: its parser and reading the config (every check of it,
the provider's job shape included) load neither jsii nor cdktf nor the provider bindings, which cost seconds.

Each probe runs in a fresh interpreter: the test session itself has loaded jsii for other tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR
from tests.fixtures.builders import GITHUB, connectors, environment, environments

SAMPLE = PROJECT_DIR / "tests" / "fixtures" / "sample"
TOOLCHAIN = ("cdktf", "cdktn", "cdktf_cdktf_provider_databricks", "cdktn_provider_databricks", "jsii")
# Reads the config the way every operation does (operations.jobs.environment_of), then names what got loaded.
PROBE = f"""\
import argparse, sys
import operations.cli
from operations import OperationError
from operations.jobs import environment_of
try:
    environment, _ = environment_of(argparse.Namespace(config=sys.argv[1], env="dev"), "nothing done")
    print("read", environment.name)
except OperationError as error:
    print(error)
print("loaded:", sorted(m for m in {TOOLCHAIN!r} if m in sys.modules))
"""


def probe(config: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, str(config)], cwd=PROJECT_DIR, capture_output=True,
                            text=True, check=True)
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_reading_the_sample_config_loads_no_iac_toolchain():
    assert probe(SAMPLE / "connectors.yaml") == ["read dev", "loaded: []"]


def test_a_field_the_provider_cannot_deploy_is_still_refused_without_the_toolchain(tmp_path):
    """The provider's job shape is vendored data: its check still runs, and still without jsii."""
    text = environments(environment("dev")) + connectors(GITHUB) + """\
jobs:
  x:
    tasks:
      - task_key: a
        compute: {hardware_accelerator: GPU_1xA10}
        notebook_task: {notebook_path: /Workspace/x}
"""
    config = tmp_path / "connectors.yaml"
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index("        compute: {hardware_accelerator: GPU_1xA10}") + 1
    assert probe(config) == [
        f"{config}: 1 error; nothing done.",
        f"  {config}:{line}: jobs.x.tasks[0].compute: is a field the Databricks Terraform provider 1.99.0 cannot "
        "deploy; remove it",
        "loaded: []",
    ]


def test_help_loads_no_iac_toolchain_and_not_even_the_config_model():
    """--help reads no config: the operations modules import the config model (pydantic, jsonschema) when a
    command runs."""
    loaded = (*TOOLCHAIN, "connectors_config", "pydantic", "jsonschema")
    probe_help = ("import sys, contextlib, io\nfrom operations.cli import main\n"
                  "with contextlib.redirect_stdout(io.StringIO()) as out:\n    code = main(['--help'])\n"
                  "print(code, 'usage: python -m operations' in out.getvalue(), "
                  f"sorted(m for m in {loaded!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe_help], cwd=PROJECT_DIR, capture_output=True, text=True,
                            check=True)
    assert result.stdout == "0 True []\n"


def test_each_commands_help_loads_no_config_model():
    commands = ("load-secrets", "run", "backfill", "repair", "status", "freshness")
    probe_help = ("import sys, contextlib, io\nfrom operations.cli import main\ncodes = []\n"
                  f"for command in {commands!r}:\n"
                  "    with contextlib.redirect_stdout(io.StringIO()):\n        codes.append(main([command, '--help']))\n"
                  "print(codes, 'connectors_config' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe_help], cwd=PROJECT_DIR, capture_output=True, text=True,
                            check=True)
    assert result.stdout == "[0, 0, 0, 0, 0, 0] False\n"
