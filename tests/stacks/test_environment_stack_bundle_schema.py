"""The synthesized jobs, schemas and secret scopes are valid by Databricks' own bundle JSON schema.

The bundle schema (vendored in core/schema/) follows the Jobs/UC API and forbids unknown fields, so a field name,
enum value (pause status, permission level, access mode, privilege) or nesting mistake in a construct fails
here, offline, instead of at deploy time. Terraform block names are mapped to API names first
(task -> tasks, parameter -> parameters, job_cluster -> job_clusters).
"""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from core.bundle_schema import BUNDLE, SCHEMA_FILE, schema_defs
from tests.helpers import resources

# A character class in one of the schema's own patterns makes `re` warn; it does not affect our values.
pytestmark = pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "databricks-bundle-jsonschema.json"
# Terraform-only arguments: lifecycle meta-arguments and provider options the bundle does not model.
TERRAFORM_ONLY = {"lifecycle", "depends_on", "force_destroy"}
TERRAFORM_TO_API = {"task": "tasks", "parameter": "parameters", "job_cluster": "job_clusters", "library": "libraries",
                    "notification": "notifications", "environment": "environments"}


@pytest.fixture(scope="module")
def validator_for():
    defs = schema_defs()  # Databricks' published schema, vendored (core/schema/; see the last test)

    def validator(resource_name: str) -> Draft202012Validator:
        return Draft202012Validator({"$defs": defs, "$ref": BUNDLE + resource_name})

    return validator


def api_shape(value):
    if isinstance(value, dict):
        return {TERRAFORM_TO_API.get(k, k): api_shape(v) for k, v in value.items() if k not in TERRAFORM_ONLY}
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    if isinstance(value, str):  # another job's id: a Terraform reference, a resource reference in bundle terms
        return re.sub(r"^\$\{databricks_job\.(\w+)\.id\}$", r"${resources.jobs.\1.id}", value)
    return value


def principal_field(principal: str) -> str:
    try:
        uuid.UUID(principal)
        return "service_principal_name"
    except ValueError:
        return "group_name"


def with_permissions(stack: dict, resource_type: str, id_field: str) -> list[dict]:
    """Each resource of the type in API shape, with its databricks_permissions as the bundle's `permissions`."""
    permissions = {p[id_field]: p["access_control"] for p in resources(stack, "databricks_permissions")
                   if id_field in p}
    bodies = []
    for name, item in sorted(stack["resource"][resource_type].items()):
        body = api_shape({k: v for k, v in item.items() if k != "//"})
        body["permissions"] = [{("level" if k == "permission_level" else k): v for k, v in entry.items()}
                               for entry in permissions[f"${{{resource_type}.{name}.id}}"]]
        bodies.append(body)
    return bodies


def bundle_jobs(stack: dict) -> list[dict]:
    return with_permissions(stack, "databricks_job", "job_id")


def bundle_pipelines(stack: dict) -> list[dict]:
    return with_permissions(stack, "databricks_pipeline", "pipeline_id")


def bundle_schemas(stack: dict) -> list[dict]:
    grants = resources(stack, "databricks_grant")
    schemas = []
    for schema in resources(stack, "databricks_schema"):
        full_name = f"{schema['catalog_name']}.{schema['name']}"
        body = api_shape(schema)
        body["grants"] = [{"principal": g["principal"], "privileges": g["privileges"]}
                          for g in grants if g.get("schema") == full_name]
        schemas.append(body)
    return schemas


def bundle_secret_scopes(stack: dict) -> list[dict]:
    [scope] = resources(stack, "databricks_secret_scope")
    acls = resources(stack, "databricks_secret_acl")
    return [{**api_shape(scope), "permissions": [{"level": acl["permission"],
                                                  principal_field(acl["principal"]): acl["principal"]}
                                                 for acl in acls]}]


def errors(validator: Draft202012Validator, instance: dict) -> list[str]:
    """Leaf errors with their paths: every value is 'oneOf' [the object, a '${var.x}' string], so the useful
    errors sit in the context of the branch that failed."""
    def leaves(error):
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for top in validator.iter_errors(instance) for e in leaves(top))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_jobs_are_valid_bundle_jobs(stacks, validator_for, env):
    jobs = bundle_jobs(stacks[env])
    assert len(jobs) == 8  # 4 connectors' and 4 of the `jobs` section
    for job in jobs:
        assert errors(validator_for("resources.Job"), job) == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_schemas_and_grants_are_valid_bundle_schemas(stacks, validator_for, env):
    schemas = bundle_schemas(stacks[env])
    assert [s["name"] for s in schemas] == ["bronze", "gold", "servicenow", "silver"]
    for schema in schemas:
        assert schema["grants"], "every schema has grants"
        assert errors(validator_for("resources.Schema"), schema) == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_managed_ingestion_pipelines_are_valid_bundle_pipelines(stacks, validator_for, env):
    [pipeline] = bundle_pipelines(stacks[env])
    assert pipeline["ingestion_definition"]["objects"]
    assert errors(validator_for("resources.Pipeline"), pipeline) == []


def test_the_schema_check_catches_pipeline_mistakes(stacks, validator_for):
    pipeline = copy.deepcopy(bundle_pipelines(stacks["dev"])[0])
    pipeline["ingestion_definition"]["objects"][0]["table"]["table_configuration"]["scd_type"] = "SCD_TYPE_3"
    pipeline["permissions"][0]["level"] = "CAN_MANAGE_RUN"  # a job level, not a pipeline one
    found = errors(validator_for("resources.Pipeline"), pipeline)
    assert "ingestion_definition/objects/0/table/table_configuration/scd_type: 'SCD_TYPE_3' is not one of " \
           "['SCD_TYPE_1', 'SCD_TYPE_2', 'APPEND_ONLY']" in found
    assert "permissions/0/level: 'CAN_MANAGE_RUN' is not one of ['CAN_MANAGE', 'IS_OWNER', 'CAN_RUN', 'CAN_VIEW']" \
           in found


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_secret_scope_and_acls_are_a_valid_bundle_secret_scope(stacks, validator_for, env):
    for scope in bundle_secret_scopes(stacks[env]):
        assert errors(validator_for("resources.SecretScope"), scope) == []


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda job: job["schedule"].update(pause_status="STOPPED"), "schedule/pause_status"),
    (lambda job: job["tasks"][0].update(max_retry=3), "tasks/0"),
    (lambda job: job["permissions"][0].update(level="CAN_OWN"), "permissions/0/level"),
    (lambda job: job["job_clusters"][0]["new_cluster"].update(data_security_mode="DEDICATED_USER"),
     "job_clusters/0/new_cluster/data_security_mode"),
])
def test_the_schema_check_catches_mistakes(stacks, validator_for, mutate, expected):
    job = copy.deepcopy(bundle_jobs(stacks["dev"])[0])
    mutate(job)
    assert any(re.match(re.escape(expected), e) for e in errors(validator_for("resources.Job"), job))


def test_an_unknown_privilege_is_caught(stacks, validator_for):
    schema = bundle_schemas(stacks["prod"])[1]
    schema["grants"][0]["privileges"] = ["SELECT", "READ_TABLE"]
    assert errors(validator_for("resources.Schema"), schema)


def test_the_vendored_schema_is_databricks_reference_copy():
    """core/schema/ ships the schema with the code (synth and tests run without ../shared); where the
    maintainers' reference is beside the checkout, the vendored file must be its copy: replace it when the
    reference is updated."""
    if not REFERENCE.exists():
        pytest.skip(f"the maintainers' reference schema is not beside this checkout (../shared/reference/"
                    f"{REFERENCE.name}): a maintainer-only check")
    assert SCHEMA_FILE.read_bytes() == REFERENCE.read_bytes()
