"""Fuzzes the real connectors.yaml: 2,000 malformed variants of it per run, each of which must be rejected with a
ConfigError naming the field the mutation broke (and nothing else may escape); main() must write nothing for them.

Why: the example tests pin one message per rule on small configs. This checks that the rules hold all over the
sample (every environment, connector and job, the imported job file included) and keep naming their field, so a
validator that is dropped, or that stops saying where, fails here even where no example test looks.
Targets are taken from the sample and from what the model and Databricks' schema declare, so the fuzz grows with
the sample; which values are invalid is this file's own knowledge of the rules (README, names.py, quartz.py), so
a rule that is removed from the code is not removed from the fuzz with it. A failure shows the variant as a diff
against the sample, with where its problem was expected. scripts/fuzz_without_validators.py disables each
validator in turn to show which variants need it.
"""

from __future__ import annotations

import atexit
import contextlib
import difflib
import functools
import io
import json
import os
import re
import shutil
import tempfile
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

import main
from connectors_config import ConfigError, parse_config
from connectors_config.jobs_types import DROPPED_SETTINGS, JOBS_GET_FIELDS, LEVELS, PLATFORM_KEYS
from core.bundle_schema import BUNDLE_JOB, SCHEMA_FILE
from connectors_config.lockfile import lock_path, read_lock
from connectors_config.model import PlatformConfig
from connectors_config.personal import DEV_USER_ENV_VAR
from connectors_config.repository import PROJECT_MARKER
from connectors_config.sources import available_sources, source_spec
from tests.conftest import SAMPLE_CONFIG

CONFIG = "connectors.yaml"
SAMPLE_DIR = SAMPLE_CONFIG.parent
EXAMPLES = 2000  # variants through parse_config per run (at least 1,000)
MAIN_EXAMPLES = 200  # variants through main(), each in a folder of its own
# A rendered problem: '<file>:<line>: <path>: <message>', the path never empty.
PROBLEM_LINE = re.compile(r"(?P<file>[^:\s]+):(?P<line>[1-9][0-9]*): (?P<path>[^:\s][^:]*?): (?P<message>.+)")


# ---------------------------------------------------------------------------------------------- the sample


@dataclass(frozen=True)
class Entry:
    """A node of a document: its value node, the key node naming it (in a mapping) and its container."""

    path: tuple
    node: Node
    key: Node | None
    parent: CollectionNode | None
    value: Any  # plain: dicts, lists, scalars


class Document:
    """A file of the sample with the node (and so the text span) of every key and value, for edits in place:
    a variant is the sample's own text with one span changed, so its lines and comments stay the sample's."""

    def __init__(self, name: str, text: str, prefix: tuple = ()):
        self.name, self.text, self.prefix = name, text, prefix  # prefix: where the job definition is in it
        self.root = YAML(typ="rt").compose(text)
        self.entries: dict[tuple, Entry] = {}
        self._index(self.root, _plain(YAML(typ="rt").load(text)), (), None, None)

    def _index(self, node: Node, value: Any, path: tuple, key: Node | None, parent: CollectionNode | None) -> None:
        self.entries[path] = Entry(path, node, key, parent, value)
        if isinstance(node, MappingNode):
            for key_node, child in node.value:
                self._index(child, value[key_node.value], path + (key_node.value,), key_node, node)
        elif isinstance(node, SequenceNode):
            for index, child in enumerate(node.value):
                self._index(child, value[index], path + (index,), None, node)

    def line_of(self, index: int) -> int:
        return self.text.count("\n", 0, index) + 1

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end

    def only_indent_before(self, index: int) -> bool:
        return self.text[self.line_start(index):index].strip() == ""


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def content_end(node: Node) -> int:
    """Where a node's own text ends: a block collection ends with its last value, not at the next token."""
    if not isinstance(node, CollectionNode) or node.flow_style or not node.value:
        return node.end_mark.index
    last = node.value[-1]
    return content_end(last[1] if isinstance(node, MappingNode) else last)


@dataclass(frozen=True)
class Sample:
    config: Document
    imports: dict[str, Document]  # the job files the config imports, by the name the config gives them

    @property
    def documents(self) -> list[Document]:
        return [self.config, *self.imports.values()]


@cache
def sample() -> Sample:
    """The project's connectors.yaml and the job files its `jobs` section imports, read as they are now."""
    config = Document(CONFIG, SAMPLE_CONFIG.read_text(encoding="utf-8"))
    imports = {}
    for entry in (config.entries[()].value.get("jobs") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("file"), str):
            name = entry["file"]
            text = (SAMPLE_DIR / name).read_text(encoding="utf-8")
            imports[name] = Document(name, text, _definition_prefix(YAML(typ="rt").load(text), entry.get("job")))
    return Sample(config, imports)


def _definition_prefix(document: Any, pick: str | None) -> tuple:
    """Where an imported file holds the job: a bundle's resources.jobs.<key>, `databricks jobs get`'s settings,
    or the whole file (connectors_config.jobs reads them so)."""
    bundle = (document.get("resources") or {}).get("jobs") if isinstance(document.get("resources"), dict) else None
    if isinstance(bundle, dict):
        return ("resources", "jobs", pick or next(iter(bundle)))
    if isinstance(document.get("settings"), dict) and set(document) <= JOBS_GET_FIELDS:
        return ("settings",)
    return ()


@cache
def lock():
    return read_lock(lock_path(SAMPLE_CONFIG))


def format_path(path: tuple) -> str:
    """As problems name fields: ('connectors', 0, 'name') -> 'connectors[0].name'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# ---------------------------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def apply(document: Document, edits: list[Edit]) -> str:
    text = document.text
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[:edit.start] + edit.text + text[edit.end:]
    return text


def render(value: Any) -> str:
    """A value as YAML flow text (JSON is YAML): strings always quoted, so they stay strings."""
    return json.dumps(value, ensure_ascii=True)


def render_key(document: Document, key: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key) and document.name.endswith((".yaml", ".yml"))
    return key if plain else render(key)


def set_value(document: Document, path: tuple, text: str) -> Edit:
    """The value at `path` replaced by `text` (a flow value), whatever it was (scalar, block or flow)."""
    entry = document.entries[path]
    if entry.key is not None:
        return Edit(entry.key.end_mark.index, content_end(entry.node), ": " + text)
    return Edit(entry.node.start_mark.index, content_end(entry.node), text)


def rename_key(document: Document, path: tuple, key: str) -> Edit:
    node = document.entries[path].key
    assert node is not None, f"{format_path(path)} is no key of a mapping"
    return Edit(node.start_mark.index, node.end_mark.index, render_key(document, key))


def remove_key(document: Document, path: tuple) -> Edit:
    """The entry at `path` removed from its mapping; the last one leaves `{}`."""
    entry = document.entries[path]
    assert isinstance(entry.parent, MappingNode) and entry.key is not None, f"{format_path(path)} is no mapping entry"
    pairs = entry.parent.value
    index = next(i for i, (key, _) in enumerate(pairs) if key is entry.key)
    if len(pairs) == 1:
        return set_value(document, path[:-1], "{}")
    key = entry.key.start_mark.index
    if entry.parent.flow_style:
        if index + 1 < len(pairs):
            return Edit(key, pairs[index + 1][0].start_mark.index, "")
        return Edit(content_end(pairs[index - 1][1]), content_end(entry.node), "")
    whole_lines = document.only_indent_before(key)
    start = document.line_start(key) if whole_lines else key  # else: first key after '- '
    if index + 1 < len(pairs):
        following = pairs[index + 1][0].start_mark.index
        return Edit(start, document.line_start(following) if whole_lines else following, "")
    return Edit(start, min(document.line_end(content_end(entry.node)) + 1, len(document.text)), "")


def add_key(document: Document, path: tuple, key: str, text: str) -> Edit:
    """A new entry `key: text` at the end of the mapping at `path`, written as its other entries are."""
    node = document.entries[path].node
    assert isinstance(node, MappingNode), f"{format_path(path)} is no mapping"
    entry = f"{render_key(document, key)}: {text}"
    if node.flow_style:
        if not node.value:
            return Edit(node.start_mark.index + 1, node.start_mark.index + 1, entry)
        end = content_end(node.value[-1][1])
        return Edit(end, end, ", " + entry)
    end = document.line_end(content_end(node.value[-1][1]))
    return Edit(end, end, "\n" + " " * node.value[0][0].start_mark.column + entry)


def add_item(document: Document, path: tuple, text: str) -> Edit:
    node = document.entries[path].node
    assert isinstance(node, SequenceNode), f"{format_path(path)} is no list"
    if node.flow_style:
        if not node.value:
            return Edit(node.start_mark.index + 1, node.start_mark.index + 1, text)
        end = content_end(node.value[-1])
        return Edit(end, end, ", " + text)
    first = node.value[0].start_mark.index
    dash = document.text.rfind("-", 0, first)
    end = document.line_end(content_end(node.value[-1]))
    return Edit(end, end, "\n" + " " * (dash - document.line_start(dash)) + "- " + text)


def remove_item(document: Document, path: tuple) -> Edit:
    entry = document.entries[path]
    assert isinstance(entry.parent, SequenceNode), f"{format_path(path)} is no list item"
    items, index = entry.parent.value, path[-1]
    if len(items) == 1:
        return set_value(document, path[:-1], "[]")
    if entry.parent.flow_style:
        if index + 1 < len(items):
            return Edit(entry.node.start_mark.index, items[index + 1].start_mark.index, "")
        return Edit(content_end(items[index - 1]), content_end(entry.node), "")
    start = document.line_start(entry.node.start_mark.index)
    if index + 1 < len(items):
        return Edit(start, document.line_start(items[index + 1].start_mark.index), "")
    return Edit(start, min(document.line_end(content_end(entry.node)) + 1, len(document.text)), "")


# ---------------------------------------------------------------------------------------------- what is declared where


KINDS = ("str", "int", "bool", "float", "list", "map", "null")


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (datetime, date)):
        return "time"
    for kind, types_ in (("int", int), ("float", float), ("str", str), ("list", list), ("map", dict)):
        if isinstance(value, types_):
            return kind
    raise TypeError(value)


@dataclass(frozen=True)
class Slot:
    """What a place in the file takes, as the model and Databricks' job schema declare it (declarations only;
    which values break a rule is this file's own knowledge: RULES, QUARTZ_ERRORS and the families)."""

    kinds: frozenset[str]
    zone: str  # 'model' (connectors.yaml's own fields), 'settings' (a source's settings), 'job' (Jobs API)
    field: str = ""  # the field's name; for list items and map values, their container's
    role: str = "value"  # 'value', 'item' (of a list) or 'entry' (value of an open mapping)
    keys: frozenset[str] | None = None  # a mapping's allowed keys; None: any key
    required: frozenset[str] = frozenset()  # missing -> reported at the key itself (pydantic, source settings)
    required_here: frozenset[str] = frozenset()  # missing -> reported at the mapping (schema, model validators)
    enum: tuple = ()


ANY = frozenset(KINDS) | {"time"}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(annotation without Annotated and Optional, whether None is allowed)."""
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(members) < len(typing.get_args(annotation))
            if len(members) > 1:
                # A union of members known only at run time: `|` cannot build one from a tuple.
                return typing.Union[tuple(members)], nullable  # noqa: UP007
            annotation = members[0]
        else:
            return annotation, nullable


def _model_kinds(annotation: Any) -> tuple[frozenset[str], tuple]:
    annotation, nullable = _unwrap(annotation)
    extra = {"null"} if nullable else set()
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        kinds: set[str] = set()
        for member in typing.get_args(annotation):
            kinds |= _model_kinds(member)[0]
        return frozenset(kinds | extra), ()
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        return frozenset({kind_of(v) for v in values} | extra), values
    if annotation is Any:
        return ANY, ()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) or origin is dict:
        return frozenset({"map"} | extra), ()
    if origin in (tuple, list):
        return frozenset({"list"} | extra), ()
    if annotation is datetime:  # Instant: an ISO string, a YAML timestamp or date
        return frozenset({"str", "time"} | extra), ()
    simple = {str: "str", int: "int", bool: "bool", float: "float"}
    return frozenset({simple[annotation]} | extra), ()


def _field_annotation(field_info: Any) -> Any:
    return typing.Annotated[(field_info.annotation, *field_info.metadata)] if field_info.metadata \
        else field_info.annotation


def _kind_model(annotation: Any, value: Any) -> Any:
    """Of a union of connector models, the one whose `kind` is the value's; other annotations as they are."""
    annotation, _ = _unwrap(annotation)
    if typing.get_origin(annotation) is not typing.Union:
        return annotation
    for member in (_unwrap(m)[0] for m in typing.get_args(annotation)):
        kind = member.model_fields.get("kind") if isinstance(member, type) and issubclass(member, BaseModel) else None
        if kind is not None and isinstance(value, dict) and value.get("kind") in typing.get_args(kind.annotation):
            return member
    return annotation


def _model_child(annotation: Any, part: Any, value: Any) -> Any:
    """The annotation of `part` inside a value of `annotation` (the connector kind chosen by the value's own)."""
    annotation = _kind_model(annotation, value)
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found = [f for name, f in annotation.model_fields.items() if (f.alias or name) == part]
        return _field_annotation(found[0]) if found else None
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin in (tuple, list):
        return typing.get_args(annotation)[0]
    return None


def _model_slot(annotation: Any, name: str, role: str, value: Any) -> Slot:
    kinds, enum = _model_kinds(annotation)
    model = _kind_model(annotation, value)
    if isinstance(model, type) and issubclass(model, BaseModel):
        keys = frozenset(f.alias or n for n, f in model.model_fields.items())
        required = frozenset(f.alias or n for n, f in model.model_fields.items() if f.is_required())
        return Slot(kinds, "model", name, role, keys, required, enum=enum)
    return Slot(kinds, "model", name, role, enum=enum)


@cache
def _schema() -> dict:
    # The vendored schema's \p{L}/\p{N} patterns are only ever met by ${...} strings, which the fuzz writes none of.
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _schema_node(node: dict) -> dict:
    """A schema node with $ref followed and the `${...}` interpolation branch of a oneOf dropped."""
    while True:
        if "$ref" in node:
            target: Any = _schema()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        elif "oneOf" in node:
            branches = [b for b in node["oneOf"] if not (b.get("type") == "string" and "pattern" in b)]
            node = branches[0] if len(branches) == 1 else {"type": sorted({b.get("type") for b in branches})}
        else:
            return node


_JSON_KINDS = {"string": {"str"}, "integer": {"int"}, "boolean": {"bool"}, "number": {"int", "float"},
               "array": {"list"}, "object": {"map"}, "null": {"null"}}


def _job_slot(node: dict, name: str, role: str, top: bool = False, platform: bool = False) -> Slot:
    node = _schema_node(node)
    kinds: set[str] = set()
    json_type: Any = node.get("type")  # a JSON type name, a list of them, or none
    for kind in json_type if isinstance(json_type, list) else [json_type]:
        kinds |= _JSON_KINDS.get(kind, set(ANY))
    keys = None
    if "properties" in node and node.get("additionalProperties") is False:
        allowed = set(node["properties"])
        if top:  # settings connectors_config.jobs takes and drops, or checks itself
            allowed |= set(DROPPED_SETTINGS) | {"edit_mode"} | (set(PLATFORM_KEYS) if platform else set())
        keys = frozenset(allowed)
    return Slot(frozenset(kinds), "job", name, role, keys, required_here=frozenset(node.get("required", ())),
                enum=tuple(node.get("enum", ())))


def _job_child(node: dict, part: Any) -> dict | None:
    node = _schema_node(node)
    if isinstance(part, int):
        return node.get("items")
    if part in node.get("properties", {}):
        return node["properties"][part]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None



@cache
def slot(document: Document, path: tuple) -> Slot | None:
    """What the validators take at `path` of `document`, or None where nothing is declared (then the fuzz
    leaves the place alone)."""
    if document is not sample().config:
        if path[:len(document.prefix)] != document.prefix:
            return None
        return _job_path_slot(path[len(document.prefix):], imported=True)
    if path[:1] == ("jobs",) and len(path) >= 2:
        entry = document.entries[path[:2]].value
        if len(path) == 2:
            keys = frozenset(PLATFORM_KEYS) if isinstance(entry, dict) and "file" in entry else None
            base = _job_path_slot((), imported=False)
            assert base is not None, "a job definition has the Jobs API's slot"
            return Slot(frozenset({"map"}), "job", path[1], keys=keys or base.keys)
        if path[2] in PLATFORM_KEYS:
            if len(path) > 3:
                return None
            return Slot(frozenset({"str", "null"}), "platform", path[2], enum=LEVELS if path[2] == "job_level" else ())
        if isinstance(entry, dict) and "file" in entry:
            return None
        return _job_path_slot(path[2:], imported=False)
    annotation: Any = PlatformConfig
    name, role = "", "value"
    for depth, part in enumerate(path):
        value = document.entries[path[:depth]].value
        if depth >= 3 and path[0] == "connectors" and path[2] == "settings":
            return _settings_slot(document.entries[path[:2]].value, path[3:])
        child = _model_child(annotation, part, value)
        if child is None:
            return None
        container, _ = _unwrap(annotation)
        origin = typing.get_origin(container)
        if origin is dict:
            role = "entry"
        elif origin in (tuple, list):
            role = "item"
        else:
            name, role = str(part), "value"
        annotation = child
    return _model_slot(annotation, name, role, document.entries[path].value)


def slot_at(document: Document, path: tuple) -> Slot:
    """The slot at `path`, for a target chosen because it has one."""
    found = slot(document, path)
    assert found is not None, f"{document.name}: {format_path(path)} has no slot"
    return found


def _job_path_slot(path: tuple, imported: bool) -> Slot | None:
    node: dict = {"$ref": BUNDLE_JOB}
    name, role = "", "value"
    for part in path:
        parent = _schema_node(node)
        child = _job_child(node, part)
        if child is None:
            return None
        node = child
        if isinstance(part, int):
            role = "item"
        elif part in parent.get("properties", {}):
            name, role = part, "value"
        else:
            role = "entry"
    return _job_slot(node, name, role, top=not path, platform=not imported and not path)


def source_of(connector: Any) -> str | None:
    """The source a batch connector runs, if it is one of notebooks/source_<name>.py."""
    if not isinstance(connector, dict) or connector.get("kind") != "batch":
        return None
    source = connector.get("source", connector.get("name"))
    return source if source in available_sources() else None


def _settings_slot(connector: dict, path: tuple) -> Slot | None:
    """A batch connector's setting (or an entry of it), as its source's SPEC declares it."""
    source = source_of(connector)
    declared = source_spec(source).settings.get(path[0]) if source else None
    if declared is None or len(path) > 2:
        return None
    if len(path) == 2:  # an item of a list setting, an entry of a mapping setting: non-empty strings
        return Slot(frozenset({"str"}), "settings", path[0], "item" if declared.kind is list else "entry")
    kinds = {str: {"str"}, list: {"list"}, dict: {"map"}}[declared.kind]
    return Slot(frozenset(kinds), "settings", path[0])


def mapping_keys(document: Document, path: tuple) -> frozenset[str] | None:
    """The keys the mapping at `path` may have, where that is a fixed set (a model, a schema object, a source's
    settings); None where any key goes (tags, variables, per-environment maps...)."""
    if document is sample().config and len(path) == 3 and path[0] == "connectors" and path[2] == "settings":
        source = source_of(document.entries[path[:2]].value)
        return frozenset(source_spec(source).settings) if source else None
    found = slot(document, path)
    return found.keys if found is not None else None


# ---------------------------------------------------------------------------------------------- invalid values
# This file's own knowledge of each rule (README "Mistakes are caught", names.py, quartz.py, the error tests): from
# a good value, values the rule must refuse. Kept apart from the code so that removing a rule there fails here.


def _identifier(v: str) -> list[str]:
    """Catalogs, schemas, connectors, connections, tables, job keys, variables: [a-z][a-z0-9_]*, <= 63 chars."""
    return [v[:1].upper() + v[1:], v + "-x", "9" + v, "_" + v, v + " x", v + ".x", (v + "_" * 64)[:64], "",
            v + "\u00e4"]


def _environment(v: str) -> list[str]:
    return [v[:1].upper() + v[1:], "1" + v, v + " x", v + ".eu", "_" + v, (v + "-" * 33)[:33], "", v + "!"]


def _scope(v: str) -> list[str]:
    return [v + " x", v + "/x", v + "#1", v + ":x", "s" * 129, "", v + "\u00e4"]


def _secret_values(v: str) -> list[str]:
    """Credentials pasted where a secret's name belongs: known token shapes, an assignment, a random string."""
    return ["ghp_" + "aB3dE6gH9j" * 4, "dapi" + "0123456789abcdef" * 2, "token=" + v + "-s3cr3t",
            "sk-" + "Zq8" * 12, "f3a9c1e07b2d4c6e8a1f5b3d9e7c2a40"]


def _secret(v: str) -> list[str]:
    return [v + " x", v + "@x", v + "/x", "k" * 129, ""] + _secret_values(v)


def _principal(v: str) -> list[str]:
    return ["AppSec Runner", v.replace("-", ""), "{" + v + "}", v[:-1], "urn:uuid:" + v, v + " ", ""] + _look_alikes(v)


def _look_alikes(v: str) -> list[str]:
    """`v` as it would look, but not be: with an invisible character, a bidi control, or one letter Cyrillic."""
    swapped = v.replace("a", "\u0430", 1) if "a" in v else v.replace("e", "\u0435", 1)
    return [v[:2] + "\u200b" + v[2:], "\u202e" + v, v + "\ufeff"] + ([swapped] if swapped != v else [])


def _group(v: str) -> list[str]:
    return [" " + v, v + " ", "", "   "] + _look_alikes(v)


def _privileged_group(v: str) -> list[str]:
    return _group(v) + ["users", "account users", "All Users", "USERS"]


def _email(v: str) -> list[str]:
    local, _, domain = v.partition("@")
    return [local + domain, local + "@", "@" + domain, local + " x@" + domain, v + "@example.com",
            local + "@" + domain.rsplit(".", 1)[0], ""] + _look_alikes(v)


def _host(v: str) -> list[str]:
    bare = v.removeprefix("https://")
    return ["http://" + bare, bare, v.rstrip("/") + "/path", v.rstrip("/") + "?o=1", "https://",
            "https://a_b." + bare, ""]


def _workspace_dir(v: str) -> list[str]:
    last = v.rstrip("/").rsplit("/", 1)[-1] or "x"
    # '..', '.', '//' and /Workspace are read as the workspace resolves them: only climbs and shared roots fail
    climb = "/.." * (v.count("/") + 1)
    return [v.lstrip("/"), v + climb, v + climb + "/x", v + "/.." * v.count("/") + "/Shared/" + last,
            "//Shared/" + last, "/./Users/someone@example.com/" + last, "/Applications/../Repos/" + last,
            "/Shared/" + last, "/Users/someone@example.com/" + last, "/Repos/" + last, "/Workspace/Shared/" + last,
            "/Workspace", ""]


def _tag_key(v: str) -> list[str]:
    return [v + "#", v + "!", v + "*", v + "?", "t" * 128, v + "\u00e4", v + ","]


def _destination_schema(v: str) -> list[str]:
    return _identifier(v) + ["appsec_prod." + v, "main." + v]


def _source_object(v: str) -> list[str]:
    return ["1" + v, v + " x", v + ".x", v + "/x", "", "c" * 256, v + "!", "-" + v]


def _time_zone(v: str) -> list[str]:
    return [v + "x", "Mars/Olympus", "GMT+25", "", " " + v, "CEST"] + ([v.lower()] if v.lower() != v else [])


def _instant(v: Any) -> list[str]:
    return ["2024-01-01T00:00:00", "2024-13-01", "yesterday", "2024-01-01 00:00", "01/01/2024", ""]


def _longer_than(limit: int) -> Callable[[Any], list[str]]:
    return lambda v: ["d" * (limit + 1)]


def _non_empty(v: Any) -> list[str]:
    return [""]


def _below(minimum: int, maximum: int | None = None) -> Callable[[Any], list[int]]:
    return lambda v: [minimum - 1, minimum - 1000] + ([maximum + 1, maximum * 100] if maximum is not None else [])


# A rule: from a good value, values that must be refused.
Rule = Callable[[Any], list[Any]]

# (zone, field, role) -> invalid values from the good one. role: 'value', 'item' (of a list field), 'entry' (a
# value of a mapping field) or 'key' (a key of a mapping field).
RULES: dict[tuple[str, str, str], Rule] = {
    **{("model", f, "value"): _identifier for f in ("catalog", "bronze_schema", "silver_schema", "gold_schema",
                                                    "name", "source", "destination_table")},
    ("model", "connection", "entry"): _identifier,
    ("model", "connection", "value"): _identifier,  # acknowledge_data_loss.<env>.connection
    ("model", "variables", "key"): _identifier,
    ("model", "jobs", "key"): _identifier,
    **{("model", f, "key"): _environment for f in ("environments", "run_as", "connection", "acknowledge_data_loss")},
    ("model", "secret_scope", "value"): _scope,
    ("model", "secrets", "item"): _secret,
    ("model", "run_as", "value"): _principal,
    ("model", "run_as", "entry"): _principal,
    ("model", "readers_group", "value"): _group,
    ("model", "admin_group", "value"): _privileged_group,
    ("model", "team_group", "value"): _privileged_group,
    ("model", "owners", "item"): _privileged_group,
    ("model", "on_failure", "item"): _email,
    ("model", "host", "value"): _host,
    ("model", "workspace_dir", "value"): _workspace_dir,
    ("model", "tags", "key"): _tag_key,
    ("model", "tags", "entry"): _longer_than(255),
    ("model", "destination_schema", "value"): _destination_schema,
    **{("model", f, "value"): _source_object for f in ("source_schema", "table", "schema")},
    **{("model", f, "item"): _source_object for f in ("primary_keys", "sequence_by", "include_columns",
                                                      "exclude_columns")},
    ("model", "timezone", "value"): _time_zone,
    ("model", "initial_mark", "value"): _instant,
    ("model", "description", "value"): _longer_than(1000),
    ("model", "reason", "value"): lambda v: ["too short", "r" * 1001, " " * 24, "\u3000" * 24, "- " * 12,
                                             "\u200b" * 24, "reviewed, token dapi" + "0123456789abcdef" * 2],
    **{("model", f, "value"): _non_empty for f in ("profile", "spark_version", "node_type_id", "resource_group_name",
                                                   "storage_account_name", "container_name", "key", "bucket",
                                                   "region", "prefix", "dynamodb_table")},
    ("model", "max_retries", "value"): _below(0, 10),
    ("model", "num_workers", "value"): _below(0, 100),
    ("model", "min_retry_interval_millis", "value"): _below(0),
    ("model", "timeout_seconds", "value"): _below(0),
    ("settings", "", "value"): lambda v: ["", "   "] if isinstance(v, str) else [],  # non-empty strings
    ("job", "timezone_id", "value"): _time_zone,
}


def rule_for(document: Document, path: tuple, role: str | None = None) -> Rule | None:
    found = slot(document, path)
    if found is None:
        return None
    if found.zone == "settings":
        return RULES[("settings", "", "value")]
    return RULES.get((found.zone, found.field, role or found.role))


def rule_at(document: Document, path: tuple) -> Rule:
    """The rule at `path`, for a target chosen because it has one."""
    rule = rule_for(document, path)
    assert rule is not None, f"{document.name}: {format_path(path)} has no rule"
    return rule


# ---------------------------------------------------------------------------------------------- Quartz


_FIELD_RANGES = {"seconds": (0, 59), "minutes": (0, 59), "hours": (0, 23), "day-of-month": (1, 31),
                 "month": (1, 12), "day-of-week": (1, 7), "year": (1970, 2999)}
_SIX = ("seconds", "minutes", "hours", "day-of-month", "month", "day-of-week")


@st.composite
def good_quartz(draw) -> list[str]:
    """A valid Quartz expression, as fields: exactly one of day-of-month and day-of-week is '?'."""
    fields = [draw(st.sampled_from(["0", "30", "*/15", "0/10", "5,35", "10-40/30"])),
              draw(st.sampled_from(["0", "15", "*/10", "0-30/5"])),
              draw(st.sampled_from(["0", "2", "*/3", "9-17", "6,18"]))]
    if draw(st.booleans()):
        fields += [draw(st.sampled_from(["1", "15", "L", "*", "1-7", "10W", "L-3"])),
                   draw(st.sampled_from(["*", "JAN", "1-6", "*/2", "MAR,SEP"])), "?"]
    else:
        fields += ["?", draw(st.sampled_from(["*", "JAN", "1-6", "*/2"])),
                   draw(st.sampled_from(["MON", "MON-FRI", "2", "6L", "2#1", "SUN,SAT"]))]
    if draw(st.booleans()):
        fields.append(draw(st.sampled_from(["*", "2099", "2030-2099"])))
    return fields


# Each kind of Quartz error, with what its message says (README, quartz.py).
QUARTZ_ERRORS = {"count": "fields", "range": "out of range", "never": "never occurs",
                 "both days": "sets both day-of-month", "no day": "'?' in both", "step": "step",
                 "question": "only allowed in day-of-month or day-of-week", "name": "is not a number",
                 "backwards": "runs backwards"}


@st.composite
def bad_quartz(draw, how: str) -> str:
    """A Quartz expression broken in one way (`how`) that quartz.py (and the README) call an error."""
    fields = draw(good_quartz())
    if how == "count":  # 5 fields (unix cron), too few, too many, none
        fields = draw(st.sampled_from([fields[1:6], fields[:3], fields[:6] + ["*", "*"], []]))
    elif how == "range":
        index = draw(st.sampled_from([0, 1, 2, 3, 4, 5, 6]))
        name = (*_SIX, "year")[index]
        lo, hi = _FIELD_RANGES[name]
        value = str(draw(st.sampled_from([lo - 1, hi + 1, hi + 40] if lo > 0 else [hi + 1, hi + 40])))
        if index == 6:
            fields = fields[:6] + [value]
        else:
            fields[index] = value
            if index in (3, 5):  # keep the other day field '?'
                fields[8 - index] = "?"
    elif how == "never":  # a day that no month of the schedule has
        day, months = draw(st.sampled_from([("30", "FEB"), ("31", "FEB"), ("31", "APR"), ("31", "JUN,SEP,NOV"),
                                            ("30W", "2"), ("31", "4-4")]))
        fields[3:6] = [day, months, "?"]
    elif how == "both days":
        fields[3], fields[5] = draw(st.sampled_from(["1", "15", "L", "*"])), draw(st.sampled_from(["MON", "2", "*"]))
    elif how == "no day":
        fields[3], fields[5] = "?", "?"
    elif how == "step":
        index = draw(st.sampled_from([0, 1, 2]))
        fields[index] = draw(st.sampled_from(["*/0", f"0/{_FIELD_RANGES[_SIX[index]][1] + 1}", "*/", "1/x"]))
    elif how == "question":
        fields[draw(st.sampled_from([0, 1, 2, 4]))] = "?"
    elif how == "name":
        index, value = draw(st.sampled_from([(4, "MON"), (5, "JAN"), (4, "FOO"), (2, "NOON")]))
        fields[index] = value
        if index == 5 or (index == 4 and fields[5] != "?"):  # a day-of-week is set: day-of-month is '?'
            fields[3] = "?"
    else:  # backwards ranges, which quartz.py asks to write as two
        index, value = draw(st.sampled_from([(1, "50-10"), (2, "20-5"), (0, "45-15")]))
        fields[index] = value
    return " ".join(fields)


# ---------------------------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Expect:
    """Where the mutation's problem must be reported: the field path (or one inside it), in which file; for
    syntax errors '(yaml)' / '(file)' and the lines where the parser can first notice."""

    path: str
    file: str = CONFIG
    lines: tuple[int, int] | None = None
    exact: bool = False
    text: str = ""

    def matches(self, problem: Any) -> bool:
        if (problem.file or CONFIG) != self.file or self.text not in problem.message:
            return False
        if self.lines is not None and not self.lines[0] <= problem.line <= self.lines[1]:
            return False
        if self.exact or self.path.startswith("("):
            return problem.path == self.path
        return problem.path == self.path or problem.path.startswith((self.path + ".", self.path + "["))

    def __str__(self) -> str:
        where = f"{self.file}:{self.lines[0]}-{self.lines[1]}" if self.lines else self.file
        return f"{where}: {self.path}" + (f" ({self.text!r})" if self.text else "")


@dataclass(frozen=True)
class Each:
    """Where several mutations of one variant must each be reported."""

    expects: tuple[Expect, ...]


@dataclass(frozen=True)
class Secret:
    """A value that looks like a credential: no problem may show it (README: never echoed)."""

    text: str


class Variant:
    """A malformed copy of the sample: which family made it, what it changed, every file's text, and where its
    problems must be reported (`expect`: each requirement met by one of its alternatives, since a conflict has
    two sides). Not a dataclass, so that Hypothesis shows it as a diff against the sample, not as whole files."""

    def __init__(self, family: str, change: str, texts: tuple[tuple[str, str], ...],
                 expect: tuple[tuple[Expect, ...], ...], secrets: tuple[str, ...] = ()):
        self.family, self.change, self.texts, self.expect, self.secrets = family, change, texts, expect, secrets

    def text(self, name: str) -> str:
        return dict(self.texts)[name]

    def unmet(self, problems: list) -> list[str]:
        """The requirements no problem meets, each as its alternatives in words."""
        return [" or ".join(map(str, alternatives)) for alternatives in self.expect
                if not any(expect.matches(problem) for expect in alternatives for problem in problems)]

    def __repr__(self) -> str:
        diff: list[str] = []
        for document in sample().documents:
            if self.text(document.name) != document.text:
                diff += difflib.unified_diff(document.text.split("\n"), self.text(document.name).split("\n"),
                                             document.name, document.name + " (variant)", n=1, lineterm="")
        diff_text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: repr(m.group())[1:-1], "\n".join(diff))
        if len(diff_text) > 3000:
            diff_text = diff_text[:3000] + "\n[...]"
        return (f"Variant[{self.family}] {self.change}\n  expected a problem at: "
                f"{'; and at '.join(' or '.join(map(str, e)) for e in self.expect)}\n{diff_text}")


def variant(family: str, change: str, document: Document, edits: list[Edit], *expect: Any) -> Variant:
    """`expect`: Expects (one of them must be met), Each (all of its must be), Secrets (never shown)."""
    texts = tuple((d.name, apply(d, edits) if d is document else d.text) for d in sample().documents)
    alternatives = tuple(e for e in expect if isinstance(e, Expect))
    requirements = ((alternatives,) if alternatives else ()) + tuple(
        (one,) for each in expect if isinstance(each, Each) for one in each.expects)
    return Variant(family, change, texts, requirements, tuple(e.text for e in expect if isinstance(e, Secret)))


def at(document: Document, path: tuple, **options: Any) -> Expect:
    """Where a problem with `path` is reported: there, except inside a source's setting, which its SPEC checks
    as a whole (`settings.fields`, not `settings.fields.key`)."""
    if document is sample().config and len(path) > 4 and path[0] == "connectors" and path[2] == "settings":
        path = path[:4]
    return Expect(format_path(path), document.name, **options)


# ---------------------------------------------------------------------------------------------- families
# Each way of breaking the sample is registered under its family with the function that finds its targets in
# the sample (run once) and the function that draws one variant for a target: (change, document, edits, where).
# Every way is equally likely (each aims at its own validator, so each needs its share of the examples), except
# the broad ones, which aim at every field and weigh more.

Made = tuple  # (change: str, document: Document, edits: list[Edit], *expect: Expect)
WAYS: dict[str, list[tuple[Callable[[], list], Callable[[Any, Any], Made], int]]] = {}


def way(family: str, targets: Callable[[], list], weight: int = 1) -> Callable:
    def register(make: Callable[[Any, Any], Made]) -> Callable[[Any, Any], Made]:
        WAYS.setdefault(family, []).append((cache(targets), make, weight))
        return make
    return register


def _drawn(family: str, found: list, make: Callable[[Any, Any], Made]) -> st.SearchStrategy[Variant]:
    @st.composite
    def draw_variant(draw) -> Variant:
        change, document, edits, *expect = make(draw, draw(st.sampled_from(found)))
        return variant(family, change, document, edits, *expect)
    return draw_variant()


@cache
def family(name: str) -> st.SearchStrategy[Variant]:
    """One family: its ways that have a target in the sample, by weight."""
    return st.one_of([_drawn(name, targets(), make) for targets, make, weight in WAYS[name] if targets()
                      for _ in range(weight)])


def variants() -> st.SearchStrategy[Variant]:
    """Every family (one_of takes their ways as its own branches: each way as likely as another, by weight)."""
    return st.one_of([family(name) for name in WAYS])


def entries(predicate: Callable[[Document, Entry], Any]) -> list[tuple[Document, Entry]]:
    return [(d, e) for d in sample().documents for e in d.entries.values() if predicate(d, e)]


def _jobs() -> list[tuple[Document, tuple]]:
    """Every job definition: (document, path of its settings), inline or imported."""
    config = sample().config
    found = [(config, ("jobs", key)) for key, entry in (config.entries[()].value.get("jobs") or {}).items()
             if isinstance(entry, dict) and "file" not in entry]
    return found + [(d, d.prefix) for d in sample().imports.values() if d.prefix in d.entries]


def _tasks() -> list[tuple[Document, tuple, tuple]]:
    """Every task: (document, its job's path, its path)."""
    return [(d, job, job + ("tasks", i)) for d, job in _jobs()
            for i, task in enumerate(d.entries[job].value.get("tasks") or []) if isinstance(task, dict)]


def _connectors() -> list[tuple[int, dict]]:
    connectors = sample().config.entries[()].value.get("connectors") or []
    return [(i, c) for i, c in enumerate(connectors) if isinstance(c, dict) and isinstance(c.get("name"), str)]


def _environments() -> dict[str, dict]:
    return {k: v for k, v in (sample().config.entries[()].value.get("environments") or {}).items()
            if isinstance(v, dict)}


def _job_keys() -> set[str]:
    return set(sample().config.entries[()].value.get("jobs") or {}) | {c["name"] for _, c in _connectors()}


def _unknown(known: set) -> st.SearchStrategy[str]:
    return st.sampled_from(["gitlab", "nightly_refresh", "findings", "sonar_qube", "legacy_export"]).filter(
        lambda name: name not in known)


def _named(document: Document, path: tuple) -> str:
    """A path for a change's description: the file itself where the path is its whole."""
    return format_path(path) or document.name


def _value(draw: Any, options: list) -> Any:
    return draw(st.sampled_from(options))


# --- wrong type


def _typed(document: Document, entry: Entry) -> Slot | None:
    """The slot of an entry whose sample value is one the slot takes (so the slot was read right)."""
    found = slot(document, entry.path) if entry.path else None
    return found if found is not None and kind_of(entry.value) in found.kinds else None


def _wrong(kind: str, accepted: frozenset[str], value: Any) -> st.SearchStrategy:
    """Values of `kind`, near misses first: a quoted number or boolean, 0/1 for a boolean, a list of the value."""
    if kind == "str":
        near = [str(value).lower()] if kind_of(value) in ("int", "bool") else []
        near += ["3"] if "int" in accepted else ["true", "yes"] if "bool" in accepted else []
        return st.sampled_from(near + ["x", ""])
    if kind == "int":
        return st.sampled_from([0, 1] if "bool" in accepted else [42]) | st.integers(-5, 5000)
    if kind == "bool":
        return st.booleans()
    if kind == "list":
        return st.sampled_from([[_plain_value(value)], [], ["x", 1]])
    if kind == "map":
        return st.sampled_from([{}, {"x": "y"}, {"x": 1}])
    return st.none()


def _grouped(found: list[tuple], key: Callable[..., tuple]) -> list[list[tuple]]:
    """Targets grouped by the field they are (every task_key of every task is one group), so that each field is
    as likely as another however often the sample repeats it."""
    groups: dict[tuple, list] = {}
    for target in found:
        groups.setdefault(key(*target), []).append(target)
    return list(groups.values())


def _by_field(found: list[tuple[Document, Entry]]) -> list[list[tuple[Document, Entry]]]:
    """Grouped by field, and by what the field takes (defaults.retries takes no null, a connector's does)."""
    def field(document: Document, entry: Entry) -> tuple:
        taken = slot_at(document, entry.path)
        return taken.zone, taken.field, taken.role, taken.kinds, kind_of(entry.value)

    return _grouped(found, field)


def _by_key(found: list[tuple]) -> list[list[tuple]]:
    """Grouped by the mapping's field and the key in it."""
    return _grouped(found, lambda d, e, *_: ((slot(d, e.path[:-1]) or Slot(frozenset(), "")).zone,
                                             (slot(d, e.path[:-1]) or Slot(frozenset(), "")).field, e.path[-1]))


def _wrong_type(draw, group) -> Made:
    """A value of a type the field does not take: a list or mapping for a string, a string for a number... A
    collection for a scalar and a scalar for a collection are the likelier: code that reads the raw file before
    the model (cross-field checks, the jobs section) hashes names and iterates lists. In one place, or in every
    place the field has in the sample (every connector's name), where each must be reported."""
    document, entry = _value(draw, group)
    accepted = slot_at(document, entry.path).kinds
    wrong = [k for k in KINDS if k != "float" and k not in accepted and not (k == "int" and "float" in accepted)]
    swaps = [k for k in wrong if (k in ("list", "map")) != (kind_of(entry.value) in ("list", "map"))]
    value = draw(_wrong(_value(draw, wrong + swaps), accepted, entry.value))
    if len(group) > 1 and draw(st.booleans()):
        return (f"{format_path(entry.path)} and its {len(group) - 1} like = {render(value)}", document,
                [set_value(d, e.path, render(value)) for d, e in group if d is document],
                Each(tuple(at(d, e.path) for d, e in group if d is document)))
    return (f"{format_path(entry.path)} = {render(value)}", document,
            [set_value(document, entry.path, render(value))], at(document, entry.path))


# connectors.yaml's own fields weigh more than job definitions: the Jobs API schema checks those first, whole.
way("wrong type", lambda: _by_field(entries(lambda d, e: (found := _typed(d, e)) is not None
                                            and found.zone != "job")), weight=8)(_wrong_type)
way("wrong type", lambda: _by_field(entries(lambda d, e: (found := _typed(d, e)) is not None
                                            and found.zone == "job")), weight=2)(_wrong_type)


def _hostile(document: Document, entry: Entry) -> Any:
    """For one of connectors.yaml's own fields, the wrong value most likely to break code that reads the raw file
    before the model: a mapping (unhashable) for a scalar, a number (not iterable) for a list or mapping."""
    found = _typed(document, entry) if document is sample().config else None
    if found is None or found.zone not in ("model", "platform"):
        return None
    value = 42 if kind_of(entry.value) in ("list", "map") else {"x": 1}
    return value if kind_of(value) not in found.kinds else None


@way("wrong type", lambda: _by_field(entries(lambda d, e: _hostile(d, e) is not None)), weight=8)
def _hostile_everywhere(draw, group) -> Made:
    """One field written so, in every place the sample has it (each connector's name, the connectors section):
    each place must be reported, and nothing may crash."""
    document = group[0][0]
    value = _hostile(*group[0])
    others = f" and its {len(group) - 1} like" if len(group) > 1 else ""
    return (f"{format_path(group[0][1].path)}{others} = {render(value)}", document,
            [set_value(document, e.path, render(value)) for _, e in group],
            Each(tuple(at(document, e.path) for _, e in group)))


@way("wrong type", lambda: entries(lambda d, e: isinstance(e.node, ScalarNode) and e.node.style is None
                                   and kind_of(e.value) in ("int", "bool") and (found := _typed(d, e)) is not None
                                   and "str" not in found.kinds), weight=2)
def _quoted(draw, target) -> Made:
    """A number or true/false written in quotes: YAML reads text where the field takes a number or a boolean."""
    document, entry = target
    written = document.text[entry.node.start_mark.index:entry.node.end_mark.index]
    return (f"{format_path(entry.path)} = {render(written)}", document,
            [Edit(entry.node.start_mark.index, entry.node.end_mark.index, render(written))], at(document, entry.path))


# --- unknown keys


def _typos(key: str) -> st.SearchStrategy[str]:
    index = st.integers(0, max(len(key) - 1, 0))
    return st.one_of(
        index.map(lambda i: key[:i] + key[i + 1:]),  # a letter left out
        index.map(lambda i: key[:i] + key[i:i + 1] * 2 + key[i + 1:]),  # doubled
        index.map(lambda i: key[:i] + key[i + 1:i + 2] + key[i:i + 1] + key[i + 2:]),  # swapped
        st.tuples(index, st.sampled_from("aeiorstnx")).map(lambda p: key[:p[0]] + p[1] + key[p[0] + 1:]),
        st.just(key[:1].upper() + key[1:]), st.just(key.replace("_", "-")), st.just(key + "s"),
    ).filter(lambda typo: re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", typo) is not None)


@way("unknown key", lambda: _by_key([(d, e, mapping_keys(d, e.path[:-1])) for d, e in entries(
    lambda d, e: e.key is not None and e.path[-1] in (mapping_keys(d, e.path[:-1]) or ()))]), weight=4)
def _typo_key(draw, group) -> Made:
    """A typo of a real key at any level whose keys are fixed: renamed in place, or added beside it."""
    document, entry, allowed = _value(draw, group)
    typo = draw(_typos(entry.path[-1]).filter(lambda t: t not in allowed))
    expect = at(document, entry.path[:-1] + (typo,))
    if draw(st.booleans()):
        return f"{format_path(entry.path)} renamed {typo!r}", document, [rename_key(document, entry.path, typo)], expect
    value = type(entry.value)() if kind_of(entry.value) in ("list", "map") else _plain_value(entry.value)
    return (f"{typo!r} added beside {format_path(entry.path)}", document,
            [add_key(document, entry.path[:-1], typo, render(value))], expect)


def _plain_value(value: Any) -> Any:
    """A sample value as JSON can write it (YAML timestamps as ISO text)."""
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    return value.isoformat() if isinstance(value, (datetime, date)) else value


# --- removed required keys

# Mappings that must name exactly one of some keys (model validators): removing the one there is reported at
# the mapping.
ONE_OF = {"objects": ("table", "schema"), "workspace": ("host", "profile"), "backend": ("azurerm", "s3", "gcs")}


def _required(document: Document, entry: Entry) -> Expect | None:
    """Where removing `entry` from its mapping must be reported, if the validators require it there."""
    parent = slot(document, entry.path[:-1]) if entry.key is not None else None
    if parent is None or parent.zone == "settings":
        return None
    key, present = entry.path[-1], document.entries[entry.path[:-1]].value
    if key in parent.required:
        return at(document, entry.path)
    if key in parent.required_here:
        return at(document, entry.path[:-1], text=f"'{key}'")
    if parent.zone == "model" and sum(k in present for k in ONE_OF.get(parent.field, ())) == 1 \
            and key in ONE_OF[parent.field]:
        return at(document, entry.path[:-1])
    if parent.zone == "job" and parent.field == "tasks" and key.endswith("_task") \
            and sum(str(k).endswith("_task") for k in present) == 1:
        return at(document, entry.path[:-1], text="has no task type")
    if parent.zone == "model" and len(entry.path) == 4 and entry.path[::2] == ("connectors", "settings"):
        source = source_of(document.entries[entry.path[:2]].value)
        setting = source_spec(source).settings.get(key) if source else None
        return at(document, entry.path) if setting is not None and setting.required else None
    return None


@way("removed required key", lambda: _by_key([(d, e, _required(d, e)) for d, e in entries(_required)]), weight=6)
def _remove_required(draw, group) -> Made:
    """A required key removed: one the model or the Jobs API schema requires, the only one of 'table'/'schema'
    or 'host'/'profile', a task's only task type, a setting its source requires."""
    document, entry, expect = _value(draw, group)
    return f"{format_path(entry.path)} removed", document, [remove_key(document, entry.path)], expect


# --- YAML structure


def _syntax(document: Document, first: int, last: int, text: str = "") -> Expect:
    return Expect("(yaml)" if document is sample().config else "(file)", document.name, (first, last), text=text)


def _block_columns(document: Document) -> set[int]:
    """Every column a block key or '- ' starts at: an indentation none of them has means nothing in the file."""
    columns = set()
    for entry in document.entries.values():
        if entry.key is not None and isinstance(entry.parent, MappingNode) and not entry.parent.flow_style:
            columns.add(entry.key.start_mark.column)
        if isinstance(entry.parent, SequenceNode) and not entry.parent.flow_style:
            dash = document.text.rfind("-", 0, entry.node.start_mark.index)
            columns.add(dash - document.line_start(dash))
    return columns


def _next_content_line(document: Document, line: int) -> int:
    """The first line after `line` with something other than blanks and comments (or the file's end)."""
    lines = document.text.split("\n")
    return next((n for n in range(line + 1, len(lines) + 1)
                 if lines[n - 1].strip() and not lines[n - 1].strip().startswith("#")), _line_count(document))


def _line_count(document: Document) -> int:
    """The last line a reader can name: the one after the final newline, where the end of the file is."""
    return document.text.count("\n") + 1


def _unclosed_noticed(document: Document, path: tuple, bracket: str) -> int:
    """The last line at which a reader can notice a missing closing bracket: the brackets after it close the
    enclosing collections one level early, until one of the other kind (']' for '}') does not fit; block context
    ends a flow collection at the next line with content; and the file's end ends everything."""
    outermost = path
    for depth in range(len(path) - 1, -1, -1):
        ancestor = document.entries[path[:depth]].node
        if not (isinstance(ancestor, (MappingNode, SequenceNode)) and ancestor.flow_style):
            return _next_content_line(document, document.line_of(content_end(document.entries[outermost].node)))
        if (bracket == "}") == isinstance(ancestor, SequenceNode):
            return document.line_of(content_end(ancestor))
        outermost = path[:depth]
    return _line_count(document)


@way("yaml structure", lambda: entries(lambda d, e: e.key is not None
                                       and d.line_of(e.key.start_mark.index) == d.line_of(content_end(e.node))))
def _duplicate_key(draw, target) -> Made:
    document, entry = target
    key, value = entry.key, entry.node
    source = f"{document.text[key.start_mark.index:key.end_mark.index]}: " \
             f"{document.text[value.start_mark.index:content_end(value)]}"
    end = content_end(value) if entry.parent.flow_style else document.line_end(content_end(value))
    line = document.line_of(content_end(value)) + 1
    return (f"{format_path(entry.path)} written twice", document,
            [Edit(end, end, ("," if entry.parent.flow_style else "") + "\n" + " " * key.start_mark.column + source)],
            _syntax(document, line, line, "duplicate key"))


@way("yaml structure", lambda: sample().documents)
def _version_directive(draw, document) -> Made:
    """A %YAML 1.1 directive (after the leading comments, or first)."""
    version = _value(draw, ["1.1", "1.0", "1.1 # the old rules"])
    comments = re.match(r"(?:#[^\n]*\n)*", document.text)
    assert comments is not None  # the pattern matches the empty string too
    lead = comments.end() if draw(st.booleans()) else 0
    line = document.line_of(lead)
    return (f"%YAML {version} at line {line}", document, [Edit(lead, lead, f"%YAML {version}\n---\n")],
            _syntax(document, line, line, "%YAML"))


def _shiftable(document: Document, entry: Entry) -> list[int]:
    """How far a key line may move to an indentation that means nothing (not the first key of its mapping)."""
    if document is not sample().config or entry.key is None or not isinstance(entry.parent, MappingNode) \
            or entry.parent.flow_style or entry.parent.value[0][0] is entry.key \
            or not document.only_indent_before(entry.key.start_mark.index):
        return []
    column = entry.key.start_mark.column
    return [s for s in (1, -1) if column + s > 0 and column + s not in _block_columns(document)]


@way("yaml structure", lambda: [(d, e, _shiftable(d, e)) for d, e in entries(_shiftable)])
def _indentation(draw, target) -> Made:
    document, entry, shifts = target
    start = document.line_start(entry.key.start_mark.index)
    line, shift = document.line_of(start), _value(draw, shifts)
    edit = Edit(start, start, " ") if shift == 1 else Edit(start, start + 1, "")
    return f"line {line} indented by {shift:+d}", document, [edit], _syntax(document, line, line)


@way("yaml structure", lambda: entries(_shiftable))
def _tab(draw, target) -> Made:
    """A tab in the indentation (JSON has none to break: there a tab is white space)."""
    document, entry = target
    start = document.line_start(entry.key.start_mark.index)
    line = document.line_of(start)
    edit = _value(draw, [Edit(start, start + entry.key.start_mark.column, "\t"), Edit(start, start, "\t")])
    return f"tab in the indentation of line {line}", document, [edit], _syntax(document, line, line)


@way("yaml structure", lambda: entries(lambda d, e: isinstance(e.node, (MappingNode, SequenceNode))
                                       and e.node.flow_style))
def _unclosed_bracket(draw, target) -> Made:
    document, entry = target
    close = content_end(entry.node) - 1
    return (f"closing {document.text[close]!r} of {format_path(entry.path) or 'the file'} removed", document,
            [Edit(close, close + 1, "")],
            _syntax(document, document.line_of(close), _unclosed_noticed(document, entry.path, document.text[close])))


@way("yaml structure", lambda: entries(lambda d, e: isinstance(e.node, ScalarNode) and e.node.style == '"'))
def _unclosed_quote(draw, target) -> Made:
    """The string then runs to the next quote, which the reader can notice at the latest."""
    document, entry = target
    close = entry.node.end_mark.index - 1
    following = document.text.find('"', close + 1)
    last = document.line_of(following) if following >= 0 else _line_count(document)
    return (f"closing quote of {format_path(entry.path)} removed", document, [Edit(close, close + 1, "")],
            _syntax(document, document.line_of(close), last))


@way("yaml structure", lambda: entries(lambda d, e: isinstance(e.node, ScalarNode) and isinstance(e.value, str)
                                       and len(e.value) > 1 and d.line_of(e.node.start_mark.index)
                                       == d.line_of(e.node.end_mark.index)))
def _control_character(draw, target) -> Made:
    """A control character YAML does not allow (one pasted along with a value), inside a string."""
    document, entry = target
    start = entry.node.start_mark.index + (1 if entry.node.style in ('"', "'") else 0)
    where = start + draw(st.integers(1, len(entry.value) - 1))
    character = _value(draw, ["\x07", "\x00", "\x1b", "\x7f", "\x0c"])
    line = document.line_of(where)
    return (f"{character!r} inside {format_path(entry.path)}", document, [Edit(where, where, character)],
            _syntax(document, line, line))


@way("yaml structure", lambda: entries(lambda d, e: isinstance(e.node, ScalarNode) and e.node.style is None
                                       and kind_of(e.value) == "int" and e.value >= 0))
def _ambiguous_number(draw, target) -> Made:
    """An integer written as 0755, 1_000, 0o17 or 0b11, which YAML 1.1 and 1.2 tools read differently."""
    document, entry = target
    number = int(entry.value)
    written = _value(draw, ["0" + str(number), f"{number:_}" if number >= 1000 else f"{number}_0", f"0o{number:o}",
                            f"0b{number:b}"])
    return (f"{format_path(entry.path)} written {written}", document,
            [Edit(entry.node.start_mark.index, entry.node.end_mark.index, written)], at(document, entry.path))


# --- cron


# --- hostile YAML: refused before anything is built


@way("hostile yaml", lambda: entries(lambda d, e: (isinstance(e.node, ScalarNode) and e.node.end_mark.index
                                                   > e.node.start_mark.index) or getattr(e.node, "flow_style", False)))
def _tag(draw, target) -> Made:
    """A tag in front of a value, list or mapping (some readers build objects from them)."""
    document, entry = target
    tag = _value(draw, ["!foo", "!include", "!!python/object:os.system", "!!python/object/apply:os.system",
                        "!!binary", "!<tag:example.com,2024:x>"])
    start = entry.node.start_mark.index
    line = document.line_of(start)
    return (f"{tag} on {format_path(entry.path)}", document, [Edit(start, start, tag + " ")],
            _syntax(document, line, line, f"the tag {tag.strip('!<>') if tag.startswith('!<') else tag} "))


@way("hostile yaml", lambda: [d for d in sample().documents if d.name.endswith((".yaml", ".yml"))])
def _alias_bomb(draw, document) -> Made:
    """Billion laughs appended: each line's list repeats the previous line's `width` times."""
    width = draw(st.integers(2, 12))
    bomb = f"lol0: &lol0 [{', '.join(['lol'] * width)}]\n" + "".join(
        f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * width)}]\n" for n in range(1, 30))
    end = len(document.text)
    lead = "" if document.text.endswith("\n") else "\n"
    first = document.line_of(end) + len(lead)
    return (f"an alias bomb of width {width} appended", document, [Edit(end, end, lead + bomb)],
            _syntax(document, first, first + 29, "alias bomb"))


@way("hostile yaml", lambda: entries(lambda d, e: e.key is not None))
def _deep_nesting(draw, target) -> Made:
    document, entry = target
    depth = draw(st.integers(101, 3000))
    opening, closing = _value(draw, [("[", "]"), ("{a: ", "}")])
    line = document.line_of(entry.key.start_mark.index)
    return (f"{format_path(entry.path)} nested {depth} deep", document,
            [set_value(document, entry.path, opening * depth + "1" + closing * depth)],
            _syntax(document, line, line, "nested more than 100 deep"))


@way("hostile yaml", lambda: entries(lambda d, e: e.key is not None and isinstance(e.node, ScalarNode)))
def _over_long_value(draw, target) -> Made:
    document, entry = target
    length = draw(st.integers(10_001, 50_000))
    line = document.line_of(entry.key.start_mark.index)
    return (f"{format_path(entry.path)} {length} characters long", document,
            [set_value(document, entry.path, render("x" * length))],
            _syntax(document, line, line, "limited to 10,000 characters"))


@way("hostile yaml", lambda: sample().documents)
def _second_document(draw, document) -> Made:
    appended = _value(draw, ["---\n", "--- {}\n", "---\nenvironments: {}\n", "...\n---\nx: 1\n"])
    end = len(document.text)
    lead = "" if document.text.endswith("\n") else "\n"
    first = document.line_of(end) + len(lead)
    return ("a second document appended", document, [Edit(end, end, lead + appended)],
            _syntax(document, first, first + 1, "a second YAML document"))


def _rule_is(*rules: Rule) -> Callable[[Document, Entry], bool]:
    return lambda d, e: isinstance(e.node, ScalarNode) and isinstance(e.value, str) and rule_for(d, e.path) in rules


def _crons() -> list[tuple[Document, Entry]]:
    return entries(lambda d, e: isinstance(e.node, ScalarNode) and isinstance(e.value, str)
                   and (slot(d, e.path) or Slot(frozenset(), "")).field in ("schedule", "quartz_cron_expression"))


def _bad_cron(how: str) -> Callable[[Any, Any], Made]:
    def make(draw, target) -> Made:
        """An invalid Quartz expression in a connector's or a job's schedule: one way per kind of error."""
        document, entry = target
        expression = draw(bad_quartz(how))
        return (f"{format_path(entry.path)} = {expression!r}", document,
                [set_value(document, entry.path, render(expression))],
                at(document, entry.path, text=QUARTZ_ERRORS[how]))
    return make


for _how in QUARTZ_ERRORS:
    way("cron", _crons)(_bad_cron(_how))


@way("cron", lambda: entries(_rule_is(_time_zone)))
def _bad_time_zone(draw, target) -> Made:
    document, entry = target
    value = _value(draw, _time_zone(entry.value))
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, text="time zone"))


# --- names


NAME_RULES: tuple[Rule, ...] = (_identifier, _environment, _scope, _secret, _principal, _group, _privileged_group,
                                _email, _host, _workspace_dir, _tag_key, _destination_schema, _source_object)


def _bad_name(draw, target) -> Made:
    """A name its rule refuses: bad characters, too long, a broad group, a display name for an id, a secret's
    value where its name belongs (which no message may repeat)."""
    document, entry = target
    rule = rule_at(document, entry.path)
    value = _value(draw, rule(entry.value))
    secret = [Secret(value)] if rule is _secret and value in _secret_values(entry.value) else []
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path), *secret)


for _rule in NAME_RULES:  # one way per rule: each rule gets its share, however many names the sample has
    way("names", functools.partial(entries, _rule_is(_rule)))(_bad_name)


def _key_rule(document: Document, entry: Entry) -> Rule | None:
    """The rule of the keys of an open mapping (environments, tags, variables, per-environment maps, jobs)."""
    container = slot(document, entry.path[:-1]) if entry.key is not None else None
    if container is None or container.zone != "model" or container.keys is not None:
        return None
    return RULES.get(("model", container.field, "key"))


def _bad_key(draw, target) -> Made:
    document, entry, rule = target
    key = _value(draw, [k for k in rule(entry.path[-1]) if k.strip()])
    return (f"key {format_path(entry.path)} renamed {key!r}", document, [rename_key(document, entry.path, key)],
            at(document, entry.path[:-1] + (key,)))


def _keys_for(rule: Rule) -> list[tuple[Document, Entry, Rule]]:
    """The keys of open mappings whose rule is `rule`, each with it."""
    return [(d, e, rule) for d, e in entries(lambda d, e: _key_rule(d, e) is rule)]


for _rule in NAME_RULES:
    way("names", functools.partial(_keys_for, _rule))(_bad_key)


def _names_environment(value: str, env: str) -> bool:
    """README: a value names an environment when the environment's name is one of its words."""
    return env.lower() in re.split(r"[^a-z0-9]+", value.lower())


# A name given where it is taken: (what, document, path, value, where it may be reported).
Conflict = tuple[str, Document, tuple, str, tuple[Expect, ...]]


def _duplicates() -> list[Conflict]:
    """(what, document, path, value, where it may be reported): a name given twice where it must be unique; a
    conflict has two sides, and either may be the one reported."""
    config = sample().config
    found: list[Conflict] = []

    def pair(what: str, document: Document, target: tuple, value: Any, sides: list[tuple], text: str) -> None:
        found.append((what, document, target, value, tuple(at(document, s, text=text) for s in sides)))

    named = _connectors()
    for i, first in named:
        for j, second in named:
            if i != j and first["name"] != second["name"]:
                pair("connector name", config, ("connectors", j, "name"), first["name"],
                     [("connectors", k, "name") for k in (i, j)], "already the name")
    envs = _environments()
    for setting in ("catalog", "run_as", "workspace_dir", "secret_scope"):
        for a, b in ((a, b) for a in envs for b in envs if a != b):
            value = envs[a].get(setting)
            if isinstance(value, str) and isinstance(envs[b].get(setting), str) and (
                    setting in ("catalog", "run_as") or _names_environment(value, a)):
                pair(f"environments' {setting}", config, ("environments", b, setting), value,
                     [("environments", e, setting) for e in (a, b)], "environment")
    jobs = [(d, j, d.entries[j].value.get("name")) for d, j in _jobs()]
    for document, job, name in jobs:
        for other_document, other, other_name in jobs:
            if isinstance(name, str) and (other_document, other) != (document, job):
                sides = [at(document, job + ("name",), text="already the name")] + (
                    [at(other_document, other + ("name",), text="already the name")] if other_name else [])
                found.append(("job name", document, job + ("name",), other_name or other[-1], tuple(sides)))
    tasks = [(d, job, task, d.entries[task].value.get("task_key")) for d, job, task in _tasks()]
    for document, job, task, key in tasks:
        for other_document, other_job, other, other_key in tasks:
            if (other_document, other_job) == (document, job) and task != other and isinstance(key, str) \
                    and other_key:
                pair("task key", document, other + ("task_key",), key, [task + ("task_key",), other + ("task_key",)],
                     "already the task_key")
    for i, connector in named:
        objects = connector.get("objects") if connector.get("kind") == "lakeflow_connect" else None
        tables = [(k, o["table"]) for k, o in enumerate(objects or []) if isinstance(o, dict)
                  and isinstance(o.get("table"), str) and not {"destination_table", "destination_schema"} & set(o)]
        # Object `changed` takes object `kept`'s table: both then land in it, in the connector's destination schema.
        for (kept, table), (changed, _) in ((x, y) for x in tables for y in tables if x[1] != y[1]):
            pair("destination table", config, ("connectors", i, "objects", changed, "table"), table,
                 [("connectors", i, "objects", k) for k in (kept, changed)],
                 f"lands in table '{connector.get('destination_schema')}.{table}'")
        connection = connector.get("connection")
        if connector.get("kind") != "lakeflow_connect" or not isinstance(connection, dict):
            connection = {}
        for a, b in ((a, b) for a in connection for b in connection if a != b):
            if a in envs and b in envs and isinstance(connection[a], str) \
                    and envs[a].get("workspace") != envs[b].get("workspace"):
                pair("connection", config, ("connectors", i, "connection", b), connection[a],
                     [("connectors", i, "connection", e) for e in (a, b)], "")
    return found


def _reserved() -> list[Conflict]:
    """Names that are taken: a job named like a connector's job."""
    return [("job named like a connector's job", d, job + ("name",), f"{c['name']}-connector",
             (at(d, job + ("name",), text="connector"),))
            for d, job in _jobs() if isinstance(d.entries[job].value.get("name"), str) for _, c in _connectors()]


def _duplicate_name(draw, target) -> Made:
    what, document, path, value, sides = target
    return f"{what}: {format_path(path)} = {value!r}", document, [set_value(document, path, render(value))], *sides


def _duplicates_of(what: str) -> list[Conflict]:
    return [d for d in _duplicates() if d[0].startswith(what)]


for _what in ("connector name", "environments'", "job name", "task key", "destination table", "connection"):
    way("names", functools.partial(_duplicates_of, _what))(_duplicate_name)


@way("names", lambda: [(key, name) for key in sample().config.entries[()].value.get("jobs") or {}
                       for _, c in _connectors() for name in [c["name"]]])
def _job_key_of_a_connector(draw, target) -> Made:
    """A job keyed like a connector: ${resources.jobs.<name>.id} would mean two jobs."""
    key, name = target
    config = sample().config
    return (f"key jobs.{key} renamed {name!r}", config, [rename_key(config, ("jobs", key), name)],
            at(config, ("jobs", name), exact=True, text="connector"))


@way("names", _reserved)
def _reserved_name(draw, target) -> Made:
    what, document, path, value, sides = target
    return f"{what}: {format_path(path)} = {value!r}", document, [set_value(document, path, render(value))], *sides


# --- references


def _job_string(document: Document, entry: Entry) -> bool:
    """A non-empty string of a job definition (`format`, which the platform drops unread, has no slot), outside
    a for_each task (where {{input}} is known): what is appended to it then makes it wrong."""
    found = slot(document, entry.path) if isinstance(entry.node, ScalarNode) else None
    return (found is not None and found.zone == "job" and isinstance(entry.value, str) and entry.value != ""
            and "for_each_task" not in entry.path)


def _job_ids() -> list[tuple[Document, Entry]]:
    return entries(lambda d, e: e.path[-2:] == ("run_job_task", "job_id"))


@way("references", _job_ids)
def _unknown_job(draw, target) -> Made:
    document, entry = target
    name = draw(_unknown(_job_keys()))
    return (f"{format_path(entry.path)} runs job {name!r}", document,
            [set_value(document, entry.path, render(f"${{resources.jobs.{name}.id}}"))],
            at(document, entry.path, text="names no job"))


@way("references", _job_ids)
def _literal_job_id(draw, target) -> Made:
    """A job id written as a number: it differs per workspace (the schema takes it; only the platform refuses)."""
    document, entry = target
    value = draw(st.integers(1, 10 ** 12))
    return (f"{format_path(entry.path)} = {value}", document, [set_value(document, entry.path, str(value))],
            at(document, entry.path, text="literal job id"))


@way("references", lambda: entries(_job_string))
def _dynamic_value(draw, target) -> Made:
    """A {{...}} reference the Jobs service does not have, or not here: appended to any string of a job."""
    document, entry = target
    inner = _value(draw, ["job.parameters.undeclared_param", "job.runid", "tasks.no_such_task.values.n", "start_date",
                          "job.start_time", "input", "task.nam"])
    return (f"{format_path(entry.path)} += '{{{{{inner}}}}}'", document,
            [set_value(document, entry.path, render(entry.value + "{{" + inner + "}}"))],
            at(document, entry.path, text=inner))


@way("references", lambda: entries(_job_string))
def _substitution(draw, target) -> Made:
    """A ${...} the platform does not substitute: unknown names, undefined variables, partial references."""
    document, entry = target
    inner = _value(draw, ["env.catalogue", "var.undefined_variable", "bundle.name", "workspace.host",
                          "resources.jobs.nope", "env", "resources.jobs.github.id"])
    return (f"{format_path(entry.path)} += '${{{inner}}}'", document,
            [set_value(document, entry.path, render(entry.value + "${" + inner + "}"))],
            at(document, entry.path, text=inner))


@way("references", _tasks)
def _unknown_dependency(draw, target) -> Made:
    """depends_on a task the job does not have, or the task itself (a cycle)."""
    document, job, task = target
    keys = {t.get("task_key") for t in document.entries[job].value.get("tasks") or [] if isinstance(t, dict)}
    own = document.entries[task].value.get("task_key")
    cycle = isinstance(own, str) and draw(st.booleans())
    name = own if cycle else draw(_unknown(keys))
    existing = document.entries[task].value.get("depends_on") or []
    if existing and not cycle and draw(st.booleans()):
        path = task + ("depends_on", 0, "task_key")
        return (f"{format_path(path)} = {name!r}", document, [set_value(document, path, render(name))],
                at(document, path, text=name))
    edit = add_item(document, task + ("depends_on",), render({"task_key": name})) if existing else \
        add_key(document, task, "depends_on", render([{"task_key": name}]))
    expect = at(document, task + ("depends_on",), exact=True, text="cycle") if cycle else \
        at(document, task + ("depends_on", len(existing), "task_key"), text=name)
    return f"{format_path(task)} depends on {name!r}", document, [edit], expect


@way("references", lambda: entries(lambda d, e: e.path[-1:] in (("job_cluster_key",), ("environment_key",))
                                   and e.path[-3:-1][:1] == ("tasks",) and isinstance(e.value, str)))
def _unknown_cluster(draw, target) -> Made:
    document, entry = target
    value = entry.value + "_x"
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, text=value))


def _relative_notebooks() -> list[tuple[Document, Entry]]:
    return entries(lambda d, e: e.path[-2:] == ("notebook_task", "notebook_path") and isinstance(e.value, str)
                   and not e.value.startswith("/") and "{{" not in e.value)


def _sibling(path: str, name: str) -> str:
    return (path.rsplit("/", 1)[0] + "/" if "/" in path else "") + name


@way("references", _relative_notebooks)
def _missing_notebook(draw, target) -> Made:
    """A relative notebook path to no file of notebooks/, or to a module that is no notebook."""
    document, entry = target
    plain = sorted(p.name for p in (SAMPLE_DIR / "notebooks").glob("*.py")
                   if not p.read_text(encoding="utf-8").startswith("# Databricks notebook source"))
    value = _sibling(entry.value, _value(draw, ["no_such_notebook.py", *plain]))
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, text=value))


@way("references", lambda: entries(lambda d, e: e.path[-2:-1] == ("table_names",) and isinstance(e.value, str)))
def _unknown_table(draw, target) -> Made:
    """A table_update trigger on a two-part name, or on a silver table no connector writes."""
    document, entry = target
    options = [".".join(entry.value.split(".")[-2:])]
    if "${env.silver_schema}." in entry.value:
        options += [entry.value + "x", entry.value.rsplit(".", 1)[0] + ".no_such_table"]
    value = _value(draw, options)
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path))


def _secret_lists() -> list[tuple[int, list[str], list]]:
    """Batch connectors with the secret names their source reads ('<connector>-<role>') and those declared."""
    return [(i, [f"{c['name']}-{role}" for role in source_spec(source).secrets], c["secrets"])
            for i, c in _connectors() if (source := source_of(c)) and isinstance(c.get("secrets"), list)]


def _not_read(draw: Any, index: int, expected: list[str]) -> str:
    name = sample().config.entries[("connectors", index, "name")].value
    others = [s for _, names, _ in _secret_lists() for s in names]
    return draw(st.sampled_from([*others, f"{name}_token", f"{name}-tokn", f"{name}-old-token", "shared-token"])
                .filter(lambda s: s not in expected))


@way("references", _secret_lists)
def _secret_not_read(draw, target) -> Made:
    """A secret name the connector's source does not read (not '<connector>-<role>'), instead of one or added."""
    index, expected, declared = target
    config, path = sample().config, ("connectors", index, "secrets")
    value = _not_read(draw, index, expected)
    if declared and draw(st.booleans()):
        position = draw(st.integers(0, len(declared) - 1))
        return (f"{format_path(path + (position,))} = {value!r}", config,
                [set_value(config, path + (position,), render(value))],
                at(config, path + (position,), text="is not read by"))
    return (f"{format_path(path)} += {value!r}", config, [add_item(config, path, render(value))],
            at(config, path + (len(declared),), text="is not read by"))


@way("references", lambda: [(i, k) for i, expected, declared in _secret_lists()
                            for k, s in enumerate(declared) if s in expected])
def _secret_missing(draw, target) -> Made:
    index, position = target
    config, path = sample().config, ("connectors", index, "secrets", position)
    return (f"{format_path(path)} removed", config, [remove_item(config, path)],
            at(config, path[:-1], exact=True, text="add"))


def _other_environment(draw: Any) -> str:
    return draw(st.sampled_from(["staging", "qa", "preprod", "test"]).filter(lambda e: e not in _environments()))


@way("references", lambda: [(i, c, m, env) for i, c in _connectors()
                            for m in ("run_as", "connection", "acknowledge_data_loss")
                            if isinstance(c.get(m), dict) for env in c[m]])
def _unknown_environment_key(draw, target) -> Made:
    """A per-environment map naming an environment the file does not have."""
    index, connector, setting, old = target
    config, env = sample().config, _other_environment(draw)
    path = ("connectors", index, setting)
    return (f"{format_path(path + (old,))} renamed {env!r}", config, [rename_key(config, path + (old,), env)],
            at(config, path + (env,), text="not an environment"))


@way("references", _connectors)
def _unknown_environment_run_as(draw, target) -> Made:
    index, connector = target
    config, env = sample().config, _other_environment(draw)
    principal = "7f1c2a9e-5d03-4a3e-8b6d-9e4d2b170c5f"
    path = ("connectors", index)
    edit = add_key(config, path + ("run_as",), env, render(principal)) if isinstance(connector.get("run_as"), dict) \
        else add_key(config, path, "run_as", render({env: principal}))
    return f"{format_path(path)}.run_as.{env} added", config, [edit], at(config, path + ("run_as", env))


# --- identities: one environment's principal or catalog used in another


def _env_pairs(setting: str) -> list[tuple[str, str, str]]:
    """(owner, user, value): environment `owner`'s `setting`, to be named in environment `user`."""
    envs = _environments()
    return [(a, b, envs[a][setting]) for a in envs for b in envs
            if a != b and isinstance(envs[a].get(setting), str) and envs[a][setting] != envs[b].get(setting)]


@way("identities", lambda: [(i, c, pair) for i, c in _connectors() for pair in _env_pairs("run_as")])
def _foreign_connector_run_as(draw, target) -> Made:
    """A connector's per-environment run_as naming the other environment's service principal."""
    index, connector, (owner, env, principal) = target
    config, path = sample().config, ("connectors", index, "run_as")
    run_as = connector.get("run_as")
    edit = (set_value(config, path + (env,), render(principal)) if isinstance(run_as, dict) and env in run_as
            else add_key(config, path, env, render(principal)) if isinstance(run_as, dict)
            else add_key(config, path[:-1], "run_as", render({env: principal})))
    return f"{format_path(path)}.{env} = {owner}'s run_as", config, [edit], at(config, path + (env,))


@way("identities", lambda: [(d, j, pair) for d, j in _jobs() if d is sample().config
                            and "run_as" not in d.entries[j].value for pair in _env_pairs("run_as")])
def _foreign_job_run_as(draw, target) -> Made:
    """A job of the jobs section run as one environment's service principal: in the other, it is foreign."""
    document, job, (owner, _, principal) = target
    return (f"{format_path(job)}.run_as = {owner}'s run_as", document,
            [add_key(document, job, "run_as", render({"service_principal_name": principal}))],
            at(document, job + ("run_as",)))


@way("identities", lambda: [(d, e, pair) for d, e in entries(_job_string) if "${env.catalog}" in e.value
                            for pair in _env_pairs("catalog")])
def _foreign_catalog_in_another_case(draw, target) -> Made:
    """A jobs-section value naming one environment's catalog in another case (Unity Catalog names ignore case)."""
    document, entry, (owner, _, catalog) = target
    written = _value(draw, [catalog.upper(), catalog[:1].upper() + catalog[1:], catalog.swapcase().title()])
    value = entry.value.replace("${env.catalog}", written)
    return (f"{format_path(entry.path)} = {value!r} ({owner}'s catalog)", document,
            [set_value(document, entry.path, render(value))], at(document, entry.path))


@way("names", lambda: [(d, j) for d, j in _jobs() if isinstance(d.entries[j].value.get("name"), str)])
def _look_alike_job_name(draw, target) -> Made:
    """A job's name with an invisible character, a bidi control or a letter of another script."""
    document, job = target
    name = _value(draw, _look_alikes(document.entries[job].value["name"]))
    return (f"{format_path(job + ('name',))} = {name!r}", document,
            [set_value(document, job + ("name",), render(name))], at(document, job + ("name",)))

# --- secrets: credentials in connector settings (their job's base_parameters), secret references in jobs
# (README "Mistakes are caught", docs/jobs.md): the fakes below only have the shapes of credentials.

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"


def _chars(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=size, max_size=size)


def _fake_token() -> st.SearchStrategy[tuple[str, str]]:
    """(what the error calls it, a made-up token of that shape)."""
    return st.one_of(
        st.tuples(st.sampled_from("pousr"), _chars(_ALNUM, 36)).map(lambda t: ("a GitHub token", f"gh{t[0]}_{t[1]}")),
        _chars(_ALNUM + "_", 59).map(lambda s: ("a GitHub token", "github_pat_" + s)),
        _chars(_HEX, 32).map(lambda s: ("a Databricks token", "dapi" + s)),
        st.tuples(st.sampled_from(["AKIA", "ASIA"]), _chars(_ALNUM[:26] + _HEX[:10], 16)).map(
            lambda t: ("an AWS access key", t[0] + t[1])),
        _chars(_ALNUM + "_-", 20).map(lambda s: ("a GitLab token", "glpat-" + s)),
        st.tuples(st.sampled_from("abprs"), _chars(_HEX[:10], 12), _chars(_ALNUM, 24)).map(
            lambda t: ("a Slack token", f"xox{t[0]}-{t[1]}-{t[2]}")),
        st.tuples(st.sampled_from("pua"), _chars(_HEX, 40)).map(lambda t: ("a SonarQube token", f"sq{t[0]}_{t[1]}")),
        _chars(_ALNUM + "_-", 48).map(lambda s: ("an API key", "sk-" + s)),
        st.tuples(_chars(_ALNUM, 22), _chars(_ALNUM + "_-", 43)).map(
            lambda t: ("a JSON web token", f"eyJhbGciOiJIUzI1NiJ9.eyJ{t[0]}.{t[1]}")),
        _chars(_ALNUM, 64).map(lambda s: ("a private key", f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{s}\n"
                                                           "-----END RSA PRIVATE KEY-----")),
    )


_PASSWORDS = ["Tr0ub4dor-and-3", "hunter2hunter2", "s3cr3t.Pa55!", "Zq7kM2pW9xLr"]
_URLS_WITH_PASSWORD = ["https://svc-appsec:{}@sonarqube.example.com", "postgresql://appsec:{}@db.example.com:5432/findings",
                       "jdbc:mysql://reporter:{}@mysql.example.com:3306/cmdb",
                       "mongodb+srv://ingest:{}@cluster0.example.net/appsec?retryWrites=true", "redis://:{}@cache:6379/0"]
_CREDENTIAL_KEYS = ["client_secret", "api_token", "db_password", "fs.azure.account.key.appsecdata.dfs.core.windows.net",
                    "spark.hadoop.fs.s3a.secret.key", "apiKey", "AWS_SECRET_ACCESS_KEY", "private-key", "passphrase"]


def _setting_strings() -> list[tuple[Document, Entry]]:
    """Every string of a connector's settings (a setting, an item or entry of one)."""
    return entries(lambda d, e: d is sample().config and e.path[::2][:2] == ("connectors", "settings")
                   and len(e.path) >= 4 and isinstance(e.value, str))


@way("secrets", _setting_strings)
def _password_in_url(draw, target) -> Made:
    """A setting written as a URL with 'user:password@', in a scheme of the web, a database or a driver."""
    document, entry = target
    password = _value(draw, _PASSWORDS)
    url = _value(draw, _URLS_WITH_PASSWORD).format(password)
    return (f"{format_path(entry.path)} = {url!r}", document, [set_value(document, entry.path, render(url))],
            at(document, entry.path, text="has a password in its URL"), Secret(password))


@way("secrets", _setting_strings)
def _token_in_setting(draw, target) -> Made:
    """A setting holding a token of a known shape, as the whole value or after a word."""
    document, entry = target
    what, token = draw(_fake_token())
    value = _value(draw, ["{}", "Bearer {}"]).format(token)
    return (f"{format_path(entry.path)} = {what}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, text=f"is {what}"), Secret(token))


@way("secrets", lambda: [(i, c) for i, c in _connectors() if isinstance(c.get("settings"), dict) and c["settings"]])
def _credential_setting(draw, target) -> Made:
    """A new setting whose key holds a credential (any part of a dotted, snake, kebab or camelCase key), with a
    literal value."""
    index, _ = target
    config, path = sample().config, ("connectors", index, "settings")
    key, literal = _value(draw, _CREDENTIAL_KEYS), _value(draw, ["changeme", "Summer2024!", "c0rrect-horse-battery"])
    return (f"{format_path(path)}.{key} = {literal!r}", config, [add_key(config, path, key, render(literal))],
            at(config, path + (key,), text="holds a credential"), Secret(literal))


def _in_cluster_field(path: tuple) -> bool:
    """A value of a cluster's spark_conf or spark_env_vars, where Databricks resolves {{secrets/...}}."""
    return len(path) >= 3 and path[-3] == "new_cluster" and path[-2] in ("spark_conf", "spark_env_vars")


# A value that must be one substitution, whole (a job's or pipeline's id, silver tables standing for several list
# items): anything appended to it is first of all reported as that (one mistake, one message).
WHOLE_VALUE = re.compile(r"\$\{(?:resources\.[^{}]*|connectors\.sources\.[^{}]*\.tables\.[^{}]*)\}")


def _free_text(document: Document, entry: Entry) -> bool:
    """A string of a job that takes any text (not a choice of values, not a job reference, not silver tables)."""
    return (_job_string(document, entry) and slot_at(document, entry.path).kinds == {"str"}
            and not slot_at(document, entry.path).enum
            and entry.path[-2:] != ("run_job_task", "job_id") and not WHOLE_VALUE.fullmatch(entry.value))


@way("secrets", lambda: entries(lambda d, e: _free_text(d, e) and not _in_cluster_field(e.path)))
def _secret_reference_outside_a_cluster(draw, target) -> Made:
    """{{secrets/<scope>/<key>}} where Databricks does not resolve it (a notebook's base_parameters, a job
    parameter, a description, a task key...): the whole value of an open mapping's entry, in a URL, or
    appended to the value."""
    document, entry = target
    reference = "{{secrets/" + _value(draw, ["mvp-connectors", "${env.secret_scope}", "shared"]) + "/" \
        + _value(draw, ["jira-token", "db-password"]) + "}}"
    if slot_at(document, entry.path).role == "entry":
        value = _value(draw, [reference, f"https://svc:{reference}@db.example.com"])
    else:
        value = entry.value + reference
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, text="is a secret reference, which Databricks resolves only"))


def _cluster_places() -> list[tuple[Document, tuple]]:
    """Where a cluster's spark_conf can be written: each new_cluster of the sample, and each inline job of
    connectors.yaml that has no job_clusters (given one)."""
    clusters = [(d, e.path) for d, e in entries(lambda d, e: e.path[-1:] == ("new_cluster",)
                                                and isinstance(e.value, dict) and slot(d, e.path) is not None)]
    return clusters + [(d, j) for d, j in _jobs() if d is sample().config and "job_clusters" not in d.entries[j].value]


def _in_cluster(draw: Any, document: Document, place: tuple, value: str) -> tuple[list[Edit], tuple]:
    """Edits that write `value` under a credential key of a cluster's spark_conf or spark_env_vars, and its path."""
    field, key = _value(draw, [("spark_conf", "spark.hadoop.fs.s3a.secret.key"), ("spark_env_vars", "DB_PASSWORD"),
                               ("spark_conf", "fs.azure.account.key.appsecdata.dfs.core.windows.net")])
    if place[-1] == "new_cluster":
        present = document.entries[place].value.get(field)
        edit = add_key(document, place + (field,), key, render(value)) if isinstance(present, dict) and present \
            else add_key(document, place, field, render({key: value}))
        return [edit], place + (field, key)
    cluster = {"job_cluster_key": "secrets", "new_cluster": {"spark_version": "14.3.x-scala2.12", "num_workers": 1,
                                                             field: {key: value}}}
    return [add_key(document, place, "job_clusters", render([cluster]))], place + ("job_clusters", 0, "new_cluster",
                                                                                   field, key)


@way("secrets", _cluster_places)
def _unknown_secret_scope(draw, target) -> Made:
    """A cluster's secret reference to a scope no environment has (its jobs have READ on their own only), or
    one without its key."""
    document, place = target
    scope = _value(draw, ["shared-scope", "team-secrets", "mvp-connector"])
    reference = _value(draw, [f"{{{{secrets/{scope}/s3-key}}}}", "{{secrets/${env.secret_scope}}}"])
    edits, path = _in_cluster(draw, document, place, reference)
    expect = "is not a secret reference" if reference.count("/") == 1 else f"reads secret scope '{scope}'"
    return f"{format_path(path)} = {reference!r}", document, edits, at(document, path, text=expect)


@way("secrets", lambda: [(d, p, owner, user) for d, p in _cluster_places() if d is sample().config
                         for owner in _environments() for user in _environments() if owner != user])
def _foreign_secret_scope(draw, target) -> Made:
    """Environment `owner` given a secret scope of its own (and `user` one, or the default), and a cluster's
    secret reference naming it: in `user`, it is another environment's."""
    document, place, owner, user = target
    scopes = {env: f"appsec-{env}-connectors" for env in (owner, user)}
    edits = [add_key(document, ("environments", env), "secret_scope", render(scopes[env]))
             for env in ((owner, user) if draw(st.booleans()) else (owner,))]
    reference = f"{{{{secrets/{scopes[owner]}/s3-key}}}}"
    cluster_edits, path = _in_cluster(draw, document, place, reference)
    return (f"environments.{owner}.secret_scope = {scopes[owner]!r}; {format_path(path)} = {reference!r}", document,
            edits + cluster_edits, at(document, path, text=f"names {owner}'s secret scope '{scopes[owner]}'"))



def _variable_uses() -> dict[str, list[Expect]]:
    """${var.<name>} -> where jobs use it."""
    uses: dict[str, list[Expect]] = {}
    for document, entry in entries(_job_string):
        for name in re.findall(r"\$\{var\.([A-Za-z0-9_]+)\}", entry.value):
            uses.setdefault(name, []).append(at(document, entry.path, text="is not defined"))
    return uses


@way("references", lambda: [(env, name, _variable_uses()[name]) for env, settings in _environments().items()
                            for name in settings.get("variables") or {} if name in _variable_uses()])
def _missing_variable(draw, target) -> Made:
    """A variable one environment lacks while a job uses it: reported where it is used."""
    env, name, uses = target
    config, path = sample().config, ("environments", env, "variables", name)
    return f"{format_path(path)} removed, still used", config, [remove_key(config, path)], *uses


@way("references", lambda: [(i, c) for i, c in _connectors() if c.get("kind") == "batch"])
def _unknown_source(draw, target) -> Made:
    index, connector = target
    config, value = sample().config, draw(_unknown(set(available_sources())))
    path = ("connectors", index, "source")
    edit = set_value(config, path, render(value)) if "source" in connector else \
        add_key(config, path[:-1], "source", render(value))
    return f"{format_path(path)} = {value!r}", config, [edit], at(config, path, text="no source")


@way("references", lambda: [e for _, e in entries(lambda d, e: d is sample().config and len(e.path) == 3
                                                  and e.path[::2] == ("jobs", "file"))])
def _missing_job_file(draw, entry) -> Made:
    config = sample().config
    value = _value(draw, ["jobs/no_such_job.json", "jobs", entry.value + "x"])
    return (f"{format_path(entry.path)} = {value!r}", config, [set_value(config, entry.path, render(value))],
            at(config, entry.path, text=value))


def _connections() -> list[tuple[int, dict, str]]:
    """(index, connector, environment) for each connection of a lakeflow_connect connector."""
    return [(i, c, env) for i, c in _connectors() if c.get("kind") == "lakeflow_connect"
            and isinstance(c.get("connection"), dict) for env, value in c["connection"].items()
            if env in _environments() and isinstance(value, str)]


@way("references", _connections)
def _acknowledgement_mismatch(draw, target) -> Made:
    """An acknowledgement of data loss for another connection than the configured one."""
    index, connector, env = target
    config, path = sample().config, ("connectors", index)
    other = connector["connection"][env] + _value(draw, ["_v2", "_new", "_old"])
    acknowledgement = {"connection": other, "reason": "SEC-1234 new OAuth app; re-ingested in full"}
    edit = add_key(config, path, "acknowledge_data_loss", render({env: acknowledgement})) \
        if "acknowledge_data_loss" not in connector else \
        add_key(config, path + ("acknowledge_data_loss",), env, render(acknowledgement))
    return (f"{format_path(path)} acknowledges {other!r} in {env}", config, [edit],
            at(config, path + ("acknowledge_data_loss", env, "connection"), text="is not connection"))


@way("references", _connections)
def _connection_missing(draw, target) -> Made:
    """An environment without its entry in a managed connector's connection."""
    index, connector, env = target
    config, path = sample().config, ("connectors", index, "connection", env)
    return (f"{format_path(path)} removed", config, [remove_key(config, path)],
            at(config, path[:-1], exact=True, text="no entry for environment"))


def declared(*fields: str | int) -> Any:
    """The model's annotation of a field path (None if the model has no such field): e.g. the rule ids a
    policy suppression may name."""
    annotation: Any = PlatformConfig
    for name in fields:
        annotation = _model_child(annotation, name, None) if annotation is not None else None
    return annotation


def _suppression_rules() -> tuple[str, ...]:
    """The rule ids a policy suppression may name, if the model has suppressions and the sample no policy yet."""
    rule = declared("policy", "suppressions", 0, "rule")
    return _model_kinds(rule)[1] if rule and "policy" not in sample().config.entries[()].value else ()


@way("references", lambda: [(rule, how) for rule in _suppression_rules() for how in ("staging", "again")])
def _policy_suppression(draw, target) -> Made:
    """A policy suppression for a resource of an environment the file does not have, or one given twice."""
    rule, how = target
    config = sample().config
    env = _other_environment(draw) if how == "staging" else sorted(_environments())[0]
    item = {"rule": rule, "resource": f"{env}/jobs/legacy_export/job", "reason": "Reviewed in PLAT-1234 (stays)."}
    items = [item] if how == "staging" else [item, item]
    expect = at(config, ("policy", "suppressions", 0, "resource"), text="not an environment") if how == "staging" \
        else at(config, ("policy", "suppressions", 1), exact=True, text="again")
    return (f"policy.suppressions = {render(items)[:60]}", config,
            [add_key(config, (), "policy", render({"suppressions": items}))], expect)


def _locked(index: int, connector: dict, env: str) -> bool:
    protected = _environments()[env].get("protect_data", True) is True
    return protected and connector["name"] in lock().pipelines.get(env, {})


@way("references", lambda: [t for t in _connections() if _locked(*t)])
def _replaced_pipeline(draw, target) -> Made:
    """A protected pipeline's connection changed without an acknowledgement (connectors.lock.json knows it)."""
    index, connector, env = target
    config, path = sample().config, ("connectors", index, "connection", env)
    value = connector["connection"][env] + "_v2"
    return (f"{format_path(path)} = {value!r}", config, [set_value(config, path, render(value))],
            at(config, path, text="replaces the pipeline"))


@way("references", lambda: sorted({i for i, c, env in _connections() if _locked(i, c, env)}))
def _removed_pipeline(draw, index) -> Made:
    config = sample().config
    return (f"connectors[{index}] removed, a protected pipeline", config, [remove_item(config, ("connectors", index))],
            at(config, ("connectors",), exact=True, text="no longer here"))


# --- other constraints


VALUE_RULES = tuple(dict.fromkeys(rule for key, rule in RULES.items()
                                  if rule not in NAME_RULES + (_time_zone,) and key[0] in ("model", "settings")))
NON_EMPTY = {"environments": "{}", "connection": "{}", "objects": "[]"}  # collections the model needs filled
TRIGGER_VALUES = {"schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "UTC"},
                  "continuous": {"pause_status": "PAUSED"}, "trigger": {"periodic": {"interval": 1, "unit": "HOURS"}}}


def _bad_value(draw, target) -> Made:
    """Out of range, too long, too short, empty, not a point in time."""
    document, entry = target
    value = _value(draw, rule_at(document, entry.path)(entry.value))
    return (f"{format_path(entry.path)} = {render(value)[:40]}", document,
            [set_value(document, entry.path, render(value))], at(document, entry.path))


def _values_for(rule: Rule) -> list[tuple[Document, Entry]]:
    """The values whose rule is `rule`, where it has values to refuse."""
    return entries(lambda d, e: isinstance(e.node, ScalarNode) and rule_for(d, e.path) is rule and rule(e.value))


for _rule in VALUE_RULES:  # one way per rule
    way("constraints", functools.partial(_values_for, _rule))(_bad_value)


@way("constraints", lambda: _connections())
def _bad_reason(draw, target) -> Made:
    """An acknowledgement of data loss whose reason is too short, too long, blank, invisible or a credential (which
    no message may repeat)."""
    index, connector, env = target
    config, path = sample().config, ("connectors", index)
    token = "ghp_" + "aB3dE6gH9j" * 4
    reason = _value(draw, ["SEC-1", "r" * 1001, " " * 24, "\u200b" * 24, "-" * 24, f"reviewed {token}"])
    acknowledgement = {"connection": connector["connection"][env], "reason": reason}
    edit = add_key(config, path, "acknowledge_data_loss", render({env: acknowledgement})) \
        if "acknowledge_data_loss" not in connector else \
        add_key(config, path + ("acknowledge_data_loss",), env, render(acknowledgement))
    return (f"{format_path(path)} acknowledges with reason {reason[:10]!r}", config, [edit],
            at(config, path + ("acknowledge_data_loss", env, "reason")), *([Secret(token)] if token in reason else []))


@way("constraints", lambda: entries(_rule_is(_instant)) + entries(
    lambda d, e: isinstance(e.node, ScalarNode) and kind_of(e.value) == "time" and rule_for(d, e.path) is _instant))
def _naive_timestamp(draw, target) -> Made:
    """A YAML timestamp without its zone (unquoted, so YAML reads it as a time, not as text)."""
    document, entry = target
    value = _value(draw, ["2024-01-01T00:00:00", "2024-06-30 12:00:00", "2025-01-01t08:30:00"])
    return (f"{format_path(entry.path)} = {value}", document, [set_value(document, entry.path, value)],
            at(document, entry.path, text="time zone"))


@way("constraints", lambda: [(d, e, slot_at(d, e.path).enum) for d, e in entries(
    lambda d, e: isinstance(e.node, ScalarNode) and e.value in ((slot(d, e.path) or Slot(frozenset(), "")).enum))])
def _bad_enum(draw, target) -> Made:
    document, entry, allowed = target
    value = draw(st.sampled_from([entry.value.lower(), entry.value + "X", entry.value[:-1], "", entry.value.title()])
                 .filter(lambda v: v not in allowed))
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path))


@way("constraints", lambda: entries(lambda d, e: d is sample().config and e.key is not None and e.value
                                    and e.path[-1] in NON_EMPTY
                                    and (slot(d, e.path) or Slot(frozenset(), "")).zone == "model"))
def _emptied(draw, target) -> Made:
    document, entry = target
    return (f"{format_path(entry.path)} emptied", document,
            [set_value(document, entry.path, NON_EMPTY[entry.path[-1]])], at(document, entry.path, exact=True))


@way("constraints", lambda: entries(lambda d, e: d is sample().config and e.path[::2][:2] == ("connectors", "objects")
                                    and len(e.path) == 4 and isinstance((e.value or {}).get("table"), str)))
def _object_conflict(draw, target) -> Made:
    """An ingested table that also names a schema, a destination catalog, or both column selections."""
    document, entry = target
    options = [("schema", entry.value["table"], "exactly one"), ("destination_catalog", "main", "destination_catalog")]
    for present, other in (("exclude_columns", "include_columns"), ("include_columns", "exclude_columns")):
        if present in entry.value and other not in entry.value:
            options.append((other, ["sys_id"], "include_columns"))
    key, value, text = _value(draw, options)
    return (f"{format_path(entry.path)}.{key} added", document,
            [add_key(document, entry.path, key, render(value))], at(document, entry.path, exact=True, text=text))


@way("constraints", lambda: entries(lambda d, e: d is sample().config and e.path[::2] == ("environments", "backend")
                                    and isinstance(e.value, dict) and len(e.value) == 1))
def _two_backends(draw, target) -> Made:
    document, entry = target
    kind = _value(draw, [k for k in ONE_OF["backend"] if k not in entry.value])
    value = {"s3": {"bucket": "b", "key": "k", "region": "eu-west-1"}, "gcs": {"bucket": "b", "prefix": "p"},
             "azurerm": {"resource_group_name": "r", "storage_account_name": "s", "container_name": "c", "key": "k"}}
    return (f"{format_path(entry.path)}.{kind} added", document,
            [add_key(document, entry.path, kind, render(value[kind]))],
            at(document, entry.path, exact=True, text="exactly one"))


@way("constraints", lambda: [(d, j) for d, j in _jobs() if any(d.entries[j].value.get(t) for t in TRIGGER_VALUES)])
def _two_triggers(draw, target) -> Made:
    """A second of schedule, continuous and trigger: reported at the later of the two in that order."""
    document, job = target
    present = [t for t in TRIGGER_VALUES if document.entries[job].value.get(t) is not None]
    extra = _value(draw, [t for t in TRIGGER_VALUES if t not in present])
    second = [t for t in TRIGGER_VALUES if t in present or t == extra][1]
    return (f"{_named(document, job)}.{extra} added beside {', '.join(present)}", document,
            [add_key(document, job, extra, render(TRIGGER_VALUES[extra]))],
            at(document, job + (second,), exact=True, text="at most one"))


@way("constraints", lambda: [(d, j) for d, j in _jobs() if not any(d.entries[j].value.get(t) for t in TRIGGER_VALUES)])
def _continuous_with_runs(draw, target) -> Made:
    document, job = target
    runs = _value(draw, [2, 5])
    continuous = add_key(document, job, "continuous", render(TRIGGER_VALUES["continuous"]))
    if "max_concurrent_runs" in document.entries[job].value:
        edits = [continuous, set_value(document, job + ("max_concurrent_runs",), str(runs))]
    else:
        runs_edit = add_key(document, job, "max_concurrent_runs", str(runs))
        edits = [Edit(continuous.start, continuous.end, continuous.text + runs_edit.text)]
    return (f"{_named(document, job)} continuous with max_concurrent_runs {runs}", document, edits,
            at(document, job + ("max_concurrent_runs",), text="continuous"))


@way("constraints", lambda: [(d, j) for d, j in _jobs() if "permissions" not in d.entries[j].value])
def _permission_for_no_one(draw, target) -> Made:
    document, job = target
    value = _value(draw, [[{"level": "CAN_VIEW"}],
                          [{"level": "CAN_VIEW", "group_name": "a", "user_name": "b@example.com"}]])
    return (f"{_named(document, job)}.permissions = {render(value)}", document,
            [add_key(document, job, "permissions", render(value))],
            at(document, job + ("permissions", 0), text="exactly one"))


@way("constraints", _jobs)
def _not_deployable(draw, target) -> Made:
    """A Jobs API field provider 1.99.0 cannot deploy (README: refused, never dropped)."""
    document, job = target
    return (f"{_named(document, job)}.parent_path added", document,
            [add_key(document, job, "parent_path", render("/Workspace/jobs"))],
            at(document, job + ("parent_path",), text="cannot deploy"))


@way("constraints", lambda: entries(lambda d, e: e.path[-3:] == ("trigger", "table_update", "table_names")
                                    and isinstance(e.value, list)))
def _too_many_tables(draw, target) -> Made:
    document, entry = target
    extra = [render(f"${{env.catalog}}.${{env.gold_schema}}.extra_{n}") for n in range(11 - len(entry.value))]
    edits = [add_item(document, entry.path, text) for text in extra]
    return (f"{format_path(entry.path)}: 11 tables", document,
            [Edit(edits[0].start, edits[0].end, "".join(e.text for e in edits))],
            at(document, entry.path, exact=True, text="at most"))


@way("constraints", _tasks)
def _two_task_types(draw, target) -> Made:
    document, _, task = target
    specs = {"spark_python_task": {"python_file": "/Workspace/etl/x.py"},
             "notebook_task": {"notebook_path": "/Workspace/etl/nb"}, "sql_task": {"warehouse_id": "w",
                                                                                  "query": {"query_id": "q"}}}
    extra = _value(draw, [t for t in specs if t not in document.entries[task].value])
    return (f"{format_path(task)}.{extra} added", document, [add_key(document, task, extra, render(specs[extra]))],
            at(document, task, text="exactly one task type"))


@way("constraints", lambda: entries(lambda d, e: e.path[-2:-1] == ("depends_on",) and isinstance(e.value, dict)
                                    and "outcome" not in e.value))
def _outcome_of_plain_task(draw, target) -> Made:
    document, entry = target
    return (f"{format_path(entry.path)}.outcome added", document,
            [add_key(document, entry.path, "outcome", render("true"))],
            at(document, entry.path + ("outcome",), text="condition_task"))


# --- the job hierarchy (seed 004), when the sample turns it on


def _hierarchy_on() -> bool:
    return sample().config.entries[()].value.get("job_hierarchy") is True


def _levelled() -> list[tuple[str, dict, Document, tuple]]:
    """(key, entry, document and path of its settings) of each job with a level, inline or imported."""
    config = sample().config
    definitions = {(j[1] if d is config else next(k for k, e in config.entries[()].value["jobs"].items()
                                                  if isinstance(e, dict) and e.get("file") == d.name)): (d, j)
                   for d, j in _jobs()}
    return [(key, entry, *definitions[key]) for key, entry in (config.entries[()].value.get("jobs") or {}).items()
            if isinstance(entry, dict) and entry.get("job_level") in LEVELS and key in definitions]


def _misfits(document: Document, job: tuple, level: str) -> list[Expect]:
    """The tasks a job of `level` may not hold: run_job_task in an atomic job, work in any other."""
    return [at(document, task + (name,)) for d, j, task in _tasks() if j == job and d is document
            for name in document.entries[task].value if name.endswith("_task")
            and (level == "atomic") == (name == "run_job_task")]


@way("constraints", lambda: [(k, e, d, j, level) for k, e, d, j in _levelled() if _hierarchy_on()
                             for level in LEVELS if level != e["job_level"] and _misfits(d, j, level)])
def _level_misfit(draw, target) -> Made:
    key, entry, document, job, level = target
    config, path = sample().config, ("jobs", key, "job_level")
    return f"{format_path(path)} = {level!r}", config, [set_value(config, path, render(level))], \
        *_misfits(document, job, level)


@way("constraints", lambda: [k for k, *_ in _levelled() if _hierarchy_on()])
def _no_level(draw, key) -> Made:
    config, path = sample().config, ("jobs", key, "job_level")
    return (f"{format_path(path)} removed", config, [remove_key(config, path)],
            at(config, ("jobs", key), exact=True, text="job_level is required"))


@way("constraints", lambda: [(e, d, j) for _, e, d, j in _levelled() if _hierarchy_on()
                             and "tags" not in d.entries[j].value])
def _level_tag(draw, target) -> Made:
    entry, document, job = target
    other = _value(draw, [level for level in LEVELS if level != entry["job_level"]])
    return (f"{_named(document, job)}.tags.job_level = {other!r}", document,
            [add_key(document, job, "tags", render({"job_level": other}))],
            at(document, job + ("tags", "job_level"), text="job_level"))


@way("constraints", lambda: _relative_notebooks() if _hierarchy_on() else [])
def _template_notebook(draw, target) -> Made:
    """The connector template's notebook in a job of the jobs section: it belongs to the connectors' jobs."""
    document, entry = target
    value = _sibling(entry.value, _value(draw, ["ingest_entry.py", "transform_entry.py"]))
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, text="template"))


@way("constraints", lambda: [e for d, e in _job_ids() if d is sample().config])
def _runs_itself(draw, entry) -> Made:
    config = sample().config
    return (f"{format_path(entry.path)} runs its own job", config,
            [set_value(config, entry.path, render(f"${{resources.jobs.{entry.path[1]}.id}}"))],
            at(config, entry.path[:2], exact=True, text="cycle"))


# --- renames (README "Renaming a connector"): renamed_from names what a connector or job was deployed as before


def _renamable() -> list[tuple[tuple, str, str]]:
    """(path, own name, what it is) of each connector and each entry of the jobs section: what may have a
    renamed_from."""
    jobs = sample().config.entries[()].value.get("jobs") or {}
    return [(("connectors", i), c["name"], "connector") for i, c in _connectors()] + [
        (("jobs", key), key, "job") for key, entry in jobs.items() if isinstance(entry, dict)]


def _renamed_from(path: tuple, text: str) -> Edit:
    return add_key(sample().config, path, "renamed_from", text)


@way("renames", _renamable)
def _renamed_from_itself(draw, target) -> Made:
    path, own, _ = target
    config = sample().config
    return (f"{format_path(path)}.renamed_from = its own name {own!r}", config, [_renamed_from(path, render(own))],
            at(config, path + ("renamed_from",), exact=True, text="own"))


@way("renames", lambda: [(t, name) for t in _renamable() for name in sorted(_job_keys()) if name != t[1]])
def _renamed_from_a_current_name(draw, target) -> Made:
    """renamed_from naming a connector or job that is still there: two resources would claim one address."""
    (path, _, _), name = target
    config = sample().config
    return (f"{format_path(path)}.renamed_from = {name!r} (still there)", config, [_renamed_from(path, render(name))],
            at(config, path + ("renamed_from",), exact=True, text="is still"))


@way("renames", lambda: [(a, b) for a in _renamable() for b in _renamable() if a[0] < b[0]])
def _renamed_from_claimed_twice(draw, target) -> Made:
    """One old name claimed by two connectors or jobs: reported at either (the later one, as it reads them)."""
    config, old = sample().config, draw(_unknown(_job_keys()))
    sides = [path + ("renamed_from",) for path, _, _ in target]
    return (f"{' and '.join(map(format_path, sides))} = {old!r}", config,
            [_renamed_from(path, render(old)) for path, _, _ in target],
            *(at(config, side, exact=True, text="is also the renamed_from") for side in sides))


@way("renames", _renamable)
def _renamed_from_no_name(draw, target) -> Made:
    """renamed_from that is no connector name or job key, or more than one name."""
    path, _, _ = target
    config, old = sample().config, draw(_unknown(_job_keys()))
    value = _value(draw, [*_identifier(old), [old], [old, old + "_v1"]])
    return (f"{format_path(path)}.renamed_from = {render(value)}", config, [_renamed_from(path, render(value))],
            at(config, path + ("renamed_from",), exact=True, text="one name" if isinstance(value, list) else ""))


def _renames_in_place(draw: Any, index: int) -> tuple[str, str, list[Edit]]:
    """Batch connector `index` renamed as a rename is done (README): a new name, `renamed_from` and `source:` the
    old one, its secrets and the jobs that run it following it. (source, new name, the edits)."""
    config, connector = sample().config, sample().config.entries[("connectors", index)].value
    old, source = connector["name"], source_of(connector)
    assert source is not None, f"connectors[{index}] runs no source"
    new = draw(st.sampled_from([f"{old}_cloud", f"{old}_v2", f"{old}_eu"]).filter(lambda n: n not in _job_keys()))
    path = ("connectors", index)
    edits = [set_value(config, path + ("name",), render(new)), _renamed_from(path, render(old))]
    if "source" not in connector:
        edits[-1] = Edit(edits[-1].start, edits[-1].end, edits[-1].text + add_key(config, path, "source",
                                                                                   render(source)).text)
    for position, secret in enumerate(connector.get("secrets") or []):
        if isinstance(secret, str) and secret.startswith(old + "-"):
            edits.append(set_value(config, path + ("secrets", position), render(new + secret[len(old):])))
    edits += [set_value(config, e.path, render(f"${{resources.jobs.{new}.id}}")) for d, e in _job_ids()
              if d is config and e.value == f"${{resources.jobs.{old}.id}}"]
    return source, new, edits


def _renamable_batch() -> list[int]:
    return [i for i, c in _connectors() if (source := source_of(c)) and source_spec(source).entities]


@way("renames", lambda: [(i, e) for i in _renamable_batch() for d, e in entries(
    lambda d, e: d is sample().config and e.path[-3:] == ("trigger", "table_update", "table_names")
    and isinstance(e.value, list) and e.value)])
def _stale_trigger_table(draw, target) -> Made:
    """A silver table written out in a table_update trigger that no connector writes: the connector's old name
    after a rename (which ${connectors.sources.<source>.tables.<entity>} would have followed), or a misspelt
    entity."""
    index, entry = target
    config, connector = sample().config, sample().config.entries[("connectors", index)].value
    source = source_of(connector)
    assert source is not None
    entity = _value(draw, list(source_spec(source).entities))
    if draw(st.booleans()):
        _, new, edits = _renames_in_place(draw, index)
        table, change = f"{connector['name']}_{entity}", f"connectors[{index}] renamed {new!r}"
        text = f"no connector is named '{connector['name']}'"
    else:
        written_by = {f"{c['name']}_{e}" for _, c in _connectors() if (s := source_of(c))
                      for e in source_spec(s).entities}
        edits, table = [], draw(st.sampled_from([f"{connector['name']}_{entity}{end}" for end in ("x", "s", "_v2")])
                                .filter(lambda t: t not in written_by))
        change, text = f"connectors[{index}] kept", "no connector writes silver table"
    written = f"${{env.catalog}}.${{env.silver_schema}}.{table}"
    edits.append(add_item(config, entry.path, render(written)))
    return (f"{change}; {format_path(entry.path)} += {written!r}", config, edits,
            at(config, entry.path + (len(entry.value),), exact=True, text=text))


# --- personal targets: an environment's opt-in (docs/deploying.md, "Your own dev target")


@way("personal targets", lambda: sorted(_environments()))
def _personal_targets_not_a_boolean(draw, env) -> Made:
    config, path = sample().config, ("environments", env, "personal_targets")
    value = _value(draw, ["true", "yes", "on", 1, 0, None, [env], {"alice": True}])
    return (f"{format_path(path)} = {render(value)}", config, [add_key(config, path[:-1], path[-1], render(value))],
            at(config, path, exact=True))


@way("personal targets", lambda: sorted(_environments()))
def _personal_targets_with_schedules_running(draw, env) -> Made:
    """Personal targets where the environment's schedules run (schedules_paused: false): only a development
    environment may have them."""
    config, path = sample().config, ("environments", env)
    opt_in = add_key(config, path, "personal_targets", "true")
    paused = _environments()[env].get("schedules_paused", True)
    if paused is False:
        edits = [opt_in]
    elif "schedules_paused" in _environments()[env]:
        edits = [opt_in, set_value(config, path + ("schedules_paused",), "false")]
    else:
        edits = [Edit(opt_in.start, opt_in.end, add_key(config, path, "schedules_paused", "false").text + opt_in.text)]
    return (f"{format_path(path)}: personal_targets true, schedules_paused false", config, edits,
            at(config, path + ("personal_targets",), exact=True, text="schedules_paused is false"))


# --- derived connectors: ${connectors.sources.<source>,...} and its .tables.<entity>,... (docs/jobs.md)

_DERIVED = re.compile(r"\$\{connectors\.sources\.([^.{}]*)((?:\.tables\.[^.{}]*)?)\}")


def _derived() -> list[tuple[Document, Entry, re.Match]]:
    """Each job string with a ${connectors.sources...} substitution, with the first."""
    return [(d, e, match) for d, e in entries(_job_string) if (match := _DERIVED.search(e.value))]


def _with_derived(value: str, match: re.Match, sources: list[str], entities: list[str] | None) -> str:
    tables = f".tables.{','.join(entities)}" if entities is not None else ""
    return value[:match.start()] + f"${{connectors.sources.{','.join(sources)}{tables}}}" + value[match.end():]


def _listed(match: re.Match) -> tuple[list[str], list[str] | None]:
    return match.group(1).split(","), match.group(2)[len(".tables."):].split(",") if match.group(2) else None


@way("derived connectors", _derived)
def _derived_unknown_source(draw, target) -> Made:
    """A source no notebooks/source_<name>.py declares, instead of one listed or beside them."""
    document, entry, match = target
    sources, entities = _listed(match)
    unknown = draw(_unknown(set(available_sources())))
    position = draw(st.integers(0, len(sources)))
    sources = sources[:position] + [unknown] + sources[position + (draw(st.booleans()) and position < len(sources)):]
    value = _with_derived(entry.value, match, sources, entities)
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, exact=True, text=f"'{unknown}' is no source"))


@way("derived connectors", lambda: [t for t in _derived() if t[2].group(2)])
def _derived_unknown_entity(draw, target) -> Made:
    """An entity a listed source does not produce (another source's, or a misspelt one)."""
    document, entry, match = target
    sources, entities = _listed(match)
    assert entities is not None
    produced = [set(source_spec(s).entities) if s in available_sources() else set() for s in sources]
    others = sorted({e for s in available_sources() for e in source_spec(s).entities} - set.intersection(*produced))
    wrong = _value(draw, others + [entities[0] + "s", entities[0].rstrip("s"), "findings"])
    if all(wrong in p for p in produced):
        wrong = "no_such_entity"
    position = draw(st.integers(0, len(entities) - 1))
    entities = entities[:position] + [wrong] + entities[position + 1:]
    value = _with_derived(entry.value, match, sources, entities)
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, exact=True, text=f"has no entity '{wrong}'"))


UNKNOWN_DERIVED = ("connectors.github", "connectors.sources", "connectors.names", "connectors.source.github",
                   "connectors.sources.github.table.issues", "connectors.sources.github.tables",
                   "connectors.sources.github.tables.issues.name", "connectors.sources.github.connectors")


@way("derived connectors", _derived)
def _derived_unknown_form(draw, target) -> Made:
    """A ${connectors.*} the platform does not derive, where a derived one is."""
    document, entry, match = target
    inner = _value(draw, list(UNKNOWN_DERIVED))
    value = entry.value[:match.start()] + f"${{{inner}}}" + entry.value[match.end():]
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, exact=True, text=f"unknown substitution ${{{inner}}}"))


@way("derived connectors", lambda: entries(_job_string))
def _derived_unknown_form_appended(draw, target) -> Made:
    document, entry = target
    inner = _value(draw, list(UNKNOWN_DERIVED))
    return (f"{format_path(entry.path)} += '${{{inner}}}'", document,
            [set_value(document, entry.path, render(entry.value + "${" + inner + "}"))],
            at(document, entry.path, text=f"${{{inner}}}"))


def _table_form(draw: Any) -> str:
    """A valid ${connectors.sources.<source>.tables.<entity>} of a source the sample's connectors read."""
    sources = sorted({s for _, c in _connectors() if (s := source_of(c)) and source_spec(s).entities})
    source = _value(draw, sources)
    return f"${{connectors.sources.{source}.tables.{_value(draw, list(source_spec(source).entities))}}}"


@way("derived connectors", lambda: [(d, e) for d, e in entries(_job_string)
                                    if not isinstance(e.parent, SequenceNode)])
def _table_form_outside_a_list(draw, target) -> Made:
    """The tables form, which stands for several items of a list, as a whole value or inside one."""
    document, entry = target
    form = _table_form(draw)
    if draw(st.booleans()):
        return (f"{format_path(entry.path)} = {form!r}", document, [set_value(document, entry.path, render(form))],
                at(document, entry.path, exact=True, text="stands for several silver tables"))
    return (f"{format_path(entry.path)} += {form!r}", document,
            [set_value(document, entry.path, render(entry.value + form))],
            at(document, entry.path, exact=True, text="must be the whole value"))


@way("references", lambda: [(d, e) for d, e in entries(_job_string) if isinstance(e.parent, MappingNode)
                            and (e.path[-2:-1] == ("base_parameters",) or e.path[-3::2] == ("parameters", "default"))])
def _unknown_job_passed(draw, target) -> Made:
    """${resources.jobs.<key>.id} passed as a parameter (a job a notebook starts), naming no job."""
    document, entry = target
    name = draw(_unknown(_job_keys()))
    value = f"${{resources.jobs.{name}.id}}"
    return (f"{format_path(entry.path)} = {value!r}", document, [set_value(document, entry.path, render(value))],
            at(document, entry.path, exact=True, text="names no job"))


# ---------------------------------------------------------------------------------------------- the properties


def write_workspace(folder: Path, variant: Variant) -> None:
    """The variant's files as the sample has them beside each other; notebooks/ is the project's own (linked:
    relative notebook paths must resolve to the folder the platform uploads)."""
    for name, text in variant.texts:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if not (folder / "notebooks").exists():
        (folder / "notebooks").symlink_to(SAMPLE_DIR / "notebooks", target_is_directory=True)
    # The sample's cdktf.json makes the folder the project root its relative paths resolve against, whatever a
    # folder above it holds (a stray cdktf.json in the temporary folder would otherwise be the root).
    shutil.copy2(SAMPLE_DIR / PROJECT_MARKER, folder / PROJECT_MARKER)


def problems_of(variant: Variant, folder: Path) -> list:
    """Properties 1 and 2: the variant is rejected with a ConfigError, and nothing else escapes."""
    write_workspace(folder, variant)
    try:
        parse_config(variant.text(CONFIG), CONFIG, lock=lock(), base_dir=folder)
    except ConfigError as error:
        assert error.problems, f"a ConfigError without problems for {variant!r}"
        return error.problems
    except Exception as error:  # noqa: BLE001 - any other exception is the failure this test looks for
        raise AssertionError(f"{type(error).__name__}: {error}\nescaped parse_config for {variant!r}") from error
    raise AssertionError(f"accepted, but must be rejected: {variant!r}")


def check_rendered(variant: Variant, rendered: list[str]) -> None:
    """Property 3, on rendered lines: each names its file, line and a non-empty field path."""
    lengths = {name: text.count("\n") + 1 for name, text in variant.texts}
    for line in rendered:
        match = PROBLEM_LINE.fullmatch(line)
        assert match, f"a problem without file, line and field path: {line!r}\nfor {variant!r}"
        assert match["file"] in lengths, f"a problem in a file the variant does not have: {line!r}\n{variant!r}"
        assert int(match["line"]) <= lengths[match["file"]], f"a line past the end of the file: {line!r}\n{variant!r}"
        for secret in variant.secrets:
            assert secret not in line, f"a credential-looking value is shown: {line!r}\nfor {variant!r}"


def check_variant(variant: Variant, folder: Path) -> None:
    """Properties 1-3: rejected with a ConfigError whose every problem renders as '<file>:<line>: <path>: ...',
    one of them where the mutation is."""
    problems = problems_of(variant, folder)
    rendered = [problem.render(CONFIG) for problem in problems]
    check_rendered(variant, rendered)
    unmet = variant.unmet(problems)
    assert not unmet, (f"no problem where the mutation is ({'; '.join(unmet)}); problems:\n  "
                       + "\n  ".join(rendered) + f"\nfor {variant!r}")


def listing(folder: Path) -> dict[str, tuple]:
    """Every file, folder and link under `folder` (links not followed), with size and modification time."""
    found = {}
    for root, directories, files in os.walk(folder):
        for name in directories + files:
            path = Path(root, name)
            info = path.lstat()
            found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns, path.is_symlink())
    return found


def check_main(variant: Variant) -> None:
    """Property 4: main() in the variant's own folder returns 1, says on stderr where each problem is (with no
    traceback), and leaves the folder exactly as it was: no cdktf.out, no staging folder, no lock written."""
    with tempfile.TemporaryDirectory(prefix="fuzz-main-") as name:
        folder = Path(name)
        write_workspace(folder, variant)
        if lock_path(SAMPLE_CONFIG).exists():
            shutil.copy2(lock_path(SAMPLE_CONFIG), folder / lock_path(SAMPLE_CONFIG).name)
        before = listing(folder)
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            patch.setenv("CONNECTORS_CONFIG", CONFIG)
            patch.delenv("CDKTF_OUTDIR", raising=False)
            patch.delenv(DEV_USER_ENV_VAR, raising=False)  # a developer's own (main reads it before the config)
            patch.chdir(folder)
            try:
                status = main.main()
            except BaseException as error:  # noqa: BLE001
                raise AssertionError(f"main() raised {type(error).__name__}: {error}\nfor {variant!r}") from error
        stderr = err.getvalue()
        assert status == 1, f"main() returned {status}; stderr:\n{stderr}\nfor {variant!r}"
        assert "Traceback" not in stderr, f"a traceback:\n{stderr}\nfor {variant!r}"
        head, *lines = stderr.rstrip("\n").split("\n")
        assert re.fullmatch(rf"{re.escape(CONFIG)}: \d+ errors?; nothing was synthesized\.", head), stderr
        assert all(line.startswith("  ") for line in lines), f"stderr:\n{stderr}\nfor {variant!r}"
        check_rendered(variant, [line[2:] for line in lines])
        problems = [_rendered(line[2:]) for line in lines]
        unmet = variant.unmet(problems)
        assert not unmet, f"stderr names no problem at {'; '.join(unmet)}:\n{stderr}\nfor {variant!r}"
        assert out.getvalue() == "", f"stdout: {out.getvalue()!r}"
        assert listing(folder) == before, f"main() changed its folder: {sorted(set(listing(folder)) ^ set(before))}"


@dataclass(frozen=True)
class _Rendered:
    file: str
    line: int
    path: str
    message: str


def _rendered(line: str) -> _Rendered:
    """A problem as main() printed it ('<file>:<line>: <path>: <message>', which check_rendered has checked)."""
    match = PROBLEM_LINE.fullmatch(line)
    assert match, f"a problem without file, line and field path: {line!r}"
    return _Rendered(match["file"] if match["file"] != CONFIG else "", int(match["line"]), match["path"],
                     match["message"])


# ---------------------------------------------------------------------------------------------- the tests

FUZZ_SETTINGS = settings(deadline=None, derandomize=True, database=None, print_blob=False,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.filter_too_much])
CHECKED: list[str] = []  # the family of every variant checked, so the tests can count them


@cache
def workspace() -> Path:
    """One folder for the variants through parse_config (each writes its files over the last one's)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@contextlib.contextmanager
def no_hypothesis_files() -> Iterator[None]:
    """Without a database Hypothesis still caches constants of the project's modules in .hypothesis/: keep its
    storage in a temporary folder while the fuzz runs, so that a run writes nothing into the project."""
    with tempfile.TemporaryDirectory(prefix="fuzz-hypothesis-") as folder:
        set_hypothesis_home_dir(folder)
        try:
            yield
        finally:
            set_hypothesis_home_dir(None)  # back to HYPOTHESIS_STORAGE_DIRECTORY or the default


@contextlib.contextmanager
def same_variants_in_any_run() -> Iterator[None]:
    """Hypothesis mixes constants of every local module loaded so far (the project's, the scripts') into its
    draws, derandomized or not: without this, the variants depended on which tests ran before, so a run of the
    whole suite checked another set than this file alone (and a variant failing in one passed in the other), and
    scripts/fuzz_without_validators.py yet another. Drawn without them, the variants are a function of the
    sample, this file and Hypothesis's version only."""
    from hypothesis.internal.conjecture import providers

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(providers, "_get_local_constants", providers.Constants)  # raises if Hypothesis renames it
        providers.CONSTANTS_CACHE.cache.clear()  # constants already filtered per kind of draw
        try:
            yield
        finally:
            providers.CONSTANTS_CACHE.cache.clear()


@settings(FUZZ_SETTINGS, max_examples=EXAMPLES)
@given(st.deferred(variants))
def fuzz_parse_config(variant: Variant) -> None:
    """Properties 1-3 for one variant. A module-level function, so that scripts/fuzz_without_validators.py runs
    this very property on the variants Hypothesis derives from it (derandomize seeds from the function, and
    same_variants_in_any_run keeps the modules loaded out of it)."""
    CHECKED.append(variant.family)
    check_variant(variant, workspace())


@settings(FUZZ_SETTINGS, max_examples=MAIN_EXAMPLES)
@given(st.deferred(variants))
def fuzz_main(variant: Variant) -> None:
    """Property 4 for one variant."""
    CHECKED.append(variant.family)
    check_main(variant)


def test_every_malformed_variant_of_the_sample_is_rejected_where_the_mutation_is():
    """Properties 1-3 on EXAMPLES variants, from every family."""
    CHECKED.clear()
    with no_hypothesis_files(), same_variants_in_any_run():
        fuzz_parse_config()
    assert len(CHECKED) >= EXAMPLES, f"only {len(CHECKED)} variants were generated"
    assert set(CHECKED) == set(WAYS), f"families without a variant: {set(WAYS) - set(CHECKED)}"


def test_main_writes_nothing_and_says_where_for_malformed_variants():
    """Property 4: the entry point itself, on fewer variants (each gets a folder of its own)."""
    CHECKED.clear()
    with no_hypothesis_files(), same_variants_in_any_run():
        fuzz_main()
    assert len(CHECKED) >= MAIN_EXAMPLES
