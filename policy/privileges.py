"""Which Unity Catalog privileges apply to which securable, spelled as the Databricks provider and REST API spell them.

Source: Databricks documentation, "Unity Catalog privileges reference",
https://docs.databricks.com/aws/en/data-governance/unity-catalog/access-control/privileges-reference
(read 2026-11-21): its table "What privileges apply to each securable object?" and, per privilege, the lines
"Applicable object types" and "Applicable container objects". Privilege Model 1.0 (privilege inheritance).

The four securables provider 1.138.0 can grant on (read 2026-12-07):
- model services, model provider services and MCP services (Unity AI Gateway): terraform-provider-databricks'
  docs/resources/grants.md ("Model service grants", "Model provider service grants", "MCP service grants"; main
  of 2026-08-22): ALL_PRIVILEGES, APPLY_TAG, EXECUTE, MANAGE and READ_METADATA, on the service itself;
- Unity Catalog secrets (`secret`, after that revision of the docs, which have no section for it): Databricks
  documentation, "Secrets in Unity Catalog" (https://docs.databricks.com/aws/en/security/secrets/unity-catalog-secrets,
  its privileges table: "granted at the catalog, schema or individual secret level", with inheritance), "Best
  practices for Unity Catalog secrets" (.../security/secrets/best-practices: `GRANT READ SECRET ON SCHEMA`, WRITE
  SECRET to rotate, CREATE SECRET on a schema) and the SDK's SecretsUcAPI (MANAGE on a secret): READ_SECRET,
  WRITE_SECRET, REFERENCE_SECRET and MANAGE on a secret, the first three inherited from its schema and catalog;
  CREATE_SECRET on a schema or catalog. No source names ALL_PRIVILEGES or APPLY_TAG for a secret: not encoded.
The API's securable types are the provider's (catalog/permissions/permissions.go, `Mappings`): each of the four
attributes is its own type, upper-cased here as in the SDK's `SecurableType`.

Spelling: the SQL `READ VOLUME` is `READ_VOLUME` here, as in `databricks_grant(s).privileges`, the Grants API and
`databricks.sdk.service.catalog.Privilege`. The provider upper-cases privileges and turns spaces into underscores
before comparing them, and so does `misapplied`.

Updating the matrix when Databricks adds a privilege or a securable:

1. Re-read the page above. For a new privilege, add it to the set of every securable in its "Applicable object
   types". If it also names "Applicable container objects: SCHEMA, CATALOG", add it to `_INHERITED` too, which puts
   it on both; a privilege that only containers take goes in `_SCHEMA_OWN` (a schema, and so a catalog) or
   `_CATALOG_OWN` (a catalog only). Update the date read above.
2. For a new securable, add a set and a noun to `_NOUNS`; if `databricks_grant(s)` gained an attribute for it (a
   provider upgrade), add that to `GRANT_SECURABLE_FIELDS`: tests/policy/test_privileges.py fails until you do.
3. Run `pytest tests/policy/test_privileges.py`; it also checks every privilege here against the installed SDK's
   `Privilege` enum, so a misspelling shows (a privilege newer than the SDK goes in that test's allowance).

Not encoded (deliberately): the pre-1.0 privileges `USAGE` and `CREATE`, and the SDK's undocumented `CREATE_VIEW`,
`READ_PRIVATE_FILES` and `WRITE_PRIVATE_FILES`: each is "not a Unity Catalog privilege" (`_INSTEAD` says what to
grant for two of them). A newer revision of the page, seen only in a localised copy (docs.azure.cn), adds preview
privileges (CREATE_FEATURE, READ_FEATURE, INSERT, UPDATE, DELETE, CREATE_SERVICE) whose rows could not be read
whole; add them as in step 1 once the English page lists them (READ_METADATA and the secrets' privileges are
encoded from the sources above).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

# databricks_grant (one principal + privileges) and databricks_grants (`grant` blocks) take exactly one of these
# attributes, naming the securable. Provider 1.99.0 (cdktf binding 15.16.1), catalog/permissions/permissions.go maps
# them to the API's securable types; two differ from ours: `model` is the API's "function" (a registered model is a
# kind of function; we keep it apart because it takes APPLY_TAG and CREATE_MODEL_VERSION), `foreign_connection` is
# "connection". `credential` is a service credential (the provider docs' "Service credential grants").
GRANT_SECURABLE_FIELDS: dict[str, str] = {
    "metastore": "METASTORE",
    "catalog": "CATALOG",
    "schema": "SCHEMA",
    "table": "TABLE",  # tables, views and materialized views alike
    "volume": "VOLUME",
    "function": "FUNCTION",
    "model": "REGISTERED_MODEL",
    "external_location": "EXTERNAL_LOCATION",
    "storage_credential": "STORAGE_CREDENTIAL",
    "credential": "SERVICE_CREDENTIAL",
    "foreign_connection": "CONNECTION",
    "share": "SHARE",
    "recipient": "RECIPIENT",
    "pipeline": "PIPELINE",
    # Provider 1.138.0 (cdktn binding 18.11.0) only: under cdktf the matrix knows them before the bindings do
    # (core/provider_differences.py GRANT_SECURABLES).
    "model_service": "MODEL_SERVICE",
    "model_provider_service": "MODEL_PROVIDER_SERVICE",
    "mcp_service": "MCP_SERVICE",
    "secret": "SECRET",
}

# Privilege inheritance: these privileges on the objects inside a schema (tables, views, materialized views, volumes,
# functions, models) can also be granted on the schema or its catalog, and then apply to every current and future
# object of that kind inside it. Likewise everything a schema takes can be granted on its catalog (CREATE_TABLE,
# USE_SCHEMA, ...), for every current and future schema in it. The docs list them under "Applicable container
# objects: SCHEMA, CATALOG". (BROWSE on data objects is catalog-only; MANAGE, APPLY_TAG and ALL_PRIVILEGES apply to
# the containers themselves as well as being inherited.) A secret's privileges are inherited alike ("granted at the
# catalog, schema or individual secret level").
_SECRET_INHERITED = frozenset({"READ_SECRET", "REFERENCE_SECRET", "WRITE_SECRET"})
_INHERITED = frozenset({"EXECUTE", "MODIFY", "READ_VOLUME", "REFRESH", "SELECT", "WRITE_VOLUME"}) | _SECRET_INHERITED
_SCHEMA_OWN = frozenset({
    "ALL_PRIVILEGES", "APPLY_TAG", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL", "CREATE_SECRET",
    "CREATE_TABLE", "CREATE_VOLUME", "EXTERNAL_USE_SCHEMA", "MANAGE", "USE_SCHEMA",
})
_CATALOG_OWN = frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_SCHEMA", "USE_CATALOG"})
_SCHEMA = _SCHEMA_OWN | _INHERITED
_CATALOG = _CATALOG_OWN | _SCHEMA
_SERVICE = frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "EXECUTE", "MANAGE", "READ_METADATA"})

PRIVILEGES: dict[str, frozenset[str]] = {
    # Granted on the metastore, nothing is inherited. No ALL_PRIVILEGES. (The CREATE CATALOG text also mentions
    # CREATE FOREIGN CATALOG "on the metastore", but CREATE FOREIGN CATALOG's own entry names CONNECTION only.)
    "METASTORE": frozenset({
        "CREATE_CATALOG", "CREATE_CLEAN_ROOM", "CREATE_CONNECTION", "CREATE_EXTERNAL_LOCATION",
        "CREATE_EXTERNAL_METADATA", "CREATE_PROVIDER", "CREATE_RECIPIENT", "CREATE_SERVICE_CREDENTIAL", "CREATE_SHARE",
        "CREATE_STORAGE_CREDENTIAL", "MANAGE_ALLOWLIST", "SET_SHARE_PERMISSION", "USE_MARKETPLACE_ASSETS",
        "USE_PROVIDER", "USE_RECIPIENT", "USE_SHARE",
    }),
    "CATALOG": _CATALOG,
    "SCHEMA": _SCHEMA,
    # The union of table (MODIFY, SELECT), view (SELECT) and materialized view (REFRESH, SELECT): one provider field.
    "TABLE": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "REFRESH", "SELECT"}),
    "VOLUME": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "READ_VOLUME", "WRITE_VOLUME"}),
    "FUNCTION": frozenset({"ALL_PRIVILEGES", "EXECUTE", "MANAGE"}),
    "REGISTERED_MODEL": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "CREATE_MODEL_VERSION", "EXECUTE", "MANAGE"}),
    "EXTERNAL_LOCATION": frozenset({
        "ALL_PRIVILEGES", "BROWSE", "CREATE_EXTERNAL_TABLE", "CREATE_EXTERNAL_VOLUME", "CREATE_FOREIGN_SECURABLE",
        "CREATE_MANAGED_STORAGE", "EXTERNAL_USE_LOCATION", "MANAGE", "READ_FILES", "WRITE_FILES",
    }),
    # READ_FILES and WRITE_FILES are in the table's storage credential row (and the provider docs), though their
    # own entries name EXTERNAL LOCATION only; Databricks advises granting them on external locations instead.
    "STORAGE_CREDENTIAL": frozenset({
        "ALL_PRIVILEGES", "CREATE_EXTERNAL_LOCATION", "CREATE_EXTERNAL_TABLE", "MANAGE", "READ_FILES", "WRITE_FILES",
    }),
    "SERVICE_CREDENTIAL": frozenset({"ACCESS", "ALL_PRIVILEGES", "CREATE_CONNECTION", "MANAGE"}),
    "CONNECTION": frozenset({"ALL_PRIVILEGES", "CREATE_FOREIGN_CATALOG", "MANAGE", "USE_CONNECTION"}),
    "SHARE": frozenset({"SELECT"}),  # granted to a recipient (the principal is the recipient's name)
    # Unity AI Gateway services: the provider's grants docs list the same five privileges for each.
    "MODEL_SERVICE": _SERVICE,
    "MODEL_PROVIDER_SERVICE": _SERVICE,
    "MCP_SERVICE": _SERVICE,
    "SECRET": _SECRET_INHERITED | {"MANAGE"},
    # Securables the Grants API knows but the privileges reference lists no privilege for: any grant is flagged.
    "RECIPIENT": frozenset(),
    "PIPELINE": frozenset(),
    # Not reachable through databricks_grant(s) in provider 1.99.0; kept so messages say everywhere a privilege applies.
    "EXTERNAL_METADATA": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "MANAGE", "MODIFY"}),
    "CLEAN_ROOM": frozenset({"BROWSE", "EXECUTE_CLEAN_ROOM_TASK", "MANAGE", "MODIFY_CLEAN_ROOM"}),
}

# How the provider compares (docs and provider differ; the docs win here):
# - Provider 1.99.0 validates nothing itself: its per-securable allowed-privileges map left catalog/resource_grants.go
#   in v1.37.1 (PR #3290, "Removed CustomizeDiff and Client Side Validation for databricks_grants"); the API decides.
#   That old map had USE_CONNECTION on the metastore, BROWSE on schemas and tables, CREATE_FOREIGN_SCHEMA and
#   CREATE_FOREIGN_TABLE on connections, and the pre-1.0 CREATE/USAGE; today's docs have none of these.
# - Its docs (docs/resources/grants.md at v1.99.0) list CREATE_CONNECTION on a catalog (the docs: metastore and
#   service credential only); leave out BROWSE on catalogs, CREATE_MODEL, CREATE_MATERIALIZED_VIEW and
#   EXTERNAL_USE_SCHEMA on catalogs and schemas, CREATE_EXTERNAL_METADATA and MANAGE_ALLOWLIST on the metastore,
#   BROWSE, CREATE_FOREIGN_SECURABLE and EXTERNAL_USE_LOCATION on external locations (and spell "CREATE EXTERNAL
#   VOLUME" with a space), CREATE_MODEL_VERSION on models; and document no privilege for `pipeline` or `recipient`.

_NOUNS = {
    "METASTORE": "metastore", "CATALOG": "catalog", "SCHEMA": "schema", "TABLE": "table", "VOLUME": "volume",
    "FUNCTION": "function", "REGISTERED_MODEL": "registered model", "EXTERNAL_LOCATION": "external location",
    "STORAGE_CREDENTIAL": "storage credential", "SERVICE_CREDENTIAL": "service credential",
    "CONNECTION": "connection", "SHARE": "share", "RECIPIENT": "recipient", "PIPELINE": "pipeline",
    "MODEL_SERVICE": "model service", "MODEL_PROVIDER_SERVICE": "model provider service",
    "MCP_SERVICE": "MCP service", "SECRET": "secret",
    "EXTERNAL_METADATA": "external metadata object", "CLEAN_ROOM": "clean room",
}
_KNOWN = frozenset().union(*PRIVILEGES.values())
# Names that look like privileges but are not (in Privilege Model 1.0), and what to grant instead.
_INSTEAD = {
    "CREATE_VIEW": "CREATE_TABLE",  # CREATE TABLE "allows a user to create a table or view"
    "USAGE": "USE_CATALOG or USE_SCHEMA",  # pre-1.0 privilege model
}


def securable_of(grant: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (securable type, securable name) a synthesized databricks_grant or databricks_grants body is on: the first
    of `GRANT_SECURABLE_FIELDS` it sets to a non-empty string (Terraform references included), or None."""
    for field, securable in GRANT_SECURABLE_FIELDS.items():
        value = grant.get(field)
        if isinstance(value, str) and value:
            return securable, value
    return None


def misapplied(securable: str, privilege: str) -> str | None:
    """None when `privilege` applies to `securable` (a key of `PRIVILEGES`), else a one-line reason: where the
    privilege does apply, or that it is no Unity Catalog privilege at all (with the closest one, if any is close).
    Spelling is compared as the provider does (upper case, spaces as underscores).
    Raises ValueError on an unknown securable type."""
    if securable not in PRIVILEGES:
        raise ValueError(f"unknown securable type {securable!r}; expected one of {', '.join(PRIVILEGES)}")
    name = privilege.upper().replace(" ", "_")
    if name in PRIVILEGES[securable]:
        return None
    if name not in _KNOWN:
        close = _INSTEAD.get(name) or next(iter(difflib.get_close_matches(name, sorted(_KNOWN), n=1, cutoff=0.8)), None)
        return f"{privilege} is not a Unity Catalog privilege" + (f"; did you mean {close}?" if close else "")
    where = [_NOUNS[other] for other, privileges in PRIVILEGES.items() if name in privileges]
    listed = where[0] if len(where) == 1 else f"{', '.join(where[:-1])} or {where[-1]}"
    return f"{name} does not apply to {_article(_NOUNS[securable])}; it applies to {_article(listed)}"


def _article(noun: str) -> str:
    # An initialism is read letter by letter: "an MCP service".
    vowel_sound = noun[0] in "aeiou" or (noun.split()[0].isupper() and noun[0] in "AEFHILMNORSX")
    return f"{'an' if vowel_sound else 'a'} {noun}"
