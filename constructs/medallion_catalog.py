"""MedallionCatalog: the bronze and silver schemas in an environment's catalog, and the grants to use them.

Grants are per principal (`databricks_grant`), never the authoritative `databricks_grants`, which would
silently revoke grants made outside this stack. Two `databricks_grant` for the same securable and principal
overwrite each other, so every request is merged into one resource per (securable, principal).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_databricks.grant import Grant
from cdktf_cdktf_provider_databricks.schema import Schema
from constructs import Construct

from constructs.principals import unique_slugs

# What a connector's run-as identity needs: ingest appends to bronze, transform reads bronze and merges
# into silver; each creates its tables on first run.
WRITER_SCHEMA_PRIVILEGES = ("CREATE_TABLE", "MODIFY", "SELECT", "USE_SCHEMA")
READER_SCHEMA_PRIVILEGES = ("SELECT", "USE_SCHEMA")
CATALOG_PRIVILEGES = ("USE_CATALOG",)


@dataclass(frozen=True, order=True)
class Securable:
    kind: Literal["catalog", "schema"]
    name: str  # full name: 'appsec_dev' or 'appsec_dev.bronze'
    key: str  # role in this construct ('catalog', 'bronze', 'silver'): part of the grant's construct id


@dataclass(frozen=True)
class PrivilegeRequest:
    securable: Securable
    principal: str
    privileges: tuple[str, ...]


@dataclass(frozen=True)
class MedallionCatalogProps:
    catalog: str  # exists already; owned by the metastore admins, not by this stack
    bronze_schema: str
    silver_schema: str
    # Identities that ingest and transform (each connector's run_as); repeats are merged.
    writers: tuple[str, ...]
    # Group that may read silver (and nothing in bronze). Default: nobody beyond the writers.
    readers_group: str | None = None
    # Safe by default: schemas carry prevent_destroy, so no plan can drop them with their tables.
    prevent_destroy: bool = True


class MedallionCatalog(Construct):
    """Construct ids: 'bronze', 'silver' (schemas), 'grant_<catalog|bronze|silver>_<principal>'."""

    def __init__(self, scope: Construct, id: str, *, props: MedallionCatalogProps) -> None:
        super().__init__(scope, id)
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if props.prevent_destroy else None
        self.schemas = {
            key: Schema(self, key, catalog_name=props.catalog, name=name, force_destroy=False, lifecycle=lifecycle,
                        comment=f"{key.capitalize()} layer of the AppSec connectors; managed by connector-platform.")
            for key, name in (("bronze", props.bronze_schema), ("silver", props.silver_schema))
        }
        catalog = Securable("catalog", props.catalog, "catalog")
        bronze = Securable("schema", f"{props.catalog}.{props.bronze_schema}", "bronze")
        silver = Securable("schema", f"{props.catalog}.{props.silver_schema}", "silver")
        requests = [request for writer in props.writers for request in (
            PrivilegeRequest(catalog, writer, CATALOG_PRIVILEGES),
            PrivilegeRequest(bronze, writer, WRITER_SCHEMA_PRIVILEGES),
            PrivilegeRequest(silver, writer, WRITER_SCHEMA_PRIVILEGES),
        )]
        if props.readers_group:
            requests += [PrivilegeRequest(catalog, props.readers_group, CATALOG_PRIVILEGES),
                         PrivilegeRequest(silver, props.readers_group, READER_SCHEMA_PRIVILEGES)]
        self.grants = self._grants(merge_privileges(requests))

    def _grants(self, merged: dict[tuple[Securable, str], tuple[str, ...]]) -> list[Grant]:
        slugs = unique_slugs([principal for _, principal in merged])
        grants = []
        for (securable, principal), privileges in sorted(merged.items()):
            target = {"catalog": securable.name} if securable.kind == "catalog" else {
                "schema": securable.name, "depends_on": [self.schemas[securable.key]]}
            grants.append(Grant(self, f"grant_{securable.key}_{slugs[principal]}", principal=principal,
                                privileges=list(privileges), **target))
        return grants


def merge_privileges(requests: list[PrivilegeRequest]) -> dict[tuple[Securable, str], tuple[str, ...]]:
    """One sorted privilege list per (securable, principal), however many requests name the pair."""
    merged: dict[tuple[Securable, str], set[str]] = defaultdict(set)
    for request in requests:
        merged[(request.securable, request.principal)].update(request.privileges)
    return {key: tuple(sorted(privileges)) for key, privileges in merged.items()}
