"""CP-ALL-PRIVILEGES alone: privileges are granted by name, never as ALL_PRIVILEGES."""

from __future__ import annotations

from core.provider import Grant
from core.provider import Grants, GrantsGrant

from policy.rules.all_privileges import RULE
from tests.policy.helpers import SP_DEV, adding, findings_of, line

FIX = "grant the privileges needed, each by name"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-ALL-PRIVILEGES", message, FIX)


def test_privileges_granted_by_name_pass(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal="appsec-data-engineers",
                   privileges=["USE_CATALOG", "USE_SCHEMA", "SELECT", "MODIFY"])
    assert findings(tmp_path, build) == []


def test_all_privileges_is_a_finding(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal="appsec-data-engineers",
                   privileges=["ALL_PRIVILEGES"])
    assert findings(tmp_path, build) == [
        finding("databricks_grant", "grant",
                "'appsec-data-engineers' gets ALL_PRIVILEGES, which grows silently as Databricks adds privileges")]


def test_all_privileges_is_recognised_as_the_provider_spells_it_in_any_case(tmp_path):
    """The provider upper-cases privileges and turns spaces into underscores: 'all privileges' is the same."""
    build = adding(Grants, "grants", schema="appsec_dev.gold", grant=[
        GrantsGrant(principal="appsec-analysts", privileges=["SELECT"]),
        GrantsGrant(principal=SP_DEV, privileges=["all privileges"])])
    assert findings(tmp_path, build) == [
        finding("databricks_grants", "grants",
                f"'{SP_DEV}' gets ALL_PRIVILEGES, which grows silently as Databricks adds privileges")]
