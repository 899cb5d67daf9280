"""CP-PRIVILEGE-SECURABLE alone: every privilege granted applies to its securable (the matrix itself:
tests/policy/test_privileges.py)."""

from __future__ import annotations

from core.provider import Grant
from core.provider import Grants, GrantsGrant
from core.provider import Schema

from policy import evaluate
from policy.rules.privilege_securable import RULE
from tests.policy.helpers import CONTEXT, KEEP, SP_DEV, adding, findings_of, line

FIX = "grant the privilege on a securable it applies to, or the privilege this securable takes"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-PRIVILEGE-SECURABLE", message, FIX)


def test_privileges_that_apply_to_their_securables_pass(tmp_path):
    def build(stack):
        Grant(stack, "connection", foreign_connection="servicenow", principal=SP_DEV, privileges=["USE_CONNECTION"])
        Grant(stack, "volume", volume="appsec_dev.bronze.raw", principal=SP_DEV, privileges=["read volume"])
        Grant(stack, "table", table="appsec_dev.silver.github_repos", principal=SP_DEV, privileges=["SELECT"])

    assert findings(tmp_path, build) == []


def test_use_connection_does_not_apply_to_a_catalog(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal=SP_DEV, privileges=["USE_CATALOG", "USE_CONNECTION"])
    assert findings(tmp_path, build) == [
        finding("databricks_grant", "grant",
                "on 'appsec_dev': USE_CONNECTION does not apply to a catalog; it applies to a connection")]


def test_read_volume_does_not_apply_to_a_table(tmp_path):
    build = adding(Grants, "grants", table="appsec_dev.bronze.github_repos", grant=[
        GrantsGrant(principal=SP_DEV, privileges=["SELECT", "READ_VOLUME"])])
    assert findings(tmp_path, build) == [
        finding("databricks_grants", "grants",
                "on 'appsec_dev.bronze.github_repos': READ_VOLUME does not apply to a table; it applies to a catalog, "
                "schema or volume")]


def test_a_misspelt_privilege_is_no_privilege_and_the_closest_is_suggested(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal=SP_DEV, privileges=["SELCT"])
    assert findings(tmp_path, build) == [
        finding("databricks_grant", "grant", "on 'appsec_dev': SELCT is not a Unity Catalog privilege; did you mean "
                "SELECT?")]


def test_a_securable_given_by_reference_is_named_by_what_it_resolves_to(tmp_path):
    def build(stack):
        schema = Schema(stack, "bronze", catalog_name="appsec_dev", name="bronze", lifecycle=KEEP)
        Grants(stack, "grants", schema=schema.id, grant=[GrantsGrant(principal=SP_DEV, privileges=["USE_CATALOG"])])

    assert findings(tmp_path, build) == [
        finding("databricks_grants", "grants",
                "on 'appsec_dev.bronze': USE_CATALOG does not apply to a schema; it applies to a catalog")]


def test_a_grant_that_names_no_securable_is_a_finding():
    """On Terraform JSON as written by hand (an escape hatch, say): no construct path, so the address names it."""
    document = {"resource": {"databricks_grant": {"orphan": {"principal": SP_DEV, "privileges": ["SELECT"]}}}}
    assert [finding.render() for finding in evaluate(document, CONTEXT, rules=(RULE,))] == [
        "databricks_grant.orphan: CP-PRIVILEGE-SECURABLE: names no securable (catalog, schema, table, volume, "
        f"connection...); fix: {FIX}"]


def _grant_on(stack, id: str, securable: str, name: str, *privileges: str) -> None:
    """A databricks_grant on one of provider 1.138's securables (core/provider_differences.py GRANT_SECURABLES); an
    override writes the attribute under either toolchain's bindings (1.99's Grant has none of them)."""
    Grant(stack, id, principal=SP_DEV, privileges=list(privileges)).add_override(securable, name)


def test_privileges_that_apply_to_the_newer_providers_securables_pass(tmp_path):
    def build(stack):
        _grant_on(stack, "model_service", "model_service", "appsec_dev.gateway.triage", "EXECUTE")
        _grant_on(stack, "model_provider_service", "model_provider_service", "appsec_dev.gateway.openai",
                  "EXECUTE", "READ_METADATA")
        _grant_on(stack, "mcp_service", "mcp_service", "appsec_dev.gateway.github", "EXECUTE")
        _grant_on(stack, "secret", "secret", "appsec_dev.secrets.github_token", "READ_SECRET")

    assert findings(tmp_path, build) == []


def test_select_does_not_apply_to_a_secret(tmp_path):
    def build(stack):
        _grant_on(stack, "grant", "secret", "appsec_dev.secrets.github_token", "SELECT", "READ_SECRET")

    assert findings(tmp_path, build) == [
        finding("databricks_grant", "grant", "on 'appsec_dev.secrets.github_token': SELECT does not apply to a secret; "
                "it applies to a catalog, schema, table or share")]


def test_a_secrets_privilege_does_not_apply_to_an_mcp_service(tmp_path):
    def build(stack):
        Grants(stack, "grants", grant=[GrantsGrant(principal=SP_DEV, privileges=["READ_SECRET"])]).add_override(
            "mcp_service", "appsec_dev.gateway.github")

    assert findings(tmp_path, build) == [
        finding("databricks_grants", "grants", "on 'appsec_dev.gateway.github': READ_SECRET does not apply to an MCP "
                "service; it applies to a catalog, schema or secret")]
