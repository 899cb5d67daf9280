"""What the newer provider of CDK Terrain adds, as data the tests read (core/provider_differences.py): nothing under
cdktf, exactly the listed names under cdktn; and a grant on one of the new securables is refused, not let through,
while the policy pack's matrix does not know it."""

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


def test_the_new_securables_are_not_in_the_matrix_and_no_meta_argument_is_a_securable():
    assert GRANT_SECURABLES.isdisjoint(GRANT_SECURABLE_FIELDS)
    assert GRANT_META_ARGUMENTS.isdisjoint(GRANT_SECURABLES | set(GRANT_SECURABLE_FIELDS))
    assert PROVIDER_VERSIONS == {"cdktf": "1.99.0", "cdktn": "1.138.0"}


@pytest.mark.parametrize("securable", sorted(GRANT_SECURABLES))
def test_a_grant_on_a_new_securable_alone_is_refused(securable):
    document = {"resource": {"databricks_grant": {"new": {securable: "x", "principal": SP_DEV,
                                                          "privileges": ["USE_CONNECTION"]}}}}
    assert [finding.render() for finding in evaluate(document, CONTEXT, rules=(RULE,))] == [
        "databricks_grant.new: CP-PRIVILEGE-SECURABLE: names no securable (catalog, schema, table, volume, "
        "connection...); fix: grant the privilege on a securable it applies to, or the privilege this securable takes"]
