"""YAML (and JSON, its subset) read with the line of every key and item, for errors that name their line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_INT = "tag:yaml.org,2002:int"


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
    ruamel's DuplicateKeyError, other mistakes its MarkedYAMLError."""
    yaml = YAML(typ="safe", pure=False)
    node = yaml.compose(text)
    lines: dict[tuple, int] = {}
    return (None if node is None else _value(node, (), lines, sequence, yaml.constructor)), lines


def _value(node: Node, path: tuple, lines: dict[tuple, int], sequence: Callable[[list], Any], constructor) -> Any:
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node, constructor)) if isinstance(key_node, ScalarNode) else str(key_node.value)
            if key in result:
                raise DuplicateKeyError("while constructing a mapping", node.start_mark,
                                        f'found duplicate key "{key}" (first on line {first_line[key]})',
                                        key_node.start_mark)
            first_line[key] = lines[path + (key,)] = key_node.start_mark.line + 1
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
