"""The resources of one synthesized cdk.tf.json, with `${type.name.attribute}` references resolved to the names
people know, for `review.diff` and `review.access`.

A reference is resolved from the stack itself: `${databricks_schema.X.id}` is `<catalog>.<schema>`, a notebook's
`${databricks_directory.X.path}/ingest_entry` its workspace path, `${databricks_secret_scope.X.name}` the scope's
name, `${databricks_job.X.id}` `<job NAME>` (ids exist only after a deploy). Comparing resolved values means a
renamed construct id, which changes every reference to it, is not mistaken for a changed value. What cannot be
resolved (a reference to a data source, a variable) is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\$\{([a-z][a-z0-9_]*)\.([^.}]+)\.([a-z_][a-z0-9_]*)\}")
_DEPTH = 8  # references to references: deeper than any stack needs, and it stops a cycle

# What a resource is called in words, and which of its attributes name it.
KIND_WORDS = {
    "databricks_catalog": "catalog",
    "databricks_schema": "schema",
    "databricks_volume": "volume",
    "databricks_sql_table": "table",
    "databricks_table": "table",
    "databricks_pipeline": "pipeline",
    "databricks_job": "job",
    "databricks_notebook": "notebook",
    "databricks_workspace_file": "workspace file",
    "databricks_directory": "directory",
    "databricks_secret_scope": "secret scope",
    "databricks_alert_v2": "alert",
    "databricks_dashboard": "dashboard",
}
# Kinds whose id is a number or uuid nobody knows, named by this attribute instead.
_NAME_ATTRIBUTE = {"databricks_job": "name", "databricks_pipeline": "name", "databricks_alert_v2": "display_name",
                   "databricks_dashboard": "display_name"}
_ID_ATTRIBUTE = {  # the attribute that is also the resource's id, where its id is a name people know
    "databricks_catalog": "name",
    "databricks_secret_scope": "name",
    "databricks_notebook": "path",
    "databricks_workspace_file": "path",
    "databricks_directory": "path",
}


def strip_metadata(value: Any) -> Any:
    """`value` without cdktf's `//` metadata blocks, at any depth."""
    if isinstance(value, dict):
        return {key: strip_metadata(item) for key, item in value.items() if key != "//"}
    if isinstance(value, list):
        return [strip_metadata(item) for item in value]
    return value


@dataclass(frozen=True)
class Resource:
    kind: str  # the Terraform type, e.g. databricks_job
    name: str  # the logical id (Terraform's resource name)
    body: dict  # without `//` metadata

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"


class References:
    """One stack's resources, and references between them resolved."""

    def __init__(self, document: dict | None) -> None:
        resources = (document or {}).get("resource") or {}
        self._bodies: dict[str, dict[str, dict]] = {
            kind: {name: strip_metadata(body) for name, body in (items or {}).items() if isinstance(body, dict)}
            for kind, items in resources.items() if isinstance(items, dict)}

    def resources(self) -> dict[str, Resource]:
        """Address -> resource, every resource of the stack."""
        return {f"{kind}.{name}": Resource(kind, name, body)
                for kind, items in self._bodies.items() for name, body in items.items()}

    def of_kind(self, kind: str) -> list[Resource]:
        return [Resource(kind, name, body) for name, body in sorted((self._bodies.get(kind) or {}).items())]

    def body(self, kind: str, name: str) -> dict | None:
        return (self._bodies.get(kind) or {}).get(name)

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """`value` with every reference it contains resolved (strings, and inside lists and objects)."""
        if isinstance(value, str):
            if "${" not in value or depth > _DEPTH:
                return value
            whole = _TOKEN.fullmatch(value)
            if whole:
                kind, name, attribute = whole.groups()
                resolved = self._attribute(kind, name, attribute, depth)
                return value if resolved is None else resolved
            return _TOKEN.sub(lambda match: self._text(match, depth), value)
        if isinstance(value, dict):
            return {key: self.resolve(item, depth) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, depth) for item in value]
        return value

    def object_name(self, value: Any) -> str:
        """What a permission's object reference names: a job's or pipeline's name, a path, else the value."""
        match = _TOKEN.fullmatch(value) if isinstance(value, str) else None
        if match and match.group(1) in _NAME_ATTRIBUTE and match.group(3) == "id":
            body = self.body(match.group(1), match.group(2))
            named = _NAME_ATTRIBUTE[match.group(1)]
            if body is not None and isinstance(body.get(named), str):
                return str(self.resolve(body[named]))
        return str(self.resolve(value))

    def _text(self, match: re.Match[str], depth: int) -> str:
        kind, name, attribute = match.groups()
        resolved = self._attribute(kind, name, attribute, depth)
        return match.group(0) if resolved is None or not isinstance(resolved, (str, int, float)) else str(resolved)

    def _attribute(self, kind: str, name: str, attribute: str, depth: int) -> Any:
        body = self.body(kind, name)
        if body is None:
            return None
        if attribute == "id":
            if kind in _NAME_ATTRIBUTE:
                return f"<{KIND_WORDS[kind]} {self.resolve(body.get(_NAME_ATTRIBUTE[kind], name), depth + 1)}>"
            identity = self.identity(Resource(kind, name, body), depth + 1)
            return identity
        if attribute in body:
            return self.resolve(body[attribute], depth + 1)
        return None

    def identity(self, resource: Resource, depth: int = 0) -> str | None:
        """What the resource is known by outside Terraform (a schema's full name, a job's name, a notebook's
        path), resolved; None for kinds without one here."""
        body = resource.body

        def part(key: str) -> str:
            return str(self.resolve(body.get(key, "?"), depth))

        if resource.kind == "databricks_schema":
            return f"{part('catalog_name')}.{part('name')}"
        if resource.kind in ("databricks_volume", "databricks_sql_table", "databricks_table"):
            return f"{part('catalog_name')}.{part('schema_name')}.{part('name')}"
        if resource.kind in _ID_ATTRIBUTE:
            return part(_ID_ATTRIBUTE[resource.kind])
        if resource.kind in _NAME_ATTRIBUTE:
            return part(_NAME_ATTRIBUTE[resource.kind]) if _NAME_ATTRIBUTE[resource.kind] in body else None
        return None

    def label(self, resource: Resource) -> str:
        """`job github-connector`, `schema appsec_prod.silver`, or `databricks_cluster shared` for other kinds."""
        identity = self.identity(resource)
        if resource.kind in KIND_WORDS and identity is not None:
            return f"{KIND_WORDS[resource.kind]} {identity}"
        return f"{resource.kind} {resource.name}"
