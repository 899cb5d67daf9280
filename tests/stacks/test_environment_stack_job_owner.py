"""Who owns a job of the `jobs` section: the principal it runs as. With its own `run_as` (a service principal or a
user) that principal is the job's IS_OWNER, not the environment's service principal; without one, the
environment's; a permissions entry naming an owner wins."""

from __future__ import annotations

import json

import pytest

from connectors_config import parse_config
from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS
from tests.helpers import resources

SP_DEV = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
SP_PROD = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"
SP_ETL = "1f2e3d4c-5b6a-4789-8abc-def012345678"  # neither environment's: a job's own service principal
ADMINS = {"group_name": "appsec-platform-admins", "permission_level": "CAN_MANAGE"}
TEAM = {"group_name": "appsec-data-engineers", "permission_level": "CAN_MANAGE_RUN"}


def with_fields(text: str, name: str, fields: str) -> str:
    """The sample with `fields` (indented lines) added after the job whose `name:` is `name`."""
    needle = f"    name: {name}\n"
    assert text.count(needle) == 1
    return text.replace(needle, needle + fields)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> dict[str, dict]:
    import stacks.app

    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    text = with_fields(text, "appsec-connectors-refresh", f"    run_as:\n      service_principal_name: {SP_ETL}\n")
    text = with_fields(text, "appsec-daily-refresh", "    run_as:\n      user_name: etl@example.com\n")
    text = with_fields(text, "appsec-findings-gold", f"    run_as:\n      service_principal_name: {SP_ETL}\n"
                                                     "    permissions:\n"
                                                     "      - {level: IS_OWNER, user_name: owner@example.com}\n")
    # A job run as a user is CP-RUN-AS's finding: reviewed here, so the stack is synthesized and its owner seen.
    text += "policy:\n  suppressions:\n" + "".join(
        f"    - rule: CP-RUN-AS\n      resource: {env}/jobs/daily_refresh/job\n"
        "      reason: reviewed by appsec, runs as the ETL owner until its principal exists\n" for env in ("dev", "prod"))
    outdir = tmp_path_factory.mktemp("owners") / "cdktf.out"
    stacks.app.synth(parse_config(text, "connectors.yaml", base_dir=SAMPLE_DIR), str(outdir),
                     notebooks_dir=SAMPLE_NOTEBOOKS)
    return {env: json.loads((outdir / "stacks" / env / "cdk.tf.json").read_text()) for env in ("dev", "prod")}


def access_of(stack: dict) -> dict[str, list[dict]]:
    """Each job's name with its permissions' access control."""
    ids = {f"${{databricks_job.{address}.id}}": body["name"]
           for address, body in stack["resource"]["databricks_job"].items()}
    return {ids[p["job_id"]]: p["access_control"] for p in resources(stack, "databricks_permissions") if "job_id" in p}


@pytest.mark.parametrize(("env", "sp"), [("dev", SP_DEV), ("prod", SP_PROD)])
def test_a_job_is_owned_by_the_principal_it_runs_as(stacks, env, sp):
    jobs = {body["name"]: body for body in resources(stacks[env], "databricks_job")}
    access = access_of(stacks[env])
    assert jobs["appsec-connectors-refresh"]["run_as"] == {"service_principal_name": SP_ETL}
    assert access["appsec-connectors-refresh"] == [
        {"service_principal_name": SP_ETL, "permission_level": "IS_OWNER"}, ADMINS, TEAM]
    assert jobs["appsec-daily-refresh"]["run_as"] == {"user_name": "etl@example.com"}
    assert access["appsec-daily-refresh"] == [{"user_name": "etl@example.com", "permission_level": "IS_OWNER"},
                                              ADMINS, TEAM]
    # Without its own run_as: the environment's service principal runs and owns it.
    assert jobs["appsec-table-maintenance"]["run_as"] == {"service_principal_name": sp}
    assert access["appsec-table-maintenance"] == [{"service_principal_name": sp, "permission_level": "IS_OWNER"},
                                                  ADMINS, TEAM]


def test_an_owner_named_in_the_permissions_wins(stacks):
    assert access_of(stacks["prod"])["appsec-findings-gold"] == [
        {"user_name": "owner@example.com", "permission_level": "IS_OWNER"}, ADMINS, TEAM]
