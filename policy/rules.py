"""The policy pack's rules: each a stable id, what it guarantees, the fix, and a check over one synthesized stack.

Rules read the stack as Terraform JSON, exactly what `cdktf synth` writes and Terraform deploys, so they see every
resource whoever built it: the platform's constructs, escape hatches, overrides. A rule id is a public contract
(suppressions in connectors.yaml name it): never reuse or rename one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from core.credentials import entropy, masked, redact, shape_in
from core.principals import BROAD_GROUPS, PRINCIPAL_KEYS
from policy.privileges import misapplied, securable_of
from policy.suppressions import RULE_IDS
from core.stack_references import References, strip_metadata

# ------------------------------------------------------------------------------------------- what rules see


@dataclass(frozen=True)
class EnvironmentFacts:
    """What identifies one environment: a stack that names any of these (and they are not also its own) refers
    to that environment."""

    name: str
    catalog: str
    secret_scope: str
    workspace_dir: str
    host: str
    principals: tuple[str, ...]  # the service principals its jobs and pipelines run as
    connections: tuple[str, ...] = ()  # the Unity Catalog connections its managed connectors read through


@dataclass(frozen=True)
class PolicyContext:
    environment: EnvironmentFacts
    others: tuple[EnvironmentFacts, ...] = ()
    # connectors.yaml `protect_data` (default on): data-bearing resources must carry prevent_destroy.
    protect_data: bool = True
    # Lower-case names of groups every user is in: the built-in ones plus connectors.yaml `policy.broad_groups`.
    broad_groups: frozenset[str] = BROAD_GROUPS


@dataclass(frozen=True)
class Item:
    """One block of the stack a finding can name: a resource, a data source, the provider or the backend."""

    path: str  # the construct path (what suppressions name), e.g. prod/github/job; the address if it has none
    address: str  # e.g. databricks_job.github_job_CE030D3F
    kind: str
    name: str
    body: dict  # without `//` metadata


class Stack:
    """One synthesized stack: its items in a stable order, with references resolvable."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.references = References(dict(document))
        self.items: list[Item] = []
        for section in ("resource", "data"):
            for kind, blocks in sorted((document.get(section) or {}).items()):
                for name, body in sorted((blocks or {}).items()):
                    prefix = "data." if section == "data" else ""
                    address = f"{prefix}{kind}.{name}"
                    path = ((body.get("//") or {}).get("metadata") or {}).get("path") or address
                    self.items.append(Item(path, address, kind, name, strip_metadata(body)))
        for kind, blocks in sorted((document.get("provider") or {}).items()):
            for index, body in enumerate(blocks if isinstance(blocks, list) else [blocks]):
                address = f"provider.{kind}" + (f"[{index}]" if index else "")
                self.items.append(Item(address, address, "provider", kind, strip_metadata(body)))
        for kind, body in sorted(((document.get("terraform") or {}).get("backend") or {}).items()):
            self.items.append(Item(f"backend.{kind}", f"terraform.backend.{kind}", "backend", kind, body))

    def of(self, *kinds: str) -> list[Item]:
        return [item for item in self.items if item.kind in kinds]

    def resolve(self, value: Any) -> Any:
        return self.references.resolve(value)


@dataclass(frozen=True)
class Rule:
    id: str
    guarantees: str  # what holds when the rule passes, in one line (README's table)
    fix: str  # what to change, in general; the message says what is wrong in this resource
    check: Callable[[Stack, PolicyContext], Iterator[tuple[Item, str]]]


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    rule: str
    message: str
    address: str
    fix: str

    def render(self) -> str:
        where = self.path if self.path == self.address else f"{self.path} ({self.address})"
        return f"{where}: {self.rule}: {self.message}; fix: {self.fix}"


def evaluate(document: Mapping[str, Any], context: PolicyContext) -> list[Finding]:
    """Every finding of every rule on one stack's Terraform JSON, sorted by path, rule and message."""
    stack = Stack(document)
    return sorted({Finding(item.path, rule.id, message, item.address, rule.fix)
                   for rule in RULES for item, message in rule.check(stack, context)})


# ----------------------------------------------------------------------------------------------- the rules


def _principal(entry: Mapping[str, Any]) -> tuple[str, str]:
    for key, kind in PRINCIPAL_KEYS.items():
        if entry.get(key):
            return kind.replace("_", " "), str(entry[key])
    return "nobody", "?"


def _first(block: Any) -> dict:
    """A nested block as the provider writes it: an object, or a list of one."""
    if isinstance(block, list):
        return block[0] if block and isinstance(block[0], dict) else {}
    return block if isinstance(block, dict) else {}


def _run_as(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_job", "databricks_pipeline", "databricks_alert_v2"):
        run_as = _first(item.body.get("run_as")) or (
            {"user_name": item.body["run_as_user_name"]} if item.body.get("run_as_user_name") else {})
        if run_as.get("service_principal_name"):
            continue
        kind, name = _principal(run_as)
        who = f"user '{name}'" if kind == "user" else "whoever deploys it (no run_as)"
        yield item, f"runs as {who}"


def _run_as_identities(stack: Stack) -> set[str]:
    identities = set()
    for item in stack.of("databricks_job", "databricks_pipeline"):
        kind, name = _principal(_first(item.body.get("run_as")))
        if kind != "nobody":
            identities.add(str(stack.resolve(name)))
    return identities


def _secret_read(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    identities = _run_as_identities(stack)
    for item in stack.of("databricks_secret_acl"):
        principal, permission = str(stack.resolve(item.body.get("principal"))), item.body.get("permission")
        if principal in identities and permission != "READ":
            yield item, (f"'{principal}' runs jobs or pipelines and gets {permission} on secret scope "
                         f"'{stack.resolve(item.body.get('scope'))}'")


# What a group every user is in may have: reading, using and running; nothing that writes, manages or owns.
_READ_PRIVILEGES = frozenset({"BROWSE", "USE_CATALOG", "USE_SCHEMA", "SELECT", "READ_VOLUME", "READ_FILES",
                              "EXECUTE", "USE_CONNECTION", "USE_SHARE", "USE_PROVIDER", "USE_RECIPIENT",
                              "USE_MARKETPLACE_ASSETS"})
_WRITE_LEVEL = re.compile(r"MANAGE|EDIT|OWNER|WRITE")


def _grant_blocks(item: Item) -> list[dict]:
    if item.kind == "databricks_grant":
        return [item.body]
    return [block for block in (item.body.get("grant") or []) if isinstance(block, dict)]


def _privileges(block: Mapping[str, Any]) -> list[str]:
    return sorted(str(p).upper().replace(" ", "_") for p in (block.get("privileges") or []))


def _broad_write(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    def broad(name: Any) -> bool:
        return str(stack.resolve(name)).strip().lower() in context.broad_groups

    for item in stack.of("databricks_secret_acl"):
        if broad(item.body.get("principal")) and item.body.get("permission") in ("WRITE", "MANAGE"):
            yield item, (f"broad group '{item.body['principal']}' gets {item.body['permission']} on secret scope "
                         f"'{stack.resolve(item.body.get('scope'))}'")
    for item in stack.of("databricks_permissions"):
        for entry in item.body.get("access_control") or []:
            level = str(entry.get("permission_level"))
            if entry.get("group_name") and broad(entry["group_name"]) and _WRITE_LEVEL.search(level):
                yield item, f"broad group '{entry['group_name']}' gets {level}"
    for item in stack.of("databricks_grant", "databricks_grants"):
        for block in _grant_blocks(item):
            writes = [p for p in _privileges(block) if p not in _READ_PRIVILEGES]
            if broad(block.get("principal")) and writes:
                yield item, f"broad group '{block['principal']}' gets {', '.join(writes)}"


def _all_privileges(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_grant", "databricks_grants"):
        for block in _grant_blocks(item):
            if "ALL_PRIVILEGES" in _privileges(block):
                yield item, (f"'{stack.resolve(block.get('principal'))}' gets ALL_PRIVILEGES, which grows silently "
                             "as Databricks adds privileges")


def _privilege_securable(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_grant", "databricks_grants"):
        found = securable_of(item.body)
        if found is None:
            yield item, "names no securable (catalog, schema, table, volume, connection...)"
            continue
        securable, name = found
        for block in _grant_blocks(item):
            for privilege in _privileges(block):
                if privilege == "ALL_PRIVILEGES":
                    continue  # its own rule
                problem = misapplied(securable, privilege)
                if problem is not None:
                    yield item, f"on '{stack.resolve(name)}': {problem}"


def _job_owner(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    permissions: dict[str, list[Item]] = {}
    for item in stack.of("databricks_permissions"):
        job = item.body.get("job_id")
        if isinstance(job, str):
            permissions.setdefault(job, []).append(item)
    for job in stack.of("databricks_job"):
        name = stack.resolve(job.body.get("name", job.name))
        found = permissions.get(f"${{{job.address}.id}}", [])
        if not found:
            yield job, (f"job '{name}' has no databricks_permissions, so Databricks makes whoever deploys it "
                        "its owner")
            continue
        if len(found) > 1:
            yield found[0], (f"job '{name}' has {len(found)} databricks_permissions resources "
                             f"({', '.join(i.address for i in found)}); each replaces the others' access")
            continue
        owners = [_principal(entry) for entry in found[0].body.get("access_control") or []
                  if entry.get("permission_level") == "IS_OWNER"]
        if len(owners) != 1:
            listed = ", ".join(f"{kind} '{who}'" for kind, who in owners) or "nobody"
            yield found[0], f"job '{name}' has {len(owners)} owners (IS_OWNER: {listed}); it needs exactly one"
        elif owners[0][0] == "group":
            yield found[0], f"job '{name}' is owned by group '{owners[0][1]}'; an owner is a user or service principal"


_SHARED_ROOTS = {"Shared": "every workspace user can edit it", "Users": "it is a user's home folder",
                 "Repos": "it is a user's Git folder"}
_CODE_KEYS = ("notebook_path", "python_file")


def _code_paths(value: Any, path: str = "", from_git: bool = False) -> Iterator[tuple[str, str]]:
    """(attribute path, workspace path) of the code a job or pipeline runs from the workspace. With `from_git`
    (the job has a git_source), a task's code is in the repository unless its `source` is WORKSPACE."""
    if isinstance(value, dict):
        source = value.get("source") or ("GIT" if from_git and any(k in value for k in _CODE_KEYS) else None)
        parent = path.rsplit(".", 1)[-1].split("[")[0]
        for key, item in value.items():
            at = f"{path}.{key}" if path else key
            if not isinstance(item, str):
                yield from _code_paths(item, at, from_git)
            elif (key in _CODE_KEYS and source != "GIT") or key == "root_path" \
                    or (key == "path" and parent in ("notebook", "file")) or (key == "include" and parent == "glob"):
                yield at, item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _code_paths(item, f"{path}[{index}]", from_git)


def _shared_root(path: str) -> str | None:
    parts = path.removeprefix("/Workspace").split("/")
    return parts[1] if path.startswith("/") and len(parts) > 1 and parts[1] in _SHARED_ROOTS else None


def _workspace_path(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_notebook", "databricks_workspace_file", "databricks_directory"):
        path = str(stack.resolve(item.body.get("path", "")))
        root = _shared_root(path)
        if root is not None:
            yield item, f"'{path}' is under /{root}: {_SHARED_ROOTS[root]}"
    for item in stack.of("databricks_alert_v2", "databricks_dashboard"):
        path = str(stack.resolve(item.body.get("parent_path", "")))
        root = _shared_root(path)
        if root is not None:
            yield item, f"parent_path '{path}' is under /{root}: {_SHARED_ROOTS[root]}"
    for item in stack.of("databricks_job", "databricks_pipeline"):
        for at, value in _code_paths(item.body, from_git=bool(item.body.get("git_source"))):
            path = str(stack.resolve(value))
            root = _shared_root(path)
            if root is not None:
                yield item, f"{at} '{path}' is under /{root}: {_SHARED_ROOTS[root]}"


# Deleting one of these deletes data: tables, ingested history, credentials.
_DATA_BEARING = ("databricks_catalog", "databricks_schema", "databricks_volume", "databricks_sql_table",
                 "databricks_pipeline", "databricks_secret_scope")


def _prevent_destroy(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of(*_DATA_BEARING):
        if context.protect_data and not (item.body.get("lifecycle") or {}).get("prevent_destroy"):
            yield item, (f"{item.kind.removeprefix('databricks_').replace('_', ' ')} holds data and has no "
                         f"lifecycle.prevent_destroy in environment '{context.environment.name}' (protect_data)")
        if item.kind in ("databricks_catalog", "databricks_schema") and item.body.get("force_destroy"):
            yield item, f"{item.kind.removeprefix('databricks_')} has force_destroy: destroying it drops every table"


def _whole_name(name: str) -> re.Pattern:
    """`name` as a whole name: not inside a longer one (`appsec_dev` is not in `appsec_devx`), where a longer name
    may use the characters names have, and any `name` itself has (a scope may hold '.' or '@')."""
    inside = re.escape("".join(sorted({"_", "-", *(c for c in name if not c.isalnum())})))
    return re.compile(rf"(?<![A-Za-z0-9{inside}]){re.escape(name)}(?![A-Za-z0-9{inside}])")


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(attribute path, string) for every string in a block; map keys count as strings too."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{key}" if path else str(key)
            yield at, str(key)
            yield from _strings(item, at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _cross_environment(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    own = context.environment
    mine = {own.catalog, own.secret_scope, *own.principals, *own.connections}
    words: dict[str, str] = {}  # identifier -> what it is, for identifiers only another environment has
    paths: dict[str, str] = {}
    for other in context.others:
        for value, what in ((other.catalog, "catalog"), (other.secret_scope, "secret scope"),
                            *((p, "service principal") for p in other.principals),
                            *((c, "connection") for c in other.connections)):
            if value not in mine:
                words.setdefault(value, f"{other.name}'s {what} '{value}'")
        if other.workspace_dir != own.workspace_dir and not own.workspace_dir.startswith(other.workspace_dir + "/"):
            paths[other.workspace_dir] = f"{other.name}'s workspace folder '{other.workspace_dir}'"
        if other.host.rstrip("/") != own.host.rstrip("/"):
            paths[other.host.rstrip("/")] = f"{other.name}'s workspace '{other.host.rstrip('/')}'"
    patterns = [(_whole_name(value), what) for value, what in sorted(words.items())]
    seen: dict[str, list[str]] = {}  # text -> what it names: a stack repeats most of its strings many times

    def named_in(text: str) -> list[str]:
        if text not in seen:
            seen[text] = [what for pattern, what in patterns if pattern.search(text)] + [
                what for prefix, what in paths.items()
                if text == prefix or text.startswith(prefix + "/") or f"{prefix}/" in text]
        return seen[text]

    for item in stack.items:
        reported = set()
        for at, text in _strings(item.body):
            for what in named_in(text):
                if what not in reported:
                    reported.add(what)
                    yield item, f"{at or 'value'} names {what}"


# `password=x`, `token:x` (no space: prose such as "the token: see..." is not one) and JSON's `"password": "x"`.
_ASSIGNMENT = re.compile(r"(?i)\b(password|passwd|pwd|client_secret|secret|token|api[_-]?key)"
                         r"(?:\s*=\s*|:(?=\S)|[\"']\s*:\s*[\"']?)(?!\{\{secrets/|\$\{)([^\s&;'\",]+)")
_CREDENTIAL_FIELD = re.compile(r"(?i)token|secret|passw|pwd|api_?key|credential|private_?key|access_?key")
# Fields that name a credential rather than hold one: secret_scope, secret_names, token_url...
_NAMES_A_CREDENTIAL = re.compile(r"(?i)_(scope|names?|url|uri|path|file|id|ttl|type|keys?_name)$")
_REFERENCE = re.compile(r"\{\{secrets/[^}]+\}\}|\$\{[^}]+\}")


def _random_looking(value: str) -> bool:
    """A run of 16+ letters and digits with both, and little repetition: words joined by '-' or '_' are not."""
    for run in re.split(r"[^A-Za-z0-9+/=]+", _REFERENCE.sub(" ", value)):
        if (len(run) >= 16 and any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
                and entropy(run) >= 3.5):
            return True
    return False


def _secret_literal(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    seen: dict[str, tuple[str | None, re.Match | None]] = {}  # text -> (shape, assignment): strings repeat

    def credential_in(text: str) -> tuple[str | None, re.Match | None]:
        if text not in seen:
            shape = shape_in(text)
            seen[text] = (shape, None if shape else _ASSIGNMENT.search(text))
        return seen[text]

    for item in stack.items:
        for at, text in _strings(item.body):
            shape, assignment = credential_in(text)
            field = at.rsplit(".", 1)[-1]
            if shape is not None:
                yield item, f"{masked(at) or 'a key'} holds {shape} ({redact(text)})"
            elif assignment is not None:
                yield item, (f"{masked(at) or 'a key'} assigns a credential in text ('{assignment.group(1)}=…', "
                             "redacted)")
            elif _CREDENTIAL_FIELD.search(field) and not _NAMES_A_CREDENTIAL.search(field) and _random_looking(text):
                yield item, (f"{masked(at) or 'a key'}, named like a credential, holds a random-looking value "
                             f"('{text[:4]}…', redacted)")


RULES: tuple[Rule, ...] = (
    Rule("CP-RUN-AS", "every job, pipeline and SQL alert runs as a service principal, never as whoever deploys it",
         "set run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)", _run_as),
    Rule("CP-SECRET-READ", "identities that jobs and pipelines run as get at most READ on secret scopes",
         "give run-as identities READ; secrets are written by an admin group, outside the jobs", _secret_read),
    Rule("CP-BROAD-WRITE", "groups every user is in (users, account users...) get no write, manage or owner "
         "rights on anything: secret ACLs, permissions, grants",
         "grant to a dedicated group instead (connectors.yaml: policy.broad_groups lists your own broad groups)",
         _broad_write),
    Rule("CP-ALL-PRIVILEGES", "no ALL_PRIVILEGES grant: it widens silently as Databricks adds privileges",
         "grant the privileges needed, each by name", _all_privileges),
    Rule("CP-PRIVILEGE-SECURABLE", "every Unity Catalog privilege is one that applies to its securable type",
         "grant the privilege on a securable it applies to, or the privilege this securable takes",
         _privilege_securable),
    Rule("CP-JOB-OWNER", "every job has one databricks_permissions with exactly one owner, a user or service "
         "principal", "give the job's permissions exactly one IS_OWNER, the service principal it runs as",
         _job_owner),
    Rule("CP-WORKSPACE-PATH", "notebooks, files, the code jobs run, alerts and dashboards are never under /Shared, "
         "/Users or /Repos",
         "keep code in a dedicated folder (connectors.yaml: workspace_dir, e.g. /Applications/<team>/<env>)",
         _workspace_path),
    Rule("CP-PREVENT-DESTROY", "where protect_data is on, catalogs, schemas, volumes, tables, pipelines and secret "
         "scopes carry prevent_destroy; catalogs and schemas never force_destroy",
         "set lifecycle.prevent_destroy and drop force_destroy (a deliberate deletion is a reviewed suppression)",
         _prevent_destroy),
    Rule("CP-CROSS-ENV", "no stack names another environment's catalog, secret scope, workspace folder, workspace "
         "or principal", "use the stack's own environment values (${env.*} in the jobs section)",
         _cross_environment),
    Rule("CP-SECRET-LITERAL", "no secret-like literal (tokens, keys, password= values, random values in "
         "credential-named fields) in any synthesized attribute",
         "store the value in the secret scope and pass its name; code reads it with dbutils.secrets.get",
         _secret_literal),
)
assert tuple(rule.id for rule in RULES) == RULE_IDS, "policy.suppressions.RULE_IDS lists every rule, in order"
