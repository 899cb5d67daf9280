"""YAML (and JSON, its subset) read with the line of every key and item, for errors that name their line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, DocumentStartEvent,
                                NodeEvent, ScalarEvent)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

_CORE = "tag:yaml.org,2002:"
_INT = _CORE + "int"
_MERGE = _CORE + "merge"
# The tags of YAML 1.2's core schema: they only say what the value is anyway (`!!str 0755` keeps it text).
_CORE_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))

# Bounds on what a few lines of YAML can make the reader do. A config has a few hundred values, none deep.
MAX_DEPTH = 100  # lists and mappings inside each other
MAX_ALIASED_VALUES = 10_000  # values that aliases (*name, and merge keys) repeat, in all
MAX_VALUE_CHARACTERS = 10_000  # in one key or value
MAX_KEY_CHARACTERS = 1024  # YAML's own limit for a key written without a `?`


class _Yaml12Resolver(VersionedResolver):
    """YAML 1.2's tags for plain scalars, as ruamel's C parser resolves them whatever a `%YAML` line says. The
    version is fixed here because ruamel looks it up for every scalar through three failing attribute lookups,
    about a sixth of the time a config takes to read."""

    @property
    def processing_version(self) -> tuple[int, int]:
        return (1, 2)


class TextProblem(Exception):
    """The text is not one plain YAML document the reader will build: at `line` (1-based), `message`."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


def decode(data: bytes) -> str:
    """`data` as UTF-8 text (a byte-order mark stays, YAML skips it), or a TextProblem at the first byte that
    is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[start:error.start].decode("utf-8")) + 1
        raise TextProblem(data.count(b"\n", 0, error.start) + 1,
                          f"byte 0x{data[error.start]:02x} at column {column} is not UTF-8; save the file as "
                          "UTF-8") from None


class WrittenInt(int):
    """An integer that remembers how it was written, where the notation is one YAML 1.1 reads differently."""

    written: str

    def __new__(cls, value: int, written: str) -> WrittenInt:
        number = super().__new__(cls, value)
        number.written = written
        return number


def read(text: str, sequence: Callable[[list], Any] = list) -> tuple[Any, dict[tuple, int]]:
    """The YAML (or JSON) document in `text` as dicts, `sequence`s (lists; tuples for the frozen model) and
    scalars, and the 1-based line of every key and item under its path. Read as YAML 1.2 by ruamel's C parser
    (several times faster than its pure-Python round-trip reader); a key written twice in a mapping raises
    ruamel's DuplicateKeyError, other mistakes its MarkedYAMLError; what the reader refuses to build (see
    `_check_events`) and a tab or an over-long key raise a TextProblem. Merge keys (`<<: *defaults`) are
    resolved; a merged key has the line where the anchored mapping writes it."""
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _Yaml12Resolver
    try:
        _check_events(yaml.parse(text))
        node = yaml.compose(text)
    except DuplicateKeyError:
        raise
    except MarkedYAMLError as error:
        raise _clearer(error, text) or error from None
    lines: dict[tuple, int] = {}
    return (None if node is None else _value(node, (), lines, sequence, yaml.constructor)), lines


def _value(node: Node, path: tuple, lines: dict[tuple, int], sequence: Callable[[list], Any], constructor) -> Any:
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key, key_node, value_node in _pairs(node, constructor):
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _value(value_node, path + (key,), lines, sequence, constructor)
        return result
    if isinstance(node, SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            items.append(_value(item, path + (index,), lines, sequence, constructor))
        return sequence(items)
    assert isinstance(node, ScalarNode)  # the composer makes mapping, sequence and scalar nodes only
    return _scalar(node, constructor)


def _pairs(node: MappingNode, constructor) -> list[tuple[str, Node, Node]]:
    """The mapping's (key, key node, value node)s with its merge keys resolved as YAML and the Databricks CLI
    resolve them: a key written in the mapping wins over a merged one, an earlier merged mapping over a later."""
    written: dict[str, tuple[str, Node, Node]] = {}
    merged: dict[str, tuple[str, Node, Node]] = {}
    order: list[tuple[str, Node, Node]] = []  # merged keys where the `<<` is
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            if not all(isinstance(source, MappingNode) for source in sources):
                raise TextProblem(key_node.start_mark.line + 1,
                                  "a merge key (<<) takes a mapping, usually an alias such as *defaults, or a list "
                                  "of them; write the keys out instead")
            for source in sources:
                for pair in _pairs(source, constructor):
                    if pair[0] not in merged:
                        merged[pair[0]] = pair
                        order.append(pair)
            continue
        key = str(_scalar(key_node, constructor)) if isinstance(key_node, ScalarNode) else str(key_node.value)
        if key in written:
            raise DuplicateKeyError("while constructing a mapping", node.start_mark,
                                    f'found duplicate key "{key}" (first on line '
                                    f'{written[key][1].start_mark.line + 1})', key_node.start_mark)
        written[key] = (key, key_node, value_node)
        order.append(written[key])
    return [pair for pair in order if written.get(pair[0], merged.get(pair[0])) is pair]


def _check_events(events: Iterator) -> None:
    """Refuses, before anything is built, what would make the reader build something other than plain data
    or spend unbounded time and memory on a few lines: a tag (`!!python/object`, `!include`), lists and
    mappings nested deeper than MAX_DEPTH (aliases expanded), aliases repeating more than MAX_ALIASED_VALUES
    values (an alias bomb multiplies them with each line), a key or value longer than MAX_VALUE_CHARACTERS,
    a second document."""
    open_collections: list[_Extent] = []  # each list or mapping being read, outermost first
    anchored: dict[str, _Extent] = {}  # what each anchored node stands for, aliases in it expanded
    aliased = documents = 0
    for event in events:
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise TextProblem(line, "a second YAML document starts here (after '---' or '...'); the file holds "
                                        "one document: remove the separator and merge what follows into the first")
        if isinstance(event, CollectionEndEvent):
            _close(open_collections.pop(), open_collections, anchored)
        if not isinstance(event, NodeEvent):
            continue
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _CORE_TAGS:
            name = "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
            raise TextProblem(line, f"the tag {name} (column {column}) is not allowed: tags make some YAML readers "
                                    "build objects or read a value as another type; remove it (quote a value that "
                                    "is meant as text)")
        extent = _Extent(event.anchor)
        if isinstance(event, AliasEvent):
            if any(outer.anchor == event.anchor for outer in open_collections):
                raise TextProblem(line, f"the alias *{event.anchor} (column {column}) is inside the value it "
                                        "repeats, which would never end; write the values out")
            repeated = anchored.get(event.anchor, extent)  # an undefined alias is the composer's error
            extent = _Extent(None, repeated.values, repeated.depth)
            aliased += extent.values
            if aliased > MAX_ALIASED_VALUES:
                raise TextProblem(line, f"the alias *{event.anchor} (column {column}) makes the aliases of this file "
                                        f"repeat more than {MAX_ALIASED_VALUES:,} values, the limit that stops an "
                                        "alias bomb; write the values out or use fewer aliases")
        elif isinstance(event, ScalarEvent) and len(event.value) > MAX_VALUE_CHARACTERS:
            raise TextProblem(line, f"a value of {len(event.value):,} characters starts at column {column}; keys and "
                                    f"values are limited to {MAX_VALUE_CHARACTERS:,} characters: shorten it")
        if isinstance(event, CollectionStartEvent):
            extent.depth = 1
        if len(open_collections) + extent.depth > MAX_DEPTH:
            counted = ", counting what the alias repeats" if isinstance(event, AliasEvent) else ""
            raise TextProblem(line, f"lists and mappings are nested more than {MAX_DEPTH} deep here (column "
                                    f"{column}{counted}); a config needs far fewer levels: flatten it")
        if isinstance(event, CollectionStartEvent):
            open_collections.append(extent)
        else:
            _close(extent, open_collections, anchored)


class _Extent:
    """How many values a node stands for and how deep its lists and mappings go (aliases expanded)."""

    def __init__(self, anchor: str | None, values: int = 1, depth: int = 0):
        self.anchor, self.values, self.depth = anchor, values, depth


def _close(extent: _Extent, open_collections: list[_Extent], anchored: dict[str, _Extent]) -> None:
    if extent.anchor is not None:
        anchored[extent.anchor] = extent
    if open_collections:
        outer = open_collections[-1]
        outer.values += extent.values
        outer.depth = max(outer.depth, extent.depth + 1)


def _clearer(error: MarkedYAMLError, text: str) -> TextProblem | None:
    """What a few of the parser's errors mean, with the fix: a tab in the indentation, an over-long key."""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return None
    lines = text.splitlines()
    written = lines[mark.line] if mark.line < len(lines) else ""
    indentation = written[:len(written) - len(written.lstrip(" \t"))]
    if "tab" in str(error.problem) or "\t" in indentation:
        column = written.find("\t") + 1
        if column:
            return TextProblem(mark.line + 1, f"a tab in the indentation (column {column}); YAML indents with "
                                              "spaces only: replace the tab with spaces")
    start = error.context_mark
    if "simple key" in str(error.context) and start is not None and start.line < len(lines):
        key = lines[start.line][start.column:].split(": ")[0]
        if len(key) > MAX_KEY_CHARACTERS:
            return TextProblem(start.line + 1, f"a key of {len(key):,} characters starts at column "
                                               f"{start.column + 1}; YAML allows keys of at most "
                                               f"{MAX_KEY_CHARACTERS:,} characters: shorten it")
    return None


def _scalar(node: ScalarNode, constructor) -> Any:
    value = constructor.construct_object(node)
    if node.tag == _INT and _ambiguous(node.value):
        return WrittenInt(value, node.value)
    return value


def _ambiguous(written: str) -> bool:
    """0755, 089 (a leading zero), 0o17, 0b11, 1_000: YAML 1.1 tools read these differently, or not as numbers;
    0x1F and plain decimals read the same everywhere."""
    digits = written.lstrip("+-")
    return "_" in digits or digits[:2].lower() in ("0o", "0b") or (digits.startswith("0") and digits[1:2].isdigit())


# ---------------------------------------------------------------------------------------------- strict YAML
# Files are read as YAML 1.2 (ruamel's default): `no`, `on`, `12:30` stay text. Two ways remain in which a value
# could silently differ from what its writer meant; both are errors instead.

_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


def version_problem(text: str) -> tuple[int, str] | None:
    """A `%YAML 1.1` directive switches the reader to 1.1, where `no` is false and 0755 is 493: (line, message)."""
    match = _DIRECTIVE.search(text)
    if match is None or match.group(1) == "1.2":
        return None
    return (text.count("\n", 0, match.start()) + 1,
            f"%YAML {match.group(1)} would read `no` as false, 0755 as 493 and 12:30 as 750; this file is read as "
            "YAML 1.2: remove the directive (and quote any value meant as text)")


def ambiguous_numbers(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Numbers written so that YAML 1.1 and 1.2 tools read them differently (0755, 0o17, 0b11, 1_000): (path,
    message) for each."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from ambiguous_numbers(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from ambiguous_numbers(item, path + (index,))
    elif isinstance(value, WrittenInt):
        written, number = value.written, int(value)
        digits = written.lstrip("+-")
        if digits.startswith("0") and digits[1:2].isdigit():
            octal = f"{int(written, 8)}" if set(digits) <= set("01234567") else "text"
            reading = (f"YAML 1.1 tools read it as {octal}, YAML 1.2 as {number}" if octal != str(number)
                       else "a leading zero makes YAML 1.1 tools read a number as octal")
        else:
            reading = f"YAML 1.1 and 1.2 tools read this notation differently (this reader makes it {number})"
        yield path, f"{written}: {reading}; write {number}, or quote it ('{written}') if it is text such as an id"
