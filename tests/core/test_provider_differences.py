"""What the newer provider of CDK Terrain adds, as data the tests read (core/provider_differences.py): nothing under
cdktf, exactly the listed names under cdktn; and the policy pack's matrix maps the new securables, so a grant on one
is checked privilege by privilege under either toolchain."""

from __future__ import annotations

import pytest

from core.provider_differences import GRANT_META_ARGUMENTS, GRANT_SECURABLES, NEWER, PROVIDER_VERSIONS, newer
from policy import evaluate
from policy.privileges import GRANT_SECURABLE_FIELDS
from policy.rules.privilege_securable import RULE
from tests.policy.helpers import CONTEXT, SP_DEV


@pytest.mark.parametrize("kind", sorted(NEWER))
def test_cdktf_has_nothing_newer_and_cdktn_has_the_listed_names(kind):
    assert newer(kind, "cdktf") == frozenset()
    assert newer(kind, "cdktn") == NEWER[kind] != frozenset()


def test_the_new_securables_are_in_the_matrix_and_no_meta_argument_is_a_securable():
    assert GRANT_SECURABLES.issubset(GRANT_SECURABLE_FIELDS)
    assert GRANT_META_ARGUMENTS.isdisjoint(set(GRANT_SECURABLE_FIELDS))
    assert PROVIDER_VERSIONS == {"cdktf": "1.99.0", "cdktn": "1.138.0"}


@pytest.mark.parametrize(("securable", "noun"), [
    ("mcp_service", "an MCP service"), ("model_provider_service", "a model provider service"),
    ("model_service", "a model service"), ("secret", "a secret")])
def test_a_grant_on_a_new_securable_is_checked_against_the_matrix(securable, noun):
    document = {"resource": {"databricks_grant": {"new": {securable: "x", "principal": SP_DEV,
                                                          "privileges": ["USE_CONNECTION"]}}}}
    assert [finding.render() for finding in evaluate(document, CONTEXT, rules=(RULE,))] == [
        f"databricks_grant.new: CP-PRIVILEGE-SECURABLE: on 'x': USE_CONNECTION does not apply to {noun}; it applies "
        "to a connection; fix: grant the privilege on a securable it applies to, or the privilege this securable takes"]
