"""The README's examples are what the code does: the documented error output is regenerated from the sample (the
platform tests' copy), and the generated blocks (the job pictures, the describe example) are those of the
user's own prod stack, rewritten by `make graphs` and `make snapshot-update`."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from connectors_config import ConfigError, parse_config
from tests.conftest import PROJECT_DIR, SAMPLE_CONFIG, SAMPLE_DIR

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
        parse_config(broken, "connectors.yaml", base_dir=SAMPLE_DIR)
    assert block.group(1) == raised.value.render()



def _between(readme: str, begin: str, end: str) -> str:
    match = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), readme, re.DOTALL)
    assert match, f"the README has no {begin} ... {end} block"
    return match.group(1)


def test_the_job_pictures_are_the_prod_stacks(user_stacks):
    from review.mermaid import BEGIN, END, readme_block
    from review.stack_jobs import parse_stack

    readme = (PROJECT_DIR / "README.md").read_text()
    assert _between(readme, BEGIN, END) == readme_block(parse_stack("prod", user_stacks["prod"])), \
        "the README's job pictures are stale: run `make graphs` and commit README.md"


def test_the_describe_example_is_the_prod_stacks(user_stacks):
    from review.cli import DESCRIBE_MARKERS
    from review.describe import describe
    from review.stack_jobs import parse_stack

    readme = (PROJECT_DIR / "README.md").read_text()
    command = "$ python -m review describe --env prod --now 2026-11-21T12:00:00+00:00"
    assert command in readme
    now = datetime.fromisoformat(command.rsplit(" ", 1)[1])
    expected = describe({"prod": parse_stack("prod", user_stacks["prod"])}, now)
    assert _between(readme, *DESCRIBE_MARKERS) == f"```\n{expected}```\n", \
        "the README's describe example is stale: run `make graphs` and commit README.md"


def test_the_policy_rules_table_lists_every_rule_as_the_code_states_it():
    from policy import RULES

    readme = (PROJECT_DIR / "README.md").read_text()
    block = re.search(r"<!-- policy-rules:begin -->\n(.*?)<!-- policy-rules:end -->", readme, re.S)
    assert block, "the README has no policy-rules block"
    expected = ["| rule | guarantees | fix |", "| --- | --- | --- |",
                *(f"| `{rule.id}` | {rule.guarantees} | {rule.fix} |" for rule in RULES)]
    assert block.group(1).splitlines() == expected, "the README's policy rules differ from policy/rules.py"
