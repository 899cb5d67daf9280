"""CP-PREVENT-DESTROY: where protect_data is on, what holds data carries lifecycle.prevent_destroy; catalogs and
schemas never force_destroy."""

from __future__ import annotations

from collections.abc import Iterator

from policy.rule import Item, PolicyContext, Rule, Stack

# Deleting one of these deletes data: tables, ingested history, credentials.
_DATA_BEARING = ("databricks_catalog", "databricks_schema", "databricks_volume", "databricks_sql_table",
                 "databricks_pipeline", "databricks_secret_scope")


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of(*_DATA_BEARING):
        if context.protect_data and not (item.body.get("lifecycle") or {}).get("prevent_destroy"):
            yield item, (f"{item.kind.removeprefix('databricks_').replace('_', ' ')} holds data and has no "
                         f"lifecycle.prevent_destroy in environment '{context.environment.name}' (protect_data)")
        if item.kind in ("databricks_catalog", "databricks_schema") and item.body.get("force_destroy"):
            yield item, f"{item.kind.removeprefix('databricks_')} has force_destroy: destroying it drops every table"


RULE = Rule("CP-PREVENT-DESTROY", "where protect_data is on, catalogs, schemas, volumes, tables, pipelines and "
            "secret scopes carry prevent_destroy; catalogs and schemas never force_destroy",
            "set lifecycle.prevent_destroy and drop force_destroy (a deliberate deletion is a reviewed suppression)",
            check)
