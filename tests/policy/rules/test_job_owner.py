"""CP-JOB-OWNER alone: every job has one databricks_permissions naming exactly one owner, a user or service
principal."""

from __future__ import annotations

from core.provider import Job
from core.provider import Permissions

from policy.rules.job_owner import RULE
from tests.policy.helpers import (ALICE, OWNER_DEV, RUN_AS_DEV, SP_DEV, access, adding, findings_of, job_with_access,
                                  line, owned_job, pipeline)

FIX = "give the job's permissions exactly one IS_OWNER, the principal it runs as"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-JOB-OWNER", message, FIX)


def test_a_job_owned_by_its_service_principal_passes(tmp_path):
    assert findings(tmp_path, owned_job) == []


def test_a_job_owned_by_a_user_passes(tmp_path):
    assert findings(tmp_path, job_with_access(access("IS_OWNER", user=ALICE))) == []


def test_a_job_without_permissions_is_owned_by_whoever_deploys_it(tmp_path):
    build = adding(Job, "job", name="github", run_as=RUN_AS_DEV)
    assert findings(tmp_path, build) == [
        finding("databricks_job", "job",
                "job 'github' has no databricks_permissions, so Databricks makes whoever deploys it its owner")]


def test_a_pipelines_permissions_do_not_make_a_job_owned(tmp_path):
    def build(stack):
        pipe = pipeline(stack)
        Job(stack, "job", name="github", run_as=RUN_AS_DEV)
        Permissions(stack, "pipeline_permissions", pipeline_id=pipe.id, access_control=[OWNER_DEV])

    assert findings(tmp_path, build) == [
        finding("databricks_job", "job",
                "job 'github' has no databricks_permissions, so Databricks makes whoever deploys it its owner")]


def test_two_permissions_resources_on_one_job_replace_each_other(tmp_path):
    def build(stack):
        job = owned_job(stack)
        Permissions(stack, "job_permissions_extra", job_id=job.id, access_control=[
            access("CAN_MANAGE_RUN", group="appsec-data-engineers")])

    assert findings(tmp_path, build) == [
        finding("databricks_permissions", "job_permissions",
                "job 'github' has 2 databricks_permissions resources (databricks_permissions.job_permissions, "
                "databricks_permissions.job_permissions_extra); each replaces the others' access")]


def test_a_job_with_no_owner_is_a_finding(tmp_path):
    build = job_with_access(access("CAN_MANAGE", group="appsec-platform-admins"))
    assert findings(tmp_path, build) == [
        finding("databricks_permissions", "job_permissions",
                "job 'github' has 0 owners (IS_OWNER: nobody); it needs exactly one")]


def test_a_job_with_two_owners_is_a_finding(tmp_path):
    build = job_with_access(OWNER_DEV, access("IS_OWNER", user=ALICE))
    assert findings(tmp_path, build) == [
        finding("databricks_permissions", "job_permissions",
                f"job 'github' has 2 owners (IS_OWNER: service principal '{SP_DEV}', user '{ALICE}'); "
                "it needs exactly one")]


def test_a_group_cannot_own_a_job(tmp_path):
    build = job_with_access(access("IS_OWNER", group="appsec-platform-admins"))
    assert findings(tmp_path, build) == [
        finding("databricks_permissions", "job_permissions",
                "job 'github' is owned by group 'appsec-platform-admins'; an owner is a user or service principal")]
