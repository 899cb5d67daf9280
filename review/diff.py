"""`python -m review diff BASE HEAD`: what a pull request changes in the synthesized stacks, in words, as Markdown
for a pull request comment.

BASE and HEAD are synth output folders (`<dir>/stacks/<env>/cdk.tf.json`, as `make synth` writes `cdktf.out/`),
e.g. of the target branch and of the pull request. Per stack (environment, sorted), the summary shows:

1. Access changes, first and marked: Unity Catalog grants, secret scope ACLs and workspace object permissions
   granted, widened, narrowed or revoked per principal and securable, access that moves to another logical id
   (destroyed and recreated), a resource's `run_as` or `owner`, and any other access resource (`review.access`).
2. Data-bearing resources deleted or replaced, marked too: schemas, catalogs, volumes, tables, pipelines (a
   managed ingestion pipeline owns its tables) and secret scopes, deleted, replaced in place because a
   force-new attribute changed, or destroyed at one logical id and created at another (a renamed construct id),
   with what that loses and whether `lifecycle.prevent_destroy` stops it. Terraform honours `prevent_destroy`
   only while the resource block is in the configuration: it stops a replacement, never a deletion.
3. Every other added, removed, replaced or changed resource, grouped (jobs, pipelines, schemas..., notebooks and
   files, other), with the changed fields as dotted paths (`task[1].notebook_task.base_parameters.settings`)
   and their values, briefly. References are compared resolved (`core.stack_references`); cdktf's `//` metadata
   and `depends_on` are left out.
4. Schedule, trigger and continuous changes of jobs in words, with the next fire times before and after.

A stack only in HEAD is new (compared with an empty stack); a stack only in BASE is no longer synthesized, which
deletes nothing by itself (its resources stay until `cdktf destroy <env>`).

Exit status of the command (`review.cli`), so CI can ask for an extra approval:
  0  no access change, and no data-bearing resource deleted or replaced
  1  error (a folder without synthesized stacks, an unreadable stack, an unknown environment)
  2  usage error
  3  access changed
  4  a data-bearing resource is deleted or replaced
  5  both 3 and 4
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from review.access import ACCESS_KINDS, IDENTITY_FIELDS, OTHER_ACCESS_KINDS, access_changes
from review.describe import NOTHING, format_time, trigger_words, upcoming
from core.name_characters import escaped
from core.stack_references import References, Resource
from review.stack_jobs import JobView, ScheduleView, parse_stack

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_ACCESS, EXIT_DATA, EXIT_BOTH = 0, 1, 2, 3, 4, 5
EXIT_CODES_HELP = """\
exit status:
  0  no access change, and no data-bearing resource deleted or replaced
  1  error (no synthesized stacks in a folder, an unreadable stack, an unknown environment)
  2  usage error
  3  access changed (grants, secret ACLs, permissions, run_as or owner), or a policy suppression added or changed
  4  a data-bearing resource (schema, catalog, volume, table, pipeline, secret scope) is deleted or replaced
  5  both 3 and 4"""

# Force-new attributes of the resources that hold data (the Databricks provider's ForceNew, as of 1.99): a change
# to one replaces the resource, i.e. deletes it and creates an empty one. Dotted: inside a block.
FORCE_NEW: dict[str, tuple[str, ...]] = {
    "databricks_catalog": ("name", "storage_root", "connection_name"),
    "databricks_schema": ("catalog_name", "name", "storage_root"),
    "databricks_volume": ("catalog_name", "schema_name", "name", "volume_type", "storage_location"),
    "databricks_sql_table": ("catalog_name", "schema_name", "name", "table_type", "data_source_format",
                             "partitions", "storage_credential_name", "options"),
    "databricks_table": ("catalog_name", "schema_name", "name", "table_type"),
    "databricks_pipeline": ("catalog", "schema", "target", "storage", "ingestion_definition.connection_name",
                            "ingestion_definition.ingestion_gateway_id"),
    # A scope cannot be updated at all: the provider replaces it for any change.
    "databricks_secret_scope": ("name", "initial_manage_principal", "keyvault_metadata", "backend_type"),
}
DATA_KINDS = frozenset(FORCE_NEW)
GROUPS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("Jobs", frozenset({"databricks_job"})),
    ("Pipelines", frozenset({"databricks_pipeline"})),
    ("Schemas, catalogs, volumes, tables and secret scopes", DATA_KINDS - {"databricks_pipeline"}),
    ("Notebooks, workspace files and folders",
     frozenset({"databricks_notebook", "databricks_workspace_file", "databricks_directory"})),
    ("Other resources", None),
)
IGNORED_FIELDS = frozenset({"depends_on"})  # Terraform ordering only; changes nothing deployed
LIST_KEYS = ("task_key", "job_cluster_key", "environment_key", "name")  # how list items are matched
MAX_VALUE = 80  # characters of a value shown
MAX_FIELDS = 25  # changed fields shown per resource
WARN = "⚠"
# Fields that hold a name (a job's, a principal's, an owner or run-as identity): their values are shown escaped.
_NAME_FIELD = re.compile(r"(^|\.)(name|[a-z_]+_name|principal|owner|run_as(\.[a-z_]+)?)$")
_MISSING = object()


def code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _short(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def brief(value: Any, *, name: bool = False) -> str:
    """A value in at most MAX_VALUE characters: JSON, and a block by its key (`{task_key: "a", …}`). A `name`
    (a job's, a principal's) has every non-ASCII character escaped (`"gold\\u200b"`), so look-alikes differ."""
    if value is _MISSING:
        return "(absent)"
    if isinstance(value, dict):
        key = next((k for k in LIST_KEYS if isinstance(value.get(k), str)), None)
        if key and len(value) > 1:
            return _short(f"{{{key}: {json.dumps(value[key], ensure_ascii=name)}, …}}")
    return _short(json.dumps(value, sort_keys=True, ensure_ascii=name, separators=(",", ":")))


def _asset_hash(value: Any) -> str | None:
    """The content hash in a cdktf asset path `assets/<id>/<HASH>/<file>`."""
    parts = value.split("/") if isinstance(value, str) else []
    return parts[2] if len(parts) >= 4 and parts[0] == "assets" else None


def _list_key(before: list, after: list) -> str | None:
    """The field that identifies the blocks of both lists (each a block with a unique value of it), if any."""
    items = before + after
    if not before or not after or not all(isinstance(item, dict) for item in items):
        return None
    for key in LIST_KEYS:
        if all(isinstance(item.get(key), str) for item in items) and all(
                len({item[key] for item in side}) == len(side) for side in (before, after)):
            return key
    return None


def _walk(before: Any, after: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            _walk(before.get(key, _MISSING), after.get(key, _MISSING), f"{path}.{key}" if path else key, out)
        return
    if isinstance(before, list) and isinstance(after, list):
        key = _list_key(before, after)
        if key is None:
            for index in range(max(len(before), len(after))):
                _walk(before[index] if index < len(before) else _MISSING,
                      after[index] if index < len(after) else _MISSING, f"{path}[{index}]", out)
            return
        old = {item[key]: (index, item) for index, item in enumerate(before)}
        new = {item[key]: (index, item) for index, item in enumerate(after)}
        for name in sorted(set(old) | set(new), key=lambda n: ((new[n] if n in new else old[n])[0], n in new, n)):
            if name in new:
                _walk(old[name][1] if name in old else _MISSING, new[name][1], f"{path}[{new[name][0]}]", out)
            else:
                _walk(old[name][1], _MISSING, f"{path}[{old[name][0]}]", out)
        return
    out.append((path, before, after))


def field_changes(base: Resource, head: Resource, base_refs: References,
                  head_refs: References) -> list[tuple[str, Any, Any]]:
    """(dotted path, before, after) of every changed leaf, references resolved on each side."""
    before = {k: v for k, v in base_refs.resolve(base.body).items() if k not in IGNORED_FIELDS}
    after = {k: v for k, v in head_refs.resolve(head.body).items() if k not in IGNORED_FIELDS}
    out: list[tuple[str, Any, Any]] = []
    _walk(before, after, "", out)
    return out


# At most this many changed lines of a multi-line text (a query, a serialized dashboard) are shown.
MAX_TEXT_LINES = 12


def _text_diff(before: str, after: str) -> list[str]:
    """The lines that differ between two texts, as a unified diff without context: `-` before, `+` after."""
    lines = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
             if line[:1] in "-+" and not line.startswith(("---", "+++"))]
    shown = lines[:MAX_TEXT_LINES]
    if len(lines) > MAX_TEXT_LINES:
        shown.append(f"… and {len(lines) - MAX_TEXT_LINES} more changed lines")
    return shown


def change_line(path: str, before: Any, after: Any) -> str:
    old, new = _asset_hash(before), _asset_hash(after)
    if old and new:
        return f"  - {code(path)}: content changed (asset {old[:12]} → {new[:12]})"
    if isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after):
        # A query or a serialized document: its two truncated starts would look alike; its changed lines do not.
        lines = _text_diff(before, after)
        fence = "`" * max(3, 1 + max((len(run) for line in lines for run in re.findall("`+", line)), default=0))
        return "\n".join([f"  - {code(path)}: changed lines", f"    {fence}diff", *(f"    {line}" for line in lines),
                          f"    {fence}"])
    name = bool(_NAME_FIELD.search(path))  # a name's look-alike characters show; a description reads as written
    return f"  - {code(path)}: {code(brief(before, name=name))} → {code(brief(after, name=name))}"


def _label(refs: References, resource: Resource) -> str:
    """The resource as the summary names it (`job gold`), with any non-ASCII character of its name escaped, so two
    names that look alike differ (`job gold\\u200b`)."""
    return escaped(refs.label(resource))


def _field_lines(changes: list[tuple[str, Any, Any]]) -> list[str]:
    lines = [change_line(*change) for change in changes[:MAX_FIELDS]]
    if len(changes) > MAX_FIELDS:
        lines.append(f"  - … and {len(changes) - MAX_FIELDS} more")
    return lines


def _get(body: dict, dotted: str) -> Any:
    value: Any = body
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else _MISSING
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    return value


def _protected(resource: Resource) -> bool:
    lifecycle = resource.body.get("lifecycle")
    lifecycle = lifecycle[0] if isinstance(lifecycle, list) and lifecycle else lifecycle
    return isinstance(lifecycle, dict) and lifecycle.get("prevent_destroy") is True


# ------------------------------------------------------------------------------------------------- pairing


@dataclass(frozen=True)
class Pair:
    """One resource on either side: how the two sides' logical ids correspond."""
    how: str  # same (address), moved (a `moved` block), renamed (same identity, other id), added, removed,
    #           forgotten (a `removed` block with destroy = false)
    base: Resource | None
    head: Resource | None

    @property
    def kind(self) -> str:
        return (self.head or self.base).kind  # type: ignore[union-attr]


def _blocks_of(document: dict, key: str) -> list[dict]:
    value = document.get(key)
    if isinstance(value, dict):
        value = [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def pair_resources(base_doc: dict, head_doc: dict, base_refs: References, head_refs: References) -> list[Pair]:
    """Every resource of both stacks, paired: by address, then by the head's `moved` blocks, then by identity
    (same kind, same schema/job name/path...: a renamed construct id)."""
    old, new = base_refs.resources(), head_refs.resources()
    pairs = [Pair("same", old[address], new[address]) for address in sorted(set(old) & set(new))]
    left = {address: old[address] for address in old if address not in new}
    right = {address: new[address] for address in new if address not in old}
    for block in _blocks_of(head_doc, "moved"):
        source, target = str(block.get("from", "")), str(block.get("to", ""))
        if source in left and target in right:
            pairs.append(Pair("moved", left.pop(source), right.pop(target)))
    for block in _blocks_of(head_doc, "removed"):
        lifecycle = block.get("lifecycle")
        lifecycle = lifecycle[0] if isinstance(lifecycle, list) and lifecycle else lifecycle
        source = str(block.get("from", ""))
        if source in left and isinstance(lifecycle, dict) and lifecycle.get("destroy") is False:
            pairs.append(Pair("forgotten", left.pop(source), None))

    def by_identity(side: dict[str, Resource], refs: References) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[str]] = {}
        for address, resource in sorted(side.items()):
            identity = refs.identity(resource)
            if identity is not None and resource.kind not in ACCESS_KINDS:
                found.setdefault((resource.kind, identity), []).append(address)
        return found

    gone, came = by_identity(left, base_refs), by_identity(right, head_refs)
    for key in sorted(set(gone) & set(came)):
        if len(gone[key]) == 1 and len(came[key]) == 1:
            pairs.append(Pair("renamed", left.pop(gone[key][0]), right.pop(came[key][0])))
    pairs += [Pair("removed", resource, None) for resource in left.values()]
    pairs += [Pair("added", None, resource) for resource in right.values()]
    return pairs


# ---------------------------------------------------------------------------------------------- data safety


def _pipeline_tables(resource: Resource, refs: References) -> list[str]:
    definition = refs.resolve(resource.body.get("ingestion_definition"))
    definition = definition[0] if isinstance(definition, list) and definition else definition
    objects = definition.get("objects") if isinstance(definition, dict) else None
    tables = []
    for item in objects if isinstance(objects, list) else []:
        for kind in ("table", "schema", "report"):
            spec = item.get(kind) if isinstance(item, dict) else None
            spec = spec[0] if isinstance(spec, list) and spec else spec
            if not isinstance(spec, dict):
                continue
            where = f"{spec.get('destination_catalog', '?')}.{spec.get('destination_schema', '?')}"
            if kind == "schema":
                tables.append(f"{where}.* (every table of source schema {spec.get('source_schema', '?')})")
            else:
                tables.append(f"{where}.{spec.get('destination_table') or spec.get(f'source_{kind}', '?')}")
    return tables


def what_is_lost(resource: Resource, refs: References) -> str:
    """What deleting the resource deletes with it, in words."""
    body = resource.body
    if resource.kind == "databricks_pipeline":
        if "ingestion_definition" in body:
            tables = _pipeline_tables(resource, refs)
            return ("a managed ingestion pipeline owns its tables: deleting it drops "
                    + (", ".join(tables) if tables else "every table it ingested")
                    + "; the next update re-ingests everything from the source (SCD type 2 history is lost)")
        return "deleting a Unity Catalog pipeline drops the tables it publishes"
    if resource.kind in ("databricks_schema", "databricks_catalog"):
        holds = "tables" if resource.kind == "databricks_schema" else "schemas"
        if body.get("force_destroy") is True:
            return f"force_destroy is on: its {holds} and their data are dropped with it"
        return f"force_destroy is off: Unity Catalog refuses to drop it while it still holds {holds}"
    if resource.kind == "databricks_volume":
        if body.get("volume_type") == "EXTERNAL":
            return "an external volume: its files stay in storage"
        return "a managed volume: its files are deleted"
    if resource.kind in ("databricks_sql_table", "databricks_table"):
        return {"VIEW": "a view: no data is lost, its definition is dropped",
                "EXTERNAL": "an external table: its files stay in storage"}.get(
            str(body.get("table_type")), "a managed table: its data is deleted")
    return "every secret in it is deleted (load them again with `python -m operations load-secrets`)"


_BLOCK_GONE = ("lifecycle.prevent_destroy does not stop it: it leaves with the resource block, so Terraform "
               "deletes it anyway")


def data_lines(pair: Pair, base_refs: References, head_refs: References) -> list[str]:
    """The lines of section 2 for one pair of a data-bearing kind: nothing unless it is deleted or replaced."""
    if pair.kind not in DATA_KINDS or pair.how in ("added", "forgotten"):
        return []
    base = pair.base
    assert base is not None
    label = _label(base_refs, base)
    if pair.how == "removed":
        head = [f"- {label}: **deleted** ({code(base.address)})"]
        protection = _BLOCK_GONE if _protected(base) else "not protected by lifecycle.prevent_destroy"
        return head + [f"  - {what_is_lost(base, base_refs)}", f"  - {protection}"]
    assert pair.head is not None
    if pair.how == "renamed":
        head = [f"- {label}: **replaced**: its logical id changes from {code(base.address)} to "
                f"{code(pair.head.address)} (a renamed construct id), so Terraform destroys it and creates a new one; "
                "a `moved` block would keep it"]
        protection = _BLOCK_GONE if _protected(base) else "not protected by lifecycle.prevent_destroy"
        return head + [f"  - {what_is_lost(base, base_refs)}", f"  - {protection}"]
    forcing = []
    for attribute in FORCE_NEW[pair.kind]:
        before = base_refs.resolve(_get(base.body, attribute))
        after = head_refs.resolve(_get(pair.head.body, attribute))
        if before != after:
            forcing.append(f"{code(attribute)} {code(brief(before))} → {code(brief(after))}")
    if not forcing:
        return []
    head = [f"- {label}: **replaced** ({code(base.address)}): " + ", ".join(forcing)
            + (" forces a new resource" if len(forcing) == 1 else " force a new resource")]
    if _protected(pair.head):
        protection = "protected: lifecycle.prevent_destroy makes Terraform refuse this plan"
    else:
        protection = "not protected by lifecycle.prevent_destroy: deploying deletes it and creates an empty one"
    return head + [f"  - {what_is_lost(base, base_refs)}", f"  - {protection}"]


# --------------------------------------------------------------------------------------------- resources


def _identity_lines(pair: Pair, base_refs: References, head_refs: References) -> list[str]:
    """Who a resource runs as or is owned by, when that changes: access changes too."""
    if pair.base is None or pair.head is None or pair.kind in ACCESS_KINDS:
        return []
    lines = []
    for name in IDENTITY_FIELDS:
        before = base_refs.resolve(pair.base.body.get(name, _MISSING))
        after = head_refs.resolve(pair.head.body.get(name, _MISSING))
        if before != after:
            lines.append(f"- {_label(head_refs, pair.head)}: {name} {code(brief(before, name=True))} → "
                         f"{code(brief(after, name=True))}")
    return lines


_SECRET_REFERENCE = re.compile(r"\{\{\s*secrets/[^}\s]+\s*\}\}")


def _secret_references(body: Any) -> set[str]:
    """Every {{secrets/<scope>/<key>}} in a resource's body (a cluster's spark_conf or spark_env_vars): what its
    runs read from a secret scope."""
    if isinstance(body, str):
        return {re.sub(r"\s", "", match) for match in _SECRET_REFERENCE.findall(body)}
    values = body.values() if isinstance(body, dict) else body if isinstance(body, list) else ()
    return {reference for value in values for reference in _secret_references(value)}


def _secret_lines(pair: Pair, head_refs: References) -> list[str]:
    """The secrets a job's clusters newly read, or no longer read: access changes too (what a run can see)."""
    if pair.head is None or pair.kind in ACCESS_KINDS:
        return []
    before = _secret_references(pair.base.body) if pair.base is not None else set()
    after = _secret_references(pair.head.body)
    label = _label(head_refs, pair.head)
    return ([f"- {label}: reads secret {code(reference)}" for reference in sorted(after - before)]
            + [f"- {label}: no longer reads secret {code(reference)}" for reference in sorted(before - after)])


def _other_access_lines(pair: Pair, base_refs: References, head_refs: References) -> list[str]:
    if pair.kind not in OTHER_ACCESS_KINDS:
        return []
    resource = pair.head or pair.base
    assert resource is not None
    if pair.how in ("added", "removed", "forgotten"):
        return [f"- {code(resource.address)}: {pair.how}"]
    assert pair.base is not None and pair.head is not None
    changes = field_changes(pair.base, pair.head, base_refs, head_refs)
    moved = pair.base.address != pair.head.address
    if not changes and not moved:
        return []
    what = f"moves from {code(pair.base.address)}" if moved else "changed"
    return [f"- {code(resource.address)}: {what}", *_field_lines(changes)]


def resource_lines(pair: Pair, base_refs: References, head_refs: References) -> list[str]:
    """Section 3's lines for one pair (none when it is unchanged)."""
    if pair.how == "added":
        assert pair.head is not None
        return [f"- {_label(head_refs, pair.head)}: added ({code(pair.head.address)})"]
    assert pair.base is not None
    if pair.how == "removed":
        return [f"- {_label(base_refs, pair.base)}: removed ({code(pair.base.address)})"]
    if pair.how == "forgotten":
        return [f"- {_label(base_refs, pair.base)}: removed from the Terraform state but not destroyed "
                f"(a `removed` block; {code(pair.base.address)})"]
    assert pair.head is not None
    changes = field_changes(pair.base, pair.head, base_refs, head_refs)
    label = _label(head_refs, pair.head)
    if pair.how == "renamed":
        what = (f"logical id changes from {code(pair.base.address)} to {code(pair.head.address)}: Terraform "
                "destroys it and creates it again (a `moved` block would keep it)")
    elif pair.how == "moved":
        what = f"moves from {code(pair.base.address)} to {code(pair.head.address)} (a `moved` block: kept)"
    elif not changes:
        return []
    elif pair.kind in DATA_KINDS and data_lines(pair, base_refs, head_refs):
        what = f"replaced ({code(pair.head.address)})"
    else:
        what = f"changed ({code(pair.head.address)})"
    return [f"- {label}: {what}", *_field_lines(changes)]


# ------------------------------------------------------------------------------------------------ renames


def _construct_path(document: dict, resource: Resource) -> list[str]:
    """The resource's construct path below its stack (cdktf's `//` metadata), e.g. ['github', 'job']."""
    body = ((document.get("resource") or {}).get(resource.kind) or {}).get(resource.name)
    comment = body.get("//") if isinstance(body, dict) else None
    path = (comment.get("metadata") or {}).get("path") if isinstance(comment, dict) else None
    return path.split("/")[1:] if isinstance(path, str) else []


def _task_parameters(body: dict) -> dict[str, Any]:
    """The first task's notebook parameters (a batch connector's tasks share theirs)."""
    tasks = body.get("task")
    task = tasks[0] if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict) else {}
    notebook = task.get("notebook_task")
    notebook = notebook[0] if isinstance(notebook, list) and notebook else notebook
    parameters = notebook.get("base_parameters") if isinstance(notebook, dict) else None
    return parameters if isinstance(parameters, dict) else {}


def _job_parameter(body: dict, name: str) -> Any:
    return next((item.get("default") for item in body.get("parameter") or []
                 if isinstance(item, dict) and item.get("name") == name), None)


def _names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _batch_consequences(old: str, new: str, before: dict, after: dict) -> list[str]:
    """What renaming a batch connector does to its data and secrets: its tables and its state are named after it."""
    was, now = _task_parameters(before), _task_parameters(after)
    catalog = _job_parameter(after, "target_catalog") or "?"
    schemas = [now.get("bronze_schema", "bronze"), now.get("silver_schema", "silver")]
    old_tables = [code(f"{catalog}.{schema}.{old}_*") for schema in schemas]
    new_tables = [code(f"{catalog}.{schema}.{new}_*") for schema in schemas]
    mark = now.get("initial_mark")
    start = f"the initial mark {mark}" if mark else "the start of the source's history, as no initial_mark is set"
    lines = [f"  - tables: {_names(old_tables)} are no longer written (left in place, not deleted); "
             f"{_names(new_tables)} are filled anew from {start} (the state in "
             f"{code(f'{catalog}.{schemas[0]}.connector_state')} is kept per connector name)"]
    secrets = [name for name in str(now.get("secret_names") or "").split(",") if name]
    unread = [name for name in str(was.get("secret_names") or "").split(",") if name and name not in secrets]
    environment = (after.get("tags") or {}).get("environment", "<environment>")
    if secrets:
        lines.append(f"  - secrets: load {_names([code(s) for s in secrets])} into scope "
                     f"{code(str(now.get('secret_scope', '?')))} with "
                     f"{code(f'python -m operations load-secrets --env {environment} {new}')} before its first run"
                     + (f"; {_names([code(s) for s in unread])} {'is' if len(unread) == 1 else 'are'} no longer read"
                        if unread else ""))
    return lines


def _mentions(value: Any, name: str) -> bool:
    """Whether a string in `value` names connector `name`: as a whole name, or as the prefix of its tables
    (`<name>_<entity>`), of its job (`<name>-connector`), or of a `name:source` item."""
    pattern = re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9])")
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, dict):
        return any(_mentions(item, name) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, name) for item in value)
    return False


def _followers(old: str, moved: Pair, pairs: list[Pair], base_refs: References, head_refs: References) -> list[str]:
    """The other jobs a connector's rename changes (their settings named the old connector and now differ): what
    reads its tables or runs its job follows the new name, as the config derives them."""
    lines = []
    for pair in pairs:
        if pair is moved or pair.kind != "databricks_job" or pair.base is None or pair.head is None:
            continue
        before, after = base_refs.resolve(pair.base.body), head_refs.resolve(pair.head.body)
        fields = sorted(key for key in set(before) | set(after) if key != "//" and before.get(key) != after.get(key)
                        and _mentions(before.get(key), old))
        if fields:
            lines.append(f"  - follows the rename: job {escaped(str(after.get('name', pair.head.address)))} "
                         f"({', '.join(fields)} changed)")
    return sorted(lines)


def rename_lines(base_doc: dict, head_doc: dict, pairs: list[Pair], base_refs: References,
                 head_refs: References) -> list[str]:
    """Each connector or job of the `jobs` section renamed with `renamed_from` (its job moved by a `moved` block),
    in words, with what the new name changes beyond the job."""
    renames: list[tuple[str, list[str]]] = []
    pipelines = {tuple(_construct_path(head_doc, resource)[:1]): resource
                 for resource in head_refs.of_kind("databricks_pipeline")}
    for pair in pairs:
        if pair.how != "moved" or pair.kind != "databricks_job":
            continue
        assert pair.base is not None and pair.head is not None
        old_path, new_path = _construct_path(base_doc, pair.base), _construct_path(head_doc, pair.head)
        if len(old_path) == len(new_path) == 3 and old_path[0] == new_path[0] == "jobs":
            renames.append((new_path[1], [f"- job {code(old_path[1])} of the `jobs` section renamed to "
                                          f"{code(new_path[1])}: its job keeps its id and run history (moved)"]))
            continue
        if not (len(old_path) == len(new_path) == 2 and old_path[0] != new_path[0]):
            continue
        old, new = old_path[0], new_path[0]
        before, after = base_refs.resolve(pair.base.body), head_refs.resolve(pair.head.body)
        pipeline = pipelines.get((new,))
        if pipeline is not None:
            tables = _pipeline_tables(pipeline, head_refs)
            renames.append((new, [
                f"- connector {code(old)} renamed to {code(new)}: its pipeline and job keep their ids and history "
                "(moved)",
                "  - tables: the pipeline goes on writing " + (", ".join(code(t) for t in tables) or "its tables")
                + "; nothing is re-ingested", *_followers(old, pair, pairs, base_refs, head_refs)]))
        else:
            renames.append((new, [f"- connector {code(old)} renamed to {code(new)}: its job keeps its id and run "
                                  "history (moved)", *_batch_consequences(old, new, before, after),
                                  *_followers(old, pair, pairs, base_refs, head_refs)]))
    return [line for _, lines in sorted(renames) for line in lines]


# ---------------------------------------------------------------------------------------------- schedules


def _state(paused: bool) -> str:
    return "PAUSED" if paused else "active"


def fire_line(schedule: ScheduleView, now: datetime, count: int) -> str:
    """`` `0 0 5 * * ?` (UTC), active; next: 2026-11-22 05:00:00 UTC (Sun), ... ``"""
    head = f"{code(schedule.cron)} ({schedule.timezone}), {_state(schedule.paused)}"
    label, times = upcoming(schedule, now, count)
    if not times:
        return f"{head}: {label}"
    return f"{head}; {label}: " + ", ".join(format_time(moment) for moment in times)


def _triggers_text(job: JobView) -> str:
    return "; ".join(f"{trigger_words(trigger)}, {_state(trigger.paused)}" for trigger in job.triggers) or "none"


def _continuous_text(job: JobView) -> str:
    return "not continuous" if job.continuous is None else f"continuous, {_state(job.continuous)}"


def _schedule_headline(before: ScheduleView | None, after: ScheduleView | None) -> str:
    if before is None:
        return "schedule added"
    if after is None:
        return "schedule removed"
    if (before.cron, before.timezone) != (after.cron, after.timezone):
        if before.paused != after.paused:
            return f"schedule changed, and now {_state(after.paused)}"
        return "schedule changed"
    return "schedule paused" if after.paused else "schedule unpaused: it now fires on its own"


def _starts(job: JobView, now: datetime, count: int) -> list[str]:
    """What starts a job, one line each ([] when nothing does)."""
    lines = [f"schedule {fire_line(job.schedule, now, count)}"] if job.schedule else []
    lines += [f"trigger: {trigger_words(trigger)}, {_state(trigger.paused)}" for trigger in job.triggers]
    if job.continuous is not None:
        lines.append(_continuous_text(job))
    return lines


def schedule_lines(before: JobView | None, after: JobView | None, now: datetime, count: int) -> list[str]:
    """Section 4's lines for one job (none when what starts it is unchanged)."""
    if before is None and after is not None:
        starts = _starts(after, now, count)
        if len(starts) > 1:
            return [f"- {escaped(after.name)} (new job):", *(f"  - {line}" for line in starts)]
        return [f"- {escaped(after.name)} (new job): " + (starts[0] if starts else NOTHING)]
    if after is None and before is not None:
        starts = _starts(before, now, count)
        if not starts:
            return []
        return [f"- {escaped(before.name)} (job removed): no longer runs; it had:", *(f"  - {line}" for line in starts)]
    assert before is not None and after is not None
    lines = []
    if before.schedule != after.schedule:
        lines.append(f"- {escaped(after.name)}: {_schedule_headline(before.schedule, after.schedule)}")
        for side, schedule in (("before", before.schedule), ("after", after.schedule)):
            lines.append(f"  - {side}: " + (fire_line(schedule, now, count) if schedule else "no schedule"))
    if before.triggers != after.triggers:
        lines += [f"- {escaped(after.name)}: trigger changed", f"  - before: {_triggers_text(before)}",
                  f"  - after: {_triggers_text(after)}"]
    if before.continuous != after.continuous:
        lines += [f"- {escaped(after.name)}: continuous changed", f"  - before: {_continuous_text(before)}",
                  f"  - after: {_continuous_text(after)}"]
    return lines


# ------------------------------------------------------------------------------------------------ report


@dataclass(frozen=True)
class StackDiff:
    env: str
    status: str  # 'changed', 'unchanged', 'added' (only in HEAD), 'removed' (only in BASE)
    access: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    resources: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group heading, lines)
    schedules: tuple[str, ...] = ()
    removed_resources: int = 0  # 'removed' stacks: how many resources stay deployed
    suppressions: tuple[str, ...] = ()  # the policy pack's suppressions in HEAD, and those lifted since BASE
    new_suppressions: int = 0  # added, or given another reason: an exception to review like an access change
    renames: tuple[str, ...] = ()  # connectors and jobs renamed with `renamed_from`, and what that changes

    @property
    def access_changed(self) -> bool:
        return bool(self.access) or self.new_suppressions > 0

    @property
    def data_changed(self) -> bool:
        return bool(self.data)

    def counts(self) -> str:
        if self.status == "removed":
            return f"{WARN} no longer synthesized (left deployed: {_plural(self.removed_resources, 'resource')})"
        if self.status == "unchanged":
            return "no changes"
        parts = []
        access = sum(1 for line in self.access if line.startswith("- "))
        data = sum(1 for line in self.data if line.startswith("- "))
        changed = sum(1 for _, lines in self.resources for line in lines if line.startswith("- "))
        started = sum(1 for line in self.schedules if line.startswith("- "))
        if access:
            parts.append(f"{WARN} {_plural(access, 'access change')}")
        if self.new_suppressions:
            parts.append(f"{WARN} {_plural(self.new_suppressions, 'new policy suppression')}")
        if data:
            parts.append(f"{WARN} {_plural(data, 'data-bearing resource')} deleted or replaced")
        renamed = sum(1 for line in self.renames if line.startswith("- "))
        if renamed:
            parts.append(_plural(renamed, "rename"))
        parts.append(_plural(changed, "resource change"))
        if started:
            parts.append(_plural(started, "schedule or trigger change"))
        return ("new stack: " if self.status == "added" else "") + ", ".join(parts)

    def markdown(self) -> str:
        if self.status == "removed":
            return (f"## Stack {self.env} (removed)\n\n{WARN} The environment {self.env} is no longer synthesized. "
                    f"Deploying does not touch it: what it deployed ({_plural(self.removed_resources, 'resource')}) "
                    f"stays in the workspace and in its Terraform state until someone runs "
                    f"`cdktf destroy {self.env}`.\n")
        title = f"## Stack {self.env} (new)" if self.status == "added" else f"## Stack {self.env}"
        if self.status == "unchanged":
            return f"{title}\n\nNo changes.\n"
        out = [title, ""]
        if self.status == "added":
            out += ["A new environment: deploying creates every resource below.", ""]
        if self.access:
            out += [f"### {WARN} Access changes (needs an extra approval)", "", *self.access, ""]
        if self.suppressions:
            heading = f"{WARN} Policy suppressions (new ones need an extra approval)" if self.new_suppressions \
                else "Policy suppressions"
            out += [f"### {heading}", "", *self.suppressions, ""]
        if self.data:
            out += [f"### {WARN} Data-bearing resources deleted or replaced", "", *self.data, ""]
        if self.renames:
            out += ["### Renames", "", *self.renames, ""]
        if self.resources:
            out += ["### Resource changes", ""]
            for heading, lines in self.resources:
                out += [f"#### {heading}", "", *lines, ""]
        if self.schedules:
            out += ["### Schedules and triggers", "", *self.schedules, ""]
        return "\n".join(out)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def diff_stack(env: str, base: dict | None, head: dict | None, now: datetime, count: int = 3) -> StackDiff:
    """One environment's changes from `base` to `head` (parsed cdk.tf.json; None where the stack is absent)."""
    if head is None:
        return StackDiff(env, "removed", removed_resources=len(References(base).resources()))
    base_doc = base if base is not None else {}
    base_refs, head_refs = References(base_doc), References(head)
    pairs = sorted(pair_resources(base_doc, head, base_refs, head_refs), key=lambda p: (
        p.kind, head_refs.label(p.head) if p.head else base_refs.label(p.base),  # type: ignore[arg-type]
        (p.head or p.base).address))  # type: ignore[union-attr]
    moved = {pair.base.address: pair.head.address for pair in pairs
             if pair.how == "moved" and pair.base is not None and pair.head is not None}
    access = [change.line() for change in access_changes(base_refs, head_refs, moved)]
    for pair in pairs:
        access += (_identity_lines(pair, base_refs, head_refs) + _secret_lines(pair, head_refs)
                   + _other_access_lines(pair, base_refs, head_refs))
    data = [line for pair in pairs for line in data_lines(pair, base_refs, head_refs)]
    grouped: dict[str, list[str]] = {}
    for pair in pairs:
        if pair.kind in ACCESS_KINDS:
            continue
        lines = resource_lines(pair, base_refs, head_refs)
        if lines:
            heading = next(name for name, kinds in GROUPS if kinds is None or pair.kind in kinds)
            grouped.setdefault(heading, []).extend(lines)
    resources = tuple((name, tuple(grouped[name])) for name, _ in GROUPS if name in grouped)
    schedules = _schedule_changes(env, base_doc, head, pairs, now, count)
    suppressions, new_suppressions = suppression_lines(base_doc, head)
    renames = rename_lines(base_doc, head, pairs, base_refs, head_refs)
    changed = bool(access or data or resources or schedules or new_suppressions or renames
                   or any("lifted" in line for line in suppressions))
    status = "added" if base is None else "changed" if changed else "unchanged"
    return StackDiff(env, status, tuple(access), tuple(data), resources, tuple(schedules), 0,
                     tuple(suppressions), new_suppressions, tuple(renames))


def _suppressions_of(document: dict) -> dict[tuple[str, str], str]:
    """(construct path, rule) -> reason, from the `//` blocks the policy pack writes into suppressed resources."""
    found = {}
    for blocks in (document.get("resource") or {}).values():
        for body in (blocks or {}).values():
            comment = body.get("//") if isinstance(body, dict) else None
            if not isinstance(comment, dict):
                continue
            path = (comment.get("metadata") or {}).get("path", "?")
            for entry in comment.get("policy_suppressions") or []:
                found[(path, entry.get("rule", "?"))] = str(entry.get("reason", ""))
    return found


def suppression_lines(base: dict, head: dict) -> tuple[list[str], int]:
    """Every suppression in HEAD with its reason (new or changed ones marked), then those lifted since BASE;
    and how many are new or changed."""
    before, after = _suppressions_of(base), _suppressions_of(head)
    lines, new = [], 0
    for (path, rule), reason in sorted(after.items()):
        if (path, rule) not in before:
            new += 1
            lines.append(f"- {rule} on {path}: **new**; reason: {reason}")
        elif before[(path, rule)] != reason:
            new += 1
            lines.append(f"- {rule} on {path}: **reason changed**: {before[(path, rule)]} → {reason}")
        else:
            lines.append(f"- {rule} on {path}: kept; reason: {reason}")
    lines += [f"- {rule} on {path}: lifted (the rule applies to it again)"
              for path, rule in sorted(set(before) - set(after))]
    return lines, new


def _schedule_changes(env: str, base: dict, head: dict, pairs: list[Pair], now: datetime, count: int) -> list[str]:
    old = {job.address: job for job in parse_stack(env, base).jobs}
    new = {job.address: job for job in parse_stack(env, head).jobs}
    jobs = [(old.get(pair.base.address) if pair.base else None, new.get(pair.head.address) if pair.head else None)
            for pair in pairs if pair.kind == "databricks_job" and pair.how != "forgotten"]
    jobs.sort(key=lambda pair: ((pair[1] or pair[0]).name, (pair[1] or pair[0]).address))  # type: ignore[union-attr]
    return [line for before, after in jobs for line in schedule_lines(before, after, now, count)]


@dataclass(frozen=True)
class SynthDiff:
    stacks: tuple[StackDiff, ...] = field(default_factory=tuple)

    @property
    def access_changed(self) -> bool:
        return any(stack.access_changed for stack in self.stacks)

    @property
    def data_changed(self) -> bool:
        return any(stack.data_changed for stack in self.stacks)

    @property
    def exit_code(self) -> int:
        return exit_code(self.access_changed, self.data_changed)

    def markdown(self) -> str:
        lines = ["# Synthesized stacks: what this change deploys", ""]
        lines += [f"- **{stack.env}**: {stack.counts()}" for stack in self.stacks]
        reasons = [reason for flag, reason in ((self.access_changed, "access changes"),
                                               (self.data_changed, "data-bearing resources deleted or replaced"))
                   if flag]
        if reasons:
            lines += ["", f"**{WARN} Needs an extra approval**: {' and '.join(reasons)} "
                          f"(exit status {self.exit_code})."]
        else:
            lines += ["", "No access change, and no data-bearing resource deleted or replaced (exit status 0)."]
        return "\n".join(lines) + "\n\n" + "\n".join(stack.markdown() for stack in self.stacks)


def exit_code(access_changed: bool, data_changed: bool) -> int:
    if access_changed and data_changed:
        return EXIT_BOTH
    return EXIT_ACCESS if access_changed else EXIT_DATA if data_changed else EXIT_OK


def diff_synth(base: dict[str, dict], head: dict[str, dict], now: datetime, count: int = 3,
               envs: list[str] | None = None) -> SynthDiff:
    """Every environment of either side (or `envs`), sorted. `now` must be aware: fire times count from it."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    chosen = sorted(set(envs) if envs else set(base) | set(head))
    return SynthDiff(tuple(diff_stack(env, base.get(env), head.get(env), now, count) for env in chosen))
