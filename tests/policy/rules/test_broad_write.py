"""CP-BROAD-WRITE alone: groups every user is in may read, use and view; nothing that writes, manages or owns."""

from __future__ import annotations

import pytest
from core.provider import Grant
from core.provider import Grants, GrantsGrant
from core.provider import SecretAcl
from core.provider import SecretScope

from core.principals import BROAD_GROUPS
from policy import PolicyContext
from policy.rules.broad_write import RULE
from tests.policy.helpers import DEV, KEEP, OWNER_DEV, PROD, access, adding, findings_of, job_with_access, line

FIX = "grant to a dedicated group instead (connectors.yaml: policy.broad_groups lists your own broad groups)"
BROAD = PolicyContext(environment=DEV, others=(PROD,), broad_groups=BROAD_GROUPS | {"all-staff"})


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-BROAD-WRITE", message, FIX)


def test_broad_groups_may_read_use_and_view_and_other_groups_are_not_broad(tmp_path):
    """Reading, using and viewing: every user may; and a group only becomes broad when the config says so."""
    def build(stack):
        scope = SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=KEEP)
        SecretAcl(stack, "acl", scope=scope.name, principal="users", permission="READ")
        job_with_access(OWNER_DEV, access("CAN_VIEW", group="account users"),
                        access("CAN_MANAGE", group="all-staff"))(stack)
        Grants(stack, "grants", catalog="appsec_dev", grant=[
            GrantsGrant(principal="users", privileges=["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"]),
            GrantsGrant(principal="appsec-data-engineers", privileges=["MODIFY", "CREATE_TABLE"])])

    assert findings(tmp_path, build) == []


def test_users_may_not_manage_a_secret_scope(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="users", permission="MANAGE")
    assert findings(tmp_path, build) == [
        finding("databricks_secret_acl", "acl",
                f"broad group 'users' gets MANAGE on secret scope '{DEV.secret_scope}'")]


def test_account_users_may_not_write_to_a_secret_scope(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="account users", permission="WRITE")
    assert findings(tmp_path, build) == [
        finding("databricks_secret_acl", "acl",
                f"broad group 'account users' gets WRITE on secret scope '{DEV.secret_scope}'")]


@pytest.mark.parametrize("group", ["users", "account users", "All-Staff"])
def test_a_broad_group_may_not_manage_a_job(tmp_path, group):
    """All-Staff is broad because the config says so (BROAD), compared in lower case."""
    build = job_with_access(OWNER_DEV, access("CAN_MANAGE", group=group))
    assert findings(tmp_path, build, context=BROAD) == [
        finding("databricks_permissions", "job_permissions", f"broad group '{group}' gets CAN_MANAGE")]


def test_a_config_declared_broad_group_may_not_manage_a_secret_scope(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="all-staff", permission="MANAGE")
    assert findings(tmp_path, build, context=BROAD) == [
        finding("databricks_secret_acl", "acl",
                f"broad group 'all-staff' gets MANAGE on secret scope '{DEV.secret_scope}'")]


def test_users_may_not_modify_a_table_through_databricks_grant(tmp_path):
    build = adding(Grant, "grant", table="appsec_dev.silver.github_repos", principal="users",
                   privileges=["SELECT", "MODIFY"])
    assert findings(tmp_path, build) == [finding("databricks_grant", "grant", "broad group 'users' gets MODIFY")]


def test_a_config_declared_broad_group_may_not_modify_through_databricks_grants(tmp_path):
    build = adding(Grants, "grants", schema="appsec_dev.silver", grant=[
        GrantsGrant(principal="appsec-analysts", privileges=["SELECT"]),
        GrantsGrant(principal="All-Staff", privileges=["USE_SCHEMA", "MODIFY", "CREATE_TABLE"])])
    assert findings(tmp_path, build, context=BROAD) == [
        finding("databricks_grants", "grants", "broad group 'All-Staff' gets CREATE_TABLE, MODIFY")]
