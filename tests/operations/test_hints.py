"""The commands the operations suggest, as they must be pasted: with the --config the operator gave, shell-quoted."""

from __future__ import annotations

import argparse

import pytest

from operations.hints import Hints, hints_of


@pytest.mark.parametrize(("config", "operation", "deploy"), [
    (None, "python -m operations repair --env prod github", "npx cdktf deploy prod-team"),
    ("ops/connectors.yaml", "python -m operations repair --env prod --config ops/connectors.yaml github",
     "CONNECTORS_CONFIG=ops/connectors.yaml npx cdktf deploy prod-team"),
    ("my configs/connectors.yaml", "python -m operations repair --env prod --config 'my configs/connectors.yaml' "
     "github", "CONNECTORS_CONFIG='my configs/connectors.yaml' npx cdktf deploy prod-team"),
    ("/srv/it's.yaml", "python -m operations repair --env prod --config '/srv/it'\"'\"'s.yaml' github",
     "CONNECTORS_CONFIG='/srv/it'\"'\"'s.yaml' npx cdktf deploy prod-team"),
])
def test_a_suggested_command_carries_the_config_given_shell_quoted(config, operation, deploy):
    hints = hints_of(argparse.Namespace(config=config))

    assert hints.operation("repair", "prod", "github") == operation
    assert hints.deploy("prod-team") == deploy


def test_without_a_config_option_the_suggestions_keep_their_short_form():
    assert hints_of(argparse.Namespace()) == Hints(None)
    assert hints_of(argparse.Namespace(config="")) == Hints(None)
    assert Hints().operation("status", "dev") == "python -m operations status --env dev"
    assert Hints().operation("run", "dev", "appsec findings") == "python -m operations run --env dev 'appsec findings'"
