"""MedallionCatalog: the schemas connectors write in an environment's catalog, and every grant to use them.

Bronze and silver for batch connectors; for managed (Lakeflow Connect) connectors, their destination schemas
and USE_CONNECTION on the Unity Catalog connection they ingest through.

Grants are per principal (`databricks_grant`), never the authoritative `databricks_grants`, which would
silently revoke grants made outside this stack. Two `databricks_grant` for the same securable and principal
overwrite each other, so every request is merged into one resource per (securable, principal).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, TypedDict

from constructs import Construct

from constructs.plain_resources import PlainResource, resource

from core.principals import slug, unique_slugs

# What a connector's run-as identity needs: ingest appends to bronze, transform reads bronze and merges
# into silver; each creates its tables on first run.
WRITER_SCHEMA_PRIVILEGES = ("CREATE_TABLE", "MODIFY", "SELECT", "USE_SCHEMA")
READER_SCHEMA_PRIVILEGES = ("SELECT", "USE_SCHEMA")
CATALOG_PRIVILEGES = ("USE_CATALOG",)
# What a managed ingestion pipeline's run-as identity needs (Databricks' Lakeflow Connect requirements): create
# its streaming tables in the destination schema, which it then owns, and use the connection.
PIPELINE_SCHEMA_PRIVILEGES = ("CREATE_TABLE", "USE_SCHEMA")
CONNECTION_PRIVILEGES = ("USE_CONNECTION",)


class GrantTarget(TypedDict, total=False):
    """The databricks_grant argument that names a securable: one of these."""

    catalog: str
    schema: str
    foreign_connection: str


@dataclass(frozen=True, order=True)
class Securable:
    kind: Literal["catalog", "schema", "connection"]
    name: str  # full name: 'appsec_dev', 'appsec_dev.bronze', or the connection's name
    key: str  # role in this construct ('catalog', 'bronze', 'schema_servicenow'...): part of the grant's id

    def grant_target(self) -> GrantTarget:
        """The databricks_grant argument that names this securable."""
        targets: dict[str, GrantTarget] = {"catalog": {"catalog": self.name}, "schema": {"schema": self.name},
                                           "connection": {"foreign_connection": self.name}}
        return targets[self.kind]


@dataclass(frozen=True)
class PrivilegeRequest:
    securable: Securable
    principal: str
    privileges: tuple[str, ...]


@dataclass(frozen=True)
class ManagedIngestionAccess:
    """What one managed connector's pipeline needs to write."""

    run_as: str  # the pipeline's run-as identity
    connection: str  # exists already: created by an admin with the source's OAuth flow, never by this stack
    destination_schemas: tuple[str, ...]  # schema names in the catalog; created here unless bronze or silver


@dataclass(frozen=True)
class MedallionCatalogProps:
    catalog: str  # exists already; owned by the metastore admins, not by this stack
    bronze_schema: str
    silver_schema: str
    # Identities that ingest and transform (each connector's run_as); repeats are merged.
    writers: tuple[str, ...]
    # Group that may read silver and what managed connectors ingest (nothing in bronze). Default: nobody
    # beyond the writers.
    readers_group: str | None = None
    # Managed (Lakeflow Connect) connectors: their destination schemas and connection grants. Default: none.
    managed_ingestion: tuple[ManagedIngestionAccess, ...] = ()
    # Safe by default: schemas carry prevent_destroy, so no plan can drop them with their tables.
    prevent_destroy: bool = True
    # Where jobs derive data from silver: writers may write it, readers read it. Default: no gold layer.
    gold_schema: str | None = None
    # Default: USE_CATALOG on the catalog and USE_CONNECTION on the connections are granted here. False: another
    # stack of the same catalog grants them to the same principals (a personal target beside its environment);
    # a grant's identity is its securable and principal, so both stacks managing one would revoke it on destroy.
    grant_shared_securables: bool = True


class MedallionCatalog(Construct):
    """Construct ids: 'bronze', 'silver', 'gold', 'schema_<name>' (schemas), and
    'grant_<catalog|bronze|silver|gold|schema_<name>|connection_<name>>_<principal>' (grants)."""

    def __init__(self, scope: Construct, id: str, *, props: MedallionCatalogProps) -> None:
        super().__init__(scope, id)
        self.catalog_name = props.catalog
        layers = {"bronze": props.bronze_schema, "silver": props.silver_schema,
                  **({"gold": props.gold_schema} if props.gold_schema else {})}
        landing = sorted({s for access in props.managed_ingestion for s in access.destination_schemas}
                         - set(layers.values()))
        keys = {name: key for key, name in layers.items()} | {name: f"schema_{slug(name)}" for name in landing}
        self.schemas = {
            keys[name]: resource(self, keys[name], "databricks_schema", {
                "catalog_name": props.catalog, "name": name, "force_destroy": False,
                "comment": _comment(keys[name], name)}, prevent_destroy=props.prevent_destroy)
            for name in [*layers.values(), *landing]
        }
        catalog = Securable("catalog", props.catalog, "catalog")

        def schema(name: str) -> Securable:
            return Securable("schema", f"{props.catalog}.{name}", keys[name])

        bronze, silver = schema(props.bronze_schema), schema(props.silver_schema)
        written = [bronze, silver, *([schema(props.gold_schema)] if props.gold_schema else [])]
        requests = [request for writer in props.writers for request in (
            PrivilegeRequest(catalog, writer, CATALOG_PRIVILEGES),
            *(PrivilegeRequest(layer, writer, WRITER_SCHEMA_PRIVILEGES) for layer in written),
        )]
        for access in props.managed_ingestion:
            connection = Securable("connection", access.connection, f"connection_{slug(access.connection)}")
            requests += [PrivilegeRequest(catalog, access.run_as, CATALOG_PRIVILEGES),
                         PrivilegeRequest(connection, access.run_as, CONNECTION_PRIVILEGES)]
            requests += [PrivilegeRequest(schema(name), access.run_as, PIPELINE_SCHEMA_PRIVILEGES)
                         for name in access.destination_schemas]
        if props.readers_group:
            readable = [*written[1:], *(schema(name) for access in props.managed_ingestion
                                        for name in access.destination_schemas)]
            requests += [PrivilegeRequest(catalog, props.readers_group, CATALOG_PRIVILEGES)]
            requests += [PrivilegeRequest(s, props.readers_group, READER_SCHEMA_PRIVILEGES) for s in readable]
        if not props.grant_shared_securables:
            requests = [request for request in requests if request.securable.kind == "schema"]
        self.grants: dict[tuple[Securable, str], PlainResource] = self._grants(merge_privileges(requests))

    def grants_for(self, access: ManagedIngestionAccess) -> list[PlainResource]:
        """The grants `access` asked for: what its pipeline must wait for."""
        schemas = {f"{self.catalog_name}.{name}" for name in access.destination_schemas}
        wanted = {self.catalog_name, access.connection, *schemas}
        return [grant for (securable, principal), grant in sorted(self.grants.items(), key=lambda item: item[0])
                if principal == access.run_as and securable.name in wanted]

    def _grants(self, merged: dict[tuple[Securable, str], tuple[str, ...]]
                ) -> dict[tuple[Securable, str], PlainResource]:
        slugs = unique_slugs([principal for _, principal in merged])
        grants = {}
        for (securable, principal), privileges in sorted(merged.items()):
            waits_for = [self.schemas[securable.key]] if securable.kind == "schema" else None
            grants[(securable, principal)] = resource(
                self, f"grant_{securable.key}_{slugs[principal]}", "databricks_grant",
                {"principal": principal, "privileges": list(privileges), **securable.grant_target()},
                depends_on=waits_for)
        return grants


def _comment(key: str, name: str) -> str:
    if key in ("bronze", "silver", "gold"):
        return f"{key.capitalize()} layer of the AppSec connectors; managed by connector-platform."
    return f"Tables ingested by Lakeflow Connect into {name}; managed by connector-platform."


def merge_privileges(requests: list[PrivilegeRequest]) -> dict[tuple[Securable, str], tuple[str, ...]]:
    """One sorted privilege list per (securable, principal), however many requests name the pair."""
    merged: dict[tuple[Securable, str], set[str]] = defaultdict(set)
    for request in requests:
        merged[(request.securable, request.principal)].update(request.privileges)
    return {key: tuple(sorted(privileges)) for key, privileges in merged.items()}
