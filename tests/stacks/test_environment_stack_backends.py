"""Each environment's state backend and workspace, as configured, in the synthesized stack."""

from __future__ import annotations

import json

import pytest

from connectors_config import parse_config, resolve
from tests.conftest import SAMPLE_NOTEBOOKS
from tests.connectors_config.test_loader import errors_of, replace

PROD_SETTINGS = "      on_failure: [oncall@example.com]\n"


def synth_prod(extra: str) -> dict:
    from core.toolchain import Testing

    from stacks.environment_stack import EnvironmentStack

    config = parse_config(replace(PROD_SETTINGS, PROD_SETTINGS + extra))
    stack = EnvironmentStack(Testing.app(), "prod", environment=resolve(config, "prod"), notebooks_dir=SAMPLE_NOTEBOOKS)
    return json.loads(Testing.synth(stack))


@pytest.mark.parametrize(("extra", "expected"), [
    ("    backend:\n      s3: {bucket: tfstate, key: prod.tfstate, region: eu-west-1}\n",
     {"s3": {"bucket": "tfstate", "key": "prod.tfstate", "region": "eu-west-1", "encrypt": True}}),
    ("    backend:\n      gcs: {bucket: tfstate, prefix: connectors/prod}\n",
     {"gcs": {"bucket": "tfstate", "prefix": "connectors/prod"}}),
    ("", {"local": {"path": "../../../terraform.prod.tfstate"}}),
])
def test_backend_kinds(extra, expected):
    assert synth_prod(extra)["terraform"]["backend"] == expected


def test_profile_workspace_and_environment_tags():
    text = replace("      host: https://adb-2.2.azuredatabricks.net", "      profile: appsec-prod",
                   replace(PROD_SETTINGS, PROD_SETTINGS + "    tags: {cost_center: appsec-42}\n"))
    prod = resolve(parse_config(text), "prod")
    assert (prod.workspace.profile, prod.workspace.host) == ("appsec-prod", None)
    assert ("cost_center", "appsec-42") in prod.connectors[0].tags


def test_backend_must_name_exactly_one_kind():
    assert errors_of(replace(PROD_SETTINGS, PROD_SETTINGS + "    backend: {}\n")) == [
        "connectors.yaml:22: environments.prod.backend: must name exactly one of 'azurerm', 's3', 'gcs' "
        "(omit 'backend' for local state)"]


def test_workspace_must_name_a_host_or_profile():
    assert errors_of(replace("    workspace:\n      host: https://adb-2.2.azuredatabricks.net\n",
                             "    workspace: {}\n")) == [
        "connectors.yaml:14: environments.prod.workspace: names no workspace; set 'host' "
        "(e.g. 'https://adb-123.4.azuredatabricks.net') or 'profile' (a Databricks CLI profile)"]
