"""SecretScopeAccess: one scope, one ACL per principal, READ for run-as identities, MANAGE for admins."""

from __future__ import annotations

import pytest

from constructs.secret_scope_access import SecretScopeAccess, SecretScopeAccessProps
from tests.helpers import logical_ids, resource, resources, synth_construct

SP_A = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
SP_B = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"


def synth(props: SecretScopeAccessProps) -> dict:
    return synth_construct(lambda stack: SecretScopeAccess(stack, "secrets", props=props))


def test_one_acl_per_principal_even_when_connectors_share_one():
    result = synth(SecretScopeAccessProps(scope_name="mvp-connectors", readers=(SP_A, SP_B, SP_A),
                                          managers=("platform-admins",)))
    acls = resources(result, "databricks_secret_acl")
    assert sorted((acl["principal"], acl["permission"]) for acl in acls) == [
        (SP_A, "READ"), (SP_B, "READ"), ("platform-admins", "MANAGE")]
    assert all(acl["scope"].startswith("${databricks_secret_scope.secrets_scope_") for acl in acls)
    # Construct ids name the principal, so they stay stable as connectors come and go.
    assert [name[:-9] for name in logical_ids(result, "databricks_secret_acl")] == [
        f"secrets_acl_{SP_A.replace('-', '_')}", f"secrets_acl_{SP_B.replace('-', '_')}",
        "secrets_acl_platform_admins"]


def test_scope_is_protected_from_destroy_by_default():
    result = synth(SecretScopeAccessProps(scope_name="mvp-connectors", readers=(SP_A,), managers=("admins-x",)))
    assert resource(result, "databricks_secret_scope", "secrets/scope") == {
        "name": "mvp-connectors", "lifecycle": {"prevent_destroy": True}}


def test_scope_protection_can_be_turned_off():
    result = synth(SecretScopeAccessProps(scope_name="s", readers=(SP_A,), managers=("admins-x",),
                                          prevent_destroy=False))
    assert resource(result, "databricks_secret_scope", "secrets/scope") == {"name": "s"}


def test_a_run_as_identity_can_never_manage_the_scope():
    with pytest.raises(ValueError) as raised:
        SecretScopeAccessProps(scope_name="s", readers=(SP_A,), managers=(SP_A,))
    assert str(raised.value) == (f"SecretScopeAccessProps: ['{SP_A}'] are both readers and managers; an identity "
                                 "a job runs as gets READ only")


def test_no_secret_resources_ever():
    result = synth(SecretScopeAccessProps(scope_name="s", readers=(SP_A,), managers=("admins-x",)))
    assert "databricks_secret" not in result["resource"]
