"""The README's examples are what the code does: the documented error output is regenerated from the sample."""

from __future__ import annotations

import re

import pytest

from connectors_config import ConfigError, parse_config
from tests.conftest import PROJECT_DIR, SAMPLE_CONFIG

EXAMPLE_COMMAND = "$ make synth      # with dev's catalog set to appsec_prod, a unix cron and a pasted token"


def test_the_documented_error_output_matches_the_sample():
    readme = (PROJECT_DIR / "README.md").read_text()
    block = re.search(re.escape(EXAMPLE_COMMAND) + r"\n(.*?)\n```", readme, re.DOTALL)
    assert block, "the README's error example is missing"
    broken = (SAMPLE_CONFIG.read_text()
              .replace("catalog: appsec_dev", "catalog: appsec_prod", 1)
              .replace('"0 */15 * * * ?"', '"*/15 * * * *"', 1)
              .replace("secrets: [github-token]", "secrets: [ghp_0123456789abcdefghijABCDEFGHIJ012345]", 1))
    with pytest.raises(ConfigError) as raised:
        parse_config(broken, "connectors.yaml")
    assert block.group(1) == raised.value.render()

