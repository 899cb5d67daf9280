"""CP-SECRET-READ alone: the identities jobs and pipelines run as may read secrets, never write or manage them."""

from __future__ import annotations

from core.provider import JobRunAs
from core.provider import SecretAcl
from core.provider import SecretScope

from policy.rules.secret_read import RULE
from tests.policy.helpers import (ALICE, DEV, KEEP, SP_ADMIN, SP_DEV, Build, findings_of, line, owned_job, pipeline,
                                  with_job)

FIX = "give run-as identities READ; secrets are written by an admin group, outside the jobs"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-SECRET-READ", message, FIX)


def secret_access(permission: str, principal: str = SP_DEV, *, runner: Build = owned_job) -> Build:
    """A protected scope, an ACL on it (by reference, as SecretScopeAccess writes it), and `runner`'s job or
    pipeline (by default a job running as SP_DEV)."""
    def build(stack):
        scope = SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=KEEP)
        SecretAcl(stack, "acl", scope=scope.name, principal=principal, permission=permission)
        runner(stack)

    return build


def test_the_run_as_identity_may_read_the_secret_scope(tmp_path):
    assert findings(tmp_path, secret_access("READ")) == []


def test_a_principal_that_runs_nothing_may_manage_the_secret_scope(tmp_path):
    assert findings(tmp_path, secret_access("MANAGE", SP_ADMIN)) == []


def test_the_run_as_identity_of_a_job_may_not_write_secrets(tmp_path):
    assert findings(tmp_path, secret_access("WRITE")) == [
        finding("databricks_secret_acl", "acl",
                f"'{SP_DEV}' runs jobs or pipelines and gets WRITE on secret scope '{DEV.secret_scope}'")]


def test_the_run_as_identity_of_a_pipeline_may_not_manage_secrets(tmp_path):
    assert findings(tmp_path, secret_access("MANAGE", runner=pipeline)) == [
        finding("databricks_secret_acl", "acl",
                f"'{SP_DEV}' runs jobs or pipelines and gets MANAGE on secret scope '{DEV.secret_scope}'")]


def test_a_user_a_job_runs_as_may_not_manage_secrets_either(tmp_path):
    """That the job runs as a user is CP-RUN-AS's finding (tests/policy/test_aspect.py shows both together)."""
    runner = with_job(run_as=JobRunAs(user_name=ALICE))
    assert findings(tmp_path, secret_access("MANAGE", ALICE, runner=runner)) == [
        finding("databricks_secret_acl", "acl",
                f"'{ALICE}' runs jobs or pipelines and gets MANAGE on secret scope '{DEV.secret_scope}'")]
