"""policy.privileges: the Unity Catalog privilege matrix, where a privilege applies, which securable a grant is on."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from core.provider_differences import GRANT_SECURABLES, newer
from core.toolchain import PROVIDER_PACKAGE, TOOLCHAIN
from policy.privileges import GRANT_SECURABLE_FIELDS, PRIVILEGES, misapplied, securable_of

# --- privileges that apply --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("securable", "privilege"), [
    ("CONNECTION", "USE_CONNECTION"),
    ("CONNECTION", "CREATE_FOREIGN_CATALOG"),
    ("VOLUME", "READ_VOLUME"),
    ("SCHEMA", "READ_VOLUME"),  # inherited by every volume in the schema
    ("CATALOG", "READ_VOLUME"),  # ... and in the catalog
    ("TABLE", "SELECT"),
    ("SCHEMA", "SELECT"),
    ("CATALOG", "SELECT"),
    ("METASTORE", "CREATE_CATALOG"),
    ("CATALOG", "CREATE_TABLE"),  # a schema privilege, granted for every schema in the catalog
    ("TABLE", "REFRESH"),  # the `table` field covers materialized views too
    ("SCHEMA", "EXTERNAL_USE_SCHEMA"),
    ("SERVICE_CREDENTIAL", "ACCESS"),
    ("SERVICE_CREDENTIAL", "CREATE_CONNECTION"),
    ("REGISTERED_MODEL", "APPLY_TAG"),
    ("EXTERNAL_LOCATION", "BROWSE"),
    ("SHARE", "SELECT"),
    ("MODEL_SERVICE", "EXECUTE"),
    ("MODEL_PROVIDER_SERVICE", "READ_METADATA"),
    ("MCP_SERVICE", "APPLY_TAG"),
    ("SECRET", "READ_SECRET"),
    ("SECRET", "MANAGE"),
    ("SCHEMA", "READ_SECRET"),  # inherited by every secret in the schema
    ("CATALOG", "WRITE_SECRET"),  # ... and in the catalog
    ("SCHEMA", "CREATE_SECRET"),
])
def test_a_privilege_that_applies_passes(securable, privilege):
    assert misapplied(securable, privilege) is None


@pytest.mark.parametrize(("securable", "privilege"), [("SCHEMA", "create table"), ("VOLUME", "Read Volume")])
def test_spaces_and_lower_case_are_read_as_the_provider_reads_them(securable, privilege):
    assert misapplied(securable, privilege) is None


# --- privileges on the wrong securable --------------------------------------------------------------------------------


@pytest.mark.parametrize(("securable", "privilege", "message"), [
    ("CATALOG", "USE_CONNECTION", "USE_CONNECTION does not apply to a catalog; it applies to a connection"),
    ("TABLE", "READ_VOLUME", "READ_VOLUME does not apply to a table; it applies to a catalog, schema or volume"),
    ("SCHEMA", "CREATE_CATALOG", "CREATE_CATALOG does not apply to a schema; it applies to a metastore"),
    ("VOLUME", "SELECT", "SELECT does not apply to a volume; it applies to a catalog, schema, table or share"),
    ("METASTORE", "USE_CONNECTION", "USE_CONNECTION does not apply to a metastore; it applies to a connection"),
    ("SCHEMA", "USE_CATALOG", "USE_CATALOG does not apply to a schema; it applies to a catalog"),
    ("TABLE", "CREATE_MODEL_VERSION",
     "CREATE_MODEL_VERSION does not apply to a table; it applies to a registered model"),
    ("CATALOG", "READ_FILES",
     "READ_FILES does not apply to a catalog; it applies to an external location or storage credential"),
    ("EXTERNAL_LOCATION", "ACCESS",
     "ACCESS does not apply to an external location; it applies to a service credential"),
    ("SECRET", "SELECT", "SELECT does not apply to a secret; it applies to a catalog, schema, table or share"),
    ("SECRET", "CREATE_SECRET", "CREATE_SECRET does not apply to a secret; it applies to a catalog or schema"),
    ("MCP_SERVICE", "READ_SECRET",
     "READ_SECRET does not apply to an MCP service; it applies to a catalog, schema or secret"),
    ("TABLE", "READ_METADATA",
     "READ_METADATA does not apply to a table; it applies to a model service, model provider service or MCP service"),
])
def test_a_misapplied_privilege_says_where_it_applies(securable, privilege, message):
    assert misapplied(securable, privilege) == message


def test_the_message_names_the_privilege_in_provider_spelling():
    assert misapplied("TABLE", "read volume") == (
        "READ_VOLUME does not apply to a table; it applies to a catalog, schema or volume")


def test_a_securable_without_documented_privileges_rejects_every_privilege():
    assert misapplied("PIPELINE", "SELECT") == (
        "SELECT does not apply to a pipeline; it applies to a catalog, schema, table or share")
    assert misapplied("RECIPIENT", "USE_RECIPIENT") == (
        "USE_RECIPIENT does not apply to a recipient; it applies to a metastore")


# --- names that are no privilege --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("privilege", "message"), [
    ("SELCT", "SELCT is not a Unity Catalog privilege; did you mean SELECT?"),
    ("READ_VOLUMES", "READ_VOLUMES is not a Unity Catalog privilege; did you mean READ_VOLUME?"),
    ("USE_CONECTION", "USE_CONECTION is not a Unity Catalog privilege; did you mean USE_CONNECTION?"),
    ("CREATE_VIEW", "CREATE_VIEW is not a Unity Catalog privilege; did you mean CREATE_TABLE?"),
    ("USAGE", "USAGE is not a Unity Catalog privilege; did you mean USE_CATALOG or USE_SCHEMA?"),
    ("OWNER", "OWNER is not a Unity Catalog privilege"),
])
def test_an_unknown_privilege_is_named_with_the_closest_real_one(privilege, message):
    assert misapplied("SCHEMA", privilege) == message


def test_an_unknown_securable_type_is_an_error():
    with pytest.raises(ValueError, match="unknown securable type 'VIEW'"):
        misapplied("VIEW", "SELECT")


# --- which securable a grant resource is on ---------------------------------------------------------------------------


def test_securable_of_a_single_principal_grant():
    body = {"catalog": "main", "principal": "data-engineers", "privileges": ["USE_CATALOG", "USE_SCHEMA"]}
    assert securable_of(body) == ("CATALOG", "main")


def test_securable_of_an_authoritative_grants_resource():
    body = {"foreign_connection": "${databricks_connection.pg.name}",
            "grant": [{"principal": "analysts", "privileges": ["USE_CONNECTION"]}]}
    assert securable_of(body) == ("CONNECTION", "${databricks_connection.pg.name}")


@pytest.mark.parametrize(("field", "securable"), [
    ("model", "REGISTERED_MODEL"), ("credential", "SERVICE_CREDENTIAL"), ("table", "TABLE"),
    ("storage_credential", "STORAGE_CREDENTIAL"), ("metastore", "METASTORE"), ("model_service", "MODEL_SERVICE"),
    ("model_provider_service", "MODEL_PROVIDER_SERVICE"), ("mcp_service", "MCP_SERVICE"), ("secret", "SECRET"),
])
def test_securable_of_maps_the_provider_attribute_to_its_securable_type(field, securable):
    assert securable_of({field: "x", "principal": "p", "privileges": []}) == (securable, "x")


def test_securable_of_a_body_without_a_securable_is_none():
    assert securable_of({"principal": "p", "privileges": ["SELECT"]}) is None
    assert securable_of({"schema": "", "principal": "p", "privileges": ["SELECT"]}) is None  # "" is unset


# --- the matrix itself ------------------------------------------------------------------------------------------------

# TerraformMetaArguments (cdktf) and the resources' own non-securable arguments.
_NOT_SECURABLES = {"connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners",
                   "id", "principal", "privileges", "grant"}


def _config_arguments(module: str, class_name: str) -> set[str]:
    """The keyword arguments of a binding's Config class, read from its source so that jsii does not start."""
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)  # the top-level package: nothing is imported
    assert spec is not None and spec.submodule_search_locations
    source = Path(next(iter(spec.submodule_search_locations))) / module / "__init__.py"
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            init = next(item for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "__init__")
            return {arg.arg for arg in init.args.kwonlyargs}
    raise AssertionError(f"{class_name} not found in {source}")


@pytest.mark.parametrize(("module", "class_name"), [("grant", "GrantConfig"), ("grants", "GrantsConfig")])
def test_every_securable_attribute_of_the_provider_is_mapped(module, class_name):
    securables = _config_arguments(module, class_name) - _NOT_SECURABLES - newer("grant_meta_arguments", TOOLCHAIN)
    assert {"catalog", "schema", "table", "foreign_connection"} <= securables  # the parsing found the arguments
    assert securables - set(GRANT_SECURABLE_FIELDS) == set(), "new in the provider: add to GRANT_SECURABLE_FIELDS"
    # The matrix maps the newer provider's securables (core/provider_differences.py) already: under cdktf exactly
    # those are missing from the bindings, under cdktn none.
    assert set(GRANT_SECURABLE_FIELDS) - securables == GRANT_SECURABLES - newer("grant_securables", TOOLCHAIN), \
        "no longer in the provider"


def test_every_securable_type_has_a_row_and_a_noun():
    assert set(GRANT_SECURABLE_FIELDS.values()) <= set(PRIVILEGES)
    for securable in PRIVILEGES:
        assert misapplied(securable, "CREATE_FOREIGN_CATALOG" if securable != "CONNECTION" else "SELECT")


def test_privileges_on_data_objects_can_be_granted_on_their_schema_and_catalog():
    data_objects = PRIVILEGES["TABLE"] | PRIVILEGES["VOLUME"] | PRIVILEGES["FUNCTION"] | PRIVILEGES["REGISTERED_MODEL"]
    inherited = data_objects - {"CREATE_MODEL_VERSION"}  # the docs name MODEL only for it, no container
    assert inherited <= PRIVILEGES["SCHEMA"]
    assert PRIVILEGES["SCHEMA"] <= PRIVILEGES["CATALOG"]
    assert "CREATE_MODEL_VERSION" not in PRIVILEGES["SCHEMA"]
    assert "BROWSE" not in PRIVILEGES["SCHEMA"]  # BROWSE on data objects: catalog level only


def test_all_privileges_applies_where_the_docs_say():
    assert {securable for securable, privileges in PRIVILEGES.items() if "ALL_PRIVILEGES" in privileges} == {
        "CATALOG", "SCHEMA", "TABLE", "VOLUME", "FUNCTION", "REGISTERED_MODEL", "EXTERNAL_LOCATION",
        "STORAGE_CREDENTIAL", "SERVICE_CREDENTIAL", "CONNECTION", "EXTERNAL_METADATA", "MODEL_SERVICE",
        "MODEL_PROVIDER_SERVICE", "MCP_SERVICE"}  # not SECRET: no source names it there


def test_privileges_are_spelled_as_the_api_spells_them():
    from databricks.sdk.service.catalog import Privilege

    newer_than_the_sdk = {"CREATE_EXTERNAL_METADATA", "CREATE_MODEL_VERSION",  # documented, not in databricks-sdk 0.150
                          # Unity Catalog secrets' privileges ("Secrets in Unity Catalog"), not in databricks-sdk 0.150
                          "CREATE_SECRET", "READ_SECRET", "REFERENCE_SECRET", "WRITE_SECRET"}
    every = set().union(*PRIVILEGES.values())
    assert all(re.fullmatch(r"[A-Z]+(_[A-Z]+)*", privilege) for privilege in every)
    assert every - {privilege.value for privilege in Privilege} == newer_than_the_sdk
