"""review/access.py: what a grant gives, read per securable."""

from __future__ import annotations

import pytest

from core.stack_references import References
from policy.privileges import GRANT_SECURABLE_FIELDS
from review.access import GRANT_SECURABLES, access_entries


def test_review_names_every_securable_the_policy_pack_knows():
    assert set(GRANT_SECURABLES) == set(GRANT_SECURABLE_FIELDS)


@pytest.mark.parametrize(("attribute", "words"), [
    ("secret", "secret"), ("mcp_service", "MCP service"), ("model_service", "model service"),
    ("model_provider_service", "model provider service"), ("pipeline", "pipeline"), ("recipient", "recipient"),
])
def test_a_grant_on_a_securable_of_the_newer_provider_is_read_by_its_kind(attribute, words):
    refs = References({"resource": {"databricks_grant": {"g": {
        attribute: "main.appsec.token", "principal": "appsec-readers", "privileges": ["READ_SECRET"]}}}})
    [entry] = access_entries(refs).values()
    assert (entry.securable.kind, entry.securable.name, entry.principal, entry.levels) == (
        words, "main.appsec.token", "appsec-readers", frozenset({"READ_SECRET"}))
