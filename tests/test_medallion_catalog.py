"""MedallionCatalog: bronze/silver schemas, never force_destroy, and one merged databricks_grant per
(securable, principal), privileges sorted."""

from __future__ import annotations

from constructs.medallion_catalog import (
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
    return {(g.get("catalog") or g["schema"], g["principal"]): g["privileges"]
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
