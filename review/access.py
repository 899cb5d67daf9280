"""Who may do what in a synthesized stack, and what a change does to it: per principal and securable.

Three kinds of access resource are read:

- Unity Catalog grants: `databricks_grant` (one principal's `privileges` on one securable) and the authoritative
  `databricks_grants` (a securable with `grant` blocks of {principal, privileges}). The securable is whichever of
  `catalog`, `schema`, `table`, `volume`, `foreign_connection`, ... the resource sets.
- Secret scope ACLs: `databricks_secret_acl` (scope, principal, permission READ < WRITE < MANAGE).
- Workspace object permissions: `databricks_permissions` (`access_control` blocks) and `databricks_permission`
  on a job, pipeline, notebook, directory, workspace file, cluster, ... Levels rank, per kind of object,
  jobs CAN_VIEW < CAN_MANAGE_RUN < CAN_MANAGE < IS_OWNER; pipelines CAN_VIEW < CAN_RUN < CAN_MANAGE < IS_OWNER;
  notebooks, directories, files and repos CAN_READ < CAN_RUN < CAN_EDIT < CAN_MANAGE (one table,
  `core.principals.PERMISSION_RANK`, agrees with all of them).

An entry is identified by its securable and principal, with references resolved to names (`core.stack_references`),
never by its Terraform logical id alone: a renamed construct id neither hides nor fakes a change. That the same
access moves to another logical id is reported too, since Terraform then destroys the old resource and creates
the new one, and the access is briefly gone during the apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.name_characters import escaped
from core.principals import PERMISSION_RANK, PRINCIPAL_KEYS, SECRET_ACL_RANK
from core.stack_references import KIND_WORDS, References, Resource

GRANT_SECURABLES = {  # databricks_grant(s) attribute -> the securable's kind in words
    "metastore": "metastore", "catalog": "catalog", "schema": "schema", "table": "table", "volume": "volume",
    "model": "model", "function": "function", "external_location": "external location",
    "storage_credential": "storage credential", "credential": "credential", "foreign_connection": "connection",
    "share": "share", "recipient": "recipient", "pipeline": "pipeline", "model_service": "model service",
    "model_provider_service": "model provider service", "mcp_service": "MCP service", "secret": "secret",
}  # every securable the policy pack's privilege matrix knows (tests/review/test_access.py holds them equal)
PERMISSION_OBJECTS = {  # databricks_permissions attribute -> the object's kind in words
    "job_id": "job", "pipeline_id": "pipeline", "notebook_path": "notebook", "notebook_id": "notebook",
    "directory_path": "directory", "directory_id": "directory", "workspace_file_path": "workspace file",
    "workspace_file_id": "workspace file", "repo_path": "repo", "repo_id": "repo", "cluster_id": "cluster",
    "cluster_policy_id": "cluster policy", "instance_pool_id": "instance pool", "sql_endpoint_id": "SQL warehouse",
    "sql_query_id": "query", "sql_alert_id": "legacy alert", "alert_v2_id": "alert",
    "sql_dashboard_id": "legacy dashboard",
    "dashboard_id": "dashboard", "experiment_id": "experiment", "registered_model_id": "registered model",
    "serving_endpoint_id": "serving endpoint", "vector_search_endpoint_id": "vector search endpoint",
    "authorization": "authorization", "app_name": "app",
}
# Resources that change who may do what but are not read entry by entry: any change to one is an access change.
OTHER_ACCESS_KINDS = frozenset({
    "databricks_access_control_rule_set", "databricks_entitlements", "databricks_group",
    "databricks_group_member", "databricks_group_role", "databricks_ip_access_list", "databricks_obo_token",
    "databricks_permission_assignment", "databricks_mws_permission_assignment", "databricks_service_principal",
    "databricks_service_principal_role", "databricks_sql_permissions", "databricks_token", "databricks_user",
    "databricks_user_role", "databricks_workspace_binding", "databricks_catalog_workspace_binding",
})
ACCESS_KINDS = frozenset({"databricks_grant", "databricks_grants", "databricks_secret_acl", "databricks_permissions",
                          "databricks_permission"}) | OTHER_ACCESS_KINDS
# The attributes that say who a resource acts as or who owns it: a change to one is an access change.
IDENTITY_FIELDS = ("owner", "run_as", "run_as_user_name")


@dataclass(frozen=True, order=True)
class Securable:
    kind: str  # in words: 'schema', 'job', 'secret scope', ...
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {escaped(self.name)}"


@dataclass(frozen=True)
class AccessEntry:
    """One principal's access to one securable in one stack."""
    system: str  # 'grant' (Unity Catalog), 'acl' (secret scope) or 'permission' (workspace object)
    securable: Securable
    principal: str
    levels: frozenset[str]  # privileges (grant) or the one level (acl, permission)
    addresses: frozenset[str]  # the resources that give it

    @property
    def key(self) -> tuple[str, Securable, str]:
        return (self.system, self.securable, self.principal)


@dataclass(frozen=True)
class AccessChange:
    securable: Securable
    principal: str
    verdict: str  # granted, widened, narrowed, changed, revoked, unchanged (only moved)
    detail: str  # '+MODIFY', 'CAN_MANAGE_RUN → CAN_MANAGE', ...
    moved: tuple[tuple[str, ...], tuple[str, ...]] | None  # (base addresses, head addresses) when they differ
    note: str = ""  # e.g. 'the job is new'

    def line(self) -> str:
        # Names with any non-ASCII character escaped: a look-alike principal's revoke and grant lines differ.
        text = f"- {escaped(self.principal)} on {self.securable}: {self.verdict} ({self.detail})"
        if self.note:
            text += f", {self.note}"
        if self.moved:
            before, after = (", ".join(f"`{address}`" for address in side) for side in self.moved)
            text += (f"; moves from {before} to {after}: Terraform destroys the old resource and creates the new "
                     "one, so the access is briefly revoked during the apply")
        return text


def _blocks(value: object) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _principal(block: dict, refs: References) -> str | None:
    for key in PRINCIPAL_KEYS:
        if isinstance(block.get(key), str):
            return str(refs.resolve(block[key]))
    return None


def _entries(refs: References) -> list[AccessEntry]:
    found: list[AccessEntry] = []

    def add(system: str, securable: Securable, principal: object, levels: object, address: str) -> None:
        if not isinstance(principal, str):
            return
        values = levels if isinstance(levels, list) else [levels] if levels is not None else []
        found.append(AccessEntry(system, securable, principal, frozenset(str(v) for v in values),
                                 frozenset({address})))

    for kind in ("databricks_grant", "databricks_grants"):
        for resource in refs.of_kind(kind):
            body = resource.body
            attribute = next((key for key in GRANT_SECURABLES if key in body), None)
            name = str(refs.resolve(body[attribute])) if attribute else "?"
            securable = Securable(GRANT_SECURABLES.get(attribute or "", "securable"), name)
            blocks = [body] if kind == "databricks_grant" else _blocks(body.get("grant"))
            for block in blocks:
                add("grant", securable, refs.resolve(block.get("principal")), refs.resolve(block.get("privileges")),
                    resource.address)
    for resource in refs.of_kind("databricks_secret_acl"):
        body = resource.body
        add("acl", Securable("secret scope", str(refs.resolve(body.get("scope", "?")))),
            refs.resolve(body.get("principal")), refs.resolve(body.get("permission")), resource.address)
    for kind in ("databricks_permissions", "databricks_permission"):
        for resource in refs.of_kind(kind):
            body = resource.body
            attribute = next((key for key in PERMISSION_OBJECTS if key in body), None)
            name = refs.object_name(body[attribute]) if attribute else "?"
            securable = Securable(PERMISSION_OBJECTS.get(attribute or "", "object"), name)
            blocks = _blocks(body.get("access_control")) if kind == "databricks_permissions" else [body]
            for block in blocks:
                add("permission", securable, _principal(block, refs), refs.resolve(block.get("permission_level")),
                    resource.address)
    return found


def access_entries(refs: References) -> dict[tuple[str, Securable, str], AccessEntry]:
    """Every (system, securable, principal) of the stack with its access; entries that name one pair twice are
    merged (privileges united, the highest level kept)."""
    merged: dict[tuple[str, Securable, str], AccessEntry] = {}
    for entry in _entries(refs):
        previous = merged.get(entry.key)
        if previous is None:
            merged[entry.key] = entry
            continue
        if entry.system == "grant":
            levels = previous.levels | entry.levels
        else:
            levels = max((previous.levels, entry.levels), key=lambda side: max(
                (_rank(entry.system, level) or 0 for level in side), default=0))
        merged[entry.key] = AccessEntry(entry.system, entry.securable, entry.principal, levels,
                                        previous.addresses | entry.addresses)
    return merged


def defined_securables(refs: References) -> set[Securable]:
    """The securables the stack itself creates (its schemas, jobs, pipelines, notebooks, scopes...)."""
    found = set()
    for resource in refs.resources().values():
        identity = refs.identity(resource)
        if resource.kind in KIND_WORDS and identity is not None:
            found.add(Securable(KIND_WORDS[resource.kind], identity))
    return found


def _rank(system: str, level: str) -> int | None:
    return (SECRET_ACL_RANK if system == "acl" else PERMISSION_RANK).get(level)


def _one(levels: frozenset[str]) -> str:
    return ", ".join(sorted(levels)) or "nothing"


def _compare(system: str, before: frozenset[str], after: frozenset[str]) -> tuple[str, str]:
    """(verdict, detail) for access that exists on both sides."""
    if before == after:
        return "unchanged", _one(after)
    if system == "grant":
        added = [f"+{p}" for p in sorted(after - before)]
        removed = [f"-{p}" for p in sorted(before - after)]
        verdict = "widened" if not removed else "narrowed" if not added else "changed"
        return verdict, ", ".join(added + removed)
    old, new = _one(before), _one(after)
    old_rank, new_rank = _rank(system, old), _rank(system, new)
    if old_rank is None or new_rank is None or old_rank == new_rank:
        return "changed", f"{old} → {new}"
    return ("widened" if new_rank > old_rank else "narrowed"), f"{old} → {new}"


def renamed_objects(base: References, head: References,
                    moves: Mapping[str, str] | None = None) -> dict[Securable, Securable]:
    """Jobs and pipelines renamed in place (same logical id, or the one a `moved` block takes it to, another
    name): the same object, so its permissions are compared under its new name. (A schema, notebook or folder
    under another name is a new object.) `moves`: base address -> head address, from the head's `moved` blocks."""
    renamed: dict[Securable, Securable] = {}
    for kind in ("databricks_job", "databricks_pipeline"):
        for resource in base.of_kind(kind):
            name = (moves or {}).get(resource.address, resource.address).split(".", 1)[1]
            body = head.body(kind, name)
            old = base.identity(resource)
            new = head.identity(Resource(kind, name, body)) if body is not None else None
            if old is not None and new is not None and old != new:
                renamed[Securable(KIND_WORDS[kind], old)] = Securable(KIND_WORDS[kind], new)
    return renamed


def access_changes(base: References, head: References,
                   moves: Mapping[str, str] | None = None) -> list[AccessChange]:
    """Every access that is granted, widened, narrowed, changed, revoked, or moves to another logical id without
    a `moved` block (`moves`: base address -> head address, as the head's `moved` blocks say), sorted by
    securable, then principal."""
    renamed = renamed_objects(base, head, moves)
    before: dict[tuple[str, Securable, str], AccessEntry] = {}
    after = access_entries(head)
    for entry in access_entries(base).values():  # a renamed job's entries under its new name and address
        securable = renamed.get(entry.securable, entry.securable)
        addresses = frozenset((moves or {}).get(address, address) for address in entry.addresses)
        renamed_entry = AccessEntry(entry.system, securable, entry.principal, entry.levels, addresses)
        before.setdefault(renamed_entry.key, renamed_entry)
    created = defined_securables(head) - defined_securables(base)
    deleted = defined_securables(base) - defined_securables(head)
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[1], k[2], k[0])):
        old, new = before.get(key), after.get(key)
        system, securable, principal = key
        note = ""
        moved: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        if old is None:
            assert new is not None
            verdict, detail = "granted", _one(new.levels)
            note = f"the {securable.kind} is new" if securable in created else ""
        elif new is None:
            verdict, detail = "revoked", f"had {_one(old.levels)}"
            note = f"the {securable.kind} is removed" if securable in deleted else ""
        else:
            verdict, detail = _compare(system, old.levels, new.levels)
            if old.addresses != new.addresses:
                moved = (tuple(sorted(old.addresses)), tuple(sorted(new.addresses)))
            if verdict == "unchanged" and moved is None:
                continue
        changes.append(AccessChange(securable, principal, verdict, detail, moved, note))
    return changes
