"""YAML (and JSON, its subset) read with the line of every key and item, for errors that name their line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarint import BinaryInt, HexCapsInt, HexInt, OctalInt, ScalarInt


def plain(node: Any, path: tuple, lines: dict[tuple, int], sequence: Callable[[list], Any] = list) -> Any:
    """ruamel's round-trip containers -> dicts and `sequence`s (lists; tuples for the frozen model), recording
    the 1-based line of every key and item under its path."""
    if isinstance(node, CommentedMap):
        result = {}
        for key, value in node.items():
            lines[path + (str(key),)] = node.lc.key(key)[0] + 1
            result[str(key)] = plain(value, path + (str(key),), lines, sequence)
        return result
    if isinstance(node, CommentedSeq):
        for index in range(len(node)):
            lines[path + (index,)] = node.lc.item(index)[0] + 1
        return sequence([plain(value, path + (index,), lines, sequence) for index, value in enumerate(node)])
    return str(node) if isinstance(node, str) else node


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
    elif isinstance(value, ScalarInt):
        written = _written(value)
        if written is not None:
            number = int(value)
            if written.lstrip("-").startswith("0") and written.lstrip("-")[1:2].isdigit():
                octal = f"{int(written, 8)}" if set(written.lstrip("-")) <= set("01234567") else "text"
                reading = (f"YAML 1.1 tools read it as {octal}, YAML 1.2 as {number}" if octal != str(number)
                           else "a leading zero makes YAML 1.1 tools read a number as octal")
            else:
                reading = f"YAML 1.1 and 1.2 tools read this notation differently (this reader makes it {number})"
            yield path, f"{written}: {reading}; write {number}, or quote it ('{written}') if it is text such as an id"


def _written(value: ScalarInt) -> str | None:
    """How a non-plain integer was written, or None for a plain decimal one."""
    sign, magnitude = ("-" if value < 0 else ""), abs(int(value))
    if isinstance(value, BinaryInt):
        return f"{sign}0b{magnitude:b}"
    if isinstance(value, OctalInt):
        return f"{sign}0o{magnitude:o}"
    if isinstance(value, (HexInt, HexCapsInt)):
        return None  # 0x1F is 31 in YAML 1.1 and 1.2 alike
    if getattr(value, "_underscore", None):
        return f"{sign}{magnitude:_}"
    width = getattr(value, "_width", None)
    if width and width > len(str(magnitude)):
        return sign + str(magnitude).zfill(width)
    return None
