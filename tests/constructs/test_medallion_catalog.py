"""MedallionCatalog: bronze/silver schemas, never force_destroy, and one merged databricks_grant per
(securable, principal), privileges sorted."""

from __future__ import annotations

from constructs.medallion_catalog import (
    ManagedIngestionAccess,
    MedallionCatalog,
    MedallionCatalogProps,
    PrivilegeRequest,
    Securable,
    merge_privileges,
)
from tests.helpers import resource, resources, synth_construct

SP_A = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
SP_B = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"


def synth(**overrides) -> dict:
    props = MedallionCatalogProps(**{"catalog": "appsec_dev", "bronze_schema": "bronze", "silver_schema": "silver",
                                     "writers": (SP_A,), **overrides})
    return synth_construct(lambda stack: MedallionCatalog(stack, "catalog", props=props))


def grants_by_target(result: dict) -> dict[tuple[str, str], list[str]]:
    return {(g.get("catalog") or g.get("schema") or g["foreign_connection"], g["principal"]): g["privileges"]
            for g in resources(result, "databricks_grant")}


def test_schemas_are_created_protected_and_never_force_destroyed():
    result = synth()
    for key in ("bronze", "silver"):
        schema = resource(result, "databricks_schema", f"catalog/{key}")
        assert schema["catalog_name"] == "appsec_dev"
        assert schema["name"] == key
        assert schema["force_destroy"] is False
        assert schema["lifecycle"] == {"prevent_destroy": True}


def test_writer_gets_exactly_what_ingest_and_transform_need():
    assert grants_by_target(synth()) == {
        ("appsec_dev", SP_A): ["USE_CATALOG"],
        ("appsec_dev.bronze", SP_A): ["CREATE_TABLE", "MODIFY", "SELECT", "USE_SCHEMA"],
        ("appsec_dev.silver", SP_A): ["CREATE_TABLE", "MODIFY", "SELECT", "USE_SCHEMA"],
    }


def test_connectors_sharing_a_principal_produce_one_grant_per_securable():
    result = synth(writers=(SP_A, SP_A, SP_A, SP_B))
    assert len(resources(result, "databricks_grant")) == 6
    assert len(grants_by_target(result)) == 6


def test_readers_group_reads_silver_only():
    grants = grants_by_target(synth(readers_group="appsec-analysts"))
    assert grants[("appsec_dev", "appsec-analysts")] == ["USE_CATALOG"]
    assert grants[("appsec_dev.silver", "appsec-analysts")] == ["SELECT", "USE_SCHEMA"]
    assert ("appsec_dev.bronze", "appsec-analysts") not in grants


def test_schema_grants_wait_for_their_schema_and_use_per_principal_resources():
    result = synth()
    bronze_grant = resource(result, "databricks_grant", f"catalog/grant_bronze_{SP_A.replace('-', '_')}")
    assert bronze_grant["depends_on"] == [next(f"databricks_schema.{name}" for name in result["resource"]
                                               ["databricks_schema"] if name.startswith("catalog_bronze_"))]
    assert "databricks_grants" not in result["resource"]


def test_merge_unions_and_sorts_privileges():
    schema = Securable("schema", "c.s", "s")
    merged = merge_privileges([PrivilegeRequest(schema, "p", ("SELECT", "USE_SCHEMA")),
                               PrivilegeRequest(schema, "p", ("MODIFY", "SELECT"))])
    assert merged == {(schema, "p"): ("MODIFY", "SELECT", "USE_SCHEMA")}


def test_unprotected_schemas_have_no_lifecycle():
    assert "lifecycle" not in resource(synth(prevent_destroy=False), "databricks_schema", "catalog/bronze")


SERVICENOW = ManagedIngestionAccess(run_as=SP_B, connection="servicenow_dev", destination_schemas=("servicenow",))


def test_managed_ingestion_gets_its_schema_and_exactly_what_the_pipeline_needs():
    result = synth(managed_ingestion=(SERVICENOW,), readers_group="appsec-analysts")
    schema = resource(result, "databricks_schema", "catalog/schema_servicenow")
    assert (schema["name"], schema["force_destroy"], schema["lifecycle"]) == (
        "servicenow", False, {"prevent_destroy": True})
    grants = grants_by_target(result)
    assert grants[("appsec_dev", SP_B)] == ["USE_CATALOG"]
    assert grants[("appsec_dev.servicenow", SP_B)] == ["CREATE_TABLE", "USE_SCHEMA"]
    assert grants[("appsec_dev.servicenow", "appsec-analysts")] == ["SELECT", "USE_SCHEMA"]
    assert ("appsec_dev.bronze", SP_B) not in grants  # a managed connector writes only its own schemas
    connection = resource(result, "databricks_grant",
                          f"catalog/grant_connection_servicenow_dev_{SP_B.replace('-', '_')}")
    assert connection == {"foreign_connection": "servicenow_dev", "principal": SP_B,
                          "privileges": ["USE_CONNECTION"]}


def test_managed_ingestion_into_bronze_merges_with_the_batch_writers_grant():
    into_bronze = ManagedIngestionAccess(run_as=SP_A, connection="servicenow_dev", destination_schemas=("bronze",))
    result = synth(managed_ingestion=(into_bronze,))
    assert [s["name"] for s in resources(result, "databricks_schema")] == ["bronze", "silver"]
    assert grants_by_target(result)[("appsec_dev.bronze", SP_A)] == ["CREATE_TABLE", "MODIFY", "SELECT", "USE_SCHEMA"]


def test_a_pipeline_waits_for_its_own_grants_only():
    props = MedallionCatalogProps(catalog="appsec_dev", bronze_schema="bronze", silver_schema="silver",
                                  writers=(SP_A,), managed_ingestion=(SERVICENOW,))
    found = {}

    def build(stack):
        catalog = MedallionCatalog(stack, "catalog", props=props)
        found["ids"] = sorted(grant.node.id for grant in catalog.grants_for(SERVICENOW))

    synth_construct(build)
    slug = SP_B.replace("-", "_")
    assert found["ids"] == [f"grant_catalog_{slug}", f"grant_connection_servicenow_dev_{slug}",
                            f"grant_schema_servicenow_{slug}"]
